"""File back-end of ``geoplan locate``: OD.csv + DEMAND.csv in, RESULT.json out."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geoplan.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def _read_csv(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: `geoplan --help` builds this parser without pandas

    if not path.is_file():
        raise InputError(
            path, "file not found", f"give the path to {what} with columns {','.join(columns)}"
        )
    try:
        df = pd.read_csv(
            path,
            dtype={columns[0]: str, **({columns[1]: str} if columns[1].endswith("_id") else {})},
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError as exc:
        raise InputError(
            path, "the file is empty", f"write a header {','.join(columns)} and data rows"
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as CSV ({exc})", "save it as UTF-8 CSV") from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)} (found: {', '.join(df.columns)})",
            f"the header must contain {','.join(columns)}",
        )
    if df.empty:
        raise InputError(path, "no data rows", f"add rows {','.join(columns)}")
    for c in columns:
        if c.endswith("_id"):
            df[c] = df[c].astype(str).str.strip()
            if (df[c] == "").any() or df[c].isin(["nan"]).any():
                line = int(np.flatnonzero((df[c] == "") | (df[c] == "nan"))[0]) + 2
                raise InputError(path, f"line {line}: empty {c}", f"give every row a {c}")
    return df


def _numeric(df: pd.DataFrame, col: str, path: Path, *, allow_inf: bool = False) -> np.ndarray:
    import pandas as pd

    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() | (~np.isfinite(num) if not allow_inf else num.isna())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            path,
            f"line {i + 2}: {col}={raw.iloc[i]!r} is not a number",
            f"write {col} as a plain number"
            + (" (leave the pair out if unreachable)" if allow_inf else ""),
        )
    return num.to_numpy(dtype=np.float64)


def read_problem(cost_matrix: Path, demand: Path):
    """Read OD.csv and DEMAND.csv into (cost, weights, demand_ids, site_ids)."""
    cost_matrix, demand = Path(cost_matrix), Path(demand)
    dem = _read_csv(demand, ("demand_id", "weight"), "DEMAND.csv")
    w = _numeric(dem, "weight", demand)
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise InputError(demand, f"line {i + 2}: weight={w[i]} is negative", "weights must be >= 0")
    if len(w) and not (w > 0).any():
        raise InputError(demand, "weight: every weight is 0 (shares would be 0/0)",
                         "give at least one demand point a weight > 0")
    dup = dem["demand_id"][dem["demand_id"].duplicated()]
    if len(dup):
        raise InputError(
            demand, f"duplicate demand_id {dup.iloc[0]!r}", "list each demand point once"
        )
    od = _read_csv(cost_matrix, ("demand_id", "site_id", "minutes"), "OD.csv")
    minutes = _numeric(od, "minutes", cost_matrix, allow_inf=True)
    if (minutes < 0).any():
        i = int(np.flatnonzero(minutes < 0)[0])
        raise InputError(
            cost_matrix,
            f"line {i + 2}: minutes={minutes[i]} is negative",
            "travel times must be >= 0",
        )
    demand_ids = dem["demand_id"].tolist()
    dpos = {d: k for k, d in enumerate(demand_ids)}
    unknown = ~od["demand_id"].isin(dpos)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputError(
            cost_matrix,
            f"line {i + 2}: demand_id {od['demand_id'].iloc[i]!r} is not in {demand.name}",
            f"add it to {demand.name} or remove its rows from {cost_matrix.name}",
        )
    pair = od[["demand_id", "site_id"]].duplicated()
    if pair.any():
        i = int(np.flatnonzero(pair)[0])
        raise InputError(
            cost_matrix,
            f"line {i + 2}: pair ({od['demand_id'].iloc[i]}, {od['site_id'].iloc[i]}) "
            "appears twice",
            "keep one travel time per demand/site pair",
        )
    site_ids = sorted(od["site_id"].unique().tolist())
    spos = {s: k for k, s in enumerate(site_ids)}
    cost = np.full((len(demand_ids), len(site_ids)), np.inf)
    cost[od["demand_id"].map(dpos).to_numpy(), od["site_id"].map(spos).to_numpy()] = minutes
    return cost, w, demand_ids, site_ids


def _atomic_json(data: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}-", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            from geoplan.output.files import _json_safe

            json.dump(_json_safe(data), f, indent=2, ensure_ascii=False, allow_nan=False)  # NaN/inf: null
            f.write("\n")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def locate_from_files(
    *,
    cost_matrix: Path,
    demand: Path,
    model: str,
    p: int | None,
    max_minutes: float | None,
    fixed: list[str],
    solver: str = "highs",
    time_limit: float = 60.0,
    out: Path,
) -> dict:
    """Solve a location model on files and write RESULT.json atomically.

    Parameters
    ----------
    cost_matrix
        OD.csv with ``demand_id,site_id,minutes``; a missing pair is unreachable.
    demand
        DEMAND.csv with ``demand_id,weight`` (weight >= 0).
    model
        ``lscp`` (needs ``max_minutes``), ``mclp`` (``p`` and ``max_minutes``), ``pmedian``
        (``p``; ``max_minutes`` = hard cap if given), ``pcenter`` (``p``).
    fixed
        Site ids forced open.
    out
        RESULT.json path; nothing is written when the input is refused.

    Returns
    -------
    dict
        What was written: ``model, status, sites, objective, bound, gap, covered_share, p,
        max_minutes, solver`` and, for p-median / p-center / MCLP, ``mean_minutes``; the returned dict
        also has ``solve_seconds`` (not written: RESULT.json is byte-identical run to run).

    Raises
    ------
    InputError
        Bad file, column, value, unknown fixed id, or a parameter missing for the model.
    InfeasibleError
        The model cannot be satisfied (the message says what).
    """
    from geoplan.locate import model_spec

    spec = model_spec(model)
    model = model.lower()
    if "p" in spec.needs and p is None:
        raise InputError(None, f"{model}: --p (number of sites) is missing", "pass --p <int>")
    if "max_minutes" in spec.needs and max_minutes is None:
        raise InputError(
            None, f"{model}: --max-minutes (coverage threshold) is missing", "pass --max-minutes 30"
        )
    cost, w, demand_ids, site_ids = read_problem(Path(cost_matrix), Path(demand))
    fixed = [str(s).strip() for s in (fixed or []) if str(s).strip()]
    unknown = [s for s in fixed if s not in set(site_ids)]
    if unknown:
        raise InputError(
            cost_matrix,
            f"fixed site(s) {', '.join(map(repr, unknown))} do not occur in site_id",
            f"use site ids present in {Path(cost_matrix).name} (e.g. {site_ids[0]!r})",
        )
    given = {"p": p, "max_minutes": max_minutes}
    m = spec.cls.from_cost_matrix(
        cost,
        weights=w,
        site_ids=site_ids,
        demand_ids=demand_ids,
        fixed=fixed or None,
        **{k: given[k] for k in spec.takes},
    )
    m.solve(solver=solver, time_limit=time_limit)
    res = m.summary()
    res.setdefault("covered_share", None)
    if model == "pcenter":
        res["max_minutes"] = max_minutes
    if model in ("pmedian", "pcenter") and max_minutes is None:
        res["max_minutes"] = None
    res.update(
        model=model,
        p=p if model != "lscp" else len(m.selected),
        solver=solver,
        time_limit=time_limit,
        fixed=sorted(fixed),
        n_demand=len(demand_ids),
        n_sites=len(site_ids),
    )
    seconds = res.pop("solve_seconds", None)      # a timing: not in the data file (byte-identical runs)
    _atomic_json(res, Path(out))
    return {**res, "solve_seconds": seconds}


def add_locate_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``geoplan locate`` options to ``parser``."""
    from geoplan.locate import MODELS

    parser.add_argument(
        "--cost-matrix",
        required=True,
        help="CSV demand_id,site_id,minutes (missing pair = unreachable)",
    )
    parser.add_argument("--demand", required=True, help="CSV demand_id,weight")
    parser.add_argument(
        "--model",
        required=True,
        choices=list(MODELS),
        help="; ".join(f"{k}: {s.what}" for k, s in MODELS.items()),
    )
    parser.add_argument("--p", type=int, help="number of sites (mclp, pmedian, pcenter)")
    parser.add_argument(
        "--max-minutes", type=float, help="coverage threshold T (lscp, mclp); hard cap for pmedian"
    )
    parser.add_argument("--fixed", help="comma-separated site ids that must be open")
    parser.add_argument(
        "--solver",
        default="highs",
        choices=["highs", "cbc", "highs-pulp"],
        help="highs: HiGHS in-process (default); cbc: PuLP's bundled CBC; "
        "highs-pulp: HiGHS through a PuLP model",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--out", required=True, help="RESULT.json")
    return parser


def run_locate(args: argparse.Namespace) -> int:
    """Run ``geoplan locate`` from parsed arguments; prints one line and returns 0."""
    fixed = [s for s in (args.fixed or "").split(",") if s.strip()]
    res = locate_from_files(
        cost_matrix=Path(args.cost_matrix),
        demand=Path(args.demand),
        model=args.model,
        p=args.p,
        max_minutes=args.max_minutes,
        fixed=fixed,
        solver=args.solver,
        time_limit=args.time_limit,
        out=Path(args.out),
    )
    gap = res.get("gap")
    gap_txt = f", gap {gap:.2%}" if gap is not None else ""
    secs = res.get("solve_seconds")
    secs_txt = f" in {secs:.1f} s" if secs is not None else ""
    print(
        f"{args.model}: {res['status']}, objective {res['objective']}{gap_txt}, {len(res['sites'])} sites → "
        f"{args.out}{secs_txt}"
    )
    return 0
