"""Social position per municipality from Statistics Denmark's voting-area tables.

Reads the socio-economic export of Statistics Denmark's election database
(Valgdatabasen) for the 2024 European Parliament election: one row per voting area
(afstemningsområde), one column per count. The file is semicolon-separated, UTF-8
with a BOM, uses a decimal comma and ``-`` for none (read as 0). ``ValgstedId`` is the
municipality code without its leading zero (3 digits) followed by the area number
(3 digits): ``751001`` is area 001 of Aarhus (``"0751"``). Some counts are fractional
(Statistics Denmark spreads persons of areas that were redrawn); sums are kept as floats.

Indicators
----------
Which columns make each indicator is data, not code: ``src/geoplan/measures/
socioeconomic_indicators.csv`` lists, per indicator, the columns summed into its
``value`` (a count) or into its ``numerator`` and ``denominator`` (a ratio ×
``scale``). Column names there omit the election prefix (``"EV2024 - "``): the reader
strips a leading ``<XX><year> - `` from the file's headers, so another election's export
with the same tables works too. The shipped definitions:

- ``households``: households (the income table's total).
- ``households_no_car``, ``no_car_share``: households without a car at their disposal;
  share of the households in the car table.
- ``low_income_households``, ``low_income_share``: households with a gross household
  income below 200,000 kr a year (the published bands "Under 100.000", "100.000 -
  149.999" and "150.000 - 199.999 kr"), count and share of all households. A fixed
  threshold, not a relative poverty line; about the gross income of one person on the
  full state pension. Students' households count as low-income too (Aarhus).
- ``basic_education_share``: persons aged 25-64 whose highest completed education is
  primary school (grundskole), over those aged 25-64 with a known education (the
  "Uoplyst" category, mostly immigrants' foreign education, is left out of both).
- ``early_retirement_per_1000``: recipients of early-retirement pension
  (førtidspension) per 1,000 persons aged 18-64 (the education table's age groups,
  all categories; the pension is paid from 18 to the state-pension age).
- ``mean_household_income_kr``: sum of gross household incomes / households.
- ``persons``: persons in the public-support table.

The **deprivation index** (:func:`deprivation_index`) is the mean of the z-scores of
the indicators flagged ``in_index`` (no car, low income, basic education, early
retirement), each standardised over the municipalities of the table (population
standard deviation, unweighted): 0 = the average municipality of the table, +1 = one
standard deviation more deprived. It is relative to the municipalities compared and
not comparable between tables of different municipality sets.

Limits
------
Counts per municipality are sums over its voting areas; the data have no geometry, so
the indicators cannot be put on population cells except as the municipality's value.
"No car" is not deprivation alone: city households without a car often have good
public transport. The year of each underlying table is that of the election export
(counts from the years before 2024).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.datadir import input_path, load_manifest
from geoplan.errors import InputError

__all__ = [
    "INDICATORS_FILE",
    "deprivation_by_municipality",
    "deprivation_index",
    "read_indicator_definitions",
    "read_voting_areas",
]

#: The indicator → columns table.
INDICATORS_FILE = Path(__file__).with_name("socioeconomic_indicators.csv")
#: Manifest key of the voting-area file.
MANIFEST_KEY = "socioeconomic"
ID_COLUMN = "ValgstedId"
_PREFIX = re.compile(r"^[A-ZÆØÅ]{2}\d{4} - ")
_PARTS = ("value", "numerator", "denominator")
_DEF_COLUMNS = ("indicator", "part", "column", "scale", "in_index", "definition", "source")


def _strip_prefix(name: str) -> str:
    return _PREFIX.sub("", name.strip())


def read_indicator_definitions(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check the indicator → columns table.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator``, ``part`` (``value``/``numerator``/``denominator``),
        ``column``, ``scale`` (float), ``in_index`` (bool), ``definition``, ``source``.

    Raises
    ------
    InputError
        Missing columns, unknown ``part``, an indicator mixing ``value`` with a ratio,
        a ratio without numerator or denominator, a ``scale``/``in_index`` that differs
        between the rows of one indicator, or a row without ``source``.
    """
    path = Path(path) if path is not None else INDICATORS_FILE
    if not path.is_file():
        raise InputError(path, "file not found", "restore src/geoplan/measures/socioeconomic_indicators.csv")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in _DEF_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {missing}", f"the header must be {','.join(_DEF_COLUMNS)}")
    bad = sorted(set(df["part"]) - set(_PARTS))
    if bad:
        raise InputError(path, f"column 'part' has values {bad}", f"use one of {', '.join(_PARTS)}")
    if (df["source"].str.strip() == "").any():
        rows = (df.index[df["source"].str.strip() == ""] + 2).tolist()
        raise InputError(path, f"rows {rows[:5]} have no source", "give the source of every row")
    try:
        df["scale"] = df["scale"].astype(float)
        df["in_index"] = df["in_index"].astype(int).astype(bool)
    except ValueError as exc:
        raise InputError(path, f"'scale' or 'in_index' is not numeric ({exc})",
                         "scale: a number (1, 1000); in_index: 0 or 1") from exc
    for ind, g in df.groupby("indicator", sort=False):
        parts = set(g["part"])
        if "value" in parts and len(parts) > 1:
            raise InputError(path, f"indicator {ind!r} mixes 'value' with a ratio",
                             "give either value rows or numerator and denominator rows")
        if "value" not in parts and parts != {"numerator", "denominator"}:
            raise InputError(path, f"indicator {ind!r} lacks a numerator or denominator",
                             "give both numerator and denominator rows")
        if g["scale"].nunique() > 1 or g["in_index"].nunique() > 1:
            raise InputError(path, f"indicator {ind!r} has different scale/in_index on its rows",
                             "use one scale and one in_index per indicator")
    return df


def _default_path() -> Path:
    return input_path(load_manifest("midtjylland"), MANIFEST_KEY)


def read_voting_areas(
    path: str | Path | None = None,
    *,
    municipalities: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read the voting-area file into numbers.

    Parameters
    ----------
    path
        The CSV (default: input ``socioeconomic`` of the Midtjylland manifest, in the
        data directory).
    municipalities
        Keep only these municipality codes (4 digits as text, ``"0751"``).
    columns
        Columns to read (names without the election prefix); default all count columns.

    Returns
    -------
    pandas.DataFrame
        ``valgsted_id`` (text), ``kode`` (4-digit text), ``area`` (3-digit text), then
        one float column per count (prefix stripped; ``-`` read as 0); sorted by
        ``valgsted_id``.

    Raises
    ------
    InputError
        Names the file, the column and the fix: not semicolon-separated, no
        ``ValgstedId``, a malformed or duplicated id, a missing column, a value that is
        not a number.
    """
    path = Path(path) if path is not None else _default_path()
    if not path.is_file():
        raise InputError(path, "file not found",
                         "give the Statistics Denmark voting-area export (socioeconomic/dst_ev2024_voting_areas.csv)")
    try:
        raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text ({exc})", "save the export as UTF-8 (with or without BOM)") from exc
    except pd.errors.ParserError as exc:
        raise InputError(path, f"cannot be read as a semicolon-separated file ({exc})",
                         "use the export as published: ';' between fields") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(path, "the file is empty", "use the export as published") from exc
    if raw.shape[1] < 2:
        raise InputError(path, f"only one column ({raw.columns[0][:60]!r}): the file is not semicolon-separated",
                         "use the export as published: ';' between fields, decimal comma")
    raw.columns = [_strip_prefix(c) for c in raw.columns]
    if ID_COLUMN not in raw.columns:
        raise InputError(path, f"no column {ID_COLUMN!r}",
                         "the file must be the Valgdatabasen voting-area export with its ValgstedId column")
    ids = raw[ID_COLUMN].str.strip()
    bad = ~ids.str.fullmatch(r"\d{4,6}")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, f"column {ID_COLUMN!r}, row {i + 2}: {ids.iloc[i]!r} is not a voting-area id",
                         "ValgstedId is the municipality code without leading zero + a 3-digit area number, e.g. 751001")
    dup = ids.duplicated()
    if dup.any():
        raise InputError(path, f"column {ID_COLUMN!r}: duplicated ids {sorted(set(ids[dup]))[:5]}",
                         "give each voting area once")
    kode = ids.str[:-3].str.zfill(4)
    keep = np.ones(len(raw), dtype=bool)
    if municipalities is not None:
        wanted = [str(k).zfill(4) for k in municipalities]
        keep = kode.isin(wanted).to_numpy()
        absent = sorted(set(wanted) - set(kode[keep]))
        if absent:
            raise InputError(path, f"no voting areas for municipalities {absent}",
                             "check the municipality codes (4 digits, e.g. 0751) or use the national export")
    id_like = {"Gruppe", ID_COLUMN, "KredsNr", "StorKredsNr", "LandsdelsNr"}
    wanted_cols = list(columns) if columns is not None else [c for c in raw.columns if c not in id_like]
    missing = [c for c in dict.fromkeys(wanted_cols) if c not in raw.columns]
    if missing:
        raise InputError(path, f"missing column {missing[0]!r}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                         "use the Valgdatabasen export with the tables listed in src/geoplan/measures/"
                         "socioeconomic_indicators.csv, or edit that file to the columns of your export")
    sub = raw.loc[keep, list(dict.fromkeys(wanted_cols))]
    out = {"valgsted_id": ids[keep].to_numpy(), "kode": kode[keep].to_numpy(),
           "area": ids[keep].str[-3:].to_numpy()}
    nums = {}
    for c in sub.columns:
        s = sub[c].str.strip()
        s = s.mask(s.isin(["-", ""]), "0").str.replace(",", ".", regex=False)
        num = pd.to_numeric(s, errors="coerce")
        if num.isna().any():
            i = int(np.flatnonzero(num.isna().to_numpy())[0])
            raise InputError(path, f"column {c!r}, voting area {out['valgsted_id'][i]}: "
                             f"{sub[c].iloc[i]!r} is not a number",
                             "numbers use a decimal comma and no thousands separator; '-' means none")
        nums[c] = num.to_numpy(dtype="float64")
    df = pd.concat([pd.DataFrame(out), pd.DataFrame(nums)], axis=1)
    return df.sort_values("valgsted_id", kind="stable").reset_index(drop=True)


def deprivation_index(table: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Mean of z-scores over the rows of ``table`` (higher = more deprived).

    Each column is standardised as ``(x − mean) / sd`` over the rows (population
    standard deviation, unweighted); a column without spread contributes 0.
    """
    z = []
    for c in columns:
        x = table[c].astype("float64")
        sd = float(x.std(ddof=0))
        z.append((x - x.mean()) / sd if sd > 0 else x * 0.0)
    return pd.concat(z, axis=1).mean(axis=1).rename("deprivation_index")


def deprivation_by_municipality(
    path: str | Path | None = None,
    *,
    municipalities: Sequence[str] | None = None,
    definitions: str | Path | None = None,
) -> pd.DataFrame:
    """Social-position indicators and the deprivation index per municipality.

    Parameters
    ----------
    path
        The voting-area CSV (default: the manifest's input in the data directory).
    municipalities
        Municipality codes to keep (default: the 19 of the Midtjylland manifest).
    definitions
        The indicator table (default :data:`INDICATORS_FILE`).

    Returns
    -------
    pandas.DataFrame
        One row per municipality, sorted: ``kode``, ``voting_areas``, then one column
        per indicator in the order of the definitions table, then
        ``deprivation_index``. See the module docstring for the definitions.
    """
    defs = read_indicator_definitions(definitions)
    if municipalities is None:
        municipalities = load_manifest("midtjylland").municipalities
    areas = read_voting_areas(path, municipalities=municipalities,
                              columns=list(dict.fromkeys(defs["column"])))
    sums = areas.drop(columns=["valgsted_id", "area"]).groupby("kode", sort=True).sum()
    out = pd.DataFrame(index=sums.index)
    out["voting_areas"] = areas.groupby("kode").size()
    in_index = []
    for ind, g in defs.groupby("indicator", sort=False):
        scale = float(g["scale"].iloc[0])
        if (g["part"] == "value").all():
            out[ind] = sums[list(g["column"])].sum(axis=1) * scale
        else:
            num = sums[list(g.loc[g["part"] == "numerator", "column"])].sum(axis=1)
            den = sums[list(g.loc[g["part"] == "denominator", "column"])].sum(axis=1)
            out[ind] = np.where(den > 0, num / den.where(den > 0, 1.0), np.nan) * scale
        if bool(g["in_index"].iloc[0]):
            in_index.append(str(ind))
    out["deprivation_index"] = deprivation_index(out, in_index)
    out.index.name = "kode"
    return out.reset_index()
