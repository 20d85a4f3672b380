"""Rows as the API shows them. The risk class is added only for a caller with
market:risk-read; exports and public pages never carry it."""

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.scope import Scope
from core.security import Principal
from market_supervision.register import drawing
from market_supervision.register.entities import sees_risk
from market_supervision.register.enums import ENTITY_TYPE_LABELS, TASK_MODE_LABELS
from market_supervision.register.items import checklist_of
from market_supervision.register.models import Draw, Entity, Item, Plan, Task
from market_supervision.register.plans import task_item_codes, task_units


def _points(session: Session, ids: list[int]) -> dict[int, tuple[float, float]]:
    if not ids:
        return {}
    rows = session.execute(text("SELECT id, ST_X(location), ST_Y(location) FROM market_entity "
                                "WHERE id = ANY(:ids)"), {"ids": ids}).all()
    return {row[0]: (float(row[1]), float(row[2])) for row in rows}


def entities_out(session: Session, rows: list[Entity], *, principal: Principal) -> list[dict]:
    points = _points(session, [entity.id for entity in rows])
    risk = sees_risk(principal)
    return [_entity(entity, points[entity.id], risk) for entity in rows]


def entity_out(session: Session, entity: Entity, *, principal: Principal) -> dict:
    return entities_out(session, [entity], principal=principal)[0]


def _entity(entity: Entity, point: tuple[float, float], risk: bool) -> dict:
    out = {"id": entity.id, "uscc": entity.uscc, "name": entity.name, "type": entity.type,
           "type_label": ENTITY_TYPE_LABELS.get(entity.type, entity.type),
           "address": entity.address,
           "location": {"type": "Point", "coordinates": point},
           "area_code": entity.area_code, "industry": entity.industry,
           "legal_representative": entity.legal_representative,
           "licences": entity.licences or [], "status": entity.status,
           "legacy_code": entity.legacy_code, "last_result": entity.last_result}
    if risk:
        out["risk_class"] = entity.risk_class
    return out


def export_rows(session: Session, *, principal: Principal) -> Iterator[dict]:
    """The register for an export: no risk class, by construction (not selected)."""
    scope = Scope.of(principal)
    result = session.execute(text(
        "SELECT uscc, name, type, legal_representative, address, industry, area_code, "
        f"legacy_code FROM market_entity WHERE {scope.code_condition('area_code')} "
        "ORDER BY uscc").execution_options(yield_per=2000), scope.params)
    for row in result.mappings():
        yield {**row, "type_label": ENTITY_TYPE_LABELS.get(row["type"], row["type"])}


def item_out(session: Session, item: Item) -> dict:
    return {"id": item.id, "code": item.code, "name": item.name,
            "department_code": item.department_code, "level": item.level,
            "legal_basis": item.legal_basis,
            "checklist": [{"id": line.id, "ordinal": line.ordinal, "text": line.text,
                           "weight": line.weight, "basis": line.basis}
                          for line in checklist_of(session, item.id)]}


def plan_out(plan: Plan) -> dict:
    return {"id": plan.id, "year": plan.year, "name": plan.name, "unit_id": plan.unit_id,
            "area_code": plan.area_code, "state": plan.state}


def task_out(session: Session, task: Task) -> dict:
    units = task_units(session, task.id)
    return {"id": task.id, "plan_id": task.plan_id, "code": task.code, "name": task.name,
            "mode": task.mode, "mode_label": TASK_MODE_LABELS.get(task.mode, task.mode),
            "area_code": task.area_code, "ratio_scheme": task.ratio_scheme,
            "starts_on": task.starts_on, "ends_on": task.ends_on, "state": task.state,
            "filters": task.filters or {}, "organising_unit_ids": units["organising"],
            "implementing_unit_ids": units["implementing"],
            "items": task_item_codes(session, task.id)}


def draw_summary(draw: Draw) -> dict:
    return {"id": draw.id, "task_id": draw.task_id, "state": draw.state,
            "algorithm": draw.algorithm, "candidates_count": draw.candidates_count,
            "candidates_hash": draw.candidates_hash, "seed": draw.seed,
            "committed_at": draw.committed_at, "drawn_at": draw.drawn_at}


def draw_out(session: Session, draw: Draw) -> dict:
    """The draw (issue 14 §3: {id, seed, candidates_hash, targets}); no stratum in it."""
    session.refresh(draw)  # committed_at comes from the database
    targets = drawing.stored_targets(session, draw.id) if draw.seed else []
    return {**draw_summary(draw), "public_entropy": draw.public_entropy,
            "commitment": {"committed_at": draw.committed_at, "seed_hash": draw.seed_hash,
                           "candidates_hash": draw.candidates_hash,
                           "public_candidates_hash": draw.public_candidates_hash,
                           "pool_hash": draw.rules.get("pool_hash"),
                           "entropy_source": draw.rules.get("entropy_source")},
            "public_url": f"/market/draws/{draw.id}",
            "targets": [{key: value for key, value in target.items() if key != "stratum"}
                        for target in targets]}
