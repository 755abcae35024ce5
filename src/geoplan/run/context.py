"""What the steps of a run share: the :class:`RunContext` (scenario, region, graph,
cached travel-time matrices) and small helpers to pick sites and build cell tables.

The steps import this module, never :mod:`geoplan.run.pipeline`, so the pipeline
can import the steps without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np

from geoplan import progress
from geoplan.config import Scenario
from geoplan.errors import PointOutsideNetworkError, ScenarioError
from geoplan.network.cuts import cut_crossings, resolve_cuts
from geoplan.region import Region
from geoplan.routing import AccessModel, CompiledGraph, TravelTimeMatrix
from geoplan.run.results import StepResult


@dataclass(eq=False)
class RunContext:
    """Everything the steps of a run share, built lazily and once: the road graph
    (with the scenario's cuts), its compiled form, the cells and the travel-time
    matrices already computed. Steps read it; they return their results instead
    of storing them here, and never write files.

    Attributes
    ----------
    scenario, region
        What is run, where.
    results
        The results of the steps that ran before (filled by the pipeline, in run order):
        the steps that measure other steps (``[equity]``, ``[gp_access]`` on houses) read them.
    """

    scenario: Scenario
    region: Region
    results: dict[str, StepResult] = field(default_factory=dict)
    _matrices: dict[tuple[object, ...], TravelTimeMatrix] = field(default_factory=dict, repr=False)

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
        path = self.scenario.file_of("network")
        G = self.region.network(net.source, local=net.local, patches=net.patches,
                                local_parameters=net.local_parameters)
        # crossing names or link ids (geoplan.network.cuts); acute.cuts are checked up front
        for name, items in (self.scenario.acute.cuts if self.scenario.acute else {}).items():
            resolve_cuts(G, items, key=f"acute.cuts.{name!r}", file=self.scenario.file_of("acute"))
        if net.cut_links:   # checked on their own, so that an unknown one is named under its own key
            resolve_cuts(G, net.cut_links, key="network.cut_links", file=self.scenario.file_of("network.cut_links"))
        if net.stop_ferries:
            G = cut_crossings(G, net.stop_ferries, ferries_only=True, key="network.stop_ferries", file=path)
        if net.cuts or net.cut_links:
            G = cut_crossings(G, [*net.cuts, *net.cut_links], key="network.cuts", file=path)
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
            try:
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
            except PointOutsideNetworkError as exc:
                source = self.scenario.network.source
                if exc.file is not None or source == "strategic":
                    raise
                # an OSM file that covers only part of the region (a town, an island)
                raise ScenarioError(self.scenario.file_of("network.source"),
                                    f"network.source = {source!r} does not cover the region: {exc.problem}",
                                    'use source = "strategic" (and the OSM file under [network] patches, which '
                                    "replaces the model only inside its area), or an OSM extract of the whole "
                                    "region") from exc
        return self._matrices[key]


def remove_links(G: nx.MultiDiGraph, link_ids: list[str], *, scenario_path: Path | None = None,
                 key: str = "acute.cuts") -> nx.MultiDiGraph:
    """A copy of ``G`` without the listed crossings (by name) or links (by ``link_id``).

    See :func:`geoplan.network.cuts.cut_crossings`.

    Raises
    ------
    ScenarioError
        An item is neither a crossing name nor a link id of the network.
    """
    return cut_crossings(G, link_ids, key=key, file=scenario_path)


def select_sites(table: gpd.GeoDataFrame, *, ids: list[str] | None, kinds: list[str], exclude: list[str],
                 key: str, scenario_path: Path | None, table_file: Path,
                 id_column: str = "site_id") -> gpd.GeoDataFrame:
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


def cells_frame(ctx: RunContext, **columns: object) -> gpd.GeoDataFrame:
    """The cells with extra per-cell columns, for GeoPackages and maps."""
    c = ctx.cells[["cell_id", "kode", "navn", "pop", "pop65", "geometry"]].copy()
    for k, v in columns.items():
        c[k] = v
    return c


def municipality_names(ctx: RunContext) -> dict[str, str]:
    return dict(zip(ctx.region.municipalities["kode"], ctx.region.municipalities["navn"], strict=True))


__all__ = ["RunContext", "cells_frame", "municipality_names", "remove_links", "select_sites"]
