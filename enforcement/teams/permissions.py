"""The teams part's permissions and who holds them (granted in `setup`); where, the
scope says (core/scope.py), and which move of a whistle's answer, its workflow."""

from enum import StrEnum

from core.users.enums import CENTRES, Role, grant


class TeamsPermission(StrEnum):
    teams_read = "enforcement-teams:read"  # teams, positions, rosters, nearest, layers
    teams_manage = "enforcement-teams:manage"  # qualifications, rosters, availability
    operations_read = "enforcement-operations:read"
    operations_manage = "enforcement-operations:manage"  # 联合执法行动: plan, edit, visit
    whistles_read = "enforcement-whistles:read"
    whistles_blow = "enforcement-whistles:blow"  # 吹哨: the township calls departments
    whistles_answer = "enforcement-whistles:answer"  # 报到: arrive, act, close
    kpi_read = "enforcement-kpi:read"


# The enforcement desk and the field: officers, dispatchers, leaders.
READERS = CENTRES | {Role.enforcement_officer, Role.market_inspector, Role.supervisor,
                     Role.admin}
MANAGERS = frozenset({Role.county_dispatcher, Role.supervisor, Role.admin})
OPERATORS = MANAGERS | {Role.enforcement_officer, Role.township_staff}
# 街乡吹哨: the township (and above it the county's centre and leaders).
WHISTLERS = frozenset({Role.township_staff, Role.county_dispatcher, Role.supervisor,
                       Role.admin})
# 部门报到: the called departments' officers; the township closes (the workflow says who).
ANSWERERS = WHISTLERS | {Role.enforcement_officer, Role.market_inspector}
KPI_READERS = frozenset({Role.township_staff, Role.county_dispatcher, Role.supervisor,
                         Role.admin, Role.enforcement_officer})

GRANTS = ((TeamsPermission.teams_read, READERS),
          (TeamsPermission.teams_manage, MANAGERS),
          (TeamsPermission.operations_read, READERS),
          (TeamsPermission.operations_manage, OPERATORS),
          (TeamsPermission.whistles_read, READERS),
          (TeamsPermission.whistles_blow, WHISTLERS),
          (TeamsPermission.whistles_answer, ANSWERERS),
          (TeamsPermission.kpi_read, KPI_READERS))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)
