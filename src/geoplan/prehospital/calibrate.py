"""Calibrate the ambulance response model on measured response times per postcode.

Run::

    python -m geoplan.prehospital.calibrate [--scenario scenarios/prehospital.toml] [--write]

Model (the one :mod:`geoplan.run.steps.prehospital` runs)::

    response = delay + [(1 - q) · T_station + q · min(T_station, T_standby)] / speed_factor

- ``T_station``: free-flow road minutes (car model, access legs included)
  from the nearest staffed station;
- ``T_standby``: the same from the nearest forward base (selected stations
  without staffed hours, "fremskudte placeringer"), where the dispatch centre
  pre-positions free ambulances; ``q`` (``ambulance.standby_share``) is the
  share of calls at which such a pre-positioned unit is there;
- ``delay`` = call handling + turnout, ``speed_factor`` = blue-light speed over
  the car model. Ferry legs are never sped up (the step does that exactly; the
  fit leaves the postcodes served across a ferry out, as the step does).

The postcode means are population-weighted means over the cells of each
postcode (1 km WorldPop cells), so the model is linear in the per-postcode
means of ``T_station`` and ``min(T_station, T_standby)``: the fit is a bounded
least squares over (delay, speed_factor, q) with the physically plausible
bounds :data:`FACTOR_BOUNDS`, :data:`SHARE_BOUNDS`, :data:`DELAY_BOUNDS`.

It prints the in-sample fit, a 5-fold cross-validation over postcodes (fixed
seed: fit on four fifths, score on the fifth), and two checks against data not
used in the fit: the B-priority medians per postcode and the region-wide
A-priority medians by hour of day. ``--write`` puts the fitted parameters into
the scenario file (``turnout_min`` = delay − ``call_handling_min``).

What the fit shows (Midtjylland, 2021-2025): the factor ends at its upper
bound 1.6; left free it would be about 2.2 even with the standby term (2.17-2.57
with factor bounds 1-3, equal or trip weights, postcodes with >= 50, 200 or 500
trips: not small-count noise). The excess is not road speed:

- measured response grows about 0.49 min per km of straight-line distance to
  the nearest listed station (0.36 min/km between 9 and 17 km: 165 km/h as the
  crow flies), while the car model drives about 1.0 min per km;
- the B-priority medians, driven *without* blue lights, grow just as slowly
  (fitted on their own: factor 2.26), so the flat growth is where the units
  start, not how fast they drive.

Remote postcodes are served by units that do not start at the table's
stations (more bases or pre-positioned units than listed; Aarhus is one point
for several bases). Start-position models measured on 144 postcodes (>= 50 trips, ferry postcodes
kept; fit with factor bounds 1-3; none lands inside 1.0-1.6 by itself):

- a unit returning from a job, at a demand-weighted point of its station's
  district (mix with the station): factor 2.02, MAE 1.34;
- the nearest free unit of the 3 nearest stations, each at home with
  probability p, else at such a point, plus the 2 nearest forward bases
  manned with probability q (expected minimum): the fit prefers p = 1,
  q = 0.1, factor 2.15; p = 0.5, q = 0.3 would give factor 1.66 but MAE 1.41,
  and only p = q = 0.3 or lower reaches 1.6 (MAE 1.49);
- the same with area-uniform points: factor 1.55-2.05, MAE 1.39-1.63;
- busy stations (each single-unit station busy with probability rho, Aarhus 12
  units, Randers 4; the next station serves): worse (rho 0.3: factor 2.51);
- a unit returning from the nearest acute hospital along the way to its
  station: factor 2.18, MAE 1.29;
- forward bases in two classes (with / without overnight, own shares):
  factor 2.17.

The standby share captures the part that the listed forward bases explain;
the rest stays in the residuals (largest in the Aarhus suburbs), not in an
implausible factor.

The three response files (:func:`priority_mix_check`): the per-postcode means
are A-priority trips only (187,519 trips in Midtjylland, mean 9.60 min), and the
by-hour file labelled A-priority holds A and B trips together (359,349 trips =
187,519 A + 171,840 B of the region's postcodes); its medians (10.9-12.6 min) are
no A-only check.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geoplan.prehospital.model import Calibration

#: Plausible bounds: blue-light driving vs the car model (1.0 = no gain; 1.6 = 60 % faster).
FACTOR_BOUNDS = (1.0, 1.6)
#: Wide bounds of the plausibility check: a sound model lands inside FACTOR_BOUNDS with these.
WIDE_FACTOR_BOUNDS = (1.0, 3.0)
#: Share of calls with a pre-positioned unit at the forward bases.
SHARE_BOUNDS = (0.0, 1.0)
#: Call handling + turnout (minutes).
DELAY_BOUNDS = (1.0, 12.0)
#: Folds and seed of the cross-validation.
FOLDS, SEED = 5, 20251202

B_FILE = "ambulance_response_B_by_postcode_2021-2025.csv"
HOUR_FILE = "ambulance_response_midtjylland_by_hour_2021-2025.csv"


@dataclass(frozen=True)
class Fit:
    """Fitted parameters and their in-sample error (minutes)."""

    delay_min: float
    speed_factor: float
    standby_share: float
    n: int
    mae: float
    bias: float
    worst: float


def predict(x_station: ArrayLike, x_standby: ArrayLike, *, delay_min: float, speed_factor: float,
            standby_share: float) -> np.ndarray:
    """Modelled mean response per area from the area means of ``T_station`` and ``min(T_station, T_standby)``."""
    xs = np.asarray(x_station, dtype="float64")
    xb = np.asarray(x_standby, dtype="float64")
    return delay_min + ((1.0 - standby_share) * xs + standby_share * xb) / speed_factor


def _errors(e: np.ndarray) -> tuple[float, float, float]:
    return float(np.mean(np.abs(e))), float(np.mean(e)), float(np.max(np.abs(e)))


def fit(x_station: ArrayLike, x_standby: ArrayLike, measured: ArrayLike, *,
        weights: ArrayLike | None = None, factor_bounds: tuple[float, float] = FACTOR_BOUNDS,
        share_bounds: tuple[float, float] = SHARE_BOUNDS,
        delay_bounds: tuple[float, float] = DELAY_BOUNDS) -> Fit:
    """Bounded (weighted) least squares of :func:`predict` on measured area means.

    For a fixed ``q`` the model is linear (``delay + x_q / f``), so ``q`` is
    scanned on a fine grid and refined; ``delay`` and ``f`` are solved exactly
    per ``q`` with the bounds enforced (a slope outside the factor bounds is
    clipped and the delay refitted).

    Raises
    ------
    ValueError
        Fewer than 3 areas with finite values.
    """
    xs = np.asarray(x_station, dtype="float64")
    xb = np.asarray(x_standby, dtype="float64")
    y = np.asarray(measured, dtype="float64")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(xs) & np.isfinite(xb) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    xs, xb, y, w = xs[ok], xb[ok], y[ok], w[ok]
    if len(y) < 3:
        raise ValueError(f"calibration needs at least 3 areas, got {len(y)}")

    def solve(q: float) -> tuple[float, float, float, float]:
        x = (1 - q) * xs + q * xb
        xm, ym = np.average(x, weights=w), np.average(y, weights=w)
        sxx = float(np.sum(w * (x - xm) ** 2))
        slope = float(np.sum(w * (x - xm) * (y - ym)) / sxx) if sxx > 0 else 1.0
        lo, hi = 1.0 / factor_bounds[1], 1.0 / factor_bounds[0]
        slope = min(max(slope, lo), hi)
        delay = float(np.clip(ym - slope * xm, *delay_bounds))
        sse = float(np.sum(w * (y - delay - slope * x) ** 2))
        return sse, delay, 1.0 / slope, q

    grid = np.linspace(share_bounds[0], share_bounds[1], 101)
    best = min((solve(float(q)) for q in grid), key=lambda r: r[0])
    step = grid[1] - grid[0] if len(grid) > 1 else 0.0
    fine = np.clip(np.linspace(best[3] - step, best[3] + step, 41), *share_bounds)
    best = min((solve(float(q)) for q in fine), key=lambda r: r[0])
    _, delay, factor, q = best
    e = predict(xs, xb, delay_min=delay, speed_factor=factor, standby_share=q) - y
    mae, bias, worst = _errors(e)
    return Fit(delay, factor, q, int(len(y)), mae, bias, worst)


def calibrate_bounded(x_station: ArrayLike, x_standby: ArrayLike, measured: ArrayLike, *,
                      weights: ArrayLike | None = None, label: str = "equal") -> Calibration:
    """:func:`fit` within the plausible bounds, as a :class:`~geoplan.prehospital.model.Calibration` (for the step)."""
    xs = np.asarray(x_station, dtype="float64")
    xb = np.asarray(x_standby, dtype="float64")
    y = np.asarray(measured, dtype="float64")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype="float64")
    f = fit(xs, xb, y, weights=w)
    ok = np.isfinite(xs) & np.isfinite(xb) & np.isfinite(y) & (w > 0)
    resid = predict(xs[ok], xb[ok], delay_min=f.delay_min, speed_factor=f.speed_factor,
                    standby_share=f.standby_share) - y[ok]
    ym = np.average(y[ok], weights=w[ok])
    sst = float(np.sum(w[ok] * (y[ok] - ym) ** 2))
    r2 = 1.0 - float(np.sum(w[ok] * resid**2)) / sst if sst > 0 else float("nan")
    return Calibration(delay_min=f.delay_min, speed_factor=f.speed_factor, n=f.n, weights=label, r2=r2,
                       rmse=float(np.sqrt(np.average(resid**2, weights=w[ok]))), standby_share=f.standby_share)


def cross_validate(x_station: ArrayLike, x_standby: ArrayLike, measured: ArrayLike, *,
                   weights: ArrayLike | None = None, folds: int = FOLDS, seed: int = SEED,
                   **bounds: tuple[float, float]) -> dict[str, Any]:
    """K-fold cross-validation over areas (fixed seed): fit on k−1 folds, score the held-out fold.

    Returns
    -------
    dict
        ``mae``, ``bias``, ``worst`` over all held-out areas, and ``folds``: the
        parameters fitted in each fold.
    """
    xs = np.asarray(x_station, dtype="float64")
    xb = np.asarray(x_standby, dtype="float64")
    y = np.asarray(measured, dtype="float64")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype="float64")
    n = len(y)
    order = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = np.arange(n) % folds
    err = np.full(n, np.nan)
    per_fold: list[Fit] = []
    for k in range(folds):
        test = fold_of == k
        f = fit(xs[~test], xb[~test], y[~test], weights=w[~test], **bounds)
        err[test] = predict(xs[test], xb[test], delay_min=f.delay_min, speed_factor=f.speed_factor,
                            standby_share=f.standby_share) - y[test]
        per_fold.append(f)
    e = err[np.isfinite(err)]
    mae, bias, worst = _errors(e)
    return {"mae": mae, "bias": bias, "worst": worst, "n": int(len(e)), "folds": per_fold}


# =============================================================================== real data


@dataclass(frozen=True)
class RegionData:
    """What the fit reads from a region run: per cell and per measured postcode."""

    scenario: Any
    path: Path                 # the measured postcode means (the checks' files sit next to it)
    measured: pd.DataFrame     # postcode, measured_minutes, trips
    x_station: np.ndarray      # per postcode: population-weighted mean of T_station
    x_standby: np.ndarray      # ... of min(T_station, T_standby)
    ferry: np.ndarray          # per postcode: some cell is served across a ferry
    t_station: np.ndarray      # per cell
    t_standby: np.ndarray
    pop: np.ndarray


def _area_means(values: np.ndarray, pop: np.ndarray, groups: np.ndarray, postcodes: pd.Series) -> np.ndarray:
    from geoplan.prehospital.model import group_weighted_mean

    return postcodes.map(group_weighted_mean(values, pop, groups)).to_numpy(dtype="float64")


def region_data(scenario_path: Path) -> RegionData:
    """Per-postcode inputs of the fit on the region's data, computed as the run does."""
    from geoplan.config import load_scenario
    from geoplan.datadir import input_path
    from geoplan.prehospital.model import (
        assign_points_to_areas,
        available_mask,
        nearest_available,
        read_measured_response,
        read_postcodes,
        with_standby,
    )
    from geoplan.region import load_region
    from geoplan.run.context import RunContext
    from geoplan.run.steps import prehospital as step

    sc = load_scenario(scenario_path)
    sec = sc.prehospital
    if sec is None:
        raise SystemExit(f"{scenario_path}: no [prehospital] section")
    ctx = RunContext(scenario=sc, region=load_region(sc.region))
    stations = step._stations(ctx, sec)
    roads = step._Roads(ctx, {"ambulance stations": stations})
    F = roads.free("ambulance stations", stations)
    sb = step._standby(ctx, stations)
    v = sec.validation
    opens = [available_mask(stations["hours"], hour=h, weekday=sec.weekday) for h in v.hours]
    t_station = np.mean([with_standby(F, available=o, standby=sb, share=0.0)[0] for o in opens], axis=0)
    t_standby = np.mean([with_standby(F, available=o, standby=sb, share=1.0)[0] for o in opens], axis=0)
    path = input_path(ctx.region.manifest, "ambulance_response")
    measured = read_measured_response(path, region=v.region_label)
    pcs = read_postcodes(input_path(ctx.region.manifest, "postcodes"))
    cells = ctx.cells
    pc_of = assign_points_to_areas(cells[["x", "y"]].to_numpy(), pcs, id_column="postcode")
    pop = cells["pop"].to_numpy(float)
    # the fit leaves out the postcodes served across a ferry (not sped up): as the step does
    E = roads.emergency("ambulance stations", stations, 1.6)
    ferry_cell = np.isfinite(t_station) & (
        nearest_available(E, available=opens[0])[0] > nearest_available(F, available=opens[0])[0] / 1.6 + 1e-3)
    ferry = measured["postcode"].map(pd.Series(ferry_cell).groupby(pd.Series(pc_of, dtype=object)).any())
    return RegionData(
        scenario=sc, path=path, measured=measured,
        x_station=_area_means(t_station, pop, pc_of, measured["postcode"]),
        x_standby=_area_means(t_standby, pop, pc_of, measured["postcode"]),
        ferry=ferry.fillna(False).astype(bool).to_numpy(), t_station=t_station, t_standby=t_standby, pop=pop,
    )


def b_priority_check(data: RegionData, f: Fit, *, min_trips: int = 50) -> dict[str, float]:
    """Modelled response vs the measured B-priority medians per postcode (not used in the fit)."""
    path = Path(data.path).parent / B_FILE
    if not path.is_file():
        return {"n": 0}
    b = pd.read_csv(path, dtype={"Postnummer": str})
    b["postcode"] = b["Postnummer"].str.strip().str.zfill(4)
    m = data.measured
    x = pd.Series(predict(data.x_station, data.x_standby, delay_min=f.delay_min,
                          speed_factor=f.speed_factor, standby_share=f.standby_share), index=m["postcode"])
    b = b[b["postcode"].isin(x.index[np.isfinite(x.to_numpy())]) & (b["Antal_ture"] >= min_trips)]
    e = x.reindex(b["postcode"]).to_numpy() - b["Median_minutter"].to_numpy()
    a = pd.Series(np.asarray(data.measured["measured_minutes"]), index=m["postcode"])
    ea = b["Median_minutter"].to_numpy() - a.reindex(b["postcode"]).to_numpy()
    xb_ = x.reindex(b["postcode"]).to_numpy()
    yb = b["Median_minutter"].to_numpy(float)
    corr = float(np.corrcoef(xb_, yb)[0, 1])
    extra = float(np.mean(yb - xb_))  # least-squares extra delay of B over the A model
    e_extra = xb_ + extra - yb
    # B driven by its own fit (same standby share): delay and factor free within wide bounds
    idx = pd.Series(np.arange(len(m)), index=m["postcode"]).reindex(b["postcode"]).to_numpy()
    fb = fit(np.asarray(data.x_station)[idx], np.asarray(data.x_standby)[idx], yb,
             share_bounds=(f.standby_share, f.standby_share), factor_bounds=(0.3, 10.0), delay_bounds=(0.0, 60.0))
    return {"n": int(len(b)), "mae": float(np.mean(np.abs(e))), "bias": float(np.mean(e)),
            "median_b_minus_measured_mean": float(np.median(ea)), "corr": corr,
            "extra_delay_min": extra, "mae_with_extra": float(np.mean(np.abs(e_extra))),
            "b_fit_delay": fb.delay_min, "b_fit_factor": fb.speed_factor, "b_fit_mae": fb.mae}


def _read_counts(path: Path, value: str) -> pd.DataFrame:
    """``Postnummer`` (4 digits), ``value`` and ``Antal_ture`` of a response file; one clear error if not."""
    from geoplan.errors import InputError

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    for c in ("Postnummer", value, "Antal_ture"):
        if c not in df.columns:
            raise InputError(path, f"no column {c!r} (columns: {', '.join(df.columns)})",
                             f"expected Postnummer,{value},Antal_ture")
    out = pd.DataFrame({"postcode": df["Postnummer"].str.strip().str.zfill(4)})
    for c in (value, "Antal_ture"):
        v = pd.to_numeric(df[c].str.strip().str.replace(",", ".", regex=False), errors="coerce")
        if v.isna().any():
            raise InputError(path, f"column {c}: {df.loc[v.isna(), c].iloc[0]!r} is not a number",
                             "write numbers with a decimal point")
        out[c] = v.to_numpy(dtype="float64")
    return out


def _b_trips_in_region(a: pd.DataFrame, a_all: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """B trips per postcode of the region (``a``: its A rows); a postcode shared with another region
    (one B row, several A rows) counts with the region's part of its A trips."""
    part = a.set_index("postcode")["trips"] / a_all.groupby("postcode")["Antal_ture"].sum().reindex(
        a["postcode"]).to_numpy()
    bb = b.groupby("postcode")["Antal_ture"].sum()
    return (bb.reindex(part.index).fillna(0.0) * part).astype("float64")


def priority_mix_check(folder: Path, *, region: str) -> dict[str, float]:
    """Which priorities the three response files hold, from their trip counts (no model involved).

    - the per-postcode means (``ambulance_response``, one row per postcode and
      region): A trips of ``region``;
    - the B file (one row per postcode, all regions together): B trips of the
      region's postcodes, a postcode shared with another region counted by the
      region's part of its A trips;
    - the by-hour file (region-wide, labelled "A-priority").

    ``hour_over_a_plus_b`` close to 1 (and far from ``hour_over_a``) says the by-hour
    file holds A and B trips together, and so that the per-postcode file holds
    A trips only (a mean "over all priorities" would be A and B as well).

    Returns
    -------
    dict
        ``a_trips``, ``a_mean`` (trip-weighted), ``b_trips``, ``b_median`` (trip-weighted
        mean of the postcode medians), ``hour_trips``, ``hour_median`` (trip-weighted mean
        of the hourly medians), ``hour_over_a``, ``hour_over_a_plus_b``; ``{"n": 0}`` when
        a file is missing.
    """
    from geoplan.prehospital.model import read_measured_response

    folder = Path(folder)
    pa, pb, ph = folder / "ambulance_response_by_postcode_2021-2025.csv", folder / B_FILE, folder / HOUR_FILE
    if not (pa.is_file() and pb.is_file() and ph.is_file()):
        return {"n": 0}
    a_all = _read_counts(pa, "Gennemsnit_minutter")
    a = read_measured_response(pa, region=region)
    b = _read_counts(pb, "Median_minutter")
    h = pd.read_csv(ph)
    for c in ("Median_minutter", "Antal_ture"):
        if c not in h.columns:
            from geoplan.errors import InputError

            raise InputError(ph, f"no column {c!r}", "expected Time_label,Median_minutter,Antal_ture")
    bt = _b_trips_in_region(a, a_all, b)
    b = b[b["postcode"].isin(bt.index)]
    bw = bt.reindex(b["postcode"]).to_numpy()
    a_trips, b_trips = float(a["trips"].sum()), float(bw.sum())
    hour_trips = float(h["Antal_ture"].sum())
    return {
        "n": int(len(a)), "a_trips": a_trips,
        "a_mean": float(np.average(a["measured_minutes"], weights=a["trips"])) if a_trips > 0 else float("nan"),
        "b_trips": b_trips,
        "b_median": float(np.average(b["Median_minutter"], weights=bw)) if b_trips > 0 else float("nan"),
        "hour_trips": hour_trips,
        "hour_median": float(np.average(h["Median_minutter"], weights=h["Antal_ture"])),
        "hour_over_a": hour_trips / a_trips if a_trips > 0 else float("nan"),
        "hour_over_a_plus_b": hour_trips / (a_trips + b_trips) if a_trips + b_trips > 0 else float("nan"),
    }


def by_hour_check(data: RegionData, f: Fit) -> dict[str, object]:
    """Modelled medians vs the region-wide medians by hour of day (not used in the fit).

    The by-hour file is labelled A-priority but holds A and B trips together
    (:func:`priority_mix_check`): its medians (10.9-12.6 min in Midtjylland) lie
    between the A means and the B medians, and the A-only model median
    (population-weighted cells) is expected below them. The model has no
    hour-of-day term (all stations staffed 00-24), so it cannot show the spread
    by hour. A median of the A+B mixture would need the spread of trip times
    within each postcode, which no file gives.
    """
    from geoplan.measures.equity import weighted_quantile

    path = Path(data.path).parent / HOUR_FILE
    if not path.is_file():
        return {"n": 0}
    h = pd.read_csv(path)
    cell = predict(data.t_station, data.t_standby, delay_min=f.delay_min, speed_factor=f.speed_factor,
                   standby_share=f.standby_share)
    pop = np.asarray(data.pop)
    ok = np.isfinite(cell) & (pop > 0)
    med = weighted_quantile(cell[ok], pop[ok], 0.5)
    meas = h["Median_minutter"].to_numpy(float)
    m = data.measured
    xm = predict(data.x_station, data.x_standby, delay_min=f.delay_min, speed_factor=f.speed_factor,
                 standby_share=f.standby_share)
    okm = np.isfinite(xm)
    t = m["trips"].to_numpy(float)
    return {
        "n": int(len(h)), "modelled_median": med,
        "modelled_trip_weighted_mean": float(np.average(xm[okm], weights=t[okm])),
        "measured_postcode_trip_weighted_mean": float(np.average(m["measured_minutes"].to_numpy()[okm], weights=t[okm])),
        "hour_spread": float(np.ptp(meas)), "measured_min": float(meas.min()),
        "measured_max": float(meas.max()), "measured_trip_weighted": float(np.average(meas, weights=h["Antal_ture"])),
        "mae": float(np.mean(np.abs(med - meas))), "bias": float(np.mean(med - meas))}


def write_parameters(scenario_path: Path, f: Fit, *, call_handling_min: float, comment: str) -> None:
    """Replace turnout_min, speed_factor and standby_share in ``[prehospital.ambulance]``."""
    from geoplan.output.files import write_text

    text = Path(scenario_path).read_text(encoding="utf-8")
    head, sep, rest = text.partition("[prehospital.ambulance]\n")
    if not sep:
        raise SystemExit(f"{scenario_path}: no [prehospital.ambulance] table")
    body, nxt, tail = rest.partition("\n[")
    values = {"turnout_min": round(f.delay_min - call_handling_min, 2), "speed_factor": round(f.speed_factor, 3),
              "standby_share": round(f.standby_share, 3)}
    body = re.sub(r"^# CALIBRATED.*?(?=^\w)", "", body, flags=re.S | re.M)
    for k in values:
        body = re.sub(rf"^{k}\s*=.*\n?", "", body, flags=re.M)
    body = body.rstrip("\n") + "\n" + comment + "".join(f"{k} = {v}\n" for k, v in values.items())
    write_text(head + sep + body + nxt + tail, Path(scenario_path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m geoplan.prehospital.calibrate", description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", type=Path, default=Path(__file__).resolve().parents[1] / "scenarios" / "prehospital.toml")
    ap.add_argument("--write", action="store_true", help="update the scenario's [prehospital.ambulance] parameters")
    a = ap.parse_args(argv)
    data = region_data(a.scenario)
    sec = data.scenario.prehospital
    m = data.measured
    use = (m["trips"] >= sec.validation.min_trips).to_numpy() & np.isfinite(data.x_station) & ~data.ferry
    w = m["trips"].to_numpy(float) if sec.validation.weights == "trips" else None
    xs, xb, y = data.x_station[use], data.x_standby[use], m["measured_minutes"].to_numpy()[use]
    ww = None if w is None else w[use]
    f = fit(xs, xb, y, weights=ww)
    cv = cross_validate(xs, xb, y, weights=ww)
    f0 = fit(xs, xb, y, weights=ww, share_bounds=(0.0, 0.0))
    cv0 = cross_validate(xs, xb, y, weights=ww, share_bounds=(0.0, 0.0))
    free = fit(xs, xb, y, weights=ww, share_bounds=(0.0, 0.0), factor_bounds=(0.3, 10.0))
    free_sb = fit(xs, xb, y, weights=ww, factor_bounds=(0.3, 10.0))
    wide = cross_validate(xs, xb, y, weights=ww, factor_bounds=WIDE_FACTOR_BOUNDS)
    fw = fit(xs, xb, y, weights=ww, factor_bounds=WIDE_FACTOR_BOUNDS)
    print(f"postcodes in the fit: {f.n} (>= {sec.validation.min_trips} trips, no ferry)")
    inside = FACTOR_BOUNDS[0] < fw.speed_factor < FACTOR_BOUNDS[1]
    print(f"wide bounds {WIDE_FACTOR_BOUNDS}, with standby share:     delay {fw.delay_min:.2f}  factor {fw.speed_factor:.3f}  "
          f"share {fw.standby_share:.3f}  MAE {fw.mae:.3f} | 5-fold MAE {wide['mae']:.3f}, fold factors "
          + " ".join(f"{ff.speed_factor:.2f}" for ff in wide["folds"])
          + (" -> inside the plausible bounds by itself" if inside else
             f" -> NOT inside {FACTOR_BOUNDS}: the model, not the bound, is wrong (see the module docstring)"))
    print(f"unbounded factor, with standby share:            delay {free_sb.delay_min:.2f}  factor {free_sb.speed_factor:.3f}  "
          f"share {free_sb.standby_share:.3f}  MAE {free_sb.mae:.3f}")
    print(f"unbounded single factor, no standby (old model): delay {free.delay_min:.2f}  factor {free.speed_factor:.3f}  "
          f"MAE {free.mae:.3f}  bias {free.bias:+.3f}  worst {free.worst:.2f}")
    print(f"factor bounded {FACTOR_BOUNDS}, no standby:           delay {f0.delay_min:.2f}  factor {f0.speed_factor:.3f}  "
          f"MAE {f0.mae:.3f}  bias {f0.bias:+.3f}  worst {f0.worst:.2f}  | 5-fold out-of-sample MAE {cv0['mae']:.3f}  "
          f"bias {cv0['bias']:+.3f}  worst {cv0['worst']:.2f}")
    print(f"CALIBRATED (bounded, with standby share):          delay {f.delay_min:.2f}  factor {f.speed_factor:.3f}  "
          f"standby_share {f.standby_share:.3f}")
    print(f"  in-sample       MAE {f.mae:.3f}  bias {f.bias:+.3f}  worst {f.worst:.2f}  (n {f.n})")
    print(f"  5-fold (seed {SEED}) out-of-sample MAE {cv['mae']:.3f}  bias {cv['bias']:+.3f}  worst {cv['worst']:.2f}")
    for i, ff in enumerate(cv["folds"]):
        print(f"    fold {i}: delay {ff.delay_min:.2f} factor {ff.speed_factor:.3f} share {ff.standby_share:.3f}")
    pred = predict(xs, xb, delay_min=f.delay_min, speed_factor=f.speed_factor, standby_share=f.standby_share)
    res = pd.DataFrame({"postcode": m["postcode"].to_numpy()[use], "measured": y, "modelled": pred,
                        "error": pred - y}).sort_values("error", key=np.abs, ascending=False, kind="mergesort")
    print("largest errors (modelled - measured, min): " + ", ".join(
        f"{r.postcode} {r.error:+.1f}" for r in res.head(8).itertuples()))
    b = b_priority_check(data, f)
    if b.get("n"):
        print(f"B-priority check (medians, {b['n']} postcodes >= 50 B trips): model - B median MAE {b['mae']:.2f}, "
              f"bias {b['bias']:+.2f}; median B minus measured mean {b['median_b_minus_measured_mean']:+.2f}; corr {b['corr']:.2f}")
        print(f"  B = A model + extra delay {b['extra_delay_min']:.2f} min: MAE {b['mae_with_extra']:.2f}; "
              f"B fitted on its own (same standby share): delay {b['b_fit_delay']:.2f} factor {b['b_fit_factor']:.3f} "
              f"MAE {b['b_fit_mae']:.2f} (B has no blue lights: a B factor far above 1 means the units do not "
              f"start at the listed stations)")
    mix = priority_mix_check(Path(data.path).parent, region=sec.validation.region_label)
    if mix.get("n"):
        print(f"priorities of the files (trip counts): per-postcode means {mix['a_trips']:,.0f} trips (mean "
              f"{mix['a_mean']:.2f}); B medians {mix['b_trips']:,.0f} trips in the region (mean of medians "
              f"{mix['b_median']:.2f}); by-hour 'A' file {mix['hour_trips']:,.0f} trips = {mix['hour_over_a']:.3f} x A, "
              f"{mix['hour_over_a_plus_b']:.4f} x (A + B): the postcode means are A only, the by-hour file is A and B")
    hcheck = by_hour_check(data, f)
    if hcheck.get("n"):
        print(f"by-hour check (region medians, A and B trips): A-model population-weighted median {hcheck['modelled_median']:.2f} "
              f"vs measured {hcheck['measured_min']:.1f}-{hcheck['measured_max']:.1f} by hour "
              f"(trip-weighted {hcheck['measured_trip_weighted']:.2f}); MAE {hcheck['mae']:.2f} bias {hcheck['bias']:+.2f}")
        print(f"  trip-weighted mean response: modelled {hcheck['modelled_trip_weighted_mean']:.2f}, measured postcode means "
              f"{hcheck['measured_postcode_trip_weighted_mean']:.2f}; hour-of-day spread of the measured medians "
              f"{hcheck['hour_spread']:.1f} min (the model: all stations staffed 00-24 -> no spread)")
    if a.write:
        comment = (
            f"# CALIBRATED by python -m geoplan.prehospital.calibrate --write on {f.n} postcodes (>= "
            f"{sec.validation.min_trips} trips, no ferry):\n"
            f"# delay {f.delay_min:.2f} min = call_handling_min {sec.call_handling_min} + turnout_min; blue-light\n"
            f"# factor within {FACTOR_BOUNDS}; standby_share = share of calls with an ambulance pre-positioned at the\n"
            f"# forward bases. In-sample MAE {f.mae:.2f} min, 5-fold out-of-sample MAE {cv['mae']:.2f} min.\n"
            f"# Caveat: left free the factor would be {free_sb.speed_factor:.2f} (MAE {free_sb.mae:.2f}): measured times grow\n"
            f"# with distance more slowly than any drive from the table's stations allows (units not at the\n"
            f"# listed stations: Aarhus is one point for several bases); see the docstring of geoplan.prehospital.calibrate.\n"
        )
        write_parameters(a.scenario, f, call_handling_min=sec.call_handling_min, comment=comment)
        print(f"wrote {a.scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
