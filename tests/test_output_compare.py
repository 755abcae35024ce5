"""The comparison writer (geoplan.output.compare): plain sentences per changed figure, the differing
parameters, tables without total rows; on the tiny in-memory region."""

from __future__ import annotations

import pandas as pd

from geoplan.config import Scenario
from geoplan.output.compare import change_sentences, write_comparison
from geoplan.run.compare import compare_runs
from geoplan.run.pipeline import compute_scenario


def _sc(name: str, **acute) -> Scenario:
    return Scenario.model_validate({"name": name, "region": "tiny", "lang": "da",
                                    "acute": {"thresholds": [15, 30], "bands": [15, 30], **acute},
                                    "output": {"maps": False}})


def test_sentences_say_who_loses_and_by_how_much(tiny_region, tmp_path):
    ra = compute_scenario(_sc("a"), region=tiny_region)
    rb = compute_scenario(_sc("b", exclude=["h_e"]), region=tiny_region)
    res = compare_runs(ra, rb)
    tot = res.tables["acute"].iloc[-1]
    lose15 = int(round(tot["lose_within_15"]))
    assert lose15 > 0
    text = change_sentences(res, "da")
    assert f"{lose15:,}".replace(",", ".") + " borgere kommer længere end 15 min fra nærmeste" in " ".join(text)
    assert any(s.startswith("Den gennemsnitlige tid til nærmeste") and "stiger med" in s for s in text)
    assert any(s.startswith("Hårdest ramt: Øst") for s in text)
    # the same scenario twice: one sentence saying nothing changes
    same = change_sentences(compare_runs(ra, compute_scenario(_sc("a2"), region=tiny_region)), "en")
    assert len(same) == 1 and same[0].startswith("No change for")
    written = write_comparison(res, tmp_path, sub=("a", "b"))
    assert {"compare_acute_by_municipality.csv", "compare_acute_by_municipality_total.csv",
            "compare_parameters.csv", "tables.xlsx", "data_dictionary.csv", "report.html"} <= set(written)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Hvad ændres (B mod A)" in page and "Parametre der er forskellige" in page and "acute.exclude" in page
    d = pd.read_csv(tmp_path / "compare_acute_by_municipality.csv", dtype={"municipality_code": str})
    assert list(d["municipality_code"]) == ["0001", "0002"]
