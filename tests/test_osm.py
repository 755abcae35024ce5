"""OpenStreetMap graphs through osmnx: generated XML with known times, and real Samsø."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from geoplan.errors import InputError
from geoplan.network.osm import DANISH_DEFAULT_SPEEDS, graph_from_osm_file
from geoplan.network.schema import validate_graph
from geoplan.routing import AccessModel, CompiledGraph, points_from_lonlat, travel_time_matrix

# Nodes on a line of latitude 56.0; 0.01° of longitude there is about 621.8 m.
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="geoplan-test">
  <node id="1" lat="56.0" lon="10.00"/>
  <node id="2" lat="56.0" lon="10.01"/>
  <node id="3" lat="56.0" lon="10.02"/>
  <node id="4" lat="56.0" lon="10.03"/>
  <node id="5" lat="56.0" lon="10.04"/>
  <node id="6" lat="56.01" lon="10.02"/>
  <node id="7" lat="56.0" lon="10.05"/>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="maxspeed" v="50"/></way>
  <way id="101"><nd ref="3"/><nd ref="4"/><nd ref="5"/><tag k="highway" v="residential"/></way>
  <way id="102"><nd ref="3"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="103"><nd ref="5"/><nd ref="7"/><tag k="highway" v="tertiary"/><tag k="oneway" v="yes"/></way>
  <way id="104"><nd ref="7"/><nd ref="5"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
</osm>
"""


@pytest.fixture()
def osm_file(tmp_path):
    path = tmp_path / "test.osm"
    path.write_text(OSM_XML)
    return path


def _haversine_m(lon1, lat1, lon2, lat2):
    r = 6371009.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl, dp = np.radians(lon2 - lon1), p2 - p1
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def test_generated_osm_known_times(osm_file):
    G = validate_graph(graph_from_osm_file(osm_file))
    # footway and private service road dropped; oneway 5→7 has no way back, so the
    # largest strongly connected component is the chain 1–5
    assert G.number_of_nodes() == 3  # 1, 3, 5 after simplification (2 and 4 are interior)
    cg = CompiledGraph.from_graph(G)
    xy = points_from_lonlat([10.00, 10.04], [56.0, 56.0])
    m = travel_time_matrix(cg, origins_xy=xy[:1], destinations_xy=xy[1:], access=AccessModel(k=1))
    d_primary = _haversine_m(10.00, 56.0, 10.02, 56.0)
    d_resid = _haversine_m(10.02, 56.0, 10.04, 56.0)
    expected_s = d_primary / (50 / 3.6) + d_resid / (DANISH_DEFAULT_SPEEDS["residential"] / 3.6)
    assert m.minutes[0, 0] == pytest.approx(expected_s / 60, rel=0.005)


def test_zipped_osm_reads_the_same(osm_file, tmp_path):
    z = tmp_path / "test.osm.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(osm_file, "test.osm")
    a, b = graph_from_osm_file(osm_file), graph_from_osm_file(z)
    assert a.number_of_edges() == b.number_of_edges()
    assert sorted(d["travel_time"] for *_, d in a.edges(data=True)) == pytest.approx(
        sorted(d["travel_time"] for *_, d in b.edges(data=True)))


def test_bad_osm_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        graph_from_osm_file(tmp_path / "nope.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><way")
    with pytest.raises(InputError):
        graph_from_osm_file(bad)


@pytest.mark.needs_data
def test_samsoe_real_osm_plausible_times(region):
    G = region.network("roads/osm_samsoe_2020-03-09.osm.zip")
    validate_graph(G)
    assert G.number_of_nodes() > 500
    cg = CompiledGraph.from_graph(G).with_landmasses(region.land)
    # Tranebjerg, Nordby, Ballen, Sælvig harbour (village centres, WGS84)
    names = ["Tranebjerg", "Nordby", "Ballen", "Sælvig"]
    lon = [10.5960, 10.5530, 10.6440, 10.5500]
    lat = [55.8290, 55.9590, 55.8180, 55.8610]
    xy = points_from_lonlat(lon, lat)
    m = travel_time_matrix(cg, origins_xy=xy, destinations_xy=xy, origin_ids=names, destination_ids=names,
                           access=AccessModel(), with_km=True)
    t = {(a, b): float(m.minutes[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)}
    km = {(a, b): float(m.km[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)}
    # Route planners: Tranebjerg–Nordby about 15 km / 15 min, Tranebjerg–Ballen 5 km / 6 min,
    # Tranebjerg–Sælvig 5 km / 6 min.
    assert 11 <= t["Tranebjerg", "Nordby"] <= 22 and 12 <= km["Tranebjerg", "Nordby"] <= 20
    assert 4 <= t["Tranebjerg", "Ballen"] <= 10
    assert 4 <= t["Tranebjerg", "Sælvig"] <= 10
    # symmetric-ish (two-way rural roads) and triangle inequality
    assert abs(t["Tranebjerg", "Nordby"] - t["Nordby", "Tranebjerg"]) < 2
    assert t["Nordby", "Ballen"] <= t["Nordby", "Tranebjerg"] + t["Tranebjerg", "Ballen"] + 1e-3
