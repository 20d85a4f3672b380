"""The dispatcher's queue: cases of the caller's territory by step, state and clock colour,
those linked to a subject (an incident), a unit's own. One indexed query and a count."""

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from core.scope import Scope
from core.security import Principal
from core.workflow.models import CaseLink
from enforcement.cases.case_type import SUBJECT
from enforcement.cases.models import Case
from enforcement.cases.service import scope_condition


@dataclass(frozen=True)
class CaseFilter:
    states: tuple[str, ...] = ()
    step: str | None = None
    clock: str | None = None  # the step clock's colour
    procedure: str | None = None
    linked_type: str | None = None
    linked_id: int | None = None
    mine: bool = False  # the cases of the units where the caller holds a position (or sent)


def conditions(principal: Principal, filters: CaseFilter) -> list:
    where = [scope_condition(Scope.of(principal))]
    if filters.states:
        where.append(Case.state.in_(filters.states))
    if filters.step:
        where.append(Case.step == filters.step)
    if filters.clock:
        where.append(Case.deadline == filters.clock)
        where.append(Case.step.is_not(None))
    if filters.procedure:
        where.append(Case.procedure == filters.procedure)
    if filters.mine:  # the units' own cases, and those their teams were sent to (派遣)
        units = sorted(principal.unit_ids) or [-1]
        where.append(or_(Case.owner_unit_id.in_(units), Case.team_id.in_(units)))
    if filters.linked_type and filters.linked_id is not None:
        forward = select(CaseLink.b_id).where(
            CaseLink.a_type == filters.linked_type, CaseLink.a_id == filters.linked_id,
            CaseLink.b_type == SUBJECT)
        backward = select(CaseLink.a_id).where(
            CaseLink.b_type == filters.linked_type, CaseLink.b_id == filters.linked_id,
            CaseLink.a_type == SUBJECT)
        where.append(Case.id.in_(forward.union(backward)))
    return where


# `deadline`: red first, then yellow, each soonest due first (the command centre's order).
ORDERS = {"new": (Case.id.desc(),),
          "deadline": (case((Case.deadline == "red", 0), (Case.deadline == "yellow", 1),
                            else_=2), Case.step_due_at.asc().nulls_last(), Case.id.desc())}


# The console's column sorts (core/consoles.py), either way (`order`), newest last on ties.
COLUMNS = {"id": Case.id, "state": Case.state, "due": Case.step_due_at,
           "opened_at": Case.opened_at}


def order_of(sort: str, order: str | None) -> tuple:
    if sort not in COLUMNS:
        return ORDERS[sort]
    column = COLUMNS[sort]
    ordered = column.desc() if order == "desc" else column.asc()
    return (ordered.nulls_last(), Case.id.desc())


def list_cases(session: Session, *, principal: Principal, filters: CaseFilter,
               limit: int, offset: int, sort: str = "new", order: str | None = None
               ) -> tuple[int, list[Case]]:
    where = conditions(principal, filters)
    total = session.scalar(select(func.count()).select_from(Case).where(*where))
    rows = list(session.scalars(select(Case).where(*where).order_by(*order_of(sort, order))
                                .limit(limit).offset(offset)))
    return total, rows


def facets(session: Session, *, principal: Principal, filters: CaseFilter) -> dict:
    """The queue's counts by step and by the step clock's colour (the console's tabs)."""
    where = conditions(principal, filters)
    rows = session.execute(select(Case.step, Case.deadline, func.count()).where(*where)
                           .group_by(Case.step, Case.deadline)).all()
    by_step: dict[str, int] = {}
    by_clock: dict[str, int] = {}
    for step, colour, count in rows:
        by_step[step or "none"] = by_step.get(step or "none", 0) + count
        if step is not None:
            by_clock[colour] = by_clock.get(colour, 0) + count
    return {"by_step": by_step, "by_clock": by_clock}
