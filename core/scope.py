"""Territorial scope: a user sees and acts only inside the subtree of their scope area.

Enforced inside queries (a WHERE condition built here), never by filtering results, so
lists never hold an outside object and a single outside object is simply "not found".
A grid worker's scope is narrower: the grids they are responsible for.
"""

from dataclasses import dataclass

from core.security import Principal
from core.users.enums import Role


def subtree_prefix_of(code: str) -> str:
    """A province (6 digits ending 0000) spans its first two digits, a city (ending 00)
    its first four (GB/T 2260); any other area its own code."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    return code[:4] if len(code) == 6 and code.endswith("00") else code


def prefix_range(prefix: str) -> dict[str, str]:
    """Bounds `low <= code < high` of every code starting with `prefix`.

    A range (not `LIKE :prefix || '%'`) so the btree on the "C"-collated code serves it
    even in a generic plan of a prepared statement, where the prefix is unknown.
    """
    return {"low": prefix, "high": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


@dataclass(frozen=True)
class Scope:
    low: str
    high: str
    own_grids_of: int | None = None  # a grid worker's user id: only their grids

    @classmethod
    def of(cls, principal: Principal) -> "Scope":
        bounds = prefix_range(subtree_prefix_of(principal.scope_code))
        own = principal.user_id if principal.role is Role.grid_worker else None
        return cls(bounds["low"], bounds["high"], own)

    def area_condition(self, alias: str = "a", *, pyformat: bool = False) -> str:
        """SQL condition on an `area` row; bind `params` with it.

        `pyformat` writes psycopg's %(name)s placeholders instead of SQLAlchemy's :name.
        """
        low, high, user = (("%(scope_low)s", "%(scope_high)s", "%(scope_user)s") if pyformat
                           else (":scope_low", ":scope_high", ":scope_user"))
        condition = f"({alias}.code >= {low} AND {alias}.code < {high})"
        if self.own_grids_of is not None:
            condition += (f" AND {alias}.id IN (SELECT ga.grid_id FROM grid_assignment ga "
                          f"JOIN grid_worker w ON w.id = ga.worker_id WHERE w.user_id = {user})")
        return condition

    @property
    def params(self) -> dict:
        return {"scope_low": self.low, "scope_high": self.high,
                "scope_user": self.own_grids_of}

    def covers_code(self, code: str) -> bool:
        return self.low <= code < self.high


# Everything: for system work (tasks, the CLI) that acts for no particular user.
EVERYWHERE = Scope("0", ":")
