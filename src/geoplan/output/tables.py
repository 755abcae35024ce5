"""The writer boundary for tables: readable CSVs without totals, one workbook, one data dictionary.

Step writers call ``out.csv(table, name)`` with the table as the step computed
it (short column names, region total rows with an empty ``kode`` at the end
of each group). :class:`RunFolder` turns that into what people and programs
read:

- ``name`` (UTF-8, comma): the data rows only, with the readable column names
  of the rename map (:func:`geoplan.output.dictionary.rename_columns`:
  ``amb_mean_h12`` → ``ambulance_mean_minutes_12h``, ``kode`` →
  ``municipality_code``), so summing a column never counts anybody twice;
- ``<stem>_total.csv``: the total rows, when the table has any;
- GeoPackage layers get the same readable names.

After the step writers :meth:`RunFolder.finish` writes ``tables.xlsx`` (a
sheet per table, totals in a separate marked row, codes as text, the
"Forklaring" sheet) and ``data_dictionary.csv`` (every column of every table
and layer written, meaning and unit in Danish and English).

The tables as the steps computed them stay available in
:attr:`RunFolder.computed` for the report (which shows totals as the last,
marked row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoplan.output.dictionary import rename_columns, write_data_dictionary
from geoplan.output.files import OutputFolder, add_gpkg_layer, write_csv, write_gpkg
from geoplan.output.xlsx import split_total, write_workbook

#: File names the run writes besides the step outputs.
WORKBOOK = "tables.xlsx"
DICTIONARY = "data_dictionary.csv"


def total_name(name: str) -> str:
    """``acute_access_by_municipality.csv`` → ``acute_access_by_municipality_total.csv``."""
    return f"{Path(name).stem}_total.csv"


@dataclass
class RunFolder(OutputFolder):
    """An :class:`~geoplan.output.files.OutputFolder` that writes tables for people and programs.

    Attributes
    ----------
    tables
        ``{file name: data rows with readable names}`` of every CSV, in writing order.
    totals
        ``{file name: total rows with readable names}`` of the CSVs that had totals.
    computed
        ``{file name: the table as the step gave it}`` (short names, totals inside).
    layers
        ``{file name: column names}`` of every GeoPackage written.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    totals: dict[str, pd.DataFrame] = field(default_factory=dict)
    computed: dict[str, pd.DataFrame] = field(default_factory=dict)
    layers: dict[str, list[str]] = field(default_factory=dict)
    float_digits: dict[str, int] = field(default_factory=dict)

    @classmethod
    def around(cls, out: OutputFolder) -> RunFolder:
        """``out`` itself when it is a RunFolder; else one sharing its path and ``written`` list."""
        return out if isinstance(out, RunFolder) else cls(out.path, out.written)

    def csv(self, df: pd.DataFrame, name: str, *, float_digits: int = 4) -> Path:
        self.computed[name] = df
        data, tot = split_total(df)
        data = rename_columns(data, file=name)
        path = write_csv(data, self.add(name), float_digits=float_digits)
        self.tables[name] = data
        self.float_digits[name] = float_digits
        if tot is not None:
            tot = rename_columns(tot, file=name)
            write_csv(tot, self.add(total_name(name)), float_digits=float_digits)
            self.totals[name] = tot
        return path

    def gpkg(self, gdf: gpd.GeoDataFrame, name: str, *, layer: str) -> Path:
        renamed = rename_columns(gdf, file=name)
        cols = self.layers.setdefault(name, [])
        cols.extend(str(c) for c in renamed.columns if c != "geometry" and c not in cols)
        return write_gpkg(renamed, self.add(name), layer=layer)

    def add_layer(self, gdf: gpd.GeoDataFrame, name: str, *, layer: str) -> Path:
        """Another layer in a GeoPackage of this folder (created when new)."""
        renamed = rename_columns(gdf, file=name)
        cols = self.layers.setdefault(name, [])
        cols.extend(str(c) for c in renamed.columns if c != "geometry" and c not in cols)
        path = self.path / name
        if name not in self.written:
            self.written.append(name)
        return add_gpkg_layer(renamed, path, layer=layer)

    def finish(self, *, lang: str) -> None:
        """Write ``tables.xlsx`` and ``data_dictionary.csv`` for everything written so far.

        Files the map writers put beside their HTML (the static ``.png``/``.pdf`` of each map)
        are recorded first, so ``written`` lists everything in the (staging) folder.
        """
        for p in sorted(self.path.iterdir()):
            if p.is_file() and not p.name.startswith(".") and p.name not in self.written:
                self.written.append(p.name)
        if self.tables:
            write_workbook(self.tables, self.add(WORKBOOK), totals=self.totals, lang=lang)
        described: dict[str, pd.DataFrame | list[str]] = {}
        for name, df in self.tables.items():
            described[name] = list(df.columns)
            if name in self.totals:
                described[total_name(name)] = list(self.totals[name].columns)
        for name, cols in self.layers.items():
            described[name] = cols
        if described:
            write_data_dictionary(described, self.add(DICTIONARY))


__all__ = ["DICTIONARY", "WORKBOOK", "RunFolder", "total_name"]
