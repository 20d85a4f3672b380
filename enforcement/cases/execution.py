"""The guards and effects of 公告 before a decision and of 暂缓/分期缴纳 — pure, like the
rest of the workflow (enforcement/cases/workflow.py declares the moves); what needs the
database (the plan on file, the schedule's latest allowed day, today) is put into the facts
by enforcement/cases/flows.py first, and the records are written by
enforcement/cases/payments.py.
"""

from datetime import date

from core.errors import Conflict, InvalidInput

# At most this many instalments in one plan (a schema bound, not a legal limit).
MAX_INSTALMENTS = 36


# --- 公告 ----------------------------------------------------------------------------------

def announced(facts, actor, data, now):
    """公告 (e.g. the 事先告知书 served by publication when the party cannot be reached):
    the 90-day decision clock stands still meanwhile (flows._decision_clock), and the case
    returns to where it was when the publication ends."""
    return {"suspended_from": facts["state"]}


def announcement_ended(facts, actor, data, now):
    return {"suspended_from": None}


# --- 暂缓或者分期缴纳 (行政处罚法第六十六条第二款) ------------------------------------------

def no_plan_pending(facts, actor, data) -> None:
    if facts.get("plan_pending"):
        raise Conflict("an application to defer or pay in instalments is awaiting the "
                       "head's decision", code="payment_plan_pending")
    if facts.get("payment_plan_id"):
        raise Conflict("a plan to defer or pay in instalments is approved already",
                       code="payment_plan_exists")


def schedule_valid(facts, actor, data) -> None:
    """The schedule covers the fine exactly, its days in order, the first not in the past
    and the last not after the longest deferral the rule row allows."""
    items = data.get("instalments") or []
    if not items or len(items) > MAX_INSTALMENTS:
        raise InvalidInput(f"name 1 to {MAX_INSTALMENTS} instalments: instalments "
                           "[{due_on, amount_fen}] (one is a deferral, 暂缓)",
                           code="instalments_required")
    days = [_day(item["due_on"]) for item in items]
    amounts = [item["amount_fen"] for item in items]
    if any(a <= 0 for a in amounts) or sum(amounts) != (facts.get("fine_fen") or 0):
        raise InvalidInput(f"the instalments add up to {sum(amounts)} fen; the fine is "
                           f"{facts.get('fine_fen')} fen", code="instalments_sum_mismatch",
                           fine_fen=facts.get("fine_fen"))
    if any(later <= earlier for earlier, later in zip(days, days[1:], strict=False)):
        raise InvalidInput("the instalments' days are in order, one a day at most",
                           code="instalments_out_of_order")
    today, latest = facts.get("today"), facts.get("plan_latest_day")
    if today is not None and days[0] < today:
        raise InvalidInput(f"the first instalment's day {days[0]} is in the past",
                           code="instalment_in_past")
    if latest is not None and days[-1] > latest:
        raise InvalidInput(f"the last instalment may fall on {latest.isoformat()} at the "
                           f"latest ({facts.get('plan_citation', '行政处罚法第六十六条第二款')})",
                           code="instalments_too_late", latest=latest.isoformat())


def plan_named(facts, actor, data) -> None:
    if not facts.get("plan_pending") or data.get("plan_id") != facts.get("pending_plan_id"):
        raise InvalidInput("name the application awaiting a decision: plan_id",
                           code="payment_plan_not_found",
                           pending_plan_id=facts.get("pending_plan_id"))
    if data.get("granted") is None:
        raise InvalidInput("say whether it is approved: granted", code="granted_required")


def has_plan(facts, actor, data) -> None:
    if not facts.get("payment_plan_id"):
        raise Conflict("no approved plan: the fine is paid at once (move pay)",
                       code="no_payment_plan")


def instalment_paid(facts, actor, data, now):
    """The last instalment settles the fine: the case is paid (the flows send it to
    `paid` through resume_state)."""
    if facts.get("resume_state") == "paid":
        return {"paid_at": now}
    return {}


def _day(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"an instalment's due_on is a date: {value!r}",
                           code="instalment_day_invalid") from None
