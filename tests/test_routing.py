"""Shortest paths and access legs on small graphs with known answers."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from tests.conftest import make_graph

from geoplan.errors import NetworkError, PointOutsideNetworkError
from geoplan.network.schema import validate_graph
from geoplan.routing import AccessModel, CompiledGraph, TravelTimeMatrix, travel_time_matrix

# A square with a fast detour:  A --(1 km @36)-- B --(1 km @36)-- C, and A --(1.5 km @90)-- D --(1.5 km @90)-- C
COORDS = {"A": (0, 0), "B": (1000, 0), "C": (2000, 0), "D": (1000, 1000)}
EDGES = [("A", "B", 1000, 36), ("B", "C", 1000, 36), ("A", "D", 1500, 90), ("D", "C", 1500, 90)]
NO_ACCESS = AccessModel(k=1, max_snap_m=5000)


def test_known_shortest_times_and_lengths():
    cg = CompiledGraph.from_graph(make_graph(EDGES, COORDS))
    m = travel_time_matrix(cg, origins_xy=[COORDS["A"]], destinations_xy=[COORDS["C"], COORDS["B"], COORDS["D"]],
                           access=NO_ACCESS, with_km=True)
    # A→C: via D is 3 km at 90 km/h = 2.0 min (direct 2 km at 36 km/h = 3.33 min)
    np.testing.assert_allclose(m.minutes[0], [2.0, 1000 / 10 / 60, 1500 / 25 / 60], rtol=1e-5)
    np.testing.assert_allclose(m.km[0], [3.0, 1.0, 1.5], rtol=1e-5)


def test_matches_networkx_on_random_graph():
    rng = np.random.default_rng(7)
    G = nx.gnm_random_graph(300, 900, seed=7, directed=True)
    H = nx.MultiDiGraph(crs="EPSG:25832")
    for n in G.nodes:
        H.add_node(n, x=float(rng.uniform(0, 50_000)), y=float(rng.uniform(0, 50_000)))
    for u, v in G.edges:
        length = float(rng.uniform(100, 5000))
        speed = float(rng.choice([30, 50, 80, 110]))
        H.add_edge(u, v, length=length, speed_kph=speed, travel_time=length / (speed / 3.6))
    cg = CompiledGraph.from_graph(H)
    src = [0, 5, 17]
    xy = cg.xy
    idx = {n: i for i, n in enumerate(cg.node_ids)}
    m = travel_time_matrix(cg, origins_xy=xy[[idx[s] for s in src]], destinations_xy=xy, access=AccessModel(k=1))
    for r, s in enumerate(src):
        lengths = nx.single_source_dijkstra_path_length(H, s, weight="travel_time")
        expect = np.array([lengths.get(n, np.inf) / 60 for n in cg.node_ids])
        np.testing.assert_allclose(m.minutes[r], expect, rtol=1e-5)


def test_reverse_direction_equals_forward_on_oneways():
    # one-way ring A→B→C→A: A to C is 2 edges, C to A one edge
    G = nx.MultiDiGraph(crs="EPSG:25832")
    for n, (x, y) in {"A": (0, 0), "B": (1000, 0), "C": (500, 800)}.items():
        G.add_node(n, x=x, y=y)
    for u, v in (("A", "B"), ("B", "C"), ("C", "A")):
        G.add_edge(u, v, length=1000.0, speed_kph=60.0, travel_time=60.0)
    cg = CompiledGraph.from_graph(G)
    # many origins, one destination → Dijkstra runs on the transposed graph
    m = travel_time_matrix(cg, origins_xy=[(0, 0), (1000, 0), (500, 800)], destinations_xy=[(500, 800)],
                           access=AccessModel(k=1))
    np.testing.assert_allclose(m.minutes[:, 0], [2.0, 1.0, 0.0])


def test_access_leg_and_best_entry_node():
    cg = CompiledGraph.from_graph(make_graph(EDGES, COORDS))
    acc = AccessModel(speed_kph=18, circuity=1.0, k=2, max_snap_m=5000)
    # a point 100 m below B: entry at B (100 m at 18 km/h → 20 s) then B→C 100 s = 120 s,
    # better than the straight access leg to C (1005 m → 201 s)
    m = travel_time_matrix(cg, origins_xy=[(1000, -100)], destinations_xy=[COORDS["C"]], access=acc)
    assert m.minutes[0, 0] == pytest.approx(120 / 60, rel=1e-5)
    # with a fast access speed the direct leg wins: 1005 m at 36 km/h = 100.5 s
    m = travel_time_matrix(cg, origins_xy=[(1000, -100)], destinations_xy=[COORDS["C"]],
                           access=AccessModel(speed_kph=36, circuity=1.0, k=2))
    assert m.minutes[0, 0] == pytest.approx(np.hypot(1000, 100) / 10 / 60, rel=1e-5)


def test_point_far_from_network_is_an_error():
    cg = CompiledGraph.from_graph(make_graph(EDGES, COORDS))
    with pytest.raises(PointOutsideNetworkError, match="km from the nearest"):
        travel_time_matrix(cg, origins_xy=[(90_000, 0)], destinations_xy=[COORDS["C"]],
                           origin_ids=["Far away"], access=AccessModel(max_snap_m=10_000))


def test_landmass_keeps_access_legs_on_their_island():
    # two islands; a point on the east island near the west island's node must snap east
    coords = {"W1": (0, 0), "W2": (900, 0), "E1": (3000, 0), "E2": (4000, 0)}
    G = make_graph([("W1", "W2", 900, 50), ("E1", "E2", 1000, 50), ("W2", "E1", 2100, 20)], coords)
    land = shapely.MultiPolygon([shapely.box(-500, -500, 1000, 500), shapely.box(1200, -500, 4500, 500)])
    cg = CompiledGraph.from_graph(G).with_landmasses(land)
    acc = AccessModel(speed_kph=36, circuity=1.0, k=1)
    m = travel_time_matrix(cg, origins_xy=[(1300, 0)], destinations_xy=[coords["E2"]], access=acc)
    # snapped to E1 (1700 m → 170 s) then E1→E2 72 s, not W2 (400 m) + slow ferry
    assert m.minutes[0, 0] == pytest.approx((170 + 72) / 60, rel=1e-4)


def test_cutoff_marks_far_targets_unreachable():
    cg = CompiledGraph.from_graph(make_graph(EDGES, COORDS))
    m = travel_time_matrix(cg, origins_xy=[COORDS["A"]], destinations_xy=[COORDS["B"], COORDS["C"]],
                           access=NO_ACCESS, max_minutes=1.9)
    assert np.isfinite(m.minutes[0, 0]) and np.isinf(m.minutes[0, 1])


def test_nearest_and_save_load(tmp_path):
    m = TravelTimeMatrix(origins=np.array(["a", "b"]), destinations=np.array(["x", "y"]),
                         minutes=np.array([[5, 3], [np.inf, np.inf]], dtype=np.float32))
    import pandas as pd

    m = TravelTimeMatrix(pd.Index(m.origins), pd.Index(m.destinations), m.minutes)
    near = m.nearest()
    assert near.loc["a", "nearest"] == "y" and near.loc["a", "minutes"] == 3
    assert pd.isna(near.loc["b", "nearest"]) and np.isinf(near.loc["b", "minutes"])
    back = TravelTimeMatrix.load(m.save(tmp_path / "m.npz"))
    np.testing.assert_array_equal(back.minutes, m.minutes)
    assert list(back.origins) == ["a", "b"]


def test_schema_rejects_bad_graphs():
    G = make_graph(EDGES, COORDS)
    G.graph["crs"] = "EPSG:4326"
    with pytest.raises(NetworkError, match="25832"):
        validate_graph(G)
    G = make_graph(EDGES, COORDS)
    next(iter(G.edges(data=True)))[2]["speed_kph"] = 0
    with pytest.raises(NetworkError, match="speed_kph"):
        validate_graph(G)


def _random_multigraph(seed: int) -> nx.MultiDiGraph:
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph(crs="EPSG:25832")
    n = 60
    for i in range(n):
        G.add_node(i, x=float(rng.uniform(0, 5000)), y=float(rng.uniform(0, 5000)))
    for _ in range(400):
        u, v = (int(a) for a in rng.integers(0, n, 2))
        if u == v:
            continue
        t = float(rng.choice([30.0, 60.0, rng.uniform(5, 120)]))  # ties between parallel edges too
        G.add_edge(u, v, travel_time=t, length=t * 12.0, speed_kph=43.2, link_id=f"L{int(rng.integers(0, 80))}",
                   ferry=bool(rng.random() < 0.05))
    return G


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cut_mask_equals_recompiled_graph(seed):
    """A cut as a mask on the compiled graph gives the arrays, fingerprint and times of a recompile."""
    G = _random_multigraph(seed)
    cg = CompiledGraph.from_graph(G)
    drop = {f"L{i}" for i in range(0, 80, 7)}
    edges = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d["link_id"] in drop]
    H = nx.restricted_view(G, [], edges)
    masked, rebuilt = cg.without_edges(H, edges), CompiledGraph.from_graph(H)
    assert masked.time.nnz < cg.time.nnz  # some node pairs lost their only edge
    for a, b in ((masked.time, rebuilt.time), (masked.length, rebuilt.length)):
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)
    assert np.array_equal(masked.ferry, rebuilt.ferry)
    assert np.array_equal(masked.snappable, rebuilt.snappable)
    assert masked.fingerprint == rebuilt.fingerprint != cg.fingerprint
    xy = np.array([[G.nodes[i]["x"], G.nodes[i]["y"]] for i in range(0, 60, 3)])
    access = AccessModel(k=1, max_snap_m=10_000.0)
    t_masked = travel_time_matrix(masked, origins_xy=xy, destinations_xy=xy, access=access)
    t_rebuilt = travel_time_matrix(rebuilt, origins_xy=xy, destinations_xy=xy, access=access)
    assert np.array_equal(t_masked.minutes, t_rebuilt.minutes, equal_nan=True)
    assert not np.array_equal(t_masked.minutes, travel_time_matrix(cg, origins_xy=xy, destinations_xy=xy,
                                                                    access=access).minutes, equal_nan=True)
