"""The map page: a public folium shell with no area data, every asset served by the app;
login, scope and drill-down in a browser."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.api.pages_support import REFRESH, before_login, module_graph, open_and_log_in
from tests.browser import log_in as _log_in
from tests.browser import wait_for_map_still
from tests.conftest import bearer

TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
LAYER_NAMES = ("区县", "乡镇（街道）", "村（社区）", "网格")


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


def _without_element_ids(html: str) -> str:
    """folium names every element with a random hex id: equal pages up to those."""
    return re.sub(r"_[0-9a-f]{32}", "_id", html)


# --- the page as HTML ------------------------------------------------------------------

def test_the_page_is_public_and_the_api_is_not(anonymous, demo_city):
    assert anonymous.get("/map").status_code == 200
    assert anonymous.get("/map/430211").status_code == 200
    for path in ("/api/v1/areas", "/api/v1/areas/430211", "/api/v1/auth/me"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"


def test_the_shell_holds_no_area_data(anonymous, demo_city):
    areas, _ = demo_city
    city = areas[0]
    township = next(a for a in areas if a.level == "township")
    names = {a.name for a in areas if a.level in ("city", "county", "township")}
    for path in ("/map", f"/map/{township.code}"):
        html = _without_element_ids(_page(anonymous, path))
        assert "株洲" not in html and "430200" not in html and city.name not in html, path
        assert not [name for name in names if name in html], path
        # No bounds or centre either: the map opens at [0, 0] until the API says where.
        assert "fitBounds" not in html and "fit_bounds" not in html
        assert "center: [0.0, 0.0]" in html
    # The code asked for in the address is only where to open, and nothing else.
    html = _without_element_ids(_page(anonymous, f"/map/{township.code}"))
    assert html.count(township.code) == 1 and f'"start": "{township.code}"' in html
    assert township.code[:6] not in html.replace(township.code, "")


def test_the_shell_is_the_same_for_everybody(anonymous, settings, demo_city):
    nobody = _without_element_ids(_page(anonymous))
    headers = [bearer(settings), bearer(settings, role="county_dispatcher",
                                         scope_code="430202", user_id=1, username="x")]
    for header in headers:
        response = anonymous.get("/map", headers=header)
        assert _without_element_ids(response.text) == nobody


def test_the_shell_needs_no_database(settings):
    """An app whose database cannot be reached still serves the page: it reads nothing."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    unreachable = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:9/nowhere"})
    app = create_app(unreachable)
    try:
        # Without `with`: no lifespan, so nothing opens a connection on its own either.
        client = TestClient(app, raise_server_exceptions=False)
        assert '"start": null' in _page(client)
        # Whether an area exists is the API's to say, after login.
        assert '"start": "430299"' in _page(client, "/map/430299")
    finally:
        app.state.engine.dispose()


def test_a_malformed_code_is_a_422_problem(anonymous):
    response = anonymous.get("/map/43021x")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_every_asset_is_served_by_the_app(anonymous):
    html = _page(anonymous)
    urls = _asset_urls(html)
    assert "/static/vendor/leaflet/leaflet.js" in urls and "/static/map.css" in urls
    # The supervisor map's plugins, vendored (folium's own plugins would load CDN copies).
    for vendored in ("leaflet.markercluster/leaflet.markercluster.js",
                     "leaflet.markercluster/MarkerCluster.css", "leaflet.heat/leaflet-heat.js"):
        assert f"/static/vendor/{vendored}" in urls, vendored
    # The page's module, and the platforms' parts it imports (no script order here).
    assert 'import("/static/map.js")' in html
    options = json.loads(re.search(r'(\{"apiBase".*?\})\)\);', html, re.S).group(1))
    modules = module_graph(anonymous, ["/static/map.js", *options["parts"]])
    assert {"/static/i18n.js", "/static/session.js", "/static/moves.js",
            "/static/map-panel.js"} <= set(modules)
    assert "data-i18n-switch" in html
    for url in urls:
        assert url.startswith("/static/"), url
        assert anonymous.get(url).status_code == 200, url  # no token needed for assets
    # The images leaflet.css refers to (the layer control's icon) are there too.
    assert anonymous.get("/static/vendor/leaflet/images/layers.png").status_code == 200


def test_without_a_tile_url_there_is_no_basemap_and_no_outside_url(anonymous):
    html = _page(anonymous)
    assert "L.tileLayer" not in html
    assert _absolute_urls(html) == set()


def test_a_tile_url_in_settings_becomes_the_basemap(app, anonymous, settings):
    app.state.settings = settings.model_copy(
        update={"tile_url": TILE_URL, "tile_attribution": "© Example Survey"})
    html = _page(anonymous)
    assert "L.tileLayer" in html and TILE_URL in html
    assert json.dumps("© Example Survey") in html  # a JS string literal, escaped as JSON
    assert _absolute_urls(html) == {TILE_URL}


def test_a_tile_url_without_attribution_credits_its_host(app, anonymous, settings):
    app.state.settings = settings.model_copy(update={"tile_url": TILE_URL})
    assert json.dumps("tiles.example.test") in _page(anonymous)


def test_the_shell_has_one_layer_per_level_and_hands_them_to_the_script(anonymous):
    html = _page(anonymous)
    assert "<title>网格化治理地图</title>" in html
    for name in LAYER_NAMES:
        assert json.dumps(name) in html, name
    assert 'import("/static/map.js")' in html and '"start": null' in html
    assert '"apiBase": "/api/v1"' in html


# --- the page in a browser -------------------------------------------------------------

def _paths(page, pane: str) -> int:
    return page.locator(f".leaflet-{pane}-pane path").count()


def _drawn_codes(page) -> set[str]:
    """The codes of every area drawn on the map, whichever layer holds it."""
    return set(page.evaluate("""() => {
        const map = window[document.querySelector(".folium-map").id];
        const codes = [];
        map.eachLayer((layer) => layer.feature && codes.push(layer.feature.properties.code));
        return codes;
    }"""))


def _tokens(page) -> dict:
    """The access token (the tab's sessionStorage) and the refresh token: an HttpOnly
    cookie, read here from the browser's jar, since no script on the page can."""
    stored = page.evaluate("""() => ({
        access: sessionStorage.getItem("gridgov.accessToken"),
        scripts: [sessionStorage.getItem("gridgov.refreshToken"),
                  localStorage.getItem("gridgov.refreshToken"), document.cookie]})""")
    assert stored["scripts"] == [None, None, ""], "a refresh token within a script's reach"
    jar = {cookie["name"]: cookie for cookie in page.context.cookies()}
    cookie = jar.get("gridgov_refresh")
    assert cookie is None or (cookie["httpOnly"] and cookie["sameSite"] == "Strict")
    return {"access": stored["access"], "refresh": cookie["value"] if cookie else None}


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
def test_an_admin_logs_in_and_drills_down(live_server, tab, settings, demo_city,
                                          artefacts: Path):
    from playwright.sync_api import expect

    areas, _ = demo_city
    city = areas[0]
    # The district whose inner point lies nearest the city's centre: clear of the panels.
    centre = city.geom.centroid
    district = min((a for a in areas if a.level == "county"),
                   key=lambda a: a.geom.representative_point().distance(centre))
    townships = [a for a in areas if a.level == "township" and a.code.startswith(district.code)]
    point = district.geom.representative_point()
    villages = [a for a in areas if a.level == "village"]
    grids = [a for a in areas if a.level == "grid"]
    page = tab.page

    open_and_log_in(tab, f"{live_server.url}/map", "demo_admin", settings.demo_password)

    expect(page.locator(".gridgov-login")).to_be_hidden()
    expect(page.locator(".leaflet-areas-county-pane path")).to_have_count(9)
    # A function, not an expression: Playwright evals an expression in the page, which
    # the page's Content-Security-Policy (no 'unsafe-eval') refuses.
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-areas-township-pane path').length >= 100")
    expect(page.locator(".gridgov-breadcrumb")).to_have_text(city.name)
    # The person by name, the user name as its tooltip.
    expect(page.locator(".gridgov-account .gridgov-person")).to_have_attribute(
        "title", "demo_admin")
    expect(page.locator(".gridgov-account")).to_contain_text("系统管理员")

    wait_for_map_still(page)  # the city's view set, before clicking at a position
    _click_at(page, point.x, point.y, "areas-county")
    expect(page.locator(".gridgov-breadcrumb")).to_contain_text(district.name)
    expect(page.locator(".gridgov-info")).to_contain_text(district.code)
    expect(page.locator(".gridgov-info h2")).to_have_text(district.name)
    expect(page.locator(".leaflet-children-pane path")).to_have_count(len(townships))
    wait_for_map_still(page)  # the zoom animation done before the picture
    page.screenshot(path=str(artefacts / "district.png"))

    # Back up through the breadcrumb: the city again, no children drawn.
    page.locator(".gridgov-breadcrumb a", has_text=city.name).click()
    expect(page.locator(".gridgov-info h2")).to_have_text(city.name)
    expect(page.locator(".leaflet-children-pane path")).to_have_count(0)

    # Villages and grids load only when their layers are switched on. With the access
    # token expired, both requests are refused together: they share one refresh (a second
    # one with the spent refresh token would revoke the login) and are retried.
    assert not any("level=village" in url or "level=grid" in url for url in tab.requested)
    before = _tokens(page)
    page.evaluate("""() => {
        sessionStorage.setItem("gridgov.accessToken", "expired.token.value");
        for (const label of document.querySelectorAll(".leaflet-control-layers label")) {
            if (/村（社区）|网格/.test(label.textContent)) label.querySelector("input").click();
        }
    }""")
    expect(page.locator(".leaflet-areas-village-pane path")).to_have_count(len(villages))
    expect(page.locator(".leaflet-areas-grid-pane path")).to_have_count(len(grids))
    expect(page.locator(".gridgov-login")).to_be_hidden()
    # One shared refresh (the first was the page's try before login, refused).
    assert len(tab.api_calls("/api/v1/auth/refresh")) == 2
    for level in ("village", "grid"):  # each refused once, then retried
        assert sum(f"level={level}" in url for url in tab.requested) == 2, level
    after = _tokens(page)
    assert after["refresh"] != before["refresh"] and after["access"] != "expired.token.value"

    # A reload keeps the login (this tab's sessionStorage): no form, no new login.
    page.reload()
    expect(page.locator(".leaflet-areas-county-pane path")).to_have_count(9)
    expect(page.locator(".gridgov-login")).to_be_hidden()
    assert len(tab.api_calls("/api/v1/auth/token")) == 1
    assert _tokens(page) == after

    # Log out: the form is back, the map and the tab's storage are empty, and the login's
    # refresh token is revoked on the server.
    with page.expect_response("**/api/v1/auth/logout") as logout:
        page.locator(".gridgov-account button[data-i18n='account.logout']").click()
    assert logout.value.status == 204
    expect(page.locator(".gridgov-login form")).to_be_visible()
    assert _tokens(page) == {"access": None, "refresh": None}
    assert page.locator(".leaflet-pane path").count() == 0
    expect(page.locator(".gridgov-account")).to_be_hidden()
    refused = httpx.post(f"{live_server.url}/api/v1/auth/refresh",
                         json={"refresh_token": after["refresh"]})
    assert refused.status_code == 401


@pytest.mark.browser
def test_a_county_dispatcher_sees_only_his_county(live_server, tab, settings, demo_city,
                                                  artefacts: Path):
    from playwright.sync_api import expect

    areas, _ = demo_city
    city = areas[0]
    county = min((a for a in areas if a.level == "county"), key=lambda a: a.code)
    assert county.code == "430202"  # the demo dispatcher's scope: the city's first county
    other = next(a for a in areas if a.level == "county" and a.code != county.code)
    townships = [a for a in areas if a.level == "township" and a.code.startswith(county.code)]
    township = townships[0]
    villages = [a for a in areas if a.level == "village" and a.code.startswith(township.code)]
    page = tab.page

    page.goto(f"{live_server.url}/map")
    _log_in(page, "demo_county_dispatcher", settings.demo_password)
    expect(page.locator(".gridgov-breadcrumb")).to_have_text(county.name)
    expect(page.locator(".leaflet-areas-township-pane path")).to_have_count(len(townships))
    expect(page.locator(".gridgov-account")).to_contain_text("区县派遣员")
    expect(page.locator(".gridgov-info h2")).to_have_text(county.name)
    # No district layer at all, nothing outside the county drawn or asked for.
    assert _paths(page, "areas-county") == 0
    drawn = _drawn_codes(page)
    assert {a.code for a in townships} <= drawn
    assert all(code.startswith(county.code) for code in drawn), drawn
    expect(page.locator(".leaflet-control-layers label", has_text="区县")).to_have_count(0)
    expect(page.locator(".leaflet-control-layers label", has_text="乡镇（街道）")).to_have_count(1)
    assert city.name not in page.locator(".gridgov-breadcrumb").inner_text()
    asked = [urlsplit(url).path for url in tab.api_calls("/api/v1/areas/")]
    assert asked and all(path.removeprefix("/api/v1/areas/").startswith(county.code)
                         for path in asked), asked
    wait_for_map_still(page)
    page.screenshot(path=str(artefacts / "county.png"))

    # Another district: the API says 404, and the page says so.
    page.goto(f"{live_server.url}/map/{other.code}")
    expect(page.locator(".gridgov-info .gridgov-error")).to_contain_text("不在您的辖区内")
    expect(page.locator(".gridgov-login")).to_be_hidden()  # still logged in (this tab)
    assert page.locator(".leaflet-pane path").count() == 0
    expect(page.locator(".gridgov-breadcrumb")).to_be_hidden()

    # One of his townships: the breadcrumb starts at his county, the villages are drawn.
    page.goto(f"{live_server.url}/map/{township.code}")
    expect(page.locator(".gridgov-breadcrumb li")).to_have_count(2)
    expect(page.locator(".gridgov-breadcrumb")).to_contain_text(county.name)
    expect(page.locator(".gridgov-info h2")).to_have_text(township.name)
    expect(page.locator(".leaflet-children-pane path")).to_have_count(len(villages))
    assert _paths(page, "areas-township") == 0
    page.locator(".gridgov-breadcrumb a", has_text=county.name).click()
    expect(page.locator(".gridgov-info h2")).to_have_text(county.name)
    expect(page.locator(".leaflet-children-pane path")).to_have_count(len(townships))


@pytest.mark.browser
def test_a_grid_worker_sees_his_grids(live_server, tab, settings, engine, demo_city):
    from playwright.sync_api import expect

    with engine.connect() as connection:
        grids = connection.execute(text(
            "SELECT a.code, a.name FROM area a JOIN grid_assignment ga ON ga.grid_id = a.id "
            "JOIN grid_worker w ON w.id = ga.worker_id JOIN app_user u ON u.id = w.user_id "
            "WHERE u.username = 'demo_grid_worker' ORDER BY a.code")).all()
        village = connection.execute(text(
            "SELECT scope_code FROM app_user WHERE username = 'demo_grid_worker'")).scalar()
    assert grids
    areas, _ = demo_city
    first = next(a for a in areas if a.code == grids[0].code)
    page = tab.page

    page.goto(f"{live_server.url}/map")
    _log_in(page, "demo_grid_worker", settings.demo_password)
    expect(page.locator(".leaflet-areas-grid-pane path")).to_have_count(len(grids))
    expect(page.locator(".gridgov-breadcrumb")).to_have_text("我的网格")
    expect(page.locator(".gridgov-info")).to_contain_text(f"{len(grids)} 个")
    expect(page.locator(".gridgov-account")).to_contain_text("网格员")
    expect(page.locator(".leaflet-control-layers label")).to_have_count(1)
    # His village is his scope_code, yet not his to see: never asked for.
    assert not any(f"/areas/{village}?" in url for url in tab.requested)

    wait_for_map_still(page)  # the zoom to his grids, before clicking at a position
    point = first.geom.representative_point()
    _click_at(page, point.x, point.y, "areas-grid")
    expect(page.locator(".gridgov-breadcrumb")).to_contain_text(grids[0].name)
    expect(page.locator(".gridgov-breadcrumb a", has_text="我的网格")).to_have_count(1)
    expect(page.locator(".gridgov-info h2")).to_have_text(grids[0].name)

    page.goto(f"{live_server.url}/map/{village}")
    expect(page.locator(".gridgov-info .gridgov-error")).to_contain_text("不在您的辖区内")


@pytest.mark.browser
def test_a_wrong_password_shows_an_error_and_no_map(live_server, tab, settings, demo_city):
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/map")
    try:
        _log_in(page, "demo_supervisor", settings.demo_password + "-wrong")
        expect(page.locator(".gridgov-login-error")).to_contain_text("用户名或密码错误")
    finally:
        _forget_failed_login(live_server.app, username="demo_supervisor")
    expect(page.locator(".gridgov-login form")).to_be_visible()
    assert before_login(tab) == [REFRESH, "/api/v1/auth/token"]
    assert page.locator(".leaflet-pane path").count() == 0
    assert _tokens(page) == {"access": None, "refresh": None}
    expect(page.locator(".gridgov-account")).to_be_hidden()
    expect(page.locator(".gridgov-breadcrumb")).to_be_hidden()


def _forget_failed_login(app: FastAPI, *, username: str) -> None:
    """Undo the test's failure in the login throttle's counters (Redis outlives the run):
    repeated runs must not lock the demo account or the loopback address out."""
    from core.throttle import Keys

    app.state.throttle.unlock(username=username)  # the name's counters, from every address
    address_key = Keys(username, "127.0.0.1").address_failures
    if int(app.state.redis.get(address_key) or 0) > 0:
        app.state.redis.decr(address_key)
