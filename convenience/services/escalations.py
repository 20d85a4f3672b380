"""Escalation of overdue 差评整改 and 办不成事 to the supervising office (督办).

When a clock of a rectification (联系核实 1 working day, 整改 15 by default) or of a stuck
matter (一般事项 2 working days to close, 复杂事项 5 to report progress) runs out, the sweep
(core/workflow/sweep.py) turns it red and calls the case type's hook here, which:

- tells the supervising office (上级): the county's 政务服务管理部门 (行政审批服务局), else
  the county's 政务服务中心 — and when the overdue unit is that office itself, the city's
  (安阳市政务服务条例第六条: 政务服务管理部门负责监督本行政区域的政务服务工作; 第五十六条:
  由上级主管机关责令改正);
- records it on the subject's timeline (`<subject>.escalate`, the clock, its due time, the
  office) and in the audit log, and keeps the first escalation on the row
  (`escalated_at`, `escalated_to_unit_id`) for the lists;
- once per clock: the kernel marks the clock escalated (`case_clock.escalated`) when the
  hook returns it, and a red clock already escalated is never offered again.

Whether each escalates is data (`rating.escalate`, `stuck.escalate` in svc_setting, with
their citations); switched off, the clock is still marked handled: red is all there is.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from convenience.services import limits
from convenience.services.common import unit_by_code
from core import audit
from core.workflow import notify, timeline
from core.workflow.case_types import ClockChange, Escalation
from core.workflow.clocks import Subject
from core.workflow.kernel import Notice

ACTOR = "system"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# What ran out, by subject type and clock name, in the platform's words.
CLOCK_LABELS = {
    ("svc_rectification", "step"): "差评联系核实",
    ("svc_rectification", "rectify"): "差评整改",
    ("svc_stuck_matter", "step"): "办不成事办理",
}
SETTING_OF = {"svc_rectification": "rating.escalate", "svc_stuck_matter": "stuck.escalate"}


def supervising_office(session: Session, *, owner_unit_id: int | None, owner_code: str
                       ) -> Any | None:
    """The active office above the unit (id, code, name): the county's 行政审批服务局 or
    hall, else the city's."""
    county, city = owner_code[:6], owner_code[:4] + "00"
    for seat in (county, city):
        for code in (f"{seat}-department-government_services", f"{seat}-service_hall"):
            unit = unit_by_code(session, code)
            if unit is not None and unit.id != owner_unit_id:
                return unit
    return None


def hook(model: type, final_states: frozenset[str]):
    """The sweep's hook of a case type (core/workflow/case_types.py `on_sweep`)."""
    def on_sweep(session: Session, changes: Sequence[ClockChange],
                 leftover: Sequence[ClockChange], now: datetime, sign_by: datetime
                 ) -> list[Escalation]:
        handled = []
        for change in (*changes, *leftover):
            if change.colour != "red":
                continue
            escalate(session, model, change, final_states=final_states, now=now)
            handled.append(Escalation(change.clock_id, change.subject_id, None, "", "", None))
        return handled
    return on_sweep


def escalate(session: Session, model: type, change: ClockChange, *,
             final_states: frozenset[str], now: datetime) -> Any | None:
    """One overdue clock of one subject (its row locked by the sweep): tell the office,
    record it. Nothing for a subject closed meanwhile or with escalation switched off."""
    subject_type = model.__tablename__
    if limits.value(session, SETTING_OF[subject_type]) == "0":
        return None
    row = session.get(model, change.subject_id)
    if row is None or row.state in final_states:
        return None
    office = supervising_office(session, owner_unit_id=row.owner_unit_id,
                                owner_code=row.owner_code)
    what = CLOCK_LABELS.get((subject_type, change.name), change.name)
    due = change.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    note = (f"{what}超期（期限{due}），自动报{office.name}督办" if office is not None
            else f"{what}超期（期限{due}），无上级政务服务管理部门可报")
    subject = Subject(subject_type, row.id)
    timeline.add(session, subject, actor=ACTOR, action=f"{subject_type}.escalate", note=note,
                 at=now, data={"clock": change.name, "due_at": change.due_at.isoformat(),
                               "to_unit": office.id if office is not None else None})
    if office is not None:
        notify.send(session, subject, Notice("convenience.escalated", f"督办：{note}",
                                             unit_ids=(office.id,)))
    if row.escalated_at is None:
        row.escalated_at = now
        row.escalated_to_unit_id = office.id if office is not None else None
    audit.record(session, actor=ACTOR, action=f"{subject_type}.escalate",
                 subject_type=subject_type, subject_id=row.id,
                 before={"owner_unit": row.owner_unit_id},
                 after={"clock": change.name, "office": office.id if office else None})
    return office
