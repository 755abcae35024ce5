"""``geoplan compare A.toml B.toml``: run two scenarios and compute what changes.

:func:`compare_runs` takes two finished runs and returns a
:class:`~geoplan.run.results.CompareResult` (nothing written);
:func:`compare_scenarios` runs both, writes each into a sub-folder and the
comparison beside them (:mod:`geoplan.output.compare`).
"""

from __future__ import annotations

from pathlib import Path

from geoplan import progress
from geoplan.config import Scenario, scenario_differences
from geoplan.errors import ScenarioError
from geoplan.measures.coverage import delta_by_municipality, round_table, threshold_key
from geoplan.run.pipeline import run_scenario
from geoplan.run.results import CompareResult, Headline, RunResult


def default_compare_dir(a: Scenario, b: Scenario) -> Path:
    """``./maps/compare-<a>-vs-<b>`` in the working directory."""
    return Path.cwd() / "maps" / f"compare-{a.name}-vs-{b.name}"


def _check_comparable(a: Scenario, b: Scenario) -> None:
    if a.region != b.region:
        raise ScenarioError(b.file_of("region"), f"region {b.region!r} differs from {a.region!r} in {a.path}",
                            "compare scenarios of the same region")


def compare_runs(ra: RunResult, rb: RunResult) -> CompareResult:
    """What changes from run A to run B, for every per-cell measure both publish.

    Raises
    ------
    ScenarioError
        The runs are of different regions, or share no measure.
    """
    a, b = ra.scenario, rb.scenario
    _check_comparable(a, b)
    common = [k for k in ra.measures if k in rb.measures]
    if not common:
        raise ScenarioError(b.path, f"no measure in common with {a.path} "
                            f"({sorted(ra.measures)} vs {sorted(rb.measures)})",
                            "give both scenarios the same section, e.g. [acute]")
    cells = ra.cells
    munis = ra.region.municipalities
    names = dict(zip(munis["kode"], munis["navn"], strict=True))
    tables, headlines = {}, []
    for key in common:
        ma, mb = ra.measures[key], rb.measures[key]
        table = delta_by_municipality(ma.minutes, mb.minutes, cells["pop"].to_numpy(), cells["kode"].to_numpy(),
                                      thresholds=ma.thresholds, names=names, total_label=ra.region.title(a.lang))
        tables[key] = round_table(table)
        tot = table.iloc[-1]
        T = 30 if 30 in ma.thresholds else ma.thresholds[len(ma.thresholds) // 2]
        tt = threshold_key(T)
        headlines.append(Headline.from_label(
            f"compare_{key}", float(tot[f"lose_within_{tt}"]), "headline.compare",
            numbers={"lose": (float(tot[f"lose_within_{tt}"]), 0), "gain": (float(tot[f"gain_within_{tt}"]), 0),
                     "change": (float(tot["mean_change_minutes"]), 1)},
            a=a.name, b=b.name, minutes=tt, what=ma.label))
    return CompareResult(a=ra, b=rb, tables=tables, headlines=headlines, parameters=scenario_differences(a, b))


def compare_scenarios(a: Scenario, b: Scenario, *, out: str | Path | None = None) -> CompareResult:
    """Run both scenarios and write them and their comparison into ``out``.

    ``out`` (default :func:`default_compare_dir`) gets the comparison files and
    one sub-folder per scenario; it is replaced as a whole only on success.
    """
    from geoplan.output.compare import write_comparison
    from geoplan.output.files import staged_directory

    _check_comparable(a, b)
    target = Path(out) if out is not None else default_compare_dir(a, b)
    with staged_directory(target) as tmp:
        sub_a, sub_b = (a.name, b.name) if a.name != b.name else (f"{a.name}-A", f"{b.name}-B")
        progress.step(f"Running {a.name}")
        ra = run_scenario(a, out=tmp / sub_a)
        progress.step(f"Running {b.name}")
        rb = run_scenario(b, out=tmp / sub_b)
        result = compare_runs(ra, rb)
        write_comparison(result, tmp, sub=(sub_a, sub_b))
    result.out = target
    ra.out, rb.out = target / sub_a, target / sub_b
    return result


__all__ = ["compare_runs", "compare_scenarios", "default_compare_dir"]
