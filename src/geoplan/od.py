"""Origin–destination tables between named places (``geoplan od``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.errors import InputError
from geoplan.region import Region
from geoplan.routing import (
    AccessModel,
    CompiledGraph,
    check_points_on_land,
    points_from_lonlat,
    travel_time_matrix,
)

POINT_COLUMNS = ("name", "lon", "lat")


def read_points_csv(path: str | Path) -> pd.DataFrame:
    """Read a ``name,lon,lat`` CSV (WGS84) with clear errors.

    Raises
    ------
    InputError
        Missing file or column, empty file, non-numeric or out-of-range
        coordinates, duplicate or empty names.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder, not a CSV file", "give the path to a CSV with columns name,lon,lat")
    if not path.is_file():
        raise InputError(path, "file not found", "give the path to a CSV with columns name,lon,lat")
    import csv
    import io
    import warnings

    from geoplan.csvtext import csv_text, first_ragged_line

    text = csv_text(path, save_fix="save it as CSV (UTF-8, comma-separated) with columns name,lon,lat")
    first = next((ln for ln in text.splitlines() if ln.strip()), None)
    header = [h.strip().lower() for h in next(csv.reader([first]))] if first is not None else []
    dup = sorted({h for h in header if h in POINT_COLUMNS and header.count(h) > 1})
    if dup:
        raise InputError(path, f"line 1: column {dup[0]!r} appears twice in the header",
                         "keep one column of each name: name,lon,lat")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)   # a line with more fields than the header
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                             index_col=False)
    except pd.errors.EmptyDataError as exc:
        raise InputError(path, "the file is empty", "write a header row name,lon,lat and one row per place") from exc
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        if len(header) == 1 and first is not None and ";" in first:
            raise InputError(path, "semicolon-separated (one column): geoplan reads comma-separated CSV",
                             "save it with commas between fields and a decimal point: name,lon,lat / "
                             "Aarhus,10.2,56.15") from None
        bad = first_ragged_line(text, len(header))
        msg = f"line {bad[0]} has {bad[1]} fields, the header {len(header)}" if bad else str(exc).strip()
        raise InputError(path, f"cannot be read as CSV: {msg}", "give every line the fields name,lon,lat; quote "
                         "a name that contains a comma and write decimals with a point") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    if len(df.columns) == 1 and ";" in df.columns[0]:
        raise InputError(path, "semicolon-separated (one column): geoplan reads comma-separated CSV",
                         "save it with commas between fields and a decimal point: name,lon,lat / Aarhus,10.2,56.15")
    missing = [c for c in POINT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)} (found: {', '.join(df.columns)})",
                         "the header must be name,lon,lat (WGS84 degrees)")
    if df.empty:
        raise InputError(path, "no rows", "add one row per place: name,lon,lat")
    df = df[list(POINT_COLUMNS)].copy()
    df["name"] = df["name"].str.strip()
    if (df["name"] == "").any():
        line = int(np.flatnonzero(df["name"] == "")[0]) + 2
        raise InputError(path, f"line {line}: empty name", "give every place a name")
    dup = df["name"][df["name"].duplicated()]
    if len(dup):
        raise InputError(path, f"duplicate name {dup.iloc[0]!r}", "names must be unique")
    for col, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
        num = pd.to_numeric(df[col].str.strip(), errors="coerce")
        bad = num.isna() | (num < lo) | (num > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(path, f"line {i + 2} ({df['name'].iloc[i]}): {col}={df[col].iloc[i]!r} is not a valid "
                             "WGS84 coordinate", f"write {col} in decimal degrees, e.g. lon 10.2, lat 56.15")
        df[col] = num
    return df.reset_index(drop=True)


def od_table(
    region: Region,
    compiled: CompiledGraph,
    points: pd.DataFrame,
    *,
    to: pd.DataFrame | None = None,
    access: AccessModel | None = None,
    points_file=None,
    to_file=None,
) -> pd.DataFrame:
    """Drive times between places.

    Parameters
    ----------
    region
        Gives the land mask (points in the sea are refused).
    compiled
        Compiled road graph with landmasses.
    points
        ``name, lon, lat``.
    to
        Second set of places; ``None``: all ordered pairs of ``points``
        (without a place to itself).

    Returns
    -------
    pandas.DataFrame
        ``from, to, minutes, km`` (rounded to 0.1), in input order.
    """
    a_xy = points_from_lonlat(points["lon"], points["lat"])
    check_points_on_land(a_xy, region.land, names=list(points["name"]), file=points_file)
    if to is None:
        if len(points) < 2:
            raise InputError(points_file, f"only one place ({points['name'].iloc[0]}): there is no pair to time",
                             "add a second place, or give --to POINTS2.csv")
        b, b_xy, b_file = points, a_xy, points_file
    else:
        b = to
        b_xy = points_from_lonlat(to["lon"], to["lat"])
        check_points_on_land(b_xy, region.land, names=list(to["name"]), file=to_file)
        b_file = to_file
    m = travel_time_matrix(compiled, origins_xy=a_xy, destinations_xy=b_xy, origin_ids=points["name"].to_numpy(),
                           destination_ids=b["name"].to_numpy(), access=access, with_km=True,
                           origins_file=points_file, destinations_file=b_file, description="OD travel times")
    ii, jj = np.meshgrid(np.arange(len(points)), np.arange(len(b)), indexing="ij")
    i, j = ii.ravel(), jj.ravel()
    assert m.km is not None
    if to is None:
        keep = i != j
        i, j = i[keep], j[keep]
    out = pd.DataFrame({
        "from": points["name"].to_numpy()[i],
        "to": b["name"].to_numpy()[j],
        "minutes": np.round(m.minutes[i, j].astype("float64"), 1),
        "km": np.round(m.km[i, j].astype("float64"), 1),
    })
    return out
