"""The dispatcher's queue: cases of the caller's territory by step, state and clock colour,
those linked to a subject (an incident), a unit's own. One indexed query and a count."""

from dataclasses import dataclass

from sqlalchemy import func, select
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
    mine: bool = False  # the cases of the units where the caller holds a position


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
    if filters.mine:
        where.append(Case.owner_unit_id.in_(sorted(principal.unit_ids) or [-1]))
    if filters.linked_type and filters.linked_id is not None:
        forward = select(CaseLink.b_id).where(
            CaseLink.a_type == filters.linked_type, CaseLink.a_id == filters.linked_id,
            CaseLink.b_type == SUBJECT)
        backward = select(CaseLink.a_id).where(
            CaseLink.b_type == filters.linked_type, CaseLink.b_id == filters.linked_id,
            CaseLink.a_type == SUBJECT)
        where.append(Case.id.in_(forward.union(backward)))
    return where


def list_cases(session: Session, *, principal: Principal, filters: CaseFilter,
               limit: int, offset: int) -> tuple[int, list[Case]]:
    where = conditions(principal, filters)
    total = session.scalar(select(func.count()).select_from(Case).where(*where))
    rows = list(session.scalars(select(Case).where(*where).order_by(Case.id.desc())
                                .limit(limit).offset(offset)))
    return total, rows
