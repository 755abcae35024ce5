"""Care at home or in a house: the cost of staff driving out against citizens travelling in.

For one service (visits per user per year, minutes of care per visit, users as a share
of the population or of the 65+), compare per population cell

(a) **home**: staff drive from their base (a house or a home-care base) to the citizen;
(b) **house**: the citizen travels to the nearest house and back;

in kroner per visit and per year, as a societal cost: staff time and driving on one
side, staff time at the house plus citizens' time and driving (and an escort for
citizens without a car) on the other.

Formulation (per visit, for a cell with one-way minutes ``t_b`` / km ``d_b`` to the
staff base and ``t_h`` / ``d_h`` to the nearest house)::

    staff travel   τ = 2 t_b / k + hop_minutes          (tour model, k = visits_per_tour)
    staff km       δ = 2 d_b / k + hop_km
    home           C_home  = (visit_minutes + τ) / 60 · s + δ · c_staff_km
    citizen time   θ = 2 t_h + patient_wait_minutes
    car user       C_car   = θ / 60 · v + 2 d_h · c_car_km
    without a car  C_nocar = (1 + e) · θ / 60 · v + 2 d_h · c_car_km   (e escorts drive and wait)
    house          C_house = house_visit_minutes / 60 · s + (1 − n) C_car + n C_nocar
    homebound share h is served at home in both options:
                   C_house ← (1 − h) C_house + h C_home

with ``s`` staff cost per hour, ``v`` citizens' value of time per hour, ``n`` the share
without a car. The **tour model**: a staff tour leaves the base, visits ``k`` citizens
in the same district and returns, so each visit carries ``1/k`` of the base-to-cell
round trip plus one hop between citizens. It is exact for ``k`` visits in one cell
and an approximation for tours that span neighbouring cells.

Per year a cell has ``users = user_share × pop65`` (or ``× pop``) and ``visits = users ×
visits_per_user_per_year``. Both costs are linear in ``s``, so each cell has a
break-even staff cost: home is cheaper below it, the house above it.

Default values are in ``src/geoplan/measures/home_care_defaults.csv`` with a source per row
(Danish public figures where they exist: Skatterådet's mileage rates, the
transport-economic unit prices' value of time, public pay statistics; geoplan
assumptions otherwise, marked so). See :meth:`HomeCareParameters.from_file`.

Limits
------
A cost comparison, not a clinical one: it ignores what can only be done at home or
only in a house, capacity of the house, and the value citizens put on being treated
at home. Minutes are drive times; citizens without a car are assumed to be driven by
an escort (not by public transport). km default to ``minutes × km_per_minute`` when the
network's km are not given. 65+ counts per cell are estimates (municipality share).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoplan.errors import InputError

__all__ = [
    "DEFAULTS_FILE",
    "HomeCareComparison",
    "HomeCareParameters",
    "compare_home_care",
    "summarise_by_municipality",
]

FloatArray = npt.NDArray[np.float64]
#: Documented default parameters (one row per parameter, with a source).
DEFAULTS_FILE = Path(__file__).with_name("home_care_defaults.csv")
_SHARES = ("user_share", "no_car_share", "homebound_share")


@dataclass(frozen=True)
class HomeCareParameters:
    """Parameters of the home-vs-house comparison (see the module docstring).

    Build it with :meth:`from_file` (the documented defaults, optionally overridden).
    """

    visits_per_user_per_year: float
    visit_minutes: float
    house_visit_minutes: float
    user_share: float
    user_base: str
    staff_cost_per_hour: float
    staff_km_cost: float
    visits_per_tour: float
    hop_minutes: float
    hop_km: float
    patient_value_of_time_per_hour: float
    patient_km_cost: float
    patient_wait_minutes: float
    no_car_share: float
    escort_persons: float
    homebound_share: float
    km_per_minute: float

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name == "user_base":
                continue
            val = getattr(self, f.name)
            if not isinstance(val, int | float) or not np.isfinite(val) or val < 0:
                raise ValueError(f"home-care parameter {f.name} must be a finite number >= 0, got {val!r}")
        if self.user_base not in ("pop", "pop65"):
            raise ValueError(f"home-care parameter user_base must be 'pop' or 'pop65', got {self.user_base!r}")
        if self.visits_per_tour < 1:
            raise ValueError(f"home-care parameter visits_per_tour must be >= 1, got {self.visits_per_tour}")
        for name in _SHARES:
            if getattr(self, name) > 1:
                raise ValueError(f"home-care parameter {name} is a share: give a value in [0, 1]")

    @classmethod
    def from_file(cls, path: str | Path | None = None, **overrides: Any) -> HomeCareParameters:
        """Read the defaults table and apply overrides.

        Parameters
        ----------
        path
            A CSV with columns ``parameter``, ``value``, ``unit``, ``source``, ``note``
            (default :data:`DEFAULTS_FILE`).
        **overrides
            Parameter values replacing the file's (e.g. ``staff_cost_per_hour=270``).

        Raises
        ------
        InputError
            A missing or unknown parameter, a value that is not a number, a row
            without source (names the file, the parameter and the fix).
        ValueError
            An unknown override name or an invalid value.
        """
        path = Path(path) if path is not None else DEFAULTS_FILE
        if not path.is_file():
            raise InputError(path, "file not found", "restore src/geoplan/measures/home_care_defaults.csv")
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(path, f"cannot be read as CSV ({exc})",
                             "quote fields that contain commas; save as UTF-8") from exc
        for col in ("parameter", "value", "source"):
            if col not in df.columns:
                raise InputError(path, f"no column {col!r}", "the header must be parameter,value,unit,source,note")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(df["parameter"]) - set(names))
        if unknown:
            raise InputError(path, f"unknown parameters {unknown}", f"use only: {', '.join(names)}")
        missing = [n for n in names if n not in set(df["parameter"])]
        if missing:
            raise InputError(path, f"parameters {missing} are missing", "add a row for each (with its source)")
        no_source = df.loc[df["source"].str.strip() == "", "parameter"].tolist()
        if no_source:
            raise InputError(path, f"parameters {no_source} have no source", "give the source of every value")
        values: dict[str, Any] = {}
        for name, raw in zip(df["parameter"], df["value"], strict=True):
            if name == "user_base":
                values[name] = raw.strip()
                continue
            try:
                values[name] = float(raw)
            except ValueError:
                raise InputError(path, f"parameter {name!r}: value {raw!r} is not a number",
                                 "write a plain number with a decimal point") from None
        bad = sorted(set(overrides) - set(names))
        if bad:
            raise ValueError(f"unknown home-care parameters {bad}: use {', '.join(names)}")
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> HomeCareParameters:
        """A copy with some parameters changed."""
        return dataclasses.replace(self, **changes)


def _nearest(minutes: npt.ArrayLike, km: npt.ArrayLike | None, n: int, what: str,
             km_per_minute: float) -> tuple[FloatArray, FloatArray]:
    """Minutes and km to the nearest site, from a vector or a cells × sites matrix."""
    m = np.asarray(minutes, dtype="float64")
    if m.ndim == 1:
        m = m[:, None]
    if m.ndim != 2 or m.shape[0] != n:
        raise ValueError(f"{what}_minutes must have one row per cell ({n}), got shape {np.shape(minutes)}")
    if m.shape[1] == 0:
        raise ValueError(f"{what}_minutes has no sites")
    if np.isnan(m).any() or (m < 0).any():
        raise ValueError(f"{what}_minutes must be >= 0 (inf = unreachable), not NaN")
    unreachable = ~np.isfinite(m).any(axis=1)
    j = np.argmin(np.where(np.isfinite(m), m, np.inf), axis=1)
    best = m[np.arange(n), j]
    best[unreachable] = np.inf
    if km is None:
        dist = best * km_per_minute
    else:
        d = np.asarray(km, dtype="float64")
        if d.ndim == 1:
            d = d[:, None]
        if d.shape != m.shape:
            raise ValueError(f"{what}_km must have the shape of {what}_minutes {m.shape}, got {d.shape}")
        dist = d[np.arange(n), j]
        dist[unreachable] = np.inf
    return best, dist


def compare_home_care(
    cells: pd.DataFrame,
    house_minutes: npt.ArrayLike,
    *,
    base_minutes: npt.ArrayLike | None = None,
    house_km: npt.ArrayLike | None = None,
    base_km: npt.ArrayLike | None = None,
    no_car_share: npt.ArrayLike | float | None = None,
    params: HomeCareParameters | None = None,
) -> pd.DataFrame:
    """Cost of care at home and in the nearest house, per cell.

    Parameters
    ----------
    cells
        Population cells with ``pop`` (and ``pop65`` when ``user_base`` is ``pop65``);
        ``cell_id`` and ``kode`` are carried over when present.
    house_minutes
        One-way drive minutes from each cell to the nearest house (a vector), or to
        every house (a cells × houses matrix; the nearest is used). ``inf`` = unreachable.
    base_minutes
        The same from the staff base(s) (default: staff leave from the houses).
    house_km, base_km
        Road km matching the minutes (default: minutes × ``km_per_minute``).
    no_car_share
        Share of users without a car: a scalar or one value per cell (e.g. the
        municipality's households without a car); default the parameter's fallback.
    params
        :class:`HomeCareParameters` (default: :meth:`HomeCareParameters.from_file`).

    Returns
    -------
    pandas.DataFrame
        One row per cell, in the cells' order: ``cell_id``, ``kode`` (if present),
        ``users``, ``visits``, ``house_minutes``, ``base_minutes`` (one way),
        ``staff_travel_minutes`` (per visit), ``citizen_travel_minutes`` (round trip),
        ``home_cost_per_visit``, ``house_cost_per_visit``, ``home_cost``,
        ``house_cost`` (kr a year), ``difference`` (home − house, kr a year; < 0 where
        home is cheaper), ``cheaper`` (``home``/``house``/``equal``; ``none`` if both
        unreachable) and ``break_even_staff_cost_per_hour`` (home is cheaper below it;
        ``inf`` if home is cheaper at any staff cost, 0 if at none; NaN if unreachable
        or if a home visit takes less staff time than a house visit, where the order
        flips).
    """
    p = params if params is not None else HomeCareParameters.from_file()
    n = len(cells)
    base_col = p.user_base
    if base_col not in cells.columns:
        raise ValueError(f"cells have no column {base_col!r} (user_base)")
    base_pop = cells[base_col].to_numpy(dtype="float64")
    if not np.isfinite(base_pop).all() or (base_pop < 0).any():
        raise ValueError(f"cells column {base_col!r} must be finite and >= 0")
    th, dh = _nearest(house_minutes, house_km, n, "house", p.km_per_minute)
    if base_minutes is None:
        if base_km is not None:
            raise ValueError("base_km given without base_minutes")
        tb, db = th, dh
    else:
        tb, db = _nearest(base_minutes, base_km, n, "base", p.km_per_minute)
    if no_car_share is None:
        nc = np.full(n, p.no_car_share)
    else:
        nc = np.broadcast_to(np.asarray(no_car_share, dtype="float64"), (n,)).copy()
        if np.isnan(nc).any() or (nc < 0).any() or (nc > 1).any():
            raise ValueError("no_car_share must lie in [0, 1] for every cell")

    k = p.visits_per_tour
    s = p.staff_cost_per_hour
    tau = 2.0 * tb / k + p.hop_minutes
    delta = 2.0 * db / k + p.hop_km
    # home: cost = s * a_home + b_home
    a_home = (p.visit_minutes + tau) / 60.0
    b_home = delta * p.staff_km_cost
    # house: cost = s * a_house + b_house
    theta = 2.0 * th + p.patient_wait_minutes
    car = theta / 60.0 * p.patient_value_of_time_per_hour + 2.0 * dh * p.patient_km_cost
    nocar = (1.0 + p.escort_persons) * theta / 60.0 * p.patient_value_of_time_per_hour + 2.0 * dh * p.patient_km_cost
    a_house = np.full(n, p.house_visit_minutes / 60.0)
    b_house = (1.0 - nc) * car + nc * nocar
    h = p.homebound_share
    if h == 1.0:
        a_house, b_house = a_home.copy(), b_home.copy()
    elif h > 0.0:
        a_house = (1.0 - h) * a_house + h * a_home
        b_house = (1.0 - h) * b_house + h * b_home

    home_v = s * a_home + b_home
    house_v = s * a_house + b_house
    users = base_pop * p.user_share
    visits = users * p.visits_per_user_per_year
    with np.errstate(invalid="ignore"):
        home_y = np.where(visits > 0, home_v * visits, 0.0)
        house_y = np.where(visits > 0, house_v * visits, 0.0)
        diff = home_y - house_y
    fin_home, fin_house = np.isfinite(home_v), np.isfinite(house_v)
    cheaper = np.where(
        ~fin_home & ~fin_house, "none",
        np.where(~fin_house, "home",
                 np.where(~fin_home, "house",
                          np.where(np.isclose(home_v, house_v, rtol=1e-12, atol=1e-9), "equal",
                                   np.where(home_v < house_v, "home", "house"))))).astype(object)
    # break-even staff cost: s* with s* a_home + b_home = s* a_house + b_house
    with np.errstate(divide="ignore", invalid="ignore"):
        da = a_home - a_house
        db_ = b_house - b_home
        be = np.where(da > 0, np.maximum(db_ / da, 0.0),
                      np.where(da == 0, np.where(db_ > 0, np.inf, 0.0), np.nan))
    be = np.where(fin_home & fin_house, be, np.nan)

    out = pd.DataFrame(index=cells.index)
    for col in ("cell_id", "kode"):
        if col in cells.columns:
            out[col] = cells[col].to_numpy()
    out["users"] = users
    out["visits"] = visits
    out["house_minutes"] = th
    out["base_minutes"] = tb
    out["staff_travel_minutes"] = tau
    out["citizen_travel_minutes"] = 2.0 * th
    out["home_cost_per_visit"] = home_v
    out["house_cost_per_visit"] = house_v
    out["home_cost"] = home_y
    out["house_cost"] = house_y
    out["difference"] = diff
    out["cheaper"] = cheaper
    out["break_even_staff_cost_per_hour"] = be
    return out.reset_index(drop=True)


def summarise_by_municipality(result: pd.DataFrame) -> pd.DataFrame:
    """Per-municipality totals of :func:`compare_home_care`.

    Returns
    -------
    pandas.DataFrame
        Per ``kode`` (sorted): ``users``, ``visits``, ``home_cost``, ``house_cost``
        (kr a year if all were served at home / in the house), ``best_mix_cost`` (each
        cell by its cheaper option), ``difference`` (home − house), ``cheaper``,
        ``users_home_cheaper_share`` and ``mean_house_minutes`` (user-weighted, over
        reachable cells).
    """
    if "kode" not in result.columns:
        raise ValueError("the result has no 'kode' column (cells without municipality)")
    r = result.copy()
    ok = np.isfinite(r["home_cost"]) & np.isfinite(r["house_cost"])
    r["best"] = np.where(ok, np.minimum(r["home_cost"], r["house_cost"]),
                         np.where(np.isfinite(r["home_cost"]), r["home_cost"], r["house_cost"]))
    r["home_users"] = np.where(r["cheaper"] == "home", r["users"], 0.0)
    fin = np.isfinite(r["house_minutes"])
    r["user_minutes"] = np.where(fin, r["house_minutes"] * r["users"], 0.0)
    r["fin_users"] = np.where(fin, r["users"], 0.0)
    g = r.groupby("kode", sort=True)
    out = pd.DataFrame({
        "users": g["users"].sum(),
        "visits": g["visits"].sum(),
        "home_cost": g["home_cost"].sum(),
        "house_cost": g["house_cost"].sum(),
        "best_mix_cost": g["best"].sum(),
    })
    out["difference"] = out["home_cost"] - out["house_cost"]
    out["cheaper"] = np.where(out["difference"] < 0, "home", np.where(out["difference"] > 0, "house", "equal"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["users_home_cheaper_share"] = g["home_users"].sum() / out["users"]
        out["mean_house_minutes"] = g["user_minutes"].sum() / g["fin_users"].sum()
    return out.reset_index()


class HomeCareComparison:
    """Home vs house per cell, spopt-style: build from minutes, then :meth:`solve`.

    Examples
    --------
    >>> cmp = HomeCareComparison.from_minutes(cells, house_minutes=m).solve()  # doctest: +SKIP
    >>> cmp.cells_result, cmp.by_municipality  # doctest: +SKIP

    See :func:`compare_home_care` for the inputs and the module docstring for the model.
    """

    def __init__(self, cells: pd.DataFrame, house_minutes: npt.ArrayLike, *,
                 base_minutes: npt.ArrayLike | None = None, house_km: npt.ArrayLike | None = None,
                 base_km: npt.ArrayLike | None = None,
                 no_car_share: npt.ArrayLike | float | None = None,
                 params: HomeCareParameters | None = None) -> None:
        self.cells = cells
        self.house_minutes = house_minutes
        self.base_minutes = base_minutes
        self.house_km = house_km
        self.base_km = base_km
        self.no_car_share = no_car_share
        self.params = params if params is not None else HomeCareParameters.from_file()
        self.cells_result: pd.DataFrame | None = None
        self.by_municipality: pd.DataFrame | None = None

    @classmethod
    def from_minutes(cls, cells: pd.DataFrame, house_minutes: npt.ArrayLike, *,
                     base_minutes: npt.ArrayLike | None = None,
                     house_km: npt.ArrayLike | None = None, base_km: npt.ArrayLike | None = None,
                     no_car_share: npt.ArrayLike | float | None = None,
                     params: HomeCareParameters | None = None) -> HomeCareComparison:
        """Set up the comparison (nothing is computed until :meth:`solve`)."""
        return cls(cells, house_minutes, base_minutes=base_minutes, house_km=house_km,
                   base_km=base_km, no_car_share=no_car_share, params=params)

    def solve(self) -> HomeCareComparison:
        """Compute :attr:`cells_result` and (with ``kode`` in the cells) :attr:`by_municipality`."""
        self.cells_result = compare_home_care(
            self.cells, self.house_minutes, base_minutes=self.base_minutes,
            house_km=self.house_km, base_km=self.base_km, no_car_share=self.no_car_share,
            params=self.params)
        if "kode" in self.cells_result.columns:
            self.by_municipality = summarise_by_municipality(self.cells_result)
        return self
