"""Personal identifiers: GB 11643 citizen ID numbers and phone numbers, checked and masked."""

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PHONE = re.compile(r"^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$")


def id_number_problem(value: str) -> str | None:
    """Why a value is not a valid 18-character GB 11643 number, or None."""
    value = value.strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        return "an ID number has 17 digits and a check character (0-9 or X)"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "the ID number's date of birth does not exist"
    if not date(1850, 1, 1) <= born <= date.today():
        return "the ID number's date of birth is not a possible one"
    check = _CHECK[sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True)) % 11]
    if value[17] != check:
        return "the ID number's check character is wrong"
    return None


def phone_problem(value: str) -> str | None:
    return None if _PHONE.fullmatch(value.strip()) else "not a mainland mobile or landline number"


def mask_id_number(value: str | None) -> str | None:
    # Region (6) and the last 4 stay: enough to tell two people apart at a counter.
    return None if value is None else value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    return None if value is None else value[:3] + "*" * (len(value) - 7) + value[-4:]
