"""What the platform consoles' browser journeys need (tests/api/test_console_platforms_browser.py),
built through each platform's own services in a committed session, and removed after: the
demo account's memberships, the units, the subject and its kernel rows (timeline, clocks,
notices), and the rows the subject hangs off (a market task's plan, draw, entity …)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.security import Principal
from core.units.models import Membership, Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from tests.factories import unique

VALID = date.today() + timedelta(days=3650)


@dataclass
class Made:
    id: int
    version: int
    subject_type: str
    table: str
    state: str = ""
    entity_name: str = ""
    description: str = ""
    owner_code: str = ""
    # Rows to delete after the subject, in order: (table, id).
    rows: list[tuple[str, int]] = field(default_factory=list)
    memberships: list[int] = field(default_factory=list)


def user_id(session: Session, username: str) -> int:
    return session.execute(text("SELECT id FROM app_user WHERE username = :u"),
                           {"u": username}).scalar_one()


def principal(session: Session, uid: int) -> Principal:
    row = session.execute(text("SELECT username, role, scope_code FROM app_user WHERE id = :i"),
                          {"i": uid}).one()
    return Principal(uid, row.username, Role(row.role), row.scope_code,
                     grants_of(session, user_id=uid))


def unit_at(session: Session, *, kind: str, platform: str, department: str | None,
            seat: str, name: str) -> Unit:
    unit = Unit(code=unique(f"console-{kind}"), name=name, kind=kind, platform=platform,
                department_code=department, seat_code=seat)
    session.add(unit)
    session.flush()
    session.add(UnitArea(unit_id=unit.id, area_code=seat))
    session.flush()
    return unit


def join(session: Session, unit: Unit, uid: int, position: str, *,
         credential: bool = False) -> int:
    membership = Membership(user_id=uid, unit_id=unit.id, position=position,
                            credential_number=unique("ZF")[:20] if credential else None,
                            credential_expires_on=VALID if credential else None)
    session.add(membership)
    session.flush()
    return membership.id


def first_township(session: Session, scope: str) -> str:
    return session.execute(text(
        "SELECT min(code) FROM area WHERE level = 'township' AND code LIKE :p"),
        {"p": f"{scope}%"}).scalar_one()


def first_grid(session: Session, township: str) -> str:
    return session.execute(text(
        "SELECT min(code) FROM area WHERE level = 'grid' AND code LIKE :p"),
        {"p": f"{township}%"}).scalar_one()


# --- enforcement: a 线索 of the demo officer's team ------------------------------------------

def enforcement_clue(session: Session, settings, *, username: str) -> Made:
    from enforcement.cases import service
    from enforcement.cases.schemas import CaseIn

    uid = user_id(session, username)
    scope = principal(session, uid).scope_code
    township = first_township(session, scope)
    unit = unit_at(session, kind="enforcement_team", platform="enforcement",
                   department="chengguan", seat=township, name="控制台测试综合行政执法队")
    memberships = [join(session, unit, uid, position, credential=True)
                   for position in ("head", "handler")]
    data = CaseIn(procedure="ordinary", unit_id=unit.id, source="patrol",
                  title="占道经营（控制台测试）", facts="在人行道上摆摊",
                  area_code=first_grid(session, township))
    case, _ = service.open_case(session, principal=principal(session, uid), data=data,
                                settings=settings)
    session.flush()
    return Made(case.id, case.version, "enforcement_case", "enforcement_case", case.state,
                rows=[("unit", unit.id)], memberships=memberships)


def enforcement_clue_two_officers(session: Session, settings, *, username: str) -> Made:
    """The demo officer's 线索, his team joined by a second officer with a 执法证 (the demo's
    生态环境 officer, 吴振华): two to assign (行政处罚法第四十二条)."""
    made = enforcement_clue(session, settings, username=username)
    unit = session.get(Unit, made.rows[0][1])
    made.memberships.append(join(session, unit, user_id(session, "demo_ecology_officer"),
                                 "handler", credential=True))
    return made


def enforcement_dispatchable(session: Session, settings, *, username: str) -> Made:
    """A 线索 with a location, of a team (the demo officer's) on duty 300-odd metres away
    and qualified for 城管 work: the nearest team the dispatcher is offered on the map. The
    demo's 生态环境 officer is its second member with a 执法证 (派遣 sends two, 行政处罚法
    第四十二条) and the demo dispatcher its 派遣员 (派遣 is the case unit's move)."""
    from datetime import UTC, datetime

    from enforcement.cases import service
    from enforcement.cases.schemas import CaseIn
    from enforcement.teams import positions

    uid = user_id(session, username)
    township = first_township(session, principal(session, uid).scope_code)
    grid = first_grid(session, township)
    lon, lat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), "
                                    "ST_Y(ST_PointOnSurface(geom)) FROM area WHERE code = :g"),
                               {"g": grid}).one()
    team = unit_at(session, kind="enforcement_team", platform="enforcement",
                   department="chengguan", seat=township, name="控制台派遣测试中队")
    session.execute(text("UPDATE unit SET location = ST_SetSRID(ST_MakePoint(:x, :y), 4326) "
                         "WHERE id = :id"), {"x": lon + 0.003, "y": lat + 0.001, "id": team.id})
    memberships = [join(session, team, uid, position, credential=True)
                   for position in ("head", "handler")]
    memberships += [join(session, team, user_id(session, "demo_ecology_officer"), "handler",
                         credential=True),
                    join(session, team, user_id(session, "demo_county_dispatcher"),
                         "dispatcher")]
    now = datetime.now(UTC)
    session.execute(text("""
        INSERT INTO enforcement_roster (team_id, user_id, shift, starts_at, ends_at, created_by)
        VALUES (:team, :user, '白班', :start, :end, 'console-test')"""),
        {"team": team.id, "user": uid, "start": now - timedelta(hours=1),
         "end": now + timedelta(hours=11)})
    session.execute(text("INSERT INTO enforcement_team_qualification (team_id, department_code) "
                         "VALUES (:team, 'chengguan')"), {"team": team.id})
    data = CaseIn(procedure="ordinary", unit_id=team.id, source="patrol",
                  title="占道经营（派遣测试）", facts="在人行道上摆摊", area_code=grid,
                  location={"type": "Point", "coordinates": [lon, lat]})
    case, _ = service.open_case(session, principal=principal(session, uid), data=data,
                                settings=settings)
    session.flush()
    positions.refresh(session, now=now, team_ids=[team.id])
    return Made(case.id, case.version, "enforcement_case", "enforcement_case", case.state,
                rows=[("unit", team.id)], memberships=memberships)


# --- market: a submitted inspection for the demo inspector to review ----------------------

def market_submitted(session: Session, settings, *, username: str) -> Made:
    from market_supervision.inspections import opening
    from market_supervision.inspections.models import Inspection
    from market_supervision.register.codes import issue_code
    from tests.market_supervision.inspections.conftest import build_market
    from tests.market_supervision.inspections.helpers import move, record_body

    serial = int.from_bytes(unique("n").encode()[-4:], "big") % 10_000_000
    market = build_market(session, uscc=issue_code("company", "430200", 97_000_000 + serial))
    uid = user_id(session, username)
    membership = join(session, market.office, uid, "reviewer")
    opened, _ = opening.open_for_draw(session, draw_id=market.draw.id, actor=username,
                                      settings=settings)
    inspection = session.get(Inspection, opened[0])
    first, second = market.inspectors
    move(session, settings, inspection, "record", first, **record_body(market, market.checks))
    move(session, settings, inspection, "confirm", second)
    session.flush()
    return Made(inspection.id, inspection.version, "market_inspection", "market_inspection",
                inspection.state, entity_name=market.entity.name,
                memberships=[membership], rows=market_rows(session, market))


def market_rows(session: Session, market) -> list[tuple[str, int]]:
    """The register's rows the inspection hung off, the last made first."""
    return [("market_draw", market.draw.id), ("market_task", market.task.id),
            ("market_plan", market.task.plan_id), ("market_entity", market.entity.id),
            ("market_item", market.item.id), ("unit", market.office.id),
            ("unit", market.enforcement.id)]


# --- convenience: a 12345 order registered at the operator's centre ----------------------

def work_order(session: Session, settings, *, username: str) -> Made:
    from convenience.open311 import workorders

    uid = user_id(session, username)
    operator = principal(session, uid)
    order = workorders.register(
        session, principal_name=operator.username, owner_code=operator.scope_code,
        channel="phone", caller_phone="13812345678", caller_name="李女士",
        description=f"控制台测试：小区门口占道经营 {unique('n')}", settings=settings)
    session.flush()
    return Made(order.id, order.version, "work_order", "work_order", order.state,
                description=order.description, owner_code=order.owner_code)


# --- removal -------------------------------------------------------------------------------

def cleanup(session: Session, made: Made) -> None:
    """The journey's rows, what the moves added (the subject's kernel rows, its 文书), and
    what hung off them, found by their foreign keys (purge)."""
    ids = {"s": made.subject_type, "i": made.id}
    for statement in KERNEL_SQL:
        session.execute(text(statement), ids)
    purge(session, made.table, made.id)
    for membership in made.memberships:
        purge(session, "membership", membership)
    for table, row in made.rows:
        purge(session, table, row)


# The kernel's rows that name the subject by type and id (no foreign key to follow).
KERNEL_SQL = (
    "DELETE FROM timeline_event WHERE subject_type = :s AND subject_id = :i",
    "DELETE FROM case_clock WHERE subject_type = :s AND subject_id = :i",
    "DELETE FROM notification WHERE subject_type = :s AND subject_id = CAST(:i AS varchar)",
    "DELETE FROM case_link WHERE a_type = :s AND a_id = :i",
    "DELETE FROM case_link WHERE b_type = :s AND b_id = :i",
)
# The single-column foreign keys that point at a table and do not cascade by themselves.
REFERENCES_SQL = """
    SELECT child.relname AS child, col.attname AS col, ref.attname AS ref
    FROM pg_constraint c
    JOIN pg_class child ON child.oid = c.conrelid
    JOIN pg_class parent ON parent.oid = c.confrelid
    JOIN pg_attribute col ON col.attrelid = c.conrelid AND col.attnum = c.conkey[1]
    JOIN pg_attribute ref ON ref.attrelid = c.confrelid AND ref.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND parent.relname = :table AND c.confdeltype NOT IN ('c', 'n')
      AND child.relname <> parent.relname"""
KEEP = frozenset({"app_user", "area", "category"})  # shared by every test: never purged


def purge(session: Session, table: str, row_id: int) -> None:
    """Deletes a row and, first, every row that refers to it (recursively)."""
    purge_where(session, table, "id = :i", {"i": row_id})


def purge_where(session: Session, table: str, where: str, params: dict, depth: int = 0
                ) -> None:
    assert table not in KEEP and depth < 8, table
    for child, col, ref in session.execute(text(REFERENCES_SQL), {"table": table}).all():
        purge_where(session, child, f"{col} IN (SELECT {ref} FROM {table} WHERE {where})",
                    params, depth + 1)
    session.execute(text(f"DELETE FROM {table} WHERE {where}"), params)
