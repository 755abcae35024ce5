"""The hand-authored strategic network of Region Midtjylland (src/geoplan/regions/midtjylland/network)."""

from __future__ import annotations

import csv
import math
import shutil
import statistics
import time
from pathlib import Path

import networkx as nx
import pytest

from geoplan.datadir import REGIONS_DIR, data_dir
from geoplan.errors import InputError
from geoplan.network.schema import validate_graph
from geoplan.network.strategic import (
    compare_reference_times,
    graph_from_strategic_tables,
    load_region_strategic_network,
)

REGION = REGIONS_DIR / "midtjylland"
NET = REGION / "network"
MUNICIPALITIES = [
    "0615",
    "0657",
    "0661",
    "0665",
    "0671",
    "0706",
    "0707",
    "0710",
    "0727",
    "0730",
    "0740",
    "0741",
    "0746",
    "0751",
    "0756",
    "0760",
    "0766",
    "0779",
    "0791",
]
# island: (a village on it, its ferry)
ISLANDS = {
    "Samsø": ("tranebjerg", "Hou–Sælvig"),
    "Anholt": ("anholt", "Grenaa–Anholt"),
    "Tunø": ("tunoe", "Hou–Tunø"),
    "Endelave": ("endelave", "Snaptun–Endelave"),
    "Fur": ("fur", "Branden–Fur"),
    "Venø": ("venoe", "Kleppen–Venø"),
}
LAND_TOLERANCE_M = 300.0


@pytest.fixture(scope="module")
def G():
    return load_region_strategic_network(REGION)


@pytest.fixture(scope="module")
def node_rows():
    with open(NET / "nodes.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def link_rows():
    with open(NET / "links.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_loads_valid_and_fast(G):
    validate_graph(G, source="strategic network")
    assert G.graph["crs"] == "EPSG:25832"
    t0 = time.perf_counter()
    load_region_strategic_network(REGION)
    assert time.perf_counter() - t0 < 1.0  # brief asks < 0.5 s; margin for slow CI
    for _, _, d in G.edges(data=True):
        assert d["travel_time"] >= d["length"] / (d["speed_kph"] / 3.6) - 1e-6
        assert {"highway", "ref", "link_id", "ferry", "name"} <= set(d)


def test_strongly_connected(G):
    assert nx.is_strongly_connected(G), [sorted(c) for c in nx.strongly_connected_components(G)][:3]


def test_every_link_both_ways(G, link_rows):
    for row in link_rows:
        assert G.has_edge(row["from_node"], row["to_node"], key=row["link_id"])
        if row["oneway"] in ("", "0"):
            assert G.has_edge(row["to_node"], row["from_node"], key=row["link_id"])


def test_towns_cover_region(G, node_rows):
    towns = [r for r in node_rows if r["kind"] == "town"]
    codes = {r["kommune"] for r in towns}
    assert set(MUNICIPALITIES) <= codes, sorted(set(MUNICIPALITIES) - codes)
    big = {r["kommune"] for r in towns if int(r["population"] or 0) >= 1000}
    assert set(MUNICIPALITIES) - big == {"0741"}  # Samsø has no town of 1,000 (Tranebjerg ~850)
    names = {r["name"] for r in towns}
    for need in (
        "Aarhus",
        "Randers",
        "Horsens",
        "Herning",
        "Silkeborg",
        "Viborg",
        "Holstebro",
        "Skive",
        "Tranebjerg",
        "Ballen",
        "Onsbjerg",
        "Kolby Kås",
        "Aalborg",
        "Hobro",
        "Thisted",
        "Nykøbing Mors",
        "Vejle",
        "Kolding",
        "Esbjerg",
        "Fredericia",
        "Billund",
        "Grindsted",
        "Give",
        "Varde",
        "Hvide Sande",
        "Farsø",
        "Hadsund",
    ):
        assert need in names, need
    # every town of 1,000+ reaches Aarhus and back
    to_aarhus = nx.single_source_dijkstra_path_length(
        G.reverse(copy=False), "aarhus", weight="travel_time"
    )
    from_aarhus = nx.single_source_dijkstra_path_length(G, "aarhus", weight="travel_time")
    for r in towns:
        if int(r["population"] or 0) >= 1000:
            assert r["node_id"] in to_aarhus and r["node_id"] in from_aarhus, r["node_id"]
            assert from_aarhus[r["node_id"]] < 4 * 3600


def test_town_ids_and_coordinates(node_rows):
    ids = [r["node_id"] for r in node_rows]
    assert len(ids) == len(set(ids))
    assert all(i.isascii() and i == i.lower() and " " not in i for i in ids)
    for r in node_rows:
        assert r["source"], r["node_id"]
        assert 7.9 < float(r["lon"]) < 11.7 and 55.3 < float(r["lat"]) < 57.2, r["node_id"]


@pytest.mark.needs_data
def test_links_without_crossing_stay_on_land(node_rows, link_rows):
    import geopandas as gpd
    import pyproj
    import shapely

    path = data_dir() / "boundaries" / "dagi2014_regioner.geojson"
    g = gpd.read_file(path)
    g["geometry"] = shapely.force_2d(g.geometry.to_numpy())
    land = shapely.union_all(g.to_crs("EPSG:25832").geometry.to_numpy())
    tr = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    xy = {r["node_id"]: tr.transform(float(r["lon"]), float(r["lat"])) for r in node_rows}
    bad = []
    for row in link_rows:
        seg = shapely.LineString([xy[row["from_node"]], xy[row["to_node"]]])
        off = seg.length - seg.intersection(land).length
        if row["crossing"]:
            assert row["crossing"].split(":")[0] in ("bridge", "ferry", "dam"), row["link_id"]
        elif off > LAND_TOLERANCE_M:
            bad.append((row["link_id"], row["from_node"], row["to_node"], round(off)))
    assert not bad, bad
    # the check can fail: a straight link across Kalø Vig would leave the land
    seg = shapely.LineString([xy["roende"], xy["ebeltoft"]])
    assert seg.length - seg.intersection(land).length > LAND_TOLERANCE_M


@pytest.mark.parametrize("island", sorted(ISLANDS))
def test_islands_reached_only_by_their_ferry(G, island):
    village, ferry = ISLANDS[island]
    ferry_edges = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d["ferry"]]
    assert any(ferry in G.edges[e]["name"] for e in ferry_edges), ferry
    H = G.copy()
    H.remove_edges_from(ferry_edges)
    assert not nx.has_path(H, village, "aarhus")
    assert not nx.has_path(H, "aarhus", village)
    path = nx.shortest_path(G, "aarhus", village, weight="travel_time")
    used = [
        G.edges[u, v, k]["name"]
        for u, v in zip(path[:-1], path[1:], strict=True)
        for k in G[u][v]
        if G.edges[u, v, k]["ferry"]
    ]
    assert any(ferry in name for name in used), used


def test_bridges_and_ferries_marked(link_rows):
    kinds = {r["name"]: r["crossing"] for r in link_rows if r["crossing"]}
    expected = {
        "Vejlefjordbroen": "bridge",
        "Sallingsundbroen": "bridge",
        "Vilsundbroen": "bridge",
        "Oddesundbroen": "bridge",
        "Hadsundbroen": "bridge",
        "Thorsminde": "dam",
        "Hou–Sælvig": "ferry",
        "Grenaa–Anholt": "ferry",
        "Hvalpsund–Sundsøre": "ferry",
        "Thyborøn–Agger": "ferry",
        "Udbyhøj–Udbyhøj Syd": "ferry",
    }
    for name, kind in expected.items():
        assert kinds.get(name) == kind, name
    # a name is one crossing: its links share the kind
    for r in link_rows:
        assert bool(r["crossing"]) == bool(r["name"]), r["link_id"]
        if r["crossing"]:
            assert kinds[r["name"]] == r["crossing"]
            assert (r["highway"] == "ferry") == (r["crossing"] == "ferry"), r["link_id"]
    assert sum(r["name"] == "Sallingsundbroen" for r in link_rows) == 1  # rute 26 only
    assert sum(r["name"] == "Gudenåbroen ved Bjerringbro" for r in link_rows) == 1
    assert sum(r["name"] == "Hou–Sælvig" for r in link_rows) == 1


def test_link_ids_derived_from_content(link_rows):
    from geoplan.network.author_strategic import link_id

    ids = [r["link_id"] for r in link_rows]
    assert len(ids) == len(set(ids))
    for r in link_rows:
        base = link_id(r["from_node"], r["to_node"], oneway=r["oneway"] == "1")
        assert r["link_id"] == base or r["link_id"].startswith(base + "~"), r["link_id"]
    # readable: the E45 section the resilience scenario cuts is named by its two junctions
    assert "e45_randers_c--e45_randers_s" in ids
    assert link_id("b", "a") == link_id("a", "b") == "a--b"
    assert link_id("b", "a", oneway=True) == "b--a"


def test_reference_times_within_tolerance(G):
    res = compare_reference_times(G, NET / "reference_times.csv")
    assert len(res) >= 40
    errors = [abs(r["error"]) for r in res]
    worst = max(res, key=lambda r: abs(r["error"]))
    assert statistics.median(errors) < 0.12, statistics.median(errors)
    assert max(errors) < 0.30, worst
    # long and short pairs, islands included
    assert any(r["reference_min"] >= 80 for r in res) and any(r["reference_min"] <= 12 for r in res)
    tranebjerg = next(r for r in res if r["to"] == "Tranebjerg")
    assert tranebjerg["network_min"] > 60  # the 60-minute ferry is on the way


def _copy_tables(tmp_path: Path) -> tuple[Path, Path]:
    n, li = tmp_path / "nodes.csv", tmp_path / "links.csv"
    shutil.copy(NET / "nodes.csv", n)
    shutil.copy(NET / "links.csv", li)
    return n, li


def _edit(path: Path, line: int, field: str, value: str) -> None:
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        cols = list(rows[0])
    rows[line - 2][field] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("table", "field", "value", "message"),
    [
        ("links", "to_node", "atlantis", "'atlantis' is not in nodes.csv"),
        ("links", "speed_kph", "0", "speed_kph"),
        ("links", "speed_kph", "fast", "not a number"),
        ("links", "link_id", "e45_aalborg_s--e45_soenderup", "duplicate link_id"),
        ("links", "crossing", "bridge: Oddesundbroen", "crossing='bridge: Oddesundbroen' is unknown"),
        ("links", "crossing", "bridge", "a bridge without a name"),
        ("links", "highway", "autobahn", "highway='autobahn' is unknown"),
        ("nodes", "node_id", "aarhus", "duplicate node_id"),
        ("nodes", "lon", "12.9", "outside Denmark"),
        ("nodes", "lat", "48.1", "outside Denmark"),
        ("nodes", "kind", "city", "kind='city' is unknown"),
    ],
)
def test_loader_errors_name_file_and_field(tmp_path, table, field, value, message):
    nodes, links = _copy_tables(tmp_path)
    target = nodes if table == "nodes" else links
    _edit(target, 3, field, value)
    if (table, field) == ("nodes", "lon"):
        _edit(
            target, 3, "lat", "57.9"
        )  # far out in the Kattegat/Skagerrak corner, then off the box
        _edit(target, 3, "lon", "16.5")
    with pytest.raises(InputError) as exc:
        graph_from_strategic_tables(nodes_csv=nodes, links_csv=links)
    text = str(exc.value)
    assert target.name in text and "line 3" in text
    assert message.split("=")[0].strip("'") in text


def test_loader_missing_column(tmp_path):
    nodes, links = _copy_tables(tmp_path)
    text = links.read_text(encoding="utf-8").replace("speed_kph", "speed", 1)
    links.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        graph_from_strategic_tables(nodes_csv=nodes, links_csv=links)


def test_loader_row_with_more_values_than_columns(tmp_path):
    nodes, links = _copy_tables(tmp_path)
    lines = links.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",one too many\n"
    links.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match="line 3: more values than columns") as exc:
        graph_from_strategic_tables(nodes_csv=nodes, links_csv=links)
    assert links.name in str(exc.value)


def test_length_defaults_to_straight_times_circuity(tmp_path):
    nodes, links = _copy_tables(tmp_path)
    with open(links, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    i = next(i for i, r in enumerate(rows) if r["length_m"] == "" and r["circuity"])
    _edit(links, i + 2, "circuity", "2.0")
    G2 = graph_from_strategic_tables(nodes_csv=nodes, links_csv=links)
    G1 = load_region_strategic_network(REGION)
    r = rows[i]
    d1 = G1.edges[r["from_node"], r["to_node"], r["link_id"]]
    d2 = G2.edges[r["from_node"], r["to_node"], r["link_id"]]
    assert math.isclose(d2["length"] / d1["length"], 2.0 / float(r["circuity"]), rel_tol=1e-9)
    assert d2["travel_time"] > d1["travel_time"]


@pytest.mark.needs_data
def test_generator_reproduces_committed_tables(tmp_path):
    from geoplan.network import author_strategic

    nodes, links = author_strategic.build(data_dir())
    author_strategic.write(nodes, links, tmp_path)
    assert (tmp_path / "nodes.csv").read_text(encoding="utf-8") == (NET / "nodes.csv").read_text(
        encoding="utf-8"
    )
    assert (tmp_path / "links.csv").read_text(encoding="utf-8") == (NET / "links.csv").read_text(
        encoding="utf-8"
    )


CITY_REFERENCE = NET / "reference_city_times.csv"


def _city_times(G):
    import numpy as np
    import pandas as pd

    from geoplan.routing import CompiledGraph, points_from_lonlat, travel_time_matrix

    ref = pd.read_csv(CITY_REFERENCE)
    cg = CompiledGraph.from_graph(G)
    o = points_from_lonlat(ref["from_lon"].to_numpy(), ref["from_lat"].to_numpy())
    d = points_from_lonlat(ref["to_lon"].to_numpy(), ref["to_lat"].to_numpy())
    m = travel_time_matrix(cg, origins_xy=o, destinations_xy=d)
    ref["model"] = np.diag(m.minutes)
    ref["error"] = ref["model"] / ref["minutes"] - 1.0
    return ref


def test_city_times_within_tolerance(G):
    """Trips inside the cities along their arterials (point to point, access legs included)."""
    ref = _city_times(G)
    assert len(ref) >= 20 and ref["source"].str.len().gt(0).all()
    assert ref["error"].abs().median() < 0.25, ref[["from", "to", "minutes", "model"]]
    assert ref["error"].abs().max() < 0.6, ref.loc[ref["error"].abs().idxmax()].to_dict()


def test_arterials_follow_the_city_streets(G, link_rows):
    arterial = [r for r in link_rows if r["note"].startswith("city arterial")]
    assert len(arterial) > 200
    for r in arterial:
        u, v = G.nodes[r["from_node"]], G.nodes[r["to_node"]]
        straight = math.hypot(u["x"] - v["x"], u["y"] - v["y"])
        assert float(r["length_m"]) >= straight - 2, r["link_id"]  # a road is never shorter
        if r["highway"] != "motorway":  # split into pieces of at most 600 m
            assert float(r["length_m"]) <= 600.5, r["link_id"]
    for road in ("Hasle Ringvej (O2)", "Randersvej", "Viborgvej", "Silkeborgvej", "Grenåvej",
                 "Oddervej", "Åhavevej (rute 501)", "Vestre Ringgade (O1)", "Ringvej Syd (O2)"):
        assert any(r["road"] == road for r in arterial), road
    # AUH Skejby to Aarhus C runs down Randersvej and Nørrebrogade, at city speeds
    path = nx.shortest_path(G, "skejby", "aarhus", weight="travel_time")
    assert {"o2_randersvej", "o1_randersvej", "aa_noerreport"} <= set(path)
    t = nx.shortest_path_length(G, "skejby", "aarhus", weight="travel_time") / 60
    km = sum(
        min(d["length"] for d in G[a][b].values()) for a, b in zip(path[:-1], path[1:], strict=True)
    ) / 1000
    assert 7 < t < 13 and 30 < km / (t / 60) < 50, (t, km)
    # the city centre is reached by its arterials only: no generated regional road ends there
    assert not [r for r in link_rows if "aarhus" in (r["from_node"], r["to_node"])
                and r["source"].startswith("generated by author_strategic.regional")]


@pytest.mark.needs_data
def test_ids_do_not_depend_on_row_order(tmp_path):
    """Regenerating from reordered source tables gives the same node and link ids."""
    from geoplan.network import author_strategic
    from geoplan.network.author_strategic import DEFAULT_SOURCES

    src = tmp_path / "sources"
    shutil.copytree(DEFAULT_SOURCES, src)
    for name in ("roads.csv", "spurs.csv", "island_roads.csv"):
        lines = (src / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (src / name).write_text(lines[0] + "".join(reversed(lines[1:])), encoding="utf-8")
    nodes, links = author_strategic.build(data_dir(), src)
    ids = {r["link_id"]: (r["from_node"], r["to_node"]) for r in links}
    with open(NET / "links.csv", encoding="utf-8") as fh:
        committed = {r["link_id"]: (r["from_node"], r["to_node"]) for r in csv.DictReader(fh)}
    assert set(ids) == set(committed)
    with open(NET / "nodes.csv", encoding="utf-8") as fh:
        assert {r["node_id"] for r in nodes} == {r["node_id"] for r in csv.DictReader(fh)}
