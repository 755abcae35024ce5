"""Reading a user's CSV file as text, with one clear error for what is not a text CSV.

Shared by the readers of ``geoplan od`` and ``geoplan access`` / ``locate``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from geoplan.errors import InputError

__all__ = ["csv_text", "first_ragged_line"]


def csv_text(path: Path, *, save_fix: str = "save it as CSV (UTF-8, comma-separated)") -> str:
    """The file's text (UTF-8, a byte-order mark dropped).

    Raises
    ------
    InputError
        The file holds NUL bytes (a spreadsheet or binary file; ``save_fix`` is the fix) or
        is not UTF-8 (names the line and the byte).
    """
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError(path, "holds NUL bytes: not a text CSV (a spreadsheet or a binary file?)", save_fix)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, f"line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x})",
                         "save the file as UTF-8 CSV (in Excel: 'CSV UTF-8')") from None


def first_ragged_line(text: str, n: int) -> tuple[int, int] | None:
    """(line number, field count) of the first non-empty CSV line without ``n`` fields, or None."""
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        if row and len(row) != n:
            return reader.line_num, len(row)
    return None
