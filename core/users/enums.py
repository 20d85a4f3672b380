from enum import StrEnum


class Role(StrEnum):
    """The roles of DESIGN.md. Each user has one, and a scope area."""

    grid_worker = "grid_worker"  # 网格员
    village_staff = "village_staff"
    township_staff = "township_staff"
    county_dispatcher = "county_dispatcher"
    enforcement_officer = "enforcement_officer"
    market_inspector = "market_inspector"
    service_clerk = "service_clerk"
    proxy_agent = "proxy_agent"  # 代办员
    supervisor = "supervisor"
    admin = "admin"


class Permission(StrEnum):
    own_account = "account:own"  # see oneself, log out, read one's inbox
    areas_read = "areas:read"
    users_manage = "users:manage"
    incidents_read = "incidents:read"  # the incidents, categories and calendar of one's scope
    incidents_report = "incidents:report"  # 上报
    incidents_act = "incidents:act"  # lifecycle moves; which move, the workflow says by role
    incidents_hand_off = "incidents:hand-off"  # 流转: escalate, assign, refer
    hand_offs_receive = "hand-offs:receive"  # 签收 or 退回 what was handed to one's unit
    categories_manage = "categories:manage"
    calendar_manage = "calendar:manage"
    kpi_read = "kpi:read"
    patrols_record = "patrols:record"  # 巡查: a grid worker records his own patrols
    patrols_read = "patrols:read"  # patrol tracks: one's own, or the workers of one's scope
    units_read = "units:read"  # departments, units and members: dispatch targets


CENTRES = frozenset({Role.village_staff, Role.township_staff, Role.county_dispatcher})
# Who may report: the field and the desks that take reports (patrols, hotline, inspections).
REPORTERS = CENTRES | {Role.grid_worker, Role.enforcement_officer, Role.market_inspector,
                       Role.supervisor}
# Who works incidents (each move's roles: grid/incidents/workflow.py).
ACTORS = REPORTERS | {Role.service_clerk}
# Who moves responsibility between units, and who receives it (a platform's officers too).
HAND_OFF = CENTRES | {Role.supervisor}
RECEIVERS = HAND_OFF | {Role.enforcement_officer, Role.market_inspector, Role.service_clerk,
                        Role.proxy_agent}
# Who watches the figures: the centres and the leaders.
KPI_READERS = HAND_OFF | {Role.admin}
# Who watches patrols: the centres and leaders over their workers, a worker his own.
PATROL_READERS = HAND_OFF | {Role.grid_worker}
# The administrator configures (accounts, categories, calendar) and reads; the incident
# work itself is the operational roles'.
ADMINISTRATION = frozenset({Permission.users_manage, Permission.categories_manage,
                            Permission.calendar_manage})

_GRANTS = ((Permission.incidents_report, REPORTERS), (Permission.incidents_act, ACTORS),
           (Permission.incidents_hand_off, HAND_OFF), (Permission.hand_offs_receive, RECEIVERS),
           (Permission.kpi_read, KPI_READERS),
           (Permission.patrols_record, frozenset({Role.grid_worker})),
           (Permission.patrols_read, PATROL_READERS))


def _permissions_of(role: Role) -> frozenset[Permission]:
    granted = {Permission.own_account, Permission.areas_read, Permission.incidents_read,
               Permission.units_read}
    granted |= {permission for permission, roles in _GRANTS if role in roles}
    return frozenset(granted | (ADMINISTRATION if role is Role.admin else set()))


# Who may do what; where is the scope's business (core/scope.py).
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {role: _permissions_of(role)
                                                       for role in Role}

# Roles that see phone and ID numbers unmasked (they manage the people behind them).
SEES_PERSONAL_DATA = frozenset({Role.admin})
