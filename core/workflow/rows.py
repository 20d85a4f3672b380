"""Several single rows of one change, written in one statement.

A report writes five rows around its new subject: its clock, its reporter, its timeline
event, its outbox message and its audit event. As ORM objects, each costs the unit of
work's bookkeeping and an INSERT of its own at the flush (about a third of a report's
server CPU: bench/README.md, intake); as data-modifying CTEs of one statement, one
execute and one round trip. The kernel's helpers give their row as a `Row`
(`clocks.row_of`, `timeline.row`, `notify.row`, `outbox.row`, `audit.row`); callers that
write one row at a time keep the ORM helpers.

Rows written this way are not in the session: nothing refers to them by object, and what
the caller needs back (a clock's instants, an event's id) it already holds.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, inspect, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause


@dataclass(frozen=True)
class Row:
    """One row for one table: column name → value (columns left out take their default)."""

    table: Table
    values: dict[str, Any]

    @classmethod
    def of_object(cls, obj: Any) -> "Row":
        """The row of a transient ORM object: the columns set on it."""
        mapper = inspect(type(obj))
        table = mapper.local_table
        return cls(table, {column.key: obj.__dict__[attr.key]
                           for attr in mapper.column_attrs for column in attr.columns
                           if column.table is table and attr.key in obj.__dict__})


def write(session: Session, rows: Sequence[Row | None]) -> None:
    """INSERT every row, in one statement, in the session's transaction (rows given as
    None are skipped). The ORM's pending objects are flushed first by the execute."""
    rows = [row for row in rows if row is not None]
    if not rows:
        return
    shape = tuple((row.table, tuple(row.values)) for row in rows)
    params = {f"p{i}_{column}": value for i, row in enumerate(rows)
              for column, value in row.values.items()}
    session.execute(_statement(shape), params)


@lru_cache(maxsize=256)
def _statement(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> TextClause:
    """`WITH w0 AS (INSERT …), w1 AS (INSERT …) … SELECT 1`, its parameters typed by the
    columns (a jsonb column binds a dict, a timestamptz an aware datetime). Built once per
    shape; every statement of a CTE runs, whether its result is read or not."""
    parts, binds = [], []
    for i, (table, columns) in enumerate(shape):
        names = ", ".join(f'"{column}"' for column in columns)
        values = ", ".join(f":p{i}_{column}" for column in columns)
        parts.append(f'w{i} AS (INSERT INTO "{table.name}" ({names}) VALUES ({values}))')
        binds += [bindparam(f"p{i}_{column}", type_=table.c[column].type)
                  for column in columns]
    return text(f"WITH {', '.join(parts)} SELECT 1").bindparams(*binds)
