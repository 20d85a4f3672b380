"""12345 work orders: reading — one order as a dict, the lists (territory, mine; filtered,
sorted), 督办 (overdue and refused: 潍坊市12345政务服务便民热线条例第二十六条), 回访 (北京市接诉即办
工作条例第二十三条), the export for the console, and the caller's public status."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from convenience.open311.models import (
    WORK_ORDER_SUBJECT,
    WorkOrder,
    id_of_number,
    number_of,
)
from convenience.open311.workorder_flow import OPEN_STATES, SATISFACTION_LABELS, STATE_LABELS
from core.errors import InvalidInput, NotFound
from core.exports import Column, table_response
from core.scope import Scope
from core.security import Principal
from core.units.models import Unit
from core.workflow import case_types, clocks, links
from core.workflow.clocks import Subject

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


SORTS = {"created_at": (WorkOrder.created_at, WorkOrder.id),
         "-created_at": (WorkOrder.created_at.desc(), WorkOrder.id.desc()),
         "due_at": (WorkOrder.due_at.asc().nulls_last(), WorkOrder.id),
         "-due_at": (WorkOrder.due_at.desc().nulls_last(), WorkOrder.id.desc()),
         "number": (WorkOrder.id,), "-number": (WorkOrder.id.desc(),)}
DEADLINES = ("green", "yellow", "red")


@dataclass(frozen=True)
class OrderFilter:
    """A console's filters on a list: states (any of), words in the number, description
    or address, the deadline colour; and its order (SORTS)."""

    states: tuple[str, ...] = ()
    q: str = ""
    deadline: str | None = None
    sort: str = "-created_at"


def check_filter(flt: OrderFilter) -> OrderFilter:
    unknown = sorted(set(flt.states) - set(STATE_LABELS))
    if unknown:
        raise InvalidInput(f"state: one of {', '.join(STATE_LABELS)}", code="state_unknown")
    if flt.deadline is not None and flt.deadline not in DEADLINES:
        raise InvalidInput("deadline: green, yellow or red", code="deadline_unknown")
    if flt.sort not in SORTS:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)}", code="sort_unknown")
    return flt


def _filtered(query, flt: OrderFilter):
    if flt.states:
        query = query.where(WorkOrder.state.in_(flt.states))
    if flt.deadline:
        query = query.where(WorkOrder.deadline == flt.deadline)
    words = flt.q.strip()
    if words:
        order_id = id_of_number(words.upper())
        pattern = f"%{_escape_like(words)}%"
        match = (WorkOrder.description.ilike(pattern, escape="\\")
                 | WorkOrder.address.ilike(pattern, escape="\\"))
        query = query.where(match | (WorkOrder.id == order_id) if order_id else match)
    return query.order_by(*SORTS[flt.sort])


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def orders_of(session: Session, *, principal: Principal, queue: str = "territory",
              limit: int = 200, offset: int = 0, flt: OrderFilter = OrderFilter()
              ) -> list[WorkOrder]:
    """The caller's orders: his territory's ('territory') or his units' open ones
    ('mine'), filtered and sorted as the console asks."""
    query = select(WorkOrder)
    if queue == "mine":
        query = query.where(WorkOrder.handler_unit_id.in_(principal.unit_ids or [-1]),
                            WorkOrder.state.in_(OPEN_STATES))
    else:
        query = query.where(Scope.of(principal).column_condition(WorkOrder.owner_code))
    query = _filtered(query, check_filter(flt))
    return list(session.scalars(query.limit(limit).offset(offset)))


EXPORT_LIMIT = 10_000  # a territory's orders of a year fit; more: narrow the filter


def export_orders(session: Session, *, principal: Principal, queue: str, flt: OrderFilter,
                  format: str):
    """The list as the console shows it, as xlsx, CSV or PDF (core/exports.py); no caller's
    name or phone (personal data stay on the order's page)."""
    rows = [order_dict(session, order) for order in orders_of(
        session, principal=principal, queue=queue, limit=EXPORT_LIMIT, flt=flt)]
    return table_response(rows, EXPORT_COLUMNS, filename="12345工单", format=format,
                          sheet_title="12345工单")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


EXPORT_COLUMNS = (
    Column("工单编号", "number"), Column("渠道", "channel"),
    Column("状态", "state_label"), Column("诉求", "description"), Column("地址", "address"),
    Column("承办单位", lambda row: (row["handler_unit"] or {}).get("name") or ""),
    Column("受理时间", lambda row: _local(row["created_at"])),
    Column("派单时间", lambda row: _local(row["dispatched_at"])),
    Column("办结期限", lambda row: _local(row["due_at"])),
    Column("期限", lambda row: {"green": "正常", "yellow": "预警", "red": "超期"}.get(
        row["deadline"], row["deadline"])),
    Column("答复时间", lambda row: _local(row["replied_at"])),
    Column("办结时间", lambda row: _local(row["closed_at"])),
    Column("已解决", lambda row: {True: "是", False: "否"}.get(row["resolved"], "")),
    Column("满意度", lambda row: SATISFACTION_LABELS.get(row["satisfaction"] or "", "")),
)


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
