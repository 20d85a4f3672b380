"""The KPI page's tables (issue 12 §5) in Chromium: sorted by any column with ranks (名次),
exported as xlsx (opened with openpyxl and compared with the API's figures) and CSV; the
per-unit and per-worker views the API answers (/kpis/units, /kpis/workers), compared with
the service; the mean handling time says it counts natural hours; the printed report
hides the controls. The KPI API's rankings are checked against a count by hand too."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.scope import EVERYWHERE
from grid.kpis import ranking, service
from tests.browser import log_in
from tests.conftest import bearer
from tests.grid.kpis.conftest import add_incident, grid_of
from tests.grid.kpis.test_page import UNIT, committed

__all__ = ["committed"]


def _percent(rate):
    return None if rate is None else round(rate * 100 + 1e-9, 1)


def _breakdown(engine, code: str) -> dict:
    with Session(engine) as session:
        return service.area_breakdown(session, code=code, since=None, until=None,
                                      scope=EVERYWHERE)


def _ranking(engine, code: str, by: str) -> list[dict]:
    with Session(engine) as session:
        subject = service.area_subject(session, code=code, scope=EVERYWHERE)
        period = service.period_of(since=None, until=None, tz="Asia/Shanghai")
        return ranking.ranking(session, subject=subject, period=period, scope=EVERYWHERE,
                               by=by)["rows"]


def _shown_codes(page) -> list[str]:
    return page.locator(".kpi-table tbody tr").evaluate_all(
        "(rows) => rows.map((row) => row.dataset.code)")


@pytest.mark.browser
def test_a_kpi_table_sorts_ranks_and_exports(live_server, tab, settings, engine, committed,
                                             demo_city):
    from playwright.sync_api import expect

    city = demo_city[0][0]
    children = _breakdown(engine, city.code)["children"]
    page = tab.page
    page.goto(f"{live_server.url}/kpis")
    log_in(page, "demo_admin", settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-view", "children")
    expect(page.locator(".kpi-card[data-kpi=mean_handling_hours]")).to_contain_text("自然小时")
    expect(page.locator(".kpi-note").first).to_contain_text("不是工作时长")

    # Sorted by 结案数: the most first, ranked 1…; again, the fewest first.
    header = page.locator(".kpi-table th[data-sort=closed]")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    most = sorted(children, key=lambda c: (-c["figures"]["closed"], c["code"]))
    assert _shown_codes(page) == [c["code"] for c in most]
    first = page.locator(".kpi-table tbody tr").first.locator("td").first
    expect(first).to_have_text("1")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    fewest = sorted(children, key=lambda c: (c["figures"]["closed"], c["code"]))
    assert _shown_codes(page) == [c["code"] for c in fewest]
    # The chart follows the sort: its bars are the first rows' figures, the most first.
    bars = page.evaluate("""() => JSON.parse(document.querySelector(
        '#kpi-ranking .chart-series').dataset.values)""")
    assert bars == [c["figures"]["closed"] for c in most][:len(bars)]

    # Excel: the rows as shown, the rates in per cent, the ranks by 结案数.
    with page.expect_download() as download:
        page.locator(".kpi-export[data-format=xlsx]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    head, *body = list(sheet.iter_rows(values_only=True))
    assert head[:6] == ("名次", "下级区域", "编号", "上报数", "立案数", "结案数")
    assert "平均处置时长（自然小时）" in head and "结案率 (%)" in head
    assert [row[2] for row in body] == [c["code"] for c in fewest]
    by_code = {c["code"]: c for c in children}
    rate = head.index("结案率 (%)")
    for row in body:
        figures = by_code[row[2]]["figures"]
        assert (row[1], row[3], row[4], row[5]) == (
            by_code[row[2]]["name"], figures["reported"], figures["filed"], figures["closed"])
        assert row[rate] == _percent(figures["close_rate"])
    closed = [by_code[row[2]]["figures"]["closed"] for row in body]
    assert [row[0] for row in body] == [1 + sum(other > mine for other in closed)
                                        for mine in closed]

    # CSV: the same table, with the byte-order mark Excel needs for Chinese.
    with page.expect_download() as download:
        page.locator(".kpi-export[data-format=csv]").click()
    raw = download.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["名次", "下级区域", "编号"] and len(rows) == len(children) + 1


@pytest.mark.browser
def test_the_units_and_workers_views_and_the_printed_report(live_server, tab, settings,
                                                            engine, committed, demo_city):
    from playwright.sync_api import expect

    county = committed[0]
    units = _ranking(engine, county, "unit")
    workers = _ranking(engine, county, "worker")
    assert units and workers
    page = tab.page
    page.goto(f"{live_server.url}/kpis?area={county}&view=units")
    log_in(page, "demo_admin", settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-view", "units")
    expect(page.locator(".kpi-table tbody tr")).to_have_count(len(units))
    mine = next(u for u in units if u["code"] == UNIT)
    row = page.locator(f".kpi-table tbody tr[data-code='{UNIT}']")
    expect(row).to_contain_text(mine["name"])
    expect(row.locator("td").nth(3)).to_have_text(f"{mine['figures']['filed']:,}")

    page.locator(".kpi-view-tabs [data-view=workers]").click()
    expect(page.locator("body")).to_have_attribute("data-view", "workers")
    expect(page.locator(".kpi-table tbody tr")).to_have_count(len(workers))
    assert "view=workers" in page.url
    # A worker's name opens his own figures.
    worker = workers[0]
    page.locator(f".kpi-table tbody tr[data-code='{worker['code']}'] a").click()
    expect(page.locator("body")).to_have_attribute("data-loaded", f"worker:{worker['id']}")
    expect(page.locator(".kpi-card[data-kpi=filed] strong")).to_have_text(
        f"{worker['figures']['filed']:,}")
    expect(page.locator(".kpi-views")).to_be_hidden()

    # On paper: the report's heading, no controls.
    page.go_back()
    expect(page.locator("body")).to_have_attribute("data-loaded", f"area:{county}")
    page.emulate_media(media="print")
    expect(page.locator(".kpi-report")).to_be_visible()
    expect(page.locator(".kpi-report")).to_contain_text("考核指标报表")
    for hidden in (".kpi-period", ".kpi-exports", ".kpi-print", ".kpi-account"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(".kpi-table")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator(".kpi-period")).to_be_visible()


def test_the_rankings_count_by_unit_and_worker(client, session, settings, demo_city):
    """Three incidents of one grid by hand: two dispatched to a unit, one to none."""
    now = datetime(2020, 3, 10, 12, tzinfo=UTC)  # a period the demo has nothing in
    period = {"since": "2020-03-01T00:00:00", "until": "2020-04-01T00:00:00"}
    code = session.scalar(text("SELECT min(code) FROM area WHERE level = 'grid' "
                               "AND code LIKE '430202%'"))
    grid = grid_of(session, code)
    for k, unit in enumerate((UNIT, UNIT, None)):
        reported = now - timedelta(days=2, hours=k)
        closed = reported + timedelta(hours=5) if k == 0 else None
        add_incident(session, grid, reported=reported, filed=reported + timedelta(hours=1),
                     closed=closed, handled=closed, verified=closed, handler_unit=unit,
                     state="closed" if closed else "void")
    session.flush()
    headers = bearer(settings)
    answer = client.get("/api/v1/kpis/units", params={"area": grid.code, **period},
                        headers=headers)
    assert answer.status_code == 200
    [row] = answer.json()["rows"]
    assert row["code"] == UNIT and row["figures"]["filed"] == 2
    assert row["figures"]["closed"] == 1 and row["figures"]["mean_handling_hours"] == 4.0
    workers = client.get("/api/v1/kpis/workers", params={"area": grid.code, **period},
                         headers=headers).json()["rows"]
    assert grid.worker_id is not None
    assert [(w["id"], w["figures"]["filed"]) for w in workers] == [(grid.worker_id, 3)]
    refused = client.get("/api/v1/kpis/units", params={"unit": 1}, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "kpi_ranking_needs_area"
