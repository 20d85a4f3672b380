"""The teams part's routes: thin; the rules are in service.py, operations.py,
whistles.py and kpis.py."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from core.deps import Requires, SessionDep
from core.exports import table_response
from core.security import Principal
from core.users.enums import Permission
from core.workflow.calendar_setup import zone
from enforcement.teams import crews, operations, service, whistles
from enforcement.teams import kpis as kpi_service
from enforcement.teams.permissions import TeamsPermission
from enforcement.teams.schemas import (
    AvailabilityIn,
    CallActionIn,
    CrewOut,
    LimitIn,
    LimitOut,
    NearestOut,
    ObjectIn,
    ObjectOut,
    OperationIn,
    OperationOut,
    OperationPage,
    OperationPatch,
    Qualifications,
    QualificationsIn,
    RosterIn,
    ShiftOut,
    TeamOut,
    TeamPage,
    VisitIn,
    WhistleIn,
    WhistleOut,
    WhistlePage,
)

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement teams"])

TeamReader = Annotated[Principal, Depends(Requires(TeamsPermission.teams_read))]
TeamManager = Annotated[Principal, Depends(Requires(TeamsPermission.teams_manage))]
OperationReader = Annotated[Principal, Depends(Requires(TeamsPermission.operations_read))]
OperationManager = Annotated[Principal, Depends(Requires(TeamsPermission.operations_manage))]
WhistleReader = Annotated[Principal, Depends(Requires(TeamsPermission.whistles_read))]
Whistler = Annotated[Principal, Depends(Requires(TeamsPermission.whistles_blow))]
Answerer = Annotated[Principal, Depends(Requires(TeamsPermission.whistles_answer))]
KpiReader = Annotated[Principal, Depends(Requires(TeamsPermission.kpi_read))]
Admin = Annotated[Principal, Depends(Requires(Permission.users_manage))]

Id = Annotated[int, Query(ge=1, le=2**62)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**7)]
DeptCode = Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[a-z_]{1,32}$")]


def _now() -> datetime:
    return datetime.now(UTC)


def _tz(request: Request):
    return zone(request.app.state.settings.timezone)


# --- teams (§8) --------------------------------------------------------------------------

@router.get("/teams", response_model=TeamPage)
def list_teams(principal: TeamReader, session: SessionDep,
               department: DeptCode | None = None, on_duty: bool | None = None,
               limit: Limit = 100, offset: Offset = 0):
    """执法队伍 of the caller's territory, by code: `position` (GeoJSON point: the on-duty
    members' newest fixes, else the seat), on duty now, availability, qualifications."""
    total, items = service.list_teams(session, principal=principal, now=_now(),
                                      department=department, on_duty=on_duty, limit=limit,
                                      offset=offset)
    return {"total": total, "items": items}


@router.get("/teams/nearest", response_model=NearestOut)
def nearest_teams(
    principal: TeamReader, session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    matter: Annotated[str | None, Query(min_length=1, max_length=40,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
                                        description="a matter's code: only teams "
                                                    "qualified for it")] = None,
    case: Annotated[int | None, Query(ge=1, le=2**62, description="a case: its recused "
                                      "teams are left out, its matter is the default")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    include_busy: bool = False,
):
    """Teams on duty in order of distance (metres on the WGS 84 spheroid) from
    (lon, lat): qualified for `matter` (its department's or its own), not recused from
    `case`, free unless `include_busy`."""
    return service.nearest_teams(session, principal=principal, lon=lon, lat=lat,
                                 matter=matter, case_id=case, limit=limit,
                                 include_busy=include_busy, now=_now())


@router.get("/teams/{team_id}", response_model=TeamOut)
def get_team(team_id: int, principal: TeamReader, session: SessionDep):
    return service.get_team(session, principal=principal, team_id=team_id, now=_now())


@router.put("/teams/{team_id}/qualifications", response_model=Qualifications)
def set_qualifications(team_id: int, data: QualificationsIn, principal: TeamManager,
                       session: SessionDep):
    """Replace what work the team may do: departments (all their matters) and matters."""
    return service.set_qualifications(session, principal=principal, team_id=team_id,
                                      departments=data.departments, matters=data.matters)


@router.get("/teams/{team_id}/roster", response_model=list[ShiftOut])
def get_roster(team_id: int, principal: TeamReader, session: SessionDep, request: Request,
               day: Annotated[date, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))]):
    """值班表: the shifts touching `day` (local time) and who is on duty in each."""
    return service.roster(session, principal=principal, team_id=team_id, day=day,
                          tz=_tz(request))


@router.put("/teams/{team_id}/roster", response_model=list[ShiftOut])
def set_roster(team_id: int, data: RosterIn, principal: TeamManager, session: SessionDep,
               request: Request):
    """Replace the shifts starting on `day`: each with the team's members on duty."""
    return service.set_roster(session, principal=principal, team_id=team_id, day=data.day,
                              tz=_tz(request), shifts=[s.model_dump() for s in data.shifts],
                              now=_now())


@router.get("/teams/{team_id}/crew", response_model=CrewOut)
def get_crew(team_id: int, principal: TeamReader, session: SessionDep, request: Request,
             case: Annotated[int, Query(ge=1, le=2**62, description="the case to send to")]):
    """Who 派遣 would name the case's officers (行政处罚法第四十二条): the team's members, each
    with whether he qualifies (a valid 执法证, the team qualified for the matter, no
    conflict or recusal) and why not; `default`: those sent when none are chosen."""
    return crews.crew_of(session, principal=principal, team_id=team_id, case_id=case,
                         today=datetime.now(_tz(request)).date())


@router.put("/teams/{team_id}/availability", response_model=TeamOut)
def set_availability(team_id: int, data: AvailabilityIn, principal: TeamManager,
                     session: SessionDep):
    """Free, or busy on a subject; `version` is the `status_version` read (409 if stale)."""
    return service.set_availability(session, principal=principal, team_id=team_id,
                                    status=data.status, version=data.version,
                                    subject_type=data.subject_type,
                                    subject_id=data.subject_id, now=_now())


# --- joint operations (§7) ---------------------------------------------------------------

@router.get("/operations", response_model=OperationPage)
def list_operations(principal: OperationReader, session: SessionDep,
                    state: Literal["planned", "running", "finished", "cancelled"] | None = None,
                    department: DeptCode | None = None, limit: Limit = 50,
                    offset: Offset = 0):
    total, items = operations.list_operations(session, principal=principal, state=state,
                                              department=department, limit=limit,
                                              offset=offset)
    return {"total": total, "items": items}


@router.post("/operations", status_code=201, response_model=OperationOut)
def create_operation(data: OperationIn, principal: OperationManager, session: SessionDep,
                     response: Response):
    """联合执法行动: a lead department and cooperating ones with their tasks, over an area
    drawn (`geometry`) or chosen (`area_code`), with the objects to visit once."""
    created = operations.create(session, principal=principal,
                                data=data.model_dump(exclude_none=True))
    response.headers["Location"] = f"/api/v1/enforcement/operations/{created['id']}"
    return created


@router.get("/operations/{operation_id}", response_model=OperationOut)
def get_operation(operation_id: int, principal: OperationReader, session: SessionDep):
    return operations.get(session, principal=principal, operation_id=operation_id)


@router.patch("/operations/{operation_id}", response_model=OperationOut)
def update_operation(operation_id: int, data: OperationPatch, principal: OperationManager,
                     session: SessionDep):
    return operations.update(session, principal=principal, operation_id=operation_id,
                             data=data.model_dump(exclude_unset=True))


@router.delete("/operations/{operation_id}", status_code=204)
def delete_operation(operation_id: int, principal: OperationManager, session: SessionDep,
                     version: Annotated[int, Query(ge=0, le=2**62)]):
    operations.delete(session, principal=principal, operation_id=operation_id,
                      version=version)
    return Response(status_code=204)


@router.post("/operations/{operation_id}/objects", status_code=201, response_model=ObjectOut)
def add_object(operation_id: int, data: ObjectIn, principal: OperationManager,
               session: SessionDep):
    return operations.add_object(session, principal=principal, operation_id=operation_id,
                                 item=data.model_dump())


@router.post("/operations/{operation_id}/objects/{object_id}/visit",
             response_model=ObjectOut)
def visit_object(operation_id: int, object_id: int, data: VisitIn,
                 principal: OperationManager, session: SessionDep):
    """One visit: every department's checks of the object, recorded at once."""
    return operations.visit(session, principal=principal, operation_id=operation_id,
                            object_id=object_id, version=data.version,
                            results=[r.model_dump() for r in data.results], now=_now())


# --- 吹哨报到 (§7) -------------------------------------------------------------------------

@router.post("/whistles", status_code=201, response_model=WhistleOut)
def blow_whistle(data: WhistleIn, principal: Whistler, session: SessionDep, request: Request,
                 response: Response):
    """吹哨: the township calls departments to a place for a matter; each call's arrival
    clock starts (limits: GET /api/v1/enforcement/whistles/limits)."""
    whistle = whistles.blow(session, principal=principal,
                            settings=request.app.state.settings, now=_now(),
                            matter=data.matter, matter_code=data.matter_code,
                            departments=data.departments, lon=data.lon, lat=data.lat,
                            address=data.address, description=data.description,
                            urgency=data.urgency, operation_id=data.operation_id)
    response.headers["Location"] = f"/api/v1/enforcement/whistles/{whistle.id}"
    return whistles.get_whistle(session, principal=principal, whistle_id=whistle.id)


@router.get("/whistles", response_model=WhistlePage)
def list_whistles(principal: WhistleReader, session: SessionDep,
                  state: Literal["called", "responded", "arrived", "acted", "closed"] | None = None,
                  deadline: Literal["green", "yellow", "red"] | None = None,
                  department: DeptCode | None = None, limit: Limit = 50,
                  offset: Offset = 0):
    total, items = whistles.list_whistles(session, principal=principal, state=state,
                                          deadline=deadline, department=department,
                                          limit=limit, offset=offset)
    return {"total": total, "items": items}


@router.get("/whistles/limits", response_model=list[LimitOut])
def whistle_limits(principal: WhistleReader, session: SessionDep):
    """报到时限: per department (or the default) and urgency, with the citation."""
    return whistles.limits(session)


@router.put("/whistles/limits", response_model=LimitOut)
def set_whistle_limit(data: LimitIn, principal: Admin, session: SessionDep):
    """An admin sets a limit (version 0: a new row; else the version read)."""
    return whistles.set_limit(session, principal=principal, **data.model_dump())


@router.get("/whistles/{whistle_id}", response_model=WhistleOut)
def get_whistle(whistle_id: int, principal: WhistleReader, session: SessionDep):
    return whistles.get_whistle(session, principal=principal, whistle_id=whistle_id)


@router.post("/whistles/{whistle_id}/calls/{call_id}/actions/{name}",
             response_model=WhistleOut)
def act_on_call(whistle_id: int, call_id: int,
                name: Annotated[str, Path(pattern=r"^[a-z_]{1,32}$")],
                data: CallActionIn, principal: Answerer, session: SessionDep,
                request: Request):
    """响应 (`respond`), 报到 (`arrive`), 处置 (`act`, with `result`), 销号 (`close`),
    撤哨 (`withdraw`, with `reason`), with the `version` read."""
    whistles.act(session, principal=principal, settings=request.app.state.settings,
                 whistle_id=whistle_id, call_id=call_id, name=name,
                 data=data.model_dump(exclude_none=True))
    return whistles.get_whistle(session, principal=principal, whistle_id=whistle_id)


# --- KPIs (§9) ---------------------------------------------------------------------------

@router.get("/kpis", responses={200: {"content": {
    "application/json": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
    "text/csv": {}}}})
def enforcement_kpis(
    principal: KpiReader, session: SessionDep, request: Request,
    since: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
    until: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
    by: Literal["unit", "area", "department"] = "unit",
    level: Literal["county", "township"] = "county",
    format: Literal["json", "xlsx", "csv"] = "json",  # noqa: A002  (the API's word)
    table: Annotated[Literal["cases", "whistles"],
                     Query(description="which table a file holds")] = "cases",
):
    """执法 KPIs per unit, area or department over [since, until) (local days; default:
    the last 30 days): 立案数, 结案数, 按期办结率, 罚没金额, 听证率, 复议/诉讼纠错率, and
    吹哨报到's calls, answers and response times. `format=xlsx|csv`: the `table` asked."""
    tz = _tz(request)
    until = until or (datetime.now(tz).date() + timedelta(days=1))
    since = since or (until - timedelta(days=30))
    start = datetime(since.year, since.month, since.day, tzinfo=tz)
    end = datetime(until.year, until.month, until.day, tzinfo=tz)
    figures = kpi_service.kpis(session, principal=principal, since=start, until=end, by=by,
                               level=level)
    if format == "json":
        return figures
    title, columns = kpi_service.TABLES[table]
    return table_response(figures[table], columns, format=format,
                          filename=f"{title}-{since}-{until}", sheet_title=title)
