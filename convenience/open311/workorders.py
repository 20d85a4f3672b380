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
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, func, literal, select, text
from sqlalchemy.orm import Session

from convenience.open311.models import (
    SATISFACTION,
    WORK_ORDER_SUBJECT,
    DispatchEntry,
    ServiceRequest,
    WorkOrder,
    WorkOrderRule,
    number_of,
)
from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.units.enums import Position
from core.units.models import Unit
from core.users.enums import Role
from core.workflow import case_types, clocks, intake, links, runner
from core.workflow.case_types import CaseType
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import parse_duration
from core.workflow.intake import CitizenReport
from core.workflow.kernel import ClockOp, Notice, Workflow, about_the_actor, requires, transition

PLATFORM = "convenience"
CASE_TYPE = "work_order"

# The rules as first seeded (migration 0020); admins edit the rows (workorder_rule).
RULES: dict[str, tuple[str, str, str]] = {
    "handling": ("5d", "承办时限（工作日）",
                 "安阳市政务服务条例第五十条第一款：承办单位应当在接到政务服务热线事项五个工作日内办理"
                 "完毕并回复来电人、反馈热线工作机构；国务院办公厅关于进一步优化地方政务服务便民热线的"
                 "指导意见（国办发〔2020〕53号）"),
    "extension": ("5d", "延期（经本单位负责人批准，工作日）",
                  "安阳市政务服务条例第五十条第一款：对于特别复杂的政务服务热线事项，五个工作日不能办理"
                  "完毕的，经本单位负责人批准，可以延期五个工作日"),
    "objection_hours": ("24", "派单异议（退回）期限（小时，自派单起）",
                        "安阳市政务服务条例第五十条第二款：不属于本单位职责范围的，应当在24小时内退回热线"
                        "工作机构并说明退回原因"),
    "objection_rounds": ("1", "派单异议轮次",
                         "北京市接诉即办工作条例第十二条第三款（派单异议审核机制）；潍坊市12345政务服务便民"
                         "热线条例第二十二条第二款：经研究确定或者直接指定的承办单位不得退回热线事项"),
    "response": ("1d", "签收（响应）时限（工作日）",
                 "本地规定（响应率考核口径）：北京市接诉即办工作条例第三十二条，考评以响应率、解决率、"
                 "满意率为核心内容"),
}

STATE_LABELS = {"registered": "已受理（待派单）", "dispatched": "已派单（待签收）",
                "objected": "派单异议（待审核）", "handling": "办理中",
                "transferred": "已转网格化管理平台处置", "replied": "已答复（待回访）",
                "closed": "已办结", "void": "作废"}
SATISFACTION_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意",
                       "unsatisfied": "不满意"}
# 12345 operators: the centres' desks and the leaders who watch over them.
OPERATORS = frozenset({Role.county_dispatcher, Role.township_staff, Role.village_staff,
                       Role.supervisor})
EVERYONE = frozenset(Role)
OPEN_STATES = ("dispatched", "objected", "handling")


# --- rules -------------------------------------------------------------------------------

def rule(session: Session, name: str) -> WorkOrderRule:
    row = session.get(WorkOrderRule, name)
    if row is None:
        raise NotFound(f"no work-order rule {name!r}: seed workorder_rule",
                       code="rule_missing")
    return row


def handling_rule(session: Session, order: WorkOrder = None, step: str = "handling"
                  ) -> ClockRule:
    """The handling clock: limit and extension from the rules table, with citations."""
    limit, extension = rule(session, "handling"), rule(session, "extension")
    return ClockRule("step", parse_duration(limit.value), citation=limit.citation,
                     extension=parse_duration(extension.value),
                     extension_position=Position.head, escalates=False)


# --- the workflow (pure) ---------------------------------------------------------------

@about_the_actor
def _member_of_handler(facts, actor, data) -> None:
    """首接负责: the order is its handling unit's: a member of it makes its moves."""
    if not actor.holds(facts.get("handler_unit_id"), frozenset(Position)):
        raise Forbidden("this work order was dispatched to another unit", code="not_your_order")


@about_the_actor
def _head_of_handler(facts, actor, data) -> None:
    """安阳市政务服务条例第五十条: the extension is approved by the unit's head."""
    if not actor.holds(facts.get("handler_unit_id"), {Position.head}):
        raise Forbidden("an extension is approved by the head (负责人) of the handling unit",
                        code="extension_needs_head")


def _not_extended(facts, actor, data) -> None:
    if facts.get("extended"):
        raise Conflict("the order was extended already (once, 5 working days)",
                       code="already_extended")


def _objection_allowed(facts, actor, data) -> None:
    """One round (objection_rounds), within the window after the dispatch."""
    if facts.get("objection_count", 0) >= facts.get("objection_rounds", 1):
        raise Conflict("the objection round was used: the unit the centre named handles it "
                       "(首接负责)", code="objection_round_used")
    if not facts.get("objection_open", True):
        raise Conflict("the objection window after the dispatch has passed",
                       code="objection_window_passed")


def _callback_allowed(facts, actor, data) -> None:
    """回访: after the unit replied, or once the period ran out (北京 第二十三条)."""
    if facts["state"] == "handling" and not facts.get("due_passed"):
        raise Conflict("call back after the unit replied or once its period ran out",
                       code="callback_too_early")
    if data.get("satisfaction") not in SATISFACTION:
        raise InvalidInput(f"satisfaction: one of {', '.join(SATISFACTION)}",
                           code="satisfaction_required")
    if data.get("resolved") is None:
        raise InvalidInput("resolved: true or false (已解决/未解决)", code="resolved_required")


def _new_unit(facts, actor, data) -> None:
    if data.get("handler_unit_id") is None:
        raise InvalidInput("handler_unit_id: the unit that handles it", code="unit_required")
    if data.get("handler_unit_id") == facts.get("handler_unit_id"):
        raise InvalidInput("upholding the objection dispatches to another unit",
                           code="same_unit")


def _dispatched(facts, actor, data, now):
    return {"handler_unit_id": data["handler_unit_id"], "dispatched_at": now,
            "first_unit_id": facts.get("first_unit_id") or data["handler_unit_id"],
            "signed_at": None, "signed_on_time": None}


def _redispatched(facts, actor, data, now):
    # The objection upheld: the unit the centre names answers for it from now on.
    return {"handler_unit_id": data["handler_unit_id"], "first_unit_id": data["handler_unit_id"],
            "dispatched_at": now, "signed_at": None, "signed_on_time": None}


def _signed(facts, actor, data, now):
    due = facts.get("response_due_at")
    return {"signed_at": now, "signed_on_time": due is None or now <= due}


def _objected(facts, actor, data, now):
    return {"objection_count": facts.get("objection_count", 0) + 1,
            "objection_reason": data.get("reason")}


def _rejected(facts, actor, data, now):
    # The unit must handle it: counted as received now, and listed for 督办 (拒不接收).
    return {"refused": True, "signed_at": facts.get("signed_at") or now,
            "signed_on_time": facts.get("signed_on_time") or False}


def _replied(facts, actor, data, now):
    return {"reply": data.get("reason"), "replied_at": now}


def _called_back(facts, actor, data, now):
    return {"satisfaction": data["satisfaction"], "resolved": bool(data["resolved"]),
            "callback_note": data.get("reason"), "closed_at": now}


def _tell_handler(topic: str, title: str):
    def notices(facts, data) -> list[Notice]:
        unit = facts.get("handler_unit_id")
        return [Notice(topic, title, (unit,))] if unit else []
    return notices


def _tell_owner(topic: str, title: str):
    def notices(facts, data) -> list[Notice]:
        unit = facts.get("owner_unit_id")
        return [Notice(topic, title, (unit,))] if unit else []
    return notices


WORKFLOW = Workflow(
    "work_order",
    (transition("dispatch", ["registered"], "dispatched", OPERATORS, label="派单",
                guards=[requires("handler_unit_id", "handler_unit_id: the unit that "
                                 "handles it (or a matter in the 派单目录)", "unit_required")],
                effect=_dispatched, fields=("handler_unit_id",),
                notify=_tell_handler("work_order.dispatched", "新派工单，请签收")),
     transition("sign", ["dispatched"], "handling", EVERYONE, label="签收",
                guards=[_member_of_handler], effect=_signed),
     transition("object", ["dispatched"], "objected", EVERYONE, label="派单异议",
                needs_reason=True, guards=[_member_of_handler, _objection_allowed],
                effect=_objected, notify=_tell_owner("work_order.objected", "工单派单异议待审核")),
     transition("uphold", ["objected"], "dispatched", OPERATORS, label="异议成立，改派",
                needs_reason=True, guards=[_new_unit], effect=_redispatched,
                fields=("handler_unit_id",),
                notify=_tell_handler("work_order.dispatched", "改派工单，请签收")),
     transition("reject", ["objected"], "handling", OPERATORS, label="异议不成立，原单位办理",
                needs_reason=True, effect=_rejected,
                notify=_tell_handler("work_order.objection_rejected", "派单异议不成立，请办理")),
     transition("extend", ["handling"], "handling", EVERYONE, label="延期",
                needs_reason=True, guards=[_head_of_handler, _not_extended],
                effect=lambda facts, actor, data, now: {"extended": True}),
     transition("reply", ["handling"], "replied", EVERYONE, label="答复",
                needs_reason=True, guards=[_member_of_handler], effect=_replied,
                notify=_tell_owner("work_order.replied", "工单已答复，待回访")),
     transition("transfer", ["registered"], "transferred", OPERATORS, label="转网格处置",
                fields=("service_code",)),
     transition("callback", ["replied", "handling", "transferred"], "closed", OPERATORS,
                label="回访", guards=[_callback_allowed], effect=_called_back,
                fields=("satisfaction", "resolved")),
     transition("void", ["registered"], "void", OPERATORS, label="作废", needs_reason=True)),
    steps={"dispatched": "handling", "objected": "handling", "handling": "handling"},
    restarting_moves=frozenset({"uphold"}),
    final_states=frozenset({"closed", "void"}),
    labels=STATE_LABELS,
)


def mirror_step(order: WorkOrder, clock, op: ClockOp, now: datetime) -> None:
    """The order's copy of its handling clock (lists, the 督办 list). Stopped late (the
    kernel's `late`: past due, or red): overdue for good."""
    if op.op in ("start", "resume") and clock is not None:
        order.due_at, order.deadline = clock.due_at, clock.colour
    elif op.op in ("stop", "stop_all") and clock is not None and clock.late:
        order.ever_overdue, order.deadline = True, "red"


WORK_ORDER = CaseType(
    code=CASE_TYPE, subject_type=WORK_ORDER_SUBJECT, platform=PLATFORM, label="12345工单",
    model=WorkOrder, workflow=WORKFLOW,
    area_code=lambda order: order.area_code or order.owner_code,
    clock_rule=handling_rule, mirror_step=mirror_step,
)


# --- intake --------------------------------------------------------------------------------

def _centre_at(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.kind == "centre", Unit.is_active,
                                             Unit.seat_code == code))


def register(session: Session, *, principal_name: str, owner_code: str, channel: str,
             caller_phone: str, description: str, caller_name: str = "",
             matter_code: str | None = None, address: str = "",
             lon: float | None = None, lat: float | None = None, settings: Any,
             now: datetime | None = None) -> WorkOrder:
    """受理: a new order held by the 12345 centre at `owner_code`, awaiting dispatch."""
    now = now or runner.now_utc()
    if not description.strip():
        raise InvalidInput("description: what the caller asks", code="description_required")
    if matter_code is not None and session.scalar(select(DispatchEntry.id).where(
            DispatchEntry.matter_code == matter_code, DispatchEntry.active)) is None:
        raise InvalidInput(f"no matter {matter_code!r} in the 派单目录", code="matter_unknown")
    area_code = _grid_of(session, lon, lat) if lon is not None else None
    centre = _centre_at(session, owner_code)
    order = WorkOrder(
        channel=channel, caller_name=caller_name, caller_phone=caller_phone,
        matter_code=matter_code, description=description.strip(), address=address,
        geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326) if lon is not None else None,
        area_code=area_code, state="registered", version=1,
        owner_unit_id=centre.id if centre else None, owner_code=owner_code,
        owner_platform=PLATFORM, created_by=principal_name, created_at=now)
    session.add(order)
    session.flush()
    runner.open_case(runner.Context(session, settings, now, principal_name), WORK_ORDER, order,
                     data={"channel": channel, "matter_code": matter_code})
    return order


def _grid_of(session: Session, lon: float, lat: float) -> str | None:
    return session.execute(text(
        "SELECT code FROM area WHERE level = 'grid' AND ST_Intersects(geom, "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) LIMIT 1"), {"lon": lon, "lat": lat}
    ).scalar()


def register_from_request(session: Session, request: ServiceRequest, *, settings: Any
                          ) -> Subject:
    """An Open311 request with only an address: an order for the city's 12345 centre."""
    city = session.execute(text(
        "SELECT code FROM area WHERE level = 'city' ORDER BY code LIMIT 1")).scalar()
    if city is None:
        raise InvalidInput("no jurisdiction is loaded to take the request",
                           code="jurisdiction_missing")
    order = register(session, principal_name="open311", owner_code=city, channel="open311",
                     caller_phone=request.phone or "", description=request.description
                     or f"{request.service_name}（{request.address_string or request.address_id}）",
                     caller_name=" ".join(filter(None, (request.last_name, request.first_name))),
                     address=request.address_string or request.address_id, settings=settings)
    return Subject(WORK_ORDER_SUBJECT, order.id)


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


# --- reading -----------------------------------------------------------------------------

def order_dict(session: Session, order: WorkOrder, principal: Principal | None = None) -> dict:
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(
        [u for u in (order.handler_unit_id, order.first_unit_id, order.owner_unit_id) if u])
    )).all())
    out = {"id": order.id, "number": number_of(order.id), "state": order.state,
           "state_label": STATE_LABELS[order.state], "version": order.version,
           "channel": order.channel, "matter_code": order.matter_code,
           "description": order.description, "address": order.address,
           "area_code": order.area_code, "owner_code": order.owner_code,
           "handler_unit": _unit(order.handler_unit_id, units),
           "first_unit": _unit(order.first_unit_id, units),
           "objection_count": order.objection_count, "refused": order.refused,
           "extended": order.extended, "due_at": order.due_at, "deadline": order.deadline,
           "ever_overdue": order.ever_overdue, "reply": order.reply,
           "resolved": order.resolved, "satisfaction": order.satisfaction,
           "created_at": order.created_at, "dispatched_at": order.dispatched_at,
           "signed_at": order.signed_at, "replied_at": order.replied_at,
           "closed_at": order.closed_at}
    if principal is not None:
        out["caller_name"], out["caller_phone"] = order.caller_name, order.caller_phone
        out["links"] = links.links_of(session, Subject(WORK_ORDER_SUBJECT, order.id))
        out["clocks"] = [clocks.clock_dict(c) for c in clocks.clocks_of(
            session, Subject(WORK_ORDER_SUBJECT, order.id))]
    return out


def _unit(unit_id: int | None, names: dict) -> dict | None:
    return {"id": unit_id, "name": names.get(unit_id)} if unit_id else None


def orders_of(session: Session, *, principal: Principal, queue: str = "territory",
              limit: int = 200) -> list[WorkOrder]:
    """The caller's orders: his territory's ('territory') or his units' ('mine')."""
    query = select(WorkOrder)
    if queue == "mine":
        query = query.where(WorkOrder.handler_unit_id.in_(principal.unit_ids or [-1]),
                            WorkOrder.state.in_(OPEN_STATES))
    else:
        query = query.where(Scope.of(principal).column_condition(WorkOrder.owner_code))
    return list(session.scalars(query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
                                .limit(limit)))


def supervision_list(session: Session, *, principal: Principal, now: datetime | None = None
                     ) -> list[dict]:
    """督办: open orders past their due time, and orders a unit refused (异议被驳回) —
    潍坊市12345政务服务便民热线条例第二十六条 (拒不接收, 逾期未办理)."""
    now = now or datetime.now(UTC)
    rows = session.scalars(select(WorkOrder).where(
        Scope.of(principal).column_condition(WorkOrder.owner_code),
        WorkOrder.state.in_(OPEN_STATES),
        (WorkOrder.due_at < now) | WorkOrder.refused)
        .order_by(WorkOrder.due_at.nulls_last(), WorkOrder.id)).all()
    return [{**order_dict(session, order),
             "reasons": [reason for reason, applies in (
                 ("逾期未办理", order.due_at is not None and order.due_at < now),
                 ("拒不接收（异议被驳回）", order.refused)) if applies]}
            for order in rows]


def callback_queue(session: Session, *, principal: Principal, now: datetime | None = None
                   ) -> list[dict]:
    """回访: replied orders, and open ones whose period ran out (北京 第二十三条)."""
    now = now or datetime.now(UTC)
    rows = session.scalars(select(WorkOrder).where(
        Scope.of(principal).column_condition(WorkOrder.owner_code),
        (WorkOrder.state.in_(("replied", "transferred")))
        | ((WorkOrder.state == "handling") & (WorkOrder.due_at < now)))
        .order_by(WorkOrder.id)).all()
    return [order_dict(session, order) for order in rows]


def public_status(session: Session, *, number: str, phone: str) -> dict:
    """The caller's order by number and phone (the public page): state and dates, no names
    and no phone; 404 alike for a wrong number or a wrong phone."""
    from convenience.open311.models import id_of_number

    order_id = id_of_number(number)
    order = session.get(WorkOrder, order_id) if order_id else None
    if order is None or not phone.strip() or order.caller_phone != phone.strip():
        raise NotFound("没有找到该工单，请核对工单编号和来电号码", code="work_order_unknown")
    return {"number": number_of(order.id), "state": order.state,
            "state_label": STATE_LABELS[order.state], "progress": _grid_progress(session, order),
            "created_at": order.created_at,
            "dispatched_at": order.dispatched_at, "due_at": order.due_at,
            "replied_at": order.replied_at, "reply": order.reply,
            "closed_at": order.closed_at}


def _grid_progress(session: Session, order: WorkOrder) -> str | None:
    """An order handed to the grid: the incident's newest state, in the grid's own words
    (the kernel's timeline and case-type registry; no grid module)."""
    if order.state != "transferred":
        return None
    became = links.linked(session, Subject(WORK_ORDER_SUBJECT, order.id), kind="became",
                          other_type="incident")
    if not became:
        return None
    state = session.scalar(text(
        "SELECT to_state FROM timeline_event WHERE subject_type = 'incident' AND "
        "subject_id = :id AND to_state IS NOT NULL ORDER BY id DESC LIMIT 1"),
        {"id": became[0].id})
    try:
        labels = case_types.of_subject("incident").workflow.labels
    except NotFound:
        labels = {}
    return f"网格化管理平台：{labels.get(state, state)}" if state else None


def edit_rule(session: Session, *, name: str, value: str, version: int,
                      actor: str) -> WorkOrderRule:
    """An admin edits a rule (optimistic: the version read)."""
    row = rule(session, name)
    if row.version != version:
        raise Conflict(f"the rule changed since you read it (version {row.version})",
                       code="stale_version", current_version=row.version)
    if name in ("handling", "extension", "response"):
        duration = parse_duration(value)
        if not duration.unit.working:
            raise InvalidInput(f"{name}: working days or hours (e.g. 5d)", code="rule_invalid")
    elif not value.isdigit():
        raise InvalidInput(f"{name}: a whole number", code="rule_invalid")
    before = row.value
    row.value = value
    session.flush()
    audit.record(session, actor=actor, action="work_order.rule", subject_type="workorder_rule",
                 subject_id=0, before={"name": name, "value": before},
                 after={"name": name, "value": value})
    return row


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
