"""File back-end of ``geoplan locate``: OD.csv + DEMAND.csv in, RESULT.json out."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from geoplan.errors import InfeasibleError, InputError, plain


def read_problem(cost_matrix: Path, demand: Path):
    """Read OD.csv and DEMAND.csv into (cost, weights, demand_ids, site_ids).

    Both files are read as ``geoplan access`` reads them (UTF-8 with or without a byte-order mark,
    comma-separated, one header line, every line as many fields as the header, ids as text); in
    ``minutes`` an ``inf`` means unreachable, like a missing pair.
    """
    import pandas as pd  # here, not at the top: `geoplan --help` builds this parser without pandas

    from geoplan.access.io import _Table, _unique_ids

    cost_matrix, demand = Path(cost_matrix), Path(demand)
    td = _Table(demand, ("demand_id", "weight"), "demand points", "--demand")
    d_ids = _unique_ids(td, "demand_id")
    w = td.numbers("weight", what="demand weight", fix="give every demand point a weight >= 0 (e.g. population)")
    if not (w > 0).any():
        raise InputError(demand, "weight: every weight is 0 (shares would be 0/0)",
                         "give at least one demand point a weight > 0")
    tc = _Table(cost_matrix, ("demand_id", "site_id", "minutes"), "travel times", "--cost-matrix")
    cd = tc.ids("demand_id")
    cs = tc.ids("site_id")
    minutes = tc.numbers("minutes", what="travel time", allow_inf=True,
                         fix="write minutes as a plain number >= 0; leave an unreachable pair out")
    demand_ids = [str(d) for d in d_ids]
    dpos = {d: k for k, d in enumerate(demand_ids)}
    rows = np.fromiter((dpos.get(d, -1) for d in cd), dtype=np.int64, count=len(cd))
    if (rows < 0).any():
        i = int(np.flatnonzero(rows < 0)[0])
        raise tc.error(i, f"demand_id {cd[i]!r} is not in {demand.name}",
                       f"add it to {demand.name} or remove its rows from {cost_matrix.name}")
    site_ids = sorted({str(x) for x in cs})
    spos = {x: k for k, x in enumerate(site_ids)}
    cols = np.fromiter((spos[x] for x in cs), dtype=np.int64, count=len(cs))
    key = rows * len(site_ids) + cols
    dup = pd.Index(key).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(key == key[i])[0])
        raise tc.error(i, f"pair ({cd[i]}, {cs[i]}) appears twice (first on line {tc.line(first)})",
                       "keep one travel time per demand/site pair")
    cost = np.full((len(demand_ids), len(site_ids)), np.inf)
    cost[rows, cols] = minutes
    return cost, w, demand_ids, site_ids


def _check_options(model: str, takes: tuple[str, ...], needs: tuple[str, ...], *, p: int | None,
                   max_minutes: float | None) -> None:
    """The model's options, named as on the command line: given when needed, not given when unused, in range."""
    if "p" in needs and p is None:
        raise InputError(None, f"--model {model}: --p (number of sites) is missing", "pass --p <int>, e.g. --p 3")
    if "max_minutes" in needs and max_minutes is None:
        raise InputError(None, f"--model {model}: --max-minutes (coverage threshold) is missing",
                         "pass --max-minutes 30")
    if p is not None and "p" not in takes:
        raise InputError(None, f"--p {p}: --model {model} does not take a number of sites (it finds the fewest "
                         "sites that cover everybody)", "drop --p, or use --model mclp to cover the most with --p sites")
    if max_minutes is not None and "max_minutes" not in takes:
        raise InputError(None, f"--max-minutes {plain(max_minutes)}: --model {model} does not use a threshold (it "
                         "minimises the worst travel time)", "drop --max-minutes")
    if p is not None and (int(p) != p or p < 1):
        raise InputError(None, f"--p {plain(p)}: must be a whole number >= 1", "pass e.g. --p 3")
    if max_minutes is not None and not (np.isfinite(max_minutes) and max_minutes >= 0):
        raise InputError(None, f"--max-minutes {plain(max_minutes)}: must be a finite number of minutes >= 0",
                         "pass e.g. --max-minutes 30")


def _check_fits(model: str, cost_matrix: Path, demand: Path, cost: np.ndarray, w: np.ndarray,
                demand_ids: list[str], site_ids: list[str], *, p: int | None, max_minutes: float | None,
                fixed: list[str]) -> None:
    """What the files cannot satisfy, said with the files and options (the models say it in their own terms)."""
    n = len(site_ids)
    if p is not None and p > n:
        shown = ", ".join(site_ids[:5]) + (f" … (+{n - 5} more)" if n > 5 else "")
        raise InfeasibleError(f"--p {p}: --cost-matrix {cost_matrix} has only {n} candidate site(s) "
                              f"(site_id: {shown})\n  fix: pass --p {n} or less, or add travel times to more "
                              f"sites to {cost_matrix.name}")
    if p is not None and len(fixed) > p:
        raise InfeasibleError(f"--fixed names {len(fixed)} sites ({', '.join(fixed)}) but --p is {p}\n"
                              f"  fix: raise --p to at least {len(fixed)}, or fix fewer sites")
    if model == "mclp":
        return  # coverage may leave demand out
    within = max_minutes if model in ("lscp", "pmedian") else None
    near = cost.min(axis=1)
    bad = np.flatnonzero((w > 0) & ((near > within + 1e-9) if within is not None else ~np.isfinite(near)))
    if not len(bad):
        return
    def one(i: int) -> str:
        t = float(near[i])
        return f"{demand_ids[i]!r} (nearest site {t:g} min)" if np.isfinite(t) else f"{demand_ids[i]!r} (no site)"
    listed = ", ".join(one(int(i)) for i in bad[:5]) + (f" … (+{len(bad) - 5} more)" if len(bad) > 5 else "")
    reach = f"within --max-minutes {plain(within)}" if within is not None else "at all"
    fixes = [f"add their travel times to a site to {cost_matrix.name}", f"give them weight 0 in {demand.name}"]
    if within is not None:
        far = near[bad]
        fixes.insert(0, "raise --max-minutes" + (f" (to {float(far.max()):g} reaches them all)"
                                                  if np.isfinite(far).all() else ""))
    raise InfeasibleError(f"--demand {demand}: {len(bad)} demand point(s) with weight > 0 reach no site of "
                          f"--cost-matrix {cost_matrix} {reach}: {listed}\n  fix: {', '.join(fixes[:-1])} "
                          f"or {fixes[-1]}")


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
    _check_options(model, spec.takes, spec.needs, p=p, max_minutes=max_minutes)
    cost, w, demand_ids, site_ids = read_problem(Path(cost_matrix), Path(demand))
    fixed = [str(s).strip() for s in (fixed or []) if str(s).strip()]
    unknown = [s for s in fixed if s not in set(site_ids)]
    if unknown:
        raise InputError(
            cost_matrix,
            f"--fixed site(s) {', '.join(map(repr, unknown))} do not occur in site_id",
            f"use site ids present in {Path(cost_matrix).name} (e.g. {site_ids[0]!r})",
        )
    _check_fits(model, Path(cost_matrix), Path(demand), cost, w, demand_ids, site_ids, p=p,
                max_minutes=max_minutes, fixed=sorted(set(fixed)))
    given = {"p": p, "max_minutes": max_minutes}
    m = spec.cls.from_cost_matrix(
        cost,
        weights=w,
        site_ids=site_ids,
        demand_ids=demand_ids,
        fixed=fixed or None,
        **{k: given[k] for k in spec.takes},
    )
    try:
        m.solve(solver=solver, time_limit=time_limit)
    except InfeasibleError as exc:
        if model not in ("pmedian", "pcenter"):
            raise
        # every demand point reaches some site (checked above), but no p sites reach them all
        cm, dm = Path(cost_matrix), Path(demand)
        cap = max_minutes if model == "pmedian" else None
        within = "" if cap is None else f" within --max-minutes {plain(cap)}"
        lscp = f"--model lscp --max-minutes {plain(cap) if cap is not None else 'T'}"
        raise InfeasibleError(
            f"--p {p}: no {p} site(s) of --cost-matrix {cm} reach every demand point of --demand {dm} "
            f"with weight > 0{within} (a pair missing from {cm.name} is unreachable)\n"
            f"  fix: raise --p ({lscp} finds the fewest sites that reach everybody), add the missing travel "
            f"times to {cm.name}, or give the demand points left out weight 0 in {dm.name}") from exc
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
