"""Reading scenario files: TOML, inheritance (``extends``), validation, differences.

A scenario may start from another one::

    extends = "prehospital.toml"     # relative to this file
    unset = ["acute"]                # keys or tables of the parent left out
    name = "prehospital-forward-day"

    [prehospital.ambulance.hours]
    fwd_aulum = "07-19"

Rules
-----
- ``extends`` is a path relative to the file that writes it; when no such file
  exists, the packaged scenario of that name is used (:func:`resolve_scenario_path`).
  A parent may itself extend another file; a cycle is an error naming the files.
- The child's keys override the parent's, table by table, recursively; an array
  (also an array of tables such as ``[[prehospital.targets]]``) is replaced as a
  whole.
- ``unset`` lists dotted keys of the parent (``"acute"``, ``"acute.cuts"``) that
  the child does not take over; a key the parent does not have is an error.
- The merged result is validated as a whole; an error names the file in which
  the offending key was written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from geoplan.config.scenario import Scenario
from geoplan.datadir import SCENARIOS_DIR
from geoplan.errors import ScenarioError

EXTENDS_KEY = "extends"
UNSET_KEY = "unset"

Loc = tuple[str, ...]


def packaged_scenarios() -> list[Path]:
    """The scenario files shipped with geoplan (``scenarios/*.toml`` of the checkout)."""
    return sorted(SCENARIOS_DIR.glob("*.toml"))


def resolve_scenario_path(path: str | Path, *, relative_to: Path | None = None) -> Path:
    """The scenario file a path means.

    ``path`` as given (relative to ``relative_to`` when that is set, else to the
    working directory) if the file exists; else, for a relative path such as
    ``scenarios/baseline.toml`` or ``baseline.toml``, the packaged scenario of
    that file name. Anything else is returned unchanged (and fails to load with
    a clear message).
    """
    p = Path(path).expanduser()
    candidate = relative_to / p if relative_to is not None and not p.is_absolute() else p
    if candidate.is_file() or p.is_absolute():
        return candidate
    packaged = SCENARIOS_DIR / p.name
    if len(p.parts) <= 2 and packaged.is_file():
        return packaged
    return candidate


def _read_toml(path: Path, *, child: Path | None) -> dict[str, Any]:
    extended = f" (extended by {child})" if child else ""
    if path.is_dir():
        raise ScenarioError(child or path, f"extends: {path} is a folder, not a scenario file" if child
                            else "is a folder, not a scenario file",
                            "give the path of a .toml file, e.g. scenarios/baseline.toml")
    if not path.is_file():
        if child is not None:
            raise ScenarioError(child, f"extends: {path} not found",
                                "give a path relative to this file, or the name of a shipped scenario "
                                f"({', '.join(p.name for p in packaged_scenarios())})")
        raise ScenarioError(path, "scenario file not found",
                            "give the path to a .toml file, e.g. scenarios/baseline.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, f"not UTF-8 text{extended}", "save the file as UTF-8") from exc
    except OSError as exc:
        raise ScenarioError(path, f"cannot be read{extended}: {exc.strerror}", "check the file's permissions") from exc
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))   # a byte-order mark (Windows editors): not an error
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, f"not valid TOML{extended}: {exc}",
                            "fix the syntax (strings in quotes, [sections], key = value)") from exc


def _locs(table: Mapping[str, Any], prefix: Loc = ()) -> Iterator[Loc]:
    """Every key path of a TOML document (tables and their keys; arrays are leaves)."""
    for k, v in table.items():
        loc = (*prefix, str(k))
        yield loc
        if isinstance(v, Mapping):
            yield from _locs(v, loc)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(dict(out[k]), v)
        else:
            out[k] = v
    return out


def _unset(doc: dict[str, Any], key: str, *, file: Path, parent: Path) -> None:
    parts = key.split(".")
    node: Any = doc
    for p in parts[:-1]:
        node = node.get(p) if isinstance(node, dict) else None
    if not isinstance(node, dict) or parts[-1] not in node:
        raise ScenarioError(file, f"unset: {key!r} is not a key of {parent}",
                            "list keys or tables the parent scenario has, e.g. unset = [\"acute\"]")
    del node[parts[-1]]


def read_scenario_document(path: Path, *, _chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[Loc, Path]]:
    """The merged TOML document of a scenario and its ``extends`` chain.

    Returns
    -------
    (dict, dict)
        The document (``extends``/``unset`` removed) and, for every key path,
        the file that wrote it.
    """
    child = _chain[-1] if _chain else None
    doc = _read_toml(path, child=child)
    parent_ref = doc.pop(EXTENDS_KEY, None)
    unset = doc.pop(UNSET_KEY, [])
    if not isinstance(unset, list) or not all(isinstance(u, str) for u in unset):
        raise ScenarioError(path, "unset: must be a list of dotted keys", 'write unset = ["acute"]')
    origins = dict.fromkeys(_locs(doc), path)
    if parent_ref is None:
        if unset:
            raise ScenarioError(path, "unset without extends", "remove unset, or add extends = \"parent.toml\"")
        return doc, origins
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(path, "extends: must be the path of a scenario file (a string)",
                            'write e.g. extends = "prehospital.toml"')
    parent = resolve_scenario_path(parent_ref, relative_to=path.parent)
    chain = (*_chain, path)
    if parent.resolve() in {p.resolve() for p in chain}:
        cycle = " -> ".join(str(p) for p in (*chain, parent))
        raise ScenarioError(path, f"extends: a cycle ({cycle})", "remove the extends that leads back")
    base, base_origins = read_scenario_document(parent, _chain=chain)
    for key in unset:
        _unset(base, key, file=path, parent=parent)
        base_origins = {loc: f for loc, f in base_origins.items() if loc[:len(key.split("."))] != tuple(key.split("."))}
    return _merge(base, doc), {**base_origins, **origins}


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _origin(loc: tuple[Any, ...], origins: Mapping[Loc, Path], default: Path) -> Path:
    keys = tuple(str(p) for p in loc)
    for n in range(len(keys), 0, -1):
        if keys[:n] in origins:
            return origins[keys[:n]]
    return default


def _check_values(doc: Mapping[str, Any], origins: Mapping[Loc, Path], path: Path, prefix: Loc = ()) -> None:
    """Checks no section model can make on its own: blank ids and keys, an empty ``include``."""
    for k, v in doc.items():
        loc = (*prefix, str(k))
        key = _format_loc(loc)
        where = _origin(loc, origins, path)
        if not str(k).strip():
            raise ScenarioError(where, f"{_format_loc(prefix)}: a blank key (\"\")", "write the site id or name as the key")
        if isinstance(v, Mapping):
            _check_values(v, origins, path, loc)
        elif isinstance(v, list):
            if k == "include" and not v:
                raise ScenarioError(where, f"{key}: an empty list selects nothing",
                                    f"list the ids to include, or remove {k} to include all")
            for i, item in enumerate(v):
                if isinstance(item, str) and not item.strip():
                    raise ScenarioError(where, f"{key}[{i}]: a blank id or name (\"{item}\")",
                                        "remove it, or write the id / name it should be")
                if isinstance(item, Mapping):
                    _check_values(item, origins, path, (*loc, str(i)))


def load_scenario(path: str | Path, *, check_references: bool = True) -> Scenario:
    """Read and validate a scenario file (following its ``extends`` chain).

    Parameters
    ----------
    path
        A ``.toml`` file; a missing relative path such as
        ``scenarios/baseline.toml`` means the packaged scenario of that name.
    check_references
        Also check that the region and an OSM network file it names exist (``False`` when the
        caller brings its own region object, as :func:`geoplan.run_scenario` with ``region=``).

    Raises
    ------
    ScenarioError
        Names the file (the one in which the key was written), the key and
        what to write instead.
    """
    path = resolve_scenario_path(path)
    doc, origins = read_scenario_document(path)
    _check_values(doc, origins, path)
    try:
        sc = Scenario.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _format_loc(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            problem, fix = f"unknown key {loc!r}", "remove it or check its spelling (see scenarios/baseline.toml)"
        elif kind == "missing":
            problem, fix = f"missing key {loc!r}", f"add {loc} = ..."
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")   # pydantic's prefix of a validator's message
            problem, fix = f"key {loc!r}: {msg} (given: {_shown(err.get('input'))})", _fix_for(err, loc)
        more = len(exc.errors()) - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''})"
        where = _origin(err["loc"], origins, path)
        if where != path:
            problem += f" (in a scenario extended by {path})"
        raise ScenarioError(where, problem, fix) from exc
    sc = sc.model_copy(update={"path": path})
    sc._origins = {".".join(loc): f for loc, f in origins.items()}
    _check_across_sections(sc)
    if check_references:
        _check_references(sc)
    return sc


def _shown(value: object) -> str:
    """A scenario value as TOML would write it (short)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, Mapping):
        text = "a table [" + ", ".join(map(str, value)) + "]"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: what to write instead, by pydantic error type (``{loc}`` and the error's ``ctx`` fill in)
_FIXES = {
    "int_type": "write a whole number{eg3}",
    "int_parsing": "write a whole number{eg3}",
    "int_from_float": "write a whole number (no decimals){eg3}",
    "float_type": "write a number{eg30}",
    "float_parsing": "write a number{eg30}",
    "finite_number": "write a finite number",
    "bool_type": "write true or false (no quotes)",
    "bool_parsing": "write true or false (no quotes)",
    "string_type": "write a text in double quotes{egtext}",
    "list_type": "write a list in square brackets{eglist}",
    "tuple_type": "write a list in square brackets{eglist}",
    "dict_type": "write a table: a [section] or {{ key = value }}",
    "model_type": "write a table: a [section] or {{ key = value }}",
    "literal_error": "write one of {expected}",
    "enum": "write one of {expected}",
    "greater_than": "write a number greater than {gt}",
    "greater_than_equal": "write a number of at least {ge}",
    "less_than": "write a number less than {lt}",
    "less_than_equal": "write a number of at most {le}",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
    "string_too_short": "write at least {min_length} character(s)",
    "string_too_long": "write at most {max_length} character(s)",
}


def _fix_for(err: Mapping[str, Any], loc: str) -> str:
    """The fix line of a pydantic error: what to write at ``loc`` instead."""
    template = _FIXES.get(str(err.get("type")))
    ctx = {k: v for k, v in dict(err.get("ctx") or {}).items() if k != "error"}
    parent, _, last = loc.rpartition(".")
    item = last.isdigit() and parent
    examples = {
        f"eg{k}": (f" as item {int(last) + 1} of {parent}" if item else f", e.g. {loc} = {v}")
        for k, v in (("3", "3"), ("30", "30"), ("text", '"..."'), ("list", "[...]"))
    }
    if template is not None:
        try:
            return template.format(loc=loc, **examples, **ctx)
        except (KeyError, IndexError, ValueError):
            pass
    # a validator of geoplan's own: its message says what is expected
    return f"change {loc} to what the message asks for (scenarios/baseline.toml shows the keys in use)"


def _check_across_sections(sc: Scenario) -> None:
    """Keys that must agree with another section (each model sees only its own)."""
    hour = sc.equity.prehospital_hour
    if hour is not None and sc.prehospital is not None and hour not in sc.prehospital.hours:
        raise ScenarioError(sc.file_of("equity.prehospital_hour"),
                            f"equity.prehospital_hour = {hour}: not one of the hours the [prehospital] step "
                            f"computes (prehospital.hours = {list(sc.prehospital.hours)})",
                            f"choose one of {list(sc.prehospital.hours)}, or add {hour} to prehospital.hours")


def _check_references(sc: Scenario) -> None:
    """Names a scenario gives that must exist before any work starts: the region, an OSM network file."""
    from geoplan.datadir import available_regions, data_dir, region_folder

    regions = available_regions()
    if sc.region not in regions:
        raise ScenarioError(sc.file_of("region"), f"region: unknown region {sc.region!r}",
                            f"use one of {', '.join(regions)} (or set GEOPLAN_REGIONS_DIR to your region folders)")
    folder = region_folder(sc.region)
    for i, patch in enumerate(sc.network.patches or []):
        if not Path(patch).expanduser().is_file() and not (data_dir() / patch).is_file():
            raise ScenarioError(sc.file_of("network.patches"),
                                f"network.patches[{i}]: {patch!r} is not an existing OSM file",
                                "give the path of an .osm / .osm.zip file (relative to the working directory or "
                                f"the data directory {data_dir()}), or remove it")
    local = sc.network.local_parameters
    if local is not None and folder is not None and not (folder / local).is_file() and not Path(local).is_file():
        raise ScenarioError(sc.file_of("network.local_parameters"),
                            f"network.local_parameters: {local!r} not found (looked in {folder} and the working "
                            "directory)", f"give the path of a local_roads.toml, or remove the key to use "
                            f"{folder / 'local_roads.toml'}")
    source = sc.network.source
    if source != "strategic" and not Path(source).expanduser().is_file() and not (data_dir() / source).is_file():
        raise ScenarioError(sc.file_of("network.source"),
                            f"network.source: {source!r} is neither 'strategic' nor an existing OSM file",
                            'write source = "strategic", or the path of an .osm / .osm.zip / .osm.pbf file '
                            f"(relative to the working directory or the data directory {data_dir()})")


def _diff(a: Any, b: Any, prefix: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in sorted(set(a) | set(b)):
            yield from _diff(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))
    elif a != b:
        yield prefix, a, b


def scenario_differences(a: Scenario, b: Scenario) -> list[tuple[str, Any, Any]]:
    """The parameters in which two scenarios differ, defaults included.

    Returns
    -------
    list of (key, value in a, value in b)
        Dotted keys (``prehospital.ambulance.speed_factor``) in sorted order;
        a section only one scenario has is one row, ``None`` on the other side
        and the section's values (a dict) on its own. Arrays are compared as a
        whole (``acute.thresholds``, ``prehospital.targets``).
    """
    return list(_diff(a.model_dump(mode="json"), b.model_dump(mode="json"), ""))


__all__ = ["load_scenario", "packaged_scenarios", "read_scenario_document", "resolve_scenario_path",
           "scenario_differences"]
