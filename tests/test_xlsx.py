"""Workbooks: a sheet per table, codes as text, totals below the data, Forklaring, same bytes."""

from __future__ import annotations

import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geoplan.output import xlsx as X


def _tables():
    muni = pd.DataFrame(
        {
            "municipality": ["Horsens", "Ringkøbing-Skjern", "Samsø", "Region Midtjylland"],
            "kode": ["0615", "0760", "0741", ""],
            "population": [98912.0, 56000.0, 3700.0, 158612.0],
            "share_within_30": [0.9767, 0.51, 0.0, 0.78],
            "mean_minutes": [12.12, 31.5, np.inf, 20.0],
            "unreachable_population": [0.0, 0.0, 3700.0, 3700.0],
        }
    )
    pre = pd.DataFrame(
        {
            "postcode": [8000, 6950],  # int: the leading zero of e.g. 0800 would be lost
            "name": ["Aarhus C", "Ringkøbing"],
            "alb_mean_h12": [9.5, 22.25],
            "met_A10_h12": [1, 0],
            "misses_h12": ["", "A10 A15"],
        }
    )
    return muni, pre


def _write(tmp_path, name="w.xlsx", **kw):
    muni, pre = _tables()
    data, tot = X.split_total(muni)
    return X.write_workbook(
        {"acute_access_by_municipality.csv": data, "prehospital_coverage_by_postcode.csv": pre},
        tmp_path / name,
        totals={"acute_access_by_municipality.csv": tot},
        **kw,
    )


def test_split_total_takes_the_region_row_off():
    muni, _ = _tables()
    data, tot = X.split_total(muni)
    assert list(data["kode"]) == ["0615", "0760", "0741"]
    assert list(tot["municipality"]) == ["Region Midtjylland"]
    same, none = X.split_total(muni.iloc[:3])
    assert none is None and len(same) == 3


def test_sheets_headings_codes_and_formats(tmp_path):
    p = _write(tmp_path)
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == [
        "acute_access_by_municipality",
        "prehospital_coverage_by_postcod",  # cut to Excel's 31 characters
        "Forklaring",
    ]
    ws = wb.worksheets[0]
    heads = [c.value for c in ws[1]]
    assert heads == [
        "Kommune",
        "Kommunekode",
        "Indbyggere",
        "Andel ≤ 30 min",
        "Gns. minutter",
        "Ikke nåbare",
    ]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F4"  # header and data, not the total
    # codes are text with their zeros; numbers carry units
    assert ws["B2"].value == "0615" and ws["B2"].data_type == "s" and ws["B2"].number_format == "@"
    assert ws["A3"].value == "Ringkøbing-Skjern"
    assert ws["C2"].value == 98912 and ws["C2"].number_format == "#,##0"
    assert ws["D2"].number_format == "0.0%" and ws["E2"].number_format == '0.0 "min"'
    assert ws["E4"].value == "ikke nåbar"  # inf is never written as a number Excel rejects
    # widths fit the content
    assert ws.column_dimensions["A"].width >= len("Ringkøbing-Skjern")
    pre = wb.worksheets[1]
    assert [c.value for c in pre[1]][:3] == ["Postnummer", "Navn", "Akutlægebil gns. min kl. 12"]
    assert pre["A2"].value == "8000" and pre["A2"].data_type == "s"


def test_total_is_a_separate_marked_row_below(tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[4] == (None,) * 6  # one empty row between data and total
    total = rows[5]
    assert total[0] == "I alt: Region Midtjylland" and total[2] == 158612
    assert ws.cell(row=6, column=3).font.b
    # summing the data column counts everybody once
    assert sum(r[2] for r in rows[1:4]) == pytest.approx(total[2])
    en = openpyxl.load_workbook(_write(tmp_path, "en.xlsx", lang="en")).worksheets[0]
    assert en.cell(row=6, column=1).value == "Total: Region Midtjylland"
    assert [c.value for c in en[1]][:2] == ["Municipality", "Municipality code"]


def test_forklaring_explains_every_column_in_both_languages(tmp_path):
    wb = openpyxl.load_workbook(_write(tmp_path))
    ws = wb["Forklaring"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    described = {(r[0], r[1]): r for r in rows if r[1]}
    assert len(described) == 6 + 5
    kode = described[("acute_access_by_municipality", "kode")]
    assert "leading zero" in kode[4] and "foranstillet nul" in kode[3] and kode[5] == "kode (tekst)"
    alb = described[(wb.sheetnames[1], "alb_mean_h12")]
    assert "physician car" in alb[4] and alb[5] == "minutter"
    assert any("I alt" in str(r[0]) for r in rows if r and r[0])  # the note on totals


def test_two_writes_are_byte_identical_with_fixed_dates(tmp_path):
    a = _write(tmp_path, "a.xlsx")
    time.sleep(2.1)  # zip dates have 2-second resolution: a clock-based date would differ
    b = _write(tmp_path, "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and core.count("2000-01-01T00:00:00Z") == 2


def test_sheet_names_are_valid_and_unique():
    taken: list[str] = []
    for n in ["a/b:c*?", "x" * 40, "x" * 40, "X" * 40]:
        taken.append(X.sheet_name(n, taken))
    assert taken[0] == "a_b_c__"
    assert len(set(s.lower() for s in taken)) == 4 and all(len(s) <= 31 for s in taken)
    assert X.sheet_name("acute.csv") == "acute"


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(X.WorkbookError, match="no tables"):
        X.write_workbook({}, tmp_path / "x.xlsx")
    muni, _ = _tables()
    with pytest.raises(X.WorkbookError, match="lacks: nope"):
        X.write_workbook({"t": muni}, tmp_path / "x.xlsx", totals={"t": {"nope": 1}})
    with pytest.raises(X.WorkbookError, match="not written"):
        X.write_workbook({"t": muni}, tmp_path / "x.xlsx", totals={"u": {"population": 1}})
    assert not (tmp_path / "x.xlsx").exists()
