"""Catchments and service areas of a run's sites: layers of ``<step>_catchments.gpkg`` and of the map.

For every step with sites — acute hospitals, houses, ambulance stations — the
cells each site serves (its **catchment**: the cells for which it is the
nearest) dissolved into one polygon with the population inside and the
population-weighted mean minutes, and per site the part of its catchment
within 15 and 30 minutes (``service_areas``), with the population inside.

Limit: the step results keep each cell's time to its *nearest* site only,
not the full cells × sites matrix, so a "service area" here is the part of a
site's catchment within T minutes (areas of neighbouring sites do not
overlap); cells nearer another site are not counted twice.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.measures.catchments import catchment_areas, service_areas
from geoplan.run.results import AcuteResult, HousesResult, PrehospitalResult, RunResult

#: Service-area thresholds (minutes).
SERVICE_MINUTES = (15.0, 30.0)


def _nearest_matrix(nearest: np.ndarray, minutes: np.ndarray, ids: list[str]) -> np.ndarray:
    """Cells × sites minutes, finite only at each cell's nearest site."""
    col = {s: j for j, s in enumerate(ids)}
    m = np.full((len(nearest), len(ids)), np.inf)
    for i, (s, v) in enumerate(zip(nearest, minutes, strict=True)):
        j = col.get(str(s)) if s is not None else None
        if j is not None and np.isfinite(v):
            m[i, j] = v
    return m


def step_sites(result: Any) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray] | None:
    """``(sites, nearest site per cell, minutes per cell)`` of a step, or ``None`` (no sites)."""
    if isinstance(result, AcuteResult):
        c = result.cells
        return result.sites, c["nearest_site"].astype(object).to_numpy(), c["minutes"].to_numpy(dtype=float)
    if isinstance(result, HousesResult):
        return result.sites, np.asarray(result.nearest, dtype=object), np.asarray(result.minutes, dtype=float)
    if isinstance(result, PrehospitalResult) and len(result.stations):
        h0 = next(iter(result.by_hour), None)
        c = result.cells
        if h0 is None or f"amb_station_h{h0:02d}" not in c.columns:
            return None
        return (result.stations, c[f"amb_station_h{h0:02d}"].astype(object).to_numpy(),
                c[f"amb_h{h0:02d}"].to_numpy(dtype=float))
    return None


def site_catchments(run: RunResult, result: Any) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """``(catchments, service areas)`` of a step's sites (EPSG:25832), or ``None``."""
    got = step_sites(result)
    if got is None:
        return None
    sites, nearest, minutes = got
    sites = pd.DataFrame(sites).drop_duplicates("site_id")
    ids = [str(s) for s in sites["site_id"]]
    m = _nearest_matrix(nearest, minutes, ids)
    cells = run.cells[["pop", "geometry"]]
    keep = [c for c in ("name", "kind") if c in sites.columns]
    ca = catchment_areas(cells, ids, minutes=m, sites=sites, keep=keep)
    sa = service_areas(cells, ids, minutes=m, thresholds=SERVICE_MINUTES, sites=sites, keep=keep)
    return ca, sa


def catchment_lines(areas: gpd.GeoDataFrame, lang: str, *, minutes: float | None = None) -> gpd.GeoDataFrame:
    """Outlines of catchments / service areas with a label: name and population inside."""
    from geoplan.i18n import fmt_number, t

    a = areas[~areas.geometry.is_empty & (areas["population"] > 0)]
    if minutes is not None and "max_minutes" in a.columns:
        a = a[a["max_minutes"] == minutes]
    names = a["name"].astype(str) if "name" in a.columns else a["site_id"].astype(str)
    labels = [t("catchment.label", lang, name=n, n=fmt_number(float(p), lang, digits=0))
              for n, p in zip(names, a["population"], strict=True)]
    return gpd.GeoDataFrame({"label": labels}, geometry=a.geometry.boundary.to_numpy(), crs=areas.crs)


def add_catchment_layers(m: Any, run: RunResult, result: Any) -> None:
    """Catchment and 15/30-minute outlines as (hidden) layers of a map, labelled with the population."""
    from geoplan.i18n import t
    from geoplan.output import maps

    got = site_catchments(run, result)
    if got is None:
        return
    ca, sa = got
    lang = run.lang
    lines = catchment_lines(ca, lang)
    if len(lines):
        maps.add_lines(m, lines, name=t("catchment.layer_all", lang), color="#1a1a1a", weight=2.0,
                       label_field="label", show=False)
    for T, dash in zip(SERVICE_MINUTES, ("2 4", "6 4"), strict=True):
        lines = catchment_lines(sa, lang, minutes=T)
        if len(lines):
            maps.add_lines(m, lines, name=t("catchment.service_layer", lang, minutes=int(T)), color="#0072B2",
                           weight=1.5, dash=dash, label_field="label", show=False)


def write_catchments(name: str, result: Any, run: RunResult, out: Any) -> None:
    """``<step>_catchments.gpkg`` with layers ``catchments`` and ``service_areas`` (when the step has sites)."""
    got = site_catchments(run, result)
    if got is None:
        return
    ca, sa = got
    key = result.kind if isinstance(result, HousesResult) else name
    out.add_layer(ca, f"{key}_catchments.gpkg", layer="catchments")
    out.add_layer(sa, f"{key}_catchments.gpkg", layer="service_areas")


__all__ = ["SERVICE_MINUTES", "add_catchment_layers", "catchment_lines", "site_catchments", "step_sites",
           "write_catchments"]
