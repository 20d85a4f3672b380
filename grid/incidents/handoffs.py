"""Hand-offs (流转) of incidents: escalate one level up (上报), assign down to a unit inside
(下派), or refer across to a unit of any platform (转办). The kernel does the work
(core/workflow/handoffs.py); a referral to another platform reaches it as an event.
"""

from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.workflow import handoffs
from core.workflow.models import Handoff
from core.workflow.runner import Context, now_utc
from grid.incidents.case_type import INCIDENT
from grid.incidents.schemas import HandoffIn
from grid.incidents.service import get_incident


def check_reason(kind: str, reason: str | None) -> None:
    """The kinds the case type says need a reason (grid/incidents/case_type.py: 上报), with
    one. Checked before the kernel locks anything: a bare escalation writes nothing."""
    if kind in INCIDENT.handoff_reasons and not (reason or "").strip():
        raise InvalidInput(f"{kind} (上报) needs a reason: why this level cannot handle it",
                           code="reason_required")


def hand_off(session: Session, *, incident_id: int, data: HandoffIn, principal: Principal,
             settings: Settings) -> Handoff:
    check_reason(str(data.kind), data.reason)
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    return handoffs.hand_off(
        Context(session, settings, now_utc(), principal.username), INCIDENT, incident,
        kind=str(data.kind), principal=principal, expected_version=data.version,
        reason=data.reason, to_unit_id=data.to_unit_id,
        to_platform=str(data.to_platform) if data.to_platform else None,
        to_department=data.to_department)


def answer_handoff(session: Session, *, incident_id: int, handoff_id: int, sign: bool,
                   reason: str | None, principal: Principal, settings: Settings) -> Handoff:
    """签收 (sign) or 退回 (return, with a reason) a hand-off addressed to the caller's unit."""
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    return handoffs.answer(Context(session, settings, now_utc(), principal.username),
                           INCIDENT, incident, handoff_id=handoff_id, sign=sign,
                           reason=reason, principal=principal)
