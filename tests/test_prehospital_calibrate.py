"""geoplan.prehospital.calibrate: bounded fit with a standby share, cross-validation, --write."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from geoplan.prehospital import nearest_available, with_standby
from geoplan.prehospital.calibrate import (
    FACTOR_BOUNDS,
    calibrate_bounded,
    cross_validate,
    fit,
    predict,
    write_parameters,
)


def _generated(n=150, *, delay=4.6, factor=1.35, share=0.3, noise=0.0, seed=3):
    rng = np.random.default_rng(seed)
    xs = rng.uniform(1, 25, n)                      # drive from the nearest staffed station
    gain = rng.uniform(0, 1, n) * (rng.uniform(0, 1, n) < 0.4)
    xb = xs * (1 - 0.8 * gain)                      # nearer forward base for some areas
    y = predict(xs, xb, delay_min=delay, speed_factor=factor, standby_share=share)
    return xs, xb, y + rng.normal(0, noise, n)


def test_fit_recovers_known_parameters():
    xs, xb, y = _generated()
    f = fit(xs, xb, y)
    assert f.delay_min == pytest.approx(4.6, abs=1e-3)
    assert f.speed_factor == pytest.approx(1.35, abs=1e-3)
    assert f.standby_share == pytest.approx(0.3, abs=0.005)
    assert f.mae < 1e-3
    # with noise, still close; trip weights accepted
    xs, xb, y = _generated(noise=0.5, seed=7)
    f = fit(xs, xb, y, weights=np.full(len(y), 3.0))
    assert f.delay_min == pytest.approx(4.6, abs=0.3)
    assert f.speed_factor == pytest.approx(1.35, abs=0.08)
    assert f.standby_share == pytest.approx(0.3, abs=0.1)


def test_fit_keeps_the_factor_in_the_plausible_range():
    xs, xb, y = _generated(factor=2.5, share=0.0)
    f = fit(xs, xb, y)
    assert f.speed_factor == pytest.approx(FACTOR_BOUNDS[1])  # pinned at the bound, not 2.5
    assert f.mae > 0.1
    free = fit(xs, xb, y, factor_bounds=(0.3, 10.0), share_bounds=(0.0, 0.0))
    assert free.speed_factor == pytest.approx(2.5, abs=1e-6)
    with pytest.raises(ValueError):
        fit([1, 2], [1, 2], [3, 4])


def test_cross_validation_is_out_of_sample_and_reproducible():
    xs, xb, y = _generated(noise=0.0)
    cv = cross_validate(xs, xb, y)
    assert cv["n"] == len(y) and cv["mae"] < 1e-3 and len(cv["folds"]) == 5
    xs, xb, y = _generated(noise=1.0, seed=11)
    a, b = cross_validate(xs, xb, y), cross_validate(xs, xb, y)
    assert a["mae"] == b["mae"]                                 # fixed seed
    assert a["mae"] >= fit(xs, xb, y).mae - 1e-9                # held-out error is not smaller


def test_calibrate_bounded_matches_fit():
    xs, xb, y = _generated(noise=0.3, seed=5)
    c, f = calibrate_bounded(xs, xb, y), fit(xs, xb, y)
    assert (c.delay_min, c.speed_factor, c.standby_share) == (f.delay_min, f.speed_factor, f.standby_share)
    assert 0 < c.r2 <= 1 and c.rmse > 0


def test_with_standby_brute_force():
    rng = np.random.default_rng(0)
    M = rng.uniform(1, 30, (40, 6))
    open_ = np.array([1, 1, 0, 1, 0, 0], bool)
    standby = np.array([0, 0, 1, 0, 1, 0], bool)   # the last one is closed and not a standby base
    t, j = with_standby(M, available=open_, standby=standby, share=0.25, delay_min=2.0)
    for i in range(len(M)):
        st = M[i, open_].min()
        sb = min(st, M[i, standby].min())
        assert t[i] == pytest.approx(2.0 + 0.75 * st + 0.25 * sb)
        assert open_[j[i]] and M[i, j[i]] == st
    t0, j0 = with_standby(M, available=open_, standby=standby, share=0.0)
    np.testing.assert_array_equal(t0, nearest_available(M, available=open_)[0])


def test_write_parameters_round_trip(tmp_path):
    from geoplan.config import load_scenario
    from geoplan.datadir import SCENARIOS_DIR

    for name in ("prehospital.toml", "prehospital-forward-day.toml"):
        shutil.copy(SCENARIOS_DIR / name, tmp_path / name)
    f = fit(*_generated(delay=5.0, factor=1.4, share=0.2))
    write_parameters(tmp_path / "prehospital.toml", f, call_handling_min=2.0, comment="# CALIBRATED test\n")
    once = (tmp_path / "prehospital.toml").read_text(encoding="utf-8")
    write_parameters(tmp_path / "prehospital.toml", f, call_handling_min=2.0, comment="# CALIBRATED test\n")
    assert (tmp_path / "prehospital.toml").read_text(encoding="utf-8") == once  # idempotent
    assert once.count("# CALIBRATED") == 1
    for name in ("prehospital.toml", "prehospital-forward-day.toml"):
        a = load_scenario(tmp_path / name).prehospital.ambulance
        assert a.speed_factor == pytest.approx(1.4, abs=1e-3)
        assert a.turnout_min == pytest.approx(3.0, abs=0.01)
        assert a.standby_share == pytest.approx(0.2, abs=0.005)


def test_shipped_parameters_are_plausible_and_reproduce_the_stated_mae():
    from geoplan.config import load_scenario
    from geoplan.datadir import SCENARIOS_DIR

    path = SCENARIOS_DIR / "prehospital.toml"
    sec = load_scenario(path).prehospital
    a = sec.ambulance
    assert FACTOR_BOUNDS[0] <= a.speed_factor <= FACTOR_BOUNDS[1]
    assert 0.0 <= a.standby_share <= 1.0
    assert 1.0 <= sec.ambulance_delay_min <= 12.0
    stated = re.search(r"In-sample MAE ([\d.]+) min, 5-fold out-of-sample MAE ([\d.]+) min",
                       path.read_text(encoding="utf-8"))
    assert stated, "the calibration comment states the in-sample and out-of-sample MAE"
    mae_in, mae_out = float(stated[1]), float(stated[2])
    assert mae_in <= 1.5
    try:
        from geoplan.prehospital.calibrate import region_data

        data = region_data(path)
    except Exception as exc:  # the data directory is not there
        if type(exc).__name__ in ("DataMissingError", "FileNotFoundError"):
            pytest.skip(f"no region data: {exc}")
        raise
    m = data.measured
    use = (m["trips"] >= sec.validation.min_trips).to_numpy() & np.isfinite(data.x_station) & ~data.ferry
    pred = predict(data.x_station[use], data.x_standby[use], delay_min=sec.ambulance_delay_min,
                   speed_factor=a.speed_factor, standby_share=a.standby_share)
    mae = float(np.mean(np.abs(pred - m["measured_minutes"].to_numpy()[use])))
    assert mae == pytest.approx(mae_in, abs=0.006)
    cv = cross_validate(data.x_station[use], data.x_standby[use], m["measured_minutes"].to_numpy()[use])
    assert cv["mae"] == pytest.approx(mae_out, abs=0.006)


def _response_files(folder, *, hour_trips):
    """Tiny A / B / by-hour files: 8000 only in region R (A 100 trips), 8600 shared 3:1 between R and S."""
    (folder / "ambulance_response_by_postcode_2021-2025.csv").write_text(
        "Postnummer,Gennemsnit_minutter,Antal_ture,Region\n"
        "8000,8.0,100,R\n8600,12.0,30,R\n8600,14.0,10,S\n9000,9.0,500,S\n", encoding="utf-8")
    (folder / "ambulance_response_B_by_postcode_2021-2025.csv").write_text(
        "Postnummer,Median_minutter,Antal_ture\n8000,20.0,80\n8600,25.0,40\n9000,19.0,400\n", encoding="utf-8")
    (folder / "ambulance_response_midtjylland_by_hour_2021-2025.csv").write_text(
        f"Time_label,Median_minutter,Antal_ture\n00:00-01:00,12.0,{hour_trips // 2}\n"
        f"01:00-02:00,11.0,{hour_trips - hour_trips // 2}\n", encoding="utf-8")


def test_priority_mix_check_counts_trips_by_hand(tmp_path):
    from geoplan.prehospital.calibrate import priority_mix_check

    # A in R: 100 + 30 = 130; B in R: 80 + 40 * 30 / 40 = 110 (the shared postcode by R's A part)
    _response_files(tmp_path, hour_trips=240)
    r = priority_mix_check(tmp_path, region="R")
    assert r["a_trips"] == 130 and r["b_trips"] == pytest.approx(110)
    assert r["a_mean"] == pytest.approx((8.0 * 100 + 12.0 * 30) / 130)
    assert r["b_median"] == pytest.approx((20.0 * 80 + 25.0 * 30) / 110)
    assert r["hour_over_a_plus_b"] == pytest.approx(1.0) and r["hour_over_a"] == pytest.approx(240 / 130)
    assert r["hour_median"] == pytest.approx(11.5)
    # a by-hour file of A trips only shows as hour_over_a = 1
    _response_files(tmp_path, hour_trips=130)
    r = priority_mix_check(tmp_path, region="R")
    assert r["hour_over_a"] == pytest.approx(1.0) and r["hour_over_a_plus_b"] == pytest.approx(130 / 240)
    (tmp_path / "ambulance_response_midtjylland_by_hour_2021-2025.csv").unlink()
    assert priority_mix_check(tmp_path, region="R") == {"n": 0}


def test_priority_mix_check_bad_b_file_is_one_clear_error(tmp_path):
    from geoplan.errors import InputError
    from geoplan.prehospital.calibrate import priority_mix_check

    _response_files(tmp_path, hour_trips=240)
    (tmp_path / "ambulance_response_B_by_postcode_2021-2025.csv").write_text(
        "Postnummer,Median,Antal_ture\n8000,20.0,80\n", encoding="utf-8")
    with pytest.raises(InputError, match="Median_minutter"):
        priority_mix_check(tmp_path, region="R")
    (tmp_path / "ambulance_response_B_by_postcode_2021-2025.csv").write_text(
        "Postnummer,Median_minutter,Antal_ture\n8000,20.0,many\n", encoding="utf-8")
    with pytest.raises(InputError, match="'many' is not a number"):
        priority_mix_check(tmp_path, region="R")
