"""Where geoplan finds things: region folders, the data directory, the cache.

Input data (boundaries, population raster, registers) is never committed to the
project. It is read at run time from the *data directory* (:func:`data_dir`):

1. ``$GEOPLAN_DATA_DIR`` when set;
2. else ``../shared/data`` beside the checkout (the folder holding
   ``pyproject.toml`` and ``src/``), when geoplan runs from a checkout and that
   folder exists;
3. else ``shared/data`` in the working directory or the nearest of its parents
   that has one.

Each region has a folder (:func:`regions_dirs`: ``$GEOPLAN_REGIONS_DIR``, then the
regions shipped inside the package) with a manifest ``region.toml`` listing every
input with its file in the data directory, its official download location,
licence and year, beside the region's hand-written fact tables and strategic
network. :func:`check_inputs` reports what is present; :func:`input_path`
returns a file's path or raises :class:`DataMissingError` naming the file and
where to get it.

Derived data (population cells, travel-time matrices) is cached in
:func:`cache_dir`: ``$GEOPLAN_CACHE_DIR``, else the checkout's ``.cache``, else
``$XDG_CACHE_HOME/geoplan`` (``~/.cache/geoplan``).
"""

from __future__ import annotations

import hashlib
import importlib.resources
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

#: Environment variables read here.
DATA_DIR_ENV = "GEOPLAN_DATA_DIR"
REGIONS_DIR_ENV = "GEOPLAN_REGIONS_DIR"
CACHE_DIR_ENV = "GEOPLAN_CACHE_DIR"

#: The package folder (``.../geoplan``), in a checkout or in site-packages.
PACKAGE_DIR = Path(str(importlib.resources.files("geoplan")))
#: Region folders shipped with the package (manifest, fact tables, strategic network).
REGIONS_DIR = PACKAGE_DIR / "regions"
#: Scenario files shipped with the package (``scenarios/`` of the checkout).
SCENARIOS_DIR = PACKAGE_DIR / "scenarios"


def checkout_root() -> Path | None:
    """The source checkout geoplan runs from, or ``None`` when it is installed.

    A checkout is recognised by its layout: the package sits at
    ``<root>/src/geoplan`` and ``<root>/pyproject.toml`` exists (an editable
    install); a wheel installed into site-packages has neither.
    """
    here = Path(__file__).resolve().parent
    root = here.parent.parent
    if here.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def _data_dir_candidates() -> list[Path]:
    out = []
    root = checkout_root()
    if root is not None:
        out.append(root.parent / "shared" / "data")
    cwd = Path.cwd().resolve()
    out += [folder / "shared" / "data" for folder in (cwd, *cwd.parents)]
    return out


def data_dir(*, must_exist: bool = False) -> Path:
    """Return the data directory (see the module docstring for the order).

    Parameters
    ----------
    must_exist
        Raise :class:`DataMissingError` if no data directory exists.

    Returns
    -------
    pathlib.Path
        The first existing candidate; when none exists, the first candidate
        (``../shared/data`` beside the checkout, else ``./shared/data``), where
        ``geoplan data fetch`` would put the inputs.
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        path = Path(env).expanduser()
        tried = [path]
    else:
        tried = _data_dir_candidates()
        path = next((p for p in tried if p.is_dir()), tried[0])
    if must_exist and not path.is_dir():
        looked = ", ".join(str(p) for p in tried[:3]) + (" ..." if len(tried) > 3 else "")
        raise DataMissingError(
            f"no data directory found (looked for {looked}).\n"
            f"  fix: set {DATA_DIR_ENV} to the folder holding the inputs, or run "
            "`geoplan data fetch` to download them"
        )
    return path


def cache_dir() -> Path:
    """Return the cache folder, created if needed (see the module docstring for the order)."""
    env = os.environ.get(CACHE_DIR_ENV)
    root = checkout_root()
    if env:
        path = Path(env).expanduser()
    elif root is not None:
        path = root / ".cache"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "geoplan"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what = "exists and is a file, not a folder" if path.exists() else f"cannot be created ({exc.strerror})"
        raise InputError(path, f"the cache folder {what}",
                         f"set {CACHE_DIR_ENV} to a folder you can write to"
                         + (f" (it is set to {env!r})" if env else "")) from exc
    return path


def regions_dirs() -> list[Path]:
    """Folders searched for ``<region>/region.toml``, in order.

    The folders of ``$GEOPLAN_REGIONS_DIR`` (several separated by ``os.pathsep``),
    then the regions shipped with the package (:data:`REGIONS_DIR`).
    """
    env = os.environ.get(REGIONS_DIR_ENV, "")
    folders = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    for folder in folders:
        if not folder.is_dir():   # a typo must not fall back to the shipped regions silently
            raise InputError(folder, f"${REGIONS_DIR_ENV} names a folder that does not exist"
                             + (" (it is a file)" if folder.exists() else ""),
                             f"set {REGIONS_DIR_ENV} to folders holding <region>/region.toml, or unset it "
                             "to use the shipped regions")
    return [*folders, REGIONS_DIR]


def region_folder(region: str) -> Path | None:
    """The folder of a region (the first of :func:`regions_dirs` holding it), or ``None``."""
    for folder in regions_dirs():
        if (folder / region / "region.toml").is_file():
            return folder / region
    return None


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
        """The region's name in Danish or English (``title_da`` / ``title_en`` of region.toml)."""
        from geoplan.i18n import check_lang

        return {"da": self.title_da, "en": self.title_en}[check_lang(lang)]


def available_regions() -> list[str]:
    """Names of the regions that have a manifest in one of :func:`regions_dirs`."""
    return sorted({p.parent.name for d in regions_dirs() if d.is_dir() for p in d.glob("*/region.toml")})


def load_manifest(region: str) -> RegionManifest:
    """Read and check ``<region>/region.toml`` (see :func:`regions_dirs`).

    Raises
    ------
    RegionNotFoundError
        No such region; the message lists the known ones.
    InputError
        The manifest is malformed (names the key).
    """
    found = region_folder(region)
    if found is None:
        known = ", ".join(available_regions()) or "(none)"
        looked = ", ".join(str(d) for d in regions_dirs())
        raise RegionNotFoundError(
            f"unknown region {region!r}: no {region}/region.toml in {looked}.\n"
            f"  fix: use one of: {known} (or add a region folder to ${REGIONS_DIR_ENV})"
        )
    folder = found
    path = folder / "region.toml"
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
        where = data_dir()
        if not where.is_dir():  # no data directory at all: say where it was looked for
            tried = [where] if os.environ.get(DATA_DIR_ENV) else _data_dir_candidates()[:3]
            where_text = f"{where} (no data directory found; looked for {', '.join(map(str, tried))})"
        else:
            where_text = str(where)
        raise DataMissingError(
            f"missing input {spec.file!r} ({spec.what}) in data directory {where_text}.\n"
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
