"""The output layer: a computed run written to files (tiny in-memory region, no data directory)."""

from __future__ import annotations

import pandas as pd
import pytest

from geoplan.config import Scenario
from geoplan.output import writer
from geoplan.run.pipeline import compute_scenario


def _scenario(**extra) -> Scenario:
    return Scenario.model_validate({
        "name": "tiny", "region": "tiny", "lang": "en",
        "acute": {"thresholds": [15, 30], "bands": [15, 30], "hours": [3, 12], "n_minus_1": True},
        "health_houses": {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                          "frontier": {"p_min": 1, "p_max": 2}},
        **extra,
    })


def test_compute_then_write(tiny_region, tmp_path):
    run = compute_scenario(_scenario(), region=tiny_region)
    assert list(run.steps) == ["acute", "health_houses", "equity"] and run.out is None  # equity: every run and run.written == []
    assert set(run.measures) == {"acute", "health_houses"}
    assert [h.key for h in run.headlines][:2] == ["acute_within_30", "acute_mean"]
    assert {"acute", "health_houses", "health_houses.solve", "compute"} <= set(run.timings)
    out = tmp_path / "out"
    writer.write_run(run, out)
    assert run.out == out and "write" in run.timings
    names = {p.name for p in out.iterdir()} - {".geoplan-output"}    # the marker: geoplan wrote this folder
    assert names == set(run.written)
    assert {"acute_access_by_municipality.csv", "acute_access_cells.gpkg", "acute_access_by_hour.csv",
            "acute_n_minus_1.csv", "acute.html", "acute_n_minus_1.html", "health_houses_sites.csv",
            "health_houses_solution.json", "health_houses_frontier.png", "health_houses.html",
            "report.html"} <= names
    table = pd.read_csv(out / "acute_access_by_municipality.csv", dtype={"municipality_code": str},
                        keep_default_na=False)
    computed = run["acute"].table
    assert table["mean_minutes"].tolist() == pytest.approx(computed.loc[computed["kode"] != "", "mean_minutes"].tolist())
    report = (out / "report.html").read_text(encoding="utf-8")
    for h in run.headlines:
        assert h.text("en").replace("'", "&#x27;") in report
    assert "Drive time to the nearest acute hospital" in report        # an English map title
    # no timings in the data files
    for name in names:
        if name.endswith((".csv", ".json")):
            assert "seconds" not in (out / name).read_text(encoding="utf-8"), name


def test_write_is_byte_identical_and_atomic(tiny_region, tmp_path, monkeypatch):
    sc = _scenario(output={"maps": False})
    a, b = tmp_path / "a", tmp_path / "b"
    writer.write_run(compute_scenario(sc, region=tiny_region), a)
    writer.write_run(compute_scenario(sc, region=tiny_region), b)
    for p in a.iterdir():
        if p.suffix in (".csv", ".json", ".html"):
            assert p.read_bytes() == (b / p.name).read_bytes(), p.name
    # a writer that fails leaves the previous output as it was, and no staging folder behind
    before = sorted(p.name for p in a.iterdir())

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setitem(writer.WRITERS, "health_houses", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        writer.write_run(compute_scenario(sc, region=tiny_region), a)
    assert sorted(p.name for p in a.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_every_step_has_a_writer():
    from geoplan.run.steps import STEPS

    assert [s.section for s in STEPS] == list(writer.WRITERS)
    for s in STEPS:
        assert callable(s.load())
