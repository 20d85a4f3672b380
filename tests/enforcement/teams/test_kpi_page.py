"""Enforcement KPIs as charts (issue 13 §9): /enforcement/kpis is a shell served without
login, whose module logs in, draws 立案数/结案数, 按期办结率, 罚没金额, 听证率, 复议/诉讼
纠错率 and the 吹哨报到 response times as SVG bars (/static/charts.js) from the API's own
figures per unit and per area, switches between the groupings and downloads the xlsx;
every asset from the app."""

import io
import json
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.browser import log_in


def test_the_page_is_a_shell_with_its_module(client):
    answer = client.get("/enforcement/kpis")
    assert answer.status_code == 200
    page = answer.text
    assert '<script type="module">import {start} from "/static/enforcement/kpis/kpis.js"' \
        in page
    for label in ("立案数与结案数", "按期办结率", "罚没金额", "听证率", "复议/诉讼纠错率",
                  "吹哨报到响应时间", "按单位", "按乡镇（街道）", "案件指标 Excel"):
        assert label in page
    for asset in ("/static/enforcement/kpis/kpis.js", "/static/kpi-page.css",
                  "/static/charts.js", "/static/kpi-page.js"):
        assert client.get(asset).status_code == 200, asset
    module = client.get("/static/enforcement/kpis/kpis.js").text
    assert 'from "/static/charts.js"' in module and 'from "/static/kpi-page.js"' in module


@pytest.fixture
def kpi_cases(engine, demo_city):
    """Two decided cases in the demo county dispatcher's territory (committed for the live
    server, removed after), so that the page has rows whatever the demo holds."""
    with engine.begin() as connection:
        scope = connection.scalar(text(
            "SELECT scope_code FROM app_user WHERE username = 'demo_county_dispatcher'"))
        unit, seat = connection.execute(text(
            "SELECT id, seat_code FROM unit WHERE kind = 'enforcement_team' "
            "AND seat_code LIKE :scope || '%' ORDER BY id LIMIT 1"), {"scope": scope}).one()
        ids = [connection.scalar(text("""
            INSERT INTO enforcement_case (procedure, state, owner_unit_id, owner_code,
                area_code, source, title, filed_at, decided_at, closed_at, outcome, fine_fen)
            VALUES ('ordinary', 'closed', :unit, :area, :area, 'patrol', 'KPI 页面测试',
                    now() - interval '3 days', now() - interval '2 days',
                    now() - interval '1 day', 'penalty', :fine) RETURNING id"""),
            {"unit": unit, "area": seat, "fine": fine}) for fine in (50_000, 12_300)]
    yield ids
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM enforcement_case WHERE id = ANY(:ids)"),
                           {"ids": ids})


def _api(live_server, token: str, **params) -> dict:
    return httpx.get(f"{live_server.url}/api/v1/enforcement/kpis", params=params,
                     headers={"Authorization": f"Bearer {token}"}).json()


@pytest.mark.browser
def test_the_bars_draw_the_apis_figures_per_unit_and_per_area(live_server, tab, settings,
                                                               demo_city, kpi_cases):
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/enforcement/kpis")
    log_in(page, "demo_county_dispatcher", settings.demo_password)
    filed = page.locator('.kp-chart[data-kpi="counts"] .chart-series')
    expect(filed).to_have_count(2)
    token = page.evaluate("sessionStorage.getItem('gridgov.accessToken')")
    api = _api(live_server, token, by="unit")
    assert api["cases"], "the seeded cases give a row"
    assert json.loads(filed.first.get_attribute("data-values")) == [
        row["filed"] for row in api["cases"]]
    rate = page.locator('.kp-chart[data-kpi="review_correction_rate"] .chart-series')
    assert json.loads(rate.get_attribute("data-values")) == [
        row["review_correction_rate"] for row in api["cases"]]
    fines = page.locator('.kp-chart[data-kpi="fines_fen"] .chart-series')
    assert json.loads(fines.get_attribute("data-values")) == [
        row["fines_fen"] / 100 for row in api["cases"]]
    expect(page.locator('.kp-table[data-table="cases"] tbody tr')).to_have_count(
        len(api["cases"]))

    # Per township: the bars follow the API's area grouping.
    page.locator('[data-group="township"]').click()
    expect(page.locator('[data-group="township"]')).to_have_attribute("aria-pressed", "true")
    assert "group=township" in page.url
    by_area = _api(live_server, token, by="area", level="township")
    expect(page.locator('.kp-table[data-table="cases"] tbody tr')).to_have_count(
        len(by_area["cases"]))
    expect(filed.first).to_have_attribute(
        "data-values", json.dumps([row["filed"] for row in by_area["cases"]],
                                  separators=(",", ":")))
    with page.expect_download() as downloaded:
        page.locator('.kp-export[data-table="cases"][data-format="xlsx"]').click()
    book = load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()))
    assert [c.value for c in book.active[1]][:3] == ["编码", "名称", "立案数"]
    assert not tab.errors
    assert all(url.startswith(live_server.url) for url in tab.requested)
