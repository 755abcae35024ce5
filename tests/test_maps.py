"""Offline maps without a browser: layers, legends, language, no external refs, size.

Generated inputs only (a box-shaped region of 19 municipalities near Aarhus,
13,000 1-km cells), so these run without the data directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geoplan.errors import InputError
from geoplan.i18n import LABELS, fmt_number, t
from geoplan.output import maps

X0, Y0 = 500_000, 6_180_000  # EPSG:25832, near Aarhus
BANDS = [15, 30, 45, 60]


def synthetic_inputs(n_cells: int = 13_000, seed: int = 0):
    """(boundary, municipalities, cells, places, facilities) in EPSG:25832 (places in WGS84)."""
    side = int(np.ceil(np.sqrt(n_cells)))  # cells fill a side x side km square
    w = (side + 2) * 1000
    boundary = gpd.GeoDataFrame(
        {"navn": ["Testregion"]}, geometry=[box(X0, Y0, X0 + w, Y0 + w)], crs=25832
    )
    munis = []
    step = w / 5
    for k in range(19):
        i, j = divmod(k, 4)
        munis.append(
            {
                "kode": f"{700 + k:04d}",
                "navn": f"Kommune {k:02d}",
                "pop": 20_000 + 1_234 * k,
                "over65_pct": 18.0 + k / 4,
                "geometry": box(
                    X0 + j * step, Y0 + i * step, X0 + (j + 1) * step, Y0 + (i + 1) * step
                ),
            }
        )
    municipalities = gpd.GeoDataFrame(munis, crs=25832)
    rng = np.random.default_rng(seed)
    ij = np.array([(i, j) for i in range(side) for j in range(side)])[:n_cells]
    geoms = [
        box(X0 + 1000 * (1 + i), Y0 + 1000 * (1 + j), X0 + 1000 * (2 + i), Y0 + 1000 * (2 + j))
        for i, j in ij
    ]
    # minutes grow with distance from a "hospital" at the centre: all bands occur
    cx, cy = X0 + w / 2, Y0 + w / 2
    d = np.hypot(ij[:, 0] * 1000 + X0 + 1500 - cx, ij[:, 1] * 1000 + Y0 + 1500 - cy) / 1000
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(n_cells),
            "minutes": np.round(d * 1.1 + rng.uniform(0, 3, n_cells), 1),
            "pop": rng.integers(0, 4000, n_cells),
            "navn": [f"Kommune {k % 19:02d}" for k in range(n_cells)],
        },
        geometry=geoms,
        crs=25832,
    )
    cells.loc[cells.index[::500], "minutes"] = np.inf  # unreachable
    centre = gpd.GeoSeries(gpd.points_from_xy([cx, cx + 20_000], [cy, cy]), crs=25832).to_crs(4326)
    places = pd.DataFrame(
        {
            "name": ["Storby", "Mellemby", "Lilleby"],
            "lon": [centre.x[0], centre.x[1], centre.x[0] - 0.3],
            "lat": [centre.y[0], centre.y[1], centre.y[0] + 0.2],
            "population": [250_000, 40_000, 5_000],
        }
    )
    facilities = gpd.GeoDataFrame(
        {
            "name": ["Hospital Øst", "Hospital <Vest>"],
            "adresse": ["Vej 1", "Gade 2"],
            "senge": [512, 1234],
        },
        geometry=gpd.points_from_xy([cx, cx - 30_000], [cy, cy + 10_000]),
        crs=25832,
    )
    return boundary, municipalities, cells, places, facilities


@pytest.fixture(scope="module")
def inputs():
    return synthetic_inputs()


def make_map(inputs, *, lang: str = "da", n_cells: int | None = None) -> folium.Map:
    boundary, munis, cells, places, fac = inputs
    if n_cells is not None:
        cells = cells.iloc[:n_cells]
    m = maps.base_map(
        boundary=boundary,
        municipalities=munis,
        places=places,
        title=t("map.travel_time", lang, what="hospital"),
        caption="Syntetiske data 2025 · kilde: test",
        lang=lang,
    )
    maps.add_municipalities(
        m,
        munis,
        name=t("layer.municipalities", lang),
        tooltip_fields={"pop": t("field.population", lang), "over65_pct": t("field.over65", lang)},
        lang=lang,
    )
    maps.add_cells(
        m,
        cells,
        column="minutes",
        bands=BANDS,
        name=t("field.travel_time", lang),
        tooltip_fields={"navn": "K", "pop": "Pop", "minutes": "Min"},
        lang=lang,
    )
    maps.add_facilities(
        m,
        fac,
        kind="acute_hospital",
        name=t("kind.acute_hospital", lang),
        popup_fields={"adresse": "Adr"},
        lang=lang,
    )
    maps.add_facilities(
        m, fac.iloc[:1], kind="chosen_site", name=t("kind.chosen_site", lang), lang=lang
    )
    return m


def overlay_names(html: str) -> list[list[str]]:
    """Overlay names of every layer control in the page, in order."""
    out = []
    for block in re.findall(r"overlays\s*:\s*\{(.*?)\n\s*\},", html, flags=re.S):
        out.append(
            [json.loads(k) for k in re.findall(r'^\s*("(?:[^"\\]|\\.)*")\s*:', block, flags=re.M)]
        )
    return out


def data_block(html: str, layer_index: int) -> object:
    """The data of the n-th geoplan layer (in page order); geometric layers as a
    FeatureCollection rebuilt from the page's geometry pool."""
    pool = json.loads(
        re.search(r'<script type="application/json" id="geoplan_geoms">(.*?)</script>', html, re.S)[
            1
        ]
    )
    blocks = re.findall(
        r'<script type="application/json" id="[^"]+_data">(.*?)</script>', html, flags=re.S
    )
    data = json.loads(blocks[layer_index])
    if isinstance(data, dict) and set(data) == {"i", "p"}:
        feats = [
            {"geometry": pool[i], "properties": p}
            for i, p in zip(data["i"], data["p"], strict=True)
        ]
        return {"type": "FeatureCollection", "features": feats}
    return data


def test_layers_legend_and_danish_labels(inputs):
    html = maps.map_html(make_map(inputs, n_cells=500))
    assert overlay_names(html) == [
        [
            "Baggrundskort (OpenStreetMap, kræver internet)",
            "Regionsgrænse",
            "Kommunegrænser",
            "Byer",
            "Kommuner",
            "Køretid",
            "Akuthospital",
            "Valgt placering",
        ]
    ]
    # legends: band labels with the unit, the unreachable class, the symbols
    for text in [
        "0–15 min",
        "15–30 min",
        "45–60 min",
        "> 60 min",
        "Ikke nåbar",
        "Signaturer",
        "Akuthospital",
    ]:
        assert json.dumps(text, ensure_ascii=False)[1:-1] in html, text
    # the background tile layer is offered but off at start
    assert re.search(r'"Baggrundskort[^"]*"\s*:\s*(\w+)', html)
    assert "tile.openstreetmap.org" in html
    tile_var = re.search(r"var (tile_layer_\w+) = L\.tileLayer", html).group(1)
    assert f"{tile_var}.addTo(" not in html
    # title and caption go to the page
    assert "Køretid til nærmeste hospital" in html
    assert "Syntetiske data 2025" in html
    assert "<title>Køretid til nærmeste hospital</title>" in html
    # Danish number format in tooltips: 20.000 + 1.234 k
    munis = data_block(html, 3)
    assert munis["features"][1]["properties"]["v"][0] == "21.234"


def test_english_labels(inputs):
    html = maps.map_html(make_map(inputs, lang="en", n_cells=500))
    names = overlay_names(html)[0]
    assert names[:5] == [
        "Background map (OpenStreetMap, needs internet)",
        "Region boundary",
        "Municipal boundaries",
        "Towns",
        "Municipalities",
    ]
    assert "Unreachable" in html and "Ikke nåbar" not in html
    assert "Regionsgrænse" not in html
    munis = data_block(html, 3)
    assert munis["features"][1]["properties"]["v"][0] == "21,234"


def test_no_external_references_and_nothing_from_cdns(inputs):
    html = maps.map_html(make_map(inputs, n_cells=200))
    assert maps.external_references(html) == []
    low = html.lower()
    for lib in ("jquery", "bootstrap", "awesome-markers", "fontawesome", "cdn.", "cdnjs"):
        assert lib not in low, lib
    # Leaflet itself is inline, with its control images as data URIs
    assert 'L.version="1.9.3"' in html or "1.9.3" in html
    assert "data:image/png;base64," in html
    assert "sourceMappingURL" not in html


def test_external_references_finds_every_kind_of_load():
    page = """
    <script src="https://cdn.example/x.js"></script>
    <script src='//cdn.example/y.js'></script>
    <link rel="stylesheet" href="http://cdn.example/z.css"/>
    <style>@import url("https://fonts.example/f.css"); .a{background:url(//img.example/a.png)}</style>
    <style>@import 'https://fonts.example/g.css';</style>
    <img src="https://img.example/b.png">
    <a href="https://example.org/">a link is not a load</a>
    <script src="local.js"></script><div style="background:url(data:image/png;base64,AAAA)"></div>
    <script>var tiles = "https://tile.example/{z}/{x}/{y}.png";</script>
    """
    assert maps.external_references(page) == [
        "https://cdn.example/x.js",
        "//cdn.example/y.js",
        "http://cdn.example/z.css",
        "https://img.example/b.png",
        "https://fonts.example/f.css",
        "https://fonts.example/g.css",
        "//img.example/a.png",
    ]


def test_save_map_refuses_cdn_plugins_and_writes_nothing(inputs, tmp_path):
    m = make_map(inputs, n_cells=50)
    folium.plugins.Fullscreen().add_to(m)  # folium's plugin loads its JS from a CDN
    target = tmp_path / "map.html"
    with pytest.raises(maps.OfflineMapError, match="cdn.jsdelivr.net"):
        maps.save_map(m, target)
    assert list(tmp_path.iterdir()) == []


def test_save_map_is_atomic_and_deterministic(inputs, tmp_path):
    target = tmp_path / "out" / "map.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    p1 = maps.save_map(make_map(inputs, n_cells=300), target)
    first = p1.read_bytes()
    assert p1 == target and first.startswith(b"<!DOCTYPE html>")
    maps.save_map(make_map(inputs, n_cells=300), target)  # a second build, same inputs
    assert target.read_bytes() == first
    assert sorted(x.name for x in target.parent.iterdir()) == ["map.html"]


def test_cells_classes_rounding_and_wgs84(inputs):
    boundary, munis, cells, places, fac = inputs
    c = cells.iloc[:6].copy()
    c["minutes"] = [0.0, 15.0, 15.01, 60.0, 61.0, np.inf]
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C", tiles=False)
    maps.add_cells(
        m, c, column="minutes", bands=BANDS, name="Tid", tooltip_fields={"minutes": "Min"}
    )
    html = maps.map_html(m)
    assert "Baggrundskort" not in html  # tiles=False: not even offered
    data = data_block(html, 2)  # region, outlines, cells (no places)
    props = [f["properties"] for f in data["features"]]
    assert [p["b"] for p in props] == [
        0,
        0,
        1,
        3,
        4,
        5,
    ]  # upper limits included; inf -> extra class
    assert [p["v"][0] for p in props] == ["0", "15", "15,0", "60", "61", "ikke nåbar"]
    coords = np.array([xy for f in data["features"] for xy in f["geometry"]["coordinates"][0]])
    assert coords[:, 0].min() > 8 and coords[:, 0].max() < 12  # lon
    assert coords[:, 1].min() > 55 and coords[:, 1].max() < 57.5  # lat
    assert np.allclose(coords, np.round(coords, 5), atol=1e-12)
    assert not re.search(r"\d\.\d{6,}", json.dumps(data))


def test_thirteen_thousand_cells_stay_small(inputs, tmp_path):
    path = maps.save_map(make_map(inputs), tmp_path / "big.html")
    size = path.stat().st_size
    html = path.read_text(encoding="utf-8")
    cells = data_block(html, 4)
    assert len(cells["features"]) == 13_000
    assert size < 10_000_000, f"{size / 1e6:.1f} MB"
    # one GeoJSON layer for all cells, not one element per cell
    assert html.count("geoplan.cells(") == 1


def test_layers_share_geometry(inputs):
    """The same cells in several layers (hours of the day) cost their coordinates once."""
    boundary, munis, cells, places, fac = inputs
    c = cells.iloc[:2000]

    def page(n_layers: int) -> str:
        m = maps.base_map(
            boundary=boundary, municipalities=munis, title="T", caption="C", tiles=False
        )
        maps.add_municipalities(m, munis, name="K", tooltip_fields={"pop": "Pop"})
        for h in range(n_layers):
            maps.add_cells(
                m,
                c.assign(minutes=c["minutes"] + h),
                column="minutes",
                bands=BANDS,
                name=f"kl. {h}",
                show=h == 0,
            )
        return maps.map_html(m)

    one, four = page(1), page(4)
    pool = json.loads(re.search(r'id="geoplan_geoms">(.*?)</script>', four, re.S)[1])
    assert len(pool) == 1 + 19 + 2000  # region, municipalities (outlines + tooltips), cells
    per_layer = (len(four) - len(one)) / 3
    assert per_layer < 0.25 * len(one), (per_layer, len(one))
    for h in range(4):  # each layer still has all its cells and its own classes
        d = data_block(four, 3 + h)
        assert len(d["features"]) == 2000


def test_duplicate_layer_names_stay_apart_and_empty_layers_work(inputs):
    boundary, munis, cells, places, fac = inputs
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C", tiles=False)
    maps.add_facilities(m, fac, kind="acute_hospital", name="Hospitaler")
    maps.add_facilities(m, fac.iloc[:1], kind="other_hospital", name="Hospitaler")
    maps.add_cells(
        m,
        cells.iloc[:0],
        column="minutes",
        bands=BANDS,
        name="Tom",
        tooltip_fields={"minutes": "M"},
    )
    html = maps.map_html(m)
    assert overlay_names(html)[0][-3:] == ["Hospitaler", "Hospitaler (2)", "Tom"]
    assert data_block(html, 4)["features"] == []


def test_facility_kinds_have_distinct_symbols(inputs):
    svgs = [maps.symbol_svg(k) for k in maps.FACILITY_KINDS]
    assert len(set(svgs)) == len(maps.FACILITY_KINDS) == 11
    # the main shape: its element and geometry, and its fill colour
    main = [
        re.search(r'<(rect|circle|path)\b([^>]*?)fill="(#[0-9a-f]{3,6})"', s).groups() for s in svgs
    ]
    assert len({(tag, geom) for tag, geom, _ in main}) >= 6  # at least six different shapes
    assert len({fill for *_, fill in main}) >= 8  # and eight fill colours
    assert len(set(main)) == 11
    for k in maps.FACILITY_KINDS:
        assert t(f"kind.{k}", "da") and t(f"kind.{k}", "en")
    boundary, munis, cells, places, fac = inputs
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C")
    with pytest.raises(
        InputError, match="(?s)unknown facility kind 'hospital'.*use one of: acute_hospital"
    ):
        maps.add_facilities(m, fac, kind="hospital", name="x")


def test_facility_popups_escape_html(inputs):
    boundary, munis, cells, places, fac = inputs
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C")
    maps.add_facilities(
        m, fac, kind="health_house", name="S", popup_fields={"adresse": "Adr", "senge": "Senge"}
    )
    html = maps.map_html(m)
    rows = data_block(html, 2)  # region, outlines, facilities
    label, popup = rows[1][2], rows[1][3]
    assert label == "Hospital <Vest>"  # plain text; the page escapes it for the tooltip
    assert "Hospital &lt;Vest&gt;" in popup and "<Vest>" not in popup
    assert "<td>1.234</td>" in popup  # Danish thousands separator


def test_dual_map_two_synced_maps(inputs, tmp_path):
    boundary, munis, cells, places, fac = inputs
    d = maps.dual_map(
        boundary=boundary,
        municipalities=munis,
        places=places,
        left="Nu",
        right="Forslag",
        title="Køretid",
        caption="C",
    )
    maps.add_cells(d.m1, cells.iloc[:100], column="minutes", bands=BANDS, name="Tid A")
    maps.add_cells(d.m2, cells.iloc[:100], column="minutes", bands=BANDS, name="Tid B")
    maps.add_facilities(d, fac, kind="acute_hospital", name="Akut")  # both halves
    html = maps.save_map(d, tmp_path / "dual.html").read_text(encoding="utf-8")
    names = overlay_names(html)
    assert len(names) == 2
    assert names[0][-2:] == ["Tid A", "Akut"] and names[1][-2:] == ["Tid B", "Akut"]
    assert re.search(r"map_\w+\.sync\(map_\w+\);", html)
    assert "Køretid: Nu" in html and "Køretid: Forslag" in html
    assert maps.external_references(html) == []


def test_lines_and_custom_legend(inputs):
    boundary, munis, cells, places, fac = inputs
    from shapely.geometry import LineString

    lines = gpd.GeoDataFrame(
        {"label": ["Broen"]},
        geometry=[LineString([(X0 + 1000, Y0 + 1000), (X0 + 9000, Y0 + 5000)])],
        crs=25832,
    )
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C")
    maps.add_lines(m, lines, name="Afbrudte forbindelser", dash="6 4", label_field="label")
    maps.add_legend(
        m, title="Forskel", items=[("#f7f7f7", "Ingen ændring"), ("#b2182b", "Længere")]
    )
    html = maps.map_html(m)
    assert "Afbrudte forbindelser" in overlay_names(html)[0]
    assert "Ingen ændring" in html and "Broen" in html
    with pytest.raises(InputError, match="not a CSS colour"):
        maps.add_legend(m, title="x", items=[("red;background:url(http://x)", "bad")])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bands": [15, 15, 30]}, "strictly increasing"),
        ({"bands": [15, 30], "colors": ["#000", "#111"]}, "2 colours for 3 classes"),
        ({"column": "nope"}, r"no column\(s\) \['nope'\]"),
        ({"tooltip_fields": {"missing": "x"}}, "missing"),
    ],
)
def test_add_cells_rejects_bad_input(inputs, kwargs, match):
    boundary, munis, cells, places, fac = inputs
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C")
    args = {"column": "minutes", "bands": BANDS, "name": "x", **kwargs}
    with pytest.raises(InputError, match=match):
        maps.add_cells(m, cells.iloc[:10], **args)


def test_inputs_without_crs_or_columns_are_rejected(inputs):
    boundary, munis, cells, places, fac = inputs
    with pytest.raises(InputError, match="boundary has no CRS"):
        maps.base_map(
            boundary=boundary.set_crs(None, allow_override=True),
            municipalities=munis,
            title="T",
            caption="C",
        )
    with pytest.raises(InputError, match="'navn'"):
        maps.base_map(
            boundary=boundary, municipalities=munis.drop(columns="navn"), title="T", caption="C"
        )
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C")
    with pytest.raises(InputError, match="lon"):
        maps.add_facilities(
            m, pd.DataFrame({"name": ["x"], "x": [1.0]}), kind="candidate_site", name="c"
        )
    # a plain DataFrame with lon/lat works
    maps.add_facilities(
        m,
        pd.DataFrame({"name": ["x"], "lon": [10.1], "lat": [56.1]}),
        kind="candidate_site",
        name="c",
    )
    assert "Mulig placering" in maps.map_html(m)


def test_i18n():
    assert t("layer.towns") == "Byer" and t("layer.towns", "en") == "Towns"
    assert t("map.coverage", "en", minutes=30) == "Coverage within 30 min"
    assert all(set(v) == {"da", "en"} and all(v.values()) for v in LABELS.values())
    with pytest.raises(KeyError, match="no label 'layer.nope'"):
        t("layer.nope")
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        t("layer.towns", "de")
    assert fmt_number(12345.67, "da") == "12.346"
    assert fmt_number(12.345, "da") == "12,3" and fmt_number(12.345, "en") == "12.3"
    assert fmt_number(np.int64(1234567), "en") == "1,234,567"
    assert fmt_number(float("inf"), "en") == "unreachable"
    assert fmt_number(float("nan"), "da") == "–" and fmt_number(None, "da") == "–"
    assert fmt_number(0.5, "da", digits=2) == "0,50"


def test_assets_ship_with_the_package():
    root = Path(maps.__file__).parents[1] / "assets"
    assert (root / "geoplan-map.js").is_file() and (root / "geoplan-map.css").is_file()
