"""Shared fixtures: the data directory, the real region, small generated graphs."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from geoplan.datadir import data_dir


def pytest_collection_modifyitems(config, items):
    if data_dir().is_dir():
        return
    skip = pytest.mark.skip(reason=f"data directory {data_dir()} not present (set GEOPLAN_DATA_DIR)")
    for item in items:
        if "needs_data" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_data: reads inputs from the data directory")


@pytest.fixture(scope="session")
def region():
    from geoplan.region import load_region

    return load_region("midtjylland")


def make_graph(edges, coords) -> nx.MultiDiGraph:
    """A geoplan-schema graph from (u, v, length_m, speed_kph) two-way edges."""
    G = nx.MultiDiGraph(crs="EPSG:25832")
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, length, speed in edges:
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=float(length), speed_kph=float(speed),
                       travel_time=float(length) / (speed / 3.6), link_id=f"{min(u, v)}-{max(u, v)}")
    return G


# ------------------------------------------------------------------ a tiny region, in memory
#
# Five places A..E on a straight road, 10 km apart at 60 km/h (10 minutes a link); one populated
# cell on each place (so the access legs are 0 and every time is a sum of links). Municipality
# 0001 holds A and B, 0002 holds C, D and E. Nothing is read from disk.

TINY_X = {"A": 500_000.0, "B": 510_000.0, "C": 520_000.0, "D": 530_000.0, "E": 540_000.0}
TINY_Y = 6_200_000.0
TINY_POP = {"A": 100.0, "B": 200.0, "C": 300.0, "D": 400.0, "E": 500.0}


def tiny_region_object():
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geoplan.datadir import RegionManifest
    from geoplan.region import Region

    crs = "EPSG:25832"
    names = list(TINY_X)
    G = make_graph([(a, b, 10_000.0, 60.0) for a, b in zip(names, names[1:], strict=False)],
                   {n: (x, TINY_Y) for n, x in TINY_X.items()})
    land = shapely.box(480_000, 6_180_000, 560_000, 6_220_000)
    kode = {"A": "0001", "B": "0001", "C": "0002", "D": "0002", "E": "0002"}
    munis = gpd.GeoDataFrame({"kode": ["0001", "0002"], "navn": ["Vest", "Øst"], "pop": [300.0, 1200.0],
                              "over65_pct": [20.0, 20.0]},
                             geometry=[shapely.box(480_000, 6_180_000, 515_000, 6_220_000),
                                       shapely.box(515_000, 6_180_000, 560_000, 6_220_000)], crs=crs)
    cells = gpd.GeoDataFrame({
        "cell_id": [f"c{n}" for n in names], "kode": [kode[n] for n in names],
        "pop": [TINY_POP[n] for n in names], "pop65": [TINY_POP[n] / 5 for n in names],
        "x": [TINY_X[n] for n in names], "y": [TINY_Y] * 5,
    }, geometry=[shapely.box(TINY_X[n] - 500, TINY_Y - 500, TINY_X[n] + 500, TINY_Y + 500) for n in names], crs=crs)
    cells["navn"] = cells["kode"].map({"0001": "Vest", "0002": "Øst"})

    def points(rows):
        df = pd.DataFrame(rows)
        g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["x"], df["y"]), crs=crs)
        wgs = g.to_crs(4326)
        g["lon"], g["lat"] = wgs.geometry.x, wgs.geometry.y
        return g

    zero = dict.fromkeys(["emergency_department", "stroke_thrombolysis", "thrombectomy", "trauma_centre",
                          "obstetrics", "psychiatric_emergency"], 0)
    hospitals = points([
        {"site_id": "h_a", "name": "Hospital A", "kind": "acute", "opening_hours": "00-24", "pci": 1, **zero,
         "x": TINY_X["A"], "y": TINY_Y},
        {"site_id": "h_c", "name": "Hospital C", "kind": "hospital", "opening_hours": "", "pci": 1, **zero,
         "x": TINY_X["C"], "y": TINY_Y},
        {"site_id": "h_e", "name": "Hospital E", "kind": "acute", "opening_hours": "07-22", "pci": 0, **zero,
         "x": TINY_X["E"], "y": TINY_Y},
    ])
    candidates = points([
        {"site_id": f"town_{n.lower()}", "name": f"Town {n}", "kind": "town", "kommune": kode[n],
         "population": 1000, "x": TINY_X[n], "y": TINY_Y} for n in ("B", "C", "D")
    ])
    manifest = RegionManifest(name="tiny", folder=Path("/nonexistent/geoplan-tiny-region"), title_da="Lilleregion",
                              title_en="Tiny region", region_code="0", crs=crs, municipalities=("0001", "0002"),
                              default_network="strategic")
    boundary = gpd.GeoDataFrame({"name": ["Lilleregion"]}, geometry=[land], crs=crs)
    region = Region(manifest=manifest, boundary=boundary, municipalities=munis, land=land)
    region.__dict__["cells"] = cells
    region._facility_cache.update(hospitals=hospitals, candidates=candidates)
    region._network_cache[("strategic", False, None, None)] = G   # no land cover: trunk network only
    return region


@pytest.fixture
def tiny_region(monkeypatch):
    """The in-memory five-place region (no data directory needed; matrices not cached on disk)."""
    monkeypatch.setenv("GEOPLAN_MATRIX_CACHE", "0")
    monkeypatch.delenv("GEOPLAN_DASK_SCHEDULER", raising=False)
    return tiny_region_object()


def tiny_context(region, **sections):
    """A RunContext of a scenario with the given sections on the tiny region."""
    from geoplan.config import Scenario
    from geoplan.run.context import RunContext

    sc = Scenario.model_validate({"name": "tiny", "region": "tiny", **sections})
    return RunContext(scenario=sc, region=region)
