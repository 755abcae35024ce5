"""Run a scenario: region → network → travel times → measures → tables and maps.

:func:`run_scenario` is what ``geoplan run`` calls. Each section of the
scenario has a step function (``acute``, ``prehospital``, ``health_houses`` …)
that reads a :class:`RunContext` and writes its outputs into the run's staging
folder; the folder replaces ``maps/<name>/`` only when all steps succeed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.datadir import PROJECT_ROOT
from geoplan.errors import ScenarioError
from geoplan.outputs import staged_directory
from geoplan.region import Region, load_region
from geoplan.routing import AccessModel, CompiledGraph, TravelTimeMatrix
from geoplan.scenario import Scenario


@dataclass(frozen=True)
class CellMeasure:
    """A per-cell time measure a step publishes, for reports and ``geoplan compare``.

    Attributes
    ----------
    minutes
        One value per row of ``ctx.cells`` (inf = unreachable).
    label_da, label_en
        What the minutes are to, as it reads after "nearest": "akuthospital" / "acute hospital".
    thresholds
        Minutes at which shares are reported.
    """

    minutes: np.ndarray
    label_da: str
    label_en: str
    thresholds: tuple[float, ...]

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_da


@dataclass
class RunContext:
    """Everything the steps of a run share (built lazily, once)."""

    scenario: Scenario
    region: Region
    out: Path
    timings: dict[str, float] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    headlines: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    measures: dict[str, CellMeasure] = field(default_factory=dict)
    _matrices: dict = field(default_factory=dict, repr=False)

    @property
    def lang(self) -> str:
        return self.scenario.lang

    @cached_property
    def access(self) -> AccessModel:
        r = self.scenario.routing
        return AccessModel(k=r.access_k, max_snap_m=r.max_snap_km * 1000.0,
                           direct_max_m=None if r.direct_leg_km is None else r.direct_leg_km * 1000.0)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        net = self.scenario.network
        G = self.region.network(net.source, local=net.local, patches=net.patches,
                                local_parameters=net.local_parameters)
        cut = list(self.scenario.network.cut_links) + list(self.scenario.network.stop_ferries)
        if cut:
            G = remove_links(G, cut, scenario_path=self.scenario.path)
        return G

    @cached_property
    def compiled(self) -> CompiledGraph:
        progress.step(f"Compiling road graph ({self.graph.number_of_nodes()} nodes, "
                      f"{self.graph.number_of_edges()} edges)")
        return CompiledGraph.from_graph(self.graph).with_landmasses(self.region.land)

    @cached_property
    def cells(self) -> gpd.GeoDataFrame:
        return self.region.cells

    def cells_to(self, points: gpd.GeoDataFrame, *, id_column: str, max_minutes: float | None = None,
                 description: str = "Travel times", compiled: CompiledGraph | None = None) -> TravelTimeMatrix:
        """Travel times (min) from every cell to each point (cached per run)."""
        cg = compiled or self.compiled
        key = (cg.fingerprint, tuple(points[id_column]), tuple(np.round(points["x"], 1)),
               tuple(np.round(points["y"], 1)), max_minutes)
        if key not in self._matrices:
            from geoplan.distributed import travel_time_matrix_distributed

            # on Dask when [routing] dask_scheduler or $GEOPLAN_DASK_SCHEDULER names a cluster,
            # else on this machine (same result either way)
            self._matrices[key] = travel_time_matrix_distributed(
                cg,
                client=self.scenario.routing.dask_scheduler,
                origins_xy=self.cells[["x", "y"]].to_numpy(),
                destinations_xy=points[["x", "y"]].to_numpy(),
                origin_ids=self.cells["cell_id"].to_numpy(),
                destination_ids=points[id_column].to_numpy(),
                access=self.access,
                max_minutes=max_minutes,
                description=description,
            )
        return self._matrices[key]


def remove_links(G: nx.MultiDiGraph, link_ids: list[str], *, scenario_path=None) -> nx.MultiDiGraph:
    """``G`` without the edges whose ``link_id`` is listed (a read-only view).

    Raises
    ------
    ScenarioError
        A listed id is not a link of the network.
    """
    known = {d.get("link_id") for _, _, d in G.edges(data=True)} - {None}
    unknown = sorted(set(link_ids) - known)
    if unknown:
        sample = ", ".join(sorted(known)[:8])
        raise ScenarioError(scenario_path, f"network.cut_links / stop_ferries: unknown link_id {unknown}",
                            f"use link_id values from data/regions/<region>/network/links.csv (e.g. {sample})")
    wanted = set(link_ids)
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("link_id") in wanted]
    # a read-only view, not a copy: the composed network has ~0.5 M edges
    return nx.restricted_view(G, [], drop)


def default_output_dir(scenario: Scenario) -> Path:
    """``<checkout>/maps/<scenario name>`` (ignored by git)."""
    return PROJECT_ROOT / "maps" / scenario.name


def run_scenario(scenario: Scenario, *, out: Path | None = None) -> RunContext:
    """Run every section of a scenario and write its outputs atomically.

    Parameters
    ----------
    scenario
        A validated scenario (:func:`geoplan.scenario.load_scenario`).
    out
        Output folder (default :func:`default_output_dir`). Replaced as a
        whole on success; untouched on failure.

    Returns
    -------
    RunContext
        With ``written`` (file names), ``timings`` and ``headlines``.
    """
    from geoplan import steps

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
            from geoplan.report import write_report

            write_report(ctx)
        ctx.timings["total"] = time.perf_counter() - t0
    ctx.out = out
    return ctx


def select_sites(table: gpd.GeoDataFrame, *, ids: list[str] | None, kinds: list[str], exclude: list[str],
                 key: str, scenario_path, table_file: Path, id_column: str = "site_id") -> gpd.GeoDataFrame:
    """Rows of a fact table chosen by scenario keys; unknown ids are a clear error."""
    known = set(table[id_column])
    for label, lst in ((f"{key}.include", ids or []), (f"{key}.exclude", exclude)):
        unknown = sorted(set(lst) - known)
        if unknown:
            raise ScenarioError(scenario_path, f"{label}: unknown facility {unknown}",
                                f"use {id_column} values from {table_file} (e.g. {', '.join(sorted(known)[:6])})")
    sel = table[table[id_column].isin(ids)] if ids else table[table["kind"].isin(kinds)]
    sel = sel[~sel[id_column].isin(exclude)]
    return sel.sort_values(id_column).reset_index(drop=True)


def cells_frame(ctx: RunContext, **columns) -> gpd.GeoDataFrame:
    """The cells with extra per-cell columns, for GeoPackages and maps."""
    c = ctx.cells[["cell_id", "kode", "navn", "pop", "pop65", "geometry"]].copy()
    for k, v in columns.items():
        c[k] = v
    return c


def municipality_names(ctx: RunContext) -> dict[str, str]:
    return dict(zip(ctx.region.municipalities["kode"], ctx.region.municipalities["navn"], strict=True))


__all__ = ["RunContext", "default_output_dir", "pd", "remove_links", "run_scenario", "select_sites"]
