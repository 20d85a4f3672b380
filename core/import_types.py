"""The shapes of an import (core/imports.py): the caller's columns, a row's problems,
the refusal; shared by reading (import_reading.py), checking (import_checks.py) and the
platforms' own fast paths."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput

MAX_LISTED = 200  # problems listed in a refusal (all are counted)
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class ImportColumn:
    """A column the caller knows: its key in the row dicts, the headers it may have in a
    file (Chinese or English; the key itself is always accepted), whether it must be there
    with a value in every row, and how a cell's text becomes the value (raise ValueError
    with the reason, in Chinese, for a bad cell)."""

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    parse: Callable[[str], Any] | None = None

    @property
    def label(self) -> str:
        return self.aliases[0] if self.aliases else self.key


@dataclass(frozen=True)
class Problem:
    """What the caller's `validate` yields for a bad row: the column (a key, or None for
    the row as a whole), the reason (Chinese, for the person fixing the file) and a stable
    code."""

    column: str | None
    reason: str
    code: str = "invalid"


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1 in most files
    column: str | None  # as the file's header names it
    reason: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason,
                "code": self.code}


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    total: int
    written: int


class ImportRefused(InvalidInput):
    """A file with bad rows: nothing of it was written. 422 with every problem (capped)."""

    code = "import_rows_invalid"

    def __init__(self, errors: list[RowError], *, total: int, import_id: str | None = None
                 ) -> None:
        rows = len({e.row for e in errors})
        super().__init__(
            f"{len(errors)} problem(s) in {rows} of {total} row(s); nothing was imported",
            errors=[e.as_dict() for e in errors[:MAX_LISTED]], error_count=len(errors),
            rejected_rows=rows, total_rows=total, truncated=len(errors) > MAX_LISTED,
            import_id=import_id)
        self.errors = errors
