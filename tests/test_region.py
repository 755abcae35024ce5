"""Region loading and population cells on the real inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.datadir import available_regions, input_path, load_manifest
from geoplan.errors import DataMissingError, RegionNotFoundError

pytestmark = pytest.mark.needs_data


def test_region_has_19_municipalities(region):
    assert len(region.municipalities) == 19
    assert region.municipalities["kode"].is_monotonic_increasing
    assert (region.municipalities["navn"].str.len() > 0).all()
    # DAGI area of Region Midtjylland ≈ 13,100 km²
    assert 12_500 < region.boundary.area.iloc[0] / 1e6 < 13_800


def test_cells_hold_municipality_totals(region):
    cells = region.cells
    sums = cells.groupby("kode")["pop"].sum()
    totals = region.municipalities.set_index("kode")["pop"]
    rel = (sums / totals - 1).abs()
    assert rel.max() < 0.01
    assert cells["pop"].gt(0).all()
    assert cells["cell_id"].is_unique
    # 65+ from the municipality's share
    share = (cells.groupby("kode")["pop65"].sum() / sums) * 100
    expect = region.municipalities.set_index("kode")["over65_pct"]
    np.testing.assert_allclose(share.loc[expect.index], expect, rtol=1e-9)


def test_cells_lie_in_their_municipality(region):
    cells = region.cells
    assert cells.crs.to_epsg() == 25832
    munis = region.municipalities.set_index("kode").geometry
    # every cell polygon lies in its municipality (coastal cells: within the 1.5 km snap buffer)
    buffered = {k: g.buffer(1501) for k, g in munis.items()}
    inside = np.array([buffered[k].contains(g) for k, g in zip(cells["kode"], cells.geometry, strict=True)])
    assert inside.mean() > 0.999
    # and its population-weighted centre lies in the square of its id
    gy = cells["cell_id"].str.split("_").str[1].astype(int)
    gx = cells["cell_id"].str.split("_").str[2].astype(int)
    assert ((cells["x"] // 1000 == gx) & (cells["y"] // 1000 == gy)).all()
    assert (cells.area <= 1_000_000 + 1).all()
    # Aarhus Municipality is the densest: its cells carry the highest mean population
    mean_pop = cells.groupby("kode")["pop"].mean()
    assert mean_pop.idxmax() == "0751"


def test_cells_are_deterministic(region):
    from geoplan.region.population import population_cells

    a = population_cells(raster_path=input_path(region.manifest, "population"),
                         municipalities=region.municipalities.iloc[:2],
                         totals=region.municipalities.rename(columns={"over65_pct": "over65"}))
    b = population_cells(raster_path=input_path(region.manifest, "population"),
                         municipalities=region.municipalities.iloc[:2],
                         totals=region.municipalities.rename(columns={"over65_pct": "over65"}))
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))


def test_unknown_region_and_missing_file(monkeypatch, tmp_path):
    assert "midtjylland" in available_regions()
    with pytest.raises(RegionNotFoundError, match="midtjylland"):
        load_manifest("atlantis")
    monkeypatch.setenv("GEOPLAN_DATA_DIR", str(tmp_path))
    m = load_manifest("midtjylland")
    with pytest.raises(DataMissingError, match="worldpop"):
        input_path(m, "population")
