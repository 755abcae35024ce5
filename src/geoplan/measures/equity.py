"""Equity of a measure over people: who is worst off, how unequal, and along which lines.

Pure functions on one value per population cell (drive minutes, response minutes, an
access score), a weight per cell (people: ``pop``, or ``pop65`` for the 65+) and, where
asked, a group label per cell (municipality, settlement class, island flag). Nothing
here knows about maps, scenarios or files.

Direction
---------
Every function that ranks people takes ``worse``:

- ``"higher"``: a larger value is worse (minutes to a hospital, response minutes);
- ``"lower"``: a smaller value is worse (floating-catchment access scores).

Unreachable people, and how they enter each index
-------------------------------------------------
For ``worse="higher"``, ``+inf`` marks people who cannot reach the service at all; they
count as the worst off. For ``worse="lower"`` an unreachable cell has the score ``0``
(no supply within reach), which is already the worst possible value; ``inf`` values are
rejected there. ``NaN`` is always rejected: missing data is not "unreachable".

- **Quantiles** (:func:`weighted_quantile`): ``inf`` is larger than every finite value;
  a quantile that falls among unreachable people is ``inf``.
- **Unreachable population**: people with ``inf`` minutes, or with an access score of 0.
- **Worst-off share** (:func:`worst_off`): unreachable people are the first of the
  worst; for minutes ``mean`` is ``inf`` as soon as any of them is among the worst 10 %
  (for scores their zeros are averaged in), and ``mean_reachable`` /
  ``unreachable_population`` are given beside it. Adding an unreachable person
  therefore never makes the worst-off mean better.
- **Mean**: ``mean_reachable`` is over people with access, with the unreachable
  population beside it (the convention of :func:`geoplan.coverage.access_summary`);
  group rankings (:func:`worst_places`, :func:`access_vs_deprivation`) use the mean over
  everyone: ``inf`` minutes if anyone in the group is unreachable, scores with their zeros.
- **Gini, Theil** (:func:`gini`, :func:`theil`): defined for finite, non-negative values
  only; for minutes the tables compute them over the reachable population and report
  ``unreachable_population`` in the same table; for scores the zeros are included (a
  zero is a real, worst value of a score).
- **P90/P10** (:func:`percentile_ratio`): ``inf`` when P90 is ``inf`` (10 % or more
  unreachable) or when P10 is 0 and P90 is positive; ``NaN`` when both are 0.

Limits
------
Cells are 1 km squares: everyone in a cell gets the cell's value, so a spread within a
cell is invisible and the indices are lower bounds of the spread between persons.
Weights are modelled population counts (WorldPop scaled to municipality totals; 65+
from the municipality's share), not a register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

__all__ = [
    "KNOWN_MEASURES",
    "EquityReport",
    "TheilDecomposition",
    "Worse",
    "WorstOff",
    "access_vs_deprivation",
    "breakdown",
    "equity_table",
    "gini",
    "percentile_ratio",
    "theil",
    "theil_decomposition",
    "weighted_mean",
    "weighted_quantile",
    "weighted_quantiles",
    "weights_breakdown",
    "worst_off",
    "worst_places",
]

Worse = Literal["higher", "lower"]
FloatArray = npt.NDArray[np.float64]

#: Measures the equity report knows: name -> (which direction is worse, unit, i18n key).
KNOWN_MEASURES: dict[str, tuple[Worse, str, str]] = {
    "acute_minutes": ("higher", "min", "equity.measure.acute_minutes"),
    "ambulance_response_minutes": ("higher", "min", "equity.measure.ambulance_response_minutes"),
    "gp_access": ("lower", "score", "equity.measure.gp_access"),
    "house_minutes": ("higher", "min", "equity.measure.house_minutes"),
}

#: Indicators of :func:`equity_table`, in output order.
INDICATORS: tuple[str, ...] = (
    "unreachable_population",
    "mean_reachable",
    "p10",
    "p50",
    "p90",
    "p90_p10",
    "worst_decile_mean",
    "gini",
    "theil",
)


# ----------------------------------------------------------------------------- checks
def _values_weights(
    values: npt.ArrayLike, weights: npt.ArrayLike, worse: Worse
) -> tuple[FloatArray, FloatArray]:
    v = np.asarray(values, dtype="float64").ravel()
    w = np.asarray(weights, dtype="float64").ravel()
    if v.shape != w.shape:
        raise ValueError(f"values ({v.size}) and weights ({w.size}) differ in length")
    if worse not in ("higher", "lower"):
        raise ValueError(f"worse must be 'higher' or 'lower', got {worse!r}")
    if np.isnan(v).any():
        raise ValueError(
            f"{int(np.isnan(v).sum())} values are NaN: give +inf for unreachable "
            "(worse='higher') or 0 for no access (worse='lower'), or drop cells without data"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative (people per cell)")
    if worse == "lower" and np.isinf(v).any():
        raise ValueError(
            "infinite values with worse='lower': an access score of an unreachable cell is 0"
        )
    if worse == "higher" and np.isneginf(v).any():
        raise ValueError("-inf values with worse='higher': unreachable is +inf")
    return v, w


def _labels(labels: npt.ArrayLike | None, n: int, name: str) -> npt.NDArray[np.object_]:
    if labels is None:
        return np.arange(n).astype(object)
    arr = np.asarray(labels, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries, expected {n} (one per cell)")
    return arr


def _unreachable(v: FloatArray, worse: Worse) -> npt.NDArray[np.bool_]:
    """People without access: ``inf`` minutes (``"higher"``) or a score of 0 (``"lower"``)."""
    return np.isinf(v) if worse == "higher" else v == 0


def _full_mean(v: FloatArray, w: FloatArray, worse: Worse) -> float:
    """Mean over everyone: ``inf`` with any unreachable person for minutes; zeros count for scores."""
    if worse == "higher" and bool((np.isinf(v) & (w > 0)).any()):
        return float("inf")
    return weighted_mean(v, w)


def _badness(v: FloatArray, worse: Worse) -> FloatArray:
    """Values on a scale where larger is worse (so one sort serves both directions)."""
    return v if worse == "higher" else -v


# ----------------------------------------------------------------------------- quantiles
def weighted_quantiles(
    values: npt.ArrayLike, weights: npt.ArrayLike, qs: Sequence[float]
) -> FloatArray:
    """Population-weighted quantiles (inverted CDF).

    The ``q`` quantile is the smallest value ``x`` whose weighted cumulative share
    ``F(x) = Σ_{v_i ≤ x} w_i / Σ w_i`` reaches ``q`` (numpy's ``method="inverted_cdf"``
    with ``weights``). With integer weights this equals the quantile of the list in which
    each value is repeated ``w_i`` times. ``+inf`` counts as larger than any finite value.

    Returns
    -------
    numpy.ndarray
        One value per ``q``; all NaN when the total weight is 0.
    """
    v = np.asarray(values, dtype="float64").ravel()
    w = np.asarray(weights, dtype="float64").ravel()
    qa = np.asarray(qs, dtype="float64")
    if v.size != w.size:
        raise ValueError(f"values ({v.size}) and weights ({w.size}) differ in length")
    if ((qa < 0) | (qa > 1)).any():
        raise ValueError(f"quantiles must lie in [0, 1], got {qa.tolist()}")
    keep = w > 0
    if not keep.any():
        return np.full(qa.shape, np.nan)
    out = np.quantile(v[keep], qa, weights=w[keep], method="inverted_cdf")
    return np.asarray(out, dtype="float64")


def weighted_quantile(values: npt.ArrayLike, weights: npt.ArrayLike, q: float) -> float:
    """One population-weighted quantile (see :func:`weighted_quantiles`)."""
    return float(weighted_quantiles(values, weights, [q])[0])


def weighted_mean(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Weighted mean over the people with a finite value (NaN with no such weight)."""
    v = np.asarray(values, dtype="float64").ravel()
    w = np.asarray(weights, dtype="float64").ravel()
    ok = np.isfinite(v) & (w > 0)
    if not ok.any():
        return float("nan")
    return float(np.average(v[ok], weights=w[ok]))


def percentile_ratio(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    upper: float = 0.9,
    lower: float = 0.1,
) -> float:
    """Ratio of two weighted percentiles, by default P90 / P10.

    Direction-neutral (a spread): for minutes it is "slow end over fast end", for
    access scores "best-served over worst-served".

    Returns
    -------
    float
        ``P_upper / P_lower``; ``inf`` when ``P_upper`` is ``inf`` (unreachable people
        reach into the upper percentile) or when ``P_lower`` is 0 and ``P_upper`` is
        positive; ``NaN`` when both are 0 or there is no weight.
    """
    hi, lo = weighted_quantiles(values, weights, [upper, lower])
    if np.isnan(hi) or np.isnan(lo):
        return float("nan")
    if np.isinf(hi):
        return float("inf")
    if lo == 0:
        return float("inf") if hi > 0 else float("nan")
    return float(hi / lo)


# ----------------------------------------------------------------------------- Gini, Theil
def _finite_nonneg(values: npt.ArrayLike, weights: npt.ArrayLike, what: str) -> tuple[FloatArray, FloatArray]:
    v = np.asarray(values, dtype="float64").ravel()
    w = np.asarray(weights, dtype="float64").ravel()
    if v.size != w.size:
        raise ValueError(f"values ({v.size}) and weights ({w.size}) differ in length")
    if not np.isfinite(v).all():
        raise ValueError(
            f"{what} needs finite values: compute it over the reachable population "
            "(values[np.isfinite(values)]) and report the unreachable population beside it"
        )
    if (v < 0).any():
        raise ValueError(f"{what} is defined for non-negative values only")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    keep = w > 0
    return v[keep], w[keep]


def gini(values: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """Weighted Gini coefficient of non-negative values.

    Definition (relative mean absolute difference over all pairs of persons)::

        G = Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ),   W = Σ w_i,  μ = Σ w_i x_i / W

    computed in O(n log n) from the sorted values. With unit weights this is the
    classic ``G = (2 Σ_i i x_(i) − (n + 1) Σ x) / (n Σ x)`` of PySAL ``inequality.Gini``
    (no small-sample correction); with integer weights it equals the Gini of the list
    in which each value is repeated ``w_i`` times. 0 = everyone has the same value;
    the maximum is ``1 − 1/n`` for ``n`` persons (one has everything).

    Returns
    -------
    float
        NaN when the total weight or the weighted mean is 0.

    Raises
    ------
    ValueError
        For ``inf``/``NaN`` or negative values (see the module docstring on
        unreachable people).
    """
    if weights is None:
        weights = np.ones(np.asarray(values).size)
    v, w = _finite_nonneg(values, weights, "the Gini coefficient")
    total_w = float(w.sum())
    total_x = float(np.dot(w, v))
    if total_w <= 0 or total_x <= 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    before = np.cumsum(w) - w  # weight strictly before each sorted value
    s = float(np.dot(w * v, 2.0 * before + w - total_w))
    return s / (total_w * total_x)


def theil(values: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """Weighted Theil T index of non-negative values.

    Definition::

        T = (1/W) Σ_i w_i (x_i/μ) ln(x_i/μ),   with 0 · ln 0 = 0

    With unit weights this is PySAL ``inequality.Theil``
    (``Σ s_i ln(n s_i)``, ``s_i = x_i / Σ x``). 0 = everyone equal; the maximum is
    ``ln W`` (one person has everything).

    Returns
    -------
    float
        NaN when the total weight or the weighted mean is 0.
    """
    if weights is None:
        weights = np.ones(np.asarray(values).size)
    v, w = _finite_nonneg(values, weights, "the Theil index")
    total_w = w.sum()
    if total_w <= 0:
        return float("nan")
    mu = float(np.dot(w, v)) / total_w
    if mu <= 0:
        return float("nan")
    r = v / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return float(np.dot(w, terms) / total_w)


@dataclass(frozen=True)
class TheilDecomposition:
    """Theil T split into inequality between groups and within them.

    ``total = between + within`` with ``s_g = W_g μ_g / (W μ)`` (the group's share of
    the total of the value)::

        between = Σ_g s_g ln(μ_g / μ)
        within  = Σ_g s_g T_g

    the decomposition of PySAL ``inequality.TheilD`` (there ``bg`` and ``wg``).

    Attributes
    ----------
    total, between, within
        The indices; ``between_share = between / total`` (NaN when total is 0).
    by_group
        One row per group: ``group``, ``population``, ``mean``, ``value_share`` (s_g),
        ``theil`` (T_g) and ``within_contribution`` (s_g T_g).
    """

    total: float
    between: float
    within: float
    between_share: float
    by_group: pd.DataFrame


def theil_decomposition(
    values: npt.ArrayLike, weights: npt.ArrayLike, groups: npt.ArrayLike
) -> TheilDecomposition:
    """Decompose weighted Theil T by a grouping (e.g. urban/rural, municipality).

    See :class:`TheilDecomposition` for the formulas. Values must be finite and
    non-negative (compute it over the reachable population).
    """
    g_all = _labels(groups, np.asarray(values).size, "groups")
    v_all = np.asarray(values, dtype="float64").ravel()
    w_all = np.asarray(weights, dtype="float64").ravel()
    v, w = _finite_nonneg(v_all, w_all, "the Theil decomposition")
    g = g_all[w_all > 0]
    total = theil(v, w)
    total_w = w.sum()
    total_x = float(np.dot(w, v))
    rows = []
    between = 0.0
    within = 0.0
    for label in sorted(pd.unique(g), key=str):
        sel = g == label
        wg = float(w[sel].sum())
        xg = float(np.dot(w[sel], v[sel]))
        mu_g = xg / wg if wg > 0 else float("nan")
        s_g = xg / total_x if total_x > 0 else float("nan")
        t_g = theil(v[sel], w[sel]) if xg > 0 else 0.0
        if s_g > 0:
            between += s_g * np.log((xg / wg) / (total_x / total_w))
            within += s_g * t_g
        rows.append({"group": label, "population": wg, "mean": mu_g, "value_share": s_g,
                     "theil": t_g, "within_contribution": s_g * t_g if s_g > 0 else 0.0})
    if total_x <= 0:
        between = within = float("nan")
    share = between / total if total > 0 else float("nan")
    return TheilDecomposition(total=total, between=float(between), within=float(within),
                              between_share=float(share), by_group=pd.DataFrame(rows))


# ----------------------------------------------------------------------------- worst off
@dataclass(frozen=True)
class WorstOff:
    """The worst-off share of people (by default the worst 10 %) and who they are.

    Attributes
    ----------
    share
        The share of people asked for (0.1 = decile).
    worse
        ``"higher"`` or ``"lower"``.
    mean
        Mean value of the worst ``share`` of people; for minutes ``inf`` if any of them
        is unreachable (for scores, unreachable people count with their score 0).
    mean_reachable
        Mean over the part of them with access (NaN if none has access).
    threshold
        The value at the edge of the group: everyone worse than it is in; people at
        exactly this value may be partly in (the ``1 − share`` weighted quantile for
        ``worse="higher"``, the ``share`` quantile for ``"lower"``).
    population
        ``share × total population``.
    unreachable_population
        How many of them are unreachable (``inf`` minutes, or a score of 0).
    members
        One row per cell that is (partly) in the group, worst first: ``position``
        (index into the input arrays), ``label``, ``value``, ``population`` (the part of
        the cell's people counted in), ``cell_population``, and ``group`` if groups were
        given.
    by_group
        If groups were given: per group, ``population`` of the worst off living there,
        ``share_of_worst`` (of the worst-off population) and ``share_of_group`` (of the
        group's people); sorted by population, largest first.
    """

    share: float
    worse: Worse
    mean: float
    mean_reachable: float
    threshold: float
    population: float
    unreachable_population: float
    members: pd.DataFrame
    by_group: pd.DataFrame | None = None


def worst_off(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    share: float = 0.1,
    worse: Worse = "higher",
    labels: npt.ArrayLike | None = None,
    groups: npt.ArrayLike | None = None,
) -> WorstOff:
    """The worst-off ``share`` of people: their mean value and where they live.

    People are ranked from worst to best (unreachable first); the group holds exactly
    ``share × W`` persons, the last cell counted in part. Cells with equal values keep
    their input order (stable sort), so at a tie on the edge the earlier cell is
    counted first; ``mean`` does not depend on that choice.

    Parameters
    ----------
    values, weights
        One value and one population per cell.
    share
        Share of people in the group, in (0, 1].
    worse
        ``"higher"`` (minutes) or ``"lower"`` (access scores).
    labels
        Cell ids for ``members`` (default: positions).
    groups
        Optional group label per cell (e.g. municipality) for ``by_group``.

    Returns
    -------
    WorstOff
    """
    v, w = _values_weights(values, weights, worse)
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    lab = _labels(labels, v.size, "labels")
    grp = None if groups is None else _labels(groups, v.size, "groups")
    total = float(w.sum())
    target = share * total
    pos = np.flatnonzero(w > 0)
    bad = _badness(v, worse)[pos]
    order = pos[np.argsort(-bad, kind="stable")]
    cum = np.cumsum(w[order])
    # cells fully inside, plus the one that crosses the edge
    n_in = int(np.searchsorted(cum, target * (1 - 1e-12), side="left")) + 1 if total > 0 else 0
    n_in = min(n_in, order.size)
    take = order[:n_in]
    counted = w[take].copy()
    if n_in:
        counted[-1] = min(counted[-1], target - (cum[n_in - 2] if n_in > 1 else 0.0))
    vals = v[take]
    unreach = _unreachable(vals, worse)
    unreachable_pop = float(counted[unreach].sum())
    reach_pop = float(counted[~unreach].sum())
    mean_reach = float(np.dot(counted[~unreach], vals[~unreach]) / reach_pop) if reach_pop > 0 else float("nan")
    if total <= 0:
        mean = float("nan")
    elif worse == "higher" and unreachable_pop > 0:
        mean = float("inf")
    else:
        mean = float(np.dot(counted, vals) / float(counted.sum()))
    if worse == "higher":
        threshold = weighted_quantile(v, w, 1.0 - share)
    else:
        threshold = weighted_quantile(v, w, share)
    members = pd.DataFrame({
        "position": take,
        "label": lab[take],
        "value": vals,
        "population": counted,
        "cell_population": w[take],
    })
    by_group = None
    if grp is not None:
        members["group"] = grp[take]
        pop_g = pd.Series(w).groupby(pd.Series(grp, dtype=object)).sum()
        worst_g = members.groupby("group")["population"].sum()
        by_group = pd.DataFrame({"group": worst_g.index, "population": worst_g.to_numpy()})
        by_group["share_of_worst"] = by_group["population"] / target if target > 0 else np.nan
        by_group["share_of_group"] = by_group["population"] / by_group["group"].map(pop_g).to_numpy()
        by_group = by_group.sort_values(["population", "group"], ascending=[False, True],
                                        kind="stable").reset_index(drop=True)
    return WorstOff(share=share, worse=worse, mean=mean, mean_reachable=mean_reach,
                    threshold=threshold, population=target, unreachable_population=unreachable_pop,
                    members=members, by_group=by_group)


def worst_places(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    n: int = 20,
    worse: Worse = "higher",
    labels: npt.ArrayLike | None = None,
    groups: npt.ArrayLike | None = None,
    min_population: float = 0.0,
) -> pd.DataFrame:
    """The ``n`` worst places: cells, or groups of cells (e.g. municipalities, towns).

    Parameters
    ----------
    values, weights
        One value and one population per cell.
    n
        How many places.
    worse
        ``"higher"`` or ``"lower"``.
    labels
        Cell ids (default: positions); used when ``groups`` is not given.
    groups
        Group label per cell: places are then groups, valued by their population-weighted
        mean over everyone (minutes: ``inf`` if anyone in the group is unreachable;
        scores: zeros included), with ``mean_reachable`` (over people with access) beside.
    min_population
        Ignore places with fewer people (a cell of 0.3 modelled persons is not a place).

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = worst), ``place``, ``value``, ``mean_reachable``, ``population``,
        ``unreachable_population``; worst first, ties broken by population (larger
        first), then by place.
    """
    v, w = _values_weights(values, weights, worse)
    if groups is None:
        place = _labels(labels, v.size, "labels")
        off = _unreachable(v, worse)
        unreach = np.where(off, w, 0.0)
        df = pd.DataFrame({"place": place, "value": v,
                           "mean_reachable": np.where(off, np.nan, v),
                           "population": w, "unreachable_population": unreach})
    else:
        g = _labels(groups, v.size, "groups")
        rows = []
        for label in pd.unique(g):
            sel = g == label
            wg, vg = w[sel], v[sel]
            off_g = _unreachable(vg, worse)
            unreach_g = float(wg[off_g].sum())
            mr = weighted_mean(vg[~off_g], wg[~off_g])
            rows.append({"place": label, "value": _full_mean(vg, wg, worse),
                         "mean_reachable": mr, "population": float(wg.sum()),
                         "unreachable_population": unreach_g})
        df = pd.DataFrame(rows)
    df = df[df["population"] >= max(min_population, np.finfo(float).tiny)].copy()
    df["_bad"] = _badness(df["value"].to_numpy(dtype="float64"), worse)
    df["_place"] = df["place"].astype(str)
    df = df.sort_values(["_bad", "population", "_place"], ascending=[False, False, True],
                        kind="stable").head(n)
    df = df.drop(columns=["_bad", "_place"]).reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df


# ----------------------------------------------------------------------------- breakdowns
def _summary(v: FloatArray, w: FloatArray, worse: Worse, share: float) -> dict[str, float]:
    """The indicators of :data:`INDICATORS` for one set of people."""
    finite = np.isfinite(v)
    off = _unreachable(v, worse)
    out: dict[str, float] = {"population": float(w.sum()),
                             "unreachable_population": float(w[off].sum()),
                             "mean_reachable": weighted_mean(v[~off], w[~off])}
    p10, p50, p90 = weighted_quantiles(v, w, [0.1, 0.5, 0.9])
    out.update(p10=float(p10), p50=float(p50), p90=float(p90))
    out["p90_p10"] = percentile_ratio(v, w)
    out["worst_decile_mean"] = worst_off(v, w, share=share, worse=worse).mean if w.sum() > 0 else float("nan")
    vf, wf = v[finite], w[finite]
    ok = wf.sum() > 0 and float(np.dot(vf, wf)) > 0
    out["gini"] = gini(vf, wf) if ok else float("nan")
    out["theil"] = theil(vf, wf) if ok else float("nan")
    return out


def breakdown(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    categories: npt.ArrayLike,
    *,
    worse: Worse = "higher",
    share: float = 0.1,
    total_label: str | None = "all",
) -> pd.DataFrame:
    """The equity indicators per category (settlement class, island, municipality ...).

    Parameters
    ----------
    values, weights, categories
        One value, population and category per cell.
    worse, share
        As for :func:`worst_off` (``worst_decile_mean`` is the worst ``share`` *within*
        the category).
    total_label
        Label of a total row appended at the end (``None``: none).

    Returns
    -------
    pandas.DataFrame
        One row per category (sorted), then the total: ``category``, ``population``,
        ``population_share``, ``unreachable_population``, ``mean_reachable``, ``p10``,
        ``p50``, ``p90``, ``p90_p10``, ``worst_decile_mean``, ``gini``, ``theil``
        (Gini and Theil over the category's reachable people).
    """
    v, w = _values_weights(values, weights, worse)
    c = _labels(categories, v.size, "categories")
    total = float(w.sum())
    rows = []
    for label in sorted(pd.unique(c), key=str):
        sel = c == label
        rows.append({"category": label, **_summary(v[sel], w[sel], worse, share)})
    if total_label is not None:
        rows.append({"category": total_label, **_summary(v, w, worse, share)})
    df = pd.DataFrame(rows)
    df.insert(2, "population_share", df["population"] / total if total > 0 else np.nan)
    return df


def weights_breakdown(
    values: npt.ArrayLike,
    weights: Mapping[str, npt.ArrayLike],
    *,
    worse: Worse = "higher",
    share: float = 0.1,
) -> pd.DataFrame:
    """The equity indicators for several populations of the same cells.

    E.g. ``{"all": cells.pop, "65+": cells.pop65}``: the same minutes, weighted by
    everyone and by the 65+ (whose count per cell is itself an estimate).

    Returns
    -------
    pandas.DataFrame
        One row per weight set, in the order given, columns as :func:`breakdown`
        (``category`` holds the weight set's name).
    """
    rows = []
    for name, wts in weights.items():
        v, w = _values_weights(values, wts, worse)
        rows.append({"category": name, **_summary(v, w, worse, share)})
    return pd.DataFrame(rows)


def equity_table(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    measure: str,
    worse: Worse = "higher",
    breakdowns: Mapping[str, npt.ArrayLike] | None = None,
    weights_65: npt.ArrayLike | None = None,
    share: float = 0.1,
) -> pd.DataFrame:
    """All equity indicators of one measure as one tidy table.

    Parameters
    ----------
    values, weights
        One value and population per cell.
    measure
        Name written in the ``measure`` column (e.g. ``"acute_minutes"``).
    worse
        ``"higher"`` or ``"lower"``.
    breakdowns
        Name → category per cell, e.g. ``{"settlement": cells.settlement,
        "island": cells.island, "kode": cells.kode}``. Each gives rows per category and
        the Theil between/within decomposition by it.
    weights_65
        People aged 65+ per cell: adds the group ``"age=65+"``.
    share
        Share for the worst-off indicator (0.1 = decile).

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``indicator``, ``group``, ``value``, ``population``.
        ``group`` is ``"all"``, ``"age=65+"`` or ``"<breakdown>=<category>"`` for the
        indicators of :data:`INDICATORS`, and ``"<breakdown>"`` for
        ``theil_between``, ``theil_within`` and ``theil_between_share``.
        ``population`` is the group's population (the weight sum). Row order is fixed
        (groups in the order above, categories sorted, indicators in
        :data:`INDICATORS` order), so the CSV is byte-identical run to run.
    """
    v, w = _values_weights(values, weights, worse)
    rows: list[dict[str, object]] = []

    def add(group: str, summary: dict[str, float]) -> None:
        for ind in INDICATORS:
            rows.append({"measure": measure, "indicator": ind, "group": group,
                         "value": summary[ind], "population": summary["population"]})

    add("all", _summary(v, w, worse, share))
    if weights_65 is not None:
        v65, w65 = _values_weights(v, weights_65, worse)
        add("age=65+", _summary(v65, w65, worse, share))
    finite = np.isfinite(v)
    for name, cats in (breakdowns or {}).items():
        c = _labels(cats, v.size, f"breakdown {name!r}")
        for label in sorted(pd.unique(c), key=str):
            sel = c == label
            add(f"{name}={label}", _summary(v[sel], w[sel], worse, share))
        reach_pop = float(w[finite].sum())
        if reach_pop > 0 and float(np.dot(v[finite], w[finite])) > 0:
            d = theil_decomposition(v[finite], w[finite], c[finite])
            parts = {"theil_between": d.between, "theil_within": d.within,
                     "theil_between_share": d.between_share}
        else:
            parts = dict.fromkeys(("theil_between", "theil_within", "theil_between_share"), float("nan"))
        for ind, val in parts.items():
            rows.append({"measure": measure, "indicator": ind, "group": name, "value": val,
                         "population": reach_pop})
    return pd.DataFrame(rows, columns=["measure", "indicator", "group", "value", "population"])


# ----------------------------------------------------------------------------- deprivation
def access_vs_deprivation(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    municipality: npt.ArrayLike,
    deprivation: pd.DataFrame,
    *,
    worse: Worse = "higher",
    indicators: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The measure per municipality beside its deprivation indicators, and their rank correlation.

    Parameters
    ----------
    values, weights, municipality
        One value, population and municipality code (``"0751"``) per cell.
    deprivation
        One row per municipality, indexed by code or with a ``kode`` column (e.g.
        :func:`geoplan.measures.socioeconomic.deprivation_by_municipality`).
    worse
        ``"higher"`` or ``"lower"``.
    indicators
        Numeric columns of ``deprivation`` to correlate (default: all numeric columns).

    Returns
    -------
    table : pandas.DataFrame
        Per municipality (sorted by code): ``kode``, ``population``,
        ``unreachable_population``, ``mean_reachable``, ``mean`` (``inf`` if anyone is
        unreachable), ``rank_worst_access`` (1 = worst), then the ``indicators`` and the
        other numeric deprivation columns (e.g. households without a car).
    correlations : pandas.DataFrame
        Per indicator: ``indicator``, ``n`` (municipalities), ``spearman_rho``,
        ``p_value``. Spearman's rank correlation (scipy ``spearmanr``, ties averaged,
        municipalities unweighted) between how *bad* access is (``mean`` ranked with
        unreachable as worst) and the indicator: ``rho > 0`` means the municipalities
        scoring higher on the indicator have worse access, whatever ``worse`` is.
        With 19 municipalities only |rho| above about 0.46 is significant at 5 %.
    """
    v, w = _values_weights(values, weights, worse)
    m = np.asarray(municipality, dtype=object).ravel()
    if m.size != v.size:
        raise ValueError(f"municipality has {m.size} entries, expected {v.size}")
    dep = deprivation.set_index("kode") if "kode" in deprivation.columns else deprivation
    rows = []
    for code in sorted(pd.unique(m), key=str):
        sel = m == code
        vs, ws = v[sel], w[sel]
        off = _unreachable(vs, worse)
        rows.append({"kode": code, "population": float(ws.sum()),
                     "unreachable_population": float(ws[off].sum()),
                     "mean_reachable": weighted_mean(vs[~off], ws[~off]),
                     "mean": _full_mean(vs, ws, worse)})
    table = pd.DataFrame(rows)
    bad = _badness(table["mean"].to_numpy(dtype="float64"), worse)
    table["rank_worst_access"] = stats.rankdata(-bad, method="min").astype(int)
    missing = sorted(set(table["kode"]) - set(dep.index))
    if missing:
        raise ValueError(f"deprivation table lacks municipalities {missing}")
    numeric = [c for c in dep.columns if pd.api.types.is_numeric_dtype(dep[c])]
    cols = list(indicators) if indicators is not None else numeric
    unknown = [c for c in cols if c not in dep.columns]
    if unknown:
        raise ValueError(f"deprivation table has no columns {unknown}")
    table = table.join(dep[list(dict.fromkeys([*cols, *numeric]))], on="kode")
    bad_rank = stats.rankdata(bad)
    corr = []
    for c in cols:
        x = table[c].to_numpy(dtype="float64")
        ok = np.isfinite(x)
        n = int(ok.sum())
        if n >= 3 and np.ptp(x[ok]) > 0 and np.ptp(bad_rank[ok]) > 0:
            res = stats.spearmanr(bad_rank[ok], x[ok])
            rho, p = float(res.statistic), float(res.pvalue)
        else:
            rho = p = float("nan")
        corr.append({"indicator": c, "n": n, "spearman_rho": rho, "p_value": p})
    return table, pd.DataFrame(corr, columns=["indicator", "n", "spearman_rho", "p_value"])


# ----------------------------------------------------------------------------- report
#: Cell columns :meth:`EquityReport.from_cells` breaks down by when they are present.
DEFAULT_BREAKDOWNS: tuple[str, ...] = ("settlement", "urban_rural", "island", "kode")
#: Deprivation columns the report correlates with access (rates, not counts), when present.
DEFAULT_DEPRIVATION_INDICATORS: tuple[str, ...] = (
    "no_car_share", "low_income_share", "basic_education_share", "early_retirement_per_1000",
    "deprivation_index",
)
#: Deprivation columns shown beside the worst municipalities (the people a drive time does not describe).
NO_CAR_COLUMNS: tuple[str, ...] = ("households_no_car", "no_car_share")


@dataclass(frozen=True)
class EquityReport:
    """The tables an equity section of a report needs, for one measure.

    Attributes
    ----------
    measure, worse, unit
        What was measured, which direction is worse, and the unit (``"min"``, ``"score"``).
    table
        :func:`equity_table` (tidy: measure, indicator, group, value, population).
    worst_off
        :func:`worst_off` with municipality as group.
    worst_cells
        :func:`worst_places` of cells (with ``kode``/``navn`` where the cells have them).
    worst_municipalities
        :func:`worst_places` of municipalities.
    breakdowns
        Breakdown name → :func:`breakdown` table; ``"age"`` holds
        :func:`weights_breakdown` of all vs 65+ when ``pop65`` is known.
    theil
        Breakdown name → :class:`TheilDecomposition` (over the reachable population).
    deprivation, correlations
        :func:`access_vs_deprivation` when a deprivation table was given, else None.
        ``deprivation`` carries the households without a car beside the drive-time figure.
    """

    measure: str
    worse: Worse
    unit: str
    table: pd.DataFrame
    worst_off: WorstOff
    worst_cells: pd.DataFrame
    worst_municipalities: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    theil: dict[str, TheilDecomposition] = field(default_factory=dict)
    deprivation: pd.DataFrame | None = None
    correlations: pd.DataFrame | None = None

    @classmethod
    def from_cells(
        cls,
        cells: pd.DataFrame,
        values: npt.ArrayLike,
        *,
        measure: str,
        worse: Worse | None = None,
        unit: str | None = None,
        breakdown_columns: Sequence[str] | None = None,
        deprivation: pd.DataFrame | None = None,
        n_worst: int = 20,
        share: float = 0.1,
        min_population: float = 1.0,
    ) -> EquityReport:
        """Build the report from population cells and one value per cell.

        Parameters
        ----------
        cells
            Population cells with ``pop`` and ``kode``; ``pop65``, ``cell_id``, ``navn``
            and breakdown columns (``settlement``, ``urban_rural``, ``island`` from
            :func:`geoplan.measures.urban.cell_settlement`) are used when present.
        values
            One value per cell, in the cells' order.
        measure
            Measure name; a key of :data:`KNOWN_MEASURES` sets ``worse`` and ``unit``.
        worse, unit
            Needed for measures not in :data:`KNOWN_MEASURES`; override otherwise.
        breakdown_columns
            Cell columns to break down by. Default: those of :data:`DEFAULT_BREAKDOWNS`
            present in ``cells``; a column named here but missing is an error.
        deprivation
            Per-municipality indicators (e.g. from
            :func:`geoplan.measures.socioeconomic.deprivation_by_municipality`): the
            rates of :data:`DEFAULT_DEPRIVATION_INDICATORS` present are correlated with
            access, and households without a car are added beside the worst
            municipalities.
        n_worst
            Number of worst places (cells and municipalities).
        share
            Worst-off share (0.1 = decile).
        min_population
            Cells with fewer modelled people are not listed among the worst places.
        """
        known = KNOWN_MEASURES.get(measure)
        if worse is None:
            if known is None:
                raise ValueError(f"unknown measure {measure!r}: give worse='higher' or 'lower'")
            worse = known[0]
        if unit is None:
            unit = known[1] if known is not None else ""
        for col in ("pop", "kode"):
            if col not in cells.columns:
                raise ValueError(f"cells have no column {col!r}")
        v = np.asarray(values, dtype="float64").ravel()
        if v.size != len(cells):
            raise ValueError(f"{v.size} values for {len(cells)} cells")
        if breakdown_columns is None:
            cols = [c for c in DEFAULT_BREAKDOWNS if c in cells.columns]
        else:
            cols = list(breakdown_columns)
            missing = [c for c in cols if c not in cells.columns]
            if missing:
                raise ValueError(f"cells have no breakdown columns {missing}")
        w = cells["pop"].to_numpy(dtype="float64")
        has65 = "pop65" in cells.columns and bool(np.isfinite(cells["pop65"].to_numpy(dtype="float64")).all())
        w65 = cells["pop65"].to_numpy(dtype="float64") if has65 else None
        kode = cells["kode"].to_numpy(dtype=object)
        cats = {c: cells[c].to_numpy(dtype=object) for c in cols}
        table = equity_table(v, w, measure=measure, worse=worse, breakdowns=cats,
                             weights_65=w65, share=share)
        labels = cells["cell_id"].to_numpy(dtype=object) if "cell_id" in cells.columns else None
        wo = worst_off(v, w, share=share, worse=worse, labels=labels, groups=kode)
        wc = worst_places(v, w, n=n_worst, worse=worse, labels=np.arange(len(cells)),
                          min_population=min_population)
        pos = wc["place"].to_numpy(dtype="int64")
        wc["place"] = labels[pos] if labels is not None else pos
        for extra in ("kode", "navn"):
            if extra in cells.columns:
                wc[extra] = cells[extra].to_numpy(dtype=object)[pos]
        wm = worst_places(v, w, n=n_worst, worse=worse, groups=kode)
        if "navn" in cells.columns:
            names = pd.Series(cells["navn"].to_numpy(dtype=object), index=kode)
            names = names[~names.index.duplicated()]
            wm["navn"] = wm["place"].map(names)
        bds = {c: breakdown(v, w, cats[c], worse=worse, share=share) for c in cols}
        if w65 is not None:
            bds["age"] = weights_breakdown(v, {"all": w, "65+": w65}, worse=worse, share=share)
        finite = np.isfinite(v)
        th: dict[str, TheilDecomposition] = {}
        if float(np.dot(v[finite], w[finite])) > 0:
            th = {c: theil_decomposition(v[finite], w[finite], cats[c][finite]) for c in cols}
        dep_table = corr = None
        if deprivation is not None:
            dep = deprivation.set_index("kode") if "kode" in deprivation.columns else deprivation
            inds = [c for c in DEFAULT_DEPRIVATION_INDICATORS if c in dep.columns] or None
            dep_table, corr = access_vs_deprivation(v, w, kode, dep, worse=worse, indicators=inds)
            for c in NO_CAR_COLUMNS:
                if c in dep.columns:
                    wm[c] = wm["place"].map(dep[c])
        return cls(measure=measure, worse=worse, unit=unit, table=table, worst_off=wo,
                   worst_cells=wc, worst_municipalities=wm, breakdowns=bds, theil=th,
                   deprivation=dep_table, correlations=corr)
