r"""Floating-catchment accessibility: 2SFCA, enhanced 2SFCA and gravity models.

Every model takes a cost matrix (demand points × sites, minutes), a demand
weight per demand point (population) and a capacity per site (doctors,
practices, beds), and returns an access value per demand point: supply per
unit of demand within reach, counting the demand that competes for the same
supply. The definitions are those of PySAL ``access`` 1.1 (``access.fca`` and
``access.Access``), value for value, including its handling of edge cases;
``tests/test_access.py`` checks agreement to 1e-9.

Notation
--------
:math:`P_i` demand weight of demand point *i*; :math:`S_j` capacity of site *j*;
:math:`c_{ij}` travel cost (minutes); :math:`T` the catchment (``max_minutes``);
:math:`f` the decay weight (:mod:`geoplan.access.decay`). A pair is *in reach*
when :math:`c_{ij}` is finite and :math:`c_{ij} \le T` (a cost equal to
:math:`T` is inside; with ``max_minutes=None`` every finite pair is in reach).

Two-step models (2SFCA, E2SFCA, gravity with competition)::

    D_j = sum_{i in reach of j} f(c_ij) P_i          (weighted demand at site j)
    R_j = S_j / D_j                                   (supply-to-demand ratio)
    A_i = sum_{j in reach of i} f(c_ij) R_j           (access of demand point i)

Edge cases, as PySAL computes them
----------------------------------
* A demand point with **no site in reach** gets ``NaN`` (PySAL leaves its row
  empty). The textbook sum over an empty set would be 0; ``sites_in_reach`` in
  the result says which is which, and ``fillna(0)`` gives the textbook value.
* A site whose in-reach demand sums to 0 (only zero-weight points in reach) has
  :math:`R_j = S_j/0 = \infty` (``NaN`` when :math:`S_j = 0` too). A term
  :math:`f R_j` that is ``NaN`` (``0 × inf``, ``0/0``) is skipped, as pandas'
  ``sum`` skips it; a term that is ``inf`` makes :math:`A_i = \infty`. This
  only happens at zero-weight demand points, so population-weighted figures
  are unaffected (geoplan's summaries skip ``0 × inf``).
* A site with no demand point in reach serves nobody; its ratio is ``NaN``.
* Ids in the matrix must have a demand weight / a capacity (geoplan raises;
  PySAL would drop unknown demand ids and give unknown sites capacity 0).
  Duplicate pairs are refused (PySAL would add them up).

Normalisation (``normalize=True``, PySAL ``helpers.normalized_access``)::

    A_i / ( sum_i P_i A_i / sum_i P_i )

i.e. division by the demand-weighted mean access, where the sum in the
numerator skips ``NaN`` (no site in reach) and ``0 × inf``, and the
denominator counts **all** demand, reached or not. So a normalised value of 1 is
the average of the whole population, and unreached demand pulls the mean
down. For plain 2SFCA where every site has demand in reach, the mean equals
the regional ratio :math:`\sum_j S_j / \sum_i P_i`.

Limits
------
* Costs are compared in float64; a float32 :class:`~geoplan.routing.TravelTimeMatrix`
  is widened exactly. A matrix computed with a routing cutoff below ``max_minutes``
  silently drops pairs between the two: compute the matrix with a cutoff of at
  least ``max_minutes`` (and, for the Gaussian and gravity decay with no
  ``max_minutes``, with no cutoff).
* Memory is that of the in-reach pairs (three arrays of their length), plus
  the dense matrix when one is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoplan.access.decay import (
    LUO_QI_STEPS,
    Decay,
    GaussianDecay,
    PowerDecay,
    StepDecay,
)
from geoplan.errors import InputError, plain

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Column triples recognised in a long cost frame (origin, destination, cost).
COST_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("demand_id", "site_id", "minutes"),      # geoplan locate / access CSV
    ("origin", "destination", "minutes"),     # TravelTimeMatrix.to_frame()
    ("origin", "dest", "cost"),               # PySAL access examples
)


# ------------------------------------------------------------------ cost pairs
@dataclass(frozen=True)
class CatchmentPairs:
    """The in-reach pairs of a cost matrix, as positions into demand and site ids.

    Attributes
    ----------
    demand_ids, site_ids
        ``pandas.Index`` of the demand points and sites (result order).
    rows, cols
        int64 positions of each in-reach pair into ``demand_ids`` / ``site_ids``.
    minutes
        float64 cost of each pair (finite, ``<= max_minutes``).
    max_minutes
        The catchment used (``None`` = every finite pair).
    """

    demand_ids: pd.Index
    site_ids: pd.Index
    rows: IntArray
    cols: IntArray
    minutes: FloatArray
    max_minutes: float | None

    def __len__(self) -> int:
        return int(self.rows.size)


def catchment_pairs(
    cost_matrix: Any,
    *,
    demand_ids: Sequence[Any] | pd.Index,
    site_ids: Sequence[Any] | pd.Index,
    max_minutes: float | None,
    columns: tuple[str, str, str] | None = None,
) -> CatchmentPairs:
    """Select the pairs of a cost matrix that lie within a catchment.

    Parameters
    ----------
    cost_matrix
        One of: a :class:`geoplan.routing.TravelTimeMatrix` (or anything with
        ``origins``, ``destinations`` and a dense ``minutes`` array; ``inf`` =
        unreachable); a long ``pandas.DataFrame`` with origin, destination and
        cost columns (see ``columns``; a missing pair or ``inf`` = unreachable);
        a dense 2-D array (rows = ``demand_ids``, columns = ``site_ids``).
    demand_ids, site_ids
        The ids of the result. Every id of the matrix must be among them; ids
        not in the matrix reach nothing.
    max_minutes
        Catchment :math:`T` (pairs with cost ``<= T``), or ``None`` for every
        finite pair.
    columns
        ``(origin, destination, cost)`` column names of a long frame. Default:
        the first of :data:`COST_COLUMNS` present.

    Raises
    ------
    InputError
        Negative or NaN costs, duplicate pairs, matrix ids without demand or
        capacity, a shape that does not match the ids, a bad ``max_minutes``.
    """
    T = _check_max_minutes(max_minutes)
    dem = _unique_index(demand_ids, "demand")
    sit = _unique_index(site_ids, "site")
    if isinstance(cost_matrix, pd.DataFrame):
        rows, cols, minutes = _pairs_from_frame(cost_matrix, dem, sit, T, columns)
    elif hasattr(cost_matrix, "minutes") and hasattr(cost_matrix, "origins"):
        o = _unique_index(cost_matrix.origins, "matrix origin")
        d = _unique_index(cost_matrix.destinations, "matrix destination")
        rpos = _positions(o, dem, "origin", "demand")
        cpos = _positions(d, sit, "destination", "site")
        r, c, minutes = _pairs_from_dense(np.asarray(cost_matrix.minutes), T)
        rows, cols = rpos[r], cpos[c]
    else:
        M = np.asarray(cost_matrix)
        if M.ndim != 2 or M.shape != (len(dem), len(sit)):
            raise InputError(None, f"cost matrix of shape {M.shape} does not match "
                             f"{len(dem)} demand ids × {len(sit)} site ids",
                             "give one row per demand point and one column per site")
        rows, cols, minutes = _pairs_from_dense(M, T)
    return CatchmentPairs(dem, sit, rows.astype(np.int64), cols.astype(np.int64), minutes, T)


def _check_max_minutes(max_minutes: float | None) -> float | None:
    if max_minutes is None:
        return None
    try:
        T = float(max_minutes)
    except (TypeError, ValueError):
        raise InputError(None, f"max_minutes={plain(max_minutes)} is not a number",
                         "give the catchment in minutes, e.g. 30") from None
    if not (math.isfinite(T) and T > 0):
        raise InputError(None, f"max_minutes={plain(max_minutes)} must be a finite number > 0",
                         "give the catchment in minutes, e.g. 30 (None = no cutoff)")
    return T


def _unique_index(ids: Any, what: str) -> pd.Index:
    idx = ids if isinstance(ids, pd.Index) else pd.Index(list(ids))
    if idx.hasnans:
        raise InputError(None, f"a {what} id is missing (NaN)", f"give every {what} an id")
    if not idx.is_unique:
        dup = idx[idx.duplicated()][0]
        raise InputError(None, f"{what} id {dup!r} occurs twice", f"list each {what} once")
    return idx


def _positions(ids: pd.Index, known: pd.Index, what: str, table: str) -> IntArray:
    codes, uniq = pd.factorize(ids)  # look up each distinct id once (long frames repeat them)
    pos: IntArray = np.asarray(known.get_indexer(uniq), dtype=np.int64)[codes]
    if (pos < 0).any():
        bad = ids[int(np.flatnonzero(pos < 0)[0])]
        raise InputError(None, f"matrix {what} {bad!r} has no {table} entry",
                         f"give it a {'weight' if table == 'demand' else 'capacity'} "
                         f"(0 is allowed) or drop it from the matrix")
    return pos


def _pairs_from_dense(M: npt.NDArray[Any], T: float | None) -> tuple[IntArray, IntArray, FloatArray]:
    if M.dtype.kind not in "fiu":
        raise InputError(None, f"cost matrix has dtype {M.dtype}", "give minutes as numbers")
    if M.dtype.kind == "f" and np.isnan(M).any():
        r, c = np.argwhere(np.isnan(M))[0]
        raise InputError(None, f"cost matrix entry ({r}, {c}) is NaN",
                         "use inf (or leave the pair out of a long table) for unreachable")
    if (M < 0).any():
        r, c = np.argwhere(M < 0)[0]
        raise InputError(None, f"cost matrix entry ({r}, {c}) = {M[r, c]} is negative",
                         "travel times must be >= 0")
    if T is None:
        mask = np.isfinite(M)
    else:
        # a superset in the matrix's own precision, then the exact float64 test
        bound = np.nextafter(M.dtype.type(T), M.dtype.type(np.inf)) if M.dtype.kind == "f" else T
        mask = np.less_equal(M, bound)
    r, c = np.nonzero(mask)
    minutes = M[r, c].astype(np.float64)
    if T is not None:
        keep = minutes <= T
        r, c, minutes = r[keep], c[keep], minutes[keep]
    return r.astype(np.int64), c.astype(np.int64), minutes


def _pairs_from_frame(df: pd.DataFrame, dem: pd.Index, sit: pd.Index, T: float | None,
                      columns: tuple[str, str, str] | None) -> tuple[IntArray, IntArray, FloatArray]:
    if columns is None:
        columns = next((cs for cs in COST_COLUMNS if all(c in df.columns for c in cs)), None)
        if columns is None:
            raise InputError(None, f"cost frame has columns {list(df.columns)}",
                             "name them demand_id,site_id,minutes (or origin,destination,minutes, "
                             "or pass columns=(origin, destination, cost))")
    o, d, k = columns
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(None, f"cost frame lacks column(s) {missing}", f"give columns {o},{d},{k}")
    minutes = pd.to_numeric(df[k], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(minutes).any():
        i = int(np.flatnonzero(np.isnan(minutes))[0])
        raise InputError(None, f"cost frame row {i}: {k}={plain(df[k].iloc[i])} is not a number",
                         "give minutes as numbers; leave unreachable pairs out")
    if (minutes < 0).any():
        i = int(np.flatnonzero(minutes < 0)[0])
        raise InputError(None, f"cost frame row {i}: {k}={minutes[i]} is negative", "travel times must be >= 0")
    rows = _positions(pd.Index(df[o]), dem, "origin", "demand")
    cols = _positions(pd.Index(df[d]), sit, "destination", "site")
    keep = np.isfinite(minutes) if T is None else minutes <= T
    rows, cols, minutes = rows[keep], cols[keep], minutes[keep]
    key = rows * max(len(sit), 1) + cols
    order = np.argsort(key, kind="stable")
    same = np.diff(key[order]) == 0
    if same.any():
        dup = order[1:][same][0]
        raise InputError(None, f"pair ({dem[rows[dup]]!r}, {sit[cols[dup]]!r}) appears twice in the cost frame",
                         "keep one travel time per demand/site pair")
    return rows, cols, minutes


def _values(obj: Any, ids: pd.Index | None, *, id_col: str, value_col: str, what: str) -> pd.Series:
    """Demand weights / capacities as a float Series indexed by id."""
    if isinstance(obj, pd.DataFrame):
        if id_col in obj.columns and value_col in obj.columns:
            s = obj.set_index(id_col)[value_col]
        elif value_col in obj.columns:
            s = obj[value_col]
        elif obj.shape[1] == 1:
            s = obj.iloc[:, 0]
        else:
            raise InputError(None, f"{what} frame has columns {list(obj.columns)}",
                             f"give columns {id_col},{value_col} (or a Series indexed by id)")
    elif isinstance(obj, pd.Series):
        s = obj
    else:
        arr = np.asarray(obj, dtype=np.float64)
        if ids is None:
            raise InputError(None, f"{what} given as a plain array with a long cost table",
                             f"give a pandas Series indexed by {id_col}")
        if arr.shape != (len(ids),):
            raise InputError(None, f"{what} array has shape {arr.shape}, the matrix has {len(ids)} {what} ids",
                             f"give one {value_col} per matrix {'row' if what == 'demand' else 'column'}")
        s = pd.Series(arr, index=ids)
    idx = _unique_index(s.index, what)
    v = pd.to_numeric(pd.Series(np.asarray(s), dtype=object), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(None, f"{what} {idx[i]!r}: {value_col}={plain(np.asarray(s)[i])} is not a finite number >= 0",
                         f"give every {what} a {value_col} >= 0")
    return pd.Series(v, index=idx, name=value_col)


# ------------------------------------------------------------------- numerics
def _nan_to_zero(x: FloatArray) -> FloatArray:
    x[np.isnan(x)] = 0.0
    return x


def _two_step(pairs: CatchmentPairs, f: FloatArray, P: FloatArray, S: FloatArray
              ) -> tuple[FloatArray, FloatArray, FloatArray, IntArray, IntArray]:
    n, m = len(pairs.demand_ids), len(pairs.site_ids)
    r, c = pairs.rows, pairs.cols
    with np.errstate(invalid="ignore", divide="ignore"):
        D = np.bincount(c, weights=_nan_to_zero(f * P[r]), minlength=m).astype(np.float64)
        R = S / D
        site_reach = np.bincount(c, minlength=m).astype(np.int64)
        R[site_reach == 0] = np.nan
        A = np.bincount(r, weights=_nan_to_zero(f * R[c]), minlength=n).astype(np.float64)
    demand_reach = np.bincount(r, minlength=n).astype(np.int64)
    A[demand_reach == 0] = np.nan
    return A, D, R, demand_reach, site_reach


def _potential(pairs: CatchmentPairs, f: FloatArray, P: FloatArray, S: FloatArray
               ) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    n, m = len(pairs.demand_ids), len(pairs.site_ids)
    r, c = pairs.rows, pairs.cols
    with np.errstate(invalid="ignore"):
        A = np.bincount(r, weights=_nan_to_zero(f * S[c]), minlength=n).astype(np.float64)
        D = np.bincount(c, weights=_nan_to_zero(f * P[r]), minlength=m).astype(np.float64)
    demand_reach = np.bincount(r, minlength=n).astype(np.int64)
    site_reach = np.bincount(c, minlength=m).astype(np.int64)
    A[demand_reach == 0] = np.nan
    return A, D, demand_reach, site_reach


def weighted_mean_access(access: npt.ArrayLike, weight: npt.ArrayLike) -> float:
    """Demand-weighted mean access, as PySAL normalises by.

    ``sum(P_i A_i) / sum(P_i)``: the numerator skips ``NaN`` (no site in
    reach, counting as 0) and ``0 × inf``; the denominator counts all demand.
    ``NaN`` when the total demand is 0.
    """
    a = np.asarray(access, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    total = float(w.sum())
    if total == 0:
        return math.nan
    with np.errstate(invalid="ignore"):
        return float(np.nansum(a * w) / total)


def normalized_access(access: npt.ArrayLike, weight: npt.ArrayLike) -> FloatArray:
    """Access divided by its demand-weighted mean (PySAL ``normalize=True``).

    See :func:`weighted_mean_access`. A mean of 0 (no supply in reach of any
    demand) gives ``NaN`` (and ``inf`` where access is ``inf``), as in PySAL.
    """
    a = np.asarray(access, dtype=np.float64)
    mean = weighted_mean_access(a, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = a / mean
    return out


# --------------------------------------------------------------------- models
class FloatingCatchment:
    """Common machinery of the models; use a subclass.

    Attributes (after :meth:`solve`)
    --------------------------------
    access
        ``pandas.DataFrame`` indexed by ``demand_id`` in input order: ``weight``,
        ``sites_in_reach`` (int), ``access`` (raw), ``access_norm`` (divided by
        the demand-weighted mean, see :func:`normalized_access`).
    sites
        ``pandas.DataFrame`` indexed by ``site_id``: ``capacity``,
        ``demand_points_in_reach``, ``demand_in_reach`` (decay-weighted demand
        :math:`D_j`) and, for the two-step models, ``ratio`` (:math:`R_j`).
    mean_access
        Demand-weighted mean of ``access``.
    """

    method: ClassVar[str] = ""

    def __init__(self, pairs: CatchmentPairs, demand: pd.Series, supply: pd.Series, decay: Decay | None,
                 *, two_step: bool = True) -> None:
        self.pairs = pairs
        self.two_step = two_step
        self.demand = demand.reindex(pairs.demand_ids)
        self.supply = supply.reindex(pairs.site_ids)
        self.decay = decay
        self.max_minutes = pairs.max_minutes
        self._access: pd.DataFrame | None = None
        self._sites: pd.DataFrame | None = None
        self.mean_access = math.nan

    @staticmethod
    def _prepare(cost_matrix: Any, demand: Any, supply: Any, max_minutes: float | None,
                 columns: tuple[str, str, str] | None) -> tuple[CatchmentPairs, pd.Series, pd.Series]:
        dense = not isinstance(cost_matrix, pd.DataFrame)
        has_ids = hasattr(cost_matrix, "origins")
        d_ids = pd.Index(cost_matrix.origins) if has_ids else None
        s_ids = pd.Index(cost_matrix.destinations) if has_ids else None
        if dense and not has_ids:
            M = np.asarray(cost_matrix)
            if M.ndim == 2:
                d_ids = pd.RangeIndex(M.shape[0]) if not isinstance(demand, pd.Series | pd.DataFrame) else None
                s_ids = pd.RangeIndex(M.shape[1]) if not isinstance(supply, pd.Series | pd.DataFrame) else None
        P = _values(demand, d_ids, id_col="demand_id", value_col="weight", what="demand")
        S = _values(supply, s_ids, id_col="site_id", value_col="capacity", what="site")
        pairs = catchment_pairs(cost_matrix, demand_ids=P.index, site_ids=S.index,
                                max_minutes=max_minutes, columns=columns)
        return pairs, P, S

    def _weights(self) -> FloatArray:
        if self.decay is None:
            return np.ones(len(self.pairs), dtype=np.float64)
        return self.decay(self.pairs.minutes)

    def solve(self) -> FloatingCatchment:
        """Compute access for every demand point; returns ``self``."""
        P = self.demand.to_numpy(dtype=np.float64)
        S = self.supply.to_numpy(dtype=np.float64)
        f = self._weights()
        sites = pd.DataFrame({"capacity": S}, index=self.pairs.site_ids.rename("site_id"))
        if self.two_step:
            A, D, R, dreach, sreach = _two_step(self.pairs, f, P, S)
        else:
            A, D, dreach, sreach = _potential(self.pairs, f, P, S)
        sites["demand_points_in_reach"] = sreach
        sites["demand_in_reach"] = D
        if self.two_step:
            sites["ratio"] = R
        self.mean_access = weighted_mean_access(A, P)
        self._access = pd.DataFrame(
            {"weight": P, "sites_in_reach": dreach, "access": A, "access_norm": normalized_access(A, P)},
            index=self.pairs.demand_ids.rename("demand_id"))
        self._sites = sites
        return self

    @property
    def access(self) -> pd.DataFrame:
        if self._access is None:
            raise RuntimeError(f"{type(self).__name__}: call .solve() first")
        return self._access

    @property
    def sites(self) -> pd.DataFrame:
        if self._sites is None:
            raise RuntimeError(f"{type(self).__name__}: call .solve() first")
        return self._sites

    def values(self, *, normalize: bool = False) -> pd.Series:
        """The access values as a Series named after the method (``normalize``: divided by the mean)."""
        col = "access_norm" if normalize else "access"
        return self.access[col].rename(self.method)

    def summary(self) -> dict[str, Any]:
        """Headline figures: sizes, catchment, decay, share of demand with a site in reach, mean access."""
        a = self.access
        w = a["weight"].to_numpy()
        reached = a["sites_in_reach"].to_numpy() > 0
        total = float(w.sum())
        return {
            "method": self.method,
            "n_demand": len(a),
            "n_sites": len(self.sites),
            "pairs_in_reach": len(self.pairs),
            "max_minutes": self.max_minutes,
            "decay": None if self.decay is None else self.decay.describe(),
            "share_weight_reached": float(w[reached].sum() / total) if total else math.nan,
            "mean_access": self.mean_access,
        }


class TwoStageFCA(FloatingCatchment):
    r"""Two-step floating catchment area (2SFCA; Luo & Wang 2003).

    .. math::

        R_j = \frac{S_j}{\sum_{i:\, c_{ij} \le T} P_i}, \qquad
        A_i = \sum_{j:\, c_{ij} \le T} R_j

    Same as PySAL ``Access.two_stage_fca(max_cost=T)`` (no ``weight_fn``). See
    :mod:`geoplan.access.fca` for inclusion, unreachable pairs, zero-demand
    sites and normalisation.

    Examples
    --------
    >>> m = TwoStageFCA.from_cost_matrix(ttm, demand=cells.set_index("cell_id")["pop"],
    ...                                  supply=practices.set_index("site_id")["capacity"],
    ...                                  max_minutes=15).solve()
    >>> m.access["access"]   # practices per inhabitant within 15 minutes
    """

    method = "2sfca"

    @classmethod
    def from_cost_matrix(cls, cost_matrix: Any, *, demand: Any, supply: Any, max_minutes: float | None,
                         columns: tuple[str, str, str] | None = None) -> TwoStageFCA:
        """Build the model.

        Parameters
        ----------
        cost_matrix
            TravelTimeMatrix, long frame or dense array (see :func:`catchment_pairs`).
        demand
            Weight per demand id: a Series indexed by id, a frame with
            ``demand_id,weight``, or an array in matrix row order.
        supply
            Capacity per site id: a Series, a frame with ``site_id,capacity``, or
            an array in matrix column order.
        max_minutes
            Catchment :math:`T` in minutes (``None``: every reachable pair, as
            PySAL's ``max_cost=None``).
        columns
            Column names of a long frame (origin, destination, cost).
        """
        pairs, P, S = cls._prepare(cost_matrix, demand, supply, max_minutes, columns)
        return cls(pairs, P, S, None)


class EnhancedTwoStageFCA(FloatingCatchment):
    r"""Enhanced two-step floating catchment area (E2SFCA; Luo & Qi 2009).

    .. math::

        R_j = \frac{S_j}{\sum_{i:\, c_{ij} \le T} f(c_{ij})\, P_i}, \qquad
        A_i = \sum_{j:\, c_{ij} \le T} f(c_{ij})\, R_j

    The decay :math:`f` weighs both steps, as in Luo & Qi and in PySAL
    ``Access.enhanced_two_stage_fca(max_cost=T, weight_fn=f)``. Default weights
    are Luo & Qi's (and PySAL's) steps ``10:1, 20:0.68, 30:0.22``
    (:data:`~geoplan.access.decay.LUO_QI_STEPS`). Step weights are 0 beyond the
    last band; a pair beyond it but within ``max_minutes`` still counts as in
    reach (access 0, not NaN), as in PySAL.
    """

    method = "e2sfca"

    @classmethod
    def from_cost_matrix(cls, cost_matrix: Any, *, demand: Any, supply: Any, max_minutes: float | None = None,
                         weights: StepDecay | GaussianDecay | Sequence[tuple[float, float]] | None = None,
                         gaussian_width: float | None = None,
                         columns: tuple[str, str, str] | None = None) -> EnhancedTwoStageFCA:
        """Build the model.

        Parameters
        ----------
        cost_matrix, demand, supply, columns
            As for :meth:`TwoStageFCA.from_cost_matrix`.
        max_minutes
            Catchment :math:`T`; ``None`` (PySAL's default) = every reachable pair.
        weights
            ``[(minutes, weight), ...]`` steps, a :class:`StepDecay` or a
            :class:`GaussianDecay`. Default: Luo & Qi's steps.
        gaussian_width
            Shortcut for ``weights=GaussianDecay(width)`` (minutes).
        """
        if gaussian_width is not None and weights is not None:
            raise InputError(None, "both step weights and a Gaussian width were given",
                             "give either weights=[(minutes, weight), ...] or gaussian_width")
        decay: StepDecay | GaussianDecay
        if gaussian_width is not None:
            decay = GaussianDecay(float(gaussian_width))
        elif weights is None:
            decay = StepDecay(LUO_QI_STEPS)
        elif isinstance(weights, StepDecay | GaussianDecay):
            decay = weights
        else:
            decay = StepDecay(weights)
        pairs, P, S = cls._prepare(cost_matrix, demand, supply, max_minutes, columns)
        return cls(pairs, P, S, decay)


class GravityAccess(FloatingCatchment):
    r"""Gravity model of access, with or without competition.

    With competition (default; Joseph & Bantock 1982, Luo & Wang 2003's
    gravity model, the "gravity 2SFCA"):

    .. math::

        A_i = \sum_j \frac{S_j\, f(c_{ij})}{\sum_k P_k\, f(c_{kj})}, \qquad
        f(c) = \max(c, c_{\min})^{-\beta}

    = PySAL ``Access.two_stage_fca(max_cost=T, weight_fn=weights.gravity(1, -beta, c_min))``.

    Without competition (Hansen potential, ``competition=False``):

    .. math:: A_i = \sum_j S_j\, f(c_{ij})

    = PySAL ``Access.weighted_catchment(max_cost=T, weight_fn=weights.gravity(1, -beta, c_min))``.
    Its values scale with the unit of time and are not per inhabitant.

    Sums run over the in-reach pairs (``max_minutes``; default every reachable
    pair). With ``beta = 0`` and a finite ``max_minutes`` the competition model
    is 2SFCA.
    """

    method = "gravity"

    @classmethod
    def from_cost_matrix(cls, cost_matrix: Any, *, demand: Any, supply: Any, beta: float = 1.0,
                         min_minutes: float = 1.0, max_minutes: float | None = None,
                         competition: bool = True,
                         columns: tuple[str, str, str] | None = None) -> GravityAccess:
        """Build the model.

        Parameters
        ----------
        cost_matrix, demand, supply, columns
            As for :meth:`TwoStageFCA.from_cost_matrix`.
        beta
            Decay exponent (>= 0); 1.0 by default.
        min_minutes
            Floor on travel time in the decay (default 1 minute; PySAL's is 0,
            which gives a zero-cost pair infinite weight).
        max_minutes
            Optional cutoff; ``None`` = every reachable pair.
        competition
            ``True``: supply shared among the demand in reach (two steps);
            ``False``: Hansen potential (one step, demand ignored).
        """
        decay = PowerDecay(float(beta), float(min_minutes))
        pairs, P, S = cls._prepare(cost_matrix, demand, supply, max_minutes, columns)
        return cls(pairs, P, S, decay, two_step=bool(competition))

    @property
    def competition(self) -> bool:
        """``True`` for the two-step (competition) model, ``False`` for the Hansen potential."""
        return self.two_step


# ------------------------------------------------------------ notebook helpers
def two_stage_fca(cost_matrix: Any, *, demand: Any, supply: Any, max_minutes: float | None,
                  normalize: bool = False) -> pd.Series:
    """2SFCA access per demand id (see :class:`TwoStageFCA`)."""
    return TwoStageFCA.from_cost_matrix(cost_matrix, demand=demand, supply=supply,
                                        max_minutes=max_minutes).solve().values(normalize=normalize)


def enhanced_two_stage_fca(cost_matrix: Any, *, demand: Any, supply: Any, max_minutes: float | None = None,
                           weights: StepDecay | GaussianDecay | Sequence[tuple[float, float]] | None = None,
                           gaussian_width: float | None = None, normalize: bool = False) -> pd.Series:
    """E2SFCA access per demand id (see :class:`EnhancedTwoStageFCA`)."""
    return EnhancedTwoStageFCA.from_cost_matrix(
        cost_matrix, demand=demand, supply=supply, max_minutes=max_minutes, weights=weights,
        gaussian_width=gaussian_width).solve().values(normalize=normalize)


def gravity_access(cost_matrix: Any, *, demand: Any, supply: Any, beta: float = 1.0, min_minutes: float = 1.0,
                   max_minutes: float | None = None, competition: bool = True,
                   normalize: bool = False) -> pd.Series:
    """Gravity access per demand id (see :class:`GravityAccess`)."""
    return GravityAccess.from_cost_matrix(
        cost_matrix, demand=demand, supply=supply, beta=beta, min_minutes=min_minutes,
        max_minutes=max_minutes, competition=competition).solve().values(normalize=normalize)


__all__ = [
    "COST_COLUMNS",
    "CatchmentPairs",
    "EnhancedTwoStageFCA",
    "FloatingCatchment",
    "GravityAccess",
    "TwoStageFCA",
    "catchment_pairs",
    "enhanced_two_stage_fca",
    "gravity_access",
    "normalized_access",
    "two_stage_fca",
    "weighted_mean_access",
]
