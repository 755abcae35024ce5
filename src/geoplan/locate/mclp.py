"""Maximal covering location problem (MCLP), with capacities, budget and equity floors."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from geoplan.errors import InfeasibleError, InputError
from geoplan.locate.base import (
    LocationModel,
    MilpBuilder,
    MilpOutcome,
    check_budget,
    check_minutes,
    check_p_or_budget,
    cover_rows,
    dominated_sites,
    fmt_ids,
    open_vector,
    optional_site_vector,
    relative_gap,
    solve_milp,
)
from geoplan.locate.benders import (
    MAX_GROUPS,
    ROWS_PER_GROUP,
    CoverCuts,
    benders_solve,
    landmark_groups,
)
from geoplan.locate.heuristics import coverage_weight, mclp_heuristic, mclp_lagrangian

#: HiGHS options for the uncapacitated cover models (MCLP, LSCP); see :meth:`MCLP.solve`.
#: Measured on the quick benchmark instance (2,500 × 100, p=10, T=10; same optimum each time):
#: presolve off 5.0 → 1.7 s; RINS/RENS sub-MIPs off 1.78 → 0.76 s (the sub-MIPs took 1.3 of
#: the 1.8 s; the greedy+swap start and HiGHS's other heuristics find the optimum without them);
#: T=12: 2.4 → 0.85 s, p=15: 1.5 → 0.6 s, T=15 p=5: 1.2 → 0.77 s
#: The sub-MIPs stay on without a warm start (budget, equity floors), where they find the incumbent.
HIGHS_COVER_OPTIONS: dict[str, object] = {"presolve": "off"}
HIGHS_COVER_WARM_OPTIONS: dict[str, object] = {
    **HIGHS_COVER_OPTIONS,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
}
#: run the Lagrangian bound (and fix sites by it) from this many cover-matrix entries on, where
#: HiGHS's root LP alone takes minutes (national: 1.99 M entries, root LP > 5 min). Below it did
#: not pay: quick instance (11 263 entries) 1 of 100 sites fixed; region instance (452 139) bound
#: within 0.09 % but 0 of 500 sites fixed, 31.9 s against 23.7 s without (same load)
LAGRANGIAN_MIN_NNZ = 1_000_000
#: solve plain models by Benders cuts (:mod:`geoplan.locate.benders`) from this many merged
#: cover entries on. National (44,521 × 2,000, p=20, T=20; 1.99 M entries): the compact model's
#: root LP alone took > 5 min; the cuts reach a 0.13 % proven gap in about 80 s
CUTS_MIN_NNZ = 1_000_000
#: share of ``time_limit`` the Lagrangian bound may take
LAGRANGIAN_TIME_SHARE = 0.2
#: drop dominated sites when they are at least this share of the allowed sites
DOMINATED_MIN_SHARE = 0.1


class MCLP(LocationModel):
    r"""Maximal covering location problem: most weighted demand within ``max_minutes`` with ``p`` sites.

    Formulation (after merging demand rows with identical cover sets ``N_u`` —
    the sites within ``T`` — and summing their weights ``w_u``)::

        max   Σ_u w_u z_u
        s.t.  z_u ≤ Σ_{j ∈ N_u} y_j                 ∀u        (u covered only if a site of N_u is open)
              Σ_j y_j = p                                     (≤ p when a budget is given)
              Σ_j c_j y_j ≤ B                                 (optional budget, site_costs c)
              Σ_{u ∈ g} w_u z_u ≥ s_g W_g           ∀g        (optional equity floor per group)
              y_j = 1 (j fixed),  y_j = 0 (j excluded)
              y_j ∈ {0,1},  0 ≤ z_u ≤ 1

    ``W_g`` is the total weight of group ``g`` (all its rows with weight > 0,
    coverable or not). Rows already covered by a fixed site are taken out as
    a constant. Without equity floors and capacities a merged row that one
    allowed site ``j`` alone covers is folded into the objective (``w_u`` is
    added to ``y_j``'s coefficient; ``z_u`` and its row leave the model — exact,
    since ``z_u = y_j`` at every optimum); ``folded_rows`` counts them.

    With ``capacities`` (site capacity ``K_j`` in demand-weight units) the model
    assigns demand explicitly and lets it split between sites::

        max   Σ_u Σ_{j ∈ N_u} w_u x_uj
        s.t.  Σ_{j ∈ N_u} x_uj ≤ 1          ∀u
              x_uj ≤ y_j                     ∀u, j ∈ N_u
              Σ_u w_u x_uj ≤ K_j y_j         ∀j
              (p, budget, equity and fixed/excluded as above), 0 ≤ x_uj ≤ 1

    Attributes after :meth:`solve` (besides those of
    :class:`~geoplan.locate.base.LocationModel`): ``covered_share`` (covered
    weight / total weight), ``covered`` (bool per demand row; with capacities:
    row assigned at least half to a site within ``T``), ``mean_minutes``
    (weighted mean to the nearest open site over reachable rows),
    ``group_shares`` (dict group → covered share, when groups were given).
    ``objective`` and ``bound`` are in weight units (covered weight).
    """

    name = "mclp"

    max_minutes: float
    p: int | None
    site_costs: np.ndarray | None
    budget: float | None
    capacities: np.ndarray | None
    group_labels: list | None
    group_codes: np.ndarray | None
    min_share: dict
    covered: np.ndarray
    covered_share: float = math.nan
    mean_minutes: float = math.nan
    group_shares: dict
    sites_dominated: int = 0
    sites_fixed: int = 0
    lagrangian_bound: float | None = None
    merged_rows: int = 0
    folded_rows: int = 0
    engine: str = "milp"
    benders: dict | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        cost,
        *,
        max_minutes: float,
        p: int | None,
        weights=None,
        site_ids: Sequence | None = None,
        demand_ids: Sequence | None = None,
        fixed: Sequence | None = None,
        excluded: Sequence | None = None,
        site_costs=None,
        budget: float | None = None,
        capacities=None,
        groups=None,
        min_share_by_group: dict | float | None = None,
    ) -> MCLP:
        """Set up an MCLP.

        Parameters
        ----------
        cost
            Minutes, demand × sites (``np.inf`` = unreachable).
        max_minutes
            Coverage threshold ``T``: a row is covered when an open site is within ``T`` (inclusive).
        p
            Number of sites to open (including fixed ones). May be ``None`` only when ``budget`` is given.
        weights
            Demand weight per row (e.g. population); ones when ``None``.
        site_ids, demand_ids
            Labels; default ``0..n-1``.
        fixed, excluded
            Site ids forced open / forbidden.
        site_costs, budget
            Per-site cost and the total budget.
        capacities
            Per-site capacity in weight units (switches to the capacitated model).
        groups, min_share_by_group
            A group label per demand row (e.g. municipality) and a minimum covered
            share per group (a dict label → share, or one share for all groups).
        """
        self = cls._new(cost, weights, site_ids, demand_ids, fixed, excluded)
        self.max_minutes = check_minutes(max_minutes, model="mclp")
        m = self.cost.shape[1]
        self.p = check_p_or_budget(
            p, budget, int(self.allowed.sum()), len(self.fixed_idx), model="mclp"
        )
        self.site_costs = optional_site_vector(site_costs, m, name="site_costs")
        self.budget = check_budget(budget, self.site_costs, model="mclp")
        self.capacities = optional_site_vector(capacities, m, name="capacities")
        self._setup_groups(groups, min_share_by_group)
        return self

    # ------------------------------------------------------------------ groups
    def _setup_groups(self, groups, min_share_by_group) -> None:
        n = self.cost.shape[0]
        self.group_labels = None
        self.group_codes = None
        self.min_share = {}
        if groups is None:
            if min_share_by_group is not None:
                raise InputError(
                    None,
                    "min_share_by_group given without groups",
                    "pass groups=<one label per demand row>",
                )
            return
        g = np.asarray(groups, dtype=object).ravel()
        if len(g) != n:
            raise InputError(
                None, f"groups has {len(g)} labels for {n} demand rows", "pass one label per row"
            )
        labels = sorted(set(g.tolist()), key=str)
        code = {lab: k for k, lab in enumerate(labels)}
        self.group_labels = labels
        self.group_codes = np.array([code[x] for x in g], dtype=np.int64)
        if min_share_by_group is None:
            return
        if isinstance(min_share_by_group, dict):
            unknown = [k for k in min_share_by_group if k not in code]
            if unknown:
                raise InputError(
                    None,
                    f"min_share_by_group names unknown group(s) {fmt_ids(unknown)}",
                    f"use labels from groups (e.g. {labels[0]!r})",
                )
            shares = dict(min_share_by_group)
        else:
            shares = {lab: float(min_share_by_group) for lab in labels}
        for k, s in shares.items():
            if not 0 <= float(s) <= 1:
                raise InputError(
                    None,
                    f"min_share_by_group[{k!r}] = {s} is not a share in [0, 1]",
                    "give shares as fractions, e.g. 0.8",
                )
        self.min_share = {k: float(s) for k, s in shares.items() if float(s) > 0}

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        mip_gap: float = 1e-4,
        msg: bool = False,
        warm_start: bool = True,
        lagrangian: bool | None = None,
        cuts: bool | None = None,
    ) -> MCLP:
        """Solve; sets ``status``, ``objective``, ``bound``, ``gap``, ``selected``, ``covered_share`` …

        Without budget, capacities and equity floors the greedy+swap heuristic
        gives a start; with ``lagrangian`` (``None``: from
        :data:`LAGRANGIAN_MIN_NNZ` cover entries on) a Lagrangian bound
        (:func:`~geoplan.locate.heuristics.mclp_lagrangian`, up to
        :data:`LAGRANGIAN_TIME_SHARE` of ``time_limit``) follows: it may prove the
        heuristic solution within ``mip_gap`` alone (then no MILP is solved), it
        fixes sites that cannot be in a solution as good as the best known, and
        it caps ``bound`` when HiGHS stops early. ``lagrangian_bound`` and
        ``sites_fixed`` report it.

        ``cuts`` (``None``: from :data:`CUTS_MIN_NNZ` cover entries on, plain
        models only) solves by Benders cuts instead
        (:mod:`geoplan.locate.benders`): the demand rows leave the model, a
        master over the sites collects closed-form cuts, and the master's bound
        is proven at every round. ``engine`` says which was used
        (``"milp"`` | ``"benders"``), ``benders`` its rounds and cuts. The
        ``solver`` argument does not apply to it (HiGHS through highspy).
        """
        t0 = time.perf_counter()
        self.solver = solver
        w = self.weights
        m = self.cost.shape[1]
        T = self.max_minutes
        total = float(w.sum())
        capacitated = self.capacities is not None
        fixed = self.fixed_idx

        # rows already covered by a fixed site are a constant (uncapacitated only)
        covered_by_fixed: np.ndarray = np.zeros(self.cost.shape[0], dtype=bool)
        if len(fixed) and not capacitated:
            covered_by_fixed = np.asarray((self.cost[:, fixed] <= T + 1e-9).any(axis=1))
        w_model = np.where(covered_by_fixed, 0.0, w)
        const = float(w[covered_by_fixed].sum())
        R = cover_rows(self.cost, T, allowed=self.allowed, weights=w_model, groups=self.group_codes)
        self._precheck(R, covered_by_fixed)
        # preprocessing: drop sites whose cover set another allowed site contains (uncapacitated)
        allowed = self.allowed.copy()
        self.sites_dominated = 0
        if not capacitated:
            dom = dominated_sites(R.A, allowed=allowed, fixed_idx=fixed, site_costs=self.site_costs)
            # only when they are many: removing 2 % of 100 sites made HiGHS slower (quick benchmark)
            many = dom.sum() >= DOMINATED_MIN_SHARE * allowed.sum()
            if many and (self.p is None or int((allowed & ~dom).sum()) >= self.p):
                allowed &= ~dom
                self.sites_dominated = int(dom.sum())
        self.merged_rows = int(R.A.shape[0])

        plain = not capacitated and self.p is not None and self.budget is None
        plain = plain and not self.min_share
        if cuts and not plain:
            raise InputError(
                None,
                "mclp: cuts=True solves only the plain model (p sites; no capacities, "
                "budget or equity floors)",
                "leave cuts=None (automatic) or drop those options",
            )
        use_cuts = plain and (cuts if cuts is not None else R.A.nnz >= CUTS_MIN_NNZ)
        self.engine = "benders" if use_cuts else "milp"
        self.benders = None
        self.lagrangian_bound = None
        self.sites_fixed = 0
        if use_cuts:
            out, lag_bound = self._solve_by_cuts(
                R, allowed, const, time_limit=time_limit, mip_gap=mip_gap, t0=t0
            )
        else:
            out, lag_bound = self._solve_compact(
                R,
                allowed,
                covered_by_fixed,
                const,
                solver=solver,
                time_limit=time_limit,
                mip_gap=mip_gap,
                msg=msg,
                warm_start=warm_start,
                lagrangian=lagrangian,
                t0=t0,
            )
        x_opt = self._check_outcome(out, self._infeasible_words())
        yv = x_opt[:m]
        open_idx = np.flatnonzero(yv > 0.5)
        self.selected = self._site_order(open_idx)
        self._open_idx = open_idx
        if capacitated:
            A = R.A.tocoo()
            nu = R.A.shape[0]
            self.objective = float(out.objective)
            xval = x_opt[m : m + A.nnz]
            share_u = np.bincount(A.row, weights=xval, minlength=nu)
            row_share = np.where(R.inverse >= 0, share_u[np.maximum(R.inverse, 0)], 0.0)
            self.covered = row_share >= 0.5
            covered_w = w * row_share
        else:
            cov_rows: np.ndarray = (
                np.asarray((self.cost[:, open_idx] <= T + 1e-9).any(axis=1))
                if len(open_idx)
                else np.zeros(len(w), bool)
            )
            self.covered = cov_rows
            self.objective = float(w[cov_rows].sum())
            covered_w = np.where(cov_rows, w, 0.0)
        # a simple valid bound (coverable weight; for cardinality models also the p best single-site
        # coverages) keeps the gap finite when the solver stops before its root LP
        simple_bound = const + float(R.weight.sum())
        if self.p is not None and not capacitated:
            colw = np.asarray(R.A.T @ R.weight).ravel()
            free = allowed.copy()
            free[fixed] = False
            k_free = self.p - len(fixed)
            simple_bound = min(
                simple_bound, const + float(np.sort(colw[free])[::-1][:k_free].sum())
            )
        simple_bound = min(simple_bound, lag_bound)
        self.bound = (
            min(float(out.bound), simple_bound) if math.isfinite(out.bound) else simple_bound
        )
        self.gap = (
            relative_gap(self.objective, self.bound)
            if out.status == "time_limit"
            else float(out.gap)
        )
        self.status = out.status
        self.covered_share = self.objective / total if total > 0 else math.nan
        d, col = self._assign_nearest(open_idx)
        self._set_assignment(col)
        reach = np.isfinite(d) & (w > 0)
        self.mean_minutes = float(w[reach] @ d[reach] / w[reach].sum()) if reach.any() else math.nan
        self.group_shares = {}
        if self.group_labels is not None and self.group_codes is not None:
            gtot = np.bincount(self.group_codes, weights=w, minlength=len(self.group_labels))
            gcov = np.bincount(
                self.group_codes, weights=covered_w, minlength=len(self.group_labels)
            )
            self.group_shares = {
                lab: (float(gcov[k] / gtot[k]) if gtot[k] > 0 else math.nan)
                for k, lab in enumerate(self.group_labels)
            }
        self.solve_seconds = time.perf_counter() - t0
        return self

    # ------------------------------------------------------------- Benders cuts
    def _solve_by_cuts(
        self, R, allowed: np.ndarray, const: float, *, time_limit: float, mip_gap: float, t0: float
    ) -> tuple[MilpOutcome, float]:
        """Benders decomposition (plain model): rows covered by one allowed site fold into a
        linear term on that site, the others are grouped around landmark sites."""
        assert self.p is not None
        m = self.cost.shape[1]
        fixed = self.fixed_idx
        A = sp.csr_matrix(R.A, dtype=np.float64)
        A = sp.csr_matrix(A @ sp.diags(allowed.astype(np.float64)))
        A.eliminate_zeros()
        n_ok = np.diff(A.indptr)
        single = np.flatnonzero(n_ok == 1)
        linear = -np.bincount(A.indices[A.indptr[single]], weights=R.weight[single], minlength=m)
        self.folded_rows = int(np.sum(n_ok <= 1))
        keep = np.flatnonzero(n_ok >= 2)
        A_k, w_k = A[keep], R.weight[keep]
        # one original row per kept merged row places it on the map of travel times
        rows = np.flatnonzero(R.inverse >= 0)
        _, at = np.unique(R.inverse[rows], return_index=True)
        first = rows[at]  # merged rows are numbered 0..nu-1, all with members
        n_groups = int(np.clip(len(keep) // ROWS_PER_GROUP, 1, MAX_GROUPS))
        group = landmark_groups(self.cost[first[keep]], allowed=allowed, n_groups=n_groups)
        oracle = CoverCuts(A_k, w_k, group, linear=linear)
        p = self.p

        def improve(open_idx: np.ndarray | None) -> np.ndarray:
            """greedy+swap (from ``open_idx`` when given): the start and the LP-point polish."""
            o, _ = mclp_heuristic(
                R.A,
                R.weight,
                p,
                fixed_idx=fixed,
                allowed=allowed,
                time_limit=min(10.0, time_limit / 10),
                start=open_idx,
            )
            return np.asarray(o)

        start = improve(None)
        y_lb = np.zeros(m)
        y_lb[fixed] = 1.0
        remaining = max(time_limit - (time.perf_counter() - t0), 1.0)
        res = benders_solve(
            oracle,
            p=p,
            y_lb=y_lb,
            y_ub=allowed.astype(np.float64),
            start_open=start,
            offset=-const,
            time_limit=remaining,
            mip_gap=mip_gap,
            improve=improve,
        )
        self.sites_fixed = res.sites_fixed
        self.benders = {
            "groups": int(oracle.n_groups),
            "rows": len(keep),
            "lp_rounds": res.lp_rounds,
            "mip_rounds": res.mip_rounds,
            "cuts": res.cuts,
        }
        covered, bound = const - res.value, const - res.bound
        out = MilpOutcome(
            status=res.status,
            x=open_vector(m, res.open_idx),
            objective=covered,
            bound=bound,
            gap=res.gap,
            seconds=res.seconds,
            raw_status=f"Benders ({res.lp_rounds} LP, {res.mip_rounds} integer rounds)",
        )
        return out, bound

    # ------------------------------------------------------------ compact MILP
    def _solve_compact(
        self,
        R,
        allowed: np.ndarray,
        covered_by_fixed: np.ndarray,
        const: float,
        *,
        solver: str,
        time_limit: float,
        mip_gap: float,
        msg: bool,
        warm_start: bool,
        lagrangian: bool | None,
        t0: float,
    ) -> tuple[MilpOutcome, float]:
        """The formulation of the class docstring in HiGHS (or another PuLP solver)."""
        w = self.weights
        m = self.cost.shape[1]
        capacitated = self.capacities is not None
        fixed = self.fixed_idx
        b = MilpBuilder()
        y = b.add_cols(m, cost=0.0, lb=0.0, ub=1.0, integer=True, name="y")
        y_lb = np.zeros(m)
        y_ub = allowed.astype(float)
        y_lb[fixed] = 1.0
        b._lb[0][:] = y_lb
        b._ub[0][:] = y_ub
        A = R.A.tocoo()
        nu = R.A.shape[0]
        # rows kept as z_u (all of them unless folded below)
        z_rows = np.arange(nu)
        self.folded_rows = 0
        if not capacitated and not self.min_share:
            # exact fold: a row that one allowed site j alone covers has z_u = y_j at the optimum,
            # so its weight goes onto y_j's objective and the row and z_u leave the model; a row
            # no allowed site covers (all its sites dropped as dominated) contributes nothing
            on = A.data != 0
            ok = on & allowed[A.col]
            n_ok = np.bincount(A.row[ok], minlength=nu)
            single = ok & (n_ok[A.row] == 1)
            b._c[0][:] += np.bincount(A.col[single], weights=R.weight[A.row[single]], minlength=m)
            z_rows = np.flatnonzero(n_ok >= 2)
            self.folded_rows = int(nu - len(z_rows))
        if not capacitated:
            nz = len(z_rows)
            z = b.add_cols(nz, cost=R.weight[z_rows], lb=0.0, ub=1.0, name="z")
            # z_u - Σ_{j∈N_u} y_j <= 0
            pos = np.full(nu, -1, dtype=np.int64)
            pos[z_rows] = np.arange(nz)
            keep_e = pos[A.row] >= 0
            rows = np.concatenate([np.arange(nz), pos[A.row[keep_e]]])
            cols = np.concatenate([z, y[A.col[keep_e]]])
            vals = np.concatenate([np.ones(nz), -np.ones(int(keep_e.sum()))])
            b.add_rows(nz, rows, cols, vals, ub=0.0)
            served = [(z, R.weight[z_rows])]  # (columns, weight per column) for equity rows
            served_rows = z_rows
        else:
            assert self.capacities is not None
            x = b.add_cols(A.nnz, cost=R.weight[A.row], lb=0.0, ub=1.0, name="x")
            b.add_rows(nu, A.row, x, 1.0, ub=1.0)  # Σ_j x_uj <= 1
            k = np.arange(A.nnz)
            b.add_rows(
                A.nnz,
                np.concatenate([k, k]),
                np.concatenate([x, y[A.col]]),
                np.concatenate([np.ones(A.nnz), -np.ones(A.nnz)]),
                ub=0.0,
            )  # x_uj <= y_j
            # Σ_u w_u x_uj - K_j y_j <= 0
            b.add_rows(
                m,
                np.concatenate([A.col, np.arange(m)]),
                np.concatenate([x, y]),
                np.concatenate([R.weight[A.row], -self.capacities]),
                ub=0.0,
            )
            served = [(x, R.weight[A.row])]
            served_rows = A.row
        if self.budget is None:
            b.add_rows(1, np.zeros(m), y, 1.0, lb=self.p, ub=self.p)
        else:
            b.add_rows(1, np.zeros(m), y, self.site_costs, ub=self.budget)
            if self.p is not None:
                b.add_rows(1, np.zeros(m), y, 1.0, ub=self.p)
        if self.min_share:
            assert R.group is not None and self.group_codes is not None
            assert self.group_labels is not None
            cols, wts = served[0]
            grp_of_col = R.group[served_rows]
            gfix = np.bincount(
                self.group_codes[covered_by_fixed],
                weights=w[covered_by_fixed],
                minlength=len(self.group_labels),
            )
            gtot = np.bincount(self.group_codes, weights=w, minlength=len(self.group_labels))
            for lab, s in sorted(self.min_share.items(), key=lambda kv: str(kv[0])):
                g = self.group_labels.index(lab)
                sel = grp_of_col == g
                need = s * gtot[g] - gfix[g]
                if need <= 1e-12:
                    continue
                b.add_rows(1, np.zeros(int(sel.sum())), cols[sel], wts[sel], lb=need * (1 - 1e-9))
        milp = b.build(sense="max", offset=const)

        ws = None
        out: MilpOutcome | None = None
        lag_bound = math.inf
        simple = not capacitated and self.p is not None and self.budget is None
        if warm_start and simple:
            assert self.p is not None
            open_idx, heur_cov = mclp_heuristic(
                R.A,
                R.weight,
                self.p,
                fixed_idx=fixed,
                allowed=allowed,
                time_limit=min(10.0, time_limit / 4),
            )
            use_lag = (
                lagrangian
                if lagrangian is not None
                else (R.A.nnz >= LAGRANGIAN_MIN_NNZ and not self.min_share)
            )
            if use_lag and nu > 0:
                L, zero, one, open_idx, heur_cov = mclp_lagrangian(
                    R.A,
                    R.weight,
                    self.p,
                    lower=heur_cov,
                    start_open=open_idx,
                    fixed_idx=fixed,
                    allowed=allowed,
                    time_limit=LAGRANGIAN_TIME_SHARE * time_limit,
                    target_gap=mip_gap,
                )
                lag_bound = const + L
                self.lagrangian_bound = lag_bound
                if not self.min_share:  # fixing is against coverage alone, not the floors
                    milp.ub[:m][zero] = 0.0
                    milp.lb[:m][one] = 1.0
                    self.sites_fixed = int(zero.sum() + one.sum())
            yv = open_vector(m, open_idx)
            zv = (np.asarray(R.A[:, open_idx].sum(axis=1)).ravel() > 0).astype(float)[z_rows]
            ws = np.concatenate([yv, zv])
            if relative_gap(const + heur_cov, lag_bound) <= mip_gap:
                # the Lagrangian bound proves the heuristic solution: no MILP needed
                out = MilpOutcome(
                    status="optimal",
                    x=ws,
                    objective=const + heur_cov,
                    bound=lag_bound,
                    gap=relative_gap(const + heur_cov, lag_bound),
                    seconds=0.0,
                    raw_status="Lagrangian bound",
                )
        remaining = max(time_limit - (time.perf_counter() - t0), 0.5)
        if out is None:
            out = solve_milp(
                milp,
                solver=solver,
                time_limit=remaining,
                mip_gap=mip_gap,
                msg=msg,
                warm_start=ws,
                # measured (benchmarks/run.py instances): HiGHS's presolve costs the cover model
                # ×2–3 in branch-and-bound time; the rows are already merged and sites reduced
                options=(
                    None
                    if capacitated
                    else (HIGHS_COVER_WARM_OPTIONS if ws is not None else HIGHS_COVER_OPTIONS)
                ),
            )
        return out, lag_bound

    def _precheck(self, R, covered_by_fixed) -> None:
        """Say plainly what cannot be met before the solver runs."""
        w = self.weights
        if self.budget is not None:
            assert self.site_costs is not None  # checked in from_cost_matrix
            fixed_cost = float(self.site_costs[self.fixed_idx].sum())
            if fixed_cost > self.budget + 1e-9:
                self._fail(
                    f"mclp: the fixed sites cost {fixed_cost:g}, more than the budget {self.budget:g}"
                )
        if self.min_share:
            assert self.group_codes is not None and self.group_labels is not None
            coverable = np.zeros(len(w), dtype=bool)
            coverable[R.inverse >= 0] = True
            coverable |= covered_by_fixed
            gtot = np.bincount(self.group_codes, weights=w, minlength=len(self.group_labels))
            gmax = np.bincount(
                self.group_codes,
                weights=np.where(coverable, w, 0.0),
                minlength=len(self.group_labels),
            )
            for lab, s in sorted(self.min_share.items(), key=lambda kv: str(kv[0])):
                g = self.group_labels.index(lab)
                if gtot[g] <= 0:
                    continue
                best = gmax[g] / gtot[g]
                if best + 1e-12 < s:
                    self._fail(
                        f"mclp: group {lab!r} cannot reach its floor of {s:.1%} covered within "
                        f"{self.max_minutes:g} min: even with every allowed site open only {best:.1%} "
                        f"of its weight is within reach"
                    )

    def _infeasible_words(self) -> str:
        parts = []
        if self.min_share:
            parts.append(
                f"the equity floors {self._floors_text()} cannot all be met with p={self.p}"
                + (f" and budget {self.budget:g}" if self.budget is not None else "")
            )
        if self.budget is not None:
            parts.append(
                f"no choice of sites fits budget {self.budget:g}"
                + (f" with at most p={self.p} sites" if self.p is not None else "")
            )
        return "; or ".join(parts) or "no combination of sites satisfies the constraints"

    def _floors_text(self) -> str:
        return ", ".join(
            f"{k}: {v:.0%}" for k, v in sorted(self.min_share.items(), key=lambda kv: str(kv[0]))
        )

    def summary(self) -> dict:
        d = super().summary()
        d.update(
            covered_share=self.covered_share,
            max_minutes=self.max_minutes,
            p=self.p,
            mean_minutes=self.mean_minutes,
        )
        return d


def coverage_of(cost: np.ndarray, weights: np.ndarray, open_idx, max_minutes: float) -> float:
    """Covered weight of the open columns (helper for tests and the frontier)."""
    A = sp.csr_matrix(cost <= max_minutes + 1e-9)
    return coverage_weight(A, weights, open_idx)


__all__ = ["MCLP", "InfeasibleError"]
