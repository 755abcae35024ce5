"""geoplan.measures.urban: land-cover grid reader, urban share, settlement class, islands."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import py7zr
import pytest
import shapely
from pyproj import Transformer

from geoplan.errors import InputError
from geoplan.i18n import t
from geoplan.measures import urban

CRS = "EPSG:25832"


def grid_frame(squares: list[tuple[int, int, float]], *, drop: str | None = None) -> gpd.GeoDataFrame:
    """A grid layer as published: running id, flags, % shares, 1 km MultiPolygons."""
    rows, geoms = [], []
    for i, (gx, gy, u) in enumerate(squares):
        rows.append({"id": 1000 + i, "contains_lake": 0, "no_overlap": 0, "partial_overlap": 0,
                     "urban": u, "forest": 0.0, "agriculture": 100.0 - u, "nature": 0.0, "water": 0.0})
        geoms.append(shapely.MultiPolygon([shapely.box(gx * 1000, gy * 1000, gx * 1000 + 1000, gy * 1000 + 1000)]))
    df = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    return df.drop(columns=[drop]) if drop else df


def write_archive(tmp_path: Path, grid: gpd.GeoDataFrame, name: str = "grid") -> Path:
    gpkg = tmp_path / f"{name}.gpkg"
    grid.to_file(gpkg, layer=name, driver="GPKG")
    archive = tmp_path / f"{name}.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.write(gpkg, arcname=gpkg.name)
    gpkg.unlink()
    return archive


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(d))
    return d


def test_reader_unpacks_once_and_keys_squares(tmp_path, cache):
    squares = [(574, 6223, 100.0), (575, 6223, 49.9), (576, 6223, 10.0), (577, 6223, 9.99), (574, 6223, 100.0)]
    archive = write_archive(tmp_path, grid_frame(squares))
    g = urban.read_landcover_grid(archive)
    assert len(g) == 4  # the duplicated square once
    assert g[["gx", "gy"]].to_numpy().tolist() == [[574, 6223], [575, 6223], [576, 6223], [577, 6223]]
    unpacked = list((cache / "landcover").rglob("*.gpkg"))
    assert len(unpacked) == 1
    mtime = unpacked[0].stat().st_mtime_ns
    urban.read_landcover_grid(archive)
    assert unpacked[0].stat().st_mtime_ns == mtime  # not unpacked again
    assert list((cache / "landcover").rglob("*.gpkg")) == unpacked


def test_urban_share_and_settlement_thresholds(tmp_path, cache):
    squares = [(574, 6223, 100.0), (575, 6223, 50.0), (576, 6223, 49.9), (577, 6223, 10.0), (578, 6223, 9.99)]
    grid = urban.read_landcover_grid(write_archive(tmp_path, grid_frame(squares)))
    # cell centres anywhere inside their square; a split square gives two cells
    cells = pd.DataFrame({"cell_id": ["a", "b", "c", "d", "e", "e2"],
                          "x": [574_999.9, 575_000.0, 576_500.0, 577_100.0, 578_900.0, 578_100.0],
                          "y": [6_223_000.0, 6_223_999.9, 6_223_500.0, 6_223_500.0, 6_223_500.0, 6_223_100.0]})
    share = urban.urban_share(cells, grid)
    assert share.tolist() == pytest.approx([1.0, 0.5, 0.499, 0.1, 0.0999, 0.0999])
    assert urban.settlement_class(share).tolist() == ["urban", "urban", "periurban", "periurban", "rural", "rural"]
    assert urban.settlement_class(share, urban_min=0.9, periurban_min=0.0).tolist() == [
        "urban", "periurban", "periurban", "periurban", "periurban", "periurban"]
    off = pd.DataFrame({"x": [600_500.0], "y": [6_223_500.0]})
    with pytest.raises(ValueError, match="not in the land-cover grid"):
        urban.urban_share(off, grid)
    for cls in urban.SETTLEMENT_CLASSES:
        assert t(f"settlement.{cls}", "da") and t(f"settlement.{cls}", "en")


def test_bad_grid_files(tmp_path, cache):
    not7z = tmp_path / "fake.7z"
    not7z.write_bytes(b"this is not an archive")
    with pytest.raises(InputError, match="not a 7z archive") as exc:
        urban.read_landcover_grid(not7z)
    assert "fake.7z" in str(exc.value) and "fix:" in str(exc.value)
    archive = write_archive(tmp_path, grid_frame([(1, 1, 5.0)], drop="urban"), name="nourban")
    with pytest.raises(InputError, match="no column 'urban'"):
        urban.read_landcover_grid(archive)
    with pytest.raises(InputError, match="file not found"):
        urban.read_landcover_grid(tmp_path / "missing.7z")


def test_island_flags_on_generated_land():
    # a 40 x 40 km mainland (1,600 km²), a 3 x 3 km island, and a 0.5 x 0.5 km islet by the coast
    mainland = shapely.box(500_000, 6_200_000, 540_000, 6_240_000)
    island = shapely.box(550_000, 6_210_000, 553_000, 6_213_000)
    islet = shapely.box(541_000, 6_220_000, 541_500, 6_220_500)
    munis = gpd.GeoDataFrame({"kode": ["0001", "0002", "0001"]},
                             geometry=[mainland, island, islet], crs=CRS)
    parts = urban.land_parts(munis)
    assert parts["land_part_km2"].round(2).tolist() == [1600.0, 0.25, 9.0]  # sorted by kode, then mass
    cells = pd.DataFrame({
        "kode": ["0001", "0002", "0001", "0001", "0002"],
        "x": [510_000.0, 551_500.0, 541_200.0, 540_400.0, 549_700.0],
        "y": [6_210_000.0, 6_211_500.0, 6_220_200.0, 6_220_200.0, 6_211_500.0],
    })
    f = urban.island_flags(cells, parts)
    # mainland; on the island; on the islet; in the sea between coast and islet -> mainland
    # (nearest land of 1 km² or more); in the sea off the island -> the island (its municipality)
    assert f["island"].tolist() == [False, True, True, False, True]
    assert f["land_part_km2"].round(2).tolist() == [1600.0, 9.0, 0.25, 1600.0, 9.0]
    assert urban.island_flags(cells, parts, mainland_min_km2=5.0)["island"].tolist() == [
        False, False, True, False, False]


# ----------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def settlement(region):
    return region.cells, urban.cell_settlement(region.cells)


@pytest.mark.needs_data
def test_aarhus_midtby_is_urban(settlement):
    cells, cs = settlement
    to_utm = Transformer.from_crs(4326, CRS, always_xy=True)
    places = {"Aarhus Rådhus": (10.2039, 56.1527), "Aarhus Domkirke": (10.2107, 56.1568),
              "Aarhus H": (10.2045, 56.1502), "ARoS": (10.1994, 56.1538)}
    sq = urban.cell_squares(cells)
    for name, (lon, lat) in places.items():
        x, y = to_utm.transform(lon, lat)
        sel = ((sq["gx"] == int(x // 1000)) & (sq["gy"] == int(y // 1000))).to_numpy()
        assert sel.sum() >= 1, name
        assert (cs.loc[sel, "urban_share"] >= 0.8).all(), name
        assert (cs.loc[sel, "settlement"] == "urban").all(), name


@pytest.mark.needs_data
def test_thyholm_is_rural_and_samso_an_island(settlement):
    cells, cs = settlement
    # Thyholm: the part of Struer north of Oddesund, on Nørrejyske Ø (about 4,700 km², bridged)
    thy = ((cells["kode"] == "0671") & cs["land_part_km2"].between(4000, 5000)).to_numpy()
    assert 1_500 < cells.loc[thy, "pop"].sum() < 5_000
    assert (cs.loc[thy, "settlement"] == "rural").mean() >= 0.85
    pop_by = cells.loc[thy, "pop"].groupby(cs.loc[thy, "settlement"].to_numpy()).sum()
    assert pop_by.get("urban", 0.0) / pop_by.sum() < 0.05
    assert pop_by["rural"] / pop_by.sum() > 0.5
    assert not cs.loc[thy, "island"].any()  # bridged to Jutland: mainland
    samso = (cells["kode"] == "0741").to_numpy()
    assert cs.loc[samso, "island"].all()
    assert not cs.loc[(cells["kode"] == "0751").to_numpy() & (cs["urban_share"] > 0.5).to_numpy(), "island"].any()


@pytest.mark.needs_data
def test_region_split_is_plausible(settlement):
    cells, cs = settlement
    split = urban.population_by_class(cells, cs).set_index(["column", "class"])["share"]
    assert 0.4 < split[("settlement", "urban")] < 0.65
    assert 0.15 < split[("settlement", "rural")] < 0.35
    island = split[("island", True)] * cells["pop"].sum()
    assert 4_000 < island < 7_000  # Samsø 3,600, Fur ~800, Anholt, Endelave, Venø, Tunø, Hjarnø ...
    assert cs.index.equals(cells.index)
    assert np.isin(cs["urban_rural"], ["urban", "rural"]).all()
