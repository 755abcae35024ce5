"""File back-end of ``geoplan access``: OD.csv + SUPPLY.csv + DEMAND.csv in, ACCESS.csv out.

Inputs (UTF-8 CSV with a header; extra columns are ignored; a byte-order mark
is accepted):

* ``--demand``: ``demand_id,weight`` (weight >= 0, e.g. population);
* ``--supply``: ``site_id,capacity`` (capacity >= 0, e.g. doctors);
* ``--cost-matrix``: ``demand_id,site_id,minutes`` as for ``geoplan locate``;
  a missing pair is unreachable (write no ``inf``).

Every input is checked before anything is computed; a bad one raises
:class:`~geoplan.errors.InputError` naming the file, the line and the field
and saying what to do, and nothing is written. The output is written
atomically (temporary file + rename) with floats in their shortest exact
form (``repr``), so it is byte-identical run to run and round-trips the
computed values exactly.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoplan.access.decay import LUO_QI_STEPS, GaussianDecay, StepDecay, parse_step_weights
from geoplan.access.fca import (
    EnhancedTwoStageFCA,
    FloatingCatchment,
    GravityAccess,
    TwoStageFCA,
)
from geoplan.csvtext import csv_text, first_ragged_line
from geoplan.errors import InputError

METHODS = ("2sfca", "e2sfca", "gravity")


@dataclass
class AccessProblem:
    """Checked inputs of ``geoplan access``.

    Attributes
    ----------
    demand
        float weights indexed by ``demand_id`` (file order).
    supply
        float capacities indexed by ``site_id`` (file order).
    cost
        Long frame ``demand_id, site_id, minutes`` (finite, >= 0, unique pairs,
        known ids).
    """

    demand: pd.Series
    supply: pd.Series
    cost: pd.DataFrame


# -------------------------------------------------------------------- reading
class _Table:
    """A CSV read as strings, with physical line numbers for messages."""

    def __init__(self, path: Path, columns: tuple[str, ...], what: str, flag: str) -> None:
        self.path, self.columns, self.what, self.flag = path, columns, what, flag
        self._text = ""
        self._lines: list[int] | None = None
        self.df = self._read()

    def line(self, row: int) -> int:
        """Physical line number (1-based) of data row ``row`` (0-based)."""
        if self._lines is None:
            self._lines = [k + 1 for k, s in enumerate(self._text.splitlines()) if s.strip()]
        k = row + 1
        return self._lines[k] if k < len(self._lines) else row + 2

    def error(self, row: int | None, problem: str, fix: str) -> InputError:
        where = f"line {self.line(row)}: " if row is not None else ""
        return InputError(self.path, where + problem, fix)

    def _read(self) -> pd.DataFrame:
        p, cols = self.path, self.columns
        header_fix = f"give {self.flag} a CSV file with the header {','.join(cols)}"
        if p.is_dir():
            raise InputError(p, f"{self.flag} is a folder (a directory), not a file", header_fix)
        if not p.is_file():
            raise InputError(p, f"{self.flag}: file not found", header_fix)
        text = csv_text(p)
        self._text = text
        first = next((s for s in text.splitlines() if s.strip()), None)
        if first is None:
            raise InputError(p, "the file is empty", f"write a header {','.join(cols)} and data rows")
        header = [h.strip() for h in next(csv.reader([first]))]
        if len(header) == 1 and ";" in first:
            raise InputError(p, f"line 1: the header {first.strip()!r} is separated by ';'",
                             "save the file with commas as separators (and decimal points)")
        dup = sorted({h for h in header if header.count(h) > 1 and h in cols})
        if dup:
            raise InputError(p, f"line 1: column {dup[0]!r} appears twice in the header",
                             "keep one column of each name")
        missing = [c for c in cols if c not in header]
        if missing:
            raise InputError(p, f"line 1: missing column(s) {', '.join(missing)} (found: {', '.join(header)})",
                             f"the header must contain {','.join(cols)}")
        fields_fix = ("give every line the same number of fields as the header; quote fields "
                      "that contain commas and write decimals with a point")
        raw_names = {h.strip(): h for h in next(csv.reader([first]))}
        id_types = {raw_names[c]: object for c in cols if c.endswith("_id")}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                # ids as Python strings, numbers parsed by the C parser (fast path); a column with
                # a bad value comes back as strings and is checked value by value in numbers()
                df = pd.read_csv(io.StringIO(text), dtype=id_types, keep_default_na=False, index_col=False)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            bad = first_ragged_line(text, len(header))
            msg = (f"line {bad[0]} has {bad[1]} fields, the header {len(header)}" if bad
                   else str(exc).strip().splitlines()[-1])
            raise InputError(p, f"cannot be read as CSV: {msg}", fields_fix) from None
        df.columns = [str(c).strip() for c in df.columns]
        if df.empty:
            raise InputError(p, "no data rows after the header", f"add rows {','.join(cols)}")
        return df

    def ids(self, col: str) -> npt.NDArray[np.object_]:
        s = self.df[col]
        v: npt.NDArray[np.object_] = s.where(s.notna(), "").astype(object).to_numpy(dtype=object)
        v = pd.Series(v, dtype=object).astype(str).str.strip().to_numpy(dtype=object)
        blank = v == ""
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise self.error(i, f"empty {col}", f"give every row a {col}")
        return v

    def numbers(self, col: str, *, what: str, fix: str, allow_inf: bool = False) -> npt.NDArray[np.float64]:
        """The column as floats: every value a number >= 0 (``inf`` too with ``allow_inf``)."""
        s = self.df[col]
        if s.dtype.kind in "fiu":
            x: npt.NDArray[np.float64] = s.to_numpy(dtype=np.float64)
            raw = None
        else:
            raw = s.where(s.notna(), "").astype(str).str.strip()
            x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
        bad = (np.isnan(x) if allow_inf else ~np.isfinite(x)) | (x < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            text = repr(float(x[i])) if raw is None else str(raw.iloc[i])
            if text == "":
                problem = f"empty {col}"
            elif np.isnan(x[i]):
                problem = f"{col}={text!r} is not a number"
            elif np.isinf(x[i]):
                problem = f"{col}={text!r} is infinite"
            else:
                problem = f"{col}={text!r} is negative"
            raise self.error(i, problem + f" ({what})", fix)
        return x


def _unique_ids(t: _Table, col: str) -> npt.NDArray[np.object_]:
    ids = t.ids(col)
    dup = pd.Index(ids).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(ids == ids[i])[0])
        raise t.error(i, f"duplicate {col} {ids[i]!r} (first on line {t.line(first)})",
                      f"list each {col} once")
    return ids


def _lookup(known: pd.Index, ids: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    codes, uniq = pd.factorize(ids)
    pos: npt.NDArray[np.int64] = np.asarray(known.get_indexer(uniq), dtype=np.int64)[codes]
    return pos


def read_access_problem(*, cost_matrix: Path, supply: Path, demand: Path) -> AccessProblem:
    """Read and check the three input files of ``geoplan access``.

    Raises
    ------
    InputError
        Missing / empty / non-UTF-8 file, missing column, blank or duplicate id,
        a weight, capacity or time that is empty, not a number, infinite or
        negative, a pair listed twice, an id of the matrix that is not in the
        demand or supply file, all demand weights 0.
    """
    cost_matrix, supply, demand = Path(cost_matrix), Path(supply), Path(demand)
    td = _Table(demand, ("demand_id", "weight"), "demand points", "--demand")
    d_ids = _unique_ids(td, "demand_id")
    w = td.numbers("weight", what="demand weight", fix="give every demand point a weight >= 0 (e.g. population)")
    if not (w > 0).any():
        raise InputError(demand, "weight: every weight is 0", "give at least one demand point a weight > 0")

    ts = _Table(supply, ("site_id", "capacity"), "sites", "--supply")
    s_ids = _unique_ids(ts, "site_id")
    cap = ts.numbers("capacity", what="site capacity", fix="give every site a capacity >= 0 (e.g. doctors)")

    tc = _Table(cost_matrix, ("demand_id", "site_id", "minutes"), "travel times", "--cost-matrix")
    cd = tc.ids("demand_id")
    cs = tc.ids("site_id")
    minutes = tc.numbers("minutes", what="travel time",
                         fix="write minutes as a plain number >= 0; leave an unreachable pair out")
    dix, six = pd.Index(d_ids), pd.Index(s_ids)
    r = _lookup(dix, cd)
    if (r < 0).any():
        i = int(np.flatnonzero(r < 0)[0])
        raise tc.error(i, f"demand_id {cd[i]!r} is not in {demand.name}",
                       f"add it to {demand} or remove its rows from {cost_matrix.name}")
    c = _lookup(six, cs)
    if (c < 0).any():
        i = int(np.flatnonzero(c < 0)[0])
        raise tc.error(i, f"site_id {cs[i]!r} is not in {supply.name}",
                       f"add it to {supply} (with its capacity) or remove its rows from {cost_matrix.name}")
    key = r.astype(np.int64) * max(len(s_ids), 1) + c
    dup = pd.Index(key).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(key == key[i])[0])
        raise tc.error(i, f"pair demand_id {cd[i]!r}, site_id {cs[i]!r} appears twice "
                       f"(first on line {tc.line(first)})", "keep one travel time per demand/site pair")
    cost = pd.DataFrame({"demand_id": cd, "site_id": cs, "minutes": minutes})
    return AccessProblem(demand=pd.Series(w, index=dix, name="weight"),
                         supply=pd.Series(cap, index=six, name="capacity"), cost=cost)


# ------------------------------------------------------------------- options
def _positive(value: Any, flag: str, example: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(None, f"{flag} {value!r} is not a number", f"pass {flag} {example}") from None
    if not (math.isfinite(x) and x > 0):
        raise InputError(None, f"{flag} {value!r} must be a finite number > 0", f"pass {flag} {example}")
    return x


def _non_negative(value: Any, flag: str, example: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(None, f"{flag} {value!r} is not a number", f"pass {flag} {example}") from None
    if not (math.isfinite(x) and x >= 0):
        raise InputError(None, f"{flag} {value!r} must be a finite number >= 0", f"pass {flag} {example}")
    return x


@dataclass(frozen=True)
class AccessOptions:
    """Checked command-line options of ``geoplan access``."""

    method: str
    max_minutes: float
    decay: StepDecay | GaussianDecay | None = None
    beta: float = 1.0
    min_minutes: float = 1.0
    competition: bool = True
    normalize: bool = False


def check_options(*, method: str, max_minutes: Any, weights: str | None = None, decay: str | None = None,
                  width: Any = None, beta: Any = None, min_minutes: Any = None, potential: bool = False,
                  normalize: bool = False) -> AccessOptions:
    """Check the method options; raise :class:`InputError` naming the flag and the fix."""
    method = (method or "").strip().lower()
    if method not in METHODS:
        raise InputError(None, f"--method {method!r} is not known", f"use one of {', '.join(METHODS)}")
    if max_minutes is None:
        raise InputError(None, "--max-minutes (the catchment) is missing", "pass --max-minutes 30")
    T = _positive(max_minutes, "--max-minutes", "30")
    if method != "e2sfca":
        for flag, v in (("--weights", weights), ("--decay", decay), ("--width", width)):
            if v is not None:
                raise InputError(None, f"{flag} applies to --method e2sfca only, not {method}",
                                 f"drop {flag} or use --method e2sfca")
    if method != "gravity":
        for flag, v in (("--beta", beta), ("--min-minutes", min_minutes), ("--potential", potential or None)):
            if v is not None:
                raise InputError(None, f"{flag} applies to --method gravity only, not {method}",
                                 f"drop {flag} or use --method gravity")
    opts: dict[str, Any] = {"method": method, "max_minutes": T, "normalize": bool(normalize)}
    if method == "e2sfca":
        if weights is not None and decay is not None:
            raise InputError(None, "both --weights and --decay were given",
                             "use --weights 10:1,20:0.68,30:0.22 (steps) or --decay gaussian --width 15")
        if decay is not None:
            if decay.strip().lower() != "gaussian":
                raise InputError(None, f"--decay {decay!r} is not known",
                                 "use --decay gaussian --width W, or step weights with --weights")
            if width is None:
                raise InputError(None, "--decay gaussian needs --width (minutes)", "pass --width 15")
            opts["decay"] = GaussianDecay(_positive(width, "--width", "15"))
        elif width is not None:
            raise InputError(None, "--width is given without --decay gaussian", "add --decay gaussian")
        elif weights is not None:
            opts["decay"] = parse_step_weights(weights, source="--weights")
        else:
            opts["decay"] = StepDecay(LUO_QI_STEPS)
    if method == "gravity":
        opts["beta"] = 1.0 if beta is None else _non_negative(beta, "--beta", "1.0")
        opts["min_minutes"] = 1.0 if min_minutes is None else _non_negative(min_minutes, "--min-minutes", "1")
        opts["competition"] = not potential
    return AccessOptions(**opts)


def build_model(problem: AccessProblem, opts: AccessOptions) -> FloatingCatchment:
    """The (unsolved) model for checked inputs and options."""
    common: dict[str, Any] = {"demand": problem.demand, "supply": problem.supply,
                              "max_minutes": opts.max_minutes}
    if opts.method == "2sfca":
        return TwoStageFCA.from_cost_matrix(problem.cost, **common)
    if opts.method == "e2sfca":
        return EnhancedTwoStageFCA.from_cost_matrix(problem.cost, weights=opts.decay, **common)
    return GravityAccess.from_cost_matrix(problem.cost, beta=opts.beta, min_minutes=opts.min_minutes,
                                          competition=opts.competition, **common)


# -------------------------------------------------------------------- writing
def _fmt(x: float | np.floating[Any]) -> str:
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def _csv_text(header: Sequence[str], columns: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(header)
    for row in zip(*columns, strict=True):
        wr.writerow([_fmt(v) if isinstance(v, float | np.floating) else str(v) for v in row])
    return buf.getvalue()


def _atomic_text(text: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}-", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _check_out(out: str | Path, flag: str, inputs: Sequence[Path]) -> Path:
    raw = str(out)
    path = Path(out)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        raise InputError(path, f"{flag} is a directory", f"give {flag} a file name, e.g. {path / 'ACCESS.csv'}")
    for p in inputs:
        if path.resolve() == p.resolve():
            raise InputError(path, f"{flag} is the input file {p}", "write the result to another file")
    parent = next((q for q in [path.parent, *path.parent.parents] if q.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(path, f"{flag}: {parent} is a file, not a folder", f"choose a {flag} path in a folder")
    return path


def access_from_files(*, cost_matrix: Path, supply: Path, demand: Path, method: str, max_minutes: Any,
                      weights: str | None = None, decay: str | None = None, width: Any = None,
                      beta: Any = None, min_minutes: Any = None, potential: bool = False,
                      normalize: bool = False, out: str | Path, sites_out: str | Path | None = None) -> dict[str, Any]:
    """Compute floating-catchment access from files and write ACCESS.csv atomically.

    Parameters
    ----------
    cost_matrix, supply, demand
        The three input CSVs (see the module docstring).
    method
        ``2sfca``, ``e2sfca`` or ``gravity`` (see :mod:`geoplan.access.fca`).
    max_minutes
        Catchment in minutes (> 0, finite); pairs with ``minutes <= max_minutes``
        are in reach.
    weights, decay, width
        E2SFCA weights: ``weights="10:1,20:0.68,30:0.22"`` steps, or
        ``decay="gaussian"`` with ``width`` (minutes). Default: Luo & Qi's steps.
    beta, min_minutes, potential
        Gravity: decay exponent (default 1), floor on minutes (default 1),
        ``potential=True`` for the Hansen potential instead of the competition model.
    normalize
        Write access divided by its demand-weighted mean (PySAL ``normalize=True``)
        in ``access``, and the raw value in ``access_raw``.
    out
        ACCESS.csv: ``demand_id,weight,sites_in_reach,access[,access_raw]`` in the
        order of the demand file; ``access`` empty where no site is in reach.
    sites_out
        Optional SITES.csv: ``site_id,capacity,demand_points_in_reach,demand_in_reach[,ratio]``.

    Returns
    -------
    dict
        :meth:`FloatingCatchment.summary` plus the output paths.

    Raises
    ------
    InputError
        Any bad input or option; nothing is written then.
    """
    opts = check_options(method=method, max_minutes=max_minutes, weights=weights, decay=decay, width=width,
                         beta=beta, min_minutes=min_minutes, potential=potential, normalize=normalize)
    inputs = [Path(cost_matrix), Path(supply), Path(demand)]
    out = _check_out(out, "--out", inputs)
    if sites_out is not None:
        sites_out = _check_out(sites_out, "--sites-out", [*inputs, out])
    problem = read_access_problem(cost_matrix=Path(cost_matrix), supply=Path(supply), demand=Path(demand))
    model = build_model(problem, opts).solve()
    a = model.access
    if opts.normalize and not (math.isfinite(model.mean_access) and model.mean_access > 0):
        raise InputError(Path(cost_matrix), f"cannot normalise: the weighted mean access is {model.mean_access} "
                         f"(no demand has supply within {opts.max_minutes:g} minutes)",
                         "drop --normalize, raise --max-minutes or check the minutes column")
    header = ["demand_id", "weight", "sites_in_reach", "access"]
    cols: list[Sequence[Any]] = [list(a.index), a["weight"].tolist(), a["sites_in_reach"].tolist()]
    if opts.normalize:
        header.append("access_raw")
        cols += [a["access_norm"].tolist(), a["access"].tolist()]
    else:
        cols.append(a["access"].tolist())
    texts = [(out, _csv_text(header, cols))]
    if sites_out is not None:
        s = model.sites
        sh = ["site_id", *[c for c in ("capacity", "demand_points_in_reach", "demand_in_reach", "ratio")
                           if c in s.columns]]
        texts.append((sites_out, _csv_text(sh, [list(s.index), *[s[c].tolist() for c in sh[1:]]])))
    for path, text in texts:
        _atomic_text(text, path)
    res = model.summary()
    res.update(out=str(out), sites_out=None if sites_out is None else str(sites_out), normalize=opts.normalize)
    return res


def run_access(args: argparse.Namespace) -> int:
    """Run ``geoplan access`` from parsed arguments; prints one line and returns 0."""
    res = access_from_files(
        cost_matrix=Path(args.cost_matrix), supply=Path(args.supply), demand=Path(args.demand),
        method=args.method, max_minutes=args.max_minutes, weights=args.weights, decay=args.decay,
        width=args.width, beta=args.beta, min_minutes=args.min_minutes, potential=args.potential,
        normalize=args.normalize, out=args.out,
        sites_out=args.sites_out or None)
    decay = f", {res['decay']}" if res["decay"] else ""
    if not res["share_weight_reached"] > 0:
        print(f"{res['method']}{decay}: {res['n_demand']} demand points, {res['n_sites']} sites: no demand "
              f"has a site within {res['max_minutes']:g} min, so every access value is empty "
              f"(raise --max-minutes or check the minutes column) → {res['out']}")
        return 0
    print(f"{res['method']}{decay}: {res['n_demand']} demand points, {res['n_sites']} sites, "
          f"{res['share_weight_reached']:.1%} of demand weight with a site within {res['max_minutes']:g} min, "
          f"weighted mean access {res['mean_access']:.6g} → {res['out']}")
    return 0


__all__ = [
    "METHODS",
    "AccessOptions",
    "AccessProblem",
    "access_from_files",
    "build_model",
    "check_options",
    "read_access_problem",
    "run_access",
]
