"""The ``[gp_access]`` step: floating-catchment access to general practice (and to houses).

Supply: the general practices of ``facilities/gp_hospital_pharmacy_dk.csv`` inside the
region grown by ``buffer_km`` (:func:`geoplan.access.practices.read_gp_practices`), one
unit of capacity per practice (no public list sizes: access counts practices, not
doctors). Demand: the population cells (``pop`` or ``pop65``). Cost: network drive
minutes from every cell to every practice (:meth:`RunContext.cells_to`, no cutoff, so
the minutes to the nearest practice come from the same matrix). Model:
:class:`~geoplan.access.TwoStageFCA`, :class:`~geoplan.access.EnhancedTwoStageFCA` or
:class:`~geoplan.access.GravityAccess` with the section's catchment.

When a houses step ran before (``[health_houses]`` / ``[psychiatry_houses]``) and
``houses = true``, the same model is solved for the chosen houses, each with the
capacity of its section (``capacity``, in weight units) or 1 per house, and with the
houses section's ``max_minutes`` as catchment.

Returns a :class:`~geoplan.run.results.GPAccessResult`; writes nothing.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.access.decay import StepDecay
from geoplan.access.practices import CAPACITY_NOTE, read_gp_practices
from geoplan.access.practices import gp_access as solve_gp_access
from geoplan.config import GPAccessSection
from geoplan.measures.coverage import round_table
from geoplan.run.context import RunContext, municipality_names
from geoplan.run.results import GPAccessResult, Headline, HousesResult
from geoplan.run.steps.equity import deprivation_table

#: Houses steps whose chosen sites get an access score too.
HOUSE_STEPS: tuple[str, ...] = ("health_houses", "psychiatry_houses")


def gp_practices(ctx: RunContext, sec: GPAccessSection) -> gpd.GeoDataFrame:
    """The practices used as supply (a seam for tests on a region without a data directory)."""
    return read_gp_practices(region=ctx.region, buffer_m=sec.buffer_km * 1000.0)


def _solve(ctx: RunContext, sec: GPAccessSection, sites: gpd.GeoDataFrame, *, what: str,
           max_minutes: float | None = None) -> tuple[pd.DataFrame, Any]:
    """Per-cell access to ``sites`` (``site_id``, ``capacity``, x, y) and the solved model.

    ``max_minutes``: the catchment (default the section's).
    """
    matrix = ctx.cells_to(sites, id_column="site_id", description=f"Travel times to {what}")
    cells = ctx.cells.assign(_w=ctx.cells[sec.weight].to_numpy(dtype="float64"))
    res = solve_gp_access(
        cells, sites, matrix, method=sec.method, max_minutes=sec.max_minutes if max_minutes is None else max_minutes,
        weights=StepDecay(sec.weights) if sec.weights is not None else None,
        gaussian_width=sec.gaussian_width, beta=sec.beta, min_minutes=sec.min_minutes,
        population="_w", group_by=["kode", "navn"])
    out = res.cells.rename(columns={"pop": "weight"})
    out.insert(3, "pop", ctx.cells["pop"].to_numpy(dtype="float64"))
    # no site in reach: access 0 (NaN in the model's table), the worst value of a score
    out["access"] = np.nan_to_num(out["access"].to_numpy(dtype="float64"), nan=0.0)
    out["access_norm"] = np.nan_to_num(out["access_norm"].to_numpy(dtype="float64"), nan=0.0)
    m = matrix.minutes.astype("float64")
    out["nearest_minutes"] = m.min(axis=1) if m.shape[1] else np.inf
    return out, res.model


def by_municipality(ctx: RunContext, cells: pd.DataFrame, sites: pd.DataFrame,
                    deprivation: pd.DataFrame | None) -> pd.DataFrame:
    """Access per municipality and the region: mean per 1,000, normalised, none in reach, nearest minutes."""
    names = municipality_names(ctx)
    site_muni = _site_municipality(ctx, sites)
    rows = []
    for code, g in [*cells.groupby("kode", sort=True), ("", cells)]:
        w = g["weight"].to_numpy(dtype="float64")
        tot = float(w.sum())
        a = g["access"].to_numpy(dtype="float64")
        near = g["nearest_minutes"].to_numpy(dtype="float64")
        fin = np.isfinite(near) & (w > 0)
        zero = float(w[(a == 0) & (w > 0)].sum())
        rows.append({
            "kode": code, "municipality": names.get(str(code), "") if code else ctx.region.title(ctx.lang),
            "population": float(g["pop"].sum()), "weight": tot,
            "practices": int((site_muni == code).sum()) if code else int(len(sites)),
            "mean_per_1000": float(np.dot(a, w) / tot * 1000.0) if tot else np.nan,
            "mean_norm": float(np.dot(g["access_norm"].to_numpy(dtype="float64"), w) / tot) if tot else np.nan,
            "zero_access_population": zero, "zero_access_share": zero / tot if tot else np.nan,
            "mean_nearest_minutes": float(np.dot(near[fin], w[fin]) / w[fin].sum()) if fin.any() else np.inf,
        })
    table = pd.DataFrame(rows)
    return round_table(add_no_car(table, deprivation))


def add_no_car(table: pd.DataFrame, deprivation: pd.DataFrame | None) -> pd.DataFrame:
    """Households without a car (count and share) beside a by-municipality table with ``kode``.

    The region row (``kode == ""``) gets the sum of the households and their share.
    """
    if deprivation is None or "households_no_car" not in deprivation.columns:
        return table
    dep = deprivation.set_index("kode")
    out = table.copy()
    out["households_no_car"] = out["kode"].map(dep["households_no_car"])
    out["no_car_share"] = out["kode"].map(dep["no_car_share"])
    if "households" in dep.columns:
        total = out["kode"] == ""
        known = dep.index.isin(table["kode"])
        out.loc[total, "households_no_car"] = float(dep.loc[known, "households_no_car"].sum())
        out.loc[total, "no_car_share"] = float(dep.loc[known, "households_no_car"].sum()
                                               / dep.loc[known, "households"].sum())
    return out


def _site_municipality(ctx: RunContext, sites: pd.DataFrame) -> np.ndarray:
    """Municipality code of each site ('' outside the region)."""
    if "kommune" in sites.columns:
        return sites["kommune"].fillna("").astype(str).to_numpy()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(sites["x"], sites["y"]), crs=ctx.region.municipalities.crs)
    munis = ctx.region.municipalities[["kode", "geometry"]]
    joined = gpd.sjoin(pts, munis, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined["kode"].fillna("").astype(str).to_numpy()


def gp_access(ctx: RunContext) -> GPAccessResult:
    """Access to general practice per cell and municipality; the same for the chosen houses."""
    sec = ctx.scenario.gp_access
    assert sec is not None
    practices = gp_practices(ctx, sec).sort_values("site_id").reset_index(drop=True)
    dep, _ = deprivation_table(ctx)
    cells, model = _solve(ctx, sec, practices, what=f"{len(practices)} general practices")
    table = by_municipality(ctx, cells, practices, dep)
    summary = {**model.summary(), "weight": sec.weight, "buffer_km": sec.buffer_km,
               "capacity": CAPACITY_NOTE, "practices": int(len(practices))}
    houses: dict[str, pd.DataFrame] = {}
    houses_tables: dict[str, pd.DataFrame] = {}
    if sec.houses:
        for name in HOUSE_STEPS:
            hr = ctx.results.get(name)
            if not isinstance(hr, HousesResult):
                continue
            sites = hr.sites[["site_id", "name", "kommune", "x", "y"]].copy()
            sites["capacity"] = float(hr.section.capacity) if hr.section.capacity is not None else 1.0
            sites = sites.sort_values("site_id").reset_index(drop=True)
            hc, _ = _solve(ctx, sec, sites, what=name.replace("_", " "), max_minutes=hr.section.max_minutes)
            houses[name] = hc
            houses_tables[name] = by_municipality(ctx, hc, sites, dep)
    region_row = table[table["kode"] == ""].iloc[0]
    munis = table[table["kode"] != ""]
    lo, hi = munis.loc[munis["mean_per_1000"].idxmin()], munis.loc[munis["mean_per_1000"].idxmax()]
    headline = Headline.from_label(
        "gp_access", float(region_row["mean_per_1000"]), "headline.gp_access",
        numbers={"mean": (float(region_row["mean_per_1000"]), 2), "minutes": (sec.max_minutes, None),
                 "low": (float(lo["mean_per_1000"]), 2), "high": (float(hi["mean_per_1000"]), 2),
                 "zero": (100 * float(region_row["zero_access_share"]), 1)},
        n=len(practices), low_name=str(lo["municipality"]), high_name=str(hi["municipality"]))
    progress.step(f"gp_access: {len(practices)} practices, {region_row['mean_per_1000']:.3f} per 1,000 within "
                  f"{sec.max_minutes:g} min ({lo['municipality']} {lo['mean_per_1000']:.3f} – "
                  f"{hi['municipality']} {hi['mean_per_1000']:.3f})")
    return GPAccessResult(step="gp_access", practices=practices, cells=cells, table=table,
                          summary=summary, houses=houses, houses_tables=houses_tables, headlines=[headline])
