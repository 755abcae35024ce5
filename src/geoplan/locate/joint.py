"""Joint placement of two facility types (health houses and psychiatry houses) on shared candidate sites."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from geoplan.errors import InputError, plain
from geoplan.locate.base import (
    LocationModel,
    MilpBuilder,
    check_cost,
    check_minutes,
    check_p,
    check_weights,
    cover_rows,
    relative_gap,
    site_index,
    solve_milp,
)

COLOCATION_MODES = ("none", "bonus", "required")


class JointPlacement(LocationModel):
    r"""Place ``p_a`` houses of type A and ``p_b`` of type B on the same candidate sites, maximising coverage.

    Type A (e.g. health houses) and type B (e.g. psychiatry houses) each have
    their own demand weights, threshold and number of houses; they may use
    separate cost matrices (same sites, same demand rows). Formulation (rows
    merged per type by cover set)::

        max   a · Σ_u wA_u zA_u / WA  +  b · Σ_v wB_v zB_v / WB  +  β Σ_j c_j
        s.t.  zA_u ≤ Σ_{j ∈ NA_u} yA_j      ∀u          zB_v ≤ Σ_{j ∈ NB_v} yB_j      ∀v
              Σ_j yA_j = p_a,   Σ_j yB_j = p_b
              c_j ≤ yA_j,  c_j ≤ Σ_{k ∈ S_j} yB_k              (colocation="bonus")
              yB_j ≤ Σ_{k ∈ S_j} yA_k                          (colocation="required":
                                                                every B house sits with an A house)
              fixed/excluded per type,  y ∈ {0,1},  0 ≤ z, c ≤ 1

    ``S_j`` are the sites *at the same place* as ``j``: with ``site_xy`` (metres) every site
    within ``colocation_tolerance_m`` of ``j`` (two candidates at the same address with
    different ids are one place), else ``j`` alone (by id).

    ``WA``/``WB`` are the total weights, so each coverage term is a share and
    ``β`` (``colocation_bonus``) is worth that share per co-located pair (e.g.
    0.01 = one percentage point of coverage). ``a``, ``b`` are ``priority``.

    Attributes after :meth:`solve`: ``selected_a``, ``selected_b``,
    ``colocated`` (type-A sites with a type-B house at the same place, sorted),
    ``colocated_pairs`` ((A site, B site) at the same place, sorted), ``covered_share_a``,
    ``covered_share_b``, ``objective`` (the weighted sum above, evaluated from
    the chosen sites), ``bound``, ``gap``, ``status``; ``selected`` is the union.
    """

    name = "joint"
    same_place: np.ndarray
    colocated_pairs: list[tuple]

    cost_b: np.ndarray
    weights_a: np.ndarray
    weights_b: np.ndarray
    fixed_b_idx: np.ndarray
    excluded_b_idx: np.ndarray
    allowed_b: np.ndarray
    max_minutes_a: float
    max_minutes_b: float
    p_a: int
    p_b: int
    colocation: str
    colocation_bonus: float
    priority: tuple[float, float]
    selected_a: list
    selected_b: list
    colocated: list
    covered_share_a: float = math.nan
    covered_share_b: float = math.nan

    @classmethod
    def from_cost_matrix(
        cls,
        cost,
        *,
        max_minutes_a: float,
        max_minutes_b: float,
        p_a: int,
        p_b: int,
        weights_a=None,
        weights_b=None,
        cost_b=None,
        site_ids: Sequence | None = None,
        demand_ids: Sequence | None = None,
        fixed_a: Sequence | None = None,
        fixed_b: Sequence | None = None,
        excluded_a: Sequence | None = None,
        excluded_b: Sequence | None = None,
        colocation: str = "bonus",
        colocation_bonus: float = 0.0,
        priority: tuple[float, float] = (1.0, 1.0),
        site_xy=None,
        colocation_tolerance_m: float = 250.0,
    ) -> JointPlacement:
        """Set up a joint placement (see the class docstring)."""
        self = cls._new(cost, weights_a, site_ids, demand_ids, fixed_a, excluded_a)
        n, m = self.cost.shape
        self.cost_b = self.cost if cost_b is None else check_cost(cost_b)
        if self.cost_b.shape != self.cost.shape:
            raise InputError(
                None,
                f"cost_b has shape {self.cost_b.shape}, cost has {self.cost.shape}",
                "both types must use the same demand rows and candidate sites",
            )
        self.weights_a = self.weights
        self.weights_b = check_weights(weights_b, n, name="weights_b")
        self.fixed_b_idx = site_index(fixed_b, self.site_ids, what="fixed_b")
        self.excluded_b_idx = site_index(excluded_b, self.site_ids, what="excluded_b")
        self.allowed_b = np.ones(m, dtype=bool)
        self.allowed_b[self.excluded_b_idx] = False
        if np.intersect1d(self.fixed_b_idx, self.excluded_b_idx).size:
            raise InputError(
                None, "a type-B site is both fixed and excluded", "fix or exclude it, not both"
            )
        self.max_minutes_a = check_minutes(max_minutes_a, model="joint", name="max_minutes_a")
        self.max_minutes_b = check_minutes(max_minutes_b, model="joint", name="max_minutes_b")
        self.p_a = check_p(
            p_a, int(self.allowed.sum()), len(self.fixed_idx), model="joint (type A)"
        )
        self.p_b = check_p(
            p_b, int(self.allowed_b.sum()), len(self.fixed_b_idx), model="joint (type B)"
        )
        if colocation not in COLOCATION_MODES:
            raise InputError(
                None,
                f"joint: unknown colocation {colocation!r}",
                f"use one of {', '.join(COLOCATION_MODES)}",
            )
        self.colocation = colocation
        self.colocation_bonus = float(colocation_bonus)
        self.priority = (float(priority[0]), float(priority[1]))
        self.same_place = self._same_place(site_xy, colocation_tolerance_m, m)
        if colocation == "required":
            near_a = (self.same_place.astype(int) @ self.allowed.astype(int)) > 0
            bad = np.array([k for k in self.fixed_b_idx if not near_a[k]], dtype=np.int64)
            if bad.size:
                self._fail(
                    f"joint: type-B site(s) {[self.site_ids[k] for k in bad]} are fixed but type A is "
                    "excluded there, so co-location cannot hold"
                )
            if self.p_b > self.p_a and site_xy is None:
                self._fail(
                    f"joint: co-location required but p_b={self.p_b} > p_a={self.p_a}: every type-B house "
                    "needs its own type-A house"
                )
        return self

    @staticmethod
    def _same_place(site_xy, tolerance_m: float, m: int) -> np.ndarray:
        """m × m bool: sites ``j``, ``k`` at the same place (within the tolerance; by id without coordinates)."""
        if site_xy is None:
            return np.eye(m, dtype=bool)
        xy = np.asarray(site_xy, dtype="float64").reshape(-1, 2)
        if xy.shape[0] != m or not np.isfinite(xy).all():
            raise InputError(None, f"joint: site_xy has {xy.shape[0]} finite rows for {m} sites",
                             "pass one (x, y) in metres per candidate site")
        if not (math.isfinite(tolerance_m) and tolerance_m >= 0):
            raise InputError(None, f"joint: colocation_tolerance_m = {plain(tolerance_m)}",
                             "use a distance in metres >= 0, e.g. 250")
        d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        return d <= tolerance_m + 1e-6

    def solve(
        self,
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        mip_gap: float = 1e-4,
        msg: bool = False,
    ) -> JointPlacement:
        """Solve; sets ``selected_a``, ``selected_b``, ``colocated``, shares, ``objective`` …"""
        t0 = time.perf_counter()
        self.solver = solver
        m = self.cost.shape[1]
        WA, WB = float(self.weights_a.sum()), float(self.weights_b.sum())
        sa = self.priority[0] / WA if WA > 0 else 0.0
        sb = self.priority[1] / WB if WB > 0 else 0.0
        b = MilpBuilder()
        cols = {}
        for tag, allowed, fixed in (
            ("a", self.allowed, self.fixed_idx),
            ("b", self.allowed_b, self.fixed_b_idx),
        ):
            lb = np.zeros(m)
            lb[fixed] = 1.0
            cols[tag] = b.add_cols(m, lb=lb, ub=allowed.astype(float), integer=True, name=f"y{tag}")
        for tag, C, T, w, scale, allowed in (
            ("a", self.cost, self.max_minutes_a, self.weights_a, sa, self.allowed),
            ("b", self.cost_b, self.max_minutes_b, self.weights_b, sb, self.allowed_b),
        ):
            R = cover_rows(C, T, allowed=allowed, weights=w)
            nu = R.A.shape[0]
            A = R.A.tocoo()
            z = b.add_cols(nu, cost=scale * R.weight, lb=0.0, ub=1.0, name=f"z{tag}")
            b.add_rows(
                nu,
                np.concatenate([np.arange(nu), A.row]),
                np.concatenate([z, cols[tag][A.col]]),
                np.concatenate([np.ones(nu), -np.ones(A.nnz)]),
                ub=0.0,
            )
        ya, yb = cols["a"], cols["b"]
        b.add_rows(1, np.zeros(m), ya, 1.0, lb=self.p_a, ub=self.p_a)
        b.add_rows(1, np.zeros(m), yb, 1.0, lb=self.p_b, ub=self.p_b)
        sj, sk = np.nonzero(self.same_place)   # pairs (j, k) at the same place (j, j included)
        k = np.arange(m)
        if self.colocation == "bonus" and self.colocation_bonus != 0.0:
            c = b.add_cols(m, cost=self.colocation_bonus, lb=0.0, ub=1.0, name="c")
            b.add_rows(
                m,
                np.concatenate([k, k]),
                np.concatenate([c, ya]),
                np.concatenate([np.ones(m), -np.ones(m)]),
                ub=0.0,
            )  # c_j <= yA_j
            b.add_rows(
                m,
                np.concatenate([k, sj]),
                np.concatenate([c, yb[sk]]),
                np.concatenate([np.ones(m), -np.ones(len(sj))]),
                ub=0.0,
            )  # c_j <= Σ_{k at j's place} yB_k
        elif self.colocation == "required":
            b.add_rows(
                m,
                np.concatenate([k, sj]),
                np.concatenate([yb, ya[sk]]),
                np.concatenate([np.ones(m), -np.ones(len(sj))]),
                ub=0.0,
            )  # yB_j <= Σ_{k at j's place} yA_k
        milp = b.build(sense="max")
        out = solve_milp(
            milp,
            solver=solver,
            time_limit=max(time_limit - (time.perf_counter() - t0), 0.5),
            mip_gap=mip_gap,
            msg=msg,
        )
        x = self._check_outcome(
            out, "the fixed sites, p values and co-location rule cannot all hold"
        )
        open_a = np.flatnonzero(x[ya] > 0.5)
        open_b = np.flatnonzero(x[yb] > 0.5)
        self.selected_a = self._site_order(open_a)
        self.selected_b = self._site_order(open_b)
        pairs = [(int(j), int(q)) for j in open_a for q in open_b if self.same_place[j, q]]
        both = np.array(sorted({j for j, _ in pairs}), dtype=np.int64)
        self.colocated = self._site_order(both)
        self.colocated_pairs = sorted((self.site_ids[j], self.site_ids[q]) for j, q in pairs)
        self.selected = self._site_order(np.union1d(open_a, open_b))
        cov_a = self._share(self.cost, self.weights_a, open_a, self.max_minutes_a)
        cov_b = self._share(self.cost_b, self.weights_b, open_b, self.max_minutes_b)
        self.covered_share_a, self.covered_share_b = cov_a, cov_b
        bonus = self.colocation_bonus * len(both) if self.colocation == "bonus" else 0.0
        self.objective = self.priority[0] * cov_a + self.priority[1] * cov_b + bonus
        self.bound = float(out.bound)
        self.status = out.status
        self.gap = (
            relative_gap(self.objective, self.bound)
            if out.status == "time_limit"
            else float(out.gap)
        )
        d, col = self._assign_nearest(open_a)
        self._set_assignment(col)
        self.solve_seconds = time.perf_counter() - t0
        return self

    @staticmethod
    def _share(C, w, open_idx, T) -> float:
        total = float(w.sum())
        if total <= 0:
            return math.nan
        if len(open_idx) == 0:
            return 0.0
        cov = (C[:, open_idx] <= T + 1e-9).any(axis=1)
        return float(w[cov].sum() / total)

    def summary(self) -> dict:
        d = super().summary()
        d.update(
            sites_a=self.selected_a,
            sites_b=self.selected_b,
            colocated=self.colocated,
            covered_share_a=self.covered_share_a,
            covered_share_b=self.covered_share_b,
            p_a=self.p_a,
            p_b=self.p_b,
            colocation=self.colocation,
        )
        return d
