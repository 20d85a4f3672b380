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
    """The core's permissions; each platform declares its own (grid/permissions.py) and
    grants them when it plugs in (`grant`)."""

    own_account = "account:own"  # see oneself, log out, read one's inbox
    areas_read = "areas:read"
    users_manage = "users:manage"
    calendar_read = "calendar:read"  # the working calendar and due moments
    calendar_manage = "calendar:manage"
    units_read = "units:read"  # departments, units and members: dispatch targets
    hand_offs_receive = "hand-offs:receive"  # 签收 or 退回 what was handed to one's unit


CENTRES = frozenset({Role.village_staff, Role.township_staff, Role.county_dispatcher})
# Who receives hand-offs (core/workflow/handoffs.py): the centres and leaders, and the
# platforms' officers and clerks; which hand-off, their memberships say.
RECEIVERS = CENTRES | {Role.supervisor, Role.enforcement_officer, Role.market_inspector,
                       Role.service_clerk, Role.proxy_agent}
EVERYONE = frozenset(Role)

# Who may do what; where is the scope's business (core/scope.py). Filled here with the
# core's grants, then by each platform's (`grant`).
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {role: frozenset() for role in Role}


def grant(permission: str, roles) -> None:
    """Give `roles` a permission (a platform's, when it plugs in; idempotent)."""
    for role in roles:
        ROLE_PERMISSIONS[Role(role)] = ROLE_PERMISSIONS[Role(role)] | {permission}


def revoke(permission: str) -> None:
    """Take a permission back from every role (a platform unplugged: a test's)."""
    for role in ROLE_PERMISSIONS:
        ROLE_PERMISSIONS[role] = ROLE_PERMISSIONS[role] - {permission}


for _permission, _roles in ((Permission.own_account, EVERYONE),
                            (Permission.areas_read, EVERYONE),
                            (Permission.calendar_read, EVERYONE),
                            (Permission.units_read, EVERYONE),
                            (Permission.hand_offs_receive, RECEIVERS),
                            (Permission.users_manage, {Role.admin}),
                            (Permission.calendar_manage, {Role.admin})):
    grant(_permission, _roles)

# Roles that see phone and ID numbers unmasked (they manage the people behind them).
SEES_PERSONAL_DATA = frozenset({Role.admin})
