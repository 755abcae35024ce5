r"""Benders decomposition for large uncapacitated MCLP and p-median instances.

At national size (44,521 cells × 2,000 candidate sites) the compact models are
too large for HiGHS: the MCLP cover model has about 2 M entries and its root
LP alone took over five minutes; the p-median radius model has tens of
millions. Both objectives are sums over demand rows of a function of the site
vector ``y`` alone, so the demand rows can be projected out (Benders): a small
master problem over ``y`` and one variable ``θ_g`` per *group* of demand rows
collects cuts that under-estimate each group's contribution, and every cut is
computed in closed form from the current ``ȳ`` — no sub-LP is solved
(Cordeau, Furini & Ljubić 2019 for the cover cuts; the p-median cut is the
dual of the radius formulation, Elloumi 2010, per row).

The engine minimises ``F(y) = c·y + Σ_g F_g(y)`` with each ``F_g`` convex and
piecewise linear (MCLP: ``F = −covered weight``; p-median: weighted minutes)::

    min   c·y + Σ_g θ_g
    s.t.  θ_g + B_g·y ≥ a_g          for every cut (g, a_g, B_g) found so far
          θ_g ≥ L_g                   (a valid lower bound of F_g)
          Σ_j y_j = p,   y_j = 1 (fixed),  y_j = 0 (excluded),  y ∈ {0,1}

Cuts (``w_u`` row weight, ``ȳ`` the point cut at):

- MCLP, row ``u`` with cover set ``N_u`` and ``cov_u = Σ_{j∈N_u} ȳ_j``:
  ``−w_u min(1, Σ_{N_u} y_j) ≥ −w_u`` when ``cov_u ≥ 1``, else ``≥ −w_u Σ_{N_u} y_j``.
- p-median, row ``u`` with sites sorted by time ``c_u1 ≤ c_u2 ≤ …`` and any
  level ``D``: ``min_{j open} c_uj ≥ D − Σ_{j: c_uj < D} (D − c_uj) y_j``; the
  level is where the cumulative ``ȳ`` over the sorted sites reaches 1 (tight at
  ``ȳ``). Only the ``K`` nearest sites of a row are kept; beyond its list the
  level is capped at the ``K``-th time, which keeps the cut valid (weaker).

Rows are grouped geographically (the rows nearest to each of a set of
landmark sites), so a group's cut touches only the sites near it and the
master stays sparse.

Algorithm: (1) a heuristic incumbent; (2) the LP master by Kelley's cutting
planes with in-out stabilisation (Ben-Ameur & Neto 2007; separation at a
point between the LP solution and a core point, Fischetti, Ljubić & Sinnl
2017) and rounding of each LP point to an integer solution; (3)
reduced-cost fixing of sites against the incumbent; (4) rounds of the integer
master, warm-started from the incumbent: each master solution is evaluated
exactly (a new incumbent when better) and cut off when the master
under-estimated it. The master's dual bound is a valid bound of the full
problem at every round, so the reported gap is proven.

Limits: only the plain models (no capacities, budget, equity floors, or
p-median time cap); HiGHS has no lazy-constraint callback, so each integer
round is a fresh branch-and-bound; a time limit ends with the best solution
and the proven bound.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from geoplan.locate.base import _c_stdout_silenced, _read_highs

#: demand rows per group of Benders cuts, on average (see :func:`landmark_groups`), and the
#: most groups. National (30,489 merged MCLP rows, 44,521 p-median rows): 1,000 groups took
#: 16 LP rounds for MCLP; 102 groups needed 67
ROWS_PER_GROUP = 30
MAX_GROUPS = 1000
#: share of the time limit for the LP phase
LP_TIME_SHARE = 0.4
#: in-out: weight of the LP point in the separation point, and of the core point update
INOUT_LAMBDA = 0.3
#: stop the LP phase when its bound is within this relative distance of the best LP point value
LP_REL_TOL = 2e-5


class CutOracle(Protocol):
    """What the engine needs of a model: group cuts at any ``ȳ``, exact values at integer ones."""

    n_sites: int
    n_groups: int
    linear: np.ndarray  # per-site linear term of F (rows folded onto one site)
    lower: np.ndarray  # per-group lower bound of F_g

    def cuts(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        """``(F_g value of the cut at y, a_g, B_g)`` per group; ``a_g − B_g·y`` is the cut at ``y``."""
        ...

    def exact(self, open_idx: np.ndarray) -> np.ndarray:
        """Exact ``F_g`` per group of the integer solution with ``open_idx`` open."""
        ...


@dataclass
class BendersOutcome:
    """What :func:`benders_solve` found (minimisation form, ``F`` without the offset)."""

    open_idx: np.ndarray
    value: float  # F of the incumbent
    bound: float  # proven lower bound of min F
    gap: float  # relative to |value + offset|
    status: str  # "optimal" (gap within mip_gap) | "time_limit"
    lp_rounds: int
    mip_rounds: int
    cuts: int
    sites_fixed: int
    seconds: float


def landmark_groups(cost: np.ndarray, *, allowed: np.ndarray, n_groups: int) -> np.ndarray:
    """Group demand rows by their nearest landmark site (a group code per row).

    Landmarks are chosen greedily, k-centre style, in travel time: the first is
    the site nearest to row 0; each next one is the allowed site nearest to
    the row whose nearest landmark is farthest beyond its own nearest site.
    Deterministic; ``O(n · n_groups)``.
    Rows that reach no allowed site go to group 0. Codes are renumbered ``0..G-1``.
    """
    n = cost.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cols = np.flatnonzero(allowed)
    k = max(1, min(int(n_groups), len(cols), n))
    sub = cost if len(cols) == cost.shape[1] else cost[:, cols]  # no copy when all are allowed
    own = sub.min(axis=1)  # each row's nearest allowed site
    chosen: list[int] = []
    dmin = np.full(n, np.inf)
    row = 0
    for _ in range(k):
        j = int(np.argmin(sub[row]))
        chosen.append(j)
        dmin = np.minimum(dmin, sub[:, j])
        # the row worst served by the landmarks so far, against its own nearest site
        excess = np.where(np.isfinite(dmin) & np.isfinite(own), dmin - own, -1.0)
        row = int(np.argmax(excess))
        if not excess[row] > 0:
            break
    code = np.zeros(n, dtype=np.int64)
    step = max(256, 8_000_000 // len(chosen))
    for s0 in range(0, n, step):  # n x landmarks, a block of rows at a time
        D = sub[s0 : s0 + step][:, chosen]
        c = np.argmin(D, axis=1)
        c[~np.isfinite(D).any(axis=1)] = 0
        code[s0 : s0 + len(D)] = c
    _, code = np.unique(code, return_inverse=True)
    return code.ravel().astype(np.int64)


# --------------------------------------------------------------------------- oracles


class CoverCuts:
    """MCLP cuts on merged cover rows (see the module docstring); ``F = −covered weight``."""

    def __init__(
        self, A: sp.csr_matrix, weight: np.ndarray, group: np.ndarray, *, linear: np.ndarray
    ) -> None:
        self.A = sp.csr_matrix(A, dtype=np.float64)
        self.w = np.asarray(weight, dtype=np.float64)
        self.group = np.asarray(group, dtype=np.int64)
        self.n_sites = self.A.shape[1]
        self.n_groups = int(self.group.max()) + 1 if len(self.group) else 1
        self.linear = np.asarray(linear, dtype=np.float64)
        self.lower = -np.bincount(self.group, weights=self.w, minlength=self.n_groups)

    def cuts(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        cov = self.A @ y
        unc = cov < 1.0 - 1e-9
        G, nu = self.n_groups, len(self.w)
        val = -np.bincount(self.group, weights=self.w * np.minimum(cov, 1.0), minlength=G)
        a = -np.bincount(self.group[~unc], weights=self.w[~unc], minlength=G)
        r = np.flatnonzero(unc)
        S = sp.csr_matrix((self.w[r], (self.group[r], r)), shape=(G, nu))
        return val, a, sp.csr_matrix(S @ self.A)

    def exact(self, open_idx: np.ndarray) -> np.ndarray:
        y = np.zeros(self.n_sites)
        y[open_idx] = 1.0
        return self.cuts(y)[0]


class MedianCuts:
    """p-median cuts from each row's ``K`` nearest sites; exact values on the full matrix."""

    def __init__(
        self, C: np.ndarray, weight: np.ndarray, group: np.ndarray, *, allowed: np.ndarray, k: int
    ) -> None:
        self.C = C
        self.w = np.asarray(weight, dtype=np.float64)
        self.group = np.asarray(group, dtype=np.int64)
        n, m = C.shape
        self.n_sites = m
        self.n_groups = int(self.group.max()) + 1 if n else 1
        self.linear = np.zeros(m)
        self.allowed = allowed
        self.idx, self.dist = nearest_lists(C, allowed=allowed, k=k)
        self.valid = np.isfinite(self.dist)
        d1 = np.where(self.valid[:, 0], self.dist[:, 0], 0.0)
        self.lower = np.bincount(self.group, weights=self.w * d1, minlength=self.n_groups)

    def cuts(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        n, K = self.idx.shape
        G, m = self.n_groups, self.n_sites
        yk = np.where(self.valid, y[self.idx], 0.0)
        cum = np.cumsum(yk, axis=1)
        reach = cum >= 1.0 - 1e-9
        kstar = np.where(reach.any(axis=1), reach.argmax(axis=1), self.valid.sum(axis=1) - 1)
        kstar = np.maximum(kstar, 0)
        D = self.dist[np.arange(n), kstar]
        D = np.where(np.isfinite(D), D, 0.0)
        closer = self.valid & (self.dist < D[:, None])
        ii, kk = np.nonzero(closer)
        coef = self.w[ii] * (D[ii] - self.dist[ii, kk])
        B = sp.csr_matrix((coef, (self.group[ii], self.idx[ii, kk])), shape=(G, m))
        a = np.bincount(self.group, weights=self.w * D, minlength=G)
        return a - B @ y, a, B

    def exact(self, open_idx: np.ndarray) -> np.ndarray:
        d = self.C[:, np.asarray(open_idx, dtype=np.int64)].min(axis=1)
        return np.bincount(self.group, weights=self.w * d, minlength=self.n_groups)


def nearest_lists(
    C: np.ndarray, *, allowed: np.ndarray, k: int, chunk: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest allowed sites of every row, sorted by time: ``(sites int32, minutes)``.

    Rows are done in chunks with :func:`numpy.argpartition` (no full sort, no
    full-size index copy). Missing entries (fewer than ``k`` reachable sites)
    have time ``inf``.
    """
    n, m = C.shape
    cols = np.flatnonzero(allowed)
    k = max(1, min(int(k), len(cols)))
    idx = np.zeros((n, k), dtype=np.int32)
    dist = np.full((n, k), np.inf)
    for s in range(0, n, chunk):
        sub = np.asarray(C[s : s + chunk][:, cols], dtype=np.float64)
        if k < len(cols):
            part = np.argpartition(sub, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(len(cols)), sub.shape).copy()
        dv = np.take_along_axis(sub, part, axis=1)
        o = np.argsort(dv, axis=1, kind="stable")
        idx[s : s + chunk] = cols[np.take_along_axis(part, o, axis=1)]
        dist[s : s + chunk] = np.take_along_axis(dv, o, axis=1)
    return idx, dist


# --------------------------------------------------------------------------- master


class _Master:
    """The Benders master in HiGHS, grown by rows (cuts); columns ``y`` (m) then ``θ`` (G)."""

    def __init__(
        self, oracle: CutOracle, *, p: int, y_lb: np.ndarray, y_ub: np.ndarray, offset: float
    ) -> None:
        import highspy

        with _c_stdout_silenced(True):
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        self.h = h
        self.hs = highspy
        m, G = oracle.n_sites, oracle.n_groups
        self.m, self.G = m, G
        inf = highspy.kHighsInf
        e = np.zeros(0, dtype=np.int32)
        h.addCols(
            m,
            oracle.linear.astype(np.float64),
            y_lb.astype(np.float64),
            y_ub.astype(np.float64),
            0,
            e,
            e,
            np.zeros(0),
        )
        h.addCols(
            G, np.ones(G), oracle.lower.astype(np.float64), np.full(G, inf), 0, e, e, np.zeros(0)
        )
        h.addRows(
            1,
            np.array([float(p)]),
            np.array([float(p)]),
            m,
            np.array([0], np.int32),
            np.arange(m, dtype=np.int32),
            np.ones(m),
        )
        h.changeObjectiveOffset(float(offset))  # HiGHS's relative gap is then the model's
        self.offset = float(offset)
        self.integer = False
        self.n_cuts = 0

    def add_cuts(self, groups: np.ndarray, a: np.ndarray, B: sp.csr_matrix) -> None:
        """Rows ``θ_g + B_g·y ≥ a_g`` for the listed groups (``B`` rows and ``a`` by group)."""
        if len(groups) == 0:
            return
        Bs = sp.csr_matrix(B[groups])
        Bs.sort_indices()
        nnz_row = np.diff(Bs.indptr)
        starts = np.concatenate([[0], np.cumsum(nnz_row + 1)[:-1]]).astype(np.int32)
        total = int(Bs.nnz + len(groups))
        index = np.empty(total, dtype=np.int32)
        value = np.empty(total)
        pos_theta = starts
        index[pos_theta] = self.m + groups
        value[pos_theta] = 1.0
        mask = np.ones(total, dtype=bool)
        mask[pos_theta] = False
        index[mask] = Bs.indices
        value[mask] = Bs.data
        self.h.addRows(
            len(groups),
            a[groups].astype(np.float64),
            np.full(len(groups), self.hs.kHighsInf),
            total,
            starts,
            index,
            value,
        )
        self.n_cuts += len(groups)

    def set_integer(self, on: bool) -> None:
        self.integer = on
        t = self.hs.HighsVarType.kInteger if on else self.hs.HighsVarType.kContinuous
        self.h.changeColsIntegrality(
            self.m, np.arange(self.m, dtype=np.int32), np.full(self.m, int(t), dtype=np.uint8)
        )

    def fix(self, idx: np.ndarray, value: float) -> None:
        if len(idx):
            v = np.full(len(idx), float(value))
            self.h.changeColsBounds(len(idx), idx.astype(np.int32), v, v)

    def run(
        self, *, time_limit: float, mip_gap: float = 1e-4, start: np.ndarray | None = None
    ) -> tuple[str, np.ndarray | None, float, float, np.ndarray | None]:
        """Solve; ``(status, x, objective, bound, reduced costs or None)``, without the offset."""
        h = self.h
        h.setOptionValue("time_limit", max(float(time_limit), 0.5))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if start is not None:
            sol = self.hs.HighsSolution()
            sol.col_value = np.asarray(start, dtype=np.float64)
            h.setSolution(sol)
        h.run()
        status, x, obj, bound, _ = _read_highs(h, self.integer)
        rc = None
        if not self.integer and status == "optimal":
            rc = np.asarray(h.getSolution().col_dual)[: self.m]
        return status, x, obj - self.offset, bound - self.offset, rc


# --------------------------------------------------------------------------- engine


def _integer_round(ybar: np.ndarray, p: int, y_lb: np.ndarray, y_ub: np.ndarray) -> np.ndarray:
    """The ``p`` largest entries of ``ȳ`` among allowed sites, fixed ones first."""
    score = np.where(y_ub > 0.5, ybar, -np.inf) + np.where(y_lb > 0.5, 10.0, 0.0)
    order = np.lexsort((np.arange(len(ybar)), -score))
    return np.sort(order[:p])


def benders_solve(
    oracle: CutOracle,
    *,
    p: int,
    y_lb: np.ndarray,
    y_ub: np.ndarray,
    start_open: np.ndarray,
    offset: float = 0.0,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    improve: Callable[[np.ndarray], np.ndarray] | None = None,
) -> BendersOutcome:
    """Minimise ``F`` over ``p`` open sites by Benders cuts (see the module docstring).

    ``start_open``: a feasible integer solution (e.g. greedy+swap), the first
    incumbent and the first core point. ``offset`` is added to ``F`` for the
    relative gap (``|F + offset|`` is the model's objective). Returns the best
    solution found, its exact value and the proven lower bound. ``improve``
    (e.g. a swap local search) maps open sites to open sites; it is run once,
    from the rounded last LP point, before sites are fixed by reduced costs.
    """
    t0 = time.perf_counter()
    m = oracle.n_sites
    y_lb = np.asarray(y_lb, dtype=np.float64)
    y_ub = np.asarray(y_ub, dtype=np.float64)

    def elapsed() -> float:
        return time.perf_counter() - t0

    def exact_total(open_idx: np.ndarray) -> tuple[float, np.ndarray]:
        Fg = oracle.exact(open_idx)
        return float(oracle.linear[open_idx].sum() + Fg.sum()), Fg

    def gap_of(value: float, bound: float) -> float:
        if not (math.isfinite(value) and math.isfinite(bound)):
            return math.inf
        return max(value - bound, 0.0) / max(abs(value + offset), 1e-12)

    best_open = np.sort(np.asarray(start_open, dtype=np.int64))
    best, best_g = exact_total(best_open)
    scale = max(abs(best + offset), 1e-9)
    tol = 1e-9 * scale
    M = _Master(oracle, p=p, y_lb=y_lb, y_ub=y_ub, offset=offset)

    def add_violated(
        y: np.ndarray, theta: np.ndarray | None, at: np.ndarray | None = None
    ) -> tuple[int, np.ndarray]:
        """Add the cuts generated at ``y`` that the master point ``(at, theta)`` violates.

        ``theta=None``: every cut above its group's lower bound. ``at`` defaults to ``y``.
        Returns the number of cuts added and the cut values ``F_g`` at ``y``.
        """
        val, a, B = oracle.cuts(y)
        if theta is None:
            g = np.flatnonzero(val > oracle.lower + tol)
        else:
            cut_at = a - B @ (y if at is None else at)
            g = np.flatnonzero(cut_at > theta + tol)
        M.add_cuts(g, a, B)
        return len(g), val

    def try_incumbent(open_idx: np.ndarray) -> bool:
        nonlocal best, best_open, best_g
        v, Fg = exact_total(open_idx)
        if v < best - tol:
            best, best_open, best_g = v, open_idx, Fg
            return True
        return False

    y_best = np.zeros(m)
    y_best[best_open] = 1.0
    add_violated(y_best, None)
    # ---- LP phase
    core = y_best.copy()
    lam = INOUT_LAMBDA
    lp_rounds = 0
    stall = 0
    rc = None
    lp_bound = -math.inf
    lp_deadline = LP_TIME_SHARE * time_limit
    ybar_last: np.ndarray | None = None
    verbose = bool(os.environ.get("GEOPLAN_BENDERS_LOG"))
    while elapsed() < lp_deadline:
        status, x, obj, bnd, rc_now = M.run(time_limit=lp_deadline - elapsed())
        if status != "optimal" or x is None:
            break
        lp_rounds += 1
        ybar, theta = x[:m], x[m:]
        ybar_last = ybar
        if bnd > lp_bound + 1e-6 * scale:
            stall = 0
        else:
            stall += 1
        lp_bound = max(lp_bound, bnd)
        rc = rc_now
        if verbose:
            print(
                f"  LP {lp_rounds}: {elapsed():.1f} s bound {lp_bound:.6g} best {best:.6g} "
                f"cuts {M.n_cuts} lam {lam}",
                flush=True,
            )
        rounded = _integer_round(ybar, p, y_lb, y_ub)
        if try_incumbent(rounded):
            yr = np.zeros(m)
            yr[rounded] = 1.0
            add_violated(yr, None)  # cuts at integer points help the integer rounds
        ysep = lam * ybar + (1.0 - lam) * core
        added, val_sep = add_violated(ysep, theta, ybar)
        ub_lp = float(oracle.linear @ ysep + val_sep.sum())
        if added == 0:
            added, _ = add_violated(ybar, theta)
            if added == 0:
                break  # the LP master is exact at ȳ: LP optimum reached
        core = 0.5 * core + 0.5 * ybar
        if stall >= 5:
            lam = 1.0
        if gap_of(best, lp_bound) <= mip_gap:
            break
        if (ub_lp - lp_bound) <= LP_REL_TOL * scale and lam == 1.0:
            break
        if (ub_lp - lp_bound) <= LP_REL_TOL * scale:
            lam = 1.0
    if improve is not None and elapsed() < time_limit:
        # local search from the rounded last LP point (the incumbent is often a local optimum)
        st_open = best_open if ybar_last is None else _integer_round(ybar_last, p, y_lb, y_ub)
        better = np.sort(np.asarray(improve(st_open), dtype=np.int64))
        if len(better) == p and try_incumbent(better):
            yr = np.zeros(m)
            yr[better] = 1.0
            add_violated(yr, None)
    # ---- reduced-cost fixing against the incumbent (valid: the master LP is a relaxation)
    fixed0 = np.zeros(0, dtype=np.int64)
    fixed1 = np.zeros(0, dtype=np.int64)
    if rc is not None and math.isfinite(lp_bound):
        free = (y_ub > 0.5) & (y_lb < 0.5)
        fixed0 = np.flatnonzero(free & (rc > 0) & (lp_bound + rc > best + tol))
        fixed1 = np.flatnonzero(free & (rc < 0) & (lp_bound - rc > best + tol))
        M.fix(fixed0, 0.0)
        M.fix(fixed1, 1.0)
    # ---- integer rounds
    M.set_integer(True)
    mip_rounds = 0
    lb = lp_bound
    status = "optimal" if gap_of(best, lb) <= mip_gap else "time_limit"
    while status != "optimal" and elapsed() < time_limit - 0.5:
        start = np.concatenate([np.zeros(m), best_g])
        start[best_open] = 1.0
        st, x, obj, bnd, _ = M.run(
            time_limit=time_limit - elapsed(), mip_gap=mip_gap / 2, start=start
        )
        mip_rounds += 1
        if verbose:
            print(
                f"  MIP {mip_rounds}: {elapsed():.1f} s {st} master {obj:.6g} bound {bnd:.6g} "
                f"best {best:.6g} cuts {M.n_cuts}",
                flush=True,
            )
        if math.isfinite(bnd):
            # the master with the sites fixed against the incumbent: min over the rest,
            # and the incumbent covers the sites ruled out
            lb = max(lb, min(bnd, best))
        if x is None:
            break
        cand = np.sort(np.flatnonzero(x[:m] > 0.5))
        if len(cand) == p:
            try_incumbent(cand)
            ycand = np.zeros(m)
            ycand[cand] = 1.0
            added, _ = add_violated(ycand, x[m:])
        else:
            added = 0
        if gap_of(best, lb) <= mip_gap:
            status = "optimal"
            break
        if added == 0 and st == "optimal":
            # the master was exact at its optimum: that optimum is the problem's
            lb = max(lb, min(obj, best))
            status = "optimal" if gap_of(best, lb) <= mip_gap else "time_limit"
            break
    lb = min(lb, best)
    return BendersOutcome(
        open_idx=best_open,
        value=best,
        bound=lb,
        gap=gap_of(best, lb),
        status="optimal" if gap_of(best, lb) <= mip_gap else "time_limit",
        lp_rounds=lp_rounds,
        mip_rounds=mip_rounds,
        cuts=M.n_cuts,
        sites_fixed=int(len(fixed0) + len(fixed1)),
        seconds=elapsed(),
    )


__all__ = [
    "BendersOutcome",
    "CoverCuts",
    "CutOracle",
    "MedianCuts",
    "benders_solve",
    "landmark_groups",
    "nearest_lists",
]
