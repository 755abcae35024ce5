"""Catchments and service areas on generated grids with answers known by construction."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, box

from geoplan.errors import InputError
from geoplan.measures import catchments as C

X0, Y0 = 500_000, 6_200_000


def grid(n=10):
    ij = [(i, j) for i in range(n) for j in range(n)]
    cells = gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i}_{j}" for i, j in ij],
            "i": [i for i, _ in ij],
            "j": [j for _, j in ij],
            "pop": [float(1 + i + 10 * j) for i, j in ij],
        },
        geometry=[
            box(X0 + 1000 * i, Y0 + 1000 * j, X0 + 1000 * (i + 1), Y0 + 1000 * (j + 1))
            for i, j in ij
        ],
        crs=25832,
    )
    return cells


def sites_at(points, ids=("A", "B", "C")):
    return gpd.GeoDataFrame(
        {
            "site_id": list(ids[: len(points)]),
            "name": [f"Site {s}" for s in ids[: len(points)]],
            "kind": "health_house",
        },
        geometry=[Point(X0 + 1000 * x, Y0 + 1000 * y) for x, y in points],
        crs=25832,
    )


def minutes_to(cells, sites, per_km=2.0):
    c = shapely.centroid(cells.geometry.to_numpy())
    s = sites.geometry.to_numpy()
    d = np.hypot(
        shapely.get_x(c)[:, None] - shapely.get_x(s)[None, :],
        shapely.get_y(c)[:, None] - shapely.get_y(s)[None, :],
    )
    return d / 1000 * per_km


def test_two_sites_split_the_grid_in_halves():
    cells = grid()
    sites = sites_at([(0.5, 4.5), (9.5, 4.5)])
    m = minutes_to(cells, sites)
    out = C.catchment_areas(cells, ["A", "B"], minutes=m, sites=sites)
    assert list(out["site_id"]) == ["A", "B"] and list(out["name"]) == ["Site A", "Site B"]
    left = cells["i"] < 5
    assert out.loc[0, "population"] == pytest.approx(cells.loc[left, "pop"].sum())
    assert out.loc[1, "population"] == pytest.approx(cells.loc[~left, "pop"].sum())
    assert out.loc[0, "n_cells_served"] == 50 and out.loc[0, "area_km2"] == pytest.approx(50)
    # dissolved into one rectangle: 5 km x 10 km, no interior seams
    assert out.geometry[0].equals(box(X0, Y0, X0 + 5000, Y0 + 10_000))
    assert out.geometry[0].geom_type == "Polygon" and len(out.geometry[0].interiors) == 0
    # population-weighted mean minutes, by brute force
    w = cells.loc[left, "pop"].to_numpy()
    assert out.loc[0, "mean_minutes"] == pytest.approx(np.average(m[left.to_numpy(), 0], weights=w))
    assert out.crs.to_epsg() == 25832


def test_nearest_by_distance_and_given_assignment_agree_with_times():
    cells = grid()
    sites = sites_at([(2.5, 2.5), (7.5, 7.5), (2.5, 8.5)])
    by_time = C.catchment_areas(cells, ["A", "B", "C"], minutes=minutes_to(cells, sites))
    by_dist = C.catchment_areas(cells, ["A", "B", "C"], sites=sites)
    owner = C.nearest_by_distance(cells, sites)
    by_given = C.catchment_areas(cells, ["A", "B", "C"], assignment=owner)
    for other in (by_dist, by_given):
        np.testing.assert_allclose(by_time["population"], other["population"])
        assert all(a.equals(b) for a, b in zip(by_time.geometry, other.geometry, strict=True))
    # brute force: each cell to the closest site centre
    c = np.column_stack([cells["i"] + 0.5, cells["j"] + 0.5])
    s = np.array([(2.5, 2.5), (7.5, 7.5), (2.5, 8.5)])
    brute = np.argmin(((c[:, None, :] - s[None]) ** 2).sum(-1), axis=1)
    for k in range(3):
        assert by_time.loc[k, "population"] == pytest.approx(cells["pop"][brute == k].sum())


def test_catchments_partition_the_reachable_cells():
    cells = grid()
    sites = sites_at([(1.5, 1.5), (8.5, 3.5), (4.5, 8.5)])
    m = minutes_to(cells, sites)
    m[[0, 55, 99], :] = np.inf  # three cells reach nobody
    out = C.catchment_areas(cells, ["A", "B", "C"], minutes=m)
    assert out["population"].sum() == pytest.approx(
        cells["pop"].sum() - cells["pop"].iloc[[0, 55, 99]].sum()
    )
    assert out["n_cells_served"].sum() == 97
    g = out.geometry.to_numpy()
    for a in range(3):
        for b in range(a + 1, 3):
            assert shapely.intersection(g[a], g[b]).area == pytest.approx(0)
    assert shapely.union_all(g).area == pytest.approx(97e6)


def test_a_site_that_serves_nobody_has_an_empty_row():
    cells = grid(4)
    sites = sites_at([(0.5, 0.5), (3.5, 3.5)])
    m = minutes_to(cells, sites)
    m[:, 1] = np.inf
    out = C.catchment_areas(cells, ["A", "B"], minutes=m)
    assert out.loc[1, "population"] == 0 and out.loc[1, "n_cells_served"] == 0
    assert out.geometry[1].is_empty and np.isnan(out.loc[1, "mean_minutes"])


def test_service_areas_hold_the_cells_within_T():
    cells = grid()
    sites = sites_at([(5.0, 5.0), (0.5, 0.5)])
    m = minutes_to(cells, sites, per_km=10.0)  # 10 min per km
    out = C.service_areas(cells, ["A", "B"], minutes=m, thresholds=(30, 15), sites=sites)
    assert list(zip(out["site_id"], out["max_minutes"], strict=True)) == [
        ("A", 15),
        ("A", 30),
        ("B", 15),
        ("B", 30),
    ]
    for _, r in out.iterrows():
        j = ["A", "B"].index(r["site_id"])
        inside = m[:, j] <= r["max_minutes"]
        assert r["n_cells_served"] == inside.sum()
        assert r["population"] == pytest.approx(cells["pop"][inside].sum())
        assert r["area_km2"] == pytest.approx(inside.sum())
    # site on a grid corner: centres at (±0.5, ±0.5) km lie within 1.5 km (15 min); within
    # 3 km (30 min) per quadrant (0.5,0.5), (0.5,1.5) x2, (1.5,1.5), (0.5,2.5) x2, (1.5,2.5) x2
    assert out.iloc[0]["n_cells_served"] == 4 and out.iloc[1]["n_cells_served"] == 4 * 8
    # a larger threshold never covers fewer people, and areas overlap between sites
    assert (out.groupby("site_id")["population"].apply(lambda s: s.is_monotonic_increasing)).all()
    assert out.iloc[1].geometry.intersects(out.iloc[3].geometry)


def test_results_go_into_a_geopackage(tmp_path):
    cells = grid(5)
    sites = sites_at([(0.5, 0.5), (4.5, 4.5), (2.5, 2.5)])
    m = minutes_to(cells, sites)
    m[:, 2] = np.inf
    cat = C.catchment_areas(cells, ["A", "B", "C"], minutes=m, sites=sites)
    svc = C.service_areas(cells, ["A", "B", "C"], minutes=m, sites=sites)
    p = tmp_path / "catchments.gpkg"
    cat.to_file(p, layer="catchments", driver="GPKG", engine="pyogrio")
    svc.to_file(p, layer="service_areas", driver="GPKG", engine="pyogrio")
    assert {name for name, _ in pyogrio.list_layers(p)} == {"catchments", "service_areas"}
    back = gpd.read_file(p, layer="catchments")
    assert list(back["site_id"]) == ["A", "B", "C"]
    np.testing.assert_allclose(back["population"], cat["population"])
    assert back.crs.to_epsg() == 25832


def test_bad_input_is_a_clear_error():
    cells = grid(3)
    with pytest.raises(InputError, match="shape"):
        C.catchment_areas(cells, ["A", "B"], minutes=np.zeros((9, 3)))
    with pytest.raises(InputError, match="unknown site"):
        C.catchment_areas(cells, ["A"], assignment=["A"] * 8 + ["Z"])
    with pytest.raises(InputError, match="population column"):
        C.catchment_areas(cells, ["A"], minutes=np.zeros((9, 1)), population="people")
    with pytest.raises(InputError, match="no way"):
        C.catchment_areas(cells, ["A"])
    with pytest.raises(InputError, match="NaN"):
        C.service_areas(cells, ["A"], minutes=np.full((9, 1), np.nan))


def test_overlapping_cells_fall_back_to_the_general_union():
    cells = gpd.GeoDataFrame({"pop": [1.0, 2.0]}, geometry=[box(0, 0, 2, 2), box(1, 1, 3, 3)], crs=25832)
    out = C.catchment_areas(cells, ["A"], assignment=["A", "A"])
    assert out.geometry[0].area == pytest.approx(7.0) and out.loc[0, "population"] == 3.0
