"""Real OSM streets where they exist: patch the modelled network with an OSM graph.

:func:`apply_patch` puts an OSM graph (:mod:`geoplan.network.osm`) into the
composed strategic + local network (:mod:`geoplan.network.compose`):

- **area**: the OSM roads' convex hull (buffered 100 m), or a polygon given;
- **inside** the area OSM wins: the local grid's nodes and the strategic
  network's nodes go, except motorway nodes (the trunk motorways crossing the
  patch stay) and ferry berths (the strategic ferries, with their names and
  timetable times, stay);
- **at the boundary** every modelled node that lost a neighbour (grid edges
  and trunk links that entered the area), and every strategic node kept
  inside, is joined to its nearest OSM street nodes by a local-road leg
  (straight × circuity at the local pace), never across the coast;
- **ferries**: an OSM ferry that duplicates a strategic ferry (both ends
  within :data:`FERRY_MATCH_M` of the strategic ferry's ends) is dropped in
  favour of the strategic one (so cutting the crossing by name still
  works); other OSM ferries stay, their far ends joined to the modelled
  network when it is near.

OSM nodes and edges keep ``layer="osm"``; their access legs use the local
speed at the node. A whole-region OSM extract used as a patch gives
street-level routing everywhere, with the strategic motorways and ferries
kept.

Limits
------
The boundary joins are short modelled legs, not real streets: a route that
crosses the boundary where the OSM data has no street near it pays a detour.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree

from geoplan.errors import NetworkError
from geoplan.network.landcover import LandcoverGrid
from geoplan.network.local import LandIndex, LocalParameters, pace_at
from geoplan.network.schema import validate_graph

#: An OSM ferry whose ends lie this close to a strategic ferry's ends is the same crossing.
FERRY_MATCH_M = 3000.0
#: OSM street nodes each boundary node is joined to.
PATCH_JOIN_K = 2
_NO_STREET = frozenset({"motorway", "motorway_link", "ferry"})


def patch_area(H: nx.MultiDiGraph, *, buffer_m: float = 100.0) -> shapely.Geometry:
    """The area of an OSM graph: convex hull of its street nodes (not ferry-only nodes), buffered."""
    pts = [(d["x"], d["y"]) for n, d in H.nodes(data=True) if _is_street_node(H, n)]
    if len(pts) < 3:
        raise NetworkError(f"{H.graph.get('name', 'OSM patch')}: too few street nodes to make an area")
    return shapely.buffer(shapely.convex_hull(shapely.multipoints(np.asarray(pts))), buffer_m)


def _is_street_node(H: nx.MultiDiGraph, n) -> bool:
    for _, _, d in H.edges(n, data=True):
        hw = d.get("highway")
        hws = hw if isinstance(hw, list) else [hw]
        if not d.get("ferry") and not set(hws) <= _NO_STREET:
            return True
    return False


def apply_patch(G: nx.MultiDiGraph, H: nx.MultiDiGraph, *, land: shapely.Geometry, landcover: LandcoverGrid,
                params: LocalParameters, name: str = "osm", area: shapely.Geometry | None = None,
                copy: bool = True) -> nx.MultiDiGraph:
    """``G`` with the OSM graph ``H`` replacing the model inside ``H``'s area (see module docstring).

    Parameters
    ----------
    G
        A composed network (``layer`` on nodes: strategic / local / osm).
    H
        An OSM graph in the geoplan schema.
    land, landcover, params
        As for :func:`geoplan.network.compose.compose_network`.
    name
        Prefix of the patch's node ids (``"<name>:<osm id>"``).
    area
        The patch's polygon (EPSG:25832); default :func:`patch_area`.
    copy
        Work on a copy of ``G`` (default); False: change ``G`` in place (faster).

    Returns
    -------
    networkx.MultiDiGraph
        The patched graph.
    """
    land_ix = LandIndex.of(land)
    area = patch_area(H) if area is None else area
    shapely.prepare(area)
    if copy:
        G = G.copy()
    # ---- what goes: modelled nodes inside the area (but motorway nodes and ferry berths)
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype="float64")
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    keep_inside: list = []
    drop: set = set()
    for n, ins in zip(nodes, inside.tolist(), strict=True):
        if not ins or G.nodes[n].get("layer") == "osm":
            continue
        kinds = {d.get("highway") for _, _, d in G.edges(n, data=True)}
        ferry = any(d.get("ferry") for _, _, d in G.edges(n, data=True))
        if G.nodes[n].get("layer") == "strategic" and (ferry or "motorway" in kinds):
            keep_inside.append(n)
        else:
            drop.add(n)
    boundary = {v for n in drop for v in G.successors(n) if v not in drop}
    boundary |= {u for n in drop for u in G.predecessors(n) if u not in drop}
    G.remove_nodes_from(drop)
    # kept trunk nodes inside lose their non-motorway, non-ferry links to other kept nodes inside
    inner = set(keep_inside)
    G.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(inner, keys=True, data=True)
                         if v in inner and not d.get("ferry") and d.get("highway") != "motorway"])

    # ---- the OSM graph, renamed; ferries that duplicate strategic ones dropped
    H = nx.relabel_nodes(H, {n: f"{name}:{n}" for n in H.nodes}, copy=True)
    ferries = [(u, v) for u, v, d in G.edges(data=True) if d.get("ferry") and d.get("layer") == "strategic"]
    fxy = [(np.array([G.nodes[u]["x"], G.nodes[u]["y"]]), np.array([G.nodes[v]["x"], G.nodes[v]["y"]]))
           for u, v in ferries]
    dup = []
    for u, v, k, d in H.edges(keys=True, data=True):
        if not d.get("ferry"):
            continue
        a = np.array([H.nodes[u]["x"], H.nodes[u]["y"]])
        b = np.array([H.nodes[v]["x"], H.nodes[v]["y"]])
        for p, q in fxy:
            if (np.hypot(*(a - p)) < FERRY_MATCH_M and np.hypot(*(b - q)) < FERRY_MATCH_M) or (
                    np.hypot(*(a - q)) < FERRY_MATCH_M and np.hypot(*(b - p)) < FERRY_MATCH_M):
                dup.append((u, v, k))
                break
    H.remove_edges_from(dup)
    H.remove_nodes_from([n for n in list(H.nodes) if H.degree(n) == 0])
    if H.number_of_nodes() == 0:
        return G
    hnodes = list(H.nodes)
    hxy = np.array([(H.nodes[n]["x"], H.nodes[n]["y"]) for n in hnodes], dtype="float64")
    street = np.array([_is_street_node(H, n) for n in hnodes], dtype=bool)
    hpace = pace_at(landcover, hxy, params)
    for n, sp, st in zip(hnodes, (3.6 / hpace).tolist(), street.tolist(), strict=True):
        H.nodes[n]["access_kph"] = float(min(sp, params.access_speed_kph))
        H.nodes[n]["snap"] = bool(st)
        H.nodes[n]["layer"] = "osm"
    G.add_nodes_from(H.nodes(data=True))
    G.add_edges_from(H.edges(keys=True, data=True))

    # ---- joins: boundary nodes and kept trunk nodes → OSM streets; OSM ferry ends outside → model
    legs = []
    outer = sorted(boundary | inner, key=str)
    if outer and street.any():
        oxy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in outer], dtype="float64")
        s_idx = np.flatnonzero(street)
        radius = max(params.join_radius_m, 1.5 * params.spacing_m)
        for i, j, ln, t in _legs(oxy, hxy[s_idx], hpace[s_idx], land_ix, params, PATCH_JOIN_K, radius):
            legs.append((outer[i], hnodes[s_idx[j]], ln, t))
    ferry_ends = [k for k, n in enumerate(hnodes) if not street[k]
                  and not shapely.contains_xy(area, hxy[k, 0], hxy[k, 1])]
    model = [n for n, d in G.nodes(data=True) if d.get("layer") != "osm" and d.get("snap")]
    if ferry_ends and model:
        mxy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in model], dtype="float64")
        mpace = pace_at(landcover, mxy, params)
        for i, j, ln, t in _legs(hxy[ferry_ends], mxy, mpace, land_ix, params, 1, 2000.0):
            legs.append((hnodes[ferry_ends[i]], model[j], ln, t))
    edges = []
    for a, b, ln, t in legs:
        attrs = {"length": ln, "travel_time": t, "speed_kph": ln / t * 3.6, "highway": "local_join",
                 "layer": "local", "join": True, "patch": name}
        edges.append((a, b, attrs))
        edges.append((b, a, dict(attrs)))
    G.add_edges_from(edges)
    G.graph.setdefault("patches", []).append(name)
    return validate_graph(G, source=f"network with OSM patch {name}")


def _legs(a_xy, b_xy, b_pace, land: LandIndex, params: LocalParameters, k: int, radius: float):
    """(i, j, length, time) legs from points ``a`` to their ``k`` nearest ``b`` within ``radius``, on land."""
    tree = cKDTree(b_xy)
    kq = min(3 * k, len(b_xy))
    dist, idx = tree.query(a_xy, k=kq, distance_upper_bound=radius)
    dist, idx = np.asarray(dist).reshape(len(a_xy), -1), np.asarray(idx).reshape(len(a_xy), -1)
    out = []
    on_land = land.on_land(a_xy)
    for i in range(len(a_xy)):
        ok = np.isfinite(dist[i])
        js, ds = idx[i][ok], dist[i][ok]
        if not len(js):
            continue
        if on_land[i]:
            cross = land.crosses_coast(np.repeat(a_xy[i:i + 1], len(js), axis=0), b_xy[js])
            js, ds = js[~cross], ds[~cross]
        for j, d in list(zip(js.tolist(), ds.tolist(), strict=True))[:k]:
            ln = max(d * params.circuity, 1.0)
            out.append((i, j, ln, ln * float(b_pace[j])))
    return out


__all__ = ["FERRY_MATCH_M", "apply_patch", "patch_area"]
