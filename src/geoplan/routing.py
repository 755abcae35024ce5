"""Snapping points to a road graph and many-to-many travel times.

The graph (geoplan schema, see :mod:`geoplan.network.schema`) is compiled once
into a :class:`CompiledGraph`: a CSR sparse matrix of edge travel times
(seconds; the fastest of parallel edges) on which
:func:`scipy.sparse.csgraph.dijkstra` runs in C, a batch of sources at a time,
with an optional time cutoff. No Python loop over networkx.

Access legs
-----------
A point (a cell centre, a facility, a town) is not on the network. It enters
the network at one of its ``k`` nearest *snappable* nodes on the same landmass
(island) by an *access leg*: straight-line distance × circuity driven at the
entry node's ``access_kph`` (the local-road model of
:mod:`geoplan.network.compose` gives every grid node the local speed there, so
legs are at most a few hundred metres of local road). The route takes
whichever entry node gives the shortest total time (access + network +
egress). A node is snappable unless its ``snap`` attribute is False (the
composed network lets points snap to the local grid only; motorway junctions
never) or every edge at it is a motorway, motorway link or ferry (OSM). The
circuity and a default speed come from the graph attribute ``access``
(fallback 1.3 × straight line at 40 km/h); :class:`AccessModel` can override
them. Points whose landmass has no node (a tiny islet) use the nearest node
anywhere.

Direct legs
-----------
Two points close together (``direct_max_m`` of the graph's ``access``, 1.5 km
for the composed network) may also go straight to each other by a local leg
that stays on land: a point and itself are 0 min apart, points 50 m apart a
few seconds. A pair's time is the smaller of its route and its direct leg.

Speed
-----
Large calls (see the ``*_MIN_WORK`` constants) are made faster without
changing any result: the graph is reduced exactly to what paths between the
entry nodes need (dead-end trees and degree-2 chains go, :func:`_reduced`);
target points are read off the Dijkstra times of their entry nodes instead
of being nodes of the graph; batches run in :func:`routing_workers` forked
processes (``GEOPLAN_WORKERS``; only from a single-threaded POSIX process);
and the matrix is cached as ``.npz`` in ``cache_dir()/matrices``, keyed by a
hash of the graph, the entry nodes and access legs and the options
(``GEOPLAN_MATRIX_CACHE=0`` switches the cache off). For a cluster, see
:mod:`geoplan.distributed`.

Limits
------
No turn penalties, traffic or time-of-day effects; access and direct legs
ignore the local street pattern. Travel times are symmetric only when the graph is.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geoplan.errors import InputError, PointOutsideNetworkError
from geoplan.network.schema import validate_graph
from geoplan.progress import task


@dataclass(frozen=True)
class AccessModel:
    """How a point reaches the network.

    Attributes
    ----------
    speed_kph
        Speed on the access leg. ``None`` (default): the local speed of the
        entry node (its ``access_kph`` attribute, set by the local-road model
        of :mod:`geoplan.network.compose`), else the graph's ``access``
        default, else :data:`DEFAULT_ACCESS_KPH`.
    circuity
        Road distance / straight-line distance on the access leg. ``None``:
        the graph's ``access`` default, else :data:`DEFAULT_ACCESS_CIRCUITY`.
    k
        Number of candidate entry nodes per point.
    max_snap_m
        A point farther than this from every node raises
        :class:`PointOutsideNetworkError`.
    direct_max_m
        Origin–destination pairs at most this far apart (straight line, same
        landmass, no coast between) may also go by a direct local leg
        (straight × circuity at the mean local speed of the two ends), so that
        a point and itself are 0 min apart and near neighbours seconds apart.
        ``None``: the graph's ``access`` default (0 = off when it has none).
    speed_scale
        Every access and direct leg is driven this many times faster (blue
        lights, see :mod:`geoplan.prehospital`).
    """

    speed_kph: float | None = None
    circuity: float | None = None
    k: int = 4
    max_snap_m: float = 15_000.0
    direct_max_m: float | None = None
    speed_scale: float = 1.0

    def scaled(self, factor: float) -> AccessModel:
        """The same model with every leg driven ``factor`` times faster."""
        from dataclasses import replace

        return replace(self, speed_scale=self.speed_scale * float(factor))

    def minutes(self, metres: np.ndarray) -> np.ndarray:
        """Minutes for straight-line ``metres`` at this model's own speed and circuity (or the defaults)."""
        speed = (self.speed_kph or DEFAULT_ACCESS_KPH) * self.speed_scale
        return np.asarray(metres) * (self.circuity or DEFAULT_ACCESS_CIRCUITY) / (speed / 3.6) / 60.0

    def km(self, metres: np.ndarray) -> np.ndarray:
        return np.asarray(metres) * (self.circuity or DEFAULT_ACCESS_CIRCUITY) / 1000.0


#: Access-leg speed (km/h) and circuity when neither the model nor the graph gives one.
DEFAULT_ACCESS_KPH = 40.0
DEFAULT_ACCESS_CIRCUITY = 1.3


@dataclass
class CompiledGraph:
    """A road graph compiled for fast shortest paths.

    Attributes
    ----------
    node_ids
        Original node ids, in matrix order.
    xy
        Node coordinates (n × 2, EPSG:25832).
    time
        CSR matrix of travel times (s), fastest parallel edge.
    length
        CSR matrix of lengths (m) of the same edges (for km along routes).
    landmass
        Landmass label per node (-1 = unknown), see :meth:`with_landmasses`.
    """

    node_ids: np.ndarray
    xy: np.ndarray
    time: sp.csr_matrix
    length: sp.csr_matrix
    landmass: np.ndarray
    fingerprint: str
    snappable: np.ndarray | None = None
    access_kph: np.ndarray | None = None
    access_defaults: dict = field(default_factory=dict)
    ferry: np.ndarray | None = None  # per entry of ``time.data``: the edge is a ferry
    _tree: cKDTree | None = field(default=None, repr=False)
    _land_parts: list | None = field(default=None, repr=False)
    _land_index: object | None = field(default=None, repr=False)

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph, *, weight: str = "travel_time") -> CompiledGraph:
        """Compile a geoplan graph (validated first).

        Node attributes ``snap`` (bool) and ``access_kph`` (local speed for
        access legs) and the graph attribute ``access`` (``circuity``,
        ``speed_kph``, ``direct_max_m``: how points attach) are read where present.
        """
        validate_graph(G, check_edges=False)
        node_ids = np.array(list(G.nodes), dtype=object)
        index = {n: i for i, n in enumerate(node_ids)}
        xy = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)], dtype="float64").reshape(-1, 2)
        try:  # one pass over the adjacency: the edges and the schema check of their values
            e = np.array([(index[u], index[v], d[weight], d["length"], d["speed_kph"], _is_ferry(d))
                          for u, nbrs in G.adjacency() for v, kd in nbrs.items() if u != v for d in kd.values()],
                         dtype="float64").reshape(-1, 6)
            good = bool(np.isfinite(e).all() and (e[:, 2:5] >= 0).all() and (e[:, 4] > 0).all())
        except (KeyError, TypeError, ValueError):
            good = False
        if not good:
            validate_graph(G)  # raises, naming the bad edge
            e = np.array([(index[u], index[v], d[weight], d["length"], 1.0, _is_ferry(d))
                          for u, v, d in G.edges(data=True) if u != v], dtype="float64").reshape(-1, 6)
        fy_a = e[:, 5] > 0
        rows_a, cols_a = e[:, 0].astype(np.int64), e[:, 1].astype(np.int64)
        w_a, ln_a = e[:, 2].copy(), e[:, 3].copy()
        # keep the fastest of parallel edges: sort by (row, col, time) and take the first
        order = np.lexsort((w_a, cols_a, rows_a))
        rows_a, cols_a, w_a, ln_a, fy_a = rows_a[order], cols_a[order], w_a[order], ln_a[order], fy_a[order]
        first = np.ones(len(rows_a), dtype=bool)
        first[1:] = (rows_a[1:] != rows_a[:-1]) | (cols_a[1:] != cols_a[:-1])
        rows_a, cols_a, w_a, ln_a, fy_a = rows_a[first], cols_a[first], w_a[first], ln_a[first], fy_a[first]
        # csgraph treats explicit zeros as missing edges: use a tiny positive time instead
        w_a = np.maximum(w_a, 1e-6)
        n = len(node_ids)
        time = sp.csr_matrix((w_a, (rows_a, cols_a)), shape=(n, n))
        length = sp.csr_matrix((np.maximum(ln_a, 1e-6), (rows_a, cols_a)), shape=(n, n))
        # (row, col) pairs are unique and sorted: the CSR data keep this order
        ferry = fy_a if np.array_equal(time.indices, cols_a) else None
        snappable = _snappable_nodes(G, node_ids)
        if not snappable.any():
            snappable[:] = True
        kph = np.array([d.get("access_kph", np.nan) for _, d in G.nodes(data=True)], dtype="float64")
        defaults = {k: float(v) for k, v in dict(G.graph.get("access") or {}).items()
                    if k in ("circuity", "speed_kph", "direct_max_m")}
        kph_or_none = kph if np.isfinite(kph).any() else None
        fp = _fingerprint(xy, time, snappable, kph_or_none, defaults, n)
        return cls(node_ids, xy, time, length, np.full(n, -1, dtype=np.int64), fp, snappable,
                   kph_or_none, defaults, ferry)

    def without_edges(self, G_cut: nx.MultiDiGraph, edges) -> CompiledGraph:
        """This graph compiled with the edges ``(u, v, key)`` removed, without recompiling.

        ``G_cut`` is the graph this one was compiled from with those edges removed (e.g. the
        read-only view of :func:`geoplan.network.cuts.cut_crossings`): only the node pairs of
        the removed edges are looked up in it (a remaining parallel edge takes over, else the
        CSR entry goes). The result equals ``CompiledGraph.from_graph(G_cut)`` (same arrays,
        same fingerprint) at a fraction of the cost; landmasses carry over.
        """
        index = {n: i for i, n in enumerate(self.node_ids)}
        time, length = self.time.copy(), self.length.copy()
        ferry = None if self.ferry is None else self.ferry.copy()
        drop = np.zeros(len(time.data), dtype=bool)
        ends: set[object] = set()
        for u, v in sorted({(u, v) for u, v, *_ in edges if u != v}, key=lambda p: (index[p[0]], index[p[1]])):
            r, c = index[u], index[v]
            lo, hi = time.indptr[r], time.indptr[r + 1]
            pos = lo + int(np.searchsorted(time.indices[lo:hi], c))
            if pos >= hi or time.indices[pos] != c:
                continue
            ends.update((u, v))
            rest = list(G_cut[u][v].values()) if G_cut.has_edge(u, v) else []
            if not rest:
                drop[pos] = True
                continue
            best = min(rest, key=lambda d: float(d["travel_time"]))  # first of equal times, as from_graph
            time.data[pos] = max(float(best["travel_time"]), 1e-6)
            length.data[pos] = max(float(best["length"]), 1e-6)
            if ferry is not None:
                ferry[pos] = _is_ferry(best)
        if drop.any():
            keep = ~drop
            rows = np.repeat(np.arange(time.shape[0]), np.diff(time.indptr))[keep]
            indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=time.shape[0]))].astype(time.indptr.dtype)
            time = sp.csr_matrix((time.data[keep], time.indices[keep], indptr), shape=time.shape)
            length = sp.csr_matrix((length.data[keep], length.indices[keep], indptr), shape=length.shape)
            ferry = None if ferry is None else ferry[keep]
        snappable = None if self.snappable is None else self.snappable.copy()
        if snappable is not None:
            for n in ends:  # a node without a ``snap`` attribute is snappable by its edges
                if G_cut.nodes[n].get("snap") is None:
                    snappable[index[n]] = _snappable(G_cut, n)
            if not snappable.any():
                snappable[:] = True
        fp = _fingerprint(self.xy, time, snappable, self.access_kph, self.access_defaults, len(self.node_ids))
        return CompiledGraph(self.node_ids, self.xy, time, length, self.landmass.copy(), fp, snappable,
                             self.access_kph, dict(self.access_defaults), ferry, _land_parts=self._land_parts,
                             _land_index=self._land_index)

    def with_road_factor(self, factor: float) -> CompiledGraph:
        """A copy whose road edges are ``factor`` times faster; ferries keep their time.

        The same as compiling a graph with every non-ferry ``travel_time``
        divided by ``factor`` (blue lights; see :mod:`geoplan.prehospital`),
        without copying the networkx graph. Landmasses carry over.
        """
        if factor <= 0:
            raise ValueError("factor must be positive")
        if self.ferry is None:
            raise ValueError("this compiled graph does not know its ferry edges")
        time = self.time.copy()
        time.data = np.where(self.ferry, time.data, np.maximum(time.data / factor, 1e-6))
        h = hashlib.sha256(self.fingerprint.encode())
        h.update(f"road-factor:{factor!r}".encode())
        return CompiledGraph(self.node_ids, self.xy, time, self.length, self.landmass.copy(), h.hexdigest(),
                             self.snappable, self.access_kph, dict(self.access_defaults), self.ferry,
                             _tree=self._tree, _land_parts=self._land_parts, _land_index=self._land_index)

    # ----------------------------------------------------------------- land
    def with_landmasses(self, land: shapely.Geometry | None) -> CompiledGraph:
        """Label each node with the land polygon (island) it stands on.

        Points then snap only to nodes of their own landmass, so an access leg
        never crosses a fjord or the sea. ``None`` switches this off.
        """
        if land is None:
            self.landmass[:] = -1
            self._land_parts = None
            self._land_index = None
            return self
        from geoplan.network.local import LandIndex

        self._land_index = LandIndex.of(land)
        parts = self._land_index.parts
        self._land_parts = parts
        self.landmass[:] = _landmass_of(parts, self.xy)
        return self

    def landmass_of(self, xy: np.ndarray) -> np.ndarray:
        if self._land_parts is None:
            return np.full(len(xy), -1, dtype=np.int64)
        return _landmass_of(self._land_parts, xy)

    @property
    def snap_nodes(self) -> np.ndarray:
        """Indices of the nodes points may attach to."""
        if self.snappable is None:
            return np.arange(len(self.xy))
        return np.flatnonzero(self.snappable)

    @property
    def tree(self) -> cKDTree:
        """KD-tree over the snappable nodes (indices into :attr:`snap_nodes`)."""
        if self._tree is None:
            self._tree = cKDTree(self.xy[self.snap_nodes])
        return self._tree

    # ------------------------------------------------------------- snapping
    def snap(self, xy: np.ndarray, *, access: AccessModel, names=None, file=None) -> Snap:
        """Entry nodes and access times for points.

        Parameters
        ----------
        xy
            Points (m × 2, EPSG:25832).
        access
            The access-leg model.
        names
            Labels of the points, for error messages.
        file
            The file the points came from, for error messages.

        Returns
        -------
        Snap
            ``nodes`` (m × k node indices, -1 = none) and ``minutes``/``km``
            (m × k access legs, inf where none).

        Raises
        ------
        PointOutsideNetworkError
            A point farther than ``access.max_snap_m`` from every node.
        """
        xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
        m = len(xy)
        candidates = self.snap_nodes
        k_query = min(len(candidates), max(access.k * 4, 16))
        dist, idx = self.tree.query(xy, k=k_query)
        dist = np.asarray(dist).reshape(m, -1)
        idx = candidates[np.asarray(idx).reshape(m, -1)]
        nearest = dist[:, 0]
        far = nearest > access.max_snap_m
        if far.any():
            i = int(np.flatnonzero(far)[0])
            label = names[i] if names is not None else f"point {i}"
            raise PointOutsideNetworkError(
                file,
                f"{label!s} lies {nearest[i] / 1000:.1f} km from the nearest road-network node "
                f"(more than {access.max_snap_m / 1000:.0f} km): it is outside the network's area",
                "check lon/lat (WGS84, lon first) and that the point lies in the region",
            )
        point_land = self.landmass_of(xy)
        same = (self.landmass[idx] == point_land[:, None]) | (point_land[:, None] < 0)
        # islets without a node of their own: fall back to any node
        none_same = ~same.any(axis=1)
        same[none_same] = True
        # pick the first k candidates that are on the same landmass
        order = np.argsort(~same, axis=1, kind="stable")[:, : access.k]
        nodes = np.take_along_axis(idx, order, axis=1)
        d = np.take_along_axis(dist, order, axis=1)
        ok = np.take_along_axis(same, order, axis=1)
        nodes = np.where(ok, nodes, -1)
        d = np.where(ok, d, np.inf)
        kph = self.leg_kph(nodes, access)
        circuity = self.leg_circuity(access)
        minutes = d * circuity / (kph / 3.6) / 60.0
        return Snap(nodes=nodes, minutes=minutes, km=d * circuity / 1000.0, metres=d, kph=kph[:, 0])

    # --------------------------------------------------------- leg speeds
    def leg_circuity(self, access: AccessModel) -> float:
        """Circuity of access and direct legs: the model's, else the graph's, else the default."""
        return float(access.circuity or self.access_defaults.get("circuity") or DEFAULT_ACCESS_CIRCUITY)

    def leg_kph(self, nodes: np.ndarray, access: AccessModel) -> np.ndarray:
        """Access-leg speed (km/h, scaled) for legs to ``nodes`` (-1 = none)."""
        base = float(access.speed_kph or self.access_defaults.get("speed_kph") or DEFAULT_ACCESS_KPH)
        kph = np.full(nodes.shape, base, dtype="float64")
        if access.speed_kph is None and self.access_kph is not None:
            node_kph = self.access_kph[np.maximum(nodes, 0)]
            kph = np.where((nodes >= 0) & np.isfinite(node_kph), node_kph, kph)
        return kph * access.speed_scale

    def direct_max_m(self, access: AccessModel) -> float:
        v = access.direct_max_m if access.direct_max_m is not None else self.access_defaults.get("direct_max_m", 0.0)
        return max(0.0, float(v or 0.0))

    def direct_legs(self, a_xy: np.ndarray, b_xy: np.ndarray, a_kph: np.ndarray, b_kph: np.ndarray, *,
                    access: AccessModel):
        """Direct local legs between points of two sets at most :meth:`direct_max_m` apart.

        A pair qualifies when both points are on the same landmass and the
        straight line between them does not touch the coast (so never across
        a fjord or the sea). Time = straight × circuity at the mean pace of
        the two ends' local speeds.

        Returns
        -------
        (i, j, seconds, metres)
            Arrays over the qualifying pairs (``i`` into ``a_xy``, ``j`` into ``b_xy``).
        """
        dmax = self.direct_max_m(access)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        if dmax <= 0 or len(a_xy) == 0 or len(b_xy) == 0:
            return empty
        pairs = cKDTree(a_xy).query_ball_tree(cKDTree(b_xy), dmax)
        i = np.repeat(np.arange(len(a_xy)), [len(p) for p in pairs]).astype(np.int64)
        j = np.fromiter((x for p in pairs for x in p), dtype=np.int64, count=len(i))
        if len(i) == 0:
            return empty
        d = np.hypot(*(a_xy[i] - b_xy[j]).T)
        ok = np.ones(len(i), dtype=bool)
        if self._land_parts is not None:
            la, lb = self.landmass_of(a_xy), self.landmass_of(b_xy)
            ok &= la[i] == lb[j]
            moving = ok & (d > 0)
            if moving.any() and self._land_index is not None:
                cross = self._land_index.crosses_coast(a_xy[i[moving]], b_xy[j[moving]])  # type: ignore[attr-defined]
                ok[np.flatnonzero(moving)[cross]] = False
        i, j, d = i[ok], j[ok], d[ok]
        metres = d * self.leg_circuity(access)
        pace = (3.6 / a_kph[i] + 3.6 / b_kph[j]) / 2.0  # s/m, kph already scaled
        return i, j, metres * pace, metres


@dataclass(frozen=True)
class Snap:
    """Entry nodes of points (see :meth:`CompiledGraph.snap`)."""

    nodes: np.ndarray
    minutes: np.ndarray
    km: np.ndarray
    metres: np.ndarray
    kph: np.ndarray | None = None  # leg speed of each point's nearest entry (for direct legs)


NO_SNAP_HIGHWAYS = frozenset({"motorway", "motorway_link", "ferry"})


def _fingerprint(xy: np.ndarray, time: sp.csr_matrix, snappable: np.ndarray | None, kph: np.ndarray | None,
                 defaults: dict, n: int) -> str:
    """Content hash of a compiled graph: coordinates, edges and times (to 1 ms), snapping and access."""
    h = hashlib.sha256()
    h.update(xy.tobytes())
    h.update(np.repeat(np.arange(n, dtype=np.int64), np.diff(time.indptr)).tobytes())
    h.update(time.indices.astype(np.int64).tobytes())
    h.update(np.round(time.data, 3).tobytes())
    h.update(b"" if snappable is None else snappable.tobytes())
    h.update(np.nan_to_num(np.full(n, np.nan) if kph is None else kph, nan=-1.0).tobytes())
    h.update(repr(sorted(defaults.items())).encode())
    return h.hexdigest()


def _is_ferry(d: dict) -> bool:
    """As :func:`geoplan.prehospital.is_ferry_edge`: ``ferry`` true, or highway/route ``ferry``."""
    f = d.get("ferry")
    if isinstance(f, str):
        f = f.strip().lower() in ("1", "true", "yes")
    return bool(f) or d.get("highway") == "ferry" or d.get("route") == "ferry"


def _snappable_nodes(G: nx.MultiDiGraph, node_ids: np.ndarray) -> np.ndarray:
    """Per node: its ``snap`` attribute, else whether any edge at it is not motorway/ferry."""
    flags = [d.get("snap") for _, d in G.nodes(data=True)]
    out = np.array([bool(f) if f is not None else False for f in flags], dtype=bool)
    unknown = [i for i, f in enumerate(flags) if f is None]
    for i in unknown:
        out[i] = _snappable(G, node_ids[i])
    return out


def _snappable(G: nx.MultiDiGraph, n) -> bool:
    flag = G.nodes[n].get("snap")
    if flag is not None:
        return bool(flag)
    kinds = set()
    for _, _, d in G.edges(n, data=True):
        hw = d.get("highway")
        kinds.update(hw if isinstance(hw, list) else [hw])
        if d.get("ferry") or d.get("route") == "ferry":
            kinds.add("ferry")
    return not kinds or not kinds <= NO_SNAP_HIGHWAYS


def _landmass_of(parts: list, xy: np.ndarray) -> np.ndarray:
    from geoplan.network.local import landmass_labels

    return landmass_labels(parts, xy, max_distance=3000.0)


@dataclass
class TravelTimeMatrix:
    """Travel times between two sets of points.

    Attributes
    ----------
    origins, destinations
        Ids of rows and columns (``pandas.Index``).
    minutes
        float32 array (origins × destinations); ``inf`` = unreachable or
        beyond the cutoff.
    km
        Route lengths (float32) or ``None`` when not computed.
    """

    origins: pd.Index
    destinations: pd.Index
    minutes: np.ndarray
    km: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.minutes.shape

    def nearest(self) -> pd.DataFrame:
        """For each origin, the nearest destination and its time.

        Returns
        -------
        pandas.DataFrame
            Indexed by origin: ``nearest`` (destination id, ``None`` where none
            is reachable) and ``minutes`` (inf where none). Ties go to the
            first destination in column order.
        """
        if self.minutes.shape[1] == 0:
            return pd.DataFrame({"nearest": [None] * len(self.origins), "minutes": np.inf},
                                index=self.origins)
        j = np.argmin(self.minutes, axis=1)
        t = self.minutes[np.arange(len(j)), j].astype("float64")
        ids = np.asarray(self.destinations, dtype=object)[j]
        ids = np.where(np.isfinite(t), ids, None)
        return pd.DataFrame({"nearest": ids, "minutes": t}, index=self.origins)

    def subset(self, *, destinations=None, origins=None) -> TravelTimeMatrix:
        """The matrix restricted to some destinations and/or origins (in the given order)."""
        ri = np.arange(len(self.origins)) if origins is None else self.origins.get_indexer(origins)
        ci = np.arange(len(self.destinations)) if destinations is None else self.destinations.get_indexer(destinations)
        if (ri < 0).any() or (ci < 0).any():
            raise KeyError("unknown origin or destination id in subset")
        km = None if self.km is None else self.km[np.ix_(ri, ci)]
        return TravelTimeMatrix(self.origins[ri], self.destinations[ci], self.minutes[np.ix_(ri, ci)], km)

    def to_frame(self, *, max_minutes: float | None = None) -> pd.DataFrame:
        """Long table ``origin, destination, minutes[, km]`` of reachable pairs, sorted."""
        mask = np.isfinite(self.minutes)
        if max_minutes is not None:
            mask &= self.minutes <= max_minutes
        r, c = np.nonzero(mask)
        df = pd.DataFrame({"origin": np.asarray(self.origins)[r], "destination": np.asarray(self.destinations)[c],
                           "minutes": self.minutes[r, c]})
        if self.km is not None:
            df["km"] = self.km[r, c]
        return df

    def save(self, path: Path) -> Path:
        """Save as ``.npz`` (atomic)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez_compressed(tmp, origins=np.asarray(self.origins, dtype=str),
                            destinations=np.asarray(self.destinations, dtype=str), minutes=self.minutes,
                            km=self.km if self.km is not None else np.zeros((0, 0), dtype=np.float32))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> TravelTimeMatrix:
        with np.load(path, allow_pickle=False) as z:
            km = z["km"] if z["km"].size else None
            return cls(pd.Index(z["origins"]), pd.Index(z["destinations"]), z["minutes"], km)


def node_to_node_seconds(
    cg: CompiledGraph,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    limit_s: float = np.inf,
    reverse: bool = False,
    batch_size: int = 64,
    with_length: bool = False,
    description: str = "Shortest paths",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Shortest travel times (s) from source nodes to target nodes.

    Parameters
    ----------
    cg
        The compiled graph.
    sources, targets
        Node indices.
    limit_s
        Dijkstra stops at this time (seconds); farther targets are ``inf``.
    reverse
        Run on the transposed graph: times *from targets to sources* (useful
        when there are fewer targets than sources), still returned as
        ``sources × targets``.
    batch_size
        Sources per Dijkstra call (bounds memory: batch × nodes float64).
    with_length
        Also return the length (m) of each fastest path (via the shortest-path
        tree; costs one extra pass per batch).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray | None)
        float64 seconds and (optionally) metres, shape ``len(sources) × len(targets)``.
    """
    A = cg.time.T.tocsr() if reverse else cg.time
    L = (cg.length.T.tocsr() if reverse else cg.length) if with_length else None
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    return _run_batches(A, L, sources, targets, limit_s=limit_s, batch_size=batch_size,
                        with_length=with_length, description=description)


def _tree_lengths(L: sp.csr_matrix, pred: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Path lengths along shortest-path trees (pointer jumping, vectorised).

    ``pred`` and ``dist`` are (b × n) from :func:`scipy.sparse.csgraph.dijkstra`;
    returns the (b × n) length (m) of the tree path from each source to each
    node (0 at the source, inf where unreached).
    """
    b, n = pred.shape
    p = pred.ravel()
    has = p >= 0
    v = np.tile(np.arange(n), b)
    acc = np.zeros(b * n)
    acc[has] = np.asarray(L[p[has], v[has]]).ravel()
    rows = np.repeat(np.arange(b), n)
    anc = np.where(has, rows * n + p, -1)
    while (anc >= 0).any():
        live = anc >= 0
        acc[live] += acc[anc[live]]
        nxt = np.full_like(anc, -1)
        nxt[live] = anc[anc[live]]
        anc = nxt
    acc = acc.reshape(b, n)
    acc[~np.isfinite(dist)] = np.inf
    return acc


def travel_time_matrix(
    cg: CompiledGraph,
    *,
    origins_xy: np.ndarray,
    destinations_xy: np.ndarray,
    origin_ids=None,
    destination_ids=None,
    access: AccessModel | None = None,
    max_minutes: float | None = None,
    with_km: bool = False,
    batch_size: int = 64,
    origins_file=None,
    destinations_file=None,
    description: str = "Travel times",
) -> TravelTimeMatrix:
    """Door-to-door travel times (minutes) from every origin to every destination.

    Time = access leg + network time + egress leg, minimised over the ``k``
    entry nodes at each end. This is exact and costs one Dijkstra per point of
    the smaller side, whatever ``k``: each point becomes a virtual node of an
    augmented graph, joined to its entry nodes by edges weighted with the
    access times (origins: outgoing edges; destinations: incoming edges).
    Dijkstra runs from the smaller side's virtual nodes (on the transposed
    graph when that is the destinations), with a cutoff of ``max_minutes``.

    Parameters
    ----------
    cg
        Compiled graph (call :meth:`CompiledGraph.with_landmasses` first to
        keep access legs on their island).
    origins_xy, destinations_xy
        Coordinates (EPSG:25832), shape (m × 2).
    origin_ids, destination_ids
        Labels; default ``0..m-1``.
    access
        Access-leg model (default :class:`AccessModel`).
    max_minutes
        Times above this are ``inf`` (faster: Dijkstra stops early).
    with_km
        Also compute route lengths (km), including access legs.
    batch_size
        Sources per Dijkstra call.

    Returns
    -------
    TravelTimeMatrix
    """
    plan = _plan_matrix(cg, origins_xy=origins_xy, destinations_xy=destinations_xy, origin_ids=origin_ids,
                        destination_ids=destination_ids, access=access, max_minutes=max_minutes,
                        with_km=with_km, origins_file=origins_file, destinations_file=destinations_file)
    cached = _cache_load(plan)
    if cached is not None:
        return cached
    sec, met = _run_batches(plan.A, plan.L, plan.sources, plan.targets, limit_s=plan.limit_s,
                            batch_size=batch_size, with_length=with_km, description=description)
    minutes, km = _to_minutes(sec, met)
    result = plan.matrix(minutes, km)
    _cache_save(plan, result)
    return result


@dataclass
class _MatrixPlan:
    """What one travel-time matrix needs: the augmented graph and the Dijkstra sources/targets.

    Dijkstra runs from ``sources`` to ``targets`` on ``A`` (and ``L`` for
    lengths); when ``transposed``, ``A`` is the transposed graph, the sources
    are the destinations' virtual nodes, and results are transposed back.
    """

    A: sp.csr_matrix
    L: sp.csr_matrix | None
    sources: np.ndarray
    targets: _Targets
    transposed: bool
    limit_s: float
    origins: pd.Index
    destinations: pd.Index
    key: str

    def matrix(self, minutes: np.ndarray, km: np.ndarray | None) -> TravelTimeMatrix:
        """The :class:`TravelTimeMatrix` from (sources × targets) results in float32."""
        if self.transposed:
            minutes = minutes.T
            km = km.T if km is not None else None
        km = np.ascontiguousarray(km) if km is not None else None
        return TravelTimeMatrix(self.origins, self.destinations, np.ascontiguousarray(minutes), km)


def _plan_matrix(cg: CompiledGraph, *, origins_xy, destinations_xy, origin_ids=None, destination_ids=None,
                 access: AccessModel | None = None, max_minutes: float | None = None, with_km: bool = False,
                 origins_file=None, destinations_file=None) -> _MatrixPlan:
    """Snap both sides, build the augmented graph and choose the direction (see :func:`travel_time_matrix`)."""
    access = access or AccessModel()
    origins_xy = np.asarray(origins_xy, dtype="float64").reshape(-1, 2)
    destinations_xy = np.asarray(destinations_xy, dtype="float64").reshape(-1, 2)
    oid = pd.Index(origin_ids if origin_ids is not None else range(len(origins_xy)))
    did = pd.Index(destination_ids if destination_ids is not None else range(len(destinations_xy)))
    so = cg.snap(origins_xy, access=access, names=list(oid), file=origins_file)
    sd = cg.snap(destinations_xy, access=access, names=list(did), file=destinations_file)
    limit_s = np.inf if max_minutes is None else max_minutes * 60.0
    transposed = len(oid) > len(did)
    assert so.kph is not None and sd.kph is not None  # set by CompiledGraph.snap
    direct = cg.direct_legs(origins_xy, destinations_xy, so.kph, sd.kph, access=access)
    A, L, sources, targets = _augmented(cg, so, sd, with_km=with_km, transposed=transposed, direct=direct)
    # the cache key: everything the result depends on (graph arrays, entry nodes and access legs, options)
    h = hashlib.sha256(b"ttm-v3")
    for arr in (A.indptr, A.indices, A.data, sources, targets.nodes, targets.sec, targets.direct_src,
                targets.direct_tgt, targets.direct_sec, np.array([limit_s, float(transposed)])):
        h.update(np.ascontiguousarray(arr).tobytes())
    if L is not None:
        h.update(np.ascontiguousarray(L.data).tobytes())
        h.update(np.ascontiguousarray(targets.metres).tobytes())
        h.update(np.ascontiguousarray(targets.direct_metres).tobytes())
    return _MatrixPlan(A, L, sources, targets, transposed, limit_s, oid, did, h.hexdigest())


def _to_minutes(sec: np.ndarray, met: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """float64 seconds / metres → float32 minutes / km (elementwise, so any chunking gives the same)."""
    # round to the millisecond: drops the 1e-6 s placeholders of zero-length access legs
    minutes = (np.round(sec, 3) / 60.0).astype(np.float32)
    km = None
    if met is not None:
        km = (np.round(met, 1) / 1000.0).astype(np.float32)
        km[~np.isfinite(minutes)] = np.inf
    return minutes, km


# --------------------------------------------------------------------------- matrix cache
#: Matrices whose Dijkstra work (sources × graph nodes) is at least this are cached on disk.
CACHE_MIN_WORK = 20_000_000


def _cache_enabled() -> bool:
    return os.environ.get("GEOPLAN_MATRIX_CACHE", "1").lower() not in ("0", "false", "no", "off")


def _cache_path(plan: _MatrixPlan) -> Path | None:
    if not _cache_enabled() or len(plan.sources) * plan.A.shape[0] < CACHE_MIN_WORK:
        return None
    from geoplan.datadir import cache_dir

    return cache_dir() / "matrices" / f"{plan.key[:40]}.npz"


def _cache_load(plan: _MatrixPlan) -> TravelTimeMatrix | None:
    path = _cache_path(plan)
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != plan.key:
                return None
            minutes = z["minutes"]
            km = z["km"] if z["km"].size else None
    except (OSError, ValueError, KeyError):
        return None
    if minutes.shape != (len(plan.sources), len(plan.targets)):
        return None
    return plan.matrix(minutes, km)


def _cache_save(plan: _MatrixPlan, m: TravelTimeMatrix) -> None:
    path = _cache_path(plan)
    if path is None:
        return
    minutes = m.minutes.T if plan.transposed else m.minutes
    km = m.km if m.km is not None else np.zeros((0, 0), dtype=np.float32)
    km = km.T if (plan.transposed and m.km is not None) else km
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, key=np.array(plan.key), minutes=minutes, km=km)  # uncompressed: fast
        tmp.replace(path)
    except OSError:  # a read-only or full disk only costs the cache
        pass


#: Reduce the graph (see :func:`_reduced`) when (points of the smaller side) × nodes is at least this.
REDUCE_MIN_WORK = 1_000_000


def _reduced(time: sp.csr_matrix, length: sp.csr_matrix | None, keep: np.ndarray):
    """An exact smaller graph for shortest paths between the ``keep`` nodes.

    Two steps, both exact for times (and lengths of fastest paths) between
    kept nodes, with positive edge times:

    1. dead ends: a node with at most one neighbour (either direction) that
       is not kept lies on no simple path between two other nodes; drop it,
       and repeat (whole dead-end trees go);
    2. chains: a node with exactly two neighbours that is not kept is passed
       through by every path that enters it; each maximal chain of such nodes
       between two other nodes becomes one edge per direction that can be
       driven end to end, with the summed time (and length); the fastest of
       parallel edges is kept.

    Returns ``(time, length, index)``: CSR matrices over the remaining nodes
    and ``index`` (old node → new node, -1 where dropped). Sums along a
    chain are added in another order than Dijkstra would: times may differ
    from the unreduced graph's in the last bits (about 1e-12 s).
    """
    n = time.shape[0]
    time = time.tocsr()
    time.sort_indices()
    u = np.repeat(np.arange(n, dtype=np.int64), np.diff(time.indptr))
    v = time.indices.astype(np.int64)
    t = time.data.astype(np.float64)
    ln = None
    if length is not None:
        length = length.tocsr()
        length.sort_indices()
        same = np.array_equal(length.indptr, time.indptr) and np.array_equal(length.indices, time.indices)
        ln = length.data.astype(np.float64) if same else np.asarray(length[u, v]).ravel()
    loop = u == v
    if loop.any():
        u, v, t = u[~loop], v[~loop], t[~loop]
        ln = ln[~loop] if ln is not None else None
    # undirected neighbour pattern
    S = sp.csr_matrix((np.ones(2 * len(u), dtype=np.int32), (np.concatenate([u, v]), np.concatenate([v, u]))),
                      shape=(n, n))
    S.data[:] = 1  # duplicates were summed
    alive = np.ones(n, dtype=bool)
    deg = np.diff(S.indptr).astype(np.int64)
    # 1. dead-end trees
    while True:
        leaf = alive & ~keep & (deg <= 1)
        if not leaf.any():
            break
        alive[leaf] = False
        deg = deg - S @ leaf.astype(np.int64)
    # 2. chains of degree-2 nodes
    e_ok = alive[u] & alive[v]
    u, v, t = u[e_ok], v[e_ok], t[e_ok]
    ln = ln[e_ok] if ln is not None else None
    chain = alive & ~keep & (deg == 2)
    if chain.any():
        Sa = (S @ sp.diags(alive.astype(np.int32), dtype=np.int32)).tocsr()
        Sa.eliminate_zeros()
        Sa.sort_indices()
        # the two live neighbours of every chain node
        nb = np.full((n, 2), -1, dtype=np.int64)
        rows = np.flatnonzero(chain)
        starts = Sa.indptr[rows]
        nb[rows, 0] = Sa.indices[starts]
        nb[rows, 1] = Sa.indices[starts + 1]
        key = u * n + v  # sorted: CSR order
        # next edge along the chain: (x→y) with y a chain node continues as (y→other neighbour of y)
        nxt = np.full(len(u), -1, dtype=np.int64)  # -1: head is not a chain node (edge ends here)
        through = chain[v]
        y = v[through]
        other = np.where(nb[y, 0] == u[through], nb[y, 1], nb[y, 0])
        k2 = y * n + other
        pos = np.minimum(np.searchsorted(key, k2), len(key) - 1)
        found = key[pos] == k2
        nxt[np.flatnonzero(through)] = np.where(found, pos, -2)  # -2: cannot be driven this way
        head = v.copy()
        acc_t = t.copy()
        acc_l = ln.copy() if ln is not None else None
        jump = nxt
        for _ in range(int(np.ceil(np.log2(max(len(u), 2)))) + 2):
            go = jump >= 0
            if not go.any():
                break
            j = jump[go]
            acc_t[go] = acc_t[go] + acc_t[j]
            if acc_l is not None:
                acc_l[go] = acc_l[go] + acc_l[j]
            head[go] = head[j]
            jump = jump.copy()
            jump[go] = jump[j]
        # edges leaving a non-chain node that reach a non-chain node become edges (shortcuts)
        ok = ~chain[u] & (jump == -1) & (head != u)
        u, v, t = u[ok], head[ok], acc_t[ok]
        ln = acc_l[ok] if acc_l is not None else None
        alive &= ~chain
    # fastest of parallel edges
    order = np.lexsort((t, v, u))
    u, v, t = u[order], v[order], t[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, t = u[first], v[first], t[first]
    index = np.full(n, -1, dtype=np.int64)
    index[alive] = np.arange(int(alive.sum()))
    m = int(alive.sum())
    T = sp.csr_matrix((t, (index[u], index[v])), shape=(m, m))
    L = None
    if length is not None:
        assert ln is not None
        L = sp.csr_matrix((ln[order][first], (index[u], index[v])), shape=(m, m))
    return T, L, index


@dataclass
class _Targets:
    """Targets reached through entry nodes: time = min over ``k`` of (Dijkstra time at node + leg).

    ``nodes`` (m × k, -1 = none), ``sec`` and ``metres`` (m × k) are the entry
    nodes and the legs from them to each target point. Exactly what a virtual
    target node with those incoming edges would get from Dijkstra, without
    putting m nodes and m × k edges into every Dijkstra run.

    ``direct_*`` are the direct local legs (source point, target point,
    seconds, metres; see :meth:`CompiledGraph.direct_legs`); a pair's time is
    the smaller of its network route and its direct leg. Source points are
    the Dijkstra source indices minus ``source_offset``.
    """

    nodes: np.ndarray
    sec: np.ndarray
    metres: np.ndarray | None
    direct_src: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    direct_tgt: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    direct_sec: np.ndarray = field(default_factory=lambda: np.zeros(0))
    direct_metres: np.ndarray = field(default_factory=lambda: np.zeros(0))
    source_offset: int = 0
    n_sources: int = 0

    def __len__(self) -> int:
        return len(self.nodes)

    def gather(self, dist: np.ndarray, lengths: np.ndarray | None, limit_s: float, batch=None):
        """(b × m) seconds [and metres] from (b × nodes) Dijkstra times [and tree lengths]."""
        ok = self.nodes >= 0
        idx = np.where(ok, self.nodes, 0)
        leg = np.where(ok, self.sec, np.inf)
        t = dist[:, idx] + leg  # b × m × k
        best = np.argmin(t, axis=2)
        sec = np.take_along_axis(t, best[:, :, None], axis=2)[:, :, 0]
        met = None
        if lengths is not None:
            node = np.take_along_axis(np.broadcast_to(idx, t.shape), best[:, :, None], axis=2)[:, :, 0]
            assert self.metres is not None
            legm = np.take_along_axis(np.broadcast_to(self.metres, t.shape), best[:, :, None], axis=2)[:, :, 0]
            met = np.take_along_axis(lengths, node, axis=1) + legm
        if batch is not None and len(self.direct_src):
            rows = np.asarray(batch, dtype=np.int64) - self.source_offset
            row_of = np.full(max(self.n_sources, int(rows.max()) + 1 if len(rows) else 0), -1, dtype=np.int64)
            valid = (rows >= 0) & (rows < len(row_of))
            row_of[rows[valid]] = np.flatnonzero(valid)
            sel = np.flatnonzero(row_of[self.direct_src] >= 0)
            if len(sel):
                r, c = row_of[self.direct_src[sel]], self.direct_tgt[sel]
                dsec = self.direct_sec[sel]
                better = dsec < sec[r, c]
                r, c = r[better], c[better]
                sec[r, c] = dsec[better]
                if met is not None:
                    met[r, c] = self.direct_metres[sel][better]
        sec[sec > limit_s] = np.inf
        if met is not None:
            met[~np.isfinite(sec)] = np.inf
        return sec, met


def _augmented(cg: CompiledGraph, so: Snap, sd: Snap, *, with_km: bool, transposed: bool, direct=None):
    """The (reduced) graph with one virtual node per point of the source side, and the targets.

    Sources are the origins (edges out of each virtual node to its entry
    nodes), or with ``transposed`` the destinations on the transposed graph.
    For large calls the graph is first reduced exactly to what paths between
    the entry nodes need (:func:`_reduced`). ``direct`` = (origin index,
    destination index, seconds, metres) of direct legs.
    """
    base_t, base_l = cg.time, (cg.length if with_km else None)
    if min(len(so.nodes), len(sd.nodes)) * len(cg.node_ids) >= REDUCE_MIN_WORK:
        keep = np.zeros(len(cg.node_ids), dtype=bool)
        keep[so.nodes[so.nodes >= 0]] = True
        keep[sd.nodes[sd.nodes >= 0]] = True
        base_t, base_l, index = _reduced(cg.time, base_l, keep)
        so = Snap(nodes=np.where(so.nodes >= 0, index[so.nodes], -1), minutes=so.minutes, km=so.km, metres=so.metres)
        sd = Snap(nodes=np.where(sd.nodes >= 0, index[sd.nodes], -1), minutes=sd.minutes, km=sd.km, metres=sd.metres)
    if transposed:
        base_t = base_t.T.tocsr()
        base_l = base_l.T.tocsr() if base_l is not None else None
        src, tgt = sd, so
    else:
        src, tgt = so, sd
    A, L, sources = _augment(base_t, base_l, src, with_km=with_km)
    # csgraph ignores explicit zeros: a point exactly on a node gets a tiny positive access time
    targets = _Targets(nodes=tgt.nodes.astype(np.int64), sec=np.maximum(tgt.minutes * 60.0, 1e-6),
                       metres=np.maximum(tgt.km * 1000.0, 1e-6) if with_km else None,
                       source_offset=int(base_t.shape[0]), n_sources=len(src.nodes))
    if direct is not None and len(direct[0]):
        i, j, dsec, dm = direct
        a, b = (j, i) if transposed else (i, j)
        order = np.lexsort((b, a))
        targets.direct_src, targets.direct_tgt = a[order], b[order]
        targets.direct_sec, targets.direct_metres = dsec[order], dm[order]
    return A, L, sources, targets


def _augment(time: sp.csr_matrix, length: sp.csr_matrix | None, sp_: Snap, *, with_km: bool):
    """The graph plus one virtual node per point, with edges out to its entry nodes."""
    n = time.shape[0]
    m = sp_.nodes.shape[0]
    virtual = np.arange(n, n + m)
    ok = sp_.nodes >= 0
    rows = np.repeat(virtual, sp_.nodes.shape[1])[ok.ravel()]
    cols = sp_.nodes[ok]
    # csgraph ignores explicit zeros: a point exactly on a node gets a tiny positive access time
    w = np.maximum(sp_.minutes[ok] * 60.0, 1e-6)
    size = n + m
    base = time.tocoo()
    A = sp.csr_matrix((np.concatenate([base.data, w]), (np.concatenate([base.row, rows]),
                                                       np.concatenate([base.col, cols]))), shape=(size, size))
    L = None
    if with_km:
        assert length is not None
        lb = length.tocoo()
        lw = np.maximum(sp_.km[ok] * 1000.0, 1e-6)
        L = sp.csr_matrix((np.concatenate([lb.data, lw]), (np.concatenate([lb.row, rows]),
                                                         np.concatenate([lb.col, cols]))), shape=(size, size))
    return A, L, virtual


# --------------------------------------------------------------------------- batches, worker processes
#: Use worker processes when a call's Dijkstra work (sources × graph nodes) is at least this
#: (about 2-4 s of serial work on this kind of machine); below it, process start-up and
#: transfer cost more than they save.
PARALLEL_MIN_WORK = 10_000_000

_SHARED: tuple | None = None  # the graph and options of the running call, inherited by forked workers


def routing_workers() -> int:
    """Worker processes for Dijkstra batches: ``$GEOPLAN_WORKERS``, else ``min(2, CPUs)``.

    ``GEOPLAN_WORKERS=1`` runs everything in the calling process.
    """
    env = os.environ.get("GEOPLAN_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            return 1
    return max(1, min(2, os.cpu_count() or 1))


def _can_fork() -> bool:
    """Forked workers are safe only from a single-threaded main process (POSIX)."""
    return ("fork" in mp.get_all_start_methods() and threading.active_count() == 1
            and mp.parent_process() is None and not mp.current_process().daemon)


def _dijkstra_rows(A, L, batch, targets, limit_s, with_length):
    """Dijkstra from ``batch`` sources; rows of seconds (and metres) at ``targets`` (float64).

    ``targets`` are node indices or :class:`_Targets` (points behind entry nodes).
    """
    lengths = None
    if with_length:
        dist, pred = dijkstra(A, directed=True, indices=batch, limit=limit_s, return_predecessors=True)
        lengths = _tree_lengths(L, pred, dist)
    else:
        dist = dijkstra(A, directed=True, indices=batch, limit=limit_s)
    if isinstance(targets, _Targets):
        return targets.gather(dist, lengths, limit_s, batch)
    return dist[:, targets], (lengths[:, targets] if lengths is not None else None)


def _dijkstra_shared(start: int, stop: int):
    assert _SHARED is not None
    A, L, sources, targets, limit_s, with_length = _SHARED
    return start, *_dijkstra_rows(A, L, sources[start:stop], targets, limit_s, with_length)


def _run_batches(A, L, sources, targets, *, limit_s, batch_size, with_length, description,
                 workers: int | None = None):
    """Dijkstra from every source in batches: float64 (sources × targets) seconds [and metres].

    When the work is large (sources × nodes ≥ ``PARALLEL_MIN_WORK``) the
    batches run in :func:`routing_workers` processes forked for this call: they
    inherit the graph (copy-on-write, nothing is pickled but the results).
    Forking needs a single-threaded POSIX main process; otherwise, or if the
    workers fail, the batches run here. The result does not depend on it.
    """
    global _SHARED
    sources = np.asarray(sources, dtype=np.int64)
    if not isinstance(targets, _Targets):
        targets = np.asarray(targets, dtype=np.int64)
    out = np.full((len(sources), len(targets)), np.inf)
    out_len = np.full((len(sources), len(targets)), np.inf) if with_length else None
    starts = list(range(0, len(sources), batch_size))
    n_workers = min(routing_workers() if workers is None else max(1, workers), len(starts))
    done: set[int] = set()
    pool = futures = None
    if n_workers > 1 and len(sources) * A.shape[0] >= PARALLEL_MIN_WORK and _can_fork():
        # fork before the progress display starts its thread
        _SHARED = (A, L, sources, targets, limit_s, with_length)
        try:
            pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("fork"))
            futures = [pool.submit(_dijkstra_shared, s, s + batch_size) for s in starts]
        except (OSError, RuntimeError):
            pool = None
    try:
        with task(description, total=len(sources)) as advance:
            if pool is not None:
                try:
                    for fut in as_completed(futures or []):
                        s, sec, met = fut.result()
                        out[s:s + len(sec)] = sec
                        if out_len is not None:
                            out_len[s:s + len(sec)] = met
                        done.add(s)
                        advance(len(sec))
                except (BrokenProcessPool, OSError, RuntimeError):
                    pass  # finish what is left in this process
            for s in starts:
                if s in done:
                    continue
                sec, met = _dijkstra_rows(A, L, sources[s:s + batch_size], targets, limit_s, with_length)
                out[s:s + len(sec)] = sec
                if out_len is not None:
                    out_len[s:s + len(sec)] = met
                advance(len(sec))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        _SHARED = None
    return out, out_len


def points_from_lonlat(lon, lat) -> np.ndarray:
    """WGS84 lon/lat → EPSG:25832 x/y (m × 2)."""
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 25832, always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def check_points_on_land(xy: np.ndarray, land: shapely.Geometry, *, names, file, tolerance_m: float = 2000.0) -> None:
    """Raise :class:`PointOutsideNetworkError` for a point in the sea / outside the country's land."""
    pts = shapely.points(np.asarray(xy))
    shapely.prepare(land)
    inside = shapely.dwithin(land, pts, tolerance_m)
    if not inside.all():
        i = int(np.flatnonzero(~inside)[0])
        raise PointOutsideNetworkError(
            file, f"{names[i]!s} is not on land (more than {tolerance_m / 1000:.0f} km from the coast)",
            "check lon/lat (WGS84 degrees, lon first)")


__all__ = [
    "AccessModel",
    "CompiledGraph",
    "InputError",
    "Snap",
    "TravelTimeMatrix",
    "check_points_on_land",
    "node_to_node_seconds",
    "points_from_lonlat",
    "routing_workers",
    "travel_time_matrix",
]
