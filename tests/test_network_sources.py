"""The source tables of the strategic network (geoplan.network.sources) and their errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from geoplan.datadir import REGIONS_DIR
from geoplan.errors import InputError
from geoplan.network.sources import read_network_sources

SOURCES = REGIONS_DIR / "midtjylland" / "network" / "sources"


@pytest.fixture()
def sources(tmp_path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    return folder


def _edit(path: Path, line: int, field: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        cols = list(rows[0])
    rows[line - 2][field] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def test_committed_sources_read(sources):
    s = read_network_sources(sources)
    ids = [p.node_id for p in s.places]
    assert len(ids) == len(set(ids))
    assert {"aarhus", "e45_aarhus_n", "hou_havn"} <= set(ids)
    # every row of every table says where it comes from
    for rows in (s.places, s.roads, s.crossings, s.spurs, s.ferries, s.island_roads, s.barriers):
        assert all(r.source for r in rows)
    assert all(c.source for c in s.road_classes.values())
    assert {f.name for f in s.ferries} >= {"Hou–Sælvig", "Grenaa–Anholt", "Snaptun–Endelave"}
    assert s.entry_minutes(290_000) == 4.0 and s.entry_minutes(800) == 0.3
    assert s.entry_minutes(290_000, district=True) == 0.3


@pytest.mark.parametrize(
    ("table", "line", "field", "value", "message"),
    [
        ("towns.csv", 3, "lat", "fifty-six", "lat='fifty-six' is not a number"),
        ("towns.csv", 3, "lon", "19.5", "outside Denmark"),
        ("towns.csv", 3, "kind", "city", "kind='city' is unknown"),
        ("towns.csv", 3, "node_id", "Viby J", "is not a valid node id"),
        ("towns.csv", 3, "node_id", "aarhus", "already defined"),
        ("towns.csv", 3, "source", "", "source is empty"),
        ("towns.csv", 3, "population", "-5", "population='-5' is out of range"),
        ("junctions.csv", 2, "kind", "town", "kind='town' is unknown"),
        ("roads.csv", 2, "highway", "autobahn", "highway='autobahn' is unknown"),
        ("roads.csv", 2, "nodes", "e45_aalborg_s atlantis", "nodes='atlantis' is not a node"),
        ("roads.csv", 2, "nodes", "e45_aalborg_s", "fewer than two nodes"),
        ("crossings.csv", 2, "kind", "ford", "kind='ford' is unknown"),
        ("crossings.csv", 2, "name", "", "name is empty"),
        ("crossings.csv", 2, "to_node", "e45_kolding", "is not a link of any road"),
        ("crossings.csv", 3, "name", "Hou–Sælvig", "already used in crossings.csv"),
        ("spurs.csv", 2, "minutes", "0", "minutes='0' is out of range"),
        ("spurs.csv", 2, "town", "gotham", "town='gotham' is not a node"),
        ("ferries.csv", 2, "crossing_min", "an hour", "crossing_min='an hour' is not a number"),
        ("ferries.csv", 2, "to_node", "atlantis", "to_node='atlantis' is not a node"),
        ("road_classes.csv", 2, "circuity", "0.9", "circuity='0.9' is out of range"),
        ("town_entry.csv", 2, "min_population", "7000", "no row with min_population=district"),
    ],
)
def test_bad_rows_name_file_line_field_and_fix(sources, table, line, field, value, message):
    if (table, message) == ("crossings.csv", "already used in crossings.csv"):
        # a ferry named like a bridge: rename the Hou–Sælvig ferry to a bridge's name instead
        table, line, field, value = "ferries.csv", 2, "name", "Vejlefjordbroen"
    _edit(sources / table, line, field, value)
    with pytest.raises(InputError) as exc:
        read_network_sources(sources)
    err = exc.value
    assert err.file is not None and Path(err.file).name == table
    assert message in err.problem, err.problem
    if message not in ("no row with min_population=district",):
        assert f"line {line}" in err.problem
    assert err.fix  # every error says how to fix it


def test_missing_table_and_column(sources):
    (sources / "spurs.csv").unlink()
    with pytest.raises(InputError, match="spurs.csv: file not found"):
        read_network_sources(sources)
    shutil.copy(SOURCES / "spurs.csv", sources / "spurs.csv")
    text = (sources / "roads.csv").read_text(encoding="utf-8").replace("highway", "class", 1)
    (sources / "roads.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"roads.csv: missing column\(s\) highway"):
        read_network_sources(sources)


def test_bad_barrier_feature(sources):
    path = sources / "barriers.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][1]["geometry"]["coordinates"] = [[10.1, 56.1]]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="feature 2: geometry is not a LineString"):
        read_network_sources(sources)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid GeoJSON"):
        read_network_sources(sources)


@pytest.mark.needs_data
def test_generator_cli_bad_source_exits_2(sources, tmp_path, capsys):
    from geoplan.network import author_strategic

    _edit(sources / "spurs.csv", 2, "km", "far")
    out = tmp_path / "out"
    rc = author_strategic.main(["--sources", str(sources), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "spurs.csv" in err and "km='far'" in err and "Traceback" not in err
    assert not out.exists()  # nothing written


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"highway": "autobahn"}, "highway='autobahn' is unknown"),
        ({"speed_kph": 80, "limit_kph": 50}, "speed_kph=80 is above limit_kph=50"),
        ({"limit_kph": "fast"}, "limit_kph='fast' is not a number"),
        ({"source": ""}, "property source is empty"),
        ({"to_node": "atlantis"}, "to_node='atlantis' is not a node"),
    ],
)
def test_bad_arterial_feature(sources, edit, message):
    path = sources / "arterials.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][2]["properties"].update(edit)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_network_sources(sources)
    assert Path(exc.value.file).name == "arterials.geojson"
    assert "feature 3" in exc.value.problem and message in exc.value.problem, exc.value.problem
    assert exc.value.fix


def test_arterials_and_city_nodes_read(sources):
    s = read_network_sources(sources)
    assert len(s.arterials) > 100 and len(s.city_nodes) > 40
    assert {n.city for n in s.city_nodes} >= {
        "Aarhus", "Randers", "Horsens", "Herning", "Viborg", "Silkeborg", "Holstebro", "Skive"
    }
    assert not any(n.regional for n in s.city_nodes)
    aarhus = next(t for t in s.towns if t.node_id == "aarhus")
    assert not aarhus.regional  # reached by its arterials only
    for a in s.arterials:
        assert a.source and a.speed_kph <= a.limit_kph and len(a.lonlat) >= 2


def test_arterial_line_must_end_at_its_nodes(sources):
    path = sources / "arterials.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["geometry"]["coordinates"][0] = [10.30, 56.10]  # 6 km off
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=r"feature 1 \(aarhus -> aa_noerreport.*the line ends \d+ m from node aarhus"):
        read_network_sources(sources)
