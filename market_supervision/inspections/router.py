"""/api/v1/market/inspections (and the rules and KPIs): thin routes, the rules are in
service.py, opening.py, flows.py, kpis.py and heat.py."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import FileResponse

from core.attachments import service as attachments
from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.users.enums import Permission
from market_supervision.inspections import (
    flows,
    heat,
    kpis,
    opening,
    referrals,
    rules,
    service,
)
from market_supervision.inspections.permissions import InspectionPermission
from market_supervision.inspections.schemas import (
    ActionIn,
    AnswerIn,
    InspectionDetail,
    InspectionPage,
    OpenedOut,
    OpenIn,
    RuleIn,
)
from market_supervision.inspections.vocabulary import STATES
from market_supervision.inspections.workflow import INSPECTION_WORKFLOW

router = APIRouter(tags=["market inspections"])
PREFIX = "/api/v1/market/inspections"

Reader = Annotated[Principal, Depends(Requires(InspectionPermission.read))]
Mover = Annotated[Principal, Depends(Requires(InspectionPermission.act))]
Opener = Annotated[Principal, Depends(Requires(InspectionPermission.open))]
KpiReader = Annotated[Principal, Depends(Requires(InspectionPermission.kpi_read))]
RuleAdmin = Annotated[Principal, Depends(Requires(InspectionPermission.rules_manage))]
AREA = r"^\d{6}(\d{3}){0,3}$"


@router.get(PREFIX, response_model=InspectionPage)
def list_inspections(
    principal: Reader, session: SessionDep,
    state: Annotated[list[Literal[STATES]] | None, Query()] = None,  # type: ignore[valid-type]
    task_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    area: Annotated[str | None, Query(pattern=AREA)] = None,
    queue: Literal[service.QUEUES] | None = None,  # type: ignore[valid-type]
    overdue: Literal[tuple(service.OVERDUE)] | None = None,  # type: ignore[valid-type]
    sort: Literal[tuple(service.SORTABLE)] | None = None,  # type: ignore[valid-type]
    order: Literal["asc", "desc"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
):
    """Inspections of the caller's territory. `queue=mine`: those I inspect and have not
    submitted; `review`: my units' 待审核; `publish`: my units' 待公示, soonest due first.
    `overdue`: past the 公示 limit unpublished, an order past its deadline unsettled, or an
    overturned result past its 撤回 limit. `sort` (id, state, inspected_at, publish_due_at)
    with `order` (asc, desc) orders by a column (the console's headers)."""
    total, page = service.list_inspections(session, principal=principal,
                                           states=tuple(state or ()), task_id=task_id,
                                           entity_id=entity_id, queue=queue, area=area,
                                           limit=limit, offset=offset, overdue=overdue,
                                           sort=sort, order=order)
    names = service.names_of(session, page)
    return {"total": total, "items": [service.inspection_out(session, i, principal, names=names)
                                      for i in page]}


@router.post(PREFIX, status_code=201, response_model=OpenedOut)
def open_inspections(data: OpenIn, principal: Opener, session: SessionDep, request: Request):
    """Open the inspections of a drawn draw (one per target, by its paired inspectors;
    those opened already are left as they are), or a 定向 task's inspection of one entity
    by named inspectors."""
    settings, scope = request.app.state.settings, Scope.of(principal)
    if data.draw_id is not None:
        opened, existing = opening.open_for_draw(session, draw_id=data.draw_id,
                                                 actor=principal.username, settings=settings,
                                                 scope=scope)
        return {"opened": opened, "existing": existing}
    inspection = opening.open_directed(session, task_id=data.task_id, entity_id=data.entity_id,
                                       inspector_ids=data.inspector_ids,
                                       actor=principal.username, settings=settings, scope=scope)
    return {"opened": [inspection.id], "existing": []}


@router.get(f"{PREFIX}/workflow")
def workflow(principal: Reader) -> dict:
    """The inspection's states (with their labels) and moves, for the pages."""
    return INSPECTION_WORKFLOW.describe()


@router.get(f"{PREFIX}/failures")
def failures(principal: Reader, session: SessionDep,
             cell_m: Annotated[int, Query(ge=100, le=20_000)] = 1000,
             area: Annotated[str | None, Query(pattern=AREA)] = None,
             industry: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{1,8}$")] = None) -> dict:
    """Failures found (不合格 inspections, accepted) per square cell of `cell_m` metres and
    per industry, in the caller's territory: a heatmap's points (`lon`, `lat` the cell's
    centre, `count`) and the totals by industry."""
    return heat.failures(session, scope=Scope.of(principal), cell_m=cell_m, area=area,
                         industry=industry)


@router.get(f"{PREFIX}/{{inspection_id}}", response_model=InspectionDetail)
def get_inspection(inspection_id: int, principal: Reader, session: SessionDep):
    """One inspection: its checklist, inspectors and confirmations, clocks (公示, 整改,
    撤回), timeline, links, referral, and the moves the caller may make now."""
    inspection = service.get_inspection(session, inspection_id=inspection_id,
                                        principal=principal)
    return service.inspection_detail(session, inspection, principal)


@router.post(f"{PREFIX}/{{inspection_id}}/actions/{{name}}", response_model=InspectionDetail)
def act(inspection_id: int, name: str, data: ActionIn, principal: Mover, session: SessionDep,
        request: Request, response: Response,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    """One move: record (录入), confirm (确认), approve (审核通过), return (退回), reject
    (不通过), reopen (重新检查), publish (公示), overturn (撤销), withdraw (撤回公示),
    reinspect (复查), refer (移送执法). `version` is the version read (409 when it moved on).
    `record` carries an Idempotency-Key (any move may): a replay answers with the
    inspection as it is now (`Idempotent-Replayed: true`) and applies nothing again."""
    done = flows.act(session, inspection_id=inspection_id, name=name, data=data,
                     principal=principal, settings=request.app.state.settings,
                     idempotency_key=idempotency_key)
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return service.inspection_detail(session, done.inspection, principal)


@router.get(f"{PREFIX}/{{inspection_id}}/photos/{{photo_id}}")
def get_photo(inspection_id: int, photo_id: int, principal: Reader, session: SessionDep,
              request: Request, thumbnail: bool = False):
    """A photo of the inspection's evidence (or its thumbnail, once made)."""
    inspection = service.get_inspection(session, inspection_id=inspection_id,
                                        principal=principal)
    photo = attachments.get(session, service.subject_of(inspection.id), photo_id, noun="photo")
    path, media_type = attachments.file_of(photo, thumbnail=thumbnail,
                                           media_dir=request.app.state.settings.media_dir)
    return FileResponse(path, media_type=media_type,
                        headers={"Cache-Control": "private, max-age=86400, immutable"})


Receiver = Annotated[Principal, Depends(Requires(Permission.hand_offs_receive))]


@router.get("/api/v1/market/referrals/{referral_id}")
def get_referral(referral_id: int, principal: Receiver, session: SessionDep) -> dict:
    """A finding referred to 综合执法: its reason, lines, hand-offs, links, evidence count."""
    referral = referrals.get_referral(session, referral_id=referral_id, principal=principal)
    return service.referral_out(session, referral)


@router.post("/api/v1/market/referrals/{referral_id}/handoffs/{handoff_id}/sign")
def sign_referral(referral_id: int, handoff_id: int, principal: Receiver, session: SessionDep,
                  request: Request) -> dict:
    """签收: the receiving enforcement unit takes the referral."""
    referral = referrals.answer(session, referral_id=referral_id, handoff_id=handoff_id,
                                sign=True, reason=None, principal=principal,
                                settings=request.app.state.settings)
    return service.referral_out(session, referral)


@router.post("/api/v1/market/referrals/{referral_id}/handoffs/{handoff_id}/return")
def return_referral(referral_id: int, handoff_id: int, data: AnswerIn, principal: Receiver,
                    session: SessionDep, request: Request) -> dict:
    """退回: the receiving unit sends the referral back, with a reason."""
    referral = referrals.answer(session, referral_id=referral_id, handoff_id=handoff_id,
                                sign=False, reason=data.reason, principal=principal,
                                settings=request.app.state.settings)
    return service.referral_out(session, referral)


@router.get("/api/v1/market/inspection-rules")
def list_rules(principal: Reader, session: SessionDep) -> list[dict]:
    """The limits of 公示 and of the procedure, with their citations."""
    return rules.all_rules(session)


@router.put("/api/v1/market/inspection-rules/{name}")
def put_rule(name: Literal[tuple(rules.SEED)], data: RuleIn,  # type: ignore[valid-type]
             principal: RuleAdmin, session: SessionDep) -> dict:
    """An admin's edit of one limit (a province's own): `publish` and `withdraw` in working
    days (`20d`), `min_inspectors` and `rectify_days_max` as numbers."""
    return rules.update(session, name=name, value=data.value, citation=data.citation,
                        actor=principal.username)


@router.get("/api/v1/market/kpis")
def get_kpis(principal: KpiReader, session: SessionDep, request: Request,
             group: Literal[kpis.GROUPS] = "unit",  # type: ignore[valid-type]
             format: Literal["json", "xlsx", "csv"] = "json",
             since: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
             until: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None):
    """抽查完成率, 问题发现率, 整改完成率, 按期公示率 per unit, area, item or inspector, in
    the caller's territory, over inspections opened in [since, until) (dates, Asia/Shanghai;
    default: this year). A rate is null when its denominator is 0."""
    table = kpis.kpis(session, scope=Scope.of(principal), group=group, since=since,
                      until=until, settings=request.app.state.settings)
    if format != "json":
        return kpis.export(table, format=format)
    return table
