"""Routes: proxy agents, enterprise forms (四色单), 办不成事, refusals (否定事项)."""

from typing import Literal

from fastapi import APIRouter, Request

from convenience.services import (
    desks,
)
from convenience.services.case_types import ENTERPRISE_TYPE, STUCK_TYPE
from convenience.services.common import move
from convenience.services.models import EnterpriseRequest, StuckMatter
from convenience.services.routes.deps import (
    Actor,
    Area,
    Limit,
    Manager,
    Offset,
    Reader,
    Supervisor,
    _area,
    _body,
    _settings,
)
from convenience.services.schemas import (
    ActionIn,
    EnterpriseIn,
    FindingIn,
    ProxyAgentIn,
    ReportIn,
    StuckIn,
)
from core.deps import SessionDep
from core.workflow import runner

router = APIRouter()


# --- proxy agents, enterprise forms, 办不成事 ----------------------------------------------

@router.get("/proxy-agents")
def list_agents(principal: Reader, session: SessionDep, area: Area = None,
                limit: Limit = 50, offset: Offset = 0) -> list:
    """代办员 with their open queue, what they finished and the trips they saved."""
    return desks.agents(session, area_code=_area(principal, area), limit=limit, offset=offset)


@router.post("/proxy-agents", status_code=201)
def register_agent(data: ProxyAgentIn, principal: Manager, session: SessionDep) -> dict:
    desks.unit_in_scope(session, data.unit_id, principal)
    agent = desks.register_agent(session, **data.model_dump())
    return {"user_id": agent.user_id, "unit_id": agent.unit_id, "tier": agent.tier,
            "name": agent.name}


@router.post("/enterprise-requests", status_code=201)
def open_enterprise(data: EnterpriseIn, principal: Actor, session: SessionDep,
                    request: Request) -> dict:
    row = desks.open_enterprise(session, principal=principal, data=data.model_dump(),
                                settings=_settings(request))
    return desks.enterprise_dict(session, row)


@router.get("/enterprise-requests/{request_id}")
def get_enterprise(request_id: int, principal: Reader, session: SessionDep) -> dict:
    return desks.enterprise_dict(session, desks.load_scoped(session, EnterpriseRequest,
                                                            request_id, principal))


@router.post("/enterprise-requests/{request_id}/actions/{name}")
def act_on_enterprise(request_id: int, name: Literal["assign", "deliver"], data: ActionIn,
                      principal: Actor, session: SessionDep, request: Request) -> dict:
    row = desks.load_scoped(session, EnterpriseRequest, request_id, principal)
    move(session, ENTERPRISE_TYPE, row, name, principal=principal, data=_body(data),
         expected_version=data.version, settings=_settings(request))
    return desks.enterprise_dict(session, row)


@router.post("/stuck-matters", status_code=201)
def open_stuck(data: StuckIn, principal: Actor, session: SessionDep, request: Request) -> dict:
    """办不成事 window: simple on the spot, general in 2 working days, complex reports
    progress in 5."""
    row = desks.open_stuck(session, principal=principal, data=data.model_dump(),
                           settings=_settings(request))
    return desks.stuck_dict(session, row)


@router.get("/stuck-matters/{matter_id}")
def get_stuck(matter_id: int, principal: Reader, session: SessionDep) -> dict:
    return desks.stuck_dict(session, desks.load_scoped(session, StuckMatter, matter_id,
                                                       principal))


@router.post("/stuck-matters/{matter_id}/actions/{name}")
def act_on_stuck(matter_id: int, name: Literal["report_progress", "close"], data: ActionIn,
                 principal: Actor, session: SessionDep, request: Request) -> dict:
    row = desks.load_scoped(session, StuckMatter, matter_id, principal)
    move(session, STUCK_TYPE, row, name, principal=principal, data=_body(data),
         expected_version=data.version, settings=_settings(request))
    return desks.stuck_dict(session, row)


# --- refusals (否定事项) -------------------------------------------------------------------

@router.post("/refusal-reports", status_code=201)
def make_reports(data: ReportIn, principal: Supervisor, session: SessionDep) -> list:
    """The week's refusals, per county, to its supervising office (also made by the beat
    every Monday for the week before)."""
    return desks.make_refusal_reports(session, week=data.week, now=runner.now_utc(),
                                      area_code=_area(principal, None))


@router.get("/refusal-reports/{report_id}")
def get_report(report_id: int, principal: Supervisor, session: SessionDep) -> dict:
    return desks.report_dict(session, report_id, principal)


@router.post("/refusals/{refusal_id}/finding")
def review_refusal(refusal_id: int, data: FindingIn, principal: Supervisor,
                   session: SessionDep) -> dict:
    return desks.review_refusal(session, refusal_id, finding=data.finding, note=data.note,
                                version=data.version, actor=principal.username,
                                now=runner.now_utc(), principal=principal)
