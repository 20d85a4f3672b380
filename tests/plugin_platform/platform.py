"""A platform declared only inside the test suite ("tickets": a service desk that answers
referred incidents within 5 natural days), to prove that a platform plugs in without an
edit in core or api: its model, workflow, case type and clock, route, layer and event
subscriber are all here.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, Integer, String, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.deps import Requires, SessionDep
from core.errors import NotFound
from core.platforms import Platform
from core.scope import Scope
from core.security import Principal
from core.settings import get_settings
from core.users.enums import Permission, Role, grant, revoke
from core.workflow import case_types, events, links, runner, timeline
from core.workflow.case_types import CaseType
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import parse_duration
from core.workflow.kernel import Workflow, credential_in_owner_unit, transition
from geo.layers import Layer, registry

NAME = "tickets"
# Its own metadata: the migrations' comparison of models and tables never sees it.


class TicketBase(DeclarativeBase):
    pass


class Ticket(TicketBase):
    __tablename__ = "test_ticket"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int | None] = mapped_column(BigInteger)
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=NAME)
    grid_code: Mapped[str] = mapped_column(String(15, collation="C"))
    title: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


ANYONE = frozenset(Role)
WORKFLOW = Workflow(
    "ticket",
    (transition("answer", ["open"], "answered", ANYONE, label="答复"),
     # A move the law reserves to officers with a valid 执法证 (行政处罚法第四十二条).
     transition("inspect", ["open"], "open", ANYONE, label="现场检查",
                guards=[credential_in_owner_unit]),
     transition("close", ["open", "answered"], "closed", ANYONE, label="办结",
                effect=lambda facts, actor, data, now: {"closed_at": now})),
    steps={"open": "answer"}, final_states=frozenset({"closed"}),
    labels={"open": "待答复", "answered": "已答复", "closed": "办结"},
)
# A rule of its own: 5 natural days, suspendable, extendable by 5 by the head.
ANSWER_RULE = ClockRule("step", parse_duration("5cd"), citation="测试平台 答复时限",
                        extension=parse_duration("5cd"), extension_position="head")

TICKET = CaseType(
    code="ticket", subject_type="ticket", platform=NAME, label="工单", model=Ticket,
    workflow=WORKFLOW, area_code=lambda ticket: ticket.grid_code,
    clock_rule=lambda session, ticket, step: ANSWER_RULE,
)


def _ticket_scope(scope: Scope) -> tuple[str, dict]:
    return scope.code_condition("t.grid_code", pyformat=True), scope.params


LAYER = Layer(
    name="tickets", title="Tickets", title_zh="工单", permission=Permission.areas_read,
    geometry_type="Point", source="test_ticket t", geom="t.geom", key="t.id", key_type=int,
    tile_id="t.id", properties=(("id", "t.id"), ("state", "t.state"), ("title", "t.title")),
    scope=_ticket_scope,
)


def open_from_referral(session: Session, payload: dict) -> None:
    """A subject referred to one of our units becomes a ticket linked to it (idempotent:
    one ticket per hand-off)."""
    if payload["to_platform"] != NAME:
        return
    source = Subject(payload["subject_type"], payload["subject_id"])
    if links.linked(session, source, kind="referred", other_type="ticket"):
        return
    where = session.execute(text("SELECT seat_code FROM unit WHERE id = :id"),
                            {"id": payload["to_unit_id"]}).scalar_one()
    point = payload.get("point")
    ticket = Ticket(state="open", version=1, owner_unit_id=payload["to_unit_id"],
                    owner_code=where, owner_platform=NAME, grid_code=payload["area_code"],
                    title=payload["reason"] or "转办", opened_at=runner.now_utc(),
                    geom=f"SRID=4326;POINT({point[0]} {point[1]})" if point else None)
    session.add(ticket)
    session.flush()
    runner.open_case(runner.Context(session, get_settings(), ticket.opened_at, "system"),
                     TICKET, ticket, note=payload["reason"])
    links.link(session, source, Subject("ticket", ticket.id), kind="referred", actor="system")


router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
# Its own permission, granted to every role when it plugs in.
TICKETS_READ = "tickets:read"
Actor = Annotated[Principal, Depends(Requires(TICKETS_READ))]


def _ticket_in_scope(session: Session, ticket_id: int, principal: Principal) -> Ticket:
    scope = Scope.of(principal)
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id,
                                                 scope.column_condition(Ticket.grid_code)))
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id} in your territory")
    return ticket


@router.get("/{ticket_id}")
def get_ticket(ticket_id: int, principal: Actor, session: SessionDep) -> dict:
    ticket = _ticket_in_scope(session, ticket_id, principal)
    subject = Subject("ticket", ticket.id)
    return {"id": ticket.id, "state": ticket.state, "version": ticket.version,
            "links": links.links_of(session, subject),
            "timeline": timeline.events_of(session, subject)}


@router.post("/{ticket_id}/actions/{name}")
def act(ticket_id: int, name: str, body: dict, principal: Actor, session: SessionDep,
        request: Request) -> dict:
    ticket = _ticket_in_scope(session, ticket_id, principal)
    decision = runner.run(session, TICKET, ticket, name, principal=principal, data=body,
                          expected_version=int(body.get("version", 0)),
                          settings=request.app.state.settings)
    if decision.to_state in WORKFLOW.final_states:
        links.report_back(session, Subject("ticket", ticket.id), actor=principal.username,
                          action="ticket.closed", note=body.get("reason"))
    return {"id": ticket.id, "state": ticket.state, "version": ticket.version}


def _setup() -> None:
    grant(TICKETS_READ, Role)
    case_types.register(TICKET)
    registry.register(LAYER)
    events.subscribe(events.HANDOFF_REFERRED, open_from_referral)


def teardown() -> None:
    revoke(TICKETS_READ)
    case_types.unregister(TICKET.code)
    registry.unregister(LAYER.name)
    events.unsubscribe(events.HANDOFF_REFERRED, open_from_referral)


PLATFORM = Platform(name=NAME, label="测试工单", routers=lambda: (router,), setup=_setup)
