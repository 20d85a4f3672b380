"""Inspections and referrals as case types of the kernel (core/workflow/case_types.py).

An inspection runs named clocks, not a step clock: `publish` (公示 within 20 working days
of the inspection), `rectify` (a 责令限期改正's deadline), `withdraw` (撤回 within 3
working days of an overturn). flows.py starts and stops them, each from the moment the
law counts from (the inspection's, not the submission's: a phone may sync days later);
the sweep colours them; the inspection row keeps a copy of their due moments (lists, the
overdue layer). A referral is the subject handed off to 综合执法 (core/workflow/handoffs.py).
"""

from sqlalchemy.orm import Session

from core.workflow.case_types import CaseType
from core.workflow.clocks import ClockRule
from core.workflow.kernel import Workflow
from market_supervision.inspections import rules
from market_supervision.inspections.models import Inspection, Referral
from market_supervision.inspections.workflow import INSPECTION_WORKFLOW

SUBJECT = "market_inspection"
REFERRAL_SUBJECT = "market_referral"


def clock_rule(session: Session, inspection: Inspection, step: str) -> ClockRule:
    """The rule of a named clock (the workflow runs no step clock: see the module doc)."""
    if step == "rectify":
        return rules.rectify_rule(session, inspection.rectify_days or 1)
    return rules.clock_rule(session, step)


INSPECTION = CaseType(
    code="market.inspection", subject_type=SUBJECT, platform="market_supervision",
    label="市场检查", model=Inspection, workflow=INSPECTION_WORKFLOW,
    area_code=lambda inspection: inspection.area_code, clock_rule=clock_rule,
)

# A referral only waits in the enforcement unit's queue (签收 / 退回 are the kernel's); the
# enforcement platform opens its own case from the hand-off's event and links it.
REFERRAL_WORKFLOW = Workflow(
    "market_referral", (),
    labels={"referred": "已移送", "accepted": "已受理", "returned": "已退回"},
)

REFERRAL = CaseType(
    code="market.referral", subject_type=REFERRAL_SUBJECT, platform="market_supervision",
    label="移送综合执法", model=Referral, workflow=REFERRAL_WORKFLOW,
    area_code=lambda referral: referral.area_code,
    clock_rule=lambda session, referral, step: rules.clock_rule(session, "withdraw"),
)
