"""Teams (issue §8): listing with positions and duty, qualifications, rosters,
availability, and the nearest qualified team. Keyword-only functions, no FastAPI.

A team is a unit of kind 执法中队 or 乡镇综合行政执法队 (core/units), seen when its seat
or its jurisdiction lies in the caller's territory (else 404). Edits lock the team's unit
row first (`FOR UPDATE`), so two dispatchers editing one team's roster queue, and
availability carries a version (stale: 409).
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from enforcement.teams import dispatch, positions
from enforcement.teams.models import TEAM_STATUSES
from enforcement.teams.positions import ON_DUTY_SQL, TEAMS_SQL

MAX_SHIFT = timedelta(hours=24)  # one roster row covers at most a day and a night


def _point(lon: float | None, lat: float | None) -> dict | None:
    return None if lon is None else {"type": "Point", "coordinates": [lon, lat]}


_TEAM_COLUMNS = f"""
    u.id, u.code, u.name, u.kind, u.department_code, u.seat_code,
    COALESCE(ST_X(tp.geom), ST_X(u.location)) AS lon,
    COALESCE(ST_Y(tp.geom), ST_Y(u.location)) AS lat,
    COALESCE(tp.source, 'seat') AS source, tp.fix_at,
    {ON_DUTY_SQL.format(team='u.id')} AS on_duty,
    (SELECT count(DISTINCT r.user_id) FROM enforcement_roster r WHERE r.team_id = u.id
       AND r.ends_at > :now AND r.starts_at <= :now) AS on_duty_members,
    COALESCE(s.status, 'free') AS status, s.subject_type, s.subject_id,
    COALESCE(s.version, 0) AS status_version,
    ARRAY(SELECT q.department_code FROM enforcement_team_qualification q
          WHERE q.team_id = u.id AND q.department_code IS NOT NULL
          ORDER BY q.department_code) AS departments,
    ARRAY(SELECT q.matter_code FROM enforcement_team_qualification q
          WHERE q.team_id = u.id AND q.matter_code IS NOT NULL
          ORDER BY q.matter_code) AS matters"""
_TEAM_FROM = """unit u
    LEFT JOIN enforcement_team_position tp ON tp.team_id = u.id
    LEFT JOIN enforcement_team_state s ON s.team_id = u.id"""


def _team_dict(row) -> dict:
    return {"id": row.id, "code": row.code, "name": row.name, "kind": row.kind,
            "department_code": row.department_code, "seat_code": row.seat_code,
            "position": _point(row.lon, row.lat), "position_source": row.source,
            "position_at": row.fix_at, "on_duty": row.on_duty,
            "on_duty_members": row.on_duty_members, "status": row.status,
            "busy_with": ({"subject_type": row.subject_type, "subject_id": row.subject_id}
                          if row.status == "busy" and row.subject_type else None),
            "status_version": row.status_version,
            "qualifications": {"departments": list(row.departments),
                               "matters": list(row.matters)}}


def list_teams(session: Session, *, principal: Principal, now: datetime,
               department: str | None = None, on_duty: bool | None = None,
               limit: int = 100, offset: int = 0) -> tuple[int, list[dict]]:
    """Teams of the territory, by code: position, duty, availability, qualifications."""
    scope = Scope.of(principal)
    conditions = [TEAMS_SQL, "u.is_active", dispatch.team_scope(scope)]
    if department is not None:
        conditions.append("u.department_code = :department")
    if on_duty is not None:
        conditions.append(f"{ON_DUTY_SQL.format(team='u.id')} = :on_duty")
    where = " AND ".join(conditions)
    params = {"now": now, "department": department, "on_duty": on_duty, **scope.params}
    total = session.scalar(text(f"SELECT count(*) FROM unit u WHERE {where}"), params)
    rows = session.execute(text(f"""
        SELECT {_TEAM_COLUMNS} FROM {_TEAM_FROM} WHERE {where}
        ORDER BY u.code LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).all()
    return total, [_team_dict(row) for row in rows]


def get_team(session: Session, *, principal: Principal, team_id: int, now: datetime
             ) -> dict:
    scope = Scope.of(principal)
    row = session.execute(text(f"""
        SELECT {_TEAM_COLUMNS} FROM {_TEAM_FROM}
        WHERE u.id = :team AND {TEAMS_SQL} AND {dispatch.team_scope(scope)}"""),
        {"team": team_id, "now": now, **scope.params}).first()
    if row is None:
        raise NotFound(f"no team {team_id} in your territory", code="team_not_found")
    return _team_dict(row)


def lock_team(session: Session, *, principal: Principal, team_id: int) -> None:
    """The team's unit row, locked for an edit (404 outside the territory)."""
    scope = Scope.of(principal)
    found = session.scalar(text(f"""
        SELECT u.id FROM unit u WHERE u.id = :team AND {TEAMS_SQL} AND u.is_active
          AND {dispatch.team_scope(scope)} FOR UPDATE OF u"""),
        {"team": team_id, **scope.params})
    if found is None:
        raise NotFound(f"no team {team_id} in your territory", code="team_not_found")


# --- qualifications ----------------------------------------------------------------------

def set_qualifications(session: Session, *, principal: Principal, team_id: int,
                       departments: list[str], matters: list[str]) -> dict:
    """Replace what work the team may do: whole departments and single matters."""
    lock_team(session, principal=principal, team_id=team_id)
    departments, matters = sorted(set(departments)), sorted(set(matters))
    _check_known(session, "department", "code", departments, "unknown_department")
    _check_known(session, "enforcement_matter", "code", matters, "unknown_matter")
    before = _qualifications(session, team_id)
    session.execute(text("DELETE FROM enforcement_team_qualification WHERE team_id = :team"),
                    {"team": team_id})
    session.execute(text("""
        INSERT INTO enforcement_team_qualification (team_id, department_code, matter_code)
        SELECT :team, d, NULL FROM unnest(CAST(:departments AS text[])) d
        UNION ALL SELECT :team, NULL, m FROM unnest(CAST(:matters AS text[])) m"""),
        {"team": team_id, "departments": departments, "matters": matters})
    after = {"departments": departments, "matters": matters}
    positions.refresh(session, now=datetime.now(UTC), team_ids=[team_id])
    audit.record(session, actor=principal.username, action="team.qualifications",
                 subject_type="unit", subject_id=team_id, before=before, after=after)
    return after


def _qualifications(session: Session, team_id: int) -> dict:
    rows = session.execute(text("SELECT department_code, matter_code FROM "
                                "enforcement_team_qualification WHERE team_id = :team"),
                           {"team": team_id}).all()
    return {"departments": sorted(d for d, _ in rows if d),
            "matters": sorted(m for _, m in rows if m)}


def _check_known(session: Session, table: str, column: str, values: list[str],
                 code: str) -> None:
    if not values:
        return
    known = set(session.scalars(text(f"SELECT {column} FROM {table} "
                                     f"WHERE {column} = ANY(:values)"), {"values": values}))
    unknown = [value for value in values if value not in known]
    if unknown:
        raise InvalidInput(f"unknown {table.replace('enforcement_', '')} codes: "
                           f"{', '.join(unknown)}", code=code, unknown=unknown)


# --- rosters -----------------------------------------------------------------------------

def roster(session: Session, *, principal: Principal, team_id: int, day: date,
           tz) -> list[dict]:
    """The shifts that touch `day` (local), with who is on duty in each."""
    get_team_exists(session, principal=principal, team_id=team_id)
    start = datetime.combine(day, time(), tz)
    rows = session.execute(text("""
        SELECT r.shift, r.starts_at, r.ends_at, r.user_id, a.full_name, a.username
        FROM enforcement_roster r JOIN app_user a ON a.id = r.user_id
        WHERE r.team_id = :team AND r.ends_at > :start AND r.starts_at < :end
        ORDER BY r.starts_at, r.shift, r.user_id"""),
        {"team": team_id, "start": start, "end": start + timedelta(days=1)}).all()
    shifts: dict[tuple, dict] = {}
    for row in rows:
        shift = shifts.setdefault((row.shift, row.starts_at, row.ends_at), {
            "shift": row.shift, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "members": []})
        shift["members"].append({"user_id": row.user_id,
                                 "name": row.full_name or row.username})
    return list(shifts.values())


def get_team_exists(session: Session, *, principal: Principal, team_id: int) -> None:
    scope = Scope.of(principal)
    if session.scalar(text(f"SELECT u.id FROM unit u WHERE u.id = :team AND {TEAMS_SQL} "
                           f"AND {dispatch.team_scope(scope)}"),
                      {"team": team_id, **scope.params}) is None:
        raise NotFound(f"no team {team_id} in your territory", code="team_not_found")


def set_roster(session: Session, *, principal: Principal, team_id: int, day: date, tz,
               shifts: list[dict], now: datetime) -> list[dict]:
    """Replace the shifts starting on `day` (local): each a name, its start and end, and
    the team's active members on duty. Then the team's position is refreshed."""
    lock_team(session, principal=principal, team_id=team_id)
    start = datetime.combine(day, time(), tz)
    rows = _roster_rows(session, team_id=team_id, start=start, shifts=shifts)
    session.execute(text("DELETE FROM enforcement_roster WHERE team_id = :team "
                         "AND starts_at >= :start AND starts_at < :end"),
                    {"team": team_id, "start": start, "end": start + timedelta(days=1)})
    if rows:
        session.execute(text("""
            INSERT INTO enforcement_roster (team_id, user_id, shift, starts_at, ends_at,
                                            created_by)
            VALUES (:team, :user, :shift, :starts_at, :ends_at, :by)"""),
            [{**row, "team": team_id, "by": principal.username} for row in rows])
    positions.refresh(session, now=now, team_ids=[team_id])
    audit.record(session, actor=principal.username, action="team.roster",
                 subject_type="unit", subject_id=team_id,
                 after={"day": day.isoformat(), "shifts": len(shifts), "duties": len(rows)})
    return roster(session, principal=principal, team_id=team_id, day=day, tz=tz)


def _roster_rows(session: Session, *, team_id: int, start: datetime, shifts: list[dict]
                 ) -> list[dict]:
    members = set(session.scalars(text(
        "SELECT user_id FROM membership WHERE unit_id = :team AND is_active"),
        {"team": team_id}))
    rows, seen = [], set()
    for shift in shifts:
        begins, ends = shift["starts_at"], shift["ends_at"]
        if not start <= begins < start + timedelta(days=1):
            raise InvalidInput(f"shift {shift['shift']!r} does not start on the roster's day",
                               code="shift_outside_day")
        if not begins < ends <= begins + MAX_SHIFT:
            raise InvalidInput(f"shift {shift['shift']!r} must end after it starts, within "
                               f"{MAX_SHIFT.total_seconds() / 3600:.0f} hours",
                               code="shift_bounds")
        strangers = sorted(set(shift["user_ids"]) - members)
        if strangers:
            raise InvalidInput(f"not active members of the team: {strangers}",
                               code="not_a_member", users=strangers)
        for user in sorted(set(shift["user_ids"])):
            if (user, begins) in seen:
                raise InvalidInput(f"user {user} is twice in shifts starting at "
                                   f"{begins.isoformat()}", code="duplicate_duty")
            seen.add((user, begins))
            rows.append({"user": user, "shift": shift["shift"], "starts_at": begins,
                         "ends_at": ends})
    return rows


# --- availability ------------------------------------------------------------------------

def set_availability(session: Session, *, principal: Principal, team_id: int, status: str,
                     version: int, subject_type: str | None, subject_id: int | None,
                     now: datetime) -> dict:
    """Free or busy (on a subject). `version` is the `status_version` read (0: never set);
    another edit in between: 409 stale_version."""
    if status not in TEAM_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(TEAM_STATUSES)}",
                           code="unknown_status")
    if status == "busy" and (subject_type is None or subject_id is None):
        raise InvalidInput("a busy team is busy with a subject: give subject_type and "
                           "subject_id", code="subject_required")
    lock_team(session, principal=principal, team_id=team_id)
    current = session.scalar(text("SELECT version FROM enforcement_team_state "
                                  "WHERE team_id = :team"), {"team": team_id}) or 0
    if current != version:
        raise Conflict(f"the team's availability changed since you read it (version "
                       f"{current})", code="stale_version", current_version=current)
    busy = status == "busy"
    session.execute(text("""
        INSERT INTO enforcement_team_state (team_id, status, subject_type, subject_id, since,
                                            version)
        VALUES (:team, :status, :type, :id, :now, 1)
        ON CONFLICT (team_id) DO UPDATE SET status = EXCLUDED.status,
            subject_type = EXCLUDED.subject_type, subject_id = EXCLUDED.subject_id,
            since = EXCLUDED.since, version = enforcement_team_state.version + 1"""),
        {"team": team_id, "status": status, "type": subject_type if busy else None,
         "id": subject_id if busy else None, "now": now})
    positions.refresh(session, now=now, team_ids=[team_id])
    audit.record(session, actor=principal.username, action="team.availability",
                 subject_type="unit", subject_id=team_id,
                 after={"status": status, "subject_type": subject_type,
                        "subject_id": subject_id})
    return get_team(session, principal=principal, team_id=team_id, now=now)


# --- the nearest team --------------------------------------------------------------------

def nearest_teams(session: Session, *, principal: Principal, lon: float, lat: float,
                  matter: str | None, case_id: int | None, limit: int, include_busy: bool,
                  now: datetime) -> dict:
    """Teams in order of distance from (lon, lat); see enforcement/teams/dispatch.py."""
    scope = Scope.of(principal)
    if case_id is not None:
        case_matter = dispatch.case_matter(session, case_id=case_id, scope=scope)
        matter = matter or case_matter
    recused = dispatch.recused_team_ids(session, case_id=case_id)
    wanted, found = dispatch.nearest_for(session, scope=scope, lon=lon, lat=lat, matter=matter,
                                         recused=recused, now=now, limit=limit,
                                         include_busy=include_busy)
    return {"point": _point(lon, lat), "matter": wanted.matter_code,
            "department_code": wanted.department_code, "case": case_id,
            "recused": recused,
            "items": [{"team_id": n.team_id, "name": n.name,
                       "distance_m": round(n.distance_m, 2),
                       "position": _point(n.lon, n.lat), "position_source": n.source,
                       "position_at": n.fix_at} for n in found]}
