"""geoplan.measures.home_care: cost of care at home vs in the nearest house."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import InputError
from geoplan.i18n import t
from geoplan.measures.home_care import (
    DEFAULTS_FILE,
    HomeCareComparison,
    HomeCareParameters,
    compare_home_care,
    summarise_by_municipality,
)


@pytest.fixture
def params():
    return HomeCareParameters.from_file()


@pytest.fixture
def cells():
    rng = np.random.default_rng(7)
    n = 50
    pop = rng.uniform(10, 2000, n)
    return pd.DataFrame({"cell_id": [f"c{i}" for i in range(n)],
                         "kode": rng.choice(np.array(["0751", "0706", "0741"]), n),
                         "pop": pop, "pop65": pop * 0.2})


def test_defaults_file_has_a_source_per_row(params):
    df = pd.read_csv(DEFAULTS_FILE, dtype=str, keep_default_na=False)
    assert (df["source"].str.len() > 10).all()
    assert params.staff_cost_per_hour > params.patient_value_of_time_per_hour > 0
    assert params.user_base == "pop65"


def test_hand_instance():
    p = HomeCareParameters.from_file(
        visits_per_user_per_year=10, visit_minutes=30, house_visit_minutes=30, user_share=0.5,
        user_base="pop", staff_cost_per_hour=300, staff_km_cost=4, visits_per_tour=5, hop_minutes=6,
        hop_km=2, patient_value_of_time_per_hour=60, patient_km_cost=2, patient_wait_minutes=10,
        no_car_share=0.5, escort_persons=1, homebound_share=0, km_per_minute=1)
    cells = pd.DataFrame({"pop": [20.0], "kode": ["0751"]})
    r = compare_home_care(cells, [20.0], base_minutes=[25.0], params=p).iloc[0]
    # staff: 2*25/5 + 6 = 16 min travel, 2*25/5 + 2 = 12 km -> (30+16)/60*300 + 12*4 = 230 + 48
    assert r["staff_travel_minutes"] == pytest.approx(16.0)
    assert r["home_cost_per_visit"] == pytest.approx(278.0)
    # citizen: 40 min driving + 10 waiting = 50 min; 40 km; car 50/60*60 + 80 = 130; no car 2*50 + 80 = 180
    # house: 30/60*300 = 150 staff + 0.5*130 + 0.5*180 = 305
    assert r["house_cost_per_visit"] == pytest.approx(305.0)
    assert r["users"] == 10 and r["visits"] == 100
    assert r["home_cost"] == pytest.approx(27_800.0) and r["house_cost"] == pytest.approx(30_500.0)
    assert r["difference"] == pytest.approx(-2_700.0)
    assert r["cheaper"] == "home"
    # break-even: home = s*46/60 + 48, house = s*30/60 + 155 -> s* = 107 / (16/60) = 401.25
    assert r["break_even_staff_cost_per_hour"] == pytest.approx(401.25)
    at = compare_home_care(cells, [20.0], base_minutes=[25.0],
                           params=p.replace(staff_cost_per_hour=401.25)).iloc[0]
    assert at["cheaper"] == "equal"


def test_staff_cost_limits(cells, params):
    rng = np.random.default_rng(3)
    house = rng.uniform(1, 60, len(cells))
    base = rng.uniform(0, 60, len(cells))
    free = params.replace(staff_cost_per_hour=0.0, staff_km_cost=0.0)
    r0 = compare_home_care(cells, house, base_minutes=base, params=free)
    assert (r0["cheaper"] == "home").all()  # citizens' time and km cost something, staff nothing
    dear = params.replace(staff_cost_per_hour=1e9)
    r1 = compare_home_care(cells, house, base_minutes=base, params=dear)
    assert (r1["cheaper"] == "house").all()  # every home visit carries staff travel time
    mid = compare_home_care(cells, house, base_minutes=base, params=params)
    be = mid["break_even_staff_cost_per_hour"].to_numpy()
    assert ((mid["cheaper"] == "home") == (params.staff_cost_per_hour < be)).all()


def test_monotone_in_distance(cells, params):
    house = np.linspace(1, 60, len(cells))
    r = compare_home_care(cells, house, params=params)
    r2 = compare_home_care(cells, house + 5.0, params=params)
    assert (r2["house_cost_per_visit"] > r["house_cost_per_visit"]).all()
    assert (r2["home_cost_per_visit"] > r["home_cost_per_visit"]).all()  # staff leave from the houses
    # a nearer staff base makes home cheaper, never dearer
    r3 = compare_home_care(cells, house, base_minutes=house / 2, params=params)
    assert (r3["home_cost_per_visit"] < r["home_cost_per_visit"]).all()
    assert (r3["house_cost_per_visit"] == r["house_cost_per_visit"]).all()


def test_matrix_input_uses_nearest_site_and_its_km(params):
    cells = pd.DataFrame({"pop": [100.0, 100.0], "pop65": [20.0, 20.0]})
    m = np.array([[30.0, 10.0], [np.inf, np.inf]])
    km = np.array([[25.0, 12.0], [np.inf, np.inf]])
    r = compare_home_care(cells, m, house_km=km, params=params)
    single = compare_home_care(cells.iloc[:1], [10.0], house_km=[12.0], params=params)
    assert r.loc[0, "house_cost_per_visit"] == pytest.approx(single.loc[0, "house_cost_per_visit"])
    assert r.loc[1, "cheaper"] == "none"
    assert np.isnan(r.loc[1, "break_even_staff_cost_per_hour"])
    # house unreachable but staff base reachable: home
    r2 = compare_home_care(cells, m, base_minutes=[[5.0], [5.0]], params=params)
    assert r2.loc[1, "cheaper"] == "home"


def test_no_car_and_homebound_shares(cells, params):
    house = np.full(len(cells), 20.0)
    base = compare_home_care(cells, house, no_car_share=0.0, params=params)
    more = compare_home_care(cells, house, no_car_share=np.full(len(cells), 0.8), params=params)
    assert (more["house_cost_per_visit"] > base["house_cost_per_visit"]).all()
    allhome = compare_home_care(cells, house, params=params.replace(homebound_share=1.0))
    assert np.allclose(allhome["home_cost"], allhome["house_cost"])


def test_summary_and_class_api(cells, params):
    house = np.linspace(2, 50, len(cells))
    cmp = HomeCareComparison.from_minutes(cells, house, params=params)
    assert cmp.cells_result is None
    assert cmp.solve() is cmp
    res, summ = cmp.cells_result, cmp.by_municipality
    assert res is not None and summ is not None
    pd.testing.assert_frame_equal(summ, summarise_by_municipality(res))
    assert summ["kode"].tolist() == sorted(set(cells["kode"]))
    assert summ["users"].sum() == pytest.approx(res["users"].sum())
    assert (summ["best_mix_cost"] <= np.minimum(summ["home_cost"], summ["house_cost"]) + 1e-6).all()
    assert summ["users_home_cheaper_share"].between(0, 1).all()
    for key in ("home", "house", "equal", "none"):
        assert t(f"home_care.{key}", "da") and t(f"home_care.{key}", "en")


def test_bad_parameters(tmp_path, params):
    with pytest.raises(ValueError, match="unknown home-care parameters"):
        HomeCareParameters.from_file(staff_cost=1)
    with pytest.raises(ValueError, match="visits_per_tour"):
        params.replace(visits_per_tour=0.5)
    with pytest.raises(ValueError, match="share"):
        params.replace(no_car_share=1.5)
    with pytest.raises(ValueError, match="user_base"):
        params.replace(user_base="adults")
    df = pd.read_csv(DEFAULTS_FILE, dtype=str, keep_default_na=False)
    df.loc[df["parameter"] == "visit_minutes", "value"] = "half an hour"
    bad = tmp_path / "defaults.csv"
    df.to_csv(bad, index=False)
    with pytest.raises(InputError, match="visit_minutes") as exc:
        HomeCareParameters.from_file(bad)
    assert "defaults.csv" in str(exc.value) and "fix:" in str(exc.value)
    df = df[df["parameter"] != "hop_km"]
    df.to_csv(bad, index=False)
    with pytest.raises(InputError, match="hop_km"):
        HomeCareParameters.from_file(bad)
    cells = pd.DataFrame({"pop": [1.0]})
    with pytest.raises(ValueError, match="pop65"):
        compare_home_care(cells, [1.0], params=params)
    with pytest.raises(ValueError, match="one row per cell"):
        compare_home_care(cells.assign(pop65=1.0), [1.0, 2.0], params=params)
