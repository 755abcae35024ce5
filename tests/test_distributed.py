"""The Dask path and the worker processes give exactly the single-machine results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from benchmarks.synth import demand, road_grid

from geoplan import routing
from geoplan.errors import InputError
from geoplan.routing import AccessModel, travel_time_matrix

distributed = pytest.importorskip("distributed")

from geoplan.distributed import (  # noqa: E402
    coverage_distributed,
    dask_client,
    travel_time_matrix_distributed,
)


@pytest.fixture(scope="module")
def net():
    # 3,600 nodes, ~9,000 directed edges; 500 m spacing → 30 km square
    return road_grid(
        side_nodes=60,
        spacing_m=500.0,
        motorway_every=30,
        primary_every=10,
        secondary_every=5,
        seed=3,
    )


@pytest.fixture(scope="module")
def cg(net):
    return net.to_compiled()


@pytest.fixture(scope="module")
def pts(net):
    return demand(net, n_sites=37, target_cells=700, seed=4)


@pytest.fixture(scope="module")
def client():
    # threads in this process: starts in about a second and needs no __main__ guard
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs="error",
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(autouse=True)
def no_matrix_cache(monkeypatch):
    monkeypatch.setenv("GEOPLAN_MATRIX_CACHE", "0")


@pytest.mark.parametrize("flip", [False, True])
def test_matrix_on_cluster_equals_single_machine(cg, pts, client, flip):
    o, d = (pts.cells_xy, pts.sites_xy) if flip else (pts.sites_xy, pts.cells_xy)
    acc = AccessModel(k=3)
    ref = travel_time_matrix(cg, origins_xy=o, destinations_xy=d, access=acc, with_km=True)
    got = travel_time_matrix_distributed(
        cg, origins_xy=o, destinations_xy=d, access=acc, with_km=True, client=client, chunk_size=8
    )
    assert got.shape == ref.shape == (len(o), len(d))
    assert np.isfinite(ref.minutes).all()  # a connected graph: every pair reachable
    np.testing.assert_array_equal(got.minutes, ref.minutes)
    np.testing.assert_array_equal(got.km, ref.km)
    assert list(got.origins) == list(ref.origins) and list(got.destinations) == list(
        ref.destinations
    )


def test_cutoff_on_cluster_equals_single_machine(cg, pts, client):
    ref = travel_time_matrix(
        cg, origins_xy=pts.sites_xy, destinations_xy=pts.cells_xy, max_minutes=12
    )
    got = travel_time_matrix_distributed(
        cg,
        origins_xy=pts.sites_xy,
        destinations_xy=pts.cells_xy,
        max_minutes=12,
        client=client,
        chunk_size=5,
    )
    assert np.isinf(ref.minutes).any() and np.isfinite(ref.minutes).any()
    np.testing.assert_array_equal(got.minutes, ref.minutes)


def test_no_scheduler_means_single_machine(cg, pts, monkeypatch):
    monkeypatch.delenv("GEOPLAN_DASK_SCHEDULER", raising=False)
    assert dask_client(None) is None
    ref = travel_time_matrix(cg, origins_xy=pts.sites_xy[:5], destinations_xy=pts.cells_xy[:50])
    got = travel_time_matrix_distributed(
        cg, origins_xy=pts.sites_xy[:5], destinations_xy=pts.cells_xy[:50]
    )
    np.testing.assert_array_equal(got.minutes, ref.minutes)


def test_local_cluster_of_worker_processes(cg, pts):
    # the "local" setting: a LocalCluster of spawned worker processes (what GEOPLAN_DASK_SCHEDULER=local gives)
    from geoplan.distributed import close_local_cluster

    try:
        c = dask_client("local")
        assert dask_client("local") is c  # started once, reused
        assert len(c.scheduler_info()["workers"]) == routing.routing_workers()
        ref = travel_time_matrix(cg, origins_xy=pts.sites_xy, destinations_xy=pts.cells_xy)
        got = travel_time_matrix_distributed(
            cg, origins_xy=pts.sites_xy, destinations_xy=pts.cells_xy, client="local", chunk_size=10
        )
        np.testing.assert_array_equal(got.minutes, ref.minutes)
    finally:
        close_local_cluster()


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        dask_client("tcp://127.0.0.1:9")


@pytest.mark.parametrize("use_client", [True, False])
def test_coverage_reduction_matches_full_matrix(cg, pts, client, use_client):
    ids = [f"s{i:03d}" for i in range(len(pts.sites_xy))]
    full = travel_time_matrix(
        cg, origins_xy=pts.cells_xy, destinations_xy=pts.sites_xy, destination_ids=ids
    )
    cov = coverage_distributed(
        cg,
        demand_xy=pts.cells_xy,
        sites_xy=pts.sites_xy,
        site_ids=ids,
        weights=pts.pop,
        thresholds=[5, 10],
        max_minutes=np.inf,
        client=client if use_client else None,
        chunk_size=6,
    )
    near = full.nearest()
    np.testing.assert_array_equal(
        cov.nearest_minutes, near["minutes"].to_numpy().astype(np.float32)
    )
    assert list(cov.nearest_site) == list(near["nearest"])
    for t in (5, 10):
        expect = ((full.minutes <= t) * pts.pop[:, None]).sum(axis=0)
        np.testing.assert_allclose(cov.covered_weight[f"within_{t}"].to_numpy(), expect, rtol=1e-12)
        np.testing.assert_array_equal(cov.cover_sets(t).toarray(), full.minutes <= t)
    assert 0 < cov.cover_sets(5).nnz < cov.cover_sets(10).nnz < full.minutes.size
    with pytest.raises(InputError, match="exceeds the largest"):
        cov.cover_sets(11)


def test_coverage_more_sites_than_demand(cg, pts, client):
    # the other orientation: Dijkstra from the demand side
    full = travel_time_matrix(cg, origins_xy=pts.sites_xy[:9], destinations_xy=pts.cells_xy[:40])
    cov = coverage_distributed(
        cg,
        demand_xy=pts.sites_xy[:9],
        sites_xy=pts.cells_xy[:40],
        thresholds=[8],
        client=client,
        chunk_size=4,
    )
    m = np.where(full.minutes <= 8, full.minutes, np.inf)
    np.testing.assert_array_equal(cov.nearest_minutes, m.min(axis=1))
    np.testing.assert_array_equal(cov.cover_sets(8).toarray(), full.minutes <= 8)


WORKERS_SCRIPT = """
import sys
import numpy as np
from benchmarks.synth import demand, road_grid
from geoplan import routing
net = road_grid(side_nodes=60, spacing_m=500.0, motorway_every=30, primary_every=10, secondary_every=5, seed=3)
cg = net.to_compiled()
pts = demand(net, n_sites=37, target_cells=700, seed=4)
assert routing._can_fork(), "not single-threaded"
forks = []
real = routing.ProcessPoolExecutor
def spy(*args, **kwargs):
    forks.append(kwargs.get("max_workers"))
    return real(*args, **kwargs)
routing.ProcessPoolExecutor = spy
routing.PARALLEL_MIN_WORK = 1
kw = dict(origins_xy=pts.sites_xy, destinations_xy=pts.cells_xy, with_km=True, batch_size=5)
one = routing.travel_time_matrix(cg, **kw, )
assert forks == [], forks
routing.routing_workers = lambda: 2
two = routing.travel_time_matrix(cg, **kw)
assert forks == [2], forks
np.testing.assert_array_equal(one.minutes, two.minutes)
np.testing.assert_array_equal(one.km, two.km)
print("ok", one.minutes.shape)
"""


def test_worker_processes_equal_one_process():
    # a fresh, single-threaded interpreter (this one runs Dask threads): fork is only used there
    import subprocess
    import sys

    env = {**__import__("os").environ, "GEOPLAN_WORKERS": "1", "GEOPLAN_MATRIX_CACHE": "0"}
    r = subprocess.run(
        [sys.executable, "-c", WORKERS_SCRIPT],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("ok (37, 700)")


def test_matrix_cache_round_trip(cg, pts, monkeypatch, tmp_path):
    monkeypatch.setenv("GEOPLAN_MATRIX_CACHE", "1")
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(routing, "CACHE_MIN_WORK", 1)
    kw = dict(
        origins_xy=pts.cells_xy[:30],
        destinations_xy=pts.sites_xy,
        origin_ids=[f"c{i}" for i in range(30)],
    )
    first = travel_time_matrix(cg, **kw)
    files = list((tmp_path / "matrices").glob("*.npz"))
    assert len(files) == 1
    calls = []
    real = routing._run_batches

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(routing, "_run_batches", spy)
    again = travel_time_matrix(cg, **kw)
    assert calls == []  # served from the cache
    np.testing.assert_array_equal(again.minutes, first.minutes)
    assert list(again.origins) == list(first.origins)
    # another access model is another key: computed, and equal to a fresh computation
    other = travel_time_matrix(cg, **kw, access=AccessModel(speed_kph=20))
    assert calls == [1]
    assert (other.minutes > first.minutes).any()
    assert len(list((tmp_path / "matrices").glob("*.npz"))) == 2


@pytest.mark.parametrize("one_way_share", [0.0, 0.2])
def test_graph_reduction_is_exact(net, pts, monkeypatch, one_way_share):
    # dead-end trees and degree-2 chains are removed for large calls: times and km must not change,
    # also where some roads are one-way (chains that can be driven in one direction only)
    import dataclasses

    rng = np.random.default_rng(8)
    drop = rng.random(net.n_edges) < one_way_share / 2  # one direction of about 20 % of the roads
    n2 = dataclasses.replace(
        net,
        u=net.u[~drop],
        v=net.v[~drop],
        length=net.length[~drop],
        speed_kph=net.speed_kph[~drop] * rng.uniform(0.8, 1.2, size=int((~drop).sum())),
        road_class=net.road_class[~drop],
    )
    g = n2.to_compiled()
    keep = np.zeros(n2.n_nodes, dtype=bool)
    keep[rng.choice(n2.n_nodes, size=300, replace=False)] = True
    T, _, index = routing._reduced(g.time, None, keep)
    assert T.shape[0] < 0.8 * n2.n_nodes  # something was removed …
    assert (index[keep] >= 0).all()  # … but never a kept node
    results = {}
    for reduce in (True, False):
        monkeypatch.setattr(routing, "REDUCE_MIN_WORK", 1 if reduce else 10**18)
        a = travel_time_matrix(
            g, origins_xy=pts.sites_xy, destinations_xy=pts.cells_xy, with_km=True
        )
        b = travel_time_matrix(
            g, origins_xy=pts.cells_xy, destinations_xy=pts.sites_xy, max_minutes=15
        )
        results[reduce] = (a, b)
    (a1, b1), (a0, b0) = results[True], results[False]
    np.testing.assert_allclose(a1.minutes, a0.minutes, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(a1.km, a0.km, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(np.isinf(b1.minutes), np.isinf(b0.minutes))
    fin = np.isfinite(b0.minutes)
    np.testing.assert_allclose(b1.minutes[fin], b0.minutes[fin], rtol=1e-6, atol=1e-5)
