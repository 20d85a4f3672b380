"""A township's register built in the test's transaction: a 市场监管所 with five
inspectors (four qualified with valid 执法证, one whose 执法证 expired) and one 检查员
without qualifications, two items (one with a checklist), 80 entities spread over the
township's grids with risk classes A–D (20 each), a plan and a 不定向 task over the
township."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from core.security import Principal
from core.units.models import Membership, Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from market_supervision.register import items, plans
from market_supervision.register.codes import issue_code
from market_supervision.register.inspectors import set_qualifications
from market_supervision.register.models import Item, Task
from tests.factories import make_user, unique

RISK = "ABCD"


@dataclass
class Register:
    county: str
    township: str
    office: Unit
    manager: Principal
    inspectors: list[Principal]  # qualified, valid 执法证
    numbers: list[str]  # their 执法证 numbers
    expired: Principal
    unqualified: Principal
    items: list[Item]
    entity_ids: list[int]
    task: Task


def principal(session, user) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.scope_code,
                     grants_of(session, user_id=user.id))


def make_inspector(session, unit: Unit, *, scope: str, number: str | None,
                   expires: date | None) -> tuple[Principal, int]:
    user = make_user(session, role=Role.market_inspector, scope_code=scope,
                     full_name=unique("检查员")[:20])
    membership = Membership(user_id=user.id, unit_id=unit.id, position="inspector",
                            credential_number=number, credential_issuer="株洲市人民政府",
                            credential_expires_on=expires)
    session.add(membership)
    session.flush()
    return principal(session, user), membership.id


def add_entities(session, *, township: str, county: str, count: int, start: int = 0,
                 risk: str = RISK) -> list[int]:
    """`count` entities at points spread over the township's grids (deterministic), with
    the classes cycling through `risk`, this month's and current."""
    codes = [issue_code("company", county, 90_000_000 + start + i) for i in range(count)]
    rows = session.execute(text("""
        WITH grids AS (
            SELECT code, geom, row_number() OVER (ORDER BY code) - 1 AS n, count(*) OVER () AS k
            FROM area WHERE level = 'grid' AND code LIKE :township || '%'),
        wanted AS (SELECT i, code FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS c(code, i))
        INSERT INTO market_entity (uscc, name, type, address, location, area_code, industry,
                                   risk_class, source)
        SELECT w.code, '测试主体' || w.i, 'company', '测试地址' || w.i,
               ST_PointOnSurface(g.geom), g.code, 'H62',
               substr(:risk, 1 + ((w.i - 1) % length(:risk))::int, 1), 'test'
        FROM wanted w JOIN grids g ON g.n = (w.i - 1) % g.k
        RETURNING id"""), {"codes": codes, "township": township, "risk": risk}).scalars().all()
    session.execute(text(
        "INSERT INTO market_entity_risk (entity_id, month, risk_class) "
        "SELECT id, date_trunc('month', now())::date, risk_class FROM market_entity "
        "WHERE id = ANY(:ids)"), {"ids": list(rows)})
    return list(rows)


@pytest.fixture
def register(session, demo_city) -> Register:
    township = session.scalar(text(
        "SELECT a.code FROM area a WHERE a.level = 'township' AND a.code LIKE '4302%' "
        "AND (SELECT count(*) FROM area g WHERE g.level = 'grid' AND g.code LIKE a.code || '%')"
        " >= 4 ORDER BY a.code LIMIT 1"))
    county = township[:6]
    office = Unit(code=unique("test-market_office"), name="测试市场监管所", kind="market_office",
                  platform="market_supervision", department_code="market", seat_code=township)
    session.add(office)
    session.flush()
    session.add(UnitArea(unit_id=office.id, area_code=township))
    item_a = items.create_item(session, code=unique("SC-A"), name="食品经营许可检查",
                               department_code="market", level="general",
                               legal_basis="食品安全法第三十五条",
                               checklist=[{"text": "持有效许可证", "weight": "key"},
                                          {"text": "从业人员健康证明"}])
    item_b = items.create_item(session, code=unique("SC-B"), name="价格公示检查",
                               department_code="market", level="general",
                               legal_basis="价格法第十三条", checklist=[])
    valid = date.today() + timedelta(days=365)
    inspectors, numbers = [], []
    for i in range(4):
        number = f"T{office.id:06d}{i:02d}"
        inspector, membership = make_inspector(session, office, scope=township, number=number,
                                               expires=valid)
        # two qualified for both items, two for item A only
        set_qualifications(session, membership_id=membership,
                           item_codes=[item_a.code, item_b.code] if i < 2 else [item_a.code])
        inspectors.append(inspector)
        numbers.append(number)
    expired, membership = make_inspector(session, office, scope=township,
                                         number=f"T{office.id:06d}98",
                                         expires=date.today() - timedelta(days=1))
    set_qualifications(session, membership_id=membership, item_codes=[item_a.code])
    unqualified, _ = make_inspector(session, office, scope=township,
                                    number=f"T{office.id:06d}99", expires=valid)
    manager = principal(session, make_user(session, role=Role.market_inspector,
                                           scope_code=county))
    entity_ids = add_entities(session, township=township, county=county, count=80)
    plan = plans.create_plan(session, principal=manager, year=date.today().year,
                             name="年度双随机抽查计划", unit_id=office.id, area_code=township)
    task = plans.create_task(
        session, principal=manager, plan_id=plan.id, code=unique("T"), name="餐饮服务抽查",
        mode="undirected", area_code=township, ratio_scheme="general",
        starts_on=date.today(), ends_on=date.today() + timedelta(days=60),
        organising_unit_id=office.id, implementing_unit_ids=[office.id],
        item_codes=[item_a.code, item_b.code])
    return Register(county, township, office, manager, inspectors, numbers, expired,
                    unqualified, [item_a, item_b], entity_ids, task)
