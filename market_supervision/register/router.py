"""The register's routes: thin; the rules are in entities, items, inspectors, plans,
drawing and imports."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from core.deps import Requires, SessionDep
from core.errors import InvalidInput
from core.exports import Column, table_response
from core.imports import ImportProgress
from core.security import Principal
from market_supervision.register import (
    drawing,
    entities,
    imports,
    inspectors,
    items,
    plans,
    views,
)
from market_supervision.register.enums import EntityType
from market_supervision.register.permissions import MarketPermission
from market_supervision.register.schemas import (
    CommitIn,
    ConflictIn,
    ConflictOut,
    DrawIn,
    DrawOut,
    DrawPage,
    EntityIn,
    EntityOut,
    EntityPage,
    ImportOut,
    InspectorOut,
    ItemIn,
    ItemOut,
    PlanIn,
    PlanOut,
    QualificationsIn,
    RiskIn,
    RiskOut,
    TaskIn,
    TaskOut,
    VerifyOut,
)

router = APIRouter(prefix="/api/v1/market", tags=["market"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Reader = Annotated[Principal, Depends(Requires(MarketPermission.read))]
Manager = Annotated[Principal, Depends(Requires(MarketPermission.manage))]
Admin = Annotated[Principal, Depends(Requires(MarketPermission.admin))]
Id = Annotated[int, Query(ge=1, le=2**63 - 1)]


# —— entities ——

@router.post("/entities", status_code=201, response_model=EntityOut)
def register_entity(data: EntityIn, principal: Manager, session: SessionDep,
                    response: Response):
    """登记一户市场主体. A code failing GB 32100: 422 `uscc_invalid`, naming the check
    character it should have (unless `legacy_code`: kept, flagged)."""
    lon, lat = data.location.coordinates
    entity = entities.register_entity(
        session, principal=principal, uscc=data.uscc, name=data.name, entity_type=data.type,
        address=data.address, lon=lon, lat=lat, industry=data.industry,
        legal_representative=data.legal_representative, licences=data.licences,
        legacy_code=data.legacy_code, crs=data.crs)
    response.headers["Location"] = f"/api/v1/market/entities/{entity.id}"
    return views.entity_out(session, entity, principal=principal)


@router.get("/entities", response_model=EntityPage)
def list_entities(
    principal: Reader, session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="name or code")] = None,
    type: EntityType | None = None,  # noqa: A002  (the API's word)
    industry: Annotated[str | None, Query(pattern=r"^[A-Ta-t][0-9]{0,4}$")] = None,
    area: Annotated[str | None, Query(pattern=r"^[0-9]{2,15}$")] = None,
    flagged: bool | None = Query(None, description="legacy pilot codes only"),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
):
    """The register of the caller's territory."""
    total, rows = entities.list_entities(session, principal=principal, q=q, entity_type=type,
                                         industry=industry, area=area, flagged=flagged,
                                         limit=limit, offset=offset)
    return {"total": total, "items": views.entities_out(session, rows, principal=principal)}


EXPORT_COLUMNS = (  # no risk class: it is internal (issue 14 §1)
    Column("统一社会信用代码", "uscc"), Column("名称", "name"), Column("类型", "type_label"),
    Column("法定代表人", "legal_representative"), Column("地址", "address"),
    Column("行业", "industry"), Column("所在网格", "area_code"),
    Column("历史试点代码", lambda row: "是" if row["legacy_code"] else ""),
)


@router.get("/entities/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def export_entities(principal: Reader, session: SessionDep,
                    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx"):  # noqa: A002
    """The register of the caller's territory as xlsx or CSV (never the risk class)."""
    return table_response(views.export_rows(session, principal=principal), EXPORT_COLUMNS,
                          filename="检查对象名录库", format=format)


@router.post("/entities/imports", response_model=ImportOut,
             responses={422: {"description": "every bad row, with its reason; nothing written"}})
def import_entities(data: Annotated[bytes, Body(media_type="text/csv")], principal: Manager,
                    session: SessionDep, request: Request,
                    filename: Annotated[str, Query(min_length=5, max_length=200,
                                                   pattern=r"(?i)\.(csv|xlsx)$")],
                    import_id: Annotated[str | None, Query(
                        pattern=r"^[A-Za-z0-9_-]{8,64}$",
                        description="an id the page chose: the import's progress is kept "
                                    "under it for GET /api/v1/imports/{id} while it runs")] = None):
    """导入名录 (CSV or xlsx, the file as the body): all or nothing — any bad row and no row
    is written; the problem lists every bad row (row number, code, reason, and for a bad
    code the check character it should have). Larger files: `gridgov market entities
    import`, with a progress bar."""
    progress = (ImportProgress(request.app.state.redis, import_id, owner=principal.user_id)
                if import_id else None)
    try:
        result = imports.import_entities(session, principal=principal, filename=filename,
                                         data=data, stage=progress)
    except InvalidInput as refusal:
        if progress is not None:
            progress.set(state="failed", stage="failed",
                         error_count=refusal.extra.get("error_count", 1))
        raise
    if progress is not None:
        progress.set(state="done", stage="done", done=result.rows, total=result.rows,
                     written=result.rows)
    return {"rows": result.rows, "created": result.created, "updated": result.updated,
            "flagged": result.flagged}


@router.get("/entities/{entity_id}", response_model=EntityOut)
def get_entity(entity_id: int, principal: Reader, session: SessionDep):
    entity = entities.get_entity(session, principal=principal, entity_id=entity_id)
    return views.entity_out(session, entity, principal=principal)


@router.put("/entities/{entity_id}/risk", response_model=RiskOut)
def set_risk(entity_id: int, data: RiskIn, principal: Admin, session: SessionDep):
    """信用风险分类 of a month (internal)."""
    risk = entities.set_risk_class(session, principal=principal, entity_id=entity_id,
                                   month=data.month, risk_class=data.risk_class,
                                   basis=data.basis)
    return {"entity_id": risk.entity_id, "month": risk.month, "risk_class": risk.risk_class}


# —— items ——

@router.post("/items", status_code=201, response_model=ItemOut)
def create_item(data: ItemIn, principal: Admin, session: SessionDep):
    item = items.create_item(session, code=data.code, name=data.name,
                             department_code=data.department_code, level=data.level,
                             legal_basis=data.legal_basis,
                             checklist=[line.model_dump() for line in data.checklist])
    return views.item_out(session, item)


@router.get("/items", response_model=list[ItemOut])
def list_items(principal: Reader, session: SessionDep):
    """随机抽查事项清单, each with its checklist."""
    return [views.item_out(session, item) for item in items.list_items(session)]


# —— inspectors ——

@router.get("/inspectors", response_model=list[InspectorOut])
def list_inspectors(principal: Reader, session: SessionDep):
    """执法检查人员名录库: the 检查员 of the market units in scope, their 执法证 and items."""
    return inspectors.list_inspectors(session, principal=principal,
                                      on=datetime.now(UTC).date())


@router.put("/inspectors/{membership_id}/items", response_model=list[str])
def set_inspector_items(membership_id: int, data: QualificationsIn, principal: Admin,
                        session: SessionDep):
    return inspectors.set_qualifications(session, membership_id=membership_id,
                                         item_codes=data.items, principal=principal)


@router.post("/conflicts", status_code=201, response_model=ConflictOut)
def declare_conflict(data: ConflictIn, principal: Manager, session: SessionDep):
    """回避: the person is never drawn for the entity."""
    conflict = inspectors.declare_conflict(session, principal=principal, user_id=data.user_id,
                                           entity_id=data.entity_id, reason=data.reason)
    return {"id": conflict.id, "user_id": conflict.user_id, "entity_id": conflict.entity_id,
            "reason": conflict.reason, "declared_at": conflict.declared_at}


# —— plans and tasks ——

@router.post("/plans", status_code=201, response_model=PlanOut)
def create_plan(data: PlanIn, principal: Manager, session: SessionDep):
    plan = plans.create_plan(session, principal=principal, year=data.year, name=data.name,
                             unit_id=data.unit_id, area_code=data.area_code)
    return views.plan_out(plan)


@router.get("/plans", response_model=list[PlanOut])
def list_plans(principal: Reader, session: SessionDep,
               year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    return [views.plan_out(plan) for plan in plans.list_plans(session, principal=principal,
                                                               year=year)]


@router.post("/tasks", status_code=201, response_model=TaskOut)
def create_task(data: TaskIn, principal: Manager, session: SessionDep):
    task = plans.create_task(
        session, principal=principal, plan_id=data.plan_id, code=data.code, name=data.name,
        mode=data.mode, area_code=data.area_code, ratio_scheme=data.ratio_scheme,
        starts_on=data.starts_on, ends_on=data.ends_on,
        organising_unit_id=data.organising_unit_id,
        implementing_unit_ids=data.implementing_unit_ids, item_codes=data.items,
        filters=data.filters.model_dump(mode="json"))
    return views.task_out(session, task)


@router.get("/tasks", response_model=list[TaskOut])
def list_tasks(principal: Reader, session: SessionDep, plan_id: Id | None = None):
    return [views.task_out(session, task)
            for task in plans.list_tasks(session, principal=principal, plan_id=plan_id)]


@router.get("/tasks/{task_id}", response_model=TaskOut)
def get_task(task_id: int, principal: Reader, session: SessionDep):
    return views.task_out(session, plans.get_task(session, principal=principal,
                                                  task_id=task_id))


# —— draws ——

@router.post("/draws/commitments", status_code=201, response_model=DrawOut)
def commit_draw(data: CommitIn, principal: Manager, session: SessionDep):
    """Publish the commitment (hashes of the candidate list, the pool and the secret seed;
    the public random source to be mixed in) before drawing."""
    draw = drawing.commit(session, principal=principal, task_id=data.task_id,
                          entropy_source=data.entropy_source)
    return views.draw_out(session, draw)


@router.post("/draws", status_code=201, response_model=DrawOut)
def draw(data: DrawIn, principal: Manager, session: SessionDep, response: Response):
    """双随机抽取: a committed draw (`draw_id`), or commit and draw at once (`task_id`)."""
    if (data.task_id is None) == (data.draw_id is None):
        raise InvalidInput("give task_id or draw_id, one of them", code="draw_target_required")
    if data.draw_id is not None:
        drawn = drawing.perform(session, principal=principal, draw_id=data.draw_id,
                                public_entropy=data.public_entropy)
    else:
        drawn = drawing.commit_and_draw(session, principal=principal, task_id=data.task_id,
                                        public_entropy=data.public_entropy)
    response.headers["Location"] = f"/api/v1/market/draws/{drawn.id}"
    return views.draw_out(session, drawn)


@router.get("/draws", response_model=DrawPage)
def list_draws(principal: Reader, session: SessionDep, task_id: Id | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    total, rows = drawing.list_draws(session, principal=principal, task_id=task_id,
                                     limit=limit, offset=offset)
    return {"total": total, "items": [views.draw_summary(draw) for draw in rows]}


@router.get("/draws/{draw_id}", response_model=DrawOut)
def get_draw(draw_id: int, principal: Reader, session: SessionDep):
    return views.draw_out(session, drawing.get_draw(session, principal=principal,
                                                    draw_id=draw_id))


@router.get("/draws/{draw_id}/verify", response_model=VerifyOut)
def verify_draw(draw_id: int, principal: Reader, session: SessionDep):
    """Re-run the draw from its committed inputs and compare with what is stored."""
    result = drawing.verify(session, principal=principal, draw_id=draw_id)
    return {"matches": result.matches, "differences": result.differences}


@router.get("/draws/{draw_id}/inputs", response_class=Response,
            responses={200: {"content": {"application/json": {}}}})
def draw_inputs(draw_id: int, principal: Annotated[Principal, Depends(Requires(
        MarketPermission.risk_read))], session: SessionDep):
    """The internal inputs (with the strata: risk classes): the reference script re-runs the
    selection from them too. Staff and auditors only."""
    draw = drawing.get_draw(session, principal=principal, draw_id=draw_id)
    name = f"draw-{draw.id}-internal.json"
    return Response(drawing.published_json(session, draw, internal=True),
                    media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
