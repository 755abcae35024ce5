"""Maps opened in headless Chromium with the network off.

Skipped (with the reason) only when /usr/bin/chromium, /usr/bin/chromedriver or
selenium is missing; ``.ci/install-browser`` installs them. Set
``GEOPLAN_SCREENSHOTS=/some/dir`` to keep the screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path

import folium
import pytest

from browser import chromium, chromium_available, open_page
from geoplan.output import maps
from test_maps import BANDS, make_map, synthetic_inputs

_why = chromium_available()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(_why is not None, reason=_why or "")]

OPEN_LIMIT_S = 3.0


@pytest.fixture(scope="module")
def driver():
    with chromium(width=1280, height=860) as d:
        yield d


@pytest.fixture(scope="module")
def inputs():
    return synthetic_inputs()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    keep = os.environ.get("GEOPLAN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path_factory.mktemp("shots")


def assert_offline_and_clean(r) -> None:
    assert r.external_requests == [], r.external_requests
    assert r.failed == [], r.failed
    assert r.console_errors == [], r.console_errors
    assert r.probe["leaflet"] == "1.9.3"
    assert r.probe["ready"], "geoplan.done() never painted"


def assert_not_blank(r) -> None:
    img = r.image
    # a blank or single-colour page has one colour and std ~0; a map has land,
    # sea, cells in five bands, borders, text
    assert img["distinct_colours"] > 500, img
    assert img["colours_over_0.5pct"] >= 5, img
    assert img["std"] > 20, img


def test_full_map_renders_offline_fast(driver, inputs, shots, tmp_path):
    path = maps.save_map(make_map(inputs), tmp_path / "full.html")
    size_mb = path.stat().st_size / 1e6
    r = open_page(driver, path, screenshot=shots / "full.png")
    times = [r.probe["paintedMs"] / 1000]
    if times[0] >= OPEN_LIMIT_S:  # one retry: a busy 2-core machine can stall a first load
        r = open_page(driver, path, screenshot=shots / "full.png")
        times.append(r.probe["paintedMs"] / 1000)
    print(
        f"\n13,000-cell map: {size_mb:.2f} MB, painted after {', '.join(f'{x:.2f}' for x in times)} s"
    )
    assert min(times) < OPEN_LIMIT_S, times
    assert_offline_and_clean(r)
    assert_not_blank(r)
    (m,) = r.probe["maps"]
    assert m["isLeafletMap"]
    assert m["layerNames"] == [
        "Baggrundskort (OpenStreetMap, kræver internet)",
        "Regionsgrænse",
        "Kommunegrænser",
        "Byer",
        "Kommuner",
        "Køretid",
        "Akuthospital",
        "Valgt placering",
    ]
    assert "Baggrundskort (OpenStreetMap, kræver internet)" not in m["checked"]
    assert m["onMap"] == [
        "Regionsgrænse",
        "Kommunegrænser",
        "Byer",
        "Kommuner",
        "Køretid",
        "Akuthospital",
        "Valgt placering",
    ]
    legends = {lg["text"].split("\n")[0]: lg for lg in m["legends"]}
    assert legends["Køretid"]["visible"]
    assert "0–15 min" in legends["Køretid"]["text"] and "> 60 min" in legends["Køretid"]["text"]
    assert legends["Signaturer"]["visible"] and "Valgt placering" in legends["Signaturer"]["text"]
    assert m["titleVisible"] and m["title"].startswith("Køretid til nærmeste hospital")
    assert m["symbols"] == 3 and m["towns"] == 3
    assert m["fullscreenButton"]
    assert m["size"][0] > 1000 and m["size"][1] > 600


def _cell_point(driver) -> dict:
    """A cell whose centre lies on the cells canvas (not under a control or marker)."""
    return driver.execute_script(
        """
        const m = geoplan.maps[0], cells = m.geoplan.layers['Køretid'].geoplanCells;
        const size = m.getSize();
        for (let k = 0; k < cells.count; k++) {
          const p = m.latLngToContainerPoint(cells.center(k));
          if (p.x < size.x * 0.3 || p.x > size.x * 0.6 || p.y < size.y * 0.3 || p.y > size.y * 0.8) continue;
          const el = document.elementFromPoint(p.x, p.y);
          if (el && el.tagName === 'CANVAS') return {x: Math.round(p.x), y: Math.round(p.y), v: cells.props(k).v};
        }
        return null;
        """
    )


def _hover(driver, x: int, y: int) -> str:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(5, 400)
    actions.w3c_actions.pointer_action.move_to_location(x, y)
    actions.perform()
    driver.implicitly_wait(0)
    for _ in range(40):
        tips = [
            e.text
            for e in driver.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip")
            if e.is_displayed()
        ]
        if tips:
            return tips[-1]
        driver.execute_script("return new Promise(r => setTimeout(r, 50))")
    return ""


def test_tooltips_and_layer_toggle(driver, inputs, tmp_path):
    from selenium.webdriver.common.by import By

    path = maps.save_map(make_map(inputs, n_cells=3000), tmp_path / "hover.html")
    r = open_page(driver, path)
    assert_offline_and_clean(r)
    pt = _cell_point(driver)
    assert pt is not None
    tip = _hover(driver, pt["x"], pt["y"])
    # the cell's own preformatted values: municipality, population, minutes
    assert "K" in tip and "Min" in tip and pt["v"][0] in tip and pt["v"][2] in tip, (tip, pt)
    # the hovered cell is outlined: a black SVG ring around the pointer
    ring = driver.execute_script(
        """const m = geoplan.maps[0];
        const paths = [...m.getPane('geoplanOutlines').querySelectorAll('path[stroke="#000"]')];
        return paths.map(p => { const b = p.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; });"""
    )
    assert len(ring) == 1
    x0, y0, x1, y1 = ring[0]
    assert x0 <= pt["x"] <= x1 and y0 <= pt["y"] <= y1 and (x1 - x0) < 40, (ring, pt)

    # switch the cells off in the layer control: their legend hides, and the
    # municipality under the same point takes the mouse
    box = driver.find_element(By.XPATH, "//label[.//span[normalize-space()='Køretid']]//input")
    box.click()
    state = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const m = geoplan.maps[0];
        const lg = [...m.getContainer().querySelectorAll('.geoplan-legend')]
          .find(el => el.innerText.startsWith('Køretid'));
        // one task later: anything the click scheduled has run
        setTimeout(() => done({on: m.hasLayer(m.geoplan.layers['Køretid']),
                               legend: getComputedStyle(lg).display}), 20);
        """
    )
    assert state == {"on": False, "legend": "none"}
    tip = _hover(driver, pt["x"], pt["y"])
    assert "Kommune" in tip and "Indbyggere" in tip, tip


def test_hidden_layer_is_built_when_switched_on(driver, inputs, tmp_path):
    from selenium.webdriver.common.by import By

    boundary, munis, cells, places, fac = inputs
    m = maps.base_map(boundary=boundary, municipalities=munis, title="T", caption="C")
    c = cells.iloc[:1500]
    maps.add_cells(m, c, column="minutes", bands=BANDS, name="Kl. 08")
    maps.add_cells(
        m,
        c.assign(minutes=c["minutes"] * 2),
        column="minutes",
        bands=BANDS,
        name="Kl. 02",
        show=False,
    )
    r = open_page(driver, maps.save_map(m, tmp_path / "hidden.html"))
    assert_offline_and_clean(r)
    count = "return geoplan.maps[0].geoplan.layers[arguments[0]].geoplanCells.count"
    assert driver.execute_script(count, "Kl. 08") == 1500
    assert driver.execute_script(count, "Kl. 02") == 0  # not built at load
    legend_shown = """return [...document.querySelectorAll('.geoplan-legend')]
        .filter(el => el.offsetParent !== null).map(el => el.innerText.split('\\n')[0])"""
    assert driver.execute_script(legend_shown) == ["Kl. 08"]
    driver.find_element(By.XPATH, "//label[.//span[normalize-space()='Kl. 02']]//input").click()
    assert driver.execute_script(count, "Kl. 02") == 1500
    import contextlib

    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # the legend follows the layer's 'add' event (it can land a frame after the click)
    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, 5).until(lambda d: sorted(d.execute_script(legend_shown)) == ["Kl. 02", "Kl. 08"])
    assert sorted(driver.execute_script(legend_shown)) == ["Kl. 02", "Kl. 08"]
    assert driver.get_log("browser") == []


def test_english_map(driver, inputs, shots, tmp_path):
    path = maps.save_map(make_map(inputs, lang="en", n_cells=2000), tmp_path / "en.html")
    r = open_page(driver, path, screenshot=shots / "en.png")
    assert_offline_and_clean(r)
    assert_not_blank(r)
    (m,) = r.probe["maps"]
    assert m["layerNames"][:5] == [
        "Background map (OpenStreetMap, needs internet)",
        "Region boundary",
        "Municipal boundaries",
        "Towns",
        "Municipalities",
    ]
    assert any(lg["visible"] and "Symbols" in lg["text"] for lg in m["legends"])
    assert any(lg["visible"] and "Unreachable" in lg["text"] for lg in m["legends"])


def test_dual_map_is_synchronised(driver, inputs, shots, tmp_path):
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
    c = cells.iloc[:4000]
    maps.add_cells(
        d.m1, c, column="minutes", bands=BANDS, name="Tid nu", tooltip_fields={"minutes": "Min"}
    )
    maps.add_cells(
        d.m2,
        c.assign(minutes=c["minutes"] * 0.7),
        column="minutes",
        bands=BANDS,
        name="Tid forslag",
    )
    maps.add_facilities(d, fac, kind="acute_hospital", name="Akut")
    path = maps.save_map(d, tmp_path / "dual.html")
    r = open_page(driver, path, screenshot=shots / "dual.png")
    assert_offline_and_clean(r)
    assert_not_blank(r)
    left, right = r.probe["maps"]
    assert left["isLeafletMap"] and right["isLeafletMap"]
    assert left["title"].startswith("Køretid: Nu") and right["title"].startswith("Køretid: Forslag")
    assert all(any(lg["visible"] for lg in x["legends"]) for x in (left, right))
    moved = driver.execute_script(
        """
        const [a, b] = geoplan.maps;
        a.setView([56.3, 9.8], 11, {animate: false});
        const c = b.getCenter();
        return [b.getZoom(), Math.round(c.lat * 1000) / 1000, Math.round(c.lng * 1000) / 1000];
        """
    )
    assert moved == [11, 56.3, 9.8]


def test_harness_sees_a_cdn_map_fail(driver, tmp_path):
    """Negative control: folium's default map needs CDNs, and with the network off it fails."""
    path = tmp_path / "cdn.html"
    folium.Map(location=[56.2, 10.0], zoom_start=8).save(str(path))
    r = open_page(driver, path, timeout_s=1.0)
    assert r.probe["leaflet"] is None  # leaflet.js never arrived
    assert any("cdn.jsdelivr.net" in u for u in r.external_requests)
    assert r.failed and r.console_errors
