"""The data dictionary covers every column geoplan writes, and the rename map is sound."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geoplan.output import dictionary as D

HERE = Path(__file__).parent
ROOT = HERE.parent
GATHERED = HERE / "data" / "output_columns.csv"


def _gathered() -> list[tuple[str, str]]:
    lines = [
        ln for ln in GATHERED.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")
    ]
    rows = list(csv.reader(lines))
    assert rows[0] == ["file", "column"]
    return [(f, c) for f, c in rows[1:]]


def test_every_gathered_column_is_described():
    d = D.load_dictionary()
    rows = _gathered()
    assert len(rows) > 300  # all shipped scenarios, compare and od
    missing = [(f, c) for f, c in rows if d.describe(c, file=f) is None]
    assert missing == []


def test_every_description_is_filled_in_both_languages_with_its_parameters():
    d = D.load_dictionary()
    for f, c in _gathered():
        info = d.describe(c, file=f)
        for lang in ("da", "en"):
            assert info.meaning(lang) and info.label(lang) and info.unit_name(lang), (f, c)
            assert "{" not in info.meaning(lang) + info.label(lang), (f, c, lang)
        # numbers in the (renamed) name show up in the text: thresholds, hours, targets
        for num in re.findall(r"\d+", d.rename(c, file=f)):
            if num == "65":
                continue
            assert num in info.meaning("en") or num.lstrip("0") in info.meaning("en"), (c, num)


def test_cryptic_names_get_readable_ones():
    d = D.load_dictionary()
    assert d.rename("alb_mean_h12") == "physician_car_mean_minutes_12h"
    assert d.rename("amb_mean_h03") == "ambulance_mean_minutes_03h"
    assert d.rename("met_A10_h03") == "target_A10_met_03h"
    assert d.rename("share_A10_h12") == "target_A10_share_12h"
    assert d.rename("share_first_A15_h12") == "first_unit_target_A15_share_12h"
    assert d.rename("share_amb_within_10_h12") == "ambulance_share_within_10min_12h"
    assert d.rename("share_first_by_physician_car_h03") == "first_unit_is_physician_car_share_03h"
    assert d.rename("share_within_15") == "share_within_15min"
    assert d.rename("kode") == "municipality_code"
    assert d.rename("mean_minutes") == "mean_minutes"  # already readable
    info = d.describe("met_A10_h03")
    assert info.unit == "bool" and "A trips within 10 minutes" in info.meaning("en")
    assert "kl. 03:00" in info.meaning("da")


def test_one_name_two_meanings_is_told_apart_by_file():
    d = D.load_dictionary()
    assert d.describe("status", file="health_houses_frontier.csv").name == "solver_status"
    assert d.describe("status", file="health_houses_sites.csv").name == "status"
    assert d.rename("population", file="health_houses_sites.csv") == "population_served"
    assert d.rename("population", file="acute_access_by_municipality.csv") == "population"


def test_renamed_names_are_unique_described_and_stable():
    d = D.load_dictionary()
    by_file: dict[str, list[str]] = {}
    for f, c in _gathered():
        by_file.setdefault(f, []).append(c)
    for f, cols in by_file.items():
        new = [d.rename(c, file=f) for c in cols]
        assert len(set(new)) == len(new), (f, [n for n in new if new.count(n) > 1])
        for n in new:
            assert d.describe(n, file=f) is not None, (f, n)
            assert d.rename(n, file=f) == n, (f, n)  # renaming twice changes nothing
        assert all(re.fullmatch(r"[a-z0-9_A-Z]+", n) for n in new)


def test_no_name_matches_two_patterns_equally():
    d = D.load_dictionary()
    for f, c in _gathered():
        name = d.rename(c, file=f)
        if name in d._exact:
            continue
        hits = [p for p in d._patterns if p.regex.fullmatch(name)]
        assert hits, name
        best = max(p.literal for p in hits)
        assert sum(p.literal == best for p in hits) == 1, (name, [p.key for p in hits])


def test_units_give_excel_formats_and_codes_are_text():
    d = D.load_dictionary()
    assert d.describe("kode").is_code and d.describe("kode").pad == 4
    assert d.describe("postcode").is_code and d.describe("cell_id").is_code
    assert d.describe("share_within_30").xlsx_format == "0.0%"
    assert d.describe("mean_minutes").xlsx_format == '0.0 "min"'
    assert d.describe("population").xlsx_format == "#,##0"


def test_missing_columns_and_strict_writing(tmp_path):
    assert D.missing_columns(["kode", "mystery", "mystery", "share_within_30"]) == ["mystery"]
    t = pd.DataFrame({"kode": ["0615"], "mystery": [1]})
    p = D.write_data_dictionary({"x.csv": t}, tmp_path / "data_dictionary.csv")
    rows = list(csv.DictReader(p.open(encoding="utf-8")))
    assert [r["column"] for r in rows] == ["kode", "mystery"]
    assert rows[1]["meaning_da"] == "" and rows[0]["readable_name"] == "municipality_code"
    with pytest.raises(D.DictionaryError, match="x.csv:mystery"):
        D.write_data_dictionary({"x.csv": t}, tmp_path / "strict.csv", strict=True)
    assert not (tmp_path / "strict.csv").exists()


def test_data_dictionary_file_is_utf8_and_deterministic(tmp_path):
    tables = {
        "acute_access_by_municipality.csv": [
            "municipality",
            "kode",
            "population",
            "share_within_15",
        ],
        "prehospital_cells.gpkg": ["cell_id", "navn", "alb_h12", "geometry"],
    }
    a = D.write_data_dictionary(tables, tmp_path / "a.csv")
    b = D.write_data_dictionary(tables, tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()
    raw = a.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    text = raw.decode("utf-8")
    assert "Indbyggere" in text and "Akutlægebil" in text  # æ written as UTF-8
    df = pd.read_csv(a, dtype=str, keep_default_na=False)
    assert list(df.columns) == list(D.DICTIONARY_COLUMNS)
    assert len(df) == 7 and "geometry" not in set(df["column"])
    row = df.set_index("column").loc["alb_h12"]
    assert row["readable_name"] == "physician_car_minutes_12h" and row["unit"] == "min"


def test_rename_columns_renames_a_frame_and_refuses_clashes():
    df = pd.DataFrame({"kode": ["0615"], "alb_mean_h12": [9.5], "x": [1]})
    out = D.rename_columns(df)
    assert list(out.columns) == ["municipality_code", "physician_car_mean_minutes_12h", "x"]
    with pytest.raises(D.DictionaryError, match="municipality_code"):
        D.rename_columns(pd.DataFrame({"kode": ["1"], "kommune": ["2"]}))


def test_malformed_dictionary_is_a_clear_error(tmp_path):
    bad = tmp_path / "cols.toml"
    bad.write_text(
        '[units.min]\nda="min"\nen="min"\n[placeholders.T]\nregex="\\\\d+"\n'
        '[columns."x_{Q}"]\nunit="min"\nlabel={da="x",en="x"}\nda="x"\nen="x"\n',
        encoding="utf-8",
    )
    with pytest.raises(D.DictionaryError, match="unknown placeholder"):
        D.DataDictionary.from_toml(bad)
    bad.write_text(
        '[units.min]\nda="min"\nen="min"\n[placeholders.T]\nregex="\\\\d+"\n'
        '[columns.x]\nunit="parsec"\nlabel={da="x",en="x"}\nda="x"\nen="x"\n',
        encoding="utf-8",
    )
    with pytest.raises(D.DictionaryError, match="unknown unit 'parsec'"):
        D.DataDictionary.from_toml(bad)


@pytest.mark.needs_data
def test_a_real_run_writes_only_described_columns(tmp_path):
    """Run the baseline (maps off) and check every column of every table it writes."""
    from geoplan.cli import main

    src = (ROOT / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    scen = tmp_path / "baseline.toml"
    scen.write_text(src + "\n[output]\nmaps = false\nreport = false\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "run", str(scen), "--out", str(out)]) == 0
    d = D.load_dictionary()
    seen = 0
    for p in sorted(out.iterdir()):
        if p.name == "data_dictionary.csv":  # the dictionary itself (columns: DICTIONARY_COLUMNS)
            continue
        if p.suffix == ".csv":
            cols = list(pd.read_csv(p, nrows=0).columns)
        elif p.suffix == ".gpkg":
            cols = [
                c
                for layer, _ in pyogrio.list_layers(p)
                for c in pyogrio.read_info(p, layer=layer)["fields"]
            ]
        else:
            continue
        seen += len(cols)
        assert d.missing(cols, file=p.name) == [], p.name
    assert seen >= 15
