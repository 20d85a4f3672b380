"""The demo's cases past 立案 dispatched (派遣) to teams, through the live move.

Each free team qualified for a case's matter in the case's county is sent to one open case
by `POST /cases/{id}/actions/dispatch`'s own function (enforcement/cases/flows.act_on: the
crew's 执法证, recusals, qualifications and the team's availability checked by
enforcement/teams/crews.py), so the demo shows teams busy on cases and the cases' officers
named. Runs after the teams' qualifications (the cases part loads first).
"""

import logging
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.errors import DomainError
from core.security import MembershipGrant, Principal
from core.settings import Settings
from core.users.enums import Role
from enforcement.cases import flows
from enforcement.cases.models import Case
from enforcement.teams.positions import TEAMS_SQL

log = logging.getLogger(__name__)
FAR = date(2099, 12, 31)
MOST = 40  # enough to show on the map; each dispatch is a full move


def _cases(session: Session, bounds: dict):
    """Open cases past 立案 with no team yet, with what a team must be qualified for."""
    return session.execute(text("""
        SELECT c.id, c.owner_unit_id, c.area_code, u.seat_code, u.department_code AS unit_dept,
               m.code AS matter, m.department_code AS department
        FROM enforcement_case c JOIN unit u ON u.id = c.owner_unit_id
        JOIN enforcement_matter m ON m.id = c.matter_id
        WHERE c.area_code >= :low AND c.area_code < :high AND c.filed_at IS NOT NULL
          AND c.team_id IS NULL AND c.closed_at IS NULL AND c.procedure = 'ordinary'
          AND c.state NOT IN ('closed', 'declined', 'transferred', 'public_notice')
        ORDER BY c.id"""), bounds).all()


def _free_teams(session: Session, bounds: dict) -> list:
    """Teams not busy, with the departments and matters they are qualified for."""
    return list(session.execute(text(f"""
        SELECT u.id, u.seat_code,
               coalesce(array_agg(q.department_code) FILTER (
                   WHERE q.department_code IS NOT NULL), '{{}}') AS departments,
               coalesce(array_agg(q.matter_code) FILTER (
                   WHERE q.matter_code IS NOT NULL), '{{}}') AS matters
        FROM unit u JOIN enforcement_team_qualification q ON q.team_id = u.id
        LEFT JOIN enforcement_team_state s ON s.team_id = u.id
        WHERE {TEAMS_SQL} AND u.is_active AND u.seat_code >= :low AND u.seat_code < :high
          AND (s.status IS NULL OR s.status = 'free')
        GROUP BY u.id ORDER BY u.id"""), bounds).all())


def _dispatcher(session: Session, case: Case, row, city_code: str) -> Principal:
    """The case unit's dispatcher, over the city (the team may be another township's)."""
    grant = MembershipGrant(case.owner_unit_id, "dispatcher", "enforcement", row.unit_dept,
                            (row.seat_code,), FAR)
    return Principal(case.officer_ids[0], "demo", Role.county_dispatcher, city_code, (grant,))


def _version(session: Session, team_id: int) -> int:
    return session.scalar(text("SELECT version FROM enforcement_team_state "
                               "WHERE team_id = :team"), {"team": team_id}) or 0


def dispatch_cases(session: Session, *, city_code: str, settings: Settings,
                   now: datetime) -> int:
    """Send free qualified teams of the case's county to open cases; returns how many."""
    bounds = subtree_range(city_code)
    teams, sent = _free_teams(session, bounds), 0
    for row in _cases(session, bounds):
        if sent >= MOST or not teams:
            break
        team = next((t for t in teams if t.seat_code[:6] == row.area_code[:6]
                     and (row.department in t.departments or row.matter in t.matters)), None)
        case = session.get(Case, row.id)
        if team is None or not case.officer_ids:
            continue
        fields = {"version": case.version, "reason": None, "team_id": team.id,
                  "team_version": _version(session, team.id), "officer_ids": None}
        try:
            with session.begin_nested():  # a refused move leaves nothing half-written
                flows.act_on(session, case, name="dispatch", fields=fields,
                             principal=_dispatcher(session, case, row, city_code),
                             settings=settings, now=now)
        except DomainError as refused:  # too few valid 执法证, a recusal...: the next case
            log.debug("demo dispatch of case %s to team %s refused: %s", row.id, team.id,
                      refused.code)
            continue
        teams.remove(team)
        sent += 1
    return sent
