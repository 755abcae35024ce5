"""Writer of the ``[gp_access]`` step: :class:`~geoplan.run.results.GPAccessResult` → files.

``gp_access_by_municipality.csv`` (practices per 1,000 inhabitants within the catchment,
normalised access, people with no practice in reach, minutes to the nearest practice,
households without a car), ``gp_access_cells.gpkg`` (per cell, raw access unrounded),
``gp_practices.csv`` (the supply, capacity 1 each), ``gp_access_summary.json`` and the
map ``gp_access.html``; for each houses step of the run the same as
``<kind>_access_by_municipality.csv`` / ``<kind>_access_cells.gpkg``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.i18n import t
from geoplan.output.files import OutputFolder
from geoplan.run.results import GPAccessResult, RunResult

#: Colour limits of the map, in units of the region's mean access (1 = the mean).
NORM_BANDS: tuple[float, ...] = (0.2, 0.5, 0.8, 1.0, 1.5)  # one decimal: the legend shows them exactly


def _cells_gpkg(run: RunResult, cells: pd.DataFrame) -> gpd.GeoDataFrame:
    g: gpd.GeoDataFrame = run.cells[["cell_id", "geometry"]].merge(cells.drop(columns=["navn"], errors="ignore"), on="cell_id",
                                                 how="left", validate="one_to_one")
    return g


def write_gp_access(result: GPAccessResult, run: RunResult, out: OutputFolder) -> None:
    """Write the GP access tables, cells, summary and map."""
    out.csv(result.table, "gp_access_by_municipality.csv")
    out.gpkg(_cells_gpkg(run, result.cells), "gp_access_cells.gpkg", layer="gp_access")
    cols = [c for c in ("site_id", "name", "capacity", "lon", "lat") if c in result.practices.columns]
    out.csv(result.practices[cols], "gp_practices.csv", float_digits=6)
    out.json(result.summary, "gp_access_summary.json", sort_keys=True)
    for kind, cells in result.houses.items():
        out.csv(result.houses_tables[kind], f"{kind}_access_by_municipality.csv")
        out.gpkg(_cells_gpkg(run, cells), f"{kind}_access_cells.gpkg", layer=f"{kind}_access")
    if run.scenario.output.maps:
        gp_access_map(run, result, out.add("gp_access.html"))


def gp_access_map(run: RunResult, result: GPAccessResult, path: Path) -> Path:
    """``gp_access.html``: cells by access relative to the region's mean (red = least), municipalities."""
    from geoplan.output import maps, palettes
    from geoplan.output.scenario_maps import (
        add_municipality_table,
        map_heading,
        new_map,
        scenario_caption,
        write_static,
    )

    lang, region = run.lang, run.region
    sec = run.scenario.gp_access
    assert sec is not None
    minutes = f"{sec.max_minutes:g}"
    title = t("map_title.gp_access", lang)
    m = new_map(region, lang, title=map_heading(run, title, hour=None), caption=scenario_caption(run, t("map.gp_access_caption", lang, minutes=minutes,
                                                     method=sec.method.upper(), n=len(result.practices))))
    colors = list(reversed(palettes.sequential(len(NORM_BANDS) + 1)))
    layers = [("gp", result.cells, t("map.gp_access_layer", lang))]
    layers += [(k, c, t("map.house_access_layer", lang, houses=t(f"noun.{k}", lang)))
               for k, c in result.houses.items()]
    for i, (_key, cells, name) in enumerate(layers):
        c = run.cells[["cell_id", "pop", "geometry"]].assign(
            norm=np.round(cells["access_norm"].to_numpy(dtype="float64"), 2),
            per_1000=np.round(cells["per_1000"].to_numpy(dtype="float64"), 3),
            nearest=np.round(cells["nearest_minutes"].to_numpy(dtype="float64"), 1),
            pop_r=np.round(run.cells["pop"]))
        maps.add_cells(m, c, column="norm", bands=list(NORM_BANDS), name=name, colors=colors, unit="",
                       tooltip_fields={"norm": t("field.access_norm", lang),
                                       "per_1000": t("field.access_per_1000", lang),
                                       "nearest": t("field.nearest_minutes", lang),
                                       "pop_r": t("field.population", lang)},
                       lang=lang, show=i == 0, show_legend=i == 0)
        if i == 0:
            write_static(run, path, c[["pop", "norm", "geometry"]], column="norm", limits=list(NORM_BANDS),
                         title=map_heading(run, title, hour=None), subtitle=t("map.gp_access_caption", lang,
                         minutes=minutes, method=sec.method.upper(), n=len(result.practices)),
                         legend_title=name, unit="", from_zero=False)
    fields = {"practices": t("column.practices", lang), "mean_per_1000": t("column.mean_per_1000", lang),
              "zero_access_share": t("column.zero_access_share", lang) + " (%)",
              "mean_nearest_minutes": t("column.mean_nearest_minutes", lang)}
    table = result.table.assign(zero_access_share=100 * result.table["zero_access_share"])
    add_municipality_table(m, region, table, fields=fields, lang=lang)
    return maps.save_map(m, path)
