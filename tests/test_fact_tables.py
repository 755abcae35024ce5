"""Schema and plausibility checks for the hand-written fact tables of Region Midtjylland.

The tables live in ``src/geoplan/regions/midtjylland/*.csv``; FACTS.md there says what each
holds and where it is uncertain. These tests check what can be checked mechanically:
required columns, unique ids, a source on every row, 0/1 booleans, parseable opening
hours, coordinates with 5-6 decimals that lie in Denmark, in the right region and in
the municipality the row names (DAGI boundaries from the data directory).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geoplan.datadir import REGIONS_DIR, data_dir
from geoplan.measures.hours import open_hours_table

FOLDER = REGIONS_DIR / "midtjylland"
MIDT = {
    "0615", "0657", "0661", "0665", "0671", "0706", "0707", "0710", "0727", "0730",
    "0740", "0741", "0746", "0751", "0756", "0760", "0766", "0779", "0791",
}  # fmt: skip
REGIONKODE_MIDT = "1082"
#: Points may sit on the coast; 1:500k polygons cut corners, so allow this much (metres).
COAST_TOLERANCE_M = 1000.0

#: table -> (id column, required columns)
SCHEMAS: dict[str, tuple[str, list[str]]] = {
    "hospitals": ("site_id", [
        "site_id", "name", "short_name", "kind", "region", "kommune", "lon", "lat",
        "emergency_department", "stroke_thrombolysis", "thrombectomy", "pci", "trauma_centre",
        "obstetrics", "psychiatric_emergency", "opening_hours", "source", "note",
    ]),
    "ambulance_stations": ("station_id", [
        "station_id", "name", "town", "kommune", "operator", "lon", "lat", "hours",
        "ambulances_day", "ambulances_night", "source", "note", "kind", "confidence",
    ]),
    "physician_cars": ("base_id", [
        "base_id", "name", "hospital_site_id", "town", "lon", "lat", "hours", "source", "note",
        "kind", "confidence",
    ]),
    "helicopter_bases": ("base_id", [
        "base_id", "name", "operator", "town", "lon", "lat", "day", "night",
        "launch_delay_day_min", "launch_delay_night_min", "source", "note",
    ]),
    "health_houses": ("house_id", [
        "house_id", "name", "kommune", "town", "lon", "lat", "opened", "owner", "functions",
        "source", "note", "kind", "confidence",
    ]),
    "psychiatry_houses": ("house_id", [
        "house_id", "name", "kommune", "town", "lon", "lat", "opened", "owner", "functions",
        "source", "note", "kind", "confidence",
    ]),
    "candidates": ("site_id", [
        "site_id", "name", "kind", "kommune", "lon", "lat", "population", "source", "note",
    ]),
}  # fmt: skip
TABLES = sorted(SCHEMAS)

HOSPITAL_FLAGS = [
    "emergency_department", "stroke_thrombolysis", "thrombectomy", "pci", "trauma_centre",
    "obstetrics", "psychiatric_emergency",
]  # fmt: skip
ACUTE_FIVE = {"auh_skejby", "godstrup", "randers", "horsens", "viborg"}


# ----------------------------------------------------------------------------- helpers
def read(table: str) -> pd.DataFrame:
    return pd.read_csv(FOLDER / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8")



def _boundary(name: str) -> Path:
    path = data_dir() / "boundaries" / name
    if not path.is_file():
        pytest.skip(f"{path} not in the data directory")
    return path


@cache
def _regions() -> gpd.GeoDataFrame:
    g = gpd.read_file(_boundary("dagi2014_regioner.geojson"))
    g["geometry"] = shapely.force_2d(g.geometry.to_numpy())
    g["REGIONKODE"] = g["REGIONKODE"].astype(str)
    return g.dissolve("REGIONKODE", as_index=False).to_crs(25832)


@cache
def _municipalities() -> gpd.GeoDataFrame:
    g = gpd.read_file(_boundary("dagi2014_kommuner.geojson"))
    g["geometry"] = shapely.force_2d(g.geometry.to_numpy())
    g["KOMKODE"] = g["KOMKODE"].astype(str).str.zfill(4)
    return g.dissolve("KOMKODE", as_index=False)[["KOMKODE", "geometry"]].to_crs(25832)


def _points(df: pd.DataFrame) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        gpd.points_from_xy(df["lon"].astype(float), df["lat"].astype(float)), crs=4326
    ).to_crs(25832)


def _must_be_inside(df: pd.DataFrame, id_col: str, inside: bool) -> None:
    """Every row inside Region Midtjylland (``inside=True``) or outside it."""
    midt = _regions().set_index("REGIONKODE").geometry[REGIONKODE_MIDT]
    dist = _points(df).distance(midt).to_numpy()
    ids = df[id_col].to_numpy()
    if inside:
        bad = [
            f"{i} ({d:.0f} m outside)"
            for i, d in zip(ids, dist, strict=True)
            if d > COAST_TOLERANCE_M
        ]
        assert not bad, f"should lie in Region Midtjylland: {bad}"
    else:
        bad = [i for i, d in zip(ids, dist, strict=True) if d == 0.0]
        assert not bad, f"should lie outside Region Midtjylland: {bad}"


# ----------------------------------------------------------------------------- schema
@pytest.mark.parametrize("table", TABLES)
def test_required_columns_unique_ids_and_sources(table):
    df = read(table)
    id_col, required = SCHEMAS[table]
    missing = [c for c in required if c not in df.columns]
    assert not missing, f"{table}.csv lacks columns {missing}"
    assert len(df) > 0
    assert df[id_col].str.fullmatch(r"[a-z0-9_]+").all(), (
        f"{table}: ids must be lower-case snake_case"
    )
    dup = df.loc[df[id_col].duplicated(), id_col].tolist()
    assert not dup, f"{table}: duplicate ids {dup}"
    no_source = df.loc[df["source"].str.strip() == "", id_col].tolist()
    assert not no_source, f"{table}: rows without a source {no_source}"
    for col in ("name", "lon", "lat"):
        empty = df.loc[df[col].str.strip() == "", id_col].tolist()
        assert not empty, f"{table}: empty {col} in {empty}"


@pytest.mark.parametrize("table", TABLES)
def test_coordinates_are_wgs84_with_5_to_6_decimals_and_in_denmark(table):
    df = read(table)
    id_col = SCHEMAS[table][0]
    for col in ("lon", "lat"):
        bad = df.loc[~df[col].str.fullmatch(r"-?\d{1,3}\.\d{5,6}"), id_col].tolist()
        assert not bad, f"{table}: {col} not written with 5-6 decimals in {bad}"
    lon, lat = df["lon"].astype(float), df["lat"].astype(float)
    # Denmark's bounding box; a swapped lon/lat lands far outside it.
    assert lon.between(8.0, 15.2).all() and lat.between(54.5, 57.8).all(), (
        f"{table}: outside Denmark's bbox"
    )
    land = shapely.union_all(_regions().geometry.to_numpy())
    dist = _points(df).distance(land).to_numpy()
    far = [
        f"{i} ({d:.0f} m)" for i, d in zip(df[id_col], dist, strict=True) if d > COAST_TOLERANCE_M
    ]
    assert not far, f"{table}: points off Danish land: {far}"


@pytest.mark.parametrize("table", [t for t in TABLES if "kommune" in SCHEMAS[t][1]])
def test_kommune_code_matches_dagi_municipality(table):
    df = read(table)
    id_col = SCHEMAS[table][0]
    assert df["kommune"].str.fullmatch(r"\d{4}").all(), f"{table}: kommune must be a 4-digit code"
    pts = gpd.GeoDataFrame(df[[id_col, "kommune"]], geometry=_points(df))
    hit = gpd.sjoin_nearest(pts, _municipalities(), how="left", max_distance=COAST_TOLERANCE_M)
    hit = hit.drop_duplicates(id_col)
    wrong = [
        f"{r[id_col]}: says {r['kommune']}, DAGI {r['KOMKODE']}"
        for _, r in hit.iterrows()
        if r["kommune"] != r["KOMKODE"]
    ]
    assert not wrong, f"{table}: municipality mismatch: {wrong}"


def test_notes_flag_town_level_or_derived_coordinates_as_approximate():
    for table in TABLES:
        df = read(table)
        id_col = SCHEMAS[table][0]
        derived = df["source"].str.contains("GeoNames|postcode area", regex=True) | df[
            "note"
        ].str.contains("town centre|postcode area", regex=True)
        unflagged = df.loc[derived & ~df["note"].str.contains("approximate"), id_col].tolist()
        assert not unflagged, (
            f"{table}: derived coordinates without 'approximate' in note: {unflagged}"
        )


# ----------------------------------------------------------------------------- hospitals
def test_hospital_kinds_regions_and_flags():
    df = read("hospitals")
    assert set(df["kind"]) <= {"acute", "hospital", "neighbour_acute"}
    assert set(df["region"]) <= {"Midtjylland", "Nordjylland", "Syddanmark"}
    for col in HOSPITAL_FLAGS:
        assert df[col].isin(["0", "1"]).all(), f"hospitals: {col} must be 0/1"
    own = df[df["kind"].isin(["acute", "hospital"])]
    assert (own["region"] == "Midtjylland").all()
    assert own["kommune"].isin(MIDT).all()
    assert (df.loc[df["kind"] == "neighbour_acute", "region"] != "Midtjylland").all()
    _must_be_inside(own, "site_id", inside=True)
    _must_be_inside(df[df["kind"] == "neighbour_acute"], "site_id", inside=False)


def test_the_five_acute_hospitals_and_their_functions():
    df = read("hospitals").set_index("site_id")
    acute = set(df.index[df["kind"] == "acute"])
    assert acute == ACUTE_FIVE
    assert (df.loc[sorted(acute), "emergency_department"] == "1").all()
    assert (df.loc[sorted(acute), "opening_hours"] == "00-24").all()
    own = df[df["region"] == "Midtjylland"]
    # Only AUH does thrombectomy, primary PCI and is the trauma centre in the region.
    for col in ("thrombectomy", "pci", "trauma_centre"):
        assert set(own.index[own[col] == "1"]) == {"auh_skejby"}, col
    # No ED outside the five acute hospitals; every ED-less site says so by hours or note.
    assert set(own.index[own["emergency_department"] == "1"]) == ACUTE_FIVE
    assert (df.loc[df["kind"] == "neighbour_acute", "emergency_department"] == "1").all()


def test_opening_hours_parse():
    """Every hours string reads with the parser geoplan itself uses (geoplan.measures.hours)."""
    hospitals = read("hospitals")
    for _, r in hospitals.iterrows():
        table = open_hours_table(r["opening_hours"])
        if r["emergency_department"] == "1":
            assert all(all(day) for day in table), f"{r['site_id']}: an ED is open 00-24"
    for t, col in (("ambulance_stations", "hours"), ("physician_cars", "hours")):
        for value in read(t)[col]:
            open_hours_table(value)
    with pytest.raises(ValueError):
        open_hours_table("Mo-Xx 08-22")


# ----------------------------------------------------------------------------- prehospital
def test_ambulance_stations():
    df = read("ambulance_stations")
    assert set(df["kind"]) <= {"station", "forward", "neighbour_station"}
    assert set(df["confidence"]) <= {"high", "medium", "low"}
    for col in ("ambulances_day", "ambulances_night"):
        assert df[col].str.fullmatch(r"\d*").all(), f"{col} must be blank or a count"
    own = df[df["kind"] != "neighbour_station"]
    assert own["kommune"].isin(MIDT).all()
    _must_be_inside(own, "station_id", inside=True)
    _must_be_inside(df[df["kind"] == "neighbour_station"], "station_id", inside=False)
    # Forward bases hold no ambulance of their own, so no staffing hours.
    assert (df.loc[df["kind"] == "forward", "hours"] == "").all()
    assert (df.loc[df["kind"] == "station", "hours"] != "").all()


def test_physician_cars_point_at_hospital_rows():
    cars = read("physician_cars")
    hospitals = set(read("hospitals")["site_id"])
    unknown = sorted(set(cars["hospital_site_id"]) - hospitals - {""})
    assert not unknown, f"physician_cars: unknown hospital_site_id {unknown}"
    assert set(cars["kind"]) <= {"akutlaegebil", "paramedic_car"}
    assert set(cars["confidence"]) <= {"high", "medium", "low"}
    _must_be_inside(cars, "base_id", inside=True)


def test_helicopter_bases():
    df = read("helicopter_bases")
    for col in ("day", "night"):
        assert df[col].isin(["0", "1"]).all(), f"helicopter_bases: {col} must be 0/1"
    for col in ("launch_delay_day_min", "launch_delay_night_min"):
        values = pd.to_numeric(df[col], errors="coerce")
        assert values.between(0, 60).all(), f"helicopter_bases: {col} must be minutes 0-60"
    # Skive is the base inside the region.
    skive = df[df["base_id"] == "heli_skive"]
    assert len(skive) == 1
    _must_be_inside(skive, "base_id", inside=True)


# ----------------------------------------------------------------------------- houses, candidates
@pytest.mark.parametrize("table", ["health_houses", "psychiatry_houses"])
def test_houses(table):
    df = read(table)
    assert df["kommune"].isin(MIDT).all()
    assert df["opened"].str.fullmatch(r"(19|20)\d\d|").all(), (
        f"{table}: opened must be a year or blank"
    )
    assert set(df["confidence"]) <= {"high", "medium", "low"}
    _must_be_inside(df, "house_id", inside=True)


def test_candidates_cover_towns_and_every_existing_site():
    df = read("candidates")
    prefix = {
        "town": "town_",
        "hospital": "hosp_",
        "health_house": "hh_",
        "psychiatry_house": "ph_",
    }
    assert set(df["kind"]) == set(prefix)
    for kind, p in prefix.items():
        ids = df.loc[df["kind"] == kind, "site_id"]
        assert ids.str.startswith(p).all(), f"candidates: {kind} ids must start with {p}"
    assert df["kommune"].isin(MIDT).all()
    _must_be_inside(df, "site_id", inside=True)

    towns = df[df["kind"] == "town"]
    pop = pd.to_numeric(towns["population"], errors="coerce")
    assert pop.notna().all() and (pop >= 1500).all(), (
        "town candidates need a population of about 2,000+"
    )
    assert (df.loc[df["kind"] != "town", "population"] == "").all()
    # Every municipality except Samsø (no town of 2,000) has at least one town.
    assert set(towns["kommune"]) == MIDT - {"0741"}

    hospitals = read("hospitals")
    own = hospitals.loc[hospitals["region"] == "Midtjylland", "site_id"]
    assert set("hosp_" + own) <= set(df["site_id"])
    for table, p in (("health_houses", "hh_"), ("psychiatry_houses", "ph_")):
        ids = read(table)["house_id"].str.removeprefix(p)
        assert set(p + ids) <= set(df["site_id"]), f"candidates miss rows of {table}"
