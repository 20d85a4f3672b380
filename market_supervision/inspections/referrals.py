"""A referral's answer by the enforcement unit it was handed to: 签收 (the finding is
theirs: the referral is accepted) or 退回 with a reason (it goes back to the market office,
which sees it on the inspection). The kernel's hand-off does the work
(core/workflow/handoffs.py `answer`); the referral's state follows it, and the inspection's
timeline is told (links.report_back)."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.workflow import handoffs, links, runner
from core.workflow.clocks import Subject
from core.workflow.models import Handoff
from market_supervision.inspections.case_type import REFERRAL, REFERRAL_SUBJECT
from market_supervision.inspections.models import Referral


def get_referral(session: Session, *, referral_id: int, principal: Principal) -> Referral:
    """A referral in the caller's territory, or handed to one of his units."""
    units = [m.unit_id for m in principal.memberships]
    addressed = select(Handoff.subject_id).where(Handoff.subject_type == REFERRAL_SUBJECT,
                                                 Handoff.to_unit_id.in_(units or [-1]))
    referral = session.scalar(select(Referral).where(
        Referral.id == referral_id,
        or_(Scope.of(principal).column_condition(Referral.area_code),
            Referral.id.in_(addressed))))
    if referral is None:
        raise NotFound(f"no referral {referral_id} for you", code="referral_not_found")
    return referral


def answer(session: Session, *, referral_id: int, handoff_id: int, sign: bool,
           reason: str | None, principal: Principal, settings: Settings) -> Referral:
    referral = get_referral(session, referral_id=referral_id, principal=principal)
    context = runner.Context(session, settings, runner.now_utc(), principal.username)
    handoffs.answer(context, REFERRAL, referral, handoff_id=handoff_id, sign=sign,
                    reason=reason, principal=principal)
    referral.state = "accepted" if sign else "returned"
    links.report_back(session, Subject(REFERRAL_SUBJECT, referral.id), actor=principal.username,
                      action="referral.accepted" if sign else "referral.returned", note=reason)
    return referral
