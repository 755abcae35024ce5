"""The one CSV reader of the network source tables (strategic network and the region's sources)."""

from __future__ import annotations

import csv
from pathlib import Path

from geoplan.errors import InputError


def read_csv_table(
    path: Path,
    columns: tuple[str, ...],
    *,
    not_found_fix: str,
    no_rows_fix: str,
    skip_blank: bool,
) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a UTF-8 CSV table, names and values stripped.

    Raises one :class:`~geoplan.errors.InputError` naming the file for: no such
    file (``not_found_fix``), not UTF-8, a row with more values than columns,
    a missing column of ``columns`` and a table without rows (``no_rows_fix``).
    With ``skip_blank`` rows whose values are all empty are left out.
    """
    if not path.is_file():
        raise InputError(path, "file not found", not_found_fix)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [c.strip() for c in (reader.fieldnames or [])]
            rows = []
            for line, row in enumerate(reader, start=2):
                if None in row:
                    raise InputError(
                        path,
                        f"line {line}: more values than columns ({len(header)})",
                        "quote values that contain commas",
                    )
                clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                if not skip_blank or any(clean.values()):
                    rows.append((line, clean))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text ({exc})", "save the table as UTF-8 CSV") from exc
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)} (found: {', '.join(header)})",
            f"the header must be {','.join(columns)}",
        )
    if not rows:
        raise InputError(path, "no rows", no_rows_fix)
    return rows
