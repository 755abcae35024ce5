"""A region: boundary, municipalities, population cells and facility tables.

:func:`load_region` reads the manifest ``<name>/region.toml`` (see :func:`geoplan.datadir.regions_dirs`) and
the inputs it names from the data directory. Heavy pieces (population cells,
road network) are built on first use and cached on disk, keyed by the hashes
of their inputs, so a second run starts in about a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geoplan import datadir
from geoplan.cache import read_cache
from geoplan.datadir import RegionManifest, input_path, load_manifest
from geoplan.errors import InputError, plain

CRS = "EPSG:25832"
#: Bump when the way cells or networks are derived changes (invalidates caches).
CACHE_VERSION = "3"

#: Fact tables a region folder may hold (file stem → what it is).
FACT_TABLES = {
    "hospitals": "hospital sites (acute, other, neighbouring regions' acute)",
    "ambulance_stations": "ambulance stations",
    "physician_cars": "physician car (akutlægebil) bases",
    "helicopter_bases": "helicopter (akutlægehelikopter) bases",
    "health_houses": "existing health houses (sundhedshuse)",
    "psychiatry_houses": "existing psychiatry houses / community psychiatry",
    "candidates": "candidate sites for new houses",
}
#: The id column of each fact table (unique, never blank).
FACT_ID_COLUMNS = {
    "hospitals": "site_id", "candidates": "site_id", "ambulance_stations": "station_id",
    "physician_cars": "base_id", "helicopter_bases": "base_id", "health_houses": "house_id",
    "psychiatry_houses": "house_id",
}

#: Columns a fact table must have, never blank (sites are selected by ``kind``; maps label by ``name``).
FACT_REQUIRED_COLUMNS = {
    "hospitals": ("name", "kind"), "candidates": ("name", "kind"), "ambulance_stations": ("name", "kind"),
    "physician_cars": ("name", "kind"),
}
#: Columns that, where given, must be numbers (blank allowed).
FACT_NUMBER_COLUMNS = {"candidates": ("population",)}


def _read_boundary_file(path: Path, *, fields: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """A boundary GeoJSON in EPSG:25832 (2-D); a corrupt file or a missing field is an InputError."""
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio/GDAL raise several classes for an unreadable file
        raise InputError(path, f"cannot be read as a GeoJSON / vector file ({type(exc).__name__}: "
                         f"{str(exc)[:200]})", "replace it with the file as published (geoplan data fetch)") from exc
    missing = [f for f in fields if f not in gdf.columns]
    if missing:
        raise InputError(path, f"no field {missing[0]!r} (fields: {', '.join(c for c in gdf.columns if c != 'geometry')})",
                         "use the DAGI file as published")
    if gdf.empty or gdf.geometry.isna().all():
        raise InputError(path, "holds no features with a geometry", "replace it with the file as published")
    if gdf.crs is None:
        raise InputError(path, "has no coordinate reference system", "use the DAGI GeoJSON (WGS84) as published")
    gdf = gdf[gdf.geometry.notna()].copy()
    gdf["geometry"] = shapely.force_2d(gdf.geometry.to_numpy())
    return gdf.to_crs(CRS)


@dataclass(eq=False)
class Region:
    """One planning region.

    Attributes
    ----------
    manifest
        The parsed ``region.toml``.
    boundary
        One row, the region's polygon (EPSG:25832).
    municipalities
        One row per municipality: ``kode``, ``navn``, ``pop`` (newer total),
        ``over65_pct``, ``geometry``; sorted by ``kode``.
    land
        Union of all region polygons of the country (land mask; fjords and sea
        are holes), used to keep access legs from crossing water.
    """

    manifest: RegionManifest
    boundary: gpd.GeoDataFrame
    municipalities: gpd.GeoDataFrame
    land: shapely.Geometry
    #: (source, local, patches, local_parameters) → graph
    _network_cache: dict[tuple[str, bool, tuple[str, ...] | None, str | None], nx.MultiDiGraph] = field(
        default_factory=dict, repr=False)
    _facility_cache: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        """One line: name, municipalities, cells, population, network (what is loaded so far)."""
        from geoplan.i18n import fmt_number

        cells = self.__dict__.get("cells")
        n_cells = f"{fmt_number(len(cells), 'en')} populated 1-km cells" if cells is not None \
            else "cells not loaded yet (region.cells)"
        pop = fmt_number(float(self.municipalities["pop"].sum()), "en", digits=0)
        source = self.manifest.default_network
        G = next((g for k, g in self._network_cache.items() if k[0] == source), None)
        net = f"network {source!r}" + (f" ({G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges)"
                                       if G is not None else "")
        return (f"<Region {self.name!r} ({self.manifest.title_en}): {len(self.municipalities)} municipalities, "
                f"{pop} inhabitants, {n_cells}, {net}>")

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def folder(self) -> Path:
        return self.manifest.folder

    def title(self, lang: str = "da") -> str:
        return self.manifest.title(lang)

    # ------------------------------------------------------------------ cells
    @cached_property
    def cells(self) -> gpd.GeoDataFrame:
        """Populated 1 km cells (see :mod:`geoplan.region.population`), with ``navn``."""
        from geoplan.region.population import population_cells

        raster = input_path(self.manifest, "population")
        totals_path = input_path(self.manifest, "municipality_totals")
        key = _hash_text(_hash_files([raster, totals_path]) + ",".join(self.manifest.municipalities)
                         + CACHE_VERSION + "cells")
        cache = datadir.cache_dir() / f"{self.name}-cells-{key[:16]}.parquet"
        cells = read_cache(cache, lambda p: _read_cells_cache(p), what="population cells")
        if cells is None:
            cells = population_cells(
                raster_path=raster,
                municipalities=self.municipalities,
                totals=self.municipalities.rename(columns={"over65_pct": "over65"})[
                    ["kode", "pop", "over65"]
                ],
            )
            _atomic_write(cache, lambda p: cells.to_parquet(p, index=False))
        names = self.municipalities.set_index("kode")["navn"]
        cells["navn"] = cells["kode"].map(names)
        return cells

    # ------------------------------------------------------------- facilities
    def facilities(self, table: str) -> gpd.GeoDataFrame:
        """Read a fact table of the region folder as points in EPSG:25832.

        Parameters
        ----------
        table
            File stem, e.g. ``"hospitals"`` (see :data:`FACT_TABLES`).

        Returns
        -------
        geopandas.GeoDataFrame
            The table's columns plus ``x``, ``y`` and point ``geometry``.
        """
        if table not in self._facility_cache:
            path = self.folder / f"{table}.csv"
            gdf = read_points_table(path, id_column=FACT_ID_COLUMNS.get(table))
            _check_required(gdf, FACT_REQUIRED_COLUMNS.get(table, ()), path=path, id_column=FACT_ID_COLUMNS.get(table))
            _check_on_land(gdf, self.land, path=path, id_column=FACT_ID_COLUMNS.get(table))
            self._facility_cache[table] = gdf
        return self._facility_cache[table].copy()

    # ---------------------------------------------------------------- network
    def network(self, source: str | None = None, *, local: bool = True, patches: list[str] | None = None,
                local_parameters: str | None = None) -> nx.MultiDiGraph:
        """The region's road graph (geoplan schema), cached in memory and on disk.

        Parameters
        ----------
        source
            ``"strategic"`` (default: the hand-authored trunk network in
            ``network/`` joined to the local-road model, see
            :mod:`geoplan.network.compose`), or a path to an OSM file
            (``.osm``, ``.osm.zip``, ``.osm.pbf`` where supported), read with osmnx.
        local, patches, local_parameters
            See :func:`geoplan.network.load.load_network`. A region whose manifest lists no
            ``landcover`` input has no local-road model (its trunk network alone).
        """
        from geoplan.network.load import load_network

        source = source or self.manifest.default_network
        if local and "landcover" not in self.manifest.inputs and not patches:
            # a region whose manifest has no land-cover grid has no local-road model:
            # its trunk network alone, points attached by straight access legs
            local = False
        key = (source, local, None if patches is None else tuple(patches), local_parameters)
        if key not in self._network_cache:
            self._network_cache[key] = load_network(
                source, region_folder=self.folder, land=self.land, boundary=self.boundary.geometry.iloc[0],
                landcover_path=input_path(self.manifest, "landcover") if (local and source == "strategic")
                else None, local=local, patches=patches, local_parameters=local_parameters)
        return self._network_cache[key]


def read_points_table(path: Path, *, id_column: str | None = None) -> gpd.GeoDataFrame:
    """Read a CSV with ``lon``/``lat`` (WGS84) columns into EPSG:25832 points.

    Raises
    ------
    InputError
        Missing file, missing ``lon``/``lat``, or values that are not numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", "check the path")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError as exc:
        raise InputError(path, "the file is empty", "write a header row and one row per place") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as CSV: {exc}", "save it as UTF-8 CSV with a header row") from exc
    df.columns = [c.strip() for c in df.columns]
    if len(df.columns) == 1 and ";" in df.columns[0]:
        raise InputError(path, "semicolon-separated (one column): geoplan reads comma-separated CSV",
                         "save it as CSV with commas between fields and a decimal point (10.2, not 10,2)")
    if df.empty:
        raise InputError(path, "the table has a header but no rows", "add one row per place")
    if id_column:
        if id_column not in df.columns:
            raise InputError(path, f"no column {id_column!r} (columns: {', '.join(df.columns)})",
                             f"add a unique {id_column} per row")
        blank = df[id_column].str.strip() == ""
        if blank.any():
            row = int(blank.to_numpy().nonzero()[0][0]) + 2
            raise InputError(path, f"line {row}: {id_column} is blank", f"give every row a unique {id_column}")
    for col in ("lon", "lat"):
        if col not in df.columns:
            raise InputError(path, f"no column {col!r} (columns: {', '.join(df.columns)})",
                             "add lon and lat columns in WGS84 degrees")
    for col in ("lon", "lat"):
        num = pd.to_numeric(df[col].str.strip(), errors="coerce")
        bad = num.isna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 2
            raise InputError(path, f"line {row}: {col}={df[col].iloc[row - 2]!r} is not a number",
                             f"write {col} as decimal degrees (WGS84), e.g. 56.15")
        df[col] = num
    out_of_range = ((df["lon"].abs() > 180) | (df["lat"].abs() > 90)).to_numpy()
    if out_of_range.any():
        i = int(out_of_range.nonzero()[0][0])
        who = f" ({df[id_column].iloc[i]})" if id_column else ""
        metres = " (these look like projected metres, e.g. EPSG:25832)" if abs(df["lon"].iloc[i]) > 1000 else ""
        raise InputError(path, f"line {i + 2}{who}: lon={df['lon'].iloc[i]:g}, lat={df['lat'].iloc[i]:g} are not WGS84 "
                         f"degrees{metres}", "write lon and lat in WGS84 decimal degrees, lon first, e.g. 10.2,56.15")
    if id_column and df[id_column].duplicated().any():
        dup = df.loc[df[id_column].duplicated(), id_column].iloc[0]
        raise InputError(path, f"duplicate {id_column} {dup!r}", f"make {id_column} unique")
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326).to_crs(CRS)
    gdf["x"] = gdf.geometry.x
    gdf["y"] = gdf.geometry.y
    return gdf


def _check_required(gdf: gpd.GeoDataFrame, columns: tuple[str, ...], *, path: Path, id_column: str | None) -> None:
    """The columns a fact table is selected and labelled by: present, and no blank value; number columns."""
    for col in FACT_NUMBER_COLUMNS.get(path.stem, ()):
        if col in gdf.columns:
            text = gdf[col].astype(str).str.strip()
            bad = ((text != "") & pd.to_numeric(text, errors="coerce").isna()).to_numpy()
            if bad.any():
                i = int(bad.nonzero()[0][0])
                who = f" ({gdf[id_column].iloc[i]})" if id_column else ""
                raise InputError(path, f"line {i + 2}{who}: {col}={text.iloc[i]!r} is not a number",
                                 f"write {col} as a plain number (no thousands separator), or leave it empty")
    for col in columns:
        if col not in gdf.columns:
            raise InputError(path, f"no column {col!r} (columns: {', '.join(c for c in gdf.columns if c not in ('geometry', 'x', 'y'))})",
                             f"add a {col} column (see the shipped table of the same name)")
        blank = (gdf[col].astype(str).str.strip() == "").to_numpy()
        if blank.any():
            i = int(blank.nonzero()[0][0])
            who = f" ({gdf[id_column].iloc[i]})" if id_column else ""
            raise InputError(path, f"line {i + 2}{who}: {col} is blank",
                             f"give every row a {col}" + (" (rows are selected by kind)" if col == "kind" else ""))


def _check_on_land(gdf: gpd.GeoDataFrame, land: shapely.Geometry, *, path: Path, id_column: str | None,
                   tolerance_m: float = 5000.0) -> None:
    """Every point of a fact table on (or near) the country's land: lon/lat swapped, a wrong sign or a
    place abroad is an error naming the line, not a far-away snap later."""
    shapely.prepare(land)
    near = shapely.dwithin(land, gdf.geometry.to_numpy(), tolerance_m)
    if not near.all():
        i = int(np.flatnonzero(~near)[0])
        who = f" ({gdf[id_column].iloc[i]})" if id_column else ""
        km = float(shapely.distance(land, gdf.geometry.iloc[i])) / 1000
        raise InputError(path, f"line {i + 2}{who}: lon={gdf['lon'].iloc[i]:g}, lat={gdf['lat'].iloc[i]:g} lies "
                         f"{km:,.0f} km from land (more than {tolerance_m / 1000:g} km off the coast)",
                         "check lon and lat (WGS84 decimal degrees, lon first, e.g. 10.2,56.15)")


def load_region(name: str = "midtjylland") -> Region:
    """Load a region by name: manifest, boundary, municipalities and land mask.

    Population cells and the road network load lazily (``region.cells``,
    ``region.network()``).

    Raises
    ------
    RegionNotFoundError, DataMissingError, InputError
    """
    manifest = load_manifest(name)
    regions = _read_boundary_file(input_path(manifest, "regions"), fields=("REGIONKODE",))
    code_col = "REGIONKODE"
    regions[code_col] = regions[code_col].astype(str)
    mine = regions[regions[code_col] == manifest.region_code]
    if mine.empty:
        raise InputError(input_path(manifest, "regions"), f"no feature with REGIONKODE {manifest.region_code}",
                         "check region_code in region.toml")
    boundary = gpd.GeoDataFrame({"name": [manifest.title_da]},
                                geometry=[shapely.union_all(mine.geometry.to_numpy())], crs=CRS)
    land = shapely.union_all(regions.geometry.to_numpy())

    kom = _read_boundary_file(input_path(manifest, "municipalities"), fields=("KOMKODE", "KOMNAVN"))
    kom["KOMKODE"] = kom["KOMKODE"].astype(str).str.zfill(4)
    kom = kom[kom["KOMKODE"].isin(manifest.municipalities)]
    missing = sorted(set(manifest.municipalities) - set(kom["KOMKODE"]))
    if missing:
        raise InputError(input_path(manifest, "municipalities"), f"municipality codes {missing} not found",
                         "check the municipalities list in region.toml")
    _check_same_place(boundary, kom, regions_file=input_path(manifest, "regions"),
                      municipalities_file=input_path(manifest, "municipalities"))
    munis = kom.dissolve("KOMKODE", aggfunc="first", as_index=False).rename(
        columns={"KOMKODE": "kode", "KOMNAVN": "navn"})[["kode", "navn", "geometry"]]

    totals_path = input_path(manifest, "municipality_totals")
    totals = _read_totals(totals_path)
    munis = munis.merge(totals[["kode", "pop", "over65"]].rename(columns={"over65": "over65_pct"}),
                        on="kode", how="left")
    if munis["pop"].isna().any():
        lack = munis.loc[munis["pop"].isna(), "kode"].tolist()
        raise InputError(totals_path, f"no population for municipality codes {lack}", "add a row per code")
    munis = munis.sort_values("kode").reset_index(drop=True)
    return Region(manifest=manifest, boundary=boundary, municipalities=gpd.GeoDataFrame(munis, crs=CRS), land=land)


def _check_same_place(boundary: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame, *, regions_file: Path,
                      municipalities_file: Path) -> None:
    """The region polygon and its municipalities overlap (bounding boxes): a file with a wrong or missing
    coordinate reference system puts one of them elsewhere on Earth."""
    a, b = boundary.total_bounds, municipalities.total_bounds
    if a[0] > b[2] or b[0] > a[2] or a[1] > b[3] or b[1] > a[3]:
        raise InputError(regions_file, f"the region polygon does not overlap the region's municipalities of "
                         f"{municipalities_file.name}: one of the two files has a wrong coordinate reference system",
                         "use the DAGI GeoJSON files as published (WGS84 lon/lat, no other 'crs' member)")


def _read_totals(path: Path) -> pd.DataFrame:
    """The municipality totals table (kode, pop, over65): one row per code, numbers where numbers belong."""
    try:
        totals = pd.read_csv(path, dtype={"kode": str}, encoding="utf-8")
    except pd.errors.EmptyDataError as exc:
        raise InputError(path, "the file is empty", "expected columns kode,pop,over65,under15 and a row per "
                         "municipality") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as CSV: {exc}", "save it as UTF-8 CSV with a header row") from exc
    for col in ("kode", "pop", "over65"):
        if col not in totals.columns:
            raise InputError(path, f"no column {col!r}", "expected columns kode,pop,over65,under15")
    if totals.empty:
        raise InputError(path, "the table has a header but no rows", "add a row per municipality")
    totals["kode"] = totals["kode"].astype(str).str.strip().str.zfill(4)
    dup = totals["kode"][totals["kode"].duplicated()]
    if not dup.empty:
        raise InputError(path, f"kode {dup.iloc[0]!r} appears twice", "keep one row per municipality")
    for col in ("pop", "over65"):
        num = pd.to_numeric(totals[col], errors="coerce")
        bad = ~np.isfinite(num.to_numpy(dtype="float64")) | (num.to_numpy(dtype="float64") < 0)
        if col == "over65":
            bad |= num.to_numpy(dtype="float64") > 100
        if bad.any():
            i = int(bad.nonzero()[0][0])
            raise InputError(path, f"line {i + 2}: {col}={plain(totals[col].iloc[i])} is not a valid number",
                             f"write {col} as a number" + (" (percent, 0-100)" if col == "over65" else " >= 0"))
        totals[col] = num
    return totals


# --------------------------------------------------------------------- helpers
def _read_cells_cache(path: Path) -> gpd.GeoDataFrame:
    cells = gpd.read_parquet(path).set_crs(CRS, allow_override=True)
    missing = {"cell_id", "kode", "pop", "pop65", "x", "y"} - set(cells.columns)
    if missing or cells.empty:
        raise ValueError(f"columns {sorted(missing)} missing" if missing else "no rows")
    return cells


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        st = Path(p).stat()
        # size + mtime + name: cheap; contents hashed for small files only
        h.update(f"{Path(p).name}:{st.st_size}".encode())
        h.update(datadir.file_digest(p).encode() if st.st_size < 50_000_000 else str(st.st_mtime_ns).encode())
    return h.hexdigest()


def _hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` then move the temp file onto ``path``."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    tmp.replace(path)
    return path
