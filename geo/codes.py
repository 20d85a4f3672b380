"""Area codes after GB/T 2260 and GB/T 10114: the code is the path from the city down.

city 4302|00, county 430211, township 430211|001, village 430211001|001, grid +|001.
A city's subtree is every code starting with its first four digits; any other area's
subtree is every code starting with its own code.
"""

from core.codes import parent_code, prefix_range, subtree_prefix_of
from geo.enums import AreaLevel

# Township suffix ranges (GB/T 10114): 001-099 street 街道, 100-199 town 镇, 200-399 township 乡.
TOWNSHIP_KIND_RANGES = {"street": (1, 99), "town": (100, 199), "township": (200, 399)}
# Village suffix ranges: 001-199 community 社区 (居委会), 200-399 village 村 (村委会).
VILLAGE_KIND_RANGES = {"community": (1, 199), "village": (200, 399)}


def subtree_prefix(code: str, level: AreaLevel) -> str:
    """The code prefix shared by an area and everything below it (core/codes.py)."""
    return subtree_prefix_of(code)


# Every code: digits sort below ':' in the "C" collation.
ALL_CODES = prefix_range("")


def expected_parent_code(code: str, level: AreaLevel) -> str | None:
    """The parent's code implied by a code; None for a city, the root of the hierarchy
    (core/codes.py counts provinces above it; the area table stops at the city)."""
    return None if level is AreaLevel.city else parent_code(code)


def ancestor_codes(code: str, level: AreaLevel) -> list[str]:
    """Codes of every ancestor, city first, derived from the code alone."""
    chain: list[str] = []
    current: str | None = code
    current_level: AreaLevel | None = level
    while current_level is not None and current_level.parent is not None:
        current = expected_parent_code(current, current_level)
        current_level = current_level.parent
        chain.append(current)
    return list(reversed(chain))


def code_problem(code: str, level: AreaLevel) -> str | None:
    """Why a code cannot be an area code of this level, or None when it can."""
    if not code.isdigit() or not code.isascii():
        return f"code {code!r} must be digits only"
    if len(code) != level.code_length:
        return f"a {level} code has {level.code_length} digits, {code!r} has {len(code)}"
    if level is AreaLevel.city and not code.endswith("00"):
        return f"a city code ends in 00 (first four digits + 00), not {code!r}"
    if level is AreaLevel.county and code.endswith("00"):
        return f"county code {code!r} ends in 00, which is its city's code"
    if level in (AreaLevel.township, AreaLevel.village, AreaLevel.grid) and code.endswith("000"):
        return f"code {code!r} has suffix 000, which no {level} may use"
    return None


def code_extends(child_code: str, parent_code: str, parent_level: AreaLevel) -> bool:
    return child_code.startswith(subtree_prefix(parent_code, parent_level)) and (
        child_code != parent_code
    )

