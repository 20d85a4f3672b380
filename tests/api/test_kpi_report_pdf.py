"""The KPI report as a PDF (issue 12 §5, GET /api/v1/kpis/report.pdf): the page's figures,
rankings and charts of an area, a unit or a worker, read back with pypdf and compared with
the KPI API's own answer; A4, Chinese; scope enforced like the KPI API's; a bad period or
ranking is a 422 problem; and the KPI page's button downloads it (Chromium)."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from grid.kpis.report import figure_text, ranked_rows
from tests.conftest import bearer
from tests.grid.kpis.conftest import CITY_UNIT, at, march, places, unit_id

__all__ = ["march", "places"]

REPORT = "/api/v1/kpis/report.pdf"
MARCH = {"since": "2026-03-01T00:00:00", "until": "2026-04-01T00:00:00"}
A4_POINTS = (595, 842)  # 210 × 297 mm, to the point
PROBLEM = "application/problem+json"


def _text(pdf: bytes) -> str:
    """Every page's text, whitespace removed (the layout breaks lines anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _name(session, code: str) -> str:
    return session.scalar(text("SELECT name FROM area WHERE code = :c"), {"c": code})


def test_an_areas_report_holds_the_apis_figures_rankings_and_charts(client, session, march):
    township = march.a.township
    answer = client.get(REPORT, params={"area": township, **MARCH})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    pdf = answer.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:  # A4 across, like the printed page
        assert sorted(round(float(side)) for side in page.mediabox[2:]) == list(A4_POINTS)
    shown = _text(pdf)
    api = client.get("/api/v1/kpis/children", params={"area": township, **MARCH}).json()
    figures = api["figures"]
    assert "考核指标报表" in shown and _name(session, township) in shown
    assert "2026-03-01至2026-03-31（31天）" in shown
    # The figures as the page shows them, with how each is counted.
    for key in ("filed", "closed", "close_rate", "on_time_close_rate", "rework_rate"):
        assert f"{figure_text(key, figures[key])}" in shown, key
    assert figures["filed"] > 0 and f"期间内立案{figures['filed']}件" in shown
    # The rankings: every child area, the units the incidents went to, the workers.
    for child in api["children"]:
        assert child["name"] in shown and child["code"] in shown
    units = client.get("/api/v1/kpis/units", params={"area": township, **MARCH}).json()
    assert units["rows"] and all(row["name"] in shown for row in units["rows"])
    assert "下级区域排名（按结案率）" in shown and "网格员排名" in shown
    # The charts are drawn (lines and bars), their legends and axes written.
    assert "比率" in shown and "每日上报、立案、结案" in shown and "100%" in shown
    content = reader.pages[0].get_contents().get_data()
    assert content.count(b" re") >= 5  # a bar per rate at least (rectangles)


def test_the_rankings_rank_on_the_figure_asked(client, session, march):
    answer = client.get(REPORT, params={"area": march.a.township, "sort": "rework_rate",
                                        **MARCH})
    assert answer.status_code == 200, answer.text
    assert "下级区域排名（按返工率）" in _text(answer.content)


def test_a_unit_or_a_worker_has_a_report_without_rankings(client, session, march):
    unit = client.get(REPORT, params={"unit": unit_id(session, CITY_UNIT), **MARCH})
    assert unit.status_code == 200, unit.text
    shown = _text(unit.content)
    assert "处置单位" in shown and "排名" not in shown  # rankings are an area's
    worker = client.get(REPORT, params={"worker": march.a.worker_id, **MARCH})
    assert worker.status_code == 200, worker.text
    assert _text(worker.content).startswith("考核指标报表")


def test_a_township_gets_its_own_report_and_no_other(anonymous, settings, session, places):
    mine = places.a.township
    other = session.scalar(text(
        "SELECT code FROM area WHERE level = 'township' AND code <> :t ORDER BY code LIMIT 1"),
        {"t": mine})
    headers = bearer(settings, role="township_staff", scope_code=mine,
                     username="test-township_staff")
    own = anonymous.get(REPORT, params={"area": mine}, headers=headers)
    assert own.status_code == 200 and _name(session, mine) in _text(own.content)
    for refused in ({"area": other}, {"area": mine[:6]}):  # another township, the county
        answer = anonymous.get(REPORT, params=refused, headers=headers)
        assert answer.status_code == 404, (refused, answer.text)
        assert answer.headers["content-type"] == PROBLEM
    # A grid worker has no KPIs to read (kpi:read), and nobody without a token.
    assert anonymous.get(REPORT, params={"area": mine}).status_code == 401
    worker = bearer(settings, role="grid_worker", scope_code=places.a.code,
                    username="test-grid_worker")
    assert anonymous.get(REPORT, params={"area": mine}, headers=worker).status_code == 403


@pytest.mark.parametrize("params, code", [
    ({"since": "2026-04-01", "until": "2026-03-01"}, "invalid_input"),  # empty period
    ({"since": "2024-01-01", "until": "2026-01-01"}, "invalid_input"),  # over 366 days
    ({"since": "yesterday"}, "validation_failed"),
    ({"sort": "name"}, "validation_failed"),  # no figure
])
def test_a_bad_period_or_ranking_is_a_422_problem(client, places, params, code):
    answer = client.get(REPORT, params={"area": places.a.township, **params})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == code


def test_no_subject_or_two_is_a_422_problem(client, places):
    for params in ({}, {"area": places.a.township, "worker": 1}):
        answer = client.get(REPORT, params=params)
        assert answer.status_code == 422 and answer.json()["code"] == "kpi_subject_ambiguous"


def test_ranks_are_competition_ranks_the_better_first():
    def row(code: str, close, rework):
        return {"code": code, "figures": {"close_rate": close, "rework_rate": rework}}

    rows = [row("d", None, 0.1), row("c", 0.5, 0.3), row("a", 0.9, 0.3), row("b", 0.5, 0.0)]
    assert [(rank, r["code"]) for rank, r in ranked_rows(rows, "close_rate")] == [
        (1, "a"), (2, "b"), (2, "c"), (None, "d")]
    # Lower is better for the rework rate.
    assert [(rank, r["code"]) for rank, r in ranked_rows(rows, "rework_rate")] == [
        (1, "b"), (2, "d"), (3, "a"), (3, "c")]


@pytest.mark.browser
def test_the_kpi_pages_button_downloads_the_report(live_server, tab, settings, demo_city):
    from playwright.sync_api import expect

    from tests.browser import log_in

    page = tab.page
    page.goto(f"{live_server.url}/kpis")
    log_in(page, "demo_township_staff", settings.demo_password)
    page.wait_for_selector("body[data-loaded]", state="attached")
    subject = page.locator(".kpi-subject strong").text_content()
    expect(page.locator(".kpi-pdf")).to_have_text("下载PDF报表")
    with page.expect_download() as downloaded:
        page.locator(".kpi-pdf").click()
    assert downloaded.value.suggested_filename.endswith(".pdf")
    pdf = Path(downloaded.value.path()).read_bytes()
    shown = _text(pdf)
    assert subject and subject in shown and "考核指标报表" in shown
    calls = tab.api_calls("/api/v1/kpis/report.pdf")
    assert len(calls) == 1 and "area=" in calls[0]
    assert not tab.errors


def test_the_period_shown_is_the_last_day_included():
    from grid.kpis.report import period_text

    since, until = at("03-01 00:00"), at("04-01 00:00")
    assert period_text({"since": since, "until": until, "days": 31.0}) == \
        "2026-03-01 至 2026-03-31（31 天）"
    assert period_text({"since": since, "until": until - timedelta(hours=12),
                        "days": 30.5}) == "2026-03-01 至 2026-03-31（30.5 天）"
