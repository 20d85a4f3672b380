"""Routes: KPIs (日统计、周排名、月通报) and the limits (svc_setting)."""

from datetime import date, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from convenience.services import (
    kpis,
    limits,
)
from convenience.services.routes.deps import (
    XLSX,
    Area,
    KpiReader,
    Manager,
    Reader,
    _area,
    _pdf,
    _settings,
    _xlsx,
)
from convenience.services.schemas import (
    SettingIn,
)
from core.deps import SessionDep
from core.workflow.calendar_setup import zone

router = APIRouter()
PREFIX = "/api/v1/convenience"  # convenience/services/router.py


# --- KPIs --------------------------------------------------------------------------------

Group = Literal["point", "department", "item"]


def _today(tz) -> date:
    """The office's day, not the server's UTC date: from 16:00 UTC Shanghai is already on
    the next day, and that day's applications would fall outside a period ending today."""
    return datetime.now(tz).date()


def _period(since: date | None, until: date | None, tz) -> tuple[datetime, datetime]:
    end = until or _today(tz) + timedelta(days=1)
    start = since or end - timedelta(days=30)
    return (datetime.combine(start, datetime.min.time(), tz),
            datetime.combine(end, datetime.min.time(), tz))


@router.get("/kpis")
def get_kpis(principal: KpiReader, session: SessionDep, request: Request,
             group: Group = "point", area: Area = None, since: date | None = None,
             until: date | None = None) -> list:
    """办件量, 按期办结率, 一次办成率, 跑动次数, 好评率, 差评整改率, 代办量 per group."""
    start, end = _period(since, until, zone(_settings(request).timezone))
    return kpis.figures(session, group=group, area_code=_area(principal, area), since=start,
                        until=end)


@router.get("/kpis/export")
def export_kpis(principal: KpiReader, session: SessionDep, request: Request,
                group: Group = "point", area: Area = None, since: date | None = None,
                until: date | None = None, format: Literal["xlsx", "csv"] = "xlsx"
                ) -> Response:
    """The same figures as xlsx or CSV."""
    start, end = _period(since, until, zone(_settings(request).timezone))
    return kpis.export(session, group=group, area_code=_area(principal, area), since=start,
                       until=end, format=format)


Format = Literal["xlsx", "pdf"]
# (file → its builder) for the two reports: the same figures as xlsx or PDF.
_WEEKLY = {"xlsx": (kpis.weekly_ranking_xlsx, _xlsx), "pdf": (kpis.weekly_ranking_pdf, _pdf)}
_MONTHLY = {"xlsx": (kpis.monthly_bulletin_xlsx, _xlsx),
            "pdf": (kpis.monthly_bulletin_pdf, _pdf)}


@router.get("/kpis/weekly-ranking", response_class=Response, responses={200: {"content": {
    XLSX: {}, "application/pdf": {}}}})
def weekly_ranking(principal: KpiReader, session: SessionDep, request: Request,
                   format: Format = "xlsx", week: date | None = None, area: Area = None
                   ) -> Response:
    """周排名: service points ranked by the mean of 按期办结率, 一次办成率 and 好评率, as
    xlsx or PDF (`format`); the week holding `week` (default: last week)."""
    tz = zone(_settings(request).timezone)
    day = week or _today(tz) - timedelta(days=7)
    build, respond = _WEEKLY[format]
    return respond(build(session, area_code=_area(principal, area), week=day, tz=tz),
                   f"weekly-ranking-{day}.{format}")


@router.get("/kpis/monthly-bulletin", response_class=Response, responses={200: {"content": {
    XLSX: {}, "application/pdf": {}}}})
def monthly_bulletin(principal: KpiReader, session: SessionDep, request: Request,
                     format: Format = "xlsx", month: date | None = None, area: Area = None
                     ) -> Response:
    """月通报: the month by service point, department and item (the xlsx adds the overdue
    list), as xlsx or PDF (`format`); the month holding `month` (default: last month)."""
    tz = zone(_settings(request).timezone)
    day = month or (_today(tz).replace(day=1) - timedelta(days=1))
    build, respond = _MONTHLY[format]
    return respond(build(session, area_code=_area(principal, area), month=day, tz=tz),
                   f"monthly-bulletin-{day:%Y-%m}.{format}")


def _moved(request: Request, path: str, format: str) -> RedirectResponse:
    """The old per-format paths answer with a permanent redirect to the one route (their
    query kept), for bookmarks and scripts written against them."""
    query = "&".join(filter(None, (f"format={format}", request.url.query)))
    return RedirectResponse(f"{PREFIX}/kpis/{path}?{query}", status_code=308)


@router.get("/kpis/weekly-ranking.{format}", include_in_schema=False)
def weekly_ranking_moved(principal: KpiReader, request: Request, format: Format
                         ) -> RedirectResponse:
    return _moved(request, "weekly-ranking", format)


@router.get("/kpis/monthly-bulletin.{format}", include_in_schema=False)
def monthly_bulletin_moved(principal: KpiReader, request: Request, format: Format
                           ) -> RedirectResponse:
    return _moved(request, "monthly-bulletin", format)


# --- limits ------------------------------------------------------------------------------

@router.get("/settings")
def get_limits(principal: Reader, session: SessionDep) -> list:
    """Every limit of the platform with its citation."""
    return limits.all_settings(session)


@router.put("/settings/{key}")
def put_limit(key: str, data: SettingIn, principal: Manager,
              session: SessionDep) -> dict:
    return limits.update(session, key[:48], new_value=data.value, version=data.version)
