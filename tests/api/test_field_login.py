"""The field app's login without a refresh token in script reach: the refresh token is an
HttpOnly cookie, the page holds only the access token (this tab's sessionStorage) and a
marker without any secret that a login exists. A report queued offline is still sent
after the app was closed and opened again: its access token comes from the cookie.
"""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import close_tab, log_in, open_phone_at
from tests.factories import delete_incidents
from tests.grid.patrols.conftest import walker_of

MARK = "field-login-test"


@pytest.fixture
def walker(engine, settings, demo_city) -> Iterator:
    with Session(engine) as session:
        found = walker_of(session, settings, "demo_grid_worker")
    yield found
    _delete_incidents(engine, f"{MARK}%")


def _delete_incidents(engine, pattern: str) -> None:
    """The test's incidents and every row that refers to them, whatever tables do."""
    with engine.begin() as connection:
        ids = connection.execute(text("SELECT id FROM incident WHERE description LIKE :p"),
                                 {"p": pattern}).scalars().all()
        if not ids:
            return
        referring = connection.execute(text("""
            SELECT c.conrelid::regclass::text, a.attname
            FROM pg_constraint c JOIN pg_attribute a
              ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.confrelid = 'incident'::regclass
              AND c.conrelid <> 'incident'::regclass""")).all()
        for table, column in referring:
            connection.execute(text(f'DELETE FROM {table} WHERE "{column}" = ANY(:ids)'),
                               {"ids": ids})
        delete_incidents(connection, ids)


@pytest.fixture
def phone(chromium, walker) -> Iterator:
    opened = open_phone_at(chromium, lon=walker.lon, lat=walker.lat, accuracy=12)
    yield opened
    close_tab(opened)


def _script_reach(page) -> dict:
    return page.evaluate("""() => ({
        session: {...sessionStorage}, local: {...localStorage}, cookie: document.cookie})""")


@pytest.mark.browser
def test_a_report_queued_offline_is_sent_after_a_restart_with_the_cookie(
        live_server, phone, settings, engine, walker):
    from playwright.sync_api import expect

    page = phone.page
    page.goto(f"{live_server.url}/field")
    log_in(page, "demo_grid_worker", settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "true")

    # What a script on the page can reach: the access token, a marker; no refresh token.
    reach = _script_reach(page)
    assert set(reach["session"]) == {"gridgov.accessToken"}
    assert reach["local"].get("gridgov.loggedIn") == "1"
    assert not any("refresh" in key.lower() for key in reach["local"])
    assert "gridgov_refresh" not in reach["cookie"]
    [cookie] = [c for c in phone.context.cookies() if c["name"] == "gridgov_refresh"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        True, "Strict", "/api/v1/auth")

    # Offline, a report is queued; then the app is closed.
    phone.context.set_offline(True)
    description = f"{MARK} 井盖缺失 {uuid.uuid4().hex[:8]}"
    page.select_option("select[name=major]", "S01")
    page.select_option("select[name=category]", "S0102")
    page.fill("textarea[name=description]", description)
    page.get_by_role("button", name="提交上报").click()
    expect(page.locator(".field-outbox li")).to_have_count(1)
    page.close()

    # Opened again, still offline: no access token any more (a new tab), yet no login
    # form; the queue is there.
    page = phone.context.new_page()
    page.goto(f"{live_server.url}/field")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator(".gridgov-login")).to_be_hidden()
    assert "gridgov.accessToken" not in _script_reach(page)["session"]
    expect(page.locator(".field-outbox li")).to_have_count(1)

    # Online: the outbox sends the report with an access token from the cookie.
    with page.expect_response("**/api/v1/auth/refresh") as refreshed:
        phone.context.set_offline(False)
    assert refreshed.value.status == 200
    expect(page.locator(".field-outbox li")).to_have_count(0, timeout=20000)
    with engine.connect() as connection:
        reporters = connection.execute(text(
            "SELECT u.username FROM incident i JOIN app_user u ON u.id = i.reporter_id "
            "WHERE i.description = :d"), {"d": description}).scalars().all()
    assert reporters == ["demo_grid_worker"]
    page.close()
