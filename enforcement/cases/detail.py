"""A case's detail (`GET /api/v1/enforcement/cases/{id}`) read in one statement.

The detail shows a dozen kinds of rows (the matter and its bands, parties, recusals, the
officers' 执法证 and declared conflicts, clocks, evidence, 文书, links, timeline, appeals,
payment plans, the surcharge rate). Read one query each, they cost a dozen round trips,
and on a loaded database the round trips are the time (bench/enforcement_cases.py): here
each kind is a JSON aggregate of one SELECT, and the rows come back as transient model
objects (columns typed by the model), so the same `*_dict` functions shape them as they
shape rows read any other way.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, text
from sqlalchemy.orm import Session

from core.documents import verify_url
from core.security import Principal
from core.settings import Settings
from core.users.enums import SEES_PERSONAL_DATA
from core.workflow import runner
from core.workflow.kernel import Actor
from core.workflow.models import CaseClock
from enforcement.cases import appeals, service
from enforcement.cases.case_type import SUBJECT
from enforcement.cases.execution_models import Appeal
from enforcement.cases.matters import matter_dict
from enforcement.cases.models import Case, Evidence, Matter, MatterBand, Party, Recusal, Rule
from enforcement.cases.workflow import CASE_WORKFLOW


def _rows(alias: str, table: str, where: str, order: str) -> str:
    return (f"(SELECT coalesce(jsonb_agg(to_jsonb({alias}) ORDER BY {order}), '[]') "
            f"FROM {table} {alias} WHERE {where})")


DETAIL_SQL = f"""
SELECT
  (SELECT to_jsonb(m) FROM enforcement_matter m WHERE m.id = :matter) AS matter,
  {_rows('b', 'enforcement_matter_band', 'b.matter_id = :matter', 'b.id')} AS bands,
  {_rows('p', 'enforcement_party', 'p.case_id = :id', 'p.id')} AS parties,
  {_rows('r', 'enforcement_recusal', 'r.case_id = :id', 'r.id')} AS recusals,
  (SELECT coalesce(array_agg(DISTINCT user_id), '{{}}') FROM membership
   WHERE unit_id = ANY(:units) AND user_id = ANY(:officers) AND is_active
     AND credential_number IS NOT NULL
     AND credential_expires_on IS NOT NULL AND credential_expires_on >= :today)
     AS credentialed,
  (SELECT coalesce(array_agg(DISTINCT k.user_id), '{{}}') FROM enforcement_conflict k
   WHERE k.user_id = ANY(:officers) AND k.party_key IN (
       SELECT coalesce(p.id_number, p.uscc) FROM enforcement_party p
       WHERE p.case_id = :id)) AS conflicted,
  {_rows('k', 'case_clock', 'k.subject_type = :subject AND k.subject_id = :id',
         'k.stopped_at IS NOT NULL, k.started_at, k.id')} AS clocks,
  {_rows('e', 'enforcement_evidence', 'e.case_id = :id', 'e.id')} AS evidence,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
       'id', d.id, 'kind', d.kind, 'title', d.title, 'state', d.state, 'number', d.number,
       'sha256', d.sha256, 'created_at', d.created_at, 'locked_at', d.locked_at,
       'verify_token', d.verify_token) ORDER BY d.id), '[]')
   FROM document d WHERE d.subject_type = :subject AND d.subject_id = :id) AS documents,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
       'type', CASE WHEN forward THEN l.b_type ELSE l.a_type END,
       'id', CASE WHEN forward THEN l.b_id ELSE l.a_id END, 'kind', l.kind,
       'direction', CASE WHEN forward THEN 'to' ELSE 'from' END,
       'created_by', l.created_by, 'created_at', l.created_at) ORDER BY l.id), '[]')
   FROM case_link l
   CROSS JOIN LATERAL (SELECT l.a_type = :subject AND l.a_id = :id AS forward) f
   WHERE (l.a_type = :subject AND l.a_id = :id)
      OR (l.b_type = :subject AND l.b_id = :id)) AS links,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
       'at', t.at, 'actor', t.actor, 'action', t.action, 'from_state', t.from_state,
       'to_state', t.to_state, 'note', t.note, 'data', t.data) ORDER BY t.at, t.id), '[]')
   FROM timeline_event t WHERE t.subject_type = :subject AND t.subject_id = :id) AS timeline,
  {_rows('a', 'enforcement_appeal', 'a.case_id = :id', 'a.id')} AS appeals,
  (SELECT coalesce(jsonb_agg(to_jsonb(pp) || jsonb_build_object('instalments', (
       SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.seq), '[]')
       FROM enforcement_instalment i WHERE i.plan_id = pp.id)) ORDER BY pp.id), '[]')
   FROM enforcement_payment_plan pp WHERE pp.case_id = :id) AS plans,
  (SELECT to_jsonb(r) FROM enforcement_rule r WHERE r.key = 'surcharge_rate') AS surcharge
"""


def read(session: Session, case: Case, *, today: date) -> dict[str, Any]:
    """Every row the detail shows, in one statement."""
    row = session.execute(text(DETAIL_SQL), {
        "id": case.id, "matter": case.matter_id, "units": service.case_units(case),
        "officers": list(case.officer_ids or []), "today": today,
        "subject": SUBJECT}).mappings().one()
    return dict(row)


def transient(model: type, values: dict[str, Any] | None) -> Any:
    """A model object (never added to the session) from a JSON row: timestamps and days
    typed back as the model's columns say."""
    if values is None:
        return None
    kwargs = {}
    for attr in model.__mapper__.column_attrs:
        column = attr.columns[0]
        if column.name not in values:
            continue
        value = values[column.name]
        if isinstance(value, str) and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        kwargs[attr.key] = value
    return model(**kwargs)


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def case_detail(session: Session, case: Case, principal: Principal, *, settings: Settings
                ) -> dict:
    context = runner.Context(session, settings, service.now_utc(), principal.username)
    today = context.now.astimezone(context.calendar.tz).date()
    rows = read(session, case, today=today)
    parties = [transient(Party, p) for p in rows["parties"]]
    recusals = [transient(Recusal, r) for r in rows["recusals"]]
    matter = transient(Matter, rows["matter"])
    facts = runner.facts_of(case, {"resume_state": case.state})
    actor = Actor.of(principal, today=today)
    unmasked = principal.role in SEES_PERSONAL_DATA
    return {
        **service.case_out(case), "facts": case.facts, "address": case.address,
        "location": service.point_of(session, case), "major": case.major,
        "legal_review_required": case.legal_review_required,
        "legal_review_passed": case.legal_review_passed, "discussed": case.discussed,
        "officer_ids": list(case.officer_ids), "team_id": case.team_id,
        "valid_officers": _valid(case, rows, recusals),
        "offence_at": case.offence_at, "decline_reason": case.decline_reason,
        "notice": {"penalty_types": list(case.notice_penalty_types),
                   "fine_fen": case.notice_fine_fen, "hearing_offered": case.hearing_offered,
                   "notified_at": case.notified_at, "hearing_at": case.hearing_at},
        "decision": {"outcome": case.outcome, "penalty_types": list(case.penalty_types),
                     "fine_fen": case.fine_fen, "confiscation_fen": case.confiscation_fen,
                     "decided_at": case.decided_at, "service_method": case.service_method,
                     "served_at": case.served_at, "paid_at": case.paid_at,
                     "published_at": case.published_at, "withdrawn_at": case.withdrawn_at},
        "amount_due": _owed(session, case, rows, context),
        "police_answer": case.police_answer,
        "matter": matter_dict(matter, [transient(MatterBand, b) for b in rows["bands"]])
        if matter is not None else None,
        "clocks": [service.clock_out(transient(CaseClock, c)) for c in rows["clocks"]],
        "parties": [service.party_dict(p, unmasked=unmasked) for p in parties],
        "evidence": [service.evidence_dict(transient(Evidence, e)) for e in rows["evidence"]],
        "documents": [_document(d) for d in rows["documents"]],
        "recusals": [{"id": r.id, "officer_id": r.officer_id, "reason": r.reason,
                      "requested_at": r.requested_at, "decision": r.decision,
                      "decided_by": r.decided_by, "decided_at": r.decided_at}
                     for r in recusals],
        "payment_plans": [_plan(p) for p in rows["plans"]],
        "appeals": [appeals.appeal_dict(transient(Appeal, a)) for a in rows["appeals"]],
        "links": [{**link, "created_at": _instant(link["created_at"])}
                  for link in rows["links"]],
        "timeline": [{**event, "at": _instant(event["at"])} for event in rows["timeline"]],
        "actions": [{"name": n, "label": CASE_WORKFLOW.by_name[n].label}
                    for n in CASE_WORKFLOW.available(facts, actor)],
    }


def _valid(case: Case, rows: dict, recusals: list[Recusal]) -> list[int]:
    """service.valid_officers, from the rows read: a valid 执法证 in the case's unit (or
    its dispatched team) today,
    no declared conflict with a party, no granted recusal (行政处罚法第四十二、四十三条)."""
    barred = set(rows["conflicted"]) | {r.officer_id for r in recusals
                                        if r.decision == "granted"}
    credentialed = set(rows["credentialed"])
    return [o for o in case.officer_ids or [] if o in credentialed and o not in barred]


def _owed(session: Session, case: Case, rows: dict, context: runner.Context) -> dict | None:
    if case.payment_plan_id and case.paid_at is None and case.fine_fen:
        return service.amount_due(session, case, now=context.now, calendar=context.calendar)
    return service.amount_owed(case, transient(Rule, rows["surcharge"]), now=context.now,
                               tz=context.calendar.tz)


def _document(d: dict) -> dict:
    return {"id": d["id"], "kind": d["kind"], "title": d["title"], "state": d["state"],
            "number": d["number"], "sha256": d["sha256"],
            "created_at": _instant(d["created_at"]), "locked_at": _instant(d["locked_at"]),
            "verify_url": verify_url(d["verify_token"]) if d["number"] else None,
            "pdf_url": f"/api/v1/documents/{d['id']}/pdf" if d["number"] else None}


def _plan(p: dict) -> dict:
    return {"id": p["id"], "state": p["state"], "reason": p["reason"],
            "fine_fen": p["fine_fen"], "applied_at": _instant(p["applied_at"]),
            "decided_by": p["decided_by"], "decided_at": _instant(p["decided_at"]),
            "decision_note": p["decision_note"],
            "instalments": [{"seq": i["seq"], "amount_fen": i["amount_fen"],
                             "due_on": date.fromisoformat(i["due_on"]),
                             "paid_fen": i["paid_fen"],
                             "surcharge_paid_fen": i["surcharge_paid_fen"],
                             "paid_at": _instant(i["paid_at"])} for i in p["instalments"]]}
