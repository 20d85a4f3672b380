"""The demo city's teams at work: qualifications, rosters (白班 08:00–20:00 and 夜班
20:00–08:00, yesterday to tomorrow), members' positions near their seats, a few busy
teams, open cases dispatched to teams through 派遣 (demo_dispatch.py), joint operations in
the first county and whistles over the last ten days, answered through the whistle call's
workflow (the kernel's runner, at the moments of the past).

Deterministic for a seed; made in SQL where it is bulk (rosters, positions).
"""

import logging
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.security import Principal
from core.settings import Settings, get_settings
from core.units.positions import record_fixes_from
from core.users.enums import Role
from core.workflow.calendar_setup import zone
from enforcement.teams import operations, positions, whistles
from enforcement.teams.demo_dispatch import dispatch_cases
from enforcement.teams.positions import TEAMS_SQL

log = logging.getLogger(__name__)
SOURCE = "enforcement_demo"  # staff_position.source_type of the demo's fixes
# A township's 综合行政执法队 does 城管's work and what is devolved to townships (行政处罚法
# 第二十四条); a 中队 its department's.
TOWNSHIP_DEPARTMENTS = ("chengguan", "housing", "emergency")
SHIFTS = (("白班", time(8), timedelta(hours=12)), ("夜班", time(20), timedelta(hours=12)))
WHISTLE_MATTERS = (
    ("占道经营、油烟扰民综合整治", ("chengguan", "market", "ecology")),
    ("违法建设联合处置", ("chengguan", "housing", "natural_resources")),
    ("无证餐饮门店集中整治", ("market", "health", "chengguan")),
    ("建筑工地夜间施工噪声", ("ecology", "housing")),
    ("河道非法采砂", ("natural_resources", "transport", "agriculture")),
    ("燃气安全隐患排查", ("emergency", "housing", "market")),
)


def _system(city_code: str) -> Principal:
    return Principal(0, "demo", Role.admin, city_code)


def load_demo(session: Session, *, city_code: str, seed: int = 0, stage=None,
              settings: Settings | None = None, now: datetime | None = None, **_) -> dict:
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    bounds = subtree_range(city_code)
    if stage:
        stage("enforcement teams", 0, 4)
    counts = {"qualifications": _qualifications(session, bounds)}
    counts["duties"] = _rosters(session, bounds, today=now.astimezone(zone(settings.timezone))
                                .date(), tz=zone(settings.timezone))
    counts["fixes"] = _fixes(session, bounds, now=now)
    counts["positions"] = positions.refresh(session, now=now)
    if stage:
        stage("enforcement teams", 2, 4)
    rng = random.Random(seed)
    counts["operations"] = _operations(session, city_code=city_code, rng=rng, now=now)
    counts["busy"] = _busy(session, bounds, rng=rng, now=now)
    counts["dispatched"] = dispatch_cases(session, city_code=city_code, settings=settings,
                                          now=now)
    positions.refresh(session, now=now)  # the busy teams' copies
    counts["whistles"] = _whistles(session, city_code=city_code, rng=rng, now=now,
                                   settings=settings)
    if stage:
        stage("enforcement teams", 4, 4)
    log.info("demo enforcement teams of %s: %s", city_code, counts)
    return counts


def remove_demo(session: Session, *, city_code: str, **_) -> None:
    """Everything above, before the units and areas go."""
    bounds = subtree_range(city_code)
    session.execute(text("""
        DELETE FROM case_clock WHERE subject_type = 'whistle_call' AND subject_id IN (
            SELECT id FROM enforcement_whistle_call WHERE area_code >= :low
              AND area_code < :high)"""), bounds)
    session.execute(text("""
        DELETE FROM timeline_event WHERE subject_type = 'whistle_call' AND subject_id IN (
            SELECT id FROM enforcement_whistle_call WHERE area_code >= :low
              AND area_code < :high)"""), bounds)
    session.execute(text("DELETE FROM enforcement_whistle WHERE area_code >= :low "
                         "AND area_code < :high"), bounds)
    session.execute(text("DELETE FROM enforcement_operation WHERE area_code >= :low "
                         "AND area_code < :high"), bounds)
    session.execute(text("DELETE FROM staff_position WHERE source_type = :source"),
                    {"source": SOURCE})
    for table in ("enforcement_team_qualification", "enforcement_roster",
                  "enforcement_team_state", "enforcement_team_position"):
        session.execute(text(f"""
            DELETE FROM {table} WHERE team_id IN (SELECT id FROM unit
                WHERE seat_code >= :low AND seat_code < :high)"""), bounds)


def _qualifications(session: Session, bounds: dict) -> int:
    made = session.execute(text(f"""
        INSERT INTO enforcement_team_qualification (team_id, department_code)
        SELECT u.id, d.code FROM unit u
        JOIN department d ON d.code = u.department_code
             OR (u.kind = 'enforcement_team' AND d.code = ANY(:township))
        WHERE {TEAMS_SQL}
          AND u.seat_code >= :low AND u.seat_code < :high
        ON CONFLICT DO NOTHING"""),
        {**bounds, "township": list(TOWNSHIP_DEPARTMENTS)}).rowcount
    # Matters devolved to townships (the cases part's catalogue, when it is loaded).
    made += session.execute(text("""
        INSERT INTO enforcement_team_qualification (team_id, matter_code)
        SELECT u.id, m.code FROM unit u JOIN enforcement_matter m
             ON m.devolved_to_township AND m.active
        WHERE u.kind = 'enforcement_team' AND u.seat_code >= :low AND u.seat_code < :high
          AND NOT EXISTS (SELECT 1 FROM enforcement_team_qualification q
                          WHERE q.team_id = u.id AND q.department_code = m.department_code)
        ON CONFLICT DO NOTHING"""), bounds).rowcount
    return made


def _rosters(session: Session, bounds: dict, *, today: date, tz) -> int:
    """Every active member of every team on both shifts, yesterday to tomorrow; one team
    in seven has no night shift (off duty at night)."""
    shifts = [{"shift": name, "starts": datetime.combine(today + timedelta(days=d), at, tz),
               "ends": datetime.combine(today + timedelta(days=d), at, tz) + length,
               "night": name == "夜班"}
              for d in (-1, 0, 1) for name, at, length in SHIFTS]
    return session.execute(text(f"""
        INSERT INTO enforcement_roster (team_id, user_id, shift, starts_at, ends_at,
                                        created_by)
        SELECT u.id, m.user_id, s.shift, s.starts, s.ends, 'demo'
        FROM unit u JOIN membership m ON m.unit_id = u.id AND m.is_active
        CROSS JOIN jsonb_to_recordset(CAST(:shifts AS jsonb))
             AS s(shift text, starts timestamptz, ends timestamptz, night boolean)
        WHERE {TEAMS_SQL} AND u.is_active
          AND u.seat_code >= :low AND u.seat_code < :high
          AND NOT (s.night AND u.id % 7 = 0)
        ON CONFLICT DO NOTHING"""),
        {**bounds, "shifts": _json(shifts)}).rowcount


def _fixes(session: Session, bounds: dict, *, now: datetime) -> int:
    """Each team member a fix 100–1,500 m from the seat, 1–20 minutes old."""
    before = session.scalar(text("SELECT count(*) FROM staff_position"))
    record_fixes_from(session, f"""
        SELECT DISTINCT ON (m.user_id) m.user_id,
               ST_Project(u.location::geography,
                          100 + abs(hashtext(m.user_id::text)) % 1400,
                          radians(abs(hashtext(m.user_id::text || 'a')) % 360))::geometry,
               10.0, CAST(:now AS timestamptz)
                     - make_interval(mins => 1 + abs(hashtext(m.user_id::text || 't')) % 20),
               '{SOURCE}', NULL::bigint
        FROM unit u JOIN membership m ON m.unit_id = u.id AND m.is_active
        WHERE {TEAMS_SQL} AND u.is_active
          AND u.location IS NOT NULL AND u.seat_code >= :low AND u.seat_code < :high
        ORDER BY m.user_id, u.id""", {**bounds, "now": now})
    return session.scalar(text("SELECT count(*) FROM staff_position")) - before


def _busy(session: Session, bounds: dict, *, rng: random.Random, now: datetime) -> int:
    """One team in eight busy on one of the demo's operations."""
    operation = session.scalar(text("SELECT min(id) FROM enforcement_operation "
                                    "WHERE area_code >= :low AND area_code < :high"), bounds)
    if operation is None:
        return 0
    return session.execute(text(f"""
        INSERT INTO enforcement_team_state (team_id, status, subject_type, subject_id, since)
        SELECT u.id, 'busy', 'enforcement_operation', :operation, :now FROM unit u
        WHERE {TEAMS_SQL}
          AND u.seat_code >= :low AND u.seat_code < :high AND u.id % 8 = 3
        ON CONFLICT DO NOTHING"""), {**bounds, "operation": operation, "now": now}).rowcount


def _townships(session: Session, city_code: str) -> list[tuple[str, str, float, float]]:
    bounds = subtree_range(city_code)
    return [tuple(row) for row in session.execute(text("""
        SELECT code, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
        FROM area WHERE level = 'township' AND code >= :low AND code < :high
        ORDER BY code"""), bounds)]


def _operations(session: Session, *, city_code: str, rng: random.Random, now: datetime
                ) -> int:
    townships = _townships(session, city_code)[:4]
    plans = (("城区占道经营联合整治", "chengguan", ("market", "ecology"), "running"),
             ("校园周边食品安全联合检查", "market", ("health", "chengguan"), "planned"),
             ("建筑工地扬尘与噪声联合执法", "ecology", ("housing", "chengguan"), "finished"))
    system = _system(city_code)
    made = 0
    for (title, lead, partners, state), (code, name, lon, lat) in zip(plans, townships,
                                                                      strict=False):
        objects = [{"name": f"{name}{label}", "address": f"{name}{label}",
                    "position": [lon + rng.uniform(-0.01, 0.01), lat + rng.uniform(-0.01, 0.01)],
                    "checks": [{"department_code": d, "check": check}
                               for d in (lead, *partners)
                               for check in ("证照公示", "现场秩序")]}
                   for label in ("一号门店", "二号门店", "三号工地")]
        operation = operations.create(session, principal=system, data={
            "title": title, "description": f"{name}范围内{title}",
            "lead_department_code": lead, "lead_tasks": ["制定方案", "现场指挥", "案件办理"],
            "cooperating": [{"department_code": d, "tasks": ["派员参加", "本部门事项检查"]}
                            for d in partners],
            "area_code": code, "starts_at": now - timedelta(days=2),
            "ends_at": now + timedelta(days=5), "objects": objects})
        if state != "planned":
            first = operation["objects"][0]
            operations.visit(session, principal=system, operation_id=operation["id"],
                             object_id=first["id"], version=first["version"], now=now,
                             results=[{"department_code": c["department_code"],
                                       "check": c["check"], "result": "compliant"}
                                      for c in first["checks"]])
            operation = operations.update(session, principal=system,
                                          operation_id=operation["id"],
                                          data={"version": operation["version"],
                                                "state": "running"})
        if state == "finished":
            operations.update(session, principal=system, operation_id=operation["id"],
                              data={"version": operation["version"], "state": "finished"})
        made += 1
    return made


def _whistles(session: Session, *, city_code: str, rng: random.Random, now: datetime,
              settings: Settings) -> int:
    """A dozen whistles over the last ten days; most calls answered (some late), a few
    left open (their clocks run out: red at the next sweep)."""
    townships = _townships(session, city_code)
    if not townships:
        return 0
    system = _system(city_code)
    made = 0
    for n in range(12):
        code, name, lon, lat = townships[rng.randrange(len(townships))]
        matter, departments = WHISTLE_MATTERS[n % len(WHISTLE_MATTERS)]
        blown_at = now - timedelta(days=10 - n * 0.8, hours=rng.uniform(0, 4))
        whistle = whistles.blow(
            session, principal=system, settings=settings, now=blown_at, matter=matter,
            matter_code=None, departments=list(departments),
            lon=lon + rng.uniform(-0.002, 0.002), lat=lat + rng.uniform(-0.002, 0.002),
            address=f"{name}", description=f"{name}吹哨：{matter}",
            urgency="urgent" if n % 4 == 0 else "normal", operation_id=None)
        made += 1
        if n >= 10:
            continue  # the newest stay open
        for call in session.execute(text("SELECT id FROM enforcement_whistle_call "
                                         "WHERE whistle_id = :id ORDER BY id"),
                                    {"id": whistle.id}).scalars():
            _answer(session, system, settings, whistle.id, call, start=blown_at, rng=rng)
    return made


def _answer(session: Session, system: Principal, settings: Settings, whistle_id: int,
            call_id: int, *, start: datetime, rng: random.Random) -> None:
    responded = start + timedelta(minutes=rng.randint(3, 45))
    arrived = responded + timedelta(minutes=rng.randint(15, 300))
    acted = arrived + timedelta(hours=rng.uniform(1, 30))
    for name, at, data in (("respond", responded, {}), ("arrive", arrived, {}),
                           ("act", acted, {"result": "已到场处置，责令整改"}),
                           ("close", acted + timedelta(hours=2), {})):
        version = session.scalar(text("SELECT version FROM enforcement_whistle_call "
                                      "WHERE id = :id"), {"id": call_id})
        whistles.act(session, principal=system, settings=settings, whistle_id=whistle_id,
                     call_id=call_id, name=name, data={**data, "version": version}, now=at)


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)
