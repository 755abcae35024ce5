"""Catchments and service areas of sites, as polygons with the population inside.

- :func:`catchment_areas` — per site, the cells it serves (the nearest site by
  travel time, a given assignment, or — without either — the nearest by
  straight-line distance), dissolved into one (multi)polygon, with the
  population, the number of cells and, given times, the population-weighted
  mean minutes.
- :func:`service_areas` — per site and threshold (15 and 30 minutes by
  default), the cells within that many minutes of the site, dissolved, with
  the population inside. Service areas of neighbouring sites overlap;
  catchments do not.

Both return GeoDataFrames in the cells' CRS (EPSG:25832 expected), one row
per site (and threshold), ready for ``GeoDataFrame.to_file(..., layer=...)``
and, converted to WGS84, for a map layer. Inputs are plain arrays and frames:
nothing here knows about scenarios.

Limits: cells are expected not to overlap (a grid: the fast coverage union
is used; overlapping cells fall back to the general union); a catchment is the union of whole cells (1 km squares give a
staircase outline); ties in travel time go to the first site in ``site_ids``;
cells that reach no site belong to no catchment. Sites without cells get a
row with population 0 and an empty geometry.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geoplan.errors import InputError

__all__ = ["catchment_areas", "nearest_by_distance", "service_areas"]


def _check_cells(cells: gpd.GeoDataFrame, population: str) -> npt.NDArray[np.float64]:
    if not isinstance(cells, gpd.GeoDataFrame):
        raise InputError(
            None, "cells must be a GeoDataFrame", "pass the population cells with their geometry"
        )
    if population not in cells.columns:
        raise InputError(
            None,
            f"cells lack the population column {population!r}",
            f"pass population= one of {list(cells.columns)}",
        )
    pop: npt.NDArray[np.float64] = pd.to_numeric(cells[population], errors="coerce").to_numpy(
        dtype=float
    )
    if np.isnan(pop).any() or (pop < 0).any():
        raise InputError(
            None, f"cells[{population!r}] has missing or negative values", "use 0 for empty cells"
        )
    return pop


def _check_minutes(minutes: npt.ArrayLike, n_cells: int, n_sites: int) -> npt.NDArray[np.float64]:
    m: npt.NDArray[np.float64] = np.asarray(minutes, dtype=float)
    if m.shape != (n_cells, n_sites):
        raise InputError(
            None,
            f"minutes has shape {m.shape}, expected (cells, sites) = ({n_cells}, {n_sites})",
            "pass the cells x sites travel-time matrix, one column per site id",
        )
    if np.isnan(m).any() or (m < 0).any():
        raise InputError(None, "minutes has NaN or negative values", "use numpy.inf for 'no route'")
    return m


def _site_or_none(a: object) -> str | None:
    if a is None or a == "" or (isinstance(a, float) and np.isnan(a)):
        return None
    return str(a)


def _dissolve(geoms: npt.NDArray[np.object_]) -> shapely.Geometry:
    """Union of cell polygons: the fast coverage union for edge-sharing cells (a grid),
    the general union when the cells overlap (detected by the area not adding up)."""
    if len(geoms) == 0:
        return shapely.Polygon()
    try:
        out = shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:  # not cleanly noded (the region's cells are clipped at the coast)
        return shapely.union_all(geoms)
    total = float(shapely.area(geoms).sum())
    if abs(float(out.area) - total) > 1e-6 * max(total, 1.0) or not out.is_valid:
        out = shapely.union_all(geoms)
    return out


def nearest_by_distance(
    cells: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, site_id: str = "site_id"
) -> npt.NDArray[np.object_]:
    """The id of the site nearest (straight line) to each cell's centroid.

    Both frames are brought to the cells' CRS; a KD-tree (scipy) finds the
    nearest point. Ties go to the site listed first.
    """
    from scipy.spatial import cKDTree

    if site_id not in sites.columns:
        raise InputError(
            None,
            f"sites lack the id column {site_id!r}",
            f"pass site_id= one of {list(sites.columns)}",
        )
    if len(sites) == 0:
        raise InputError(None, "no sites given", "pass at least one site")
    s = sites.to_crs(cells.crs) if sites.crs is not None and cells.crs is not None else sites
    pts = shapely.point_on_surface(s.geometry.to_numpy())
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    c = shapely.centroid(cells.geometry.to_numpy())
    cxy = np.column_stack([shapely.get_x(c), shapely.get_y(c)])
    _, idx = cKDTree(xy).query(cxy, k=1)
    ids = s[site_id].astype(str).to_numpy(dtype=object)
    return np.asarray(ids[np.asarray(idx, dtype=int)], dtype=object)


def catchment_areas(
    cells: gpd.GeoDataFrame,
    site_ids: Sequence[str],
    *,
    minutes: npt.ArrayLike | None = None,
    assignment: Sequence[str | None] | npt.ArrayLike | None = None,
    sites: gpd.GeoDataFrame | None = None,
    population: str = "pop",
    site_id: str = "site_id",
    keep: Sequence[str] = ("name", "kind"),
) -> gpd.GeoDataFrame:
    """Per site, the cells it serves dissolved into one polygon, with the population inside.

    Parameters
    ----------
    cells
        Cell polygons with a ``population`` column.
    site_ids
        The sites, in the column order of ``minutes``.
    minutes
        Cells × sites travel times (``inf`` = no route): each cell goes to the
        site with the shortest time (ties: the first). Cells with no finite
        time belong to none.
    assignment
        Instead of ``minutes``: the site id serving each cell (``None``/"" = none),
        e.g. a location model's allocation.
    sites
        Without ``minutes`` and ``assignment``: site points, and each cell goes
        to the nearest by straight-line distance. With any option, the
        ``keep`` columns of ``sites`` (matched on ``site_id``) are copied over.
    population, site_id, keep
        Column names.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, the ``keep`` columns present in ``sites``, ``population``,
        ``n_cells_served``, ``mean_minutes`` (with ``minutes``; NaN for empty
        catchments), ``area_km2`` and the geometry, one row per site in
        ``site_ids`` order, in the cells' CRS.

    Raises
    ------
    InputError
        Mismatched shapes, unknown site ids in ``assignment``, missing columns.
    """
    pop = _check_cells(cells, population)
    ids = [str(s) for s in site_ids]
    if not ids or len(set(ids)) != len(ids):
        raise InputError(None, "site_ids is empty or has duplicates", "give each site once")
    m: npt.NDArray[np.float64] | None = None
    owner: npt.NDArray[np.object_]
    if minutes is not None:
        m = _check_minutes(minutes, len(cells), len(ids))
        best = np.argmin(m, axis=1)
        reach = np.isfinite(m[np.arange(len(cells)), best])
        id_arr = np.asarray(ids, dtype=np.object_)
        owner = np.asarray(
            [id_arr[b] if r else None for b, r in zip(best, reach, strict=True)], dtype=np.object_
        )
    elif assignment is not None:
        given = list(np.asarray(assignment, dtype=np.object_).ravel())
        owner = np.asarray([_site_or_none(a) for a in given], dtype=np.object_)
        if len(owner) != len(cells):
            raise InputError(
                None,
                f"assignment has {len(owner)} entries for {len(cells)} cells",
                "give one per cell",
            )
        unknown = sorted({str(a) for a in owner if a is not None} - set(ids))
        if unknown:
            raise InputError(
                None, f"assignment names unknown site(s) {unknown[:5]}", "list them in site_ids"
            )
    elif sites is not None:
        owner = nearest_by_distance(cells, sites, site_id=site_id)
    else:
        raise InputError(
            None, "no way to assign cells to sites", "pass minutes=, assignment= or sites="
        )

    geoms = cells.geometry.to_numpy()
    rows = []
    for j, sid in enumerate(ids):
        sel = owner == sid
        w = pop[sel]
        row: dict[str, object] = {
            "site_id": sid,
            "population": float(w.sum()),
            "n_cells_served": int(sel.sum()),
        }
        if m is not None:
            row["mean_minutes"] = (
                float(np.average(m[sel, j], weights=w)) if w.sum() > 0 else float("nan")
            )
        row["geometry"] = _dissolve(geoms[sel])
        rows.append(row)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=cells.crs)
    out["area_km2"] = out.geometry.area / 1e6
    out = _with_site_columns(out, sites, site_id=site_id, keep=keep)
    return out


def service_areas(
    cells: gpd.GeoDataFrame,
    site_ids: Sequence[str],
    *,
    minutes: npt.ArrayLike,
    thresholds: Sequence[float] = (15, 30),
    sites: gpd.GeoDataFrame | None = None,
    population: str = "pop",
    site_id: str = "site_id",
    keep: Sequence[str] = ("name", "kind"),
) -> gpd.GeoDataFrame:
    """Per site and threshold T, the cells within T minutes of the site, with their population.

    Parameters
    ----------
    minutes
        Cells × sites travel times (``inf`` = no route), columns in
        ``site_ids`` order. A cell at exactly T minutes is inside.
    thresholds
        Minutes, e.g. ``(15, 30)``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``keep`` columns of ``sites``, ``max_minutes`` (T),
        ``population``, ``n_cells_served``, ``area_km2``, geometry: one row per
        site and threshold (site order, then thresholds ascending).
    """
    pop = _check_cells(cells, population)
    ids = [str(s) for s in site_ids]
    m = _check_minutes(minutes, len(cells), len(ids))
    ts = sorted({float(x) for x in thresholds})
    if not ts or any(not np.isfinite(x) or x <= 0 for x in ts):
        raise InputError(None, f"thresholds must be positive minutes, got {list(thresholds)}")
    geoms = cells.geometry.to_numpy()
    rows = []
    for j, sid in enumerate(ids):
        for T in ts:
            sel = m[:, j] <= T + 1e-9
            rows.append(
                {
                    "site_id": sid,
                    "max_minutes": T,
                    "population": float(pop[sel].sum()),
                    "n_cells_served": int(sel.sum()),
                    "geometry": _dissolve(geoms[sel]),
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=cells.crs)
    out["area_km2"] = out.geometry.area / 1e6
    return _with_site_columns(out, sites, site_id=site_id, keep=keep)


def _with_site_columns(
    out: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame | pd.DataFrame | None,
    *,
    site_id: str,
    keep: Sequence[str],
) -> gpd.GeoDataFrame:
    if sites is None:
        return out
    cols = [c for c in keep if c in sites.columns and c not in out.columns]
    if not cols:
        return out
    extra = pd.DataFrame(sites[[site_id, *cols]]).drop_duplicates(site_id)
    extra[site_id] = extra[site_id].astype(str)
    merged = out.merge(extra.rename(columns={site_id: "site_id"}), on="site_id", how="left")
    order = [
        "site_id",
        *cols,
        *[c for c in out.columns if c not in ("site_id", "geometry")],
        "geometry",
    ]
    return gpd.GeoDataFrame(merged[order], geometry="geometry", crs=out.crs)
