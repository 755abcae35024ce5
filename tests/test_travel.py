"""geoplan.travel_times / geoplan.nearest: places in, tidy tables out."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from tests.conftest import TINY_X, TINY_Y

import geoplan
from geoplan.errors import InputError, PointOutsideNetworkError


def _places(names, crs="EPSG:25832"):
    g = gpd.GeoDataFrame(index=pd.Index(list(names), name="place"),
                         geometry=gpd.points_from_xy([TINY_X[n] for n in names], [TINY_Y] * len(names)),
                         crs="EPSG:25832")
    return g.to_crs(crs)


def test_known_times_any_crs_and_lonlat(tiny_region):
    G = tiny_region.network()
    t = geoplan.travel_times(tiny_region, _places("AB"), _places("CDE"), network=G)
    assert list(t.columns) == ["origin_id", "destination_id", "minutes", "km"]
    assert list(zip(t["origin_id"], t["destination_id"], strict=True))[:3] == [("A", "C"), ("A", "D"), ("A", "E")]
    assert t["minutes"].tolist() == pytest.approx([20, 30, 40, 10, 20, 30], abs=1e-3)   # 10 min a link
    assert t["km"].tolist() == pytest.approx([20, 30, 40, 10, 20, 30], abs=1e-3)
    wgs = geoplan.travel_times(tiny_region, _places("AB", crs=4326), _places("CDE", crs=3857), network=G)
    assert wgs["minutes"].to_numpy() == pytest.approx(t["minutes"].to_numpy(), abs=1e-3)
    ll = _places("AB", crs=4326)
    frame = pd.DataFrame({"lon": ll.geometry.x, "lat": ll.geometry.y}, index=ll.index)
    assert geoplan.travel_times(tiny_region, frame, _places("CDE"), network=G)["minutes"].to_numpy() == \
        pytest.approx(t["minutes"].to_numpy(), abs=1e-3)


def test_same_point_is_zero_and_cutoff(tiny_region):
    G = tiny_region.network()
    t = geoplan.travel_times(tiny_region, _places("ABC"), _places("ABC"), network=G, max_minutes=15)
    diag = t[t["origin_id"] == t["destination_id"]]
    assert (diag["minutes"] == 0).all() and (diag["km"] == 0).all()
    far = t[(t["origin_id"] == "A") & (t["destination_id"] == "C")].iloc[0]
    assert np.isinf(far["minutes"]) and np.isnan(far["km"])                      # 20 min > max_minutes


def test_nearest(tiny_region):
    G = tiny_region.network()
    n = geoplan.nearest(tiny_region, _places("ABCDE"), _places("AE"), network=G)
    assert n["origin_id"].tolist() == list("ABCDE")
    assert n["destination_id"].tolist() == ["A", "A", "A", "E", "E"]            # C: tie, the first one
    assert n["minutes"].tolist() == pytest.approx([0, 10, 20, 10, 0], abs=1e-3)
    # brute force over the full table
    full = geoplan.travel_times(tiny_region, _places("ABCDE"), _places("AE"), network=G)
    assert n["minutes"].to_numpy() == pytest.approx(full.groupby("origin_id", sort=False)["minutes"].min().to_numpy())


def test_bad_places(tiny_region):
    G = tiny_region.network()
    no_crs = _places("A").set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="origins: the GeoDataFrame has no CRS"):
        geoplan.travel_times(tiny_region, no_crs, _places("B"), network=G)
    with pytest.raises(InputError, match=r"destinations: no column\(s\) lat"):
        geoplan.travel_times(tiny_region, _places("A"), pd.DataFrame({"lon": [10.0]}), network=G)
    dup = pd.concat([_places("A"), _places("A")])
    with pytest.raises(InputError, match="duplicate id 'A'"):
        geoplan.travel_times(tiny_region, dup, _places("B"), network=G)
    areas = _places("A").buffer(100).to_frame("geometry")
    with pytest.raises(InputError, match="is not a point"):
        geoplan.travel_times(tiny_region, areas, _places("B"), network=G)
    sea = gpd.GeoDataFrame(geometry=gpd.points_from_xy([700_000], [6_500_000]), crs=25832)
    with pytest.raises(PointOutsideNetworkError, match="not on land"):
        geoplan.travel_times(tiny_region, sea, _places("B"), network=G)


@pytest.mark.needs_data
def test_real_region_matches_the_od_command(region):
    """The API and `geoplan od` give the same minutes for the same places."""
    from geoplan.od import od_table
    from geoplan.routing import AccessModel, CompiledGraph

    towns = pd.DataFrame({"name": ["Aarhus", "Herning", "Viborg"], "lon": [10.2039, 8.9733, 9.4018],
                          "lat": [56.1629, 56.1393, 56.4532]})
    api = geoplan.travel_times(region, towns.set_index("name"), towns.set_index("name"))
    api = api[api["origin_id"] != api["destination_id"]]
    cg = CompiledGraph.from_graph(region.network()).with_landmasses(region.land)
    od = od_table(region, cg, towns, access=AccessModel())
    assert api["minutes"].round(1).tolist() == od["minutes"].tolist()
    assert 40 < api.set_index(["origin_id", "destination_id"]).loc[("Aarhus", "Herning"), "minutes"] < 90
