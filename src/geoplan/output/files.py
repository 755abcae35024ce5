"""Atomic, deterministic writing of run outputs.

A run writes everything into a temporary folder beside its destination and
moves it into place only when every step has succeeded, so a failed run leaves
no half-written map or table (and keeps the previous complete output).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``final`` as a whole.

    On an exception the temporary folder is removed and ``final`` is left as
    it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _normal_permissions(tmp)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    tmp.rename(final)
    if old is not None:
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
    df.to_csv(tmp, index=False, float_format=f"%.{float_digits}f", lineterminator="\n")
    os.replace(tmp, path)
    return path


def write_gpkg(gdf, path: Path, *, layer: str) -> Path:
    """Write a GeoPackage layer atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    os.replace(tmp, path)
    return path


def write_text(text: str, path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
