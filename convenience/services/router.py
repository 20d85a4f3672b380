"""The part's API routes: thin, the rules are in the services. Staff routes under
/api/v1/convenience need a token; /api/v1/convenience/public answers residents without
one (no personal data out; a resident proves an application is his with its phone)."""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from convenience.services import (
    applications,
    bundles,
    catalogue,
    desks,
    kpis,
    limits,
    points,
    ratings,
    throttle,
)
from convenience.services.case_types import ENTERPRISE_TYPE, STUCK_TYPE
from convenience.services.common import move
from convenience.services.models import EnterpriseRequest, Rating, Rectification, StuckMatter
from convenience.services.permissions import ServicePermission as P
from convenience.services.schemas import (
    BIGINT,
    ActionIn,
    AppealDecisionIn,
    AppealIn,
    ApplicationIn,
    BundleIn,
    BundleTypeIn,
    EnterpriseIn,
    FindingIn,
    ImportIn,
    ItemIn,
    ItemUpdate,
    MaterialsIn,
    PointIn,
    PointItemsIn,
    ProxyAgentIn,
    PublicRatingIn,
    RatingIn,
    ReportIn,
    SettingIn,
    StatusIn,
    StuckIn,
    WindowsIn,
)
from core.attachments import service as attachments
from core.deps import Requires, SessionDep
from core.errors import NotFound
from core.scope import Scope
from core.security import Principal
from core.workflow import runner
from core.workflow.calendar import zone

router = APIRouter(prefix="/api/v1/convenience", tags=["convenience"])
public = APIRouter(prefix="/api/v1/convenience/public", tags=["convenience-public"])

Reader = Annotated[Principal, Depends(Requires(P.read))]
Actor = Annotated[Principal, Depends(Requires(P.act))]
Manager = Annotated[Principal, Depends(Requires(P.manage))]
Supervisor = Annotated[Principal, Depends(Requires(P.supervise))]
KpiReader = Annotated[Principal, Depends(Requires(P.kpi))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Area = Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,3}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
APPLICATION_MOVES = Literal["review", "ask_supplement", "supplemented", "add_deferred",
                            "decide", "finish", "return", "withdraw", "commit_check", "revoke"]


def _xlsx(raw: bytes, name: str) -> Response:
    return Response(raw, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _pdf(raw: bytes, name: str) -> Response:
    return Response(raw, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _area(principal: Principal, area: str | None) -> str:
    """The area asked for, if the caller's territory covers it; else his own."""
    scope = Scope.of(principal)
    if area is not None:
        if not scope.covers_code(area):
            raise NotFound(f"no area {area} in your territory", code="area_not_found")
        return area
    return principal.scope_code or ""


def _settings(request: Request):
    return request.app.state.settings


def _body(data) -> dict:
    return data.model_dump(exclude_none=True)


# --- catalogue ---------------------------------------------------------------------------

@router.get("/items")
def search_items(principal: Reader, session: SessionDep,
                 q: Annotated[str, Query(max_length=100)] = "",
                 item_type: Annotated[str | None, Query(max_length=16)] = None,
                 department: Annotated[str | None, Query(max_length=32)] = None,
                 level: Literal["county", "township", "village"] | None = None,
                 online: bool | None = None, limit: Limit = 50, offset: Offset = 0) -> list:
    """事项检索: codes, name or department containing `q`."""
    return catalogue.search(session, q=q, item_type=item_type, department=department,
                            level=level, online=online, limit=limit, offset=offset)


@router.get("/items/export")
def export_items(principal: Reader, session: SessionDep,
                 format: Literal["xlsx", "csv"] = "xlsx") -> Response:
    """The catalogue as xlsx or CSV, in the columns the import reads."""
    return catalogue.export(session, format=format)


@router.post("/items/import")
def import_items(data: ImportIn, principal: Manager, session: SessionDep) -> dict:
    """The catalogue from an xlsx or CSV (the export's columns, base64 in `data`): every
    row checked, then all written or none (422 import_rows_invalid lists the bad rows)."""
    return catalogue.import_catalogue(session, attachments.decode(data.data, noun="file"))


@router.get("/items/{item_id}")
def get_item(item_id: int, principal: Reader, session: SessionDep) -> dict:
    return catalogue.item_dict(session, catalogue.get_item(session, item_id=item_id))


@router.post("/items", status_code=201)
def create_item(data: ItemIn, principal: Manager, session: SessionDep) -> dict:
    return catalogue.item_dict(session, catalogue.create_item(session, data.model_dump()))


@router.put("/items/{item_id}")
def update_item(item_id: int, data: ItemUpdate, principal: Manager, session: SessionDep) -> dict:
    body = data.model_dump()
    version = body.pop("version")
    return catalogue.item_dict(session, catalogue.update_item(session, item_id, body,
                                                              version=version))


# --- service points ----------------------------------------------------------------------

@router.get("/points")
def list_points(principal: Reader, session: SessionDep, area: Area = None,
                limit: Limit = 50, offset: Offset = 0) -> list:
    return points.points_in(session, area_code=_area(principal, area), limit=limit,
                            offset=offset)


@router.get("/points/{unit_id}")
def get_point(unit_id: int, principal: Reader, session: SessionDep) -> dict:
    return points.point_dict(session, unit_id)


@router.put("/points/{unit_id}")
def put_point(unit_id: int, data: PointIn, principal: Manager, session: SessionDep) -> dict:
    desks.unit_in_scope(session, unit_id, principal)
    return points.upsert_point(session, unit_id, address=data.address, phone=data.phone,
                               opening_hours=data.opening_hours, note=data.note,
                               version=data.version)


@router.put("/points/{unit_id}/windows")
def put_windows(unit_id: int, data: WindowsIn, principal: Manager, session: SessionDep
                ) -> list:
    desks.unit_in_scope(session, unit_id, principal)
    return points.set_windows(session, unit_id, [w.model_dump() for w in data.windows])


@router.put("/points/{unit_id}/items")
def put_point_items(unit_id: int, data: PointItemsIn, principal: Manager,
                    session: SessionDep) -> dict:
    desks.unit_in_scope(session, unit_id, principal)
    return {"items": points.set_items(session, unit_id, data.item_ids)}


# --- applications ------------------------------------------------------------------------

@router.post("/applications", status_code=201)
def take_application(data: ApplicationIn, principal: Actor, session: SessionDep,
                     request: Request) -> dict:
    """受理 at a window, a station, online or by proxy (帮代办: `consent` recorded first);
    `missing` materials on a written promise (容缺); `commitment` (告知承诺); `refuse`
    for 不予受理 with its reason."""
    body = data.model_dump(exclude={"materials"})
    application = applications.intake(session, principal=principal, data=body,
                                      files=data.materials, settings=_settings(request))
    out = applications.application_dict(session, application)
    out["notice"] = getattr(application, "_notice", None)
    return out


@router.get("/applications")
def list_applications(principal: Reader, session: SessionDep,
                      state: Annotated[str | None, Query(max_length=16)] = None,
                      queue: Literal["decide", "hand_out", "proxy"] | None = None,
                      limit: Limit = 50, offset: Offset = 0) -> list:
    """`queue=decide`: the back office's; `hand_out`: decided, to hand out at my window;
    `proxy`: a proxy agent's own."""
    return applications.queue(session, principal=principal, state=state, mine=queue,
                              limit=limit, offset=offset)


@router.get("/applications/{application_id}")
def get_application(application_id: int, principal: Reader, session: SessionDep) -> dict:
    return applications.application_dict(
        session, applications.load(session, application_id, principal))


@router.post("/applications/{application_id}/actions/{name}")
def act_on_application(application_id: int, name: APPLICATION_MOVES, data: ActionIn,
                       principal: Actor, session: SessionDep, request: Request) -> dict:
    application = applications.load(session, application_id, principal)
    applications.act(session, application, name, principal=principal, data=_body(data),
                     settings=_settings(request))
    return applications.application_dict(session, application)


@router.post("/applications/{application_id}/materials", status_code=201)
def add_materials(application_id: int, data: MaterialsIn, principal: Actor,
                  session: SessionDep, request: Request) -> list:
    application = applications.load(session, application_id, principal)
    from convenience.services.workflows import proxy_has_consent
    from core.workflow.kernel import Actor as KernelActor
    from core.workflow.runner import facts_of

    proxy_has_consent(facts_of(application), KernelActor.of(principal, today=date.today()), {})
    stored = attachments.attach(session, applications.subject(application), data.materials,
                                kind="material", uploaded_by=principal.user_id,
                                settings=_settings(request))
    return [{"id": a.id, "sha256": a.sha256, "content_type": a.content_type,
             "bytes": a.bytes} for a in stored]


# --- bundles -----------------------------------------------------------------------------

@router.get("/bundle-types")
def list_bundle_types(principal: Reader, session: SessionDep) -> list:
    from sqlalchemy import select

    from convenience.services.models import BundleType

    return [{"code": b.code, "name": b.name, "item_ids": list(b.item_ids),
             "promised_days": b.promised_days, "citation": b.citation}
            for b in session.scalars(select(BundleType).where(BundleType.is_active)
                                     .order_by(BundleType.code))]


@router.post("/bundle-types", status_code=201)
def create_bundle_type(data: BundleTypeIn, principal: Manager, session: SessionDep) -> dict:
    kind = bundles.create_type(session, data.model_dump())
    return {"code": kind.code, "name": kind.name, "item_ids": list(kind.item_ids),
            "promised_days": kind.promised_days}


@router.post("/bundles", status_code=201)
def open_bundle(data: BundleIn, principal: Actor, session: SessionDep, request: Request
                ) -> dict:
    """一件事一次办: one form fans out to every item of the bundle."""
    bundle = bundles.open_bundle(session, principal=principal,
                                 data=data.model_dump(exclude={"materials"}),
                                 files=data.materials, settings=_settings(request))
    return bundles.bundle_dict(session, bundle)


@router.get("/bundles/{bundle_id}")
def get_bundle(bundle_id: int, principal: Reader, session: SessionDep) -> dict:
    from convenience.services.models import Bundle

    return bundles.bundle_dict(session, desks.load_scoped(session, Bundle, bundle_id,
                                                          principal))


# --- 好差评 --------------------------------------------------------------------------------

@router.post("/ratings", status_code=201)
def rate_at_window(data: RatingIn, principal: Actor, session: SessionDep, request: Request
                   ) -> dict:
    """A rating from the window's device (评价器): the clerk's window stands for the phone."""
    applications.load_by_number(session, data.number, principal)  # his territory's only
    rating = ratings.rate(session, number=data.number, phone=None,
                          data=data.model_dump(), settings=_settings(request),
                          actor=principal.username, trusted=True)
    return ratings.rating_dict(rating)


@router.post("/ratings/{rating_id}/appeal")
def appeal_rating(rating_id: int, data: AppealIn, principal: Actor, session: SessionDep
                  ) -> dict:
    _rating_in_scope(session, rating_id, principal)
    return ratings.rating_dict(ratings.appeal(session, rating_id, reason=data.reason,
                                              version=data.version, actor=principal.username,
                                              now=runner.now_utc()))


@router.post("/ratings/{rating_id}/appeal/decision")
def decide_appeal(rating_id: int, data: AppealDecisionIn, principal: Supervisor,
                  session: SessionDep, request: Request) -> dict:
    _rating_in_scope(session, rating_id, principal)
    return ratings.rating_dict(ratings.decide_appeal(
        session, rating_id, upheld=data.upheld, decision=data.decision, version=data.version,
        actor=principal.username, now=runner.now_utc(), settings=_settings(request)))


def _rating_in_scope(session, rating_id: int, principal: Principal) -> None:
    rating = session.get(Rating, rating_id)
    if rating is None:
        raise NotFound(f"no rating {rating_id}", code="rating_not_found")
    applications.load(session, rating.application_id, principal)


@router.get("/rectifications/{rectification_id}")
def get_rectification(rectification_id: int, principal: Reader, session: SessionDep) -> dict:
    row = desks.load_scoped(session, Rectification, rectification_id, principal)
    return ratings.rectification_dict(session, row)


@router.post("/rectifications/{rectification_id}/actions/{name}")
def act_on_rectification(rectification_id: int, name: Literal["contact", "rectify",
                                                             "call_back"],
                         data: ActionIn, principal: Actor, session: SessionDep,
                         request: Request) -> dict:
    row = desks.load_scoped(session, Rectification, rectification_id, principal)
    ratings.act(session, row, name, principal=principal, data=_body(data),
                settings=_settings(request))
    return ratings.rectification_dict(session, row)


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


# --- KPIs --------------------------------------------------------------------------------

Group = Literal["point", "department", "item"]


def _period(since: date | None, until: date | None, tz) -> tuple[datetime, datetime]:
    end = until or date.today() + timedelta(days=1)
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


@router.get("/kpis/weekly-ranking.xlsx")
def weekly_ranking(principal: KpiReader, session: SessionDep, request: Request,
                   week: date | None = None, area: Area = None) -> Response:
    day = week or date.today() - timedelta(days=7)
    return _xlsx(kpis.weekly_ranking_xlsx(session, area_code=_area(principal, area), week=day,
                                          tz=zone(_settings(request).timezone)),
                 f"weekly-ranking-{day}.xlsx")


@router.get("/kpis/monthly-bulletin.xlsx")
def monthly_bulletin(principal: KpiReader, session: SessionDep, request: Request,
                     month: date | None = None, area: Area = None) -> Response:
    day = month or (date.today().replace(day=1) - timedelta(days=1))
    return _xlsx(kpis.monthly_bulletin_xlsx(session, area_code=_area(principal, area),
                                            month=day, tz=zone(_settings(request).timezone)),
                 f"monthly-bulletin-{day:%Y-%m}.xlsx")


@router.get("/kpis/weekly-ranking.pdf")
def weekly_ranking_pdf(principal: KpiReader, session: SessionDep, request: Request,
                       week: date | None = None, area: Area = None) -> Response:
    """周排名 as PDF (the same ranking as the xlsx)."""
    day = week or date.today() - timedelta(days=7)
    return _pdf(kpis.weekly_ranking_pdf(session, area_code=_area(principal, area), week=day,
                                        tz=zone(_settings(request).timezone)),
                f"weekly-ranking-{day}.pdf")


@router.get("/kpis/monthly-bulletin.pdf")
def monthly_bulletin_pdf(principal: KpiReader, session: SessionDep, request: Request,
                         month: date | None = None, area: Area = None) -> Response:
    """月通报 as PDF: the month by service point, department and item."""
    day = month or (date.today().replace(day=1) - timedelta(days=1))
    return _pdf(kpis.monthly_bulletin_pdf(session, area_code=_area(principal, area),
                                          month=day, tz=zone(_settings(request).timezone)),
                f"monthly-bulletin-{day:%Y-%m}.pdf")


# --- limits ------------------------------------------------------------------------------

@router.get("/settings")
def get_limits(principal: Reader, session: SessionDep) -> list:
    """Every limit of the platform with its citation."""
    return limits.all_settings(session)


@router.put("/settings/{key}")
def put_limit(key: str, data: SettingIn, principal: Manager,
              session: SessionDep) -> dict:
    return limits.update(session, key[:48], new_value=data.value, version=data.version)


# --- public ------------------------------------------------------------------------------

@public.get("/items")
def public_search(session: SessionDep, q: Annotated[str, Query(max_length=100)] = "",
                  level: Literal["county", "township", "village"] | None = None,
                  limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Offset = 0
                  ) -> list:
    return catalogue.search(session, q=q, level=level, limit=limit, offset=offset)


@public.get("/items/{impl_code}")
def public_item(impl_code: str, session: SessionDep) -> dict:
    item = catalogue.get_item(session, impl_code=impl_code[:60])
    out = catalogue.item_dict(session, item)
    out.pop("version")
    return out


@public.get("/nearest")
def public_nearest(session: SessionDep, item: Annotated[int, Query(ge=1, le=BIGINT)],
                   lon: Annotated[float, Query(ge=-180, le=180)],
                   lat: Annotated[float, Query(ge=-90, le=90)],
                   limit: Annotated[int, Query(ge=1, le=10)] = 3) -> list:
    """The nearest service points that handle the item, nearest first, in metres."""
    return points.nearest(session, item_id=item, lon=lon, lat=lat, limit=limit)


@public.post("/status")
def public_status(data: StatusIn, session: SessionDep, request: Request) -> dict:
    """办件进度 by number and phone (in the body, not the address: no phone in logs);
    so many a minute from one address (429 public_lookups_throttled)."""
    throttle.check_lookup(request, session)
    return applications.public_status(session, number=data.number, phone=data.phone)


@public.post("/ratings", status_code=201)
def public_rate(data: PublicRatingIn, session: SessionDep, request: Request) -> dict:
    """The rating link (QR code, SMS link, app): the phone proves the application is his."""
    throttle.check_lookup(request, session)
    rating = ratings.rate(session, number=data.number, phone=data.phone,
                          data=data.model_dump(), settings=_settings(request))
    out = ratings.rating_dict(rating)
    return {k: out[k] for k in ("id", "stage", "level", "level_label", "channel", "at")}


@public.get("/figures")
def public_figures(session: SessionDep, area: Area = None, limit: Limit = 50,
                   offset: Offset = 0) -> list:
    """好差评 per unit: 评价和回复应当公开 (条例第五十二条)."""
    return ratings.public_figures(session, area_code=area or "", limit=limit, offset=offset)

