"""Pick a network source by name: ``"strategic"`` (with local roads and OSM patches) or an OSM file."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import shapely

from geoplan import datadir
from geoplan.errors import InputError
from geoplan.network.schema import validate_graph


def resolve_data_file(name: str | Path, *, what: str, fix: str) -> Path:
    """A path as given, else relative to the data directory; :class:`InputError` if neither exists."""
    path = Path(name)
    if not path.is_file() and (datadir.data_dir() / str(name)).is_file():
        path = datadir.data_dir() / str(name)
    if not path.is_file():
        raise InputError(path, f"{what} not found", f"{fix} (relative paths are also looked up in the data "
                         f"directory {datadir.data_dir()})")
    return path


def default_patches(region_folder: Path) -> list[Path]:
    """The region's ``[network] patches`` (``region.toml``) that are present in the data directory."""
    from geoplan.network.compose import region_network_settings

    out = []
    for name in region_network_settings(region_folder).get("patches", []) or []:
        p = Path(name) if Path(name).is_absolute() else datadir.data_dir() / str(name)
        if p.is_file():
            out.append(p)
    return out


def load_network(
    source: str,
    *,
    region_folder: Path,
    land: shapely.Geometry | None = None,
    boundary: shapely.Geometry | None = None,
    landcover_path: Path | None = None,
    local: bool = True,
    patches: list[str] | None = None,
    local_parameters: str | Path | None = None,
) -> nx.MultiDiGraph:
    """Return the road graph named by ``source``.

    Parameters
    ----------
    source
        ``"strategic"``: the region's hand-authored trunk network
        (``<region_folder>/network/``), with the local-road model
        (:mod:`geoplan.network.compose`) unless ``local`` is False. Anything
        else is a path to an OSM file (``.osm``, ``.osm.zip``, ``.osm.pbf``,
        or a zipped shapefile of street pieces), absolute, relative to the
        working directory, or relative to the data directory: street-level
        routing on that file alone.
    region_folder
        ``src/geoplan/regions/<name>``.
    land, boundary
        The country's land polygon and the region's polygon (EPSG:25832);
        needed for the local-road model.
    landcover_path
        SDFI's 1 km classified grid (needed for the local-road model).
    local
        Add the local-road model to the strategic network (default). False:
        the trunk network alone, points reach it by straight access legs.
    patches
        OSM files that replace the model inside their areas
        (:mod:`geoplan.network.patch`). ``None``: the region's default
        (``[network] patches`` of ``region.toml``, those present); ``[]``: none.
    local_parameters
        A ``local_roads.toml`` other than the region's.
    """
    region_folder = Path(region_folder)
    if source == "strategic":
        from geoplan.network.strategic import load_region_strategic_network

        if not local:
            if patches:
                raise InputError(None, "OSM patches need the local-road model",
                                 "set [network] local = true or remove patches")
            G = load_region_strategic_network(region_folder)
            for _, d in G.nodes(data=True):
                d["layer"] = "strategic"
            for *_, d in G.edges(data=True):
                d["layer"] = "strategic"
            return validate_graph(G, source="strategic network")
        from geoplan.network.compose import local_parameters_path, region_network
        from geoplan.network.local import read_local_parameters

        if land is None or boundary is None or landcover_path is None:
            raise InputError(None, "the local-road model needs the land polygon, the region boundary and the "
                             "land cover grid", "load the network through geoplan.region.Region.network()")
        params = read_local_parameters(local_parameters_path(region_folder, local_parameters))
        if patches is None:
            patch_files = default_patches(region_folder)
        else:
            patch_files = [resolve_data_file(p, what="OSM patch file", fix="check [network] patches")
                           for p in patches]
        return region_network(region_folder=region_folder, land=land, boundary=boundary,
                              landcover_path=Path(landcover_path), params=params, patches=patch_files,
                              cache_dir=datadir.cache_dir())
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
