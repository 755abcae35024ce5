"""Run a scenario: region → network → travel times → measures → tables and maps.

:func:`run_scenario` is what ``geoplan run`` calls. Each section of the
scenario has a step function (``acute``, ``prehospital``, ``health_houses`` …)
that reads a :class:`RunContext` and writes its outputs into the run's staging
folder; the folder replaces ``maps/<name>/`` only when all steps succeed.
"""

from __future__ import annotations

import time
from pathlib import Path

from geoplan import progress
from geoplan.config import Scenario
from geoplan.output.files import staged_directory
from geoplan.region import load_region
from geoplan.run.context import RunContext


def default_output_dir(scenario: Scenario) -> Path:
    """``./maps/<scenario name>`` in the working directory."""
    return Path.cwd() / "maps" / scenario.name


def run_scenario(scenario: Scenario, *, out: Path | None = None) -> RunContext:
    """Run every section of a scenario and write its outputs atomically.

    Parameters
    ----------
    scenario
        A validated scenario (:func:`geoplan.config.scenario.load_scenario`).
    out
        Output folder (default :func:`default_output_dir`). Replaced as a
        whole on success; untouched on failure.

    Returns
    -------
    RunContext
        With ``written`` (file names), ``timings`` and ``headlines``.
    """
    from geoplan.run import steps

    out = Path(out) if out is not None else default_output_dir(scenario)
    t0 = time.perf_counter()
    region = load_region(scenario.region)
    with staged_directory(out) as tmp:
        ctx = RunContext(scenario=scenario, region=region, out=tmp)
        for name, fn in steps.STEPS:
            if getattr(scenario, name) is None:
                continue
            progress.step(f"— {name}")
            t = time.perf_counter()
            fn(ctx)
            ctx.timings[name] = time.perf_counter() - t
        if scenario.output.report:
            from geoplan.output.report import write_report

            write_report(ctx)
        ctx.timings["total"] = time.perf_counter() - t0
    ctx.out = out
    return ctx


__all__ = ["default_output_dir", "run_scenario"]
