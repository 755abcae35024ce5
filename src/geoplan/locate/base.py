"""Shared machinery of the location models: input checks, a sparse MILP, solver back-ends.

Every model builds its mixed-integer programme as a :class:`SparseMILP` (numpy
arrays and a scipy CSR matrix, built vectorised) and hands it to
:func:`solve_milp`, which runs one of three back-ends:

``"highs"`` (default)
    HiGHS in-process through ``highspy``, the same library PuLP's ``HiGHS``
    class drives. The numpy model is passed in one call (``passModel``), which
    takes well under a second for a million non-zeros, where PuLP's
    Python-level model building takes about 17 s per 300 000 columns on this
    machine. The status, the primal objective, the dual bound and the gap are
    read from HiGHS itself (``getModelStatus``, ``getInfo().mip_dual_bound``,
    ``mip_gap``), never from PuLP's ``LpStatus`` (which says "Optimal" after a
    time limit).
``"highs-pulp"``
    The same model written as a :class:`pulp.LpProblem` and solved by
    :class:`pulp.HiGHS`; status, bound and gap are still read from the
    ``highspy`` object PuLP keeps in ``problem.solverModel``. Slow to build;
    kept to cross-check the direct path.
``"cbc"``
    PuLP's bundled CBC (``PULP_CBC_CMD``). The status, bound and gap are parsed
    from CBC's log ("Result - Optimal solution found", "Result - Stopped on time
    limit", "Objective value", "Lower bound", "Gap"). Limits: CBC 2.10 has been
    seen to overrun its time limit on large p-median models, it is markedly
    slower than HiGHS, and when its log lacks a line the bound is reported as
    NaN.

Maximisation models are negated into minimisation before any back-end sees
them, so bounds and gaps keep one sign convention.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Self, overload

import numpy as np
import scipy.sparse as sp

from geoplan.errors import InfeasibleError, InputError, SolverError, plain

SOLVERS = ("highs", "highs-pulp", "cbc")

#: tolerance used when comparing travel times to a threshold (minutes)
TIME_EPS = 1e-9


# --------------------------------------------------------------------------- inputs


def check_cost(cost: Any) -> np.ndarray:
    """Return ``cost`` as a float64 (demand × sites) array; NaN and negatives are refused."""
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise InputError(
            None,
            f"cost matrix must be 2-D (demand × sites), got shape {c.shape}",
            "pass a numpy array with one row per demand point and one column per site",
        )
    if c.shape[0] == 0 or c.shape[1] == 0:
        raise InputError(
            None,
            f"cost matrix is empty (shape {c.shape})",
            "give at least one demand row and one site",
        )
    if np.isnan(c).any():
        i, j = np.argwhere(np.isnan(c))[0]
        raise InputError(
            None, f"cost matrix holds NaN (row {i}, column {j})", "use np.inf for unreachable pairs"
        )
    if (c < 0).any():
        i, j = np.argwhere(c < 0)[0]
        raise InputError(
            None,
            f"cost matrix holds a negative travel time (row {i}, column {j}: {c[i, j]})",
            "travel times must be >= 0 minutes",
        )
    return c


def check_weights(weights: Any, n: int, *, name: str = "weights") -> np.ndarray:
    """Return demand weights as float64 of length ``n`` (ones when ``None``)."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape[0] != n:
        raise InputError(
            None,
            f"{name} has {w.shape[0]} values but the cost matrix has {n} demand rows",
            f"pass one {name} value per cost-matrix row",
        )
    if not np.isfinite(w).all():
        raise InputError(
            None, f"{name} holds NaN or infinite values", f"give every row a finite {name} value"
        )
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise InputError(None, f"{name} row {i} is negative ({w[i]})", f"{name} must be >= 0")
    return w


def check_ids(ids: Sequence | None, n: int, *, what: str) -> list:
    """Default ids are ``0..n-1``; given ids must be ``n`` unique values."""
    if ids is None:
        return list(range(n))
    ids = list(ids)
    if len(ids) != n:
        raise InputError(None, f"{len(ids)} {what} ids for {n} {what}s", f"pass one id per {what}")
    if len(set(ids)) != n:
        seen: set = set()
        dup = None
        for x in ids:
            if x in seen:
                dup = x
                break
            seen.add(x)
        raise InputError(None, f"duplicate {what} id {dup!r}", f"{what} ids must be unique")
    return ids


def site_index(ids: Sequence | None, site_ids: list, *, what: str) -> np.ndarray:
    """Positions of the given site ids (``fixed`` / ``excluded``) in ``site_ids``."""
    if not ids:
        return np.zeros(0, dtype=np.int64)
    pos = {s: k for k, s in enumerate(site_ids)}
    out = []
    for s in ids:
        if s not in pos:
            raise InputError(
                None,
                f"{what} site {s!r} is not a candidate site",
                f"use ids from site_ids (e.g. {site_ids[0]!r})",
            )
        out.append(pos[s])
    return np.unique(np.asarray(out, dtype=np.int64))


@overload
def check_p(
    p: int, n_sites: int, n_fixed: int, *, required: bool = True, model: str = ""
) -> int: ...
@overload
def check_p(
    p: int | None, n_sites: int, n_fixed: int, *, required: bool = True, model: str = ""
) -> int | None: ...
def check_p(
    p: int | None, n_sites: int, n_fixed: int, *, required: bool = True, model: str = ""
) -> int | None:
    if p is None:
        if required:
            raise InputError(
                None, f"{model}: p (the number of sites to open) is missing", "pass p=<int>"
            )
        return None
    if int(p) != p or p < 1:
        raise InputError(None, f"{model}: p must be a positive integer, got {plain(p)}", "pass p >= 1")
    p = int(p)
    if p > n_sites:
        raise InfeasibleError(
            f"{model}: p={p} sites requested but there are only {n_sites} candidate sites "
            f"(after exclusions)\n  fix: pass p <= {n_sites}, or add candidate sites (columns of the "
            "cost matrix)"
        )
    if n_fixed > p:
        raise InfeasibleError(
            f"{model}: {n_fixed} sites are fixed open but p={p}\n  fix: raise p to at least {n_fixed} "
            "or fix fewer sites"
        )
    return p


def check_minutes(value: Any, *, model: str, name: str = "max_minutes") -> float:
    """A coverage threshold in minutes: finite and >= 0, else an InputError naming the model and key."""
    if value is None or not np.isfinite(value) or value < 0:
        raise InputError(
            None,
            f"{model}: {name} must be a finite number >= 0, got {plain(value)}",
            "pass the coverage threshold in minutes, e.g. max_minutes=30",
        )
    return float(value)


def check_site_vector(values: Any, n_sites: int, *, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.shape[0] != n_sites:
        raise InputError(
            None,
            f"{name} has {v.shape[0]} values for {n_sites} sites",
            f"pass one {name} value per site",
        )
    if not np.isfinite(v).all() or (v < 0).any():
        raise InputError(None, f"{name} must be finite and >= 0", f"fix the {name} values")
    return v


def optional_site_vector(values: Any, n_sites: int, *, name: str) -> np.ndarray | None:
    """:func:`check_site_vector`, passing ``None`` (not given) through."""
    return None if values is None else check_site_vector(values, n_sites, name=name)


def check_p_or_budget(
    p: int | None, budget: float | None, n_sites: int, n_fixed: int, *, model: str
) -> int | None:
    """:func:`check_p` for a model where a budget may stand in for ``p`` (one of them is required)."""
    if budget is None and p is None:
        raise InputError(
            None,
            f"{model}: p (the number of sites to open) is missing",
            "pass p=<int> (or a budget)",
        )
    return check_p(p, n_sites, n_fixed, required=False, model=model)


def check_budget(budget: float | None, site_costs: np.ndarray | None, *, model: str) -> float | None:
    """The total budget as a float (``None``: no budget); a budget needs ``site_costs``."""
    if budget is not None and site_costs is None:
        raise InputError(
            None,
            f"{model}: budget given without site_costs",
            "pass site_costs (one value per site)",
        )
    return None if budget is None else float(budget)


def fmt_ids(ids: Sequence, limit: int = 5) -> str:
    ids = list(ids)
    s = ", ".join(repr(x) for x in ids[:limit])
    return s + (f" … (+{len(ids) - limit} more)" if len(ids) > limit else "")


# --------------------------------------------------------------------------- sparse MILP


class MilpBuilder:
    """Collects columns and rows (as COO triplets) and produces a :class:`SparseMILP`."""

    def __init__(self) -> None:
        self._c: list[np.ndarray] = []
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._names: list[tuple[str, int, int]] = []
        self.n_cols = 0
        self._ri: list[np.ndarray] = []
        self._ci: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._rlb: list[np.ndarray] = []
        self._rub: list[np.ndarray] = []
        self.n_rows = 0

    def add_cols(
        self, n: int, *, cost=0.0, lb=0.0, ub=1.0, integer: bool = False, name: str = "x"
    ) -> np.ndarray:
        """Add ``n`` columns and return their indices."""
        idx = np.arange(self.n_cols, self.n_cols + n, dtype=np.int64)
        self._c.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)).copy())
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=bool))
        self._names.append((name, self.n_cols, n))
        self.n_cols += n
        return idx

    def add_rows(self, n: int, rows, cols, vals, *, lb=-np.inf, ub=np.inf) -> np.ndarray:
        """Add ``n`` rows; ``rows`` are 0-based within this block. Returns the row indices."""
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape)
        self._ri.append(rows + self.n_rows)
        self._ci.append(cols)
        self._v.append(vals.copy())
        self._rlb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,)).copy())
        self._rub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,)).copy())
        idx = np.arange(self.n_rows, self.n_rows + n, dtype=np.int64)
        self.n_rows += n
        return idx

    def build(self, *, sense: str = "min", offset: float = 0.0) -> SparseMILP:
        cat = np.concatenate
        A = sp.csr_matrix(
            (
                cat(self._v) if self._v else np.zeros(0),
                (
                    cat(self._ri) if self._ri else np.zeros(0, dtype=np.int64),
                    cat(self._ci) if self._ci else np.zeros(0, dtype=np.int64),
                ),
            ),
            shape=(self.n_rows, self.n_cols),
        )
        A.sum_duplicates()
        return SparseMILP(
            c=cat(self._c),
            lb=cat(self._lb),
            ub=cat(self._ub),
            integer=cat(self._int),
            A=A,
            row_lb=cat(self._rlb) if self._rlb else np.zeros(0),
            row_ub=cat(self._rub) if self._rub else np.zeros(0),
            sense=sense,
            offset=offset,
            blocks=list(self._names),
        )


@dataclass
class SparseMILP:
    """``min/max c·x + offset`` s.t. ``row_lb <= A x <= row_ub``, ``lb <= x <= ub``, some ``x`` integer."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    sense: str = "min"
    offset: float = 0.0
    blocks: list = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape


@dataclass
class MilpOutcome:
    """What a back-end returns, in the model's own sense (max stays max)."""

    status: str  # "optimal" | "time_limit" | "infeasible" | "no_solution"
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    seconds: float
    raw_status: str


def _gap(obj: float, bound: float) -> float:
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return math.inf
    if abs(obj - bound) <= 1e-9 * max(1.0, abs(obj)):
        return 0.0
    return abs(obj - bound) / max(abs(obj), 1e-9)


def relative_gap(obj: float, bound: float) -> float:
    """``|objective - bound| / |objective|`` (0 when equal, inf when either is not finite)."""
    return _gap(obj, bound)


def solve_milp(
    m: SparseMILP,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    msg: bool = False,
    warm_start: np.ndarray | None = None,
    options: dict[str, Any] | None = None,
) -> MilpOutcome:
    """Solve ``m`` with the named back-end (see module docstring).

    ``options``: extra HiGHS options (``solver="highs"`` only), e.g. ``{"presolve": "off"}``.
    """
    if solver not in SOLVERS:
        raise InputError(None, f"unknown solver {solver!r}", f"use one of {', '.join(SOLVERS)}")
    if time_limit is None or not time_limit > 0:
        raise InputError(
            None, f"time_limit must be > 0 seconds, got {plain(time_limit)}", "pass e.g. time_limit=60"
        )
    sign = -1.0 if m.sense == "max" else 1.0
    c = sign * m.c
    off = sign * m.offset
    t0 = time.perf_counter()
    if solver == "highs":
        out = _solve_highspy(
            m,
            c,
            time_limit=time_limit,
            mip_gap=mip_gap,
            msg=msg,
            warm_start=warm_start,
            options=options,
        )
    else:
        out = _solve_pulp(
            m,
            c,
            solver=solver,
            time_limit=time_limit,
            mip_gap=mip_gap,
            msg=msg,
            warm_start=warm_start,
        )
    status, x, obj, bound, raw = out
    seconds = time.perf_counter() - t0
    obj = obj + off if math.isfinite(obj) else obj
    bound = bound + off if math.isfinite(bound) else bound
    gap = _gap(obj, bound) if status in ("optimal", "time_limit") else math.nan
    return MilpOutcome(
        status=status,
        x=x,
        objective=sign * obj,
        bound=sign * bound,
        gap=gap,
        seconds=seconds,
        raw_status=raw,
    )


@contextlib.contextmanager
def _c_stdout_silenced(silence: bool):
    """Silence the C-level stdout (HiGHS prints a banner when constructed, whatever its options)."""
    if not silence:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve_highspy(
    m: SparseMILP, c: np.ndarray, *, time_limit, mip_gap, msg, warm_start, options=None
):
    import highspy

    with _c_stdout_silenced(not msg):
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(msg))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", 0)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    n_rows, n_cols = m.A.shape
    A = m.A.tocsc()
    A.sort_indices()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = c
    lp.col_lower_ = m.lb
    lp.col_upper_ = m.ub
    lp.row_lower_ = np.where(np.isfinite(m.row_lb), m.row_lb, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(m.row_ub), m.row_ub, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    has_int = bool(m.integer.any())
    if has_int:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in m.integer
        ]
    h.passModel(lp)
    if warm_start is not None and has_int:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(warm_start, dtype=np.float64)
        h.setSolution(sol)
    h.run()
    return _read_highs(h, has_int)


def _read_highs(h, has_int: bool):
    import highspy

    S = highspy.HighsModelStatus
    st = h.getModelStatus()
    info = h.getInfo()
    raw = h.modelStatusToString(st)
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if feasible else None
    obj = float(info.objective_function_value) if feasible else math.inf
    lp_bound = obj if st == S.kOptimal else -math.inf
    bound = float(info.mip_dual_bound) if has_int else lp_bound
    if st == S.kOptimal:
        return "optimal", x, obj, bound, raw
    if st in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return "infeasible", None, math.inf, math.inf, raw
    if st in (
        S.kTimeLimit,
        S.kIterationLimit,
        S.kSolutionLimit,
        S.kInterrupt,
        S.kObjectiveBound,
        S.kObjectiveTarget,
    ):
        return ("time_limit" if feasible else "no_solution"), x, obj, bound, raw
    return "no_solution", x, obj, bound, raw


def _to_pulp(m: SparseMILP, c: np.ndarray):
    import pulp

    prob = pulp.LpProblem("geoplan_locate", pulp.LpMinimize)
    xs = []
    for name, start, n in m.blocks:
        for k in range(n):
            j = start + k
            lb = m.lb[j] if np.isfinite(m.lb[j]) else None
            ub = m.ub[j] if np.isfinite(m.ub[j]) else None
            cat = pulp.LpInteger if m.integer[j] else pulp.LpContinuous
            xs.append(pulp.LpVariable(f"{name}_{k}", lowBound=lb, upBound=ub, cat=cat))
    nz = np.flatnonzero(c)
    prob += (
        pulp.LpAffineExpression([(xs[j], float(c[j])) for j in nz])
        if len(nz)
        else pulp.LpAffineExpression()
    )
    A = m.A
    for r in range(A.shape[0]):
        s, e = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [(xs[j], float(v)) for j, v in zip(A.indices[s:e], A.data[s:e], strict=True)]
        )
        lo, hi = m.row_lb[r], m.row_ub[r]
        if np.isfinite(lo) and np.isfinite(hi) and lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", float(lo))
            continue
        if np.isfinite(lo):
            prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{r}_lo", float(lo))
        if np.isfinite(hi):
            prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}_hi", float(hi))
    return prob, xs


_CBC_RESULT = re.compile(r"^Result - (.+)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.M)


def _solve_pulp(m: SparseMILP, c: np.ndarray, *, solver, time_limit, mip_gap, msg, warm_start):
    import pulp

    prob, xs = _to_pulp(m, c)
    has_int = bool(m.integer.any())
    if warm_start is not None:
        for v, val in zip(xs, warm_start, strict=True):
            v.setInitialValue(float(round(val)) if v.cat == pulp.LpInteger else float(val))
    if solver == "highs-pulp":
        ws = warm_start

        class _WarmHiGHS(pulp.HiGHS):
            def callSolver(self, lp):  # noqa: N802 (PuLP's name)
                if ws is not None and has_int:
                    import highspy

                    sol = highspy.HighsSolution()
                    vals = np.zeros(len(lp.variables()))
                    for v in lp.variables():
                        vals[v.index] = v.varValue if v.varValue is not None else 0.0
                    sol.col_value = vals
                    lp.solverModel.setSolution(sol)
                super().callSolver(lp)

        s = _WarmHiGHS(msg=msg, timeLimit=float(time_limit), gapRel=float(mip_gap), random_seed=0)
        prob.solve(s)
        status, x, obj, bound, raw = _read_highs(prob.solverModel, has_int)
        if x is not None:  # map highspy column order back to ours
            x = np.array([x[v.index] for v in xs])
        return status, x, obj, bound, raw
    # CBC
    with tempfile.TemporaryDirectory(prefix="geoplan-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        s = pulp.PULP_CBC_CMD(
            msg=msg,
            timeLimit=float(time_limit),
            gapRel=float(mip_gap),
            warmStart=warm_start is not None,
            logPath=str(log),
            keepFiles=False,
            options=["randomSeed 1"],
        )
        s.tmpDir = tmp
        prob.solve(s)
        text = log.read_text(errors="replace") if log.exists() else ""
    res = _CBC_RESULT.search(text)
    raw = res.group(1).strip() if res else pulp.LpStatus[prob.status]
    x_vals = [v.varValue for v in xs]
    has_values = all(v is not None for v in x_vals)
    x = np.array(x_vals, dtype=np.float64) if has_values else None
    low = raw.lower()
    if "infeasible" in low or prob.status == pulp.LpStatusInfeasible:
        return "infeasible", None, math.inf, math.inf, raw
    if x is None or prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return "no_solution", None, math.inf, -math.inf, raw
    obj = float(c @ x)
    bound = math.nan
    if has_int:
        mb = _CBC_BOUND.search(text)
        if mb:
            try:
                bound = float(mb.group(1))
            except ValueError:
                bound = math.nan
    if "optimal" in low or (not has_int and prob.status == pulp.LpStatusOptimal):
        if not math.isfinite(bound):
            bound = obj
        return "optimal", x, obj, bound, raw
    return "time_limit", x, obj, bound, raw


# --------------------------------------------------------------------------- result base


class LocationModel:
    """Common attributes and helpers of the location models.

    Attributes (after :meth:`solve`)
    ----------
    status : str
        ``"optimal"`` (proven within ``mip_gap``), ``"time_limit"`` (stopped with
        a feasible solution; see ``gap``) or ``"infeasible"`` (set just before
        :class:`~geoplan.errors.InfeasibleError` is raised).
    objective, bound, gap : float
        Objective of the returned solution (evaluated on the full cost matrix),
        the solver's proven bound, and ``|objective - bound| / |objective|``.
    selected : list
        Open site ids, sorted.
    assignment : dict
        Demand id → site id (nearest open site; ``None`` where none is reachable).
    solve_seconds : float
        Wall-clock seconds of :meth:`solve` (model building, heuristic, solver).
    """

    name = "model"

    status: str | None = None
    objective: float = math.nan
    bound: float = math.nan
    gap: float = math.nan
    selected: list
    assignment: dict
    solve_seconds: float = math.nan
    solver: str | None = None
    cost: np.ndarray
    weights: np.ndarray
    site_ids: list
    demand_ids: list
    fixed_idx: np.ndarray
    excluded_idx: np.ndarray
    allowed: np.ndarray
    _open_idx: np.ndarray

    @classmethod
    def _new(cls, cost, weights, site_ids, demand_ids, fixed, excluded) -> Self:
        """A model with the inputs all models share checked (see :meth:`_init_common`)."""
        self = cls()
        self._init_common(
            cost,
            weights=weights,
            site_ids=site_ids,
            demand_ids=demand_ids,
            fixed=fixed,
            excluded=excluded,
        )
        return self

    def _init_common(self, cost, *, weights, site_ids, demand_ids, fixed, excluded) -> None:
        self.cost = check_cost(cost)
        n, m = self.cost.shape
        self.weights = check_weights(weights, n)
        self.site_ids = check_ids(site_ids, m, what="site")
        self.demand_ids = check_ids(demand_ids, n, what="demand")
        self.fixed_idx = site_index(fixed, self.site_ids, what="fixed")
        self.excluded_idx = site_index(excluded, self.site_ids, what="excluded")
        both = np.intersect1d(self.fixed_idx, self.excluded_idx)
        if len(both):
            raise InputError(
                None,
                f"site(s) {fmt_ids([self.site_ids[k] for k in both])} are both fixed and excluded",
                "a site can be forced open or excluded, not both",
            )
        allowed = np.ones(m, dtype=bool)
        allowed[self.excluded_idx] = False
        self.allowed = allowed
        self.selected = []
        self.assignment = {}

    def _site_order(self, idx) -> list:
        """Site ids of the positions ``idx``, sorted by id."""
        return sorted((self.site_ids[int(k)] for k in idx), key=_sort_key)

    def _assign_nearest(self, open_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(minutes to nearest open site, its column) per demand row; inf / -1 where none reachable."""
        open_idx = np.asarray(open_idx, dtype=np.int64)
        n = self.cost.shape[0]
        if len(open_idx) == 0:
            return np.full(n, np.inf), np.full(n, -1)
        sub = self.cost[:, open_idx]
        k = np.argmin(sub, axis=1)
        d = sub[np.arange(n), k]
        col = np.where(np.isfinite(d), open_idx[k], -1)
        return d, col

    def _set_assignment(self, cols: np.ndarray) -> None:
        self.assignment = {
            self.demand_ids[i]: (self.site_ids[int(j)] if j >= 0 else None)
            for i, j in enumerate(cols)
        }

    def _fail(self, message: str) -> NoReturn:
        self.status = "infeasible"
        raise InfeasibleError(message)

    def _check_outcome(self, out: MilpOutcome, what: str) -> np.ndarray:
        """Raise on an infeasible or solution-less outcome; else return the solution vector."""
        if out.status == "infeasible":
            self._fail(
                f"{self.name}: the solver proved the model infeasible ({out.raw_status}): {what}"
            )
        if out.status == "no_solution" or out.x is None:
            raise SolverError(
                f"{self.name}: the solver stopped without a usable solution ({out.raw_status}); "
                "raise time_limit or try solver='highs'"
            )
        return out.x

    def summary(self) -> dict:
        """Plain-Python summary (JSON-serialisable)."""
        return {
            "model": self.name,
            "status": self.status,
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": _num(self.gap),
            "sites": list(self.selected),
            "solver": self.solver,
            "solve_seconds": _num(self.solve_seconds),
        }

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} status={self.status} objective={self.objective:.6g} "
            f"gap={self.gap:.3g} sites={len(self.selected)}>"
        )


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _sort_key(x):
    return (0, x, "") if isinstance(x, (int, np.integer, float)) else (1, 0, str(x))


def open_vector(m: int, idx) -> np.ndarray:
    y = np.zeros(m)
    y[np.asarray(idx, dtype=np.int64)] = 1.0
    return y


# --------------------------------------------------------------------------- coverage rows


@dataclass
class CoverRows:
    """Demand rows merged by identical cover sets.

    ``A`` (unique rows × sites, CSR of 0/1) says which sites cover each merged
    row; ``weight`` is the summed weight of its members; ``inverse`` maps every
    original row to its merged row (-1 for rows left out: zero weight, or, with
    ``drop_empty``, rows no allowed site covers); ``group`` the group code of a
    merged row (when groups were given).
    """

    A: sp.csr_matrix
    weight: np.ndarray
    inverse: np.ndarray
    group: np.ndarray | None
    empty_rows: np.ndarray  # original rows (weight > 0) that no allowed site covers


def cover_rows(
    cost: np.ndarray,
    max_minutes: float,
    *,
    allowed: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray | None = None,
    keep_zero_weight: bool = False,
) -> CoverRows:
    """Merge demand rows that the same set of allowed sites covers within ``max_minutes``."""
    n, m = cost.shape
    cov = cost <= max_minutes + TIME_EPS
    cov &= allowed[None, :]
    use = np.ones(n, dtype=bool) if keep_zero_weight else weights > 0
    has = cov.any(axis=1)
    empty_rows = np.flatnonzero(use & ~has)
    keep = np.flatnonzero(use & has)
    inverse = np.full(n, -1, dtype=np.int64)
    if len(keep) == 0:
        return CoverRows(
            sp.csr_matrix((0, m)),
            np.zeros(0),
            inverse,
            None if groups is None else np.zeros(0, int),
            empty_rows,
        )
    packed = np.packbits(cov[keep], axis=1)
    if groups is not None:
        gcodes = np.asarray(groups)[keep].astype(np.int64)
        key = np.concatenate([gcodes.view(np.uint8).reshape(len(keep), -1), packed], axis=1)
    else:
        key = packed
    key = np.ascontiguousarray(key)
    void = key.view(np.dtype((np.void, key.shape[1]))).ravel()
    _, first, inv = np.unique(void, return_index=True, return_inverse=True)
    inv = inv.ravel()
    inverse[keep] = inv
    A = sp.csr_matrix(cov[keep[first]].astype(np.float64))
    w = np.bincount(inv, weights=weights[keep], minlength=len(first))
    grp = None if groups is None else np.asarray(groups)[keep[first]].astype(np.int64)
    return CoverRows(A, w, inverse, grp, empty_rows)


def dominated_sites(
    A: sp.csr_matrix,
    *,
    allowed: np.ndarray,
    fixed_idx: np.ndarray,
    site_costs: np.ndarray | None = None,
) -> np.ndarray:
    """Sites another allowed site makes redundant in a covering model (a bool mask over sites).

    Site ``j`` is dominated by ``k`` when ``k``'s cover set (the rows of ``A`` it
    covers) contains ``j``'s and ``k`` costs no more (``site_costs``, equal when
    ``None``); of sites with equal cover sets and costs the lowest index stays.
    Dominance is transitive with that tie rule, so every dominated site has an
    undominated dominator, and swapping ``j`` for it never lowers coverage nor
    raises cost: dropping dominated sites keeps an optimum of MCLP and LSCP (not
    of capacitated models). Fixed and excluded sites are never marked.
    """
    n, m = A.shape
    out = np.zeros(m, dtype=bool)
    if m < 2:
        return out
    B = sp.csc_matrix(A, dtype=np.float64)
    B.data[:] = 1.0
    size = np.asarray(B.sum(axis=0)).ravel()
    cand = allowed.copy()
    cand[np.asarray(fixed_idx, dtype=np.int64)] = False
    costs = np.zeros(m) if site_costs is None else np.asarray(site_costs, dtype=np.float64)
    ov = (B.T @ B).tocoo()  # overlap counts of pairs with a common row
    j, k, v = ov.row, ov.col, ov.data
    sub = (j != k) & (v >= size[j] - 0.5) & allowed[k] & cand[j]
    j, k = j[sub], k[sub]
    beats = (costs[k] <= costs[j]) & ((size[k] > size[j]) | (costs[k] < costs[j]) | (k < j))
    out[j[beats]] = True
    # sites covering nothing: dominated by any allowed site that costs no more
    empty = cand & (size == 0)
    if empty.any():
        for jj in np.flatnonzero(empty):
            others = allowed & (costs <= costs[jj])
            others[jj] = False
            others &= (size > 0) | (np.arange(m) < jj) | (costs < costs[jj])
            if others.any():
                out[jj] = True
    return out
