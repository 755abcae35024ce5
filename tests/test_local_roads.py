"""The local-road model, OSM patches and ferries on the real region (geoplan.network.local/compose/patch)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geoplan.errors import InputError
from geoplan.network.local import LocalParameters, read_local_parameters
from geoplan.routing import CompiledGraph, points_from_lonlat, travel_time_matrix

pytestmark = pytest.mark.needs_data

SAMSOE = "roads/osm_samsoe_2020-03-09.osm.zip"
AARHUS = "roads/osm_aarhus_central_split.zip"


@pytest.fixture(scope="module")
def net(region):
    G = region.network()
    return G, CompiledGraph.from_graph(G).with_landmasses(region.land)


def _od(cg, a, b, **kw):
    m = travel_time_matrix(cg, origins_xy=points_from_lonlat(*np.array(a).T),
                           destinations_xy=points_from_lonlat(*np.array(b).T), with_km=True, **kw)
    return m.minutes.astype(float), m.km.astype(float)


def test_layers_and_schema(net):
    G, _ = net
    layers = {d.get("layer") for _, d in G.nodes(data=True)}
    assert {"strategic", "local"} <= layers
    local = [d for *_, d in G.edges(data=True) if d.get("layer") == "local" and not d.get("join")]
    speeds = np.array([d["speed_kph"] for d in local])
    assert len(local) > 100_000  # a grid of at most 500 m over the region
    assert speeds.min() >= 15 and speeds.max() <= 90  # plausible local speeds
    spacing = np.array([d["length"] for d in local[:5000]])
    assert spacing.max() <= 500 * np.sqrt(2) * 1.6


@pytest.mark.parametrize("lon,lat", [(10.171, 56.192),   # AUH Skejby
                                     (9.402, 56.453),    # Viborg
                                     (8.975, 56.136),    # Herning (Gødstrup)
                                     (10.596, 55.831),   # Tranebjerg, Samsø
                                     (9.65, 56.05)])     # farmland near Ry
def test_same_point_zero_and_50_m_under_a_minute(net, lon, lat):
    _, cg = net
    # 50 m east and 50 m north of the point (0.0008° lon ≈ 50 m at 56° N; 0.00045° lat ≈ 50 m)
    pts = [(lon, lat), (lon + 0.0008, lat), (lon, lat + 0.00045)]
    minutes, km = _od(cg, pts, pts)
    assert np.allclose(np.diag(minutes), 0.0)
    assert minutes[0, 1] < 1.0 and minutes[0, 2] < 1.0
    assert minutes[0, 1] > 0 and km[0, 1] >= 0.05


def test_auh_skejby_nearest_cells_are_minutes_away(region, net):
    _, cg = net
    cells = region.cells
    auh = points_from_lonlat([10.171], [56.192])
    m = travel_time_matrix(cg, origins_xy=cells[["x", "y"]].to_numpy(), destinations_xy=auh, max_minutes=30)
    t = np.sort(m.minutes[:, 0])
    assert t[0] < 3.0  # the old access legs gave no cell under ~6.6 min
    assert np.isfinite(t[:20]).all() and t[19] < 10.0


def test_samsoe_only_by_ferry(region, net):
    G, cg = net
    tranebjerg, hou = (10.596, 55.831), (10.252, 55.9155)
    minutes, _ = _od(cg, [tranebjerg], [hou])
    ferry = [d for *_, d in G.edges(data=True) if d.get("ferry") and "Sælvig" in str(d.get("name"))]
    assert ferry
    assert minutes[0, 0] >= min(d["travel_time"] for d in ferry) / 60.0
    # cut the Samsø ferries: Samsø is cut off
    from geoplan.run.context import remove_links

    ids = sorted({d["link_id"] for *_, d in G.edges(data=True) if d.get("ferry") and "Sælvig" in str(d.get("name"))})
    assert all(not d.get("ferry") or d.get("link_id") for *_, d in G.edges(data=True))  # every ferry cuttable
    cut = CompiledGraph.from_graph(remove_links(G, ids)).with_landmasses(region.land)
    m2, _ = _od(cut, [tranebjerg], [hou])
    assert not np.isfinite(m2[0, 0])


def test_never_across_aarhus_bugt(net):
    _, cg = net
    knebel, aarhus = (10.49, 56.21), (10.21, 56.155)   # Mols and Aarhus: 18 km across the bay
    minutes, km = _od(cg, [knebel], [aarhus])
    straight = np.hypot(*np.diff(points_from_lonlat([10.49, 10.21], [56.21, 56.155]), axis=0)[0]) / 1000
    assert km[0, 0] > 1.6 * straight  # round the bay (via Rønde), ~45 km by road
    assert minutes[0, 0] > 30


def test_cutting_links_never_shortens(region, net):
    G, cg = net
    from geoplan.run.context import remove_links

    rng = np.random.default_rng(3)
    ids = sorted({d["link_id"] for *_, d in G.edges(data=True) if d.get("link_id") is not None})
    cut_ids = list(rng.choice(ids, size=40, replace=False))
    cut = CompiledGraph.from_graph(remove_links(G, cut_ids)).with_landmasses(region.land)
    lon = rng.uniform(8.5, 10.8, 40)
    lat = rng.uniform(55.9, 56.6, 40)
    xy = points_from_lonlat(lon, lat)
    from geoplan.network.local import LandIndex

    xy = xy[LandIndex.of(region.land).on_land(xy)][:25]
    a = travel_time_matrix(cg, origins_xy=xy, destinations_xy=xy).minutes
    b = travel_time_matrix(cut, origins_xy=xy, destinations_xy=xy).minutes
    assert (b >= a - 1e-4).all()
    assert (b > a + 1e-3).any()  # 40 trunk links do change something


def test_osm_ferries_kept():
    from geoplan.datadir import cache_dir, data_dir
    from geoplan.network.osm import FERRY_WAIT_MIN, graph_from_osm_file

    H = graph_from_osm_file(data_dir() / SAMSOE, cache_dir=cache_dir())
    ferries = {d.get("name"): d for *_, d in H.edges(data=True) if d.get("ferry")}
    assert "Hov - Sælvig" in ferries and "Samsøfærgen" in ferries
    assert "Aarhus - Sælvig" not in ferries  # motor_vehicle=no
    # duration 1:00 in OSM, plus waiting
    assert ferries["Hov - Sælvig"]["travel_time"] == pytest.approx((60 + FERRY_WAIT_MIN) * 60)
    assert ferries["Hov - Sælvig"]["link_id"].startswith("osm-ferry-")
    assert {d.get("layer") for _, d in H.nodes(data=True)} == {"osm"}


@pytest.fixture(scope="module")
def patched(region):
    G = region.network(patches=[SAMSOE, AARHUS])
    return G, CompiledGraph.from_graph(G).with_landmasses(region.land)


def test_patches_join_at_the_boundary(patched, net):
    G, cg = patched
    assert {"osm", "local", "strategic"} <= {d.get("layer") for _, d in G.nodes(data=True)}
    joins = [d for *_, d in G.edges(data=True) if d.get("patch")]
    assert len(joins) > 20
    # the strategic Hou–Sælvig ferry stays (named, cuttable); OSM's duplicate is dropped
    names = [str(d.get("name")) for *_, d in G.edges(data=True) if d.get("ferry")]
    assert any("Hou–Sælvig" in n for n in names) and not any(n == "Hov - Sælvig" for n in names)
    # routes entering and leaving the patches: Hou -> Tranebjerg (Samsø patch, via the ferry);
    # central Aarhus (patch) <-> Hinnerup and Skanderborg (model)
    inside = [(10.596, 55.831), (10.205, 56.160)]
    outside = [(10.252, 55.9155), (10.064, 56.265), (9.93, 56.04)]
    m, _ = _od(cg, inside, outside)
    back, _ = _od(cg, outside, inside)
    assert np.isfinite(m).all() and np.isfinite(back).all()
    assert m[0, 0] > 70  # the ferry takes 60 min + waiting
    # the patch's street nodes are where central-Aarhus points snap
    from geoplan.routing import AccessModel

    snap = cg.snap(points_from_lonlat([10.205], [56.160]), access=AccessModel())
    assert str(cg.node_ids[snap.nodes[0, 0]]).startswith("osm_aarhus_central_split.zip:")


def test_local_parameters_validated(tmp_path):
    p = tmp_path / "local.toml"
    p.write_text("circuity = 3.0\n[speed_kph]\nurban = 30\n", encoding="utf-8")
    with pytest.raises(InputError, match="circuity"):
        read_local_parameters(p)
    p.write_text("[speed_kph]\nurban = 200\n", encoding="utf-8")
    with pytest.raises(InputError, match="speed_kph.urban"):
        read_local_parameters(p)
    p.write_text("spacing = 400\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key"):
        read_local_parameters(p)
    assert LocalParameters().check() is not None


def test_samsoe_model_error_against_real_streets(region):
    """The shipped parameters reproduce real OSM routing on Samsø (held-out pairs of the calibration)."""
    from geoplan.datadir import cache_dir, data_dir, input_path
    from geoplan.network import calibrate_local as cal
    from geoplan.network.compose import local_parameters_path
    from geoplan.network.landcover import load_landcover
    from geoplan.network.strategic import load_region_strategic_network

    b = np.asarray(shapely.bounds(region.boundary.geometry.iloc[0])) + np.array([-25e3, -25e3, 25e3, 25e3])
    lc = load_landcover(input_path(region.manifest, "landcover"), bbox=tuple(b), cache_dir=cache_dir())
    params = read_local_parameters(local_parameters_path(region.folder))
    area = cal.load_area("samsoe", data_dir() / SAMSOE, region=region, per_band=16, seed=11)
    t, _ = cal.model_times(area, params, region=region, strategic=load_region_strategic_network(region.folder),
                           landcover=lc)
    err = t / area.pairs["osm_min"].to_numpy() - 1.0
    assert np.isfinite(err).all()
    assert np.median(np.abs(err)) < 0.25
    assert np.quantile(np.abs(err), 0.9) < 0.6
    assert abs(np.median(err)) < 0.15  # no systematic bias


def test_osm_version_for_the_cache_key_matches_the_module():
    """compose reads osm's cache version without importing osmnx; it must be the module's value."""
    import subprocess
    import sys

    code = ("import sys; from geoplan.network.compose import _osm_version; v = _osm_version(); "
            "assert 'osmnx' not in sys.modules; from geoplan.network.osm import _OSM_VERSION; "
            "assert v == _OSM_VERSION, (v, _OSM_VERSION); print(v)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip()
