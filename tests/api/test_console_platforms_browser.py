"""Each platform's console in Chromium (issue 12 §1, 13 §9, 14, 15 §7): the platform's demo
account logs in at /console/{key}, opens a queue, opens a subject, makes one move from the
buttons and form the workflow's description and the console's declaration draw, and sees
the new state; with no host but the app's (the tab fails the test on any other request or
a page error). The header links to the user's other consoles, from the API.

What each journey needs is committed beforehand (the live server reads it) and removed
after, memberships of the demo accounts first."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.users import accounts
from tests.api.console_platforms_support import (
    cleanup,
    enforcement_clue,
    enforcement_clue_two_officers,
    enforcement_dispatchable,
    market_submitted,
    work_order,
)
from tests.browser import log_in
from tests.grid.incidents.conftest import committed

__all__ = ["committed"]  # a fixture, imported for the grid console's journey


def open_console(page, live_server, settings, key: str, username: str) -> None:
    page.goto(f"{live_server.url}/console/{key}")
    log_in(page, username, settings.demo_password)
    page.wait_for_selector("body[data-queue-loaded]", state="attached")


def open_subject(page, queue: str, subject_id: int) -> None:
    from playwright.sync_api import expect

    page.locator(f".console-tabs [data-queue={queue}]").click()
    by_id = page.locator(".console-list th[data-sort=id]")
    if by_id.count():
        # Newest first: cases other tests committed for the same desk may fill page one.
        by_id.locator("button").click()
        expect(by_id).to_have_attribute("aria-sort", "ascending")
        by_id.locator("button").click()
        expect(by_id).to_have_attribute("aria-sort", "descending")
    row = page.locator(f".console-list tbody tr[data-id='{subject_id}']")
    expect(row).to_be_visible()
    row.click()
    expect(page.locator("body")).to_have_attribute(
        "data-subject", re.compile(rf"^{subject_id}:"))


def move(page, name: str, fill) -> None:
    page.locator(f".console-actions .gridgov-move[data-action={name}]").click()
    form = page.locator(f".gridgov-move-form-body[data-action={name}]")
    fill(form)
    form.locator("button[type=submit]").click()


def see_state(page, subject_id: int, version: int, state: str, label: str, *,
              in_queue: bool = True) -> None:
    """The subject's new state in the detail, the outcome's words, and (if it stays in the
    queue) its row read again."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute(
        "data-subject", f"{subject_id}:{version}:{state}")
    expect(page.locator(".console-incident-head .console-state")).to_have_text(label)
    expect(page.locator(".console-result")).to_contain_text(label)
    row = page.locator(f".console-list tbody tr[data-id='{subject_id}']")
    if in_queue:
        expect(row).to_contain_text(label)
    else:
        expect(row).to_have_count(0)


@pytest.fixture
def seeded(engine, settings, demo_city):
    """Seeds with a committed session; what it made is removed after the test."""
    made: list = []

    def members(session, result) -> list[int]:
        return list(session.scalars(text("SELECT user_id FROM membership WHERE id = ANY(:m)"),
                                    {"m": result.memberships}))

    def seed(build, **options):
        with Session(engine) as session:
            result = build(session, settings, **options)
            session.commit()
            # The memberships were written behind the API's back: the live server's
            # account cache must hear of them, as it would of an admin's change.
            accounts.forget(members(session, result))
        made.append(result)
        return result
    yield seed
    with Session(engine) as session:
        changed = [uid for result in made for uid in members(session, result)]
        for result in reversed(made):
            cleanup(session, result)
        session.commit()
    accounts.forget(changed)


@pytest.mark.browser
def test_an_officer_declines_a_clue_from_the_enforcement_console(live_server, tab, settings,
                                                                 seeded, artefacts):
    from playwright.sync_api import expect

    case = seeded(enforcement_clue, username="demo_enforcement_officer")
    page = tab.page
    open_console(page, live_server, settings, "enforcement", "demo_enforcement_officer")
    expect(page.locator(".console-title")).to_have_text("执法案件受理台")
    # The header links to the consoles the server says he may use.
    expect(page.locator(".console-others a[data-console=enforcement]")).to_have_attribute(
        "aria-current", "page")
    expect(page.locator(".console-others a[data-console=incident]")).to_have_attribute(
        "href", "/console")
    # The counts by step and by clock colour (the list's facets) set the filters.
    verify = page.locator(".console-facet[data-facet=by_step] button[data-value=verify]")
    expect(verify).to_contain_text("核查")
    verify.click()
    expect(verify).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".console-filters select[name=step]")).to_have_value("verify")
    verify.click()  # pressed again: the filter is cleared
    expect(page.locator(".console-filters select[name=step]")).to_have_value("")
    open_subject(page, "mine", case.id)
    # The detail as declared, with the step clock and its citation.
    expect(page.locator(".console-fields dd[data-field=title]")).to_have_text(
        "占道经营（控制台测试）")
    expect(page.locator(".console-clocks tr[data-clock]").first).to_be_visible()
    # The enforcement console's own sections: the team map (no point here) and evidence.
    expect(page.locator(".console-teams-section")).to_contain_text("案件没有位置")
    expect(page.locator(".console-evidence-section")).to_be_visible()

    def decline(form):
        form.locator("select[name=decline_reason]").select_option("minor_corrected")
        form.locator("textarea[name=reason]").fill("当事人已当场改正")
    move(page, "decline", decline)
    see_state(page, case.id, case.version + 1, "not_filed", "不予立案")
    page.screenshot(path=str(artefacts / "console-enforcement.png"), full_page=True)
    expect(page.locator(".console-timeline li[data-action=decline]")).to_be_visible()
    # The list as shown, exported (POST /api/v1/exports/table) and read back.
    with page.expect_download() as download:
        page.locator(".console-export[data-format=xlsx]").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("编号", "案由")
    assert (case.id, "占道经营（控制台测试）", "普通程序", "不予立案") in [r[:4] for r in rows]


@pytest.mark.browser
def test_a_reviewer_approves_an_inspection_from_the_market_console(live_server, tab, settings,
                                                                   seeded, artefacts):
    from playwright.sync_api import expect

    inspection = seeded(market_submitted, username="demo_market_inspector")
    page = tab.page
    open_console(page, live_server, settings, "market", "demo_market_inspector")
    expect(page.locator(".console-title")).to_have_text("市场监管检查受理台")
    open_subject(page, "review", inspection.id)
    expect(page.locator(".console-fields dd[data-field=entity_name]")).to_have_text(
        inspection.entity_name)
    # The market's own section (extra_module): the checklist's lines as recorded.
    expect(page.locator(".console-inspection-checks li").first).to_be_visible()
    # 录入 (the checklist) is the field app's: not offered at the desk.
    expect(page.locator(".console-actions .gridgov-move[data-action=record]")).to_have_count(0)
    move(page, "approve", lambda form: None)
    see_state(page, inspection.id, inspection.version + 1, "approved", "待公示",
              in_queue=False)  # reviewed: out of the 待审核 queue
    page.screenshot(path=str(artefacts / "console-market.png"), full_page=True)


@pytest.mark.browser
def test_an_operator_voids_a_work_order_from_the_12345_console(live_server, tab, settings,
                                                              seeded, artefacts):
    from playwright.sync_api import expect

    order = seeded(work_order, username="demo_county_dispatcher")
    page = tab.page
    open_console(page, live_server, settings, "workorders", "demo_county_dispatcher")
    expect(page.locator(".console-title")).to_have_text("12345工单受理台")
    # The list's own sort (`sort=-number`), both ways, and its own search.
    header = page.locator(".console-list th[data-key=number]")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    search = page.locator(".console-filters input[name=q]")
    search.fill(order.description[-10:])
    search.press("Enter")
    expect(page.locator(".console-list tbody tr")).to_have_count(1)
    # The platform's own export, with the same filters.
    with page.expect_download() as download:
        page.locator(".console-export[data-format=csv]").click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert order.description in exported and exported.count("\n") == 2, exported
    open_subject(page, "territory", order.id)
    expect(page.locator(".console-fields dd[data-field=description]")).to_have_text(
        order.description)
    move(page, "void", lambda form: form.locator("textarea[name=reason]").fill("重复来电"))
    see_state(page, order.id, order.version + 1, "void", "作废")
    page.screenshot(path=str(artefacts / "console-workorders.png"), full_page=True)
    # The English switch redraws the page's own words and the subject (no page error).
    page.locator(".console-lang").click()
    expect(page.locator(".console-refresh")).to_have_text("Refresh")
    expect(page.locator(".console-timeline-section h3")).to_have_text("Timeline")
    page.locator(".console-lang").click()
    expect(page.locator(".console-refresh")).to_have_text("刷新")


@pytest.mark.browser
def test_the_dispatcher_dispatches_the_nearest_team_from_the_map(live_server, tab, settings,
                                                                 seeded, engine, artefacts):
    """The case's point and the nearest qualified teams on a Leaflet map, with their
    distance and availability; 派遣 offers the team's members (those with a valid 执法证
    ticked), makes the team busy on this case and names them its officers."""
    from playwright.sync_api import expect

    case = seeded(enforcement_dispatchable, username="demo_enforcement_officer")
    team = case.rows[0][1]
    page = tab.page
    open_console(page, live_server, settings, "enforcement", "demo_county_dispatcher")
    open_subject(page, "all", case.id)
    section = page.locator(".console-teams-section")
    row = section.locator(f".console-teams tr[data-team='{team}']")
    expect(row).to_contain_text("控制台派遣测试中队")
    expect(row).to_contain_text("空闲")
    expect(row).to_contain_text(" 米")
    # The case and the teams drawn on the map (vendored Leaflet: no other host).
    expect(section.locator(".console-team-map path.leaflet-interactive")).to_have_count(
        1 + section.locator(".console-teams tr[data-team]").count())
    page.screenshot(path=str(artefacts / "console-enforcement-teams.png"), full_page=True)
    row.locator("button.console-dispatch").click()
    form = section.locator(f".console-dispatch-form[data-team='{team}']")
    expect(form).to_contain_text("执法人员不得少于 2 人")
    expect(form.locator("input[name=officer_ids]:checked")).to_have_count(2)
    expect(form.locator("input[name=officer_ids]:disabled")).to_have_count(1)  # 派遣员
    form.locator("button[type=submit]").click()
    expect(page.locator(".console-result")).to_contain_text("已派遣「控制台派遣测试中队」")
    expect(page.locator(".console-result")).to_contain_text("吴振华")
    row = page.locator(f".console-teams tr[data-team='{team}']")
    expect(row).to_have_attribute("data-status", "busy")
    expect(row).to_contain_text("已派遣本案")
    expect(row.locator("button.console-dispatch")).to_have_count(0)
    with Session(engine) as session:
        state = session.execute(text(
            "SELECT status, subject_type, subject_id FROM enforcement_team_state "
            "WHERE team_id = :t"), {"t": team}).one()
    assert tuple(state) == ("busy", "enforcement_case", case.id)
    with Session(engine) as session:
        officers = session.execute(text(
            "SELECT officer_ids, team_id FROM enforcement_case WHERE id = :id"),
            {"id": case.id}).one()
        expected = sorted(session.scalars(text(
            "SELECT id FROM app_user WHERE username IN ('demo_enforcement_officer', "
            "'demo_ecology_officer')")))
    assert (sorted(officers.officer_ids), officers.team_id) == (expected, team)


@pytest.mark.browser
def test_officers_are_picked_by_name_for_assign_officers(live_server, tab, settings, seeded,
                                                         engine):
    """指派执法人员 offers the units of the platform in the caller's scope and their members
    by name (pickers.js), and sends their user ids."""
    from playwright.sync_api import expect

    case = seeded(enforcement_clue_two_officers, username="demo_enforcement_officer")
    page = tab.page
    open_console(page, live_server, settings, "enforcement", "demo_enforcement_officer")
    open_subject(page, "mine", case.id)
    with Session(engine) as session:
        unit_id = session.scalar(text("SELECT owner_unit_id FROM enforcement_case "
                                      "WHERE id = :id"), {"id": case.id})
        officers = sorted(session.scalars(text(
            "SELECT id FROM app_user WHERE username IN ('demo_enforcement_officer', "
            "'demo_ecology_officer')")))

    def assign(form):
        form.locator("select[name=officer_ids__unit]").select_option(str(unit_id))
        people = form.locator(".console-people")
        expect(people).to_contain_text("刘志强")
        expect(people).to_contain_text("吴振华")
        for officer in officers:
            form.locator(f"input[name=officer_ids][value='{officer}']").check()
    move(page, "assign_officers", assign)
    see_state(page, case.id, case.version + 1, "clue", "待核查")
    with Session(engine) as session:
        assert sorted(session.scalar(text(
            "SELECT officer_ids FROM enforcement_case WHERE id = :id"), {"id": case.id})) \
            == officers


@pytest.mark.browser
def test_a_photo_goes_with_handle_from_the_grid_console(live_server, tab, settings, engine,
                                                        committed, tmp_path, artefacts):
    """处理反馈 takes 处理后 photos (the workflow describes the field, kind photos): picked in
    the form, shrunk in the page and sent as base64 with the move; stored as `after`."""
    import base64

    import httpx
    from playwright.sync_api import expect

    from tests.factories import delete_incidents
    from tests.grid.incidents.conftest import new_key, png_base64, report_body

    people, place, category = committed
    village = people["village_staff"]
    api = f"{live_server.url}/api/v1/incidents"
    made = httpx.post(api, json=report_body(place, category),
                      headers={**place.worker.headers, "Idempotency-Key": new_key()})
    assert made.status_code == 201, made.text
    incident = made.json()
    try:
        with Session(engine) as session:
            centre = session.scalar(text("SELECT id FROM unit WHERE kind = 'centre' AND "
                                         "seat_code = :s AND is_active"),
                                    {"s": village.principal.scope_code})
        version = incident["version"]
        for action, fields in (("file", {}), ("dispatch", {"handler_unit_id": centre}),
                               ("accept", {})):
            moved = httpx.post(f"{api}/{incident['id']}/actions/{action}",
                               json={"version": version, **fields}, headers=village.headers)
            assert moved.status_code == 200, moved.text
            version = moved.json()["version"]
        photo = tmp_path / "after.png"
        photo.write_bytes(base64.b64decode(png_base64((30, 160, 60), (320, 240))))
        page = tab.page
        page.goto(f"{live_server.url}/console?incident={incident['id']}")
        log_in(page, "demo_village_staff", settings.demo_password)
        body = page.locator("body")
        expect(body).to_have_attribute("data-incident", f"{incident['id']}:{version}:handling")
        page.locator(".console-action-buttons button[data-action='handle']").click()
        form = page.locator(".console-action-form form[data-action='handle']")
        expect(form.locator(".gridgov-photos-field")).to_contain_text("处理后照片")
        form.locator(".gridgov-photos input[type=file]").set_input_files(str(photo))
        expect(form.locator(".field-photo-previews img")).to_have_count(1)
        form.locator("textarea[name=reason]").fill("已清运垃圾")
        page.screenshot(path=str(artefacts / "console-handle-photo.png"), full_page=True)
        form.locator("button[type=submit]").click()
        expect(body).to_have_attribute("data-incident",
                                       f"{incident['id']}:{version + 1}:handled")
        expect(page.locator(".console-thumb")).to_have_count(1 + len(
            incident.get("photos") or []))
        with Session(engine) as session:
            stored = session.execute(text(
                "SELECT content_type FROM attachment WHERE subject_type = 'incident' "
                "AND subject_id = :id AND kind = 'after'"), {"id": incident["id"]}).scalars()
            assert list(stored) == ["image/jpeg"]  # shrunk in the page, as JPEG
    finally:
        with Session(engine) as session:
            delete_incidents(session, [incident["id"]])
            session.commit()
