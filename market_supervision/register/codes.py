"""Codes a registry would issue (GB 32100 §4): for the demo register, tests and benchmarks."""

from core.uscc import make_uscc, organisation_check_character
from market_supervision.register.enums import EntityType

# 登记管理部门码 9 (工商/市场监管) and its 机构类别码: 1 企业, 2 个体工商户, 3 农民专业合作社.
CATEGORY = {EntityType.individual: "92", EntityType.cooperative: "93"}


def issue_code(entity_type: str, region: str, serial: int) -> str:
    """A valid code: the category, the registering region's GB/T 2260 code (positions 3–8),
    a 主体标识码 of 8 digits from the serial and its GB 11714 check, and the check."""
    body = f"{serial % 10**8:08d}"
    first17 = CATEGORY.get(entity_type, "91") + region + body + \
        organisation_check_character(body)
    return make_uscc(first17)
