"""The command line end to end, as a user runs it: outputs, determinism, and clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geoplan.cli import main

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.needs_data

TOWNS = """name,lon,lat
Aarhus,10.2039,56.1567
Randers,10.0364,56.4607
Viborg,9.4018,56.4532
Herning,8.9733,56.1393
Tranebjerg,10.5960,55.8290
"""


def _csv(tmp_path, text, name="points.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_od_all_pairs(tmp_path):
    out = tmp_path / "od.csv"
    assert main(["-q", "od", str(_csv(tmp_path, TOWNS)), "--region", "midtjylland", "--out", str(out)]) == 0
    od = pd.read_csv(out)
    assert list(od.columns) == ["from", "to", "minutes", "km"]
    assert len(od) == 5 * 4
    t = od.set_index(["from", "to"])
    # route planners: Aarhus–Randers about 35–40 min / 40 km; Aarhus–Tranebjerg needs the Hou–Sælvig ferry
    assert 28 <= t.loc[("Aarhus", "Randers"), "minutes"] <= 48
    assert 35 <= t.loc[("Aarhus", "Randers"), "km"] <= 50
    assert t.loc[("Aarhus", "Tranebjerg"), "minutes"] > 90
    # two-way network: symmetric
    assert abs(t.loc[("Viborg", "Herning"), "minutes"] - t.loc[("Herning", "Viborg"), "minutes"]) < 0.2


def test_od_points_times_to(tmp_path):
    to = _csv(tmp_path, "name,lon,lat\nSkejby,10.1721,56.1919\nGødstrup,8.8874,56.1573\n", "to.csv")
    out = tmp_path / "od.csv"
    assert main(["-q", "od", str(_csv(tmp_path, TOWNS)), "--to", str(to), "--out", str(out)]) == 0
    od = pd.read_csv(out)
    assert len(od) == 5 * 2 and set(od["to"]) == {"Skejby", "Gødstrup"}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name,lon\nAarhus,10.2\n", "missing column"),
        ("name,lon,lat\nAarhus,ten,56.1\n", "lon='ten' is not a valid"),
        ("name,lon,lat\nAarhus,10.2,156.1\n", "lat"),
        ("name,lon,lat\nAarhus,10.2,56.15\nAarhus,10.0,56.4\n", "duplicate name"),
        ("name,lon,lat\nKøbenhavn,12.5683,55.6761\n", "København"),  # outside the region's network
        ("name,lon,lat\nKattegat,11.2,56.3\n", "not on land"),
    ],
)
def test_od_bad_points(tmp_path, capsys, text, match):
    out = tmp_path / "od.csv"
    code = main(["-q", "od", str(_csv(tmp_path, text)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert match in err and "points.csv" in err and "fix:" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_unknown_region_and_missing_data(tmp_path, capsys, monkeypatch):
    out = tmp_path / "od.csv"
    assert main(["-q", "od", str(_csv(tmp_path, TOWNS)), "--region", "atlantis", "--out", str(out)]) == 2
    assert "unknown region 'atlantis'" in capsys.readouterr().err
    monkeypatch.setenv("GEOPLAN_DATA_DIR", str(tmp_path / "empty"))
    assert main(["-q", "od", str(_csv(tmp_path, TOWNS)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "missing input" in err and "dagi2014_regioner.geojson" in err and "get it from" in err
    assert not out.exists()
    assert main(["data", "check"]) == 1
    assert "MISSING" in capsys.readouterr().out


def test_data_check_ok(capsys):
    assert main(["data", "check"]) == 0
    assert "All required inputs are present" in capsys.readouterr().out


def test_run_baseline_is_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["-q", "run", str(ROOT / "scenarios" / "baseline.toml"), "--out", str(a)]) == 0
    said = capsys.readouterr().out  # the terminal follows the scenario's language (da): headlines first
    assert said.startswith(("8", "7", "9")) and "af borgerne bor inden for 30 minutters kørsel" in said
    assert "Skrev " in said and "Wrote" not in said
    assert main(["-q", "run", str(ROOT / "scenarios" / "baseline.toml"), "--out", str(b)]) == 0
    for name in ("acute_access_by_municipality.csv", "acute.html", "report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    t = pd.read_csv(a / "acute_access_by_municipality.csv", dtype={"municipality_code": str})
    assert len(t) == 19  # 19 municipalities; the region total in its own file
    region = pd.read_csv(a / "acute_access_by_municipality_total.csv").iloc[0]
    assert region["population"] == pytest.approx(t["population"].sum())
    # shares grow with the threshold; nearly everybody is within an hour
    shares = region[["share_within_15min", "share_within_30min", "share_within_45min",
                     "share_within_60min"]].to_numpy()
    assert (shares[1:] >= shares[:-1]).all() and shares[-1] > 0.95
    assert (a / "acute_access_cells.gpkg").stat().st_size > 0
    html = (a / "report.html").read_text(encoding="utf-8")
    assert "af borgerne bor inden for 30 minutters kørsel" in html


def test_failed_run_leaves_previous_output(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("previous complete run")
    (out / ".geoplan-output").write_text("a folder geoplan wrote")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[acute]\nexclude = ["no_such_hospital"]\n', encoding="utf-8")
    assert main(["-q", "run", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown facility ['no_such_hospital']" in err and "hospitals.csv" in err
    assert sorted(p.name for p in out.iterdir()) == [".geoplan-output", "old.txt"]
    assert not any(p.name.startswith(".run.") for p in tmp_path.iterdir())  # no staging folder left


def test_malformed_scenario_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[acute]\nthreshold = 30\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "run", str(bad), "--out", str(out)]) == 2
    assert "unknown key 'acute.threshold'" in capsys.readouterr().err
    assert not out.exists()


def test_locate_command(tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("demand_id,site_id,minutes\na,X,5\na,Y,30\nb,X,25\nb,Y,4\nc,Y,8\n", encoding="utf-8")
    dem = tmp_path / "demand.csv"
    dem.write_text("demand_id,weight\na,10\nb,1\nc,5\n", encoding="utf-8")
    out = tmp_path / "result.json"
    assert main(["-q", "locate", "--cost-matrix", str(od), "--demand", str(dem), "--model", "mclp", "--p", "1",
                 "--max-minutes", "10", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    # X covers a (10); Y covers b and c (6): the best single site is X
    assert res["status"] == "optimal" and res["sites"] == ["X"] and res["objective"] == pytest.approx(10)
    assert res["covered_share"] == pytest.approx(10 / 16)


def test_compare_night_closure(tmp_path):
    out = tmp_path / "cmp"
    assert main(["-q", "compare", str(ROOT / "scenarios" / "baseline.toml"),
                 str(ROOT / "scenarios" / "acute-night.toml"), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"compare_acute_by_municipality.csv", "compare_acute.html", "compare_acute_difference.html",
            "report.html", "baseline", "acute-night"} <= names
    d = pd.read_csv(out / "compare_acute_by_municipality.csv",
                    dtype={"municipality_code": str}).set_index("municipality_code")
    # closing Randers and Horsens at night: Randers and Horsens municipalities lose access, nobody gains
    assert d.loc["0730", "population_losing_15min"] > 10_000 and d.loc["0615", "population_losing_15min"] > 10_000
    assert (d["population_gaining_30min"] == 0).all()
    params = pd.read_csv(out / "compare_parameters.csv", keep_default_na=False).set_index("parameter")
    assert params.loc["name", "a"] == "baseline" and params.loc["name", "b"] == "acute-night"
    assert params.loc["acute.opening_hours.randers", "b"] == "07-22" and params.loc["acute.at_hour", "b"] == "3"
    assert params.loc["acute.hours", "b"] == "[3, 12]" and params.loc["acute.hours", "a"] == "[]"
    assert "network.source" not in params.index and "routing.access_k" not in params.index
    assert "Parametre der er forskellige" in (out / "report.html").read_text(encoding="utf-8")
    assert d.loc["0730", "mean_change_minutes"] > 0


def test_console_script_installed():
    exe = shutil.which("geoplan", path=str(Path(sys.executable).parent))
    assert exe, "the geoplan console script is not installed"
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.startswith("geoplan ")


def test_run_on_dask_local_cluster_equals_single_machine(tmp_path):
    pytest.importorskip("distributed")
    sc = tmp_path / "dask.toml"
    sc.write_text('name = "baseline-dask"\n[routing]\ndask_scheduler = "local"\n[acute]\n', encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "baseline-plain"\n[acute]\n', encoding="utf-8")
    assert main(["-q", "run", str(sc), "--out", str(tmp_path / "d")]) == 0
    assert main(["-q", "run", str(plain), "--out", str(tmp_path / "p")]) == 0
    name = "acute_access_by_municipality.csv"
    assert (tmp_path / "d" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()
