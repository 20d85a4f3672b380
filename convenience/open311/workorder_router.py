"""12345 work-order routes (thin: the rules are in workorders.py and kpis.py)."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from convenience.open311 import kpis, workorders
from convenience.open311.models import SATISFACTION, DispatchEntry, WorkOrderRule
from convenience.open311.workorder_lists import SORTS, OrderFilter
from convenience.open311.workorder_lists import export_orders as export_list
from core.deps import Requires, SessionDep
from core.errors import InvalidInput
from core.security import Principal
from core.users.enums import Role, grant


class WorkOrderPermission(StrEnum):
    read = "workorders:read"  # one's territory's orders and one's units' orders
    intake = "workorders:intake"  # 受理 (12345 operators)
    act = "workorders:act"  # moves; which move, the workflow says (role, unit, position)
    manage = "workorders:manage"  # the 派单目录 and the rules
    kpi = "workorders:kpi"  # 响应率, 解决率, 满意率


# Everyone who may hold a desk in a handling unit (grid workers report on the grid, not
# here); which move, the workflow says by role, unit and position.
DESKS = frozenset(Role) - {Role.grid_worker}
GRANTS = ((WorkOrderPermission.read, DESKS),
          (WorkOrderPermission.intake, workorders.OPERATORS),
          (WorkOrderPermission.act, DESKS),
          (WorkOrderPermission.manage, frozenset({Role.admin})),
          (WorkOrderPermission.kpi, workorders.OPERATORS | {Role.admin}))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)


router = APIRouter(prefix="/api/v1/convenience/workorders", tags=["12345 work orders"])
Reader = Annotated[Principal, Depends(Requires(WorkOrderPermission.read))]
Operator = Annotated[Principal, Depends(Requires(WorkOrderPermission.intake))]
Actor = Annotated[Principal, Depends(Requires(WorkOrderPermission.act))]
Manager = Annotated[Principal, Depends(Requires(WorkOrderPermission.manage))]
KpiReader = Annotated[Principal, Depends(Requires(WorkOrderPermission.kpi))]


class WorkOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["phone", "web", "app", "letter"] = "phone"
    caller_name: str = Field("", max_length=50)
    caller_phone: str = Field(min_length=3, max_length=20, pattern=r"^[0-9+\- ]+$")
    description: str = Field(min_length=1, max_length=4000)
    matter_code: str | None = Field(None, max_length=32)
    address: str = Field("", max_length=400)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    reason: str | None = Field(None, max_length=4000)
    handler_unit_id: int | None = Field(None, ge=1, le=2**63 - 1)
    service_code: str | None = Field(None, max_length=32)
    satisfaction: Literal[SATISFACTION] | None = None  # type: ignore[valid-type]
    resolved: bool | None = None


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: int = Field(ge=1, le=2**63 - 1)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matter_code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    matter: str = Field(min_length=1, max_length=100)
    keywords: str = Field("", max_length=400)
    area_code: str = Field(min_length=2, max_length=15, pattern=r"^[0-9]+$")
    unit_id: int = Field(ge=1, le=2**63 - 1)
    incident_service_code: str | None = Field(None, max_length=32)
    basis: str = Field("", max_length=2000)


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=32)
    version: int = Field(ge=1, le=2**31 - 1)


@router.post("", status_code=201)
def take_call(body: WorkOrderIn, principal: Operator, session: SessionDep,
              request: Request) -> dict:
    """受理: an operator records a call; the order waits for its dispatch."""
    if (body.lon is None) != (body.lat is None):
        raise InvalidInput("lon and lat go together", code="lon_lat_pair")
    order = workorders.register(
        session, principal_name=principal.username, owner_code=principal.scope_code,
        channel=body.channel, caller_phone=body.caller_phone, caller_name=body.caller_name,
        description=body.description, matter_code=body.matter_code, address=body.address,
        lon=body.lon, lat=body.lat, settings=request.app.state.settings)
    return workorders.order_dict(session, order, principal)


States = Annotated[str, Query(max_length=200, pattern=r"^[a-z_,]*$",
                               description="states, comma separated (any of them)")]
Words = Annotated[str, Query(max_length=100, description="in the number, description or "
                                                         "address")]
Deadline = Annotated[Literal["green", "yellow", "red"] | None, Query()]
Sort = Annotated[Literal[tuple(SORTS)], Query(description="a key; '-' first: descending")]


def _filter(state: str, q: str, deadline: str | None, sort: str) -> OrderFilter:
    return OrderFilter(states=tuple(s for s in state.split(",") if s), q=q,
                       deadline=deadline, sort=sort)


@router.get("")
def list_orders(principal: Reader, session: SessionDep,
                queue: Literal["territory", "mine"] = "territory", state: States = "",
                q: Words = "", deadline: Deadline = None, sort: Sort = "-created_at",
                limit: Annotated[int, Query(ge=1, le=500)] = 200,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[dict]:
    """The territory's orders, or my units' open ones; filtered by state, words and
    deadline colour, sorted (created_at, due_at, number; '-' descending)."""
    return [workorders.order_dict(session, order) for order in workorders.orders_of(
        session, principal=principal, queue=queue, limit=limit, offset=offset,
        flt=_filter(state, q, deadline, sort))]


@router.get("/export", response_class=Response, responses={200: {"content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
    "text/csv": {}, "application/pdf": {}}}})
def export_orders(principal: Reader, session: SessionDep,
                  format: Literal["xlsx", "csv", "pdf"] = "xlsx",
                  queue: Literal["territory", "mine"] = "territory", state: States = "",
                  q: Words = "", deadline: Deadline = None, sort: Sort = "-created_at"):
    """The list with the same filters, as xlsx, CSV or PDF (no caller's name or phone)."""
    return export_list(session, principal=principal, queue=queue, format=format,
                       flt=_filter(state, q, deadline, sort))


@router.get("/supervision")
def supervision(principal: KpiReader, session: SessionDep) -> list[dict]:
    """督办: overdue orders and orders a unit refused."""
    return workorders.supervision_list(session, principal=principal)


@router.get("/callbacks")
def callbacks(principal: Operator, session: SessionDep) -> list[dict]:
    """回访: replied orders and those whose period ran out."""
    return workorders.callback_queue(session, principal=principal)


@router.get("/kpis")
def rates(principal: KpiReader, session: SessionDep, start: date, end: date) -> dict:
    """响应率, 解决率, 满意率 of the caller's territory, by handling unit."""
    return kpis.rates(session, principal=principal, start=start, end=end)


@router.get("/kpis.xlsx", response_class=Response, responses={200: {"content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def rates_xlsx(principal: KpiReader, session: SessionDep, start: date, end: date):
    """The same figures as xlsx (core/exports.py)."""
    return kpis.rates_response(kpis.rates(session, principal=principal, start=start, end=end))


@router.get("/catalogue")
def catalogue(principal: Reader, session: SessionDep) -> list[dict]:
    """派单目录."""
    rows = session.scalars(select(DispatchEntry).order_by(DispatchEntry.matter_code,
                                                          DispatchEntry.area_code)).all()
    return [_entry(row) for row in rows]


@router.post("/catalogue", status_code=201)
def add_entry(body: EntryIn, principal: Manager, session: SessionDep) -> dict:
    row = workorders.add_entry(session, data=body.model_dump(), principal=principal)
    return _entry(row)


@router.get("/rules")
def rules(principal: Reader, session: SessionDep) -> list[dict]:
    """The process rules as data, each with its citation."""
    rows = session.scalars(select(WorkOrderRule).order_by(WorkOrderRule.name)).all()
    return [{"name": r.name, "value": r.value, "label": r.label, "citation": r.citation,
             "version": r.version} for r in rows]


@router.put("/rules/{name}")
def edit_rule(name: str, body: RuleIn,
              principal: Manager, session: SessionDep) -> dict:
    row = workorders.edit_rule(session, name=name[:32], value=body.value,
                               version=body.version, actor=principal.username)
    return {"name": row.name, "value": row.value, "version": row.version}


@router.get("/{order_id}")
def get_order(order_id: int, principal: Reader,
              session: SessionDep, request: Request) -> dict:
    """One order, with its clocks, links, timeline and the moves the caller may make now
    (`actions`: the consoles' buttons)."""
    order = workorders.get_order(session, order_id=_id(order_id), principal=principal)
    return {**workorders.order_dict(session, order, principal),
            "timeline": workorders.timeline_of(session, order),
            "actions": workorders.available_moves(session, order, principal,
                                                  request.app.state.settings)}


@router.post("/{order_id}/actions/{name}")
def act(order_id: int, name: str, body: MoveIn, principal: Actor, session: SessionDep,
        request: Request) -> dict:
    order = workorders.act(session, order_id=_id(order_id), name=name[:32],
                           data=body.model_dump(), principal=principal,
                           settings=request.app.state.settings)
    return workorders.order_dict(session, order, principal)


@router.post("/{order_id}/links", status_code=201)
def link(order_id: int, body: LinkIn, principal: Operator, session: SessionDep) -> dict:
    """An order about a place already reported: linked to that incident."""
    workorders.link_incident(session, order_id=_id(order_id), incident_id=body.incident_id,
                             principal=principal)
    order = workorders.get_order(session, order_id=_id(order_id), principal=principal)
    return workorders.order_dict(session, order, principal)


def _id(value: int) -> int:
    if not 1 <= value <= 2**63 - 1:
        raise InvalidInput("an order id is a positive 64-bit integer", code="id_out_of_range")
    return value


def _entry(row: DispatchEntry) -> dict:
    return {"id": row.id, "matter_code": row.matter_code, "matter": row.matter,
            "keywords": row.keywords, "area_code": row.area_code, "unit_id": row.unit_id,
            "incident_service_code": row.incident_service_code, "basis": row.basis,
            "active": row.active, "version": row.version}

