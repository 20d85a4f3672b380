"""The administration page (/admin, issue 12 §8): a public shell with the server's
vocabulary as options; in Chromium, an admin creates a user and a unit and makes the user
a member with an 执法证 (the refusal without one shown in Chinese, from its code), and a
non-admin neither sees the link nor gets the panels. The users list is searchable."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.units.enums import CREDENTIAL_POSITIONS, KIND_LABELS
from tests.api.pages_support import module_graph, start_call
from tests.browser import log_in
from tests.conftest import bearer

PASSWORD = "Qv7#tumbleRiver"


def test_the_admin_page_is_a_shell_with_the_servers_vocabulary(anonymous):
    html = anonymous.get("/admin").text
    assert "<title>系统管理</title>" in html
    entry, options = start_call(html)
    assert entry == "/static/admin/admin.js"
    assert dict(options["kinds"]) == {kind.value: label for kind, label in KIND_LABELS.items()}
    assert set(options["credentialPositions"]) == {p.value for p in CREDENTIAL_POSITIONS}
    assert "admin" in options["roles"] and ["grid", "综治工作"] in options["platforms"]
    modules = set(module_graph(anonymous, [entry]))
    assert {"/static/admin/users.js", "/static/admin/units.js", "/static/admin/members.js",
            "/static/admin/categories.js", "/static/session.js"} <= modules


def test_the_users_list_searches_user_and_full_names(client, settings):
    headers = bearer(settings)
    found = client.get("/api/v1/users", params={"q": "village_sta"}, headers=headers).json()
    assert found and all("village_sta" in user["username"] for user in found)
    # A LIKE wildcard is a character like any other.
    assert client.get("/api/v1/users", params={"q": "%"}, headers=headers).json() == []


@pytest.fixture
def made(engine) -> Iterator[dict]:
    """The names this test creates through the page, removed afterwards."""
    tag = uuid.uuid4().hex[:6]
    names = {"username": f"officer_{tag}", "unit": f"test-squad-{tag}",
             "credential": f"湘执-{tag}"}
    yield names
    with Session(engine) as session:
        session.execute(text("DELETE FROM membership WHERE unit_id IN "
                             "(SELECT id FROM unit WHERE code = :u)"), {"u": names["unit"]})
        session.execute(text("DELETE FROM unit_area WHERE unit_id IN "
                             "(SELECT id FROM unit WHERE code = :u)"), {"u": names["unit"]})
        session.execute(text("DELETE FROM unit WHERE code = :u"), {"u": names["unit"]})
        session.execute(text("DELETE FROM app_user WHERE username = :n"),
                        {"n": names["username"]})
        session.commit()


def _fill(form, values: dict) -> None:
    for name, value in values.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("(node) => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


@pytest.mark.browser
def test_an_admin_creates_a_unit_and_a_member_with_a_credential(live_server, tab, settings,
                                                                engine, made, artefacts):
    from playwright.sync_api import expect

    page = tab.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/admin")
    log_in(page, "demo_admin", settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-admin-ready", "true")
    users = page.locator(".admin-panel[data-panel=users]")

    # A user: created, then found by the search.
    users.locator(".admin-new").click()
    _fill(users.locator("form[data-form=user-new]"), {
        "username": made["username"], "password": PASSWORD, "full_name": "测试执法员",
        "role": "enforcement_officer", "scope_code": "430202"})
    users.locator("form[data-form=user-new] button[type=submit]").click()
    expect(page.locator(".admin-status")).to_have_text("已保存")
    users.locator(".admin-toolbar input[name=q]").fill(made["username"])
    users.locator(".admin-toolbar button[type=submit]").click()
    expect(users.locator("tbody tr")).to_have_count(1)
    expect(users.locator("tbody tr")).to_contain_text("执法人员")

    # A unit of the district.
    page.locator(".admin-tabs [data-tab=units]").click()
    units = page.locator(".admin-panel[data-panel=units]")
    units.locator(".admin-new").click()
    form = units.locator("form[data-form=unit-new]")
    _fill(form, {"code": made["unit"], "name": "测试执法中队", "kind": "squadron",
                 "platform": "grid", "seat_code": "430202", "area_codes": "430202"})
    form.locator("button[type=submit]").click()
    expect(page.locator(".admin-status")).to_have_text("已保存")
    units.locator(".admin-toolbar input[name=q]").fill(made["unit"])
    units.locator(".admin-toolbar button[type=submit]").click()
    row = units.locator(f".admin-list tbody tr[data-code='{made['unit']}']")
    expect(row).to_contain_text("执法中队")

    # Its member: a 承办人 without an 执法证 is refused, in Chinese; with one, added.
    row.locator(".admin-members-open").click()
    members = units.locator(".admin-members")
    expect(members.locator("h2")).to_contain_text("测试执法中队")
    members.locator(".admin-new").click()
    form = members.locator("form[data-form=member-new]")
    form.locator("[name=find_user]").fill(made["username"])
    expect(form.locator("[name=user_id] option")).to_have_count(2)
    _fill(form, {"position": "handler"})
    expect(form.locator(".admin-credential-note")).to_be_visible()
    form.locator("button[type=submit]").click()
    expect(form.locator(".admin-form-error")).to_contain_text("此职务须持执法证")
    _fill(form, {"credential_number": made["credential"], "credential_issuer": "株洲市人民政府",
                 "credential_expires_on": "2030-12-31"})
    form.locator("button[type=submit]").click()
    member = members.locator(f"tbody tr[data-username='{made['username']}']")
    expect(member).to_contain_text(made["credential"])
    expect(member).to_contain_text("有效")
    # The unit's row counts its member now.
    expect(row.locator("td").nth(7)).to_have_text("1")
    page.screenshot(path=str(artefacts / "admin-units-members.png"), full_page=True)

    with Session(engine) as session:
        stored = session.execute(text(
            "SELECT m.position, m.credential_number, m.credential_expires_on::text, u.kind "
            "FROM membership m JOIN unit u ON u.id = m.unit_id JOIN app_user a "
            "ON a.id = m.user_id WHERE u.code = :u AND a.username = :n"),
            {"u": made["unit"], "n": made["username"]}).one()
    assert tuple(stored) == ("handler", made["credential"], "2030-12-31", "squadron")


@pytest.mark.browser
def test_a_non_admin_sees_neither_the_link_nor_the_panels(live_server, tab, settings):
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/kpis")
    log_in(page, "demo_township_staff", settings.demo_password)
    page.wait_for_selector("body[data-loaded]", state="attached")
    expect(page.locator(".gridgov-admin-link")).to_have_count(0)
    page.goto(f"{live_server.url}/admin")
    expect(page.locator("body")).to_have_attribute("data-admin-ready", "forbidden")
    expect(page.locator(".admin-status")).to_have_text("系统管理仅对系统管理员开放")
    expect(page.locator(".admin-tabs")).to_be_hidden()
    assert tab.api_calls("/api/v1/users") == [] and tab.api_calls("/api/v1/units") == []


@pytest.mark.browser
def test_an_admin_has_the_link_in_the_header(live_server, tab, settings):
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/kpis")
    log_in(page, "demo_admin", settings.demo_password)
    link = page.locator(".kpi-account .gridgov-admin-link")
    expect(link).to_have_text("系统管理")
    link.click()
    expect(page.locator("body")).to_have_attribute("data-admin-ready", "true")
    expect(page.locator(".admin-panel[data-panel=users] tbody tr").first).to_be_visible()
