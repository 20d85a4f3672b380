"""The inspections' permissions, granted when the platform plugs in (setup.py); which move
a role may make, the workflow says, and where, the scope."""

from enum import StrEnum

from core.users.enums import Role, grant


class InspectionPermission(StrEnum):
    read = "market-inspections:read"  # inspections, results and clocks of one's scope
    act = "market-inspections:act"  # 录入, 确认, 审核, 公示, 复查, 移送 (the workflow says which)
    open = "market-inspections:open"  # open a draw's inspections, or a 定向 one
    kpi_read = "market-kpis:read"
    rules_manage = "market-inspection-rules:manage"  # the limits of 公示 and procedure


STAFF = frozenset({Role.market_inspector, Role.supervisor, Role.admin})
READERS = STAFF | {Role.county_dispatcher, Role.township_staff}
GRANTS = ((InspectionPermission.read, READERS),
          (InspectionPermission.act, frozenset({Role.market_inspector, Role.supervisor})),
          (InspectionPermission.open, frozenset({Role.market_inspector, Role.admin})),
          (InspectionPermission.kpi_read, READERS),
          (InspectionPermission.rules_manage, frozenset({Role.admin})))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)
