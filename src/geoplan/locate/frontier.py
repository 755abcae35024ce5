""" "How many houses?": coverage and mean travel time as the number of houses grows."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.locate.base import check_cost, check_weights

COLUMNS = [
    "p",
    "covered_share",
    "mean_minutes",
    "objective",
    "status",
    "gap",
    "marginal_gain",
    "below_threshold",
]


def how_many_frontier(
    cost,
    weights,
    *,
    p_values: Sequence[int],
    max_minutes: float,
    fixed: Sequence = (),
    excluded: Sequence = (),
    site_ids: Sequence | None = None,
    solver: str = "highs",
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    marginal_threshold: float = 0.01,
    model: str = "mclp",
    capacities=None,
    groups=None,
    min_share_by_group: dict | float | None = None,
    site_costs=None,
    budget: float | None = None,
    max_minutes_anyone: float | None = None,
) -> pd.DataFrame:
    """Solve the scenario's model for every ``p`` and tabulate the frontier.

    Parameters
    ----------
    cost, weights
        Minutes (demand × sites, ``np.inf`` unreachable) and demand weights.
    p_values
        Numbers of houses to try (each >= number of fixed sites); solved in increasing order.
    max_minutes
        Coverage threshold ``T`` (the covered share is always the share within ``T``).
    fixed, excluded, site_ids
        As in :class:`~geoplan.locate.mclp.MCLP` (``fixed``: e.g. existing houses).
    solver, time_limit, mip_gap
        Per solve.
    marginal_threshold
        Share of demand (0.01 = 1 percentage point): the first ``p`` whose gain per extra
        house falls below it is marked ``below_threshold``.
    model
        ``"mclp"`` (default), ``"pmedian"`` or ``"pcenter"``: the model solved for each ``p``
        (``"lscp"`` has no ``p``: its frontier is the MCLP's).
    capacities
        Per-site capacity (mclp, pmedian): the model is capacitated, and each row's covered
        share and mean time come from the capacitated assignment of its chosen sites
        (:func:`geoplan.measures.coverage.capacitated_flows`), so no site counts more than
        its capacity.
    groups, min_share_by_group
        Equity floors (mclp): a ``p`` at which the floors cannot be met is a row with status
        ``"infeasible"`` (shares NaN) instead of an error.
    site_costs, budget, max_minutes_anyone
        Passed to the model as in the scenario (budget: at most ``p`` sites within it).

    Returns
    -------
    pandas.DataFrame
        Columns ``p, covered_share, mean_minutes, objective, status, gap, marginal_gain,
        below_threshold`` (plus ``sites``: the chosen ids joined by ``;``). ``marginal_gain`` is
        the gain in covered share per extra house since the previous feasible row (the first
        row is compared with the fixed sites alone, or with no house). ``mean_minutes`` is the
        weighted mean time to the assigned house over the demand it serves.
    """
    from geoplan.errors import InfeasibleError
    from geoplan.locate import model_spec
    from geoplan.measures.coverage import capacitated_flows, nearest_flows

    C = check_cost(cost)
    w = check_weights(weights, C.shape[0])
    ps = sorted({int(p) for p in p_values})
    fixed = list(fixed or [])
    ids = list(site_ids) if site_ids is not None else list(range(C.shape[1]))
    name = "mclp" if model == "lscp" else model
    caps = None if capacities is None else np.broadcast_to(np.asarray(capacities, dtype="float64"), (C.shape[1],))
    total = float(w.sum())

    def evaluate(open_ids: Sequence) -> tuple[float, float]:
        idx = [ids.index(s) for s in open_ids]
        if caps is None:
            flows = nearest_flows(C, idx)
        else:
            flows = capacitated_flows(C, w, idx, caps[idx],
                                      max_minutes=max_minutes if name == "mclp" else max_minutes_anyone)
        sub = C[:, idx]
        within = np.where(np.isfinite(sub) & (sub <= max_minutes + 1e-9), flows.share, 0.0)
        served = w[:, None] * flows.share
        finite = np.isfinite(sub)
        mean = float((served * np.where(finite, sub, 0.0)).sum() / served.sum()) if served.sum() > 0 else math.nan
        return float((w[:, None] * within).sum() / total) if total > 0 else math.nan, mean

    def parameters(p: int) -> dict[str, Any]:
        common: dict[str, Any] = {"p": p, "weights": w, "site_ids": site_ids, "fixed": fixed or None,
                                  "excluded": excluded or None, "site_costs": site_costs, "budget": budget}
        if name == "mclp":
            return common | {"max_minutes": max_minutes, "capacities": caps, "groups": groups,
                             "min_share_by_group": min_share_by_group}
        if name == "pmedian":
            return common | {"max_minutes": max_minutes_anyone, "capacities": caps}
        return common

    rows = []
    if fixed:
        prev_share, prev_p = evaluate(fixed)[0], len(fixed)
    else:
        prev_share, prev_p = 0.0, 0
    marked = False
    for p in ps:
        m = model_spec(name).cls.from_cost_matrix(C, **parameters(p))
        try:
            m.solve(solver=solver, time_limit=time_limit, mip_gap=mip_gap)
        except InfeasibleError:
            rows.append({"p": p, "covered_share": math.nan, "mean_minutes": math.nan, "objective": math.nan,
                         "status": "infeasible", "gap": math.nan, "marginal_gain": math.nan,
                         "below_threshold": False, "sites": ""})
            continue
        share, mean = evaluate(m.selected)
        steps = max(p - prev_p, 1)
        gain = (share - prev_share) / steps
        below = (not marked) and gain < marginal_threshold
        marked |= below
        rows.append(
            {
                "p": p,
                "covered_share": share,
                "mean_minutes": mean,
                "objective": m.objective,
                "status": m.status,
                "gap": m.gap,
                "marginal_gain": gain,
                "below_threshold": bool(below),
                "sites": ";".join(str(s) for s in m.selected),
            }
        )
        prev_share, prev_p = share, p
    return pd.DataFrame(rows, columns=[*COLUMNS, "sites"])


_LABELS = {
    "da": {
        "x": "Antal huse",
        "y": "Andel borgere inden for {T} min",
        "y2": "Gns. køretid (min)",
        "mark": "Gevinst pr. hus under {th:.0%}",
        "title": "Hvor mange huse?",
    },
    "en": {
        "x": "Number of houses",
        "y": "Share of residents within {T} min",
        "y2": "Mean travel time (min)",
        "mark": "Gain per house below {th:.0%}",
        "title": "How many houses?",
    },
}


def plot_frontier(
    df: pd.DataFrame,
    path: str | Path,
    *,
    lang: str = "da",
    max_minutes: float | None = None,
    marginal_threshold: float | None = None,
) -> Path:
    """Write the frontier as a PNG (covered share and mean time against the number of houses), atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lab = _LABELS.get(lang, _LABELS["en"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    T = "T" if max_minutes is None else f"{max_minutes:g}"
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.plot(df["p"], 100 * df["covered_share"], "o-", color="#1f77b4")
    ax.set_xlabel(lab["x"])
    ax.set_ylabel(lab["y"].format(T=T) + " (%)", color="#1f77b4")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(df["p"], df["mean_minutes"], "s--", color="#d62728", alpha=0.8)
    ax2.set_ylabel(lab["y2"], color="#d62728")
    marked = df[df["below_threshold"]]
    if len(marked):
        p0 = marked["p"].iloc[0]
        th = marginal_threshold if marginal_threshold is not None else 0.01
        ax.axvline(p0, color="grey", ls=":")
        ax.annotate(
            lab["mark"].format(th=th),
            (p0, 5),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_title(lab["title"])
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(prefix=".frontier-", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
