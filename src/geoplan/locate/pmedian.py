"""p-median: least demand-weighted mean travel time with ``p`` sites (exact, sparse, iterative)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence

import numpy as np

from geoplan.errors import InputError, plain
from geoplan.locate.base import (
    LocationModel,
    MilpBuilder,
    check_budget,
    check_p_or_budget,
    fmt_ids,
    open_vector,
    optional_site_vector,
    relative_gap,
    solve_milp,
)
from geoplan.locate.benders import (
    MAX_GROUPS,
    ROWS_PER_GROUP,
    MedianCuts,
    benders_solve,
    landmark_groups,
)
from geoplan.locate.heuristics import (
    pmedian_heuristic,
    pmedian_lagrangian,
    pmedian_lagrangian_sparse,
)

#: run the Lagrangian bound first above this many demand × site pairs
LAGRANGIAN_MIN_PAIRS = 100_000
#: from this many demand × site pairs the Lagrangian runs on the near pairs only (national:
#: 89 M pairs, where one dense subgradient step takes about a second)
SPARSE_LAGRANGIAN_MIN_PAIRS = 20_000_000
#: solve plain models by Benders cuts (:mod:`geoplan.locate.benders`) from this many
#: demand × site pairs on. Measured on the benchmark's road-grid instances (HiGHS, 2 CPUs):
#: 5,000 × 200 p=15 default gap: compact 60 s time limit (gap 0.61 %), cuts 2.3 s optimal;
#: 13,000 × 500 p=10 gap 0.5 %: compact 39 s, cuts 7.2 s; p=20: compact 122 s time limit
#: (gap 1.5 %), cuts 5.9 s optimal; 2,500 × 100: both 0.1–0.4 s. National (44,521 × 2,000,
#: p=20): the compact lists needed > 2 M rows and 11 GB; the cuts reach about 0.3 %
CUTS_MIN_PAIRS = 1_000_000
#: shortest nearest-site list per row for the cuts
CUTS_MIN_LIST = 300
#: above this many list entries no MILP is built: the Lagrangian bound is the result (national:
#: a 2 M-row MILP took 11 GB and did not finish its root LP in minutes)
MILP_SKIP_ENTRIES = 1_000_000
#: above this many list entries the MILP rarely beats the Lagrangian bound in time: give it the time
MILP_MAX_ENTRIES = 300_000


class PMedian(LocationModel):
    r"""p-median: choose ``p`` sites minimising the weighted mean travel time to the nearest open site.

    Formulation (radius formulation of Elloumi 2010, per demand row ``i``
    with its allowed sites sorted by time ``d_i1 ≤ d_i2 ≤ …`` — sites ``j_i1,
    j_i2, …``)::

        min   Σ_i w_i [ d_i1 + Σ_{k=1..K_i} (d_i,k+1 − d_ik) z_ik ]
        s.t.  z_i1 + y_{j_i1} ≥ 1                         ∀i
              z_ik − z_i,k−1 + y_{j_ik} ≥ 0               ∀i, k = 2..K_i
              Σ_j y_j = p                                  (≤ p when a budget is given)
              Σ_j c_j y_j ≤ B                              (optional budget)
              y_j = 1 (fixed),  y_j = 0 (excluded),  y ∈ {0,1},  0 ≤ z ≤ 1

    ``z_ik`` = 1 when none of the ``k`` nearest sites of ``i`` is open. The list
    of row ``i`` is cut after its first fixed site (always open) and after the
    last site within ``max_minutes`` (the hard cap: every row must have an open
    site within it; there ``z_iK ≤ 0``). Where the list is cut short (``K_i``
    below the number of candidates), the last term charges ``d_i,K+1`` — a
    lower bound on the true time — so the restricted model is a relaxation.
    :meth:`solve` starts with ``K_i`` from a greedy+swap heuristic, solves,
    lengthens the lists of rows whose nearest open site lies beyond their
    list, and repeats until the solution's true cost (evaluated on the full
    matrix) meets the proven bound within ``mip_gap``, or time runs out. The
    bound is valid for the full problem at every step.

    With ``capacities`` (per site, in weight units) the classical assignment
    form is used instead, with split assignment allowed::

        min   Σ_i Σ_{j ∈ L_i} w_i d_ij x_ij + Σ_i w_i d_i,K+1 f_i
        s.t.  Σ_{j ∈ L_i} x_ij + f_i = 1,   x_ij ≤ y_j,   Σ_i w_i x_ij ≤ K_j y_j

    (``f_i`` is the fallback beyond the list, 0 when the list is complete.)

    Attributes after :meth:`solve`: ``objective`` and ``bound`` are weighted
    mean minutes; ``total_minutes`` the weighted sum; ``max_assigned_minutes``
    the worst assigned time; ``assignment`` the nearest open site (with
    capacities: the site that carries the largest share of the row);
    ``iterations`` the number of MILP rounds.
    """

    name = "pmedian"

    p: int | None
    max_minutes: float | None
    site_costs: np.ndarray | None
    budget: float | None
    capacities: np.ndarray | None
    total_minutes: float = math.nan
    max_assigned_minutes: float = math.nan
    iterations: int = 0
    merged_rows: int = 0
    lagrangian_bound: float | None = None
    sites_ruled_out: int = 0
    engine: str = "milp"
    benders: dict | None = None
    K: np.ndarray
    _cap_x: np.ndarray
    _cap_layout: dict | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        cost,
        *,
        p: int | None,
        weights=None,
        site_ids: Sequence | None = None,
        demand_ids: Sequence | None = None,
        fixed: Sequence | None = None,
        excluded: Sequence | None = None,
        max_minutes: float | None = None,
        site_costs=None,
        budget: float | None = None,
        capacities=None,
    ) -> PMedian:
        """Set up a p-median model (see the class docstring for the parameters' meaning)."""
        self = cls._new(cost, weights, site_ids, demand_ids, fixed, excluded)
        m = self.cost.shape[1]
        self.p = check_p_or_budget(
            p, budget, int(self.allowed.sum()), len(self.fixed_idx), model="pmedian"
        )
        if max_minutes is not None and (not np.isfinite(max_minutes) or max_minutes < 0):
            raise InputError(
                None,
                f"pmedian: max_minutes must be finite and >= 0, got {plain(max_minutes)}",
                "pass a cap in minutes, or None for no cap",
            )
        self.max_minutes = None if max_minutes is None else float(max_minutes)
        self.site_costs = optional_site_vector(site_costs, m, name="site_costs")
        self.budget = check_budget(budget, self.site_costs, model="pmedian")
        self.capacities = optional_site_vector(capacities, m, name="capacities")
        return self

    # ------------------------------------------------------------------
    def _effective_cost(self) -> np.ndarray:
        """The cost matrix with inf for excluded sites and beyond ``max_minutes`` (read only:
        ``self.cost`` itself when nothing is masked)."""
        if self.allowed.all() and self.max_minutes is None:
            return self.cost
        C = self.cost.copy()
        C[:, ~self.allowed] = np.inf
        if self.max_minutes is not None:
            C[self.max_minutes + 1e-9 < C] = np.inf
        return C

    def _precheck(self, C: np.ndarray, use: np.ndarray) -> None:
        reach = np.isfinite(C).any(axis=1)
        bad = np.flatnonzero(use & ~reach)
        if len(bad):
            ids = [self.demand_ids[i] for i in bad]
            where = (
                f"within max_minutes={self.max_minutes:g}"
                if self.max_minutes is not None
                else "at all"
            )
            self._fail(
                f"pmedian: {len(bad)} demand row(s) reach no allowed site {where}: {fmt_ids(ids)}\n"
                "  fix: give them a finite travel time to an allowed site"
                + (", raise max_minutes" if self.max_minutes is not None else "")
                + " or give them weight 0"
            )
        if self.budget is not None:
            assert self.site_costs is not None  # checked in from_cost_matrix
            fc = float(self.site_costs[self.fixed_idx].sum())
            if fc > self.budget + 1e-9:
                self._fail(
                    f"pmedian: the fixed sites cost {fc:g}, more than the budget {self.budget:g}"
                )
        if self.capacities is not None:
            cap = (
                float(self.capacities[self.allowed].sum())
                if self.p is None
                else float(np.sort(self.capacities[self.allowed])[::-1][: self.p].sum())
            )
            need = float(self.weights[use].sum())
            if cap + 1e-9 < need:
                self._fail(
                    f"pmedian: total demand {need:g} exceeds the capacity of the {self.p or 'allowed'} "
                    f"largest sites ({cap:g})"
                )

    def solve(
        self,
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        mip_gap: float = 1e-4,
        msg: bool = False,
        warm_start: bool = True,
        initial_k: int = 4,
        lagrangian: bool | None = None,
        cuts: bool | None = None,
    ) -> PMedian:
        """Solve (iteratively lengthening the candidate lists, see the class docstring).

        Parameters
        ----------
        solver, time_limit, mip_gap, msg
            See :func:`geoplan.locate.base.solve_milp`; ``time_limit`` covers the whole call.
        warm_start
            Run the greedy+swap heuristic first (upper bound, warm start, initial list lengths).
        initial_k
            Minimum list length per row.
        lagrangian
            Run the Lagrangian bound first (``None``: only when demand × sites > 100 000;
            it gets 40 % of the time, 90 % when the MILP lists would exceed 300 000 entries). It
            may prove the gap alone, and it rules out sites that cannot beat the heuristic.
        cuts
            Solve by Benders cuts instead (:mod:`geoplan.locate.benders`; ``None``: from
            :data:`CUTS_MIN_PAIRS` demand × site pairs on). Plain models only (``p``; no
            capacities, budget or ``max_minutes``). The demand rows leave the model; a master
            over the sites collects closed-form cuts from each row's nearest sites and its
            bound is proven at every round. ``engine`` says which was used (``"milp"`` |
            ``"benders"``), ``benders`` its rounds and cuts; ``solver`` does not apply.
        """
        t0 = time.perf_counter()
        self.solver = solver
        w_all = self.weights
        use = w_all > 0
        C_all = self._effective_cost()
        self._precheck(C_all, use)
        rows = np.flatnonzero(use)
        C = C_all if len(rows) == len(use) else C_all[rows]  # read only (copied where changed)
        w = w_all[rows]
        W = float(w.sum())
        const = 0.0
        self.merged_rows = len(rows)
        if self.capacities is None:
            C, w, const = merge_shifted_rows(C, w)
            self.merged_rows = C.shape[0]
        n, m = C.shape
        plain = self.capacities is None and self.budget is None and self.max_minutes is None
        plain = plain and self.p is not None
        if cuts and not plain:
            raise InputError(
                None,
                "pmedian: cuts=True solves only the plain model (p sites; no capacities, "
                "budget or max_minutes)",
                "leave cuts=None (automatic) or drop those options",
            )
        self.engine = (
            "benders"
            if plain and (cuts if cuts is not None else n * m >= CUTS_MIN_PAIRS)
            else "milp"
        )
        self.benders = None
        if self.engine == "benders":
            self.lagrangian_bound = None
            self.sites_ruled_out = 0
            self._solve_by_cuts(
                C_all, C, w, const, W, time_limit=time_limit, mip_gap=mip_gap, t0=t0
            )
            self.solve_seconds = time.perf_counter() - t0
            return self
        order = np.argsort(C, axis=1, kind="stable")
        Cs = np.take_along_axis(C, order, axis=1)
        nfin = np.isfinite(Cs).sum(axis=1)
        limit = nfin.copy()
        if len(self.fixed_idx):
            isfix = np.zeros(m, dtype=bool)
            isfix[self.fixed_idx] = True
            fx = isfix[order] & np.isfinite(Cs)
            first = np.where(fx.any(axis=1), fx.argmax(axis=1) + 1, m + 1)
            limit = np.minimum(limit, first)
        capacitated = self.capacities is not None
        simple = not capacitated and self.budget is None
        # heuristic start
        heur_open = None
        if warm_start and simple:
            assert self.p is not None  # no budget: p was required
            heur_open, _ = pmedian_heuristic(
                C,
                w,
                self.p,
                fixed_idx=self.fixed_idx,
                allowed=self.allowed,
                time_limit=min(20.0, time_limit / 4),
            )
        rank_pos = np.empty_like(order)
        np.put_along_axis(rank_pos, order, np.arange(m)[None, :].repeat(n, axis=0), axis=1)
        K = np.minimum(limit, max(1, int(initial_k)))
        if heur_open is not None:
            r = rank_pos[:, heur_open].min(axis=1)
            K = np.minimum(limit, np.maximum(K, r + 1))
        ub_val, best_open, lb_val = math.inf, None, -math.inf
        if heur_open is not None:
            ub_val, best_open = self._true_total(C, w, heur_open), heur_open
        self.lagrangian_bound = None
        self.sites_ruled_out = 0
        if (
            heur_open is not None
            and math.isfinite(ub_val)
            and lagrangian is not False
            and (lagrangian or n * m > LAGRANGIAN_MIN_PAIRS)
        ):
            assert self.p is not None  # heur_open is set only without a budget
            left = time_limit - (time.perf_counter() - t0)
            primal: list = []
            lag_fn = (
                pmedian_lagrangian_sparse
                if n * m >= SPARSE_LAGRANGIAN_MIN_PAIRS
                else pmedian_lagrangian
            )
            lag, useless = lag_fn(
                C,
                w,
                self.p,
                upper=ub_val,
                start_open=heur_open,
                fixed_idx=self.fixed_idx,
                allowed=self.allowed,
                time_limit=max(0.5, self._lagrangian_share(int(K.sum())) * left),
                # the gap that counts is on the whole objective, constant of merged rows included
                target_gap=mip_gap * (ub_val + const) / ub_val if ub_val > 0 else mip_gap,
                primal=primal,
            )
            for _total, cand_open in primal:  # a better solution found by the Lagrangian heuristic
                true = self._true_total(C, w, cand_open)
                if true < ub_val - 1e-9 * max(1.0, abs(ub_val)):
                    ub_val, best_open = true, cand_open
                    heur_open = cand_open
            self.lagrangian_bound = lag / W if W > 0 else 0.0
            lb_val = max(lb_val, lag)
            self.sites_ruled_out = int(useless.sum())
            if useless.any():
                # sites that cannot be in a solution better than the heuristic's: drop them from the lists
                C = C.copy()
                C[:, useless] = np.inf
                order = np.argsort(C, axis=1, kind="stable")
                Cs = np.take_along_axis(C, order, axis=1)
                limit = np.minimum(limit, np.isfinite(Cs).sum(axis=1))
                np.put_along_axis(rank_pos, order, np.arange(m)[None, :].repeat(n, axis=0), axis=1)
                r = rank_pos[:, heur_open].min(axis=1)
                K = np.minimum(limit, np.maximum(K, r + 1))
        if relative_gap(ub_val + const, lb_val + const) <= mip_gap + 1e-12:
            self.iterations = 0
            self.K = K
            self._finish(
                C_all, best_open, ub_val + const, lb_val + const, W, mip_gap, "optimal", capacitated
            )
            self.solve_seconds = time.perf_counter() - t0
            return self
        self.iterations = 0
        if K.sum() > MILP_SKIP_ENTRIES and best_open is not None and simple:
            # too large for the MILP in any useful time: report the Lagrangian gap honestly
            self.K = K
            self._finish(
                C_all, best_open, ub_val + const, lb_val + const, W, mip_gap, "time_limit", False
            )
            self.solve_seconds = time.perf_counter() - t0
            return self
        last_status = None
        while True:
            remaining = time_limit - (time.perf_counter() - t0)
            if remaining <= 0.05 and best_open is not None:
                break
            milp, layout = self._build(C, w, order, Cs, K, limit)
            ws = (
                self._warm(layout, m, best_open, order, K)
                if (best_open is not None and simple and math.isfinite(ub_val))
                else None
            )
            out = solve_milp(
                milp,
                solver=solver,
                time_limit=max(remaining, 0.5),
                mip_gap=mip_gap,
                msg=msg,
                warm_start=ws,
            )
            self.iterations += 1
            x_opt = self._check_outcome(out, self._infeasible_words())
            last_status = out.status
            yv = x_opt[:m]
            open_idx = np.flatnonzero(yv > 0.5)
            if capacitated:
                true = self._capacitated_true(C, w, open_idx, out, layout)
            else:
                true = self._true_total(C, w, open_idx)
            lb_val = max(
                lb_val, min(float(out.bound), ub_val) if self.sites_ruled_out else float(out.bound)
            )
            if (
                best_open is None
                or not math.isfinite(ub_val)
                or true < ub_val - 1e-9 * max(1.0, abs(ub_val))
            ):
                ub_val, best_open = true, open_idx
            gap = relative_gap(ub_val + const, lb_val + const)
            if gap <= mip_gap + 1e-12:
                break
            # lengthen lists of rows whose nearest open site is beyond their list
            if capacitated:
                fb = layout["fallback_used"]
                grow = fb
            else:
                r = rank_pos[:, open_idx].min(axis=1) if len(open_idx) else np.full(n, m)
                grow = r >= K
            grow &= limit > K
            if not grow.any():
                break
            newK = K.copy()
            if capacitated:
                newK[grow] = np.minimum(limit[grow], 2 * K[grow] + 2)
            else:
                newK[grow] = np.minimum(
                    limit[grow], np.maximum(2 * K[grow], r[grow] + 1 + K[grow] // 2)
                )
            K = newK
            if time.perf_counter() - t0 >= time_limit:
                break
        self.K = K
        self._finish(
            C_all, best_open, ub_val + const, lb_val + const, W, mip_gap, last_status, capacitated
        )
        self.solve_seconds = time.perf_counter() - t0
        return self

    # ------------------------------------------------------------------ Benders
    def _solve_by_cuts(
        self, C_all, C, w, const: float, W: float, *, time_limit: float, mip_gap: float, t0: float
    ) -> None:
        """Benders decomposition of the plain model on the merged rows ``C, w`` (+ ``const``)."""
        assert self.p is not None
        n, m = C.shape
        fixed = self.fixed_idx
        p = self.p
        heur_time = min(20.0, time_limit / 4)

        def improve(open_idx: np.ndarray | None) -> np.ndarray:
            """greedy+swap (from ``open_idx`` when given): the start and the LP-point polish."""
            o, _ = pmedian_heuristic(
                C, w, p, fixed_idx=fixed, allowed=self.allowed, time_limit=heur_time, start=open_idx
            )
            return np.asarray(o, dtype=np.int64)

        start = improve(None)
        # list length: three times the deepest rank at which a row finds the heuristic's nearest
        # open site (at least CUTS_MIN_LIST); beyond its list a row's cut is weaker, still valid
        dmin = C[:, start].min(axis=1)
        cols = np.flatnonzero(self.allowed)
        deepest = 0
        for s0 in range(0, n, 4096):
            sub = C[s0 : s0 + 4096][:, cols]
            deepest = max(deepest, int((sub < dmin[s0 : s0 + 4096, None]).sum(axis=1).max()))
        K = min(len(cols), max(CUTS_MIN_LIST, 3 * (deepest + 1)))
        n_groups = int(np.clip(n // ROWS_PER_GROUP, 1, MAX_GROUPS))
        group = landmark_groups(C, allowed=self.allowed, n_groups=n_groups)
        oracle = MedianCuts(C, w, group, allowed=self.allowed, k=K)
        y_lb = np.zeros(m)
        y_lb[fixed] = 1.0
        res = benders_solve(
            oracle,
            p=p,
            y_lb=y_lb,
            y_ub=self.allowed.astype(np.float64),
            start_open=start,
            offset=const,
            time_limit=max(time_limit - (time.perf_counter() - t0), 1.0),
            mip_gap=mip_gap,
            improve=improve,
        )
        self.iterations = res.mip_rounds
        self.K = np.full(n, K)
        self.benders = {
            "groups": int(oracle.n_groups),
            "list_length": int(K),
            "lp_rounds": res.lp_rounds,
            "mip_rounds": res.mip_rounds,
            "cuts": res.cuts,
            "sites_fixed": res.sites_fixed,
        }
        self._finish(
            C_all, res.open_idx, res.value + const, res.bound + const, W, mip_gap, res.status, False
        )

    # ------------------------------------------------------------------
    @staticmethod
    def _lagrangian_share(entries: int) -> float:
        """Share of the remaining time for the Lagrangian bound, by the size of the MILP lists."""
        if entries > MILP_SKIP_ENTRIES:
            return 0.95
        return 0.4 if entries <= MILP_MAX_ENTRIES else 0.9

    def _true_total(self, C, w, open_idx) -> float:
        if len(open_idx) == 0:
            return math.inf
        d = C[:, open_idx].min(axis=1)
        return float(w @ d) if np.isfinite(d).all() else math.inf

    def _build(self, C, w, order, Cs, K, limit):
        n, m = C.shape
        capacitated = self.capacities is not None
        b = MilpBuilder()
        y_lb = np.zeros(m)
        y_lb[self.fixed_idx] = 1.0
        y = b.add_cols(m, lb=y_lb, ub=self.allowed.astype(float), integer=True, name="y")
        N = int(K.sum())
        starts = np.concatenate([[0], np.cumsum(K)[:-1]])
        fi = np.repeat(np.arange(n), K)
        fk = np.arange(N) - np.repeat(starts, K)
        fj = order[fi, fk]
        fd = Cs[fi, fk]
        nxt = np.minimum(fk + 1, m - 1)
        fdn = np.where(fk + 1 < m, Cs[fi, nxt], np.inf)
        complete = limit <= K
        last = fk == (K[fi] - 1)
        layout = {"N": N, "fi": fi, "fk": fk, "fj": fj, "starts": starts}
        if not capacitated:
            inc = np.where(last & complete[fi], 0.0, fdn - fd)
            inc = np.where(np.isfinite(inc), inc, 0.0)
            zub = np.where(last & complete[fi], 0.0, 1.0)
            z = b.add_cols(N, cost=w[fi] * inc, lb=0.0, ub=zub, name="z")
            r_idx = np.arange(N)
            prev = fk > 0
            rows = np.concatenate([r_idx, r_idx[prev], r_idx])
            cols = np.concatenate([z, z[r_idx[prev] - 1], y[fj]])
            vals = np.concatenate([np.ones(N), -np.ones(int(prev.sum())), np.ones(N)])
            b.add_rows(N, rows, cols, vals, lb=np.where(fk == 0, 1.0, 0.0))
            offset = float(w @ Cs[:, 0])
            layout["z"] = z
        else:
            assert self.capacities is not None
            x = b.add_cols(N, cost=w[fi] * fd, lb=0.0, ub=1.0, name="x")
            fb_cost = np.where(
                complete,
                0.0,
                np.where(
                    np.isfinite(Cs[np.arange(n), np.minimum(K, m - 1)]),
                    Cs[np.arange(n), np.minimum(K, m - 1)],
                    0.0,
                ),
            )
            f = b.add_cols(n, cost=w * fb_cost, lb=0.0, ub=np.where(complete, 0.0, 1.0), name="f")
            b.add_rows(
                n, np.concatenate([fi, np.arange(n)]), np.concatenate([x, f]), 1.0, lb=1.0, ub=1.0
            )
            k = np.arange(N)
            b.add_rows(
                N,
                np.concatenate([k, k]),
                np.concatenate([x, y[fj]]),
                np.concatenate([np.ones(N), -np.ones(N)]),
                ub=0.0,
            )
            b.add_rows(
                m,
                np.concatenate([fj, np.arange(m)]),
                np.concatenate([x, y]),
                np.concatenate([w[fi], -self.capacities]),
                ub=0.0,
            )
            offset = 0.0
            layout["x"] = x
            layout["f"] = f
        if self.budget is None:
            b.add_rows(1, np.zeros(m), y, 1.0, lb=self.p, ub=self.p)
        else:
            b.add_rows(1, np.zeros(m), y, self.site_costs, ub=self.budget)
            if self.p is not None:
                b.add_rows(1, np.zeros(m), y, 1.0, ub=self.p)
        return b.build(sense="min", offset=offset), layout

    def _warm(self, layout, m, open_idx, order, K):
        yv = open_vector(m, open_idx)
        fi, fj, starts = layout["fi"], layout["fj"], layout["starts"]
        # z_ik = 1 - (any of the first k sites of row i open): running count within each row
        c = np.cumsum(yv[fj])
        before = np.concatenate([[0.0], c])[starts][fi]
        opened = (c - before) > 0
        z = 1.0 - opened.astype(float)
        return np.concatenate([yv, z])

    def _capacitated_true(self, C, w, open_idx, out, layout) -> float:
        assert out.x is not None  # _check_outcome ran first
        f = out.x[layout["f"]]
        layout["fallback_used"] = f > 1e-6
        if not layout["fallback_used"].any():
            self._cap_x = out.x[layout["x"]]
            self._cap_layout = layout
            return float(out.objective)
        return transport_cost(C, w, open_idx, self.capacities)

    def _finish(self, C_all, open_idx, total, lb, W, mip_gap, last_status, capacitated) -> None:
        open_idx = np.asarray(open_idx, dtype=np.int64)
        self._open_idx = open_idx
        self.selected = self._site_order(open_idx)
        if not capacitated:  # evaluate on the full matrix (merged rows carry rounded residuals)
            use = self.weights > 0
            d_full = C_all[np.ix_(np.flatnonzero(use), open_idx)].min(axis=1)
            total = float(self.weights[use] @ d_full)
            lb = min(lb, total)
        self.total_minutes = total
        self.objective = total / W if W > 0 else 0.0
        self.bound = lb / W if W > 0 else 0.0
        self.gap = relative_gap(total, lb)
        self.status = (
            "optimal"
            if (self.gap <= mip_gap + 1e-12 and last_status == "optimal")
            else "time_limit"
        )
        d, col = self._assign_nearest(open_idx)
        if self.max_minutes is not None:
            d = np.where(d <= self.max_minutes + 1e-9, d, np.inf)
        lay = self._cap_layout
        if capacitated and lay is not None:
            rows = np.flatnonzero(self.weights > 0)
            xs = self._cap_x
            best = np.full(len(rows), -1)
            bestv = np.zeros(len(rows))
            for v, i, j in zip(xs, lay["fi"], lay["fj"], strict=True):
                if v > bestv[i]:
                    bestv[i], best[i] = v, j
            col = np.full(len(self.weights), -1)
            col[rows] = best
        self._set_assignment(col)
        use = self.weights > 0
        self.max_assigned_minutes = float(d[use].max()) if use.any() else 0.0

    def _infeasible_words(self) -> str:
        parts = []
        if self.max_minutes is not None:
            parts.append(
                f"p={self.p} sites cannot put every demand row within {self.max_minutes:g} min"
            )
        if self.budget is not None:
            parts.append(
                f"no set of sites fits the budget {self.budget:g} and the other constraints"
            )
        if self.capacities is not None:
            parts.append(f"the capacities of p={self.p} sites cannot serve all demand")
        return "; or ".join(parts) or "no combination of sites satisfies the constraints"

    def summary(self) -> dict:
        d = super().summary()
        d.update(
            p=self.p,
            max_minutes=self.max_minutes,
            mean_minutes=self.objective,
            max_assigned_minutes=self.max_assigned_minutes,
        )
        return d


def transport_cost(C: np.ndarray, w: np.ndarray, open_idx, capacities) -> float:
    """Least weighted travel time to serve all rows from the open sites under capacities (split allowed)."""
    import highspy
    import scipy.sparse as sp

    open_idx = np.asarray(open_idx, dtype=np.int64)
    n = C.shape[0]
    k = len(open_idx)
    sub = C[:, open_idx]
    ii, jj = np.nonzero(np.isfinite(sub))
    nv = len(ii)
    if nv == 0:
        return math.inf
    A = sp.vstack(
        [
            sp.csr_matrix((np.ones(nv), (ii, np.arange(nv))), shape=(n, nv)),
            sp.csr_matrix((w[ii], (jj, np.arange(nv))), shape=(k, nv)),
        ]
    ).tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nv, n + k
    lp.col_cost_ = w[ii] * sub[ii, jj]
    lp.col_lower_ = np.zeros(nv)
    lp.col_upper_ = np.ones(nv)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(k, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), np.asarray(capacities, dtype=float)[open_idx]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return math.inf
    return float(h.getInfo().objective_function_value)


def merge_shifted_rows(C: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Merge demand rows whose times differ only by a constant (e.g. cells snapped to one road node).

    Row ``i`` is ``a_i + r_i`` with ``a_i`` its smallest time; rows with equal ``r_i``
    (to 1e-6 min) have the same best sites, so they become one row with the summed
    weight, and ``Σ w_i a_i`` is returned as a constant. Exact for the uncapacitated
    p-median. Returns ``(C_merged, w_merged, constant)``.
    """
    a = C.min(axis=1)
    n, m = C.shape
    # a 128-bit digest of each rounded residual row, one block of rows at a time (no n x m copy)
    key = np.empty(n, dtype="V16")
    step = max(256, 8_000_000 // max(m, 1))
    for s0 in range(0, n, step):
        R = np.ascontiguousarray(np.round(C[s0 : s0 + step] - a[s0 : s0 + step, None], 6))
        R += 0.0  # -0.0 -> 0.0: equal rows give equal bytes
        key[s0 : s0 + len(R)] = [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in R]
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    inv = inv.ravel()
    if len(first) == len(w):
        return C, w, 0.0
    # merged rows in the order of their first member
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    first, inv = first[order], rank[inv]
    wm = np.bincount(inv, weights=w, minlength=len(first))
    return C[first] - a[first][:, None], wm, float(w @ a)
