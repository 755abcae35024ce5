"""The ``[home_care]`` step: is a service cheaper given in the citizen's home or in the nearest house?

Per population cell, :func:`geoplan.measures.home_care.compare_home_care` prices a year
of the service both ways (staff driving out on tours from the house against citizens
driving to the house, escorted when they have no car), with the documented defaults of
``src/geoplan/measures/home_care_defaults.csv`` and the scenario's overrides. The houses
are those this run's ``[health_houses]`` step chose, or today's health houses of the
fact table (``houses``). The share of users without a car is each municipality's share
of households without a car (Statistics Denmark, voting-area tables) unless the
scenario sets ``no_car_share``. Drive minutes come from the network; km are minutes ×
``km_per_minute`` (the network's km are not carried in the matrices).

The costs are illustrative: the parameters are orders of magnitude (see the defaults
file's sources), not a costing of a real service.

Returns a :class:`~geoplan.run.results.HomeCareResult`; writes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.errors import ScenarioError
from geoplan.measures.coverage import round_table
from geoplan.measures.home_care import HomeCareParameters, compare_home_care
from geoplan.run.context import RunContext, municipality_names
from geoplan.run.results import Headline, HomeCareResult, HousesResult
from geoplan.run.steps.equity import deprivation_table


def houses_for(ctx: RunContext) -> tuple[pd.DataFrame, str]:
    """The houses (``site_id``, ``name``, ``x``, ``y``) and where they come from."""
    sec = ctx.scenario.home_care
    assert sec is not None
    chosen = ctx.results.get("health_houses")
    if sec.houses == "chosen" and not isinstance(chosen, HousesResult):
        raise ScenarioError(ctx.scenario.file_of("home_care.houses"),
                            "home_care.houses = 'chosen' but the scenario has no [health_houses] section",
                            "add a [health_houses] section or set houses = 'existing'")
    if sec.houses != "existing" and isinstance(chosen, HousesResult):
        h = chosen.sites[["site_id", "name", "x", "y"]]
        return h.sort_values("site_id").reset_index(drop=True), "chosen"
    h = ctx.region.facilities("health_houses").rename(columns={"house_id": "site_id"})
    if h.empty:
        raise ScenarioError(ctx.scenario.file_of("home_care.houses"), "the region has no existing health houses",
                            "add a [health_houses] section and set houses = 'chosen'")
    return h[["site_id", "name", "x", "y"]].sort_values("site_id").reset_index(drop=True), "existing"


def home_care(ctx: RunContext) -> HomeCareResult:
    """Home vs house per cell and municipality (nothing written)."""
    sec = ctx.scenario.home_care
    assert sec is not None
    try:
        params = HomeCareParameters.from_file(**sec.overrides())
    except ValueError as exc:
        raise ScenarioError(ctx.scenario.file_of("home_care"), f"[home_care]: {exc}",
                            "see src/geoplan/measures/home_care_defaults.csv for the parameters") from None
    houses, source = houses_for(ctx)
    matrix = ctx.cells_to(houses, id_column="site_id", description=f"Travel times to {len(houses)} houses")
    cells = ctx.cells
    dep, _ = deprivation_table(ctx)
    if sec.no_car_share is None and dep is not None:
        share = cells["kode"].map(dep.set_index("kode")["no_car_share"]).fillna(params.no_car_share)
        no_car = share.to_numpy(dtype="float64")
    else:
        no_car = np.full(len(cells), params.no_car_share)
    res = compare_home_care(cells, matrix.minutes.astype("float64"), no_car_share=no_car, params=params)
    res.insert(2, "navn", cells["navn"].to_numpy())
    res["no_car_share"] = no_car
    table = by_municipality(ctx, res)
    region = table[table["kode"] == ""].iloc[0]
    share_home = 100 * float(region["users_home_cheaper_share"])
    saving = float(region["saving_best_mix_vs_house"])
    headline = Headline.from_label(
        "home_care_split", share_home, "headline.home_care",
        numbers={"share": (share_home, 1), "users": (float(region["users"]), 0),
                 "mix": (float(region["best_mix_cost"]) / 1e6, 1), "house": (float(region["house_cost"]) / 1e6, 1),
                 "home": (float(region["home_cost"]) / 1e6, 1), "saving": (saving / 1e6, 1)},
        n=len(houses))
    progress.step(f"home_care: home cheaper for {share_home:.1f} % of users; best mix {region['best_mix_cost']/1e6:.1f}"
                  f" M kr vs all-house {region['house_cost']/1e6:.1f} M kr, all-home {region['home_cost']/1e6:.1f} M kr")
    return HomeCareResult(step="home_care", parameters=params, houses=houses, houses_source=source, cells=res,
                          table=table, headlines=[headline])


def by_municipality(ctx: RunContext, res: pd.DataFrame) -> pd.DataFrame:
    """Per municipality then the region: users, visits, costs a year, cheaper, share of users home-cheaper."""
    names = municipality_names(ctx)
    rows = []
    for code, g in [*res.groupby("kode", sort=True), ("", res)]:
        ok = np.isfinite(g["home_cost"]) & np.isfinite(g["house_cost"])
        best = np.where(ok, np.minimum(g["home_cost"], g["house_cost"]),
                        np.where(np.isfinite(g["home_cost"]), g["home_cost"], g["house_cost"]))
        users = float(g["users"].sum())
        home_users = float(g.loc[g["cheaper"] == "home", "users"].sum())
        fin = np.isfinite(g["house_minutes"])
        um = float((g.loc[fin, "house_minutes"] * g.loc[fin, "users"]).sum())
        home, house = float(g["home_cost"].sum()), float(g["house_cost"].sum())
        rows.append({
            "kode": code, "municipality": names.get(str(code), "") if code else ctx.region.title(ctx.lang),
            "users": users, "visits": float(g["visits"].sum()),
            "home_cost": home, "house_cost": house, "best_mix_cost": float(best.sum()),
            "difference": home - house,
            "cheaper": "home" if home < house else ("house" if home > house else "equal"),
            "users_home_cheaper_share": home_users / users if users else np.nan,
            "saving_best_mix_vs_house": house - float(best.sum()),
            "mean_house_minutes": um / float(g.loc[fin, "users"].sum()) if fin.any() else np.inf,
            "no_car_share": float(np.average(g["no_car_share"], weights=g["users"])) if users else np.nan,
        })
    return round_table(pd.DataFrame(rows))
