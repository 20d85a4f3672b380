"""The map page: folium-rendered, every asset served by the app, drill-down in a browser."""

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import text

from geo.enums import LEVELS

TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
CHROMIUM = "/usr/bin/chromium"
# No GPU, no sandbox (containers), and none of Chromium's own calls home: every request
# the browser makes is then one the page made.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class _AssetLinks(HTMLParser):
    """Every <script src> and <link href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def _asset_urls(html: str) -> list[str]:
    parser = _AssetLinks()
    parser.feed(html)
    return parser.urls


def _absolute_urls(html: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>)]+", html))


def _page(client, path: str = "/map") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# --- the page as HTML ------------------------------------------------------------------

def test_every_asset_is_served_by_the_app(client, demo_city):
    html = _page(client)
    urls = _asset_urls(html)
    assert "/static/vendor/leaflet/leaflet.js" in urls and "/static/map.js" in urls
    for url in urls:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    # The images leaflet.css refers to (the layer control's icon) are there too.
    assert client.get("/static/vendor/leaflet/images/layers.png").status_code == 200


def test_without_a_tile_url_there_is_no_basemap_and_no_outside_url(client, demo_city):
    html = _page(client)
    assert "L.tileLayer" not in html
    assert _absolute_urls(html) == set()


def test_a_tile_url_in_settings_becomes_the_basemap(app, client, settings, demo_city):
    app.state.settings = settings.model_copy(
        update={"tile_url": TILE_URL, "tile_attribution": "© Example Survey"})
    html = _page(client)
    assert "L.tileLayer" in html and TILE_URL in html
    assert json.dumps("© Example Survey") in html  # a JS string literal, escaped as JSON
    assert _absolute_urls(html) == {TILE_URL}


def test_the_city_opens_with_one_layer_per_level(client, demo_city):
    html = _page(client)
    assert "<title>株洲市" in html
    for name in ("区县 districts", "乡镇街道 townships", "村社区 villages", "网格 grids"):
        assert json.dumps(name) in html, name
    assert '"root": "430200"' in html and '"start": "430200"' in html


def test_the_map_opens_at_any_area_with_its_chain(client, demo_city):
    areas, _ = demo_city
    township = next(a for a in areas if len(a.code) == 9)
    html = _page(client, f"/map/{township.code}")
    assert f'"start": "{township.code}"' in html
    assert all(f'"code": "{code}"' in html
               for code in ("430200", township.code[:6], township.code))


def test_area_names_cannot_inject_markup(client, session, demo_city):
    session.execute(text("UPDATE area SET name = '</title><script>alert(1)</script>' "
                         "WHERE code = '430200'"))
    html = _page(client)
    assert "<script>alert" not in html
    assert "&lt;/title&gt;&lt;script&gt;" in html and "\\u003c/title\\u003e" in html


def test_an_unknown_city_setting_falls_back_to_the_first_city(app, client, settings, demo_city):
    app.state.settings = settings.model_copy(update={"demo_city": "990100"})
    assert '"root": "430200"' in _page(client)


def test_unknown_areas_and_an_empty_database_are_a_404_problem(client, session, demo_city):
    assert client.get("/map/430299").status_code == 404
    # Finest level first: a parent cannot go before its children. The test's transaction
    # is rolled back, so the demo city comes back.
    for level in reversed(LEVELS):
        session.execute(text("DELETE FROM area WHERE level = :level"), {"level": str(level)})
    response = client.get("/map")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "no area is loaded yet" in response.json()["detail"]


# --- the page in a browser -------------------------------------------------------------

@pytest.fixture(scope="module")
def live_server(settings, demo_city) -> Iterator[str]:
    """The app served by uvicorn on a free port, on its own sessions (it sees committed data)."""
    from api.app import create_app

    app = create_app(settings)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    app.state.engine.dispose()


def _pane_paths(page, pane: str) -> int:
    return page.locator(f".leaflet-{pane}-pane path").count()


def _click_at(page, lon: float, lat: float, pane: str) -> None:
    """A real mouse click on a point of the map, checked to land on the given pane."""
    x, y = page.evaluate("""([lon, lat]) => {
        const container = document.querySelector(".folium-map");
        const point = window[container.id].latLngToContainerPoint([lat, lon]);
        const box = container.getBoundingClientRect();
        return [box.left + point.x, box.top + point.y];
    }""", [lon, lat])
    target = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('.leaflet-pane')?.className",
        [x, y])
    assert target and f"leaflet-{pane}-pane" in target, (lon, lat, target)
    page.mouse.click(x, y)


@pytest.mark.browser
def test_drilling_down_in_a_browser_stays_on_localhost(live_server, demo_city, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    areas, _ = demo_city
    city = areas[0]
    # The district whose inner point lies nearest the city's centre: clear of the panels.
    centre = city.geom.centroid
    district = min((a for a in areas if a.level == "county"),
                   key=lambda a: a.geom.representative_point().distance(centre))
    townships = [a for a in areas if a.level == "township" and a.code.startswith(district.code)]
    point = district.geom.representative_point()
    villages = [a for a in areas if a.level == "village"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(f"{live_server}/map")
            page.wait_for_function(
                "document.querySelectorAll('.leaflet-areas-county-pane path').length >= 9")
            page.wait_for_function(
                "document.querySelectorAll('.leaflet-areas-township-pane path').length >= 100")
            expect(page.locator(".gridgov-breadcrumb")).to_have_text(city.name)

            _click_at(page, point.x, point.y, "areas-county")
            expect(page.locator(".gridgov-breadcrumb")).to_contain_text(district.name)
            expect(page.locator(".gridgov-info")).to_contain_text(district.code)
            expect(page.locator(".gridgov-info h2")).to_have_text(district.name)
            expect(page.locator(".leaflet-children-pane path")).to_have_count(len(townships))
            page.wait_for_timeout(500)  # let the zoom animation finish before the picture
            page.screenshot(path=str(tmp_path / "district.png"))

            # Back up through the breadcrumb: the city again, no children drawn.
            page.locator(".gridgov-breadcrumb a", has_text=city.name).click()
            expect(page.locator(".gridgov-info h2")).to_have_text(city.name)
            expect(page.locator(".leaflet-children-pane path")).to_have_count(0)

            # Villages load only when their layer is switched on.
            assert not any("level=village" in url for url in requested)
            page.locator(".leaflet-control-layers label", has_text="villages").click()
            expect(page.locator(".leaflet-areas-village-pane path")).to_have_count(len(villages))
        finally:
            browser.close()

    assert errors == []
    assert {urlsplit(url).hostname for url in requested} <= LOCAL_HOSTS, requested
