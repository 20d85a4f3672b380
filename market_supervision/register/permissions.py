"""市场监管's register permissions, granted when the platform plugs in (part.py setup)."""

from enum import StrEnum

from core.users.enums import Role, grant


class MarketPermission(StrEnum):
    read = "market:read"  # the register, plans, tasks and draws of one's scope
    manage = "market:manage"  # register entities, import rosters, plan, draw
    # 信用风险分类: internal to the market units and their leaders (never public).
    risk_read = "market:risk-read"
    admin = "market:admin"  # the item list, the ratio table, inspectors' qualifications


STAFF = frozenset({Role.market_inspector, Role.supervisor, Role.admin})
READERS = STAFF | {Role.county_dispatcher, Role.township_staff}
GRANTS = ((MarketPermission.read, READERS),
          (MarketPermission.manage, frozenset({Role.market_inspector, Role.admin})),
          (MarketPermission.risk_read, STAFF),
          (MarketPermission.admin, frozenset({Role.admin})))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)
