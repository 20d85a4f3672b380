"""Sane ranges for values that come from outside, as pydantic types for the schemas.

A moment in year 1 with a +14:00 offset is year 0 in UTC, which Python cannot hold: such a
value must stop at validation (422), not deep in a service as an OverflowError (500).
"""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

# A phone with a reset clock says 1970; nothing this system records is older, and nothing
# it plans is later than 2099. The years are compared as written (before the offset), so
# that the check itself never overflows.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2099


def _sane_moment(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "a moment between the years {earliest} and {latest} is expected",
            {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value


SaneDatetime = Annotated[AwareDatetime, AfterValidator(_sane_moment)]
