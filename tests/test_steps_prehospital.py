"""The [prehospital] step on an in-memory region: response times by hand, day vs night, nothing written."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import TINY_X, TINY_Y, tiny_context

from geoplan.errors import ScenarioError
from geoplan.run.results import PrehospitalResult
from geoplan.run.steps.prehospital import prehospital


def _points(rows):
    import geopandas as gpd
    import pandas as pd

    df = pd.DataFrame(rows)
    g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["x"], df["y"]), crs="EPSG:25832")
    wgs = g.to_crs(4326)
    g["lon"], g["lat"] = wgs.geometry.x, wgs.geometry.y
    return g


@pytest.fixture
def region(tiny_region):
    tiny_region._facility_cache.update(
        ambulance_stations=_points([
            {"station_id": "amb_a", "kind": "station", "hours": "00-24", "x": TINY_X["A"], "y": TINY_Y},
            {"station_id": "amb_e", "kind": "station", "hours": "07-19", "x": TINY_X["E"], "y": TINY_Y},
        ]),
        physician_cars=_points([
            {"base_id": "alb_c", "kind": "akutlaegebil", "hours": "07-19", "x": TINY_X["C"], "y": TINY_Y}]),
        helicopter_bases=_points([
            {"base_id": "heli_c", "launch_delay_day_min": 5, "launch_delay_night_min": 10, "day": 1, "night": 0,
             "x": TINY_X["C"], "y": TINY_Y}]),
    )
    return tiny_region


SECTION = {
    "hours": [12, 3], "call_handling_min": 2.0, "postcodes": False, "validation": {"enabled": False},
    "ambulance": {"kinds": ["station"], "turnout_min": 1.0, "speed_factor": 2.0},
    "physician_car": {"like_ambulance": True},
    "helicopter": {"cruise_kph": 240.0, "approach_min": 3.0, "daytime": "07-19"},
    "thresholds": [10, 15], "bands": [10, 15],
}


def test_response_times_by_hand(region, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = prehospital(tiny_context(region, prehospital=SECTION))
    assert isinstance(r, PrehospitalResult)
    noon, night = r.by_hour[12], r.by_hour[3]
    # ambulance: 2 call + 1 turnout + road minutes / 2 (10 min a link); E's station is staffed 07-19
    assert noon["ambulance"] == pytest.approx([3, 8, 13, 8, 3])
    assert night["ambulance"] == pytest.approx([3, 8, 13, 18, 23])
    sites = list(noon["ambulance_site"])
    assert sites[:2] == ["amb_a", "amb_a"] and sites[3:] == ["amb_e", "amb_e"] and sites[2] in ("amb_a", "amb_e")
    # the physician car drives like the ambulances, from C, 07-19
    assert noon["physician_car"] == pytest.approx([13, 8, 3, 8, 13])
    assert np.isinf(night["physician_car"]).all()
    # helicopter: 2 call + 5 launch (day) + straight line at 240 km/h + 3 approach; off at night
    assert noon["helicopter"] == pytest.approx([15, 12.5, 10, 12.5, 15])
    assert np.isinf(night["helicopter"]).all()
    assert noon["first"] == pytest.approx([3, 8, 3, 8, 3])
    assert noon["first_by"][2] == "physician_car"
    # night never faster than day here (units close at night)
    assert (night["first"] >= noon["first"] - 1e-9).all()
    region_row = r.municipalities.iloc[-1]
    assert region_row["share_A10_h12"] == pytest.approx(1200 / 1500)            # A, B, D, E within 10
    assert region_row["share_A10_h03"] == pytest.approx(300 / 1500)             # only A and B
    assert r.postcodes is None and r.validation is None
    assert [h.key for h in r.headlines] == ["prehospital_target"] * 5
    assert r.headlines[0].text("da").startswith("A-kørsel inden for 10 min kl. 12 (ambulance): 80,0 %")
    assert set(r.measures) == {"prehospital_ambulance", "prehospital_first"}
    assert r.measures["prehospital_first"].label("en") == "first prehospital unit at 12:00"
    assert list(tmp_path.iterdir()) == []


def test_unknown_station_is_a_clear_error(region):
    bad = {**SECTION, "ambulance": {**SECTION["ambulance"], "exclude": ["amb_x"]}}
    with pytest.raises(ScenarioError, match=r"prehospital.ambulance.exclude: unknown id \['amb_x'\]"):
        prehospital(tiny_context(region, prehospital=bad))
    none = {**SECTION, "ambulance": {**SECTION["ambulance"], "exclude": ["amb_a", "amb_e"]}}
    with pytest.raises(ScenarioError, match="prehospital.ambulance: no station selected"):
        prehospital(tiny_context(region, prehospital=none))
