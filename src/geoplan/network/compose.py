"""One graph from layers: the strategic trunk network, the local-road grid, OSM patches.

:func:`compose_network` joins the hand-authored strategic network
(:mod:`geoplan.network.strategic`) and the local-road grid
(:mod:`geoplan.network.local`) into one geoplan graph:

1. **Entry points along trunk roads.** Every non-motorway trunk link (not a
   ferry, bridge or dam) is cut into pieces of at most ``join_spacing_m``;
   the pieces keep the link's attributes (``link_id``, ``name``, ``ref``…)
   and share its length, time and delay in proportion, so through times are
   unchanged and cutting a link by id still removes all of it.
2. **Join legs.** Each entry point (towns, junctions that are not motorway
   junctions, ferry berths, border points, and the points of step 1) is
   joined both ways to its ``join_k`` nearest grid nodes within
   ``join_radius_m``, by a local-road leg (straight × circuity at the local
   pace of the grid node) that does not cross the coast. Motorway junctions
   are reached only through their spur links, as on real roads.
3. **Snapping.** Points snap to their nearest grid nodes or entry points
   (``snap=True``): a point beside a trunk road or at a town centre starts on
   the trunk network there; motorway junctions are never snapped to.
   Every snappable node carries ``access_kph``: the access speed there
   (the local speed, at most ``access_speed_kph``).
4. Grid pieces that reach no strategic node (islets without a ferry) are
   dropped.

Every node and edge carries ``layer``: ``"strategic"``, ``"local"`` (grid and
join legs; join legs also have ``join=True``) or ``"osm"`` (patches, see
:mod:`geoplan.network.patch`). The graph attribute ``access`` tells
:mod:`geoplan.routing` how points attach (circuity, direct legs).

:func:`region_network` is the region's network source: the composed graph,
with the region's OSM patches applied, cached on disk.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import tomllib
from dataclasses import asdict
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geoplan.errors import InputError
from geoplan.network.landcover import LandcoverGrid
from geoplan.network.local import (
    LandIndex,
    LocalParameters,
    add_grid_to_graph,
    build_local_grid,
    keep_nodes,
    pace_at,
)
from geoplan.network.schema import validate_graph
from geoplan.progress import step

#: Trunk classes never entered along their length (motorways: only at junctions, via spurs).
NO_ENTRY_HIGHWAYS = frozenset({"motorway", "motorway_link", "ferry"})
#: Bump when the composition changes (invalidates cached graphs).
COMPOSE_VERSION = "local-2"


def _is_crossing(d: dict) -> bool:
    return bool(d.get("ferry")) or bool(str(d.get("crossing") or "").strip()) or d.get("highway") in NO_ENTRY_HIGHWAYS


def split_trunk_links(G: nx.MultiDiGraph, *, spacing_m: float) -> nx.MultiDiGraph:
    """Cut non-motorway trunk links into pieces of at most ``spacing_m`` (in place; see module docstring)."""
    if spacing_m <= 0:
        return G
    by_link: dict[str, list[tuple]] = {}
    for u, v, k, d in G.edges(keys=True, data=True):
        if _is_crossing(d) or d.get("link_id") is None:
            continue
        by_link.setdefault(str(d["link_id"]), []).append((u, v, k))
    for lid, edges in by_link.items():
        a, b = edges[0][0], edges[0][1]
        pa = np.array([G.nodes[a]["x"], G.nodes[a]["y"]])
        pb = np.array([G.nodes[b]["x"], G.nodes[b]["y"]])
        n = int(math.ceil(float(np.hypot(*(pb - pa))) / spacing_m))
        if n < 2:
            continue
        inner = [f"{lid}@{i}" for i in range(1, n)]
        name = G.edges[edges[0]].get("name", "")
        for i, nid in enumerate(inner, start=1):
            x, y = pa + (pb - pa) * i / n
            G.add_node(nid, x=float(x), y=float(y), layer="strategic", kind="via", snap=False, name=name)
        for u, v, k in edges:
            d = dict(G.edges[u, v, k])
            chain = [a, *inner, b] if (u, v) == (a, b) else [b, *reversed(inner), a]
            if chain[0] != u or chain[-1] != v:  # a link between other nodes than its first edge: leave it
                continue
            G.remove_edge(u, v, k)
            piece = dict(d)
            for key in ("length", "travel_time", "delay"):
                if key in piece:
                    piece[key] = float(d[key]) / n
            for p, q in zip(chain[:-1], chain[1:], strict=True):
                G.add_edge(p, q, key=k, **piece)
    return G


def _join_legs(points_xy: np.ndarray, grid_xy: np.ndarray, grid_pace: np.ndarray, *, land: LandIndex,
               params: LocalParameters, k: int, radius: float):
    """(point index, grid index, length m, time s) of join legs that stay on land."""
    if len(points_xy) == 0 or len(grid_xy) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0), np.zeros(0)
    tree = cKDTree(grid_xy)
    kq = min(k * 3, len(grid_xy))
    dist, idx = tree.query(points_xy, k=kq, distance_upper_bound=radius)
    dist, idx = np.asarray(dist).reshape(len(points_xy), -1), np.asarray(idx).reshape(len(points_xy), -1)
    pi = np.repeat(np.arange(len(points_xy)), dist.shape[1])
    gi, d = idx.ravel(), dist.ravel()
    ok = np.isfinite(d)
    pi, gi, d = pi[ok], gi[ok], d[ok]
    on_land = land.on_land(points_xy)
    # on land: the leg must not touch the coast; a berth in the water: the grid node must be on
    # the land part nearest to the berth (no leg across a fjord to another shore)
    cross = land.crosses_coast(points_xy[pi], grid_xy[gi])
    part_p = land.part_of(points_xy)
    part_g = land.part_of(grid_xy[gi])
    good = np.where(on_land[pi], ~cross, part_p[pi] == part_g)
    pi, gi, d = pi[good], gi[good], d[good]
    # the k nearest good ones per point (query order is by distance)
    rank = np.zeros(len(pi), dtype=np.int64)
    if len(pi):
        first = np.r_[0, np.flatnonzero(np.diff(pi)) + 1]
        counts = np.diff(np.r_[first, len(pi)])
        rank = np.arange(len(pi)) - np.repeat(first, counts)
    keep = rank < k
    pi, gi, d = pi[keep], gi[keep], d[keep]
    length = np.maximum(d * params.circuity, 1.0)
    return pi, gi, length, length * grid_pace[gi]


def compose_network(strategic: nx.MultiDiGraph, *, land: shapely.Geometry, extent: shapely.Geometry,
                    landcover: LandcoverGrid, params: LocalParameters) -> nx.MultiDiGraph:
    """The strategic network joined to the local-road grid over ``extent`` (see module docstring).

    Parameters
    ----------
    strategic
        The trunk network (geoplan schema; nodes may carry ``snap``, edges
        ``highway``, ``ferry``, ``crossing``, ``link_id``).
    land
        Land polygon(s), EPSG:25832 (water = outside or holes).
    extent
        Where to lay the grid (e.g. the region buffered); EPSG:25832.
    landcover, params
        Land cover shares and model parameters.

    Returns
    -------
    networkx.MultiDiGraph
        Geoplan schema, ``layer`` on every node and edge.
    """
    params.check()
    land_ix = LandIndex.of(land)
    G = strategic.copy()
    G.graph["name"] = "strategic + local roads"
    for _, d in G.nodes(data=True):
        d.setdefault("layer", "strategic")
    for *_, d in G.edges(data=True):
        d.setdefault("layer", "strategic")
    original_snap = {n: bool(d.get("snap", True)) for n, d in G.nodes(data=True)}
    split_trunk_links(G, spacing_m=params.join_spacing_m)

    grid = build_local_grid(extent=extent, land=land_ix, landcover=landcover, params=params)
    # join legs from entry points to the grid
    entry = [n for n, d in G.nodes(data=True) if d.get("layer") == "strategic"
             and (original_snap.get(n, False) or d.get("kind") == "via")]
    exy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in entry], dtype="float64").reshape(-1, 2)
    pi, gi, length, time = _join_legs(exy, grid.xy, grid.pace, land=land_ix, params=params, k=params.join_k,
                                      radius=params.join_radius_m)
    # grid pieces without a join leg (islets without a ferry) reach nothing: drop them
    keep = anchored_pieces(len(grid.ids), grid.u, grid.v, gi)
    new_index = np.cumsum(keep) - 1
    grid = keep_nodes(grid, keep)
    add_grid_to_graph(G, grid, access_speed_kph=params.access_speed_kph)
    gids = grid.ids[new_index[gi]].tolist()
    joins = []
    for p, g, ln, t in zip(pi.tolist(), gids, length.tolist(), time.tolist(), strict=True):
        attrs = {"length": ln, "travel_time": t, "speed_kph": ln / t * 3.6, "highway": "local_join",
                 "layer": "local", "join": True}
        joins.append((entry[p], g, 0, attrs))
        joins.append((g, entry[p], 0, dict(attrs)))
    G.add_edges_from(joins)

    # strategic entry points (towns, junctions but motorway ones, berths, points along trunk roads)
    # stay snappable beside the grid: a point at a town centre starts on the trunk network there;
    # access legs everywhere at the local access speed
    snodes = [n for n, d in G.nodes(data=True) if d.get("layer") == "strategic"]
    sxy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in snodes], dtype="float64").reshape(-1, 2)
    kph = np.minimum(3.6 / pace_at(landcover, sxy, params), params.access_speed_kph)
    for n, s in zip(snodes, kph.tolist(), strict=True):
        d = G.nodes[n]
        d["access_kph"] = float(s)
        d["snap"] = bool(original_snap.get(n, False) or d.get("kind") == "via")

    G.graph["access"] = {"circuity": params.access_circuity, "direct_max_m": params.direct_max_m,
                         "speed_kph": params.access_speed_kph}
    G.graph["local_parameters"] = asdict(params)
    return validate_graph(G, source="strategic + local network")


def anchored_pieces(n: int, u: np.ndarray, v: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Which of ``n`` nodes lie in a connected piece (edges ``u``–``v``) that holds an anchor node."""
    A = csr_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    _, label = connected_components(A, directed=False)
    good = np.zeros(label.max() + 1 if n else 0, dtype=bool)
    good[label[np.asarray(anchors, dtype=np.int64)]] = True
    return good[label]


# --------------------------------------------------------------------------- the region's source
def region_network_settings(region_folder: Path) -> dict:
    """The ``[network]`` table of ``region.toml`` (``local_parameters``, ``patches``)."""
    path = Path(region_folder) / "region.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    net = raw.get("network", {})
    return net if isinstance(net, dict) else {}


def local_parameters_path(region_folder: Path, override: str | Path | None = None) -> Path:
    """The local-road parameter file: ``override``, else the region's ``[network] local_parameters``."""
    if override:
        p = Path(override)
        return p if p.is_absolute() or p.is_file() else Path(region_folder) / p
    name = region_network_settings(region_folder).get("local_parameters", "local_roads.toml")
    return Path(region_folder) / str(name)


def _osm_version() -> str:
    """``geoplan.network.osm._OSM_VERSION``, read from the module's source when it is not imported yet.

    Importing ``osm`` imports osmnx (~2 s); a run whose composed graph is cached needs only this
    string for the cache key.
    """
    import re
    import sys

    mod = sys.modules.get("geoplan.network.osm")
    if mod is None:
        src = Path(__file__).with_name("osm.py")
        try:
            m = re.search(r'^_OSM_VERSION\s*=\s*"([^"]*)"', src.read_text(encoding="utf-8"), re.MULTILINE)
        except OSError:
            m = None
        if m:
            return m.group(1)
    from geoplan.network.osm import _OSM_VERSION

    return _OSM_VERSION


def _digest(paths: list[Path]) -> str:
    from geoplan.datadir import file_digest

    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(file_digest(p).encode())
    return h.hexdigest()


def region_network(*, region_folder: Path, land: shapely.Geometry, boundary: shapely.Geometry,
                   landcover_path: Path, params: LocalParameters, patches: list[Path] | None = None,
                   cache_dir: Path | None = None) -> nx.MultiDiGraph:
    """The region's default network: strategic + local roads (+ OSM patches), cached as a pickle.

    Parameters
    ----------
    region_folder
        ``src/geoplan/regions/<name>`` (the strategic network is read from ``network/``).
    land, boundary
        Land polygon of the country and the region's polygon (EPSG:25832).
    landcover_path
        SDFI 1 km classified grid (``.7z`` or ``.gpkg``).
    params
        Local-road model parameters.
    patches
        OSM files (see :mod:`geoplan.network.patch`) that replace the model inside their areas.
    cache_dir
        Where to keep the composed graph; ``None``: build every time.
    """
    from geoplan.network.landcover import load_landcover
    from geoplan.network.strategic import load_region_strategic_network

    region_folder = Path(region_folder)
    patches = [Path(p) for p in (patches or [])]
    for p in patches:
        if not p.is_file():
            raise InputError(p, "OSM patch file not found", "check [network] patches (paths relative to the data directory)")
    net_files = sorted((region_folder / "network").glob("*.csv"))
    key_text = "|".join([COMPOSE_VERSION, _digest(net_files), _digest([Path(landcover_path)]),
                         repr(sorted(asdict(params).items())),
                         hashlib.sha256(shapely.to_wkb(land)).hexdigest(),
                         hashlib.sha256(shapely.to_wkb(boundary)).hexdigest(),
                         (_digest(patches) + _osm_version()) if patches else ""])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"network-{key}.pickle" if cache_dir else None
    if cached is not None:
        from geoplan.cache import read_cache

        G_cached = read_cache(cached, lambda p: pickle.loads(p.read_bytes()), what="road network")
        if G_cached is not None:
            return G_cached
    step(f"Building the local-road grid ({params.spacing_m:.0f} m) and joining it to the strategic network")
    extent = shapely.buffer(shapely.simplify(boundary, 50.0), params.extent_buffer_m, quad_segs=4)
    x0, y0, x1, y1 = np.asarray(shapely.bounds(extent)) + np.array([-20e3, -20e3, 20e3, 20e3])
    landcover = load_landcover(Path(landcover_path), bbox=(x0, y0, x1, y1), cache_dir=cache_dir)
    G = compose_network(load_region_strategic_network(region_folder), land=land, extent=extent,
                        landcover=landcover, params=params)
    if patches:
        from geoplan.network.osm import graph_from_osm_file
        from geoplan.network.patch import apply_patch

        for p in patches:
            G = apply_patch(G, graph_from_osm_file(p, cache_dir=cache_dir), land=land, landcover=landcover,
                            params=params, name=p.name, copy=False)
    if cached is not None:
        tmp = cached.with_name(f".{cached.name}.tmp")
        tmp.write_bytes(pickle.dumps(G, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(cached)
    return G


__all__ = ["compose_network", "local_parameters_path", "region_network", "region_network_settings",
           "split_trunk_links"]
