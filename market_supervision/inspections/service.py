"""Inspections: reading in scope, and the shapes the API returns.

Keyword-only functions on a sync session; they flush, the edge commits. The moves are in
flows.py; opening inspections (from a draw, or a 定向 task's entity) in opening.py.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from geoalchemy2.shape import to_shape
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from core.attachments import service as attachments
from core.errors import NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import get_settings
from core.workflow import clocks, links, timeline
from core.workflow.clocks import Subject
from core.workflow.handoffs import handoff_dict, handoffs_of
from core.workflow.kernel import Actor
from market_supervision.inspections import rules
from market_supervision.inspections.case_type import REFERRAL_SUBJECT, SUBJECT
from market_supervision.inspections.models import (
    Inspection,
    InspectionCheck,
    InspectionInspector,
    Referral,
)
from market_supervision.inspections.vocabulary import (
    ACCEPTED,
    LABELS,
    OUTCOMES,
    RESULTS,
)
from market_supervision.inspections.workflow import INSPECTION_WORKFLOW, resume_state
from market_supervision.register.enums import ITEM_LEVEL_LABELS
from market_supervision.register.models import ChecklistItem, Entity, Item, Task

# Lists: the caller's queue.
QUEUES = ("mine", "review", "publish")
# Past a clock's due moment: not published in time, an order not settled, not withdrawn.
OVERDUE = {
    "publish": lambda: (Inspection.publish_due_at < func.now())
    & Inspection.published_at.is_(None) & Inspection.state.in_(("submitted", "returned",
                                                                "approved")),
    "rectify": lambda: (Inspection.rectify_due_at < func.now())
    & Inspection.rectification.is_(None)
    & Inspection.state.in_(("submitted", "returned", *ACCEPTED)),
    "withdraw": lambda: (Inspection.withdraw_due_at < func.now())
    & (Inspection.state == "overturned"),
}


# The columns a list may be sorted by (`sort`, with `order` asc or desc).
SORTABLE = {"id": Inspection.id, "state": Inspection.state,
            "inspected_at": Inspection.inspected_at,
            "publish_due_at": Inspection.publish_due_at}


def office_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def today() -> date:
    """Today in the office's time zone (a 执法证 is valid by days)."""
    return datetime.now(office_zone()).date()


def subject_of(inspection_id: int) -> Subject:
    return Subject(SUBJECT, inspection_id)


# --- scope -------------------------------------------------------------------------------

def scope_condition(scope: Scope):
    """Inspections inside a territory: the entity's area code in the scope's ranges."""
    return scope.column_condition(Inspection.area_code)


def visible(principal: Principal):
    """What a caller sees: his territory's inspections, and those he is drawn to inspect
    (a county's draw pairs inspectors of any of its offices with any of its entities)."""
    own = select(InspectionInspector.inspection_id).where(
        InspectionInspector.user_id == principal.user_id)
    return or_(scope_condition(Scope.of(principal)), Inspection.id.in_(own))


def get_inspection(session: Session, *, inspection_id: int, principal: Principal
                   ) -> Inspection:
    inspection = session.scalar(select(Inspection).where(Inspection.id == inspection_id,
                                                         visible(principal)))
    if inspection is None:
        raise NotFound(f"no inspection {inspection_id} in your territory",
                       code="inspection_not_found")
    return inspection


def list_inspections(session: Session, *, principal: Principal, states: tuple[str, ...],
                     task_id: int | None, entity_id: int | None, queue: str | None,
                     area: str | None, limit: int, offset: int,
                     overdue: str | None = None, sort: str | None = None,
                     order: str | None = None) -> tuple[int, list[Inspection]]:
    conditions = [visible(principal)]
    if overdue is not None:
        conditions.append(OVERDUE[overdue]())
    if states:
        conditions.append(Inspection.state.in_(states))
    if task_id is not None:
        conditions.append(Inspection.task_id == task_id)
    if entity_id is not None:
        conditions.append(Inspection.entity_id == entity_id)
    if area:
        conditions.append(Scope.of_areas([area]).column_condition(Inspection.area_code))
    if queue == "mine":  # mine to inspect: I am one of its inspectors, not yet submitted
        mine = select(InspectionInspector.inspection_id).where(
            InspectionInspector.user_id == principal.user_id)
        conditions += [Inspection.id.in_(mine),
                       Inspection.state.in_(("pending", "recorded", "returned"))]
    elif queue in ("review", "publish"):  # my units' 审核 or 公示 queue
        units = [m.unit_id for m in principal.memberships
                 if m.position in ("reviewer", "head")]
        conditions += [Inspection.owner_unit_id.in_(units or [-1]),
                       Inspection.state == ("submitted" if queue == "review" else "approved")]
    total = session.scalar(select(func.count()).select_from(Inspection).where(*conditions))
    # The 公示 queue by its clock: the soonest due first.
    ordering = (Inspection.publish_due_at.asc().nulls_last(), Inspection.id) \
        if queue == "publish" or overdue == "publish" else (Inspection.id.desc(),)
    if sort is not None:  # a console's column header (core/consoles.py), either way
        column = SORTABLE[sort]
        ordering = ((column.desc() if order == "desc" else column.asc()).nulls_last(),
                    Inspection.id.desc())
    page = session.scalars(select(Inspection).where(*conditions)
                           .order_by(*ordering).limit(limit).offset(offset)).all()
    return total, list(page)


# --- facts the workflow's guards read ----------------------------------------------------

def inspector_ids(session: Session, inspection_id: int) -> list[int]:
    return list(session.scalars(select(InspectionInspector.user_id).where(
        InspectionInspector.inspection_id == inspection_id).order_by(
        InspectionInspector.ordinal)))


def credentialed(session: Session, user_ids: list[int], day: date) -> list[int]:
    """Who of `user_ids` holds an 执法证 valid on `day` in an active membership of a
    market unit (行政处罚法第四十二条)."""
    if not user_ids:
        return []
    return list(session.scalars(text(
        "SELECT DISTINCT m.user_id FROM membership m JOIN unit u ON u.id = m.unit_id "
        "WHERE m.user_id = ANY(:ids) AND m.is_active AND u.is_active "
        "AND u.platform = 'market_supervision' AND m.credential_number IS NOT NULL "
        "AND m.credential_expires_on >= :day"), {"ids": user_ids, "day": day}))


def check_ids(session: Session, inspection_id: int) -> list[int]:
    return list(session.scalars(select(InspectionCheck.check_id).where(
        InspectionCheck.inspection_id == inspection_id).order_by(InspectionCheck.check_id)))


def open_reinspection(session: Session, inspection_id: int) -> int | None:
    return session.scalar(select(Inspection.id).where(
        Inspection.parent_id == inspection_id, Inspection.state.not_in(
            (*ACCEPTED, "withdrawn"))))


def facts(session: Session, inspection: Inspection, *, name: str | None = None,
          day: date | None = None) -> dict:
    """What the workflow's guards read beyond the row (workflow.py). `day`: the day the
    credentials must be valid on (the inspection's; today when it is not recorded yet)."""
    inspectors = inspector_ids(session, inspection.id)
    when = day or (inspection.inspected_at.astimezone(office_zone()).date()
                   if inspection.inspected_at else today())
    extra = {"inspector_ids": inspectors,
             "credentialed": credentialed(session, inspectors, when),
             "check_ids": check_ids(session, inspection.id),
             "min_inspectors": rules.number(session, "min_inspectors"),
             "rectify_days_max": rules.number(session, "rectify_days_max"),
             "open_reinspection": open_reinspection(session, inspection.id)}
    base = {"state": inspection.state, "confirmed_by": inspection.confirmed_by, **extra}
    if name is not None and (target := resume_state(name, base)) is not None:
        extra["resume_state"] = target
    return extra


# --- shapes ------------------------------------------------------------------------------

def _lon_lat(geom) -> list[float] | None:
    if geom is None:
        return None
    point = to_shape(geom)
    return [point.x, point.y]


def inspection_out(session: Session, inspection: Inspection, principal: Principal | None,
                   *, names: dict | None = None) -> dict:
    task_name, entity_name, uscc = (names or {}).get(inspection.id) or _names(
        session, inspection)
    actions = []
    if principal is not None:
        actor = Actor.of(principal, today=today())
        actions = INSPECTION_WORKFLOW.available(
            {**_row_facts(inspection), **facts(session, inspection)}, actor)
    return {
        "id": inspection.id, "state": inspection.state, "state_label": LABELS[inspection.state],
        "version": inspection.version, "kind": inspection.kind,
        "parent_id": inspection.parent_id, "task_id": inspection.task_id,
        "task_name": task_name, "entity_id": inspection.entity_id,
        "entity_name": entity_name, "uscc": uscc, "area_code": inspection.area_code,
        "owner_unit_id": inspection.owner_unit_id, "inspected_at": inspection.inspected_at,
        "location": _lon_lat(inspection.geom), "outcome": inspection.outcome,
        "outcome_label": OUTCOMES.get(inspection.outcome or ""),
        "failed_count": inspection.failed_count, "ordered_count": inspection.ordered_count,
        "rectify_due_at": inspection.rectify_due_at, "rectification": inspection.rectification,
        "publish_due_at": inspection.publish_due_at, "published_at": inspection.published_at,
        "referred_at": inspection.referred_at, "actions": actions}


def _row_facts(inspection: Inspection) -> dict:
    from core.workflow.runner import facts_of

    return facts_of(inspection)


def _names(session: Session, inspection: Inspection) -> tuple[str | None, str | None,
                                                               str | None]:
    task = session.scalar(select(Task.name).where(Task.id == inspection.task_id))
    entity = session.execute(select(Entity.name, Entity.uscc).where(
        Entity.id == inspection.entity_id)).first()
    return (task, *(entity or (None, None)))


def names_of(session: Session, inspections: list[Inspection]) -> dict:
    """(task name, entity name, USCC) of each inspection of a page, in one query."""
    if not inspections:
        return {}
    rows = session.execute(select(Inspection.id, Task.name, Entity.name, Entity.uscc)
                           .join(Task, Task.id == Inspection.task_id)
                           .join(Entity, Entity.id == Inspection.entity_id)
                           .where(Inspection.id.in_([i.id for i in inspections]))).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def inspection_detail(session: Session, inspection: Inspection,
                      principal: Principal | None) -> dict:
    subject = subject_of(inspection.id)
    referral = session.scalar(select(Referral).where(Referral.inspection_id == inspection.id))
    return {**inspection_out(session, inspection, principal),
            "summary": inspection.summary,
            "inspectors": inspectors_out(session, inspection),
            "checks": checks_out(session, inspection),
            "clocks": [clocks.clock_dict(c) for c in clocks.clocks_of(session, subject)],
            "timeline": timeline.events_of(session, subject),
            "links": links.links_of(session, subject),
            "referral": referral_out(session, referral) if referral else None}


def inspectors_out(session: Session, inspection: Inspection) -> list[dict]:
    rows = session.scalars(select(InspectionInspector).where(
        InspectionInspector.inspection_id == inspection.id).order_by(
        InspectionInspector.ordinal)).all()
    confirmed = set(inspection.confirmed_by or ())
    return [{"user_id": r.user_id, "name": r.name, "credential_number": r.credential_number,
             "confirmed": r.user_id in confirmed} for r in rows]


def checks_out(session: Session, inspection: Inspection) -> list[dict]:
    rows = session.execute(
        select(InspectionCheck, ChecklistItem.text, ChecklistItem.weight, Item.name)
        .join(ChecklistItem, ChecklistItem.id == InspectionCheck.check_id)
        .join(Item, Item.id == InspectionCheck.item_id)
        .where(InspectionCheck.inspection_id == inspection.id)
        .order_by(Item.code, ChecklistItem.ordinal)).all()
    base = f"/api/v1/market/inspections/{inspection.id}/photos"
    return [{"check_id": c.check_id, "item_id": c.item_id, "item_name": item_name,
             "text": line, "weight": weight,
             "weight_label": ITEM_LEVEL_LABELS.get(weight, weight), "result": c.result,
             "result_label": RESULTS.get(c.result or ""), "note": c.note,
             "rectified_on_site": c.rectified_on_site, "rectify_note": c.rectify_note,
             "photos": [{"id": p, "url": f"{base}/{p}"} for p in c.photo_ids or ()]}
            for c, line, weight, item_name in rows]


def referral_out(session: Session, referral: Referral) -> dict:
    subject = Subject(REFERRAL_SUBJECT, referral.id)
    return {"id": referral.id, "state": referral.state, "reason": referral.reason,
            "owner_unit_id": referral.owner_unit_id, "check_ids": referral.check_ids,
            "handoffs": [handoff_dict(h) for h in handoffs_of(session, subject)],
            "links": links.links_of(session, subject),
            "evidence": len(attachments.of_subject(session, subject))}
