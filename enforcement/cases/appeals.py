"""行政复议 and 行政诉讼 against a case's decision: the filing (within its limit or not —
the authority records it, the reviewing body decides whether to hear it) and the outcome
with its date and document. A decision changed, revoked, declared unlawful or void comes
off the public list within 3 working days (《市场监督管理行政处罚信息公示规定》第十一条:
the `withdrawal` clock); after a 复议 decision the party has 15 days to sue (行政诉讼法第四十五条:
the `litigation` clock restarts on the rule row `litigation_after_reconsideration`).

Each filing stops the clock of its remedy (the party used it). Both writes lock the case
row and name the version read: two clerks recording at once cannot both win.
"""

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.attachments.models import Attachment
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.security import Principal
from core.settings import Settings
from core.workflow import clocks, runner, timeline
from enforcement.cases import rules
from enforcement.cases.execution_models import Appeal
from enforcement.cases.models import Case
from enforcement.cases.schemas_appeals import AppealIn, AppealOutcomeIn

KINDS = {"reconsideration": "行政复议", "litigation": "行政诉讼"}
# (label, corrects the decision, citation)
OUTCOMES = {
    "upheld": ("维持", False, "行政复议法第六十八条；行政诉讼法第六十九条（驳回诉讼请求）"),
    "changed": ("变更", True, "行政复议法第六十三条；行政诉讼法第七十七条"),
    "revoked": ("撤销", True, "行政复议法第六十四条；行政诉讼法第七十条"),
    "revoked_redo": ("撤销并责令重新作出", True, "行政复议法第六十四条；行政诉讼法第七十条"),
    "unlawful": ("确认违法", True, "行政复议法第六十五条；行政诉讼法第七十四条"),
    "invalid": ("确认无效", True, "行政复议法第六十七条；行政诉讼法第七十五条"),
    "perform_ordered": ("责令履行", True, "行政复议法第六十六条；行政诉讼法第七十二条"),
    "rejected": ("驳回申请（请求）", False, "行政复议法第六十九条；行政诉讼法第六十九条"),
    "withdrawn": ("申请人撤回", False, "行政复议法第七十四条；行政诉讼法第六十二条"),
    "terminated": ("终止", False, "行政复议法第四十一条"),
}
# The outcomes that count as corrected (复议/诉讼纠错) and take the decision off 公示.
CORRECTING = tuple(code for code, (_, corrects, _) in OUTCOMES.items() if corrects)
WITHDRAWING = ("changed", "revoked", "revoked_redo", "unlawful", "invalid")


def appeal_dict(row: Appeal) -> dict:
    label, corrects, citation = OUTCOMES.get(row.outcome, (None, False, None))
    return {"id": row.id, "kind": row.kind, "kind_label": KINDS[row.kind], "body": row.body,
            "filed_on": row.filed_on, "in_time": row.in_time, "limit_due": row.limit_due,
            "outcome": row.outcome, "outcome_label": label, "corrects": corrects,
            "outcome_citation": citation, "decided_on": row.decided_on,
            "document_title": row.document_title, "document_number": row.document_number,
            "attachment_id": row.attachment_id, "note": row.note,
            "recorded_by": row.recorded_by, "recorded_at": row.recorded_at,
            "version": row.version}


def appeals_of(session: Session, case_id: int) -> list[Appeal]:
    return list(session.scalars(select(Appeal).where(Appeal.case_id == case_id)
                                .order_by(Appeal.id)))


def file(session: Session, case: Case, data: AppealIn, *, principal: Principal,
         settings: Settings, now: datetime | None = None) -> Appeal:
    """A 复议 application or a lawsuit against the decision, as the party filed it."""
    context = runner.Context(session, settings, now or runner.now_utc(), principal.username)
    _check_member(principal, case)
    case = runner.lock(session, Case, case.id)
    _check_version(case, data.version)
    today = context.now.astimezone(context.calendar.tz).date()
    if case.decided_at is None or case.outcome not in ("penalty", "no_penalty"):
        raise Conflict("there is no decision to appeal against", code="no_decision")
    decided = case.decided_at.astimezone(context.calendar.tz).date()
    if not decided <= data.filed_on <= today:
        raise InvalidInput(f"filed_on lies between the decision ({decided}) and today",
                           code="appeal_date_invalid")
    if any(a.outcome is None for a in appeals_of(session, case.id)):
        raise Conflict("an appeal against this decision awaits its outcome "
                       "(行政诉讼法第四十四条: 复议期间不得同时起诉)", code="appeal_pending")
    subject = runner_subject(case)
    clock = _latest_clock(session, subject, data.kind)
    limit_due = clock.due_at if clock is not None else None
    row = Appeal(case_id=case.id, kind=data.kind, body=data.body, filed_on=data.filed_on,
                 in_time=limit_due is None or _end_of(data.filed_on, context) <= limit_due,
                 limit_due=limit_due, note=data.note or "", recorded_by=principal.username,
                 recorded_at=context.now)
    session.add(row)
    clocks.stop(session, subject, data.kind, now=context.now)
    touch(context, case, "appeal_filed", f"{KINDS[data.kind]}：{data.body}",
           {"kind": data.kind, "filed_on": data.filed_on.isoformat(), "in_time": row.in_time})
    session.flush()
    return row


def record_outcome(session: Session, case: Case, appeal_id: int, data: AppealOutcomeIn, *,
                   principal: Principal, settings: Settings,
                   now: datetime | None = None) -> Appeal:
    """The outcome, its date and the document that decided it."""
    context = runner.Context(session, settings, now or runner.now_utc(), principal.username)
    _check_member(principal, case)
    case = runner.lock(session, Case, case.id)
    row = session.get(Appeal, appeal_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"no appeal {appeal_id} on case {case.id}", code="appeal_not_found")
    if row.version != data.version:
        raise Conflict(f"appeal {row.id} changed meanwhile (version {row.version})",
                       code="stale_version", current_version=row.version)
    if row.outcome is not None:
        raise Conflict(f"appeal {row.id} has its outcome already ({row.outcome})",
                       code="appeal_decided")
    today = context.now.astimezone(context.calendar.tz).date()
    if not row.filed_on <= data.decided_on <= today:
        raise InvalidInput(f"decided_on lies between the filing ({row.filed_on}) and today",
                           code="appeal_date_invalid")
    if data.attachment_id is not None and session.get(Attachment, data.attachment_id) is None:
        raise InvalidInput(f"no attachment {data.attachment_id}", code="attachment_unknown")
    row.outcome, row.decided_on = data.outcome, data.decided_on
    row.corrects = OUTCOMES[data.outcome][1]
    row.document_title, row.document_number = data.document_title, data.document_number
    row.attachment_id = data.attachment_id
    if data.note:
        row.note = (row.note + "\n" + data.note).strip()
    after_outcome(context, case, row)
    touch(context, case, "appeal_decided",
           f"{KINDS[row.kind]}结果：{OUTCOMES[row.outcome][0]}（{data.document_title}）",
           {"appeal_id": row.id, "outcome": row.outcome,
            "decided_on": data.decided_on.isoformat()})
    session.flush()
    return row


def after_outcome(context: runner.Context, case: Case, row: Appeal) -> None:
    """Off the public list within 3 working days when the decision was corrected; 15 days
    to sue after a 复议 decision the party may not accept."""
    subject = runner_subject(case)
    if row.outcome in WITHDRAWING and case.published_at is not None \
            and case.withdrawn_at is None:
        _start(context, subject, "withdrawal", "withdrawal")
    if row.kind == "reconsideration" and row.outcome not in ("withdrawn", "terminated"):
        at = datetime.combine(row.decided_on, time(12), tzinfo=context.calendar.tz)
        # From the day the party receives the 复议决定书: its date, as recorded.
        received = runner.Context(context.session, context.settings, at, context.actor)
        _start(received, subject, "litigation_after_reconsideration", "litigation")


def _start(context: runner.Context, subject, key: str, name: str) -> None:
    from enforcement.cases.case_type import ENFORCEMENT_CASE

    rule = rules.clock_rule(context.session, key, name=name)
    clocks.start(context.session, subject, rule, case_type=ENFORCEMENT_CASE.code,
                 now=context.now, calendar=context.calendar,
                 warn_share=context.settings.deadline_warn_share)


def _latest_clock(session: Session, subject, name: str):
    found = [c for c in clocks.clocks_of(session, subject) if c.name == name]
    return max(found, key=lambda c: c.started_at) if found else None


def _end_of(day: date, context: runner.Context) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=context.calendar.tz)


def _check_member(principal: Principal, case: Case) -> None:
    """The case's unit keeps its file: one of its members records what the party did."""
    if case.owner_unit_id not in principal.unit_ids:
        raise Forbidden("you hold no position in the unit that holds the case",
                        code="not_a_member")


def _check_version(case: Case, version: int) -> None:
    if case.version != version:
        raise Conflict(f"the case changed since you read it (version {case.version})",
                       code="stale_version", current_version=case.version)


def touch(context: runner.Context, case: Case, action: str, note: str, data: dict) -> None:
    """On the case's timeline, and a new version: readers see the case changed (what is
    recorded on a case outside its moves: appeals, 文书 issued on demand)."""
    before = {"version": case.version}
    case.version += 1
    subject = runner_subject(case)
    timeline.add(context.session, subject, actor=context.actor, action=action,
                 note=note, data=data, at=context.now)
    audit.record(context.session, actor=context.actor, action=f"{subject.type}.{action}",
                 subject_type=subject.type, subject_id=case.id, before=before,
                 after={"version": case.version, **data})


def runner_subject(case: Case):
    from enforcement.cases.service import subject_of

    return subject_of(case)
