"""Synthetic, OSM-like road graphs and demand for the benchmarks (fixed seeds).

The graph is a jittered square grid (node spacing ``spacing_m``) thinned to a
road-like mean degree: a random spanning tree of the grid keeps it connected,
a hierarchy of full grid lines gives it fast roads (``motorway`` every
``motorway_every`` lines, ``primary`` every ``primary_every``, ``secondary``
every ``secondary_every``), and random extra ``residential`` edges bring it to
``edges_per_node`` undirected edges per node. Every road is two-way (two
directed edges). Lengths are the straight distance × 1.05; speeds by class.

Demand cells are a 1 km grid over the same square with a population made of
a rural base plus towns (Gaussian bumps); cells of zero population are
dropped (the "sea"). Candidate sites are cells drawn with probability
proportional to population.

This is a stand-in for an OSM extract of a region (none is available here),
sized like the drivable network of Region Midtjylland; it is not meant to
reproduce real geography, only its size, degree and speed mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import minimum_spanning_tree

SPEEDS = {"motorway": 110.0, "primary": 80.0, "secondary": 70.0, "residential": 50.0}
CLASSES = ("motorway", "primary", "secondary", "residential")


@dataclass
class SynthNetwork:
    """Directed edge arrays of a synthetic network (EPSG:25832-like metres)."""

    xy: np.ndarray  # n × 2
    u: np.ndarray  # directed edges
    v: np.ndarray
    length: np.ndarray  # m
    speed_kph: np.ndarray
    road_class: np.ndarray  # index into CLASSES

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    @property
    def travel_time(self) -> np.ndarray:
        return self.length / (self.speed_kph / 3.6)

    def to_networkx(self):
        """The geoplan graph schema (osmnx-style MultiDiGraph, EPSG:25832)."""
        import networkx as nx

        G = nx.MultiDiGraph(crs="EPSG:25832")
        G.add_nodes_from(
            (i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(self.xy.tolist())
        )
        tt = self.travel_time
        G.add_edges_from(
            (
                int(a),
                int(b),
                {
                    "length": float(ln),
                    "speed_kph": float(s),
                    "travel_time": float(t),
                    "highway": CLASSES[c],
                },
            )
            for a, b, ln, s, t, c in zip(
                self.u.tolist(),
                self.v.tolist(),
                self.length.tolist(),
                self.speed_kph.tolist(),
                tt.tolist(),
                self.road_class.tolist(),
                strict=True,
            )
        )
        return G

    def to_compiled(self):
        """A :class:`geoplan.routing.CompiledGraph` built straight from the arrays.

        Same result as ``CompiledGraph.from_graph(self.to_networkx())`` (no
        parallel edges or loops here) without building the networkx graph,
        which costs gigabytes at national size.
        """
        import hashlib

        from geoplan.routing import CompiledGraph

        n = self.n_nodes
        order = np.lexsort((self.v, self.u))
        u, v = self.u[order].astype(np.int64), self.v[order].astype(np.int64)
        w = np.maximum(self.travel_time[order], 1e-6)
        ln = np.maximum(self.length[order], 1e-6)
        time = sp.csr_matrix((w, (u, v)), shape=(n, n))
        length = sp.csr_matrix((ln, (u, v)), shape=(n, n))
        # as CompiledGraph.from_graph: points never attach to a node where only motorways meet
        local = np.zeros(n, dtype=bool)
        local[self.u[self.road_class > 0]] = True
        h = hashlib.sha256()
        for a in (self.xy, u, v, np.round(w, 3), local):
            h.update(np.ascontiguousarray(a).tobytes())
        return CompiledGraph(
            np.arange(n, dtype=object),
            self.xy.astype("float64"),
            time,
            length,
            np.full(n, -1, dtype=np.int64),
            h.hexdigest(),
            local,
        )


def road_grid(
    *,
    side_nodes: int,
    spacing_m: float = 300.0,
    edges_per_node: float = 1.27,
    motorway_every: int = 130,
    primary_every: int = 26,
    secondary_every: int = 13,
    seed: int = 0,
) -> SynthNetwork:
    """A synthetic road network of ``side_nodes²`` nodes (see module docstring)."""
    rng = np.random.default_rng(seed)
    s = side_nodes
    n = s * s
    ii, jj = np.divmod(np.arange(n), s)  # row, column
    xy = np.column_stack([jj * spacing_m, ii * spacing_m]).astype("float64")
    xy += rng.uniform(-0.3, 0.3, size=xy.shape) * spacing_m
    xy += [500_000.0, 6_150_000.0]  # somewhere in UTM 32N
    # all grid edges (undirected): horizontal (i, j)-(i, j+1) and vertical (i, j)-(i+1, j)
    h = np.flatnonzero(jj < s - 1)
    vv = np.flatnonzero(ii < s - 1)
    a = np.concatenate([h, vv])
    b = np.concatenate([h + 1, vv + s])
    # road class of a grid edge: by the line it lies on (rows for horizontal, columns for vertical)
    line = np.concatenate([ii[h], jj[vv]])
    cls = np.full(len(a), 3, dtype=np.int8)
    cls[line % secondary_every == secondary_every // 2] = 2
    cls[line % primary_every == primary_every // 2] = 1
    cls[line % motorway_every == motorway_every // 2] = 0
    keep = cls < 3
    # random spanning tree over the grid → connected
    wr = rng.uniform(1.0, 2.0, size=len(a))
    wr[keep] = 1e-3  # the hierarchy is in the tree wherever possible
    T = minimum_spanning_tree(sp.csr_matrix((wr, (a, b)), shape=(n, n))).tocoo()
    tree = sp.csr_matrix((np.ones(T.nnz), (T.row, T.col)), shape=(n, n))
    tree = tree + tree.T
    in_tree = np.asarray(tree[a, b]).ravel() > 0
    keep |= in_tree
    target = int(round(edges_per_node * n))
    extra = target - int(keep.sum())
    if extra > 0:
        pool = np.flatnonzero(~keep)
        keep[rng.choice(pool, size=min(extra, len(pool)), replace=False)] = True
    a, b, cls = a[keep], b[keep], cls[keep]
    d = np.hypot(*(xy[a] - xy[b]).T) * 1.05
    speed = np.array([SPEEDS[c] for c in CLASSES])[cls]
    # two-way: both directions
    return SynthNetwork(
        xy=xy,
        u=np.concatenate([a, b]).astype(np.int64),
        v=np.concatenate([b, a]).astype(np.int64),
        length=np.concatenate([d, d]),
        speed_kph=np.concatenate([speed, speed]),
        road_class=np.concatenate([cls, cls]),
    )


@dataclass
class SynthDemand:
    cells_xy: np.ndarray
    pop: np.ndarray
    sites_xy: np.ndarray
    site_cells: np.ndarray  # index of the cell each site stands on


def demand(
    net: SynthNetwork,
    *,
    cell_m: float = 1000.0,
    n_sites: int,
    n_towns: int = 40,
    target_cells: int | None = None,
    population: float = 1_310_000.0,
    seed: int = 1,
) -> SynthDemand:
    """Populated cells (1 km grid over the network's square) and candidate sites."""
    rng = np.random.default_rng(seed)
    lo = net.xy.min(axis=0) + cell_m / 2
    hi = net.xy.max(axis=0) - cell_m / 2
    xs = np.arange(lo[0], hi[0], cell_m)
    ys = np.arange(lo[1], hi[1], cell_m)
    X, Y = np.meshgrid(xs, ys)
    xy = np.column_stack([X.ravel(), Y.ravel()])
    towns = rng.uniform(lo, hi, size=(n_towns, 2))
    size = rng.pareto(1.2, size=n_towns) * 3000 + 500
    radius = np.sqrt(size) * 60
    pop = rng.gamma(1.2, 25.0, size=len(xy))
    for (tx, ty), s, r in zip(towns, size, radius, strict=True):
        pop += s * np.exp(-((xy[:, 0] - tx) ** 2 + (xy[:, 1] - ty) ** 2) / (2 * r * r))
    # drop a share of the emptiest cells (sea, forest) to reach the target count
    if target_cells is not None and target_cells < len(xy):
        keep = np.sort(np.argsort(-pop, kind="stable")[:target_cells])
        xy, pop = xy[keep], pop[keep]
    pop = np.round(pop / pop.sum() * population)
    site_cells = np.sort(rng.choice(len(xy), size=n_sites, replace=False, p=pop / pop.sum()))
    # sites stand within their cell, not at its centre
    sites_xy = xy[site_cells] + rng.uniform(-400, 400, size=(n_sites, 2))
    return SynthDemand(cells_xy=xy, pop=pop, sites_xy=sites_xy, site_cells=site_cells)
