"""One Excel workbook per run: a sheet per table and a "Forklaring" sheet.

:func:`write_workbook` takes named tables (DataFrames) and writes one
``.xlsx`` with openpyxl:

- a sheet per table, headings from the data dictionary (Danish or English),
  the header row frozen and filterable, column widths fitted to the content,
  number formats with units (``12,3 min``, ``45,6%``, ``12.345``);
- codes and ids (municipality code, postcode, site and cell ids) stored as
  text, zero-padded where the dictionary says so (``0615``), so Excel never
  turns them into numbers;
- totals never inside the data: given separately (or split off with
  :func:`split_total`), they are written below the table after an empty row,
  bold, labelled "I alt"/"Total", outside the filter range, so summing a
  column of the data does not count anybody twice;
- a "Forklaring" sheet: every column of every sheet with its heading, its
  meaning in Danish and English and its unit (from
  :mod:`geoplan.output.dictionary`).

The file is byte-identical run to run: the document properties' created and
modified times are fixed to :data:`FIXED_TIMESTAMP` and every zip entry gets
the same date (1980-01-01), so the workbook changes only when the data does.

Limits: values only (no formulas, charts or conditional formats); infinite
values are written as the text "ikke nåbar"/"unreachable", NaN as an empty
cell; a sheet holds at most 1,048,575 data rows (Excel's limit).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geoplan.errors import GeoplanError
from geoplan.i18n import check_lang, t
from geoplan.output.dictionary import ColumnInfo, DataDictionary, load_dictionary

__all__ = [
    "FIXED_TIMESTAMP",
    "WorkbookError",
    "sheet_name",
    "split_total",
    "write_workbook",
]

#: Created/modified time written into every workbook (docProps/core.xml).
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_MAX_ROWS = 1_048_575
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = "FFE8EEF4"
_TOTAL_FILL = "FFF2F2F2"


class WorkbookError(GeoplanError):
    """A workbook cannot be written as asked (no tables, too many rows, bad totals)."""


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of ``[]:*?/\\``) for ``name``.

    File suffixes (``.csv``, ``.gpkg``) are dropped; a name already in
    ``taken`` (case-insensitively, as Excel compares) gets ``~2``, ``~3`` ….
    """
    stem = re.sub(r"\.(csv|gpkg|parquet|json)$", "", str(name))
    base = _BAD_SHEET_CHARS.sub("_", stem).strip("'") or "Sheet"
    used = {s.lower() for s in taken}
    cand = base[:31]
    k = 2
    while cand.lower() in used:
        suffix = f"~{k}"
        cand = base[: 31 - len(suffix)] + suffix
        k += 1
    return cand


def split_total(
    df: pd.DataFrame, *, code_column: str = "kode"
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split the region total rows (empty ``code_column``) off a table.

    geoplan's CSVs of today end each group with a region row whose code is
    empty. Returns ``(data, totals)``; ``totals`` is ``None`` when there are
    none. A table without ``code_column`` is returned unchanged.
    """
    if code_column not in df.columns:
        return df, None
    code = df[code_column]
    empty = code.isna() | (code.astype(str).str.strip() == "")
    if not empty.any():
        return df, None
    return df.loc[~empty].reset_index(drop=True), df.loc[empty].reset_index(drop=True)


# ----------------------------------------------------------------------------- values


def _cell_value(v: Any, info: ColumnInfo | None, lang: str) -> Any:
    """A value openpyxl can store faithfully (codes as text, no inf/NaN)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if info is not None and info.is_code:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v)
        if info.pad and s.isdigit() and len(s) < info.pad:
            s = s.zfill(info.pad)
        return s
    if isinstance(v, bool):
        return v
    if isinstance(v, Integral):
        return int(v)
    if isinstance(v, Real):
        x = float(v)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return t("value.unreachable", lang)
        return x
    if isinstance(v, dt.datetime | dt.date):
        return v
    return str(v)


def _display_width(v: Any, fmt: str) -> int:
    """Roughly how many characters Excel shows for ``v`` in format ``fmt``."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 5
    if isinstance(v, int | float) and not isinstance(v, bool):
        x = float(v)
        if fmt.endswith("%"):
            return len(f"{100 * x:,.1f}") + 2
        m = re.match(r'0(?:\.(0+))?(?: "(.*)")?$', fmt)
        if m:
            digits = len(m.group(1) or "")
            return len(f"{x:,.{digits}f}") + (len(m.group(2)) + 1 if m.group(2) else 0)
        if fmt == "#,##0":
            return len(f"{x:,.0f}")
        return len(f"{x:.6g}")
    return max((len(line) for line in str(v).splitlines()), default=0)


def _totals_frame(
    totals: pd.DataFrame | pd.Series | Mapping[str, Any] | None, columns: list[str], where: str
) -> pd.DataFrame | None:
    if totals is None:
        return None
    if isinstance(totals, pd.Series):
        frame = totals.to_frame().T
    elif isinstance(totals, pd.DataFrame):
        frame = totals
    else:
        frame = pd.DataFrame([dict(totals)])
    unknown = [c for c in frame.columns if c not in columns]
    if unknown:
        raise WorkbookError(
            f"totals of {where} name columns the table lacks: {', '.join(map(str, unknown))}"
        )
    return frame.reindex(columns=columns)


# ----------------------------------------------------------------------------- writer


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    totals: Mapping[str, pd.DataFrame | pd.Series | Mapping[str, Any]] | None = None,
    lang: str = "da",
    headings: Literal["label", "name"] = "label",
    dictionary: DataDictionary | None = None,
    freeze_first_column: bool = False,
    sheet_names: Mapping[str, str] | None = None,
) -> Path:
    """Write ``tables`` as one ``.xlsx`` workbook with a "Forklaring" sheet.

    Parameters
    ----------
    tables
        ``{name: DataFrame}`` in sheet order. The name is the table's file
        name (``acute_access_by_municipality.csv``) or a plain name; it becomes
        the sheet name (see :func:`sheet_name`) and selects file-specific
        dictionary entries. A ``geometry`` column is left out.
    path
        The ``.xlsx`` file; written atomically.
    totals
        ``{name: row(s)}``: total rows of a table (a DataFrame, Series or
        dict with some of its columns), written below the table after an
        empty row, bold and labelled "I alt"/"Total" in the first column. Do
        not leave them in the table; :func:`split_total` splits them off.
    lang
        Headings, labels and the explanation sheet's name: ``"da"`` or ``"en"``.
        The explanation gives both languages either way.
    headings
        ``"label"``: the dictionary's readable heading (column name when it has
        none); ``"name"``: the machine name as in the CSV.
    dictionary
        Default: the shipped data dictionary.
    freeze_first_column
        Freeze the first column too (wide tables with a name first).
    sheet_names
        ``{name: sheet title}`` for tables whose name is too long for a sheet
        (Excel allows 31 characters; others are cut, see :func:`sheet_name`).

    Raises
    ------
    WorkbookError
        No tables, a table beyond Excel's row limit, totals naming unknown columns.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    check_lang(lang)
    if not tables:
        raise WorkbookError("no tables to write")
    d = dictionary or load_dictionary()
    totals = dict(totals or {})
    unknown = sorted(set(totals) - set(tables))
    if unknown:
        raise WorkbookError(f"totals given for tables that are not written: {', '.join(unknown)}")

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    total_fill = PatternFill("solid", fgColor=_TOTAL_FILL)
    top_rule = Border(top=Side(style="medium", color="FF808080"))
    explain: list[tuple[str, str, str, ColumnInfo | None]] = []
    taken: list[str] = []

    for name, df in tables.items():
        if not isinstance(df, pd.DataFrame):
            raise WorkbookError(f"table {name!r} is not a DataFrame")
        frame = df.drop(columns=[c for c in df.columns if str(c) == "geometry"])
        if len(frame) > _MAX_ROWS:
            raise WorkbookError(
                f"table {name!r} has {len(frame):,} rows; Excel holds {_MAX_ROWS:,}"
            )
        columns = [str(c) for c in frame.columns]
        frame.columns = pd.Index(columns)
        title = sheet_name((sheet_names or {}).get(name, name), taken)
        taken.append(title)
        ws = wb.create_sheet(title)
        infos = [d.describe(c, file=name) for c in columns]
        fmts = [
            ("@" if i.is_code else i.xlsx_format) if i is not None else "General" for i in infos
        ]
        heads = [
            (i.label(lang) if (i is not None and headings == "label") else c)
            for c, i in zip(columns, infos, strict=True)
        ]
        widths = [min(len(h), 28) for h in heads]
        ws.append(heads)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in frame.itertuples(index=False, name=None):
            vals = [_cell_value(v, i, lang) for v, i in zip(row, infos, strict=True)]
            ws.append(vals)
            for k, v in enumerate(vals):
                widths[k] = max(widths[k], _display_width(v, fmts[k]))
        n = len(frame)
        for k, fmt in enumerate(fmts, start=1):
            letter = get_column_letter(k)
            if fmt != "General" and n:
                for (cell,) in ws.iter_rows(min_row=2, max_row=n + 1, min_col=k, max_col=k):
                    if (
                        fmt == "@"
                        or isinstance(cell.value, int | float)
                        and not isinstance(cell.value, bool)
                    ):
                        cell.number_format = fmt
            ws.column_dimensions[letter].width = float(min(max(widths[k - 1] + 2, 8), 60))

        tot = _totals_frame(totals.get(name), columns, repr(name))
        if tot is not None and len(tot):
            r0 = n + 3  # header, data, one empty row
            label = t("xlsx.total", lang)
            for r, row in enumerate(tot.itertuples(index=False, name=None)):
                vals = [_cell_value(v, i, lang) for v, i in zip(row, infos, strict=True)]
                first = vals[0]
                vals[0] = label if first in (None, "") else f"{label}: {first}"
                for k, v in enumerate(vals, start=1):
                    cell = ws.cell(row=r0 + r, column=k, value=v)
                    cell.font = bold
                    cell.fill = total_fill
                    if r == 0:
                        cell.border = top_rule
                    fmt = fmts[k - 1]
                    if k > 1 and fmt != "General" and (fmt == "@" or isinstance(v, int | float)):
                        cell.number_format = fmt
                    widths[k - 1] = max(widths[k - 1], _display_width(v, fmts[k - 1]))
            ws.column_dimensions["A"].width = float(min(max(widths[0] + 2, 8), 60))
        ws.freeze_panes = "B2" if freeze_first_column else "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n + 1}"
        for c, h, i in zip(columns, heads, infos, strict=True):
            explain.append((title, c, h, i))

    _explanation_sheet(wb, explain, lang, taken)
    wb.properties.creator = "geoplan"
    wb.properties.lastModifiedBy = None
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    buf = io.BytesIO()
    wb.save(buf)
    data = _deterministic_zip(buf.getvalue())
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, p)
    return p


def _explanation_sheet(
    wb: Any, rows: list[tuple[str, str, str, ColumnInfo | None]], lang: str, taken: list[str]
) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(sheet_name(t("xlsx.explanation_sheet", lang), taken))
    heads = [
        t("xlsx.col_sheet", lang),
        t("xlsx.col_column", lang),
        t("xlsx.col_label", lang),
        t("xlsx.col_meaning_da", lang),
        t("xlsx.col_meaning_en", lang),
        t("xlsx.col_unit", lang),
    ]
    ws.append(heads)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
    missing = t("xlsx.no_entry", lang)
    for sheet, col, head, info in rows:
        if info is None:
            ws.append([sheet, col, head, missing, missing, ""])
        else:
            ws.append(
                [sheet, col, head, info.meaning("da"), info.meaning("en"), info.unit_name(lang)]
            )
    ws.append([])
    ws.append([t("xlsx.total_note", lang)])
    ws.cell(row=ws.max_row, column=1).font = Font(italic=True)
    for letter, width in zip("ABCDEF", (24, 30, 28, 70, 70, 18), strict=True):
        ws.column_dimensions[letter].width = float(width)
    for row in ws.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=4, max_col=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _deterministic_zip(raw: bytes) -> bytes:
    """Re-pack an .xlsx with fixed entry dates and fixed core-property times."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)",
                    lambda m: m.group(1) + stamp + m.group(2),
                    text,
                )
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            zout.writestr(zi, data, compresslevel=6)
    return out.getvalue()
