"""派遣's crew (issue 13 §8, 行政处罚法第四十二条): which members of a team may be named the
officers of a case, and the dispatcher's choice checked against that.

A member qualifies when he is an active member of the team holding a 执法证 valid today,
the team is qualified for the case's matter (its department's work, or the matter itself:
enforcement_team_qualification, as the nearest-team search reads it), and he is not barred
from the case (a declared conflict with a party, a granted recusal: 第四十三条). The team
sends at least `officers_min` of them (the rule row, 第四十二条: 执法人员不得少于两人):
by default every one who qualifies, else those the dispatcher chose. A refusal is raised
before anything is written (the 派遣 move's PREPARE, enforcement/cases/flows.py).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, InvalidInput
from core.scope import Scope
from core.security import Principal
from enforcement.cases import rules
from enforcement.cases.models import Case, Matter
from enforcement.cases.service import barred_officers, get_case
from enforcement.teams import positions, service

SUBJECT = "enforcement_case"
WHY_WORDS = {"credential_missing": "无执法证", "credential_expired": "执法证已过期",
             "declared_conflict": "与当事人有利害关系", "recused": "已回避",
             "team_not_qualified": "队伍不具备该事项资格"}


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    positions: tuple[str, ...]
    credential_expires_on: date | None
    why_not: str | None  # None: he qualifies (see WHY_WORDS)

    @property
    def qualifies(self) -> bool:
        return self.why_not is None


@dataclass(frozen=True)
class Crew:
    team_id: int
    department_code: str | None  # the case's matter's (None: no matter named yet)
    team_qualified: bool
    least: int
    citation: str
    members: tuple[Member, ...]

    @property
    def default(self) -> list[int]:
        return [m.user_id for m in self.members if m.qualifies]


def _matter(session: Session, case: Case) -> Matter | None:
    return session.get(Matter, case.matter_id) if case.matter_id else None


def team_qualified(session: Session, *, team_id: int, matter: Matter | None) -> bool:
    """The team may do the matter's work: its department's, or the matter named (no matter
    yet, before 立案: any team)."""
    if matter is None:
        return True
    return bool(session.scalar(text("""
        SELECT EXISTS (SELECT 1 FROM enforcement_team_qualification q
                       WHERE q.team_id = :team
                         AND (q.department_code = :department OR q.matter_code = :matter))"""),
        {"team": team_id, "department": matter.department_code, "matter": matter.code}))


def _members(session: Session, team_id: int):
    """The team's active members, a person once, with the latest expiry of his 执法证 in it."""
    return session.execute(text("""
        SELECT m.user_id, COALESCE(NULLIF(a.full_name, ''), a.username) AS name,
               array_agg(DISTINCT m.position ORDER BY m.position) AS positions,
               max(m.credential_expires_on) FILTER (
                   WHERE m.credential_number IS NOT NULL) AS expires
        FROM membership m JOIN app_user a ON a.id = m.user_id AND a.is_active
        WHERE m.unit_id = :team AND m.is_active
        GROUP BY m.user_id, a.full_name, a.username ORDER BY m.user_id"""),
        {"team": team_id}).all()


def _why_not(expires: date | None, barred: str | None, *, today: date,
             qualified: bool) -> str | None:
    if expires is None:
        return "credential_missing"
    if expires < today:
        return "credential_expired"
    if barred is not None:
        return barred
    return None if qualified else "team_not_qualified"


def crew(session: Session, *, case: Case, team_id: int, today: date) -> Crew:
    """The team's members and whether each may be named on the case (the team is read in
    the caller's territory first: service.get_team_exists or lock_team)."""
    matter = _matter(session, case)
    qualified = team_qualified(session, team_id=team_id, matter=matter)
    rows = _members(session, team_id)
    barred = barred_officers(session, case, [row.user_id for row in rows])
    least = rules.officers_min(session)
    members = tuple(Member(row.user_id, row.name, tuple(row.positions), row.expires,
                           _why_not(row.expires, barred.get(row.user_id), today=today,
                                    qualified=qualified))
                    for row in rows)
    return Crew(team_id, matter.department_code if matter else None, qualified,
                int(least.value), least.citation, members)


def officers_for(crew_: Crew, chosen: list[int] | None) -> list[int]:
    """The officers the team sends: the dispatcher's choice, checked, or every member who
    qualifies; fewer than the least → 422 (nothing is written)."""
    if not crew_.team_qualified:
        raise InvalidInput(f"the team is not qualified for the case's matter (department "
                           f"{crew_.department_code})", code="team_not_qualified",
                           team_id=crew_.team_id, department_code=crew_.department_code)
    if not chosen:
        default = crew_.default
        if len(default) < crew_.least:
            raise InvalidInput(
                f"the team has {len(default)} members with a valid 执法证 who may act on "
                f"this case; 派遣 needs at least {crew_.least} ({crew_.citation})",
                code="team_too_few_officers", team_id=crew_.team_id, qualified=default,
                least=crew_.least, citation=crew_.citation)
        return default
    return _checked(crew_, sorted(set(chosen)))


def _checked(crew_: Crew, chosen: list[int]) -> list[int]:
    if len(chosen) < crew_.least:
        raise InvalidInput(f"name at least {crew_.least} officers: officer_ids "
                           f"({crew_.citation})", code="two_officers_required",
                           least=crew_.least)
    by_id = {member.user_id: member for member in crew_.members}
    strangers = [user for user in chosen if user not in by_id]
    if strangers:
        raise InvalidInput(f"not active members of team {crew_.team_id}: {strangers}",
                           code="officer_not_in_team", officer_ids=strangers)
    for user in chosen:
        why = by_id[user].why_not
        if why in ("declared_conflict", "recused"):
            raise Conflict(f"officer {user} may not act on this case: {WHY_WORDS[why]} "
                           "(行政处罚法第四十三条)", code="officer_recused", officer_id=user,
                           cause=why)
        if why is not None:
            raise InvalidInput(f"officer {user} may not be sent: {WHY_WORDS[why]} "
                               "(行政处罚法第四十二条)", code="officer_credential_invalid",
                               officer_id=user, cause=why,
                               expires_on=by_id[user].credential_expires_on)
    return chosen


# --- the team's availability -------------------------------------------------------------

def check_free(session: Session, *, principal: Principal, team_id: int, version: int,
               case_id: int) -> None:
    """The team, locked in the caller's territory (404 outside it): its availability is the
    version read (else 409 stale_version), and it is not busy with another subject (409)."""
    service.lock_team(session, principal=principal, team_id=team_id)
    row = session.execute(text("SELECT status, subject_type, subject_id, version "
                               "FROM enforcement_team_state WHERE team_id = :team"),
                          {"team": team_id}).first()
    current = row.version if row else 0
    if current != version:
        raise Conflict(f"the team's availability changed since you read it (version "
                       f"{current})", code="stale_version", current_version=current)
    if row and row.status == "busy" and (row.subject_type, row.subject_id) != (SUBJECT,
                                                                               case_id):
        raise Conflict(f"the team is busy with {row.subject_type} {row.subject_id}",
                       code="team_busy", busy_with={"subject_type": row.subject_type,
                                                    "subject_id": row.subject_id})


def send(session: Session, *, principal: Principal, case: Case, team_id: int, version: int,
         previous_team_id: int | None, now: datetime) -> None:
    """The team made busy on the case; a team sent to it before, still busy on it, is
    freed (the case has one team at a time)."""
    service.set_availability(session, principal=principal, team_id=team_id, status="busy",
                             version=version, subject_type=SUBJECT, subject_id=case.id,
                             now=now)
    if previous_team_id is not None and previous_team_id != team_id:
        release(session, case_id=case.id, team_id=previous_team_id, actor=principal.username,
                now=now)


def release(session: Session, *, case_id: int, actor: str, now: datetime,
            team_id: int | None = None) -> list[int]:
    """Free the teams (or `team_id`) still busy on the case: it was sent elsewhere, or it
    ended (结案, 不予立案, 移送). Returns the teams freed."""
    freed = list(session.scalars(text(f"""
        UPDATE enforcement_team_state SET status = 'free', subject_type = NULL,
               subject_id = NULL, since = :now, version = version + 1
        WHERE status = 'busy' AND subject_type = :type AND subject_id = :case
          {"AND team_id = :team" if team_id is not None else ""}
        RETURNING team_id"""),
        {"now": now, "type": SUBJECT, "case": case_id, "team": team_id}))
    if freed:
        positions.refresh(session, now=now, team_ids=freed)
        for team in freed:
            audit.record(session, actor=actor, action="team.availability",
                         subject_type="unit", subject_id=team,
                         after={"status": "free", "released_from": case_id})
    return freed


def crew_of(session: Session, *, principal: Principal, team_id: int, case_id: int,
            today: date) -> dict:
    """`GET /teams/{id}/crew?case=`: who the team would send to the case (the console's
    派遣 form), with why each one who may not be sent may not."""
    service.get_team_exists(session, principal=principal, team_id=team_id)
    case = get_case(session, case_id=case_id, scope=Scope.of(principal))
    return crew_out(crew(session, case=case, team_id=team_id, today=today))


def crew_out(crew_: Crew) -> dict:
    return {"team_id": crew_.team_id, "department_code": crew_.department_code,
            "team_qualified": crew_.team_qualified, "least": crew_.least,
            "citation": crew_.citation, "default": crew_.default,
            "members": [{"user_id": m.user_id, "name": m.name, "positions": list(m.positions),
                         "credential_expires_on": m.credential_expires_on,
                         "qualifies": m.qualifies, "why_not": m.why_not,
                         "why_not_label": WHY_WORDS.get(m.why_not) if m.why_not else None}
                        for m in crew_.members]}
