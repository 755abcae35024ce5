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
