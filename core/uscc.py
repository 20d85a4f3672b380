"""统一社会信用代码 (GB 32100-2015): checked, with the check character it should have.

The 18 characters: 登记管理部门码 (1), 机构类别码 (1), 登记管理机关行政区划码 (6, GB/T 2260),
主体标识码 (9: the GB 11714 organisation code, itself ending in a check character), and the
code's own check character. Enforcement's parties and market supervision's entities both
check codes here.
"""

import re

# GB 32100 §4.2: the 31 characters a code may use (no I, O, Z, S, V).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
# GB 32100 §5.2: the weight of position i (0-based) is 3^i mod 31.
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714 §5: the organisation code's weights; its check is 11 - (Σ mod 11), 10 → X, 11 → 0.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SHAPE = re.compile(f"[{ALPHABET}]{{18}}")


def check_character(first17: str) -> str:
    """The 18th character GB 32100 asks for after these 17."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check_character(first8: str) -> str:
    """The 9th character GB 11714 asks for after these 8 (digits and capital letters)."""
    def value(char: str) -> int:
        return int(char) if char.isdigit() else ord(char) - ord("A") + 10

    check = 11 - sum(value(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_problem(value: str) -> str | None:
    """Why a value is not a valid code, or None. The message names the expected check
    character, so a clerk can tell a typo from a wrong code."""
    code = value.strip().upper()
    if len(code) != 18:
        return f"a 统一社会信用代码 has 18 characters, not {len(code)}"
    if not _SHAPE.fullmatch(code):
        bad = next(char for char in code if char not in _VALUE)
        return f"'{bad}' is not one of the code's characters (0-9 and A-Y without I, O, S, V, Z)"
    organisation = code[8:17]
    if re.fullmatch(r"[0-9A-Z]{8}[0-9X]", organisation):
        expected_org = organisation_check_character(organisation[:8])
        if organisation[8] != expected_org:
            return (f"the organisation code {organisation} inside should end in "
                    f"'{expected_org}', not '{organisation[8]}'")
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"the check character should be '{expected}', not '{code[17]}'"
    return None


def expected_check(value: str) -> str | None:
    """The check character the first 17 characters call for (None when they cannot)."""
    code = value.strip().upper()
    if len(code) < 17 or not _SHAPE.fullmatch(code[:17] + "0"):
        return None
    return check_character(code[:17])


def make_uscc(first17: str) -> str:
    """A valid code from its first 17 characters (demo data, tests)."""
    return first17 + check_character(first17)
