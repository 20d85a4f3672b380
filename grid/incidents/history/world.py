"""The city as the history needs it, read once: grids and their workers, the 小类 and their
clock rules, the units that hold and handle incidents, their members as the kernel sees
them (core/workflow/kernel.py `Actor`: role and positions per unit), the calendar."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session, aliased

from core.codes import parent_code, prefix_range
from core.errors import InvalidInput
from core.settings import Settings
from core.units.enums import DESK_POSITIONS, Position
from core.users.enums import Role
from core.workflow.calendar_store import load_calendar
from core.workflow.clocks import ClockRule
from core.workflow.durations import parse_duration
from core.workflow.kernel import Actor
from grid.categories.models import MINOR, Category
from grid.incidents.case_type import INCIDENT, rule_of
from grid.incidents.enums import Step, Urgency
from grid.settings import grid_settings

# Who acts for a unit, at its desk (DESK_POSITIONS): who takes and sends work (受理员,
# 派遣员), its head (负责人), and for a dispatched task its 承办人 where it has them.
CLERKS = (Position.receiver, Position.dispatcher)
LEADERS = (Position.head,)
HANDLERS = (Position.handler,)


@dataclass(frozen=True, slots=True)
class Grid:
    id: int
    code: str
    name: str
    worker_id: int | None
    worker: Actor | None  # the responsible worker's account


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    name: str
    kind: str
    platform: str
    department: str | None
    seat_code: str


class World:
    """The city as the history needs it, read once (see the module doc)."""

    def __init__(self, *, grids, population, categories, rules, units, members, calendar,
                 settings: Settings) -> None:
        self.grids, self.population, self.categories = grids, population, categories
        self.rules, self.calendar = rules, calendar
        self.units: dict[int, Unit] = {unit.id: unit for unit in units}
        self._by_seat = {(u.kind, u.department, u.seat_code): u for u in units}
        self._centres = {u.seat_code: u for u in units if u.kind == "centre"}
        self._members: dict[int, dict[str, list[Actor]]] = members
        self.warn_share = INCIDENT.warn_share or settings.deadline_warn_share
        self.sign_limit = parse_duration(settings.handoff_sign_limit)
        # A second report within this window may be merged (并单) into the first.
        self.duplicate_window = timedelta(hours=grid_settings().duplicate_window_hours)

    @classmethod
    def read(cls, session: Session, *, city_code: str, settings: Settings,
             now: datetime) -> "World":
        bounds = prefix_range(city_code[:4])
        calendar = load_calendar(session, settings=settings)
        actors = _actors(session, bounds, today=calendar.localize(now).date())
        grids, population = _grids(session, bounds, actors)
        categories = _active_minors(session)
        # The clock rules as the live system reads them (case_type.rule_of), once per
        # (小类, urgency, step).
        rules = {(c.id, str(u), str(s)): rule_of(c, urgency=u, step=s)
                 for c in categories for u in Urgency for s in Step}
        units = [Unit(r.id, r.name, r.kind, r.platform, r.department_code, r.seat_code)
                 for r in session.execute(text("""
                     SELECT id, name, kind, platform, department_code, seat_code FROM unit
                     WHERE is_active AND seat_code >= :low AND seat_code < :high
                     ORDER BY id"""), bounds)]
        if not any(u.kind == "centre" for u in units):
            raise InvalidInput(f"city {city_code} has no centres: load its units first "
                               "(core/units/demo.py)")
        members: dict[int, dict[str, list[Actor]]] = defaultdict(lambda: defaultdict(list))
        for row in session.execute(text("""
                SELECT m.unit_id, m.position, m.user_id FROM membership m
                JOIN unit un ON un.id = m.unit_id AND un.is_active
                JOIN app_user u ON u.id = m.user_id AND u.is_active
                WHERE m.is_active AND un.seat_code >= :low AND un.seat_code < :high
                ORDER BY m.unit_id, m.position, m.user_id"""), bounds):
            members[row.unit_id][row.position].append(actors[row.user_id])
        return cls(grids=grids, population=population, categories=categories, rules=rules,
                   units=units, members=members, settings=settings, calendar=calendar)

    # -- rules and units

    def rule(self, category: Category, urgency: str, step: str) -> ClockRule:
        return self.rules[(category.id, urgency, step)]

    def centre(self, code: str) -> Unit:
        """The centre that sits at an area (village, township, county, city)."""
        try:
            return self._centres[code]
        except KeyError:
            raise InvalidInput(f"no centre sits at {code}: load the city's units first") \
                from None

    def centre_above(self, code: str) -> Unit | None:
        """The centre one level up, where an escalation goes (None at the top)."""
        up = parent_code(code)
        return self._centres.get(up) if up else None

    def unit_at(self, kind: str, department: str | None, seat_code: str) -> Unit | None:
        return self._by_seat.get((kind, department, seat_code))

    # -- who acts for a unit

    def members(self, unit_id: int, positions) -> list[Actor]:
        """Members holding the first of `positions` that the unit has (in that order)."""
        held = self._members.get(unit_id, {})
        for position in positions:
            if held.get(position):
                return held[position]
        return []

    def clerks(self, unit_id: int) -> list[Actor]:
        """The desk (受理员, 派遣员) that files, dispatches, signs and closes."""
        return self.members(unit_id, CLERKS) or self.members(unit_id, sorted(DESK_POSITIONS))

    def leaders(self, unit_id: int) -> list[Actor]:
        """Who suspends, resumes and evaluates: the head, else the desk."""
        return self.members(unit_id, LEADERS) or self.clerks(unit_id)

    def handlers(self, unit_id: int) -> list[Actor]:
        """Who a task is dispatched to: the unit's 承办人, else its desk."""
        return self.members(unit_id, HANDLERS) or self.clerks(unit_id)


def _actors(session: Session, bounds: dict, *, today: date) -> dict[int, Actor]:
    """Every account of the city with a membership, as the kernel's Actor (Actor.of):
    role, positions per unit, units where a 执法证 is valid `today`."""
    positions: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    credentialed: dict[int, set[int]] = defaultdict(set)
    accounts: dict[int, tuple[str, str]] = {}
    for row in session.execute(text("""
            SELECT u.id, u.username, u.role, m.unit_id, m.position,
                   m.credential_expires_on >= :today AS credential_valid
            FROM membership m JOIN app_user u ON u.id = m.user_id AND u.is_active
            JOIN unit un ON un.id = m.unit_id AND un.is_active
            WHERE m.is_active AND un.seat_code >= :low AND un.seat_code < :high
            ORDER BY u.id"""), {**bounds, "today": today}):
        accounts[row.id] = (row.username, row.role)
        positions[row.id][row.unit_id].add(row.position)
        if row.credential_valid:
            credentialed[row.id].add(row.unit_id)
    return {user_id: Actor(user_id, username, Role(role),
                           {unit: frozenset(p) for unit, p in positions[user_id].items()},
                           frozenset(credentialed[user_id]))
            for user_id, (username, role) in accounts.items()}


def _grids(session: Session, bounds: dict, actors: dict[int, Actor]
           ) -> tuple[list[Grid], np.ndarray]:
    # Each grid's responsible worker: the first by staff number (as reporting finds it).
    # One pass over the assignments; a per-grid subquery is planned badly right after
    # the bulk load, before the tables are analysed.
    rows = session.execute(text("""
        WITH first AS (
            SELECT DISTINCT ON (ga.grid_id) ga.grid_id, w.id, w.user_id
            FROM grid_assignment ga JOIN grid_worker w ON w.id = ga.worker_id
            ORDER BY ga.grid_id, w.staff_code)
        SELECT a.id, a.code, a.name, COALESCE(a.population, 0) AS population,
               first.id AS worker_id, first.user_id
        FROM area a LEFT JOIN first ON first.grid_id = a.id
        WHERE a.level = 'grid' AND a.code >= :low AND a.code < :high
        ORDER BY a.code"""), bounds).all()
    if not rows:
        raise InvalidInput(f"city {bounds['low']} has no grids: load its areas first")
    grids = [Grid(r.id, r.code, r.name, r.worker_id, actors.get(r.user_id)) for r in rows]
    return grids, np.array([float(r.population) for r in rows])


def _active_minors(session: Session) -> list[Category]:
    """The 小类 a report may name (as get_minor accepts them), in code order."""
    major = aliased(Category)
    return list(session.scalars(
        select(Category).join(major, Category.parent_id == major.id)
        .where(Category.level == MINOR, Category.active, major.active)
        .order_by(Category.code)))
