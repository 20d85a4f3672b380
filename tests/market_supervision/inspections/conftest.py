"""A market office of the demo city with its people and one drawn task, built in the
test's transaction: a 市场监管所 covering a township (two inspectors with valid 执法证, a
third whose 执法证 expired, a 审核人), an enforcement team covering the same township, an
item with a four-line checklist, an entity, a plan and task, and a draw with one target
paired with the two inspectors; its inspection opened through opening.py."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from core.security import Principal
from core.units.models import Membership, Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from market_supervision.inspections import opening
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
from tests.factories import make_user, unique

# The standard's sample code (GB 32100 附录): a valid 统一社会信用代码.
SAMPLE_USCC = "91350100M000100Y43"


@dataclass
class Market:
    township: str
    grid: str
    point: tuple[float, float]
    office: Unit
    enforcement: Unit
    inspectors: list[Principal]
    expired: Principal
    reviewer: Principal
    item: Item
    checks: list[int]
    entity: Entity
    task: Task
    draw: Draw
    target: DrawTarget


def principal(session, user) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.scope_code,
                     grants_of(session, user_id=user.id))


def _unit(session, *, kind: str, platform: str, department: str | None, seat: str,
          name: str) -> Unit:
    unit = Unit(code=unique(f"test-{kind}"), name=name, kind=kind, platform=platform,
                department_code=department, seat_code=seat)
    session.add(unit)
    session.flush()
    session.add(UnitArea(unit_id=unit.id, area_code=seat))
    session.flush()
    return unit


def _member(session, unit: Unit, *, role: Role, position: str, scope: str,
            expires: date | None = None, number: str | None = None) -> Principal:
    user = make_user(session, role=role, scope_code=scope)
    session.add(Membership(user_id=user.id, unit_id=unit.id, position=position,
                           credential_number=number, credential_issuer="株洲市人民政府",
                           credential_expires_on=expires))
    session.flush()
    return principal(session, user)


@pytest.fixture
def market(session, demo_city) -> Market:
    return build_market(session)


def build_market(session, *, uscc: str = SAMPLE_USCC) -> Market:
    row = session.execute(text(
        "SELECT g.code AS grid, ST_X(ST_PointOnSurface(g.geom)) AS lon, "
        "ST_Y(ST_PointOnSurface(g.geom)) AS lat FROM area g WHERE g.level = 'grid' "
        "ORDER BY g.code LIMIT 1")).one()
    township = row.grid[:9]
    office = _unit(session, kind="market_office", platform="market_supervision",
                   department="market", seat=township, name="测试市场监管所")
    enforcement = _unit(session, kind="enforcement_team", platform="enforcement",
                        department="chengguan", seat=township, name="测试综合行政执法队")
    later, earlier = date.today() + timedelta(days=365), date.today() - timedelta(days=1)
    inspectors = [_member(session, office, role=Role.market_inspector, position="inspector",
                          scope=township, expires=later, number=f"ZZ{n:06d}")
                  for n in (1, 2)]
    expired = _member(session, office, role=Role.market_inspector, position="inspector",
                      scope=township, expires=earlier, number="ZZ000003")
    reviewer = _member(session, office, role=Role.market_inspector, position="reviewer",
                       scope=township)
    item = Item(code=unique("T")[:32], name="食品经营者经营条件检查", department_code="market",
                level="general", legal_basis="食品安全法第三十三条")
    session.add(item)
    session.flush()
    lines = [ChecklistItem(item_id=item.id, ordinal=n, text=text_, weight=w)
             for n, (text_, w) in enumerate([("经营场所环境整洁", "general"),
                                             ("从业人员持有效健康证明", "key"),
                                             ("食品贮存符合要求", "key"),
                                             ("进货查验记录完整", "general")], 1)]
    session.add_all(lines)
    entity = Entity(uscc=uscc, name="株洲测试餐饮有限公司", type="company",
                    legal_representative="张三", address="测试路1号",
                    location=f"SRID=4326;POINT({row.lon} {row.lat})", area_code=row.grid,
                    industry="H6210", risk_class="C")
    session.add(entity)
    session.flush()
    plan = Plan(year=date.today().year, name="测试年度抽查计划", unit_id=office.id,
                area_code=township, state="published")
    session.add(plan)
    session.flush()
    task = Task(plan_id=plan.id, code=unique("TASK")[:40], name="餐饮服务单位双随机抽查",
                mode="undirected", area_code=township, ratio_scheme="general",
                starts_on=date.today() - timedelta(days=30),
                ends_on=date.today() + timedelta(days=60), state="drawn")
    session.add(task)
    session.flush()
    session.add_all([TaskItem(task_id=task.id, item_id=item.id),
                     TaskUnit(task_id=task.id, unit_id=office.id, role="implementing")])
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
    memberships = dict(session.execute(text(
        "SELECT user_id, id FROM membership WHERE unit_id = :u"), {"u": office.id}).all())
    session.add_all(DrawTargetInspector(target_id=target.id, membership_id=memberships[p.user_id],
                                        user_id=p.user_id, ordinal=n, name=p.username,
                                        credential_number=f"ZZ{n + 1:06d}")
                    for n, p in enumerate(inspectors))
    session.flush()
    return Market(township, row.grid, (row.lon, row.lat), office, enforcement, inspectors,
                  expired, reviewer, item, [line.id for line in lines], entity, task, draw,
                  target)


@pytest.fixture
def inspection(session, settings, market):
    """The draw's one inspection, opened (未录入)."""
    from market_supervision.inspections.models import Inspection

    opened, _ = opening.open_for_draw(session, draw_id=market.draw.id, actor="test",
                                      settings=settings)
    return session.get(Inspection, opened[0])
