"""Browser-test parts shared by the page tests: Debian's Chromium driven by Playwright,
a tab that fails its test on a page error or on any request to a host but the app's,
logging in through the shared form, and a folder where screenshots are kept.

The fixtures are imported into tests/conftest.py, so every test module has them.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
# No GPU, no sandbox (containers), and none of Chromium's own calls home: every request
# the browser makes is then one the page made.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Screenshots outlive the run here (CI keeps the folder); TEST_ARTEFACTS moves it.
ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS", ".state/test-artefacts"))


# How long an `expect` waits for its condition (Playwright's default: 5 s). A bound, not a
# pace: a passing check returns as soon as the page gets there, and on a loaded machine
# (CI, other runs on the same 2 cores) a page may take several times longer to get there.
EXPECT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A fresh browser context (its own storage) and what its page did."""

    page: object
    context: object = None
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def api_calls(self, prefix: str = "/api/v1/") -> list[str]:
        return [url for url in self.requested if urlsplit(url).path.startswith(prefix)]


def open_tab(browser, **context_options) -> Tab:
    """A new context and page, recording every request and page error."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    opened = Tab(page, context)
    page.on("request", lambda request: opened.requested.append(request.url))
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    return opened


def close_tab(opened: Tab) -> None:
    """Closes the tab, then fails on page errors or on requests to other hosts. An object
    URL (`blob:http://127.0.0.1:port/uuid`, e.g. a photo fetched with the token) counts
    as the origin that made it; a `data:` URL requests nothing."""
    opened.context.close()
    assert opened.errors == []
    hosts = {urlsplit(url.removeprefix("blob:")).hostname for url in opened.requested
             if not url.startswith("data:")}
    assert hosts <= LOCAL_HOSTS, opened.requested


@pytest.fixture
def tab(chromium) -> Iterator[Tab]:
    opened = open_tab(chromium, viewport={"width": 1280, "height": 900})
    yield opened
    close_tab(opened)


@pytest.fixture
def artefacts(request) -> Path:
    """This test's folder for screenshots, kept after the run."""
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, username: str, password: str) -> None:
    form = page.locator(".gridgov-login form")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录").click()


# Leaflet is still: no zoom or pan animation running, and the view (zoom, centre, the map
# pane's offset) the same for several frames in a row. A fitBounds starts its animation a
# frame after the call, so one still frame proves nothing.
_MAP_STILL = """(frames) => {
    const container = document.querySelector(".folium-map");
    const map = container && window[container.id];
    if (!map) return false;
    const panning = map._panAnim && map._panAnim._inProgress;
    const moving = map._animatingZoom || map._flyToFrame || panning;
    const pane = map.getPane("mapPane").style.transform;
    const view = [map.getZoom(), map.getCenter(), pane].join("|");
    const still = !moving && container.gridgovTestView === view;
    container.gridgovTestView = view;
    container.gridgovTestStill = still ? (container.gridgovTestStill || 0) + 1 : 0;
    return container.gridgovTestStill >= frames;
}"""


def wait_for_map_still(page, frames: int = 5) -> None:
    """Wait until the page's Leaflet map (a folium page) has stopped moving: before a click
    at a map position or a screenshot, instead of sleeping for an animation's length."""
    page.wait_for_function(_MAP_STILL, arg=frames, polling="raf")


# A phone as the field tools are used on it (390×844, touch, the service worker allowed:
# the tools queue their submissions offline); a test adds what it needs (a GPS fix).
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "service_workers": "allow"}

_SIGN = """(pad) => {
    const box = pad.getBoundingClientRect();
    const at = (i) => ({clientX: box.left + 20 + i * 25,
                        clientY: box.top + box.height / 2 + (i % 2 ? 15 : -15),
                        pointerId: 7, pointerType: "touch", bubbles: true});
    pad.dispatchEvent(new PointerEvent("pointerdown", at(0)));
    for (let i = 1; i < 12; i += 1) pad.dispatchEvent(new PointerEvent("pointermove", at(i)));
    pad.dispatchEvent(new PointerEvent("pointerup", at(12)));
}"""


def open_phone(browser, **context_options) -> Tab:
    """A tab on a phone (PHONE), with the context's further options."""
    return open_tab(browser, **PHONE, **context_options)


def open_phone_at(browser, *, lon: float, lat: float, accuracy: float) -> Tab:
    """A tab on a phone (PHONE) whose GPS fix is (lon, lat) within `accuracy` metres, the
    pages allowed to read it."""
    return open_phone(browser, permissions=["geolocation"],
                      geolocation={"longitude": lon, "latitude": lat, "accuracy": accuracy})


def sign(canvas) -> None:
    """A signature drawn with a finger on a signature pad (field/photos.js signaturePad):
    the pointer events a touch screen sends."""
    canvas.evaluate(_SIGN)
