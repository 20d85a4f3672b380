"""Moves on enforcement cases: what needs the database before the kernel's runner decides
(PREPARE: the facts the pure guards read — who holds a valid 执法证, the limitation period,
the earliest hearing day, the hearing threshold), and what a move does after (AFTER: the
statutory clocks other than the step's, recusals, reporting back to a linked incident).

Every move goes through core/workflow/runner.py (lock, version, decide, apply) in the one
transaction of the request: a refused move writes nothing.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.workflow import clocks, events, links, runner
from core.workflow.durations import last_day, parse_duration
from core.workflow.kernel import Actor
from enforcement.cases import documents, payments, rules
from enforcement.cases.case_type import ENFORCEMENT_CASE
from enforcement.cases.matters import get_matter
from enforcement.cases.models import Case, Evidence, Matter, Recusal
from enforcement.cases.schemas import ActionIn
from enforcement.cases.service import (
    amount_due,
    check_assignable,
    get_case,
    now_utc,
    parties_of,
    start_named,
    subject_of,
    valid_officers,
)
from enforcement.cases.workflow import CASE_WORKFLOW, DECISION_PAUSED, IN_PLACE

# Penalties that always carry the right to a hearing (行政处罚法第六十三条第一款第三、四项).
HEAVY_PENALTIES = frozenset({"qualification_lower", "license_revoke", "production_suspend",
                             "closure", "business_restrict", "employment_ban"})


def act(session: Session, *, case_id: int, name: str, data: ActionIn, principal: Principal,
        settings: Settings, now: datetime | None = None) -> Case:
    case = get_case(session, case_id=case_id, scope=Scope.of(principal))
    return act_on(session, case, name=name, fields=data.model_dump(), principal=principal,
                  settings=settings, now=now)


def act_on(session: Session, case: Case, *, name: str, fields: dict[str, Any],
           principal: Principal, settings: Settings, now: datetime | None = None) -> Case:
    """One move on a case in hand (loaded in scope)."""
    context = runner.Context(session, settings, now or now_utc(), principal.username)
    ENFORCEMENT_CASE.workflow.get(name)  # an unknown move is 422 before anything is read
    facts = facts_for(context, case, name, fields)
    PREPARE.get(name, _nothing)(context, case, fields, principal)
    before = case.state
    decision = runner.run(session, ENFORCEMENT_CASE, case, name, principal=principal,
                          data=_recordable(fields), expected_version=fields["version"],
                          settings=settings,
                          facts=facts, now=context.now)
    _decision_clock(context, case, before, decision.to_state)
    AFTER.get(name, _nothing)(context, case, fields, principal)
    documents.issue_for_move(context, case, name)
    session.flush()
    return case


def _nothing(*args) -> None:
    pass


def _recordable(fields: Any) -> Any:
    """The move's data as the timeline stores it (JSON): days and instants as ISO text,
    inside lists too (an instalment schedule)."""
    if isinstance(fields, dict):
        return {key: _recordable(value) for key, value in fields.items()}
    if isinstance(fields, list):
        return [_recordable(value) for value in fields]
    return fields.isoformat() if isinstance(fields, date | datetime) else fields


# --- the facts the guards read -----------------------------------------------------------

def facts_for(context: runner.Context, case: Case, name: str, fields: dict) -> dict:
    session, now = context.session, context.now
    today = now.astimezone(context.calendar.tz).date()
    facts: dict[str, Any] = {"now": now, "valid_officers": valid_officers(session, case,
                                                                          today=today),
                             "min_officers": int(rules.officers_min(session).value)}
    if name in IN_PLACE:
        facts["resume_state"] = case.state
    matter = _matter(session, case, fields)
    if matter is not None:
        facts |= {"new_matter_id": matter.id, "matter_fine_min_fen": matter.fine_min_fen,
                  "matter_fine_max_fen": matter.fine_max_fen,
                  "matter_first_offence_exempt": matter.first_offence_exempt,
                  "matter_minor_exempt": matter.minor_exempt}
    if name == "file":
        facts |= limitation(session, case, matter, today=today, tz=context.calendar.tz)
    if name == "notify":
        facts["hearing_due"] = hearing_due(session, case, fields)
    if name == "request_hearing":
        clock = clocks.running(session, subject_of(case), "step")
        facts["hearing_request_due"] = clock.due_at if clock else None
    if name == "schedule_hearing" and fields.get("hearing_at"):
        at = fields["hearing_at"]
        if at.tzinfo is None:
            raise InvalidInput("hearing_at needs a time zone", code="hearing_at_naive")
        facts |= {"hearing_earliest": context.calendar.nth_workday_after(today, 7),
                  "hearing_day": at.astimezone(context.calendar.tz).date(),
                  "hearing_at_parsed": at}
    if name == "serve" and fields.get("service_consent_id"):
        facts["service_consent"] = service_consent(session, case, fields["service_consent_id"])
    if name in ("pay", "urge"):
        facts["payment_due"] = case.payment_due_at
        owed = amount_due(session, case, now=now, calendar=context.calendar)
        # On a plan, what was paid by instalments stays counted.
        already = (case.paid_fen or 0) if case.payment_plan_id else 0
        facts["amount_due_fen"] = already + owed["total_fen"] if owed else None
    if name in PLAN_MOVES:
        facts |= payments.plan_facts(session, case, name=name, now=now,
                                     calendar=context.calendar)
    return facts


def service_consent(session: Session, case: Case, evidence_id: int) -> dict | None:
    """The 送达地址确认书 named for electronic service, when it is evidence of this case
    (another case's confirmation is not this party's consent)."""
    row = session.get(Evidence, evidence_id)
    if row is None or row.case_id != case.id:
        return None
    return {"kind": row.kind, "title": row.title, "content": row.content}


PLAN_MOVES = frozenset({"apply_payment_plan", "decide_payment_plan", "pay_instalment"})


def _matter(session: Session, case: Case, fields: dict) -> Matter | None:
    if fields.get("matter_code"):
        try:
            return get_matter(session, code=fields["matter_code"])
        except NotFound:
            raise InvalidInput(f"no matter {fields['matter_code']!r}",
                               code="matter_unknown") from None
    return session.get(Matter, case.matter_id) if case.matter_id else None


def limitation(session: Session, case: Case, matter: Matter | None, *, today, tz) -> dict:
    """行政处罚法第三十六条: 2 years from the offence (or its end), 5 where life, health or
    financial safety was harmed (the matter says so); both periods are rule rows."""
    key = "limitation_safety" if matter is not None and matter.safety_related else "limitation"
    limit = rules.rule(session, key)
    if case.offence_at is None:
        return {"limitation_expired": False, "limitation_limit": limit.value}
    offence_day = case.offence_at.astimezone(tz).date()
    end = last_day(offence_day, parse_duration(limit.value))
    return {"limitation_expired": today > end, "limitation_limit": limit.value,
            "limitation_end": end}


def hearing_due(session: Session, case: Case, fields: dict) -> bool:
    """Whether the notice must offer a hearing (行政处罚法第六十三条): a heavy penalty, or a
    fine at or above the province's 较大数额 for the kind of party (rule rows)."""
    types = set(fields.get("penalty_types") or [])
    if types & HEAVY_PENALTIES:
        return True
    fine = fields.get("fine_fen") or 0
    organisation = any(p.kind == "organisation" for p in parties_of(session, case.id))
    key = "hearing_organisation_min" if organisation else "hearing_citizen_min"
    return fine >= rules.fen_value(session, key)


# --- before ------------------------------------------------------------------------------

def _check_officers(context, case, fields, principal) -> None:
    ids = fields.get("officer_ids") or []
    if len(set(ids)) >= 2:
        today = context.now.astimezone(context.calendar.tz).date()
        check_assignable(context.session, case, sorted(set(ids)), today=today)


def _check_dispatch(context, case, fields, principal) -> None:
    """派遣 (enforcement/teams/crews.py): the team in the caller's territory, free or on this
    case, at the availability version read; the officers it sends — the dispatcher's
    choice, checked, else every member who qualifies — become the move's officer_ids.
    Whatever is refused is refused here, before anything is written."""
    session, today = context.session, context.now.astimezone(context.calendar.tz).date()
    if fields.get("team_id") is None or fields.get("team_version") is None or \
            "dispatch" not in CASE_WORKFLOW.available(runner.facts_of(case),
                                                       Actor.of(principal, today=today)):
        return  # the runner refuses it, naming why (the role, the state, the position)
    from enforcement.teams import crews

    crews.check_free(session, principal=principal, team_id=fields["team_id"],
                     version=fields["team_version"], case_id=case.id)
    crew = crews.crew(session, case=case, team_id=fields["team_id"], today=today)
    fields["officer_ids"] = crews.officers_for(crew, fields.get("officer_ids"))
    fields["previous_team_id"] = case.team_id


def _check_recusal_request(context, case, fields, principal) -> None:
    officer = fields.get("officer_id")
    if officer is not None and officer not in (case.officer_ids or []):
        raise InvalidInput(f"officer {officer} is not on this case", code="officer_not_on_case")


def _check_recusal_decision(context, case, fields, principal) -> None:
    if fields.get("recusal_id") is None:
        return
    request = context.session.get(Recusal, fields["recusal_id"])
    if request is None or request.case_id != case.id:
        raise NotFound(f"no recusal request {fields['recusal_id']} on case {case.id}",
                       code="recusal_not_found")
    if request.decision is not None:
        raise Conflict(f"recusal request {request.id} was decided already ({request.decision})",
                       code="recusal_decided")


def _check_schedule(context, case, fields, principal) -> None:
    """The schedule as JSON: each instalment a day and a whole number of fen."""
    for item in fields.get("instalments") or []:
        if not isinstance(item, dict):
            raise InvalidInput("each instalment is {due_on, amount_fen}",
                               code="instalments_required")


def _check_extension(context, case, fields, principal) -> None:
    if fields.get("extend_by"):
        parse_duration(fields["extend_by"])


PREPARE = {"assign_officers": _check_officers, "dispatch": _check_dispatch,
           "request_recusal": _check_recusal_request,
           "decide_recusal": _check_recusal_decision, "extend_verify": _check_extension,
           "extend_decision": _check_extension, "defer_payment": _check_extension,
           "apply_payment_plan": _check_schedule}


# --- after -------------------------------------------------------------------------------

def _decision_clock(context: runner.Context, case: Case, before: str, after: str) -> None:
    """The 90-day decision clock stands still in 中止, 听证 and 检测鉴定 (第六十条 as the
    provinces count it)."""
    subject = subject_of(case)
    if after in DECISION_PAUSED and before not in DECISION_PAUSED:
        clocks.pause(context.session, subject, "decision", now=context.now,
                     calendar=context.calendar)
    elif before in DECISION_PAUSED and after not in DECISION_PAUSED:
        clocks.resume(context.session, subject, "decision", now=context.now,
                      calendar=context.calendar)


def _filed(context, case, fields, principal) -> None:
    start_named(context, case, "decision")


def _extend(key: str, name: str):
    def after(context, case, fields, principal) -> None:
        rule = rules.clock_rule(context.session, key, name=name)
        if rule.extension_position and not _holds(principal, case, rule.extension_position):
            raise Forbidden(f"the extension is approved by the unit's {rule.extension_position}",
                            code="position_required")
        by = parse_duration(fields["extend_by"]) if fields.get("extend_by") else rule.extension
        if by is None:
            raise InvalidInput(f"the {name} limit may not be extended ({rule.citation})",
                               code="extension_not_allowed")
        clock = clocks.extend(context.session, subject_of(case), rule, by=by, now=context.now,
                              calendar=context.calendar,
                              warn_share=context.settings.deadline_warn_share)
        if name == "step":
            case.step_due_at, case.deadline = clock.due_at, clock.colour
    return after


def _holds(principal: Principal, case: Case, position: str) -> bool:
    return any(m.unit_id == case.owner_unit_id and m.position == position
               for m in principal.memberships)


def _decided(context, case, fields, principal) -> None:
    clocks.stop(context.session, subject_of(case), "decision", now=context.now)
    if case.outcome == "penalty":
        start_named(context, case, "publication")


def _served(context, case, fields, principal) -> None:
    clock = clocks.running(context.session, subject_of(case), "step")
    case.payment_due_at = clock.due_at if clock is not None and case.fine_fen else None
    if case.outcome == "penalty":
        start_named(context, case, "reconsideration")
        start_named(context, case, "litigation")


def _urged(context, case, fields, principal) -> None:
    start_named(context, case, "court")


def _court(context, case, fields, principal) -> None:
    clocks.stop(context.session, subject_of(case), "court", now=context.now)


def _published(context, case, fields, principal) -> None:
    clocks.stop(context.session, subject_of(case), "publication", now=context.now)


def _revoked(context, case, fields, principal) -> None:
    """A revoked decision comes off the public list within 3 working days (公示规定第十一条)."""
    if case.published_at is not None and case.withdrawn_at is None:
        start_named(context, case, "withdrawal")


def _withdrawn(context, case, fields, principal) -> None:
    clocks.stop(context.session, subject_of(case), "withdrawal", now=context.now)


def _recusal_requested(context, case, fields, principal) -> None:
    context.session.add(Recusal(case_id=case.id, officer_id=fields["officer_id"],
                                reason=fields["reason"], requested_at=context.now,
                                recorded_by=principal.username))


def _recusal_decided(context, case, fields, principal) -> None:
    """行政处罚法第四十三条第三款: the head decides; a granted request takes the officer off
    the case (the investigation does not stop meanwhile)."""
    request = context.session.get(Recusal, fields["recusal_id"])
    request.decision = "granted" if fields["granted"] else "refused"
    request.decided_by, request.decided_at = principal.username, context.now
    if fields["granted"]:
        case.officer_ids = [o for o in case.officer_ids if o != request.officer_id]


def _concluded(context, case, fields, principal) -> None:
    """A linked subject (the referred incident) hears what became of the case; a team still
    busy on it is free again."""
    from enforcement.teams import crews

    report_back(context, case)
    crews.release(context.session, case_id=case.id, actor=context.actor, now=context.now)


def report_back(context: runner.Context, case: Case) -> None:
    links.report_back(context.session, subject_of(case), actor=context.actor,
                      action="enforcement_case.closed",
                      note=f"执法案件 #{case.id} 结案（{case.title}）",
                      data={"outcome": case.outcome, "fine_fen": case.fine_fen})
    events.publish(context.session, topic=events.SUBJECT_CONCLUDED, payload={
        "subject_type": subject_of(case).type, "subject_id": case.id,
        "outcome": case.outcome})


def _deferred(context, case, fields, principal) -> None:
    """行政处罚法第六十六条第二款: payment deferred (or in instalments) on the party's
    application, approved by the head: the payment clock and the day 加处罚款 runs from."""
    _extend("payment", "step")(context, case, fields, principal)
    case.payment_due_at = case.step_due_at


def _sent(context, case, fields, principal) -> None:
    """The dispatched team made busy on the case (at the version read)."""
    from enforcement.teams import crews

    crews.send(context.session, principal=principal, case=case, team_id=fields["team_id"],
               version=fields["team_version"], previous_team_id=fields["previous_team_id"],
               now=context.now)


def _paid(context, case, fields, principal) -> None:
    payments.settled_in_full(context, case)


AFTER = {"file": _filed, "dispatch": _sent, "extend_verify": _extend("verify", "step"),
         "defer_payment": _deferred, "apply_payment_plan": payments.applied,
         "decide_payment_plan": payments.decided, "pay_instalment": payments.instalment_paid,
         "pay": _paid,
         "extend_decision": _extend("decision", "decision"), "decide": _decided,
         "serve": _served, "deem_served": _served, "urge": _urged, "apply_court": _court,
         "publish": _published, "revoke": _revoked, "withdraw_publication": _withdrawn,
         "request_recusal": _recusal_requested, "decide_recusal": _recusal_decided,
         "close": _concluded, "decline": _concluded, "police_accept": _concluded}

