"""Scenario sections for health houses, psychiatry houses and their joint placement."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # NaN/inf: an error


class FrontierSection(_Section):
    """The "how many?" curve: solve the coverage model for p = p_min..p_max."""

    p_max: int = Field(20, ge=1, le=200)
    p_min: int | None = Field(None, ge=1, description="default: one more than the fixed (existing) houses")
    marginal_threshold: float = Field(0.01, gt=0, lt=1, description="mark the first p whose gain per house is below this share")

    @model_validator(mode="after")
    def _range(self) -> FrontierSection:
        if self.p_min is not None and self.p_min > self.p_max:
            raise ValueError(f"p_min = {self.p_min} is above p_max = {self.p_max}: the frontier would be empty; "
                             "lower p_min or raise p_max")
        return self


class HousesSection(_Section):
    """Placement of one kind of house (``[health_houses]`` or ``[psychiatry_houses]``).

    ``model``: ``mclp`` (most people within ``max_minutes`` with ``p`` houses),
    ``pmedian`` (least mean travel time with ``p`` houses), ``lscp`` (fewest
    houses so everybody is within ``max_minutes``), ``pcenter`` (least
    worst-case time with ``p`` houses).
    """

    model: Literal["mclp", "pmedian", "lscp", "pcenter"] = "mclp"
    p: int | None = Field(None, ge=1, description="number of houses in total, existing ones kept open included")
    max_minutes: float = Field(20.0, gt=0, description="coverage threshold T (minutes)")
    weight: str = Field("pop", description="demand weight: a cell column, 'pop' or 'pop65'")
    candidate_kinds: list[str] = Field(default_factory=lambda: ["town", "hospital", "health_house", "psychiatry_house"],
                                       description="kinds of candidates.csv rows that may be chosen")
    keep_existing: bool = Field(True, description="existing houses of this kind stay open (fixed)")
    fixed: list[str] = Field(default_factory=list, description="candidate site_ids forced open")
    exclude: list[str] = Field(default_factory=list, description="candidate site_ids that may not be chosen")
    min_share_by_municipality: float | None = Field(None, gt=0, le=1, description="equity floor (mclp): every municipality at least this share within T")
    max_minutes_anyone: float | None = Field(None, gt=0, description="p-median: nobody farther than this")
    capacity: float | None = Field(None, gt=0, description="capacity per house in weight units (mclp, pmedian)")
    site_cost: dict[str, float] = Field(default_factory=dict, description="site_id → cost; with budget")
    budget: float | None = Field(None, gt=0)
    frontier: FrontierSection | None = Field(default_factory=FrontierSection)
    unreachable: Literal["error", "exclude"] = Field(
        "error", description="cells no allowed candidate can reach within the model's limit (max_minutes; "
        "p-median: max_minutes_anyone; p-center: any finite time), e.g. small islands: 'error' stops with a "
        "message naming them, 'exclude' leaves them out of the model (weight 0: they need no house and count "
        "in no equity floor) and reports their population; the tables still count them as not covered")
    solver: Literal["highs", "cbc", "highs-pulp"] = "highs"
    time_limit: float = Field(60.0, gt=0, description="seconds per solve")
    mip_gap: float = Field(1e-4, ge=0, lt=1)

    @field_validator("site_cost")
    @classmethod
    def _site_cost(cls, v: dict[str, float]) -> dict[str, float]:
        bad = next((k for k, c in v.items() if c < 0), None)
        if bad is not None:
            raise ValueError(f"{bad} = {v[bad]:g} is negative; a site's cost must be >= 0")
        return v

    @field_validator("candidate_kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        return _non_empty_kinds(v)

    @model_validator(mode="after")
    def _p_needed(self) -> HousesSection:
        if self.model in ("mclp", "pmedian", "pcenter") and self.p is None and self.budget is None:
            raise ValueError(f"model {self.model!r} needs p (the number of houses), e.g. p = 12")
        if self.budget is not None and not self.site_cost:
            raise ValueError("budget needs site_cost (a table site_id = cost of the candidate sites); "
                             "add it, or remove budget")
        if self.site_cost and self.budget is None and self.model != "lscp":
            raise ValueError(f"site_cost has no effect without budget in model {self.model!r}; add budget = ..., "
                             "or remove site_cost")
        if self.capacity is not None and self.model not in ("mclp", "pmedian"):
            raise ValueError(f"capacity is not supported by model {self.model!r}; use model = 'mclp' or 'pmedian', "
                             "or remove capacity")
        return self


def _non_empty_kinds(v: list[str]) -> list[str]:
    if not v:
        raise ValueError("is empty: no candidate site could be chosen; list kinds of candidates.csv, e.g. "
                         '["town", "hospital"], or leave the key out for all kinds')
    return v


class JointPartSection(_Section):
    p: int = Field(..., ge=1)
    max_minutes: float = Field(20.0, gt=0)
    weight: str = "pop"
    keep_existing: bool = True


class JointHousesSection(_Section):
    """Health and psychiatry houses placed together, co-location rewarded or required."""

    health: JointPartSection
    psychiatry: JointPartSection
    colocation: Literal["bonus", "required", "none"] = "bonus"
    colocation_bonus: float = Field(0.0, ge=0, description="weight units per co-located pair (bonus mode)")
    colocation_tolerance_m: float = Field(
        250.0, ge=0, le=5000, allow_inf_nan=False,
        description="two candidate sites this close (metres, EPSG:25832) are one place: a health and a "
                    "psychiatry house there are co-located, whatever their site ids")
    candidate_kinds: list[str] = Field(default_factory=lambda: ["town", "hospital", "health_house", "psychiatry_house"])
    exclude: list[str] = Field(default_factory=list)
    solver: Literal["highs", "cbc", "highs-pulp"] = "highs"
    time_limit: float = Field(120.0, gt=0)

    @field_validator("candidate_kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        return _non_empty_kinds(v)
