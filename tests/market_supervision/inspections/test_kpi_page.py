"""The inspections' KPIs as charts (issue 14 §6): /market/kpis is a shell served without
login, whose module logs in, draws each KPI as SVG bars with the shared chart module
(/static/charts.js) from the API's own figures, switches the group and downloads the xlsx;
every asset from the app, no risk class anywhere."""

import io
import json
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.api.console_platforms_support import cleanup, market_submitted
from tests.browser import log_in


@pytest.fixture
def submitted(engine, settings, demo_city):
    """An inspection submitted in the demo inspector's territory (committed; removed
    after the test), so that the KPIs have a row whatever the demo holds."""
    with Session(engine) as session:
        made = market_submitted(session, settings, username="demo_market_inspector")
        session.commit()
    yield made
    with Session(engine) as session:
        cleanup(session, made)
        session.commit()


def test_the_page_is_a_shell_with_its_module(client):
    answer = client.get("/market/kpis")
    assert answer.status_code == 200
    page = answer.text
    assert '<script type="module">import {start} from ' \
           '"/static/market_supervision/inspections/kpis.js"' in page
    for label in ("抽查完成率", "问题发现率", "整改完成率", "按期公示率", "按事项"):
        assert label in page
    assert "risk" not in page and "风险" not in page
    for asset in ("/static/market_supervision/inspections/kpis.js",
                  "/static/kpi-page.css", "/static/charts.js"):
        served = client.get(asset)
        assert served.status_code == 200, asset
    module = client.get("/static/market_supervision/inspections/kpis.js").text
    assert 'from "/static/charts.js"' in module and "risk_class" not in module


@pytest.mark.browser
def test_the_charts_draw_the_apis_figures(live_server, tab, settings, submitted):
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/market/kpis?group=item")
    log_in(page, "demo_market_inspector", settings.demo_password)
    series = page.locator('.kp-chart[data-kpi="completion_rate"] .chart-series')
    expect(series).to_have_count(1)
    drawn = series.get_attribute("data-values")
    token = page.evaluate("sessionStorage.getItem('gridgov.accessToken')")
    headers = {"Authorization": f"Bearer {token}"}
    api = httpx.get(f"{live_server.url}/api/v1/market/kpis", params={"group": "item"},
                    headers=headers).json()
    assert api["rows"], "the demo has inspections"
    assert json.loads(drawn) == [row["completion_rate"] for row in api["rows"]]
    expect(page.locator(".kp-table tbody tr")).to_have_count(len(api["rows"]))
    expect(page.locator('.kp-chart[data-kpi="counts"] .chart-series')).to_have_count(3)

    page.locator('[data-group="unit"]').click()
    expect(page.locator('[data-group="unit"]')).to_have_attribute("aria-pressed", "true")
    assert "group=unit" in page.url
    with page.expect_download() as downloaded:
        page.locator('.kp-export[data-format="xlsx"]').click()
    book = load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()))
    assert book.active.cell(1, 1).value == "分组"
    assert not tab.errors
    assert all(url.startswith(live_server.url) for url in tab.requested)
