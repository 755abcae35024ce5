"""Open an HTML file in headless Chromium with the network off; report checks and a screenshot.

Used by the browser tests and handy by hand::

    .venv/bin/python tests/browser.py maps/x/map.html --png /tmp/shot.png

Uses Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` through
Selenium with an explicit driver path (Selenium Manager is never asked to
download anything). The network is cut three ways: a dead proxy, a host
resolver that resolves nothing, and DevTools' offline network emulation. Every
request the page makes is recorded from the DevTools performance log, so a
test can assert that a map asked for nothing but ``file:`` and ``data:`` URLs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--hide-scrollbars",
    # network off: nothing resolves, and every proxied request goes to a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]

# What the page reports once geoplan.done() has painted: Leaflet maps, their
# layer-control names, legends and sizes of what was drawn.
_PROBE_JS = r"""
const out = {leaflet: typeof L !== 'undefined' ? L.version : null,
             geoplan: typeof geoplan !== 'undefined',
             ready: typeof geoplan !== 'undefined' && geoplan.ready === true,
             scriptDoneMs: (window.geoplan || {}).scriptDoneMs ?? null,
             paintedMs: (window.geoplan || {}).paintedMs ?? null,
             maps: []};
const visible = el => {
  if (!el) return false;
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.display !== 'none' && s.visibility !== 'hidden'
    && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
};
for (const m of ((window.geoplan || {}).maps || [])) {
  const c = m.getContainer();
  const ctl = c.querySelector('.leaflet-control-layers');
  const names = ctl ? [...ctl.querySelectorAll('label input + span')].map(s => s.textContent.trim()) : [];
  const checked = ctl ? [...ctl.querySelectorAll('label')].filter(l => l.querySelector('input').checked)
                          .map(l => l.textContent.trim()) : [];
  const legends = [...c.querySelectorAll('.geoplan-legend')].map(el => ({
      visible: visible(el), text: el.innerText.trim()}));
  const title = c.querySelector('.geoplan-title');
  out.maps.push({
    isLeafletMap: m instanceof L.Map,
    size: [m.getSize().x, m.getSize().y], zoom: m.getZoom(),
    layerNames: names, checked: checked,
    layers: Object.keys(m.geoplan.layers),
    onMap: Object.entries(m.geoplan.layers).filter(([k, l]) => m.hasLayer(l)).map(([k]) => k),
    legends: legends,
    title: title ? title.innerText.trim() : null, titleVisible: visible(title),
    paths: c.querySelectorAll('path.leaflet-interactive').length,
    allPaths: c.querySelectorAll('svg path').length,
    markers: c.querySelectorAll('.leaflet-marker-icon').length,
    symbols: c.querySelectorAll('.geoplan-sym').length,
    towns: c.querySelectorAll('.geoplan-town').length,
    fullscreenButton: !!c.querySelector('.geoplan-fullscreen a'),
  });
}
return out;
"""


@dataclass
class PageReport:
    """What :func:`open_page` found."""

    path: Path
    load_s: float  # driver.get() until the load event
    ready_s: float  # until geoplan.done() had painted (or the timeout)
    probe: dict[str, Any]
    console: list[dict[str, Any]]
    requests: list[str]  # every URL the page requested
    failed: list[dict[str, Any]]  # Network.loadingFailed events
    png: bytes
    screenshot: Path | None = None
    image: dict[str, Any] = field(default_factory=dict)

    @property
    def external_requests(self) -> list[str]:
        """Requests for anything but the file itself and data:/blob:/about: URLs."""
        ok = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")
        return [u for u in self.requests if not u.startswith(ok)]

    @property
    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.console if e.get("level") == "SEVERE"]


def chromium_available() -> str | None:
    """``None`` when Chromium and its driver are installed, else why not."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        return f"{' and '.join(missing)} not installed (run .ci/install-browser)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in this Python (pip install selenium)"
    return None


@contextlib.contextmanager
def chromium(*, width: int = 1280, height: int = 860) -> Iterator[Any]:
    """A headless Chromium WebDriver with a fresh profile and no network."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never download
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="geoplan-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for a in CHROMIUM_ARGS:
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
        )
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def image_stats(png: bytes) -> dict[str, Any]:
    """Distinct colours and pixel standard deviation of a screenshot (blank page ≈ 1 colour)."""
    import numpy as np
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    a = np.asarray(img)
    flat = a.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return {
        "size": img.size,
        "distinct_colours": int(len(colours)),
        "colours_over_0.5pct": int((counts > 0.005 * len(flat)).sum()),
        "std": float(a.std()),
    }


def open_page(
    driver: Any, path: Path, *, timeout_s: float = 30.0, screenshot: Path | None = None
) -> PageReport:
    """Load ``path`` (file URL), wait for ``geoplan.ready`` and collect the report."""
    path = Path(path).resolve()
    driver.get_log("browser")  # drop earlier pages' entries
    driver.get_log("performance")
    t0 = time.perf_counter()
    driver.get(path.as_uri())
    load_s = time.perf_counter() - t0
    deadline = t0 + timeout_s
    while time.perf_counter() < deadline:
        if driver.execute_script("return !!(window.geoplan && window.geoplan.ready)"):
            break
        time.sleep(0.05)
    ready_s = time.perf_counter() - t0
    probe = driver.execute_script(_PROBE_JS)
    png = driver.get_screenshot_as_png()
    if screenshot is not None:
        screenshot.write_bytes(png)
    console = driver.get_log("browser")
    requests: list[str] = []
    failed: list[dict[str, Any]] = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            requests.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.loadingFailed":
            failed.append(msg["params"])
    return PageReport(
        path=path,
        load_s=load_s,
        ready_s=ready_s,
        probe=probe,
        console=console,
        requests=requests,
        failed=failed,
        png=png,
        screenshot=screenshot,
        image=image_stats(png),
    )


def check_page(path: Path, *, screenshot: Path | None = None, **size: int) -> PageReport:
    """Start Chromium, open one page, quit: :func:`open_page` in one call."""
    with chromium(**size) as driver:
        return open_page(driver, path, screenshot=screenshot)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("--png", type=Path)
    args = ap.parse_args()
    why = chromium_available()
    if why:
        raise SystemExit(why)
    r = check_page(args.html, screenshot=args.png)
    print(
        json.dumps(
            {
                "load_s": round(r.load_s, 3),
                "ready_s": round(r.ready_s, 3),
                "probe": r.probe,
                "console_errors": r.console_errors,
                "external_requests": r.external_requests,
                "failed": r.failed,
                "image": r.image,
            },
            indent=1,
            ensure_ascii=False,
        )
    )
