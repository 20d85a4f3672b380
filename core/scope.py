"""Territorial scope: a user sees and acts only inside the subtrees their account and
memberships grant.

A scope is one or more code ranges: the account's own scope area, and the jurisdiction
of every unit the user is a member of (a 中队 may cover several townships). Enforced
inside queries (a WHERE condition built here), never by filtering results, so lists never
hold an outside object and a single outside object is simply "not found". A grid
worker's scope is narrower: the grids they are responsible for.
"""

from dataclasses import dataclass

from core.codes import prefix_range, subtree_prefix_of
from core.security import Principal
from core.users.enums import Role

__all__ = ["EVERYWHERE", "Scope", "prefix_range", "subtree_prefix_of"]

GRID_CODE_LENGTH = 15  # county 6, township 9, village 12, grid 15 (core/codes.py)


def _merged(prefixes: set[str]) -> tuple[str, ...]:
    """The prefixes without those another one contains (430211 makes 430211001 redundant)."""
    ordered = sorted(prefixes, key=lambda p: (len(p), p))
    kept: list[str] = []
    for prefix in ordered:
        if not any(prefix.startswith(wider) for wider in kept):
            kept.append(prefix)
    return tuple(sorted(kept))


@dataclass(frozen=True)
class Scope:
    # Code prefixes: every code starting with one of them is inside.
    prefixes: tuple[str, ...]
    own_grids_of: int | None = None  # a grid worker's user id: only their grids

    @classmethod
    def of(cls, principal: Principal) -> "Scope":
        codes = {principal.scope_code, *principal.jurisdiction}
        own = principal.user_id if principal.role is Role.grid_worker else None
        return cls(_merged({subtree_prefix_of(code) for code in codes}), own)

    @classmethod
    def of_areas(cls, codes) -> "Scope":
        """The territory of a set of areas (a unit's jurisdiction)."""
        return cls(_merged({subtree_prefix_of(code) for code in codes}))

    @property
    def ranges(self) -> tuple[tuple[str, str], ...]:
        return tuple((r["low"], r["high"]) for r in map(prefix_range, self.prefixes))

    @property
    def shortest_prefix(self) -> int:
        """The length of the widest subtree's prefix (2 a province, 4 a city, 6 a county...)."""
        return min(len(prefix) for prefix in self.prefixes)

    def code_condition(self, column: str, *, pyformat: bool = False) -> str:
        """SQL: `column` (a "C"-collated code) lies in one of the ranges; bind `params`.

        Ranges, not `LIKE prefix%`, so the btree on the code serves them even in a generic
        plan. `pyformat` writes psycopg's %(name)s placeholders instead of SQLAlchemy's :name.
        """
        parts = []
        for i in range(len(self.prefixes)):
            low, high = ((f"%(scope_low_{i})s", f"%(scope_high_{i})s") if pyformat
                         else (f":scope_low_{i}", f":scope_high_{i}"))
            parts.append(f"({column} >= {low} AND {column} < {high})")
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def area_condition(self, alias: str = "a", *, pyformat: bool = False) -> str:
        """SQL condition on an `area` row; bind `params` with it."""
        condition = self.code_condition(f"{alias}.code", pyformat=pyformat)
        if self.own_grids_of is not None:
            if _OWN_GRIDS_SQL is None:
                from core import platforms

                platforms.load()  # the platforms declare it when they plug in
            user = "%(scope_user)s" if pyformat else ":scope_user"
            condition += f" AND {alias}.id IN ({_OWN_GRIDS_SQL.format(user=user)})"
        return condition

    def column_condition(self, column):
        """The same condition on a SQLAlchemy column expression (a code). For a grid
        worker, a grid's code must be one of his own grids, as `area_condition` says: a
        case in another grid of his village stays out. Codes above the grid level (a
        village's or a township's: the units, accounts and cases filed there) stay in by
        their prefix, so he still sees his village's centre and his own account."""
        from sqlalchemy import and_, func, or_

        condition = or_(*(and_(column >= low, column < high) for low, high in self.ranges))
        if self.own_grids_of is None:
            return condition
        return and_(condition, or_(func.length(column) < GRID_CODE_LENGTH,
                                   column.in_(self._own_grid_codes())))

    def _own_grid_codes(self):
        """The codes of a grid worker's grids, as a subquery (the platform's SQL)."""
        from sqlalchemy import String, text

        if _OWN_GRIDS_SQL is None:
            from core import platforms

            platforms.load()
        return text(f"SELECT a.code FROM area a WHERE a.id IN "
                    f"({_OWN_GRIDS_SQL.format(user=':scope_own_user')})").bindparams(
            scope_own_user=self.own_grids_of).columns(code=String)

    @property
    def params(self) -> dict:
        params: dict = {"scope_user": self.own_grids_of}
        for i, (low, high) in enumerate(self.ranges):
            params[f"scope_low_{i}"], params[f"scope_high_{i}"] = low, high
        return params

    def covers_code(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.prefixes)


# Which grids are a grid worker's own is the platform's knowledge (grid assigns workers to
# grids): the area ids of a user's grids, as SQL with {user} for the user's id.
_OWN_GRIDS_SQL: str | None = None


def own_grids_are(sql: str) -> None:
    """Declared by the platform that assigns grids to workers (grid/platform.py)."""
    global _OWN_GRIDS_SQL
    _OWN_GRIDS_SQL = sql


# Everything: for system work (tasks, the CLI) that acts for no particular user.
EVERYWHERE = Scope(("",))
