"""The proxy agent's field tool in Chromium on a phone-sized screen (convenience/static/
field/proxy.js): a 代办员 logs in to /field and gets 帮代办 (not the grid worker's report
form) with the trips he saved; finds the item in the catalogue, enters the resident, has
him sign his consent on the screen, photographs a material, and takes the application with
no signal: kept on the phone, filed once when the network returns (channel proxy, consent
recorded, the signature and the photo attached), and listed in his queue.

The agent, his station and the item are committed for the live server, under names of
their own, so what the test files lies apart from every other test's data.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services import catalogue, desks
from core.units.models import Membership, Unit
from tests.browser import close_tab, log_in, open_phone, sign
from tests.convenience.services.conftest import item_data
from tests.factories import make_user, png_base64

MARK = f"field-proxy-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Agent:
    username: str
    user_id: int
    unit_id: int
    item_name: str


@pytest.fixture(scope="module")
def agent(engine, demo_city) -> Agent:
    """A 村级代办员 of a station of his own in the demo city's first township, and an item
    that may be done by proxy."""
    with Session(engine) as session:
        village = session.scalar(text(
            "SELECT code FROM area WHERE level = 'village' ORDER BY code LIMIT 1"))
        demo_hash = session.scalar(text(
            "SELECT password_hash FROM app_user WHERE username = 'demo_admin'"))
        user = make_user(session, role="proxy_agent", scope_code=village, username=MARK,
                         password_hash=demo_hash, full_name="外勤测试代办员")
        unit = Unit(code=MARK, name="外勤测试便民服务站", kind="service_station",
                    platform="convenience", seat_code=village)
        session.add(unit)
        session.flush()
        session.add(Membership(user_id=user.id, unit_id=unit.id, position="proxy_agent"))
        desks.register_agent(session, user_id=user.id, unit_id=unit.id, tier="village",
                             name="外勤测试代办员")
        name = f"代办测试事项{MARK[-8:]}"
        code = f"{uuid.uuid4().int % 10**7:07d}"
        catalogue.create_item(session, item_data(code, name, levels=("county", "township")))
        session.commit()
        return Agent(MARK, user.id, unit.id, name)


@pytest.fixture
def phone(chromium) -> Iterator:
    opened = open_phone(chromium)
    yield opened
    close_tab(opened)


def _taken(engine, user_id: int) -> list:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT a.id, a.channel, a.applicant_name, a.consent_at IS NOT NULL AS consented, "
            "a.consent_note, a.intake_unit_id, a.idempotency_key IS NOT NULL AS keyed, "
            "(SELECT count(*) FROM attachment t WHERE t.subject_type = 'svc_application' "
            " AND t.subject_id = a.id) AS files "
            "FROM svc_application a WHERE a.proxy_user_id = :u"), {"u": user_id}).all()


@pytest.mark.browser
def test_a_proxy_agent_takes_an_application_with_the_residents_consent(
        live_server, phone, settings, engine, agent, artefacts, tmp_path):
    import base64

    from playwright.sync_api import expect

    page = phone.page
    page.goto(f"{live_server.url}/field")
    log_in(page, agent.username, settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator(".field-tabs button:visible")).to_have_text(["帮代办"])
    expect(page.locator("[data-tab=report]")).to_be_hidden()
    page.get_by_role("button", name="帮代办").click()
    panel = page.locator('[data-panel="convenience.proxy"]')
    expect(panel.locator(".field-proxy-trips")).to_contain_text("为群众少跑 0 趟")
    expect(panel.locator(".field-proxy-trips")).to_contain_text("村级代办员")

    form = panel.locator("form.field-proxy-form")
    form.locator("input[name=item_q]").fill(agent.item_name)
    form.locator(".field-proxy-items button").first.click()
    expect(form.locator(".field-proxy-chosen")).to_contain_text(agent.item_name)
    form.locator("input[name=applicant_name]").fill("王五")
    form.locator("input[name=applicant_phone]").fill("13800138000")
    # No consent yet: the form says so and nothing is queued.
    form.get_by_role("button", name="提交代办").click()
    expect(form.locator(".field-proxy-error")).to_have_text("帮代办须先取得申请人授权")
    form.locator("input[name=consent]").check()
    # Signed on the screen (the default): no note asked for; recorded otherwise: a note.
    expect(form.locator("textarea[name=consent_note]")).to_be_hidden()
    form.get_by_label("已以其他方式授权（书面、电话等）").check()
    expect(form.locator("textarea[name=consent_note]")).to_be_visible()
    expect(form.locator("canvas.field-signature")).to_be_hidden()
    form.get_by_label("申请人在手机上签名").check()
    sign(form.locator("canvas.field-signature"))
    photo = tmp_path / "id-card.png"
    photo.write_bytes(base64.b64decode(png_base64((30, 90, 160), size=(64, 48))))
    form.locator("input[type=file]").set_input_files(str(photo))
    expect(form.locator(".field-photo-previews img")).to_have_count(1)

    phone.context.set_offline(True)
    form.get_by_role("button", name="提交代办").click()
    waiting = panel.locator(".field-tool-pending li")
    expect(waiting).to_contain_text("离线，联网后自动提交")
    expect(waiting).to_contain_text("王五")
    assert _taken(engine, agent.user_id) == []
    phone.context.set_offline(False)
    expect(panel.locator(".field-tool-result")).to_contain_text("已受理，办件编号",
                                                                timeout=60000)
    expect(waiting).to_have_count(0)
    [taken] = _taken(engine, agent.user_id)
    assert (taken.channel, taken.applicant_name, taken.consented, taken.intake_unit_id,
            taken.keyed, taken.files) == ("proxy", "王五", True, agent.unit_id, True, 2)
    assert "签名" in taken.consent_note
    expect(panel.locator(f'.field-proxy-queue [data-application-id="{taken.id}"]')
           ).to_contain_text(agent.item_name)
    page.screenshot(path=str(artefacts / "proxy-taken.png"), full_page=True)
