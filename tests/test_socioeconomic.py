"""geoplan.measures.socioeconomic: the voting-area reader, indicators and deprivation index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.datadir import data_dir
from geoplan.errors import InputError
from geoplan.i18n import t
from geoplan.measures import socioeconomic as se

MIDT = [
    "0615", "0657", "0661", "0665", "0671", "0706", "0707", "0710", "0727", "0730",
    "0740", "0741", "0746", "0751", "0756", "0760", "0766", "0779", "0791",
]  # fmt: skip


def write_export(path: Path, rows: dict[str, dict[str, str]], *, sep: str = ";", prefix: str = "EV2024 - ",
                 drop: str | None = None) -> Path:
    """A small export in the published format: all columns the definitions use."""
    defs = se.read_indicator_definitions()
    cols = [c for c in dict.fromkeys(defs["column"]) if c != drop]
    header = ["Gruppe", "ValgstedId", "KredsNr", "StorKredsNr", "LandsdelsNr"] + [prefix + c for c in cols]
    lines = [sep.join(f'"{h}"' for h in header)]
    for vid, values in rows.items():
        cells = [vid, vid, "1", "1", "1"] + [values.get(c, "1") for c in cols]
        lines.append(sep.join(f'"{v}"' for v in cells))
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


CAR = "Husstande efter bilrådighed_"
INC = "Husstandsindkomster fordelt på afstemningsområder_"


def test_definitions_are_consistent():
    defs = se.read_indicator_definitions()
    assert set(defs["indicator"]) >= {"households", "no_car_share", "low_income_share",
                                      "basic_education_share", "early_retirement_per_1000"}
    assert set(defs.loc[defs["in_index"], "indicator"]) == {
        "no_car_share", "low_income_share", "basic_education_share", "early_retirement_per_1000"}
    for ind in set(defs["indicator"]):
        assert t(f"socio.{ind}", "da") and t(f"socio.{ind}", "en")
    assert t("socio.deprivation_index", "en")


def test_hand_instance(tmp_path):
    # two voting areas of Aarhus (751...) and one of Samsø (741...); '-' is none, decimal comma
    rows = {
        "751001": {CAR + "1. Husstande uden bil": "30", CAR + "2. Husstande med 1 bil": "50",
                   CAR + "3. Husstande med 2 eller flere biler": "20",
                   INC + "Antal husstande i alt": "100", INC + "Under 100.000 kr.": "5",
                   INC + "100.000 - 149.999 kr": "5", INC + "150.000 - 199.999 kr.": "10",
                   INC + "Husstandenes indkomstbruttosum": "50000000"},
        "751002": {CAR + "1. Husstande uden bil": "10,5", CAR + "2. Husstande med 1 bil": "-",
                   CAR + "3. Husstande med 2 eller flere biler": "-",
                   INC + "Antal husstande i alt": "10,5", INC + "Under 100.000 kr.": "-",
                   INC + "100.000 - 149.999 kr": "-", INC + "150.000 - 199.999 kr.": "-",
                   INC + "Husstandenes indkomstbruttosum": "2100000"},
        "741001": {"Personer efter forsørgelsestype_08. Førtidspension": "16"},
    }
    path = write_export(tmp_path / "export.csv", rows)
    areas = se.read_voting_areas(path)
    assert areas["kode"].tolist() == ["0741", "0751", "0751"]
    assert areas["area"].tolist() == ["001", "001", "002"]
    d = se.deprivation_by_municipality(path, municipalities=["0751", "0741"]).set_index("kode")
    a = d.loc["0751"]
    assert a["voting_areas"] == 2
    assert a["households"] == pytest.approx(110.5)
    assert a["households_no_car"] == pytest.approx(40.5)
    assert a["no_car_share"] == pytest.approx(40.5 / 110.5)
    assert a["low_income_households"] == pytest.approx(20.0)
    assert a["low_income_share"] == pytest.approx(20.0 / 110.5)
    assert a["mean_household_income_kr"] == pytest.approx(52_100_000 / 110.5)
    # every education cell is 1: 8 age groups with grundskole over 8 x 7 known educations
    assert a["basic_education_share"] == pytest.approx(8 / 56)
    s = d.loc["0741"]
    # 16 pensioners over 10 age groups x 8 categories of 1 person each
    assert s["early_retirement_per_1000"] == pytest.approx(16 / 80 * 1000)
    # z-scores over two municipalities: ±1 per indicator that differs; the index is their mean
    assert d["deprivation_index"].sum() == pytest.approx(0.0, abs=1e-12)


def test_other_election_prefix_is_accepted(tmp_path):
    path = write_export(tmp_path / "fv.csv", {"751001": {}}, prefix="FV2022 - ")
    d = se.deprivation_by_municipality(path, municipalities=["0751"])
    assert d["households"].item() == 1.0


def test_malformed_files_name_file_column_and_fix(tmp_path):
    with pytest.raises(InputError, match="not semicolon-separated") as exc:
        se.read_voting_areas(write_export(tmp_path / "comma.csv", {"751001": {}}, sep=","))
    assert "comma.csv" in str(exc.value) and "fix:" in str(exc.value)

    missing = CAR + "1. Husstande uden bil"
    with pytest.raises(InputError, match="missing column") as exc:
        se.deprivation_by_municipality(write_export(tmp_path / "m.csv", {"751001": {}}, drop=missing),
                                       municipalities=["0751"])
    assert missing in str(exc.value) and "socioeconomic_indicators.csv" in str(exc.value)

    bad = write_export(tmp_path / "bad.csv", {"751001": {INC + "Antal husstande i alt": "12x"}})
    with pytest.raises(InputError) as exc:
        se.deprivation_by_municipality(bad, municipalities=["0751"])
    msg = str(exc.value)
    assert "bad.csv" in msg and "Antal husstande i alt" in msg and "751001" in msg and "decimal comma" in msg

    with pytest.raises(InputError, match="not a voting-area id"):
        se.read_voting_areas(write_export(tmp_path / "id.csv", {"75A001": {}}))
    with pytest.raises(InputError, match="no voting areas for municipalities"):
        se.read_voting_areas(write_export(tmp_path / "k.csv", {"751001": {}}), municipalities=["0741"])
    with pytest.raises(InputError, match="file not found"):
        se.read_voting_areas(tmp_path / "nope.csv")


def test_bad_definitions_file(tmp_path):
    defs = pd.read_csv(se.INDICATORS_FILE, dtype=str, keep_default_na=False)
    defs.loc[0, "part"] = "sum"
    p = tmp_path / "defs.csv"
    defs.to_csv(p, index=False)
    with pytest.raises(InputError, match="'part'"):
        se.read_indicator_definitions(p)


@pytest.mark.needs_data
def test_real_file_gives_19_plausible_municipalities():
    path = data_dir() / "socioeconomic" / "dst_ev2024_voting_areas.csv"
    d = se.deprivation_by_municipality(path).set_index("kode")
    assert sorted(d.index) == MIDT
    assert d["voting_areas"].sum() == 305
    aarhus = d.loc["0751"]
    assert 150_000 < aarhus["households"] < 190_000  # about 170,000 households
    assert aarhus["no_car_share"] == d["no_car_share"].max()  # the city has most car-free households
    assert d.loc["0741", "households"] < 2_500  # Samsø, about 3,600 inhabitants
    assert d["households"].sum() == pytest.approx(617_585, rel=0.01)
    assert d["no_car_share"].between(0.10, 0.50).all()
    assert d["low_income_share"].between(0.02, 0.20).all()
    assert d["basic_education_share"].between(0.08, 0.35).all()
    assert d["early_retirement_per_1000"].between(30, 150).all()
    assert d["deprivation_index"].mean() == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(d.to_numpy(dtype=float)).all()
