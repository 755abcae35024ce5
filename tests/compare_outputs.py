"""Compare the outputs of scenario runs, folder by folder and file by file.

A tool for refactors ("behaviour unchanged"), not a test module::

    python tests/compare_outputs.py run OUT [SCENARIO.toml ...]   # geoplan run each into OUT/<stem>
    python tests/compare_outputs.py diff BEFORE AFTER             # compare two such folders

``diff`` rules, per file present in either folder:

- ``.csv``, ``.json``, ``.txt``: byte-identical, else the first differing lines
  (JSON: the differing keys) are shown;
- ``.gpkg``: same layers, columns, dtypes, values and geometries (a GeoPackage
  stores a write timestamp, so its bytes differ from run to run);
- ``.html``: byte-identical, else the number of differing lines and the first few;
- ``.png``: byte-identical, else the share of differing pixels.

Exit status 0 when every file matches, 1 otherwise (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
from pathlib import Path

EXACT = {".csv", ".json", ".txt"}


def run(out: Path, scenarios: list[Path]) -> int:
    """``geoplan -q run`` every scenario into ``out/<stem>``; returns the number of failures."""
    failures = 0
    for sc in scenarios:
        r = subprocess.run(["geoplan", "-q", "run", str(sc), "--out", str(out / sc.stem)],
                           capture_output=True, text=True)
        print(f"{sc.stem}: {'ok' if r.returncode == 0 else 'FAILED ' + r.stderr.strip()}")
        failures += r.returncode != 0
    return failures


def _lines_diff(a: str, b: str, *, limit: int = 6) -> list[str]:
    la, lb = a.splitlines(), b.splitlines()
    diff = [d for d in difflib.unified_diff(la, lb, lineterm="", n=0) if d[:1] in "+-" and d[:3] not in ("+++", "---")]
    n = sum(1 for d in diff if d.startswith("-")) or sum(1 for d in diff if d.startswith("+"))
    shown = [d if len(d) < 240 else d[:240] + " …" for d in diff[:limit]]
    return [f"{n} line(s) differ", *shown]


def _json_diff(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}{k}: only in AFTER")
            elif k not in b:
                out.append(f"{path}{k}: only in BEFORE")
            else:
                out += _json_diff(a[k], b[k], f"{path}{k}.")
        return out
    return [] if a == b else [f"{path.rstrip('.')}: {a!r} -> {b!r}"]


def _gpkg_diff(a: Path, b: Path) -> list[str]:
    import numpy as np
    import pyogrio

    la = [name for name, _ in pyogrio.list_layers(a)]
    lb = [name for name, _ in pyogrio.list_layers(b)]
    if la != lb:
        return [f"layers {la} -> {lb}"]
    out = []
    for layer in la:
        ga, gb = pyogrio.read_dataframe(a, layer=layer), pyogrio.read_dataframe(b, layer=layer)
        if list(ga.columns) != list(gb.columns):
            out.append(f"{layer}: columns {list(ga.columns)} -> {list(gb.columns)}")
            continue
        if len(ga) != len(gb):
            out.append(f"{layer}: {len(ga)} -> {len(gb)} rows")
            continue
        if ga.crs != gb.crs:
            out.append(f"{layer}: crs {ga.crs} -> {gb.crs}")
        for c in ga.columns:
            if c == "geometry":
                if not np.array_equal(ga.geometry.to_wkb(), gb.geometry.to_wkb()):
                    out.append(f"{layer}: geometries differ")
            elif str(ga[c].dtype) != str(gb[c].dtype):
                out.append(f"{layer}.{c}: dtype {ga[c].dtype} -> {gb[c].dtype}")
            elif not ga[c].equals(gb[c]):
                out.append(f"{layer}.{c}: {int((ga[c] != gb[c]).sum())} value(s) differ")
    return out


def _png_diff(a: Path, b: Path) -> list[str]:
    import numpy as np
    from PIL import Image

    ia, ib = np.asarray(Image.open(a).convert("RGB")), np.asarray(Image.open(b).convert("RGB"))
    if ia.shape != ib.shape:
        return [f"size {ia.shape} -> {ib.shape}"]
    share = float((ia != ib).any(axis=2).mean())
    return [] if share == 0 else [f"{100 * share:.2f} % of pixels differ"]


def compare_file(a: Path, b: Path) -> list[str]:
    """Differences between two outputs of the same name (empty = equal)."""
    if a.read_bytes() == b.read_bytes():
        return []
    suffix = a.suffix.lower()
    if suffix == ".json":
        return _json_diff(json.loads(a.read_text("utf-8")), json.loads(b.read_text("utf-8"))) or ["bytes differ"]
    if suffix in EXACT or suffix == ".html":
        return _lines_diff(a.read_text("utf-8"), b.read_text("utf-8"))
    if suffix == ".gpkg":
        return _gpkg_diff(a, b)
    if suffix == ".png":
        return _png_diff(a, b)
    return ["bytes differ"]


def diff(before: Path, after: Path) -> int:
    """Print a line per file; returns the number of files that differ."""
    bad = 0
    folders = sorted({p.name for p in before.iterdir() if p.is_dir()} | {p.name for p in after.iterdir() if p.is_dir()})
    for folder in folders:
        fa, fb = before / folder, after / folder
        names = sorted({p.name for p in fa.glob("*") if p.is_file()} | {p.name for p in fb.glob("*") if p.is_file()})
        for name in names:
            a, b = fa / name, fb / name
            if not a.is_file() or not b.is_file():
                problems = ["only in " + ("AFTER" if b.is_file() else "BEFORE")]
            else:
                problems = compare_file(a, b)
            status = "same" if not problems else "DIFFERS"
            if a.suffix == ".gpkg" and not problems and a.read_bytes() != b.read_bytes():
                status = "same content"
            print(f"{status:12s} {folder}/{name}")
            for p in problems:
                print(f"{'':14s}{p}")
            bad += bool(problems)
    print(f"{bad} file(s) differ")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run scenarios into OUT/<stem>")
    r.add_argument("out", type=Path)
    r.add_argument("scenarios", type=Path, nargs="*",
                   help="default: every scenarios/*.toml of this checkout")
    d = sub.add_parser("diff", help="compare two folders of runs")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "run":
        scenarios = args.scenarios or sorted((Path(__file__).parents[1] / "scenarios").glob("*.toml"))
        return 1 if run(args.out, scenarios) else 0
    if not args.before.is_dir() or not args.after.is_dir():
        print("compare_outputs: both folders must exist", file=sys.stderr)
        return 2
    return 1 if diff(args.before, args.after) else 0


if __name__ == "__main__":
    sys.exit(main())
