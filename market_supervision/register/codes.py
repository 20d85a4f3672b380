"""Codes a registry would issue (GB 32100 §4): for the demo register, tests and benchmarks."""

from collections.abc import Sequence

import numpy as np

from core.uscc import ALPHABET, make_uscc, organisation_check_character
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


# —— many codes at once (a roster of 500,000): the same rules as core/uscc.py, in numpy ——

def _lookup(pairs) -> np.ndarray:
    table = np.full(256, -1, dtype=np.int64)
    for char, value in pairs:
        table[ord(char)] = value
    return table


_VALUE = _lookup((char, value) for value, char in enumerate(ALPHABET))
# GB 11714: the organisation code's characters (digits and capital letters) and values.
_ORG_VALUE = _lookup([(str(d), d) for d in range(10)]
                     + [(chr(c), c - ord("A") + 10) for c in range(ord("A"), ord("Z") + 1)])
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array((3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_ORG_CHECK = np.frombuffer(b"0123456789X0", dtype=np.uint8)  # index: 11 - (Σ mod 11)


def valid_codes(codes: Sequence[str]) -> np.ndarray:
    """For each (stripped, upper-case) code: whether `uscc_problem` finds nothing wrong.
    Codes of another length or with non-ASCII characters are simply not valid here; the
    caller asks `uscc_problem` why, for those few."""
    result = np.zeros(len(codes), dtype=bool)
    shaped = [i for i, code in enumerate(codes) if len(code) == 18 and code.isascii()]
    if not shaped:
        return result
    chars = np.frombuffer("".join(codes[i] for i in shaped).encode("ascii"),
                          dtype=np.uint8).reshape(-1, 18)
    values = _VALUE[chars]
    alphabet = (values >= 0).all(axis=1)
    expected = (31 - (np.where(values[:, :17] < 0, 0, values[:, :17]) @ _WEIGHTS) % 31) % 31
    check_ok = alphabet & (values[:, 17] == expected)
    # The organisation code inside (positions 9–17) is checked when it has GB 11714's shape.
    org = _ORG_VALUE[chars[:, 8:16]]
    last = chars[:, 16]
    org_shaped = (org >= 0).all(axis=1) & (((last >= ord("0")) & (last <= ord("9")))
                                           | (last == ord("X")))
    org_expected = _ORG_CHECK[11 - (np.where(org < 0, 0, org) @ _ORG_WEIGHTS) % 11]
    org_ok = ~org_shaped | (last == org_expected)
    result[np.array(shaped)] = check_ok & org_ok
    return result
