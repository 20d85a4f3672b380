"""Lists and queues of incidents: filters, the order a desk works in, and counts per
state and deadline colour for the same filters (the console's bars)."""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.codes import subtree_prefix_of
from core.errors import InvalidInput
from core.scope import Scope
from core.security import Principal
from core.units.enums import DESK_POSITIONS
from core.workflow.handoffs import pending_to
from grid.incidents.enums import FINAL, State
from grid.incidents.models import Incident, IncidentReporter
from grid.incidents.service import scope_condition

QUEUES = ("mine", "verify", "tasks", "sign")
# The orders a desk sorts by (each list column's), each with its natural direction.
SORTS = ("reported", "deadline", "id", "state", "category", "place", "due")
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class IncidentFilter:
    states: tuple[str, ...] = ()
    deadline: str | None = None
    category: str | None = None  # a 大类 or 小类 code: its subtree
    area: str | None = None  # an area code: its subtree
    # "mine": held by one of my units; "verify": handled, to verify; "tasks": dispatched
    # to me or to a unit where I handle; "sign": handed to one of my units, awaiting its
    # signature (签收). "My units": those where I hold a desk (core/units/enums.py).
    queue: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Search: `q` a 编号 (digits: that incident) or words of the description or address;
    # `reporter` a reporter's name or user name.
    q: str | None = None
    reporter: str | None = None


@dataclass(frozen=True)
class Facets:
    by_state: dict[str, int]
    by_deadline: dict[str, int]  # of the states the list shows

    @property
    def total(self) -> int:
        return sum(self.by_deadline.values())


def list_incidents(session: Session, *, principal: Principal, filters: IncidentFilter,
                   limit: int, offset: int, sort: str = "reported", total: int | None = None,
                   order: str | None = None) -> tuple[int, list[Incident]]:
    """Incidents in the caller's territory, filtered; (total, page). `reported`: newest
    first; `deadline`: open before finished, then red, yellow, green, each soonest due
    first (a desk's order); the others by that column, `order` reversing the natural
    direction. A `total` known already (the facets' sum) saves counting again."""
    query = _filtered(principal, filters)
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = session.scalars(query.order_by(*_order(sort, order)).limit(limit)
                           .offset(offset)).all()
    return total, list(page)


def iter_incidents(session: Session, *, principal: Principal, filters: IncidentFilter,
                   sort: str = "reported", order: str | None = None, limit: int):
    """The same list, every row up to `limit`, streamed (an export)."""
    query = _filtered(principal, filters).order_by(*_order(sort, order)).limit(limit)
    return session.scalars(query.execution_options(yield_per=1000))


def facets(session: Session, *, principal: Principal, filters: IncidentFilter) -> Facets:
    """How many of the filtered incidents are in each state and deadline colour, in one
    grouped query. The state filter is left out, so the counts show every state's bar."""
    without_states = replace(filters, states=())
    query = _filtered(principal, without_states).subquery()
    rows = session.execute(select(query.c.state, query.c.deadline, func.count())
                           .group_by(query.c.state, query.c.deadline)).all()
    by_state: dict[str, int] = {}
    by_deadline: dict[str, int] = {}
    for state, deadline, count in rows:
        by_state[state] = by_state.get(state, 0) + count
        if filters.states and state not in filters.states:
            continue  # colours count what the list shows
        by_deadline[deadline] = by_deadline.get(deadline, 0) + count
    return Facets(by_state, by_deadline)


def _filtered(principal: Principal, filters: IncidentFilter):
    query = select(Incident).where(scope_condition(Scope.of(principal)))
    for condition in _filter_conditions(principal, filters):
        query = query.where(condition)
    return query


def _order(sort: str, order: str | None = None) -> list:
    if sort == "deadline":
        finished = case((Incident.state.in_(FINAL), 1), else_=0)
        colour = case({"red": 0, "yellow": 1}, value=Incident.deadline, else_=2)
        return [finished, colour, Incident.step_due_at.asc().nulls_last(), Incident.id]
    if sort not in _COLUMNS:
        raise InvalidInput(f"unknown sort {sort!r}: {', '.join(SORTS)}", code="unknown_sort")
    column, natural = _COLUMNS[sort]
    descending = (order or natural) == "desc"
    direction = (lambda c: c.desc().nulls_last()) if descending else (
        lambda c: c.asc().nulls_last())
    return [direction(column()), direction(Incident.id)]


def _category_code():
    from grid.categories.models import Category

    return select(Category.code).where(Category.id == Incident.category_id).scalar_subquery()


# Each sortable column: (the expression, its natural direction).
_COLUMNS = {
    "reported": (lambda: Incident.reported_at, "desc"),
    "id": (lambda: Incident.id, "desc"),
    "state": (lambda: Incident.state, "asc"),
    "category": (_category_code, "asc"),
    "place": (lambda: Incident.grid_code, "asc"),
    "due": (lambda: Incident.step_due_at, "asc"),
}


def _filter_conditions(principal: Principal, f: IncidentFilter) -> list:
    conditions = []
    if f.states:
        conditions.append(Incident.state.in_(f.states))
    if f.deadline:
        conditions.append(Incident.deadline == f.deadline)
    if f.category:
        from grid.categories.models import Category

        conditions.append(Incident.category_id.in_(
            select(Category.id).where(Category.code.startswith(f.category))))
    if f.area:
        conditions.append(Incident.grid_code.startswith(subtree_prefix_of(f.area)))
    if f.since:
        conditions.append(Incident.reported_at >= f.since)
    if f.until:
        conditions.append(Incident.reported_at < f.until)
    if f.q:
        conditions.append(_search(f.q.strip()))
    if f.reporter:
        conditions.append(Incident.id.in_(_reported_by(f.reporter.strip())))
    if f.queue is not None:
        conditions += _queue_conditions(principal, f.queue)
    return conditions


def _like(words: str) -> str:
    """A LIKE pattern for `words` anywhere, its own % and _ taken literally."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(q: str):
    """A 编号 (all digits, with or without #) is that incident; else words of the
    description or the address."""
    number = q.removeprefix("#")
    words = (Incident.description.ilike(_like(q), escape="\\")
             | Incident.address.ilike(_like(q), escape="\\"))
    if number.isdigit() and len(number) <= 18:
        return (Incident.id == int(number)) | words
    return words


def _reported_by(name: str):
    """Incidents one of whose reporters has this name or user name (a part of it)."""
    from core.users.models import User

    users = select(User.id).where(User.full_name.ilike(_like(name), escape="\\")
                                  | User.username.ilike(_like(name), escape="\\"))
    return select(IncidentReporter.incident_id).where(IncidentReporter.user_id.in_(users))


def _queue_conditions(principal: Principal, queue: str) -> list:
    desks = principal.units_with(*DESK_POSITIONS)
    if queue == "mine":
        return [Incident.owner_unit_id.in_(sorted(desks)), Incident.state.not_in(FINAL)]
    if queue == "verify":
        return [Incident.state == State.handled]
    if queue == "tasks":
        return [(Incident.handler_user_id == principal.user_id)
                | (Incident.handler_unit_id.in_(sorted(desks))
                   & Incident.handler_user_id.is_(None)),
                Incident.state.in_([State.dispatched, State.handling, State.rework])]
    if queue == "sign":
        return [Incident.id.in_(pending_to(desks, "incident"))]
    raise InvalidInput(f"unknown queue {queue!r}: {', '.join(QUEUES)}", code="unknown_queue")
