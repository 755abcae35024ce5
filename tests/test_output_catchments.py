"""Catchments and service areas of a run (geoplan.output.catchments) in the GeoPackage and the map;
on the tiny in-memory region."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from geoplan.config import Scenario
from geoplan.output import writer
from geoplan.run.pipeline import compute_scenario


def test_catchments_in_the_geopackage_and_the_map(tiny_region, tmp_path):
    sc = Scenario.model_validate({
        "name": "tiny", "region": "tiny", "lang": "da",
        "acute": {"thresholds": [15, 30], "bands": [15, 30]},
        "health_houses": {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                          "frontier": {"p_min": 1, "p_max": 2}},
    })
    run = compute_scenario(sc, region=tiny_region)
    out = tmp_path / "out"
    writer.write_run(run, out)
    for key, step in (("acute", "acute"), ("health_houses", "health_houses")):
        path = out / f"{key}_catchments.gpkg"
        assert [n for n, _ in pyogrio.list_layers(path)] == ["catchments", "service_areas"]
        ca = gpd.read_file(path, layer="catchments")
        sa = gpd.read_file(path, layer="service_areas")
        res = run[step]
        minutes = res.cells["minutes"].to_numpy() if step == "acute" else np.asarray(res.minutes)
        reachable = float(run.cells["pop"].to_numpy()[np.isfinite(minutes)].sum())
        # catchments do not overlap: together they hold everybody who reaches a site, once
        assert ca["population"].sum() == pytest.approx(reachable)
        assert ca.crs.to_epsg() == 25832 and (ca.loc[ca["population"] > 0].area > 0).all()
        for sid, g in sa.groupby("site_id"):
            p = g.set_index("max_minutes")["population"]
            own = float(ca.loc[ca["site_id"] == sid, "population"].iloc[0])
            assert p.loc[15.0] <= p.loc[30.0] <= own + 1e-6
    # nearest-site check by hand for the acute step: each cell's population counted at its nearest hospital
    ca = gpd.read_file(out / "acute_catchments.gpkg", layer="catchments").set_index("site_id")
    cells = run["acute"].cells
    by_site = run.cells["pop"].groupby(cells["nearest_site"].to_numpy()).sum()
    for sid, pop in by_site.items():
        if sid:
            assert ca.loc[sid, "population"] == pytest.approx(pop)
    page = (out / "acute.html").read_text(encoding="utf-8")
    assert "Oplande (borgere der har stedet nærmest)" in page and "Inden for 30 min af nærmeste sted" in page
    assert "borgere" in page
