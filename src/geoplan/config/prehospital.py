"""Scenario section ``[prehospital]``: every parameter of the prehospital response model.

The model itself is :mod:`geoplan.prehospital`; these classes only validate
what a scenario file says (ranges, opening-hours syntax, consistency).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from geoplan.measures.hours import open_hours_table


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # NaN/inf: an error


def _check_hours_specs(cls: type, v: dict[str, str]) -> dict[str, str]:
    """Validator of a ``site id → opening hours`` table: every value parses."""
    for spec in v.values():
        _check_hours_spec(spec)
    return v


def _check_hours_spec(spec: str) -> str:
    try:
        open_hours_table(spec)
    except ValueError as exc:
        raise ValueError(str(exc)) from exc
    return spec


class AmbulanceParams(_Params):
    """Ambulance stations and their response (``[prehospital.ambulance]``)."""

    kinds: list[str] = Field(
        default_factory=lambda: ["station", "forward"],
        description="values of the 'kind' column of ambulance_stations.csv to use",
    )
    include: list[str] | None = Field(
        None, description="station_id values; default: every station of `kinds`"
    )
    exclude: list[str] = Field(default_factory=list, description="station_id values to close")
    hours: dict[str, str] = Field(
        default_factory=dict,
        description="station_id → opening hours ('00-24', '07-19', ...) overriding the table",
    )
    turnout_min: float = Field(
        1.0, ge=-10, le=30, description="from dispatch to wheels rolling (minutes)"
    )
    speed_factor: float = Field(
        1.2, gt=0.3, le=3.0, description="free-flow road time / blue-light road time"
    )
    standby_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of calls at which an ambulance is pre-positioned at the selected stations "
        "without staffed hours (forward bases, 'fremskudte placeringer'); 0 = never",
    )

    _hours = field_validator("hours")(_check_hours_specs)


class PhysicianCarParams(_Params):
    """Physician cars (akutlægebiler) (``[prehospital.physician_car]``)."""

    enabled: bool = True
    kinds: list[str] = Field(
        default_factory=lambda: ["akutlaegebil"],
        description="values of the 'kind' column of physician_cars.csv to use",
    )
    include: list[str] | None = None
    exclude: list[str] = Field(default_factory=list)
    hours: dict[str, str] = Field(
        default_factory=dict, description="base_id → opening hours overriding the table"
    )
    like_ambulance: bool = Field(
        False,
        description="drive like the ambulances: use their (calibrated) turnout and speed factor "
        "(there are no measured physician-car times to calibrate against)",
    )
    turnout_min: float = Field(1.5, ge=-10, le=30)
    speed_factor: float = Field(1.2, gt=0.3, le=3.0)

    _hours = field_validator("hours")(_check_hours_specs)

    @model_validator(mode="after")
    def _no_ignored_values(self) -> PhysicianCarParams:
        given = {"turnout_min", "speed_factor"} & self.model_fields_set
        if self.like_ambulance and given:
            raise ValueError(
                f"{' and '.join(sorted(given))} would be ignored with like_ambulance = true: "
                "remove them or set like_ambulance = false"
            )
        return self


class HelicopterParams(_Params):
    """Emergency physician helicopters (``[prehospital.helicopter]``)."""

    enabled: bool = True
    include: list[str] | None = None
    exclude: list[str] = Field(default_factory=list)
    cruise_kph: float = Field(
        240.0, gt=50, le=400, description="cruise speed over the straight line"
    )
    launch_delay_day_min: float | None = Field(
        None,
        ge=0,
        le=60,
        description="alarm to airborne by day; None: the table's launch_delay_day_min",
    )
    launch_delay_night_min: float | None = Field(
        None,
        ge=0,
        le=60,
        description="alarm to airborne by night; None: the table's launch_delay_night_min",
    )
    approach_min: float = Field(
        3.0, ge=0, le=30, description="approach, landing and walk to the patient"
    )
    daytime: str = Field(
        "07-19", description="hours counted as day (launch delay, day/night availability)"
    )

    @field_validator("daytime")
    @classmethod
    def _daytime(cls, v: str) -> str:
        return _check_hours_spec(v)


class PriorityBParams(_Params):
    """How B-priority (urgent, no blue lights) differs from A (``[prehospital.priority_b]``)."""

    speed_factor: float | None = Field(
        None,
        gt=0.3,
        le=3.0,
        description="road-time factor for B trips; None: the ambulance factor (calibrated on the A-priority means)",
    )
    extra_delay_min: float = Field(0.0, ge=0, le=60)


class Target(_Params):
    """One service target: ``share`` of ``priority`` trips within ``minutes``."""

    priority: Literal["A", "B"]
    minutes: float = Field(..., gt=0, le=240)
    share: float = Field(..., gt=0, le=1)

    @property
    def label(self) -> str:
        m = int(self.minutes) if float(self.minutes).is_integer() else self.minutes
        return f"{self.priority}{m}"


def _default_targets() -> list[Target]:
    return [
        Target(priority="A", minutes=10, share=0.75),
        Target(priority="A", minutes=15, share=0.92),
        Target(priority="A", minutes=20, share=0.98),
        Target(priority="B", minutes=15, share=0.55),
        Target(priority="B", minutes=20, share=0.70),
    ]


class ValidationParams(_Params):
    """Validation and calibration against measured response times (``[prehospital.validation]``)."""

    enabled: bool = True
    region_label: str = Field(
        "Midtjylland", description="value of the 'Region' column of the measured file"
    )
    min_trips: int = Field(
        50, ge=0, description="postcodes with fewer trips are listed but not scored"
    )
    weights: Literal["equal", "trips"] = Field(
        "equal",
        description="least-squares weights: every postcode alike, or by its number of trips",
    )
    hours: list[int] = Field(
        default_factory=lambda: list(range(24)),
        description="hours averaged for the modelled mean (the measured mean covers all hours)",
    )
    textbook_delay_min: float = Field(
        3.0, ge=0, le=30, description="uncalibrated call handling + turnout"
    )
    textbook_speed_factor: float = Field(
        1.2, gt=0.3, le=3.0, description="uncalibrated blue-light factor"
    )
    apply_fit: bool = Field(
        False, description="use the fresh least-squares fit instead of the scenario's values"
    )
    target_mae_min: float = Field(3.0, gt=0, description="MAE the calibrated model should reach")

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: list[int]) -> list[int]:
        if not v or any(h < 0 or h > 23 for h in v):
            raise ValueError("hours must be a non-empty list of hours 0-23")
        return v


class PrehospitalSection(_Params):
    """Every parameter of the prehospital response model (scenario section ``[prehospital]``)."""

    hours: list[int] = Field(
        default_factory=lambda: [12, 3], description="hours of day to evaluate (0-23)"
    )
    weekday: int = Field(0, ge=0, le=6, description="day of week for opening hours (0 = Monday)")
    call_handling_min: float = Field(
        2.0, ge=0, le=30, description="call answered → unit dispatched (all resources)"
    )
    ambulance: AmbulanceParams = Field(default_factory=AmbulanceParams)
    physician_car: PhysicianCarParams = Field(default_factory=PhysicianCarParams)
    helicopter: HelicopterParams = Field(default_factory=HelicopterParams)
    priority_b: PriorityBParams = Field(default_factory=PriorityBParams)
    targets: list[Target] = Field(default_factory=_default_targets)
    thresholds: list[float] = Field(default_factory=lambda: [10.0, 15.0, 20.0, 30.0])
    bands: list[float] = Field(
        default_factory=lambda: [10.0, 15.0, 20.0, 30.0], description="map colour bands"
    )
    postcodes: bool = Field(True, description="coverage by postcode (needs the 'postcodes' input)")
    validation: ValidationParams = Field(default_factory=ValidationParams)

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: list[int]) -> list[int]:
        if not v or any(h < 0 or h > 23 for h in v) or len(set(v)) != len(v):
            raise ValueError("hours must be a non-empty list of distinct hours 0-23, e.g. [12, 3]")
        return v

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: list[Target]) -> list[Target]:
        # the tables, maps and headlines report each area against these; with none, every area would
        # read as meeting all targets ("0 municipalities miss a target"), so an empty list is refused
        if not v:
            raise ValueError(
                "is empty: at least one service target is needed (with none every area would read as "
                "meeting all targets); add [[prehospital.targets]] tables with priority, minutes and share, "
                "or leave the key out for the region's targets (A10 75%, A15 92%, A20 98%, B15 55%, B20 70%)"
            )
        labels = [t.label for t in v]
        dup = next((x for x in labels if labels.count(x) > 1), None)
        if dup is not None:
            raise ValueError(
                f"target {dup} (priority {dup[0]}, {dup[1:]} minutes) is given twice; give each priority and "
                "minutes once"
            )
        return v

    @field_validator("thresholds", "bands")
    @classmethod
    def _sorted_positive(cls, v: list[float]) -> list[float]:
        if not v or any(x <= 0 for x in v) or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(
                "must be a non-empty increasing list of distinct positive minutes, e.g. [10, 15, 20, 30]"
            )
        return v

    @model_validator(mode="after")
    def _delays(self) -> PrehospitalSection:
        for name, turnout in (
            ("ambulance", self.ambulance.turnout_min),
            ("physician_car", self.physician_car.turnout_min),
        ):
            if self.call_handling_min + turnout < 0:
                raise ValueError(f"call_handling_min + {name}.turnout_min must not be negative")
        return self

    @property
    def ambulance_delay_min(self) -> float:
        """Call handling + ambulance turnout."""
        return self.call_handling_min + self.ambulance.turnout_min
