"""Prehospital response: ambulances, physician cars and helicopters against service targets.

A library with no scenario knowledge: it takes travel-time matrices, site tables
and parameters, and returns minutes per cell, coverage against targets and
validation metrics. The step :mod:`geoplan.run.steps.prehospital` wires it to a run.

Response model
--------------
All times are minutes from the moment the emergency call is answered at the
dispatch centre (AMK), the clock the regions publish.

- **Ambulance**: ``call_handling + turnout + drive / speed_factor`` from the
  nearest station that is *available* at the hour of day evaluated (stations
  have opening hours, ``hours`` column, syntax of :mod:`geoplan.measures.hours`; empty
  means never staffed). ``drive`` is the free-flow time on the road graph
  (access legs included); ``speed_factor`` stands for blue-light driving and
  applies to road legs only — ferry crossings and waiting times are not sped
  up (:func:`emergency_graph`). Forward bases (stations without staffed
  hours, "fremskudte placeringer") hold an ambulance pre-positioned by the
  dispatch centre for a share ``standby_share`` of the calls; then the drive
  starts at the nearest of stations and forward bases (:func:`with_standby`).
  Calibrated with bounds (factor 1.0-1.6) by :mod:`geoplan.prehospital.calibrate`.
- **Physician car** (akutlægebil): the same, from its bases, with its own
  turnout and speed factor.
- **Helicopter**: ``call_handling + launch delay (day or night value) +
  straight-line distance / cruise speed + approach/landing`` from the nearest
  base on duty (bases have day/night availability).
- **First arrival**: the fastest of the three.

Because all stations share one delay and one speed factor, the nearest
station by free-flow time is the fastest one, and a modelled mean over cells
is ``delay + mean(drive) / speed_factor``: linear in the drive time, so the
delay and ``1 / speed_factor`` follow from measured means by (weighted) least
squares (:func:`calibrate_linear`).

Coverage
--------
Shares within thresholds are **population-weighted**: population (WorldPop
2020 cells) stands in for trips, which are not available per cell. Places with
many old people or traffic accidents have more trips per inhabitant than this
assumes.

Limits
------
The model always sends the nearest available unit: it ignores units that are
busy on another call, queueing at peak hours, crews that are already on the
road, and the dispatcher's choice of a non-nearest unit. No traffic, weather or
road-works; the helicopter flies in any weather (in reality it is grounded in
fog and icing) and lands at the cell centre. The calibrated delay and factor
absorb these effects on average, not place by place.

The speed factor sits on its plausible upper bound (1.6): measured A-priority
means grow with distance from the listed stations about half as fast as any
blue-light drive from them allows, and the B-priority medians (no blue lights)
grow just as slowly, so units often start elsewhere than the table's stations.
The start-position models measured so far (units returning from jobs, busy
stations, returns from hospitals, forward bases by class) do not bring the
unbounded factor into the plausible range; see :mod:`geoplan.prehospital.calibrate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geoplan.errors import InputError
from geoplan.measures.hours import is_open

if TYPE_CHECKING:
    from geoplan.routing import AccessModel, CompiledGraph, TravelTimeMatrix

# =============================================================================== targets (read only)


class Target(Protocol):
    """A service target as :func:`target_shares` reads it (e.g. :class:`geoplan.config.Target`)."""

    @property
    def priority(self) -> str: ...
    @property
    def minutes(self) -> float: ...
    @property
    def share(self) -> float: ...
    @property
    def label(self) -> str: ...


# =============================================================================== road response


def is_ferry_edge(data: Mapping[str, Any]) -> bool:
    """Whether an edge is a ferry (``ferry`` true, or ``highway``/``route`` equal to ``"ferry"``)."""
    f = data.get("ferry")
    if isinstance(f, str):
        f = f.strip().lower() in ("1", "true", "yes")
    return bool(f) or data.get("highway") == "ferry" or data.get("route") == "ferry"


def emergency_graph(G: nx.MultiDiGraph, *, speed_factor: float) -> nx.MultiDiGraph:
    """A copy of ``G`` whose road edges are ``speed_factor`` times faster.

    Ferry edges (:func:`is_ferry_edge`) keep their ``travel_time`` (crossing
    plus waiting): blue lights do not speed up a ferry.

    Parameters
    ----------
    G
        A geoplan-schema graph.
    speed_factor
        Free-flow time / emergency time on roads (e.g. 1.2).

    Returns
    -------
    networkx.MultiDiGraph
        A new graph; ``G`` is not modified.
    """
    if speed_factor <= 0:
        raise ValueError("speed_factor must be positive")
    H = G.copy()
    for _, _, d in H.edges(data=True):
        if not is_ferry_edge(d):
            d["travel_time"] = float(d["travel_time"]) / speed_factor
            d["speed_kph"] = float(d["speed_kph"]) * speed_factor
    return H


def graph_has_ferries(G: nx.MultiDiGraph) -> bool:
    return any(is_ferry_edge(d) for _, _, d in G.edges(data=True))


def sites_to_cells(
    cg: CompiledGraph,
    *,
    sites_xy: np.ndarray,
    cells_xy: np.ndarray,
    site_ids: ArrayLike,
    cell_ids: ArrayLike,
    access: AccessModel,
    speed_factor: float = 1.0,
    description: str = "Travel times from sites",
) -> TravelTimeMatrix:
    """Travel minutes from each site to each cell, as a cells × sites matrix.

    Dijkstra runs from the (few) sites' entry nodes on the graph as given, so
    one-way roads are driven in the right direction. The access legs at both
    ends are driven ``speed_factor`` times faster than ``access`` says; pass a
    graph from :func:`emergency_graph` with the same factor for the network part.

    Returns
    -------
    geoplan.routing.TravelTimeMatrix
        Origins = cells, destinations = sites.
    """
    from geoplan.routing import TravelTimeMatrix, travel_time_matrix

    acc = access.scaled(speed_factor)
    m = travel_time_matrix(
        cg,
        origins_xy=sites_xy,
        destinations_xy=cells_xy,
        origin_ids=site_ids,
        destination_ids=cell_ids,
        access=acc,
        description=description,
    )
    return TravelTimeMatrix(m.destinations, m.origins, np.ascontiguousarray(m.minutes.T))


def available_mask(hours_specs: Sequence[str], *, hour: int, weekday: int = 0) -> np.ndarray:
    """Which sites are open at ``hour`` on ``weekday`` (empty spec: never)."""
    return np.array(
        [is_open(str(s or ""), hour=hour, weekday=weekday) for s in hours_specs], dtype=bool
    )


def nearest_available(
    minutes: np.ndarray, *, available: np.ndarray | None = None, delay_min: float | np.ndarray = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest available site per row: ``min_j (minutes[:, j] + delay[j])`` over open ``j``.

    Parameters
    ----------
    minutes
        cells × sites travel minutes (inf = unreachable).
    available
        One bool per site (default: all).
    delay_min
        A delay added to every site, or one per site.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Minutes (float64; inf where no available site is reachable) and the
        column index of the site (-1 there). Ties go to the first column.
    """
    minutes = np.asarray(minutes, dtype="float64")
    n, k = minutes.shape
    if available is None:
        available = np.ones(k, dtype=bool)
    available = np.asarray(available, dtype=bool)
    if k == 0 or not available.any():
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    total = minutes + np.broadcast_to(np.asarray(delay_min, dtype="float64"), (k,))[None, :]
    total = np.where(available[None, :], total, np.inf)
    j = np.argmin(total, axis=1)
    t = total[np.arange(n), j]
    j = np.where(np.isfinite(t), j, -1).astype(np.int64)
    return t, j


def with_standby(
    minutes: np.ndarray,
    *,
    available: np.ndarray,
    standby: np.ndarray | None,
    share: float,
    delay_min: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected response when forward bases hold a pre-positioned ambulance a ``share`` of the time.

    The dispatch centre (AMK) moves free ambulances to forward bases
    ("fremskudte placeringer") that have no crew of their own. With
    probability ``share`` a call finds an ambulance waiting at the ``standby``
    sites too, and the nearest unit of stations ∪ standby bases drives;
    otherwise the nearest staffed station does::

        delay + (1 - share) · min_station + share · min(min_station, min_standby)

    ``share = 0`` (or no standby site) is :func:`nearest_available` exactly.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Expected minutes per row and the column of the nearest *staffed*
        station (the unit that serves when no forward base is manned).
    """
    t, j = nearest_available(minutes, available=available, delay_min=delay_min)
    if standby is None or share <= 0:
        return t, j
    sb = np.asarray(standby, dtype=bool) & ~np.asarray(available, dtype=bool)
    if not sb.any():
        return t, j
    ts, _ = nearest_available(minutes, available=sb, delay_min=delay_min)
    return (1.0 - share) * t + share * np.minimum(t, ts), j


# =============================================================================== helicopter


def is_daytime(hour: int, daytime: str, *, weekday: int = 0) -> bool:
    """Whether ``hour`` counts as day under the ``daytime`` hours spec (e.g. ``"07-19"``)."""
    return is_open(daytime, hour=hour, weekday=weekday)


def helicopter_minutes(
    cells_xy: np.ndarray,
    bases_xy: np.ndarray,
    *,
    cruise_kph: float,
    launch_delay_min: float | np.ndarray,
    approach_min: float,
) -> np.ndarray:
    """Launch delay + straight-line flight + approach, cells × bases (minutes).

    Call handling is not included (add it like for the other resources).
    """
    cells_xy = np.asarray(cells_xy, dtype="float64").reshape(-1, 2)
    bases_xy = np.asarray(bases_xy, dtype="float64").reshape(-1, 2)
    d_km = (
        np.hypot(cells_xy[:, 0:1] - bases_xy[None, :, 0], cells_xy[:, 1:2] - bases_xy[None, :, 1])
        / 1000.0
    )
    launch = np.broadcast_to(np.asarray(launch_delay_min, dtype="float64"), (len(bases_xy),))
    return launch[None, :] + d_km / cruise_kph * 60.0 + approach_min


# =============================================================================== calibration


@dataclass(frozen=True)
class Calibration:
    """A least-squares fit of ``measured ≈ delay + drive / speed_factor``.

    Attributes
    ----------
    delay_min, speed_factor
        The fitted intercept and 1 / slope.
    n
        Number of areas used.
    weights
        ``"equal"`` or ``"trips"``.
    r2, rmse
        Fit quality (weighted as the fit was).
    standby_share
        Share of calls with a unit pre-positioned at the forward bases
        (:func:`with_standby`; 0 for :func:`calibrate_linear`).
    """

    delay_min: float
    speed_factor: float
    n: int
    weights: str
    r2: float
    rmse: float
    standby_share: float = 0.0


def calibrate_linear(
    drive_minutes: ArrayLike, measured_minutes: ArrayLike, *, weights: ArrayLike | None = None,
    label: str = "equal"
) -> Calibration:
    """Fit ``measured = delay + drive / speed_factor`` by (weighted) least squares.

    The model is linear in the drive time, with intercept ``delay`` and slope
    ``1 / speed_factor``; ordinary least squares (``weights=None``) gives every
    area the same say, ``weights=trips`` lets busy areas count more (their mean
    is also measured more precisely).

    Raises
    ------
    ValueError
        Fewer than 3 areas, no spread in drive times, or a slope <= 0 (the data
        do not show response time growing with distance).
    """
    x = np.asarray(drive_minutes, dtype="float64")
    y = np.asarray(measured_minutes, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    x, y, w = x[ok], y[ok], w[ok]
    if len(x) < 3:
        raise ValueError(
            f"calibration needs at least 3 areas with measured and modelled times, got {len(x)}"
        )
    xm = np.average(x, weights=w)
    ym = np.average(y, weights=w)
    sxx = float(np.sum(w * (x - xm) ** 2))
    if sxx <= 0:
        raise ValueError("calibration needs areas with different drive times")
    slope = float(np.sum(w * (x - xm) * (y - ym)) / sxx)
    if slope <= 0:
        raise ValueError(
            f"fitted slope {slope:.3f} <= 0: measured times do not grow with drive time"
        )
    delay = ym - slope * xm
    resid = y - (delay + slope * x)
    sst = float(np.sum(w * (y - ym) ** 2))
    r2 = 1.0 - float(np.sum(w * resid**2)) / sst if sst > 0 else float("nan")
    rmse = float(np.sqrt(np.average(resid**2, weights=w)))
    return Calibration(
        delay_min=float(delay),
        speed_factor=1.0 / slope,
        n=int(len(x)),
        weights=label,
        r2=r2,
        rmse=rmse,
    )


def calibrate_delay(drive_minutes: ArrayLike, measured_minutes: ArrayLike, *, speed_factor: float,
                    weights: ArrayLike | None = None) -> float:
    """The least-squares delay when the speed factor is fixed: mean of ``measured - drive / factor``.

    Raises
    ------
    ValueError
        No area with finite values.
    """
    x = np.asarray(drive_minutes, dtype="float64")
    y = np.asarray(measured_minutes, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    if not ok.any():
        raise ValueError("calibration needs at least one area with measured and modelled times")
    return float(np.average(y[ok] - x[ok] / speed_factor, weights=w[ok]))


# =============================================================================== validation


def read_measured_response(path: Path, *, region: str | None = None) -> pd.DataFrame:
    """Read measured mean response times per postcode.

    Expected columns (the regions' published records): ``Postnummer``,
    ``Gennemsnit_minutter`` (mean response, minutes), ``Antal_ture`` (trips),
    ``Region``.

    Parameters
    ----------
    region
        Keep only rows whose ``Region`` equals this (a postcode that spans two
        regions has one row per region, each for its own part).

    Returns
    -------
    pandas.DataFrame
        ``postcode`` (str), ``measured_minutes``, ``trips``, sorted by postcode.

    Raises
    ------
    InputError
        File missing, a column missing, or values that are not numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            path, "file not found", "put the measured response-time file in the data directory"
        )
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError as exc:
        raise InputError(path, "the file is empty",
                         "use the measured file as published (header Postnummer,Gennemsnit_minutter,"
                         "Antal_ture,Region)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as CSV ({str(exc)[:200]})",
                         "save it as UTF-8 CSV with the header Postnummer,Gennemsnit_minutter,Antal_ture,Region") from exc
    df.columns = [c.strip() for c in df.columns]
    need = ["Postnummer", "Gennemsnit_minutter", "Antal_ture"] + (["Region"] if region else [])
    for c in need:
        if c not in df.columns:
            raise InputError(
                path,
                f"no column {c!r} (columns: {', '.join(df.columns)})",
                "expected Postnummer,Gennemsnit_minutter,Antal_ture,Region",
            )
    if region:
        df = df[df["Region"].str.strip() == region]
        if df.empty:
            raise InputError(
                path, f"no rows with Region = {region!r}", "check validation.region_label"
            )
    out = pd.DataFrame({"postcode": df["Postnummer"].str.strip().str.zfill(4)})
    for src, dst in (("Gennemsnit_minutter", "measured_minutes"), ("Antal_ture", "trips")):
        v = pd.to_numeric(df[src].str.strip().str.replace(",", ".", regex=False), errors="coerce")
        if v.isna().any():
            bad = df.loc[v.isna(), src].iloc[0]
            raise InputError(
                path, f"column {src}: {bad!r} is not a number", "write numbers with a decimal point"
            )
        out[dst] = v.to_numpy()
    if out["postcode"].duplicated().any():
        dup = out.loc[out["postcode"].duplicated(), "postcode"].iloc[0]
        raise InputError(
            path, f"postcode {dup} appears twice for one region", "keep one row per postcode"
        )
    return out.sort_values("postcode").reset_index(drop=True)


def group_weighted_mean(values: ArrayLike, weights: ArrayLike, groups: ArrayLike) -> pd.Series:
    """Weighted mean of the finite values per group (NaN where a group has no finite value)."""
    v = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    g = np.asarray(groups)
    ok = np.isfinite(v) & (w > 0)
    df = pd.DataFrame({"g": g[ok], "vw": v[ok] * w[ok], "w": w[ok]})
    s = df.groupby("g")["vw"].sum() / df.groupby("g")["w"].sum()
    allg = pd.Index(sorted(pd.unique(g[pd.notna(g)])))
    return s.reindex(allg)


def validation_metrics(modelled: ArrayLike, measured: ArrayLike, trips: ArrayLike, *,
                       min_trips: float = 0) -> dict[str, float]:
    """MAE, bias, RMSE and Pearson correlation of modelled vs measured means.

    Areas with fewer than ``min_trips`` trips or without a modelled value are
    left out. ``bias`` = mean(modelled - measured): positive = model too slow.

    Returns
    -------
    dict
        ``n``, ``trips``, ``mae``, ``bias``, ``rmse``, ``corr``,
        ``mae_trip_weighted`` (NaN values when ``n == 0``).
    """
    m = np.asarray(modelled, dtype="float64")
    y = np.asarray(measured, dtype="float64")
    t = np.asarray(trips, dtype="float64")
    ok = np.isfinite(m) & np.isfinite(y) & (t >= min_trips)
    m, y, t = m[ok], y[ok], t[ok]
    n = int(ok.sum())
    if n == 0:
        nan = float("nan")
        return {
            "n": 0,
            "trips": 0.0,
            "mae": nan,
            "bias": nan,
            "rmse": nan,
            "corr": nan,
            "mae_trip_weighted": nan,
        }
    e = m - y
    corr = float(np.corrcoef(m, y)[0, 1]) if n > 1 and m.std() > 0 and y.std() > 0 else float("nan")
    return {
        "n": n,
        "trips": float(t.sum()),
        "mae": float(np.mean(np.abs(e))),
        "bias": float(np.mean(e)),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "corr": corr,
        "mae_trip_weighted": float(np.average(np.abs(e), weights=t))
        if t.sum() > 0
        else float("nan"),
    }


# =============================================================================== areas


def read_postcodes(path: Path) -> gpd.GeoDataFrame:
    """Postcode areas (DAGI): one row per postcode, ``postcode``, ``name``, geometry in EPSG:25832.

    Multi-part postcodes (islands) are dissolved into one row.

    Raises
    ------
    InputError
        Missing file or missing ``POSTNR_TXT`` / ``POSTBYNAVN`` fields.
    """
    import geopandas as gpd
    import shapely

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", "put the DAGI postcode file in the data directory")
    try:
        g = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio/GDAL raise several classes for an unreadable file
        raise InputError(path, f"cannot be read as a GeoJSON / vector file ({type(exc).__name__}: "
                         f"{str(exc)[:200]})", "replace it with the DAGI postnumre file as published "
                         "(geoplan data fetch)") from exc
    if g.empty or g.crs is None:
        raise InputError(path, "holds no features" if g.empty else "has no coordinate reference system",
                         "replace it with the DAGI postnumre file as published (geoplan data fetch)")
    for c in ("POSTNR_TXT", "POSTBYNAVN"):
        if c not in g.columns:
            raise InputError(
                path,
                f"no field {c!r}",
                "use the DAGI postnumre file (fields POSTNR_TXT, POSTBYNAVN)",
            )
    g["geometry"] = shapely.force_2d(g.geometry.to_numpy())
    g = g.to_crs("EPSG:25832")
    g["postcode"] = g["POSTNR_TXT"].astype(str).str.strip().str.zfill(4)
    g["name"] = g["POSTBYNAVN"].astype(str).str.strip()
    g = g.dissolve("postcode", aggfunc={"name": "first"}, as_index=False)[
        ["postcode", "name", "geometry"]
    ]
    return g.sort_values("postcode").reset_index(drop=True)


def assign_points_to_areas(
    xy: np.ndarray, areas: gpd.GeoDataFrame, *, id_column: str, max_distance_m: float = 5000.0
) -> np.ndarray:
    """The area each point (cell centre) lies in; nearest area within ``max_distance_m`` else.

    Points in the sea just off a coast (cell centres of coastal cells) get the
    nearest area; points farther than ``max_distance_m`` from any area get
    ``None``.
    """
    import shapely

    xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
    pts = shapely.points(xy)
    tree = shapely.STRtree(areas.geometry.to_numpy())
    ids = areas[id_column].to_numpy(dtype=object)
    out = np.full(len(xy), None, dtype=object)
    ip, ia = tree.query(pts, predicate="within")
    # a point on a shared border: keep the first (sorted) area
    order = np.lexsort((ia, ip))
    ip, ia = ip[order], ia[order]
    first = np.ones(len(ip), dtype=bool)
    first[1:] = ip[1:] != ip[:-1]
    out[ip[first]] = ids[ia[first]]
    missing = np.flatnonzero(pd.isna(out))
    if len(missing):
        mi, ma = tree.query_nearest(pts[missing], max_distance=max_distance_m, all_matches=False)
        out[missing[mi]] = ids[ma]
    return out


# =============================================================================== targets


def target_shares(
    minutes_a: ArrayLike,
    minutes_b: ArrayLike,
    weights: ArrayLike,
    groups: ArrayLike,
    *,
    targets: Sequence[Target],
    total_label: str | None = None,
) -> pd.DataFrame:
    """Share of weight within each target's minutes, whether it is met, and the missed targets.

    Parameters
    ----------
    minutes_a, minutes_b
        Per cell: response for A-priority and B-priority trips.
    weights
        Per cell (population standing in for trips).
    groups
        Per cell area label (rows with ``None`` are left out of the groups but
        counted in the total).
    targets
        The service targets.
    total_label
        Label of an extra total row (``None``: none).

    Returns
    -------
    pandas.DataFrame
        Index = group labels (+ total): ``share_<label>`` (e.g. ``share_A10``),
        ``met_<label>`` (bool) per target, ``misses`` (space-separated labels of
        missed targets, "" when all are met) and ``n_missed``.
    """
    a = np.asarray(minutes_a, dtype="float64")
    b = np.asarray(minutes_b, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    g = np.asarray(groups, dtype=object)
    labels = sorted({x for x in g if x is not None and not (isinstance(x, float) and np.isnan(x))})
    sel = [(lab, g == lab) for lab in labels]
    if total_label is not None:
        sel.append((total_label, np.ones(len(g), dtype=bool)))
    rows = {}
    for lab, s in sel:
        tot = w[s].sum()
        row: dict[str, object] = {}
        missed = []
        for tg in targets:
            m = a if tg.priority == "A" else b
            share = float(w[s & (m <= tg.minutes)].sum() / tot) if tot > 0 else float("nan")
            met = bool(share >= tg.share - 1e-12) if tot > 0 else True
            row[f"share_{tg.label}"] = share
            row[f"met_{tg.label}"] = met
            if not met:
                missed.append(tg.label)
        row["misses"] = " ".join(missed)
        row["n_missed"] = len(missed)
        rows[lab] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def break_even_km(
    *,
    road_kph: float,
    speed_factor: float,
    ground_delay_min: float,
    cruise_kph: float,
    air_delay_min: float,
) -> float:
    """Distance beyond which the helicopter arrives first, on a straight road from a shared base.

    Solves ``ground_delay + x / (road_kph · factor) = air_delay + x / cruise``
    for ``x`` (km); ``inf`` when the ground unit is as fast as the helicopter.
    A planning rule of thumb; the run itself compares real routes.
    """
    ground = 60.0 / (road_kph * speed_factor)
    air = 60.0 / cruise_kph
    if ground <= air:
        return float("inf")
    return max(0.0, (air_delay_min - ground_delay_min) / (ground - air))


__all__ = [
    "Calibration",
    "Target",
    "assign_points_to_areas",
    "available_mask",
    "break_even_km",
    "calibrate_delay",
    "calibrate_linear",
    "emergency_graph",
    "graph_has_ferries",
    "group_weighted_mean",
    "helicopter_minutes",
    "is_daytime",
    "is_ferry_edge",
    "nearest_available",
    "read_measured_response",
    "read_postcodes",
    "sites_to_cells",
    "target_shares",
    "validation_metrics",
    "with_standby",
]
