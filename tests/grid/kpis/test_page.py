"""The KPI page: a public shell with every asset served by the app; in Chromium, login,
the charts drawn from the API's figures, drill-down, and the links to and from the map.

The live server, the browser and the tab are the map page's (tests/grid/kpis/conftest.py):
the tab fails the test on a page error or on any request to a host other than the app's.
"""

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.scope import EVERYWHERE, Scope
from core.security import Principal
from core.users.enums import Role
from grid.kpis import service
from tests.api.pages_support import module_graph, open_and_log_in, start_call
from tests.api.test_map_page import _absolute_urls, _asset_urls, _page
from tests.browser import log_in as _log_in
from tests.grid.kpis.conftest import add_incident, grid_of

UNIT = "430202-department-chengguan"  # a demo unit (core/units/demo.py)


def test_the_page_is_a_public_shell_with_local_assets(anonymous, demo_city):
    areas, _ = demo_city
    html = _page(anonymous, "/kpis")
    assert "<title>考核指标</title>" in html
    # No data: no area's name or code (the figures come from the API after login).
    assert "4302" not in html and not [a.name for a in areas[:10] if a.name in html]
    urls = _asset_urls(html)
    assert {"/static/kpis.js", "/static/kpis.css"} <= set(urls)
    assert not [url for url in urls if "chartjs" in url]  # SVG charts of the app's own
    # The page's module imports the login shared with the other pages, and the charts.
    modules = module_graph(anonymous, [start_call(html)[0]])
    assert {"/static/session.js", "/static/charts.js"} <= set(modules)
    for url in urls:
        assert url.startswith("/static/"), url
        assert anonymous.get(url).status_code == 200, url
    assert _absolute_urls(html) == set()
    assert anonymous.get("/api/v1/kpis").status_code == 401
    # The map imports the shared login script too.
    assert "/static/session.js" in module_graph(anonymous, ["/static/map.js"])


@pytest.fixture(scope="module")
def committed(engine, demo_city) -> Iterator[list[str]]:
    """Incidents of the last three weeks in two districts, committed for the live server
    (and removed afterwards): closed ones only, so no other test sees them as open."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        counties = session.scalars(text(
            "SELECT code FROM area WHERE level = 'county' ORDER BY code LIMIT 2")).all()
        grids = [grid_of(session, session.scalar(text(
            "SELECT min(code) FROM area WHERE level = 'grid' AND code LIKE :c || '%'"),
            {"c": county})) for county in counties]
        ids = []
        for k in range(24):
            grid = grids[k % 2]
            reported = now - timedelta(days=1 + k % 20, hours=k % 5)
            closed = reported + timedelta(hours=3 + k % 10) if k % 3 else None
            ids.append(add_incident(
                session, grid, reported=reported, filed=reported + timedelta(hours=1),
                handled=closed and closed - timedelta(hours=2), rework_count=int(k % 4 == 1),
                verified=closed and closed - timedelta(hours=1), verified_on_time=k % 5 != 0,
                closed=closed, ever_overdue=k % 6 == 0, handler_unit=UNIT,
                state="closed" if closed else "void"))
        session.commit()
    yield counties
    with Session(engine) as session:
        session.execute(text("DELETE FROM incident WHERE id = ANY(:ids)"), {"ids": ids})
        session.commit()


def _expected(engine, code: str) -> dict:
    with Session(engine) as session:
        return service.area_breakdown(session, code=code, since=None, until=None,
                                      scope=EVERYWHERE)


def _percent(rate: float) -> float:
    """As the page rounds it (JavaScript's Math.round to one decimal)."""
    return math.floor(rate * 1000 + 0.5) / 10


def _chart_data(page, name: str) -> list[list]:
    return page.evaluate("""(name) => [...document.querySelectorAll(
        `#kpi-${name} .chart-series`)].map((group) => JSON.parse(group.dataset.values))""", name)


def _drawn(page, name: str) -> bool:
    """Whether the chart's SVG has marks of a size on it (bars, lines or points)."""
    return page.evaluate("""(name) => {
        const svg = document.querySelector(`#kpi-${name} svg`);
        const box = svg && svg.getBoundingClientRect();
        return Boolean(box && box.width > 0 && box.height > 0 && svg.querySelector(
            ".chart-series rect, .chart-series polyline, .chart-series circle"));
    }""", name)


@pytest.mark.browser
def test_an_admin_sees_the_kpis_as_charts(live_server, tab, settings, engine, committed,
                                          demo_city, artefacts: Path):
    from playwright.sync_api import expect

    areas, _ = demo_city
    city = areas[0]
    expected = _expected(engine, city.code)
    figures = expected["figures"]
    assert figures["filed"] >= 24 and figures["closed"] >= 16
    page = tab.page

    open_and_log_in(tab, f"{live_server.url}/kpis", "demo_admin", settings.demo_password)
    expect(page.locator(".gridgov-login")).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-loaded", f"area:{city.code}")

    expect(page.locator(".kpi-subject")).to_contain_text(city.name)
    expect(page.locator(".kpi-account")).to_contain_text("系统管理员")
    for key, label in (("reported", "上报数"), ("filed", "立案数"), ("closed", "结案数")):
        card = page.locator(f".kpi-card[data-kpi={key}]")
        expect(card).to_contain_text(label)
        expect(card.locator("strong")).to_have_text(f"{figures[key]:,}")
    expect(page.locator(".kpi-card[data-kpi=close_rate] strong")).to_have_text(
        f"{_percent(figures['close_rate']):g}%")
    expect(page.locator(".kpi-card[data-kpi=mean_handling_hours] strong")).not_to_have_text("—")

    # Three charts, drawn, holding the API's figures.
    for name in ("rates", "daily", "children"):
        assert _drawn(page, name), name
    rates = _chart_data(page, "rates")[0]
    assert len(rates) == 5 and rates[0] == _percent(figures["close_rate"])
    reported, filed, closed = _chart_data(page, "daily")
    assert len(filed) == 30
    assert (sum(reported), sum(filed), sum(closed)) == (
        figures["reported"], figures["filed"], figures["closed"])
    children = expected["children"]
    assert [c["level"] for c in children] == ["county"] * 9
    child_filed, child_closed, _ = _chart_data(page, "children")
    assert child_filed == [c["figures"]["filed"] for c in children]
    assert child_closed == [c["figures"]["closed"] for c in children]
    expect(page.locator(".kpi-table tbody tr")).to_have_count(9)
    page.screenshot(path=str(artefacts / "kpis-city.png"), full_page=True)

    # Down to a district from the table: its townships, and the way back up.
    county = next(c for c in children if c["code"] == committed[0])
    page.locator(".kpi-table a", has_text=county["name"]).click()
    expect(page.locator("body")).to_have_attribute("data-loaded", f"area:{county['code']}")
    expect(page.locator(".kpi-card[data-kpi=filed] strong")).to_have_text(
        f"{county['figures']['filed']:,}")
    townships = [a for a in areas if a.level == "township" and a.code.startswith(county["code"])]
    expect(page.locator(".kpi-table tbody tr")).to_have_count(len(townships))
    assert f"area={county['code']}" in page.url
    expect(page.locator(".kpi-map-link")).to_have_attribute("href", f"/map/{county['code']}")
    page.screenshot(path=str(artefacts / "kpis-county.png"), full_page=True)
    page.locator(".kpi-up").click()
    expect(page.locator("body")).to_have_attribute("data-loaded", f"area:{city.code}")

    # Another period: the last year, asked for with since and until.
    page.get_by_role("button", name="近一年").click()
    expect(page.locator(".kpi-period-text")).to_contain_text("365 天")
    assert len(_chart_data(page, "daily")[0]) == 365


@pytest.mark.browser
def test_the_kpis_switch_to_english_and_back(live_server, tab, settings, committed, demo_city,
                                            artefacts: Path):
    from playwright.sync_api import expect

    areas, _ = demo_city
    city = areas[0]
    page = tab.page
    page.goto(f"{live_server.url}/kpis")
    _log_in(page, "demo_admin", settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-loaded", f"area:{city.code}")
    expect(page.locator(".kpi-header h1")).to_have_text("考核指标")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".kpi-header h1")).to_have_text("Performance indicators")
    expect(page.locator(".kpi-card[data-kpi=filed]")).to_contain_text("Filed")
    expect(page.locator(".kpi-period-text")).to_contain_text("days")
    expect(page.get_by_role("button", name="Last year")).to_be_visible()
    expect(page.locator(".kpi-account")).to_contain_text("administrator")
    page.screenshot(path=str(artefacts / "kpis-english.png"), full_page=True)
    # Kept for the next page of the app, and switched back.
    page.reload()
    expect(page.locator(".kpi-header h1")).to_have_text("Performance indicators")
    page.get_by_role("button", name="中文").click()
    expect(page.locator(".kpi-card[data-kpi=filed]")).to_contain_text("立案数")


@pytest.mark.browser
def test_from_the_map_to_the_kpis_and_back(live_server, tab, settings, committed, demo_city):
    from playwright.sync_api import expect

    areas, _ = demo_city
    city = areas[0]
    page = tab.page
    page.goto(f"{live_server.url}/map")
    _log_in(page, "demo_admin", settings.demo_password)
    expect(page.locator(".gridgov-info h2")).to_have_text(city.name)
    link = page.locator(".gridgov-info .gridgov-kpi-link a")
    expect(link).to_have_attribute("href", f"/kpis?area={city.code}")
    link.click()
    # The same tab's login: no form, no new token.
    expect(page.locator("body")).to_have_attribute("data-loaded", f"area:{city.code}")
    expect(page.locator(".gridgov-login")).to_be_hidden()
    assert len(tab.api_calls("/api/v1/auth/token")) == 1
    page.locator(".kpi-map-link").click()
    expect(page.locator(".gridgov-info h2")).to_have_text(city.name)


@pytest.mark.browser
def test_a_unit_and_the_roles_without_kpis(live_server, tab, settings, engine,
                                           committed, demo_city):
    from playwright.sync_api import expect

    with Session(engine) as session:
        unit = session.execute(text("SELECT id FROM unit WHERE code = :c"),
                               {"c": UNIT}).scalar_one()
    page = tab.page
    page.goto(f"{live_server.url}/kpis?unit={unit}")
    _log_in(page, "demo_county_dispatcher", settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-loaded", f"unit:{unit}")
    with Session(engine) as session:
        scope_code = session.scalar(text("SELECT scope_code FROM app_user "
                                         "WHERE username = 'demo_county_dispatcher'"))
        scope = Scope.of(Principal(0, "x", Role.county_dispatcher, scope_code))
        mine = service.unit_kpis(session, unit_id=unit, since=None, until=None,
                                 scope=scope)["figures"]
    expect(page.locator(".kpi-card[data-kpi=filed] strong")).to_have_text(f"{mine['filed']:,}")
    expect(page.locator(".kpi-children")).to_be_hidden()  # no child areas for a unit

    # Another district: the API says 404, the page says so.
    page.goto(f"{live_server.url}/kpis?area=430211")
    expect(page.locator(".kpi-status")).to_contain_text("不在您的辖区内")
    expect(page.locator(".kpi-card")).to_have_count(0)

    page.locator(".kpi-account button[data-i18n='account.logout']").click()  # log out
    expect(page.locator(".gridgov-login form")).to_be_visible()
    asked = len(tab.api_calls("/api/v1/kpis"))
    page.goto(f"{live_server.url}/kpis")
    _log_in(page, "demo_grid_worker", settings.demo_password)
    expect(page.locator(".kpi-status")).to_contain_text("无权访问")
    assert len(tab.api_calls("/api/v1/kpis")) == asked  # not even asked
