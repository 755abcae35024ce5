"""Reading geoplan's own cache files: a corrupt one is rebuilt, with a warning (never an error).

A cache file (``cache_dir()``: population cells, networks, land cover, matrices) is
something geoplan wrote itself, so when it cannot be read (truncated by a full
disk, a killed run, a newer library) geoplan says so on stderr, removes it and
builds it again from the inputs.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def warn(message: str) -> None:
    """One line ``geoplan: warning: ...`` on stderr (shown also with ``-q``)."""
    print(f"geoplan: warning: {message}", file=sys.stderr)


def read_cache(path: Path, load: Callable[[Path], T], *, what: str) -> T | None:
    """``load(path)``, or ``None`` (file missing, or unreadable: then warned about and removed).

    Parameters
    ----------
    path
        A file in geoplan's cache folder.
    load
        Reads it; any exception it raises means "corrupt".
    what
        What the file holds, for the warning ("population cells").
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return load(path)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001 - any failure to read a cache means: rebuild it
        warn(f"the cached {what} {path} cannot be read ({type(exc).__name__}: {str(exc)[:120]}); "
             "rebuilding it from the inputs")
        with contextlib.suppress(OSError):
            path.unlink()
        return None


__all__ = ["read_cache", "warn"]
