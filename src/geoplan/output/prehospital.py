"""Writer of the ``[prehospital]`` step: :class:`~geoplan.run.results.PrehospitalResult` → files
(see :mod:`geoplan.output.acute` for the pattern)."""

from __future__ import annotations

from geoplan.measures.coverage import round_table
from geoplan.output.files import OutputFolder
from geoplan.run.results import PrehospitalResult, RunResult


def write_prehospital(result: PrehospitalResult, run: RunResult, out: OutputFolder) -> None:
    """``prehospital_coverage_by_municipality.csv``, ``_by_postcode.csv``, the validation tables
    (``prehospital_validation.csv``, ``_summary.csv``, ``_summary.json``), ``prehospital_cells.gpkg``
    and ``prehospital.html``."""
    out.csv(result.municipalities, "prehospital_coverage_by_municipality.csv")
    if result.postcodes is not None:
        out.csv(result.postcodes, "prehospital_coverage_by_postcode.csv")
    val = result.validation
    if val is not None:
        out.csv(round_table(val["table"]), "prehospital_validation.csv", float_digits=3)
        out.csv(val["summary"], "prehospital_validation_summary.csv")
        out.json(val["document"], "prehospital_validation_summary.json")
    out.gpkg(result.cells, "prehospital_cells.gpkg", layer="prehospital")
    if run.scenario.output.maps:
        from geoplan.output.scenario_maps import prehospital_map

        prehospital_map(run, result, out.add("prehospital.html"))
