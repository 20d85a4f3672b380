"""12345 work orders (工单) as a case type of the kernel.

受理 (an operator takes the call) → 派单 (to the unit the 派单目录 names for the matter in
the area) → 签收 → 办理 → 答复 → 回访 → 办结. The unit first dispatched to answers for it
(首接负责, 北京市接诉即办工作条例第十四条); it may object once, within the window, and the
centre decides (派单异议, 同条例第十二条第三款; 潍坊市12345热线条例第二十二条第二款: a unit the
centre names may not return it again). The handling clock is 5 working days, +5 with the
approval of the unit's head (安阳市政务服务条例第五十条), read from `workorder_rule`. The
centre calls back once the unit replied or the period ran out (北京 第二十三条). Orders
overdue and orders a unit refused (异议被驳回) make the 督办 list (潍坊 第二十六条).

An order about a place may be handed to the grid (an incident through the kernel's intake
registry, source 12345) or linked to an incident already reported; a kernel link either way.

This module holds the moves (派单, 签收, 异议, 改派, 驳回, 延期, 答复, 转网格, 回访, 作废), links,
and the 派单目录's entries; the rules, workflow and case type are workorder_flow.py, the
intake workorder_intake.py, the lists workorder_lists.py (their names are re-exported here,
for callers that know this module only).
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, func, literal, select, text
from sqlalchemy.orm import Session

from convenience.open311.models import (
    WORK_ORDER_SUBJECT,
    DispatchEntry,
    WorkOrder,
)
from convenience.open311.workorder_flow import (  # noqa: F401  (re-exported)
    CASE_TYPE,
    EVERYONE,
    OPEN_STATES,
    OPERATORS,
    PLATFORM,
    RULES,
    SATISFACTION_LABELS,
    STATE_LABELS,
    WORK_ORDER,
    WORKFLOW,
    edit_rule,
    handling_rule,
    mirror_step,
    rule,
)
from convenience.open311.workorder_intake import (  # noqa: F401  (re-exported)
    register,
    register_from_request,
)
from convenience.open311.workorder_lists import (  # noqa: F401  (re-exported)
    callback_queue,
    order_dict,
    orders_of,
    public_status,
    supervision_list,
)
from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.units.models import Unit
from core.workflow import case_types, clocks, intake, links, runner
from core.workflow.clocks import Subject
from core.workflow.durations import parse_duration
from core.workflow.intake import CitizenReport

# --- moves --------------------------------------------------------------------------------

def get_order(session: Session, *, order_id: int, principal: Principal) -> WorkOrder:
    """An order the caller may see: in his territory, or dispatched to one of his units."""
    scope = Scope.of(principal)
    order = session.scalar(select(WorkOrder).where(
        WorkOrder.id == order_id,
        scope.column_condition(WorkOrder.owner_code)
        | WorkOrder.handler_unit_id.in_(principal.unit_ids or [-1])))
    if order is None:
        raise NotFound(f"no work order {order_id} for you", code="work_order_unknown")
    return order


def dispatch_target(session: Session, order: WorkOrder) -> int | None:
    """The 派单目录's unit for the order's matter: the entry of the longest area code that
    contains the order's place (or the centre's area)."""
    if order.matter_code is None:
        return None
    where = order.area_code or order.owner_code
    return session.scalar(select(DispatchEntry.unit_id).where(
        DispatchEntry.matter_code == order.matter_code, DispatchEntry.active,
        literal(where, String()).startswith(DispatchEntry.area_code))
        .order_by(func.length(DispatchEntry.area_code).desc()).limit(1))


def _facts(session: Session, order: WorkOrder, now: datetime, settings) -> dict:
    hours = int(rule(session, "objection_hours").value)
    rounds = int(rule(session, "objection_rounds").value)
    response_due = None
    if order.dispatched_at is not None:
        calendar = runner.Context(session, settings, now, "").calendar
        response_due = calendar.due(order.dispatched_at,
                                    parse_duration(rule(session, "response").value))
    return {"objection_rounds": rounds,
            "objection_open": order.dispatched_at is None
            or now <= order.dispatched_at + timedelta(hours=hours),
            "response_due_at": response_due,
            "due_passed": order.due_at is not None and now > order.due_at}


def available_moves(session: Session, order: WorkOrder, principal: Principal, settings,
                    now: datetime | None = None) -> list[str]:
    """The moves the caller may make on the order now (a console's buttons): role, state
    and the guards about the actor; the form's own checks come when it is sent."""
    from core.workflow.kernel import Actor

    now = now or runner.now_utc()
    facts = runner.facts_of(order, _facts(session, order, now, settings))
    today = now.astimezone(runner.Context(session, settings, now, "").calendar.tz).date()
    return WORKFLOW.available(facts, Actor.of(principal, today=today))


def timeline_of(session: Session, order: WorkOrder) -> list[dict]:
    from core.workflow import timeline

    return timeline.events_of(session, Subject(WORK_ORDER_SUBJECT, order.id))


def act(session: Session, *, order_id: int, name: str, data: Mapping[str, Any],
        principal: Principal, settings, now: datetime | None = None) -> WorkOrder:
    """One move on an order (派单, 签收, 异议, 改派, 驳回, 延期, 答复, 转网格, 回访, 作废)."""
    now = now or runner.now_utc()
    order = get_order(session, order_id=order_id, principal=principal)
    fields = dict(data)
    if name == "dispatch" and fields.get("handler_unit_id") is None:
        fields["handler_unit_id"] = dispatch_target(session, order)
    if fields.get("handler_unit_id") is not None:
        _check_unit(session, fields["handler_unit_id"])
    if name == "transfer":
        _transfer(session, order, fields, principal=principal, settings=settings)
    runner.run(session, WORK_ORDER, order, name, principal=principal, data=fields,
               expected_version=int(fields.get("version") or 0), settings=settings,
               facts=_facts(session, order, now, settings), now=now)
    if name == "extend":
        context = runner.Context(session, settings, now, principal.username)
        rule_ = handling_rule(session, order)
        clock = clocks.extend(session, Subject(WORK_ORDER_SUBJECT, order.id), rule_,
                              by=rule_.extension, now=now, calendar=context.calendar,
                              warn_share=settings.deadline_warn_share)
        order.due_at, order.deadline = clock.due_at, clock.colour
    return order


def _check_unit(session: Session, unit_id: Any) -> None:
    if not isinstance(unit_id, int) or session.get(Unit, unit_id) is None:
        raise InvalidInput(f"no unit {unit_id}", code="unit_unknown")


def _transfer(session: Session, order: WorkOrder, fields: dict, *, principal: Principal,
              settings) -> None:
    """转网格: the order about a place becomes a grid incident (source 12345)."""
    if order.geom is None:
        raise InvalidInput("the order has no location: it cannot go on the grid's map",
                           code="location_missing")
    code = fields.get("service_code") or _incident_code(session, order)
    if not code:
        raise InvalidInput("service_code: the grid 小类 it is reported as",
                           code="service_code_missing")
    lon, lat = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM work_order "
                                    "WHERE id = :id"), {"id": order.id}).one()
    subject = intake.take(session, CitizenReport(
        service_code=code, description=order.description, lon=lon, lat=lat,
        key=f"work-order-{order.id}", address=order.address[:200], source="hotline"),
        settings=settings)
    links.link(session, Subject(WORK_ORDER_SUBJECT, order.id), subject, kind="became",
               actor=principal.username)


def _incident_code(session: Session, order: WorkOrder) -> str | None:
    if order.matter_code is None:
        return None
    return session.scalar(select(DispatchEntry.incident_service_code).where(
        DispatchEntry.matter_code == order.matter_code).limit(1))


def link_incident(session: Session, *, order_id: int, incident_id: int,
                  principal: Principal) -> None:
    """An order about a place already reported: linked to that incident."""
    order = get_order(session, order_id=order_id, principal=principal)
    try:
        incidents = case_types.of_subject("incident")
    except NotFound:
        raise InvalidInput("no platform keeps incidents here",
                           code="incidents_unavailable") from None
    # Through the case-type registry (its model and where it lies), not grid's modules.
    incident = session.get(incidents.model, incident_id)
    if incident is None or not Scope.of(principal).covers_code(incidents.area_code(incident)):
        raise InvalidInput(f"no incident {incident_id} in your territory",
                           code="incident_unknown")
    links.link(session, Subject(WORK_ORDER_SUBJECT, order.id), Subject("incident", incident_id),
               kind="related", actor=principal.username)


def add_entry(session: Session, *, data: Mapping[str, Any], principal: Principal
              ) -> DispatchEntry:
    """A line of the 派单目录 (matter, area → unit), for an area of the caller's territory."""
    if not Scope.of(principal).covers_code(data["area_code"]):
        raise InvalidInput(f"area {data['area_code']} lies outside your territory",
                           code="area_outside")
    if session.get(Unit, data["unit_id"]) is None:
        raise InvalidInput(f"no unit {data['unit_id']}", code="unit_unknown")
    if session.scalar(select(DispatchEntry.id).where(
            DispatchEntry.matter_code == data["matter_code"],
            DispatchEntry.area_code == data["area_code"])) is not None:
        raise Conflict(f"matter {data['matter_code']} has an entry for {data['area_code']}",
                       code="entry_exists")
    row = DispatchEntry(**data)
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.username, action="work_order.catalogue",
                 subject_type="workorder_catalogue", subject_id=row.id, after=dict(data))
    return row
