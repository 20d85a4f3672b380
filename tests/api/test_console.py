"""The centres' console (/console): a public shell with every asset served by the app; in
Chromium, a village centre's queue, an incident reported by a grid worker opened, filed and
dispatched from the page to a unit (and one of its members) picked from the units that
cover the incident, a stale version's 409, a hand-off signed by the township, and the
English switch.

The tab fails the test on a page error or on any request to a host other than the app's.
Incidents are reported through the live server (committed) and removed at the end.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import chain_codes
from tests.api.pages_support import module_graph, open_and_log_in, start_call
from tests.api.test_map_page import TILE_URL, _absolute_urls, _asset_urls, _page
from tests.api.test_supervisor_map import _unit
from tests.browser import log_in
from tests.factories import delete_incidents
from tests.grid.incidents.conftest import committed, new_key, png_base64, report_body

__all__ = ["committed"]  # a fixture, imported for this module's tests

# The page's own tags: the favicon, the style sheets, its entry module (preloaded) and the
# vendored classic script; everything else the entry imports (native ES modules).
ASSETS = ["/static/favicon.svg", "/static/vendor/leaflet/leaflet.css", "/static/session.css",
          "/static/console/console.css", "/static/console/console.js",
          "/static/vendor/leaflet/leaflet.js"]
# Modules the console shares with the other pages (one of each, written once).
SHARED = {"/static/i18n.js", "/static/session.js", "/static/bell.js", "/static/units.js",
          "/static/handoff.js", "/static/moves.js", "/static/workflow.js"}


# --- the page as HTML ------------------------------------------------------------------

def test_the_page_is_a_public_shell_with_local_assets(anonymous, demo_city):
    areas, _ = demo_city
    html = _page(anonymous, "/console")
    assert "<title>事件受理台</title>" in html
    # No data: no area's name or code; everything comes from the API after login.
    assert "4302" not in html and not [a.name for a in areas[:20] if a.name in html]
    urls = _asset_urls(html)
    assert urls == ASSETS
    for url in urls:
        assert anonymous.get(url).status_code == 200, url
    entry, _ = start_call(html)
    assert entry == "/static/console/console.js"
    assert set(module_graph(anonymous, [entry])) >= SHARED
    assert _absolute_urls(html) == set()
    assert '"tileUrl": null' in html
    # Links to the other pages, a language switch, and the static labels marked.
    for link in ('href="/map"', 'href="/kpis"', "data-i18n-switch", 'data-i18n="queue.mine"'):
        assert link in html, link
    assert anonymous.get("/api/v1/incidents").status_code == 401


def test_a_tile_url_in_settings_reaches_the_script(app, anonymous, settings):
    app.state.settings = settings.model_copy(
        update={"tile_url": TILE_URL, "tile_attribution": "<b>© Example</b>"})
    html = _page(anonymous, "/console")
    _, options = start_call(html)
    # The photo limits: the move forms' pickers shrink photos below them (处理反馈).
    assert options == {"apiBase": "/api/v1", "tileUrl": TILE_URL,
                       "tileAttribution": "<b>© Example</b>", "caseType": "incident",
                       "photoMaxBytes": settings.photo_max_bytes,
                       "photoMaxCount": settings.photo_max_count}
    assert "<b>" not in html  # escaped inside the script: it cannot close the tag
    assert _absolute_urls(html) == {TILE_URL}


# --- in the browser --------------------------------------------------------------------

@pytest.fixture(scope="module")
def reported(live_server, engine, committed) -> Iterator:
    """Reports as the grid worker of a grid in the village staff's village, through the
    live server (committed); every incident made is deleted when the module ends."""
    people, place, category = committed
    made: list[int] = []

    def report(**extra) -> dict:
        body = report_body(place, category, **extra)
        response = httpx.post(f"{live_server.url}/api/v1/incidents", json=body,
                              headers={**place.worker.headers, "Idempotency-Key": new_key()})
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return response.json()

    yield report
    with Session(engine) as session:
        delete_incidents(session, made)
        session.commit()


def _row(engine, incident_id: int):
    with Session(engine) as session:
        return session.execute(text(
            "SELECT state, version, handler_unit_id, handler_user_id, owner_code, "
            "owner_unit_id FROM incident WHERE id = :id"), {"id": incident_id}).one()


def _events(engine, incident_id: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT action, actor FROM timeline_event WHERE subject_type = 'incident' "
            "AND subject_id = :id ORDER BY at, id"), {"id": incident_id})]


def _first_member(engine, unit_id: int):
    with Session(engine) as session:
        return session.execute(text(
            "SELECT u.id, u.full_name FROM membership m JOIN app_user u ON u.id = m.user_id "
            "WHERE m.unit_id = :u AND m.is_active ORDER BY u.id LIMIT 1"), {"u": unit_id}).one()


def _covering(engine, grid: str) -> set[str]:
    """The ids of the active units whose jurisdiction contains the grid (an area of the
    jurisdiction is the grid or above it)."""
    with Session(engine) as session:
        return {str(i) for i in session.scalars(text(
            "SELECT DISTINCT u.id FROM unit u JOIN unit_area ua ON ua.unit_id = u.id "
            "WHERE u.is_active AND ua.area_code = ANY(:chain)"),
            {"chain": chain_codes(grid, top="province")})}


def _queue_count(engine, village: str, state: str) -> int:
    with Session(engine) as session:
        return session.scalar(text(
            "SELECT count(*) FROM incident WHERE owner_code = :v AND owner_platform = 'grid' "
            "AND state = :s"), {"v": village, "s": state})


def _act_in_page(page, action: str, **fields) -> None:
    """A move from its button and form: text typed, a choice picked (once the list that
    fills a <select> has arrived: select_option waits for the option)."""
    page.locator(f".console-action-buttons button[data-action='{action}']").click()
    form = page.locator(f".console-action-form form[data-action='{action}']")
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("(node) => node.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()


def _open_as(page, live_server, settings, username: str, incident_id: int, shown: str):
    """The console opened at an incident, logged in as `username`, once it shows the incident
    at `shown` ("version:state")."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/console?incident={incident_id}")
    log_in(page, username, settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-incident", f"{incident_id}:{shown}")


DEADLINE_RANK = {"red": 0, "yellow": 1, "green": 2}
BLOB_URL = re.compile(r"^blob:http://127\.0\.0\.1:\d+/")


@pytest.mark.browser
def test_village_staff_file_and_dispatch_from_the_console(live_server, tab, settings, engine,
                                                          committed, reported, artefacts: Path):
    from playwright.sync_api import expect

    people, place, category = committed
    village = people["village_staff"].principal.scope_code
    incident = reported(photos=[{"content_type": "image/png", "data": png_base64()}])
    page = tab.page

    open_and_log_in(tab, f"{live_server.url}/console", "demo_village_staff",
                    settings.demo_password)
    expect(page.locator(".gridgov-login")).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-queue-loaded", "1")
    expect(page.locator(".console-tabs [data-queue=mine]")).to_have_attribute(
        "aria-selected", "true")
    # The counts per state are the unit's queue in the database; overdue work comes first.
    expect(page.locator(".console-count[data-state=reported] strong")).to_have_text(
        str(_queue_count(engine, village, "reported")))
    ranks = [DEADLINE_RANK[c.split("console-")[-1]] for c in page.locator(
        ".console-list tbody .console-deadline").evaluate_all("(ns) => ns.map((n) => n.className)")]
    assert ranks and ranks == sorted(ranks)
    # The new report among the green ones, newest first: the first when filtered so.
    page.locator(".console-filters select[name=major]").select_option(category[:3])
    page.locator(".console-filters select[name=minor]").select_option(category)
    page.locator(".console-filters select[name=deadline]").select_option("green")
    first = page.locator(".console-list tbody tr").first
    expect(first).to_have_attribute("data-id", str(incident["id"]))
    page.screenshot(path=str(artefacts / "console-queue.png"), full_page=True)

    first.click()
    body = page.locator("body")
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:1:reported")
    detail = page.locator(".console-incident")
    expect(detail.locator(".console-incident-head h2")).to_contain_text(
        incident["category"]["name"])
    expect(detail.locator("dd[data-field=chain]")).to_contain_text(incident["chain"][-1]["name"])
    expect(detail.locator(".console-timeline li[data-action=report]")).to_have_count(1)
    expect(detail.locator(".console-map path.leaflet-interactive").first).to_be_attached()
    # The photo, fetched with the token, shown through an object URL; larger on a click.
    thumb = detail.locator(".console-thumb img")
    expect(thumb).to_have_attribute("src", BLOB_URL)
    assert thumb.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 64
    detail.locator(".console-thumb").click()
    expect(page.locator(".console-lightbox")).to_be_visible()
    page.locator(".console-lightbox button").click()
    expect(page.locator(".console-lightbox")).to_be_hidden()
    # What the village centre may do with a fresh report: file (立案), void, merge, hand off.
    buttons = detail.locator(".console-action-buttons button")
    assert set(buttons.evaluate_all("(bs) => bs.map((b) => b.dataset.action)")) >= {
        "file", "void", "escalate", "refer"}
    page.screenshot(path=str(artefacts / "console-reported.png"), full_page=True)

    _act_in_page(page, "file")
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:2:filed")
    expect(detail.locator(".console-result")).to_contain_text("已立案")
    # The step clock: its limit in the law's words, its colour, its basis (the 小类).
    clock = detail.locator(".console-clocks tr[data-clock=step]").last
    expect(clock).to_contain_text("环节时限")
    expect(clock).to_contain_text(category)

    # Dispatch: the units offered are exactly those whose territory contains the grid,
    # grouped by kind; the filter narrows them to the township's 综合行政执法队, which is
    # picked, with one of its members as the handler.
    team_id, team_name = _unit(engine, "enforcement_team", place.grid_code[:9])
    member_id, member_name = _first_member(engine, team_id)
    detail.locator(".console-action-buttons button[data-action='dispatch']").click()
    form = detail.locator(".console-action-form form[data-action='dispatch']")
    picker = form.locator(".gridgov-unit-picker")
    expect(picker).to_have_attribute("data-units", re.compile(r"^[1-9]\d*$"))
    units = form.locator("select[name=handler_unit_id]")
    offered = set(units.locator("option").evaluate_all("(os) => os.map((o) => o.value)"))
    assert offered - {""} == _covering(engine, place.grid_code)
    assert units.locator("optgroup").count() >= 5  # centres, teams, 所, 大队, departments …
    form.locator(".gridgov-unit-filter").fill("综合行政执法队")
    expect(units).to_have_value(str(team_id))  # the one match is chosen
    form.locator("select[name=handler_user_id]").select_option(str(member_id))
    form.locator("[name=reason]").fill("请今日清运")
    page.screenshot(path=str(artefacts / "console-dispatch-form.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:3:dispatched")
    expect(detail.locator(".console-result")).to_contain_text("派遣")
    handler = detail.locator("dd[data-field=handler]")
    expect(handler).to_contain_text(team_name)
    expect(handler).to_contain_text(member_name)
    expect(detail.locator("dd[data-field=left]")).to_contain_text("还剩")
    page.screenshot(path=str(artefacts / "console-dispatched.png"), full_page=True)

    row = _row(engine, incident["id"])
    assert (row.state, row.version, row.handler_unit_id, row.handler_user_id) == (
        "dispatched", 3, team_id, member_id)
    assert _events(engine, incident["id"]) == [
        ("report", place.worker.principal.username), ("file", "demo_village_staff"),
        ("dispatch", "demo_village_staff")]
    expect(detail.locator(".console-timeline li")).to_have_count(3)

    # English: the static labels, the queue and the incident drawn again.
    page.locator(".console-lang").click()
    expect(page.locator(".console-header h1")).to_have_text("Incident console")
    expect(page.locator(".console-tabs [data-queue=mine]")).to_have_text("My unit's queue")
    expect(detail.locator(".console-state")).to_have_text("Dispatched")
    expect(detail.locator(".console-clocks tr[data-clock=step]").first).to_contain_text(
        "Step limit")
    expect(detail.locator("dd[data-field=handler]")).to_contain_text(team_name)
    expect(page.locator(".console-list thead")).to_contain_text("Category")
    expect(page.locator(".console-lang")).to_have_text("中文")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(artefacts / "console-english.png"), full_page=True)
    page.locator(".console-lang").click()
    expect(detail.locator(".console-state")).to_have_text("已派遣")


@pytest.mark.browser
def test_a_stale_version_shows_the_409_and_the_fresh_state(live_server, tab, settings, engine,
                                                           committed, reported,
                                                           artefacts: Path):
    from playwright.sync_api import expect

    people, _, _ = committed
    incident = reported()
    page = tab.page
    _open_as(page, live_server, settings, "demo_village_staff", incident["id"], "1:reported")
    body = page.locator("body")

    # Meanwhile the township centre files it.
    township = people["township_staff"]
    done = httpx.post(f"{live_server.url}/api/v1/incidents/{incident['id']}/actions/file",
                      json={"version": 1}, headers=township.headers)
    assert done.status_code == 200, done.text

    _act_in_page(page, "file")
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:2:filed")
    result = page.locator(".console-incident .console-result")
    expect(result).to_have_class("console-result console-error")
    expect(result).to_contain_text("事件已被他人改动，现为「已立案」（版本 2）")
    expect(result).not_to_contain_text("Conflict")  # in words, not the server's English
    row = page.locator(f".console-list tbody tr[data-id='{incident['id']}'] td:nth-child(4)")
    expect(row).to_have_text("已立案")  # the queue read again too
    actions = page.locator(".console-action-buttons button")
    expect(actions.filter(has_text="派遣")).to_have_count(1)
    expect(page.locator(".console-action-buttons button[data-action=file]")).to_have_count(0)
    page.screenshot(path=str(artefacts / "console-409.png"), full_page=True)
    row = _row(engine, incident["id"])
    assert (row.state, row.version) == ("filed", 2)  # the township's move, and nothing more
    assert [a for a, _ in _events(engine, incident["id"])] == ["report", "file"]

    # An administrator reads the same incident and may do nothing with it.
    page.locator(".console-account button[data-i18n='account.logout']").click()  # log out
    expect(page.locator(".gridgov-login form")).to_be_visible()
    _open_as(page, live_server, settings, "demo_admin", incident["id"], "2:filed")
    expect(page.locator(".console-action-buttons")).to_have_text("当前没有您可办理的操作")


@pytest.mark.browser
def test_an_escalation_is_signed_by_the_township(live_server, tab, settings, engine,
                                                 committed, reported, artefacts: Path):
    from playwright.sync_api import expect

    people, _, _ = committed
    township = people["township_staff"].principal.scope_code
    village = people["village_staff"].principal.scope_code
    centre_id, centre_name = _unit(engine, "centre", township)
    _, village_centre = _unit(engine, "centre", village)
    incident = reported()
    page = tab.page
    body = page.locator("body")
    _open_as(page, live_server, settings, "demo_village_staff", incident["id"], "1:reported")
    page.locator(".console-action-buttons button[data-action='escalate']").click()
    # Nothing to choose: the centre one level up, named.
    expect(page.locator(".gridgov-handoff-target")).to_contain_text(centre_name)
    _act_in_page(page, "escalate", reason="涉及多个村，需乡镇协调")
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:2:reported")
    expect(page.locator(".console-result")).to_contain_text(centre_name)
    expect(page.locator(".console-handoff-note")).to_have_text(f"流转待 {centre_name} 签收")
    # The village centre holds no desk there: nothing to sign.
    expect(page.locator(".console-action-buttons button[data-action=sign]")).to_have_count(0)
    row = _row(engine, incident["id"])
    assert (row.owner_code, row.owner_unit_id) == (township, centre_id)

    page.locator(".console-account button[data-i18n='account.logout']").click()  # log out
    expect(page.locator(".gridgov-login form")).to_be_visible()
    _open_as(page, live_server, settings, "demo_township_staff", incident["id"], "2:reported")
    expect(page.locator(".console-handoff-note")).to_have_text("流转待本单位签收")
    # Now in the township's own queue.
    expect(page.locator(f".console-list tbody tr[data-id='{incident['id']}']")).to_have_count(1)
    _act_in_page(page, "sign")
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:3:reported")
    expect(page.locator(".console-handoff-note")).to_have_count(0)
    signed = page.locator(".console-handoffs tr[data-status=signed]")
    expect(signed).to_have_count(1)
    expect(signed).to_contain_text(f"{village_centre} → {centre_name}")
    page.screenshot(path=str(artefacts / "console-signed.png"), full_page=True)
    assert [a for a, _ in _events(engine, incident["id"])] == [
        "report", "handoff.escalate", "handoff.sign"]


@pytest.mark.browser
def test_a_referral_by_platform_and_department_goes_to_the_most_local_unit(
        live_server, tab, settings, engine, committed, reported, artefacts: Path):
    from playwright.sync_api import expect

    _, place, _ = committed
    team_id, team_name = _unit(engine, "enforcement_team", place.grid_code[:9])
    incident = reported()
    page = tab.page
    body = page.locator("body")
    _open_as(page, live_server, settings, "demo_village_staff", incident["id"], "1:reported")
    page.locator(".console-action-buttons button[data-action='refer']").click()
    form = page.locator(".console-action-form form[data-action='refer']")
    department = form.locator("select[name=to_department]")
    department.select_option("chengguan")  # once the departments have arrived

    # 便民服务 has no 城管 unit: refused, said in words inside the form, which stays.
    form.locator("select[name=to_platform]").select_option("convenience")
    form.locator("button[type=submit]").click()
    error = form.locator(".gridgov-form-error")
    expect(error).to_have_text("所选平台/部门没有覆盖事件所在地的单位")  # by its code
    assert _row(engine, incident["id"]).version == 1  # nothing written
    page.screenshot(path=str(artefacts / "console-refer-refused.png"), full_page=True)

    # 综合执法 · 城管: the most local unit covering the incident, the township's team.
    form.locator("select[name=to_platform]").select_option("enforcement")
    form.locator("[name=reason]").fill("占道经营")
    form.locator("button[type=submit]").click()
    expect(body).to_have_attribute("data-incident", f"{incident['id']}:2:reported")
    expect(page.locator(".console-result")).to_contain_text(team_name)
    expect(page.locator(".console-handoff-note")).to_have_text(f"流转待 {team_name} 签收")
    row = _row(engine, incident["id"])
    assert (row.owner_unit_id, row.version) == (team_id, 2)
    with Session(engine) as session:
        handoff = session.execute(text(
            "SELECT kind, to_unit_id, to_platform FROM handoff WHERE subject_type = 'incident' "
            "AND subject_id = :id"), {"id": incident["id"]}).all()
    assert [tuple(h) for h in handoff] == [("refer", team_id, "enforcement")]
