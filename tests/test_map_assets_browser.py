"""Print CSS and the small-screen layer control of the HTML maps, in headless Chromium.

Print is emulated through DevTools (``Emulation.setEmulatedMedia``): the layer
control and zoom buttons disappear, the title and legend stay, and the map is
fitted to the whole region even when the reader had zoomed in. At 420 × 850
(a phone) the layer control starts collapsed to its button and opens on a tap.
"""

from __future__ import annotations

import time

import pytest

from browser import chromium, chromium_available, open_page
from geoplan.output import maps
from test_maps import make_map, synthetic_inputs

_why = chromium_available()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(_why is not None, reason=_why or "")]

_STATE_JS = r"""
const m = geoplan.maps[0], c = m.getContainer();
const vis = el => { if (!el) return false; const s = getComputedStyle(el), r = el.getBoundingClientRect();
                    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; };
const ctl = c.querySelector('.leaflet-control-layers');
const rb = m.geoplan.regionBounds;
const r = ctl ? ctl.getBoundingClientRect() : null;
return {
  layers: vis(ctl), list: vis(c.querySelector('.leaflet-control-layers-list')),
  toggle: vis(c.querySelector('.leaflet-control-layers-toggle')),
  ctlSize: r ? [r.width, r.height] : null,
  zoomButtons: vis(c.querySelector('.leaflet-control-zoom')),
  fullscreen: vis(c.querySelector('.geoplan-fullscreen')),
  title: vis(c.querySelector('.geoplan-title')),
  legend: [...c.querySelectorAll('.geoplan-legend')].some(vis),
  regionInView: !!rb && m.getBounds().contains(rb),
  zoom: m.getZoom(), mapSize: [m.getSize().x, m.getSize().y],
  print: matchMedia('print').matches,
};
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("assets") / "map.html"
    return maps.save_map(make_map(synthetic_inputs(), n_cells=3000), path)


def _state(driver):
    return driver.execute_script(_STATE_JS)


def _settle(driver, s=0.3):
    time.sleep(s)
    driver.execute_script(
        "return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


def test_print_hides_controls_keeps_legend_and_fits_the_region(page):
    with chromium(width=1280, height=860) as driver:
        r = open_page(driver, page)
        assert r.probe["ready"] and r.console_errors == []
        before = _state(driver)
        assert before["layers"] and before["list"] and before["zoomButtons"] and not before["print"]
        # the reader zooms in: the region no longer fits
        driver.execute_script(
            "const m = geoplan.maps[0]; m.setZoom(m.getZoom() + 3, {animate: false});"
        )
        _settle(driver)
        zoomed = _state(driver)
        assert not zoomed["regionInView"]
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        _settle(driver)
        p = _state(driver)
        assert p["print"]
        assert not p["layers"] and not p["zoomButtons"] and not p["fullscreen"]
        assert p["title"] and p["legend"]
        assert p["regionInView"], p
        assert p["zoom"] < zoomed["zoom"]
        # back on screen: controls and the reader's view return
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        _settle(driver)
        after = _state(driver)
        assert after["layers"] and after["zoomButtons"] and after["zoom"] == zoomed["zoom"]


def test_layer_control_is_collapsed_on_a_phone(page):
    with chromium(width=600, height=900) as driver:
        # headless Chromium's windows are at least 500 px wide: emulate the phone's viewport
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 420, "height": 850, "deviceScaleFactor": 1, "mobile": True},
        )
        r = open_page(driver, page)
        assert r.probe["ready"] and r.console_errors == []
        s = _state(driver)
        assert s["mapSize"] == [420, 850]
        assert s["layers"] and s["toggle"] and not s["list"], s
        assert s["ctlSize"][0] < 60 and s["ctlSize"][1] < 60  # just the button
        assert s["title"] and s["legend"]
        driver.execute_script(
            "geoplan.maps[0].getContainer().querySelector('.leaflet-control-layers-toggle').click()"
        )
        _settle(driver, 0.1)
        opened = _state(driver)
        assert opened["list"] and not opened["toggle"]
        # a tap on the map closes it again
        driver.execute_script(
            "geoplan.maps[0].fire('click', {latlng: geoplan.maps[0].getCenter()})"
        )
        _settle(driver, 0.1)
        assert not _state(driver)["list"]


def test_layer_control_stays_open_on_a_desktop(page):
    with chromium(width=1280, height=860) as driver:
        open_page(driver, page)
        s = _state(driver)
        assert s["list"] and not s["toggle"] and s["ctlSize"][0] > 120
