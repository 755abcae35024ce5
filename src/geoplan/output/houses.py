"""Writers of the house steps: :class:`~geoplan.run.results.HousesResult` and
:class:`~geoplan.run.results.JointHousesResult` → files (see :mod:`geoplan.output.acute`
for the pattern)."""

from __future__ import annotations

from geoplan.locate import plot_frontier
from geoplan.measures.coverage import round_table
from geoplan.output.files import OutputFolder
from geoplan.run.results import HousesResult, JointHousesResult, RunResult

#: Columns of ``<kind>_sites.gpkg`` besides the geometry (those of ``<kind>_sites.csv``).
SITE_COLUMNS = ["site_id", "name", "kind", "status", "kommune", "municipality", "lon", "lat", "population",
                "pop65", "weight", "mean_minutes_served"]


def write_houses(result: HousesResult, run: RunResult, out: OutputFolder) -> None:
    """``<kind>_sites.csv/.gpkg``, ``_assignment.csv``, ``_coverage_by_municipality.csv``,
    ``_solution.json``, ``_frontier.csv/.png`` (with a frontier) and ``<kind>.html``."""
    key = result.kind
    out.csv(result.sites_table, f"{key}_sites.csv")
    out.gpkg(result.sites[[*SITE_COLUMNS, "geometry"]].sort_values("site_id"), f"{key}_sites.gpkg", layer=key)
    out.csv(result.assignment, f"{key}_assignment.csv")
    out.csv(round_table(result.coverage), f"{key}_coverage_by_municipality.csv")
    out.json(result.solution, f"{key}_solution.json", sort_keys=True)
    if result.frontier is not None:
        out.csv(round_table(result.frontier), f"{key}_frontier.csv")
        plot_frontier(result.frontier, out.add(f"{key}_frontier.png"), lang=run.lang,
                      max_minutes=result.section.max_minutes)
    if run.scenario.output.maps:
        from geoplan.output.scenario_maps import houses_map

        houses_map(run, result, out.add(f"{key}.html"))


def write_joint_houses(result: JointHousesResult, run: RunResult, out: OutputFolder) -> None:
    """``joint_houses_sites.csv``, ``_coverage_by_municipality.csv``, ``_solution.json``, ``joint_houses.html``."""
    key = "joint_houses"
    out.csv(result.sites, f"{key}_sites.csv")
    out.csv(result.coverage, f"{key}_coverage_by_municipality.csv")
    out.json(result.solution, f"{key}_solution.json", sort_keys=True)
    if run.scenario.output.maps:
        from geoplan.output.scenario_maps import joint_houses_map

        joint_houses_map(run, result, out.add(f"{key}.html"))
