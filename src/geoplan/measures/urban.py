"""Urban share, settlement class and island flag per population cell.

Land cover comes from SDFI's classified 1 km grid (Danish square grid DKN, EPSG:25832;
CORINE 2018 shares of urban, forest, agriculture, nature and water per square),
shipped as a 7z archive holding one GeoPackage. :func:`read_landcover_grid` unpacks it
once into the cache folder (py7zr) and reads the layer with pyogrio.

Joining: the grid's ``id`` is a running number, not the DKN cell name, so squares are
identified by their lower-left corner: ``gx = minx // 1000``, ``gy = miny // 1000`` (km).
Population cells (:mod:`geoplan.population`) are the same 1 km DKN squares; a cell's
square is ``floor(x / 1000), floor(y / 1000)`` of its population-weighted centre
(which lies inside its square). A square split by a municipality boundary gives two
cells, and both get the square's land cover.

Settlement class (per cell, from the urban share ``u`` of its square)::

    urban      u ≥ 0.50   (town: half the square or more built up)
    periurban  0.10 ≤ u < 0.50   (suburb, small town, village with its fields)
    rural      u < 0.10   (open land; farms and hamlets)

``urban_rural`` is the two-way split used for urban/rural comparisons: ``"rural"`` for
the rural class, ``"urban"`` for the other two.

Island flag: the land polygons of the DAGI municipalities (all of Denmark, so that a
land mass is not cut at the region's edge) are merged and split into land masses; a
cell is on an island when the land mass under its centre is smaller than 1,000 km²
(the piece of its own municipality holding the centre or, for a centre just off the
1:500k coastline, nearest to it). In Region Midtjylland that flags Samsø, Fur,
Anholt, Endelave, Venø, Tunø, Hjarnø and smaller islets, all served by ferry;
Nørrejyske Ø (Thyholm, 4,679 km², joined to Jutland by bridges) and islets joined to
the mainland polygon at 1:500k count as mainland.

Limits
------
CORINE maps units of 25 ha and more: villages and scattered houses are mostly not
"urban", so the urban share understates small settlements. The grid is 2018 land
cover. The island rule is geometric: it knows nothing of bridges or causeways
beyond what the 1:500k polygons merge.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely

from geoplan import datadir
from geoplan.errors import InputError

__all__ = [
    "LANDCOVER_COLUMNS",
    "SETTLEMENT_CLASSES",
    "cell_settlement",
    "cell_squares",
    "island_flags",
    "land_parts",
    "population_by_class",
    "read_landcover_grid",
    "settlement_class",
    "urban_share",
]

CRS = "EPSG:25832"
GRID_M = 1000
#: Land-cover columns of the grid, in percent of the square (0-100).
LANDCOVER_COLUMNS: tuple[str, ...] = ("urban", "forest", "agriculture", "nature", "water")
#: Flags of the grid (0/1).
FLAG_COLUMNS: tuple[str, ...] = ("contains_lake", "no_overlap", "partial_overlap")
#: Settlement classes, from most to least urban.
SETTLEMENT_CLASSES: tuple[str, ...] = ("urban", "periurban", "rural")
#: Default thresholds of :func:`settlement_class` (urban share of the square, 0-1).
URBAN_MIN = 0.5
PERIURBAN_MIN = 0.1
#: Land parts smaller than this are islands (km²).
MAINLAND_MIN_KM2 = 1000.0
#: A cell whose centre lies in the sea goes to the nearest land mass at least this large (km²).
SNAP_MIN_KM2 = 1.0
MANIFEST_KEY = "landcover"


# ----------------------------------------------------------------------------- the grid
def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()[:16]


def _unpacked_gpkg(path: Path) -> Path:
    """The GeoPackage inside a 7z archive, unpacked once into the cache folder."""
    import py7zr

    target_dir = datadir.cache_dir() / "landcover" / f"{path.stem}-{_digest(path)}"
    found = sorted(target_dir.glob("*.gpkg")) if target_dir.is_dir() else []
    if found:
        return found[0]
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target_dir.parent, prefix=".unpack-"))
    try:
        try:
            with py7zr.SevenZipFile(path, mode="r") as archive:
                names = [n for n in archive.getnames() if n.lower().endswith(".gpkg")]
                if not names:
                    raise InputError(path, "the archive holds no .gpkg file",
                                     "use 1km_classified_grid_rev2.7z from github SDFIdk/t-rke_kvadratnet")
                archive.extract(path=tmp, targets=names[:1])
        except py7zr.exceptions.Bad7zFile as exc:
            raise InputError(path, f"not a 7z archive ({exc})",
                             "use 1km_classified_grid_rev2.7z as published (or a .gpkg directly)") from exc
        gpkg = next(tmp.rglob("*.gpkg"))
        final_tmp = tmp / gpkg.name
        if gpkg != final_tmp:
            gpkg.replace(final_tmp)
        try:
            tmp.rename(target_dir)
        except OSError:  # another process unpacked it first
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists() and tmp != target_dir:
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(target_dir.glob("*.gpkg"))[0]


def read_landcover_grid(
    path: str | Path | None = None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read the SDFI classified 1 km grid.

    Parameters
    ----------
    path
        The ``.7z`` archive (unpacked once into the cache folder) or a ``.gpkg``.
        Default: input ``landcover`` of the Midtjylland manifest.
    bbox
        Optional (minx, miny, maxx, maxy) in EPSG:25832 to read only part of Denmark.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per 1 km square (EPSG:25832): ``gx``, ``gy`` (lower-left corner in
        km, the DKN square ``1km_<gy>_<gx>``), ``urban``, ``forest``, ``agriculture``,
        ``nature``, ``water`` (percent of the square, 0-100; sea squares are 100 %
        water), ``contains_lake``, ``no_overlap``, ``partial_overlap`` (0/1 flags as
        published) and ``geometry``; sorted by ``gy``, ``gx``. The published file
        holds 186 squares twice (identical rows); each square is returned once.

    Raises
    ------
    InputError
        Not a 7z archive / no GeoPackage inside, a missing column, a CRS other than
        EPSG:25832, or squares that are not 1 km squares on the 1 km grid.
    """
    if path is None:
        path = datadir.input_path(datadir.load_manifest("midtjylland"), MANIFEST_KEY)
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found",
                         "give landcover/1km_classified_grid_rev2.7z (github SDFIdk/t-rke_kvadratnet)")
    gpkg = path if path.suffix.lower() == ".gpkg" else _unpacked_gpkg(path)
    try:
        info = pyogrio.read_info(gpkg)
        df = pyogrio.read_dataframe(gpkg, bbox=bbox)
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(path, f"cannot read the GeoPackage ({exc})",
                         "use the archive as published or delete the cache folder .cache/landcover") from exc
    missing = [c for c in (*LANDCOVER_COLUMNS, *FLAG_COLUMNS) if c not in df.columns]
    if missing:
        raise InputError(path, f"the grid layer has no column {missing[0]!r}",
                         "use the SDFI classified grid (rev2) with columns urban, forest, agriculture, nature, water")
    crs = info.get("crs")
    if crs is None or "25832" not in str(crs):
        raise InputError(path, f"the grid is in {crs}, expected EPSG:25832", "use the grid as published")
    b = shapely.bounds(df.geometry.to_numpy())
    size_ok = np.allclose(b[:, 2] - b[:, 0], GRID_M) & np.allclose(b[:, 3] - b[:, 1], GRID_M)
    if len(df) and (not size_ok or not np.allclose(np.mod(b[:, :2], GRID_M), 0)):
        raise InputError(path, "the squares are not 1 km squares on the 1 km grid",
                         "use the 1 km classified grid (1km_classified_grid_rev2)")
    out = pd.DataFrame({"gx": np.floor(b[:, 0] / GRID_M).astype("int64"),
                        "gy": np.floor(b[:, 1] / GRID_M).astype("int64")})
    for c in LANDCOVER_COLUMNS:
        out[c] = df[c].to_numpy(dtype="float64")
    for c in FLAG_COLUMNS:
        out[c] = df[c].to_numpy(dtype="int64")
    grid = gpd.GeoDataFrame(out, geometry=df.geometry.to_numpy(), crs=CRS)
    grid = grid.drop_duplicates(["gx", "gy"], keep="first")
    return grid.sort_values(["gy", "gx"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- cells
def cell_squares(cells: pd.DataFrame) -> pd.DataFrame:
    """The 1 km square (``gx``, ``gy`` in km) of each cell, from its ``x``/``y`` centre."""
    for c in ("x", "y"):
        if c not in cells.columns:
            raise ValueError(f"cells have no column {c!r} (EPSG:25832 metres)")
    x = cells["x"].to_numpy(dtype="float64")
    y = cells["y"].to_numpy(dtype="float64")
    return pd.DataFrame({"gx": np.floor(x / GRID_M).astype("int64"),
                         "gy": np.floor(y / GRID_M).astype("int64")}, index=cells.index)


def urban_share(cells: pd.DataFrame, grid: pd.DataFrame | None = None) -> pd.Series:
    """Urban share (0-1) of each cell's 1 km square.

    Parameters
    ----------
    cells
        Population cells with ``x``, ``y`` (EPSG:25832).
    grid
        :func:`read_landcover_grid` (default: read it, only the cells' extent).

    Returns
    -------
    pandas.Series
        ``urban_share`` aligned to ``cells.index``.

    Raises
    ------
    ValueError
        When a cell's square is not in the grid.
    """
    sq = cell_squares(cells)
    if grid is None:
        x0, y0 = sq["gx"].min() * GRID_M, sq["gy"].min() * GRID_M
        x1, y1 = (sq["gx"].max() + 1) * GRID_M, (sq["gy"].max() + 1) * GRID_M
        grid = read_landcover_grid(bbox=(x0 + 1, y0 + 1, x1 - 1, y1 - 1))
    lookup = pd.Series(grid["urban"].to_numpy(dtype="float64") / 100.0,
                       index=pd.MultiIndex.from_arrays([grid["gx"], grid["gy"]]))
    key = pd.MultiIndex.from_arrays([sq["gx"], sq["gy"]])
    vals = lookup.reindex(key).to_numpy()
    if np.isnan(vals).any():
        n = int(np.isnan(vals).sum())
        raise ValueError(f"{n} cells lie on squares that are not in the land-cover grid "
                         "(cells must be 1 km DKN squares in Denmark)")
    return pd.Series(np.clip(vals, 0.0, 1.0), index=cells.index, name="urban_share")


def settlement_class(
    share: npt.ArrayLike,
    *,
    urban_min: float = URBAN_MIN,
    periurban_min: float = PERIURBAN_MIN,
) -> npt.NDArray[np.object_]:
    """Settlement class per cell from its urban share (0-1): urban / periurban / rural.

    ``urban`` if ``share ≥ urban_min``, ``periurban`` if ``share ≥ periurban_min``,
    else ``rural`` (see the module docstring for the default thresholds).
    """
    u = np.asarray(share, dtype="float64")
    if not 0 <= periurban_min <= urban_min <= 1:
        raise ValueError("need 0 <= periurban_min <= urban_min <= 1")
    if np.isnan(u).any():
        raise ValueError("urban share is NaN for some cells")
    return np.where(u >= urban_min, "urban", np.where(u >= periurban_min, "periurban", "rural")).astype(object)


def land_parts(municipalities: gpd.GeoDataFrame | str | Path | None = None) -> gpd.GeoDataFrame:
    """The land masses of Denmark, as pieces of municipalities.

    The DAGI municipality polygons (all of Denmark) are merged and split into land
    masses (``land_part`` 0 = the largest, Jutland); each municipality's own polygon
    is split into its pieces, and each piece is tagged with the land mass it lies on.

    Parameters
    ----------
    municipalities
        Polygons of all municipalities with a code column ``kode`` or ``KOMKODE`` (a
        GeoDataFrame or a file; default: input ``municipalities`` of the Midtjylland
        manifest, DAGI 2014, all of Denmark).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (municipality, polygon piece): ``kode``, ``land_part``,
        ``land_part_km2`` (area of the whole land mass), ``geometry`` (the piece,
        EPSG:25832); sorted by ``kode``, largest land mass first.
    """
    if municipalities is None:
        municipalities = datadir.input_path(datadir.load_manifest("midtjylland"), "municipalities")
    gdf = municipalities if isinstance(municipalities, gpd.GeoDataFrame) else gpd.read_file(municipalities)
    code = "kode" if "kode" in gdf.columns else "KOMKODE" if "KOMKODE" in gdf.columns else None
    if code is None:
        raise ValueError("municipalities need a code column 'kode' or 'KOMKODE'")
    gdf = gdf.to_crs(CRS)
    geoms = shapely.make_valid(shapely.force_2d(gdf.geometry.to_numpy()))
    masses = [p for p in shapely.get_parts(shapely.union_all(geoms)) if isinstance(p, shapely.Polygon)]
    mass = gpd.GeoDataFrame({"land_part_km2": shapely.area(np.asarray(masses)) / 1e6},
                            geometry=masses, crs=CRS)
    mass = mass.sort_values("land_part_km2", ascending=False, kind="stable").reset_index(drop=True)
    mass["land_part"] = np.arange(len(mass))
    pieces_kode: list[str] = []
    pieces: list[shapely.Polygon] = []
    for k, g in zip(gdf[code].astype(str), geoms, strict=True):
        for p in shapely.get_parts(g):
            if isinstance(p, shapely.Polygon) and p.area > 0:
                pieces_kode.append(k)
                pieces.append(p)
    out = gpd.GeoDataFrame({"kode": pieces_kode}, geometry=pieces, crs=CRS)
    reps = gpd.GeoDataFrame(geometry=out.geometry.representative_point(), crs=CRS, index=out.index)
    hit = gpd.sjoin_nearest(reps, mass[["land_part", "land_part_km2", "geometry"]], how="left")
    hit = hit[~hit.index.duplicated(keep="first")].sort_index()
    out["land_part"] = hit["land_part"].to_numpy(dtype="int64")
    out["land_part_km2"] = hit["land_part_km2"].to_numpy(dtype="float64")
    out = out.sort_values(["kode", "land_part"], kind="stable").reset_index(drop=True)
    return out[["kode", "land_part", "land_part_km2", "geometry"]]


def island_flags(
    cells: pd.DataFrame,
    parts: gpd.GeoDataFrame,
    *,
    mainland_min_km2: float = MAINLAND_MIN_KM2,
) -> pd.DataFrame:
    """Whether each cell is on an island (a land mass smaller than ``mainland_min_km2``).

    Each cell goes to the piece of its own municipality (``kode``) that holds its
    centre or, for a centre just off the 1:500k coastline, to the nearest piece on a
    land mass of at least 1 km² (so a coastal cell is not put on an islet); cells
    without a ``kode`` (or of a municipality not in ``parts``) to the nearest piece of
    any municipality.

    Parameters
    ----------
    cells
        Population cells with ``x``, ``y`` (EPSG:25832) and, normally, ``kode``.
    parts
        :func:`land_parts`.
    mainland_min_km2
        Land masses at least this large are mainland.

    Returns
    -------
    pandas.DataFrame
        ``land_part`` (id), ``land_part_km2`` and ``island`` (bool), aligned to
        ``cells.index``.
    """
    n = len(cells)
    x = cells["x"].to_numpy(dtype="float64")
    y = cells["y"].to_numpy(dtype="float64")
    kode = (cells["kode"].astype(str).to_numpy() if "kode" in cells.columns
            else np.full(n, "", dtype=object))
    part_of = np.full(n, -1, dtype="int64")
    km2 = np.full(n, np.nan)
    known = set(parts["kode"])
    for k in sorted(set(kode)):
        idx = np.flatnonzero(kode == k)
        cand = parts[parts["kode"] == k] if k in known else parts
        cand = cand[["land_part", "land_part_km2", "geometry"]]
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[idx], y[idx]), crs=CRS, index=idx)
        inside = gpd.sjoin(pts, cand, how="inner", predicate="within")
        inside = inside[~inside.index.duplicated(keep="first")]
        rest = pts.loc[~pts.index.isin(inside.index)]
        big = cand[cand["land_part_km2"] >= SNAP_MIN_KM2]
        near = gpd.sjoin_nearest(rest, big if len(big) else cand, how="left")
        near = near[~near.index.duplicated(keep="first")]
        for hit in (inside, near):
            part_of[hit.index.to_numpy()] = hit["land_part"].to_numpy(dtype="int64")
            km2[hit.index.to_numpy()] = hit["land_part_km2"].to_numpy(dtype="float64")
    return pd.DataFrame({"land_part": part_of, "land_part_km2": km2,
                         "island": km2 < mainland_min_km2}, index=cells.index)


def cell_settlement(
    cells: pd.DataFrame,
    *,
    grid: pd.DataFrame | None = None,
    parts: gpd.GeoDataFrame | None = None,
    urban_min: float = URBAN_MIN,
    periurban_min: float = PERIURBAN_MIN,
    mainland_min_km2: float = MAINLAND_MIN_KM2,
) -> pd.DataFrame:
    """Urban share, settlement class, urban/rural and island flag for each cell.

    Parameters
    ----------
    cells
        Population cells (``x``, ``y`` in EPSG:25832; ``cell_id`` kept if present).
    grid
        :func:`read_landcover_grid` (default: read from the data directory).
    parts
        :func:`land_parts` (default: from the DAGI municipalities in the data directory).
    urban_min, periurban_min, mainland_min_km2
        Thresholds (see :func:`settlement_class`, :func:`island_flags`).

    Returns
    -------
    pandas.DataFrame
        Aligned to ``cells.index``: ``cell_id`` (if present), ``urban_share``,
        ``settlement`` (urban/periurban/rural), ``urban_rural`` (urban/rural),
        ``island`` (bool), ``land_part_km2``. Join it to the cells to break an
        equity report down by these columns.
    """
    share = urban_share(cells, grid)
    cls = settlement_class(share.to_numpy(), urban_min=urban_min, periurban_min=periurban_min)
    isl = island_flags(cells, parts if parts is not None else land_parts(), mainland_min_km2=mainland_min_km2)
    out = pd.DataFrame(index=cells.index)
    if "cell_id" in cells.columns:
        out["cell_id"] = cells["cell_id"]
    out["urban_share"] = share
    out["settlement"] = cls
    out["urban_rural"] = np.where(cls == "rural", "rural", "urban").astype(object)
    out["island"] = isl["island"]
    out["land_part_km2"] = isl["land_part_km2"]
    return out


def population_by_class(cells: pd.DataFrame, classes: pd.DataFrame,
                        columns: Sequence[str] = ("settlement", "urban_rural", "island")) -> pd.DataFrame:
    """Population (and 65+ when present) per class of each column: ``column``, ``class``, ``pop``, ``share``."""
    rows = []
    total = float(cells["pop"].sum())
    for col in columns:
        g = cells["pop"].groupby(classes[col].to_numpy()).sum()
        for label, pop in g.items():
            row = {"column": col, "class": label, "pop": float(pop), "share": float(pop) / total}
            if "pop65" in cells.columns:
                row["pop65"] = float(cells["pop65"].groupby(classes[col].to_numpy()).sum()[label])
            rows.append(row)
    return pd.DataFrame(rows)
