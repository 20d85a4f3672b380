"""Area-code arithmetic, in one place (GB/T 2260 and GB/T 10114): a code is its path.

province 43|0000, city 4302|00, county 430211, township 430211|001, village
430211001|001, grid +|001. A province's subtree is every code starting with its first two
digits, a city's with its first four, any other area's with its own code. The same
arithmetic in SQL is the function `area_parent_code(code)` (migration 0012); the pages
ask the API rather than compute codes themselves.
"""

LEVEL_BY_LENGTH = {9: "township", 12: "village", 15: "grid"}


def level_of_code(code: str) -> str:
    """province | city | county | township | village | grid, from the code alone."""
    if len(code) == 6:
        if code.endswith("0000"):
            return "province"
        return "city" if code.endswith("00") else "county"
    try:
        return LEVEL_BY_LENGTH[len(code)]
    except KeyError:
        raise ValueError(f"{code!r} is not an area code") from None


def subtree_prefix_of(code: str) -> str:
    """The prefix every code below `code` (and `code` itself) starts with."""
    level = level_of_code(code) if code else "everything"
    return {"province": code[:2], "city": code[:4], "everything": ""}.get(level, code)


def prefix_range(prefix: str) -> dict[str, str]:
    """Bounds `low <= code < high` of every code starting with `prefix` ("": every code).

    A range (not `LIKE :prefix || '%'`) so the btree on the "C"-collated code serves it
    even in a generic plan of a prepared statement, where the prefix is unknown.
    """
    if not prefix:
        return {"low": "0", "high": ":"}  # digits sort below ':' in the "C" collation
    return {"low": prefix, "high": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


def parent_code(code: str) -> str | None:
    """One level up: grid → village → township → county → city → province; None above."""
    level = level_of_code(code)
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    if level == "county":
        return code[:4] + "00"
    return code[:len(code) - 3]


def chain_codes(code: str, *, top: str = "city") -> list[str]:
    """`code` and its ancestors up to `top` (a level), top first."""
    chain = [code]
    while level_of_code(chain[-1]) != top:
        up = parent_code(chain[-1])
        if up is None:
            break
        chain.append(up)
    return chain[::-1]


def contains(area_code: str, code: str) -> bool:
    """Whether `code` lies in the subtree of `area_code` (itself included)."""
    return code.startswith(subtree_prefix_of(area_code))


def subtree_range(code: str) -> dict[str, str]:
    """`prefix_range` of the subtree of `code`: every code below it, itself included."""
    return prefix_range(subtree_prefix_of(code))
