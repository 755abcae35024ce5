"""Self-contained Folium maps that open with no network.

Every map geoplan writes is one HTML file with Leaflet (from the installed
``xstatic-leaflet`` package), geoplan's own small JS/CSS (``geoplan/assets``)
and all data inlined. Folium's CDN defaults (jQuery, Bootstrap, awesome-markers,
Font Awesome) are not used at all: markers are inline SVG symbols, tooltips and
popups are plain Leaflet, the full-screen button and the dual-map view sync are
a few lines in ``geoplan-map.js``. :func:`save_map` refuses to write a file that
still points to an ``http(s)://`` or ``//`` script, stylesheet, import or
``url()``.

The map reads without background tiles: a pale region fill, a bold region
border, municipal borders and town labels. An OpenStreetMap background is
offered in the layer control, switched off, so an offline laptop makes no
request for it.

Typical use::

    m = base_map(boundary=region.boundary, municipalities=region.municipalities,
                 places=towns, title="Køretid til akutmodtagelse",
                 caption="Vejnet 2024, befolkning WorldPop 2020, DAGI 2014")
    add_cells(m, cells, column="minutes", bands=[15, 30, 45, 60], name="Køretid (min)",
              tooltip_fields={"navn": "Kommune", "pop": "Indbyggere", "minutes": "Minutter"})
    add_facilities(m, hospitals, kind="acute_hospital", name="Akuthospitaler")
    save_map(m, Path("maps/x/koeretid.html"))

All inputs with geometry may be in any CRS (EPSG:25832 expected); they are
simplified in metres and converted to WGS84 here, coordinates rounded to 1e-5
degrees (about 1 m).

Limits: one language per map; numbers are formatted when the map is built
(tooltips are static text); cells and municipality areas are drawn on one
canvas per map. A 13,000-cell map is about 2.5-3 MB and paints in about 1-2 s
in headless Chromium on a 2-core machine (the browser tests measure it).
"""

from __future__ import annotations

import base64
import functools
import html
import itertools
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.map import Layer, LayerControl
from folium.plugins import DualMap
from folium.template import Template

from geoplan.errors import GeoplanError, InputError
from geoplan.i18n import check_lang, fmt_number, t
from geoplan.output.palettes import special

__all__ = [
    "FACILITY_KINDS",
    "OfflineMapError",
    "add_cells",
    "add_facilities",
    "add_legend",
    "add_lines",
    "add_municipalities",
    "base_map",
    "dual_map",
    "external_references",
    "map_html",
    "symbol_svg",
    "save_map",
]

WORK_CRS = "EPSG:25832"
MAP_CRS = "EPSG:4326"
COORD_DECIMALS = 5  # 1e-5 degrees: about 1.1 m north-south, 0.6 m east-west at 56° N

#: Default colours for classed cells (green = short, red = long), ColorBrewer RdYlGn.
#: Cells with no route: the grey of palettes.toml (not part of any scale).
_UNREACHABLE_COLOR = special("unreachable")


class OfflineMapError(GeoplanError):
    """A map would need the network (an external script, stylesheet or url()) to render."""


# ----------------------------------------------------------------------------- symbols


def _svg(body: str, size: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 22 22">{body}</svg>'
    )


def _letter(ch: str, color: str = "#fff", y: float = 15.2, size: float = 10) -> str:
    return (
        f'<text x="11" y="{y}" text-anchor="middle" font-size="{size}" font-weight="700" '
        f'font-family="Arial,Helvetica,sans-serif" fill="{color}">{ch}</text>'
    )


_CROSS = "M9 4.5h4v4.5h4.5v4H13v4.5H9V13H4.5V9H9z"
_HOUSE = "M11 1.5 21 10v10.5H1V10z"

#: kind -> (svg body in a 22x22 box, pixel size). Shape AND colour differ per kind.
_SYMBOLS: dict[str, tuple[str, int]] = {
    "acute_hospital": (
        '<rect x="1.5" y="1.5" width="19" height="19" rx="2" fill="#c62828" '
        f'stroke="#fff" stroke-width="1.5"/><path d="{_CROSS}" fill="#fff"/>',
        24,
    ),
    "other_hospital": (
        '<circle cx="11" cy="11" r="9.2" fill="#f8bbd0" stroke="#b71c1c" stroke-width="2"/>'
        f'<path d="{_CROSS}" fill="#b71c1c" transform="translate(11 11) scale(.8) translate(-11 -11)"/>',
        20,
    ),
    "neighbour_hospital": (
        '<rect x="1.5" y="1.5" width="19" height="19" rx="2" fill="#757575" '
        f'stroke="#fff" stroke-width="1.5"/><path d="{_CROSS}" fill="#fff"/>',
        18,
    ),
    "ambulance_station": (
        '<path d="M11 1.2 21.2 20.3H.8z" fill="#ffb300" stroke="#4e342e" stroke-width="1.4"/>'
        + _letter("A", "#212121", y=18, size=9.5),
        20,
    ),
    "physician_car": (
        '<path d="M11 .8 21.2 11 11 21.2.8 11z" fill="#2e7d32" stroke="#fff" stroke-width="1.4"/>'
        + _letter("L"),
        20,
    ),
    "helicopter_base": (
        '<path d="M6 1.8h10l5 9.2-5 9.2H6L1 11z" fill="#6a1b9a" stroke="#fff" stroke-width="1.4"/>'
        + _letter("H"),
        22,
    ),
    "health_house": (
        f'<path d="{_HOUSE}" fill="#1565c0" stroke="#fff" stroke-width="1.4"/>'
        + _letter("S", y=17.5),
        20,
    ),
    "psychiatry_house": (
        f'<path d="{_HOUSE}" fill="#00897b" stroke="#fff" stroke-width="1.4"/>'
        + _letter("P", y=17.5),
        20,
    ),
    "candidate_site": (
        '<circle cx="11" cy="11" r="6.5" fill="#fff" stroke="#424242" stroke-width="2.2" '
        'stroke-dasharray="3.2 2"/>',
        16,
    ),
    "closed_hospital": (
        '<circle cx="11" cy="11" r="9" fill="#fff" stroke="#424242" stroke-width="2"/>'
        '<path d="M6.5 6.5l9 9M15.5 6.5l-9 9" stroke="#424242" stroke-width="2.4" stroke-linecap="round"/>',
        22,
    ),
    "chosen_site": (
        '<path d="M11 .9l3 6.6 7.2.7-5.4 4.8 1.6 7.1L11 16.4l-6.4 3.7 1.6-7.1L.8 8.2 8 7.5z" '
        'fill="#fdd835" stroke="#212121" stroke-width="1.3"/>',
        26,
    ),
}

#: The facility kinds :func:`add_facilities` knows, each with its own symbol.
FACILITY_KINDS: tuple[str, ...] = tuple(_SYMBOLS)


def symbol_svg(kind: str) -> str:
    """The inline SVG of a facility kind's map symbol (also for report legends)."""
    body, size = _SYMBOLS[_check_kind(kind)]
    return _svg(body, size)


def _check_kind(kind: str) -> str:
    if kind not in _SYMBOLS:
        raise InputError(
            None,
            f"unknown facility kind {kind!r}",
            f"use one of: {', '.join(FACILITY_KINDS)}",
        )
    return kind


# ----------------------------------------------------------------------------- assets


class _Raw(Element):
    """Text emitted as is (no Jinja parsing: vendored JS may contain ``{{``)."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _asset(name: str) -> str:
    return resources.files("geoplan").joinpath("assets", name).read_text(encoding="utf-8")


def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xl
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise OfflineMapError(
            "xstatic-leaflet is not installed; offline maps need its leaflet.js/leaflet.css "
            "(pip install xstatic-leaflet)"
        ) from exc
    return Path(xl.BASE_DIR)


_SOURCEMAP = re.compile(r"^\s*/[/*][#@] sourceMappingURL=.*$", re.MULTILINE)


@functools.cache
def _inline_head() -> tuple[tuple[str, str], ...]:
    """(name, html) pairs for the page head: Leaflet + geoplan JS/CSS, all inline."""
    d = _leaflet_dir()
    js = _SOURCEMAP.sub("", (d / "leaflet.js").read_text(encoding="utf-8"))
    css = (d / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(m: re.Match[str]) -> str:
        img = d / m.group(1)
        b64 = base64.b64encode(img.read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{b64}")'

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    gjs = _asset("geoplan-map.js")
    gcss = _asset("geoplan-map.css")
    for text in (js, gjs):
        if "</script" in text.lower():  # pragma: no cover - guards vendored code
            raise OfflineMapError("an inlined script contains '</script'")
    return (
        ("leaflet_css", f"<style>{css}</style>"),
        ("geoplan_css", f"<style>{gcss}</style>"),
        ("leaflet", f"<script>{js}</script>"),
        ("geoplan_js", f"<script>{gjs}</script>"),
    )


def _js(obj: Any) -> str:
    """JSON for embedding in a <script>: compact, UTF-8, no NaN, '</' escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# ----------------------------------------------------------------------------- elements


class _Script(MacroElement):
    """A snippet of the page script; ``code`` is called at render time (names are final then)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code() }}{% endmacro %}")

    def __init__(self, code: Callable[[], str]):
        super().__init__()
        self._name = "GeoplanScript"
        self.code = code


@dataclass
class _Features:
    """Geometries (WGS84, rounded) and their properties, for one layer."""

    geoms: list[Any]
    props: list[dict[str, Any]]


class _GeometryPool(Element):
    """All geometries of a page, each once, in one JSON block.

    Layers refer to geometries by index, so the same cells in several layers
    (hour-by-hour layers, both halves of a dual map, outlines and municipality
    tooltips) cost their coordinates only once in the file.
    """

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeometryPool"
        self.index: dict[bytes, int] = {}
        self.geoms: list[Any] = []

    def add(self, geoms: Sequence[Any]) -> list[int]:
        out = []
        for g, key in zip(geoms, shapely.to_wkb(np.asarray(geoms, dtype=object)), strict=True):
            i = self.index.get(key)
            if i is None:
                i = self.index[key] = len(self.geoms)
                self.geoms.append(g)
            out.append(i)
        return out

    def render(self, **kwargs: Any) -> str:
        data = [shapely.geometry.mapping(g) for g in self.geoms]
        return f'<script type="application/json" id="geoplan_geoms">{_js(data)}</script>'


def _pool(root: Figure) -> _GeometryPool:
    pool = getattr(root, "_geoplan_pool", None)
    if pool is None:
        pool = _GeometryPool()
        root._geoplan_pool = pool  # type: ignore[attr-defined]  # geoplan's state on the folium Figure
        root.html.add_child(pool, name="geoplan_geoms")
    return pool


class _GeoLayer(Layer):
    """A layer made by ``geoplan.<factory>(map, name, dataId, show, *options)`` in geoplan-map.js.

    The data go into a ``<script type="application/json">`` block in the body
    (``JSON.parse`` of a string is much faster than parsing a large JS
    literal); geometries go to the page's :class:`_GeometryPool`. A layer that
    is off at start is built in the page only when first switched on.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = geoplan.{{ this.factory }}("
        "{{ this._parent.get_name() }}, {{ this.args_js() }});"
        "{% endmacro %}"
    )

    def __init__(
        self, factory: str, name: str, data: Any, options: Sequence[Any] = (), *, show: bool = True
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoplanLayer"
        self.factory = factory
        self.data = data
        self.options = list(options)

    def data_id(self) -> str:
        return f"{self.get_name()}_data"

    def args_js(self) -> str:
        args = [self.layer_name, self.data_id(), bool(self.show), *self.options]
        return ",".join(_js(a) for a in args)

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # folium's Layer.render returns None
        root = cast(Figure, self.get_root())
        data = self.data
        if isinstance(data, _Features):
            data = {"i": _pool(root).add(data.geoms), "p": data.props}
        block = f'<script type="application/json" id="{self.data_id()}">{_js(data)}</script>'
        root.html.add_child(_Raw(block), name=self.data_id())
        super().render(**kwargs)


class _Legend(MacroElement):
    """A legend control; ``items`` may still grow until the map is rendered."""

    _template = Template(
        "{% macro script(this, kwargs) %}geoplan.legend({{ this._parent.get_name() }}, "
        "{title: {{ this.title_js() }}, items: {{ this.items_js() }}"
        "{% if this.layer %}, layer: {{ this.layer.get_name() }}{% endif %}});"
        "{% endmacro %}"
    )

    def __init__(self, title: str, items: list[tuple[str, str]], layer: Layer | None = None):
        super().__init__()
        self._name = "GeoplanLegend"
        self.title = title
        self.items = items
        self.layer = layer

    def title_js(self) -> str:
        return _js(self.title)

    def items_js(self) -> str:
        return _js([list(i) for i in self.items])


@dataclass
class _State:
    lang: str
    dual: bool = False
    symbols: _Legend | None = None
    kinds: list[str] = field(default_factory=list)
    finalized: bool = False


def _state(m: folium.Map) -> _State:
    st = getattr(m, "_geoplan", None)
    if st is None:
        raise TypeError("this map was not made by geoplan.output.maps.base_map() or dual_map()")
    return st


def _maps(m: Any) -> list[folium.Map]:
    """The folium maps behind ``m``: a map, or both halves of a dual map."""
    if isinstance(m, DualMap):
        return [m.m1, m.m2]
    if isinstance(m, folium.Map):
        _state(m)
        return [m]
    raise TypeError(f"expected a folium.Map or DualMap from geoplan.output.maps, got {type(m).__name__}")


# ----------------------------------------------------------------------------- geometry


def _prepared(gdf: gpd.GeoDataFrame, *, what: str, tolerance_m: float) -> gpd.GeoDataFrame:
    """Rows with a geometry, simplified in metres, in WGS84, coordinates rounded, 2D."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(None, f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(None, f"{what} has no CRS", "set it, e.g. gdf.set_crs(25832)")
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    geom = gdf.geometry if gdf.crs.equals(WORK_CRS) else gdf.geometry.to_crs(WORK_CRS)
    values = shapely.force_2d(geom.values)
    if tolerance_m > 0:
        values = shapely.simplify(values, tolerance_m, preserve_topology=True)
    wgs = gpd.GeoSeries(values, index=gdf.index, crs=WORK_CRS).to_crs(MAP_CRS)
    rounded = shapely.transform(wgs.values, lambda c: np.round(c, COORD_DECIMALS))
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(rounded, index=gdf.index, crs=MAP_CRS))
    return out[~out.geometry.is_empty]


def _add_layer(m: folium.Map, layer: Layer) -> Layer:
    """Add a layer; a name already in this map's layer control gets " (2)", " (3)", ...

    (The layer control is keyed by name: a duplicate would hide the first layer.)
    """
    taken = {c.layer_name for c in m._children.values() if isinstance(c, Layer)}
    name, i = layer.layer_name, 2
    while layer.layer_name in taken:
        layer.layer_name = f"{name} ({i})"
        i += 1
    m.add_child(layer)
    return layer


def _collection(geoms: Iterable[Any], props: Iterable[dict[str, Any]]) -> _Features:
    geoms, props = list(geoms), list(props)
    if len(geoms) != len(props):  # pragma: no cover - internal
        raise ValueError("geometries and properties differ in length")
    return _Features(geoms, props)


def _points_wgs84(df: pd.DataFrame, *, what: str) -> np.ndarray:
    """(n, 2) lat, lon for a GeoDataFrame (any CRS) or a DataFrame with lon/lat columns."""
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df:
        if df.crs is None:
            raise InputError(None, f"{what} has no CRS", "set it, e.g. gdf.set_crs(25832)")
        geom = df.geometry
        if geom.isna().any() or geom.is_empty.any():
            bad = list(df.index[geom.isna() | geom.is_empty][:5])
            raise InputError(None, f"{what}: rows {bad} have no geometry", "drop or geocode them")
        pts = geom.to_crs(MAP_CRS)
        pts = pts.where(pts.geom_type == "Point", pts.representative_point())
        return np.column_stack([pts.y.to_numpy(), pts.x.to_numpy()]).round(COORD_DECIMALS)
    if not {"lon", "lat"} <= set(df.columns):
        raise InputError(
            None,
            f"{what}: a plain DataFrame needs 'lon' and 'lat' columns (WGS84)",
            "add them, or pass a GeoDataFrame with a CRS",
        )
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        rows = list(df.index[bad][:5])
        raise InputError(None, f"{what}: rows {rows} have no valid lon/lat", "fix or drop them")
    return np.column_stack([lat, lon]).round(COORD_DECIMALS)


def _check_columns(df: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            None,
            f"{what}: no column(s) {missing}; it has {list(df.columns)}",
            "rename the columns or change the field mapping",
        )


def _shown(v: object, lang: str) -> str:
    """A tooltip value; negative numbers with a true minus sign (−)."""
    text = fmt_number(v, lang)
    return "\u2212" + text[1:] if isinstance(v, int | float | np.number) and text.startswith("-") else text


def _values(df: pd.DataFrame, fields: dict[str, str], lang: str) -> list[list[str]]:
    cols = [df[c].tolist() for c in fields]
    return (
        [[_shown(v, lang) for v in row] for row in zip(*cols, strict=True)]
        if cols
        else ([[] for _ in range(len(df))])
    )


_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9.,\s%]+\))$")


def _swatch(color: str, *, line: bool = False, dash: str | None = None) -> str:
    if not _COLOR.match(color):
        raise InputError(None, f"not a CSS colour: {color!r}", "use e.g. '#d73027' or 'red'")
    if line:
        style = f"border-top:3px {'dashed' if dash else 'solid'} {color}"
        return f'<i class="geoplan-swatch-line" style="{style}"></i>'
    return f'<i class="geoplan-swatch" style="background:{color}"></i>'


# ----------------------------------------------------------------------------- base map


def _town_rows(places: pd.DataFrame) -> list[list[Any]]:
    _check_columns(places, ["name", "lon", "lat", "population"], what="places")
    p = places.copy()
    p["population"] = pd.to_numeric(p["population"], errors="coerce").fillna(0)
    p = p.sort_values(["population", "name"], ascending=[False, True], kind="mergesort")
    latlon = _points_wgs84(p, what="places")
    sizes = np.where(p["population"] >= 100_000, "l", np.where(p["population"] >= 25_000, "m", "s"))
    return [
        [float(la), float(lo), str(n), str(s)]
        for (la, lo), n, s in zip(latlon, p["name"], sizes, strict=True)
    ]


def _decorate(
    m: folium.Map,
    *,
    boundary: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    places: pd.DataFrame | None,
    title: str,
    caption: str,
    lang: str,
    tiles: bool,
    fullscreen_target: str,
    outline_tolerance_m: float,
) -> None:
    """Panes, controls, title, outlines and town labels on one folium map."""
    m._geoplan = _State(lang=lang, dual=fullscreen_target == "page")  # type: ignore[attr-defined]
    setup = {
        "lang": lang,
        "title": title,
        "caption": caption,
        "zoomIn": t("control.zoom_in", lang),
        "zoomOut": t("control.zoom_out", lang),
        "fullscreen": t("control.fullscreen", lang),
        "fullscreenTarget": fullscreen_target,
    }
    m.add_child(_Script(lambda: f"geoplan.setup({m.get_name()}, {_js(setup)});"))
    if tiles:
        folium.TileLayer(
            "OpenStreetMap",
            name=t("layer.background", lang),
            overlay=True,
            show=False,
            control=True,
        ).add_to(m)

    region = _prepared(boundary, what="boundary", tolerance_m=outline_tolerance_m)
    reg = _collection(region.geometry, [{} for _ in range(len(region))])
    _add_layer(m, _GeoLayer("region", t("layer.region", lang), reg))

    _check_columns(municipalities, ["kode", "navn"], what="municipalities")
    munis = _prepared(municipalities, what="municipalities", tolerance_m=outline_tolerance_m)
    munis = munis.sort_values("kode", kind="mergesort")
    data = _collection(munis.geometry, [{"n": str(n)} for n in munis["navn"]])
    style = {"color": "#555", "weight": 1.3, "opacity": 0.85, "dashArray": "5 3"}
    _add_layer(m, _GeoLayer("outlines", t("layer.municipal_borders", lang), data, [style]))

    if places is not None and len(places):
        _add_layer(m, _GeoLayer("towns", t("layer.towns", lang), _town_rows(places)))

    b = region.total_bounds  # minx, miny, maxx, maxy
    m.fit_bounds([[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]], padding=(10, 10))


def _new_map(center: list[float], **kwargs: Any) -> folium.Map:
    m = folium.Map(
        location=center,
        tiles=None,
        zoom_start=8,
        zoom_control=False,
        zoom_snap=0.25,
        zoom_delta=0.5,
        min_zoom=5,
        max_zoom=17,
        **kwargs,
    )
    m.default_js = []  # instance attributes: no CDN links (Leaflet is inlined)
    m.default_css = []
    return m


def _center(boundary: gpd.GeoDataFrame) -> list[float]:
    if boundary.crs is None:
        raise InputError(None, "boundary has no CRS", "set it, e.g. gdf.set_crs(25832)")
    b = boundary.to_crs(MAP_CRS).total_bounds
    if not np.all(np.isfinite(b)):
        raise InputError(None, "boundary has no geometry", "pass the region polygon(s)")
    return [round((b[1] + b[3]) / 2, 5), round((b[0] + b[2]) / 2, 5)]


def base_map(
    *,
    boundary: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    places: pd.DataFrame | None = None,
    title: str,
    caption: str,
    lang: str = "da",
    tiles: bool = True,
    outline_tolerance_m: float = 30.0,
) -> folium.Map:
    """A map of the region that reads without tiles and opens offline.

    Parameters
    ----------
    boundary
        Region polygon(s), EPSG:25832 (any CRS is converted).
    municipalities
        Municipality polygons with columns ``kode``, ``navn`` (dissolved: one
        row per municipality); drawn as dashed borders.
    places
        Towns to label: columns ``name``, ``lon``, ``lat`` (WGS84),
        ``population`` (label size: >= 100,000 large, >= 25,000 medium).
        All rows are labelled: pass only the main towns.
    title, caption
        Shown on the map (top left). The caption should say what the map shows,
        the data year(s) and sources, in one line.
    lang
        ``"da"`` (default) or ``"en"``: layer names, controls, number format.
    tiles
        Offer an OpenStreetMap background in the layer control (off at start;
        it needs internet when switched on).
    outline_tolerance_m
        Simplification of the outlines in metres (30 m is below a pixel at the
        zooms a region is looked at).

    Returns
    -------
    folium.Map
        Add layers with :func:`add_cells`, :func:`add_facilities`, ... and
        write it with :func:`save_map`. The layer control is added on saving,
        after all layers.
    """
    check_lang(lang)
    m = _new_map(_center(boundary))
    cast(Figure, m.get_root()).title = title
    _decorate(
        m,
        boundary=boundary,
        municipalities=municipalities,
        places=places,
        title=title,
        caption=caption,
        lang=lang,
        tiles=tiles,
        fullscreen_target="map",
        outline_tolerance_m=outline_tolerance_m,
    )
    return m


def dual_map(
    *,
    boundary: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    places: pd.DataFrame | None = None,
    left: str,
    right: str,
    title: str,
    caption: str,
    lang: str = "da",
    tiles: bool = True,
    outline_tolerance_m: float = 30.0,
) -> DualMap:
    """Two synchronised maps side by side (``geoplan compare``), offline.

    Both halves get the base layers of :func:`base_map`; panning or zooming
    one moves the other. Add layers per half with ``add_cells(d.m1, ...)`` /
    ``add_cells(d.m2, ...)``, or to both at once by passing the DualMap itself.

    Parameters
    ----------
    left, right
        Short names of the two sides (e.g. the scenario names), shown in each
        half's title as ``"{title}: {left}"``.
    title, caption, boundary, municipalities, places, lang, tiles, outline_tolerance_m
        As for :func:`base_map`.

    Returns
    -------
    folium.plugins.DualMap
        Save it with :func:`save_map`.
    """
    check_lang(lang)
    d = DualMap(
        location=_center(boundary),
        layout="horizontal",
        tiles=None,
        zoom_start=8,
        zoom_control=False,
        zoom_snap=0.25,
        zoom_delta=0.5,
        min_zoom=5,
        max_zoom=17,
    )
    d.default_js = []  # its Leaflet.Sync CDN link: geoplan-map.js provides Map.sync
    cast(Figure, d.get_root()).title = title
    for half, side in ((d.m1, left), (d.m2, right)):
        half.default_js = []
        half.default_css = []
        _decorate(
            half,
            boundary=boundary,
            municipalities=municipalities,
            places=places,
            title=f"{title}: {side}",
            caption=caption,
            lang=lang,
            tiles=tiles,
            fullscreen_target="page",
            outline_tolerance_m=outline_tolerance_m,
        )
    return d


# ----------------------------------------------------------------------------- layers


def add_municipalities(
    m: folium.Map | DualMap,
    municipalities: gpd.GeoDataFrame,
    *,
    name: str,
    tooltip_fields: dict[str, str],
    lang: str = "da",
    show: bool = True,
) -> None:
    """Municipality polygons with a tooltip of key numbers.

    Parameters
    ----------
    municipalities
        Columns ``kode``, ``navn``, geometry and the columns named in
        ``tooltip_fields``.
    name
        Layer name in the layer control.
    tooltip_fields
        ``{column: label}``, in display order; the tooltip heading is ``navn``.
        Numbers are formatted for ``lang`` (Danish ``12.345,6``).
    show
        Whether the layer is on at start.

    Notes
    -----
    The polygons lie *under* a cells layer: where cells are shown, the cells
    take the mouse; switch the cells off in the layer control to read the
    municipality tooltips.
    """
    check_lang(lang)
    _check_columns(municipalities, ["kode", "navn", *tooltip_fields], what="municipalities")
    munis = _prepared(municipalities, what="municipalities", tolerance_m=30.0)
    munis = munis.sort_values("kode", kind="mergesort")
    vals = _values(munis, tooltip_fields, lang)
    props = [{"n": str(n), "v": v} for n, v in zip(munis["navn"], vals, strict=True)]
    data = _collection(munis.geometry, props)
    for mm in _maps(m):
        _add_layer(
            mm,
            _GeoLayer(
                "municipalities", name, data, [{"labels": list(tooltip_fields.values())}], show=show
            ),
        )


def _band_labels(bands: Sequence[float], unit: str, lang: str, *, from_zero: bool) -> list[str]:
    def f(x: float) -> str:  # a true minus sign (−), as in every other geoplan label
        return fmt_number(x, lang, digits=0 if float(x).is_integer() else 1).replace("-", "\u2212")

    u = f" {unit}" if unit else ""
    first = f"0–{f(bands[0])}{u}" if from_zero else f"≤ {f(bands[0])}{u}"
    mids = [f"{f(a)}–{f(b)}{u}" for a, b in zip(bands[:-1], bands[1:], strict=True)]
    return [first, *mids, f"> {f(bands[-1])}{u}"]


def add_cells(
    m: folium.Map | DualMap,
    cells: gpd.GeoDataFrame,
    *,
    column: str,
    bands: Sequence[float],
    name: str,
    colors: Sequence[str] | None = None,
    tooltip_fields: dict[str, str] | None = None,
    unit: str = "min",
    lang: str = "da",
    show_legend: bool = True,
    show: bool = True,
    opacity: float = 0.75,
    tolerance_m: float = 10.0,
    canvas: bool = True,
    population: str | None = "pop",
) -> None:
    """Cells (e.g. 1 km population cells) coloured by classes of one column.

    One layer in the layer control. In the page the cells of each class are
    drawn as one multipolygon (no per-cell Leaflet objects: 13,000 cells open
    in well under a second, with no seams between neighbours), and a grid
    index finds the cell under the mouse for its tooltip and outline.
    Coordinates are rounded to 1e-5 degrees and simplified by ``tolerance_m``
    metres (squares stay squares); geometries shared with other layers of the
    page (other hours, the other half of a dual map) are stored once. A layer
    that is off at start is built only when first switched on.

    Parameters
    ----------
    cells
        Polygons (EPSG:25832) with ``column`` and the ``tooltip_fields`` columns.
    column
        Numeric column to classify. NaN or infinite values form an extra grey
        class "unreachable".
    bands
        Increasing class limits: ``[15, 30, 45, 60]`` gives 0–15, 15–30,
        30–45, 45–60, > 60 (upper limits included: 15 falls in 0–15). The first
        label starts at 0 when no value is negative, else reads "≤ 15".
    name
        Layer name in the layer control; also the legend title.
    colors
        One CSS colour per class (``len(bands) + 1``); default the colour-blind-safe
        sequential scheme of :func:`geoplan.output.palettes.sequential` (light = short).
    tooltip_fields
        ``{column: label}`` shown on hover; keep it short (it is repeated per
        cell in the file). ``None``: no tooltip.
    unit
        Appended to the band labels (``"min"``, ``"%"``, ``""``).
    show_legend
        Add a legend (shown while the layer is on).
    show, opacity
        Layer on at start; fill opacity.
    canvas
        Draw on the map's shared canvas (default: about twice as fast to open
        as SVG for 13,000 cells). ``False`` draws SVG paths instead (sharper
        when printed; municipality tooltips under the cells may then be
        unreachable).
    population
        Column of inhabitants per cell: the legend gives each class's population
        (``None`` or a missing column: no counts).

    Raises
    ------
    InputError
        Missing columns, bands not increasing, wrong number of colours.
    """
    check_lang(lang)
    tooltip_fields = dict(tooltip_fields or {})
    _check_columns(cells, [column, *tooltip_fields], what="cells")
    b = [float(x) for x in bands]
    if (
        not b
        or any(not math.isfinite(x) for x in b)
        or any(y <= x for x, y in itertools.pairwise(b))
    ):
        raise InputError(None, f"bands must be finite and strictly increasing, got {list(bands)}")
    n_classes = len(b) + 1
    if colors is None:
        from geoplan.output.palettes import sequential

        colors = sequential(n_classes)
    colors = list(colors)
    if len(colors) != n_classes:
        raise InputError(
            None,
            f"{len(colors)} colours for {n_classes} classes (bands {b})",
            "pass len(bands) + 1 colours",
        )
    for c in colors:
        _swatch(c)  # validates

    g = _prepared(cells, what="cells", tolerance_m=tolerance_m)
    v = pd.to_numeric(g[column], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(v)
    band = np.full(len(v), n_classes, dtype=int)
    band[finite] = np.searchsorted(np.asarray(b), v[finite], side="left")
    vals = _values(g, tooltip_fields, lang)
    props = [{"b": int(k), "v": row} for k, row in zip(band, vals, strict=True)]
    data = _collection(g.geometry, props)
    opts = {
        "colors": [*colors, _UNREACHABLE_COLOR],
        "labels": list(tooltip_fields.values()),
        "opacity": float(opacity),
        "canvas": bool(canvas),
    }
    # "0–15" only when the scale starts above zero and no value is negative; else "≤ -15"
    negative = b[0] <= 0 or (finite.any() and np.nanmin(v[finite]) < 0)
    labels = _band_labels(b, unit, lang, from_zero=not negative)
    if population is not None and population in g.columns:
        pop = pd.to_numeric(g[population], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        per_band = np.bincount(band, weights=pop, minlength=n_classes + 1)
        labels = [*labels, t("legend.unreachable", lang)]
        labels = [f"{lab} · " + t("legend.population_in_band", lang, n=fmt_number(float(round(n)), lang, digits=0))
                  for lab, n in zip(labels, per_band, strict=True)]
        unreachable_label = labels.pop()
    else:
        unreachable_label = t("legend.unreachable", lang)
    items = [(_swatch(c), lab) for c, lab in zip(colors, labels, strict=True)]
    if (~finite).any():
        items.append((_swatch(_UNREACHABLE_COLOR), unreachable_label))
    for mm in _maps(m):
        layer = _GeoLayer("cells", name, data, [opts], show=show)
        _add_layer(mm, layer)
        if show_legend:
            mm.add_child(_Legend(name, items, layer))


def add_facilities(
    m: folium.Map | DualMap,
    facilities: gpd.GeoDataFrame | pd.DataFrame,
    *,
    kind: str,
    name: str,
    label_field: str = "name",
    popup_fields: dict[str, str] | None = None,
    lang: str = "da",
    show: bool = True,
) -> None:
    """Facility markers with a distinct symbol per kind.

    Parameters
    ----------
    facilities
        Points: a GeoDataFrame in any CRS (polygons use a representative
        point), or a DataFrame with ``lon``/``lat`` (WGS84).
    kind
        One of :data:`FACILITY_KINDS` (acute_hospital, other_hospital,
        neighbour_hospital, ambulance_station, physician_car, helicopter_base,
        health_house, psychiatry_house, candidate_site, chosen_site). Each has
        its own shape and colour; the kind is added to the map's symbol legend.
    name
        Layer name in the layer control.
    label_field
        Column shown as tooltip on hover (missing column: no tooltip).
    popup_fields
        ``{column: label}`` shown in a popup on click.
    """
    check_lang(lang)
    _check_kind(kind)
    popup_fields = dict(popup_fields or {})
    _check_columns(facilities, list(popup_fields), what=f"facilities ({kind})")
    latlon = _points_wgs84(facilities, what=f"facilities ({kind})")
    labels = (
        [fmt_number(x, lang) for x in facilities[label_field]]
        if label_field in facilities.columns
        else [""] * len(facilities)
    )
    popups = [""] * len(facilities)
    if popup_fields:
        vals = _values(facilities, popup_fields, lang)
        popups = [
            '<table class="geoplan-tt">'
            + "".join(
                f"<tr><th>{html.escape(lab)}</th><td>{html.escape(x)}</td></tr>"
                for lab, x in zip(popup_fields.values(), row, strict=True)
            )
            + "</table>"
            for row in vals
        ]
        popups = [
            (f'<div class="geoplan-tt-title">{html.escape(lab)}</div>' if lab else "") + p
            for lab, p in zip(labels, popups, strict=True)
        ]
    rows = [
        [float(la), float(lo), lab, pop]
        for (la, lo), lab, pop in zip(latlon, labels, popups, strict=True)
    ]
    body, size = _SYMBOLS[kind]
    opts = {"kind": kind, "svg": _svg(body, size), "size": size}
    for mm in _maps(m):
        st = _state(mm)
        _add_layer(mm, _GeoLayer("facilities", name, rows, [opts], show=show))
        if kind not in st.kinds:
            st.kinds.append(kind)
            item = (_svg(body, 18), t(f"kind.{kind}", st.lang))
            if st.symbols is None:
                st.symbols = _Legend(t("legend.symbols", st.lang), [item])
                mm.add_child(st.symbols)
            else:
                st.symbols.items.append(item)


def add_lines(
    m: folium.Map | DualMap,
    lines: gpd.GeoDataFrame,
    *,
    name: str,
    color: str = "#d50000",
    weight: float = 4.0,
    dash: str | None = None,
    label_field: str | None = None,
    legend: bool = True,
    show: bool = True,
    tolerance_m: float = 10.0,
) -> None:
    """Lines such as cut road links or ferry routes, with an optional legend entry.

    Parameters
    ----------
    lines
        LineStrings (EPSG:25832 or any CRS).
    name
        Layer name; also the legend label and the default tooltip.
    color, weight, dash
        Line style (``dash`` e.g. ``"6 4"`` for a dashed ferry line).
    label_field
        Column used as tooltip per line.
    legend
        Add a one-item legend shown while the layer is on.
    """
    if label_field is not None:
        _check_columns(lines, [label_field], what="lines")
    g = _prepared(lines, what="lines", tolerance_m=tolerance_m)
    props = [
        {"n": fmt_number(x, "en") if not isinstance(x, str) else x} if label_field else {}
        for x in (g[label_field] if label_field else [None] * len(g))
    ]
    data = _collection(g.geometry, props)
    style: dict[str, Any] = {"color": color, "weight": weight, "opacity": 0.95}
    if dash:
        style["dashArray"] = dash
    item = (_swatch(color, line=True, dash=dash), name)
    for mm in _maps(m):
        layer = _GeoLayer("lines", name, data, [style], show=show)
        _add_layer(mm, layer)
        if legend:
            mm.add_child(_Legend("", [item], layer))


def add_legend(m: folium.Map | DualMap, *, title: str, items: list[tuple[str, str]]) -> None:
    """A legend box (bottom right) of colour swatches and labels.

    Parameters
    ----------
    title
        Legend heading.
    items
        ``[(css_colour, label), ...]``.
    """
    rows = [(_swatch(c), str(lab)) for c, lab in items]
    for mm in _maps(m):
        _state(mm)
        mm.add_child(_Legend(title, rows))


# ----------------------------------------------------------------------------- output


def _assign_ids(root: Element) -> None:
    """Replace folium's random element ids by a counter, so output is deterministic.

    Elements already numbered keep their id; the counter lives on the root.
    """
    counter = getattr(root, "_geoplan_next_id", 0)

    def visit(el: Element) -> None:
        nonlocal counter
        if not getattr(el, "_geoplan_id", False):
            el._id = f"{counter:05d}"
            el._geoplan_id = True  # type: ignore[attr-defined]
            counter += 1
        for child in list(el._children.values()):
            visit(child)

    visit(root)
    root._geoplan_next_id = counter  # type: ignore[attr-defined]


def _finalize(root: Figure) -> None:
    """Layer controls after all layers; the ready marker last; inline assets in the head."""
    maps = [c for c in root._children.values() if isinstance(c, folium.Map)]
    for c in root._children.values():
        if isinstance(c, DualMap):
            maps += [c.m1, c.m2]
    for mm in dict.fromkeys(maps):
        st = getattr(mm, "_geoplan", None)
        if st is None or st.finalized:
            continue
        LayerControl(position="topright", collapsed=st.dual).add_to(mm)
        st.finalized = True
    if not getattr(root, "_geoplan_done", False):
        for name, text in _inline_head():
            root.header.add_child(_Raw(text), name=name)
        root.add_child(_Script(lambda: "geoplan.done();"), name="geoplan_done")
        root._geoplan_done = True  # type: ignore[attr-defined]


def map_html(m: folium.Map | DualMap | Figure) -> str:
    """The complete, self-contained HTML of a geoplan map.

    Raises
    ------
    OfflineMapError
        If the page would still reference an external script, stylesheet,
        ``@import`` or ``url()``.
    """
    root = m if isinstance(m, Figure) else m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("the map is not attached to a folium Figure")
    _finalize(root)
    _assign_ids(root)
    root._geoplan_pool = None  # type: ignore[attr-defined]  # rebuilt by the layers during this render
    _pool(root)
    text = root.render()
    lang = _page_lang(root)
    if lang:
        # screen readers, hyphenation and spell checkers read the page in its language
        text = re.sub(r"<html\b[^>]*>", f'<html lang="{lang}">', text, count=1)
    refs = external_references(text)
    if refs:
        raise OfflineMapError(
            "the map would load from the network: "
            + ", ".join(refs[:5])
            + (" ..." if len(refs) > 5 else "")
            + " — remove the folium element or plugin that adds it, or inline its file"
        )
    return text


def _page_lang(root: Element) -> str | None:
    """The language of the first geoplan map on a page (``None``: no geoplan map)."""
    stack = [root]
    while stack:
        el = stack.pop(0)
        state = getattr(el, "_geoplan", None)
        if isinstance(state, _State):
            return state.lang
        stack.extend(getattr(el, "_children", {}).values())
    return None


def save_map(m: folium.Map | DualMap | Figure, path: Path) -> Path:
    """Write a map as one offline HTML file, atomically.

    The HTML is checked for external references first (nothing is written if
    any is found), then written to a temporary file in the same folder and
    moved into place with :func:`os.replace`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OfflineMapError
        The page would need the network.
    """
    path = Path(path)
    text = map_html(m)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_REF_PATTERNS = [
    re.compile(r"<script\b[^>]*?\bsrc\s*=\s*([\"']?)([^\"'\s>]+)\1", re.IGNORECASE),
    re.compile(r"<link\b[^>]*?\bhref\s*=\s*([\"']?)([^\"'\s>]+)\1", re.IGNORECASE),
    re.compile(
        r"<(?:img|iframe|source|embed|audio|video)\b[^>]*?\bsrc\s*=\s*([\"']?)([^\"'\s>]+)\1",
        re.IGNORECASE,
    ),
    re.compile(r"@import\s+(?:url\(\s*)?([\"']?)([^\"')\s;]+)\1", re.IGNORECASE),
    re.compile(r"url\(\s*([\"']?)([^\"')\s]+)\1\s*\)", re.IGNORECASE),
]


def external_references(html_text: str) -> list[str]:
    """Every ``<script src>``, ``<link href>``, ``<img/iframe src>``, ``@import`` and
    ``url()`` in ``html_text`` that points to ``http://``, ``https://`` or ``//``.

    Plain links (``<a href>``) and URL strings inside scripts (such as the
    optional tile layer's template) are not loads of the page and are not
    reported.

    Returns
    -------
    list of str
        The URLs, in order of appearance, without duplicates.
    """
    found: dict[str, None] = {}
    for pat in _REF_PATTERNS:
        for mt in pat.finditer(html_text):
            url = mt.group(2)
            if _EXTERNAL.match(url):
                found[url] = None
    return list(found)
