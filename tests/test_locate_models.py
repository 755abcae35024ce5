"""Location models against brute force over all site subsets on small random instances."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from geoplan.errors import InfeasibleError, InputError
from geoplan.locate import LSCP, MCLP, JointPlacement, PCenter, PMedian
from geoplan.locate.heuristics import pmedian_heuristic, pmedian_lagrangian
from geoplan.locate.pmedian import transport_cost
from geoplan.locate.synthetic import random_instance, road_like_instance

SEEDS = range(4)
M = 7


def subsets(p, fixed=(), excluded=()):
    free = [j for j in range(M) if j not in fixed and j not in excluded]
    for extra in itertools.combinations(free, p - len(fixed)):
        yield sorted([*fixed, *extra])


def covered(c, S, T):
    return (c[:, S] <= T + 1e-9).any(axis=1)


# ----------------------------------------------------------------------------- MCLP
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_mclp_matches_brute_force(seed, solver):
    c, w = random_instance(12, M, seed=seed, unreachable=0.1)
    T, p = 25.0, 2
    best = max(w[covered(c, S, T)].sum() for S in subsets(p))
    r = MCLP.from_cost_matrix(c, max_minutes=T, p=p, weights=w).solve(solver=solver)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best)
    assert r.covered_share == pytest.approx(best / w.sum())
    assert len(r.selected) == p
    assert r.bound >= r.objective - 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_fixed_and_excluded(seed):
    c, w = random_instance(12, M, seed=seed)
    T, p = 22.0, 3
    fixed, excluded = [5], [0, 1]
    best = max(w[covered(c, S, T)].sum() for S in subsets(p, fixed, excluded))
    r = MCLP.from_cost_matrix(
        c, max_minutes=T, p=p, weights=w, fixed=fixed, excluded=excluded
    ).solve()
    assert r.objective == pytest.approx(best)
    assert 5 in r.selected and 0 not in r.selected and 1 not in r.selected


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_budget(seed):
    c, w = random_instance(12, M, seed=seed)
    rng = np.random.default_rng(seed + 100)
    costs = rng.integers(1, 5, M).astype(float)
    T, budget = 25.0, 5.0
    best = 0.0
    for k in range(1, M + 1):
        for S in itertools.combinations(range(M), k):
            if costs[list(S)].sum() <= budget:
                best = max(best, w[covered(c, list(S), T)].sum())
    r = MCLP.from_cost_matrix(
        c, max_minutes=T, p=None, weights=w, site_costs=costs, budget=budget
    ).solve()
    assert r.objective == pytest.approx(best)
    assert costs[[r.site_ids.index(s) for s in r.selected]].sum() <= budget + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_equity_floor(seed):
    c, w = random_instance(12, M, seed=seed)
    groups = np.array(["A"] * 4 + ["B"] * 4 + ["C"] * 4)
    T, p = 25.0, 2
    floor = {"A": 0.5, "C": 0.5}
    feasible = []
    for S in subsets(p):
        cov = covered(c, S, T)
        ok = all(
            w[cov & (groups == g)].sum() >= s * w[groups == g].sum() - 1e-9
            for g, s in floor.items()
        )
        if ok:
            feasible.append(w[cov].sum())
    m = MCLP.from_cost_matrix(
        c, max_minutes=T, p=p, weights=w, groups=groups, min_share_by_group=floor
    )
    if not feasible:
        with pytest.raises(InfeasibleError):
            m.solve()
        return
    m.solve()
    assert m.objective == pytest.approx(max(feasible))
    for g, s in floor.items():
        assert m.group_shares[g] >= s - 1e-9


def _capacitated_cover(c, w, S, T, caps):
    """Most weight servable within T from the sites S under capacities (split allowed), via an LP."""
    from scipy.optimize import linprog

    pairs = [(i, j) for i in range(len(w)) for j in S if c[i, j] <= T + 1e-9]
    if not pairs:
        return 0.0
    obj = -np.array([w[i] for i, _ in pairs])
    A, b = [], []
    for i in range(len(w)):
        A.append([1.0 if pi == i else 0.0 for pi, _ in pairs])
        b.append(1.0)
    for j in S:
        A.append([w[pi] if pj == j else 0.0 for pi, pj in pairs])
        b.append(caps[j])
    res = linprog(obj, A_ub=A, b_ub=b, bounds=(0, 1), method="highs")
    return -res.fun


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_capacities(seed):
    c, w = random_instance(12, M, seed=seed)
    caps = np.full(M, 0.2 * w.sum())
    T, p = 30.0, 2
    best = max(_capacitated_cover(c, w, S, T, caps) for S in subsets(p))
    r = MCLP.from_cost_matrix(c, max_minutes=T, p=p, weights=w, capacities=caps).solve()
    assert r.objective == pytest.approx(best, rel=1e-6)
    assert r.objective <= 2 * 0.2 * w.sum() + 1e-6


# ----------------------------------------------------------------------------- p-median
def pm_brute(c, w, p, fixed=(), excluded=(), cap=None):
    best = math.inf
    for S in subsets(p, fixed, excluded):
        d = c[:, S].min(axis=1)
        if cap is not None and (d > cap + 1e-9).any():
            continue
        if np.isfinite(d).all():
            best = min(best, float(w @ d))
    return best / w.sum()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pmedian_matches_brute_force(seed, p):
    c, w = random_instance(12, M, seed=seed, unreachable=0.1 if seed % 2 else 0.0)
    best = pm_brute(c, w, p)
    r = PMedian.from_cost_matrix(c, p=p, weights=w).solve()
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best, rel=1e-9)
    assert r.bound <= r.objective + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_pmedian_cold_start_grows_lists(seed):
    """With no heuristic and one-site lists the iterative scheme must still reach the optimum."""
    c, w = random_instance(12, M, seed=seed)
    r = PMedian.from_cost_matrix(c, p=2, weights=w).solve(warm_start=False, initial_k=1)
    assert r.objective == pytest.approx(pm_brute(c, w, 2), rel=1e-9)
    assert r.iterations >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_pmedian_options(seed):
    c, w = random_instance(12, M, seed=seed)
    r = PMedian.from_cost_matrix(c, p=3, weights=w, fixed=[2], excluded=[4]).solve()
    assert r.objective == pytest.approx(pm_brute(c, w, 3, fixed=[2], excluded=[4]), rel=1e-9)
    assert 2 in r.selected and 4 not in r.selected
    cap = 40.0
    best = pm_brute(c, w, 2, cap=cap)
    m = PMedian.from_cost_matrix(c, p=2, weights=w, max_minutes=cap)
    if math.isinf(best):
        with pytest.raises(InfeasibleError):
            m.solve()
    else:
        m.solve()
        assert m.objective == pytest.approx(best, rel=1e-9)
        assert m.max_assigned_minutes <= cap + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_pmedian_budget(seed):
    c, w = random_instance(12, M, seed=seed)
    costs = np.random.default_rng(seed).integers(1, 5, M).astype(float)
    budget, p = 6.0, 3
    best = math.inf
    for k in range(1, p + 1):
        for S in itertools.combinations(range(M), k):
            if costs[list(S)].sum() <= budget:
                best = min(best, float(w @ c[:, list(S)].min(axis=1)))
    r = PMedian.from_cost_matrix(c, p=p, weights=w, site_costs=costs, budget=budget).solve()
    assert r.objective == pytest.approx(best / w.sum(), rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_pmedian_capacities(seed):
    c, w = random_instance(12, M, seed=seed)
    caps = np.full(M, 0.4 * w.sum())
    p = 3
    best = min(transport_cost(c, w, S, caps) for S in subsets(p))
    r = PMedian.from_cost_matrix(c, p=p, weights=w, capacities=caps).solve(initial_k=2)
    assert r.objective * w.sum() == pytest.approx(best, rel=1e-6)


def test_pmedian_heuristic_and_lagrangian_bracket_the_optimum():
    for seed in SEEDS:
        c, w = random_instance(12, M, seed=seed)
        best = pm_brute(c, w, 2) * w.sum()
        o, ub = pmedian_heuristic(c, w, 2)
        lb, useless = pmedian_lagrangian(c, w, 2, upper=ub, start_open=o)
        assert lb <= best + 1e-6 <= ub + 2e-6
        # a site ruled out cannot be in any optimal solution
        opt_sets = [S for S in subsets(2) if abs(float(w @ c[:, S].min(axis=1)) - best) < 1e-6]
        for j in np.flatnonzero(useless):
            assert all(j not in S for S in opt_sets)


def test_pmedian_with_lagrangian_forced_still_exact():
    c, w = random_instance(15, M, seed=7)
    r = PMedian.from_cost_matrix(c, p=2, weights=w).solve(lagrangian=True)
    assert r.objective == pytest.approx(pm_brute(c, w, 2), rel=1e-9)
    assert r.lagrangian_bound is not None and r.lagrangian_bound <= r.objective + 1e-9


# ----------------------------------------------------------------------------- p-center, LSCP
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pcenter_matches_brute_force(seed, p):
    c, w = random_instance(12, M, seed=seed)
    best = min(c[:, S].min(axis=1).max() for S in subsets(p))
    r = PCenter.from_cost_matrix(c, p=p, weights=w).solve()
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best)
    assert len(r.selected) == p


def test_pcenter_fixed_and_budget():
    c, w = random_instance(12, M, seed=3)
    best = min(c[:, S].min(axis=1).max() for S in subsets(3, fixed=[0]))
    assert PCenter.from_cost_matrix(c, p=3, fixed=[0]).solve().objective == pytest.approx(best)
    costs = np.array([1, 2, 3, 1, 2, 3, 1], dtype=float)
    best_b = min(
        c[:, list(S)].min(axis=1).max()
        for k in (1, 2, 3)
        for S in itertools.combinations(range(M), k)
        if costs[list(S)].sum() <= 4
    )
    r = PCenter.from_cost_matrix(c, p=3, site_costs=costs, budget=4).solve()
    assert r.objective == pytest.approx(best_b)


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_matches_brute_force(seed):
    c, w = random_instance(12, M, seed=seed)
    T = 35.0
    best = next(
        k
        for k in range(1, M + 1)
        if any(covered(c, list(S), T).all() for S in itertools.combinations(range(M), k))
    )
    r = LSCP.from_cost_matrix(c, max_minutes=T, weights=w).solve()
    assert r.status == "optimal" and r.objective == best and len(r.selected) == best
    assert r.covered_share == pytest.approx(1.0)
    costs = np.arange(1, M + 1, dtype=float)
    best_c = min(
        costs[list(S)].sum()
        for k in range(1, M + 1)
        for S in itertools.combinations(range(M), k)
        if covered(c, list(S), T).all()
    )
    rc = LSCP.from_cost_matrix(c, max_minutes=T, site_costs=costs).solve(solver="cbc")
    assert rc.objective == pytest.approx(best_c)


# ----------------------------------------------------------------------------- joint
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode,bonus", [("none", 0.0), ("bonus", 0.05), ("required", 0.0)])
def test_joint_matches_brute_force(seed, mode, bonus):
    c, wa = random_instance(12, M, seed=seed)
    wb = np.random.default_rng(seed + 50).uniform(0, 10, 12)
    Ta, Tb, pa, pb = 20.0, 30.0, 2, 1
    best = -math.inf
    for A in itertools.combinations(range(M), pa):
        for B in itertools.combinations(range(M), pb):
            if mode == "required" and not set(B) <= set(A):
                continue
            val = (
                wa[covered(c, list(A), Ta)].sum() / wa.sum()
                + wb[covered(c, list(B), Tb)].sum() / wb.sum()
            )
            val += bonus * len(set(A) & set(B))
            best = max(best, val)
    r = JointPlacement.from_cost_matrix(
        c,
        weights_a=wa,
        weights_b=wb,
        max_minutes_a=Ta,
        max_minutes_b=Tb,
        p_a=pa,
        p_b=pb,
        colocation=mode,
        colocation_bonus=bonus,
    ).solve()
    assert r.objective == pytest.approx(best)
    if mode == "required":
        assert set(r.selected_b) <= set(r.selected_a)


# ----------------------------------------------------------------------------- errors and limits
def test_lscp_infeasible_names_rows():
    c, _ = random_instance(12, M, seed=1)
    c[3, :] = 50.0
    with pytest.raises(InfeasibleError, match=r"1 demand row.*\b3\b.*50\.0 min"):
        LSCP.from_cost_matrix(c, max_minutes=30).solve()


def test_infeasible_cases_say_why():
    c, w = random_instance(12, M, seed=2)
    with pytest.raises(InfeasibleError, match="fixed open but p=1"):
        MCLP.from_cost_matrix(c, max_minutes=20, p=1, fixed=[0, 1])
    groups = ["x"] * 6 + ["y"] * 6
    c2 = c.copy()
    c2[6:, :] = np.inf
    with pytest.raises(InfeasibleError, match="group 'y' cannot reach its floor"):
        MCLP.from_cost_matrix(
            c2, max_minutes=20, p=2, weights=w, groups=groups, min_share_by_group={"y": 0.1}
        ).solve()
    with pytest.raises(InfeasibleError, match="reach no allowed site within max_minutes=1"):
        PMedian.from_cost_matrix(c, p=2, max_minutes=1.0).solve()
    with pytest.raises(InfeasibleError, match="only 7 candidate sites"):
        PCenter.from_cost_matrix(c, p=8)
    # the solver's own infeasibility: equity floors that no two sites can meet together
    cc = np.full((4, 4), 100.0)
    for i in range(4):
        cc[i, i] = 1.0
    with pytest.raises(InfeasibleError, match="proved the model infeasible.*equity floors"):
        MCLP.from_cost_matrix(
            cc, max_minutes=10, p=2, groups=["a", "b", "c", "d"], min_share_by_group=1.0
        ).solve()


def test_bad_inputs():
    c, w = random_instance(5, 3, seed=0)
    with pytest.raises(InputError, match="negative"):
        MCLP.from_cost_matrix(c, max_minutes=10, p=1, weights=-w)
    with pytest.raises(InputError, match="not a candidate site"):
        PMedian.from_cost_matrix(c, p=1, fixed=["nope"])
    bad = c.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        LSCP.from_cost_matrix(bad, max_minutes=10)
    with pytest.raises(InputError, match="p .* is missing"):
        MCLP.from_cost_matrix(c, max_minutes=10, p=None)


def test_time_limit_reports_time_limit_with_finite_gap():
    """A 2 s limit on an instance HiGHS needs far longer for (MCLP, 13 000 × 300, p=10, T=20)."""
    c, w, _, _ = road_like_instance(13_000, 300, seed=1)
    r = MCLP.from_cost_matrix(c, max_minutes=20, p=10, weights=w).solve(time_limit=2.0)
    assert r.status == "time_limit"
    assert math.isfinite(r.gap) and r.gap > 0
    assert r.bound > r.objective
    assert len(r.selected) == 10
    assert r.solve_seconds < 15


def test_highs_via_pulp_agrees():
    c, w = random_instance(12, M, seed=5)
    a = MCLP.from_cost_matrix(c, max_minutes=25, p=2, weights=w).solve(solver="highs")
    b = MCLP.from_cost_matrix(c, max_minutes=25, p=2, weights=w).solve(solver="highs-pulp")
    assert a.objective == b.objective and b.status == "optimal"


def test_pmedian_merges_rows_shifted_by_a_constant():
    """Cells behind one road node (times differ by their access leg only) merge into one row, exactly."""
    c, w = random_instance(6, M, seed=11)
    rng = np.random.default_rng(0)
    copies = np.repeat(np.arange(6), 4)
    big = c[copies] + rng.uniform(0, 5, size=(len(copies), 1))
    wb = rng.uniform(1, 10, len(copies))
    r = PMedian.from_cost_matrix(big, p=2, weights=wb).solve()
    assert r.merged_rows == 6
    best = min(float(wb @ big[:, S].min(axis=1)) for S in subsets(2)) / wb.sum()
    assert r.objective == pytest.approx(best, rel=1e-9)


# ----------------------------------------------------------------------------- preprocessing
@pytest.mark.parametrize("seed", range(10))
def test_dominated_sites_are_covered_by_a_kept_site(seed):
    import scipy.sparse as sp

    from geoplan.locate.base import dominated_sites

    rng = np.random.default_rng(seed)
    n, m = 15, 9
    A = rng.random((n, m)) < 0.3
    A[:, 1] = A[:, 0] & (rng.random(n) < 0.5)  # planted: 1 ⊆ 0
    A[:, 3] = A[:, 2]  # planted: equal sets
    A[:, 8] = False  # covers nothing
    costs = rng.integers(1, 4, size=m).astype(float) if seed % 2 else None
    allowed = np.ones(m, dtype=bool)
    allowed[5] = False
    fixed = np.array([4])
    dom = dominated_sites(sp.csr_matrix(A), allowed=allowed, fixed_idx=fixed, site_costs=costs)
    cst = np.zeros(m) if costs is None else costs
    sets = [set(np.flatnonzero(A[:, j])) for j in range(m)]
    kept = np.flatnonzero(allowed & ~dom)
    assert not dom[4] and not dom[5]
    for j in np.flatnonzero(dom):
        assert any(k != j and sets[j] <= sets[k] and cst[k] <= cst[j] for k in kept), j
    # and nothing kept is dominated strictly by another kept site
    for j in kept:
        if j in fixed:
            continue
        for k in kept:
            if k != j and sets[j] <= sets[k] and cst[k] <= cst[j]:
                assert sets[j] == sets[k] and cst[j] == cst[k] and j < k
    if costs is None:
        assert dom[1] or sets[1] == sets[0]
        assert dom[3] and dom[8]


@pytest.mark.parametrize("seed", range(12))
def test_mclp_with_dominated_sites_dropped_matches_brute_force(seed, monkeypatch):
    import geoplan.locate.mclp as mclp_mod

    monkeypatch.setattr(mclp_mod, "DOMINATED_MIN_SHARE", 0.0)
    c, w = random_instance(14, M, seed=100 + seed, unreachable=0.2)
    T, p = 18.0, 2 + seed % 2
    fixed = [seed % M] if seed % 3 == 0 else []
    excluded = [(seed + 3) % M] if seed % 4 == 1 else []
    best = max(w[covered(c, S, T)].sum() for S in subsets(p, fixed, excluded))
    r = MCLP.from_cost_matrix(
        c, max_minutes=T, p=p, weights=w, fixed=fixed, excluded=excluded
    ).solve()
    assert r.status == "optimal" and r.gap == 0.0
    assert r.objective == pytest.approx(best)
    assert len(r.selected) == p
    assert set(fixed) <= set(r.selected) and not set(excluded) & set(r.selected)
    # with costs and a budget the cheaper dominator is kept
    sc = np.arange(M, 0, -1, dtype=float)
    best_b = max(
        w[covered(c, list(S), T)].sum()
        for k in range(1, M + 1)
        for S in itertools.combinations(range(M), k)
        if sc[list(S)].sum() <= 6.0 and len(S) <= 3
    )
    rb = MCLP.from_cost_matrix(c, max_minutes=T, p=3, weights=w, site_costs=sc, budget=6.0).solve()
    assert rb.objective == pytest.approx(best_b)


@pytest.mark.parametrize("seed", range(10))
def test_mclp_lagrangian_bounds_and_fixings_are_valid(seed):
    import scipy.sparse as sp

    from geoplan.locate.heuristics import mclp_heuristic, mclp_lagrangian

    c, w = random_instance(16, M, seed=200 + seed, unreachable=0.1)
    T, p = 20.0, 2 + seed % 2
    A = sp.csr_matrix(c <= T)
    vals = {tuple(S): float(w[covered(c, S, T)].sum()) for S in subsets(p)}
    best = max(vals.values())
    start, low = mclp_heuristic(A, w, p)
    # a weak lower bound makes the fixing test non-trivial: use a worse solution than the heuristic
    low_sets = sorted(vals.items(), key=lambda kv: kv[1])
    lower_S, lower = low_sets[len(low_sets) // 2]
    L, zero, one, bo, bc = mclp_lagrangian(A, w, p, lower=lower, start_open=list(lower_S))
    assert best - 1e-6 <= L  # an upper bound on the optimum
    assert bc <= best + 1e-9 and bc >= lower
    assert w[covered(c, list(bo), T)].sum() == pytest.approx(bc)
    for S, v in vals.items():
        if v >= bc + 1e-6 * w.sum():  # any strictly better solution respects the fixings
            assert not zero[list(S)].any()
            assert set(np.flatnonzero(one).tolist()) <= set(S)


@pytest.mark.parametrize("seed", range(8))
def test_mclp_with_lagrangian_forced_matches_brute_force(seed):
    c, w = random_instance(16, M, seed=300 + seed, unreachable=0.1)
    T, p = 21.0, 2 + seed % 3
    fixed = [seed % M] if seed % 2 else []
    best = max(w[covered(c, S, T)].sum() for S in subsets(p, fixed))
    r = MCLP.from_cost_matrix(c, max_minutes=T, p=p, weights=w, fixed=fixed).solve(lagrangian=True)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best)
    assert r.lagrangian_bound is not None and r.lagrangian_bound >= best - 1e-6
    assert r.bound >= r.objective - 1e-6


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("margin", [0.0, 0.3, 1.5])
def test_sparse_pmedian_lagrangian_is_a_valid_bound(seed, margin):
    from geoplan.locate.heuristics import pmedian_lagrangian_sparse

    c, w = random_instance(14, M, seed=400 + seed, unreachable=0.1 * (seed % 2))
    p = 2 + seed % 2
    vals = {
        tuple(S): float(w @ np.where(np.isfinite(d := c[:, S].min(axis=1)), d, 1e7))
        for S in subsets(p)
    }
    best = min(vals.values())
    o, ub = pmedian_heuristic(c, w, p)
    lb, useless = pmedian_lagrangian_sparse(c, w, p, upper=ub, start_open=o, margin=margin)
    assert lb <= best + 1e-6 * max(1.0, best)
    dense, _ = pmedian_lagrangian(c, w, p, upper=ub, start_open=o)
    if margin >= 1.5:  # with wide lists the cap rarely binds: close to the dense bound
        assert lb >= 0.9 * dense
    for S, v in vals.items():  # no site ruled out is in a solution better than the heuristic's
        if v < ub - 1e-6 * max(1.0, ub):
            assert not useless[list(S)].any()


def test_pmedian_sparse_lagrangian_path_in_solve(monkeypatch):
    import geoplan.locate.pmedian as pm_mod

    monkeypatch.setattr(pm_mod, "SPARSE_LAGRANGIAN_MIN_PAIRS", 0)
    c, w = random_instance(15, M, seed=8)
    r = PMedian.from_cost_matrix(c, p=2, weights=w).solve(lagrangian=True)
    assert r.objective == pytest.approx(pm_brute(c, w, 2), rel=1e-9)
    assert r.lagrangian_bound is not None and r.lagrangian_bound <= r.objective + 1e-9
    # above MILP_SKIP_ENTRIES no MILP runs: the result carries the Lagrangian gap, honestly
    monkeypatch.setattr(pm_mod, "MILP_SKIP_ENTRIES", 0)
    r2 = PMedian.from_cost_matrix(c, p=2, weights=w).solve(lagrangian=True, mip_gap=0.0)
    assert r2.iterations == 0
    assert r2.bound <= r.objective + 1e-9 <= r2.objective + 1e-9
    assert r2.gap == pytest.approx((r2.objective - r2.bound) / r2.objective, abs=1e-12)
    assert r2.status == ("optimal" if r2.gap <= 1e-12 else "time_limit")


def _single_site_instance(seed, n=16, T=10.0):
    """Rows mostly covered by one site alone (others beyond T or unreachable)."""
    rng = np.random.default_rng(seed)
    c = T + rng.uniform(0.5, 20.0, (n, M))
    c[rng.random((n, M)) < 0.2] = np.inf
    for i in range(n):
        k = rng.choice([1, 1, 1, 2, 3])
        c[i, rng.choice(M, size=k, replace=False)] = rng.uniform(0.0, T, k)
    w = rng.integers(1, 50, n).astype(float)
    w[rng.random(n) < 0.1] = 0.0  # zero-weight rows are left out, not folded
    return c, w, T


@pytest.mark.parametrize("seed", range(24))
def test_mclp_single_site_rows_folded_match_brute_force(seed, monkeypatch):
    import geoplan.locate.mclp as mclp_mod

    if seed % 2:  # dominated sites dropped too: rows may lose all but one allowed site
        monkeypatch.setattr(mclp_mod, "DOMINATED_MIN_SHARE", 0.0)
    c, w, T = _single_site_instance(300 + seed)
    p = 2 + seed % 3
    fixed = [seed % M] if seed % 3 == 0 else []
    excluded = [(seed + 2) % M] if seed % 4 in (1, 2) else []
    best = max(w[covered(c, S, T)].sum() for S in subsets(p, fixed, excluded))
    r = MCLP.from_cost_matrix(
        c, max_minutes=T, p=p, weights=w, fixed=fixed, excluded=excluded
    ).solve()
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best)
    assert r.bound >= r.objective - 1e-6
    assert r.folded_rows > 0
    assert len(r.selected) == p
    assert set(fixed) <= set(r.selected) and not set(excluded) & set(r.selected)
    # budget (no warm start; the fold still applies), with fixed and excluded sites
    sc = np.random.default_rng(seed).integers(1, 5, M).astype(float)
    budget = 7.0
    free = [j for j in range(M) if j not in excluded]
    best_b = max(
        w[covered(c, list(S), T)].sum() if len(S) else 0.0
        for k in range(M + 1)
        for S in itertools.combinations(free, k)
        if set(fixed) <= set(S) and sc[list(S)].sum() <= budget and len(S) <= p
    )
    rb = MCLP.from_cost_matrix(
        c,
        max_minutes=T,
        p=p,
        weights=w,
        fixed=fixed,
        excluded=excluded,
        site_costs=sc,
        budget=budget,
    ).solve()
    assert rb.status == "optimal"
    assert rb.objective == pytest.approx(best_b)
    assert sc[[rb.site_ids.index(s) for s in rb.selected]].sum() <= budget + 1e-9


def test_mclp_fold_counts_single_site_rows():
    """Every merged row with one allowed covering site is folded; the rest stay as z rows."""
    c = np.array(
        [
            [1.0, 50, 50],  # site 0 alone
            [2.0, 50, 50],  # site 0 alone (merged with the row above)
            [50, 3.0, 50],  # site 1 alone
            [1.0, 1.0, 50],  # sites 0 and 1
            [50, 50, 50],  # nobody
        ]
    )
    w = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    r = MCLP.from_cost_matrix(c, max_minutes=5, p=1, weights=w).solve()
    assert r.merged_rows == 3 and r.folded_rows == 2
    assert r.objective == pytest.approx(12.0) and r.selected == [1]
    # with site 1 excluded the (0, 1) row has only site 0 left: one merged row, folded
    r2 = MCLP.from_cost_matrix(c, max_minutes=5, p=1, weights=w, excluded=[1]).solve()
    assert r2.folded_rows == r2.merged_rows == 1 and r2.objective == pytest.approx(11.0)
    # a fixed site's rows are a constant: with 0 fixed only the site-1 row is left, and folded
    r3 = MCLP.from_cost_matrix(c, max_minutes=5, p=2, weights=w, fixed=[0]).solve()
    assert r3.merged_rows == 1 and r3.folded_rows == 1 and r3.objective == pytest.approx(15.0)
