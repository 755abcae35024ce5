"""The local-road model: a land-cover friction grid standing for the minor road network.

The strategic network (:mod:`geoplan.network.strategic`) holds the trunk roads
only. Everything between them — village streets, farm roads, suburban
streets — is modelled, in the manner of AccessMod's friction surface, by a
regular grid graph:

- **nodes** every ``spacing_m`` (≤ 500 m) on land (the DAGI land polygon;
  each island on its own, reached only by its ferries, bridges or dams);
- **edges** to the 8 neighbours (rook and diagonal moves), never crossing the
  coastline or a fjord (an edge that touches the land polygon's boundary is
  dropped) nor a lake (the 1 km square at its midpoint is mostly water);
- edge **length** = straight line × ``circuity`` (real roads wind);
- edge **time** = length × pace, where the pace (s/m) at a point is the
  land-cover weighted mean of the class paces ``1 / speed_kph[class]`` of the
  1 km square it lies in (urban, forest, agriculture, nature; water shares
  are left out of the mean). The pace of an edge is the mean of its two ends
  and (twice) its midpoint.

The grid is joined to the strategic network by :mod:`geoplan.network.compose`.
The parameters live in a data file (``local_roads.toml`` of the region
folder), calibrated against real OpenStreetMap streets by
:mod:`geoplan.network.calibrate_local`.

Limits
------
No individual streets: a point's time to its neighbours is a smooth function
of land cover, correct on average, not street by street. The 1 km land cover
(CORINE, 25 ha minimum unit) misses villages and small woods. Rivers and
small lakes that are not in the land polygon and cover less than the lake
threshold of a square are crossed freely.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import shapely

from geoplan.errors import InputError
from geoplan.network.landcover import CLASSES, LandcoverGrid
from geoplan.network.schema import GRAPH_CRS

#: Land classes with a speed of their own (water is left out of the pace mean).
LAND_CLASSES = ("urban", "forest", "agriculture", "nature")
#: Plausible bounds of the parameters (a calibration that needs values outside is a model error).
SPEED_BOUNDS = (15.0, 90.0)
CIRCUITY_BOUNDS = (1.0, 1.8)


@dataclass(frozen=True)
class LocalParameters:
    """Parameters of the local-road model (see the module docstring).

    Attributes
    ----------
    speed_kph
        Driven speed on local roads per land class (urban, forest,
        agriculture, nature), km/h.
    circuity
        Road length / straight-line length of the grid's edges (local roads
        over several hundred metres and more).
    access_speed_kph, access_circuity
        The first and last stretch of a trip (from a point to the grid, and
        direct legs between close points): driveways, residential and
        service streets wind more and are slower than through local roads.
        The access speed at a place is the smaller of ``access_speed_kph``
        and the local speed there.
    spacing_m
        Grid spacing (m), at most 500.
    direct_max_m
        Two points at most this far apart (straight line, on land, no water
        between) may also be joined directly by a local leg (so that two
        points 50 m apart are seconds apart, not the time to a grid node and
        back); 0 switches it off.
    join_k, join_radius_m
        Each strategic join point (town, non-motorway junction, ferry berth,
        and points every ``join_spacing_m`` along non-motorway trunk roads)
        is joined to its ``join_k`` nearest grid nodes within
        ``join_radius_m``.
    join_spacing_m
        Trunk roads other than motorways, ferries and water crossings are
        entered every this many metres (real minor roads meet them all
        along); 0: only at their nodes.
    lake_share
        A grid edge whose midpoint lies in a 1 km square with at least this
        share of water is a lake crossing and is dropped.
    extent_buffer_m
        The grid covers the region's polygon buffered by this much (so that
        routes near the border can leave and come back).
    source
        Where the values come from (calibration run, date of the data).
    """

    speed_kph: dict[str, float] = field(default_factory=lambda: {
        "urban": 30.0, "forest": 50.0, "agriculture": 60.0, "nature": 45.0})
    circuity: float = 1.25
    access_speed_kph: float = 40.0
    access_circuity: float = 1.4
    spacing_m: float = 500.0
    direct_max_m: float = 1500.0
    join_k: int = 2
    join_radius_m: float = 800.0
    join_spacing_m: float = 1000.0
    lake_share: float = 0.9
    extent_buffer_m: float = 3000.0
    source: str = "defaults"

    def pace(self) -> np.ndarray:
        """Seconds per metre per land class (``LAND_CLASSES`` order)."""
        return np.array([3.6 / self.speed_kph[c] for c in LAND_CLASSES])

    def with_values(self, **values) -> LocalParameters:
        """A copy with some values replaced (``speed_<class>=`` sets one class speed)."""
        d = asdict(self)
        speeds = dict(self.speed_kph)
        for k, v in list(values.items()):
            if k.startswith("speed_") and k[6:] in LAND_CLASSES:
                speeds[k[6:]] = float(v)
                values.pop(k)
        d.update(values)
        d["speed_kph"] = speeds
        return LocalParameters(**d)

    def check(self, file: Path | None = None) -> LocalParameters:
        """Raise :class:`InputError` for a value outside its plausible range."""
        lo, hi = SPEED_BOUNDS
        for c in LAND_CLASSES:
            v = self.speed_kph.get(c)
            if v is None or not (lo <= float(v) <= hi):
                raise InputError(file, f"speed_kph.{c} = {v!r} is missing or not plausible",
                                 f"give a local driving speed between {lo:.0f} and {hi:.0f} km/h")
        for name in ("circuity", "access_circuity"):
            v = getattr(self, name)
            if not (CIRCUITY_BOUNDS[0] <= v <= CIRCUITY_BOUNDS[1]):
                raise InputError(file, f"{name} = {v!r} is not plausible",
                                 f"use a value between {CIRCUITY_BOUNDS[0]} and {CIRCUITY_BOUNDS[1]}")
        if not (lo <= self.access_speed_kph <= hi):
            raise InputError(file, f"access_speed_kph = {self.access_speed_kph!r} is not plausible",
                             f"give a speed between {lo:.0f} and {hi:.0f} km/h")
        if not (50.0 <= self.spacing_m <= 500.0):
            raise InputError(file, f"spacing_m = {self.spacing_m!r} is out of range", "use 50 to 500 m")
        for name in ("direct_max_m", "join_radius_m", "join_spacing_m", "extent_buffer_m"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(file, f"{name} = {v!r} is not a distance", f"give {name} in metres (>= 0)")
        if self.join_k < 1:
            raise InputError(file, f"join_k = {self.join_k!r}", "join_k must be at least 1")
        if not (0.0 < self.lake_share <= 1.0):
            raise InputError(file, f"lake_share = {self.lake_share!r}", "lake_share is a fraction in (0, 1]")
        return self


def read_local_parameters(path: Path) -> LocalParameters:
    """Read a ``local_roads.toml`` (see ``src/geoplan/regions/midtjylland/local_roads.toml``).

    Raises
    ------
    InputError
        Missing file, bad TOML, unknown key or an implausible value; names the file and key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "local-road parameter file not found",
                         "give the path to a local_roads.toml (see src/geoplan/regions/midtjylland/)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}", "correct the syntax") from exc
    known = set(LocalParameters.__dataclass_fields__)
    unknown = sorted(set(raw) - known - {"calibration"})
    if unknown:
        raise InputError(path, f"unknown key(s) {', '.join(unknown)}", f"use only {', '.join(sorted(known))}")
    values = {k: v for k, v in raw.items() if k in known}
    speeds = values.get("speed_kph", {})
    if not isinstance(speeds, dict) or set(speeds) - set(LAND_CLASSES):
        raise InputError(path, "speed_kph must be a table with the keys " + ", ".join(LAND_CLASSES),
                         "[speed_kph] urban = 30 ...")
    try:
        p = LocalParameters(**{**values, "speed_kph": {c: float(speeds.get(c, LocalParameters().speed_kph[c]))
                                                      for c in LAND_CLASSES}})
        p = p.with_values(circuity=float(p.circuity), spacing_m=float(p.spacing_m),
                          access_speed_kph=float(p.access_speed_kph), access_circuity=float(p.access_circuity),
                          direct_max_m=float(p.direct_max_m), join_k=int(p.join_k),
                          join_radius_m=float(p.join_radius_m), join_spacing_m=float(p.join_spacing_m),
                          lake_share=float(p.lake_share), extent_buffer_m=float(p.extent_buffer_m),
                          source=str(p.source))
    except (TypeError, ValueError) as exc:
        raise InputError(path, f"a value is not a number ({exc})", "write plain numbers") from exc
    return p.check(path)


# --------------------------------------------------------------------------- pace field
def pace_at(landcover: LandcoverGrid, xy: np.ndarray, params: LocalParameters) -> np.ndarray:
    """Local-road pace (s/m, before circuity) at points: land-cover weighted class paces."""
    shares = landcover.at(xy)
    land = shares[:, [CLASSES.index(c) for c in LAND_CLASSES]].astype("float64")
    total = land.sum(axis=1)
    # all-water squares (coast, lakes): take agriculture (the commonest class) for what little land there is
    land[total <= 1e-6] = [0.0, 0.0, 1.0, 0.0]
    total = land.sum(axis=1)
    return (land @ params.pace()) / total


def water_share_at(landcover: LandcoverGrid, xy: np.ndarray) -> np.ndarray:
    return landcover.at(xy)[:, CLASSES.index("water")].astype("float64")


# --------------------------------------------------------------------------- land helpers
@dataclass
class LandIndex:
    """The land polygon prepared for fast tests (points on land, segments crossing the coast)."""

    land: shapely.Geometry
    parts: list
    _coast: shapely.STRtree | None = None
    _coast_geoms: np.ndarray | None = None

    @classmethod
    def of(cls, land: shapely.Geometry) -> LandIndex:
        shapely.prepare(land)
        return cls(land=land, parts=list(shapely.get_parts(land)))

    @property
    def coast(self) -> shapely.STRtree:
        if self._coast is None:
            rings = shapely.get_parts(shapely.boundary(self.land))
            pieces = []
            for r in rings:
                c = shapely.get_coordinates(r)
                # short pieces: a tight index (segments of at most 50 vertices)
                for i in range(0, len(c) - 1, 50):
                    pieces.append(shapely.linestrings(c[i:i + 51]))
            self._coast_geoms = np.array(pieces, dtype=object)
            self._coast = shapely.STRtree(self._coast_geoms)
        return self._coast

    def on_land(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
        return shapely.contains_xy(self.land, xy[:, 0], xy[:, 1])

    def crosses_coast(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True where the segment a→b touches the land boundary (coast, fjord, lake shore in the polygon)."""
        a = np.asarray(a, dtype="float64").reshape(-1, 2)
        b = np.asarray(b, dtype="float64").reshape(-1, 2)
        out = np.zeros(len(a), dtype=bool)
        if len(a) == 0:
            return out
        lines = shapely.linestrings(np.stack([a, b], axis=1))
        i, _ = self.coast.query(lines, predicate="intersects")
        out[np.unique(i)] = True
        return out

    def part_of(self, xy: np.ndarray, *, max_distance: float = 3000.0) -> np.ndarray:
        """Index of the land part (island) at or nearest to each point (-1 beyond ``max_distance``)."""
        return landmass_labels(self.parts, xy, max_distance=max_distance)


def landmass_labels(parts: list, xy: np.ndarray, *, max_distance: float = 3000.0) -> np.ndarray:
    """Index of the polygon of ``parts`` holding each point, else the nearest within ``max_distance`` (else -1)."""
    xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
    out = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) == 0 or not parts:
        return out
    pts = shapely.points(xy)
    tree = shapely.STRtree(pts)
    for k, part in enumerate(parts):
        # the polygon is the query geometry, so GEOS prepares it once for all its candidate points
        idx = tree.query(part, predicate="contains_properly")
        out[idx[out[idx] < 0]] = k
    miss = np.flatnonzero(out < 0)
    if len(miss):
        ptree = shapely.STRtree(parts)
        j, q = ptree.query_nearest(pts[miss], max_distance=max_distance, all_matches=False)
        out[miss[j]] = q
    return out


# --------------------------------------------------------------------------- the grid
#: Node ids of grid nodes are integers ``LOCAL_ID_BASE + row * ncols + col``.
LOCAL_ID_BASE = 1_000_000_000


@dataclass
class LocalGrid:
    """The grid as arrays (before it becomes graph nodes and edges)."""

    ids: np.ndarray        # int64 node ids
    xy: np.ndarray         # (n, 2)
    pace: np.ndarray       # s/m at each node (before circuity)
    u: np.ndarray          # edge ends, indices into ids (one direction; edges are two-way)
    v: np.ndarray
    length: np.ndarray     # m (with circuity)
    time: np.ndarray       # s


def build_local_grid(*, extent: shapely.Geometry, land: LandIndex, landcover: LandcoverGrid,
                     params: LocalParameters) -> LocalGrid:
    """The local-road grid over ``extent`` ∩ land (see the module docstring)."""
    s = float(params.spacing_m)
    x0, y0, x1, y1 = shapely.bounds(extent)
    # node positions at the centres of s × s squares of an s-aligned lattice: a 500 m grid puts
    # four nodes in every 1 km land-cover square, none on a square's edge
    cx = np.arange(math.floor(x0 / s) * s + s / 2, x1 + s, s)
    cy = np.arange(math.floor(y0 / s) * s + s / 2, y1 + s, s)
    ncol = len(cx)
    X, Y = np.meshgrid(cx, cy)
    xs, ys = X.ravel(), Y.ravel()
    shapely.prepare(extent)
    inside = shapely.contains_xy(extent, xs, ys) & shapely.contains_xy(land.land, xs, ys)
    flat = np.flatnonzero(inside)
    index = np.full(len(xs), -1, dtype=np.int64)
    index[flat] = np.arange(len(flat))
    xy = np.column_stack([xs[flat], ys[flat]])
    rows, cols = np.divmod(flat, ncol)
    pace = pace_at(landcover, xy, params)
    us, vs = [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r2, c2 = rows + dr, cols + dc
        ok = (r2 < len(cy)) & (c2 >= 0) & (c2 < ncol)
        j = np.full(len(rows), -1, dtype=np.int64)
        j[ok] = index[r2[ok] * ncol + c2[ok]]
        have = j >= 0
        us.append(np.flatnonzero(have))
        vs.append(j[have])
    u = np.concatenate(us)
    v = np.concatenate(vs)
    a, b = xy[u], xy[v]
    mid = (a + b) / 2
    keep = ~land.crosses_coast(a, b) & (water_share_at(landcover, mid) < params.lake_share)
    u, v, a, b, mid = u[keep], v[keep], a[keep], b[keep], mid[keep]
    straight = np.hypot(*(b - a).T)
    length = straight * params.circuity
    edge_pace = (pace[u] + pace[v] + 2.0 * pace_at(landcover, mid, params)) / 4.0
    ids = LOCAL_ID_BASE + flat.astype(np.int64)
    return LocalGrid(ids=ids, xy=xy, pace=pace, u=u, v=v, length=length, time=length * edge_pace)


def add_grid_to_graph(G: nx.MultiDiGraph, grid: LocalGrid, *, access_speed_kph: float = 40.0) -> None:
    """Add the grid's nodes and two-way edges (``layer='local'``) to ``G``.

    Nodes get ``access_kph`` = min(``access_speed_kph``, local speed).
    """
    ids = grid.ids.tolist()
    kph = np.minimum(3.6 / grid.pace, access_speed_kph).tolist()
    xs, ys = grid.xy[:, 0].tolist(), grid.xy[:, 1].tolist()
    G.add_nodes_from(
        (n, {"x": x, "y": y, "layer": "local", "kind": "local", "snap": True, "access_kph": k})
        for n, x, y, k in zip(ids, xs, ys, kph, strict=True)
    )
    speed = (grid.length / grid.time * 3.6).tolist()
    uu, vv = grid.ids[grid.u].tolist(), grid.ids[grid.v].tolist()
    edges = []
    for a, b, ln, sp, t in zip(uu, vv, grid.length.tolist(), speed, grid.time.tolist(), strict=True):
        edges.append((a, b, 0, {"length": ln, "speed_kph": sp, "travel_time": t, "highway": "local",
                                "layer": "local"}))
        edges.append((b, a, 0, {"length": ln, "speed_kph": sp, "travel_time": t, "highway": "local",
                                "layer": "local"}))
    G.add_edges_from(edges)


def keep_nodes(grid: LocalGrid, keep: np.ndarray) -> LocalGrid:
    """The grid restricted to the nodes where ``keep`` is True (and the edges between them)."""
    new = np.full(len(grid.ids), -1, dtype=np.int64)
    new[keep] = np.arange(int(keep.sum()))
    e = keep[grid.u] & keep[grid.v]
    return LocalGrid(ids=grid.ids[keep], xy=grid.xy[keep], pace=grid.pace[keep], u=new[grid.u[e]],
                     v=new[grid.v[e]], length=grid.length[e], time=grid.time[e])


def local_graph(*, extent: shapely.Geometry, land: shapely.Geometry, landcover: LandcoverGrid,
                params: LocalParameters) -> nx.MultiDiGraph:
    """The local-road grid alone as a geoplan graph (for inspection and tests)."""
    G = nx.MultiDiGraph(crs=GRAPH_CRS, name="local roads")
    add_grid_to_graph(G, build_local_grid(extent=extent, land=LandIndex.of(land), landcover=landcover,
                                          params=params), access_speed_kph=params.access_speed_kph)
    return G


__all__ = [
    "LAND_CLASSES",
    "LandIndex",
    "LocalGrid",
    "LocalParameters",
    "add_grid_to_graph",
    "build_local_grid",
    "keep_nodes",
    "landmass_labels",
    "local_graph",
    "pace_at",
    "read_local_parameters",
]
