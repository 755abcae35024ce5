"""The ``[acute]`` step: drive times to the acute hospitals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.coverage import access_by_group, round_table
from geoplan.errors import ScenarioError
from geoplan.outputs import write_csv, write_gpkg
from geoplan.pipeline import RunContext, cells_frame, municipality_names, select_sites

ACUTE_KINDS = ["acute"]
NEIGHBOUR_KINDS = ["neighbour_acute"]


def acute_sites(ctx: RunContext) -> pd.DataFrame:
    """The acute hospitals a scenario counts (own + neighbours' when cross_border)."""
    sec = ctx.scenario.acute
    table_file = ctx.region.folder / "hospitals.csv"
    hospitals = ctx.region.facilities("hospitals")
    kinds = ACUTE_KINDS + (NEIGHBOUR_KINDS if sec.cross_border else [])
    sites = select_sites(hospitals, ids=sec.include, kinds=kinds, exclude=sec.exclude, key="acute",
                         scenario_path=ctx.scenario.path, table_file=table_file)
    if sites.empty:
        raise ScenarioError(ctx.scenario.path, "acute: no acute hospital is left open",
                            "remove some ids from acute.exclude")
    return sites


def acute(ctx: RunContext) -> None:
    """Drive time from every cell to the nearest open acute hospital."""
    sec = ctx.scenario.acute
    sites = acute_sites(ctx)
    matrix = ctx.cells_to(sites, id_column="site_id", description="Travel times to acute hospitals")
    near = matrix.nearest()
    minutes = near["minutes"].to_numpy()
    names = municipality_names(ctx)
    table = access_by_group(minutes, ctx.cells["pop"], ctx.cells["kode"], thresholds=sec.thresholds,
                            group_names=names, total_label=ctx.region.title(ctx.lang))
    table = round_table(table)
    write_csv(table, ctx.out / "acute_access_by_municipality.csv")
    site_names = dict(zip(sites["site_id"], sites["name"], strict=True))
    cells = cells_frame(ctx, minutes=np.round(minutes, 2), nearest_site=near["nearest"].to_numpy(),
                        nearest_name=[site_names.get(s, "") for s in near["nearest"]])
    write_gpkg(cells, ctx.out / "acute_access_cells.gpkg", layer="acute_access")
    ctx.written += ["acute_access_by_municipality.csv", "acute_access_cells.gpkg"]
    total = table.iloc[-1]
    ctx.headlines.append({"key": "acute_within_30", "value": float(total.get("share_within_30", np.nan)),
                          "table": "acute_access_by_municipality.csv"})
    ctx.results["acute"] = {"table": table, "cells": cells, "sites": sites}
    if ctx.scenario.output.maps:
        from geoplan.scenario_maps import acute_access_map

        acute_access_map(ctx, cells=cells, sites=sites, table=table, bands=sec.bands,
                         path=ctx.out / "acute.html")
        ctx.written.append("acute.html")
    progress.step(f"acute: {100 * total.get('share_within_30', np.nan):.1f} % within 30 min")
