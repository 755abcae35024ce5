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

Ferries
-------
Ways tagged ``route=ferry`` that carry cars (``motor_vehicle`` / ``motorcar``
not ``no``) are kept (osmnx's ``network_type="drive"`` filter would drop
them) as edges with ``highway="ferry"``, ``ferry=True`` and a crossing time
from the way's ``duration`` tag (else its length at :data:`FERRY_SPEED_KPH`)
plus :data:`FERRY_WAIT_MIN` of waiting, as in the strategic network, and
``link_id = "osm-ferry-<way id>"``, ``crossing = "ferry: <name>"`` (so that a
scenario can cut them).

Street pieces
-------------
A zipped ESRI shapefile of line pieces split at junctions (such as
``roads/osm_aarhus_central_split.zip``: fields ``highway``, no speeds, no
one-way tags) is read by :func:`graph_from_split_lines`: pieces are joined
where their end points meet (to 1 m); every piece is two-way; class
``unknown`` gets :data:`UNKNOWN_CLASS_SPEED`.

Every node and edge carries ``layer="osm"``.

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
import numpy as np
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
#: Speed (km/h) of pieces whose class was lost (``highway=unknown`` in street-piece files): mostly
#: residential and service streets in the central-Aarhus file.
UNKNOWN_CLASS_SPEED = 30.0
#: Ferry crossing speed (km/h) where a ferry way has no ``duration``, and the waiting time added
#: to every crossing (minutes; the strategic network's ferries wait 5-10 min).
FERRY_SPEED_KPH = 25.0
FERRY_WAIT_MIN = 10.0
_OSMNX_SETTINGS_DONE = False
#: Bump when the way graphs are built changes (invalidates cached graphs).
_OSM_VERSION = "ferries-3"


def _configure_osmnx() -> None:
    global _OSMNX_SETTINGS_DONE
    if not _OSMNX_SETTINGS_DONE:
        ox.settings.use_cache = False  # geoplan caches whole graphs itself
        ox.settings.log_console = False
        # tags geoplan reads beyond osmnx's defaults (car ferries and their crossing time)
        extra = ["route", "motor_vehicle", "motorcar", "duration"]
        ox.settings.useful_tags_way = list(dict.fromkeys([*ox.settings.useful_tags_way, *extra]))
        _OSMNX_SETTINGS_DONE = True


def finish_osm_graph(G: nx.MultiDiGraph, *, speeds: dict[str, float] | None = None) -> nx.MultiDiGraph:
    """Turn a raw osmnx graph (EPSG:4326) into the geoplan schema.

    Largest strongly connected component, speeds (tagged maxspeed else Danish
    defaults), projection to EPSG:25832, travel times (ferries: crossing time
    plus waiting), ``layer="osm"``.
    """
    if G.number_of_edges() == 0:
        raise NetworkError("the OSM data holds no drivable roads")
    G = ox.truncate.largest_component(G, strongly=True)
    table = dict(speeds or DANISH_DEFAULT_SPEEDS)
    table.setdefault("ferry", FERRY_SPEED_KPH)
    G = ox.routing.add_edge_speeds(G, hwy_speeds=table, fallback=FALLBACK_SPEED)
    G = ox.projection.project_graph(G, to_crs=GRAPH_CRS)
    G = ox.routing.add_edge_travel_times(G)
    G.graph["crs"] = GRAPH_CRS
    _ferry_times(G)
    _mark_layer(G)
    return validate_graph(G, source="OSM graph")


def _mark_layer(G: nx.MultiDiGraph) -> None:
    for n, d in G.nodes(data=True):
        d.setdefault("street_count", G.degree(n))
        d["layer"] = "osm"
    for *_, d in G.edges(data=True):
        d["layer"] = "osm"


def _duration_minutes(value) -> float | None:
    """OSM ``duration`` (``"H:MM"``, ``"HH:MM:SS"`` or minutes) in minutes; ``None`` if unreadable."""
    if isinstance(value, list):
        vals = [_duration_minutes(v) for v in value]
        good = [v for v in vals if v is not None]
        return sum(good) if good else None
    if value is None:
        return None
    text = str(value).strip()
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        return None
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0] * 60 + parts[1]
    if len(parts) == 3:
        return parts[0] * 60 + parts[1] + parts[2] / 60
    return None


def _ferry_times(G: nx.MultiDiGraph) -> None:
    """Crossing time of ferry edges: ``duration`` (shared by length along a split way) + waiting."""
    for *_, d in G.edges(data=True):
        if d.get("highway") != "ferry" and d.get("route") != "ferry":
            continue
        d["highway"] = "ferry"
        d["ferry"] = True
        osmid = d.get("osmid")
        osmid = osmid[0] if isinstance(osmid, list) else osmid
        name = d.get("name")
        name = name[0] if isinstance(name, list) else name
        # stable ids and names, as the strategic network's ferries, so that scenarios can cut them
        d.setdefault("link_id", f"osm-ferry-{osmid}")
        d.setdefault("crossing", f"ferry: {name or osmid}")
        minutes = _duration_minutes(d.get("duration"))
        crossing = minutes * 60.0 if minutes is not None else float(d["length"]) / (FERRY_SPEED_KPH / 3.6)
        d["delay"] = FERRY_WAIT_MIN * 60.0
        d["travel_time"] = crossing + d["delay"]
        d["speed_kph"] = max(float(d["length"]) / max(crossing, 1.0) * 3.6, 1.0)


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
    key = hashlib.sha256((digest + json.dumps(speeds or DANISH_DEFAULT_SPEEDS, sort_keys=True) + _OSM_VERSION)
                         .encode()).hexdigest()
    cached = cache_dir / f"osm-{key[:16]}.pickle" if cache_dir else None
    if cached is not None:
        from geoplan.cache import read_cache

        G_cached = read_cache(cached, lambda p: pickle.loads(p.read_bytes()), what="OSM road graph")
        if G_cached is not None:
            return G_cached

    step(f"Reading OSM roads from {path.name}")
    name = path.name.lower()
    if name.endswith(".zip") and _zip_holds_shapefile(path):
        G = graph_from_split_lines(path, speeds=speeds)
        _save_cached(cached, G)
        return G
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
        xml = _roads_only_xml(xml, Path(tmp))
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
    _save_cached(cached, G)
    return G


def _save_cached(cached: Path | None, G: nx.MultiDiGraph) -> None:
    if cached:
        tmpfile = cached.with_name(cached.name + ".tmp")
        tmpfile.write_bytes(pickle.dumps(G, protocol=pickle.HIGHEST_PROTOCOL))
        tmpfile.replace(cached)


#: highway values kept from raw OSM XML (osmnx's ``graph_from_xml`` keeps every way).
DRIVABLE = set(DANISH_DEFAULT_SPEEDS) | {"motorway_junction"}


def _is_car_ferry(d: dict) -> bool:
    return d.get("route") == "ferry" and d.get("motor_vehicle") != "no" and d.get("motorcar") != "no"


def _keep_drivable(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Drop edges that are not for cars (footways, tracks, cycleways, private access); keep car ferries."""
    drop = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if _is_car_ferry(d):
            d["highway"] = "ferry"
            continue
        hw = d.get("highway")
        hws = hw if isinstance(hw, list) else [hw]
        access = d.get("access")
        if not any(h in DRIVABLE for h in hws) or access in ("no", "private") or d.get("motor_vehicle") == "no":
            drop.append((u, v, k))
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


# --------------------------------------------------------------------------- street pieces (shapefile)
def _zip_holds_shapefile(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(m.lower().endswith(".shp") for m in zf.namelist())
    except zipfile.BadZipFile:
        return False


def _dbf_records(path: Path) -> int | None:
    """Number of records a .dbf header announces."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        return int.from_bytes(head[4:8], "little") if len(head) == 8 else None
    except OSError:
        return None


def read_split_lines(path: Path) -> tuple:
    """The line pieces of a zipped shapefile (GeoDataFrame in EPSG:25832) and the records its .dbf lists.

    The ``.shx`` index is rebuilt from the ``.shp`` (GDAL's ``SHAPE_RESTORE_SHX``), so a
    truncated ``.shp`` yields the pieces it holds instead of failing.
    """
    import geopandas as gpd
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as zf:
        shp = [m for m in zf.namelist() if m.lower().endswith(".shp")][0]
        stem = shp[:-4]
        for m in zf.namelist():
            if m.startswith(stem) and not m.lower().endswith(".shx"):
                zf.extract(m, tmp)
        shp_path = Path(tmp) / shp
        dbf = [p for p in Path(tmp).rglob("*") if p.suffix.lower() == ".dbf"]
        listed = _dbf_records(dbf[0]) if dbf else None
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": True})
        try:
            gdf = gpd.read_file(shp_path)
        except Exception as exc:  # GDAL raises several kinds on broken files
            raise InputError(path, f"cannot be read as a shapefile ({exc})", "check the zip holds .shp and .dbf") from exc
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    if gdf.crs is None:
        raise InputError(path, "the shapefile has no .prj (coordinate system)", "add the .prj file to the zip")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs(GRAPH_CRS)
    return gdf, listed


def graph_from_split_lines(path: str | Path, *, speeds: dict[str, float] | None = None,
                           snap_m: float = 1.0) -> nx.MultiDiGraph:
    """A drivable graph from a zipped shapefile of street pieces split at junctions.

    Parameters
    ----------
    path
        Zip with ``.shp``, ``.dbf``, ``.prj`` (field ``highway``).
    speeds
        Speed per class (default :data:`DANISH_DEFAULT_SPEEDS`; ``unknown``:
        :data:`UNKNOWN_CLASS_SPEED`).
    snap_m
        End points closer than this are one node.

    Returns
    -------
    networkx.MultiDiGraph
        Geoplan schema, its largest strongly connected component, graph
        attributes ``pieces_listed`` / ``pieces_read`` (a truncated file reads
        fewer pieces than its .dbf lists).

    Limits
    ------
    Every piece is two-way (the files carry no one-way tags); no ferries.
    """
    import shapely

    path = Path(path)
    gdf, listed = read_split_lines(path)
    table = dict(speeds or DANISH_DEFAULT_SPEEDS)
    table.setdefault("unknown", UNKNOWN_CLASS_SPEED)
    hw = gdf["highway"].astype(str) if "highway" in gdf.columns else None
    if hw is None:
        raise InputError(path, "no field 'highway'", "the pieces need an OSM highway class")
    keep = hw.isin(set(table) | {"unknown"}).to_numpy()
    gdf, hw = gdf[keep], hw[keep]
    if gdf.empty:
        raise InputError(path, "holds no drivable street pieces", "export roads for cars")
    geoms = gdf.geometry.to_numpy()
    geoms = np.array([g if g.geom_type == "LineString" else shapely.line_merge(g) for g in geoms], dtype=object)
    line = np.array([g.geom_type == "LineString" for g in geoms])
    geoms, hw = geoms[line], hw.to_numpy()[line]
    a = shapely.get_coordinates(shapely.get_point(geoms, 0))
    b = shapely.get_coordinates(shapely.get_point(geoms, -1))
    ends = np.vstack([a, b])
    keys = np.round(ends / snap_m).astype(np.int64)
    _, node_of = np.unique(keys, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    n_pieces = len(geoms)
    G = nx.MultiDiGraph(crs=GRAPH_CRS, name=path.name, pieces_listed=listed, pieces_read=int(len(gdf)))
    uniq_xy = np.zeros((int(node_of.max()) + 1, 2))
    uniq_xy[node_of] = ends
    for i, (x, y) in enumerate(uniq_xy):
        G.add_node(int(i), x=float(x), y=float(y))
    lengths = shapely.length(geoms)
    for j in range(n_pieces):
        u, v = int(node_of[j]), int(node_of[j + n_pieces])
        if u == v:
            continue
        speed = float(table.get(hw[j], FALLBACK_SPEED))
        attrs = {"length": float(lengths[j]), "highway": hw[j], "speed_kph": speed,
                 "travel_time": float(lengths[j]) / (speed / 3.6), "geometry": geoms[j]}
        G.add_edge(u, v, **attrs)
        G.add_edge(v, u, **dict(attrs))
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    if G.number_of_edges() == 0:
        raise InputError(path, "no street piece joins another", "the pieces must share end points")
    G = ox.truncate.largest_component(G, strongly=True)
    _mark_layer(G)
    return validate_graph(G, source=str(path))


def _roads_only_xml(xml: Path, tmp: Path) -> Path:
    """A copy of an OSM XML file with only roads and ferries (ways) and the nodes they use.

    osmnx's ``graph_from_xml`` turns every way (coastline, land use, buildings…) into edges; an
    extract holds far more of those than roads. Node tags are left out (not used here). Falls back
    to the file itself if it cannot be streamed.
    """
    import xml.etree.ElementTree as ET
    from xml.sax.saxutils import quoteattr

    out = tmp / "roads.osm"
    try:
        ways = []
        needed: set[str] = set()
        for _, el in ET.iterparse(xml, events=("end",)):
            if el.tag == "way":
                tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
                if "highway" in tags or tags.get("route") == "ferry":
                    refs = [nd.get("ref") for nd in el.iter("nd")]
                    needed.update(r for r in refs if r)
                    ways.append((el.get("id"), refs, tags))
                el.clear()
            elif el.tag in ("node", "relation"):
                el.clear()
        parts = ["<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"]
        for _, el in ET.iterparse(xml, events=("end",)):
            if el.tag == "node":
                if el.get("id") in needed:
                    parts.append(f'<node id="{el.get("id")}" lat="{el.get("lat")}" lon="{el.get("lon")}"/>\n')
                el.clear()
            elif el.tag in ("way", "relation"):
                el.clear()
        for wid, refs, tags in ways:
            parts.append(f'<way id="{wid}">')
            parts.extend(f'<nd ref="{r}"/>' for r in refs)
            parts.extend(f"<tag k={quoteattr(str(k))} v={quoteattr(str(v))}/>" for k, v in tags.items())
            parts.append("</way>\n")
        parts.append("</osm>\n")
        out.write_text("".join(parts), encoding="utf-8")
    except (ET.ParseError, OSError):
        return xml
    return out


def _pbf_to_xml(path: Path, tmp: Path) -> Path:
    try:
        import osmium  # type: ignore[import-not-found,unused-ignore]
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
