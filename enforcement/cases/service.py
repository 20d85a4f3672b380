"""Enforcement cases: opening (线索登记, 当场处罚, from a referral), reading in scope, and
the shapes the API returns. Keyword-only functions on a sync session; they flush, the edge
commits. The moves are in enforcement/cases/flows.py.
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.idnumbers import id_number_problem, mask_id_number, mask_phone, phone_problem
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.units.models import Unit
from core.uscc import uscc_problem
from core.workflow import clocks, runner
from core.workflow.clocks import Subject
from core.workflow.handoffs import covers
from core.workflow.kernel import Actor
from enforcement.cases import rules
from enforcement.cases.case_type import ENFORCEMENT_CASE, SUBJECT
from enforcement.cases.matters import get_matter
from enforcement.cases.models import Case, DeclaredConflict, Evidence, Party, Recusal
from enforcement.cases.schemas import CaseIn, PartyIn
from enforcement.cases.workflow import CLOCK_STOPS, LABELS

CLOCK_LABELS = {"step": "本环节时限", "decision": "作出处罚决定", "publication": "处罚决定公示",
                "withdrawal": "撤回公示", "reconsideration": "申请行政复议",
                "litigation": "提起行政诉讼", "court": "申请法院强制执行"}
EVIDENCE_LABELS = {"documentary": "书证", "physical": "物证", "audiovisual": "视听资料",
                   "electronic": "电子数据", "witness": "证人证言", "statement": "当事人陈述",
                   "expert_opinion": "鉴定意见", "inspection_record": "勘验笔录、现场笔录"}


def now_utc() -> datetime:
    return datetime.now(UTC)


def subject_of(case: Case) -> Subject:
    return Subject(SUBJECT, case.id)


# --- scope -------------------------------------------------------------------------------

def scope_condition(scope: Scope):
    return scope.column_condition(Case.area_code)


def get_case(session: Session, *, case_id: int, scope: Scope) -> Case:
    case = session.scalar(select(Case).where(Case.id == case_id, scope_condition(scope)))
    if case is None:
        raise NotFound(f"no enforcement case {case_id} in your territory",
                       code="case_not_found")
    return case


# --- parties -----------------------------------------------------------------------------

def check_party(party: PartyIn) -> dict[str, Any]:
    """A citizen's ID number (GB 11643) or an organisation's 统一社会信用代码 (GB 32100),
    checked; the phone too. 422 names the field and the fault."""
    values = party.model_dump()
    if party.kind == "citizen":
        problem = id_number_problem(party.id_number or "") if party.id_number else \
            "a citizen party needs id_number"
        if problem:
            raise InvalidInput(f"party {party.name}: {problem}", code="party_id_invalid")
        values["id_number"], values["uscc"] = party.id_number.strip().upper(), None
    else:
        problem = uscc_problem(party.uscc or "") if party.uscc else \
            "an organisation party needs uscc (统一社会信用代码)"
        if problem:
            raise InvalidInput(f"party {party.name}: {problem}", code="party_uscc_invalid")
        values["uscc"], values["id_number"] = party.uscc.strip().upper(), None
    if party.phone and phone_problem(party.phone):
        raise InvalidInput(f"party {party.name}: {phone_problem(party.phone)}",
                           code="party_phone_invalid")
    return values


def party_dict(party: Party, *, unmasked: bool) -> dict:
    show = (lambda v: v) if unmasked else mask_id_number
    return {"id": party.id, "kind": party.kind, "name": party.name,
            "id_number": show(party.id_number) if party.id_number else None,
            "uscc": party.uscc, "representative": party.representative,
            "address": party.address,
            "phone": party.phone if unmasked else mask_phone(party.phone)}


def parties_of(session: Session, case_id: int) -> list[Party]:
    return list(session.scalars(select(Party).where(Party.case_id == case_id)
                                .order_by(Party.id)))


def party_keys(session: Session, case_id: int) -> list[str]:
    return [p.id_number or p.uscc for p in parties_of(session, case_id)]


# --- officers: 执法证 and 回避 -------------------------------------------------------------

def case_units(case: Case) -> list[int]:
    """The units whose 执法证 count on the case: its own, and the team sent by 派遣."""
    return [unit for unit in (case.owner_unit_id, case.team_id) if unit is not None]


def credentialed_on(session: Session, case: Case, officer_ids: list[int], *,
                    today: date) -> set[int]:
    """Who of `officer_ids` holds a 执法证 valid `today` in one of the case's units."""
    return set(session.scalars(text("""
        SELECT DISTINCT user_id FROM membership
        WHERE unit_id = ANY(:units) AND user_id = ANY(:ids) AND is_active
          AND credential_number IS NOT NULL
          AND credential_expires_on IS NOT NULL AND credential_expires_on >= :today"""),
        {"units": case_units(case), "ids": officer_ids, "today": today}))


def valid_officers(session: Session, case: Case, *, today: date,
                   parties: list[Party] | None = None) -> list[int]:
    """The case's officers who hold a valid 执法证 in its unit (or its dispatched team)
    today and have not been withdrawn (a granted recusal, a declared conflict with one of
    its parties)."""
    if not case.officer_ids:
        return []
    credentialed = credentialed_on(session, case, list(case.officer_ids), today=today)
    barred = barred_officers(session, case, list(case.officer_ids), parties=parties)
    return [officer for officer in case.officer_ids
            if officer in credentialed and officer not in barred]


def barred_officers(session: Session, case: Case, officer_ids: list[int], *,
                    parties: list[Party] | None = None) -> dict[int, str]:
    """Officers who may not act on this case, and why (行政处罚法第四十三条)."""
    barred: dict[int, str] = {}
    keys = ([p.id_number or p.uscc for p in parties] if parties is not None
            else party_keys(session, case.id))
    if keys and officer_ids:
        for user_id in session.scalars(select(DeclaredConflict.user_id).where(
                DeclaredConflict.user_id.in_(officer_ids),
                DeclaredConflict.party_key.in_(keys))):
            barred[user_id] = "declared_conflict"
    for user_id in session.scalars(select(Recusal.officer_id).where(
            Recusal.case_id == case.id, Recusal.decision == "granted")):
        barred[user_id] = "recused"
    return barred


def check_assignable(session: Session, case: Case, officer_ids: list[int], *,
                     today: date) -> None:
    """Each named officer is a member of the case's unit (or its dispatched team) with a
    valid 执法证 and no declared conflict with a party: else 409 naming him."""
    barred = barred_officers(session, case, officer_ids)
    if barred:
        officer, why = next(iter(barred.items()))
        cause = ("a declared conflict with a party" if why == "declared_conflict"
                 else "withdrawn (回避)")
        raise Conflict(f"officer {officer} may not act on this case: {cause} "
                       "(行政处罚法第四十三条)", code="officer_recused", officer_id=officer,
                       cause=why)
    credentialed = credentialed_on(session, case, officer_ids, today=today)
    missing = [o for o in officer_ids if o not in credentialed]
    if missing:
        raise Conflict(f"officers {missing} hold no valid 执法证 in the case's units "
                       "(行政处罚法第四十二条)", code="credential_required",
                       officer_ids=missing)


# --- opening -----------------------------------------------------------------------------

def _check_unit(session: Session, principal: Principal, unit_id: int, area_code: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.is_active or unit.platform != "enforcement":
        raise InvalidInput(f"no active enforcement unit {unit_id}", code="unit_unknown")
    if unit_id not in principal.unit_ids:
        raise Forbidden(f"you hold no position in unit {unit.name}", code="not_a_member")
    if not covers(session, unit.id, area_code):
        raise InvalidInput(f"unit {unit.name} does not cover area {area_code}",
                           code="area_outside_unit")
    return unit


def open_case(session: Session, *, principal: Principal, data: CaseIn, settings: Settings,
              idempotency_key: str | None = None, now: datetime | None = None
              ) -> tuple[Case, bool]:
    """线索登记 (ordinary: the 核查 clock starts) or 当场处罚 (simple: checked against the
    ceilings of 行政处罚法第五十一条, decided and served on the spot). Returns the case and
    whether it was a replay of the same Idempotency-Key."""
    now = now or now_utc()
    # The unit is checked before a replay is looked up: a key replayed by someone who
    # holds no position in the unit must not hand him the unit's case.
    unit = _check_unit(session, principal, data.unit_id, data.area_code)
    if idempotency_key:
        found = session.scalar(select(Case).where(Case.owner_unit_id == data.unit_id,
                                                  Case.idempotency_key == idempotency_key))
        if found is not None:
            return found, True
    parties = [check_party(p) for p in data.parties]
    matter = get_matter(session, code=data.matter_code) if data.matter_code else None
    if data.procedure == "simple":
        values = _simple(session, data, parties, principal, now)
    else:
        if data.penalty is not None:
            raise InvalidInput("a penalty is given on the simple procedure only",
                               code="penalty_on_simple_only")
        values = {"state": "clue"}
    case = Case(procedure=data.procedure, version=1, owner_unit_id=unit.id,
                owner_code=unit.seat_code, owner_platform="enforcement",
                area_code=data.area_code, address=data.address, source=data.source,
                matter_id=matter.id if matter else None, title=data.title, facts=data.facts,
                idempotency_key=idempotency_key, offence_at=data.offence_at,
                officer_ids=sorted(set(data.officer_ids)), opened_at=now,
                geom=(f"SRID=4326;POINT({data.location.coordinates[0]} "
                      f"{data.location.coordinates[1]})" if data.location else None),
                **values)
    session.add(case)
    session.flush()
    for party in parties:
        session.add(Party(case_id=case.id, **party))
    session.flush()
    today = now.astimezone(runner.Context(session, settings, now, "").calendar.tz).date()
    if case.officer_ids:
        check_assignable(session, case, list(case.officer_ids), today=today)
    if case.procedure == "simple":
        _check_simple_officers(session, case, principal, today)
    context = runner.Context(session, settings, now, principal.username)
    runner.open_case(context, ENFORCEMENT_CASE, case, note=data.title,
                     data={"procedure": case.procedure, "source": case.source})
    if case.procedure == "simple":
        from enforcement.cases import documents

        signature = "当事人已签名" if data.penalty.party_signed else \
            f"当事人拒绝签名：{data.penalty.refusal_noted}"
        document = documents.issue(context, case, documents.ON_SPOT,
                                   extra={"signature": signature})
        if document.state == "locked":
            documents.serve_decision(context, case)
    if data.evidence:
        from enforcement.cases import evidence

        for item in data.evidence:  # brought with the opening (e.g. on the spot)
            evidence.record(session, case, item, principal=principal, settings=settings)
    if case.procedure == "simple" and case.fine_fen:
        case.payment_due_at = clocks.running(session, subject_of(case), "step").due_at
        start_named(context, case, "reconsideration")
        start_named(context, case, "litigation")
    return case, False


def _simple(session: Session, data: CaseIn, parties: list[dict], principal: Principal,
            now: datetime) -> dict:
    """行政处罚法第五十一条: a warning, or a fine of at most 200 元 on a citizen / 3,000 元 on
    an organisation (the ceilings are rows of enforcement_rule); above → 422 naming it."""
    penalty = data.penalty
    if penalty is None:
        raise InvalidInput("当场处罚 needs the penalty: penalty", code="penalty_required")
    if len(parties) != 1:
        raise InvalidInput("当场处罚 names exactly one party", code="one_party_required")
    if not (penalty.party_signed or (penalty.refusal_noted or "").strip()):
        raise InvalidInput("the party signs the decision, or the officer notes the refusal "
                           "(行政处罚法第五十二条)", code="signature_required")
    fine = penalty.fine_fen or 0
    if ("fine" in penalty.penalty_types) != (fine > 0):
        raise InvalidInput("a fine needs fine_fen > 0, and fine_fen needs the penalty type "
                           "fine", code="fine_mismatch")
    key = "simple_citizen_max" if parties[0]["kind"] == "citizen" else \
        "simple_organisation_max"
    limit = rules.amount_fen(session, key)
    if fine > int(limit.value):
        raise InvalidInput(f"当场处罚 is limited to {rules.yuan(int(limit.value))} for "
                           f"{'a citizen' if key == 'simple_citizen_max' else 'an organisation'}"
                           f" ({limit.citation}); {rules.yuan(fine)} needs the ordinary "
                           "procedure", code="simple_limit_exceeded", limit_fen=int(limit.value),
                           limit_key=key, citation=limit.citation)
    return {"state": "served" if fine else "closed", "outcome": "penalty",
            "penalty_types": list(penalty.penalty_types), "fine_fen": fine or None,
            "notice_penalty_types": list(penalty.penalty_types),
            "notice_fine_fen": fine or None, "decided_at": now, "served_at": now,
            "service_method": "direct", "closed_at": None if fine else now,
            "filed_at": now}


def _check_simple_officers(session: Session, case: Case, principal: Principal,
                           today: date) -> None:
    """The officer deciding on the spot shows a valid 执法证 of the unit (第五十二条)."""
    actor = Actor.of(principal, today=today)
    if case.owner_unit_id not in actor.credentialed_units:
        raise Forbidden("当场处罚 needs a valid 执法证 in the unit (行政处罚法第五十二条)",
                        code="credential_required")


def start_named(context: runner.Context, case: Case, key: str) -> None:
    """Start a statutory clock other than the step's (决定, 公示, 复议, 诉讼 …), its rule the
    row `key` of enforcement_rule."""
    rule = rules.clock_rule(context.session, key, name=key)
    clocks.start(context.session, subject_of(case), rule, case_type=ENFORCEMENT_CASE.code,
                 now=context.now, calendar=context.calendar,
                 warn_share=context.settings.deadline_warn_share)


# --- evidence ----------------------------------------------------------------------------

def evidence_dict(row: Evidence) -> dict:
    return {"id": row.id, "kind": row.kind, "kind_label": EVIDENCE_LABELS[row.kind],
            "title": row.title, "content": row.content, "attachment_id": row.attachment_id,
            "sha256": row.sha256, "from": ({"type": row.from_subject_type,
                                            "id": row.from_subject_id}
                                           if row.from_subject_type else None),
            "recorded_by": row.recorded_by, "recorded_at": row.recorded_at,
            # Where the console opens the file (the case's evidence route), if one.
            "url": (f"/api/v1/enforcement/cases/{row.case_id}/evidence/{row.id}/file"
                    if row.attachment_id else None)}


# --- reading -----------------------------------------------------------------------------

def clock_out(clock) -> dict:
    return {"name": clock.name, "label": CLOCK_LABELS.get(clock.name, clock.name),
            "limit": clock.limit, "extended_by": clock.extended_by, "due": clock.due_at,
            "colour": clock.colour, "citation": clock.citation,
            "started_at": clock.started_at, "paused": clock.paused_at is not None,
            "stops": CLOCK_STOPS.get(clock.name),
            "stopped_at": clock.stopped_at, "late": clock.late}


def surcharge_fen(fine_fen: int, days_late: int, per_mille: int) -> int:
    """加处罚款 (行政处罚法第七十二条第一项): each day late adds `per_mille`‰ of the fine, and
    the total never exceeds the fine (行政强制法第四十五条第二款)."""
    if days_late <= 0 or fine_fen <= 0:
        return 0
    return min(fine_fen, fine_fen * per_mille * days_late // 1000)


def days_late(due: datetime, now: datetime, tz) -> int:
    """Whole days past the day payment was due (the due moment is the end of that day)."""
    return max((now.astimezone(tz).date() - due.astimezone(tz).date()).days, 0)


def amount_due(session: Session, case: Case, *, now: datetime, calendar) -> dict | None:
    if not case.fine_fen or case.paid_at is not None:
        return None
    if case.payment_plan_id:
        from enforcement.cases.payments import owed_on_plan

        return owed_on_plan(session, case, now=now, calendar=calendar)
    return amount_owed(case, rules.rule(session, "surcharge_rate"), now=now, tz=calendar.tz)


def amount_owed(case: Case, rate, *, now: datetime, tz) -> dict | None:
    """The fine and its 加处罚款 today, at the rule row `rate` (no plan: one payment day)."""
    if not case.fine_fen or case.paid_at is not None:
        return None
    payment = case.payment_due_at
    if payment is None:
        return {"fine_fen": case.fine_fen, "surcharge_fen": 0, "total_fen": case.fine_fen}
    late = days_late(payment, now, tz)
    extra = surcharge_fen(case.fine_fen, late, int(rate.value))
    return {"fine_fen": case.fine_fen, "due": payment, "days_late": late,
            "surcharge_fen": extra, "total_fen": case.fine_fen + extra,
            "citation": rate.citation}


def case_out(case: Case) -> dict:
    return {"id": case.id, "procedure": case.procedure, "state": case.state,
            "state_label": LABELS.get(case.state, case.state), "version": case.version,
            "title": case.title, "source": case.source, "area_code": case.area_code,
            "owner_unit_id": case.owner_unit_id, "matter_id": case.matter_id,
            "step": case.step, "step_due_at": case.step_due_at, "deadline": case.deadline,
            "fine_fen": case.fine_fen, "opened_at": case.opened_at,
            "filed_at": case.filed_at, "decided_at": case.decided_at,
            "closed_at": case.closed_at}


def case_detail(session: Session, case: Case, principal: Principal, *, settings: Settings
                ) -> dict:
    """The case as `GET /cases/{id}` shows it (enforcement/cases/detail.py: one statement)."""
    from enforcement.cases import detail

    return detail.case_detail(session, case, principal, settings=settings)


def point_of(session: Session, case: Case) -> list[float] | None:
    """[lon, lat] of the case, from the loaded geometry (no query)."""
    if case.geom is None:
        return None
    if isinstance(case.geom, str):  # set in this request, not read back yet
        session.refresh(case, ["geom"])
    from geoalchemy2.shape import to_shape

    point = to_shape(case.geom)
    return [point.x, point.y]


def count_by(session: Session, scope: Scope, column) -> dict[str, int]:
    return dict(session.execute(select(column, func.count()).where(scope_condition(scope))
                                .group_by(column)).all())
