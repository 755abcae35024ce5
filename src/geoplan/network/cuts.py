"""Cut a road network by crossing name or link id (scenario ``cuts``).

Links that cross water carry a ``crossing`` kind (``bridge``, ``dam``, ``tunnel``,
``ferry``) and a ``crossing_name`` (the official name: ``Oddesundbroen``,
``Hou–Sælvig``); see :mod:`geoplan.network.strategic`. A scenario names what to take
out of the network:

- ``[network] cuts = ["Hou–Sælvig", "Oddesundbroen"]`` — crossing names or link ids,
  removed for the whole run;
- ``[network] stop_ferries = ["Hou–Sælvig"]`` — the same, but each item must be a ferry;
- ``[network] cut_links = ["e45_randers_c--e45_randers_s"]`` — the same as ``cuts``;
- ``[acute.cuts]`` — named sets of crossing names and/or link ids, each cut in turn for
  the N-1 analysis.

A name matches regardless of case and of the dash used (``Hou-Sælvig`` = ``Hou–Sælvig``).
An unknown item is an error that lists the known crossing names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from geoplan.errors import ScenarioError

__all__ = ["NamedCrossing", "crossings_by_name", "cut_crossings", "resolve_cuts"]

_LEGACY_ID = re.compile(r"^L\d{4}$")


@dataclass(frozen=True)
class NamedCrossing:
    """A bridge, dam, tunnel or ferry of a network, with the links it consists of."""

    name: str
    kind: str
    link_ids: tuple[str, ...]


def _norm(text: str) -> str:
    t = text.casefold().strip()
    t = re.sub(r"\s*[-‐‑‒–—]\s*", "-", t)  # hyphen, en dash, em dash, spaces around them
    return re.sub(r"\s+", " ", t)


def crossings_by_name(G: nx.MultiDiGraph) -> dict[str, NamedCrossing]:
    """Every named crossing of ``G`` (edges with a ``crossing_name``), by name, sorted."""
    found: dict[str, tuple[str, set[str]]] = {}
    for _, _, d in G.edges(data=True):
        name = d.get("crossing_name") or ""
        if not name:
            continue
        kind = d.get("crossing") or ("ferry" if d.get("ferry") else "")
        found.setdefault(name, (kind, set()))[1].add(str(d.get("link_id")))
    return {
        n: NamedCrossing(name=n, kind=k, link_ids=tuple(sorted(ids)))
        for n, (k, ids) in sorted(found.items())
    }


def resolve_cuts(
    G: nx.MultiDiGraph,
    items: Iterable[str],
    *,
    ferries_only: bool = False,
    key: str = "network.cuts",
    file: str | Path | None = None,
) -> list[str]:
    """The link ids that a list of crossing names and/or link ids stands for.

    Parameters
    ----------
    G
        The road graph (edges with ``link_id``, and ``crossing``/``crossing_name`` where
        they cross water).
    items
        Crossing names (``"Hou–Sælvig"``, case and dash style free) or link ids
        (``"e45_randers_c--e45_randers_s"``).
    ferries_only
        Every item must be a ferry (``stop_ferries``).
    key
        The scenario key the items come from, for error messages.
    file
        The scenario file, for error messages.

    Returns
    -------
    list of str
        Link ids, sorted, without duplicates.

    Raises
    ------
    ScenarioError
        An item is neither a crossing name nor a link id (the message lists the known
        names and suggests close ones), an old numbered id (``L0393``) is used, or
        ``ferries_only`` and an item is not a ferry.
    """
    crossings = crossings_by_name(G)
    by_norm = {_norm(n): c for n, c in crossings.items()}
    kind_of: dict[str, str] = {}
    for _, _, d in G.edges(data=True):
        lid = d.get("link_id")
        if lid is not None:
            kind_of[str(lid)] = "ferry" if d.get("ferry") else (d.get("crossing") or "road")
    names_text = ", ".join(crossings) or "(this network has no named crossings)"
    out: set[str] = set()
    for item in items:
        c = by_norm.get(_norm(item))
        if c is not None:
            ids, kind = list(c.link_ids), c.kind
        elif item in kind_of:
            ids, kind = [item], kind_of[item]
        else:
            if _LEGACY_ID.match(item):
                problem = (
                    f"{key}: {item!r} is an old numbered link id; link ids are now derived "
                    "from the link's end nodes and crossings are cut by name"
                )
            else:
                problem = f"{key}: {item!r} is neither a crossing name nor a link_id of the network"
            close = difflib.get_close_matches(_norm(item), list(by_norm), n=3, cutoff=0.5)
            hint = (
                f" (did you mean {', '.join(repr(by_norm[c].name) for c in close)}?)"
                if close
                else ""
            )
            raise ScenarioError(
                file,
                problem + hint,
                f"use a crossing name — {names_text} — or a link_id from the region's "
                f"network/links.csv (e.g. {', '.join(sorted(kind_of)[:3]) or 'none in this network'})",
            )
        if ferries_only and kind != "ferry":
            ferries = ", ".join(n for n, c2 in crossings.items() if c2.kind == "ferry") or "(none)"
            raise ScenarioError(
                file,
                f"{key}: {item!r} is a {kind}, not a ferry",
                f"list only ferries here ({ferries}); cut roads and bridges with network.cuts",
            )
        out.update(ids)
    return sorted(out)


def cut_crossings(
    G: nx.MultiDiGraph,
    items: Iterable[str],
    *,
    ferries_only: bool = False,
    key: str = "network.cuts",
    file: str | Path | None = None,
) -> nx.MultiDiGraph:
    """``G`` without the crossings (or links) named in ``items`` (a read-only view).

    See :func:`resolve_cuts` for what an item may be and the errors; both directions of
    every link of a named crossing are removed (both roads of a bridge that carries two, say).
    ``G`` itself is not changed; the result is a view (no copy of the ~0.5 M edges of the
    composed network).
    """
    drop = set(resolve_cuts(G, items, ferries_only=ferries_only, key=key, file=file))
    edges = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("link_id") in drop]
    return nx.restricted_view(G, [], edges)
