"""Scenario sections ``[gp_access]``, ``[equity]`` and ``[home_care]``.

- ``[gp_access]``: floating-catchment access of the population cells to the general
  practices (and to the houses a houses step chose), :mod:`geoplan.access`.
- ``[equity]``: the equity report of every measure the run has. Present in every
  scenario by default (``enabled = false`` turns it off).
- ``[home_care]``: care at home against care in the nearest house,
  :mod:`geoplan.measures.home_care`. Every parameter left out takes its documented
  default from ``src/geoplan/measures/home_care_defaults.csv``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # NaN/inf: an error


class GPAccessSection(_Section):
    """Access to general practice: practices as supply (1 unit each), cells as demand."""

    method: Literal["2sfca", "e2sfca", "gravity"] = Field(
        "2sfca", description="2sfca (Luo & Wang), e2sfca (Luo & Qi step or Gaussian weights) or gravity")
    max_minutes: float = Field(15.0, gt=0, le=180, description="catchment T in minutes of driving")
    weights: list[tuple[float, float]] | None = Field(
        None, description="e2sfca step weights [[minutes, weight], ...]; default Luo & Qi's 10:1, 20:0.68, 30:0.22")
    gaussian_width: float | None = Field(None, gt=0, description="e2sfca with Gaussian weights of this width (min)")
    beta: float = Field(1.0, ge=0, description="gravity: decay exponent")
    min_minutes: float = Field(1.0, gt=0, description="gravity: floor on the travel time in the decay")
    buffer_km: float = Field(5.0, ge=0, le=50, description="practices up to this far outside the region count "
                             "(they serve border cells; the 1:500k boundary cuts coastal addresses)")
    houses: bool = Field(True, description="also the access to the houses a houses step of this run chose "
                         "(capacity: the section's capacity per house, else 1 per house)")
    weight: Literal["pop", "pop65"] = Field("pop", description="demand weight per cell")

    @field_validator("weights")
    @classmethod
    def _steps(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if v is None:
            return v
        mins = [m for m, _ in v]
        if not v or sorted(mins) != mins or len(set(mins)) != len(mins) or any(m <= 0 for m in mins) \
                or any(not 0 <= w <= 1 for _, w in v):
            raise ValueError("must be [[minutes, weight], ...] with increasing minutes > 0 and weights in [0, 1], "
                             "e.g. [[10, 1.0], [20, 0.68], [30, 0.22]]")
        return v

    @model_validator(mode="after")
    def _method_options(self) -> GPAccessSection:
        if self.method != "e2sfca" and (self.weights is not None or self.gaussian_width is not None):
            raise ValueError("weights / gaussian_width apply to method = 'e2sfca' only")
        if self.weights is not None and self.gaussian_width is not None:
            raise ValueError("give either weights or gaussian_width, not both")
        return self


class EquitySection(_Section):
    """The equity report: worst-off decile, worst places, spread, urban/rural, islands, 65+, social position."""

    enabled: bool = Field(True, description="false: no equity tables and no equity section in the report")
    worst_share: float = Field(0.1, gt=0, lt=1, description="share of the worst off (0.1 = the worst decile)")
    n_worst: int = Field(20, ge=1, le=200, description="number of worst places listed")
    min_population: float = Field(1.0, ge=0, description="cells with fewer modelled people are not listed as places")
    prehospital_hour: int | None = Field(None, ge=0, le=23,
                                         description="hour of the prehospital response; default the step's first hour")


class HomeCareSection(_Section):
    """Care at home or in the nearest house; parameters not given take the documented defaults."""

    houses: Literal["auto", "existing", "chosen"] = Field(
        "auto", description="which houses: 'chosen' by this run's [health_houses] step, 'existing' health houses "
        "of the fact table, or 'auto' (chosen when the step ran, else existing)")
    visits_per_user_per_year: float | None = Field(None, ge=0)
    visit_minutes: float | None = Field(None, ge=0, description="minutes of care per visit at home")
    house_visit_minutes: float | None = Field(None, ge=0, description="minutes of staff time per visit in the house")
    user_share: float | None = Field(None, ge=0, le=1, description="users per person of user_base")
    user_base: Literal["pop", "pop65"] | None = None
    staff_cost_per_hour: float | None = Field(None, ge=0, description="kr per staff hour")
    staff_km_cost: float | None = Field(None, ge=0)
    visits_per_tour: float | None = Field(None, ge=1)
    hop_minutes: float | None = Field(None, ge=0)
    hop_km: float | None = Field(None, ge=0)
    patient_value_of_time_per_hour: float | None = Field(None, ge=0, description="kr per hour of citizens' time")
    patient_km_cost: float | None = Field(None, ge=0)
    patient_wait_minutes: float | None = Field(None, ge=0)
    no_car_share: float | None = Field(None, ge=0, le=1, description="fallback share of users without a car; "
                                       "default: each municipality's households without a car (DST)")
    escort_persons: float | None = Field(None, ge=0)
    homebound_share: float | None = Field(None, ge=0, le=1)
    km_per_minute: float | None = Field(None, gt=0)

    def overrides(self) -> dict[str, Any]:
        """The parameters set in the scenario (for :meth:`HomeCareParameters.from_file`)."""
        skip = {"houses"}
        return {k: v for k, v in self.model_dump().items() if k not in skip and v is not None}
