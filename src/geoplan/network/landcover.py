"""Land cover shares on the Danish 1 km grid (SDFI classified grid, CORINE 2018).

The input is SDFI's ``1km_classified_grid_rev2.7z`` (github SDFIdk/t-rke_kvadratnet):
one GeoPackage of 1 km squares of the DKN grid (EPSG:25832) with the percentage
of each square that is ``urban``, ``forest``, ``agriculture``, ``nature`` and
``water`` (sea and lakes). :func:`load_landcover` unpacks it with ``py7zr``,
keeps the squares inside a box, and caches the result as a small ``.npz`` in
the cache folder, so that later runs read a few hundred kB instead of 41 MB.

Limits
------
CORINE's minimum mapping unit is 25 ha: villages and small woods vanish into
their surroundings; shares are per 1 km square, so anything finer than 1 km is
not seen.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geoplan.errors import InputError

#: The share columns of the SDFI grid, in the order of :attr:`LandcoverGrid.shares`.
CLASSES = ("urban", "forest", "agriculture", "nature", "water")
#: Edge of a grid square (m).
CELL_M = 1000.0


@dataclass(frozen=True)
class LandcoverGrid:
    """Land cover shares on a regular 1 km grid.

    Attributes
    ----------
    x0, y0
        Lower-left corner of square ``[0, 0]`` (EPSG:25832, m).
    shares
        ``(ny, nx, 5)`` float32 fractions (0–1) of :data:`CLASSES`; squares not
        in the input (outside Denmark's grid) are all-water.
    """

    x0: float
    y0: float
    shares: np.ndarray

    def at(self, xy: np.ndarray) -> np.ndarray:
        """Shares (m × 5) of the squares holding the points ``xy`` (m × 2); all-water outside."""
        xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
        ny, nx, _ = self.shares.shape
        ix = np.floor((xy[:, 0] - self.x0) / CELL_M).astype(np.int64)
        iy = np.floor((xy[:, 1] - self.y0) / CELL_M).astype(np.int64)
        inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        out = np.zeros((len(xy), len(CLASSES)), dtype=np.float32)
        out[:, CLASSES.index("water")] = 1.0
        out[inside] = self.shares[iy[inside], ix[inside]]
        return out


def _unpack_gpkg(archive: Path, tmp: Path) -> Path:
    try:
        import py7zr
    except ImportError as exc:  # pragma: no cover - a dependency of geoplan
        raise InputError(archive, "unpacking .7z needs the 'py7zr' package", "pip install py7zr") from exc
    try:
        with py7zr.SevenZipFile(archive, mode="r") as z:
            names = [n for n in z.getnames() if n.lower().endswith(".gpkg")]
            if not names:
                raise InputError(archive, "the archive holds no .gpkg file",
                                 "use SDFI's 1km_classified_grid_rev2.7z (github SDFIdk/t-rke_kvadratnet)")
            z.extract(path=tmp, targets=[names[0]])
    except py7zr.exceptions.Bad7zFile as exc:
        raise InputError(archive, f"not a valid 7z archive ({exc})", "download the file again") from exc
    return tmp / names[0]


def read_landcover_gpkg(gpkg: Path, *, bbox: tuple[float, float, float, float]) -> LandcoverGrid:
    """Read the SDFI grid GeoPackage inside ``bbox`` (EPSG:25832) into a :class:`LandcoverGrid`.

    Raises
    ------
    InputError
        A share column is missing.
    """
    import pyogrio
    import shapely

    df = pyogrio.read_dataframe(gpkg, bbox=bbox)
    missing = [c for c in CLASSES if c not in df.columns]
    if missing:
        raise InputError(gpkg, f"no column(s) {', '.join(missing)}", f"the grid needs columns {', '.join(CLASSES)}")
    b = shapely.bounds(df.geometry.to_numpy())
    x0 = float(np.floor(bbox[0] / CELL_M) * CELL_M)
    y0 = float(np.floor(bbox[1] / CELL_M) * CELL_M)
    nx = int(np.ceil((bbox[2] - x0) / CELL_M))
    ny = int(np.ceil((bbox[3] - y0) / CELL_M))
    shares = np.zeros((ny, nx, len(CLASSES)), dtype=np.float32)
    shares[:, :, CLASSES.index("water")] = 1.0
    ix = np.round((b[:, 0] - x0) / CELL_M).astype(np.int64)
    iy = np.round((b[:, 1] - y0) / CELL_M).astype(np.int64)
    ok = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    vals = np.nan_to_num(df[list(CLASSES)].to_numpy(dtype="float64"), nan=0.0) / 100.0
    vals = np.clip(vals, 0.0, 1.0)
    total = vals.sum(axis=1)
    # a few squares have no class at all: call them water
    empty = total <= 1e-9
    vals[empty, CLASSES.index("water")] = 1.0
    vals = vals / np.maximum(vals.sum(axis=1, keepdims=True), 1e-9)
    shares[iy[ok], ix[ok]] = vals[ok].astype(np.float32)
    return LandcoverGrid(x0=x0, y0=y0, shares=shares)


def load_landcover(archive: Path, *, bbox: tuple[float, float, float, float],
                   cache_dir: Path | None = None) -> LandcoverGrid:
    """The land cover grid inside ``bbox`` from SDFI's ``.7z`` (or an unpacked ``.gpkg``), cached.

    Parameters
    ----------
    archive
        ``1km_classified_grid_rev2.7z`` or the ``.gpkg`` inside it.
    bbox
        ``(xmin, ymin, xmax, ymax)`` in EPSG:25832.
    cache_dir
        Where to keep the clipped grid (``landcover-<hash>.npz``); ``None``: no cache.

    Raises
    ------
    InputError
        Missing or unreadable file.
    """
    from geoplan.datadir import file_digest

    archive = Path(archive)
    if not archive.is_file():
        raise InputError(archive, "land cover grid not found",
                         "get 1km_classified_grid_rev2.7z from github SDFIdk/t-rke_kvadratnet into the data directory")
    bbox = tuple(float(v) for v in bbox)  # type: ignore[assignment]
    key = hashlib.sha256((file_digest(archive) + repr(bbox) + "lc-v1").encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"landcover-{key}.npz" if cache_dir else None
    if cached is not None:
        from geoplan.cache import read_cache

        def _load(p: Path) -> LandcoverGrid:
            with np.load(p) as z:
                return LandcoverGrid(float(z["x0"]), float(z["y0"]), z["shares"])

        grid_cached = read_cache(cached, _load, what="land-cover grid")
        if grid_cached is not None:
            return grid_cached
    if archive.name.lower().endswith(".gpkg"):
        grid = read_landcover_gpkg(archive, bbox=bbox)
    else:
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            grid = read_landcover_gpkg(_unpack_gpkg(archive, Path(tmp)), bbox=bbox)
    if cached is not None:
        tmpf = cached.with_name(f".{cached.stem}.tmp.npz")
        np.savez_compressed(tmpf, x0=grid.x0, y0=grid.y0, shares=grid.shares)
        tmpf.replace(cached)
    return grid


__all__ = ["CELL_M", "CLASSES", "LandcoverGrid", "load_landcover", "read_landcover_gpkg"]
