"""Annual plans (年度抽查工作计划) and their tasks: 定向 or 不定向, by one department or
jointly — an organising unit (组织部门) and implementing units (实施部门), and the items one
visit covers (进一次门、查多项事, 国发〔2019〕5号 三、（三））."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.units.models import Unit
from market_supervision.register.enums import EntityType, TaskMode, TaskUnitRole
from market_supervision.register.items import items_by_code
from market_supervision.register.models import Plan, RatioRule, Task, TaskItem, TaskUnit

FILTER_KEYS = frozenset({"types", "industries", "areas"})


def _in_scope(principal: Principal, area_code: str) -> None:
    if not Scope.of(principal).covers_code(area_code):
        raise NotFound(f"no area {area_code} in your territory")


def _active_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.is_active:
        raise InvalidInput(f"没有在用的单位 {unit_id}", code="unit_unknown")
    return unit


def _unit_of_territory(session: Session, principal: Principal, unit_id: int) -> Unit:
    """An active unit seated in the caller's territory: a desk plans only with units of its
    own territory (组织部门, 实施部门 — 国发〔2019〕5号 三、（三）: each department draws within
    its jurisdiction). Another territory's unit is named in the request: 422, with its id."""
    unit = _active_unit(session, unit_id)
    if not Scope.of(principal).covers_code(unit.seat_code):
        raise InvalidInput(f"单位 {unit_id} 不在你的辖区内", code="unit_outside_scope",
                           unit_id=unit_id)
    return unit


def create_plan(session: Session, *, principal: Principal, year: int, name: str,
                unit_id: int, area_code: str) -> Plan:
    _in_scope(principal, area_code)
    _unit_of_territory(session, principal, unit_id)
    plan = Plan(year=year, name=name.strip(), unit_id=unit_id, area_code=area_code,
                created_by=principal.user_id)
    session.add(plan)
    session.flush()
    return plan


def get_plan(session: Session, *, principal: Principal, plan_id: int) -> Plan:
    plan = session.scalar(select(Plan).where(
        Plan.id == plan_id, Scope.of(principal).column_condition(Plan.area_code)))
    if plan is None:
        raise NotFound(f"no plan {plan_id} in your territory")
    return plan


def list_plans(session: Session, *, principal: Principal, year: int | None = None) -> list[Plan]:
    query = select(Plan).where(Scope.of(principal).column_condition(Plan.area_code))
    if year is not None:
        query = query.where(Plan.year == year)
    return list(session.scalars(query.order_by(Plan.year.desc(), Plan.id)))


def check_filters(filters: dict) -> dict:
    """定向 filters: entity types, industry prefixes, area codes (a subtree each)."""
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise InvalidInput(f"未知的筛选条件 {', '.join(sorted(unknown))}", code="filter_unknown")
    bad_types = set(filters.get("types") or ()) - set(EntityType)
    if bad_types:
        raise InvalidInput(f"未知的主体类型 {', '.join(sorted(bad_types))}",
                           code="entity_type_unknown")
    return {key: sorted(set(values)) for key, values in filters.items() if values}


def create_task(session: Session, *, principal: Principal, plan_id: int, code: str, name: str,
                mode: str, area_code: str, ratio_scheme: str, starts_on: date, ends_on: date,
                organising_unit_id: int, implementing_unit_ids: list[int],
                item_codes: list[str], filters: dict | None = None) -> Task:
    plan = get_plan(session, principal=principal, plan_id=plan_id)
    _in_scope(principal, area_code)
    if not area_code.startswith(plan.area_code):
        raise InvalidInput(f"任务区域 {area_code} 不在计划区域 {plan.area_code} 内",
                           code="task_area_outside_plan")
    if ends_on < starts_on:
        raise InvalidInput("任务结束日期早于开始日期", code="task_dates")
    if session.scalar(select(RatioRule.scheme).where(RatioRule.scheme == ratio_scheme)
                      .limit(1)) is None:
        raise InvalidInput(f"没有抽查比例方案 {ratio_scheme!r}", code="ratio_scheme_unknown")
    filters = check_filters(filters or {})
    if mode == TaskMode.undirected and filters:
        raise InvalidInput("不定向抽查不设筛选条件", code="undirected_with_filters")
    if not implementing_unit_ids:
        raise InvalidInput("至少一个实施部门", code="implementing_unit_required")
    if session.scalar(select(Task.id).where(Task.code == code)) is not None:
        raise Conflict(f"任务编号 {code} 已存在", code="task_exists")
    items = items_by_code(session, item_codes)
    if not items:
        raise InvalidInput("任务至少含一个抽查事项", code="item_required")
    for unit_id in dict.fromkeys([organising_unit_id, *implementing_unit_ids]):
        _unit_of_territory(session, principal, unit_id)
    task = Task(plan_id=plan.id, code=code, name=name.strip(), mode=mode, area_code=area_code,
                filters=filters, ratio_scheme=ratio_scheme, starts_on=starts_on,
                ends_on=ends_on)
    session.add(task)
    session.flush()
    session.add(TaskUnit(task_id=task.id, unit_id=organising_unit_id,
                         role=TaskUnitRole.organising))
    session.add_all(TaskUnit(task_id=task.id, unit_id=unit_id, role=TaskUnitRole.implementing)
                    for unit_id in dict.fromkeys(implementing_unit_ids))
    session.add_all(TaskItem(task_id=task.id, item_id=item.id) for item in items)
    session.flush()
    return task


def get_task(session: Session, *, principal: Principal, task_id: int,
             lock: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id,
                               Scope.of(principal).column_condition(Task.area_code))
    task = session.scalar(query.with_for_update() if lock else query)
    if task is None:
        raise NotFound(f"no task {task_id} in your territory")
    return task


def list_tasks(session: Session, *, principal: Principal,
               plan_id: int | None = None) -> list[Task]:
    query = select(Task).where(Scope.of(principal).column_condition(Task.area_code))
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    return list(session.scalars(query.order_by(Task.starts_on, Task.id)))


def task_units(session: Session, task_id: int) -> dict[str, list[int]]:
    rows = session.execute(select(TaskUnit.role, TaskUnit.unit_id)
                           .where(TaskUnit.task_id == task_id)).all()
    units: dict[str, list[int]] = {role.value: [] for role in TaskUnitRole}
    for role, unit_id in rows:
        units[role].append(unit_id)
    return units


def task_item_codes(session: Session, task_id: int) -> list[str]:
    from market_supervision.register.models import Item

    return list(session.scalars(select(Item.code).join(TaskItem, TaskItem.item_id == Item.id)
                                .where(TaskItem.task_id == task_id).order_by(Item.code)))
