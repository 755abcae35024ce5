"""Drive times between your own places, for notebooks: :func:`travel_times` and :func:`nearest`.

Both take the places as GeoDataFrames of points (any CRS) or as DataFrames
with ``lon``/``lat`` columns (WGS84), route them on a region's road network
(:func:`geoplan.region.load_region`; the strategic network by default) and
return tidy tables, in the style of r5py's ``TravelTimeMatrix``::

    region = geoplan.load_region("midtjylland")
    times = geoplan.travel_times(region, towns, hospitals)     # origin_id, destination_id, minutes, km
    best = geoplan.nearest(region, towns, hospitals)            # per town: the nearest hospital

Times are door to door: an access leg from each point to the network
(``access``, :class:`geoplan.routing.AccessModel`), free-flow driving, an
egress leg. The same point (closer than :data:`SAME_POINT_M`) gives 0 minutes.

Limits: free-flow speeds (no congestion, no time of day); points more than
2 km off the coast or farther than ``access.max_snap_m`` from the network are
refused (:class:`~geoplan.errors.PointOutsideNetworkError`); ids are the
frames' index unless ``id_column`` names a column.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from pyproj import CRS

from geoplan.errors import InputError
from geoplan.region import Region
from geoplan.routing import (
    AccessModel,
    CompiledGraph,
    TravelTimeMatrix,
    check_points_on_land,
    points_from_lonlat,
    travel_time_matrix,
)

WORK_CRS = CRS.from_epsg(25832)

#: Compiled graphs per region and network source (a region is compiled once per session).
_COMPILED: weakref.WeakKeyDictionary[Region, dict[Hashable, CompiledGraph]] = weakref.WeakKeyDictionary()


def _points_xy(frame: pd.DataFrame, *, what: str) -> np.ndarray:
    """x/y in EPSG:25832 of a GeoDataFrame of points (any CRS) or a frame with lon/lat columns."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(None, f"{what}: expected a GeoDataFrame or DataFrame, got {type(frame).__name__}",
                         "pass a GeoDataFrame of points or a DataFrame with lon and lat columns")
    if len(frame) == 0:
        raise InputError(None, f"{what}: no rows", "pass at least one place")
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        if frame.crs is None:
            raise InputError(None, f"{what}: the GeoDataFrame has no CRS",
                             "set it, e.g. gdf.set_crs(4326) for lon/lat degrees")
        geom = frame.geometry.to_crs(WORK_CRS)
        if geom.is_empty.any() or geom.isna().any() or not (geom.geom_type == "Point").all():
            bad = int(np.flatnonzero(geom.is_empty | geom.isna() | (geom.geom_type != "Point"))[0])
            raise InputError(None, f"{what}: row {frame.index[bad]!r} is not a point",
                             "pass points (e.g. gdf.representative_point() for areas)")
        return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])
    missing = [c for c in ("lon", "lat") if c not in frame.columns]
    if missing:
        raise InputError(None, f"{what}: no column(s) {', '.join(missing)} (columns: {', '.join(map(str, frame.columns))})",
                         "pass a GeoDataFrame, or lon and lat columns in WGS84 degrees")
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(None, f"{what}: row {frame.index[i]!r} has no valid lon/lat",
                         "write lon and lat as decimal degrees (WGS84), e.g. lon 10.2, lat 56.15")
    return points_from_lonlat(lon, lat)


def _ids(frame: pd.DataFrame, id_column: str | None, *, what: str) -> np.ndarray:
    if id_column is None:
        ids = frame.index.to_numpy()
    elif id_column not in frame.columns:
        raise InputError(None, f"{what}: no column {id_column!r}", "name an existing column, or None for the index")
    else:
        ids = frame[id_column].to_numpy()
    if pd.Index(ids).has_duplicates:
        dup = pd.Index(ids)[pd.Index(ids).duplicated()][0]
        raise InputError(None, f"{what}: duplicate id {dup!r}", "make the ids (index or id_column) unique")
    return ids


def compiled_network(region: Region, network: str | nx.MultiDiGraph | None = None) -> CompiledGraph:
    """The region's road graph compiled for routing (cached per region and source).

    ``network``: ``None`` (the region's default, the strategic network), a source
    accepted by :meth:`Region.network` (``"strategic"``, an OSM file), or a graph
    in geoplan's schema.
    """
    cache = _COMPILED.setdefault(region, {})
    key: Hashable = id(network) if isinstance(network, nx.MultiDiGraph) else (network or "")
    if key not in cache:
        G = network if isinstance(network, nx.MultiDiGraph) else region.network(network)
        cache[key] = CompiledGraph.from_graph(G).with_landmasses(region.land)
    return cache[key]


def travel_time_table(region: Region, origins: pd.DataFrame, destinations: pd.DataFrame, *,
                      network: str | nx.MultiDiGraph | None = None, max_minutes: float | None = None,
                      access: AccessModel | None = None, id_column: str | None = None) -> TravelTimeMatrix:
    """Like :func:`travel_times`, as a :class:`~geoplan.routing.TravelTimeMatrix` (arrays, not a table)."""
    a_xy = _points_xy(origins, what="origins")
    b_xy = _points_xy(destinations, what="destinations")
    a_ids = _ids(origins, id_column, what="origins")
    b_ids = _ids(destinations, id_column, what="destinations")
    check_points_on_land(a_xy, region.land, names=list(a_ids), file=None)
    check_points_on_land(b_xy, region.land, names=list(b_ids), file=None)
    if max_minutes is not None and not max_minutes > 0:
        raise InputError(None, f"max_minutes must be positive, got {max_minutes!r}", "pass e.g. max_minutes=60")
    m = travel_time_matrix(compiled_network(region, network), origins_xy=a_xy, destinations_xy=b_xy,
                           origin_ids=a_ids, destination_ids=b_ids, access=access or AccessModel(),
                           max_minutes=max_minutes, with_km=True, description="Travel times")
    return _same_points_zero(m, a_xy, b_xy)


#: Points closer than this (metres) are the same place: 0 minutes, 0 km.
SAME_POINT_M = 1.0


def _same_points_zero(m: TravelTimeMatrix, a_xy: np.ndarray, b_xy: np.ndarray) -> TravelTimeMatrix:
    """The matrix with 0 minutes / 0 km between coinciding points.

    The router joins each point to the network by access legs, so a point to
    itself costs two access legs; a place is 0 minutes from itself.
    """
    from scipy.spatial import cKDTree

    pairs = cKDTree(b_xy).query_ball_point(a_xy, r=SAME_POINT_M)
    rows = np.repeat(np.arange(len(a_xy)), [len(p) for p in pairs])
    cols = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=len(rows))
    if not len(rows):
        return m
    minutes = m.minutes.copy()
    minutes[rows, cols] = 0.0
    km = None
    if m.km is not None:
        km = m.km.copy()
        km[rows, cols] = 0.0
    return TravelTimeMatrix(m.origins, m.destinations, minutes, km)


def travel_times(region: Region, origins: pd.DataFrame, destinations: pd.DataFrame, *,
                 network: str | nx.MultiDiGraph | None = None, max_minutes: float | None = None,
                 access: AccessModel | None = None, id_column: str | None = None) -> pd.DataFrame:
    """Drive times from every origin to every destination, as a tidy table.

    Parameters
    ----------
    region
        A loaded region (:func:`geoplan.load_region`): its road network and land mask.
    origins, destinations
        GeoDataFrames of points in any CRS, or DataFrames with ``lon`` and ``lat``
        columns (WGS84 degrees).
    network
        ``None`` (the region's default network), ``"strategic"``, the path of an
        OSM file, or a graph in geoplan's schema.
    max_minutes
        Stop searching beyond this time (faster); pairs beyond it get ``inf``.
    access
        How points reach the network (default :class:`~geoplan.routing.AccessModel`).
    id_column
        Column holding the ids of both frames (default: their index).

    Returns
    -------
    pandas.DataFrame
        One row per (origin, destination) pair, origins in input order, then
        destinations: ``origin_id``, ``destination_id``, ``minutes`` (float,
        ``inf`` when unreachable or beyond ``max_minutes``), ``km`` (route length,
        NaN where ``minutes`` is inf).

    Raises
    ------
    InputError
        Not points, no CRS, no lon/lat, duplicate ids.
    PointOutsideNetworkError
        A point at sea or too far from any road.
    """
    m = travel_time_table(region, origins, destinations, network=network, max_minutes=max_minutes, access=access,
                          id_column=id_column)
    n_a, n_b = m.minutes.shape
    minutes = m.minutes.astype("float64").ravel()
    km = (m.km.astype("float64").ravel() if m.km is not None else np.full(n_a * n_b, np.nan))
    return pd.DataFrame({
        "origin_id": np.repeat(np.asarray(m.origins, dtype=object), n_b),
        "destination_id": np.tile(np.asarray(m.destinations, dtype=object), n_a),
        "minutes": minutes,
        "km": np.where(np.isfinite(minutes), km, np.nan),
    })


def nearest(region: Region, origins: pd.DataFrame, destinations: pd.DataFrame, *,
            network: str | nx.MultiDiGraph | None = None, max_minutes: float | None = None,
            access: AccessModel | None = None, id_column: str | None = None) -> pd.DataFrame:
    """The nearest destination (by drive time) of every origin.

    Parameters are those of :func:`travel_times`.

    Returns
    -------
    pandas.DataFrame
        One row per origin, in input order: ``origin_id``, ``destination_id``
        (``None`` when none is reachable), ``minutes`` (``inf`` then), ``km``.
        Ties go to the first destination in input order.
    """
    m = travel_time_table(region, origins, destinations, network=network, max_minutes=max_minutes, access=access,
                          id_column=id_column)
    best = m.nearest()
    j = np.argmin(m.minutes, axis=1)
    km: Any = m.km[np.arange(len(j)), j].astype("float64") if m.km is not None else np.nan
    minutes = best["minutes"].to_numpy(dtype="float64")
    return pd.DataFrame({
        "origin_id": np.asarray(m.origins, dtype=object),
        "destination_id": best["nearest"].to_numpy(dtype=object),
        "minutes": minutes,
        "km": np.where(np.isfinite(minutes), km, np.nan),
    })


__all__ = ["compiled_network", "nearest", "travel_time_table", "travel_times"]
