"""Shared fixtures: the data directory, the real region, small generated graphs."""

from __future__ import annotations

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
