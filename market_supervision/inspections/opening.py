"""Opening inspections: one per draw target (its paired inspectors), one for a 定向 task's
entity (named inspectors), and a re-inspection of an order's failed lines only.

Each is opened through the kernel (`runner.open_case`: timeline and audit) and holds the
task's checklist, one line per checklist line of each of the task's items (进一次门、查多项事:
one visit covers every department's items of the task).
"""

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.settings import Settings
from core.units.models import Unit
from core.workflow import links, runner
from core.workflow.clocks import Subject
from core.workflow.handoffs import covers
from market_supervision.inspections.case_type import INSPECTION, SUBJECT
from market_supervision.inspections.models import (
    Inspection,
    InspectionCheck,
    InspectionInspector,
)
from market_supervision.register.models import (
    ChecklistItem,
    Draw,
    DrawTarget,
    DrawTargetInspector,
    Entity,
    Plan,
    Task,
    TaskItem,
    TaskUnit,
)


def open_for_draw(session: Session, *, draw_id: int, actor: str, settings: Settings,
                  scope: Scope | None = None, now: datetime | None = None
                  ) -> tuple[list[int], list[int]]:
    """An inspection for every target of a drawn draw that has none: (opened, existing).
    Idempotent (one inspection per target: a unique index), so a retried request or a
    re-delivered event opens nothing twice."""
    draw = session.get(Draw, draw_id)
    if draw is None or (scope is not None and not scope.covers_code(draw.area_code)):
        raise NotFound(f"no draw {draw_id} in your territory", code="draw_not_found")
    if draw.state != "drawn":
        raise Conflict(f"draw {draw_id} is {draw.state}: its targets are not drawn yet",
                       code="draw_not_drawn", current_state=draw.state)
    task = session.get(Task, draw.task_id)
    existing = dict(session.execute(select(Inspection.draw_target_id, Inspection.id).join(
        DrawTarget, DrawTarget.id == Inspection.draw_target_id).where(
        DrawTarget.draw_id == draw_id)).all())
    targets = session.scalars(select(DrawTarget).where(DrawTarget.draw_id == draw_id)
                              .order_by(DrawTarget.ordinal)).all()
    lines = task_checklist(session, task.id)
    context = runner.Context(session, settings, now or runner.now_utc(), actor)
    opened = []
    for target in targets:
        if target.id in existing:
            continue
        pairs = session.execute(select(DrawTargetInspector).where(
            DrawTargetInspector.target_id == target.id).order_by(
            DrawTargetInspector.ordinal)).scalars().all()
        inspectors = [(p.user_id, p.membership_id, p.name, p.credential_number) for p in pairs]
        inspection = _open(context, task=task, entity=session.get(Entity, target.entity_id),
                           inspectors=inspectors, lines=lines, draw_target_id=target.id,
                           fallback_unit=draw.unit_id)
        opened.append(inspection.id)
    return opened, sorted(existing.values())


def open_directed(session: Session, *, task_id: int, entity_id: int, inspector_ids: list[int],
                  actor: str, settings: Settings, scope: Scope) -> Inspection:
    """A 定向 task's inspection of a named entity by named inspectors (each holding an
    inspector's membership of a market unit)."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id} in your territory", code="task_not_found")
    if task.mode != "directed":
        raise Conflict("only a 定向 task names its entities; a 不定向 task's come from its draw",
                       code="task_not_directed")
    entity = session.get(Entity, entity_id)
    if entity is None or not scope.covers_code(entity.area_code or task.area_code):
        raise NotFound(f"no entity {entity_id} in your territory", code="entity_not_found")
    inspectors = _named_inspectors(session, inspector_ids)
    plan = session.get(Plan, task.plan_id)
    context = runner.Context(session, settings, runner.now_utc(), actor)
    return _open(context, task=task, entity=entity, inspectors=inspectors,
                 lines=task_checklist(session, task.id), draw_target_id=None,
                 fallback_unit=plan.unit_id)


def open_reinspection(context: runner.Context, parent: Inspection) -> Inspection:
    """复查: a new inspection of the same entity by the same inspectors, of the lines the
    parent ordered corrected (failed and not corrected on the spot) — those only."""
    session = context.session
    failed = session.execute(select(InspectionCheck.check_id, InspectionCheck.item_id).where(
        InspectionCheck.inspection_id == parent.id, InspectionCheck.result == "fail",
        InspectionCheck.rectified_on_site.is_(False)).order_by(InspectionCheck.check_id)).all()
    inspectors = [(r.user_id, r.membership_id, r.name, r.credential_number)
                  for r in session.scalars(select(InspectionInspector).where(
                      InspectionInspector.inspection_id == parent.id).order_by(
                      InspectionInspector.ordinal))]
    child = Inspection(state="pending", version=1, kind="reinspection", parent_id=parent.id,
                       task_id=parent.task_id, entity_id=parent.entity_id,
                       area_code=parent.area_code, owner_unit_id=parent.owner_unit_id,
                       owner_code=parent.owner_code, owner_platform=parent.owner_platform,
                       confirmed_by=[], created_at=context.now)
    _insert(context, child, inspectors, [(c, i) for c, i in failed],
            note=f"复查 #{parent.id} 责令改正事项")
    links.link(session, Subject(SUBJECT, parent.id), Subject(SUBJECT, child.id),
               kind="reinspection", actor=context.actor)
    return child


def task_checklist(session: Session, task_id: int) -> list[tuple[int, int]]:
    """(checklist line, item) of every item of the task, in the items' order."""
    return [tuple(row) for row in session.execute(
        select(ChecklistItem.id, ChecklistItem.item_id)
        .join(TaskItem, TaskItem.item_id == ChecklistItem.item_id)
        .where(TaskItem.task_id == task_id)
        .order_by(ChecklistItem.item_id, ChecklistItem.ordinal)).all()]


def owner_unit(session: Session, task: Task, area_code: str, fallback: int) -> Unit:
    """The task's 实施部门 whose jurisdiction contains the entity (the most local first);
    else the unit that drew or planned it."""
    units = session.scalars(select(Unit).join(TaskUnit, TaskUnit.unit_id == Unit.id).where(
        TaskUnit.task_id == task.id, TaskUnit.role == "implementing", Unit.is_active)
        .order_by(Unit.seat_code.desc(), Unit.id)).all()
    for unit in units:
        if covers(session, unit.id, area_code):
            return unit
    return session.get(Unit, fallback)


def _open(context: runner.Context, *, task: Task, entity: Entity, inspectors: list[tuple],
          lines: list[tuple[int, int]], draw_target_id: int | None,
          fallback_unit: int) -> Inspection:
    area = entity.area_code or task.area_code
    unit = owner_unit(context.session, task, area, fallback_unit)
    inspection = Inspection(state="pending", version=1, kind="routine", task_id=task.id,
                            draw_target_id=draw_target_id, entity_id=entity.id,
                            area_code=area, owner_unit_id=unit.id, owner_code=unit.seat_code,
                            owner_platform="market_supervision", confirmed_by=[],
                            created_at=context.now)
    _insert(context, inspection, inspectors, lines, note=task.name)
    return inspection


def _insert(context: runner.Context, inspection: Inspection, inspectors: list[tuple],
            lines: list[tuple[int, int]], *, note: str) -> None:
    session = context.session
    if not lines:
        raise Conflict("the task's items have no checklist lines: nothing to inspect",
                       code="checklist_empty")
    session.add(inspection)
    session.flush()
    session.add_all(InspectionInspector(inspection_id=inspection.id, user_id=user_id,
                                        membership_id=membership_id, ordinal=n, name=name,
                                        credential_number=credential)
                    for n, (user_id, membership_id, name, credential) in enumerate(inspectors))
    session.add_all(InspectionCheck(inspection_id=inspection.id, check_id=check_id,
                                    item_id=item_id, photo_ids=[])
                    for check_id, item_id in lines)
    session.flush()
    runner.open_case(context, INSPECTION, inspection, note=note,
                     data={"inspectors": [i[0] for i in inspectors]})


def _named_inspectors(session: Session, user_ids: list[int]) -> list[tuple]:
    """Each named user's inspector membership of a market unit, with its 执法证."""
    if len(set(user_ids)) != len(user_ids):
        raise InvalidInput("an inspector is named twice", code="inspector_repeated")
    rows = {row.user_id: row for row in session.execute(text(
        "SELECT DISTINCT ON (m.user_id) m.user_id, m.id, u.username, "
        "       COALESCE(m.credential_number, '') AS credential "
        "FROM membership m JOIN unit n ON n.id = m.unit_id JOIN app_user u ON u.id = m.user_id "
        "WHERE m.user_id = ANY(:ids) AND m.is_active AND m.position = 'inspector' "
        "AND n.platform = 'market_supervision' "
        "ORDER BY m.user_id, m.credential_expires_on DESC NULLS LAST"), {"ids": user_ids})}
    missing = [u for u in user_ids if u not in rows]
    if missing:
        raise InvalidInput(f"users {missing} are not inspectors of a market unit",
                           code="not_an_inspector", user_ids=missing)
    return [(u, rows[u].id, rows[u].username, rows[u].credential or None) for u in user_ids]
