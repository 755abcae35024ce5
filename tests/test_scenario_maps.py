"""The maps a run writes (geoplan.output.scenario_maps) say what they show, use colour-blind-safe
palettes and come with a static PNG and one-page PDF; on the tiny in-memory region."""

from __future__ import annotations

import html as html_mod
import json
import re

import pytest
from PIL import Image
from pypdf import PdfReader

from geoplan.config import Scenario
from geoplan.i18n import LABELS
from geoplan.output import palettes as P
from geoplan.output import writer
from geoplan.run.pipeline import compute_scenario

CFG = P._config()["check"]


def _scenario(lang: str = "da") -> Scenario:
    return Scenario.model_validate({
        "name": "tiny-night", "title": "Natlukning i Lilleregion", "region": "tiny", "lang": lang,
        "acute": {"thresholds": [15, 30], "bands": [15, 30], "hours": [3, 12], "at_hour": 3,
                  "n_minus_1": True},
        "health_houses": {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                          "frontier": {"p_min": 1, "p_max": 2}},
    })


@pytest.fixture
def runs(tiny_region, tmp_path):
    out = {}
    for lang in ("da", "en"):
        run = compute_scenario(_scenario(lang), region=tiny_region)
        writer.write_run(run, tmp_path / lang)
        out[lang] = (run, tmp_path / lang)
    return out


def _setup(page: str) -> dict:
    """The title and caption the map page was built with (geoplan.setup(map, {...}))."""
    m = re.search(r"geoplan\.setup\([^,]+, (\{.*?\})\);", page)
    assert m, "no geoplan.setup call"
    return json.loads(m.group(1))


def test_titles_name_what_the_hour_and_the_scenario(runs):
    run, out = runs["da"]
    page = (out / "acute.html").read_text(encoding="utf-8")
    s = _setup(page)
    assert s["title"] == "Køretid til nærmeste åbne akuthospital, kl. 03 — Natlukning i Lilleregion"
    # Hospital E is open 07–22: closed at 03, said in the caption and drawn as closed
    assert "Scenarie: tiny-night" in s["caption"] and "Lukket kl. 03: Hospital E" in s["caption"]
    assert "Lukkede akuthospitaler (kl. 03)" in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="da">' in page[:200]
    houses = _setup((out / "health_houses.html").read_text(encoding="utf-8"))
    assert houses["title"].endswith("hele døgnet — Natlukning i Lilleregion")
    run_en, out_en = runs["en"]
    s_en = _setup((out_en / "acute.html").read_text(encoding="utf-8"))
    assert s_en["title"] == "Travel time to nearest open acute hospital, at 03:00 — Natlukning i Lilleregion"
    assert '<html lang="en">' in (out_en / "acute.html").read_text(encoding="utf-8")[:200]


def test_legend_gives_population_per_band(runs):
    run, out = runs["da"]
    page = (out / "acute.html").read_text(encoding="utf-8")
    counts = [int(x.replace(".", "")) for x in re.findall(r"([\d.]+) indb\.", page)]
    # the main layer's legend: its bands hold the whole population (1,500 in the tiny region)
    assert 1500 in {sum(counts[i:i + 3]) for i in range(len(counts) - 2)}


def test_every_palette_in_use_survives_deuteranopia(runs):
    seen = 0
    for lang in ("da", "en"):
        run, out = runs[lang]
        for name in run.written:
            if not name.endswith(".html") or name == "report.html":
                continue
            page = (out / name).read_text(encoding="utf-8")
            for m in re.finditer(r'"colors":\s*\[([^\]]*)\]', page):
                colors = json.loads(f"[{m.group(1)}]")
                res = P.check_distinct(colors, visions=["deuteranopia"], opacity=CFG["map_opacity"],
                                       background=CFG["map_background"])
                assert all(r.passed for r in res), (name, colors, [(r.min_delta_e, r.pair) for r in res])
                seen += 1
    assert seen >= 6


def test_every_map_has_a_png_and_a_one_page_pdf(runs):
    run, out = runs["da"]
    maps = [n for n in run.written if n.endswith(".html") and n != "report.html"]
    assert {"acute.html", "acute_n_minus_1.html", "health_houses.html"} <= set(maps)
    for m in maps:
        stem = m.removesuffix(".html")
        with Image.open(out / f"{stem}.png") as im:
            assert im.size[0] > 1000 and im.size[1] > 700
            # a map, not an empty page: many colours
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 20
        pdf = PdfReader(out / f"{stem}.pdf")
        assert len(pdf.pages) == 1
        text = pdf.pages[0].extract_text()
        assert "Natlukning i Lilleregion" in text.replace("\n", " ") or "tiny-night" in text


def test_report_lists_chosen_sites_and_the_n_minus_1_table(runs):
    run, out = runs["da"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Hvor husene skal ligge: sundhedshuse" in page and "Town D" in page
    assert "Hvad hvert ekstra hus giver" in page
    assert "N-1: hvis ét akuthospital lukker" in page and "Hospital A" in page
    # answer first: the answer tables come before the list of maps
    assert page.index("Hvor husene skal ligge") < page.index("<h2>Kort</h2>")


def test_every_label_has_both_languages():
    missing = [k for k, v in LABELS.items() if not (v.get("da") and v.get("en"))]
    assert missing == []


def _visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html_mod.unescape(re.sub(r"<[^>]+>", " ", page))


def _setup_text(page: str) -> str:
    return " ".join(str(v) for v in _setup(page).values()) if "geoplan.setup(" in page else ""


def test_danish_outputs_hold_no_english_labels(runs):
    """Every English label that differs from its Danish one must not appear in a Danish run's pages."""
    english = {v["en"] for v in LABELS.values()
               if v.get("en") and v["en"] != v.get("da") and len(v["en"]) > 6 and "{" not in v["en"]}
    run, out = runs["da"]
    for name in run.written:
        if not name.endswith(".html"):
            continue
        page = (out / name).read_text(encoding="utf-8")
        text = _visible_text(page) + " " + _setup_text(page) + " " + " ".join(
            re.findall(r'"name":\s*"([^"]*)"', page))
        found = sorted(e for e in english if re.search(rf"(?<!\w){re.escape(e)}(?!\w)", text))
        assert found == [], (name, found)


def test_hospital_popups_list_functions_and_hours(runs):
    run, out = runs["da"]
    page = (out / "acute.html").read_text(encoding="utf-8")
    # Hospital A has PCI, opening hours 00-24 (tiny region)
    assert "PCI (blodprop i hjertet)" in page and "Funktioner" in page and "00-24" in page


def test_difference_bands_and_tooltips_use_a_true_minus_sign(tiny_region, tmp_path):
    import geopandas as gpd
    import shapely

    from geoplan.output import maps

    m = maps.base_map(boundary=tiny_region.boundary, municipalities=tiny_region.municipalities, title="T",
                      caption="C", lang="da")
    cells = gpd.GeoDataFrame({"d": [-7.5, 3.0], "pop": [10.0, 20.0]},
                             geometry=[shapely.box(500_000, 6_200_000, 501_000, 6_201_000),
                                       shapely.box(501_000, 6_200_000, 502_000, 6_201_000)], crs=25832)
    maps.add_cells(m, cells, column="d", bands=[-5, -0.5, 0.5, 5], name="Forskel",
                   colors=list(P.diverging(5)), tooltip_fields={"d": "min"}, lang="da")
    page = maps.map_html(m)
    assert "≤ −5 min" in page and "−5–−0,5 min" in page and "−7,5" in page
    assert "≤ -5" not in page and '"-7,5"' not in page
