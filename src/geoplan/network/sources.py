"""Source tables of a hand-authored strategic network (``network/sources/``).

The strategic network of a region (``nodes.csv`` + ``links.csv``) is *generated* by
:mod:`geoplan.network.author_strategic` from small hand-written tables of public facts.
This module reads and checks them; every table has a ``source`` column (where the fact
comes from) and a ``note`` column (what is approximate).

Tables (UTF-8 CSV with a header row, or GeoJSON)
------------------------------------------------
``towns.csv``
    ``node_id,name,kind,lat,lon,population,landmass_of,regional,source,note`` — town centres
    and ferry-port villages (``kind`` ``town`` or ``port``); ``landmass_of``: the node whose
    island or fjord side this node belongs to (the generator moves it onto that land);
    ``regional`` ``no``: the regional rule gives the town no links (a city centre reached
    by its arterials only), empty or ``yes`` otherwise.
``junctions.csv``
    ``node_id,name,kind,lat,lon,landmass_of,source,note`` — road junctions and ferry
    berths (``kind`` ``junction`` or ``port``).
``roads.csv``
    ``road,highway,nodes,source,note`` — a main road as a chain of node ids separated by
    spaces, with its route number (``road``) and class (``highway``).
``crossings.csv``
    ``from_node,to_node,kind,name,description,source,note`` — the link of a road chain that
    crosses water: ``kind`` ``bridge``, ``dam`` or ``tunnel``; ``name`` the official
    Danish name scenarios cut it by (one name may cover several links: both roads of a
    bridge that carries two).
``spurs.csv``
    ``town,junction,km,minutes,source,note`` — access from a bypass junction into a town.
``ferries.csv``
    ``name,from_node,to_node,label,crossing_min,headway_min,km,source,note``.
``island_roads.csv``
    ``from_node,to_node,island,source,note`` — roads on islands (the regional rule does not
    join ports).
``road_classes.csv``
    ``highway,speed_kph,circuity,source,note`` — route-planner speed and road / straight
    length per class.
``town_entry.csv``
    ``min_population,minutes,source,note`` — minutes to enter a town centre of at least
    this population; the row with ``min_population`` ``district`` is for districts of a
    larger urban area.
``barriers.geojson``
    LineStrings of water the 1:500k land polygon does not show (``name``, ``source``,
    ``note``): no generated regional road may cross them.
``city_nodes.csv``
    ``node_id,name,kind,city,lat,lon,population,source,note`` — districts (``kind``
    ``town``) and junctions of the city arterial networks; the regional rule gives them
    no links of their own (they count as towns on the way).
``arterials.geojson``
    LineStrings of city ring and radial roads between two network nodes (``from_node``,
    ``to_node``, ``road``, ``highway``, ``limit_kph``, ``speed_kph``, ``signals``,
    ``source``, ``note``); see :func:`read_arterials`.

Every reader raises :class:`~geoplan.errors.InputError` naming the file, the line (or
feature) and the field, with the fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geoplan.errors import InputError
from geoplan.network.tables import read_csv_table

__all__ = [
    "ARTERIAL_HIGHWAYS",
    "CROSSING_KINDS",
    "Arterial",
    "Barrier",
    "Crossing",
    "Ferry",
    "IslandRoad",
    "NetworkSources",
    "Place",
    "Road",
    "RoadClass",
    "Spur",
    "TownEntry",
    "read_network_sources",
]

#: Kinds of water crossings (``crossings.csv`` ``kind``; ferries are ``ferry``).
CROSSING_KINDS = ("bridge", "dam", "tunnel", "ferry")
ROAD_HIGHWAYS = ("motorway", "trunk", "primary", "secondary", "tertiary")
#: Road classes an arterial section may have.
ARTERIAL_HIGHWAYS = ("motorway", "trunk", "primary", "secondary", "tertiary", "urban")
#: A city arterial's line must start and end within this distance of its two nodes (m).
ARTERIAL_END_TOLERANCE_M = 300.0
#: Longitude / latitude box of Denmark (as in :mod:`geoplan.network.strategic`).
_LONLAT_BOX = (7.5, 54.4, 15.4, 57.9)


@dataclass(frozen=True)
class Place:
    """A node of ``towns.csv``, ``junctions.csv`` or ``city_nodes.csv``."""

    node_id: str
    name: str
    kind: str
    lat: float
    lon: float
    population: int
    landmass_of: str
    source: str
    note: str
    city: str = ""
    regional: bool = True  # joined to its neighbours by the regional rule
    line: int = field(default=0, compare=False)  # line in its table, for error messages


@dataclass(frozen=True)
class Road:
    road: str
    highway: str
    nodes: tuple[str, ...]
    source: str
    note: str


@dataclass(frozen=True)
class Crossing:
    from_node: str
    to_node: str
    kind: str
    name: str
    description: str
    source: str
    note: str


@dataclass(frozen=True)
class Spur:
    town: str
    junction: str
    km: float
    minutes: float
    source: str
    note: str


@dataclass(frozen=True)
class Ferry:
    name: str
    from_node: str
    to_node: str
    label: str
    crossing_min: float
    headway_min: float
    km: float
    source: str
    note: str


@dataclass(frozen=True)
class IslandRoad:
    from_node: str
    to_node: str
    island: str
    source: str
    note: str


@dataclass(frozen=True)
class RoadClass:
    highway: str
    speed_kph: float | None
    circuity: float
    source: str
    note: str


@dataclass(frozen=True)
class TownEntry:
    min_population: int | None  # None: the district row
    minutes: float
    source: str
    note: str


@dataclass(frozen=True)
class Barrier:
    name: str
    lonlat: tuple[tuple[float, float], ...]
    source: str
    note: str


@dataclass(frozen=True)
class Arterial:
    """One section of a city ring or radial road between two network nodes.

    ``lonlat`` runs from ``from_node`` to ``to_node``; its first and last points are
    the two nodes' positions (within :data:`ARTERIAL_END_TOLERANCE_M`).
    """

    from_node: str
    to_node: str
    road: str
    highway: str
    limit_kph: float
    speed_kph: float
    signals: int
    lonlat: tuple[tuple[float, float], ...]
    source: str
    note: str
    oneway: bool = False


@dataclass
class NetworkSources:
    """All source tables of one region's strategic network."""

    folder: Path
    towns: list[Place]
    junctions: list[Place]
    roads: list[Road]
    crossings: list[Crossing]
    spurs: list[Spur]
    ferries: list[Ferry]
    island_roads: list[IslandRoad]
    road_classes: dict[str, RoadClass]
    town_entry: list[TownEntry]
    barriers: list[Barrier]
    city_nodes: list[Place] = field(default_factory=list)
    arterials: list[Arterial] = field(default_factory=list)

    @property
    def places(self) -> list[Place]:
        return [*self.towns, *self.junctions, *self.city_nodes]

    def speed(self, highway: str) -> float:
        """Route-planner speed (km/h) of a road class."""
        s = self.road_classes[highway].speed_kph
        if s is None:
            raise KeyError(f"road class {highway!r} has no speed in road_classes.csv")
        return s

    def circuity(self, highway: str) -> float:
        return self.road_classes[highway].circuity

    def entry_minutes(self, population: int, *, district: bool = False) -> float:
        """Minutes a route planner spends entering (or leaving) a town of this size."""
        if district:
            return next(e.minutes for e in self.town_entry if e.min_population is None)
        for e in self.town_entry:  # sorted by falling min_population
            if e.min_population is not None and population >= e.min_population:
                return e.minutes
        return 0.0


# --------------------------------------------------------------------------- readers
def _rows(path: Path, columns: Iterable[str], *, what: str) -> list[tuple[int, dict[str, str]]]:
    columns = tuple(columns)
    return read_csv_table(
        path,
        columns,
        not_found_fix=f"write {what} as {path.name}: " + ",".join(columns),
        no_rows_fix=f"write {what}, one per row",
        skip_blank=True,
    )


def _need(path: Path, line: int | str, row: dict[str, str], name: str, fix: str) -> str:
    v = row[name]
    if not v:
        raise InputError(path, f"{_where(line)}: {name} is empty", fix)
    return v


def _where(line: int | str) -> str:
    return f"line {line}" if isinstance(line, int) else line


def _float(
    path: Path,
    line: int | str,
    name: str,
    value: str,
    *,
    low: float | None = None,
    high: float | None = None,
    strict_low: bool = False,
) -> float:
    try:
        x = float(value)
    except ValueError:
        raise InputError(
            path,
            f"{_where(line)}: {name}={value!r} is not a number",
            f"write {name} as a plain number with a decimal point",
        ) from None
    bad = not math.isfinite(x)
    if low is not None:
        bad = bad or x < low or (strict_low and x == low)
    if high is not None:
        bad = bad or x > high
    if bad:
        rng = (
            f"{'>' if strict_low else '>='} {low:g}" if low is not None else "",
            f"<= {high:g}" if high is not None else "",
        )
        raise InputError(
            path,
            f"{_where(line)}: {name}={value!r} is out of range",
            f"{name} must be {' and '.join(r for r in rng if r)}",
        )
    return x


def _choice(path: Path, line: int | str, name: str, value: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise InputError(
            path, f"{_where(line)}: {name}={value!r} is unknown", f"use one of {', '.join(allowed)}"
        )
    return value


def _node_id(path: Path, line: int | str, name: str, value: str) -> str:
    if not value or not (value.isascii() and value == value.lower() and " " not in value):
        raise InputError(
            path,
            f"{_where(line)}: {name}={value!r} is not a valid node id",
            "write node ids in lower-case ASCII without spaces, e.g. aarhus or e45_aarhus_n",
        )
    return value


def _lonlat(path: Path, line: int | str, lon: float, lat: float) -> None:
    lon0, lat0, lon1, lat1 = _LONLAT_BOX
    if not (lon0 <= lon <= lon1 and lat0 <= lat <= lat1):
        raise InputError(
            path,
            f"{_where(line)}: lon={lon}, lat={lat} lies outside Denmark",
            "write WGS84 decimal degrees (lat about 54.5-57.8, lon about 8-13)",
        )


def _places(
    path: Path, *, kinds: tuple[str, ...], city: bool = False, junctions: bool = False
) -> list[Place]:
    cols = ["node_id", "name", "kind"]
    if city:
        cols.append("city")
    cols += ["lat", "lon"]
    if not junctions:
        cols.append("population")
    if not city:
        cols.append("landmass_of")
    if not city and not junctions:
        cols.append("regional")
    cols += ["source", "note"]
    out = []
    for line, r in _rows(path, cols, what="one node per row"):
        nid = _node_id(path, line, "node_id", r["node_id"])
        kind = _choice(path, line, "kind", r["kind"], kinds)
        lat = _float(path, line, "lat", r["lat"])
        lon = _float(path, line, "lon", r["lon"])
        _lonlat(path, line, lon, lat)
        pop = 0
        if not junctions and r["population"]:
            pop = int(_float(path, line, "population", r["population"], low=0))
        _need(path, line, r, "source", "say where the position (and population) comes from")
        regional = _choice(path, line, "regional", r.get("regional", ""), ("", "yes", "no")) != "no"
        out.append(
            Place(
                node_id=nid,
                name=_need(path, line, r, "name", "give every node a name"),
                kind=kind,
                lat=lat,
                lon=lon,
                population=pop,
                landmass_of=r.get("landmass_of", ""),
                source=r["source"],
                note=r["note"],
                city=r.get("city", ""),
                regional=regional and not city,
                line=line,
            )
        )
    return out


def read_roads(path: Path) -> list[Road]:
    out = []
    for line, r in _rows(
        path, ["road", "highway", "nodes", "source", "note"], what="one road per row"
    ):
        chain = tuple(r["nodes"].split())
        if len(chain) < 2:
            raise InputError(
                path,
                f"line {line}: nodes={r['nodes']!r} names fewer than two nodes",
                "list the road's nodes in order, separated by spaces",
            )
        for n in chain:
            _node_id(path, line, "nodes", n)
        out.append(
            Road(
                road=_need(path, line, r, "road", "give the route number or 'regional'"),
                highway=_choice(path, line, "highway", r["highway"], ROAD_HIGHWAYS),
                nodes=chain,
                source=_need(path, line, r, "source", "say where the road comes from"),
                note=r["note"],
            )
        )
    return out


def read_crossings(path: Path) -> list[Crossing]:
    cols = ["from_node", "to_node", "kind", "name", "description", "source", "note"]
    out = []
    for line, r in _rows(path, cols, what="one bridge, dam or tunnel per row"):
        out.append(
            Crossing(
                from_node=_node_id(path, line, "from_node", r["from_node"]),
                to_node=_node_id(path, line, "to_node", r["to_node"]),
                kind=_choice(path, line, "kind", r["kind"], ("bridge", "dam", "tunnel")),
                name=_need(path, line, r, "name", "give the crossing's official Danish name"),
                description=r["description"],
                source=_need(path, line, r, "source", "say where the name comes from"),
                note=r["note"],
            )
        )
    return out


def read_spurs(path: Path) -> list[Spur]:
    out = []
    for line, r in _rows(
        path, ["town", "junction", "km", "minutes", "source", "note"], what="one spur per row"
    ):
        out.append(
            Spur(
                town=_node_id(path, line, "town", r["town"]),
                junction=_node_id(path, line, "junction", r["junction"]),
                km=_float(path, line, "km", r["km"], low=0, strict_low=True),
                minutes=_float(path, line, "minutes", r["minutes"], low=0, strict_low=True),
                source=_need(path, line, r, "source", "say where length and time come from"),
                note=r["note"],
            )
        )
    return out


def read_ferries(path: Path) -> list[Ferry]:
    cols = [
        "name",
        "from_node",
        "to_node",
        "label",
        "crossing_min",
        "headway_min",
        "km",
        "source",
        "note",
    ]
    out = []
    for line, r in _rows(path, cols, what="one ferry per row"):
        out.append(
            Ferry(
                name=_need(path, line, r, "name", "give the ferry's name, e.g. Hou–Sælvig"),
                from_node=_node_id(path, line, "from_node", r["from_node"]),
                to_node=_node_id(path, line, "to_node", r["to_node"]),
                label=r["label"] or r["name"],
                crossing_min=_float(
                    path, line, "crossing_min", r["crossing_min"], low=0, strict_low=True
                ),
                headway_min=_float(
                    path, line, "headway_min", r["headway_min"], low=0, strict_low=True
                ),
                km=_float(path, line, "km", r["km"], low=0, strict_low=True),
                source=_need(path, line, r, "source", "say where the timetable comes from"),
                note=r["note"],
            )
        )
    return out


def read_island_roads(path: Path) -> list[IslandRoad]:
    out = []
    for line, r in _rows(
        path, ["from_node", "to_node", "island", "source", "note"], what="one road per row"
    ):
        out.append(
            IslandRoad(
                from_node=_node_id(path, line, "from_node", r["from_node"]),
                to_node=_node_id(path, line, "to_node", r["to_node"]),
                island=_need(path, line, r, "island", "name the island"),
                source=_need(path, line, r, "source", "say where the road comes from"),
                note=r["note"],
            )
        )
    return out


def read_road_classes(path: Path) -> dict[str, RoadClass]:
    out: dict[str, RoadClass] = {}
    for line, r in _rows(
        path, ["highway", "speed_kph", "circuity", "source", "note"], what="one class per row"
    ):
        hw = _choice(path, line, "highway", r["highway"], (*ARTERIAL_HIGHWAYS, "ferry"))
        speed = (
            _float(path, line, "speed_kph", r["speed_kph"], low=0, strict_low=True)
            if r["speed_kph"]
            else None
        )
        out[hw] = RoadClass(
            highway=hw,
            speed_kph=speed,
            circuity=_float(path, line, "circuity", r["circuity"], low=1.0),
            source=_need(path, line, r, "source", "say where the speed comes from"),
            note=r["note"],
        )
    for hw in (*ROAD_HIGHWAYS, "urban", "ferry"):
        if hw not in out:
            raise InputError(
                path, f"no row for highway={hw!r}", f"add a row {hw},<speed>,<circuity>,<source>,"
            )
    return out


def read_town_entry(path: Path) -> list[TownEntry]:
    out = []
    for line, r in _rows(
        path, ["min_population", "minutes", "source", "note"], what="one size class per row"
    ):
        mp = r["min_population"]
        out.append(
            TownEntry(
                min_population=None
                if mp == "district"
                else int(_float(path, line, "min_population", mp, low=0)),
                minutes=_float(path, line, "minutes", r["minutes"], low=0),
                source=_need(path, line, r, "source", "say where the minutes come from"),
                note=r["note"],
            )
        )
    if not any(e.min_population is None for e in out):
        raise InputError(
            path, "no row with min_population=district", "add a row district,<minutes>,<source>,"
        )
    out.sort(key=lambda e: -1 if e.min_population is None else e.min_population, reverse=True)
    return out


def _features(path: Path, *, what: str) -> list[tuple[str, dict, list]]:
    """(label, properties, LineString coordinates) of a GeoJSON FeatureCollection."""
    if not path.is_file():
        raise InputError(path, "file not found", f"write {what} as a GeoJSON FeatureCollection")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            path, f"not valid GeoJSON ({exc})", "save the file as UTF-8 GeoJSON"
        ) from exc
    feats = data.get("features") if isinstance(data, dict) else None
    if not isinstance(feats, list) or not feats:
        raise InputError(path, "no features", f"write {what} as a FeatureCollection of LineStrings")
    out = []
    for i, f in enumerate(feats, start=1):
        label = f"feature {i}"
        geom = (f or {}).get("geometry") or {}
        props = (f or {}).get("properties") or {}
        coords = geom.get("coordinates")
        if geom.get("type") != "LineString" or not isinstance(coords, list) or len(coords) < 2:
            raise InputError(
                path,
                f"{label}: geometry is not a LineString of two or more points",
                "draw each feature as a LineString [[lon, lat], ...]",
            )
        for p in coords:
            if not (
                isinstance(p, list)
                and len(p) >= 2
                and all(isinstance(c, int | float) for c in p[:2])
            ):
                raise InputError(
                    path, f"{label}: coordinate {p!r} is not [lon, lat]", "write [lon, lat] numbers"
                )
            _lonlat(path, label, float(p[0]), float(p[1]))
        out.append((label, {k: "" if v is None else v for k, v in props.items()}, coords))
    return out


def read_barriers(path: Path) -> list[Barrier]:
    out = []
    for label, props, coords in _features(path, what="water barriers"):
        for key in ("name", "source"):
            if not str(props.get(key, "")).strip():
                raise InputError(
                    path, f"{label}: property {key} is empty", f"give every barrier a {key}"
                )
        out.append(
            Barrier(
                name=str(props["name"]),
                lonlat=tuple((float(p[0]), float(p[1])) for p in coords),
                source=str(props["source"]),
                note=str(props.get("note", "")),
            )
        )
    return out


def read_arterials(path: Path) -> list[Arterial]:
    """City ring and radial road sections (``arterials.geojson``).

    Properties of each LineString feature: ``from_node``, ``to_node`` (the network nodes
    at its two ends), ``road`` (street name and route number), ``highway`` (one of
    :data:`ARTERIAL_HIGHWAYS`), ``limit_kph`` (the posted limit, mostly), ``speed_kph``
    (the free-flow running speed between junctions), ``signals`` (signalised junctions
    and roundabouts passed, each costing :data:`geoplan.network.author_strategic.SIGNAL_LOSS_S`),
    optional ``oneway`` (true: only from → to), ``source`` and ``note``.
    """
    out = []
    for label, props, coords in _features(path, what="city arterials"):

        def text(key: str, fix: str, props: dict = props, label: str = label) -> str:
            v = str(props.get(key, "")).strip()
            if not v:
                raise InputError(path, f"{label}: property {key} is empty", fix)
            return v

        a = _node_id(
            path, label, "from_node", text("from_node", "name the node at the line's start")
        )
        b = _node_id(path, label, "to_node", text("to_node", "name the node at the line's end"))
        label = f"{label} ({a} -> {b})"
        hw = _choice(path, label, "highway", str(props.get("highway", "")), ARTERIAL_HIGHWAYS)
        limit = _float(path, label, "limit_kph", str(props.get("limit_kph", "")), low=10, high=130)
        speed = _float(path, label, "speed_kph", str(props.get("speed_kph", "")), low=5, high=130)
        signals = _float(path, label, "signals", str(props.get("signals", 0)), low=0)
        if speed > limit:
            raise InputError(
                path,
                f"{label}: speed_kph={speed:g} is above limit_kph={limit:g}",
                "speed_kph is the free-flow running speed: at most the limit",
            )
        out.append(
            Arterial(
                from_node=a,
                to_node=b,
                road=text("road", "give the street name"),
                highway=hw,
                limit_kph=limit,
                speed_kph=speed,
                signals=int(signals),
                lonlat=tuple((float(p[0]), float(p[1])) for p in coords),
                source=text("source", "say where the line comes from"),
                note=str(props.get("note", "")),
                oneway=bool(props.get("oneway", False)),
            )
        )
    return out


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Approximate distance (m) between two lon/lat points (equirectangular; fine below 10 km)."""
    k = math.cos(math.radians((a[1] + b[1]) / 2.0))
    return 111_320.0 * math.hypot((a[0] - b[0]) * k, a[1] - b[1])


def read_network_sources(folder: Path) -> NetworkSources:
    """Read and cross-check every source table in ``folder`` (``network/sources``).

    Raises
    ------
    InputError
        A table is missing or malformed, a node id is defined twice, a road, spur,
        crossing, ferry or arterial names a node no table defines, a crossing is not a
        link of a road chain. The message names the file, the line and the field.
    """
    folder = Path(folder)
    s = NetworkSources(
        folder=folder,
        towns=_places(folder / "towns.csv", kinds=("town", "port")),
        junctions=_places(folder / "junctions.csv", kinds=("junction", "port"), junctions=True),
        roads=read_roads(folder / "roads.csv"),
        crossings=read_crossings(folder / "crossings.csv"),
        spurs=read_spurs(folder / "spurs.csv"),
        ferries=read_ferries(folder / "ferries.csv"),
        island_roads=read_island_roads(folder / "island_roads.csv"),
        road_classes=read_road_classes(folder / "road_classes.csv"),
        town_entry=read_town_entry(folder / "town_entry.csv"),
        barriers=read_barriers(folder / "barriers.geojson"),
    )
    if (folder / "city_nodes.csv").is_file():
        s.city_nodes = _places(folder / "city_nodes.csv", kinds=("town", "junction"), city=True)
    if (folder / "arterials.geojson").is_file():
        s.arterials = read_arterials(folder / "arterials.geojson")
    _cross_check(s)
    return s


def _cross_check(s: NetworkSources) -> None:
    where: dict[str, str] = {}
    for fname, places in (
        ("towns.csv", s.towns),
        ("junctions.csv", s.junctions),
        ("city_nodes.csv", s.city_nodes),
    ):
        for p in places:
            if p.node_id in where:
                raise InputError(
                    s.folder / fname,
                    f"line {p.line}: node_id {p.node_id!r} is already defined in {where[p.node_id]}",
                    "node ids must be unique across towns.csv, junctions.csv and city_nodes.csv",
                )
            where[p.node_id] = fname
    known = set(where)

    def check(fname: str, line: int | str, field_name: str, nid: str) -> None:
        if nid not in known:
            raise InputError(
                s.folder / fname,
                f"{_where(line)}: {field_name}={nid!r} is not a node of towns.csv, junctions.csv or city_nodes.csv",
                f"add node {nid!r} to one of those tables or correct the id",
            )

    for fname, places in (("towns.csv", s.towns), ("junctions.csv", s.junctions)):
        for p in places:
            if p.landmass_of:
                check(fname, p.line, "landmass_of", p.landmass_of)
    pairs: set[frozenset[str]] = set()
    for i, r in enumerate(s.roads, start=2):
        for n in r.nodes:
            check("roads.csv", i, "nodes", n)
        pairs.update(frozenset(p) for p in zip(r.nodes[:-1], r.nodes[1:], strict=True))
    for i, c in enumerate(s.crossings, start=2):
        check("crossings.csv", i, "from_node", c.from_node)
        check("crossings.csv", i, "to_node", c.to_node)
        if frozenset((c.from_node, c.to_node)) not in pairs:
            raise InputError(
                s.folder / "crossings.csv",
                f"line {i}: {c.from_node} - {c.to_node} is not a link of any road in roads.csv",
                "name two consecutive nodes of a road chain",
            )
    for i, sp in enumerate(s.spurs, start=2):
        check("spurs.csv", i, "town", sp.town)
        check("spurs.csv", i, "junction", sp.junction)
    for i, f in enumerate(s.ferries, start=2):
        check("ferries.csv", i, "from_node", f.from_node)
        check("ferries.csv", i, "to_node", f.to_node)
    for i, ir in enumerate(s.island_roads, start=2):
        check("island_roads.csv", i, "from_node", ir.from_node)
        check("island_roads.csv", i, "to_node", ir.to_node)
    pos = {p.node_id: (p.lon, p.lat) for p in s.places}
    for i, a in enumerate(s.arterials, start=1):
        check("arterials.geojson", f"feature {i}", "from_node", a.from_node)
        check("arterials.geojson", f"feature {i}", "to_node", a.to_node)
        for end, (lon, lat) in ((a.from_node, a.lonlat[0]), (a.to_node, a.lonlat[-1])):
            off = _metres(pos[end], (lon, lat))
            if off > ARTERIAL_END_TOLERANCE_M:
                raise InputError(
                    s.folder / "arterials.geojson",
                    f"feature {i} ({a.from_node} -> {a.to_node}, {a.road}): the line ends "
                    f"{off:.0f} m from node {end}",
                    f"start and end the line at its nodes (within {ARTERIAL_END_TOLERANCE_M:g} m)",
                )
    names: dict[str, str] = {}
    for c in s.crossings:
        names.setdefault(c.name, c.kind)
        if names[c.name] != c.kind:
            raise InputError(
                s.folder / "crossings.csv",
                f"crossing {c.name!r} is both a {names[c.name]} and a {c.kind}",
                "give each crossing one kind",
            )
    for i, f in enumerate(s.ferries, start=2):
        if f.name in names:
            other = "crossings.csv" if names[f.name] != "ferry" else "ferries.csv"
            raise InputError(
                s.folder / "ferries.csv",
                f"line {i}: name {f.name!r} is already used in {other}",
                "crossing names must be unique",
            )
        names[f.name] = "ferry"
