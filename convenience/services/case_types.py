"""The part's case types (core/workflow/case_types.py): their clock rules come from the
data — an application's 承诺时限 from its item, a bundle's from its type, the rest from
`svc_setting` rows with their citations — and the sweep's hooks: a 容缺 promise not kept
in time withdraws the application (条例第二十四条), an enterprise form not delivered in time
turns yellow, then red; an overdue rectification or 办不成事 goes to the supervising office
(escalations.py)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services import escalations, limits
from convenience.services.common import SYSTEM, move
from convenience.services.models import (
    Application,
    Bundle,
    BundleType,
    EnterpriseRequest,
    Item,
    Rectification,
    StuckMatter,
)
from convenience.services.workflows import (
    APPLICATION,
    BUNDLE,
    ENTERPRISE,
    RECTIFICATION,
    STUCK,
)
from core.workflow.case_types import CaseType, ClockChange, Escalation
from core.workflow.clocks import ClockRule
from core.workflow.durations import parse_duration

PLATFORM = "convenience"
LAPSED = "容缺材料逾期未补齐，视为撤回申请（安阳市政务服务条例第二十四条）"


def promise_rule(item: Item) -> ClockRule:
    """承诺时限 in working days (即办件: within one working day)."""
    days = max(item.promised_days, 1)
    return ClockRule("step", parse_duration(f"{days}d"),
                     citation=f"{item.name} 承诺时限{item.promised_days}个工作日"
                              f"（法定时限{item.legal_days}个工作日）",
                     rule_text=item.legal_basis[:200], suspendable=True)


def _application_rule(session: Session, application: Application, step: str) -> ClockRule:
    return promise_rule(session.get(Item, application.item_id))


def _mirror_application(application: Application, clock, op, now: datetime) -> None:
    if op.op in ("start", "resume") and clock is not None:
        application.due_at = clock.due_at


def _handled(change: ClockChange) -> Escalation:
    """A red clock dealt with: the kernel marks it escalated and does not come back."""
    return Escalation(change.clock_id, change.subject_id, None, "", "", None)


def _application_sweep(session: Session, changes: Sequence[ClockChange],
                       leftover: Sequence[ClockChange], now: datetime, sign_by: datetime
                       ) -> list[Escalation]:
    handled = []
    for change in (*changes, *leftover):
        if change.colour != "red":
            continue
        if change.name == "supplement":
            lapse(session, change.subject_id, now=now)
        handled.append(_handled(change))
    return handled


def lapse(session: Session, application_id: int, *, now: datetime) -> bool:
    """The 容缺 deadline passed with materials still missing: withdrawn (the sweep holds
    the row's lock)."""
    application = session.get(Application, application_id)
    if application is None or application.state in APPLICATION.final_states \
            or not application.deferred:
        return False
    move(session, APPLICATION_TYPE, application, "lapse", principal=SYSTEM,
         data={"reason": LAPSED}, now=now)
    if application.bundle_id:  # the last open item of a bundle: the bundle closes too
        from convenience.services.bundles import close_if_done

        close_if_done(session, application.bundle_id, now=now)
    return True


APPLICATION_TYPE = CaseType(
    code="convenience.application", subject_type="svc_application", platform=PLATFORM,
    label="办件", model=Application, workflow=APPLICATION,
    area_code=lambda application: application.owner_code, clock_rule=_application_rule,
    on_sweep=_application_sweep, mirror_step=_mirror_application)


def _bundle_rule(session: Session, bundle: Bundle, step: str) -> ClockRule:
    kind = session.get(BundleType, bundle.bundle_type)
    return ClockRule("step", parse_duration(f"{max(kind.promised_days, 1)}d"),
                     citation=f"一件事一次办 {kind.name} 承诺时限{kind.promised_days}个工作日"
                              f"{('；' + kind.citation) if kind.citation else ''}"[:300])


BUNDLE_TYPE = CaseType(
    code="convenience.bundle", subject_type="svc_bundle", platform=PLATFORM,
    label="一件事", model=Bundle, workflow=BUNDLE, area_code=lambda b: b.owner_code,
    clock_rule=_bundle_rule)


def _rectification_rule(session: Session, row: Rectification, step: str) -> ClockRule:
    return limits.rule(session, "rating.contact")


RECTIFICATION_TYPE = CaseType(
    code="convenience.rectification", subject_type="svc_rectification", platform=PLATFORM,
    label="差评整改", model=Rectification, workflow=RECTIFICATION,
    area_code=lambda r: r.owner_code, clock_rule=_rectification_rule,
    on_sweep=escalations.hook(Rectification, RECTIFICATION.final_states))


def _enterprise_rule(session: Session, row: EnterpriseRequest, step: str) -> ClockRule:
    return limits.rule(session, f"enterprise.{step}", escalates=step in ("green", "yellow"))


def accountability_units(session: Session, owner_code: str) -> list[int]:
    """The county's discipline (纪检监察) and business-environment (营商环境) offices."""
    return list(session.scalars(text("""
        SELECT id FROM unit WHERE is_active AND department_code IN
               ('discipline', 'business_environment')
          AND seat_code = substr(:code, 1, 6) ORDER BY id"""), {"code": owner_code}))


def _enterprise_sweep(session: Session, changes: Sequence[ClockChange],
                      leftover: Sequence[ClockChange], now: datetime, sign_by: datetime
                      ) -> list[Escalation]:
    handled = []
    for change in (*changes, *leftover):
        if change.colour != "red":
            continue
        escalate_form(session, change.subject_id, now=now)
        handled.append(_handled(change))
    return handled


def escalate_form(session: Session, request_id: int, *, now: datetime) -> str | None:
    """A green form not delivered in time turns yellow (督办); a yellow one red (问责)."""
    row = session.get(EnterpriseRequest, request_id)
    if row is None or row.state not in ("green", "yellow"):
        return None
    name = "escalate_yellow" if row.state == "green" else "escalate_red"
    why = ("帮办超时，自动转黄单督办" if row.state == "green"
           else "督办超时，自动转红单问责，通报纪检监察和营商环境部门")
    move(session, ENTERPRISE_TYPE, row, name, principal=SYSTEM, data={"reason": why}, now=now,
         facts={"accountability_units": accountability_units(session, row.owner_code)})
    return row.state


ENTERPRISE_TYPE = CaseType(
    code="convenience.enterprise", subject_type="svc_enterprise_request", platform=PLATFORM,
    label="企业代办督办", model=EnterpriseRequest, workflow=ENTERPRISE,
    area_code=lambda r: r.owner_code, clock_rule=_enterprise_rule,
    on_sweep=_enterprise_sweep)


def _stuck_rule(session: Session, row: StuckMatter, step: str) -> ClockRule:
    return limits.rule(session, "stuck.complex" if row.kind == "complex" else "stuck.general")


STUCK_TYPE = CaseType(
    code="convenience.stuck", subject_type="svc_stuck_matter", platform=PLATFORM,
    label="办不成事", model=StuckMatter, workflow=STUCK, area_code=lambda r: r.owner_code,
    clock_rule=_stuck_rule, on_sweep=escalations.hook(StuckMatter, STUCK.final_states))

ALL = (APPLICATION_TYPE, BUNDLE_TYPE, RECTIFICATION_TYPE, ENTERPRISE_TYPE, STUCK_TYPE)
