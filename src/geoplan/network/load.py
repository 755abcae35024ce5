"""Pick a network source by name: ``"strategic"`` or a path to an OSM file."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from geoplan import datadir
from geoplan.errors import InputError
from geoplan.network.schema import validate_graph


def load_network(source: str, *, region_folder: Path) -> nx.MultiDiGraph:
    """Return the road graph named by ``source``.

    Parameters
    ----------
    source
        ``"strategic"``: the region's hand-authored network
        (``<region_folder>/network/``). Anything else is a path to an OSM file,
        absolute, relative to the working directory, or relative to the data
        directory (e.g. ``roads/osm_samsoe_2020-03-09.osm.zip``).
    region_folder
        ``src/geoplan/regions/<name>``.
    """
    if source == "strategic":
        from geoplan.network.strategic import load_region_strategic_network

        return validate_graph(load_region_strategic_network(region_folder), source="strategic network")
    from geoplan.network.osm import graph_from_osm_file

    path = Path(source)
    if not path.is_file() and (datadir.data_dir() / source).is_file():
        path = datadir.data_dir() / source
    if not path.is_file():
        raise InputError(
            None,
            f"network {source!r} is neither 'strategic' nor an existing OSM file",
            "use network = \"strategic\" or a path to an .osm / .osm.zip / .osm.pbf file "
            f"(relative paths are also looked up in the data directory {datadir.data_dir()})",
        )
    return graph_from_osm_file(path, cache_dir=datadir.cache_dir())
