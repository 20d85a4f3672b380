"""Security headers on every response (issue 11 §5), the pages running under their
Content-Security-Policy in Chromium, and data rendered as text: an area and a 小类 named
with markup show the markup as text in the field app's map tooltips and run nothing.
"""

import base64
import hashlib
import re
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import close_tab, log_in, open_tab
from tests.grid.patrols.conftest import walker_of

FIXED = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
         "Referrer-Policy": "strict-origin-when-cross-origin"}
PAGES = ("/map", "/map/430200", "/kpis", "/console", "/field", "/admin")


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_secure(response) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, (response.url, name)
    csp = policy(response)
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["base-uri"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(csp[directive])
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


@pytest.mark.parametrize("url, status", [
    ("/healthz", 200), ("/openapi.json", 200), ("/static/session.js", 200),
    ("/static/vendor/leaflet/leaflet.css", 200), ("/field/sw.js", 200),
    ("/field/manifest.webmanifest", 200), ("/api/v1/auth/me", 401),
    ("/api/v1/nowhere", 404), ("/api/v1/areas?offset=19490857233094197248", 422),
    *((page, 200) for page in PAGES),
])
def test_every_response_carries_the_headers(anonymous, url, status):
    response = anonymous.get(url)
    assert response.status_code == status
    assert_secure(response)


def test_refusals_before_any_route_carry_them(anonymous):
    response = anonymous.post("/api/v1/auth/token", content=b"x" * (2 * 1024 * 1024),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert_secure(response)


def test_a_500_carries_them_too(app, anonymous):
    @app.get("/test-only/failure")
    def failure():
        raise RuntimeError("a bug")

    response = anonymous.get("/test-only/failure")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert_secure(response)


def _inline_hashes(html: str) -> tuple[set[str], set[str]]:
    """The sha256 sources of a page's inline scripts and style blocks, found independently
    of api/headers.py (an HTML parser, not its regular expression)."""
    from html.parser import HTMLParser

    found = {"script": set(), "style": set()}

    class Blocks(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=False)
            self.open = None

        def handle_starttag(self, tag, attributes):
            if tag in found and not dict(attributes).get("src"):
                self.open, self.text = tag, ""

        def handle_data(self, data):
            if self.open:
                self.text += data

        def handle_endtag(self, tag):
            if tag == self.open:
                digest = hashlib.sha256(self.text.encode()).digest()
                found[tag].add(f"'sha256-{base64.b64encode(digest).decode()}'")
                self.open = None

    Blocks().feed(html)
    return found["script"], found["style"]


@pytest.mark.parametrize("url", PAGES)
def test_a_page_allows_exactly_its_own_inline_blocks(anonymous, url):
    response = anonymous.get(url)
    scripts, styles = _inline_hashes(response.text)
    assert scripts  # each page starts its script inline
    csp = policy(response)
    assert set(csp["script-src"]) == {"'self'", *scripts}
    assert set(csp["style-src"]) == {"'self'", *styles}


def test_the_api_docs_load_nothing_from_a_cdn(anonymous):
    """/docs and /redoc are served from the vendored copies (api/docs.py): no CDN in their
    policy, only the page's own inline script by its hash (tests/api/test_pages_docs.py
    renders them in Chromium)."""
    for path in ("/docs", "/redoc"):
        docs = anonymous.get(path)
        scripts, _ = _inline_hashes(docs.text)
        assert set(policy(docs)["script-src"]) == {"'self'", *scripts}
        assert "cdn.jsdelivr.net" not in docs.text
    # ReDoc writes its styles at run time: inline styles there alone.
    assert "'unsafe-inline'" in policy(anonymous.get("/redoc"))["style-src"]
    assert "'unsafe-inline'" not in policy(anonymous.get("/docs"))["style-src"]


def test_the_map_is_rendered_anew_and_hashed_anew(anonymous):
    """folium names the map's variables at random on every render: the hashes follow."""
    first, second = (policy(anonymous.get("/map"))["script-src"] for _ in range(2))
    assert first != second


def test_hsts_only_when_the_request_came_over_tls(app):
    # No lifespan (no `with`): /healthz needs no pool.
    secure = TestClient(app, base_url="https://testserver")
    hsts = secure.get("/healthz").headers["Strict-Transport-Security"]
    assert hsts == f"max-age={app.state.settings.hsts_max_age_seconds}; includeSubDomains"
    # A header alone does not make a request secure: only a trusted proxy's does.
    forged = TestClient(app).get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers


def test_hsts_behind_a_trusted_proxy(live_server):
    """uvicorn trusts X-Forwarded-Proto from its --forwarded-allow-ips (127.0.0.1 here)."""
    behind = httpx.get(f"{live_server.url}/healthz", headers={"X-Forwarded-Proto": "https"})
    assert behind.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in httpx.get(f"{live_server.url}/healthz").headers


# --- in Chromium -------------------------------------------------------------------------

# Collects what the policy blocks (the init script runs outside the page's policy).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(
  `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`));
"""


def _watched_tab(chromium, **options):
    opened = open_tab(chromium, **options)
    opened.page.add_init_script(WATCH)
    return opened


@pytest.mark.browser
@pytest.mark.parametrize("path, username, ready", [
    ("/map", "demo_township_staff", ".leaflet-children-pane path"),
    ("/kpis", "demo_township_staff", "body[data-loaded]"),
    ("/console", "demo_village_staff", "body[data-queue-loaded='1']"),
    ("/field", "demo_grid_worker", "body[data-ready='true']"),
    ("/admin?tab=units", "demo_admin", "body[data-admin-ready='true']"),
])
def test_the_pages_run_under_their_policy(live_server, chromium, settings, path, username,
                                          ready):
    opened = _watched_tab(chromium, viewport={"width": 1280, "height": 900})
    try:
        page = opened.page
        page.goto(f"{live_server.url}{path}")
        log_in(page, username, settings.demo_password)
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == []
    finally:
        close_tab(opened)


MARKUP = '<img src=x onerror="__xss=1">'  # a 小类 name holds 50 characters
MARK = "security-headers-test"


@pytest.fixture
def poisoned(live_server, engine, settings, demo_city):
    """The demo grid worker's grid and a 小类 renamed to markup, an incident of that 小类
    in his grid waiting for verification (his task); all put back afterwards."""
    with Session(engine) as session:
        walker = walker_of(session, settings, "demo_grid_worker")
        category = session.scalar(text(
            "SELECT code FROM category WHERE level = 'minor' AND active ORDER BY code LIMIT 1"))
        names = {"grid": session.scalar(text("SELECT name FROM area WHERE code = :c"),
                                        {"c": walker.grid_code}),
                 "category": session.scalar(text("SELECT name FROM category WHERE code = :c"),
                                            {"c": category})}
        session.execute(text("UPDATE area SET name = :n WHERE code = :c"),
                        {"n": f"{MARKUP}网格", "c": walker.grid_code})
        session.execute(text("UPDATE category SET name = :n WHERE code = :c"),
                        {"n": f"{MARKUP}垃圾", "c": category})
        session.commit()
    incident_id = None
    try:
        reported = httpx.post(f"{live_server.url}/api/v1/incidents", timeout=30, json={
            "location": {"type": "Point", "coordinates": [walker.lon, walker.lat]},
            "category": category, "description": f"{MARK} 标记"},
            headers={**walker.person.headers, "Idempotency-Key": str(uuid.uuid4())})
        assert reported.status_code == 201, reported.text
        incident_id = reported.json()["id"]
        with Session(engine) as session:
            session.execute(text("UPDATE incident SET state = 'handled', version = version + 1 "
                                 "WHERE id = :id"), {"id": incident_id})
            session.commit()
        yield {"incident": incident_id, "grid": walker.grid_code}
    finally:
        with Session(engine) as session:
            session.execute(text("UPDATE area SET name = :n WHERE code = :c"),
                            {"n": names["grid"], "c": walker.grid_code})
            session.execute(text("UPDATE category SET name = :n WHERE code = :c"),
                            {"n": names["category"], "c": category})
            if incident_id is not None:
                _delete_incident(session, incident_id)
            session.commit()


def _delete_incident(session, incident_id: int) -> None:
    """The incident and every row that refers to it by a foreign key (the audit stays)."""
    referring = session.execute(text("""
        SELECT c.conrelid::regclass::text AS tab, a.attname AS col
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
        WHERE c.confrelid = 'incident'::regclass AND c.contype = 'f'""")).all()
    for row in referring:
        session.execute(text(f'DELETE FROM {row.tab} WHERE "{row.col}" = :id'),
                        {"id": incident_id})
    session.execute(text("DELETE FROM timeline_event WHERE subject_type = 'incident' "
                         "AND subject_id = :id"), {"id": incident_id})
    session.execute(text("DELETE FROM incident WHERE id = :id"), {"id": incident_id})


@pytest.mark.browser
def test_names_with_markup_are_shown_as_text(live_server, chromium, settings, poisoned):
    walker_tab = _watched_tab(chromium, viewport={"width": 390, "height": 844},
                              is_mobile=True, has_touch=True)
    try:
        page = walker_tab.page
        page.goto(f"{live_server.url}/field")
        log_in(page, "demo_grid_worker", settings.demo_password)
        page.wait_for_selector("body[data-ready='true']", state="attached")
        page.get_by_role("button", name="我的任务").click()
        page.wait_for_selector(f".field-task[data-incident='{poisoned['incident']}']")
        # Every tooltip of the map open at once: the grids' (area names) and the tasks'
        # (小类 names).
        texts = page.evaluate("""async () => {
            const {running} = await import("/static/field/field.js");
            running.app.map.eachLayer((layer) => {
              if (layer.getTooltip && layer.getTooltip() && !layer.eachLayer) {
                layer.openTooltip();
              }
            });
            return [...document.querySelectorAll(".leaflet-tooltip")].map((t) => t.textContent);
        }""")
        assert f"{MARKUP}网格 {poisoned['grid']}" in texts, texts
        assert f"#{poisoned['incident']} {MARKUP}垃圾" in texts, texts
        assert page.locator(".leaflet-tooltip img, .field-task img[src='x']").count() == 0
        page.wait_for_timeout(300)  # an <img src=x> would have failed to load by now
        assert page.evaluate("window.__xss") is None
        assert page.evaluate("window.__violations") == []
    finally:
        close_tab(walker_tab)


def test_no_page_script_puts_a_string_into_html():
    """What the browser test cannot reach: no script of the pages hands text to an HTML
    sink (innerHTML with a template that has a `${…}`, insertAdjacentHTML, document.write,
    a Leaflet tooltip or popup given a template string)."""
    from api.pages import STATIC_DIR

    sinks = re.compile(r"innerHTML\s*=\s*`[^`]*\$\{|insertAdjacentHTML|document\.write|"
                       r"outerHTML\s*=|bind(Tooltip|Popup)\(\s*`|setContent\(\s*`")
    found = [f"{path.relative_to(STATIC_DIR)}:{number}"
             for path in STATIC_DIR.rglob("*.js") if "vendor" not in path.parts
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if sinks.search(line)]
    assert found == []
