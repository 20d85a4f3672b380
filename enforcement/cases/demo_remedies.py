"""The demo's payment plans and 复议/诉讼 (after demo.py made the cases): some served fines
paid in instalments (暂缓/分期, 行政处罚法第六十六条), and some decisions appealed with an
outcome (行政复议法, 行政诉讼法), so the KPI 复议/诉讼纠错率 has figures. Both go through
the live service (the runner's moves, appeals.py) at instants in the past, like the cases.
"""

import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.settings import Settings
from enforcement.cases import appeals, flows
from enforcement.cases.models import Case
from enforcement.cases.schemas_appeals import AppealIn, AppealOutcomeIn

log = logging.getLogger(__name__)
PLANS, APPEALS = 6, 10  # at most, of the demo's served fines / decisions
# (outcome, weight): most decisions stand; a few are corrected.
OUTCOMES = (("upheld", 6), ("rejected", 2), ("changed", 1), ("revoked", 1), ("unlawful", 1))
BODIES = {"reconsideration": "县人民政府", "litigation": "县人民法院"}


def add_remedies(session: Session, settings: Settings, rng: random.Random, *,
                 principal_of, teams: list[dict], now: datetime) -> dict:
    """`principal_of(team)`: the team's acting officer (demo.py's)."""
    by_unit = {team["id"]: team for team in teams}
    served = _served(session, list(by_unit))
    rng.shuffle(served)
    plans = sum(_plan(session, settings, rng, case, principal_of(by_unit[case.owner_unit_id]),
                      now) for case in served[:PLANS])
    appealed = sum(_appeal(session, settings, rng, case,
                           principal_of(by_unit[case.owner_unit_id]), now)
                   for case in served[PLANS:PLANS + APPEALS])
    return {"payment_plans": plans, "appeals": appealed}


def _served(session: Session, unit_ids: list[int]) -> list[Case]:
    return list(session.scalars(select(Case).where(
        Case.owner_unit_id.in_(unit_ids), Case.state == "served", Case.fine_fen > 0,
        Case.decided_at.is_not(None)).order_by(Case.id)))


def _plan(session, settings, rng, case: Case, principal, now: datetime) -> int:
    """Three instalments a month apart from next week, applied and approved."""
    first = now.date() + timedelta(days=7)
    third = case.fine_fen // 3
    amounts = [case.fine_fen - 2 * third, third, third]
    schedule = [{"due_on": (first + timedelta(days=30 * i)).isoformat(), "amount_fen": a}
                for i, a in enumerate(amounts) if a > 0]
    try:
        with session.begin_nested():
            flows.act_on(session, case, name="apply_payment_plan", principal=principal,
                         settings=settings, now=now, fields={
                             "version": case.version, "instalments": schedule,
                             "reason": "当事人经营困难，申请分期缴纳"})
            plan_id = _pending_plan_id(session, case)
            flows.act_on(session, case, name="decide_payment_plan", principal=principal,
                         settings=settings, now=now, fields={
                             "version": case.version, "plan_id": plan_id, "granted": True,
                             "reason": "确有经济困难，准予分期"})
            if rng.random() < 0.5:
                flows.act_on(session, case, name="pay_instalment", principal=principal,
                             settings=settings, now=now, fields={"version": case.version})
    except DomainError as refused:
        log.debug("demo case %s: no payment plan (%s)", case.id, refused.code)
        return 0
    return 1


def _pending_plan_id(session: Session, case: Case) -> int:
    from enforcement.cases.payments import pending_plan

    return pending_plan(session, case).id


def _appeal(session, settings, rng, case: Case, principal, now: datetime) -> int:
    kind = rng.choice(list(BODIES))
    decided = case.decided_at
    filed = min(decided + timedelta(days=rng.randint(3, 20)), now)
    outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
    tz = settings_tz(settings)
    try:
        with session.begin_nested():
            row = appeals.file(session, case, AppealIn(
                version=case.version, kind=kind, body=BODIES[kind],
                filed_on=filed.astimezone(tz).date()), principal=principal,
                settings=settings, now=filed)
            done = min(filed + timedelta(days=rng.randint(10, 40)), now)
            appeals.record_outcome(session, case, row.id, AppealOutcomeIn(
                version=row.version, outcome=outcome, decided_on=done.astimezone(tz).date(),
                document_title="行政复议决定书" if kind == "reconsideration"
                else "行政判决书"), principal=principal, settings=settings, now=done)
    except DomainError as refused:
        log.debug("demo case %s: no appeal (%s)", case.id, refused.code)
        return 0
    return 1


def settings_tz(settings: Settings):
    from zoneinfo import ZoneInfo

    return ZoneInfo(getattr(settings, "timezone", None) or "Asia/Shanghai")
