"""Writer of the ``[acute]`` step: :class:`~geoplan.run.results.AcuteResult` → files.

The pattern every step writer follows: take the step's result, the finished
run (region, scenario) and the :class:`~geoplan.output.files.OutputFolder`;
write tables as they are (the step rounded them), then the maps when the
scenario asks for maps. Compute nothing.
"""

from __future__ import annotations

from geoplan.output.files import OutputFolder
from geoplan.run.results import AcuteResult, RunResult


def write_acute(result: AcuteResult, run: RunResult, out: OutputFolder) -> None:
    """Write ``acute_access_by_municipality.csv``, ``acute_access_cells.gpkg`` and, as computed,
    ``acute_access_by_hour.csv``, ``acute_by_function.csv``, ``acute_n_minus_1.csv`` and the maps
    ``acute.html``, ``acute_n_minus_1.html``."""
    out.csv(result.table, "acute_access_by_municipality.csv")
    out.gpkg(result.cells, "acute_access_cells.gpkg", layer="acute_access")
    if result.by_hour is not None:
        out.csv(result.by_hour, "acute_access_by_hour.csv")
    if result.by_function is not None:
        out.csv(result.by_function, "acute_by_function.csv")
    if result.n_minus_1 is not None:
        out.csv(result.n_minus_1, "acute_n_minus_1.csv")
    if run.scenario.output.maps:
        from geoplan.output.scenario_maps import acute_access_map, acute_loss_map

        acute_access_map(run, result, out.add("acute.html"))
        if result.n_minus_1 is not None:
            acute_loss_map(run, result, out.add("acute_n_minus_1.html"))
