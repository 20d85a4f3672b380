"""暂缓或者分期缴纳 (行政处罚法第六十六条第二款) and 加处罚款 (第七十二条第一项) counted
against the instalment schedule.

The party applies with a schedule (one instalment is a deferral, 暂缓); the head approves
or refuses it; each instalment is due by the end of its day, moved past rest days like
any period's last day (民事诉讼法第八十五条). An instalment paid late carries 加处罚款 of the
rule row's rate (30 ‰) on its own amount for each day past its day, at most its amount;
all surcharges together never exceed the fine (行政强制法第四十五条第二款: 加处罚款的数额
不得超出金钱给付义务的数额).
"""

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.workflow import clocks, runner
from core.workflow.durations import Duration, Unit, parse_duration
from enforcement.cases import rules
from enforcement.cases.execution_models import Instalment, PaymentPlan
from enforcement.cases.models import Case


def instalment_due(calendar, day: date) -> datetime:
    """The last moment to pay an instalment due on `day` (rest days move it on)."""
    return calendar.period_due(datetime.combine(day, time(12), tzinfo=calendar.tz))


def surcharge_on(amount_fen: int, days_late: int, per_mille: int) -> int:
    """One instalment's 加处罚款: `per_mille`‰ of its amount a day, at most its amount."""
    if days_late <= 0 or amount_fen <= 0:
        return 0
    return min(amount_fen, amount_fen * per_mille * days_late // 1000)


def pending_plan(session: Session, case: Case) -> PaymentPlan | None:
    return session.scalar(select(PaymentPlan).where(PaymentPlan.case_id == case.id,
                                                    PaymentPlan.state == "applied"))


def instalments_of(session: Session, plan_id: int) -> list[Instalment]:
    return list(session.scalars(select(Instalment).where(Instalment.plan_id == plan_id)
                                .order_by(Instalment.seq)))


# --- the facts the guards read -------------------------------------------------------------

def plan_facts(session: Session, case: Case, *, name: str, now: datetime, calendar) -> dict:
    pending = pending_plan(session, case)
    facts = {"plan_pending": pending is not None,
             "pending_plan_id": pending.id if pending else None,
             "today": now.astimezone(calendar.tz).date()}
    if name == "apply_payment_plan":
        facts |= latest_day(session, case, calendar)
    if name == "pay_instalment" and case.payment_plan_id:
        unpaid = [i for i in instalments_of(session, case.payment_plan_id) if i.paid_at is None]
        facts["resume_state"] = "paid" if len(unpaid) <= 1 else case.state
    return facts


def latest_day(session: Session, case: Case, calendar) -> dict:
    """The last day a plan may reach: the payment period plus the most it may be deferred
    (the `payment` row's extension, 90 days; a provincial setting)."""
    row = rules.rule(session, "payment")
    clock = clocks.running(session, runner_subject(case), "step")
    if clock is None or not row.extension:
        return {}
    raw = calendar.raw_due(clock.started_at, parse_duration(row.value),
                           extension=parse_duration(row.extension))
    return {"plan_latest_day": raw.astimezone(calendar.tz).date(),
            "plan_citation": row.citation}


def runner_subject(case: Case):
    from enforcement.cases.case_type import SUBJECT

    return clocks.Subject(SUBJECT, case.id)


# --- after the moves -----------------------------------------------------------------------

def applied(context: runner.Context, case: Case, fields: dict, principal) -> None:
    """当事人申请: the application and its schedule, recorded as they were asked."""
    plan = PaymentPlan(case_id=case.id, state="applied", reason=fields["reason"],
                       fine_fen=case.fine_fen, applied_at=context.now,
                       recorded_by=principal.username)
    context.session.add(plan)
    context.session.flush()
    for seq, item in enumerate(fields["instalments"], start=1):
        context.session.add(Instalment(plan_id=plan.id, seq=seq, amount_fen=item["amount_fen"],
                                       due_on=_as_day(item["due_on"])))


def decided(context: runner.Context, case: Case, fields: dict, principal) -> None:
    """The head's decision: approved, the schedule binds — the payment clock reaches its
    last day and 加处罚款 runs per instalment from then on."""
    plan = context.session.get(PaymentPlan, fields["plan_id"])
    plan.state = "approved" if fields["granted"] else "refused"
    plan.decided_by, plan.decided_at = principal.username, context.now
    plan.decision_note = fields.get("reason")
    if not fields["granted"]:
        return
    case.payment_plan_id = plan.id
    schedule = instalments_of(context.session, plan.id)
    _reach(context, case, schedule[-1].due_on)
    case.payment_due_at = instalment_due(context.calendar, schedule[0].due_on)


def _reach(context: runner.Context, case: Case, last: date) -> None:
    """Extend the payment clock (its rule's extension, approved by the head) so it runs to
    the plan's last day."""
    subject = runner_subject(case)
    clock = clocks.running(context.session, subject, "step")
    if clock is None:
        return
    current = clock.raw_due_at.astimezone(context.calendar.tz).date()
    if last <= current:
        return
    # clocks.extend adds to what was extended before (the rule's extension bounds the sum).
    by = Duration((last - current).days, Unit.natural_days)
    rule = rules.clock_rule(context.session, "payment")
    clocks.extend(context.session, subject, rule, by=by, now=context.now,
                  calendar=context.calendar, warn_share=context.settings.deadline_warn_share)
    case.step_due_at, case.deadline = clock.due_at, clock.colour


def instalment_paid(context: runner.Context, case: Case, fields: dict, principal) -> None:
    """The next instalment, with the surcharge it carries today, is paid."""
    owed = owed_on_plan(context.session, case, now=context.now, calendar=context.calendar)
    line = next(i for i in owed["instalments"] if i["paid_at"] is None)
    row = context.session.get(Instalment, line["id"])
    row.paid_fen, row.surcharge_paid_fen, row.paid_at = (line["amount_fen"],
                                                         line["surcharge_fen"], context.now)
    case.paid_fen = (case.paid_fen or 0) + line["amount_fen"] + line["surcharge_fen"]
    following = [i for i in owed["instalments"] if i["paid_at"] is None and i["id"] != row.id]
    case.payment_due_at = following[0]["due"] if following else case.payment_due_at


def settled_in_full(context: runner.Context, case: Case) -> None:
    """The move `pay` on a plan: every instalment left is paid now, with its surcharge."""
    if not case.payment_plan_id:
        return
    owed = owed_on_plan(context.session, case, now=context.now, calendar=context.calendar)
    for line in owed["instalments"]:
        if line["paid_at"] is None:
            row = context.session.get(Instalment, line["id"])
            row.paid_fen, row.surcharge_paid_fen = line["amount_fen"], line["surcharge_fen"]
            row.paid_at = context.now


# --- what is owed --------------------------------------------------------------------------

def owed_on_plan(session: Session, case: Case, *, now: datetime, calendar) -> dict:
    """The schedule with each instalment's surcharge today, and what is left to pay."""
    rate = rules.rule(session, "surcharge_rate")
    today = now.astimezone(calendar.tz).date()
    lines, paid_surcharge = [], 0
    for row in instalments_of(session, case.payment_plan_id):
        due = instalment_due(calendar, row.due_on)
        until = row.paid_at.astimezone(calendar.tz).date() if row.paid_at else today
        late = max((until - due.astimezone(calendar.tz).date()).days, 0)
        surcharge = row.surcharge_paid_fen if row.paid_at else \
            surcharge_on(row.amount_fen, late, int(rate.value))
        paid_surcharge += row.surcharge_paid_fen if row.paid_at else 0
        lines.append({"id": row.id, "seq": row.seq, "amount_fen": row.amount_fen,
                      "due_on": row.due_on, "due": due, "days_late": late,
                      "surcharge_fen": surcharge, "paid_fen": row.paid_fen,
                      "paid_at": row.paid_at})
    _cap(lines, (case.fine_fen or 0) - paid_surcharge)
    unpaid = [line for line in lines if line["paid_at"] is None]
    extra = sum(line["surcharge_fen"] for line in unpaid)
    return {"fine_fen": case.fine_fen, "plan_id": case.payment_plan_id,
            "due": unpaid[0]["due"] if unpaid else None,
            "days_late": unpaid[0]["days_late"] if unpaid else 0,
            "surcharge_fen": extra, "total_fen": sum(u["amount_fen"] for u in unpaid) + extra,
            "instalments": lines, "citation": rate.citation}


def _cap(lines: list[dict], room: int) -> None:
    """All surcharges together stay within the fine: the unpaid instalments' share what
    room the paid ones left, in order of their days."""
    for line in lines:
        if line["paid_at"] is None:
            line["surcharge_fen"] = min(line["surcharge_fen"], max(room, 0))
            room -= line["surcharge_fen"]


def plans_of(session: Session, case: Case) -> list[dict]:
    plans = session.scalars(select(PaymentPlan).where(PaymentPlan.case_id == case.id)
                            .order_by(PaymentPlan.id)).all()
    return [{"id": p.id, "state": p.state, "reason": p.reason, "fine_fen": p.fine_fen,
             "applied_at": p.applied_at, "decided_by": p.decided_by,
             "decided_at": p.decided_at, "decision_note": p.decision_note,
             "instalments": [{"seq": i.seq, "amount_fen": i.amount_fen, "due_on": i.due_on,
                              "paid_fen": i.paid_fen,
                              "surcharge_paid_fen": i.surcharge_paid_fen,
                              "paid_at": i.paid_at} for i in instalments_of(session, p.id)]}
            for p in plans]


def _as_day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
