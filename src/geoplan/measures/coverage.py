"""Population-weighted access measures: shares within thresholds, means, percentiles.

All functions take plain arrays / Series (minutes per cell, weights per cell,
a group label per cell) and know nothing of maps or scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches ``q`` of the total.

    ``inf`` values (unreachable) count as larger than any finite value; the
    result is ``inf`` when the quantile falls among them, NaN with no weight.
    """
    values = np.asarray(values, dtype="float64")
    weights = np.asarray(weights, dtype="float64")
    total = weights.sum()
    if total <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    i = int(np.searchsorted(cum, q * total - 1e-9 * total, side="left"))
    return float(values[order][min(i, len(values) - 1)])


def threshold_key(minutes: float) -> str:
    """A threshold as it appears in column names: ``30`` → ``"30"``, ``7.5`` → ``"7_5"``."""
    return str(int(minutes)) if float(minutes).is_integer() else str(minutes).replace(".", "_")


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean over the finite values with positive weight (NaN when there are none)."""
    values = np.asarray(values, dtype="float64")
    weights = np.asarray(weights, dtype="float64")
    ok = np.isfinite(values) & (weights > 0)
    return float(np.average(values[ok], weights=weights[ok])) if ok.any() else float("nan")


def share_within(minutes: np.ndarray, weights: np.ndarray, threshold: float) -> float:
    """Weighted share of demand with ``minutes <= threshold`` (NaN with no weight)."""
    weights = np.asarray(weights, dtype="float64")
    total = weights.sum()
    if total <= 0:
        return float("nan")
    return float(weights[np.asarray(minutes) <= threshold].sum() / total)


def access_summary(
    minutes: np.ndarray,
    weights: np.ndarray,
    *,
    thresholds: Sequence[float],
) -> dict[str, float]:
    """Population, shares within each threshold, weighted mean and 95th percentile.

    Returns
    -------
    dict
        ``population``, ``share_within_<T>`` per threshold, ``mean_minutes``
        (over reachable demand), ``p95_minutes``, ``unreachable_population``.
    """
    minutes = np.asarray(minutes, dtype="float64")
    weights = np.asarray(weights, dtype="float64")
    finite = np.isfinite(minutes)
    out: dict[str, float] = {"population": float(weights.sum())}
    for t in thresholds:
        out[f"share_within_{threshold_key(t)}"] = share_within(minutes, weights, t)
    out["mean_minutes"] = weighted_mean(minutes, weights)
    out["p95_minutes"] = weighted_quantile(minutes, weights, 0.95)
    out["unreachable_population"] = float(weights[~finite].sum())
    return out


def access_by_group(
    minutes: pd.Series | np.ndarray,
    weights: pd.Series | np.ndarray,
    groups: pd.Series | np.ndarray,
    *,
    thresholds: Sequence[float],
    group_names: Mapping[str, str] | None = None,
    total_label: str | None = "Region",
    group_column: str = "kode",
) -> pd.DataFrame:
    """:func:`access_summary` per group (e.g. municipality), plus a total row.

    Parameters
    ----------
    minutes, weights, groups
        One value per demand cell.
    thresholds
        Minutes (e.g. ``[15, 30, 45, 60]``).
    group_names
        Optional code → name; adds a ``municipality`` column.
    total_label
        Name of the total row (``None``: no total row).
    group_column
        Name of the group column.

    Returns
    -------
    pandas.DataFrame
        One row per group sorted by group, then the total row.
    """
    m = np.asarray(minutes, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    g = np.asarray(groups)
    rows = []
    for code in sorted(pd.unique(g)):
        sel = g == code
        rows.append({group_column: code, **access_summary(m[sel], w[sel], thresholds=thresholds)})
    if total_label is not None:
        rows.append({group_column: "", **access_summary(m, w, thresholds=thresholds)})
    df = pd.DataFrame(rows)
    if group_names is not None:
        names = [group_names.get(c, "") for c in df[group_column]]
        if total_label is not None:
            names[-1] = total_label
        df.insert(0, "municipality", names)
    return df


def round_table(df: pd.DataFrame, *, digits: int = 4) -> pd.DataFrame:
    """Round float columns (stable, byte-identical CSVs across runs)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(digits)
    return out


def delta_by_municipality(a: np.ndarray, b: np.ndarray, pop: np.ndarray, kode: np.ndarray, *,
                          thresholds: Sequence[float], names: dict[str, str], total_label: str) -> pd.DataFrame:
    """Citizens gaining / losing access within each threshold, and mean-time change (B − A).

    Parameters
    ----------
    a, b
        Minutes per cell in two scenarios (inf = unreachable).
    pop, kode
        Weight and municipality code per cell.

    Returns
    -------
    pandas.DataFrame
        Per municipality then a total row: ``kode, municipality, population``,
        ``gain_within_<T>``, ``lose_within_<T>``, ``net_within_<T>``,
        ``share_within_<T>_a``, ``share_within_<T>_b``, ``mean_minutes_a``,
        ``mean_minutes_b``, ``mean_change_minutes``.
    """
    rows = []
    groups = [(k, kode == k) for k in sorted(set(kode))] + [("", np.ones(len(kode), bool))]
    for k, sel in groups:
        w = pop[sel]
        row = {"kode": k, "municipality": names.get(k, total_label) if k else total_label,
               "population": float(w.sum())}
        for T in thresholds:
            tt = threshold_key(T)
            ina, inb = a[sel] <= T, b[sel] <= T
            row[f"gain_within_{tt}"] = float(w[~ina & inb].sum())
            row[f"lose_within_{tt}"] = float(w[ina & ~inb].sum())
            row[f"net_within_{tt}"] = row[f"gain_within_{tt}"] - row[f"lose_within_{tt}"]
            row[f"share_within_{tt}_a"] = float(w[ina].sum() / max(w.sum(), 1e-9))
            row[f"share_within_{tt}_b"] = float(w[inb].sum() / max(w.sum(), 1e-9))
        row["mean_minutes_a"] = weighted_mean(a[sel], w)
        row["mean_minutes_b"] = weighted_mean(b[sel], w)
        row["mean_change_minutes"] = row["mean_minutes_b"] - row["mean_minutes_a"]
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ assignment to chosen sites
@dataclass(frozen=True)
class Flows:
    """Who is served by which chosen site: ``share[i, j]`` of demand row ``i`` goes to site ``j``.

    A row's shares sum to at most 1; the rest of its weight is *unserved* (no site within reach
    has room for it). With no capacities every reachable row goes wholly to its nearest site.
    """

    share: np.ndarray

    @property
    def served(self) -> np.ndarray:
        """Served share per row (0..1)."""
        return self.share.sum(axis=1)


def nearest_flows(cost: np.ndarray, open_idx: Sequence[int]) -> Flows:
    """Every row wholly to its nearest open site (columns ``open_idx`` of ``cost``); rows reaching none: unserved."""
    sub = np.asarray(cost, dtype="float64")[:, list(open_idx)]
    share = np.zeros(sub.shape)
    if sub.shape[1]:
        k = np.argmin(sub, axis=1)
        ok = np.isfinite(sub[np.arange(len(sub)), k])
        share[np.flatnonzero(ok), k[ok]] = 1.0
    return Flows(share=share)


def capacitated_flows(cost: np.ndarray, weights: np.ndarray, open_idx: Sequence[int],
                      capacities: Sequence[float] | np.ndarray, *,
                      max_minutes: float | None = None) -> Flows:
    """The assignment of demand to the open sites under capacity (split allowed), in two stages.

    1. Serve as much weight as possible: ``max Σ w_i x_ij`` with ``Σ_j x_ij ≤ 1`` per row and
       ``Σ_i w_i x_ij ≤ K_j`` per site, over the pairs within ``max_minutes`` (all reachable pairs
       when ``None``). This is the capacitated MCLP's own objective for its chosen sites (and, when
       everyone fits, the capacitated p-median's constraint ``Σ_j x_ij = 1``).
    2. Among the assignments serving that much, the least weighted travel time.

    Rows of zero weight use no capacity and go to their nearest site within reach. Solved as two
    LPs with HiGHS (deterministic); a vertex solution splits at most about one row per site.
    """
    import highspy
    import scipy.sparse as sp

    C = np.asarray(cost, dtype="float64")[:, list(open_idx)]
    w = np.asarray(weights, dtype="float64")
    K = np.asarray(capacities, dtype="float64")
    n, k = C.shape
    limit = np.inf if max_minutes is None else float(max_minutes) + 1e-9
    allowed = np.isfinite(C) & np.less_equal(C, limit)
    share = np.zeros((n, k))
    # zero-weight rows: nearest allowed site, no capacity used
    zero = w <= 0
    Cz = np.where(allowed, C, np.inf)
    kz = np.argmin(Cz, axis=1) if k else np.zeros(n, dtype=int)
    okz = zero & (np.isfinite(Cz[np.arange(n), kz]) if k else False)
    share[np.flatnonzero(okz), kz[okz]] = 1.0
    ii, jj = np.nonzero(allowed & ~zero[:, None])
    nv = len(ii)
    if nv == 0:
        return Flows(share=share)
    A = sp.vstack([sp.csr_matrix((np.ones(nv), (ii, np.arange(nv))), shape=(n, nv)),
                   sp.csr_matrix((w[ii], (jj, np.arange(nv))), shape=(k, nv))]).tocsc()

    def solve(col_cost: np.ndarray, extra: tuple[np.ndarray, float] | None) -> np.ndarray:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        M = A if extra is None else sp.vstack([A, sp.csr_matrix(extra[0][None, :])]).tocsc()
        lp.num_col_, lp.num_row_ = nv, M.shape[0]
        lp.col_cost_ = col_cost
        lp.col_lower_ = np.zeros(nv)
        lp.col_upper_ = np.ones(nv)
        lower = np.full(n + k, -highspy.kHighsInf)
        upper = np.concatenate([np.ones(n), K])
        if extra is not None:
            lower, upper = np.append(lower, extra[1]), np.append(upper, highspy.kHighsInf)
        lp.row_lower_, lp.row_upper_ = lower, upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = M.indptr.astype(np.int32)
        lp.a_matrix_.index_ = M.indices.astype(np.int32)
        lp.a_matrix_.value_ = M.data
        h.passModel(lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"capacitated assignment LP: {h.modelStatusToString(h.getModelStatus())}")
        return np.asarray(h.getSolution().col_value, dtype="float64")

    x1 = solve(-w[ii], None)
    best = float(w[ii] @ x1)
    x = solve(w[ii] * C[ii, jj], (w[ii], best))
    # snap the LP's feasibility noise (1e-7) so whole rows stay whole
    x = np.clip(np.where(x < 1e-7, 0.0, np.where(x > 1 - 1e-7, 1.0, x)), 0.0, 1.0)
    np.add.at(share, (ii, jj), x)
    return Flows(share=share)


def flow_coverage(flows: Flows, cost: np.ndarray, weights: np.ndarray, groups: np.ndarray, *,
                  thresholds: Sequence[float], names: Mapping[str, str], total_label: str) -> pd.DataFrame:
    """:func:`access_by_group` of an assignment: each served piece counts at the time to its site.

    ``cost`` has one column per chosen site (as ``flows``). Columns: ``municipality, kode, weight``,
    ``share_within_<T>`` (weight served by a site within T / all weight), ``mean_minutes`` (over
    served weight), ``p95_minutes`` (unserved weight counts as infinite), ``unreachable_population``
    (weight no chosen site can reach at all) and ``unserved_weight`` (weight no site serves: the
    unreachable, and with capacities those for whom no site within reach has room).
    """
    C = np.asarray(cost, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    g = np.asarray(groups)
    ii, jj = np.nonzero(flows.share > 0)
    rest = np.clip(1.0 - flows.served, 0.0, 1.0)
    keep = rest > 1e-9
    minutes = np.concatenate([C[ii, jj], np.full(int(keep.sum()), np.inf)])
    piece_w = np.concatenate([w[ii] * flows.share[ii, jj], w[keep] * rest[keep]])
    piece_g = np.concatenate([g[ii], g[keep]])
    # groups with no piece at all (every weight 0) still get their row
    present = set(piece_g.tolist())
    missing = [c for c in pd.unique(g) if c not in present]
    if missing:
        minutes = np.concatenate([minutes, np.full(len(missing), np.inf)])
        piece_w = np.concatenate([piece_w, np.zeros(len(missing))])
        piece_g = np.concatenate([piece_g, np.array(missing, dtype=piece_g.dtype)])
    table = access_by_group(minutes, piece_w, piece_g, thresholds=thresholds, group_names=names,
                            total_label=total_label)
    table = table.rename(columns={"population": "weight", "unreachable_population": "unserved_weight"})
    unreachable = ~np.isfinite(C).any(axis=1) if C.shape[1] else np.ones(len(w), dtype=bool)
    per = {c: float(w[(g == c) & unreachable].sum()) for c in pd.unique(g)}
    table.insert(len(table.columns) - 1, "unreachable_population",
                 [per.get(c, 0.0) if c != "" else float(w[unreachable].sum()) for c in table["kode"]])
    return table
