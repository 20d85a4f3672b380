"""Time limits as the regulations write them: N working hours or N working days."""

import re
from dataclasses import dataclass
from enum import StrEnum

from core.errors import InvalidInput


class Unit(StrEnum):
    hours = "h"  # working hours: office time only
    days = "d"  # working days: to the close of office on the Nth working day after the start


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


_DURATION = re.compile(r"^\s*(\d{1,4})\s*([hd])\s*$")


def parse_duration(text: str) -> Duration:
    """`8h` → 8 working hours, `3d` → 3 working days; anything else is InvalidInput."""
    match = _DURATION.match(text or "")
    if not match or int(match[1]) == 0:
        raise InvalidInput(f"a duration is a positive whole number and h or d, like 8h or 3d: "
                           f"{text!r}")
    return Duration(int(match[1]), Unit(match[2]))
