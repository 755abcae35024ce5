"""Benders engine (geoplan.locate.benders) against brute force on small random instances."""

from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan.locate import benders as bd


def _instance(seed, n=40, m=9):
    rng = np.random.default_rng(seed)
    xy_d, xy_s = rng.uniform(0, 10, (n, 2)), rng.uniform(0, 10, (m, 2))
    C = np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    return C, rng.uniform(1, 5, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pmedian_matches_brute_force(seed):
    C, w = _instance(seed)
    m, p = C.shape[1], 3
    best = min(float(w @ C[:, list(s)].min(axis=1)) for s in combinations(range(m), p))
    grp = bd.landmark_groups(C, allowed=np.ones(m, bool), n_groups=5)
    orc = bd.MedianCuts(C, w, grp, allowed=np.ones(m, bool), k=4)  # short lists: cuts still valid
    out = bd.benders_solve(
        orc, p=p, y_lb=np.zeros(m), y_ub=np.ones(m), start_open=np.arange(p), mip_gap=1e-6
    )
    assert out.bound <= best + 1e-6 <= out.value + 2e-6
    assert out.value == pytest.approx(best, rel=1e-6)
    # every cut under-estimates the true value at random integer points
    rng = np.random.default_rng(seed)
    for _ in range(10):
        ybar = rng.uniform(0, 1, m)
        _, a, B = orc.cuts(ybar)
        s = rng.choice(m, p, replace=False)
        y = np.zeros(m)
        y[s] = 1
        assert np.all(a - B @ y <= orc.exact(s) + 1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_matches_brute_force(seed):
    C, w = _instance(seed)
    m, p, T = C.shape[1], 2, 3.0
    A = sp.csr_matrix((C <= T).astype(float))
    best = max(float(w[(C[:, list(s)] <= T).any(axis=1)].sum()) for s in combinations(range(m), p))
    grp = bd.landmark_groups(C, allowed=np.ones(m, bool), n_groups=4)
    orc = bd.CoverCuts(A, w, grp, linear=np.zeros(m))
    out = bd.benders_solve(
        orc, p=p, y_lb=np.zeros(m), y_ub=np.ones(m), start_open=np.arange(p), mip_gap=1e-6
    )
    # minimisation form: F = -covered weight
    assert -out.bound >= best - 1e-6 >= -out.value - 2e-6
    assert -out.value == pytest.approx(best, rel=1e-6)


# --------------------------------------------------------------------------- wired into the models


def _mid(seed, n=600, m=30):
    rng = np.random.default_rng(seed)
    xy_d, xy_s = rng.uniform(0, 40, (n, 2)), rng.uniform(0, 40, (m, 2))
    C = 1.3 * np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    return C, rng.uniform(1, 100, n)


@pytest.mark.parametrize(
    ("seed", "kw"), [(0, {}), (1, {"fixed": [4], "excluded": [0, 1, 2, 9]}), (2, {})]
)
def test_mclp_solve_by_cuts_matches_the_compact_milp(seed, kw):
    from geoplan.locate import MCLP

    C, w = _mid(seed)
    args = dict(max_minutes=9.0, p=5, weights=w, **kw)
    a = MCLP.from_cost_matrix(C, **args).solve(cuts=False, mip_gap=1e-9)
    b = MCLP.from_cost_matrix(C, **args).solve(cuts=True, mip_gap=1e-9)
    assert (a.engine, b.engine) == ("milp", "benders")
    assert b.status == "optimal" and b.objective == pytest.approx(a.objective, rel=1e-9)
    assert b.bound >= b.objective - 1e-6
    # the reported coverage is the true coverage of the sites chosen
    assert b.objective == pytest.approx(float(w[(C[:, b._open_idx] <= 9.0).any(axis=1)].sum()))
    assert set(kw.get("fixed", [])) <= set(b.selected)
    assert not set(kw.get("excluded", [])) & set(b.selected)
    assert b.benders["lp_rounds"] >= 1 and b.benders["cuts"] > 0


def test_mclp_by_cuts_matches_brute_force():
    from geoplan.locate import MCLP

    C, w = _mid(3, n=300, m=11)
    best = max(
        float(w[(C[:, list(s)] <= 10.0).any(axis=1)].sum()) for s in combinations(range(11), 3)
    )
    b = MCLP.from_cost_matrix(C, max_minutes=10.0, p=3, weights=w).solve(cuts=True, mip_gap=1e-9)
    assert b.objective == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize(("seed", "kw"), [(0, {}), (1, {"fixed": [4], "excluded": [0, 1, 2]})])
def test_pmedian_solve_by_cuts_matches_brute_force(seed, kw):
    from geoplan.locate import PMedian

    C, w = _mid(seed, n=400, m=12)
    fixed, excl = set(kw.get("fixed", [])), set(kw.get("excluded", []))
    best = min(
        float(w @ C[:, list(s)].min(axis=1)) / w.sum()
        for s in combinations(range(12), 4)
        if fixed <= set(s) and not excl & set(s)
    )
    b = PMedian.from_cost_matrix(C, p=4, weights=w, **kw).solve(cuts=True, mip_gap=1e-9)
    assert b.engine == "benders" and b.status == "optimal"
    assert b.objective == pytest.approx(best, rel=1e-9)
    assert b.bound <= b.objective + 1e-9
    assert fixed <= set(b.selected) and not excl & set(b.selected)


def test_cuts_refuse_models_they_do_not_solve():
    from geoplan.errors import InputError
    from geoplan.locate import MCLP, PMedian

    C, w = _mid(0, n=100, m=10)
    with pytest.raises(InputError, match="plain model"):
        MCLP.from_cost_matrix(
            C, max_minutes=9.0, p=3, weights=w, capacities=np.full(10, 1e4)
        ).solve(cuts=True)
    with pytest.raises(InputError, match="plain model"):
        PMedian.from_cost_matrix(C, p=3, weights=w, max_minutes=30.0).solve(cuts=True)
    # automatic choice: small models stay on the compact MILP
    assert MCLP.from_cost_matrix(C, max_minutes=9.0, p=3, weights=w).solve().engine == "milp"
    assert PMedian.from_cost_matrix(C, p=3, weights=w).solve().engine == "milp"
