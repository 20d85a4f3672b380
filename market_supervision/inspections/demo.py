"""Demo inspections: the register's demo draws (loaded first: the platform composes its
parts register → inspections) get their inspections, and each is taken to a state — every
state the workflow has — by the live moves: flows.act, through the kernel's runner and the
pure decide() of workflow.py, at simulated moments in the task's period. So the demo's
past follows the live rules (a move the rules refuse leaves the inspection where it was),
and its clocks, timelines and audit are the kernel's own.

Seeded: a reload draws the same fates. The demo's people are the demo units' (core/units/
demo.py): the draw's paired inspectors record and confirm; the unit's desk member, given
the 审核人 position here if no one holds it, reviews and publishes.
"""

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.errors import DomainError
from core.security import Principal
from core.settings import Settings, get_settings
from core.units.models import Membership
from core.units.service import grants_of
from core.users.enums import Role
from market_supervision.inspections import flows, opening, referrals, service
from market_supervision.inspections.models import Inspection
from market_supervision.inspections.schemas import ActionIn

# The fates, as the moves that lead there, with their share of the demo's inspections.
FATES: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("pending", (), 14),
    ("recorded", ("record",), 6),
    ("submitted", ("record", "confirm"), 10),
    ("returned", ("record", "confirm", "return"), 4),
    ("rejected", ("record", "confirm", "reject"), 3),
    ("approved", ("record", "confirm", "approve"), 8),
    ("published", ("record", "confirm", "approve", "publish"), 42),
    ("published_late", ("record", "confirm", "approve", "publish"), 4),
    ("reinspected", ("record", "confirm", "approve", "publish", "reinspect"), 4),
    ("referred", ("record", "confirm", "approve", "refer"), 2),
    ("overturned", ("record", "confirm", "approve", "publish", "overturn"), 2),
    ("withdrawn", ("record", "confirm", "approve", "publish", "overturn", "withdraw"), 1),
)
# Days after the inspection each move is made (publish: within the 20 working days, or
# after them for the late ones).
DELAY = {"record": 0, "confirm": 0.05, "return": 2, "reject": 2, "approve": 3,
         "publish": 8, "reinspect": 12, "refer": 3, "overturn": 20, "withdraw": 21}
REASONS = {"return": "照片不清晰，请补充", "reject": "检查对象与抽取结果不符，重新检查",
           "overturn": "行政复议决定撤销原检查结论", "refer": "发现涉嫌无证经营，移送综合执法"}
# Inspections the demo opens at most (the rest of the draws' targets stay unopened): each
# takes ~4 live moves of ~30 statements (~0.2 s a move on the shared 2-core machine).
MOST = 400
ZONE = ZoneInfo("Asia/Shanghai")


def load_demo(session: Session, *, city_code: str, seed: int = 1,
              stage: Callable[[str, int, int], None] | None = None,
              settings: Settings | None = None, **_) -> int:
    """Open the demo draws' inspections and move them to their fates; returns how many."""
    settings = settings or get_settings()
    bounds = subtree_range(city_code)
    draws = session.scalars(text(
        "SELECT id FROM market_draw WHERE state = 'drawn' AND area_code >= :low "
        "AND area_code < :high ORDER BY id"), bounds).all()
    opened: list[int] = []
    for draw_id in draws:
        if len(opened) >= MOST:
            break
        new, _ = opening.open_for_draw(session, draw_id=draw_id, actor="demo",
                                       settings=settings, now=_opened_at(session, draw_id))
        opened += new
    rng = random.Random(seed)
    reviewers: dict[int, Principal | None] = {}
    people: dict[int, Principal] = {}
    desk = _desk_inspection(session, opened, bounds)
    for done, inspection_id in enumerate(opened, 1):
        inspection = session.get(Inspection, inspection_id)
        # Every fate once first (a small demo still shows every state), then by share.
        fate = FATES[done - 1] if done <= len(FATES) else \
            rng.choices(FATES, weights=[f[2] for f in FATES])[0]
        if inspection_id == desk:
            fate = FATES[0]  # left 待录入: the demo inspector's own queue is not empty
        _live(session, settings, inspection, fate, rng, reviewers, people)
        if stage and (done % 50 == 0 or done == len(opened)):
            stage("inspections", done, len(opened))
    session.flush()
    return len(opened)


def _desk_inspection(session: Session, opened: list[int], bounds: dict) -> int | None:
    """The first of `opened` drawn to the city's demo 检查员 account (core/users/demo.py),
    which the demo leaves to him to record ("我的检查" is then not empty at login); one
    after those that show each fate once, if he has one."""
    return session.scalar(text(
        "SELECT x.inspection_id FROM market_inspection_inspector x "
        "JOIN app_user u ON u.id = x.user_id WHERE x.inspection_id = ANY(:ids) "
        "AND u.username ~ '^demo[0-9]*_market_inspector$' "
        "AND u.scope_code >= :low AND u.scope_code < :high "
        "ORDER BY array_position(CAST(:ids AS bigint[]), x.inspection_id) <= :shown, "
        "array_position(CAST(:ids AS bigint[]), x.inspection_id) LIMIT 1"),
        {"ids": opened, "shown": len(FATES), **bounds}) if opened else None


def _opened_at(session: Session, draw_id: int) -> datetime:
    """The demo opens a draw's inspections on its task's first day (before any visit)."""
    starts = session.scalar(text("SELECT t.starts_on FROM market_draw d JOIN market_task t "
                                 "ON t.id = d.task_id WHERE d.id = :id"), {"id": draw_id})
    return min(datetime.combine(starts, time(8, 30), ZONE), datetime.now(UTC))


def remove_demo(session: Session, *, city_code: str, **_) -> None:
    """The city's inspections, their referrals and kernel rows (before the register's)."""
    bounds = subtree_range(city_code)
    for subject, table in (("market_inspection", "market_inspection"),
                           ("market_referral", "market_referral")):
        ids = f"SELECT id FROM {table} WHERE area_code >= :low AND area_code < :high"
        for kernel in ("case_clock", "timeline_event", "handoff", "attachment"):
            session.execute(text(f"DELETE FROM {kernel} WHERE subject_type = '{subject}' "
                                 f"AND subject_id IN ({ids})"), bounds)
        session.execute(text(f"DELETE FROM case_link WHERE (a_type = '{subject}' AND a_id IN "
                             f"({ids})) OR (b_type = '{subject}' AND b_id IN ({ids}))"), bounds)
    session.execute(text("DELETE FROM market_referral WHERE area_code >= :low "
                         "AND area_code < :high"), bounds)
    session.execute(text("DELETE FROM market_inspection WHERE area_code >= :low "
                         "AND area_code < :high AND parent_id IS NOT NULL"), bounds)
    session.execute(text("DELETE FROM market_inspection WHERE area_code >= :low "
                         "AND area_code < :high"), bounds)


# --- one inspection's past -------------------------------------------------------------------

def _live(session: Session, settings: Settings, inspection: Inspection, fate: tuple,
          rng: random.Random, reviewers: dict, people: dict) -> None:
    name, moves, _ = fate
    if not moves:
        return
    inspectors = [_person(session, people, u) for u in service.inspector_ids(session,
                                                                             inspection.id)]
    reviewer = _reviewer(session, reviewers, inspection.owner_unit_id)
    if len(inspectors) < 2 or reviewer is None:
        return
    moment = _inspection_moment(session, inspection, rng, _days_needed(fate))
    if moment is None:
        return
    late, location = name == "published_late", _location(session, inspection)
    checks = service.check_ids(session, inspection.id)
    failing = rng.random() < 0.3 or name in ("reinspected", "referred")
    for move in moves:
        when = moment + timedelta(days=DELAY[move] * (5 if late and move == "publish" else 1))
        if when >= datetime.now(UTC):
            return  # the future has not happened yet
        actor = {"record": inspectors[0], "confirm": inspectors[1],
                 "reinspect": inspectors[0], "refer": inspectors[0]}.get(move, reviewer)
        body = _body(move, moment, location, checks, failing, rng,
                     order=name in ("reinspected", "referred"))
        if not _try(session, settings, inspection, move, actor, body, when):
            return
        if move == "reinspect":
            _follow_up(session, settings, inspection, inspectors, reviewer, when, rng)
        if move == "refer":
            _sign_referral(session, settings, inspection, people)


def _follow_up(session: Session, settings: Settings, parent: Inspection, inspectors: list,
               reviewer: Principal, when: datetime, rng: random.Random) -> None:
    """The re-inspection: most find the order done, some not; a few are still to be done."""
    child = session.scalar(select(Inspection).where(Inspection.parent_id == parent.id))
    if child is None or rng.random() < 0.25:
        return
    checks = service.check_ids(session, child.id)
    fixed = rng.random() < 0.8
    moment = when + timedelta(hours=2)
    lines = [{"check_id": c, "result": "pass" if fixed else "fail"} for c in checks]
    record = {"inspected_at": moment.isoformat(), "location": _location(session, child),
              "checks": lines, **({} if fixed else {"rectify_days": 7})}
    for move, actor, body, at in (("record", inspectors[1], record, moment),
                                  ("confirm", inspectors[0], {}, moment + timedelta(hours=1)),
                                  ("approve", reviewer, {}, moment + timedelta(days=2)),
                                  ("publish", reviewer, {}, moment + timedelta(days=4))):
        if at >= datetime.now(UTC) or not _try(session, settings, child, move, actor, body, at):
            return


def _sign_referral(session: Session, settings: Settings, inspection: Inspection,
                   people: dict) -> None:
    """The enforcement unit's desk signs the referral (签收): the kernel's event then opens
    the enforcement platform's linked case, once the outbox delivers it."""
    row = session.execute(text(
        "SELECT r.id AS referral, h.id AS handoff, m.user_id FROM market_referral r "
        "JOIN handoff h ON h.subject_type = 'market_referral' AND h.subject_id = r.id "
        "AND h.status = 'pending' JOIN membership m ON m.unit_id = h.to_unit_id "
        "AND m.is_active AND m.position IN ('receiver', 'dispatcher', 'head', 'handler') "
        "WHERE r.inspection_id = :id ORDER BY m.id LIMIT 1"), {"id": inspection.id}).first()
    if row is None:
        return
    savepoint = session.begin_nested()
    try:
        referrals.answer(session, referral_id=row.referral, handoff_id=row.handoff, sign=True,
                         reason=None, principal=_person(session, people, row.user_id),
                         settings=settings)
    except DomainError:
        savepoint.rollback()
        return
    savepoint.commit()


def _try(session: Session, settings: Settings, inspection: Inspection, move: str,
         actor: Principal, body: dict, when: datetime) -> bool:
    """One live move at a simulated moment; a refusal (a rule the fate broke) leaves the
    inspection where it was."""
    savepoint = session.begin_nested()
    try:
        data = ActionIn.model_validate({"version": inspection.version, **body})
        flows.act(session, inspection_id=inspection.id, name=move, data=data,
                  principal=actor, settings=settings, now=when,
                  idempotency_key=f"demo-{inspection.id}-{move}-{inspection.version}")
    except DomainError:
        savepoint.rollback()
        session.refresh(inspection)
        return False
    savepoint.commit()
    return True


def _body(move: str, moment: datetime, location: dict, checks: list[int],
          failing: bool, rng: random.Random, *, order: bool = False) -> dict:
    if move == "record":
        failed = set(rng.sample(checks, k=min(len(checks), rng.randint(1, 2)))) \
            if failing else set()
        on_site = {c for c in failed if rng.random() < 0.4 and not order}
        lines = [{"check_id": c, "result": "fail" if c in failed else
                  ("na" if rng.random() < 0.05 else "pass"),
                  **({"note": "现场检查发现不符合要求"} if c in failed else {}),
                  **({"rectified_on_site": True, "rectify_note": "已当场整改"}
                     if c in on_site else {})} for c in checks]
        ordered = failed - on_site
        return {"inspected_at": moment.isoformat(), "location": location,
                "accuracy_m": round(rng.uniform(3, 25), 1), "checks": lines,
                **({"rectify_days": rng.choice((7, 15, 30))} if ordered else {})}
    if move in REASONS:
        return {"reason": REASONS[move]}
    return {}


def _days_needed(fate: tuple) -> int:
    """How long before today the inspection must be for all its fate's moves to be past."""
    name, moves, _ = fate
    delays = [DELAY[m] * (5 if name == "published_late" and m == "publish" else 1)
              for m in moves]
    return int(max(delays, default=0)) + (8 if name == "reinspected" else 0) + 2


def _inspection_moment(session: Session, inspection: Inspection, rng: random.Random,
                       days_needed: int) -> datetime | None:
    """A working day's office hour in the task's period, early enough for the fate."""
    starts, ends = session.execute(text(
        "SELECT starts_on, ends_on FROM market_task WHERE id = :id"),
        {"id": inspection.task_id}).one()
    last = min(ends, date.today() - timedelta(days=days_needed))
    if last < starts:
        last = starts
    if starts >= date.today():
        return None
    day = starts + timedelta(days=rng.randint(0, (last - starts).days))
    while day.weekday() >= 5 and day > starts:
        day -= timedelta(days=1)
    return datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), ZONE)


def _location(session: Session, inspection: Inspection) -> dict:
    """Near the entity's door: the GPS fix of an inspection made there."""
    lon, lat = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM market_entity WHERE id = :id"),
        {"id": inspection.entity_id}).one()
    return {"type": "Point", "coordinates": [round(lon + 0.00005, 6), round(lat - 0.00004, 6)]}


def _person(session: Session, people: dict, user_id: int) -> Principal:
    if user_id not in people:
        row = session.execute(text("SELECT id, username, role, scope_code FROM app_user "
                                   "WHERE id = :id"), {"id": user_id}).one()
        people[user_id] = Principal(row.id, row.username, Role(row.role), row.scope_code,
                                    grants_of(session, user_id=row.id))
    return people[user_id]


def _reviewer(session: Session, reviewers: dict, unit_id: int | None) -> Principal | None:
    """The unit's 审核人; the demo gives the position to a desk member of a market role
    who does not inspect, if nobody holds it."""
    if unit_id in reviewers:
        return reviewers[unit_id]
    row = session.execute(text(
        "SELECT m.user_id FROM membership m JOIN app_user u ON u.id = m.user_id "
        "WHERE m.unit_id = :unit AND m.is_active AND m.position IN ('reviewer', 'head') "
        "AND u.role IN ('market_inspector', 'supervisor') ORDER BY m.position DESC, m.id "
        "LIMIT 1"), {"unit": unit_id}).first()
    if row is None:
        row = session.execute(text(
            "SELECT m.user_id FROM membership m JOIN app_user u ON u.id = m.user_id "
            "WHERE m.unit_id = :unit AND m.is_active AND m.position <> 'inspector' "
            "AND u.role IN ('market_inspector', 'supervisor') ORDER BY m.id LIMIT 1"),
            {"unit": unit_id}).first()
        if row is None:
            reviewers[unit_id] = None
            return None
        session.add(Membership(user_id=row.user_id, unit_id=unit_id, position="reviewer"))
        session.flush()
    user_id = row.user_id
    reviewers[unit_id] = _person(session, {}, user_id)
    return reviewers[unit_id]
