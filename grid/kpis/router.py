"""/api/v1/kpis: the incident hub's KPIs. Thin routes: the rules are in service.py."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from core.deps import Requires, SessionDep
from core.exports import content_disposition
from core.scope import Scope
from core.security import Principal
from grid.kpis import open as open_incidents
from grid.kpis import ranking, report, service
from grid.kpis.report_pdf import report_pdf
from grid.kpis.schemas import ChildrenOut, KpisOut, OpenOut, RankingOut, SeriesOut
from grid.permissions import GridPermission

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"])

Reader = Annotated[Principal, Depends(Requires(GridPermission.kpi_read))]

DEFINITIONS = """
Name exactly one subject: `area` (its subtree of incidents, by grid code), `unit`
(the unit incidents were dispatched to, `handler_unit`) or `worker` (a grid worker's id:
the incidents of his grids). Only incidents inside the caller's territory count; an
area or worker outside it is 404. The period is [since, until), at most 366 days; by
default the last 30 days up to the end of today (Asia/Shanghai); a time without a zone
is read in Asia/Shanghai.

- **reported** 上报数: reported in the period
- **filed** 立案数: filed in the period
- **closed** 结案数: closed in the period
- **close_rate** 结案率: of those filed in the period, the share closed by now
- **on_time_close_rate** 按期结案率: of those closed in the period, the share never overdue
- **rework_rate** 返工率: of those handled in the period, the share reworked at least once
- **mean_handling_hours** 平均处置时长: mean of closed − filed over those closed in the period
- **valid_report_rate** 有效上报率: of those reported in the period, the share filed
- **on_time_verification_rate** 按时核查率: of those verified in the period, the share
  verified within the step's limit

A rate is null when its denominator is 0; `counts` holds the numerators and denominators.
"""


@dataclass(frozen=True)
class Asked:
    subject: service.Subject
    period: service.Period
    scope: Scope


def asked(
    principal: Reader, session: SessionDep, request: Request,
    area: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,3}$",
                                      description="an area code: its subtree")] = None,
    unit: Annotated[int | None, Query(ge=1, description="a handling unit's id (处置单位)")
                    ] = None,
    worker: Annotated[int | None, Query(ge=1, description="a grid worker's id")] = None,
    since: Annotated[datetime | None, Query(description="from (included)")] = None,
    until: Annotated[datetime | None, Query(description="to (excluded)")] = None,
) -> Asked:
    """The subject, the period and the caller's scope of a KPI request."""
    scope = Scope.of(principal)
    period = service.period_of(since=since, until=until,
                               tz=request.app.state.settings.timezone)
    subject = service.subject_of(session, area=area, unit=unit, worker=worker,
                                 scope=scope)
    return Asked(subject, period, scope)


Query_ = Annotated[Asked, Depends(asked)]


@router.get("", response_model=KpisOut, summary="KPIs of an area, a unit or a worker",
            description=DEFINITIONS)
def kpis(q: Query_, session: SessionDep):
    """The KPIs of an area, a department or a grid worker over a period."""
    return service.kpis(session, subject=q.subject, period=q.period, scope=q.scope)


@router.get("/children", response_model=ChildrenOut,
            summary="KPIs of an area and of each child area", description=DEFINITIONS)
def children(q: Query_, session: SessionDep):
    """An area's KPIs and those of each of its child areas (in the caller's scope)."""
    return service.children_kpis(session, subject=q.subject, period=q.period, scope=q.scope)


@router.get("/series", response_model=SeriesOut, summary="Reported, filed and closed per day",
            description=DEFINITIONS)
def series(q: Query_, session: SessionDep):
    """Reported, filed and closed per calendar day (Asia/Shanghai) of the period."""
    return service.daily_series(session, subject=q.subject, period=q.period, scope=q.scope)


@router.get("/units", response_model=RankingOut,
            summary="KPIs of an area per handling unit", description=DEFINITIONS)
def by_unit(q: Query_, session: SessionDep):
    """The area's figures per unit its incidents were dispatched to (处置单位)."""
    return ranking.ranking(session, subject=q.subject, period=q.period, scope=q.scope,
                           by="unit")


@router.get("/workers", response_model=RankingOut,
            summary="KPIs of an area per grid worker", description=DEFINITIONS)
def by_worker(q: Query_, session: SessionDep):
    """The area's figures per grid worker (the worker of each incident's grid)."""
    return ranking.ranking(session, subject=q.subject, period=q.period, scope=q.scope,
                           by="worker")


RankedBy = Literal["reported", "filed", "closed", "mean_handling_hours", "close_rate",
                   "on_time_close_rate", "rework_rate", "valid_report_rate",
                   "on_time_verification_rate"]


@router.get("/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "the report, A4, Chinese"}},
            summary="The KPI report as a PDF", description=DEFINITIONS)
def report_file(
    q: Query_, session: SessionDep, request: Request,
    sort: Annotated[RankedBy, Query(description="the figure an area's rankings rank on")
                    ] = "close_rate",
):
    """考核指标报表: what the KPI page shows of the subject and period (the figures and how
    each is counted, the rates and the daily series as charts, for an area the rankings of
    its child areas, handling units and grid workers), as a PDF to send up."""
    made = report.gather(session, subject=q.subject, period=q.period, scope=q.scope,
                         sort=sort, now=datetime.now(q.period.tz))
    return Response(report_pdf(made, settings=request.app.state.settings),
                    media_type="application/pdf",
                    headers={"Content-Disposition": content_disposition(report.filename(made))})


@router.get("/open", response_model=OpenOut,
            summary="Open, overdue and warned incidents now, per child area")
def open_by_child(
    principal: Reader, session: SessionDep,
    parent: Annotated[str, Query(pattern=r"^\d{6}(\d{3}){0,3}$",
                                 description="an area code: its child areas")],
):
    """Incidents open now (未结) located in each child area of `parent` in the caller's
    territory, with the overdue (red) and warned (yellow) among them, and the parent's
    totals. An area outside the territory is 404; a grid has no children."""
    return open_incidents.open_by_child(session, parent=parent, scope=Scope.of(principal))
