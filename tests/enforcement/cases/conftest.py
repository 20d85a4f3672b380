"""An enforcement desk in the demo city: a township's 综合行政执法队 with a head, three
officers with valid 执法证, one whose 执法证 expired, a legal reviewer and a dispatcher;
a matter of the catalogue; and helpers that open cases and make moves at given instants
(through the same service and runner as the API)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.security import Principal
from core.units.models import Membership, Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from core.users.models import User
from enforcement.cases import flows, service
from enforcement.cases.models import Matter, MatterBand
from enforcement.cases.schemas import CaseIn

TZ = ZoneInfo("Asia/Shanghai")
MATTER = "TEST-CG-0001"
SAFETY_MATTER = "TEST-SP-0001"
CITIZEN_ID = "11010519491231002X"  # GB 11643's own example
USCC = "91350100M000100Y43"


def at(text_: str) -> datetime:
    """A Shanghai wall-clock instant: '2026-02-05 10:00'."""
    return datetime.fromisoformat(text_).replace(tzinfo=TZ)


@dataclass
class Desk:
    township: str
    unit: Unit
    people: dict[str, Principal] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _member(session, unit: Unit, township: str, name: str, role: Role,
            positions: list[str], expires: date | None) -> int:
    user = User(username=f"enf-test-{name}", password_hash="!", role=role,
                scope_code=township)
    session.add(user)
    session.flush()
    for position in positions:
        session.add(Membership(user_id=user.id, unit_id=unit.id, position=position,
                               credential_number=f"ZF{user.id:06d}" if expires else None,
                               credential_expires_on=expires))
    session.flush()
    return user.id


@pytest.fixture
def desk(session, demo_city) -> Desk:
    township = session.execute(text(
        "SELECT code FROM area WHERE level = 'township' ORDER BY code LIMIT 1")).scalar_one()
    unit = Unit(code="test-enforcement-team", name="测试综合行政执法队", kind="enforcement_team",
                platform="enforcement", department_code="chengguan", seat_code=township)
    session.add(unit)
    session.flush()
    session.add(UnitArea(unit_id=unit.id, area_code=township))
    valid, expired = date.today() + timedelta(days=3650), date.today() - timedelta(days=1)
    people = {"head": (Role.enforcement_officer, ["head", "handler"], valid),
              "officer_a": (Role.enforcement_officer, ["handler"], valid),
              "officer_b": (Role.enforcement_officer, ["handler"], valid),
              "officer_c": (Role.enforcement_officer, ["inspector"], valid),
              "expired": (Role.enforcement_officer, ["handler"], expired),
              "legal": (Role.enforcement_officer, ["legal_reviewer"], None),
              "dispatcher": (Role.enforcement_officer, ["dispatcher"], None)}
    result = Desk(township, unit)
    for name, (role, positions, expires) in people.items():
        user_id = _member(session, unit, township, name, role, positions, expires)
        result.ids[name] = user_id
        result.people[name] = Principal(user_id, f"enf-test-{name}", role, township,
                                        grants_of(session, user_id=user_id))
    for code, safety in ((MATTER, False), (SAFETY_MATTER, True)):
        matter = Matter(code=code, name="擅自占用城市道路" if not safety else "销售不合格食品",
                        department_code="chengguan", legal_basis="《城市道路管理条例》第四十二条",
                        penalty_types=["warning", "fine", "license_revoke"],
                        fine_min_fen=0, fine_max_fen=20_000_000, safety_related=safety)
        session.add(matter)
        session.flush()
        session.add(MatterBand(matter_id=matter.id, level="lighter", fine_min_fen=0,
                               fine_max_fen=500_000))
    session.flush()
    # The unit's 机关代字: its 文书 are numbered 测综执罚决字〔2026〕第0001号.
    from core.documents import set_numbering_rule

    set_numbering_rule(session, unit_id=unit.id, agency="测综执", actor="test")
    return result


def grid_code(session, township: str) -> str:
    return session.execute(text("SELECT code FROM area WHERE level = 'grid' AND code LIKE :p "
                                "ORDER BY code LIMIT 1"), {"p": township + "%"}).scalar_one()


def open_clue(session, settings, desk: Desk, *, now: datetime | None = None,
              party: dict | None = None, offence_at: datetime | None = None,
              officers=("officer_a", "officer_b")):
    data = CaseIn(procedure="ordinary", unit_id=desk.unit.id, source="patrol",
                  title="占道经营", facts="在人行道上摆摊",
                  area_code=grid_code(session, desk.township),
                  offence_at=offence_at, officer_ids=[desk.ids[o] for o in officers],
                  parties=[party or {"kind": "citizen", "name": "张三", "id_number": CITIZEN_ID}])
    case, _ = service.open_case(session, principal=desk.people["dispatcher"], data=data,
                                settings=settings, now=now)
    return case


def move(session, settings, desk: Desk, case, name: str, who: str = "head", *,
         now: datetime | None = None, **fields):
    data = {"version": case.version, "reason": None, **fields}
    return flows.act_on(session, case, name=name, fields=data, principal=desk.people[who],
                        settings=settings, now=now)


def due_of(session, case, name: str = "step"):
    return session.execute(text(
        "SELECT due_at FROM case_clock WHERE subject_type = 'enforcement_case' "
        "AND subject_id = :id AND name = :n AND stopped_at IS NULL"),
        {"id": case.id, "n": name}).scalar_one().astimezone(TZ)


def live_handler(session) -> tuple[int, str, int, str]:
    """A demo 城管 handler with a valid scope over his unit's seat, for the tests against the
    live server (their rows committed): (unit id, seat code, user id, username)."""
    return tuple(session.execute(text("""
        SELECT u.id, u.seat_code, a.id, a.username FROM membership m
        JOIN unit u ON u.id = m.unit_id JOIN app_user a ON a.id = m.user_id
        WHERE u.platform = 'enforcement' AND u.department_code = 'chengguan'
          AND m.position = 'handler' AND a.role = 'enforcement_officer' AND m.is_active
          AND a.scope_code <= u.seat_code AND u.seat_code LIKE a.scope_code || '%'
        ORDER BY a.id LIMIT 1""")).one())
