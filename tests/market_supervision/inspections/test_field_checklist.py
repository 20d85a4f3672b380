"""The market inspector's field tool in Chromium on a phone-sized screen: an inspector logs
in to /field and gets his inspections (检查任务), not the grid worker's report form; opens
the inspection drawn to him, records its checklist (each line 一般 or 重点; 合格, 当场整改 of
a failed line with a photo, 不适用), sent with an Idempotency-Key and stored once; the
other inspector confirms it on his phone, and it goes to review (待审核).

The office, its two inspectors, the entity and the draw are committed for the live server
at the demo city's last grid, apart from the other tests' first-grid markets.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.units.models import Membership, Unit, UnitArea
from market_supervision.inspections import opening
from market_supervision.register.codes import issue_code
from market_supervision.register.models import (
    ChecklistItem,
    Draw,
    DrawTarget,
    DrawTargetInspector,
    Entity,
    Item,
    Plan,
    Task,
    TaskItem,
    TaskUnit,
)
from tests.browser import close_tab, log_in, open_phone_at
from tests.factories import make_user

MARK = f"field-insp-{uuid.uuid4().hex[:8]}"
LINES = [("经营场所环境整洁", "general"), ("从业人员持有效健康证明", "key"),
         ("食品贮存符合要求", "key"), ("进货查验记录完整", "general")]


@dataclass(frozen=True)
class Field:
    inspectors: tuple[str, str]
    inspection_id: int
    entity_name: str
    checks: tuple[int, ...]
    lon: float
    lat: float


def _office(session, township: str) -> Unit:
    office = Unit(code=MARK, name="外勤测试市场监管所", kind="market_office",
                  platform="market_supervision", department_code="market", seat_code=township)
    session.add(office)
    session.flush()
    session.add(UnitArea(unit_id=office.id, area_code=township))
    return office


def _inspector(session, office: Unit, township: str, n: int, demo_hash: str):
    user = make_user(session, role="market_inspector", scope_code=township,
                     username=f"{MARK}-{n}", password_hash=demo_hash,
                     full_name=f"外勤检查员{n}")
    membership = Membership(user_id=user.id, unit_id=office.id, position="inspector",
                            credential_number=f"SC{user.id:08d}",
                            credential_issuer="株洲市人民政府",
                            credential_expires_on=date.today() + timedelta(days=365))
    session.add(membership)
    session.flush()
    return user, membership


def _task(session, office: Unit, township: str) -> tuple[Task, list[int]]:
    item = Item(code=MARK[:32], name="食品经营者经营条件检查", department_code="market",
                level="general", legal_basis="食品安全法第三十三条")
    session.add(item)
    session.flush()
    lines = [ChecklistItem(item_id=item.id, ordinal=n, text=line, weight=weight)
             for n, (line, weight) in enumerate(LINES, 1)]
    session.add_all(lines)
    plan = Plan(year=date.today().year, name="外勤测试抽查计划", unit_id=office.id,
                area_code=township, state="published")
    session.add(plan)
    session.flush()
    task = Task(plan_id=plan.id, code=MARK[:40], name="餐饮服务单位双随机抽查",
                mode="undirected", area_code=township, ratio_scheme="general",
                starts_on=date.today() - timedelta(days=30),
                ends_on=date.today() + timedelta(days=60), state="drawn")
    session.add(task)
    session.flush()
    session.add_all([TaskItem(task_id=task.id, item_id=item.id),
                     TaskUnit(task_id=task.id, unit_id=office.id, role="implementing")])
    session.flush()
    return task, [line.id for line in lines]


def _draw(session, office: Unit, task: Task, entity: Entity, township: str, people) -> Draw:
    draw = Draw(task_id=task.id, area_code=township, unit_id=office.id, state="drawn",
                algorithm="test", risk_month=date.today().replace(day=1),
                candidates_hash="0" * 64, public_candidates_hash="0" * 64,
                candidates_count=1, candidates=b"", rules={}, seed_hash="0" * 64,
                secret_seed="0" * 64, seed="1" * 64)
    session.add(draw)
    session.flush()
    target = DrawTarget(draw_id=draw.id, entity_id=entity.id, ordinal=0, uscc=entity.uscc,
                        stratum="C", score="0" * 64)
    session.add(target)
    session.flush()
    session.add_all(DrawTargetInspector(target_id=target.id, membership_id=membership.id,
                                        user_id=user.id, ordinal=n, name=user.full_name,
                                        credential_number=membership.credential_number)
                    for n, (user, membership) in enumerate(people))
    session.flush()
    return draw


@pytest.fixture(scope="module")
def field(engine, settings, demo_city) -> Field:
    """A market office at the demo city's last grid's township, two inspectors who can log
    in, an entity, a drawn task with a four-line checklist, and its inspection opened."""
    from market_supervision.inspections.models import Inspection

    with Session(engine) as session:
        grid, lon, lat = session.execute(text(
            "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
            "FROM area WHERE level = 'grid' ORDER BY code DESC LIMIT 1")).one()
        township = grid[:9]
        demo_hash = session.scalar(text(
            "SELECT password_hash FROM app_user WHERE username = 'demo_admin'"))
        office = _office(session, township)
        people = [_inspector(session, office, township, n, demo_hash) for n in (1, 2)]
        task, checks = _task(session, office, township)
        entity = Entity(uscc=issue_code("company", grid[:6], uuid.uuid4().int % 10**8),
                        name=f"外勤测试餐饮店{MARK[-4:]}", type="company",
                        legal_representative="王五", address="测试路9号",
                        location=f"SRID=4326;POINT({lon} {lat})", area_code=grid,
                        industry="H6210", risk_class="C")
        session.add(entity)
        session.flush()
        draw = _draw(session, office, task, entity, township, people)
        opened, _ = opening.open_for_draw(session, draw_id=draw.id, actor="test",
                                          settings=settings)
        inspection = session.get(Inspection, opened[0])
        session.commit()
        return Field((people[0][0].username, people[1][0].username), inspection.id,
                     entity.name, tuple(checks), lon, lat)


@pytest.fixture
def phones(chromium, field) -> Iterator:
    """Two phones (each his own context: storage, login) at the entity."""
    opened = [open_phone_at(chromium, lon=field.lon, lat=field.lat, accuracy=8)
              for _ in range(2)]
    yield opened
    for tab in opened:
        close_tab(tab)


def _open(page, live_server, settings, username: str, field: Field):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/field")
    log_in(page, username, settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    panel = page.locator('[data-panel="market.inspections"]')
    panel.locator(f'[data-inspection-id="{field.inspection_id}"] button').click()
    return panel


def _state(engine, inspection_id: int):
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT i.state, i.confirmed_by, i.outcome, i.failed_count, "
            "(SELECT count(*) FROM market_inspection_submission s "
            " WHERE s.inspection_id = i.id) AS submissions, "
            "(SELECT array_agg(c.result ORDER BY c.check_id) FROM market_inspection_check c "
            " WHERE c.inspection_id = i.id) AS results "
            "FROM market_inspection i WHERE i.id = :id"), {"id": inspection_id}).one()


@pytest.mark.browser
def test_an_inspector_records_the_checklist_and_the_other_confirms_it(
        live_server, phones, settings, engine, field, tmp_path, artefacts):
    from playwright.sync_api import expect

    first, second = (tab.page for tab in phones)
    panel = _open(first, live_server, settings, field.inspectors[0], field)

    # His tool only: 检查任务, not the report form.
    expect(first.locator(".field-tabs button:visible")).to_have_text(["检查任务"])
    expect(first.locator(".field-report")).to_be_hidden()
    expect(first.locator(".field-header h1")).to_have_text("市场监管人员")

    # The checklist: each line with its weight; answered, a failed line fixed on the spot.
    lines = panel.locator(".field-check")
    expect(lines).to_have_count(len(LINES))
    expect(lines.nth(0).locator("legend")).to_contain_text("[一般]")
    expect(lines.nth(1).locator("legend")).to_contain_text("[重点]")
    lines.nth(0).get_by_label("合格", exact=True).check()
    failed = lines.nth(1)
    failed.get_by_label("不合格").check()
    failed.locator("input[name=note]").fill("一名从业人员健康证明过期")
    failed.get_by_label("当场整改").check()
    failed.locator("input[name=rectify_note]").fill("已安排其离岗并补办")
    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(photo, "JPEG")
    failed.locator("input[type=file]").set_input_files(str(photo))
    expect(failed.locator(".field-photo-previews img")).to_have_count(1)
    lines.nth(2).get_by_label("不适用").check()
    lines.nth(3).get_by_label("合格", exact=True).check()
    panel.get_by_role("button", name="提交检查结果").click()
    expect(panel.locator("[role=status]").first).to_contain_text("已提交：待确认", timeout=60000)
    recorded = _state(engine, field.inspection_id)
    assert (recorded.state, recorded.outcome, recorded.failed_count) == (
        "recorded", "rectified_on_site", 1)
    assert recorded.results == ["pass", "fail", "na", "pass"]
    assert recorded.submissions == 1  # its Idempotency-Key, stored once
    first.screenshot(path=str(artefacts / "recorded.png"))

    # The other inspector sees the results and confirms them: to review.
    panel = _open(second, live_server, settings, field.inspectors[1], field)
    expect(panel.locator(".field-checklist-results li").nth(1)).to_contain_text("不合格")
    panel.get_by_role("button", name="确认检查结果").click()
    expect(panel.locator("[role=status]").first).to_contain_text("已提交：待审核", timeout=60000)
    confirmed = _state(engine, field.inspection_id)
    assert confirmed.state == "submitted" and len(confirmed.confirmed_by) == 2

    # Reviewed (审核通过: the reviewer's desk, not this phone's), a failed line found: the
    # first inspector refers the finding to 综合执法 from his phone, queued with its key.
    with engine.begin() as connection:
        connection.execute(text("UPDATE market_inspection SET state = 'approved' "
                                "WHERE id = :id"), {"id": field.inspection_id})
    panel = first.locator('[data-panel="market.inspections"]')
    panel.get_by_role("button", name="刷新").click()
    followable = panel.locator(".field-inspections-followable")
    followable.locator(f'[data-inspection-id="{field.inspection_id}"] button').click()
    refer = panel.locator("form.field-refer")
    refer.get_by_role("button", name="移送执法").click()
    expect(refer.locator(".field-tool-error")).to_have_text("请填写移送理由")
    refer.locator("textarea[name=reason]").fill("从业人员健康证明过期，涉嫌违反食品安全法")
    refer.get_by_role("button", name="移送执法").click()
    expect(panel.locator(".field-inspection-followups")).to_contain_text("已移送执法",
                                                                         timeout=60000)
    with engine.connect() as connection:
        referrals = connection.execute(text(
            "SELECT count(*) FROM market_referral WHERE inspection_id = :id"),
            {"id": field.inspection_id}).scalar_one()
    assert referrals == 1
