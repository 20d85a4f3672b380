"""现场笔录 signed on the phone, in Chromium on a phone-sized screen (records.py, the field
tool's enforcement/static/field/record.js hooked into the cases tool): an officer opens a
case of his unit, writes the record, the party refuses to sign — a witness signs — and the
officer signs, with no signal; the record waits on the phone and is recorded once when the
network returns: one piece of evidence and a numbered 现场笔录 whose PDF holds the text.

The officer, his brigade and the case are committed for the live server, in a unit of
their own, apart from every other test's data.
"""

import io
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.units.models import Membership, Unit, UnitArea
from tests.browser import close_tab, log_in, open_phone_at, sign
from tests.factories import make_user

MARK = f"field-record-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def seated(engine, demo_city) -> Iterator[dict]:
    """An officer (a 承办人 with a valid 执法证) of a brigade of his own with a 机关代字, and
    one open case of that brigade."""
    from core.documents import set_numbering_rule

    with Session(engine) as session:
        county, lon, lat = session.execute(text(
            "SELECT c.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
            "FROM area c JOIN area g ON g.level = 'grid' AND g.code LIKE c.code || '%' "
            "WHERE c.level = 'county' ORDER BY c.code, g.code LIMIT 1")).one()
        demo_hash = session.scalar(text(
            "SELECT password_hash FROM app_user WHERE username = 'demo_admin'"))
        user = make_user(session, role="enforcement_officer", scope_code=county,
                         username=MARK, password_hash=demo_hash, full_name="笔录测试执法员")
        unit = Unit(code=MARK, name="笔录测试执法大队", kind="brigade", platform="enforcement",
                    department_code="chengguan", seat_code=county)
        session.add(unit)
        session.flush()
        session.add(UnitArea(unit_id=unit.id, area_code=county))
        session.add(Membership(user_id=user.id, unit_id=unit.id, position="handler",
                               credential_number=f"ZF{user.id:08d}",
                               credential_issuer="株洲市人民政府",
                               credential_expires_on=date.today() + timedelta(days=400)))
        set_numbering_rule(session, unit_id=unit.id, agency="笔测执", actor="test")
        case_id = session.scalar(text("""
            INSERT INTO enforcement_case (procedure, state, owner_unit_id, owner_code,
                                          area_code, source, title, facts)
            VALUES ('ordinary', 'clue', :unit, :area, :area, 'patrol', :title, '占道经营')
            RETURNING id"""), {"unit": unit.id, "area": county, "title": f"{MARK} 占道经营"})
        session.commit()
        yield {"username": MARK, "unit_id": unit.id, "case_id": case_id, "lon": lon,
               "lat": lat}


@pytest.fixture
def phone(chromium, seated) -> Iterator:
    opened = open_phone_at(chromium, lon=seated["lon"], lat=seated["lat"], accuracy=10)
    yield opened
    close_tab(opened)


def _recorded(engine, case_id: int) -> tuple:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT (SELECT count(*) FROM enforcement_evidence WHERE case_id = :c "
            "        AND kind = 'inspection_record'), "
            "array(SELECT number FROM document WHERE subject_type = 'enforcement_case' "
            "      AND subject_id = :c AND kind = 'enf_site_record')"), {"c": case_id}).one()


@pytest.mark.browser
def test_a_record_signed_on_the_phone_offline_is_recorded_once(
        live_server, phone, settings, engine, seated, artefacts):
    from playwright.sync_api import expect

    page = phone.page
    page.goto(f"{live_server.url}/field")
    log_in(page, seated["username"], settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.get_by_role("button", name="执法办案").click()
    panel = page.locator('[data-panel="enforcement.cases"]')
    panel.locator(f'[data-case-id="{seated["case_id"]}"] button').click()
    form = panel.locator("form.field-record")
    expect(form).to_be_visible()
    expect(form.locator(".field-record-gps")).to_contain_text("GPS")

    form.locator("textarea[name=record]").fill("当事人在人民路人行道上摆摊经营水果，占道约六平方米。")
    form.locator("input[name=place]").fill("人民路18号门前")
    # The party refuses: without a witness the phone says what is missing.
    form.locator("input[name=refused]").check()
    form.locator("input[name=refusal]").fill("当事人拒绝签名，已现场录像")
    sign(form.locator('[data-signature="officer"] canvas'))
    form.get_by_role("button", name="保存现场笔录").click()
    expect(form.locator(".field-record-message")).to_contain_text("见证人签名")
    form.locator("input[name=witness_name]").fill("王五")
    sign(form.locator('[data-signature="witnessSign"] canvas'))

    phone.context.set_offline(True)
    form.get_by_role("button", name="保存现场笔录").click()
    waiting = panel.locator(".field-record-pending li")
    expect(waiting).to_contain_text("离线，联网后自动上传")
    assert _recorded(engine, seated["case_id"]) == (0, [])
    phone.context.set_offline(False)
    expect(panel.locator(".field-record-result")).to_contain_text("笔测执现笔字", timeout=60000)
    expect(waiting).to_have_count(0)
    pieces, numbers = _recorded(engine, seated["case_id"])
    assert pieces == 1 and len(numbers) == 1 and numbers[0].startswith("笔测执现笔字")
    page.screenshot(path=str(artefacts / "record-made.png"), full_page=True)

    with engine.connect() as connection:
        pdf = connection.scalar(text(
            "SELECT pdf FROM document WHERE number = :n"), {"n": numbers[0]})
    reader = PdfReader(io.BytesIO(pdf))
    content = "".join(p.extract_text() for p in reader.pages)
    assert "占道约六平方米" in content and "王五" in content and "当事人拒绝签名" in content
    assert sum(len(p.images) for p in reader.pages) >= 3  # two signatures and the QR code
    assert not phone.errors
