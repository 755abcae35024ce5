"""Prehospital response model: known answers on small generated graphs and tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from tests.conftest import make_graph

from geoplan.config import PrehospitalSection, Target
from geoplan.errors import InputError, ScenarioError
from geoplan.prehospital import (
    assign_points_to_areas,
    available_mask,
    break_even_km,
    calibrate_delay,
    calibrate_linear,
    emergency_graph,
    group_weighted_mean,
    helicopter_minutes,
    nearest_available,
    read_measured_response,
    sites_to_cells,
    target_shares,
    validation_metrics,
)
from geoplan.routing import AccessModel, CompiledGraph

ON_NODE = AccessModel(k=1, max_snap_m=5000)  # points on nodes: access legs of 0 m


def _line_graph(n_km: int, *, speed: float = 80.0):
    """A straight two-way road along x, a node every km (ids 0..n_km)."""
    coords = {i: (i * 1000.0, 0.0) for i in range(n_km + 1)}
    edges = [(i, i + 1, 1000.0, speed) for i in range(n_km)]
    return make_graph(edges, coords), coords


# ------------------------------------------------------------------ nearest station


def test_nearest_station_on_generated_graph():
    # A--B--C--D--E, 2 km each at 60 km/h (2 min per edge); stations at A and E
    coords = {n: (2000.0 * i, 0.0) for i, n in enumerate("ABCDE")}
    G = make_graph([(a, b, 2000.0, 60.0) for a, b in zip("ABCD", "BCDE", strict=False)], coords)
    cg = CompiledGraph.from_graph(G)
    cells = np.array([coords[n] for n in "ABCDE"])
    sites = np.array([coords["A"], coords["E"]])
    m = sites_to_cells(
        cg,
        sites_xy=sites,
        cells_xy=cells,
        site_ids=["sA", "sE"],
        cell_ids=list("ABCDE"),
        access=ON_NODE,
    )
    assert m.shape == (5, 2)
    np.testing.assert_allclose(m.minutes[:, 0], [0, 2, 4, 6, 8], atol=1e-4)
    # blue lights 1.25x faster, 3 min delay: B → 3 + 2/1.25, D → from E
    t, j = nearest_available(m.minutes / 1.25, delay_min=3.0)
    np.testing.assert_allclose(t, [3.0, 4.6, 6.2, 4.6, 3.0], atol=1e-4)
    assert list(j) == [0, 0, 0, 1, 1]  # C ties: first column


def test_one_way_roads_are_driven_from_the_station():
    # one-way ring S→X→Y→S (1 km at 60 km/h = 1 min each): S reaches Y in 2 min, not 1
    G = make_graph([], {"S": (0, 0), "X": (1000, 0), "Y": (500, 800)})
    for u, v in (("S", "X"), ("X", "Y"), ("Y", "S")):
        G.add_edge(u, v, length=1000.0, speed_kph=60.0, travel_time=60.0)
    cg = CompiledGraph.from_graph(G)
    m = sites_to_cells(
        cg,
        sites_xy=[(0, 0)],
        cells_xy=[(1000, 0), (500, 800)],
        site_ids=["S"],
        cell_ids=["X", "Y"],
        access=ON_NODE,
    )
    np.testing.assert_allclose(m.minutes[:, 0], [1.0, 2.0], atol=1e-4)


def test_ferry_crossing_is_not_sped_up():
    # road 6 km at 60 km/h (6 min) then a ferry of 30 min (crossing + wait)
    G = make_graph([("A", "B", 6000.0, 60.0)], {"A": (0, 0), "B": (6000, 0), "I": (9000, 0)})
    for u, v in (("B", "I"), ("I", "B")):
        G.add_edge(u, v, length=3000.0, speed_kph=12.0, travel_time=1800.0, ferry=True)
    E = emergency_graph(G, speed_factor=1.2)
    cg = CompiledGraph.from_graph(E)
    m = sites_to_cells(
        cg,
        sites_xy=[(0, 0)],
        cells_xy=[(6000, 0), (9000, 0)],
        site_ids=["S"],
        cell_ids=["B", "I"],
        access=ON_NODE,
        speed_factor=1.2,
    )
    np.testing.assert_allclose(m.minutes[:, 0], [5.0, 35.0], atol=1e-4)
    assert G.edges["A", "B", 0]["travel_time"] == pytest.approx(360.0)  # original untouched


# ------------------------------------------------------------------ helicopter vs ambulance


def test_helicopter_beats_ambulance_beyond_break_even():
    road_kph, factor, cruise = 80.0, 1.2, 240.0
    call, turnout, launch, approach = 2.0, 1.0, 5.0, 3.0
    # ground: call + turnout + x/(96 km/h); air: call + launch + approach + x/(240 km/h)
    x_star = (launch + approach - turnout) / (60 / (road_kph * factor) - 60 / cruise)  # = 18.67 km
    assert break_even_km(
        road_kph=road_kph,
        speed_factor=factor,
        ground_delay_min=turnout,
        cruise_kph=cruise,
        air_delay_min=launch + approach,
    ) == pytest.approx(x_star)
    G, coords = _line_graph(40, speed=road_kph)
    cg = CompiledGraph.from_graph(emergency_graph(G, speed_factor=factor))
    near, far = int(np.floor(x_star)) - 2, int(np.ceil(x_star)) + 2  # 16 km and 21 km
    cells = np.array([coords[near], coords[far]])
    amb = sites_to_cells(
        cg,
        sites_xy=[coords[0]],
        cells_xy=cells,
        site_ids=["st"],
        cell_ids=["near", "far"],
        access=ON_NODE,
        speed_factor=factor,
    ).minutes
    amb_t, _ = nearest_available(amb, delay_min=call + turnout)
    heli = helicopter_minutes(
        cells,
        np.array([coords[0]]),
        cruise_kph=cruise,
        launch_delay_min=launch,
        approach_min=approach,
    )
    heli_t, _ = nearest_available(heli, delay_min=call)
    np.testing.assert_allclose(
        amb_t, [call + turnout + near * 60 / 96, call + turnout + far * 60 / 96], atol=1e-3
    )
    np.testing.assert_allclose(
        heli_t, [call + launch + approach + near / 4, call + launch + approach + far / 4]
    )
    assert amb_t[0] < heli_t[0]  # short of the break-even: the ambulance is first
    assert heli_t[1] < amb_t[1]  # beyond it: the helicopter is first


def test_helicopter_night_delay_and_availability():
    cells = np.array([[0.0, 0.0], [60_000.0, 0.0]])
    bases = np.array([[0.0, 0.0], [60_000.0, 0.0]])
    H_day = helicopter_minutes(
        cells, bases, cruise_kph=240, launch_delay_min=[5, 5], approach_min=2
    )
    H_night = helicopter_minutes(
        cells, bases, cruise_kph=240, launch_delay_min=[10, 12], approach_min=2
    )
    np.testing.assert_allclose(H_day, [[7, 22], [22, 7]])
    t, j = nearest_available(
        H_night, available=np.array([True, False])
    )  # second base off duty at night
    np.testing.assert_allclose(t, [12, 27])
    assert list(j) == [0, 0]


# ------------------------------------------------------------------ time of day


def test_station_closed_at_night_changes_the_night_only():
    G, coords = _line_graph(30, speed=60.0)  # 1 min per km
    cg = CompiledGraph.from_graph(G)
    cells = np.array([coords[i] for i in range(0, 31, 3)])
    sites = pd.DataFrame(
        {
            "site_id": ["west", "east"],
            "hours": ["00-24", "07-19"],
            "x": [coords[0][0], coords[30][0]],
            "y": [0.0, 0.0],
        }
    )
    M = sites_to_cells(
        cg,
        sites_xy=sites[["x", "y"]].to_numpy(),
        cells_xy=cells,
        site_ids=sites["site_id"],
        cell_ids=range(len(cells)),
        access=ON_NODE,
    ).minutes
    day, jd = nearest_available(M, available=available_mask(sites["hours"], hour=12), delay_min=2.0)
    night, jn = nearest_available(
        M, available=available_mask(sites["hours"], hour=3), delay_min=2.0
    )
    km = cells[:, 0] / 1000
    np.testing.assert_allclose(day, 2 + np.minimum(km, 30 - km), atol=1e-4)
    np.testing.assert_allclose(night, 2 + km, atol=1e-4)
    changed = ~np.isclose(day, night)
    # exactly the cells the east station served by day get slower at night; the rest keep their answer
    np.testing.assert_array_equal(changed, jd == 1)
    assert (night[changed] > day[changed]).all() and (jn == 0).all()


def test_empty_hours_mean_never_open():
    assert list(available_mask(["00-24", "", "07-19"], hour=3)) == [True, False, False]


# ------------------------------------------------------------------ calibration


def test_calibration_recovers_delay_and_speed_factor():
    rng = np.random.default_rng(3)
    drive = rng.uniform(2, 20, 60)
    measured = 4.2 + drive / 1.25
    fit = calibrate_linear(drive, measured)
    assert fit.delay_min == pytest.approx(4.2, abs=1e-9)
    assert fit.speed_factor == pytest.approx(1.25, abs=1e-9)
    assert fit.r2 == pytest.approx(1.0)
    noisy = measured + rng.normal(0, 0.3, len(drive))
    fit_n = calibrate_linear(
        drive, noisy, weights=rng.integers(50, 3000, len(drive)), label="trips"
    )
    assert fit_n.delay_min == pytest.approx(4.2, abs=0.4)
    assert fit_n.speed_factor == pytest.approx(1.25, abs=0.05)
    assert fit_n.weights == "trips" and 0.9 < fit_n.r2 < 1.0


def test_calibration_weights_matter_and_bad_data_is_refused():
    drive = np.array([2.0, 4.0, 6.0, 8.0])
    measured = np.array([5.0, 6.0, 7.0, 20.0])  # an outlier in the last area
    w = np.array([1000.0, 1000.0, 1000.0, 1.0])
    assert calibrate_linear(drive, measured, weights=w).speed_factor == pytest.approx(2.0, rel=0.02)
    assert calibrate_linear(drive, measured).speed_factor < 0.5
    with pytest.raises(ValueError, match="slope"):
        calibrate_linear(drive, np.array([9.0, 8.0, 7.0, 6.0]))
    with pytest.raises(ValueError, match="at least 3"):
        calibrate_linear([1.0, 2.0], [3.0, 4.0])


def test_delay_fit_with_a_fixed_factor():
    drive = np.array([2.0, 6.0, 10.0, 14.0])
    measured = 5.0 + drive / 1.2 + np.array([0.5, -0.5, 0.5, -0.5])
    assert calibrate_delay(drive, measured, speed_factor=1.2) == pytest.approx(5.0)
    w = np.array([3.0, 1.0, 1.0, 1.0])
    assert calibrate_delay(drive, measured, speed_factor=1.2, weights=w) == pytest.approx(
        5.0 + 1.0 / 6
    )


# ------------------------------------------------------------------ validation


def test_validation_numbers_on_a_tiny_fixture(tmp_path):
    csv = tmp_path / "measured.csv"
    csv.write_text(
        "Postnummer,Gennemsnit_minutter,Antal_ture,Region,Kategori,Note\n"
        "8000,8.0,1000,Midtjylland,Grøn,\n"
        "8300,12.0,400,Midtjylland,Gul,\n"
        "8500,10.0,60,Midtjylland,Gul,\n"
        "8592,60.0,20,Midtjylland,Rød,*\n"
        "8000,15.0,3,Nordjylland,Gul,*\n",
        encoding="utf-8",
    )
    meas = read_measured_response(csv, region="Midtjylland")
    assert list(meas["postcode"]) == ["8000", "8300", "8500", "8592"]
    assert list(meas["trips"]) == [1000, 400, 60, 20]
    # cells: postcode, population, modelled minutes
    pc = np.array(["8000", "8000", "8300", "8300", "8500", "8592", None], dtype=object)
    pop = np.array([300.0, 100.0, 50.0, 150.0, 10.0, 5.0, 7.0])
    mins = np.array([8.0, 12.0, 10.0, 14.0, 13.0, 40.0, 99.0])
    mod = group_weighted_mean(mins, pop, pc)
    assert mod.to_dict() == pytest.approx({"8000": 9.0, "8300": 13.0, "8500": 13.0, "8592": 40.0})
    m = validation_metrics(
        mod.reindex(meas["postcode"]).to_numpy(),
        meas["measured_minutes"],
        meas["trips"],
        min_trips=50,
    )
    # errors +1, +1, +3 over the three postcodes with >= 50 trips (8592 left out)
    assert m["n"] == 3 and m["trips"] == 1460
    assert m["mae"] == pytest.approx(5 / 3) and m["bias"] == pytest.approx(5 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(11 / 3))
    assert m["corr"] == pytest.approx(np.corrcoef([9, 13, 13], [8, 12, 10])[0, 1])
    assert m["mae_trip_weighted"] == pytest.approx((1000 + 400 + 3 * 60) / 1460)


def test_measured_file_errors_name_the_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Postnummer,Minutter,Antal_ture,Region\n8000,8,10,Midtjylland\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="Gennemsnit_minutter"):
        read_measured_response(bad, region="Midtjylland")
    bad.write_text(
        "Postnummer,Gennemsnit_minutter,Antal_ture,Region\n8000,x,10,Midtjylland\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="not a number"):
        read_measured_response(bad, region="Midtjylland")


def test_cells_go_to_the_postcode_holding_their_centre():
    areas = gpd.GeoDataFrame(
        {"postcode": ["1000", "2000"]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
        crs=25832,
    )
    xy = np.array(
        [[5, 5], [15, 5], [21, 5], [500, 500]]
    )  # inside, inside, just off the coast, far away
    out = assign_points_to_areas(xy, areas, id_column="postcode", max_distance_m=50)
    assert list(out) == ["1000", "2000", "2000", None]


# ------------------------------------------------------------------ targets


def test_target_shares_and_misses():
    targets = [
        Target(priority="A", minutes=10, share=0.75),
        Target(priority="B", minutes=15, share=0.55),
    ]
    a = np.array([5.0, 9.0, 12.0, 25.0])
    b = np.array([6.0, 14.0, 16.0, np.inf])
    w = np.array([50.0, 30.0, 20.0, 100.0])
    g = np.array(["x", "x", "x", "y"], dtype=object)
    tab = target_shares(a, b, w, g, targets=targets, total_label="all")
    assert tab.loc["x", "share_A10"] == pytest.approx(0.8) and tab.loc["x", "met_A10"]
    assert tab.loc["x", "share_B15"] == pytest.approx(0.8) and tab.loc["x", "misses"] == ""
    assert tab.loc["y", "misses"] == "A10 B15" and tab.loc["y", "n_missed"] == 2
    assert tab.loc["all", "share_A10"] == pytest.approx(0.4) and not tab.loc["all", "met_A10"]


# ------------------------------------------------------------------ scenario section


def test_section_defaults_and_strictness():
    sec = PrehospitalSection()
    assert [t.label for t in sec.targets] == ["A10", "A15", "A20", "B15", "B20"]
    assert sec.ambulance_delay_min == pytest.approx(
        sec.call_handling_min + sec.ambulance.turnout_min
    )
    with pytest.raises(ValueError, match="extra"):
        PrehospitalSection.model_validate({"ambulance": {"speed_factr": 1.2}})
    with pytest.raises(ValueError, match="opening hours"):
        PrehospitalSection.model_validate({"ambulance": {"hours": {"amb_x": "sometimes"}}})
    with pytest.raises(ValueError, match="ignored"):
        PrehospitalSection.model_validate(
            {"physician_car": {"like_ambulance": True, "turnout_min": 2}}
        )
    assert PrehospitalSection.model_validate(
        {"physician_car": {"like_ambulance": True}}
    ).physician_car.like_ambulance
    with pytest.raises(ValueError, match="negative"):
        PrehospitalSection.model_validate(
            {"call_handling_min": 1.0, "ambulance": {"turnout_min": -2.0}}
        )


def test_shipped_scenarios_load():
    from geoplan.config import load_scenario
    from geoplan.datadir import SCENARIOS_DIR

    paths = sorted(SCENARIOS_DIR.glob("prehospital*.toml"))
    assert paths, "scenarios/prehospital.toml is missing"
    for path in paths:
        sc = load_scenario(path)
        assert isinstance(sc.prehospital, PrehospitalSection), path.name
    main = load_scenario(SCENARIOS_DIR / "prehospital.toml")
    assert main.acute is not None and main.prehospital.validation.enabled


def test_scenario_error_names_the_key(tmp_path):
    from geoplan.config import load_scenario

    p = tmp_path / "s.toml"
    p.write_text('name = "x"\n[prehospital.helicopter]\ncruise_kph = 20\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="prehospital.helicopter.cruise_kph"):
        load_scenario(p)


# ------------------------------------------------------------------ the real region


@pytest.mark.needs_data
@pytest.mark.slow
def test_run_on_the_region(tmp_path):
    """The shipped scenario on the real region: outputs, calibration kept, validation target met."""
    import json

    from geoplan.config import load_scenario
    from geoplan.datadir import REGIONS_DIR, SCENARIOS_DIR
    from geoplan.run.pipeline import run_scenario

    if not (REGIONS_DIR / "midtjylland" / "network").is_dir():
        pytest.skip("the strategic road network is not there yet")
    sc = load_scenario(SCENARIOS_DIR / "prehospital.toml")
    sc = sc.model_copy(
        update={"acute": None, "output": sc.output.model_copy(update={"report": False})}
    )
    ctx = run_scenario(sc, out=tmp_path / "out")
    out = tmp_path / "out"
    for name in (
        "prehospital_coverage_by_municipality.csv",
        "prehospital_coverage_by_postcode.csv",
        "prehospital_validation.csv",
        "prehospital_validation_summary.csv",
        "prehospital_cells.gpkg",
        "prehospital.html",
    ):
        assert (out / name).is_file(), name
    muni = pd.read_csv(out / "prehospital_coverage_by_municipality.csv", dtype={"municipality_code": str})
    assert len(muni) == 19  # 19 municipalities; the region in prehospital_coverage_by_municipality_total.csv
    assert (out / "prehospital_coverage_by_municipality_total.csv").is_file()
    for h in ("12h", "03h"):
        assert (muni[f"first_unit_mean_minutes_{h}"] <= muni[f"ambulance_mean_minutes_{h}"] + 1e-9).all()
        assert muni[f"target_A10_share_{h}"].between(0, 1).all()
    summary = json.loads((out / "prehospital_validation_summary.json").read_text(encoding="utf-8"))
    fit = summary["fit"]
    sec = sc.prehospital
    # the scenario ships the calibrated values
    recalibrate = (
        f"the road network or stations changed: recalibrate scenarios/prehospital.toml "
        f"(ambulance.turnout_min = {fit['turnout_min_for_scenario']:.2f}, "
        f"ambulance.speed_factor = {fit['speed_factor']:.3f})"
    )
    assert fit["delay_min"] == pytest.approx(sec.ambulance_delay_min, abs=0.05), recalibrate
    assert fit["speed_factor"] == pytest.approx(sec.ambulance.speed_factor, abs=0.01), recalibrate
    cal, textbook = summary["metrics"][0], summary["metrics"][1]
    assert cal["n"] >= 100
    assert cal["mae"] <= sec.validation.target_mae_min
    assert cal["mae"] <= textbook["mae"]
    # Samsø is served by its own station
    r = ctx["prehospital"].by_hour[12]
    samso = ctx.cells["kode"].to_numpy() == "0741"
    assert (r["ambulance_site"][samso] == "amb_samso").all()
