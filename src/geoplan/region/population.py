"""Population cells from a gridded population raster.

The WorldPop raster (30 arc-seconds, about 0.93 km × 0.52 km at 56° N) is
re-gridded to the 1 km squares of the Danish square grid (Det Danske
Kvadratnet, EPSG:25832): every raster pixel's count goes, whole, to the
1 km square and municipality that hold the pixel's centre. This preserves the
population mass exactly (no resampling weights), at the price of a shift of
up to half a pixel (≈ 460 m) for any one person.

A square split by a municipality boundary becomes one cell per municipality
(its polygon clipped to the municipality), so that cells add up to
municipality totals exactly. Each municipality's cells are then scaled to its
newer total (Statistics Denmark), and a 65+ count is set from the
municipality's share (no age grid exists: this is an approximation that
ignores age differences between towns and countryside). Cells with no people
are dropped.

Limits
------
- WorldPop 2020 is modelled, not a census count; scaling fixes the totals per
  municipality, not the pattern within it.
- Pixels whose centre falls in the sea (coastline of the 1:500k boundaries)
  go to the nearest municipality of the region within 1.5 km; beyond that they
  are dropped (before scaling, so the totals still hold).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.errors
import rasterio.windows
import shapely
from pyproj import Transformer

from geoplan.errors import InputError

CELL_SIZE_M = 1000
CRS = "EPSG:25832"


def raster_pixels_in_bounds(
    raster_path: str | Path, *, bounds_wgs84: tuple[float, float, float, float]
) -> pd.DataFrame:
    """Read the pixels of a population raster inside a lon/lat box.

    Parameters
    ----------
    raster_path
        A single-band GeoTIFF in EPSG:4326 holding counts per pixel.
    bounds_wgs84
        (west, south, east, north) in degrees.

    Returns
    -------
    pandas.DataFrame
        Columns ``lon``, ``lat`` (pixel centres) and ``count`` for pixels with a
        positive count.
    """
    try:
        with rasterio.open(raster_path) as src:
            if src.crs is None or src.crs.to_epsg() != 4326:
                raise InputError(raster_path, f"expected a raster in EPSG:4326, got {src.crs}",
                                 "reproject the raster to EPSG:4326 or use the WorldPop file")
            win = rasterio.windows.from_bounds(*bounds_wgs84, transform=src.transform)
            win = win.round_offsets().round_lengths()
            data = src.read(1, window=win, boundless=True, fill_value=0).astype("float64")
            transform = src.window_transform(win)
            nodata = src.nodata
    except rasterio.errors.RasterioError as exc:
        raise InputError(raster_path, f"cannot be read as a GeoTIFF (corrupt or truncated: {str(exc)[:200]})",
                         "replace it with the WorldPop file as published (geoplan data fetch)") from exc
    if nodata is not None:
        data[data == nodata] = 0.0
    data[~np.isfinite(data)] = 0.0
    rows, cols = np.nonzero(data > 0)
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    return pd.DataFrame({"lon": np.asarray(xs), "lat": np.asarray(ys), "count": data[rows, cols]})


def population_cells(
    *,
    raster_path: str | Path,
    municipalities: gpd.GeoDataFrame,
    totals: pd.DataFrame | None = None,
    cell_size: int = CELL_SIZE_M,
    snap_distance: float = 1500.0,
) -> gpd.GeoDataFrame:
    """Build population cells for a set of municipalities.

    Parameters
    ----------
    raster_path
        Population raster (EPSG:4326 counts).
    municipalities
        Polygons in EPSG:25832 with column ``kode``.
    totals
        Optional table with columns ``kode``, ``pop`` and ``over65`` (percent):
        cells of each municipality are scaled to ``pop`` and get
        ``pop65 = pop × over65 / 100``. Without it, raw raster counts are kept
        and ``pop65`` is NaN.
    cell_size
        Grid size in metres (default 1000: the Danish 1 km grid).
    snap_distance
        Pixels whose centre is in no municipality join the nearest one within
        this many metres; others are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per populated (square, municipality): ``cell_id`` (``1km_<N>_<E>``
        in km, suffixed ``_<kode>`` where a square is split), ``kode``, ``pop``,
        ``pop65``, ``x``, ``y`` (population-weighted centre of the cell's pixels,
        EPSG:25832) and ``geometry`` (the square clipped to the municipality),
        sorted by ``cell_id``.
    """
    munis = municipalities[["kode", "geometry"]].to_crs(CRS)
    west, south, east, north = munis.to_crs(4326).total_bounds
    pad = 0.02
    px = raster_pixels_in_bounds(raster_path, bounds_wgs84=(west - pad, south - pad, east + pad, north + pad))
    to_utm = Transformer.from_crs(4326, CRS, always_xy=True)
    x, y = to_utm.transform(px["lon"].to_numpy(), px["lat"].to_numpy())
    pts = gpd.GeoDataFrame({"count": px["count"].to_numpy(), "x": x, "y": y},
                           geometry=gpd.points_from_xy(x, y), crs=CRS)
    joined = gpd.sjoin(pts, munis, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    missing = joined["kode"].isna()
    if missing.any():
        near = gpd.sjoin_nearest(pts[missing.to_numpy()], munis, how="left", max_distance=snap_distance)
        near = near[~near.index.duplicated(keep="first")]
        joined.loc[near.index, "kode"] = near["kode"]
    joined = joined[joined["kode"].notna()].copy()

    if totals is not None:
        raw = joined.groupby("kode")["count"].sum()
        tot = totals.set_index("kode")
        unknown = sorted(set(raw.index) - set(tot.index))
        if unknown:
            raise InputError(None, f"municipality totals lack codes {unknown}",
                             "add a row per municipality code to the totals table")
        joined["count"] = joined["count"] * joined["kode"].map(tot["pop"] / raw)
        joined["c65"] = joined["count"] * joined["kode"].map(tot["over65"] / 100.0)
    else:
        joined["c65"] = np.nan

    joined["gx"] = np.floor(joined["x"] / cell_size).astype("int64")
    joined["gy"] = np.floor(joined["y"] / cell_size).astype("int64")
    joined["wx"] = joined["x"] * joined["count"]
    joined["wy"] = joined["y"] * joined["count"]
    cells = (
        joined.groupby(["kode", "gx", "gy"], sort=True)[["count", "c65", "wx", "wy"]]
        .sum(min_count=1)
        .reset_index()
    )
    cells = cells[cells["count"] > 0].copy()
    cells["x"] = cells["wx"] / cells["count"]
    cells["y"] = cells["wy"] / cells["count"]

    squares = shapely.box(cells["gx"] * cell_size, cells["gy"] * cell_size,
                          (cells["gx"] + 1) * cell_size, (cells["gy"] + 1) * cell_size)
    muni_geom = munis.dissolve("kode").geometry
    shapely.prepare(muni_geom.to_numpy())
    clipped = shapely.intersection(squares, muni_geom.loc[cells["kode"]].to_numpy())
    # squares whose pixels lie just off the 1:500k coastline: clip to the coastal snap buffer instead
    empty = shapely.is_empty(clipped) | (shapely.area(clipped) < 1.0)
    if empty.any():
        coast = muni_geom.buffer(snap_distance).loc[cells["kode"].to_numpy()[empty]].to_numpy()
        clipped[empty] = shapely.intersection(squares[empty], coast)
        empty = shapely.is_empty(clipped) | (shapely.area(clipped) < 1.0)
        clipped[empty] = squares[empty]

    km = cell_size // 1000 if cell_size % 1000 == 0 else cell_size / 1000
    base_id = [f"{km}km_{gy}_{gx}" for gx, gy in zip(cells["gx"], cells["gy"], strict=True)]
    dup = pd.Series(base_id).duplicated(keep=False).to_numpy()
    ids = [f"{b}_{k}" if d else b for b, k, d in zip(base_id, cells["kode"], dup, strict=True)]
    out = gpd.GeoDataFrame(
        {
            "cell_id": ids,
            "kode": cells["kode"].to_numpy(),
            "pop": cells["count"].to_numpy(),
            "pop65": cells["c65"].to_numpy(),
            "x": cells["x"].to_numpy(),
            "y": cells["y"].to_numpy(),
        },
        geometry=clipped,
        crs=CRS,
    )
    return out.sort_values("cell_id", kind="stable").reset_index(drop=True)
