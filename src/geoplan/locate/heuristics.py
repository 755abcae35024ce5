"""Fast numpy heuristics: warm starts and upper bounds for the exact models.

All of them are deterministic (ties go to the lowest column index) and work on
dense float cost matrices or sparse 0/1 cover matrices. They give good
solutions, not proofs; the MILP proves the gap.

- :func:`pmedian_heuristic`: greedy add, then best-improvement vertex
  substitution (Teitz–Bart swap evaluated for all pairs at once with the
  nearest/second-nearest trick).
- :func:`mclp_heuristic`: greedy add on merged cover rows, then best swap.
- :func:`setcover_greedy`: Chvátal's greedy (cost per newly covered row), then
  removal of redundant sites.
- :func:`pcenter_heuristic`: greedy add minimising the radius, then swaps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

#: stands for "unreachable" in heuristics (larger than any travel time)
BIG = 1e7


#: float64 cells per row block of the dense heuristics' temporaries (about 64 MB)
BLOCK_CELLS = 8_000_000


def _finite(cost: np.ndarray) -> np.ndarray:
    """``cost`` with BIG for inf (the array itself when it is all finite: no copy)."""
    finite = np.isfinite(cost)
    return cost if finite.all() else np.where(finite, cost, BIG)


def _row_blocks(n: int, m: int) -> range:
    """Starts of row blocks that keep an n x m temporary near :data:`BLOCK_CELLS` cells."""
    return range(0, n, max(256, BLOCK_CELLS // max(m, 1)))


def pmedian_cost(cost: np.ndarray, weights: np.ndarray, open_idx) -> float:
    """Total weighted travel time to the nearest open site (inf if a weighted row reaches none)."""
    open_idx = np.asarray(open_idx, dtype=np.int64)
    if len(open_idx) == 0:
        return np.inf
    d = cost[:, open_idx].min(axis=1)
    use = weights > 0
    if not np.isfinite(d[use]).all():
        return np.inf
    return float(weights[use] @ d[use])


def _d1_d2(C: np.ndarray, open_idx: np.ndarray):
    sub = C[:, open_idx]
    n = C.shape[0]
    if len(open_idx) == 1:
        return sub[:, 0].copy(), np.zeros(n, dtype=np.int64), np.full(n, BIG)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    a = sub[np.arange(n), part[:, 0]]
    b = sub[np.arange(n), part[:, 1]]
    swap = b < a
    k1 = np.where(swap, part[:, 1], part[:, 0])
    d1 = np.minimum(a, b)
    d2 = np.maximum(a, b)
    # ties: argmin order for determinism
    k_first = np.argmin(sub, axis=1)
    k1 = np.where(sub[np.arange(n), k_first] == d1, k_first, k1)
    return d1, k1, d2


def pmedian_heuristic(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    fixed_idx=(),
    allowed=None,
    max_swaps: int = 200,
    time_limit: float = 30.0,
    start=None,
) -> tuple[np.ndarray, float]:
    """Greedy + swap for p-median. Returns (open columns sorted, total weighted cost).

    ``start``: open columns to begin the swaps from instead of the greedy
    construction (e.g. the sites of a Lagrangian solution); fixed columns are
    added and the set is completed greedily to ``p``.

    ``cost`` may hold ``inf`` (unreachable, or beyond a hard cap); such pairs are
    treated as a very large time, so the result reaches every row when that is
    possible at all but is not guaranteed to.
    """
    t0 = time.perf_counter()
    use = weights > 0
    C = _finite(cost if use.all() else cost[use])
    w = weights[use]
    n, m = C.shape
    blocks = _row_blocks(n, m)  # the n x m temporaries are built one row block at a time
    allowed = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    fixed = np.asarray(sorted(set(int(k) for k in fixed_idx)), dtype=np.int64)
    is_open = np.zeros(m, dtype=bool)
    is_open[fixed] = True
    if start is not None:
        is_open[np.asarray(start, dtype=np.int64)] = True
    first = np.flatnonzero(is_open)
    d1 = C[:, first].min(axis=1) if len(first) else np.full(n, BIG * 10)
    while is_open.sum() < p:
        gains = np.zeros(m)
        for b0 in blocks:
            sl = slice(b0, b0 + blocks.step)
            gains += w[sl] @ np.maximum(d1[sl, None] - C[sl], 0.0)
        gains[~allowed | is_open] = -1.0
        j = int(np.argmax(gains))
        is_open[j] = True
        d1 = np.minimum(d1, C[:, j])
    movable = ~np.isin(np.arange(m), fixed)
    for _ in range(max_swaps):
        if time.perf_counter() - t0 > time_limit:
            break
        open_idx = np.flatnonzero(is_open)
        cand = np.flatnonzero(allowed & ~is_open)
        outs = open_idx[movable[open_idx]]
        if len(cand) == 0 or len(outs) == 0:
            break
        d1, k1, d2 = _d1_d2(C, open_idx)
        # rows whose nearest open site is r lose it when r leaves
        pos = {int(r): t for t, r in enumerate(outs)}
        owner = np.array([pos.get(int(open_idx[k]), -1) for k in range(len(open_idx))])[k1]
        base = np.zeros(len(cand))  # per candidate, <= 0
        loss = np.zeros((len(outs), len(cand)))
        for b0 in blocks:
            sl = slice(b0, b0 + blocks.step)
            Cc = C[sl][:, cand]
            E = np.minimum(d1[sl, None], Cc)
            base += w[sl] @ (E - d1[sl, None])
            M = w[sl, None] * (np.minimum(d2[sl, None], Cc) - E)
            own = owner[sl]
            rows = np.flatnonzero(own >= 0)
            G = sp.csr_matrix((np.ones(len(rows)), (own[rows], rows)), shape=(len(outs), len(own)))
            loss += np.asarray(G @ M)
        delta = base[None, :] + loss
        t, s = np.unravel_index(int(np.argmin(delta)), delta.shape)
        total = float(w @ d1)
        if delta[t, s] >= -1e-9 * max(total, 1.0):
            break
        is_open[outs[t]] = False
        is_open[cand[s]] = True
    open_idx = np.flatnonzero(is_open)
    return open_idx, pmedian_cost(cost, weights, open_idx)


def coverage_weight(A: sp.csr_matrix, w: np.ndarray, open_idx) -> float:
    """Weight of rows of the cover matrix ``A`` covered by at least one open column."""
    open_idx = np.asarray(open_idx, dtype=np.int64)
    if len(open_idx) == 0 or A.shape[0] == 0:
        return 0.0
    cnt = np.asarray(A[:, open_idx].sum(axis=1)).ravel()
    return float(w[cnt > 0].sum())


def mclp_heuristic(
    A: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    *,
    fixed_idx=(),
    allowed=None,
    max_swaps: int = 200,
    time_limit: float = 30.0,
    start=None,
) -> tuple[np.ndarray, float]:
    """Greedy + swap for MCLP on a (merged) 0/1 cover matrix. Returns (open columns, covered weight).

    ``start``: open columns to begin the swaps from instead of the greedy
    construction (fixed columns are added, the set is completed greedily to ``p``).
    """
    t0 = time.perf_counter()
    n, m = A.shape
    A = sp.csr_matrix(A, dtype=np.float64)
    AT = A.T.tocsr()
    allowed = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    fixed = np.asarray(sorted(set(int(k) for k in fixed_idx)), dtype=np.int64)
    is_open = np.zeros(m, dtype=bool)
    is_open[fixed] = True
    if start is not None:
        is_open[np.asarray(start, dtype=np.int64)] = True
    first = np.flatnonzero(is_open)
    cnt = np.asarray(A[:, first].sum(axis=1)).ravel() if len(first) else np.zeros(n)
    while is_open.sum() < p:
        gains = AT @ (w * (cnt == 0))
        gains = np.where(allowed & ~is_open, gains, -1.0)
        j = int(np.argmax(gains))
        is_open[j] = True
        cnt += np.asarray(A[:, j].todense()).ravel()
    movable = ~np.isin(np.arange(m), fixed)
    wA = sp.csr_matrix(A.multiply(w[:, None]))
    for _ in range(max_swaps):
        if time.perf_counter() - t0 > time_limit:
            break
        open_idx = np.flatnonzero(is_open)
        outs = open_idx[movable[open_idx]]
        cand = np.flatnonzero(allowed & ~is_open)
        if len(cand) == 0 or len(outs) == 0:
            break
        gain_in = AT @ (w * (cnt == 0))
        single = np.flatnonzero(cnt == 1)
        pos = {int(r): t for t, r in enumerate(outs)}
        owner = np.full(n, -1)
        if len(single):
            sub = A[single][:, open_idx]
            k = np.asarray(sub.argmax(axis=1)).ravel()
            owner[single] = [pos.get(int(open_idx[kk]), -1) for kk in k]
        rows = np.flatnonzero(owner >= 0)
        G = sp.csr_matrix((np.ones(len(rows)), (owner[rows], rows)), shape=(len(outs), n))
        loss = np.asarray(G @ w).ravel()
        overlap = (G @ wA).toarray()
        delta = gain_in[cand][None, :] - loss[:, None] + overlap[:, cand]
        t, s = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if delta[t, s] <= 1e-9 * max(float(w.sum()), 1.0):
            break
        r, j = outs[t], cand[s]
        is_open[r] = False
        is_open[j] = True
        cnt -= np.asarray(A[:, r].todense()).ravel()
        cnt += np.asarray(A[:, j].todense()).ravel()
    open_idx = np.flatnonzero(is_open)
    return open_idx, coverage_weight(A, w, open_idx)


def setcover_greedy(
    A: sp.csr_matrix, *, fixed_idx=(), allowed=None, site_costs=None
) -> np.ndarray | None:
    """Greedy set cover of all rows of ``A``. Returns open columns, or ``None`` if some row cannot be covered."""
    n, m = A.shape
    A = sp.csr_matrix(A, dtype=np.float64)
    AT = A.T.tocsr()
    allowed = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    costs = (
        np.ones(m) if site_costs is None else np.maximum(np.asarray(site_costs, dtype=float), 1e-12)
    )
    is_open = np.zeros(m, dtype=bool)
    fixed = np.asarray(sorted(set(int(k) for k in fixed_idx)), dtype=np.int64)
    is_open[fixed] = True
    cnt = np.asarray(A[:, fixed].sum(axis=1)).ravel() if len(fixed) else np.zeros(n)
    while (cnt == 0).any():
        gains = AT @ (cnt == 0).astype(float)
        score = np.where(allowed & ~is_open & (gains > 0), gains / costs, -1.0)
        j = int(np.argmax(score))
        if score[j] <= 0:
            return None
        is_open[j] = True
        cnt += np.asarray(A[:, j].todense()).ravel()
    # drop redundant sites, most expensive first
    for site in sorted(
        np.flatnonzero(is_open & ~np.isin(np.arange(m), fixed)).tolist(),
        key=lambda k: (-costs[k], k),
    ):
        col = np.asarray(A[:, site].todense()).ravel()
        if (cnt - col >= 1).all():
            is_open[site] = False
            cnt -= col
    return np.flatnonzero(is_open)


def radius(cost: np.ndarray, open_idx) -> float:
    """Worst travel time from any row to its nearest open site."""
    open_idx = np.asarray(open_idx, dtype=np.int64)
    if len(open_idx) == 0:
        return np.inf
    return float(cost[:, open_idx].min(axis=1).max())


def pcenter_heuristic(
    cost: np.ndarray,
    p: int,
    *,
    fixed_idx=(),
    allowed=None,
    max_swaps: int = 100,
    time_limit: float = 30.0,
) -> tuple[np.ndarray, float]:
    """Greedy + swap for p-center on the rows given. Returns (open columns, radius)."""
    t0 = time.perf_counter()
    C = _finite(cost)
    n, m = C.shape
    allowed = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    fixed = np.asarray(sorted(set(int(k) for k in fixed_idx)), dtype=np.int64)
    is_open = np.zeros(m, dtype=bool)
    is_open[fixed] = True
    d1 = C[:, fixed].min(axis=1) if len(fixed) else np.full(n, BIG * 10)
    while is_open.sum() < p:
        r = np.minimum(d1[:, None], C).max(axis=0)
        # tie-break on total distance
        tot = np.minimum(d1[:, None], C).sum(axis=0)
        r = np.where(allowed & ~is_open, r, np.inf)
        best = r.min()
        j = int(np.flatnonzero(r == best)[np.argmin(tot[r == best])])
        is_open[j] = True
        d1 = np.minimum(d1, C[:, j])
    best_r = float(d1.max())
    movable = ~np.isin(np.arange(m), fixed)
    for _ in range(max_swaps):
        if time.perf_counter() - t0 > time_limit:
            break
        open_idx = np.flatnonzero(is_open)
        cand = np.flatnonzero(allowed & ~is_open)
        improved = False
        for r_out in open_idx[movable[open_idx]]:
            rest = open_idx[open_idx != r_out]
            d_rest = C[:, rest].min(axis=1) if len(rest) else np.full(n, BIG * 10)
            if len(cand) == 0:
                break
            rad = np.minimum(d_rest[:, None], C[:, cand]).max(axis=0)
            s = int(np.argmin(rad))
            if rad[s] < best_r - 1e-9:
                is_open[r_out] = False
                is_open[cand[s]] = True
                best_r = float(rad[s])
                improved = True
                break
        if not improved:
            break
    open_idx = np.flatnonzero(is_open)
    return open_idx, radius(cost, open_idx)


#: subgradient steps without progress before the step size halves (MCLP), the
#: first step size and the smallest before giving up
STALL, THETA0, THETA_MIN = 50, 2.0, 1e-5


@dataclass
class _SubgradientRun:
    """What :func:`_subgradient_driver` found."""

    bound: float  # best Lagrangian bound
    lam: np.ndarray  # multipliers that gave it
    target: float  # best primal value (the given one if nothing beat it)
    best_set: np.ndarray | None  # open columns of that value (None: none beat the given one)


def _subgradient_driver(
    lam: np.ndarray,
    *,
    evaluate: Callable[[np.ndarray], tuple[float, np.ndarray, Any]],
    primal: Callable[[np.ndarray, Any], float],
    subgradient: Callable[[np.ndarray, np.ndarray, Any], np.ndarray],
    move: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
    target: float,
    minimise: bool,
    t0: float,
    iterations: int,
    time_limit: float,
    target_gap: float,
    stall_limit: int,
    step_floor: float | None = None,
) -> _SubgradientRun:
    """The subgradient loop shared by the Lagrangian bounds.

    ``evaluate(λ)`` gives ``(L(λ), chosen sites, extra)``; every 5 steps
    ``primal(chosen, extra)`` values the chosen sites as a solution, and a better
    one becomes the Polyak ``target``. For a minimisation problem
    (``minimise``: the bound is a lower bound, raised) a value must beat the
    target by a relative 1e-9; for a maximisation problem (upper bound,
    lowered) any gain counts. The step size ``θ`` (from :data:`THETA0`) halves
    after ``stall_limit`` steps without a better bound. The loop stops at
    ``iterations``, after ``time_limit`` seconds from ``t0``, when the bound is
    within ``target_gap`` of the target, when ``θ`` falls below
    :data:`THETA_MIN` or when the subgradient ``subgradient(λ, chosen, extra)``
    vanishes; otherwise ``λ ← move(λ, g, θ·gap/‖g‖²)`` with ``gap`` the
    distance from the bound to the target (at least ``step_floor`` if given).
    """
    best_L = -math.inf if minimise else math.inf
    best_lam = lam.copy()
    best_set = None
    theta, stall = THETA0, 0
    for it in range(iterations):
        if time.perf_counter() - t0 > time_limit:
            break
        L, chosen, extra = evaluate(lam)
        if it % 5 == 0:
            val = primal(chosen, extra)
            if (val < target * (1 - 1e-9)) if minimise else (val > target):
                target, best_set = val, np.flatnonzero(chosen)
        if (best_L < L) if minimise else (best_L > L):
            best_L, best_lam, stall = L, lam.copy(), 0
        else:
            stall += 1
            if stall >= stall_limit:
                theta *= 0.5
                stall = 0
        closed = (
            best_L >= target * (1 - target_gap) if minimise else best_L <= target * (1 + target_gap)
        )
        if closed or theta < THETA_MIN:
            break
        g = subgradient(lam, chosen, extra)
        norm = float(g @ g)
        if norm <= 0:
            break
        gap = target - L if minimise else L - target
        if step_floor is not None:
            gap = max(gap, step_floor)
        lam = move(lam, g, theta * gap / norm)
    return _SubgradientRun(best_L, best_lam, target, best_set)


def _site_sets(
    m: int, p: int, fixed_idx, allowed
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """(allowed mask, fixed mask, free mask, free columns, sites left to choose) of a Lagrangian bound."""
    allowed = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    fixed = np.zeros(m, dtype=bool)
    fixed[np.asarray(list(fixed_idx), dtype=np.int64)] = True
    free = allowed & ~fixed
    return allowed, fixed, free, np.flatnonzero(free), p - int(fixed.sum())


def _weighted_rows(
    cost: np.ndarray, weights: np.ndarray, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows of positive weight, their float32 costs with BIG for unreachable and not allowed, their weights)."""
    use = weights > 0
    C = np.where(np.isfinite(cost[use]), cost[use], BIG).astype(np.float32)
    C[:, ~allowed] = BIG
    return use, C, weights[use]


def _polish(
    cost, weights, p, fixed_idx, allowed, start, time_limit, t0
) -> tuple[float, np.ndarray]:
    """The Lagrangian heuristic's best sites improved by swaps in the time left: (total cost, open columns)."""
    left = max(1.0, time_limit - (time.perf_counter() - t0))
    open_idx, total = pmedian_heuristic(
        cost,
        weights,
        p,
        fixed_idx=fixed_idx,
        allowed=allowed,
        time_limit=left,
        start=start,
    )
    return total, open_idx


def _pmedian_fixing(lam_sum, rho, fixed, free, cand, k_free, upper) -> tuple[float, np.ndarray]:
    """(bound, useless mask) of p-median multipliers summing to ``lam_sum`` with site values ``rho``."""
    m = len(rho)
    useless = np.zeros(m, dtype=bool)
    if k_free <= 0:
        return float(lam_sum + rho[fixed].sum()), useless
    srt = cand[np.argsort(rho[cand], kind="stable")]
    inside = srt[:k_free]
    base = float(lam_sum + rho[fixed].sum() + rho[inside].sum())
    if len(cand) > k_free:
        forced = base - rho[srt[k_free - 1]] + rho
        out = np.ones(m, dtype=bool)
        out[inside] = False
        useless = out & free & (forced > upper + 1e-9 * max(1.0, abs(upper)))
    return base, useless


def pmedian_lagrangian(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    upper: float,
    start_open,
    fixed_idx=(),
    allowed=None,
    iterations: int = 5000,
    time_limit: float = 30.0,
    target_gap: float = 0.0,
    primal: list | None = None,
) -> tuple[float, np.ndarray]:
    """Lagrangian lower bound for p-median and the sites it proves useless.

    Relaxes the assignment constraints with multipliers ``λ_i = w_i u_i``
    (``u_i`` in minutes): ``L(λ) = Σ_i λ_i + Σ_{j ∈ S(λ)} ρ_j(λ)``,
    ``ρ_j = Σ_i min(0, w_i d_ij − λ_i)``, where ``S(λ)`` holds the fixed sites
    and the ``p − |fixed|`` allowed sites with the most negative ``ρ_j``. Every
    ``L(λ)`` is a valid lower bound; subgradient steps (Polyak step towards
    ``upper``, halved after 30 steps without progress) raise it, starting from
    the times to the nearest site of ``start_open``. Working in ``λ`` (not
    ``u``) keeps the subgradient ``1 − Σ_j x_ij`` free of the weights, which
    range over four orders of magnitude for population cells; in ``u`` the
    steps were badly scaled and the bound stalled percent-points short. A site
    ``j`` outside ``S(λ)`` whose forced opening lifts the bound above
    ``upper`` cannot be in any solution better than ``upper``
    (``useless[j] = True``). Dense float32 arithmetic; the bound is computed in
    float64 at the end.

    Every 5 steps the sites ``S(λ)`` are also evaluated as a solution (a
    Lagrangian heuristic); when ``primal`` is a list, the best such solution
    better than ``upper``, improved by swaps, is appended to it as
    ``(total cost, open columns)``.

    Returns
    -------
    (best bound, useless mask over sites)
    """
    t0 = time.perf_counter()
    allowed, fixed, free, cand, k_free = _site_sets(cost.shape[1], p, fixed_idx, allowed)
    use, C, w = _weighted_rows(cost, weights, allowed)
    n, m = C.shape
    WC = C * w.astype(np.float32)[:, None]
    lam = WC[:, np.asarray(start_open, dtype=np.int64)].min(axis=1)

    def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray, None]:
        rho = np.minimum(WC - lam[:, None], 0.0).sum(axis=0, dtype=np.float64)
        chosen = fixed.copy()
        if k_free > 0:
            chosen[cand[np.argsort(rho[cand], kind="stable")[:k_free]]] = True
        return float(lam.astype(np.float64).sum() + rho[chosen].sum()), chosen, None

    def subgradient(lam: np.ndarray, chosen: np.ndarray, _: None) -> np.ndarray:
        return 1.0 - (WC[:, chosen] < lam[:, None]).sum(axis=1)

    run = _subgradient_driver(
        lam,
        evaluate=evaluate,
        primal=lambda chosen, _: float(w @ C[:, chosen].min(axis=1).astype(np.float64)),
        subgradient=subgradient,
        move=lambda lam, g, scale: np.maximum(lam + np.float32(scale) * g.astype(np.float32), 0.0),
        target=upper,
        minimise=True,
        t0=t0,
        iterations=iterations,
        time_limit=time_limit,
        target_gap=target_gap,
        stall_limit=30,
    )
    best_lam, upper = run.lam, run.target
    u = best_lam.astype(np.float64) / w
    if primal is not None and run.best_set is not None:
        primal.append(_polish(cost, weights, p, fixed_idx, allowed, run.best_set, time_limit, t0))
    # exact float64 re-evaluation of the best multipliers, then fixing
    Cd = np.where(np.isfinite(cost[use]), cost[use], BIG)
    Cd[:, ~allowed] = BIG
    rho = w @ np.minimum(Cd - u[:, None], 0.0)
    return _pmedian_fixing(w @ u, rho, fixed, free, cand, k_free, upper)


def mclp_lagrangian(
    A: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    *,
    lower: float,
    start_open,
    fixed_idx=(),
    allowed=None,
    iterations: int = 3000,
    time_limit: float = 30.0,
    target_gap: float = 0.0,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, float]:
    """Lagrangian upper bound for MCLP on a merged 0/1 cover matrix, and the sites it fixes.

    Relaxes ``z_u ≤ Σ_{j ∈ N_u} y_j`` with multipliers ``0 ≤ λ_u ≤ w_u``:
    ``L(λ) = Σ_u (w_u − λ_u) + Σ_{j ∈ S(λ)} ρ_j``, ``ρ_j = Σ_{u ∋ j} λ_u``, where
    ``S(λ)`` holds the fixed sites and the ``p − |fixed|`` free allowed sites of
    largest ``ρ_j``. Every ``L(λ)`` bounds the optimum from above (it equals the
    LP bound at best); subgradient steps (Polyak towards ``lower``, halved after
    20 steps without progress) lower it, starting from ``λ_u = w_u / |N_u|``.

    Fixing by the bound, against the best known coverage ``lower``: a free site
    ``j`` outside ``S`` whose forced opening (in place of the weakest site of
    ``S``) gives ``L < lower`` is in no solution at least as good as ``lower``
    (``zero[j]``); a site of ``S`` whose forced closing (replaced by the best
    site outside) gives ``L < lower`` is in every such solution (``one[j]``).
    ``S(λ)`` is evaluated as a solution every 5 steps.

    Returns
    -------
    (best bound, zero mask, one mask, best open columns found, their coverage)
    """
    t0 = time.perf_counter()
    n, m = A.shape
    A = sp.csr_matrix(A, dtype=np.float64)
    AT = A.T.tocsr()
    allowed, fixed, free, cand, k_free = _site_sets(m, p, fixed_idx, allowed)
    W = float(w.sum())
    deg = np.maximum(np.asarray(A.sum(axis=1)).ravel(), 1.0)
    lam = w / deg

    def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        rho = AT @ lam
        chosen = fixed.copy()
        if k_free > 0:
            order = cand[np.argsort(-rho[cand], kind="stable")]
            chosen[order[:k_free]] = True
        return W - float(lam.sum()) + float(rho[chosen].sum()), chosen, rho

    def evaluate_cover(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        L, chosen, _ = evaluate(lam)
        return L, chosen, A @ chosen.astype(np.float64)  # rows' count of chosen sites

    def subgradient(lam: np.ndarray, chosen: np.ndarray, cnt: np.ndarray) -> np.ndarray:
        g = cnt - 1.0  # dL/dλ
        return np.where(((lam <= 0) & (g > 0)) | ((lam >= w) & (g < 0)), 0.0, g)

    run = _subgradient_driver(
        lam,
        evaluate=evaluate_cover,
        primal=lambda chosen, cnt: float(w[cnt > 0].sum()),
        subgradient=subgradient,
        move=lambda lam, g, scale: np.clip(lam - scale * g, 0.0, w),
        target=lower,
        minimise=False,
        t0=t0,
        iterations=iterations,
        time_limit=time_limit,
        target_gap=target_gap,
        stall_limit=STALL,
        step_floor=1e-9 * max(W, 1.0),
    )
    best_lam, best_cov = run.lam, run.target
    best_open = np.asarray(start_open, dtype=np.int64) if run.best_set is None else run.best_set
    L, chosen, rho = evaluate(best_lam)
    zero = np.zeros(m, dtype=bool)
    one = np.zeros(m, dtype=bool)
    if k_free > 0 and len(cand) > k_free:
        order = cand[np.argsort(-rho[cand], kind="stable")]
        inside, outside = order[:k_free], order[k_free:]
        tol = 1e-9 * max(W, 1.0)
        weakest, best_out = rho[inside[-1]], rho[outside[0]]
        zero[outside] = L - weakest + rho[outside] < best_cov - tol
        one[inside] = L - rho[inside] + best_out < best_cov - tol
    return L, zero, one, best_open, best_cov


def pmedian_lagrangian_sparse(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    upper: float,
    start_open,
    fixed_idx=(),
    allowed=None,
    margin: float = 3.0,
    iterations: int = 20000,
    time_limit: float = 30.0,
    target_gap: float = 0.0,
    primal: list | None = None,
) -> tuple[float, np.ndarray]:
    """The Lagrangian bound of :func:`pmedian_lagrangian` on the near pairs only (large instances).

    Row ``i`` keeps the sites within ``margin ×`` its time to the nearest site of
    ``start_open`` (plus 1 min); ``c_i`` is its smallest time outside that
    list. With the multipliers capped at ``λ_i ≤ w_i c_i`` every pair outside
    the list has ``min(0, w_i d_ij − λ_i) = 0``, so ``L(λ)`` computed on the
    lists equals ``L(λ)`` on the full matrix: the bound is valid for the full
    problem, at a fraction of the work (the cap only limits how high it can
    climb). Returns (bound, useless mask), like :func:`pmedian_lagrangian`.
    """
    t0 = time.perf_counter()
    allowed, fixed, free, cand, k_free = _site_sets(cost.shape[1], p, fixed_idx, allowed)
    use, C, w = _weighted_rows(cost, weights, allowed)
    n, m = C.shape
    d_h = C[:, np.asarray(start_open, dtype=np.int64)].min(axis=1)
    tau = (margin * d_h + 1.0).astype(np.float32)
    rows_l, cols_l, cap_l = [], [], []
    step_rows = max(1, 4_000_000 // max(m, 1))
    for a in range(0, n, step_rows):
        blk = C[a : a + step_rows]
        inside = blk <= tau[a : a + step_rows, None]
        r, c = np.nonzero(inside)
        rows_l.append(r + a)
        cols_l.append(c)
        cap_l.append(np.where(inside, np.inf, blk).min(axis=1))
    er = np.concatenate(rows_l)
    ec = np.concatenate(cols_l)
    # float32 rounding must not lift the cap above a true time outside the list
    cap = np.minimum(np.concatenate(cap_l).astype(np.float64), BIG) * (1 - 1e-6)
    rows_used = np.flatnonzero(use)
    wd = w[er] * np.asarray(cost[rows_used[er], ec], dtype=np.float64)
    lam_cap = w * cap
    lam = np.minimum(w * d_h.astype(np.float64), lam_cap)

    def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        neg = np.minimum(wd - lam[er], 0.0)
        rho = np.bincount(ec, weights=neg, minlength=m)
        chosen = fixed.copy()
        if k_free > 0:
            chosen[cand[np.argsort(rho[cand], kind="stable")[:k_free]]] = True
        return float(lam.sum() + rho[chosen].sum()), chosen, neg

    def subgradient(lam: np.ndarray, chosen: np.ndarray, neg: np.ndarray) -> np.ndarray:
        served = chosen[ec] & (neg < 0)
        g = 1.0 - np.bincount(er[served], minlength=n)
        return np.where((lam >= lam_cap) & (g > 0), 0.0, g)

    run = _subgradient_driver(
        lam,
        evaluate=evaluate,
        primal=lambda chosen, _: float(w @ C[:, chosen].min(axis=1).astype(np.float64)),
        subgradient=subgradient,
        move=lambda lam, g, scale: np.clip(lam + scale * g, 0.0, lam_cap),
        target=upper,
        minimise=True,
        t0=t0,
        iterations=iterations,
        time_limit=time_limit,
        target_gap=target_gap,
        stall_limit=30,
    )
    best_lam, upper = run.lam, run.target
    if primal is not None and run.best_set is not None:
        primal.append(_polish(cost, weights, p, fixed_idx, allowed, run.best_set, time_limit, t0))
    L, chosen, neg = evaluate(best_lam)
    rho = np.bincount(ec, weights=neg, minlength=m)
    return _pmedian_fixing(best_lam.sum(), rho, fixed, free, cand, k_free, upper)
