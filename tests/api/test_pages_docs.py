"""The API docs on an intranet (issue 12 §2): /docs (Swagger UI) and /redoc (ReDoc) come
from the app's vendored copies and render the operations with no host but the app's
reachable (the `tab` fixture fails a test on any request to another host), under the
page's Content-Security-Policy."""

import pytest

from api.docs import DOCS, REDOC

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(
  `${event.violatedDirective} ${event.blockedURI}`));
"""


def _closed_to_other_hosts(page, live_server) -> None:
    """Any request to a host but the app's is aborted (and recorded by the tab)."""
    origin = live_server.url
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(origin)
               or route.request.url.startswith(("data:", "blob:")) else route.abort())


def test_docs_pages_name_only_vendored_assets(anonymous):
    for path, asset in ((DOCS, "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
                        (REDOC, "/static/vendor/redoc/redoc.standalone.js")):
        page = anonymous.get(path)
        assert page.status_code == 200 and asset in page.text
        assert "https://" not in page.text  # no CDN, no web fonts, no remote favicon
        assert anonymous.get(asset).status_code == 200


def test_the_default_cdn_docs_are_gone(app):
    """FastAPI's own pages (plain routes, added when the app is built) are removed."""
    from fastapi.routing import APIRoute

    defaults = [route for route in app.router.routes if not isinstance(route, APIRoute)
                and getattr(route, "path", None) in {DOCS, REDOC}]
    assert defaults == [] and app.docs_url is None and app.redoc_url is None


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_offline(live_server, tab):
    page = tab.page
    page.add_init_script(WATCH)
    _closed_to_other_hosts(page, live_server)
    page.goto(f"{live_server.url}{DOCS}")
    # Swagger UI draws the operations tag by tag: wait for several.
    page.wait_for_function(
        "() => document.querySelectorAll('.opblock-summary-path').length >= 10")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/auth/token" in paths
    assert page.evaluate("window.__violations") == []


@pytest.mark.browser
def test_redoc_renders_the_operations_offline(live_server, tab):
    page = tab.page
    page.add_init_script(WATCH)
    _closed_to_other_hosts(page, live_server)
    page.goto(f"{live_server.url}{REDOC}")
    # ReDoc lists each operation in its side menu once the document is parsed.
    page.wait_for_selector("[role=menuitem] .operation-type", state="attached")
    assert page.locator("[role=menuitem] .operation-type").count() > 20
    assert page.evaluate("window.__violations") == []
