"""General practices (GP clinics) as supply for access, and GP access per cell and municipality.

:func:`read_facility_listing` reads ``facilities/gp_hospital_pharmacy_dk.csv``
(general practices, hospitals and pharmacies of Denmark, from public
sundhed.dk listings); :func:`read_gp_practices` keeps the general practices,
optionally inside a region; :func:`gp_access` runs a floating-catchment model
of cells against practices and summarises it per municipality.

Capacity
--------
Every practice gets ``capacity = 1``: no public list-size (patients per
practice) or doctors-per-practice data is at hand, so access counts practices,
not doctors. A practice with five doctors and a single-handed one weigh the
same; results are practices per inhabitant, not doctors per inhabitant.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.access.decay import GaussianDecay, StepDecay
from geoplan.access.fca import (
    EnhancedTwoStageFCA,
    FloatingCatchment,
    GravityAccess,
    TwoStageFCA,
)
from geoplan.errors import InputError

CRS = "EPSG:25832"
#: Manifest key of the listing in ``src/geoplan/regions/<name>/region.toml``.
MANIFEST_KEY = "gp_practices"
#: EntityTypeName values of the listing (spelling as in the file) → ``kind``.
KINDS = {"General Practitoner": "gp", "General Practitioner": "gp", "Hospital": "hospital",
         "Pharmacy": "pharmacy"}
CAPACITY_NOTE = "1 per practice: no public list-size or doctors-per-practice data at hand"
# Denmark with a margin (WGS84): a coordinate outside is a broken line, not a practice.
_LAT_RANGE = (54.4, 57.9)
_LON_RANGE = (7.9, 15.3)


def read_facility_listing(path: str | Path) -> gpd.GeoDataFrame:
    """Read the GP / hospital / pharmacy listing into points (EPSG:25832).

    The file's header is read first: its first field is the name column and its
    last three fields name the type, latitude and longitude columns (in the
    original: ``EntityName,EntityTypeName,lat,lon``). Some names contain
    commas (quoted or not), so every data line is split at its **last three**
    commas: what precedes them is the name (surrounding quotes and padding
    removed, ``""`` unescaped).

    Parameters
    ----------
    path
        The CSV file (UTF-8; a byte-order mark is accepted).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per line in file order: ``site_id`` (``"<kind>-<8 hex>"``, a hash
        of kind, name and coordinates, stable across runs and row order; a
        repeated identical line gets ``-2``, ``-3``), ``name``, ``kind``
        (``gp``, ``hospital``, ``pharmacy`` or ``other``), ``entity_type`` (as
        written), ``lat``, ``lon``, ``x``, ``y`` and point ``geometry``.

    Raises
    ------
    InputError
        Missing file, not UTF-8, unexpected header, a line with fewer than four
        fields, a coordinate that is not a number or lies outside Denmark, an
        empty name — naming the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found",
                         "copy facilities/gp_hospital_pharmacy_dk.csv into the data directory "
                         "(see src/geoplan/regions/midtjylland/region.toml)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, f"line {bad_line}: not UTF-8 text", "save the file as UTF-8") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(path, "the file is empty (no header)", "expected a header EntityName,EntityTypeName,lat,lon")
    header = [h.strip().strip('"').strip() for h in lines[0].split(",")]
    lower = [h.lower() for h in header]
    if len(header) != 4 or lower[2:] != ["lat", "lon"] or not lower[1].endswith("typename"):
        raise InputError(path, f"line 1: header {lines[0]!r} is not EntityName,EntityTypeName,lat,lon",
                         "give the header EntityName,EntityTypeName,lat,lon (name first; type, lat, lon last)")
    names: list[str] = []
    types: list[str] = []
    lat = np.empty(len(lines) - 1)
    lon = np.empty(len(lines) - 1)
    n = 0
    for k, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.rsplit(",", 3)
        if len(parts) != 4:
            raise InputError(path, f"line {k}: {len(parts)} field(s), expected name,type,lat,lon",
                             "every line needs a name, a type, a latitude and a longitude")
        name = _unquote(parts[0])
        kind = _unquote(parts[1])
        if not name:
            raise InputError(path, f"line {k}: empty {header[0]}", "give every entity a name")
        try:
            la, lo = float(parts[2]), float(parts[3])
        except ValueError:
            raise InputError(path, f"line {k}: lat={parts[2].strip()!r}, lon={parts[3].strip()!r} "
                             "are not numbers", "write decimal degrees, e.g. 56.15,10.2") from None
        if not (_LAT_RANGE[0] <= la <= _LAT_RANGE[1] and _LON_RANGE[0] <= lo <= _LON_RANGE[1]):
            raise InputError(path, f"line {k}: lat={la}, lon={lo} is outside Denmark",
                             "check the coordinates (lat first, then lon, WGS84 degrees)")
        names.append(name)
        types.append(kind)
        lat[n], lon[n] = la, lo
        n += 1
    if n == 0:
        raise InputError(path, "no data lines after the header", "add one line per entity")
    lat, lon = lat[:n], lon[:n]
    kinds = [KINDS.get(t, "other") for t in types]
    ids = _stable_ids(kinds, names, lat, lon)
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(CRS)
    gdf = gpd.GeoDataFrame({"site_id": ids, "name": names, "kind": kinds, "entity_type": types,
                            "lat": lat, "lon": lon, "x": pts.x.to_numpy(), "y": pts.y.to_numpy()},
                           geometry=pts.to_numpy(), crs=CRS)
    gdf.attrs["source"] = str(path)
    return gdf


def read_gp_practices(path: str | Path | None = None, *, region: Any = None, within: Any = None,
                      buffer_m: float = 0.0) -> gpd.GeoDataFrame:
    """The general practices of the listing, as access supply (EPSG:25832).

    Parameters
    ----------
    path
        The listing CSV. Default: the ``gp_practices`` input of the region's
        manifest (``region`` required then).
    region
        A :class:`geoplan.region.Region` or a region name: locates the file when
        ``path`` is ``None`` and, unless ``within`` is given, supplies the
        boundary to filter by.
    within
        Polygon(s) in EPSG:25832 (shapely geometry, GeoSeries or GeoDataFrame):
        keep practices inside (boundary included). ``None`` with no ``region``:
        the whole country.
    buffer_m
        Grow the polygon by this many metres first (the 1:500k boundary cuts
        some coastal addresses; practices just across a border also serve
        border cells).

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name``, ``kind`` (``"gp"``), ``capacity`` (1.0 per practice:
        see the module note; ``attrs["capacity_note"]`` says so), ``lat``,
        ``lon``, ``x``, ``y``, ``geometry``; file order.
    """
    reg = _region(region)
    if path is None:
        if reg is None:
            raise InputError(None, "no listing path and no region given",
                             "pass path=... or region='midtjylland'")
        from geoplan.datadir import input_path

        path = input_path(reg.manifest, MANIFEST_KEY)
    listing = read_facility_listing(path)
    gp = listing[listing["kind"] == "gp"].drop(columns=["entity_type"])
    if within is None and reg is not None:
        within = reg.boundary
    if within is not None:
        poly = _union(within)
        if buffer_m:
            poly = poly.buffer(float(buffer_m))
        gp = gp[gp.geometry.covered_by(poly)]
    gp = gp.reset_index(drop=True)
    gp.insert(3, "capacity", 1.0)
    gp.attrs["capacity_note"] = CAPACITY_NOTE
    gp.attrs["source"] = listing.attrs["source"]
    return gp


# ----------------------------------------------------------------- GP access
@dataclass
class GPAccess:
    """Result of :func:`gp_access`.

    Attributes
    ----------
    cells
        One row per cell: ``cell_id``, the group columns, ``pop``,
        ``sites_in_reach``, ``access`` (practices per inhabitant; NaN = no
        practice in reach), ``access_norm`` (1 = regional mean),
        ``per_1000`` (access × 1000, 0 where no practice is in reach).
    groups
        One row per municipality (or other group): ``pop``, ``mean_access``
        and ``mean_per_1000`` (population-weighted, no practice in reach
        counting 0), ``mean_norm``, ``zero_access_share`` (share of population
        with access 0 or no practice in reach), ``zero_access_pop``.
    model
        The solved model.
    """

    cells: pd.DataFrame
    groups: pd.DataFrame
    model: FloatingCatchment


def gp_access(cells: pd.DataFrame, practices: pd.DataFrame, matrix: Any, *, method: str = "2sfca",
              max_minutes: float | None = 15.0, weights: Any = None, gaussian_width: float | None = None,
              beta: float = 1.0, min_minutes: float = 1.0, competition: bool = True,
              cell_id: str = "cell_id", population: str = "pop", group_by: str | list[str] = "kode",
              ) -> GPAccess:
    """Floating-catchment access of population cells to general practices.

    Parameters
    ----------
    cells
        Demand: ``cell_id``, ``pop`` and the ``group_by`` column(s) (e.g.
        ``region.cells``: ``kode``, ``navn``).
    practices
        Supply: ``site_id`` and ``capacity`` (:func:`read_gp_practices`).
    matrix
        Travel times cells × practices: a :class:`~geoplan.routing.TravelTimeMatrix`
        (origins = cell ids, destinations = site ids) or a long frame. It
        must be computed with a cutoff of at least ``max_minutes``.
    method
        ``"2sfca"``, ``"e2sfca"`` (``weights`` steps or ``gaussian_width``) or
        ``"gravity"`` (``beta``, ``min_minutes``, ``competition``).
    max_minutes
        Catchment in minutes (``None``: every reachable pair).
    group_by
        Column(s) of ``cells`` to summarise by.

    Returns
    -------
    GPAccess
    """
    if method == "2sfca":
        model: FloatingCatchment = TwoStageFCA.from_cost_matrix(
            matrix, demand=cells.set_index(cell_id)[population],
            supply=practices.set_index("site_id")["capacity"], max_minutes=max_minutes)
    elif method == "e2sfca":
        decay: StepDecay | GaussianDecay | None = weights
        model = EnhancedTwoStageFCA.from_cost_matrix(
            matrix, demand=cells.set_index(cell_id)[population],
            supply=practices.set_index("site_id")["capacity"], max_minutes=max_minutes,
            weights=decay, gaussian_width=gaussian_width)
    elif method == "gravity":
        model = GravityAccess.from_cost_matrix(
            matrix, demand=cells.set_index(cell_id)[population],
            supply=practices.set_index("site_id")["capacity"], beta=beta, min_minutes=min_minutes,
            max_minutes=max_minutes, competition=competition)
    else:
        raise InputError(None, f"unknown access method {method!r}", "use 2sfca, e2sfca or gravity")
    model.solve()
    keys = [group_by] if isinstance(group_by, str) else list(group_by)
    res = model.access
    out = cells[[cell_id, *[k for k in keys if k != cell_id]]].copy()
    out["pop"] = res["weight"].to_numpy()
    out["sites_in_reach"] = res["sites_in_reach"].to_numpy()
    out["access"] = res["access"].to_numpy()
    out["access_norm"] = res["access_norm"].to_numpy()
    out["per_1000"] = np.nan_to_num(out["access"].to_numpy() * 1000.0, nan=0.0, posinf=np.inf)
    groups = summarise_access(out, keys=keys)
    return GPAccess(cells=out.reset_index(drop=True), groups=groups, model=model)


def summarise_access(cells: pd.DataFrame, *, keys: list[str], population: str = "pop") -> pd.DataFrame:
    """Population-weighted access per group (see :class:`GPAccess` ``groups``).

    No practice in reach (``NaN``) counts as 0 access; zero-population cells
    (whose access may be ``inf``, see :mod:`geoplan.access.fca`) weigh nothing.
    """
    rows = []
    for key, g in cells.groupby(keys, sort=True):
        w = g[population].to_numpy(dtype=np.float64)
        a = np.nan_to_num(g["access"].to_numpy(dtype=np.float64), nan=0.0)
        an = np.nan_to_num(g["access_norm"].to_numpy(dtype=np.float64), nan=0.0)
        pos = w > 0
        tot = float(w.sum())
        zero = float(w[pos & (a == 0)].sum())
        mean = float((a[pos] * w[pos]).sum() / tot) if tot else math.nan
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                     "pop": tot, "mean_access": mean, "mean_per_1000": mean * 1000.0,
                     "mean_norm": float((an[pos] * w[pos]).sum() / tot) if tot else math.nan,
                     "zero_access_pop": zero, "zero_access_share": zero / tot if tot else math.nan})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- helpers
def _unquote(field: str) -> str:
    s = field.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1].replace('""', '"')
    return s.strip()


def _stable_ids(kinds: list[str], names: list[str], lat: np.ndarray, lon: np.ndarray) -> list[str]:
    seen: dict[str, int] = {}
    ids: list[str] = []
    for kind, name, la, lo in zip(kinds, names, lat, lon, strict=True):
        h = hashlib.sha1(f"{kind}|{name}|{la:.7f}|{lo:.7f}".encode()).hexdigest()[:8]
        base = f"{kind}-{h}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _region(region: Any) -> Any:
    if region is None or not isinstance(region, str):
        return region
    from geoplan.region import load_region

    return load_region(region)


def _union(within: Any) -> Any:
    import shapely

    if isinstance(within, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = within.to_crs(CRS).geometry.to_numpy() if within.crs is not None else within.geometry.to_numpy()
        return shapely.union_all(geoms)
    return within


__all__ = [
    "CAPACITY_NOTE",
    "GPAccess",
    "gp_access",
    "read_facility_listing",
    "read_gp_practices",
    "summarise_access",
]
