"""Typed results of a run: what each step computes, before anything is written.

A step (:mod:`geoplan.run.steps`) returns one :class:`StepResult` subclass:
tables as DataFrames, cells as GeoDataFrames, :class:`Headline` sentences and
per-cell :class:`CellMeasure` arrays for reports and ``geoplan compare``.
:func:`geoplan.run_scenario` returns a :class:`RunResult` holding them all;
the output layer (:mod:`geoplan.output.writer`) turns it into files.

Nothing here touches the disk; timings live in ``timings`` attributes, never in
the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.config import HousesSection, JointHousesSection, Scenario
from geoplan.i18n import LANGS, check_lang, fmt_number, t
from geoplan.region import Region


@dataclass(frozen=True)
class CellMeasure:
    """A per-cell time measure a step publishes, for reports and ``geoplan compare``.

    Attributes
    ----------
    minutes
        One value per row of the region's cells (inf = unreachable).
    label_key
        i18n key of what the minutes are to, as it reads after "nearest"
        (``"noun.acute_hospital"``: "akuthospital" / "acute hospital").
    thresholds
        Minutes at which shares are reported.
    label_fields
        Values for the label's ``{name}`` fields (e.g. ``hour``).
    """

    minutes: np.ndarray
    label_key: str
    thresholds: tuple[float, ...]
    label_fields: Mapping[str, object] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return t(self.label_key, lang, **self.label_fields)


@dataclass(frozen=True)
class Headline:
    """One headline sentence of a run, in every language.

    Attributes
    ----------
    key
        Stable identifier (``"acute_within_30"``).
    value
        The number the sentence is about.
    texts
        Language → sentence.
    extra
        Further facts (prehospital targets: ``target``, ``hour``, ``goal``).
    """

    key: str
    value: float
    texts: Mapping[str, str]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_label(cls, key: str, value: float, label: str, *,
                   numbers: Mapping[str, tuple[float, int | None]] | None = None,
                   extra: Mapping[str, Any] | None = None, **fields: object) -> Headline:
        """A headline from the i18n label ``label``, in every language.

        ``numbers`` maps a field to ``(value, digits)``, formatted per language
        (decimal comma in Danish); a field given as a callable is called with
        the language (``houses=lambda lang: t("noun.health_houses", lang)``);
        other ``fields`` are filled in as given.
        """
        texts = {}
        for lang in LANGS:
            values = {k: v(lang) if callable(v) else v for k, v in fields.items()}
            values |= {k: fmt_number(v, lang, digits=d) for k, (v, d) in (numbers or {}).items()}
            texts[lang] = t(label, lang, **values)
        return cls(key=key, value=value, texts=texts, extra=dict(extra or {}))

    def text(self, lang: str) -> str:
        return self.texts[check_lang(lang)]


@dataclass(kw_only=True)
class StepResult:
    """What every step returns.

    Attributes
    ----------
    step
        The scenario section the step ran for (``"acute"``, ``"health_houses"`` …).
    headlines
        Sentences for the report, in order.
    measures
        Per-cell measures by name (``"acute"``, ``"prehospital_first"`` …).
    timings
        Seconds spent in parts of the step (solver time …); never written into data files.
    """

    step: str
    headlines: list[Headline] = field(default_factory=list)
    measures: dict[str, CellMeasure] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(kw_only=True)
class AcuteResult(StepResult):
    """The ``[acute]`` step: drive times to the acute hospitals.

    Attributes
    ----------
    hour
        The hour of day the headline table, cells and map are for (``acute.at_hour``: only
        the sites open then count), or ``None`` when every site counts whatever its hours.
    sites
        The acute hospitals counted (own, and neighbours' when cross-border), open at ``hour``.
    table
        By municipality then a region row: population, ``share_within_<T>``,
        ``mean_minutes``, ``p95_minutes``, ``unreachable_population`` (rounded).
    cells
        Per cell: ``minutes``, ``nearest_site``, ``nearest_name``.
    bands
        Map colour bands (minutes).
    by_hour, cells_by_hour
        With ``hours``: the table per hour (``hour``, ``open_sites`` first) and
        the minutes per cell per hour; each hour counts the sites open at that hour.
    by_function
        With ``by_function``: the table per hospital function (``hour`` first: ``hour``,
        then each further hour of ``hours``), with the sites open at that hour.
    n_minus_1, loss_cells, cut_lines
        With ``n_minus_1`` or ``cuts`` (at ``hour``; column ``hour``): who loses what when each hospital closes or
        each set of links is cut; the extra minutes per cell per loss
        (``"hospital:<id>"`` / ``"link:<name>"``); the cut links as lines.
    """

    sites: gpd.GeoDataFrame
    table: pd.DataFrame
    cells: gpd.GeoDataFrame
    thresholds: tuple[float, ...]
    bands: tuple[float, ...]
    hour: int | None = None
    by_hour: pd.DataFrame | None = None
    cells_by_hour: dict[int, np.ndarray] = field(default_factory=dict)
    by_function: pd.DataFrame | None = None
    n_minus_1: pd.DataFrame | None = None
    loss_cells: dict[str, np.ndarray] = field(default_factory=dict)
    cut_lines: gpd.GeoDataFrame | None = None


@dataclass(kw_only=True)
class HousesResult(StepResult):
    """The ``[health_houses]`` / ``[psychiatry_houses]`` step: where the houses go.

    Attributes
    ----------
    kind
        ``"health_houses"`` or ``"psychiatry_houses"`` (the output file prefix).
    section
        The scenario section that was solved.
    sites
        Chosen sites (GeoDataFrame): status existing / fixed / new, citizens served.
    sites_table
        The columns of ``<kind>_sites.csv`` (rounded).
    candidates
        Every candidate site considered.
    coverage
        By municipality then the region, weighted by the demand weight, from the assignment
        (``unserved_weight``: demand no house serves; not rounded, the CSV is).
    solution
        Model, solver status, objective, bound, gap, chosen / existing / new sites.
    frontier
        The "how many?" table (p, covered share, gain per house …; not rounded, the
        CSV is), or ``None``.
    assignment
        One row per cell and house serving it (``served_share``); with a ``capacity`` the
        capacitated assignment (a cell may be split), never simply the nearest house; a row
        with an empty ``site_id`` holds the share no house serves.
    minutes, nearest
        Per cell: minutes to and id of the house carrying its largest share (``inf`` and ''
        where none is reachable, or where the unserved share is the largest: no house within
        reach has room).
    """

    kind: str
    section: HousesSection
    sites: gpd.GeoDataFrame
    sites_table: pd.DataFrame
    candidates: gpd.GeoDataFrame
    assignment: pd.DataFrame
    coverage: pd.DataFrame
    solution: dict[str, Any]
    frontier: pd.DataFrame | None
    minutes: np.ndarray
    nearest: np.ndarray


@dataclass(kw_only=True)
class JointHousesResult(StepResult):
    """The ``[joint_houses]`` step: health and psychiatry houses placed together.

    Attributes
    ----------
    section
        The scenario section.
    sites
        One row per chosen site: which houses it has, status, co-location.
    coverage
        Per house type (``house`` column) by municipality then the region.
    solution
        Solver status, objective, chosen sites per type, co-located sites, shares.
    minutes_by
        ``"health"`` / ``"psychiatry"`` → minutes per cell to the nearest house.
    """

    section: JointHousesSection
    sites: pd.DataFrame
    coverage: pd.DataFrame
    solution: dict[str, Any]
    minutes_by: dict[str, np.ndarray]


@dataclass(kw_only=True)
class PrehospitalResult(StepResult):
    """The ``[prehospital]`` step: response per cell and hour, coverage, validation.

    Attributes
    ----------
    by_hour
        Hour → per-cell arrays: ``ambulance``, ``physician_car``, ``helicopter``,
        ``first`` (minutes), ``*_site`` (who), ``first_by``, ``b`` (B-priority).
    municipalities, postcodes
        Coverage tables (columns suffixed ``_h12`` …); ``postcodes`` may be ``None``.
    postcode_areas
        The postcode polygons (for maps), or ``None``.
    cells
        Per cell and hour: minutes per resource, first arrival, who arrives.
    stations, cars, helicopters
        The sites used.
    validation
        With ``validation.enabled``: ``table`` (per postcode), ``summary``
        (metrics), ``document`` (the JSON summary: fit, metrics, largest errors)
        and the fit itself; else ``None``.
    """

    by_hour: dict[int, dict[str, np.ndarray]]
    municipalities: pd.DataFrame
    postcodes: pd.DataFrame | None
    postcode_areas: gpd.GeoDataFrame | None
    cells: gpd.GeoDataFrame
    stations: pd.DataFrame
    cars: pd.DataFrame
    helicopters: pd.DataFrame
    validation: dict[str, Any] | None


@dataclass(kw_only=True, eq=False)
class RunResult:
    """Everything a run computed, and (after writing) where it went.

    Attributes
    ----------
    scenario, region
        What was run, where.
    steps
        Section name → the step's result, in run order (``result["acute"]``).
    timings
        Seconds per step (and ``"total"``, ``"write"``, solver times); never written
        into data files.
    out
        The output folder once written, else ``None``.
    written
        File names written into ``out``.
    """

    scenario: Scenario
    region: Region
    steps: dict[str, StepResult]
    timings: dict[str, float] = field(default_factory=dict)
    out: Path | None = None
    written: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> StepResult:
        return self.steps[name]

    def __contains__(self, name: object) -> bool:
        return name in self.steps

    @property
    def lang(self) -> str:
        return self.scenario.lang

    @property
    def cells(self) -> gpd.GeoDataFrame:
        """The region's populated cells (the rows every per-cell array follows)."""
        return self.region.cells

    @property
    def headlines(self) -> list[Headline]:
        return [h for r in self.steps.values() for h in r.headlines]

    @property
    def measures(self) -> dict[str, CellMeasure]:
        return {k: m for r in self.steps.values() for k, m in r.measures.items()}

    def __repr__(self) -> str:
        where = f" → {self.out}" if self.out is not None else " (not written)"
        total = self.timings.get("total")
        took = f" in {total:.1f} s" if total is not None else ""
        return f"<RunResult {self.scenario.name!r}: steps {', '.join(self.steps) or 'none'}{took}{where}>"


@dataclass(kw_only=True, eq=False)
class CompareResult:
    """Two runs of the same region and what changes between them (``geoplan compare``).

    Attributes
    ----------
    a, b
        The two runs (A = the reference, B = the alternative).
    tables
        Per measure both publish (``"acute"``, ``"prehospital_first"`` …): per municipality
        and the region, citizens gaining and losing access within each threshold and the
        change of the mean time (:func:`geoplan.measures.coverage.delta_by_municipality`).
    headlines
        One sentence per measure.
    parameters
        The scenario parameters that differ: (dotted key, value in A, value in B).
    """

    a: RunResult
    b: RunResult
    tables: dict[str, pd.DataFrame]
    headlines: list[Headline]
    parameters: list[tuple[str, Any, Any]]
    out: Path | None = None


@dataclass(kw_only=True)
class GPAccessResult(StepResult):
    """The ``[gp_access]`` step: floating-catchment access to general practice (and houses).

    Attributes
    ----------
    practices
        The practices used as supply (``site_id``, ``name``, ``capacity`` = 1, x, y, geometry).
    cells
        Per cell (region cells' order): ``cell_id``, ``kode``, ``navn``, ``pop``,
        ``sites_in_reach``, ``access`` (practices per inhabitant, 0 = none in reach),
        ``access_norm`` (1 = the region's mean), ``per_1000``, ``nearest_minutes``.
    table
        By municipality then the region: population, practices in the municipality,
        ``mean_per_1000``, ``mean_norm``, ``zero_access_pop`` / ``_share``,
        ``mean_nearest_minutes``, and households without a car beside it when known.
    summary
        Method, catchment, decay, shares (the model's :meth:`summary`) and the capacity note.
    houses
        Step name of the houses → the same per-cell frame for the houses (capacity per
        house from the houses section), when a houses step ran and ``houses`` is on.
    houses_tables
        Step name of the houses → the municipality table for them.
    """

    practices: gpd.GeoDataFrame
    cells: pd.DataFrame
    table: pd.DataFrame
    summary: dict[str, Any]
    houses: dict[str, pd.DataFrame] = field(default_factory=dict)
    houses_tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(kw_only=True)
class EquityResult(StepResult):
    """The ``[equity]`` step: the equity report of every measure the run has.

    Attributes
    ----------
    reports
        Measure name (``acute_minutes``, ``ambulance_response_minutes``, ``gp_access``,
        ``house_minutes:<step>`` …) → :class:`geoplan.measures.equity.EquityReport`.
    labels
        Measure name → i18n key of its title.
    indicators
        All measures' :func:`~geoplan.measures.equity.equity_table` rows in one tidy table.
    worst_places
        The worst cells and municipalities of every measure (``measure``, ``level`` first).
    deprivation
        Per measure and municipality: access beside the social-position indicators and
        the households without a car.
    correlations
        Per measure and indicator: Spearman's rho between bad access and deprivation.
    worst_off
        Per measure and municipality: how many of the worst-off share live there
        (``population``, ``share_of_worst``, ``share_of_group``) and, when known, the
        municipality's households without a car.
    notes
        What could not be computed and why (missing land cover, socio-economic table …).
    """

    reports: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    indicators: pd.DataFrame | None = None
    worst_places: pd.DataFrame | None = None
    deprivation: pd.DataFrame | None = None
    correlations: pd.DataFrame | None = None
    worst_off: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class HomeCareResult(StepResult):
    """The ``[home_care]`` step: care at home against care in the nearest house.

    Attributes
    ----------
    parameters
        The :class:`geoplan.measures.home_care.HomeCareParameters` used (defaults + scenario).
    houses
        The houses (``site_id``, ``name``, x, y) the citizens travel to and staff drive from.
    houses_source
        ``"chosen"`` (this run's health-houses step) or ``"existing"`` (fact table).
    cells
        Per cell (region cells' order) the columns of
        :func:`~geoplan.measures.home_care.compare_home_care` plus ``navn`` and ``no_car_share``.
    table
        By municipality then the region: users, visits, costs, cheaper, share of users
        for whom home is cheaper.
    """

    parameters: Any
    houses: pd.DataFrame
    houses_source: str
    cells: pd.DataFrame
    table: pd.DataFrame


__all__ = [
    "AcuteResult",
    "CompareResult",
    "CellMeasure",
    "EquityResult",
    "GPAccessResult",
    "Headline",
    "HomeCareResult",
    "HousesResult",
    "JointHousesResult",
    "PrehospitalResult",
    "RunResult",
    "StepResult",
]
