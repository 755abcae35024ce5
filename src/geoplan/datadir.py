"""The data directory and region manifests.

Input data (boundaries, population raster, registers) is never committed to the
project. It is read at run time from the *data directory*:

1. ``$GEOPLAN_DATA_DIR`` when set;
2. else ``../shared/data`` beside the checkout (the folder that holds ``src/``),
   when present.

Each region has a manifest, ``data/regions/<name>/region.toml``, listing every
input with its file in the data directory, its official download location,
licence and year. :func:`check_inputs` reports what is present;
:func:`input_path` returns a file's path or raises :class:`DataMissingError`
naming the file and where to get it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from geoplan.errors import DataMissingError, InputError, RegionNotFoundError

#: The checkout root (the folder holding ``src/``, ``data/`` and ``scenarios/``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Hand-written region folders (manifest, fact tables, strategic network).
REGIONS_DIR = PROJECT_ROOT / "data" / "regions"


def data_dir(*, must_exist: bool = False) -> Path:
    """Return the data directory.

    Parameters
    ----------
    must_exist
        Raise :class:`DataMissingError` if the directory does not exist.

    Returns
    -------
    pathlib.Path
        ``$GEOPLAN_DATA_DIR`` if set, else ``<checkout>/../shared/data``.
    """
    env = os.environ.get("GEOPLAN_DATA_DIR")
    path = Path(env).expanduser() if env else PROJECT_ROOT.parent / "shared" / "data"
    if must_exist and not path.is_dir():
        raise DataMissingError(
            f"data directory {path} does not exist.\n"
            "  fix: set GEOPLAN_DATA_DIR to the folder holding the inputs, or run "
            "`geoplan data fetch` to download them there"
        )
    return path


def cache_dir() -> Path:
    """Return the cache folder (``$GEOPLAN_CACHE_DIR``, else ``<checkout>/.cache``)."""
    env = os.environ.get("GEOPLAN_CACHE_DIR")
    path = Path(env).expanduser() if env else PROJECT_ROOT / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class InputSpec:
    """One input of a region manifest."""

    key: str
    file: str
    what: str
    url: str
    official: str
    licence: str
    year: int | None
    required: bool = True
    manual: bool = False
    note: str = ""

    def path(self) -> Path:
        """Where the input is expected in the data directory."""
        return data_dir() / self.file

    def describe_source(self) -> str:
        """One line on where to get the file."""
        how = "export by hand" if self.manual else f"download: {self.url}"
        return f"{self.official} ({how}; licence: {self.licence}; year {self.year})"


@dataclass(frozen=True)
class RegionManifest:
    """A parsed ``region.toml``."""

    name: str
    folder: Path
    title_da: str
    title_en: str
    region_code: str
    crs: str
    municipalities: tuple[str, ...]
    default_network: str
    inputs: dict[str, InputSpec] = field(default_factory=dict)

    def title(self, lang: str = "da") -> str:
        """The region's name in Danish or English."""
        return self.title_en if lang == "en" else self.title_da


def available_regions() -> list[str]:
    """Names of the regions that have a manifest under ``data/regions/``."""
    if not REGIONS_DIR.is_dir():
        return []
    return sorted(p.parent.name for p in REGIONS_DIR.glob("*/region.toml"))


def load_manifest(region: str) -> RegionManifest:
    """Read and check ``data/regions/<region>/region.toml``.

    Raises
    ------
    RegionNotFoundError
        No such region; the message lists the known ones.
    InputError
        The manifest is malformed (names the key).
    """
    folder = REGIONS_DIR / region
    path = folder / "region.toml"
    if not path.is_file():
        known = ", ".join(available_regions()) or "(none)"
        raise RegionNotFoundError(
            f"unknown region {region!r}: no {path}.\n  fix: use one of: {known}"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}", "correct the syntax") from exc
    try:
        inputs = {
            key: InputSpec(
                key=key,
                file=str(spec["file"]),
                what=str(spec.get("what", "")),
                url=str(spec["url"]),
                official=str(spec.get("official", spec["url"])),
                licence=str(spec.get("licence", "unknown")),
                year=spec.get("year"),
                required=bool(spec.get("required", True)),
                manual=bool(spec.get("manual", False)),
                note=str(spec.get("note", "")),
            )
            for key, spec in raw.get("inputs", {}).items()
        }
        return RegionManifest(
            name=str(raw["name"]),
            folder=folder,
            title_da=str(raw.get("title_da", raw["name"])),
            title_en=str(raw.get("title_en", raw["name"])),
            region_code=str(raw["region_code"]),
            crs=str(raw.get("crs", "EPSG:25832")),
            municipalities=tuple(str(k) for k in raw["municipalities"]),
            default_network=str(raw.get("default_network", "strategic")),
            inputs=inputs,
        )
    except KeyError as exc:
        raise InputError(path, f"missing key {exc.args[0]!r}", "add it (see region.toml of midtjylland)") from exc


def input_path(manifest: RegionManifest, key: str) -> Path:
    """Path of input ``key`` in the data directory, or a clear error if it is missing.

    Raises
    ------
    DataMissingError
        Names the file, the data directory and where to get the file.
    """
    spec = manifest.inputs.get(key)
    if spec is None:
        raise InputError(
            manifest.folder / "region.toml",
            f"no input {key!r} in [inputs]",
            f"add an [inputs.{key}] table with file, url, licence and year",
        )
    path = spec.path()
    if not path.is_file():
        raise DataMissingError(
            f"missing input {spec.file!r} ({spec.what}) in data directory {data_dir()}.\n"
            f"  get it from: {spec.describe_source()}\n"
            "  fix: put the file there (or set GEOPLAN_DATA_DIR), or run `geoplan data fetch "
            f"--region {manifest.name}`"
        )
    return path


@dataclass(frozen=True)
class InputStatus:
    """Presence of one input."""

    spec: InputSpec
    present: bool
    size_bytes: int | None


def check_inputs(manifest: RegionManifest) -> list[InputStatus]:
    """Report, for every input of the manifest, whether its file is in the data directory."""
    out = []
    for key in sorted(manifest.inputs):
        spec = manifest.inputs[key]
        path = spec.path()
        present = path.is_file()
        out.append(InputStatus(spec, present, path.stat().st_size if present else None))
    return out


def fetch_input(spec: InputSpec, *, timeout: float = 60.0) -> Path:
    """Download one input to its place in the data directory (atomically).

    ``.zip`` targets whose download is not a zip archive are wrapped in one.
    Inputs marked ``manual`` are not fetched: their official source needs an
    export by hand, and a :class:`DataMissingError` says how.
    """
    target = spec.path()
    if spec.manual:
        raise DataMissingError(
            f"{spec.file}: cannot be downloaded automatically.\n"
            f"  get it by hand from: {spec.describe_source()}"
            + (f"\n  note: {spec.note}" if spec.note else "")
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(spec.url, timeout=timeout) as resp:  # noqa: S310
            payload = resp.read()
    except OSError as exc:
        raise DataMissingError(
            f"{spec.file}: download from {spec.url} failed ({exc}).\n"
            "  fix: check the internet connection, or fetch the file by hand into "
            f"{target.parent}"
        ) from exc
    if target.suffix == ".zip" and not zipfile.is_zipfile(io.BytesIO(payload)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(target.stem, payload)
        payload = buf.getvalue()
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(payload)
    shutil.move(tmp.name, target)
    return target


def file_digest(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file (for cache keys)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
