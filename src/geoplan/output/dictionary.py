"""The data dictionary: what every output column means, in Danish and English, and its unit.

The entries live in ``columns.toml`` beside this module: plain names
(``population``) and patterns with placeholders (``share_within_{T}min``,
``ambulance_mean_minutes_{hh}h``, ``target_{target}_share_{hh}h``). The same
file holds the proposed **rename map** from today's short names to readable
ones (``alb_mean_h12`` → ``physician_car_mean_minutes_12h``); an old name is
described by the entry of its new name, so the dictionary covers the files as
written today and after the rename.

Typical use::

    d = load_dictionary()
    d.describe("share_within_30").meaning("da")
    d.missing(["kode", "mystery"])            # -> ["mystery"]
    write_data_dictionary({"acute_access_by_municipality.csv": table}, out / "data_dictionary.csv")

Limits: a column name means one thing per file; where one name means two
things in different files (``status`` of a house versus of the solver), a
``[rename_in."glob"]`` section tells them apart by file name. Placeholders
match the forms geoplan writes (minutes ``15`` or ``7_5``, hours ``03``).
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import io
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan.errors import GeoplanError
from geoplan.i18n import check_lang

__all__ = [
    "DICTIONARY_COLUMNS",
    "ColumnInfo",
    "DataDictionary",
    "DictionaryError",
    "load_dictionary",
    "missing_columns",
    "rename_columns",
    "write_data_dictionary",
]

#: Columns of ``data_dictionary.csv``.
DICTIONARY_COLUMNS = (
    "file",
    "column",
    "label_da",
    "label_en",
    "meaning_da",
    "meaning_en",
    "unit",
    "unit_da",
    "unit_en",
    "readable_name",
)

_FIELD = re.compile(r"\{(\w+)\}")


class DictionaryError(GeoplanError):
    """The data dictionary file is malformed, or columns lack an entry where one is required."""


@dataclass(frozen=True)
class ColumnInfo:
    """What one column means.

    ``name`` is the entry's (readable) column name with placeholders filled
    in; ``column`` the name asked about (equal unless it was renamed).
    """

    column: str
    name: str
    entry: str
    unit: str
    labels: Mapping[str, str]
    meanings: Mapping[str, str]
    unit_names: Mapping[str, str]
    xlsx_format: str
    pad: int | None = None

    def label(self, lang: str = "da") -> str:
        return self.labels[check_lang(lang)]

    def meaning(self, lang: str = "da") -> str:
        return self.meanings[check_lang(lang)]

    def unit_name(self, lang: str = "da") -> str:
        return self.unit_names[check_lang(lang)]

    @property
    def is_code(self) -> bool:
        """Stored as text (codes and ids keep their leading zeros)."""
        return self.unit in ("code", "id")


@dataclass(frozen=True)
class _Pattern:
    key: str
    regex: re.Pattern[str]
    fields: tuple[str, ...]
    literal: int  # characters outside placeholders (more = more specific)


class DataDictionary:
    """Entries, units, placeholders and the rename map of ``columns.toml``.

    Build with :func:`load_dictionary` (the shipped file) or
    :meth:`from_toml`.
    """

    def __init__(self, data: Mapping[str, Any], *, source: str = "columns.toml"):
        self.source = source
        try:
            self._units: dict[str, dict[str, str]] = {
                str(k): {kk: str(vv) for kk, vv in v.items()} for k, v in data["units"].items()
            }
            self._ph: dict[str, dict[str, Any]] = {
                str(k): dict(v) for k, v in data["placeholders"].items()
            }
            self._columns: dict[str, dict[str, Any]] = {
                str(k): dict(v) for k, v in data["columns"].items()
            }
        except (KeyError, AttributeError) as exc:
            raise DictionaryError(f"{source}: missing or malformed section {exc}") from None
        self._rename = {str(k): str(v) for k, v in data.get("rename", {}).items()}
        self._rename_in = {
            str(g): {str(k): str(v) for k, v in m.items()}
            for g, m in data.get("rename_in", {}).items()
        }
        for key, e in self._columns.items():
            for f in ("unit", "label", "da", "en"):
                if f not in e:
                    raise DictionaryError(f"{source}: [columns.{key!r}] lacks {f!r}")
            if e["unit"] not in self._units:
                raise DictionaryError(f"{source}: [columns.{key!r}] has unknown unit {e['unit']!r}")
            for f in _FIELD.findall(key):
                if f not in self._ph:
                    raise DictionaryError(
                        f"{source}: [columns.{key!r}] uses unknown placeholder {{{f}}}"
                    )
        self._exact = {k: e for k, e in self._columns.items() if "{" not in k}
        self._patterns = [self._compile(k) for k in self._columns if "{" in k]
        self._rename_patterns = [(self._compile(k), v) for k, v in self._rename.items()]

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> DataDictionary:
        """Read a dictionary file (same layout as the shipped ``columns.toml``)."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DictionaryError(f"{p}: cannot be read ({exc})") from None
        return cls(data, source=str(p))

    def _compile(self, key: str) -> _Pattern:
        parts: list[str] = []
        pos = 0
        fields: list[str] = []
        literal = 0
        for m in _FIELD.finditer(key):
            parts.append(re.escape(key[pos : m.start()]))
            literal += m.start() - pos
            name = m.group(1)
            if name not in self._ph:
                raise DictionaryError(f"{self.source}: {key!r} uses unknown placeholder {{{name}}}")
            parts.append(f"(?P<{name}>{self._ph[name]['regex']})")
            fields.append(name)
            pos = m.end()
        parts.append(re.escape(key[pos:]))
        literal += len(key) - pos
        return _Pattern(key, re.compile("".join(parts)), tuple(fields), literal)

    # ------------------------------------------------------------------ renaming

    def rename(self, column: str, *, file: str | None = None) -> str:
        """The readable name proposed for ``column`` (itself when it has none).

        ``file`` (a file name such as ``health_houses_sites.csv``) selects
        ``[rename_in."glob"]`` renames first.
        """
        if file is not None:
            base = Path(file).name
            for glob, renames in self._rename_in.items():
                if fnmatch.fnmatch(base, glob) and column in renames:
                    return renames[column]
        if column in self._rename:
            return self._rename[column]
        best: tuple[int, str] | None = None
        for pat, new in self._rename_patterns:
            if "{" not in pat.key:
                continue
            m = pat.regex.fullmatch(column)
            if m and (best is None or pat.literal > best[0]):
                best = (pat.literal, _fill(new, m))
        return best[1] if best else column

    def rename_map(self, columns: Iterable[str], *, file: str | None = None) -> dict[str, str]:
        """``{old: new}`` for the columns that have a readable name (for ``DataFrame.rename``)."""
        out = {}
        for c in columns:
            new = self.rename(str(c), file=file)
            if new != c:
                out[str(c)] = new
        return out

    # ------------------------------------------------------------------ lookup

    def describe(self, column: str, *, file: str | None = None) -> ColumnInfo | None:
        """What ``column`` means, or ``None`` when the dictionary has no entry for it."""
        column = str(column)
        for name in dict.fromkeys((self.rename(column, file=file), column)):
            info = self._lookup(name)
            if info is not None:
                return ColumnInfo(
                    column=column,
                    name=info.name,
                    entry=info.entry,
                    unit=info.unit,
                    labels=info.labels,
                    meanings=info.meanings,
                    unit_names=info.unit_names,
                    xlsx_format=info.xlsx_format,
                    pad=info.pad,
                )
        return None

    def _lookup(self, name: str) -> ColumnInfo | None:
        if name in self._exact:
            return self._info(name, name, self._exact[name], {})
        hits = []
        for pat in self._patterns:
            m = pat.regex.fullmatch(name)
            if m:
                hits.append((pat.literal, pat.key, m))
        if not hits:
            return None
        _, key, m = max(hits, key=lambda h: h[0])
        return self._info(name, key, self._columns[key], m.groupdict())

    def _fields(self, groups: Mapping[str, str | None], lang: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, raw in groups.items():
            if raw is None:
                continue
            ph = self._ph.get(name, {})
            values = ph.get("values", {})
            if raw in values:
                out[name] = str(values[raw][lang])
            elif ph.get("decimal") or name == "tmin":
                out[name] = raw.replace("_", "," if lang == "da" else ".")
            else:
                out[name] = raw
        return out

    def _info(
        self, name: str, key: str, e: Mapping[str, Any], groups: Mapping[str, str | None]
    ) -> ColumnInfo:
        unit = self._units[e["unit"]]
        labels, meanings = {}, {}
        for lang in ("da", "en"):
            f = self._fields(groups, lang)
            labels[lang] = str(e["label"][lang]).format(**f)
            meanings[lang] = str(e[lang]).format(**f)
        return ColumnInfo(
            column=name,
            name=name,
            entry=key,
            unit=str(e["unit"]),
            labels=labels,
            meanings=meanings,
            unit_names={"da": unit["da"], "en": unit["en"]},
            xlsx_format=unit.get("xlsx", "General"),
            pad=int(e["pad"]) if "pad" in e else None,
        )

    def missing(self, columns: Iterable[str], *, file: str | None = None) -> list[str]:
        """The columns without an entry, in the order given (each once)."""
        return [
            c for c in dict.fromkeys(str(c) for c in columns) if self.describe(c, file=file) is None
        ]

    def table(self, tables: Mapping[str, pd.DataFrame | Iterable[str]]) -> pd.DataFrame:
        """One row per (file, column): the content of ``data_dictionary.csv``."""
        rows = []
        for file, cols in tables.items():
            names = list(cols.columns) if isinstance(cols, pd.DataFrame) else list(cols)
            for c in dict.fromkeys(str(x) for x in names):
                if c == "geometry":
                    continue
                info = self.describe(c, file=file)
                new = self.rename(c, file=file)
                if info is None:
                    rows.append(
                        {"file": file, "column": c, **dict.fromkeys(DICTIONARY_COLUMNS[2:], "")}
                    )
                    rows[-1]["readable_name"] = new if new != c else ""
                    continue
                rows.append(
                    {
                        "file": file,
                        "column": c,
                        "label_da": info.label("da"),
                        "label_en": info.label("en"),
                        "meaning_da": info.meaning("da"),
                        "meaning_en": info.meaning("en"),
                        "unit": info.unit,
                        "unit_da": info.unit_name("da"),
                        "unit_en": info.unit_name("en"),
                        "readable_name": new if new != c else "",
                    }
                )
        return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))


def _fill(template: str, m: re.Match[str]) -> str:
    """``template`` with each ``{name}`` replaced by the text the placeholder matched."""

    def sub(f: re.Match[str]) -> str:
        return str(m.group(f.group(1)))

    return _FIELD.sub(sub, template)


@functools.cache
def load_dictionary() -> DataDictionary:
    """The shipped dictionary (``geoplan/output/columns.toml``), read once."""
    text = resources.files("geoplan.output").joinpath("columns.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DictionaryError(f"geoplan/output/columns.toml: {exc}") from None
    return DataDictionary(data, source="geoplan/output/columns.toml")


def missing_columns(columns: Iterable[str], *, file: str | None = None) -> list[str]:
    """Columns the shipped dictionary does not describe."""
    return load_dictionary().missing(columns, file=file)


def rename_columns(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """``df`` with the readable column names of the rename map (a copy; other columns kept)."""
    mapping = load_dictionary().rename_map(df.columns, file=file)
    clash = sorted(set(mapping.values()) & (set(df.columns) - set(mapping)))
    dup = sorted({v for v in mapping.values() if list(mapping.values()).count(v) > 1})
    if clash or dup:
        raise DictionaryError(
            f"renaming would duplicate column(s) {', '.join(clash + dup)} in {file or 'table'}"
        )
    return df.rename(columns=mapping)


def write_data_dictionary(
    tables: Mapping[str, pd.DataFrame | Iterable[str]],
    path: str | os.PathLike[str],
    *,
    dictionary: DataDictionary | None = None,
    strict: bool = False,
) -> Path:
    """Write ``data_dictionary.csv``: one row per file and column (UTF-8, comma, ``\\n``).

    Parameters
    ----------
    tables
        ``{file name: DataFrame or column names}`` of the files written beside it
        (GeoPackages too; ``geometry`` is skipped).
    path
        Destination; written atomically, byte-identical for the same input.
    strict
        Raise :class:`DictionaryError` naming the columns without an entry
        (default: write them with empty meaning; see :func:`missing_columns`).
    """
    d = dictionary or load_dictionary()
    table = d.table(tables)
    lacking = table.loc[table["meaning_da"] == "", ["file", "column"]]
    if strict and len(lacking):
        listed = ", ".join(f"{f}:{c}" for f, c in lacking.itertuples(index=False))
        raise DictionaryError(
            f"no data-dictionary entry for {listed}",
        )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(DICTIONARY_COLUMNS)
    w.writerows(table.itertuples(index=False, name=None))
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8", newline="")
    os.replace(tmp, p)
    return p
