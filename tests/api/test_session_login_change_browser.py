"""api/static/session.js: a refusal that speaks of a login that has ended does not end
the login of now.

The race it closes (seen once in CI, tests/api/test_pages_map_filters_browser.py): a page
logged out while one of its requests was in flight; the 401 came back before the next
login, the page asked for a refresh (no cookie by then), and that refusal came back after
the next login, clearing its token and showing the form again. Here the two answers are
held by the browser (Playwright routes) and released in that order, so nothing depends
on timing."""

import pytest

from tests.api.pages_support import open_and_log_in
from tests.browser import log_in

REFUSED = {"status": 401, "content_type": "application/problem+json",
           "body": '{"status": 401, "detail": "the token is invalid or has expired"}'}


def _until_held(page, held: dict, name: str) -> None:
    """Waits (bounded, by the browser's clock) for the route handler to hold `name`."""
    for _ in range(600):
        if name in held:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the page never asked for {name}")


@pytest.mark.browser
def test_a_refusal_of_the_last_login_does_not_end_the_next(live_server, tab, settings,
                                                            demo_city):
    from playwright.sync_api import expect

    page = tab.page
    open_and_log_in(tab, f"{live_server.url}/map", "demo_admin", settings.demo_password)
    expect(page.locator(".leaflet-areas-county-pane path")).to_have_count(9)
    held: dict = {}
    page.route(lambda url: "level=village" in url, lambda route: held.setdefault("layer", route))
    page.route("**/api/v1/auth/refresh", lambda route: held.setdefault("refresh", route))

    # The admin's request goes out and is held; the admin logs out meanwhile.
    page.evaluate("""() => {
        for (const label of document.querySelectorAll(".leaflet-control-layers label")) {
            if (/村（社区）/.test(label.textContent)) label.querySelector("input").click();
        }
    }""")
    _until_held(page, held, "layer")
    with page.expect_response("**/api/v1/auth/logout"):
        page.locator(".gridgov-account button[data-i18n='account.logout']").click()
    expect(page.locator(".gridgov-login form")).to_be_visible()

    # Its 401 now: the page tries a refresh, which is held in turn.
    held["layer"].fulfill(**REFUSED)
    _until_held(page, held, "refresh")

    # The next login, then the refresh's refusal.
    log_in(page, "demo_township_staff", settings.demo_password)
    expect(page.locator(".gridgov-login")).to_be_hidden()
    token = page.evaluate("() => sessionStorage.getItem('gridgov.accessToken')")
    assert token
    with page.expect_response("**/api/v1/auth/refresh"):
        held["refresh"].fulfill(**REFUSED)
    page.evaluate("() => new Promise((done) => setTimeout(done, 0))")  # its handlers ran

    # The township's login goes on: same token, no form, its map served.
    assert page.evaluate("() => sessionStorage.getItem('gridgov.accessToken')") == token
    expect(page.locator(".gridgov-login")).to_be_hidden()
    expect(page.locator(".gridgov-account .gridgov-person")).to_have_attribute(
        "title", "demo_township_staff")
