"""The scenario model: top-level keys and the sections ``[network]``, ``[routing]``,
``[acute]`` and ``[output]`` (the prehospital and house sections have their own
modules of this package).

A scenario is validated as a whole before any work starts (see
:func:`geoplan.config.load_scenario`). Unknown keys are errors (a typo must not be
silently ignored).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from geoplan.config.equity import EquitySection, GPAccessSection, HomeCareSection
from geoplan.config.houses import HousesSection, JointHousesSection
from geoplan.config.prehospital import PrehospitalSection


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # NaN/inf: an error


class NetworkSection(_Section):
    """Which road network, and what to take out of it."""

    source: str = Field("strategic", description="'strategic' or a path to an OSM file")
    cuts: list[str] = Field(default_factory=list, description="crossings to remove for the whole run, by name "
                            "(e.g. 'Oddesundbroen', 'Hou–Sælvig'), or link_id values (geoplan.network.cuts)")
    cut_links: list[str] = Field(default_factory=list, description="link_id values (or crossing names) to remove")
    stop_ferries: list[str] = Field(default_factory=list, description="ferries to stop, by name (e.g. 'Hou–Sælvig'); "
                                    "naming a road or bridge is an error")
    local: bool = Field(True, description="join the local-road model to the strategic network (false: trunk only)")
    patches: list[str] | None = Field(
        None, description="OSM files that replace the model inside their areas; default: the region's")
    local_parameters: str | None = Field(None, description="a local_roads.toml other than the region's")

    @model_validator(mode="after")
    def _patches_need_local(self) -> NetworkSection:
        if self.patches and not self.local:
            raise ValueError("patches need the local-road model: set local = true, or remove patches")
        return self


class RoutingSection(_Section):
    """How points attach to the network (see :mod:`geoplan.routing`; speeds come from the network)."""

    access_k: int = Field(4, ge=1, le=16)
    direct_leg_km: float | None = Field(
        None, ge=0, le=5, description="pairs this close may go by a direct local leg; default: the network's")
    max_snap_km: float = Field(15.0, gt=0)
    dask_scheduler: str | None = Field(
        None, description="run travel-time matrices on Dask: 'local' or 'tcp://host:8786'; "
        "default: $GEOPLAN_DASK_SCHEDULER, unset = this machine only")

    @field_validator("dask_scheduler")
    @classmethod
    def _scheduler(cls, v: str | None) -> str | None:
        if v is not None and not _is_scheduler_address(v):
            raise ValueError(f"{v!r} is neither 'local' nor a scheduler address; write \"local\" or "
                             "\"tcp://host:8786\" (or remove the key to run on this machine only)")
        return v


def _is_scheduler_address(value: str) -> bool:
    """'local', 'scheme://host[:port]' or 'host:port' (what dask.distributed.Client accepts)."""
    v = value.strip()
    return v.lower() == "local" or re.fullmatch(r"[a-z][a-z0-9+]*://\S+|[^\s:/]+:\d+", v) is not None


class AcuteSection(_Section):
    """Access to the acute hospitals."""

    include: list[str] | None = Field(None, description="site_id values; default: every kind='acute' site")
    exclude: list[str] = Field(default_factory=list, description="site_id values to close")
    cross_border: bool = Field(True, description="count neighbouring regions' acute hospitals")
    thresholds: list[float] = Field(default_factory=lambda: [15.0, 30.0, 45.0, 60.0])
    bands: list[float] = Field(default_factory=lambda: [15.0, 30.0, 45.0, 60.0], description="map colour bands (minutes)")
    hours: list[int] = Field(default_factory=list, description="hours of day (0-23) to compute coverage for, using opening_hours")
    at_hour: int | None = Field(None, ge=0, le=23, description="main results with the sites open at this hour (Monday); default: all sites")
    opening_hours: dict[str, str] = Field(default_factory=dict, description="site_id → 'HH-HH' overriding the table")
    by_function: bool = Field(False, description="write acute_by_function.csv")
    n_minus_1: bool = Field(False, description="close each acute hospital in turn")
    cuts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="named sets to cut in turn for N-1: crossing names (bridges, dams, ferries, e.g. "
        "'Hou–Sælvig') and/or link_id values (road sections, e.g. 'e45_randers_c--e45_randers_s')",
    )

    @field_validator("thresholds", "bands")
    @classmethod
    def _sorted_positive(cls, v: list[float]) -> list[float]:
        if not v or any(x <= 0 for x in v) or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("must be a non-empty increasing list of distinct positive minutes, "
                             "e.g. [15, 30, 45, 60]")
        return v

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: list[int]) -> list[int]:
        if any(h < 0 or h > 23 for h in v) or len(set(v)) != len(v):
            raise ValueError("hours must be distinct hours between 0 and 23, e.g. [3, 12]")
        return v

    @field_validator("cuts")
    @classmethod
    def _cut_sets(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [name for name, ids in v.items() if not ids]
        if empty:
            raise ValueError(f"the cut set {empty[0]!r} is an empty list (it would cut nothing); list crossing "
                             "names or link_id values, e.g. \"Oddesundbroen\" = [\"Oddesundbroen\"], or remove it")
        return v


class OutputSection(_Section):
    maps: bool = True
    report: bool = True


class Scenario(_Section):
    """A whole scenario file."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="used as the output folder name")
    title: str | None = None
    description: str = ""
    region: str = "midtjylland"
    lang: Literal["da", "en"] = "da"
    network: NetworkSection = Field(default_factory=NetworkSection)
    routing: RoutingSection = Field(default_factory=RoutingSection)
    acute: AcuteSection | None = None
    prehospital: PrehospitalSection | None = None
    health_houses: HousesSection | None = None
    psychiatry_houses: HousesSection | None = None
    joint_houses: JointHousesSection | None = None
    gp_access: GPAccessSection | None = None
    home_care: HomeCareSection | None = None
    equity: EquitySection = Field(default_factory=EquitySection)
    output: OutputSection = Field(default_factory=OutputSection)
    path: Path | None = Field(None, exclude=True)
    _origins: dict[str, Path] = PrivateAttr(default_factory=dict)

    def file_of(self, key: str) -> Path | None:
        """The file in which a dotted key (``"acute.exclude"``) was written.

        With ``extends`` that may be a parent scenario; a key written nowhere
        (a default) gives the scenario's own file.
        """
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            found = self._origins.get(".".join(parts[:n]))
            if found is not None:
                return found
        return self.path

    @model_validator(mode="after")
    def _something_to_do(self) -> Scenario:
        if not any([self.acute, self.prehospital, self.health_houses, self.psychiatry_houses, self.joint_houses,
                    self.gp_access, self.home_care]):
            raise ValueError(
                "the scenario has nothing to compute: add at least one of the sections "
                "[acute], [prehospital], [health_houses], [psychiatry_houses], [joint_houses], [gp_access], "
                "[home_care]"
            )
        return self
