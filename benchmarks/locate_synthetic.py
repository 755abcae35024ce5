"""Rough timings of the location models on synthetic region-scale instances.

Usage::

    python benchmarks/locate_synthetic.py            # full set (several minutes)
    python benchmarks/locate_synthetic.py --quick    # smaller set (about a minute)
    python benchmarks/locate_synthetic.py --spopt    # also compare with PySAL spopt on a small instance

Instances (see :func:`geoplan.locate.synthetic.road_like_instance`): about 13 000
populated 1-km cells clustered around towns in a 130 × 110 km box, candidate
sites drawn from populated cells, time = km × 1.3 / 70 km/h × 60 + noise.
``noise=pair`` adds an independent 0–3 min per pair (hard: cover sets of
neighbouring cells differ); ``noise=access`` adds 0–3 min per cell and 0–1 min
per site (road-like: neighbouring cells share cover sets).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from geoplan.locate import LSCP, MCLP, PCenter, PMedian
from geoplan.locate.synthetic import road_like_instance


def instance(n, m, seed, noise):
    if noise == "pair":
        c, w, _, _ = road_like_instance(n, m, seed=seed)
        return c, w
    c, w, _, _ = road_like_instance(n, m, seed=seed, noise_minutes=0.0)
    rng = np.random.default_rng(seed + 1000)
    c = c + rng.uniform(0, 3, size=(n, 1)) + rng.uniform(0, 1, size=(1, m))
    return c, w


def line(name, r, t, extra=""):
    print(
        f"{name:<44} {r.status:<10} obj {r.objective:>12.6g}  bound {r.bound:>12.6g}  gap {r.gap:7.3%}  "
        f"{t:6.1f} s  {extra}",
        flush=True,
    )


def run(quick: bool) -> None:
    n = 13_000
    cases_mclp = [(100, 20, 10), (150, 20, 10), (300, 20, 10)] if not quick else [(100, 20, 10)]
    for noise in ("access", "pair"):
        for m, T, p in cases_mclp:
            c, w = instance(n, m, 1, noise)
            t = time.perf_counter()
            r = MCLP.from_cost_matrix(c, max_minutes=T, p=p, weights=w).solve(time_limit=60)
            line(
                f"MCLP {n}x{m} T={T} p={p} noise={noise}",
                r,
                time.perf_counter() - t,
                f"covered {r.covered_share:.1%}",
            )
    for noise in ("access", "pair"):
        for m, p in [(100, 10), (500, 10)] if not quick else [(100, 10)]:
            c, w = instance(n, m, 1, noise)
            t = time.perf_counter()
            r = PMedian.from_cost_matrix(c, p=p, weights=w).solve(time_limit=120, mip_gap=0.005)
            extra = f"iters {r.iterations}, lagrangian {r.lagrangian_bound}, sites ruled out {r.sites_ruled_out}"
            line(
                f"PMedian {n}x{m} p={p} noise={noise} (gap 0.5%)", r, time.perf_counter() - t, extra
            )
    c, w = instance(n, 100, 1, "access")
    t = time.perf_counter()
    r = LSCP.from_cost_matrix(c, max_minutes=30, weights=w).solve(time_limit=60)
    line(f"LSCP {n}x100 T=30", r, time.perf_counter() - t)
    t = time.perf_counter()
    r = PCenter.from_cost_matrix(c, p=10, weights=w).solve(time_limit=120)
    line(f"PCenter {n}x100 p=10", r, time.perf_counter() - t, f"probes {r.probes}")


def compare_spopt() -> None:
    import pulp
    import spopt.locate as sl

    c, w, _, _ = road_like_instance(400, 25, seed=5)
    c = np.round(c, 3)
    T, p = 12.0, 4
    t = time.perf_counter()
    ours = MCLP.from_cost_matrix(c, max_minutes=T, p=p, weights=w).solve()
    t1 = time.perf_counter()
    sm = sl.MCLP.from_cost_matrix(c, w, service_radius=T, p_facilities=p).solve(
        pulp.HiGHS(msg=False)
    )
    t2 = time.perf_counter()
    sel = [j for j in range(c.shape[1]) if sm.fac_vars[j].value() > 0.5]
    theirs = w[(c[:, sel] <= T).any(axis=1)].sum()
    print(
        f"MCLP 400x25: geoplan {ours.objective:.6g} ({t1 - t:.2f} s), spopt {theirs:.6g} ({t2 - t1:.2f} s)"
    )
    t = time.perf_counter()
    ours = PMedian.from_cost_matrix(c, p=p, weights=w).solve()
    t1 = time.perf_counter()
    sp = sl.PMedian.from_cost_matrix(c, w, p_facilities=p).solve(pulp.HiGHS(msg=False))
    t2 = time.perf_counter()
    sel = [j for j in range(c.shape[1]) if sp.fac_vars[j].value() > 0.5]
    theirs = float(w @ c[:, sel].min(axis=1)) / w.sum()
    print(
        f"PMedian 400x25: geoplan {ours.objective:.6g} ({t1 - t:.2f} s), spopt {theirs:.6g} ({t2 - t1:.2f} s)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--spopt", action="store_true", help="compare with PySAL spopt (pip install spopt)"
    )
    a = ap.parse_args()
    run(a.quick)
    if a.spopt:
        compare_spopt()
