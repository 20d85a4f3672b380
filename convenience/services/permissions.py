"""便民服务's permissions and who holds them, granted when the part plugs in; which move
a role may make, the workflows say (workflows.py)."""

from enum import StrEnum

from core.users.enums import Role, grant


class ServicePermission(StrEnum):
    read = "convenience:read"  # the catalogue, points, applications of one's territory
    act = "convenience:act"  # 受理, 审查, 决定, 出件, 帮代办, ratings at the window
    manage = "convenience:manage"  # the catalogue, points, bundles, agents, limits
    supervise = "convenience:supervise"  # 否定事项 review, appeals of ratings
    kpi = "convenience:kpi"  # the figures, ranking and bulletin


CLERKS = frozenset({Role.service_clerk, Role.proxy_agent, Role.village_staff,
                    Role.township_staff, Role.county_dispatcher, Role.supervisor, Role.admin})
SUPERVISORS = frozenset({Role.supervisor, Role.admin, Role.county_dispatcher})
GRANTS = ((ServicePermission.read, frozenset(Role)),
          (ServicePermission.act, CLERKS),
          (ServicePermission.manage, frozenset({Role.admin})),
          (ServicePermission.supervise, SUPERVISORS),
          (ServicePermission.kpi, SUPERVISORS | {Role.service_clerk, Role.township_staff}))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)
