"""The one graph schema shared by every network source.

A geoplan road graph is a ``networkx.MultiDiGraph`` (the osmnx convention) with

- graph attribute ``crs`` = ``"EPSG:25832"``;
- node attributes ``x``, ``y`` (float, metres in EPSG:25832);
- edge attributes ``length`` (float, metres), ``speed_kph`` (float, > 0) and
  ``travel_time`` (float, seconds; may exceed ``length / speed`` where a fixed
  delay applies, such as a ferry's crossing plus waiting time).

Optional edge attributes used downstream when present: ``highway`` (road class,
str), ``ref`` (route number), ``name``, ``ferry`` (bool), ``link_id``
(stable id of a hand-authored link, so that scenarios can cut it).

Two-way roads are two directed edges.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from geoplan.errors import NetworkError

GRAPH_CRS = "EPSG:25832"
REQUIRED_NODE_ATTRS = ("x", "y")
REQUIRED_EDGE_ATTRS = ("length", "speed_kph", "travel_time")


def add_travel_times(G: nx.MultiDiGraph, *, overwrite: bool = False) -> nx.MultiDiGraph:
    """Set ``travel_time = length / speed_kph`` (seconds) on edges that lack one.

    Parameters
    ----------
    G
        Graph with ``length`` and ``speed_kph`` on every edge.
    overwrite
        Recompute on every edge, also where ``travel_time`` is already set
        (that drops fixed delays such as ferry waiting times).

    Returns
    -------
    networkx.MultiDiGraph
        The same graph, modified in place.
    """
    for _, _, data in G.edges(data=True):
        if overwrite or "travel_time" not in data:
            data["travel_time"] = float(data["length"]) / (float(data["speed_kph"]) / 3.6)
    return G


def validate_graph(G: nx.MultiDiGraph, *, source: str = "graph", check_edges: bool = True) -> nx.MultiDiGraph:
    """Check that ``G`` follows the geoplan graph schema; raise :class:`NetworkError` if not.

    Parameters
    ----------
    G
        The graph to check.
    source
        A name for the graph's origin, used in error messages.
    check_edges
        Also check every edge (the caller may check them in its own pass).

    Returns
    -------
    networkx.MultiDiGraph
        ``G`` itself, so the call can be chained.
    """
    if not isinstance(G, nx.MultiDiGraph):
        raise NetworkError(f"{source}: expected a networkx.MultiDiGraph, got {type(G).__name__}")
    crs = str(G.graph.get("crs", ""))
    if crs.upper() not in (GRAPH_CRS, "EPSG:25832".lower().upper()):
        raise NetworkError(
            f"{source}: graph crs is {crs!r}; project it to {GRAPH_CRS} "
            "(osmnx.projection.project_graph(G, to_crs='EPSG:25832'))"
        )
    if G.number_of_nodes() == 0:
        raise NetworkError(f"{source}: the graph has no nodes")
    # fast path: all values numeric and valid (vectorised); else find the first bad one for the message
    try:
        nodes = np.array([[d["x"], d["y"]] for _, d in G.nodes(data=True)], dtype="float64")
        nodes_ok = bool(np.isfinite(nodes).all())
    except (KeyError, TypeError, ValueError):
        nodes_ok = False
    if not nodes_ok:
        for n, data in G.nodes(data=True):
            for key in REQUIRED_NODE_ATTRS:
                v = data.get(key)
                try:
                    good = v is not None and math.isfinite(float(v))
                except (TypeError, ValueError):
                    good = False
                if not good:
                    raise NetworkError(f"{source}: node {n!r} has no finite {key!r}")
    if not check_edges:
        return G
    try:
        vals = np.array([(d["length"], d["speed_kph"], d["travel_time"])
                         for _, nbrs in G.adjacency() for kd in nbrs.values() for d in kd.values()],
                        dtype="float64").reshape(-1, 3)
        edges_ok = bool(np.isfinite(vals).all() and (vals >= 0).all() and (vals[:, 1] > 0).all())
    except (KeyError, TypeError, ValueError):
        edges_ok = False
    if edges_ok:
        return G
    for u, v, k, data in G.edges(keys=True, data=True):
        for key in REQUIRED_EDGE_ATTRS:
            val = data.get(key)
            try:
                ok = val is not None and math.isfinite(float(val)) and float(val) >= 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise NetworkError(
                    f"{source}: edge ({u!r}, {v!r}, {k}) has no valid {key!r} (got {val!r})"
                )
        if float(data["speed_kph"]) <= 0:
            raise NetworkError(f"{source}: edge ({u!r}, {v!r}, {k}) has speed_kph <= 0")
    return G
