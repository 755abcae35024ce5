"""OpenStreetMap road graphs through osmnx, with Danish default speeds.

A graph is read from a local OSM file (``.osm``, ``.osm.bz2``, ``.osm.zip``;
``.osm.pbf`` when the ``osmium`` package is installed) or downloaded by
polygon when online, then:

1. kept to its largest strongly connected component (one-way streets
   respected), so every node can reach every other;
2. given a speed per edge: the tagged ``maxspeed`` where present, else the
   Danish default for its ``highway`` class (:data:`DANISH_DEFAULT_SPEEDS`);
3. projected to EPSG:25832 and given ``travel_time`` (s).

Danish default speeds
---------------------
The legal limits are 130 km/h on motorways (110 where signed), 80 km/h on
rural roads and 50 km/h in built-up areas (Færdselsloven §42). Route planners
drive slower than the limit on minor roads, so the defaults for untagged
classes are *typical driven speeds*, not limits: 80 on trunk/primary/
secondary (rural), 70 on tertiary, 60 on unclassified, 40 on residential,
20 on service roads, 15 on living streets. Tagged ``maxspeed`` wins where
present (as in osmnx). These are assumptions, documented here and in
``README.md``; change them with ``speeds=``.

Limits
------
No turn costs or junction delays; no traffic. Result graphs are cached by the
file's hash and the speed table.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import tempfile
import zipfile
from pathlib import Path

import networkx as nx
import osmnx as ox

from geoplan.errors import InputError, NetworkError
from geoplan.network.schema import GRAPH_CRS, validate_graph
from geoplan.progress import step

#: Speeds (km/h) used where an edge has no usable ``maxspeed`` tag.
DANISH_DEFAULT_SPEEDS: dict[str, float] = {
    "motorway": 120.0,
    "motorway_link": 70.0,
    "trunk": 80.0,
    "trunk_link": 60.0,
    "primary": 80.0,
    "primary_link": 50.0,
    "secondary": 80.0,
    "secondary_link": 50.0,
    "tertiary": 70.0,
    "tertiary_link": 40.0,
    "unclassified": 60.0,
    "residential": 40.0,
    "living_street": 15.0,
    "service": 20.0,
    "road": 50.0,
}
#: Speed (km/h) for a class not in the table.
FALLBACK_SPEED = 50.0
_OSMNX_SETTINGS_DONE = False


def _configure_osmnx() -> None:
    global _OSMNX_SETTINGS_DONE
    if not _OSMNX_SETTINGS_DONE:
        ox.settings.use_cache = False  # geoplan caches whole graphs itself
        ox.settings.log_console = False
        _OSMNX_SETTINGS_DONE = True


def finish_osm_graph(G: nx.MultiDiGraph, *, speeds: dict[str, float] | None = None) -> nx.MultiDiGraph:
    """Turn a raw osmnx graph (EPSG:4326) into the geoplan schema.

    Largest strongly connected component, speeds (tagged maxspeed else Danish
    defaults), projection to EPSG:25832, travel times.
    """
    if G.number_of_edges() == 0:
        raise NetworkError("the OSM data holds no drivable roads")
    G = ox.truncate.largest_component(G, strongly=True)
    G = ox.routing.add_edge_speeds(G, hwy_speeds=speeds or DANISH_DEFAULT_SPEEDS, fallback=FALLBACK_SPEED)
    G = ox.projection.project_graph(G, to_crs=GRAPH_CRS)
    G = ox.routing.add_edge_travel_times(G)
    G.graph["crs"] = GRAPH_CRS
    for n, d in G.nodes(data=True):
        d.setdefault("street_count", G.degree(n))
    return validate_graph(G, source="OSM graph")


def graph_from_osm_file(
    path: str | Path,
    *,
    speeds: dict[str, float] | None = None,
    cache_dir: Path | None = None,
) -> nx.MultiDiGraph:
    """Read a drivable road graph from a local OSM file.

    Parameters
    ----------
    path
        ``.osm`` / ``.xml`` / ``.osm.bz2`` (read directly by osmnx),
        ``.osm.zip`` / ``.zip`` (the first ``.osm`` member is read) or
        ``.osm.pbf`` (converted with ``osmium`` if installed).
    speeds
        Speed per highway class for untagged edges (default
        :data:`DANISH_DEFAULT_SPEEDS`).
    cache_dir
        Where to keep the finished graph (pickled), keyed by the file's hash
        and the speed table. ``None``: no cache.

    Returns
    -------
    networkx.MultiDiGraph
        Geoplan schema (EPSG:25832; length, speed_kph, travel_time).

    Raises
    ------
    InputError
        Missing or unreadable file.
    """
    _configure_osmnx()
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "OSM file not found", "give the path to an .osm, .osm.zip or .osm.pbf file")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    key = hashlib.sha256((digest + json.dumps(speeds or DANISH_DEFAULT_SPEEDS, sort_keys=True)).encode()).hexdigest()
    cached = cache_dir / f"osm-{key[:16]}.pickle" if cache_dir else None
    if cached and cached.is_file():
        with open(cached, "rb") as fh:
            return pickle.load(fh)

    step(f"Reading OSM roads from {path.name}")
    name = path.name.lower()
    with tempfile.TemporaryDirectory() as tmp:
        if name.endswith(".zip"):
            try:
                with zipfile.ZipFile(path) as zf:
                    members = [m for m in zf.namelist() if m.lower().endswith((".osm", ".xml"))] or zf.namelist()
                    if not members:
                        raise InputError(path, "the zip archive is empty", "zip an .osm file")
                    xml = Path(zf.extract(sorted(members)[0], tmp))
            except zipfile.BadZipFile as exc:
                raise InputError(path, "not a valid zip archive", "re-download the file") from exc
        elif name.endswith(".pbf"):
            xml = _pbf_to_xml(path, Path(tmp))
        else:
            xml = path
        try:
            G = ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
        except Exception as exc:  # osmnx raises various errors on malformed XML
            raise InputError(path, f"cannot be read as OSM XML: {exc}", "check that it is an OSM XML export") from exc
    G = _keep_drivable(G)
    if G.number_of_edges() == 0:
        raise InputError(path, "holds no drivable roads (highway=motorway…service)", "export roads for cars")
    # keep nodes where the road class or speed changes, so each edge has one speed
    G = ox.simplification.simplify_graph(G, edge_attrs_differ=["highway", "maxspeed"])
    G = finish_osm_graph(G, speeds=speeds)
    if cached:
        tmpfile = cached.with_name(cached.name + ".tmp")
        tmpfile.write_bytes(pickle.dumps(G, protocol=pickle.HIGHEST_PROTOCOL))
        tmpfile.replace(cached)
    return G


#: highway values kept from raw OSM XML (osmnx's ``graph_from_xml`` keeps every way).
DRIVABLE = set(DANISH_DEFAULT_SPEEDS) | {"motorway_junction"}


def _keep_drivable(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Drop edges that are not for cars (footways, tracks, cycleways, private access)."""
    drop = []
    for u, v, k, d in G.edges(keys=True, data=True):
        hw = d.get("highway")
        hws = hw if isinstance(hw, list) else [hw]
        access = d.get("access")
        if not any(h in DRIVABLE for h in hws) or access in ("no", "private") or d.get("motor_vehicle") == "no":
            drop.append((u, v, k))
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _pbf_to_xml(path: Path, tmp: Path) -> Path:
    try:
        import osmium  # type: ignore[import-not-found]
    except ImportError as exc:
        raise InputError(
            path,
            "reading .osm.pbf needs the 'osmium' package",
            "pip install osmium, or convert the file to .osm XML (osmium cat in.pbf -o out.osm)",
        ) from exc
    out = tmp / (path.stem + ".osm")
    writer = osmium.SimpleWriter(str(out))
    try:
        for obj in osmium.FileProcessor(str(path)):
            writer.add(obj)
    finally:
        writer.close()
    return out


def graph_from_polygon(polygon, *, speeds: dict[str, float] | None = None) -> nx.MultiDiGraph:
    """Download the drivable OSM network inside a polygon (EPSG:4326) — needs internet.

    Raises
    ------
    NetworkError
        When the download fails (for example with no internet).
    """
    _configure_osmnx()
    try:
        G = ox.graph_from_polygon(polygon, network_type="drive", simplify=True, retain_all=True)
    except Exception as exc:
        raise NetworkError(
            f"downloading OSM roads failed ({exc}).\n  fix: check the internet connection, or "
            "download an extract and use it as a local file (network = \"path/to/file.osm.pbf\")"
        ) from exc
    return finish_osm_graph(G, speeds=speeds)
