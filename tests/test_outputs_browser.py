"""A run's map and report in headless Chromium at 1400×1000 (desktop) and 420×850 (phone):
title and legend visible and not covered by the layer control; the report fits the phone's width."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser import chromium, chromium_available, open_page
from geoplan.config import Scenario
from geoplan.output import writer
from geoplan.run.pipeline import compute_scenario

_why = chromium_available()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(_why is not None, reason=_why or "")]

SIZES = {"desktop": (1400, 1000), "phone": (420, 850)}

# Where the title, the first legend and the layer control are, and whether the middle of the
# title and of the legend is the element itself (not something drawn over it).
_BOXES_JS = r"""
const box = (sel) => {  // the first element of sel that is shown (legends of hidden layers are not)
  const e = [...document.querySelectorAll(sel)].find(x => x.getBoundingClientRect().width > 0); if (!e) return null;
  const r = e.getBoundingClientRect(); if (r.width === 0 || r.height === 0) return null;
  const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 12);
  const hit = document.elementFromPoint(x, y);
  return {l: r.left, t: r.top, r: r.right, b: r.bottom, on_top: !!hit && (e === hit || e.contains(hit))}; };
return {title: box('.geoplan-title'), legend: box('.geoplan-legend'),
        layers: box('.leaflet-control-layers'), w: window.innerWidth, h: window.innerHeight};
"""


def _overlap(a, b) -> bool:
    return a is not None and b is not None and a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def _inside(a, w, h) -> bool:
    return a is not None and a["l"] >= -1 and a["t"] >= -1 and a["r"] <= w + 1 and a["b"] <= h + 1


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from conftest import tiny_region_object

    os.environ.setdefault("GEOPLAN_MATRIX_CACHE", "0")
    sc = Scenario.model_validate({
        "name": "tiny-night", "title": "Natlukning i Lilleregion", "region": "tiny", "lang": "da",
        "acute": {"thresholds": [15, 30], "bands": [15, 30], "hours": [3, 12], "at_hour": 3, "n_minus_1": True},
        "health_houses": {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                          "frontier": {"p_min": 1, "p_max": 2}},
    })
    out = tmp_path_factory.mktemp("run") / "out"
    writer.write_run(compute_scenario(sc, region=tiny_region_object()), out)
    return out


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    keep = os.environ.get("GEOPLAN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path_factory.mktemp("shots")


def _emulate(driver, w: int, h: int) -> None:
    # headless Chromium's windows are at least 500 px wide: emulate the viewport
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600})


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("page", ["acute.html", "acute_n_minus_1.html", "health_houses.html"])
def test_map_title_and_legend_are_readable(run_dir, shots, size, page):
    w, h = SIZES[size]
    with chromium(width=max(w, 600), height=h) as driver:
        _emulate(driver, w, h)
        r = open_page(driver, run_dir / page, screenshot=shots / f"{Path(page).stem}-{size}.png")
        assert r.probe["ready"] and r.console_errors == [] and r.external_requests == []
        assert r.image["distinct_colours"] > 100
        b = driver.execute_script(_BOXES_JS)
        assert (b["w"], b["h"]) == (w, h)
        for part in ("title", "legend"):
            assert _inside(b[part], w, h), (part, b)
            assert b[part]["on_top"], (part, b)
            assert not _overlap(b[part], b["layers"]), (part, b)
        if size == "phone":  # the layer control is just its button
            assert b["layers"]["r"] - b["layers"]["l"] < 60


@pytest.mark.parametrize("size", list(SIZES))
def test_report_is_readable(run_dir, shots, size):
    w, h = SIZES[size]
    with chromium(width=max(w, 600), height=h) as driver:
        _emulate(driver, w, h)
        driver.get((run_dir / "report.html").resolve().as_uri())
        driver.save_screenshot(str(shots / f"report-{size}.png"))
        s = driver.execute_script(r"""
          const h1 = document.querySelector('h1').getBoundingClientRect();
          const tables = [...document.querySelectorAll('table')].map(t => t.closest('.scroll') !== null);
          return {h1: [h1.left, h1.right, h1.top], sw: document.documentElement.scrollWidth, w: innerWidth,
                  font: parseFloat(getComputedStyle(document.querySelector('td')).fontSize), tables,
                  text: document.body.innerText};""")
        assert s["w"] == w and s["sw"] <= w + 1, s["sw"]       # nothing wider than the screen
        assert s["h1"][0] >= 0 and s["h1"][1] <= w and s["h1"][2] < 120
        assert s["font"] >= 11 and all(s["tables"])
        assert "Hvor husene skal ligge" in s["text"] and "N-1" in s["text"]
