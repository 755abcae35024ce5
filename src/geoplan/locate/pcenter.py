"""p-center: least worst-case travel time with ``p`` sites (exact, by search over covering radii)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from geoplan.errors import SolverError
from geoplan.locate.base import (
    LocationModel,
    MilpBuilder,
    check_budget,
    check_p,
    cover_rows,
    fmt_ids,
    optional_site_vector,
    relative_gap,
    solve_milp,
)
from geoplan.locate.heuristics import pcenter_heuristic, setcover_greedy


class PCenter(LocationModel):
    r"""p-center: open ``p`` sites so that the longest time from a demand row to its nearest open site is least.

    The optimal radius is one of the travel times ``d_ij``. :meth:`solve` searches
    the sorted distinct times between a lower bound (the largest
    nearest-allowed-site time) and the radius of a greedy+swap heuristic, by
    bisection; each probe ``r`` asks whether ``p`` sites can cover every row
    within ``r``, a set-covering feasibility MILP (rows merged by cover set)::

        find  y ∈ {0,1}^J
        s.t.  Σ_{j ∈ N_u(r)} y_j ≥ 1    ∀u,     Σ_j y_j ≤ p,     Σ_j c_j y_j ≤ B (optional)
              y_j = 1 (fixed),  y_j = 0 (excluded)

    (a greedy cover is tried first; the MILP runs only when it fails). The
    answer is the smallest feasible radius. The open set found for it may have
    fewer than ``p`` sites; the rest are filled greedily by the largest drop in
    weighted mean time (the radius cannot grow), so ``selected`` has ``p``
    sites (or fewer when the budget stops it).

    Only rows with weight > 0 count (all rows when ``weights`` is ``None``).
    ``objective`` is the radius in minutes and ``bound`` the largest radius
    proven too small (the next distinct time above it); when time runs out
    ``status`` is ``"time_limit"`` with ``gap = (objective - bound)/objective``.
    """

    name = "pcenter"

    p: int
    site_costs: np.ndarray | None
    budget: float | None
    fill: bool
    probes: int = 0
    mean_minutes: float = math.nan

    @classmethod
    def from_cost_matrix(
        cls,
        cost,
        *,
        p: int,
        weights=None,
        site_ids: Sequence | None = None,
        demand_ids: Sequence | None = None,
        fixed: Sequence | None = None,
        excluded: Sequence | None = None,
        site_costs=None,
        budget: float | None = None,
        fill: bool = True,
    ) -> PCenter:
        """Set up a p-center model (see the class docstring)."""
        self = cls._new(cost, weights, site_ids, demand_ids, fixed, excluded)
        self.p = check_p(p, int(self.allowed.sum()), len(self.fixed_idx), model="pcenter")
        m = self.cost.shape[1]
        self.site_costs = optional_site_vector(site_costs, m, name="site_costs")
        self.budget = check_budget(budget, self.site_costs, model="pcenter")
        self.fill = fill
        return self

    def solve(
        self,
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        mip_gap: float = 1e-4,
        msg: bool = False,
        warm_start: bool = True,
    ) -> PCenter:
        """Solve by bisection on the radius (``mip_gap`` is unused: each probe is a feasibility question)."""
        t0 = time.perf_counter()
        self.solver = solver
        use = self.weights > 0
        C = np.where(self.allowed[None, :], self.cost, np.inf)[use]
        near = C.min(axis=1)
        if not np.isfinite(near).all():
            bad = np.flatnonzero(use)[~np.isfinite(near)]
            self._fail(
                f"pcenter: {len(bad)} demand row(s) reach no allowed site at all: "
                f"{fmt_ids([self.demand_ids[i] for i in bad])}\n"
                "  fix: give them a finite travel time to an allowed site or give them weight 0"
            )
        if (
            self.budget is not None
            and self.site_costs is not None
            and float(self.site_costs[self.fixed_idx].sum()) > self.budget + 1e-9
        ):
            self._fail(f"pcenter: the fixed sites cost more than the budget {self.budget:g}")
        lo_val = float(near.max())
        hi_open, hi_val = None, math.inf
        if self.budget is None:
            hi_open, hi_val = pcenter_heuristic(
                C,
                self.p,
                fixed_idx=self.fixed_idx,
                allowed=self.allowed,
                time_limit=min(10.0, time_limit / 4),
            )
        vals = np.unique(C[np.isfinite(C)])
        vals = vals[vals >= lo_val - 1e-12]
        if math.isfinite(hi_val):
            vals = vals[vals <= hi_val + 1e-12]
        lo, hi = (
            0,
            len(vals) - 1,
        )  # answer index in [lo, hi]; vals[hi] feasible once hi_open is known
        best_open = hi_open if math.isfinite(hi_val) else None  # an infinite radius is no upper bound
        if best_open is None:
            ok, sol = self._probe(
                C, vals[hi], solver, max(time_limit - (time.perf_counter() - t0), 0.5), msg
            )
            if ok is None:
                raise SolverError(
                    "pcenter: the solver ran out of time before finding any feasible set of sites; "
                    "raise time_limit"
                )
            if ok is False:
                budget = "" if self.budget is None else f" within budget {self.budget:g}"
                self._fail(
                    f"pcenter: no {self.p} sites{budget} reach every demand row (with weight > 0)\n"
                    "  fix: raise p (LSCP finds the fewest sites that reach every row), add travel times "
                    "between them, or give the rows nobody reaches weight 0"
                )
            best_open = sol
        timed_out = False
        self.probes = 0
        while lo < hi:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0.05:
                timed_out = True
                break
            mid = (lo + hi) // 2
            ok, sol = self._probe(C, vals[mid], solver, max(left, 0.1), msg)
            self.probes += 1
            if ok is None:
                timed_out = True
                break
            if ok:
                hi, best_open = mid, sol
            else:
                lo = mid + 1
        best_open = np.asarray(best_open, dtype=np.int64)
        if self.fill:
            best_open = self._fill(C, best_open)
        self._open_idx = best_open
        self.selected = self._site_order(best_open)
        self.objective = float(C[:, best_open].min(axis=1).max())
        self.bound = float(vals[lo])
        self.gap = relative_gap(self.objective, self.bound)
        self.status = "time_limit" if (timed_out and self.gap > 0) else "optimal"
        d, col = self._assign_nearest(best_open)
        self._set_assignment(col)
        w = self.weights
        self.mean_minutes = float(w[use] @ d[use] / w[use].sum())
        self.solve_seconds = time.perf_counter() - t0
        return self

    def _probe(self, C, r, solver, time_limit, msg):
        """Can ``p`` sites cover every row within ``r``? (True, sites) / (False, None) / (None, None) on timeout."""
        m = C.shape[1]
        fixed = self.fixed_idx
        cov_fixed = (
            (C[:, fixed] <= r + 1e-9).any(axis=1)
            if len(fixed)
            else np.zeros(C.shape[0], dtype=bool)
        )
        R = cover_rows(C, r, allowed=self.allowed, weights=np.where(cov_fixed, 0.0, 1.0))
        if len(R.empty_rows):
            return False, None
        if R.A.shape[0] == 0:
            return True, fixed.copy()
        if self.budget is None:
            g = setcover_greedy(R.A, fixed_idx=fixed, allowed=self.allowed)
            if g is not None and len(g) <= self.p:
                return True, g
        b = MilpBuilder()
        y_lb = np.zeros(m)
        y_lb[fixed] = 1.0
        y = b.add_cols(m, cost=0.0, lb=y_lb, ub=self.allowed.astype(float), integer=True, name="y")
        A = R.A.tocoo()
        b.add_rows(R.A.shape[0], A.row, y[A.col], 1.0, lb=1.0)
        b.add_rows(1, np.zeros(m), y, 1.0, ub=self.p)
        if self.budget is not None:
            b.add_rows(1, np.zeros(m), y, self.site_costs, ub=self.budget)
        out = solve_milp(
            b.build(sense="min"), solver=solver, time_limit=time_limit, mip_gap=0.0, msg=msg
        )
        if out.status == "infeasible":
            return False, None
        if out.x is None:
            return None, None
        return True, np.flatnonzero(out.x[:m] > 0.5)

    def _fill(self, C, open_idx) -> np.ndarray:
        w = self.weights[self.weights > 0]
        is_open = np.zeros(C.shape[1], dtype=bool)
        is_open[open_idx] = True
        Cf = np.where(np.isfinite(C), C, 1e7)
        d = Cf[:, is_open].min(axis=1)
        spent = float(self.site_costs[is_open].sum()) if self.site_costs is not None else 0.0
        while is_open.sum() < self.p:
            ok = self.allowed & ~is_open
            if self.budget is not None and self.site_costs is not None:
                ok &= self.site_costs + spent <= self.budget + 1e-9
            if not ok.any():
                break
            gain = w @ np.maximum(d[:, None] - Cf, 0.0)
            gain = np.where(ok, gain, -1.0)
            j = int(np.argmax(gain))
            is_open[j] = True
            d = np.minimum(d, Cf[:, j])
            if self.site_costs is not None:
                spent += float(self.site_costs[j])
        return np.flatnonzero(is_open)

    def summary(self) -> dict:
        d = super().summary()
        d.update(p=self.p, mean_minutes=self.mean_minutes)
        return d
