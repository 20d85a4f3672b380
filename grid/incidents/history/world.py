"""The city as the history needs it, read once: grids and their workers, the 小类 and
their limits, the demo accounts, the calendar; and who acts for a role at a unit."""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session, aliased

from core.errors import InvalidInput
from core.scope import prefix_range
from core.settings import Settings
from core.users.enums import Role
from core.workflow.calendar_store import load_calendar
from core.workflow.durations import Duration, parse_duration
from grid.categories.models import MINOR, Category
from grid.categories.service import time_limit
from grid.incidents.enums import Step, Urgency
from grid.incidents.service import CENTRE_DESK, level_of_code

# Who acts: (role, actor, user id); the user id is None for a role named with its unit.
Actor = tuple[Role, str, int | None]

@dataclass(frozen=True, slots=True)
class Grid:
    id: int
    code: str
    name: str
    worker_id: int | None
    worker_user_id: int | None
    worker_username: str | None


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    scope_code: str


class World:
    """The city as the history needs it, read once: grids and their workers, the 小类
    and their limits, the demo accounts, the calendar."""

    def __init__(self, grids, population, categories, limits, accounts, calendar, settings):
        self.grids, self.population, self.categories = grids, population, categories
        self.limits, self.accounts, self.calendar = limits, accounts, calendar
        self.warn_share = settings.deadline_warn_share
        self.sign_limit = parse_duration(settings.handoff_sign_limit)
        # A second report within this window may be merged (并单) into the first.
        self.duplicate_window = timedelta(hours=settings.duplicate_window_hours)

    @classmethod
    def read(cls, session: Session, *, city_code: str, settings: Settings) -> "World":
        bounds = prefix_range(city_code[:4])
        # Each grid's responsible worker: the first by staff number (as reporting finds it).
        # One pass over the assignments; a per-grid subquery is planned badly right after
        # the bulk load, before the tables are analysed.
        rows = session.execute(text("""
            WITH first AS (
                SELECT DISTINCT ON (ga.grid_id) ga.grid_id, w.id, w.user_id
                FROM grid_assignment ga JOIN grid_worker w ON w.id = ga.worker_id
                ORDER BY ga.grid_id, w.staff_code)
            SELECT a.id, a.code, a.name, COALESCE(a.population, 0) AS population,
                   first.id AS worker_id, first.user_id, u.username
            FROM area a
            LEFT JOIN first ON first.grid_id = a.id
            LEFT JOIN app_user u ON u.id = first.user_id
            WHERE a.level = 'grid' AND a.code >= :low AND a.code < :high
            ORDER BY a.code"""), bounds).all()
        if not rows:
            raise InvalidInput(f"city {city_code} has no grids: load its areas first")
        grids = [Grid(r.id, r.code, r.name, r.worker_id, r.user_id, r.username) for r in rows]
        population = np.array([float(r.population) for r in rows])
        categories = _active_minors(session)
        # The limits as grid.categories.service reads them, once per (小类, urgency, step).
        limits = {(c.id, str(u), str(s)): time_limit(c, urgency=u, step=s)
                  for c in categories for u in Urgency for s in Step}
        accounts = {Role(r.role): Account(r.id, r.username, r.scope_code)
                    for r in session.execute(text(
                        "SELECT id, username, role, scope_code FROM app_user "
                        "WHERE username ~ '^demo[0-9]*_' AND is_active AND role <> 'grid_worker' "
                        "AND scope_code >= :low AND scope_code < :high ORDER BY id"), bounds)}
        return cls(grids, population, categories, limits, accounts,
                   load_calendar(session, settings=settings), settings)

    def limit(self, category: Category, urgency: str, step: str) -> Duration:
        return self.limits[(category.id, urgency, step)]

    def at_unit(self, role: Role, code: str) -> Actor:
        """(role, actor, user id) of whoever acts for `role` at the unit `code`: the demo
        account when it sits there, else the role named with the unit (no account)."""
        account = self.accounts.get(role)
        if account is not None and account.scope_code == code:
            return role, account.username, account.id
        return role, f"{role}@{code}", None

    def centre(self, code: str) -> Actor:
        """The desk of the centre at `code` (村/镇/区 by its level)."""
        return self.at_unit(CENTRE_DESK[level_of_code(code)], code)


def _active_minors(session: Session) -> list[Category]:
    """The 小类 a report may name (as get_minor accepts them), in code order."""
    major = aliased(Category)
    return list(session.scalars(
        select(Category).join(major, Category.parent_id == major.id)
        .where(Category.level == MINOR, Category.active, major.active)
        .order_by(Category.code)))
