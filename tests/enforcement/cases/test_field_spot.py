"""The enforcement officer's field tools in Chromium on a phone-sized screen: an officer
logs in to /field and gets his tools (执法办案, 当场处罚, 我的队伍), not the grid worker's
report form; shows his 执法证; files a 当场处罚 decision with the party's signature drawn
on the screen, offline, filed once when the network returns (with the signature as
evidence and a numbered decision); and a
fine above the simple procedure's ceiling is refused with the limit named in Chinese; a
photo of evidence added to the case offline is recorded once when the network returns.

The officer and his brigade are committed for the live server, in a unit of their own, so
what the test files lies apart from every other test's data.
"""

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.units.models import Membership, Unit, UnitArea
from tests.browser import close_tab, log_in, open_phone_at, sign
from tests.factories import make_user, png_base64

MARK = f"field-spot-{uuid.uuid4().hex[:8]}"
CITIZEN_ID = "11010519491231002X"  # GB 11643's own example


@dataclass(frozen=True)
class Officer:
    username: str
    user_id: int
    unit_id: int
    credential: str
    lon: float
    lat: float


@pytest.fixture(scope="module")
def officer(engine, demo_city) -> Officer:
    """An enforcement officer (a 承办人 with a valid 执法证) of a brigade of his own in the
    demo city's first county, who can log in with the demo password."""
    with Session(engine) as session:
        county, lon, lat = session.execute(text(
            "SELECT c.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
            "FROM area c JOIN area g ON g.level = 'grid' AND g.code LIKE c.code || '%' "
            "WHERE c.level = 'county' ORDER BY c.code DESC, g.code LIMIT 1")).one()
        demo_hash = session.scalar(text(
            "SELECT password_hash FROM app_user WHERE username = 'demo_admin'"))
        user = make_user(session, role="enforcement_officer", scope_code=county,
                         username=MARK, password_hash=demo_hash, full_name="外勤测试执法员")
        unit = Unit(code=MARK, name="外勤测试城管执法大队", kind="brigade",
                    platform="enforcement", department_code="chengguan", seat_code=county)
        session.add(unit)
        session.flush()
        session.add(UnitArea(unit_id=unit.id, area_code=county))
        credential = f"ZF{user.id:08d}"
        session.add(Membership(user_id=user.id, unit_id=unit.id, position="handler",
                               credential_number=credential,
                               credential_issuer="株洲市人民政府",
                               credential_expires_on=date.today() + timedelta(days=400)))
        session.commit()
        return Officer(MARK, user.id, unit.id, credential, lon, lat)


@pytest.fixture
def phone(chromium, officer) -> Iterator:
    opened = open_phone_at(chromium, lon=officer.lon, lat=officer.lat, accuracy=10)
    yield opened
    close_tab(opened)


def _fill(form, *, name: str, title: str, fine: str) -> None:
    form.locator("input[name=party_name]").fill(name)
    form.locator("input[name=party_id]").fill(CITIZEN_ID)
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=facts]").fill("在人行道上摆摊经营，影响通行")
    form.locator("input[name=fine]").check()
    form.locator("input[name=amount]").fill(fine)


def _cases(engine, title: str) -> list:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT c.id, c.procedure, c.state, c.fine_fen, c.owner_unit_id, "
            "(SELECT count(*) FROM enforcement_evidence e WHERE e.case_id = c.id "
            " AND e.kind = 'documentary' AND e.attachment_id IS NOT NULL) AS signatures "
            "FROM enforcement_case c WHERE c.title = :t"), {"t": title}).all()


@pytest.mark.browser
def test_an_officer_files_a_decision_on_the_spot_and_one_over_the_limit_is_refused(
        live_server, phone, settings, engine, officer, artefacts):
    from playwright.sync_api import expect

    page = phone.page
    page.goto(f"{live_server.url}/field")
    log_in(page, officer.username, settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    # His tools, not the grid worker's.
    expect(page.locator(".field-header h1")).to_have_text("执法人员")
    tabs = page.locator(".field-tabs button:visible")
    expect(tabs).to_have_text(["执法办案", "当场处罚", "我的队伍"])
    expect(page.locator(".field-report")).to_be_hidden()
    expect(page.locator("[data-tab=report]")).to_be_hidden()

    # 当场处罚: his 执法证 first.
    page.get_by_role("button", name="当场处罚").click()
    panel = page.locator('[data-panel="enforcement.spot"]')
    expect(panel.locator(".field-credential").first).to_contain_text(officer.credential)
    expect(panel.locator(".field-credential").first).to_contain_text("株洲市人民政府")
    expect(panel.locator(".field-hint")).to_contain_text("公民 200 元")
    expect(panel.locator(".field-spot-place")).to_contain_text("GPS")

    # At the ceiling (200 元 on a citizen), with no signal: decided, signed on the screen,
    # kept on the phone; filed once when the network returns.
    form = panel.locator("form.field-spot")
    title = f"{MARK} 占道经营"
    _fill(form, name="张三", title=title, fine="200")
    sign(form.locator("canvas.field-signature"))
    phone.context.set_offline(True)
    form.get_by_role("button", name="作出当场处罚决定").click()
    waiting = panel.locator(".field-tool-pending li")
    expect(waiting).to_contain_text("离线，联网后自动提交")
    assert _cases(engine, title) == []
    phone.context.set_offline(False)
    expect(panel.locator(".field-tool-result")).to_contain_text("已作出当场处罚决定", timeout=60000)
    expect(waiting).to_have_count(0)
    [case] = _cases(engine, title)
    assert (case.procedure, case.state, case.fine_fen, case.owner_unit_id) == (
        "simple", "served", 20000, officer.unit_id)
    assert case.signatures == 1
    page.screenshot(path=str(artefacts / "spot-filed.png"), full_page=True)

    # One fen over, the party refusing to sign: refused, the limit named in Chinese.
    over = f"{MARK} 超限"
    _fill(form, name="李四", title=over, fine="200.01")
    form.locator("input[name=refused]").check()
    form.locator("input[name=refusal_note]").fill("当事人拒绝签名，已现场录像")
    form.get_by_role("button", name="作出当场处罚决定").click()
    refused = panel.locator(".field-tool-pending li[data-status=failed]")
    expect(refused).to_have_count(1, timeout=60000)
    expect(refused).to_contain_text("不得超过 200 元")
    expect(refused).to_contain_text("行政处罚法第五十一条")
    expect(refused).to_contain_text("200.01 元须适用普通程序")
    assert _cases(engine, over) == []
    page.screenshot(path=str(artefacts / "spot-refused.png"), full_page=True)

    # His cases list the decision.
    page.get_by_role("button", name="执法办案").click()
    expect(page.locator(f'[data-panel="enforcement.cases"] [data-case-id="{case.id}"]')
           ).to_contain_text(title)

    # A photo of evidence taken with no signal: kept on the phone, recorded once (with its
    # Idempotency-Key) when the network returns.
    cases = page.locator('[data-panel="enforcement.cases"]')
    cases.locator(f'[data-case-id="{case.id}"] button').click()
    photo = artefacts / "evidence.png"
    photo.write_bytes(base64.b64decode(png_base64((120, 60, 30), size=(64, 48))))
    cases.locator(".field-case-detail input[type=file]").set_input_files(str(photo))
    expect(cases.locator(".field-photo-previews img")).to_have_count(1)
    phone.context.set_offline(True)
    cases.get_by_role("button", name="上传证据").click()
    expect(cases.locator(".field-tool-pending li")).to_contain_text("离线，联网后自动上传")
    phone.context.set_offline(False)
    expect(cases.locator(".field-evidence-message")).to_contain_text(
        "已上传 1 份证据", timeout=60000)
    expect(cases.locator(".field-tool-pending li")).to_have_count(0)
    with engine.connect() as connection:
        keyed = connection.execute(text(
            "SELECT count(*) FROM enforcement_evidence WHERE case_id = :c "
            "AND kind = 'audiovisual' AND idempotency_key IS NOT NULL"),
            {"c": case.id}).scalar_one()
    assert keyed == 1

    # His team: the brigade is no team (no duty roster of its own); his phone's position
    # is kept as his newest fix (it places a team he is on duty with).
    page.get_by_role("button", name="我的队伍").click()
    team = page.locator('[data-panel="enforcement.team"]')
    expect(team).to_have_attribute("data-loaded", "true")
    expect(team).to_contain_text("不是执法中队")
    with engine.connect() as connection:
        source = connection.execute(text(
            "SELECT source_type FROM staff_position WHERE user_id = :u"),
            {"u": officer.user_id}).scalar_one()
    assert source == "field"
