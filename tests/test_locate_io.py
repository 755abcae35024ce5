"""File back-end, frontier and the spopt cross-check of the location models."""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import InfeasibleError, InputError
from geoplan.locate import MCLP, PMedian, how_many_frontier, plot_frontier
from geoplan.locate.io import add_locate_arguments, locate_from_files, run_locate
from geoplan.locate.synthetic import random_instance, road_like_instance


def write_problem(tmp_path, c, w, *, drop_unreachable=True):
    rows = [
        (f"d{i}", f"s{j}", c[i, j])
        for i in range(c.shape[0])
        for j in range(c.shape[1])
        if np.isfinite(c[i, j]) or not drop_unreachable
    ]
    od = tmp_path / "OD.csv"
    pd.DataFrame(rows, columns=["demand_id", "site_id", "minutes"]).to_csv(od, index=False)
    dem = tmp_path / "DEMAND.csv"
    pd.DataFrame({"demand_id": [f"d{i}" for i in range(len(w))], "weight": w}).to_csv(
        dem, index=False
    )
    return od, dem


@pytest.mark.parametrize("model", ["lscp", "mclp", "pmedian", "pcenter"])
def test_locate_from_files_end_to_end(tmp_path, model):
    c, w = random_instance(12, 6, seed=4, unreachable=0.15)
    od, dem = write_problem(tmp_path, c, w)
    out = tmp_path / "res" / "RESULT.json"
    p = 2 if model != "lscp" else None
    T = 45.0 if model in ("lscp", "mclp") else None
    res = locate_from_files(
        cost_matrix=od,
        demand=dem,
        model=model,
        p=p,
        max_minutes=T,
        fixed=["s1"],
        solver="highs",
        time_limit=30,
        out=out,
    )
    data = json.loads(out.read_text())
    assert "solve_seconds" not in data and res["solve_seconds"] >= 0     # timings never in the data file
    assert data == json.loads(json.dumps({k: v for k, v in res.items() if k != "solve_seconds"}))
    for key in (
        "status",
        "sites",
        "objective",
        "bound",
        "gap",
        "covered_share",
        "model",
        "p",
        "max_minutes",
        "solver",
    ):
        assert key in data
    assert (
        data["status"] == "optimal"
        and "s1" in data["sites"]
        and data["sites"] == sorted(data["sites"])
    )
    sites = [int(s[1:]) for s in data["sites"]]
    if model == "mclp":
        best = max(
            w[(c[:, [1, *S]] <= T).any(axis=1)].sum()
            for S in itertools.combinations([0, 2, 3, 4, 5], 1)
        )
        assert data["objective"] == pytest.approx(best)
        assert data["covered_share"] == pytest.approx(best / w.sum())
    if model == "pmedian":
        d = c[:, sites].min(axis=1)
        assert data["objective"] == pytest.approx(float(w @ d / w.sum()))
    if model == "lscp":
        assert (c[:, sites] <= T).any(axis=1).all()
    assert not list(tmp_path.glob("res/.*"))  # no temp file left behind


def test_locate_bad_input_writes_nothing(tmp_path):
    c, w = random_instance(6, 4, seed=1)
    od, dem = write_problem(tmp_path, c, w)
    out = tmp_path / "RESULT.json"
    kw = dict(cost_matrix=od, demand=dem, model="mclp", p=2, max_minutes=30.0, fixed=[], out=out)
    with pytest.raises(InputError, match="fixed site.*'nope'"):
        locate_from_files(**{**kw, "fixed": ["nope"]})
    with pytest.raises(InputError, match="--p .*missing"):
        locate_from_files(**{**kw, "p": None})
    bad = tmp_path / "BAD.csv"
    pd.DataFrame({"demand_id": ["d0"], "wt": [1]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match=r"BAD\.csv: line 1: missing column\(s\) weight"):
        locate_from_files(**{**kw, "demand": bad})
    neg = tmp_path / "NEG.csv"
    pd.DataFrame({"demand_id": [f"d{i}" for i in range(6)], "weight": [1, 2, -3, 4, 5, 6]}).to_csv(
        neg, index=False
    )
    with pytest.raises(InputError, match="line 4: weight=.-3.0. is negative"):
        locate_from_files(**{**kw, "demand": neg})
    assert not out.exists()
    with pytest.raises(InfeasibleError):
        locate_from_files(**{**kw, "model": "lscp", "p": None, "max_minutes": 0.5})
    assert not out.exists()


def test_run_locate_parser(tmp_path, capsys):
    c, w = random_instance(8, 4, seed=2)
    od, dem = write_problem(tmp_path, c, w)
    parser = add_locate_arguments(argparse.ArgumentParser())
    out = tmp_path / "R.json"
    args = parser.parse_args(
        [
            "--cost-matrix",
            str(od),
            "--demand",
            str(dem),
            "--model",
            "pmedian",
            "--p",
            "2",
            "--out",
            str(out),
        ]
    )
    assert run_locate(args) == 0
    assert "pmedian: optimal" in capsys.readouterr().out
    assert json.loads(out.read_text())["p"] == 2


def test_frontier_and_plot(tmp_path):
    c, w, _, _ = road_like_instance(1500, 40, seed=3)
    df = how_many_frontier(
        c, w, p_values=[1, 2, 3, 4, 6, 8], max_minutes=15, marginal_threshold=0.05
    )
    assert list(df["p"]) == [1, 2, 3, 4, 6, 8]
    assert (np.diff(df["covered_share"]) >= -1e-12).all()
    assert (np.diff(df["mean_minutes"]) <= 1e-9).all() or df["mean_minutes"].iloc[-1] < df[
        "mean_minutes"
    ].iloc[0]
    assert df["marginal_gain"].iloc[0] == pytest.approx(df["covered_share"].iloc[0])
    assert df["marginal_gain"].iloc[4] == pytest.approx(
        (df["covered_share"].iloc[4] - df["covered_share"].iloc[3]) / 2
    )
    marked = df.index[df["below_threshold"]].tolist()
    assert len(marked) <= 1
    if marked:
        k = marked[0]
        assert df["marginal_gain"].iloc[k] < 0.05 and (df["marginal_gain"].iloc[:k] >= 0.05).all()
    for lang in ("da", "en"):
        png = plot_frontier(df, tmp_path / f"f_{lang}.png", lang=lang, max_minutes=15)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert not list(tmp_path.glob(".frontier-*"))


def test_frontier_with_fixed_sites():
    c, w, _, _ = road_like_instance(800, 25, seed=4)
    df = how_many_frontier(c, w, p_values=[2, 3], max_minutes=12, fixed=[0, 1])
    base = w[(c[:, [0, 1]] <= 12).any(axis=1)].sum() / w.sum()
    assert df["marginal_gain"].iloc[0] == pytest.approx(df["covered_share"].iloc[0] - base)
    assert all("0" in s.split(";") and "1" in s.split(";") for s in df["sites"])


# ----------------------------------------------------------------------------- PySAL spopt cross-check
def test_same_objective_as_spopt():
    """spopt (PySAL) MCLP and PMedian on the same matrix give the same objective (skipped without spopt)."""
    spopt = pytest.importorskip("spopt.locate")
    import pulp

    c, w, _, _ = road_like_instance(150, 12, seed=5)
    c = np.round(c, 3)
    T, p = 12.0, 3
    ours = MCLP.from_cost_matrix(c, max_minutes=T, p=p, weights=w).solve()
    sp_m = spopt.MCLP.from_cost_matrix(c, w, service_radius=T, p_facilities=p)
    sp_m = sp_m.solve(pulp.HiGHS(msg=False))
    sel = [j for j in range(c.shape[1]) if sp_m.fac_vars[j].value() > 0.5]
    assert w[(c[:, sel] <= T).any(axis=1)].sum() == pytest.approx(ours.objective)

    ours_pm = PMedian.from_cost_matrix(c, p=p, weights=w).solve()
    sp_pm = spopt.PMedian.from_cost_matrix(c, w, p_facilities=p).solve(pulp.HiGHS(msg=False))
    sel = [j for j in range(c.shape[1]) if sp_pm.fac_vars[j].value() > 0.5]
    assert float(w @ c[:, sel].min(axis=1)) / w.sum() == pytest.approx(ours_pm.objective, rel=1e-9)
