"""Atomic, deterministic writing of run outputs.

A run writes everything into a temporary folder beside its destination and
moves it into place only when every step has succeeded, so a failed run leaves
no half-written map or table (and keeps the previous complete output).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import math
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import OutputError

#: The file that marks a folder as written by geoplan (fixed content: outputs stay byte-identical).
#: geoplan replaces an existing output folder only when it holds this file (or is empty).
MARKER = ".geoplan-output"
MARKER_TEXT = ("This folder was written by geoplan. `geoplan run` / `geoplan compare` replace it as a whole;\n"
               "do not keep your own files here.\n")
#: Inside a staging folder ``.<name>.<random>.tmp``: ``pid host`` of the process writing it.
STAGING_MARKER = ".geoplan-staging"
#: Seconds a run waits for another run writing into the same folder before giving up.
LOCK_WAIT_SECONDS = 120.0
#: Bytes geoplan adds to a folder name for its staging folder (``.<name>.<8 random>.tmp``).
_STAGING_EXTRA = 16

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class Interrupted(KeyboardInterrupt):
    """SIGTERM during a run: handled like Ctrl-C (staging removed, exit 130/143)."""


def is_geoplan_output(folder: Path) -> bool:
    """True when ``folder`` holds geoplan's marker file (so geoplan may replace it)."""
    return (Path(folder) / MARKER).is_file()


def _protected_places() -> dict[Path, str]:
    from geoplan.datadir import checkout_root

    places = {Path("/"): "the root folder /", Path.home().resolve(): "your home folder"}
    with contextlib.suppress(OSError):
        places[Path.cwd().resolve()] = "the working directory"
    root = checkout_root()
    if root is not None:
        places[root.resolve()] = "the geoplan checkout"
    return places


def check_output_dir(final: str | Path) -> Path:
    """Refuse an output folder geoplan must not replace; return it as a Path.

    ``final`` may be missing, an empty folder or a folder geoplan wrote before
    (it holds :data:`MARKER`). Anything else is an :class:`~geoplan.errors.OutputError`
    that says why, and nothing is touched: an existing file, a folder of other
    files, ``/``, the home folder, the working directory (``.``), the checkout or
    a folder holding one of them, a symbolic link, a name too long for the file
    system, a parent folder that is read-only.
    """
    final = Path(final).expanduser()
    if str(final).strip() == "":
        raise OutputError(final, "--out is empty", "give an output folder, e.g. --out maps/my-run")
    absolute = Path(os.path.abspath(final))
    name_max, path_max = 255, 4096
    parent = _existing_ancestor(absolute.parent)
    with contextlib.suppress(OSError, ValueError):
        name_max = os.pathconf(parent, "PC_NAME_MAX")
        path_max = os.pathconf(parent, "PC_PATH_MAX")
    too_long = [part for part in absolute.parts if len(os.fsencode(part)) + _STAGING_EXTRA > name_max]
    if too_long or len(os.fsencode(str(absolute))) + _STAGING_EXTRA >= path_max:
        what = f"the name {too_long[0][:40]!r}... is" if too_long else "the path is"
        raise OutputError(final, f"{what} too long for the file system "
                          f"(at most {name_max - _STAGING_EXTRA} bytes a name, {path_max - _STAGING_EXTRA} a path)",
                          "give a shorter output folder name")
    resolved = absolute.resolve()
    for place, what in _protected_places().items():
        if resolved == place or place.is_relative_to(resolved):
            inside = "" if resolved == place else f" (it holds {what})"
            raise OutputError(final, f"refusing to write the output into {what if not inside else 'this folder'}"
                              f"{inside}: geoplan replaces its output folder as a whole",
                              "give a new sub-folder, e.g. --out maps/my-run")
    if final.is_symlink():
        raise OutputError(final, "the output folder is a symbolic link", "give the real folder, or a new one")
    if final.exists() and not final.is_dir():
        raise OutputError(final, "exists and is a file, not a folder: geoplan does not overwrite your files",
                          "give a folder name that does not exist yet, or move the file away")
    if final.is_dir():
        try:
            entries = [p.name for p in final.iterdir()]
        except OSError as exc:
            raise OutputError(final, f"cannot read the folder: {exc.strerror}", "check its permissions") from exc
        if entries and MARKER not in entries:
            shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
            raise OutputError(final, f"the folder exists and holds files geoplan did not write ({shown}); "
                              "geoplan replaces only folders it wrote itself (they hold a "
                              f"{MARKER} file)", "give a new or empty folder, e.g. --out maps/my-run")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(final, f"cannot write into {parent}: read-only or no permission",
                          "give an output folder in a place you can write to")
    return final


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except OSError:           # e.g. ENAMETOOLONG
        return False


def _existing_ancestor(p: Path) -> Path:
    while not _exists(p) and p != p.parent:
        p = p.parent
    return p


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(folder: Path) -> bool:
    """A staging folder of a geoplan process on this machine that has died."""
    try:
        pid_text, host = (folder / STAGING_MARKER).read_text(encoding="utf-8").split()[:2]
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    return host == socket.gethostname() and not _pid_alive(pid)


def remove_stale_staging(final: Path) -> list[Path]:
    """Remove the staging and replaced folders that earlier, killed runs left beside ``final``.

    Only folders named ``.<name>.*.tmp`` holding :data:`STAGING_MARKER` whose
    process is gone, ``.<name>.*.old`` holding :data:`MARKER`, and empty ones of
    those names (call with the lock held).
    """
    final = Path(final)
    removed: list[Path] = []
    prefix = f".{final.name}."
    try:
        siblings = sorted(p for p in final.parent.iterdir() if p.name.startswith(prefix))
    except OSError:
        return removed
    for p in siblings:
        if not p.is_dir() or p.is_symlink():
            continue
        if (p.name.endswith(".tmp") and _stale(p)) or (p.name.endswith(".old") and is_geoplan_output(p)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
        elif p.name.endswith((".tmp", ".old")):
            with contextlib.suppress(OSError):   # empty: killed right after creating it (rmdir keeps anything else)
                p.rmdir()
                removed.append(p)
    return removed


@contextlib.contextmanager
def _output_lock(final: Path, *, wait: float) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``final`` (fcntl.flock); wait up to ``wait`` seconds for another run."""
    lock = final.with_name(f".{final.name}.lock")
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                holder = ""
                with contextlib.suppress(OSError, ValueError):
                    holder = f" (process {int(lock.read_text().split()[0])})"
                raise OutputError(final, f"another geoplan run is writing this folder{holder}",
                                  "wait for it to finish, or give another --out") from None
            time.sleep(0.2)
            continue
        # the holder before us may have removed the file: lock only the file that is there
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Interrupted` while the block runs (main thread, default handler only)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Interrupted()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _as_output_error(exc: OSError, final: Path) -> OutputError | None:
    if exc.errno in _DISK_FULL:
        return OutputError(final, "the disk is full (no space left while writing the outputs); "
                           "nothing was changed", "free some disk space, or give an --out on another disk")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR):
        # ENOENT / ENOTDIR: a place that accepts no new files (e.g. /proc), or removed meanwhile
        return OutputError(final, f"cannot write the outputs: {exc.strerror} ({exc.filename})",
                           "give an output folder in a place you can write to")
    if exc.errno == errno.ENAMETOOLONG:
        return OutputError(final, "a file name is too long for the file system", "give a shorter output folder")
    return None


@contextlib.contextmanager
def staged_directory(final: Path, *, wait: float | None = None) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``final`` as a whole.

    ``final`` must be new, empty or a folder geoplan wrote (:func:`check_output_dir`);
    the new folder gets the marker :data:`MARKER`. Runs into the same folder take
    turns (a lock file beside it; ``wait`` seconds at most, default
    :data:`LOCK_WAIT_SECONDS`). On an exception, Ctrl-C or SIGTERM the temporary
    folder is removed and ``final`` is left as it was; staging folders of killed
    runs are removed by the next run into the same parent. A full disk or a
    read-only place is an :class:`~geoplan.errors.OutputError`.
    """
    final = check_output_dir(final)
    try:
        with _staged(final, wait=LOCK_WAIT_SECONDS if wait is None else wait) as tmp:
            yield tmp
    except OSError as exc:
        err = _as_output_error(exc, final)
        if err is None:
            raise
        raise err from exc


@contextlib.contextmanager
def _staged(final: Path, *, wait: float) -> Iterator[Path]:
    final.parent.mkdir(parents=True, exist_ok=True)
    with _sigterm_as_interrupt(), _output_lock(final, wait=wait):
        remove_stale_staging(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
        old: Path | None = None
        try:
            (tmp / STAGING_MARKER).write_text(f"{os.getpid()} {socket.gethostname()}\n", encoding="utf-8")
            yield tmp
            (tmp / STAGING_MARKER).unlink()
            (tmp / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
            _normal_permissions(tmp)
            check_output_dir(final)          # still ours (another program may have written it meanwhile)
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
                final.rename(old)            # ``old`` is an empty folder: rename replaces it
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None and not final.exists():
                old.rename(final)            # put the previous output back
            raise
        finally:
            if old is not None and old.exists():
                shutil.rmtree(old, ignore_errors=True)


def _normal_permissions(folder: Path) -> None:
    """Give staged outputs the usual permissions (temp files are created 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for p in folder.rglob("*"):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)


def write_csv(df: pd.DataFrame, path: Path, *, float_digits: int = 4) -> Path:
    """Write a CSV atomically with rounded floats (byte-identical across runs)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        df.to_csv(tmp, index=False, float_format=f"%.{float_digits}f", lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):   # no half-written temp file left beside the output
            tmp.unlink()
        raise
    return path


#: The date GDAL writes into a GeoPackage's ``gpkg_contents.last_change`` (instead of now):
#: a fixed one keeps GeoPackages byte-identical run to run.
GPKG_DATE = "2000-01-01T00:00:00Z"


def _to_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write one layer with GDAL's ``OGR_CURRENT_DATE`` fixed to :data:`GPKG_DATE` (restored after)."""
    from pyogrio import get_gdal_config_option, set_gdal_config_options

    before = get_gdal_config_option("OGR_CURRENT_DATE")
    set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
    try:
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        set_gdal_config_options({"OGR_CURRENT_DATE": before})


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> Path:
    """Write a GeoPackage layer atomically and deterministically (fixed ``last_change`` date)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    _to_gpkg(gdf, tmp, layer=layer)
    os.replace(tmp, path)
    return path


def add_gpkg_layer(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> Path:
    """Add a layer to a GeoPackage of a staging folder (created when new), with the same fixed
    ``last_change`` date as :func:`write_gpkg` (the folder as a whole is moved into place)."""
    path = Path(path)
    _to_gpkg(gdf, path, layer=layer)
    return path


def write_text(text: str, path: Path) -> Path:
    """Write UTF-8 text atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _json_safe(obj: object) -> object:
    """``obj`` with non-finite floats (NaN, inf: not JSON) as ``None``, numpy scalars as Python numbers."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(obj: object, path: Path, *, sort_keys: bool = False) -> Path:
    """Write JSON (indented, UTF-8, trailing newline; NaN and inf as null) atomically."""
    return write_text(json.dumps(_json_safe(obj), indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n", path)


@dataclass
class OutputFolder:
    """A folder being written (usually the staging folder of a run), and what went into it.

    Every writer writes through it so the run knows its files: ``written``
    lists the file names in the order they were written.
    """

    path: Path
    written: list[str] = field(default_factory=list)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def add(self, name: str) -> Path:
        """Record a file that a library wrote into the folder itself (a map, a plot)."""
        self.written.append(name)
        return self.path / name

    def csv(self, df: pd.DataFrame, name: str, *, float_digits: int = 4) -> Path:
        return write_csv(df, self.add(name), float_digits=float_digits)

    def gpkg(self, gdf: gpd.GeoDataFrame, name: str, *, layer: str) -> Path:
        return write_gpkg(gdf, self.add(name), layer=layer)

    def text(self, text: str, name: str) -> Path:
        return write_text(text, self.add(name))

    def json(self, obj: object, name: str, *, sort_keys: bool = False) -> Path:
        return write_json(obj, self.add(name), sort_keys=sort_keys)
