"""Atomic, deterministic writing of run outputs.

A run writes everything into a temporary folder beside its destination and
moves it into place only when every step has succeeded, so a failed run leaves
no half-written map or table (and keeps the previous complete output).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
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


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> Path:
    """Write a GeoPackage layer atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    os.replace(tmp, path)
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
