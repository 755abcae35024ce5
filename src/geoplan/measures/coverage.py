"""Population-weighted access measures: shares within thresholds, means, percentiles.

All functions take plain arrays / Series (minutes per cell, weights per cell,
a group label per cell) and know nothing of maps or scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
