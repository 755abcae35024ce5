"""Turn the result of a run into files: one writer per step, then the report.

:data:`WRITERS` maps a step's section name (``"acute"`` …) to its writer,
``writer(result, run, out)``; :func:`write_run` stages the output folder,
calls the writer of every step that ran, writes ``report.html`` and moves the
folder into place (nothing is left half-written when a writer fails).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geoplan import progress
from geoplan.output.acute import write_acute
from geoplan.output.catchments import write_catchments
from geoplan.output.equity import write_equity
from geoplan.output.files import OutputFolder, staged_directory
from geoplan.output.gp_access import write_gp_access
from geoplan.output.home_care import write_home_care
from geoplan.output.houses import write_houses, write_joint_houses
from geoplan.output.prehospital import write_prehospital
from geoplan.output.tables import RunFolder
from geoplan.run.results import RunResult

#: Step section → writer(result, run, out).
WRITERS: dict[str, Callable[[Any, RunResult, OutputFolder], None]] = {
    "acute": write_acute,
    "prehospital": write_prehospital,
    "health_houses": write_houses,
    "psychiatry_houses": write_houses,
    "joint_houses": write_joint_houses,
    "gp_access": write_gp_access,
    "home_care": write_home_care,
    "equity": write_equity,
}


def write_results(run: RunResult, out: OutputFolder) -> None:
    """Write every step's files, ``tables.xlsx``, ``data_dictionary.csv`` and (when the scenario
    asks) ``report.html`` into ``out`` (tables through :class:`~geoplan.output.tables.RunFolder`:
    readable column names, totals in ``*_total.csv``)."""
    missing = [name for name in run.steps if name not in WRITERS]
    if missing:
        raise KeyError(f"no writer registered for step(s) {missing} in geoplan.output.writer.WRITERS")
    folder = RunFolder.around(out)
    for name, result in run.steps.items():
        WRITERS[name](result, run, folder)
        write_catchments(name, result, run, folder)
    folder.finish(lang=run.lang)
    if run.scenario.output.report:
        from geoplan.output.report import write_report

        write_report(run, folder)


def write_run(run: RunResult, out: str | Path) -> RunResult:
    """Write a run's outputs into ``out`` atomically (replacing it as a whole).

    Returns
    -------
    RunResult
        The same object, with ``out``, ``written`` and ``timings["write"]`` set.
    """
    out = Path(out)
    t0 = time.perf_counter()
    progress.step(f"Writing {out}")
    with staged_directory(out) as tmp:
        folder = RunFolder(tmp)
        write_results(run, folder)
    run.out = out
    run.written = folder.written
    run.timings["write"] = time.perf_counter() - t0
    return run


__all__ = ["WRITERS", "write_results", "write_run"]
