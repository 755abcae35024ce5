""" "How many houses?": coverage and mean travel time as the number of houses grows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geoplan.locate.base import check_cost, check_weights
from geoplan.locate.mclp import MCLP

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
) -> pd.DataFrame:
    """Solve an MCLP for every ``p`` and tabulate the frontier.

    Parameters
    ----------
    cost, weights
        Minutes (demand × sites, ``np.inf`` unreachable) and demand weights.
    p_values
        Numbers of houses to try (each >= number of fixed sites); solved in increasing order.
    max_minutes
        Coverage threshold ``T``.
    fixed, excluded, site_ids
        As in :class:`~geoplan.locate.mclp.MCLP` (``fixed``: e.g. existing houses).
    solver, time_limit, mip_gap
        Per MCLP solve.
    marginal_threshold
        Share of demand (0.01 = 1 percentage point): the first ``p`` whose gain per extra
        house falls below it is marked ``below_threshold``.

    Returns
    -------
    pandas.DataFrame
        Columns ``p, covered_share, mean_minutes, objective, status, gap, marginal_gain,
        below_threshold`` (plus ``sites``: the chosen ids joined by ``;``). ``marginal_gain`` is
        the gain in covered share per extra house since the previous row (the first row is
        compared with the fixed sites alone, or with no house). ``mean_minutes`` is the weighted
        mean time to the nearest open house over rows that reach one.
    """
    C = check_cost(cost)
    w = check_weights(weights, C.shape[0])
    ps = sorted({int(p) for p in p_values})
    fixed = list(fixed or [])
    rows = []
    if fixed:
        ids = list(site_ids) if site_ids is not None else list(range(C.shape[1]))
        pos = [ids.index(s) for s in fixed]
        cov0 = (C[:, pos] <= max_minutes + 1e-9).any(axis=1)
        prev_share, prev_p = float(w[cov0].sum() / w.sum()), len(fixed)
    else:
        prev_share, prev_p = 0.0, 0
    marked = False
    for p in ps:
        model = MCLP.from_cost_matrix(
            C,
            max_minutes=max_minutes,
            p=p,
            weights=w,
            site_ids=site_ids,
            fixed=fixed or None,
            excluded=excluded or None,
        )
        model.solve(solver=solver, time_limit=time_limit, mip_gap=mip_gap)
        steps = max(p - prev_p, 1)
        gain = (model.covered_share - prev_share) / steps
        below = (not marked) and gain < marginal_threshold
        marked |= below
        rows.append(
            {
                "p": p,
                "covered_share": model.covered_share,
                "mean_minutes": model.mean_minutes,
                "objective": model.objective,
                "status": model.status,
                "gap": model.gap,
                "marginal_gain": gain,
                "below_threshold": bool(below),
                "sites": ";".join(str(s) for s in model.selected),
            }
        )
        prev_share, prev_p = model.covered_share, p
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
