"""The table boundary of a run (geoplan.output.tables): readable CSVs without totals, tables.xlsx
and data_dictionary.csv, on the tiny in-memory region."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pyogrio
import pytest

from geoplan.config import Scenario
from geoplan.output import writer
from geoplan.output.tables import DICTIONARY, WORKBOOK, total_name
from geoplan.run.pipeline import compute_scenario


@pytest.fixture
def written(tiny_region, tmp_path):
    sc = Scenario.model_validate({
        "name": "tiny", "region": "tiny", "lang": "da",
        "acute": {"thresholds": [15, 30], "bands": [15, 30], "hours": [3, 12], "n_minus_1": True},
        "health_houses": {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                          "frontier": {"p_min": 1, "p_max": 2}},
        "output": {"maps": False},
    })
    run = compute_scenario(sc, region=tiny_region)
    out = tmp_path / "out"
    writer.write_run(run, out)
    return run, out


def test_csvs_have_no_total_rows_and_readable_names(written):
    run, out = written
    t = pd.read_csv(out / "acute_access_by_municipality.csv", dtype=str, keep_default_na=False)
    assert "kode" not in t.columns and "municipality_code" in t.columns
    assert "share_within_30min" in t.columns
    assert (t["municipality_code"] != "").all() and list(t["municipality_code"]) == ["0001", "0002"]
    # the columns of the data sum to the region: the total sits in its own file
    tot = pd.read_csv(out / total_name("acute_access_by_municipality.csv"))
    assert len(tot) == 1 and tot["population"].iloc[0] == pytest.approx(t["population"].astype(float).sum())
    for name in run.written:
        if name.endswith(".csv") and not name.endswith("_total.csv") and name != DICTIONARY:
            df = pd.read_csv(out / name, dtype=str, keep_default_na=False)
            for code in ("kode", "municipality_code"):
                if code in df.columns:
                    assert (df[code] != "").all(), f"{name} has a total row"


def test_workbook_has_a_sheet_per_table_with_totals_apart(written):
    run, out = written
    wb = openpyxl.load_workbook(out / WORKBOOK)
    csvs = [n for n in run.written if n.endswith(".csv") and not n.endswith("_total.csv") and n != DICTIONARY]
    assert len(wb.sheetnames) == len(csvs) + 1 and wb.sheetnames[-1] == "Forklaring"
    ws = wb["acute_access_by_municipality"]
    heads = [c.value for c in ws[1]]
    data = pd.read_csv(out / "acute_access_by_municipality.csv", dtype=str)
    assert len(heads) == len(data.columns)
    codes = [ws.cell(row=r, column=2).value for r in range(2, 4)]
    assert codes == ["0001", "0002"]          # codes as text, leading zeros kept
    assert ws.cell(row=4, column=1).value is None  # an empty row, then the marked total
    assert str(ws.cell(row=5, column=1).value).startswith("I alt")
    assert ws.cell(row=5, column=1).font.bold
    # the explanation sheet names every column of every sheet in both languages
    ex = wb["Forklaring"]
    rows = list(ex.iter_rows(values_only=True))
    text = " ".join(str(v) for r in rows for v in r if v)
    assert "Andel af borgerne" in text or "andel" in text.lower()
    assert len(rows) - 1 >= sum(len(pd.read_csv(out / n, nrows=0).columns) for n in csvs)


def test_dictionary_covers_every_column(written):
    run, out = written
    d = pd.read_csv(out / DICTIONARY, dtype=str, keep_default_na=False)
    described = set(zip(d["file"], d["column"], strict=True))
    for name in run.written:
        if name.endswith(".csv") and name != DICTIONARY:
            cols = pd.read_csv(out / name, nrows=0).columns
        elif name.endswith(".gpkg"):
            cols = [c for layer, _ in pyogrio.list_layers(out / name)
                    for c in pyogrio.read_info(out / name, layer=layer)["fields"]]
        else:
            continue
        for c in cols:
            assert (name, c) in described, (name, c)
    assert (d["meaning_da"] != "").all() and (d["meaning_en"] != "").all()
