"""综治工作's permissions and who holds them, granted when grid plugs in
(grid/platform.py); which move of a workflow a role may make, the workflow says."""

from enum import StrEnum

from core.users.enums import CENTRES, Role, grant


class GridPermission(StrEnum):
    incidents_read = "incidents:read"  # the incidents and categories of one's scope
    incidents_report = "incidents:report"  # 上报
    incidents_act = "incidents:act"  # lifecycle moves; which move, the workflow says by role
    incidents_hand_off = "incidents:hand-off"  # 流转: escalate, assign, refer
    categories_manage = "categories:manage"
    kpi_read = "kpi:read"
    patrols_record = "patrols:record"  # 巡查: a grid worker records his own patrols
    patrols_read = "patrols:read"  # patrol tracks: one's own, or the workers of one's scope


# Who may report: the field and the desks that take reports (patrols, hotline, inspections).
REPORTERS = CENTRES | {Role.grid_worker, Role.enforcement_officer, Role.market_inspector,
                       Role.supervisor}
# Who works incidents (each move's roles: grid/incidents/workflow.py).
ACTORS = REPORTERS | {Role.service_clerk}
# Who moves responsibility between units.
HAND_OFF = CENTRES | {Role.supervisor}
# Who watches the figures: the centres and the leaders.
KPI_READERS = HAND_OFF | {Role.admin}
# Who watches patrols: the centres and leaders over their workers, a worker his own.
PATROL_READERS = HAND_OFF | {Role.grid_worker}

GRANTS = ((GridPermission.incidents_read, frozenset(Role)),
          (GridPermission.incidents_report, REPORTERS),
          (GridPermission.incidents_act, ACTORS),
          (GridPermission.incidents_hand_off, HAND_OFF),
          (GridPermission.categories_manage, frozenset({Role.admin})),
          (GridPermission.kpi_read, KPI_READERS),
          (GridPermission.patrols_record, frozenset({Role.grid_worker})),
          (GridPermission.patrols_read, PATROL_READERS))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)
