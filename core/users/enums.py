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
    own_account = "account:own"  # see oneself, log out
    areas_read = "areas:read"
    users_manage = "users:manage"


# Who may do what; where is the scope's business (core/scope.py).
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    role: frozenset({Permission.own_account, Permission.areas_read}) for role in Role
} | {
    Role.admin: frozenset(Permission),
}

# Roles that see phone and ID numbers unmasked (they manage the people behind them).
SEES_PERSONAL_DATA = frozenset({Role.admin})
