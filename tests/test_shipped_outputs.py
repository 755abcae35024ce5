"""Every shipped scenario (scenarios/*.toml) run on the real region: its maps say the scenario and the
hour, every map has a PNG and a one-page PDF, tables.xlsx opens with the CSVs' columns, CSVs carry no
total rows, the data dictionary covers every column, sites' catchments are in a GeoPackage.

Slow (all shipped scenarios, several minutes on two cores): ``pytest -m slow tests/test_shipped_outputs.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from PIL import Image
from pypdf import PdfReader

from geoplan.config import load_scenario
from geoplan.output.tables import DICTIONARY, WORKBOOK
from geoplan.run.pipeline import run_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_outputs(path, region, tmp_path):
    sc = load_scenario(path)
    out = tmp_path / sc.name
    run = run_scenario(sc, out=out, region=region)
    names = set(run.written)
    maps = sorted(n for n in names if n.endswith(".html") and n != "report.html")
    assert maps
    hour = re.compile(r"(kl\. \d\d|hele døgnet|at \d\d:00|around the clock)")
    for m in maps:
        page = (out / m).read_text(encoding="utf-8")
        setup = json.loads(re.search(r"geoplan\.setup\([^,]+, (\{.*?\})\);", page).group(1))
        assert (sc.title or sc.name) in setup["title"] and hour.search(setup["title"]), (m, setup["title"])
        assert f"{sc.name}" in setup["caption"]
        assert f'<html lang="{sc.lang}">' in page[:300]
        stem = m.removesuffix(".html")
        with Image.open(out / f"{stem}.png") as im:
            assert im.size[0] >= 1500
        assert len(PdfReader(out / f"{stem}.pdf").pages) == 1
    csvs = [n for n in names if n.endswith(".csv") and not n.endswith("_total.csv") and n != DICTIONARY]
    wb = openpyxl.load_workbook(out / WORKBOOK, read_only=True)
    assert len(wb.sheetnames) == len(csvs) + 1 and wb.sheetnames[-1] == "Forklaring"
    d = pd.read_csv(out / DICTIONARY, dtype=str, keep_default_na=False)
    described = set(zip(d["file"], d["column"], strict=True))
    assert (d["meaning_da"] != "").all()
    for n in csvs:
        df = pd.read_csv(out / n, dtype=str, keep_default_na=False)
        if "municipality_code" in df.columns:
            assert (df["municipality_code"] != "").all(), f"{n} has a total row"
        assert all((n, c) in described for c in df.columns), n
    for n in (n for n in names if n.endswith(".gpkg")):
        for layer, _ in pyogrio.list_layers(out / n):
            assert all((n, c) in described for c in pyogrio.read_info(out / n, layer=layer)["fields"]), (n, layer)
    for step in run.steps:
        if step in ("acute", "prehospital", "health_houses", "psychiatry_houses"):
            assert f"{step}_catchments.gpkg" in names, step
    report = (out / "report.html").read_text(encoding="utf-8") if "report.html" in names else ""
    if sc.acute is not None and sc.acute.n_minus_1:
        assert "N-1: hvis ét akuthospital lukker" in report
    for step in ("health_houses", "psychiatry_houses"):
        if step in run.steps:
            assert "Hvor husene skal ligge" in report
