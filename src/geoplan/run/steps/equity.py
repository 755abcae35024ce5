"""The ``[equity]`` step: who is worst off, how unequal, and along which lines, for every measure of a run.

Runs last, in every scenario (``[equity] enabled = false`` turns it off), on the results
of the steps before it (:attr:`RunContext.results`):

==========================  ===========================================  ===========
measure                     from                                         worse
==========================  ===========================================  ===========
``acute_minutes``           ``[acute]``: drive minutes to the nearest     higher
``ambulance_response_...``  ``[prehospital]``: ambulance response at the  higher
                            section's (or the step's first) hour
``gp_access``               ``[gp_access]``: practices per inhabitant     lower
``house_access:<kind>``     ``[gp_access]`` on the chosen houses          lower
``house_minutes``, ...      ``[health_houses]`` / ``[psychiatry_houses]``  higher
                            / ``[joint_houses]`` (or ``[home_care]``'s
                            houses): minutes to the nearest
==========================  ===========================================  ===========

For each: :class:`geoplan.measures.equity.EquityReport` (worst-off decile, the worst
places, Gini, Theil with its between/within split, P90/P10) broken down by settlement
class and urban/rural (the urban share of the cell's 1 km square,
:mod:`geoplan.measures.urban`), island, municipality and 65+, and access per
municipality against the four social-position indicators and the deprivation index
(:mod:`geoplan.measures.socioeconomic`), with the households without a car beside every
figure. Inputs that are missing (a region without land cover or voting-area table) are
left out with a note; the rest is still computed.

Returns an :class:`~geoplan.run.results.EquityResult`; writes nothing.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.errors import GeoplanError, InputError
from geoplan.measures.equity import KNOWN_MEASURES, EquityReport, Worse
from geoplan.run.context import RunContext
from geoplan.run.results import (
    AcuteResult,
    EquityResult,
    GPAccessResult,
    Headline,
    HomeCareResult,
    HousesResult,
    JointHousesResult,
    PrehospitalResult,
)

#: Measures beyond :data:`geoplan.measures.equity.KNOWN_MEASURES`: name → (worse, unit, i18n key).
EXTRA_MEASURES: dict[str, tuple[Worse, str, str]] = {
    "psychiatry_house_minutes": ("higher", "min", "equity.measure.psychiatry_house_minutes"),
    "joint_health_house_minutes": ("higher", "min", "equity.measure.house_minutes"),
    "joint_psychiatry_house_minutes": ("higher", "min", "equity.measure.psychiatry_house_minutes"),
    "house_access:health_houses": ("lower", "score", "equity.measure.house_access_health"),
    "house_access:psychiatry_houses": ("lower", "score", "equity.measure.house_access_psychiatry"),
}
#: The socio-economic indicators shown beside access (rates; the index; households without a car).
SOCIAL_COLUMNS: tuple[str, ...] = ("no_car_share", "low_income_share", "basic_education_share",
                                   "early_retirement_per_1000", "deprivation_index", "households_no_car")


def measure_info(name: str) -> tuple[Worse, str, str]:
    """(worse, unit, i18n key) of a measure name."""
    if name in KNOWN_MEASURES:
        return KNOWN_MEASURES[name]
    return EXTRA_MEASURES[name]


# ------------------------------------------------------------------------ inputs
@lru_cache(maxsize=4)
def _deprivation(path: str, municipalities: tuple[str, ...]) -> pd.DataFrame:
    from geoplan.measures.socioeconomic import deprivation_by_municipality

    return deprivation_by_municipality(path, municipalities=list(municipalities))


def deprivation_table(ctx: RunContext) -> tuple[pd.DataFrame | None, str | None]:
    """The socio-economic indicators of the region's municipalities, or ``None`` and why not."""
    from geoplan.datadir import input_path

    try:
        path = input_path(ctx.region.manifest, "socioeconomic")
    except GeoplanError as exc:   # not in the manifest, or not in the data directory: an optional input
        return None, f"socio-economic indicators not available: {exc}"
    try:
        return _deprivation(str(path), tuple(ctx.region.manifest.municipalities)).copy(), None
    except InputError:
        raise                     # the file is there but broken: one clear error, not a silent gap
    except (GeoplanError, OSError, ValueError, KeyError) as exc:
        return None, f"socio-economic indicators not available: {exc}"


@lru_cache(maxsize=4)
def _settlement(landcover: str, municipalities: str, key: tuple[object, ...], xy: bytes) -> pd.DataFrame:
    from geoplan.measures.urban import cell_settlement, land_parts, read_landcover_grid

    n = len(xy) // 16
    pts = np.frombuffer(xy, dtype="float64").reshape(n, 2)
    cells = pd.DataFrame({"x": pts[:, 0], "y": pts[:, 1]})
    pad = 2000.0
    bbox = (float(pts[:, 0].min()) - pad, float(pts[:, 1].min()) - pad,
            float(pts[:, 0].max()) + pad, float(pts[:, 1].max()) + pad)
    grid = read_landcover_grid(landcover, bbox=bbox)
    return cell_settlement(cells, grid=grid, parts=land_parts(municipalities)).reset_index(drop=True)


def settlement_columns(ctx: RunContext) -> tuple[pd.DataFrame | None, str | None]:
    """``urban_share``, ``settlement``, ``urban_rural``, ``island`` per cell, or ``None`` and why not."""
    from geoplan.datadir import input_path

    try:
        lc = input_path(ctx.region.manifest, "landcover")
        mu = input_path(ctx.region.manifest, "municipalities")
        xy = np.ascontiguousarray(ctx.cells[["x", "y"]].to_numpy(dtype="float64"))
        df = _settlement(str(lc), str(mu), (ctx.region.name, len(xy)), xy.tobytes())
        return df.copy(), None
    except (GeoplanError, OSError, ValueError, KeyError) as exc:
        return None, f"urban share and islands not available: {exc}"


# ----------------------------------------------------------------------- measures
def run_measures(ctx: RunContext) -> dict[str, np.ndarray]:
    """Measure name → one value per cell, from the results of the steps that ran."""
    sec = ctx.scenario.equity
    out: dict[str, np.ndarray] = {}
    for res in ctx.results.values():
        if isinstance(res, AcuteResult):
            out["acute_minutes"] = res.cells["minutes"].to_numpy(dtype="float64")
        elif isinstance(res, PrehospitalResult):
            hours = sorted(res.by_hour)
            h = sec.prehospital_hour if sec.prehospital_hour in res.by_hour else None
            if h is None and "prehospital_ambulance" in res.measures:
                out["ambulance_response_minutes"] = np.asarray(res.measures["prehospital_ambulance"].minutes,
                                                               dtype="float64")
            elif hours:
                out["ambulance_response_minutes"] = np.asarray(res.by_hour[h if h is not None else hours[0]]
                                                               ["ambulance"], dtype="float64")
        elif isinstance(res, GPAccessResult):
            out["gp_access"] = res.cells["access"].to_numpy(dtype="float64")
            for kind, hc in res.houses.items():
                out[f"house_access:{kind}"] = hc["access"].to_numpy(dtype="float64")
        elif isinstance(res, HousesResult):
            name = "house_minutes" if res.kind == "health_houses" else "psychiatry_house_minutes"
            out[name] = np.asarray(res.minutes, dtype="float64")
        elif isinstance(res, JointHousesResult):
            out["joint_health_house_minutes"] = np.asarray(res.minutes_by["health"], dtype="float64")
            out["joint_psychiatry_house_minutes"] = np.asarray(res.minutes_by["psychiatry"], dtype="float64")
        elif isinstance(res, HomeCareResult):  # drive minutes to the nearest house of the comparison
            out.setdefault("house_minutes", res.cells["house_minutes"].to_numpy(dtype="float64"))
    return out


def equity_cells(ctx: RunContext, settlement: pd.DataFrame | None) -> pd.DataFrame:
    """The cells with the breakdown columns the report uses."""
    cells = pd.DataFrame(ctx.cells[["cell_id", "kode", "navn", "pop", "pop65"]]).reset_index(drop=True)
    if settlement is not None:
        for col in ("urban_share", "settlement", "urban_rural", "island"):
            cells[col] = settlement[col].to_numpy()
        cells["island"] = cells["island"].map({True: "true", False: "false"}).astype(object)
    return cells


def _worst_places(name: str, rep: EquityReport, dep: pd.DataFrame | None) -> pd.DataFrame:
    wc = rep.worst_cells.assign(level="cell")
    wm = rep.worst_municipalities.assign(level="municipality", kode=rep.worst_municipalities["place"])
    df = pd.concat([wc, wm], ignore_index=True)
    if dep is not None:
        d = dep.set_index("kode")
        for col in ("households_no_car", "no_car_share"):
            if col in d.columns:
                df[col] = df["kode"].map(d[col])
    df.insert(0, "measure", name)
    cols = ["measure", "level", "rank", "place", "kode", "navn", "value", "mean_reachable", "population",
            "unreachable_population", "households_no_car", "no_car_share"]
    return df[[c for c in cols if c in df.columns]]


def _worst_off(name: str, rep: EquityReport, dep: pd.DataFrame | None, cells: pd.DataFrame) -> pd.DataFrame:
    """Where the worst-off share lives, per municipality, with its households without a car."""
    cols = ["measure", "kode", "municipality", "population", "share_of_worst", "share_of_group"]
    bg = rep.worst_off.by_group
    if bg is None or bg.empty:
        return pd.DataFrame(columns=cols)
    df = bg.reset_index() if "group" not in bg.columns else bg.copy()
    df = df.rename(columns={"group": "kode", "index": "kode"})
    names = dict(zip(cells["kode"], cells["navn"], strict=False))
    df["municipality"] = df["kode"].map(names)
    df.insert(0, "measure", name)
    df = df[[c for c in cols if c in df.columns]]
    if dep is not None:
        d = dep.set_index("kode")
        for col in ("households_no_car", "no_car_share"):
            if col in d.columns:
                df[col] = df["kode"].map(d[col])
    return df.sort_values(["population", "kode"], ascending=[False, True], kind="stable").reset_index(drop=True)


def equity(ctx: RunContext) -> EquityResult:
    """The equity report of every measure of the run (nothing written)."""
    sec = ctx.scenario.equity
    if not sec.enabled:
        return EquityResult(step="equity", notes=["equity report turned off ([equity] enabled = false)"])
    values = run_measures(ctx)
    if not values:
        return EquityResult(step="equity", notes=["no measure of access in this run"])
    notes: list[str] = []
    settlement, note = settlement_columns(ctx)
    if note:
        notes.append(note)
    dep, note = deprivation_table(ctx)
    if note:
        notes.append(note)
    cells = equity_cells(ctx, settlement)
    reports: dict[str, EquityReport] = {}
    labels: dict[str, str] = {}
    for name, v in values.items():
        worse, unit, label = measure_info(name)
        with progress.task(f"Equity: {name}"):
            reports[name] = EquityReport.from_cells(
                cells, v, measure=name, worse=worse, unit=unit, deprivation=dep, n_worst=sec.n_worst,
                share=sec.worst_share, min_population=sec.min_population,
                breakdown_columns=[c for c in ("settlement", "urban_rural", "island", "kode") if c in cells.columns])
        labels[name] = label
    indicators = pd.concat([r.table for r in reports.values()], ignore_index=True)
    worst = pd.concat([_worst_places(n, r, dep) for n, r in reports.items()], ignore_index=True)
    deprivation = correlations = None
    if dep is not None:
        deprivation = pd.concat([r.deprivation.assign(measure=n) for n, r in reports.items()
                                 if r.deprivation is not None], ignore_index=True)
        names = dict(zip(cells["kode"], cells["navn"], strict=False))
        deprivation.insert(0, "measure", deprivation.pop("measure"))
        deprivation.insert(2, "municipality", deprivation["kode"].map(names))
        keep = ["measure", "kode", "municipality", "population", "unreachable_population", "mean_reachable", "mean",
                "rank_worst_access", *[c for c in SOCIAL_COLUMNS if c in deprivation.columns]]
        deprivation = deprivation[keep]
        correlations = pd.concat([r.correlations.assign(measure=n) for n, r in reports.items()
                                  if r.correlations is not None], ignore_index=True)
        correlations.insert(0, "measure", correlations.pop("measure"))
    worst_off = pd.concat([_worst_off(n, r, dep, cells) for n, r in reports.items()], ignore_index=True)
    headlines = [_headline(n, r, labels[n], sec.worst_share) for n, r in reports.items()]
    return EquityResult(step="equity", reports=reports, labels=labels, indicators=indicators, worst_places=worst,
                        deprivation=deprivation, correlations=correlations, worst_off=worst_off, notes=notes,
                        headlines=headlines)


def indicator(rep: EquityReport, name: str, group: str = "all") -> float:
    """One value of a report's tidy table (NaN when absent)."""
    t = rep.table
    v = t.loc[(t["indicator"] == name) & (t["group"] == group), "value"]
    return float(v.iloc[0]) if len(v) else float("nan")


def _headline(name: str, rep: EquityReport, label: str, share: float) -> Headline:
    worst = indicator(rep, "worst_decile_mean")
    mean = indicator(rep, "mean_reachable")
    g = indicator(rep, "gini")
    ratio = indicator(rep, "p90_p10")
    scale = 1000.0 if rep.unit == "score" else 1.0  # scores per 1,000 inhabitants
    key = "headline.equity_score" if rep.unit == "score" else "headline.equity_minutes"

    def num(x: float) -> tuple[float, int]:
        return (x * scale if np.isfinite(x) else x, 2 if rep.unit == "score" else 1)

    return Headline.from_label(
        f"equity_{name}", worst * scale, key,
        numbers={"worst": num(worst), "mean": num(mean), "gini": (g, 3),
                 "ratio": (ratio, 2), "pct": (100 * share, None)},
        what=lambda lang: _t(label, lang))


def _t(key: str, lang: str) -> str:
    from geoplan.i18n import t

    return t(key, lang)


__all__ = ["deprivation_table", "equity", "measure_info", "run_measures", "settlement_columns"]
