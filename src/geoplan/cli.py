"""Command-line interface: ``geoplan run | compare | od | locate | data``.

The CLI is thin: it parses arguments, turns on progress output and calls the
library. Any :class:`~geoplan.errors.GeoplanError` is printed as a one-paragraph
message (file, field, fix) and exits with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geoplan import __version__, progress
from geoplan.errors import GeoplanError, InputError, OutputError


def _cmd_run(args: argparse.Namespace) -> int:
    from geoplan.config import load_scenario
    from geoplan.i18n import fmt_number, t
    from geoplan.output.files import check_output_dir
    from geoplan.run.pipeline import default_output_dir, run_scenario

    sc = load_scenario(args.scenario)
    out = check_output_dir(Path(args.out) if args.out is not None else default_output_dir(sc))  # before computing
    result = run_scenario(sc, out=out)
    lang = result.lang
    for h in result.headlines:  # the answer first, in the scenario's language
        print(h.text(lang))
    print(t("terminal.wrote", lang, n=len(set(result.written)), out=result.out,
            seconds=fmt_number(result.timings["total"], lang, digits=1)))
    for name in sorted(set(result.written)):
        print(f"  {name}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from geoplan.config import load_scenario
    from geoplan.output.files import check_output_dir
    from geoplan.run.compare import compare_scenarios, default_compare_dir

    a, b = load_scenario(args.a), load_scenario(args.b)
    from geoplan.i18n import t

    out = check_output_dir(Path(args.out) if args.out is not None else default_compare_dir(a, b))
    result = compare_scenarios(a, b, out=out)
    lang = result.a.lang
    for h in result.headlines:
        print(h.text(lang))
    print(t("terminal.wrote_compare", lang, out=result.out, n=len(result.parameters)))
    return 0


def _cmd_od(args: argparse.Namespace) -> int:
    from geoplan.od import od_table, read_points_csv
    from geoplan.output.files import write_csv
    from geoplan.region import load_region
    from geoplan.routing import AccessModel, CompiledGraph

    _check_not_folder(args.out, example="OD.csv", written_by_us=_first_line_is("from,to,minutes,km"),
                      inputs=(args.points, args.to))
    points = read_points_csv(args.points)
    to = read_points_csv(args.to) if args.to else None
    region = load_region(args.region)
    G = region.network(args.network)
    cg = CompiledGraph.from_graph(G).with_landmasses(region.land)
    table = od_table(region, cg, points, to=to, access=AccessModel(), points_file=args.points, to_file=args.to)
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(table, out, float_digits=1)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise
        raise OutputError(out, f"cannot write --out: {exc.strerror} ({exc.filename or out})",
                          "give --out a file in a folder you can write to") from exc
    print(f"Wrote {len(table)} pairs to {out}")
    return 0


def _positive(args: argparse.Namespace, name: str, option: str, *, optional: bool = False) -> None:
    """A numeric option must be a finite number > 0 (argparse's float() accepts 'nan' and 'inf')."""
    value: Any = getattr(args, name, None)
    if value is None and optional:
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise InputError(None, f"{option} {value}: must be a finite number > 0",
                         f"pass e.g. {option} 60")


def _check_not_folder(out: str | Path, option: str = "--out", *, example: str = "result.csv",
                      written_by_us: Callable[[Path], bool] | None = None,
                      inputs: tuple[str | None, ...] = ()) -> None:
    """An output *file* geoplan may write: not empty, not a folder, in a folder it can write to, and not a
    file of the user's (an existing file is replaced only when it is this command's own earlier output)."""
    if str(out).strip() == "":
        raise OutputError(None, f"{option} is empty", f"give a file name, e.g. {option} {example}")
    path = Path(out).expanduser()
    if path.is_dir():
        raise OutputError(out, f"{option} is an existing directory (a folder); it must be a file name",
                          f"give a file name, e.g. {option} {path / example}")
    ancestor = next((q for q in [path.parent, *path.parent.parents] if q.exists()), Path("."))
    if not ancestor.is_dir():
        raise OutputError(out, f"{option}: {ancestor} is a file, not a folder",
                          f"give {option} a path inside a folder, e.g. {option} {example}")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(out, f"{option}: cannot write into {ancestor}: read-only or no permission",
                          f"give {option} a file in a folder you can write to")
    for given in inputs:
        if given and path.exists() and Path(given).exists() and path.resolve() == Path(given).resolve():
            raise OutputError(out, f"{option} is the input file {given}", "write the result to another file")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise OutputError(out, f"{option} exists and is not a regular file", "give a new file name")
    if path.is_file() and written_by_us is not None and not written_by_us(path):
        raise OutputError(out, f"{option} exists and is not a file this command wrote: geoplan does not "
                          "overwrite your files", "give a new file name, or move the file away yourself")


def _first_line_is(*headers: str) -> Callable[[Path], bool]:
    """Recognise an earlier output by its header line (the CSVs geoplan od / access write)."""
    def check(path: Path) -> bool:
        try:
            with path.open(encoding="utf-8", newline="") as f:
                first = f.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            return False
        return first in headers
    return check


def _is_sites_table(path: Path) -> bool:
    """An earlier SITES.csv of geoplan access --sites-out (site_id and some of its columns)."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            cols = f.readline().rstrip("\r\n").split(",")
    except (OSError, UnicodeDecodeError):
        return False
    return cols[0] == "site_id" and set(cols[1:]) <= {"capacity", "demand_points_in_reach", "demand_in_reach", "ratio"}


def _is_locate_result(path: Path) -> bool:
    """An earlier RESULT.json of geoplan locate (a JSON object with its keys)."""
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(doc, dict) and {"status", "sites", "objective", "model"} <= set(doc)


def _cmd_locate(args: argparse.Namespace) -> int:
    from geoplan.locate.io import run_locate

    _positive(args, "time_limit", "--time-limit")
    _check_not_folder(args.out, example="result.json", written_by_us=_is_locate_result,
                      inputs=(args.cost_matrix, args.demand))

    return run_locate(args)


def _cmd_access(args: argparse.Namespace) -> int:
    from geoplan.access.io import run_access

    access_header = ("demand_id,weight,sites_in_reach,access", "demand_id,weight,sites_in_reach,access,access_raw")
    inputs = (args.cost_matrix, args.supply, args.demand)
    _check_not_folder(args.out, example="ACCESS.csv", written_by_us=_first_line_is(*access_header), inputs=inputs)
    if args.sites_out:
        _check_not_folder(args.sites_out, "--sites-out", example="SITES.csv", written_by_us=_is_sites_table,
                          inputs=(*inputs, args.out))

    return run_access(args)


def _cmd_data(args: argparse.Namespace) -> int:
    from geoplan.datadir import check_inputs, data_dir, fetch_input, load_manifest

    manifest = load_manifest(args.region)
    statuses = check_inputs(manifest)
    if args.data_command == "check":
        where = data_dir()
        print(f"Data directory: {where}" + ("" if where.is_dir() else " (this folder does not exist)"))
        missing_required = 0
        for st in statuses:
            mark = "ok     " if st.present else "MISSING"
            size = f"{st.size_bytes / 1e6:7.1f} MB" if st.size_bytes is not None else " " * 10
            req = "" if st.spec.required else " (optional)"
            print(f"  {mark} {size}  {st.spec.file}{req}")
            if not st.present:
                print(f"          get it from: {st.spec.describe_source()}")
                missing_required += st.spec.required
        if missing_required:
            print(f"{missing_required} required input(s) missing: run `geoplan data fetch --region {args.region}` "
                  "or copy them into the data directory (or set GEOPLAN_DATA_DIR).")
            return 1
        print("All required inputs are present.")
        return 0
    # fetch
    failures = 0
    for st in statuses:
        if st.present:
            continue
        try:
            path = fetch_input(st.spec)
            print(f"  fetched {st.spec.file} → {path}")
        except GeoplanError as exc:
            failures += 1
            print(f"  could not fetch {st.spec.file}: {exc}", file=sys.stderr)
    if not any(not st.present for st in statuses):
        print("Nothing to fetch: all inputs are present.")
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="geoplan", description="Health-care location planning for Region Midtjylland.")
    p.add_argument("--version", action="version", version=f"geoplan {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a scenario file and write tables and maps")
    r.add_argument("scenario", help="scenario TOML file, e.g. scenarios/baseline.toml; a relative path that "
                   "does not exist (scenarios/NAME.toml or NAME.toml) means the scenario of that name shipped "
                   "with geoplan, so the shipped scenarios run from any folder")
    r.add_argument("--out", help="output folder (default ./maps/<scenario name>/ in the working directory)")
    r.set_defaults(func=_cmd_run)

    c = sub.add_parser("compare", help="compare two scenarios: side-by-side map and delta table")
    c.add_argument("a", help="first scenario (e.g. today); shipped scenarios are found as for run")
    c.add_argument("b", help="second scenario")
    c.add_argument("--out", help="output folder (default ./maps/compare-<a>-vs-<b>/)")
    c.set_defaults(func=_cmd_compare)

    o = sub.add_parser("od", help="drive times between places (CSV name,lon,lat)")
    o.add_argument("points", help="CSV with columns name,lon,lat (WGS84)")
    o.add_argument("--to", help="second CSV: times POINTS × TO instead of all pairs of POINTS")
    o.add_argument("--region", default="midtjylland")
    o.add_argument("--network", default=None, help="'strategic' (default) or an OSM file")
    o.add_argument("--out", required=True, help="output CSV: from,to,minutes,km")
    o.set_defaults(func=_cmd_od)

    lo = sub.add_parser("locate", help="solve a location model on your own cost matrix")
    from geoplan.locate.io import add_locate_arguments

    add_locate_arguments(lo)
    lo.set_defaults(func=_cmd_locate)

    ac = sub.add_parser("access", help="floating-catchment access (2SFCA, E2SFCA, gravity) on your own cost matrix")
    ac.add_argument("--cost-matrix", required=True, help="CSV demand_id,site_id,minutes (missing pair = unreachable)")
    ac.add_argument("--supply", required=True, help="CSV site_id,capacity")
    ac.add_argument("--demand", required=True, help="CSV demand_id,weight")
    ac.add_argument("--method", required=True, choices=["2sfca", "e2sfca", "gravity"])
    ac.add_argument("--max-minutes", required=True, help="catchment T: pairs with minutes <= T are in reach")
    ac.add_argument("--weights", help="e2sfca step weights minutes:weight,... (default 10:1,20:0.68,30:0.22)")
    ac.add_argument("--decay", choices=["gaussian"], help="e2sfca: Gaussian decay exp(-t^2/(2 W^2)) instead of steps")
    ac.add_argument("--width", help="e2sfca: Gaussian width W in minutes")
    ac.add_argument("--beta", help="gravity: decay exponent, weight = max(t, min-minutes)^-beta (default 1)")
    ac.add_argument("--min-minutes", help="gravity: floor on minutes in the decay (default 1)")
    ac.add_argument("--potential", action="store_true", help="gravity: Hansen potential (no competition)")
    ac.add_argument("--normalize", action="store_true", help="divide access by its demand-weighted mean")
    ac.add_argument("--out", required=True, help="ACCESS.csv: demand_id,weight,sites_in_reach,access")
    ac.add_argument("--sites-out", help="optional SITES.csv: supply-to-demand ratio per site")
    ac.set_defaults(func=_cmd_access)

    d = sub.add_parser("data", help="inputs in the data directory")
    dsub = d.add_subparsers(dest="data_command", required=True)
    for name, helptext in (("check", "say which inputs are present and which are missing"),
                           ("fetch", "download missing inputs from their official locations")):
        x = dsub.add_parser(name, help=helptext)
        x.add_argument("--region", default="midtjylland")
        x.set_defaults(func=_cmd_data)
    return p


def _terminate(signum: int, frame: object) -> None:
    from geoplan.output.files import Interrupted

    raise Interrupted()


def main(argv: list[str] | None = None) -> int:
    """``geoplan ...``: the exit status (0 ok, 1 failed or stdout closed early, 2 bad input, 130/143 stopped).

    A closed standard output (``geoplan data check | head -1``) ends the command quietly with status 1,
    as the Python documentation's "Note on SIGPIPE" does: no traceback, and nothing more is printed.
    """
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()                 # a closed pipe shows here (or in a print), not at exit
    except BrokenPipeError:
        try:                                   # the interpreter's final flush must not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass                               # not a real file (pytest's capture): nothing to flush
        return 1


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    progress.enable(not args.quiet)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)   # SIGTERM cleans up like Ctrl-C
    try:
        code: int = args.func(args)
        return code
    except GeoplanError as exc:
        print(f"geoplan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        from geoplan.output.files import Interrupted

        terminated = isinstance(exc, Interrupted)
        print(f"geoplan: {'terminated' if terminated else 'interrupted'}; nothing was written", file=sys.stderr)
        return 143 if terminated else 130
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            print(f"geoplan: error: the disk is full ({exc.filename or 'while writing'})\n"
                  "  fix: free some disk space, or write to another disk", file=sys.stderr)
            return 2
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
