"""The ``[prehospital]`` step: ambulance, physician-car and helicopter response against the targets.

The model is in :mod:`geoplan.prehospital`; this step reads the region's fact
tables (``ambulance_stations.csv``, ``physician_cars.csv``,
``helicopter_bases.csv``), computes cells × sites matrices on the road graph
(Dijkstra from the few sites), evaluates each hour of ``prehospital.hours``
and compares the result with the measured response times per postcode.

It returns a :class:`~geoplan.run.results.PrehospitalResult` and writes nothing;
:func:`geoplan.output.prehospital.write_prehospital` writes
------
prehospital_coverage_by_municipality.csv, prehospital_coverage_by_postcode.csv
    One row per area (municipalities end with a region row; postcodes carry the
    municipality holding most of their population) and, per evaluated hour
    (column suffix ``_h12``, ``_h03``):

    - ``amb_mean``, ``amb_p90``, ``share_amb_within_<T>``: ambulance response;
    - ``share_<target>`` (e.g. ``share_A10``: share within 10 min, A-priority),
      ``met_<target>`` (1/0), ``misses`` (missed targets, e.g. ``"A10 A15"``),
      ``n_missed``;
    - ``first_mean``, ``first_p90``, ``share_first_within_<T>``,
      ``share_first_<A-target>``, ``first_misses``: the first unit of any kind
      against the A-targets (B trips get no physician car or helicopter);
    - ``alb_mean``, ``heli_mean``: physician car and helicopter alone;
    - ``share_first_by_<resource>``: who arrives first.

    Shares are population-weighted: population stands in for trips.
prehospital_validation.csv
    Per Midtjylland postcode of the measured file: modelled mean ambulance
    response (population-weighted over the postcode's cells, averaged over
    ``validation.hours``), measured mean, trips, error (modelled − measured),
    the same for the textbook (uncalibrated) parameters, and diagnostics.
prehospital_validation_summary.csv / .json
    MAE, bias, RMSE and correlation over postcodes with ``>= min_trips`` trips
    for the scenario's (calibrated) parameters, the textbook parameters, a
    fresh least-squares fit, and a fit of the delay alone with the textbook
    factor; the JSON adds the fit and the largest errors.
prehospital_cells.gpkg
    Per cell and hour: minutes per resource, first arrival and who arrives.
prehospital.html
    Map of first-arrival minutes, sites, and postcodes missing a target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.config import PrehospitalSection
from geoplan.datadir import input_path
from geoplan.errors import DataMissingError, InputError, ScenarioError
from geoplan.i18n import fmt_signed
from geoplan.measures.coverage import (
    round_table,
    share_within,
    threshold_key,
    weighted_mean,
    weighted_quantile,
)
from geoplan.prehospital import (
    assign_points_to_areas,
    available_mask,
    calibrate_delay,
    graph_has_ferries,
    group_weighted_mean,
    helicopter_minutes,
    is_daytime,
    nearest_available,
    read_measured_response,
    read_postcodes,
    sites_to_cells,
    target_shares,
    validation_metrics,
    with_standby,
)
from geoplan.prehospital.calibrate import calibrate_bounded
from geoplan.routing import CompiledGraph
from geoplan.run.context import RunContext, cells_frame, municipality_names
from geoplan.run.results import CellMeasure, Headline, PrehospitalResult

RESOURCES = ("ambulance", "physician_car", "helicopter")


def _hh(hour: int) -> str:
    return f"h{hour:02d}"


# =============================================================================== sites


def _select(
    table: pd.DataFrame,
    *,
    id_column: str,
    kinds: list[str] | None,
    include: list[str] | None,
    exclude: list[str],
    key: str,
    ctx: RunContext,
    table_file: Path,
) -> pd.DataFrame:
    known = set(table[id_column])
    for label, lst in (
        (f"prehospital.{key}.include", include or []),
        (f"prehospital.{key}.exclude", exclude),
    ):
        unknown = sorted(set(lst) - known)
        if unknown:
            raise ScenarioError(
                ctx.scenario.file_of(label),
                f"{label}: unknown id {unknown}",
                f"use {id_column} values from {table_file} (e.g. {', '.join(sorted(known)[:5])})",
            )
    if include:
        sel = table[table[id_column].isin(include)]
    elif kinds is not None and "kind" in table.columns:
        sel = table[table["kind"].isin(kinds)]
    else:
        sel = table
    sel = sel[~sel[id_column].isin(exclude)]
    return sel.sort_values(id_column).reset_index(drop=True)


def _with_hours(
    sites: pd.DataFrame,
    *,
    id_column: str,
    overrides: dict[str, str],
    key: str,
    ctx: RunContext,
    table_file: Path,
) -> pd.DataFrame:
    if "hours" not in sites.columns:
        raise InputError(table_file, "no column 'hours'", "add opening hours per row, e.g. 00-24")
    unknown = sorted(set(overrides) - set(sites[id_column]))
    if unknown:
        raise ScenarioError(
            ctx.scenario.file_of(f"prehospital.{key}.hours"),
            f"prehospital.{key}.hours: unknown or unused id {unknown}",
            f"use {id_column} values of the selected rows of {table_file}",
        )
    s = sites.copy()
    s["hours"] = [
        overrides.get(i, str(h or "").strip())
        for i, h in zip(s[id_column], s["hours"], strict=True)
    ]
    for i, spec in zip(s[id_column], s["hours"], strict=True):
        try:
            available_mask([spec], hour=0)
        except ValueError as exc:
            raise InputError(
                table_file, f"{id_column} {i}: {exc}", "use the form '00-24' or '07-19'"
            ) from exc
    return s


def _fleet(ctx: RunContext, table: str, *, id_column: str, key: str, kinds: list[str] | None,
           include: list[str] | None, exclude: list[str], hours: dict[str, str] | None,
           required: bool = False) -> tuple[pd.DataFrame, Path]:
    """The rows of a fact table a ``[prehospital.<key>]`` section selects, with opening hours."""
    f = ctx.region.folder / f"{table}.csv"
    s = _select(ctx.region.facilities(table), id_column=id_column, kinds=kinds, include=include, exclude=exclude,
                key=key, ctx=ctx, table_file=f)
    if required and s.empty:
        raise ScenarioError(
            ctx.scenario.file_of(f"prehospital.{key}"),
            f"prehospital.{key}: no station selected",
            f"check {key}.kinds / include / exclude",
        )
    if hours is not None:
        s = _with_hours(s, id_column=id_column, overrides=hours, key=key, ctx=ctx, table_file=f)
    return s, f


def _stations(ctx: RunContext, sec: PrehospitalSection) -> pd.DataFrame:
    a = sec.ambulance
    s, _ = _fleet(ctx, "ambulance_stations", id_column="station_id", key="ambulance", kinds=a.kinds,
                  include=a.include, exclude=a.exclude, hours=a.hours, required=True)
    return s.rename(columns={"station_id": "site_id"})


def _cars(ctx: RunContext, sec: PrehospitalSection) -> pd.DataFrame:
    p = sec.physician_car
    s, _ = _fleet(ctx, "physician_cars", id_column="base_id", key="physician_car", kinds=p.kinds,
                  include=p.include, exclude=p.exclude, hours=p.hours)
    return s.rename(columns={"base_id": "site_id"})


def _helis(ctx: RunContext, sec: PrehospitalSection) -> pd.DataFrame:
    h = sec.helicopter
    s, f = _fleet(ctx, "helicopter_bases", id_column="base_id", key="helicopter", kinds=None,
                  include=h.include, exclude=h.exclude, hours=None)
    for col, override in (
        ("launch_delay_day_min", h.launch_delay_day_min),
        ("launch_delay_night_min", h.launch_delay_night_min),
    ):
        if override is not None:
            s[col] = float(override)
        else:
            if col not in s.columns:
                raise InputError(
                    f, f"no column {col!r}", f"add it or set prehospital.helicopter.{col}"
                )
            v = pd.to_numeric(s[col], errors="coerce")
            if v.isna().any():
                raise InputError(
                    f,
                    f"{col} missing or not a number for {s.loc[v.isna(), 'base_id'].tolist()}",
                    f"fill it in or set prehospital.helicopter.{col}",
                )
            s[col] = v.astype(float)
    for col in ("day", "night"):
        if col not in s.columns:
            raise InputError(f, f"no column {col!r}", "add day and night availability (1/0)")
        s[col] = pd.to_numeric(s[col], errors="coerce").fillna(0).astype(int)
    return s.rename(columns={"base_id": "site_id"})


# =============================================================================== road matrices


class _Roads:
    """Cells × sites road minutes, free-flow or blue-light, for every road site at once.

    All road sites (ambulance stations and physician-car bases) go into one
    matrix per speed factor, so the cells are snapped and Dijkstra runs once
    per factor; :meth:`free` and :meth:`emergency` slice the columns of one set.
    """

    def __init__(self, ctx: RunContext, site_sets: dict[str, pd.DataFrame]):
        self.ctx = ctx
        self.ferries = graph_has_ferries(ctx.graph)
        frames = [
            pd.DataFrame({"key": [f"{name}:{i}" for i in s["site_id"]], "x": s["x"], "y": s["y"]})
            for name, s in site_sets.items()
            if len(s)
        ]
        self.sites = pd.concat(frames, ignore_index=True).drop_duplicates("key")
        self._col = {k: i for i, k in enumerate(self.sites["key"])}
        self._graphs: dict[float, CompiledGraph] = {}
        self._mats: dict[float, np.ndarray] = {}

    def compiled(self, factor: float) -> CompiledGraph:
        """The road graph with road edges ``factor`` times faster (ferries unchanged)."""
        base = self.ctx.compiled
        if factor == 1.0 or not self.ferries:
            return base
        key = round(factor, 6)
        if key not in self._graphs:
            progress.step(
                f"prehospital: compiling the blue-light graph (factor {factor:.3f}, ferries not sped up)"
            )
            self._graphs[key] = base.with_road_factor(factor)  # = emergency_graph, compiled
        return self._graphs[key]

    def _matrix(self, factor: float) -> np.ndarray:
        key = 1.0 if (factor == 1.0 or not self.ferries) else round(factor, 6)
        if key not in self._mats:
            cells = self.ctx.cells
            m = sites_to_cells(
                self.compiled(key),
                sites_xy=self.sites[["x", "y"]].to_numpy(),
                cells_xy=cells[["x", "y"]].to_numpy(),
                site_ids=self.sites["key"].to_numpy(),
                cell_ids=cells["cell_id"].to_numpy(),
                access=self.ctx.access,
                speed_factor=key,
                description="Travel times from stations and bases"
                if key == 1.0
                else f"Blue-light times (factor {key:.3f})",
            )
            self._mats[key] = m.minutes.astype("float64")
        return self._mats[key]

    def _cols(self, name: str, sites: pd.DataFrame) -> np.ndarray:
        return np.array([self._col[f"{name}:{i}"] for i in sites["site_id"]], dtype=np.int64)

    def free(self, name: str, sites: pd.DataFrame) -> np.ndarray:
        """Free-flow road minutes, cells × ``sites`` (a set given to the constructor)."""
        return self._matrix(1.0)[:, self._cols(name, sites)]

    def emergency(self, name: str, sites: pd.DataFrame, factor: float) -> np.ndarray:
        """Road minutes at blue-light speed: free / factor, except that ferry legs keep their time."""
        if not self.ferries or factor == 1.0:
            return self.free(name, sites) / factor
        return self._matrix(factor)[:, self._cols(name, sites)]


# =============================================================================== evaluation


def _evaluate_hour(
    ctx: RunContext, sec: PrehospitalSection, hour: int, *, roads: _Roads, stations: pd.DataFrame,
    cars: pd.DataFrame, helis: pd.DataFrame, delay: float, factor: float
) -> dict[str, np.ndarray]:
    """Minutes per resource, first arrival and who arrives first, for one hour of day."""
    wd = sec.weekday
    out: dict[str, np.ndarray] = {}
    amb_open = available_mask(stations["hours"], hour=hour, weekday=wd)
    E = roads.emergency("ambulance stations", stations, factor)
    sb, q = _standby(ctx, stations), sec.ambulance.standby_share
    out["ambulance"], j = with_standby(E, available=amb_open, standby=sb, share=q, delay_min=delay)
    out["ambulance_site"] = _ids(stations, j)
    pb = sec.priority_b
    if pb.speed_factor is None or pb.speed_factor == factor:
        out["priority_b"] = out["ambulance"] + pb.extra_delay_min
    else:
        Eb = roads.emergency("ambulance stations", stations, pb.speed_factor)
        out["priority_b"], _ = with_standby(
            Eb, available=amb_open, standby=sb, share=q, delay_min=delay + pb.extra_delay_min
        )
    n = len(ctx.cells)
    if sec.physician_car.enabled and len(cars):
        p = sec.physician_car
        car_delay, car_factor = (
            (delay, factor)
            if p.like_ambulance
            else (sec.call_handling_min + p.turnout_min, p.speed_factor)
        )
        Ec = roads.emergency("physician cars", cars, car_factor)
        car_open = available_mask(cars["hours"], hour=hour, weekday=wd)
        out["physician_car"], jc = nearest_available(Ec, available=car_open, delay_min=car_delay)
        out["physician_car_site"] = _ids(cars, jc)
    else:
        out["physician_car"], out["physician_car_site"] = (
            np.full(n, np.inf),
            np.full(n, "", dtype=object),
        )
    if sec.helicopter.enabled and len(helis):
        h = sec.helicopter
        day = is_daytime(hour, h.daytime, weekday=wd)
        launch = helis["launch_delay_day_min" if day else "launch_delay_night_min"].to_numpy(float)
        on = helis["day" if day else "night"].to_numpy() == 1
        H = helicopter_minutes(
            ctx.cells[["x", "y"]].to_numpy(),
            helis[["x", "y"]].to_numpy(),
            cruise_kph=h.cruise_kph,
            launch_delay_min=launch,
            approach_min=h.approach_min,
        )
        out["helicopter"], jh = nearest_available(H, available=on, delay_min=sec.call_handling_min)
        out["helicopter_site"] = _ids(helis, jh)
    else:
        out["helicopter"], out["helicopter_site"] = np.full(n, np.inf), np.full(n, "", dtype=object)
    stack = np.vstack([out[r] for r in RESOURCES])
    first_i = np.argmin(stack, axis=0)
    out["first"] = stack[first_i, np.arange(n)]
    out["first_by"] = np.where(
        np.isfinite(out["first"]), np.asarray(RESOURCES, dtype=object)[first_i], ""
    )
    return out


def _standby(ctx: RunContext, stations: pd.DataFrame) -> np.ndarray:
    """Selected stations without staffed hours in the fact table (forward bases, where AMK may
    pre-position a unit; ``ambulance.standby_share``). A scenario that staffs them for some hours
    (``ambulance.hours``) keeps them as standby bases for the other hours."""
    table = ctx.region.facilities("ambulance_stations")
    empty = table["hours"].fillna("").astype(str).str.strip() == ""
    base = dict(zip(table["station_id"], empty, strict=True))
    return stations["site_id"].map(base).fillna(False).astype(bool).to_numpy()


def _ids(sites: pd.DataFrame, j: np.ndarray) -> np.ndarray:
    ids = sites["site_id"].to_numpy(dtype=object)
    return np.where(j >= 0, ids[np.maximum(j, 0)], "")


def _area_table(
    ctx: RunContext,
    sec: PrehospitalSection,
    by_hour: dict[int, dict[str, np.ndarray]],
    groups: np.ndarray,
    *,
    key_column: str,
    labels: dict[str, str],
    total_label: str | None,
) -> pd.DataFrame:
    """The coverage table (one row per area, + total), columns per hour."""
    pop = ctx.cells["pop"].to_numpy(float)
    g = np.asarray(groups, dtype=object)
    keys = sorted({x for x in g if x is not None and not pd.isna(x)})
    sel = [(k, g == k) for k in keys]
    if total_label is not None:
        sel.append(("", np.ones(len(g), dtype=bool)))
    base = pd.DataFrame(
        {
            key_column: [k for k, _ in sel],
            "name": [labels.get(k, "") if k else total_label for k, _ in sel],
            "population": [float(pop[s].sum()) for _, s in sel],
        }
    )
    a_targets = [t for t in sec.targets if t.priority == "A"]
    frames = [base]
    for hour, r in by_hour.items():
        suf = _hh(hour)
        cols: dict[str, list[Any]] = {}
        for measure, prefix in (
            ("ambulance", "amb"),
            ("first", "first"),
            ("physician_car", "alb"),
            ("helicopter", "heli"),
        ):
            m = r[measure]
            cols[f"{prefix}_mean_{suf}"] = [weighted_mean(m[s], pop[s]) for _, s in sel]
            if measure in ("ambulance", "first"):
                cols[f"{prefix}_p90_{suf}"] = [weighted_quantile(m[s], pop[s], 0.9) for _, s in sel]
                for t in sec.thresholds:
                    cols[f"share_{prefix}_within_{threshold_key(t)}_{suf}"] = [
                        share_within(m[s], pop[s], t) for _, s in sel
                    ]
        tab = target_shares(
            r["ambulance"],
            r["priority_b"],
            pop,
            g,
            targets=sec.targets,
            total_label="__total__" if total_label is not None else None,
        )
        first_tab = target_shares(
            r["first"],
            r["first"],
            pop,
            g,
            targets=a_targets,
            total_label="__total__" if total_label is not None else None,
        )
        idx = [k if k else "__total__" for k, _ in sel]
        tab, first_tab = tab.reindex(idx), first_tab.reindex(idx)
        for target in sec.targets:
            cols[f"share_{target.label}_{suf}"] = tab[f"share_{target.label}"].to_list()
            cols[f"met_{target.label}_{suf}"] = tab[f"met_{target.label}"].astype(int).to_list()
        cols[f"misses_{suf}"] = tab["misses"].to_list()
        cols[f"n_missed_{suf}"] = tab["n_missed"].astype(int).to_list()
        for target in a_targets:
            cols[f"share_first_{target.label}_{suf}"] = first_tab[f"share_{target.label}"].to_list()
        cols[f"first_misses_{suf}"] = first_tab["misses"].to_list()
        for res in RESOURCES:
            cols[f"share_first_by_{res}_{suf}"] = [
                _share_eq(r["first_by"][s], pop[s], res) for _, s in sel
            ]
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, axis=1)


def _share_eq(x: np.ndarray, w: np.ndarray, v: object) -> float:
    tot = w.sum()
    return float(w[x == v].sum() / tot) if tot > 0 else float("nan")


# =============================================================================== validation


def _validation(
    ctx: RunContext,
    sec: PrehospitalSection,
    *,
    roads: _Roads,
    stations: pd.DataFrame,
    postcode_of: np.ndarray,
    postcodes: gpd.GeoDataFrame | None,
) -> dict[str, Any]:
    """Modelled vs measured mean ambulance response per postcode; calibration by least squares."""
    assert postcodes is not None, "validation reads the postcode areas"
    v = sec.validation
    path = input_path(ctx.region.manifest, "ambulance_response")
    _check_region_label(ctx, path, v.region_label)
    measured = read_measured_response(path, region=v.region_label)
    pop = ctx.cells["pop"].to_numpy(float)
    F = roads.free("ambulance stations", stations)
    opens = [available_mask(stations["hours"], hour=h, weekday=sec.weekday) for h in v.hours]

    sb, q = _standby(ctx, stations), sec.ambulance.standby_share
    # free-flow drive to the nearest available station (or, a share q of the time, a manned
    # forward base), averaged over the validation hours
    drive = np.mean([with_standby(F, available=o, standby=sb, share=q)[0] for o in opens], axis=0)

    def modelled(delay: float, factor: float, share: float = q) -> np.ndarray:
        E = roads.emergency("ambulance stations", stations, factor)
        return np.mean(
            [with_standby(E, available=o, standby=sb, share=share, delay_min=delay)[0] for o in opens],
            axis=0,
        )

    scen_delay, scen_factor = sec.ambulance_delay_min, sec.ambulance.speed_factor
    cell_cal = modelled(scen_delay, scen_factor)
    cell_tb = modelled(v.textbook_delay_min, v.textbook_speed_factor)
    # cells whose fastest route takes a ferry: the linear model (delay + drive / factor) does not hold there
    ferry_cell = np.isfinite(cell_cal) & (cell_cal > scen_delay + drive / scen_factor + 1e-3)

    pc = pd.Series(postcode_of, dtype=object)
    df = measured.copy()
    names = dict(zip(postcodes["postcode"], postcodes["name"], strict=True))
    df["name"] = df["postcode"].map(names).fillna("")
    g = postcode_of
    df["population"] = df["postcode"].map(pd.Series(pop).groupby(pc).sum()).fillna(0.0)
    df["cells"] = df["postcode"].map(pc.value_counts()).fillna(0).astype(int)
    df["drive_minutes"] = df["postcode"].map(group_weighted_mean(drive, pop, g))
    df["modelled_minutes"] = df["postcode"].map(group_weighted_mean(cell_cal, pop, g))
    df["modelled_uncalibrated_minutes"] = df["postcode"].map(group_weighted_mean(cell_tb, pop, g))
    df["ferry"] = (
        df["postcode"].map(pd.Series(ferry_cell).groupby(pc).any()).fillna(False).astype(bool)
    )
    # which station serves the postcode (population-weighted mode, first validation hour)
    _, j0 = nearest_available(F, available=opens[0])
    st = _ids(stations, j0)
    mode = (
        pd.DataFrame({"pc": pc, "st": st, "w": pop})
        .groupby(["pc", "st"])["w"]
        .sum()
        .reset_index()
        .sort_values(["pc", "w", "st"], ascending=[True, False, True])
        .drop_duplicates("pc")
        .set_index("pc")["st"]
    )
    df["nearest_station"] = df["postcode"].map(mode).fillna("")
    if "confidence" in stations.columns:
        conf = dict(zip(stations["site_id"], stations["confidence"], strict=True))
        df["station_confidence"] = df["nearest_station"].map(conf).fillna("")
    df["scored"] = (df["trips"] >= v.min_trips) & df["modelled_minutes"].notna()
    df["in_fit"] = df["scored"] & ~df["ferry"] & df["drive_minutes"].notna()
    notes = []
    for _, r in df.iterrows():
        if r["postcode"] not in names:
            notes.append("postcode not in the DAGI 2014 postcode areas (new since 2014)")
        elif r["cells"] == 0:
            notes.append("no populated cell of the region has its centre in this postcode")
        elif r["ferry"]:
            notes.append("served across a ferry: left out of the fit")
        elif r["trips"] < v.min_trips:
            notes.append(f"fewer than {v.min_trips} trips: not scored")
        else:
            notes.append("")
    df["note"] = notes

    fit_rows = df[df["in_fit"]]
    # bounded fit of delay, factor (1.0-1.6) and standby share: geoplan.prehospital.calibrate
    drive_st = np.mean([with_standby(F, available=o, standby=sb, share=0.0)[0] for o in opens], axis=0)
    drive_sb = np.mean([with_standby(F, available=o, standby=sb, share=1.0)[0] for o in opens], axis=0)
    x_st = fit_rows["postcode"].map(group_weighted_mean(drive_st, pop, g)).to_numpy(float)
    x_sb = fit_rows["postcode"].map(group_weighted_mean(drive_sb, pop, g)).to_numpy(float)
    fit = calibrate_bounded(
        x_st, x_sb, fit_rows["measured_minutes"].to_numpy(float),
        weights=fit_rows["trips"].to_numpy(float) if v.weights == "trips" else None, label=v.weights,
    )
    if v.apply_fit:
        q = fit.standby_share
        cell_cal = modelled(fit.delay_min, fit.speed_factor, q)
        df["modelled_minutes"] = df["postcode"].map(group_weighted_mean(cell_cal, pop, g))
        used_delay, used_factor = fit.delay_min, fit.speed_factor
    else:
        used_delay, used_factor = scen_delay, scen_factor
    df["error"] = df["modelled_minutes"] - df["measured_minutes"]
    df["error_uncalibrated"] = df["modelled_uncalibrated_minutes"] - df["measured_minutes"]
    # the fresh fit's own error, and a fit of the delay alone with the textbook factor (exact, ferries included)
    fit_cells = cell_cal if v.apply_fit else modelled(fit.delay_min, fit.speed_factor, fit.standby_share)
    df["_fit"] = df["postcode"].map(group_weighted_mean(fit_cells, pop, g))
    delay_only = calibrate_delay(
        fit_rows["drive_minutes"],
        fit_rows["measured_minutes"],
        speed_factor=v.textbook_speed_factor,
        weights=fit_rows["trips"] if v.weights == "trips" else None,
    )
    df["_delay_only"] = df["modelled_uncalibrated_minutes"] - v.textbook_delay_min + delay_only

    s = df[df["scored"]]
    rows = []
    for label, delay, factor, model in (
        (
            "calibrated (scenario)" if not v.apply_fit else "calibrated (fresh fit, applied)",
            used_delay,
            used_factor,
            s["modelled_minutes"],
        ),
        (
            "uncalibrated (textbook)",
            v.textbook_delay_min,
            v.textbook_speed_factor,
            s["modelled_uncalibrated_minutes"],
        ),
        (f"least-squares fit ({fit.weights} weights)", fit.delay_min, fit.speed_factor, s["_fit"]),
        (
            f"delay fitted, textbook factor ({fit.weights} weights)",
            delay_only,
            v.textbook_speed_factor,
            s["_delay_only"],
        ),
    ):
        m = validation_metrics(model, s["measured_minutes"], s["trips"], min_trips=v.min_trips)
        rows.append({"parameters": label, "delay_min": delay, "speed_factor": factor, **m})
    summary = pd.DataFrame(rows)
    summary["weights"] = ["", "", fit.weights, fit.weights]
    summary["r2"] = [np.nan, np.nan, fit.r2, np.nan]
    summary["min_trips"] = v.min_trips
    cols = (
        [
            "postcode",
            "name",
            "modelled_minutes",
            "measured_minutes",
            "trips",
            "error",
            "modelled_uncalibrated_minutes",
            "error_uncalibrated",
            "drive_minutes",
            "population",
            "cells",
            "nearest_station",
        ]
        + (["station_confidence"] if "station_confidence" in df.columns else [])
        + ["ferry", "scored", "in_fit", "note"]
    )
    table = df[cols].copy()
    for c in ("ferry", "scored", "in_fit"):
        table[c] = table[c].astype(int)
    return {
        "table": table,
        "summary": summary,
        "fit": fit,
        "cell_modelled": cell_cal,
        "used": (used_delay, used_factor),
    }


# =============================================================================== the step


def prehospital(ctx: RunContext) -> PrehospitalResult:
    """Response times per cell and hour, coverage against the targets and validation (nothing written)."""
    sec = ctx.scenario.prehospital
    assert sec is not None
    lang = ctx.lang
    cells = ctx.cells
    pop = cells["pop"].to_numpy(float)
    stations = _stations(ctx, sec)
    cars = _cars(ctx, sec) if sec.physician_car.enabled else stations.iloc[0:0]
    helis = _helis(ctx, sec) if sec.helicopter.enabled else stations.iloc[0:0]
    roads = _Roads(ctx, {"ambulance stations": stations, "physician cars": cars})

    # postcodes (for coverage and validation)
    postcodes, postcode_of = None, np.full(len(cells), None, dtype=object)
    if sec.postcodes or sec.validation.enabled:
        try:
            postcodes = read_postcodes(input_path(ctx.region.manifest, "postcodes"))
        except DataMissingError as exc:
            if sec.validation.enabled:
                raise
            progress.step(f"prehospital: no postcode areas ({exc}); coverage by municipality only")
        if postcodes is not None:
            postcode_of = assign_points_to_areas(
                cells[["x", "y"]].to_numpy(), postcodes, id_column="postcode"
            )

    # validation first: with validation.apply_fit the fresh fit drives the rest of the run
    val = None
    delay, factor = sec.ambulance_delay_min, sec.ambulance.speed_factor
    if sec.validation.enabled:
        val = _validation(
            ctx, sec, roads=roads, stations=stations, postcode_of=postcode_of, postcodes=postcodes
        )
        delay, factor = val["used"]

    by_hour = {
        h: _evaluate_hour(
            ctx,
            sec,
            h,
            roads=roads,
            stations=stations,
            cars=cars,
            helis=helis,
            delay=delay,
            factor=factor,
        )
        for h in sec.hours
    }

    # ------------------------------------------------------------------ coverage tables
    names = municipality_names(ctx)
    region_label = ctx.region.title(lang)
    muni = _area_table(
        ctx,
        sec,
        by_hour,
        cells["kode"].to_numpy(dtype=object),
        key_column="kode",
        labels=names,
        total_label=region_label,
    ).rename(columns={"name": "municipality"})
    muni = round_table(muni)
    pc_table = None
    if sec.postcodes and postcodes is not None:
        pc_names = dict(zip(postcodes["postcode"], postcodes["name"], strict=True))
        pc_table = _area_table(
            ctx, sec, by_hour, postcode_of, key_column="postcode", labels=pc_names, total_label=None
        )
        # the municipality holding most of the postcode's population
        main = (
            pd.DataFrame({"pc": postcode_of, "kode": cells["kode"].to_numpy(), "w": pop})
            .dropna(subset=["pc"])
            .groupby(["pc", "kode"])["w"]
            .sum()
            .reset_index()
            .sort_values(["pc", "w", "kode"], ascending=[True, False, True])
            .drop_duplicates("pc")
            .set_index("pc")["kode"]
        )
        pc_table.insert(1, "kode", pc_table["postcode"].map(main))
        pc_table.insert(2, "municipality", pc_table["kode"].map(names))
        pc_table = round_table(pc_table)

    # ------------------------------------------------------------------ validation summary
    headlines: list[Headline] = []
    if val is not None:
        val["summary"] = round_table(val["summary"])
        val["document"] = _validation_document(sec, val)
        headlines.append(_validation_headline(sec, val["summary"]))
        fit = val["fit"]
        d_fit, f_fit = fit.delay_min, fit.speed_factor
        if not sec.validation.apply_fit and (
            abs(d_fit - sec.ambulance_delay_min) > 0.05
            or abs(f_fit - sec.ambulance.speed_factor) > 0.01
        ):
            progress.step(
                f"prehospital: the scenario's delay {sec.ambulance_delay_min:.2f} min / factor "
                f"{sec.ambulance.speed_factor:.3f} differ from the fit {d_fit:.2f} / {f_fit:.3f}: "
                f"set ambulance.turnout_min = {d_fit - sec.call_handling_min:.2f} and "
                f"ambulance.speed_factor = {f_fit:.3f} to use the fit"
            )

    # ------------------------------------------------------------------ cells
    cols: dict[str, object] = {"postcode": postcode_of}
    for h, r in by_hour.items():
        s = _hh(h)
        cols[f"amb_{s}"] = np.round(r["ambulance"], 2)
        cols[f"amb_station_{s}"] = r["ambulance_site"]
        cols[f"alb_{s}"] = np.round(r["physician_car"], 2)
        cols[f"alb_base_{s}"] = r["physician_car_site"]
        cols[f"heli_{s}"] = np.round(r["helicopter"], 2)
        cols[f"heli_base_{s}"] = r["helicopter_site"]
        cols[f"first_{s}"] = np.round(r["first"], 2)
        cols[f"first_by_{s}"] = r["first_by"]
    if val is not None:
        cols["amb_mean_over_day"] = np.round(val["cell_modelled"], 2)
    cell_gdf = cells_frame(ctx, **cols)

    # ------------------------------------------------------------------ headlines, measures
    h0 = sec.hours[0]
    total = muni.iloc[-1]
    for target in sec.targets:
        share = float(total[f"share_{target.label}_{_hh(h0)}"])
        headlines.append(Headline.from_label(
            "prehospital_target", share, "headline.prehospital_target",
            numbers={"minutes": (target.minutes, None), "share": (100 * share, 1), "goal": (100 * target.share, 0)},
            extra={"target": target.label, "hour": h0, "goal": target.share},
            priority=target.priority, hour=f"{h0:02d}"))
    measures = {
        "prehospital_ambulance": CellMeasure(minutes=by_hour[h0]["ambulance"], label_key="noun.ambulance_response",
                                             label_fields={"hour": f"{h0:02d}"}, thresholds=tuple(sec.thresholds)),
        "prehospital_first": CellMeasure(minutes=by_hour[h0]["first"], label_key="noun.first_unit",
                                         label_fields={"hour": f"{h0:02d}"}, thresholds=tuple(sec.thresholds)),
    }
    missed = int((muni.iloc[:-1][f"n_missed_{_hh(h0)}"] > 0).sum())
    progress.step(
        f"prehospital: at {h0:02d}:00 {missed} of {len(muni) - 1} municipalities miss at least one target"
    )
    return PrehospitalResult(
        step="prehospital", by_hour=by_hour, municipalities=muni, postcodes=pc_table, postcode_areas=postcodes,
        cells=cell_gdf, stations=stations, cars=cars, helicopters=helis, validation=val,
        headlines=headlines, measures=measures,
    )


def _validation_document(sec: PrehospitalSection, val: dict[str, Any]) -> dict[str, Any]:
    """The content of ``prehospital_validation_summary.json``: fit, metrics, the largest errors."""
    worst = val["table"][val["table"]["trips"] >= sec.validation.min_trips].dropna(subset=["error"])
    worst = worst.reindex(worst["error"].abs().sort_values(ascending=False, kind="mergesort").index).head(10)
    fit = val["fit"]
    return {
        "weights_note": "population stands in for trips in the modelled postcode means",
        "min_trips": sec.validation.min_trips,
        "validation_hours": sec.validation.hours,
        "fit": {
            "delay_min": fit.delay_min,
            "speed_factor": fit.speed_factor,
            "n": fit.n,
            "weights": fit.weights,
            "r2": fit.r2,
            "rmse": fit.rmse,
            "standby_share": fit.standby_share,
            "turnout_min_for_scenario": fit.delay_min - sec.call_handling_min,
        },
        "metrics": json.loads(val["summary"].to_json(orient="records")),
        "largest_errors": json.loads(
            worst[["postcode", "name", "modelled_minutes", "measured_minutes", "trips", "error", "nearest_station"]]
            .round(2)
            .to_json(orient="records")
        ),
    }


def _validation_headline(sec: PrehospitalSection, summary: pd.DataFrame) -> Headline:
    cal, tb = summary.iloc[0], summary.iloc[1]
    bias = float(cal["bias"])
    return Headline.from_label(
        "prehospital_validation_mae", float(cal["mae"]), "headline.prehospital_validation",
        numbers={"mae": (float(cal["mae"]), 1), "mae_textbook": (float(tb["mae"]), 1), "corr": (float(cal["corr"]), 2)},
        min_trips=sec.validation.min_trips, n=int(cal["n"]), bias=lambda lang: fmt_signed(bias, lang, digits=1))


def _check_region_label(ctx: RunContext, path: Path, label: str) -> None:
    """validation.region_label must be a value of the measured file's Region column (named by scenario key)."""
    try:
        regions = pd.read_csv(path, usecols=["Region"], dtype=str, keep_default_na=False)["Region"].str.strip()
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError):
        return                     # unreadable or no Region column: read_measured_response says why
    if label not in set(regions):
        known = sorted(set(regions) - {""})
        raise ScenarioError(ctx.scenario.file_of("prehospital.validation.region_label"),
                            f"prehospital.validation.region_label = {label!r}: no rows with that Region in {path}",
                            f"use one of {', '.join(known)}")
