"""综合执法 cases' permissions and who holds them (granted when the part plugs in); which
move a holder may make, the workflow says by role and position."""

from enum import StrEnum

from core.users.enums import Role, grant


class CasePermission(StrEnum):
    cases_read = "enforcement-cases:read"
    cases_open = "enforcement-cases:open"  # 线索登记, 当场处罚
    cases_act = "enforcement-cases:act"
    matters_read = "enforcement-matters:read"
    matters_manage = "enforcement-matters:manage"  # the catalogue and the rules


READERS = frozenset({Role.enforcement_officer, Role.county_dispatcher, Role.supervisor,
                     Role.admin})
GRANTS = ((CasePermission.cases_read, READERS),
          (CasePermission.cases_open, frozenset({Role.enforcement_officer,
                                                 Role.county_dispatcher})),
          (CasePermission.cases_act, frozenset({Role.enforcement_officer,
                                                Role.county_dispatcher})),
          (CasePermission.matters_read, frozenset(Role)),
          (CasePermission.matters_manage, frozenset({Role.admin})))


def grant_all() -> None:
    for permission, roles in GRANTS:
        grant(permission, roles)
