"""Run a scenario: region → network → travel times → measures → tables and maps.

:func:`run_scenario` is what ``geoplan run`` and :func:`geoplan.run_scenario`
call: the steps (:data:`geoplan.run.steps.STEPS`) compute typed results, then
the output layer (:func:`geoplan.output.writer.write_run`) writes them into a
staging folder that replaces ``maps/<name>/`` only when everything succeeded.
This module is the one place where computing meets writing.
"""

from __future__ import annotations

import time
from pathlib import Path

from geoplan import progress
from geoplan.config import Scenario, load_scenario
from geoplan.region import Region, load_region
from geoplan.run.context import RunContext
from geoplan.run.results import RunResult, StepResult
from geoplan.run.steps import STEPS


def default_output_dir(scenario: Scenario) -> Path:
    """``./maps/<scenario name>`` in the working directory."""
    return Path.cwd() / "maps" / scenario.name


def compute_scenario(scenario: Scenario, *, region: Region | None = None) -> RunResult:
    """Run every step of a scenario and return the results; nothing is written.

    Parameters
    ----------
    scenario
        A validated scenario.
    region
        The region, when already loaded (must be the scenario's); default: loaded here.
    """
    t0 = time.perf_counter()
    region = region if region is not None else load_region(scenario.region)
    ctx = RunContext(scenario=scenario, region=region)
    results: dict[str, StepResult] = ctx.results  # later steps see earlier results
    timings: dict[str, float] = {}
    for step in STEPS:
        if getattr(scenario, step.section) is None:
            continue
        progress.step(f"— {step.section}")
        t = time.perf_counter()
        results[step.section] = step.compute(ctx)
        timings[step.section] = time.perf_counter() - t
        timings.update(results[step.section].timings)
    timings["compute"] = time.perf_counter() - t0
    return RunResult(scenario=scenario, region=region, steps=results, timings=timings)


def run_scenario(scenario: Scenario | str | Path, *, out: str | Path | None = None, write: bool = True,
                 region: Region | None = None) -> RunResult:
    """Run every section of a scenario and (by default) write its outputs atomically.

    Parameters
    ----------
    scenario
        A scenario, or the path of a scenario file (:func:`geoplan.config.load_scenario`;
        ``"scenarios/baseline.toml"`` finds the packaged one from any folder).
    out
        Output folder (default :func:`default_output_dir`). Replaced as a
        whole on success; untouched on failure.
    write
        ``False``: compute only (``result.out`` stays ``None``).
    region
        An already loaded region to reuse.

    Returns
    -------
    RunResult
        Per-step results, headlines, measures, ``written`` (file names) and ``timings``.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, check_references=region is None)
    t0 = time.perf_counter()
    result = compute_scenario(sc, region=region)
    if write:
        from geoplan.output.writer import write_run

        write_run(result, Path(out) if out is not None else default_output_dir(sc))
    result.timings["total"] = time.perf_counter() - t0
    return result


__all__ = ["compute_scenario", "default_output_dir", "run_scenario"]
