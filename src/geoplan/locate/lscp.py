"""Location set covering problem (LSCP): fewest (or cheapest) sites so that all demand is within T."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from geoplan.locate.base import (
    LocationModel,
    MilpBuilder,
    check_minutes,
    cover_rows,
    fmt_ids,
    open_vector,
    optional_site_vector,
    relative_gap,
    solve_milp,
)
from geoplan.locate.heuristics import setcover_greedy


class LSCP(LocationModel):
    r"""Location set covering: the fewest sites (or the least total ``site_costs``) covering every demand row.

    Formulation (rows merged by identical cover sets ``N_u`` = allowed sites within ``T``)::

        min   Σ_j c_j y_j                  (c_j = 1 without site_costs: the number of sites)
        s.t.  Σ_{j ∈ N_u} y_j ≥ 1           ∀u
              y_j = 1 (fixed),  y_j = 0 (excluded),  y_j ∈ {0,1}

    Only rows with weight > 0 must be covered (all rows when ``weights`` is
    ``None``); rows a fixed site covers are dropped. Before solving, rows that
    no allowed site reaches within ``T`` are reported by
    :class:`~geoplan.errors.InfeasibleError`, with their ids and the time to their
    nearest allowed site. ``objective`` counts the fixed sites too.
    """

    name = "lscp"

    max_minutes: float
    site_costs: np.ndarray | None
    covered_share: float = math.nan

    @classmethod
    def from_cost_matrix(
        cls,
        cost,
        *,
        max_minutes: float,
        weights=None,
        site_ids: Sequence | None = None,
        demand_ids: Sequence | None = None,
        fixed: Sequence | None = None,
        excluded: Sequence | None = None,
        site_costs=None,
    ) -> LSCP:
        """Set up an LSCP (see the class docstring)."""
        self = cls._new(cost, weights, site_ids, demand_ids, fixed, excluded)
        self.max_minutes = check_minutes(max_minutes, model="lscp")
        self.site_costs = optional_site_vector(site_costs, self.cost.shape[1], name="site_costs")
        return self

    def solve(
        self,
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        mip_gap: float = 1e-4,
        msg: bool = False,
        warm_start: bool = True,
    ) -> LSCP:
        """Solve; sets ``status``, ``objective`` (number of sites or total cost), ``selected`` …"""
        t0 = time.perf_counter()
        self.solver = solver
        m = self.cost.shape[1]
        T = self.max_minutes
        fixed = self.fixed_idx
        covered_by_fixed = (
            (self.cost[:, fixed] <= T + 1e-9).any(axis=1)
            if len(fixed)
            else np.zeros(self.cost.shape[0], dtype=bool)
        )
        w_model = np.where(covered_by_fixed, 0.0, np.where(self.weights > 0, 1.0, 0.0))
        R = cover_rows(self.cost, T, allowed=self.allowed, weights=w_model)
        if len(R.empty_rows):
            bad = R.empty_rows
            near = np.where(self.allowed[None, :], self.cost[bad], np.inf).min(axis=1)
            detail = ", ".join(
                f"{self.demand_ids[i]!r} "
                + (f"(nearest allowed site {t:.1f} min)" if np.isfinite(t) else "(no allowed site reachable)")
                for i, t in zip(bad[:5], near[:5], strict=True)
            )
            more = f" … (+{len(bad) - 5} more)" if len(bad) > 5 else ""
            raise_to = f" (to {float(near.max()):g} covers them all)" if np.isfinite(near).all() else ""
            self._fail(
                f"lscp: {len(bad)} demand row(s) have no allowed site within {T:g} min: {detail}{more}\n"
                f"  fix: raise max_minutes{raise_to}, add candidate sites near them, or give them weight 0"
            )
        costs = np.ones(m) if self.site_costs is None else self.site_costs
        b = MilpBuilder()
        y_lb = np.zeros(m)
        y_lb[fixed] = 1.0
        y = b.add_cols(
            m, cost=costs, lb=y_lb, ub=self.allowed.astype(float), integer=True, name="y"
        )
        A = R.A.tocoo()
        nu = R.A.shape[0]
        b.add_rows(nu, A.row, y[A.col], 1.0, lb=1.0)
        milp = b.build(sense="min")
        ws = None
        if warm_start and nu > 0:
            g = setcover_greedy(
                R.A, fixed_idx=fixed, allowed=self.allowed, site_costs=self.site_costs
            )
            if g is not None:
                ws = open_vector(m, g)
        if nu == 0:  # nothing left to cover: the fixed sites suffice
            open_idx = fixed
            self.status, self.bound, self.gap = "optimal", float(costs[fixed].sum()), 0.0
        else:
            remaining = max(time_limit - (time.perf_counter() - t0), 0.5)
            out = solve_milp(
                milp, solver=solver, time_limit=remaining, mip_gap=mip_gap, msg=msg, warm_start=ws
            )
            x = self._check_outcome(out, "some demand row cannot be covered")
            open_idx = np.flatnonzero(x[:m] > 0.5)
            self.status = out.status
            self.bound = float(out.bound)
        self._open_idx = open_idx
        self.selected = self._site_order(open_idx)
        self.objective = float(costs[open_idx].sum())
        if nu > 0:
            self.gap = relative_gap(self.objective, self.bound)
            if self.status == "optimal":
                self.gap = min(self.gap, mip_gap) if self.gap > 0 else 0.0
        d, col = self._assign_nearest(open_idx)
        self._set_assignment(col)
        use = self.weights > 0
        self.covered_share = (
            float(self.weights[use & (d <= T + 1e-9)].sum() / self.weights[use].sum())
            if use.any()
            else 1.0
        )
        self.solve_seconds = time.perf_counter() - t0
        return self

    def summary(self) -> dict:
        d = super().summary()
        d.update(
            covered_share=self.covered_share, max_minutes=self.max_minutes, p=len(self.selected)
        )
        return d


__all__ = ["LSCP", "fmt_ids"]
