"""Writer of the ``[home_care]`` step: :class:`~geoplan.run.results.HomeCareResult` → files.

``home_care_by_municipality.csv`` (users, visits, kr a year at home / in the house /
each cell by its cheaper option, share of users for whom home is cheaper),
``home_care_cells.gpkg`` (per cell), ``home_care_parameters.csv`` (the values used, with
the default's source) and the map ``home_care.html``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.i18n import t
from geoplan.measures.coverage import round_table
from geoplan.measures.home_care import DEFAULTS_FILE
from geoplan.output.files import OutputFolder
from geoplan.run.results import HomeCareResult, RunResult

#: Map classes of the cost difference home − house per visit (kr; < 0: home is cheaper).
DIFF_BANDS: tuple[float, ...] = (-200.0, -50.0, 0.0, 50.0, 200.0)


def parameters_table(result: HomeCareResult) -> pd.DataFrame:
    """The parameters used, beside the documented default and its source."""
    defaults = pd.read_csv(DEFAULTS_FILE, dtype=str, keep_default_na=False).set_index("parameter")
    rows = []
    for f in dataclasses.fields(result.parameters):
        used = getattr(result.parameters, f.name)
        rows.append({"parameter": f.name, "value": used, "default": defaults.loc[f.name, "value"],
                     "unit": defaults.loc[f.name, "unit"], "source": defaults.loc[f.name, "source"]})
    return pd.DataFrame(rows).astype({"value": str})


def write_home_care(result: HomeCareResult, run: RunResult, out: OutputFolder) -> None:
    """Write the home-care tables, cells and map."""
    out.csv(result.table, "home_care_by_municipality.csv")
    cells = run.cells[["cell_id", "geometry"]].merge(
        round_table(result.cells.drop(columns=["navn"])), on="cell_id", how="left", validate="one_to_one")
    out.gpkg(cells, "home_care_cells.gpkg", layer="home_care")
    out.csv(parameters_table(result), "home_care_parameters.csv")
    if run.scenario.output.maps:
        home_care_map(run, result, out.add("home_care.html"))


def home_care_map(run: RunResult, result: HomeCareResult, path: Path) -> Path:
    """``home_care.html``: cells by cost difference per visit (blue: home cheaper), houses, municipalities."""
    from geoplan.output import maps, palettes
    from geoplan.output.scenario_maps import (
        add_municipality_table,
        map_heading,
        new_map,
        scenario_caption,
        write_static,
    )

    lang, region = run.lang, run.region
    r = result.cells
    m = new_map(region, lang, title=map_heading(run, t("map_title.home_care", lang), hour=None),
                caption=scenario_caption(run, t("map.home_care_caption", lang, n=len(result.houses))))
    diff = (r["home_cost_per_visit"] - r["house_cost_per_visit"]).to_numpy(dtype="float64")
    cheaper = [t(f"home_care.{c}", lang) for c in r["cheaper"]]
    c = run.cells[["cell_id", "pop", "geometry"]].assign(
        diff=np.round(diff, 0), cheaper=cheaper, users=np.round(r["users"].to_numpy(dtype="float64"), 1),
        minutes=np.round(r["house_minutes"].to_numpy(dtype="float64"), 1))
    c = c[r["users"].to_numpy() > 0]
    maps.add_cells(m, c, column="diff", bands=list(DIFF_BANDS), name=t("map.home_care_layer", lang), unit="kr",
                   colors=list(palettes.diverging(len(DIFF_BANDS) + 1)),
                   tooltip_fields={"cheaper": t("home_care.cheaper", lang),
                                   "diff": t("home_care.difference_per_visit", lang),
                                   "minutes": t("field.nearest_minutes", lang),
                                   "users": t("home_care.users", lang)}, lang=lang)
    write_static(run, path, c[["pop", "diff", "geometry"]], column="diff", limits=list(DIFF_BANDS),
                 title=map_heading(run, t("map_title.home_care", lang), hour=None),
                 subtitle=t("map.home_care_caption", lang, n=len(result.houses)),
                 legend_title=t("home_care.difference_per_visit", lang), unit="kr", from_zero=False)
    fields = {"users": t("home_care.users", lang), "share_home": t("home_care.share_home", lang) + " (%)",
              "best_mix_cost": t("home_care.best_mix_cost", lang)}
    table = result.table.assign(share_home=100 * result.table["users_home_cheaper_share"])
    add_municipality_table(m, region, table, fields=fields, lang=lang)
    houses = result.houses.copy()
    import geopandas as gpd

    houses = gpd.GeoDataFrame(houses, geometry=gpd.points_from_xy(houses["x"], houses["y"]),
                              crs=region.municipalities.crs)
    maps.add_facilities(m, houses, kind="health_house", name=t("map.home_care_houses", lang), lang=lang)
    return maps.save_map(m, path)
