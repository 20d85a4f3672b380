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

`write_once` writes a new subject's own row too, in the same statement: unless its
idempotency key is taken (then nothing at all is written), the subject and its kernel rows
(a report: 2 statements instead of 4, bench/README.md, intake).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, inspect, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause


@dataclass(frozen=True)
class Sql:
    """A value the database computes (a geometry from its coordinates): an SQL expression
    put into the statement as it is; its parameters are given to `write_once` by name."""

    expression: str


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

    @classmethod
    def new(cls, table: Table, values: dict[str, Any]) -> "Row":
        """A new row of a mapped table as the ORM would insert it: `values`, and the
        constant Python-side default of each column left out (`default=0`, `default=""`).
        A callable default must be given in `values`; server defaults are the database's."""
        return cls(table, {**_constant_defaults(table), **values})


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


def write_once(session: Session, head: Row, *, key_columns: tuple[str, ...],
               rows: Sequence[Row | None] = (), params: dict[str, Any] | None = None
               ) -> int | None:
    """INSERT the new subject `head` unless a row with its key (`key_columns`, a unique
    index) is there, and with it `rows`, in one statement; the head's id, or None when the
    key was taken (then nothing is written). The head names its own id (drawn ahead: its
    rows refer to it, and an audit event hashes it). A concurrent copy of the same
    submission waits for this transaction at the unique index, then writes nothing.
    `params`: those of the head's `Sql` values.

    Each row travels as one JSON parameter, which the database reads into its table's row
    type (`jsonb_populate_record`: each value parsed as its column's type, a string too
    long for its column refused): one parameter per row, not one per value. psycopg
    caches its conversion of a statement only up to 50 parameters and 4,096 characters;
    past them it parsed the whole text again for every report. A None is NULL (also in a
    jsonb column, where the ORM may write a JSON null)."""
    rows = [row for row in rows if row is not None]
    shape = ((head.table, tuple(head.values)),
             *((row.table, tuple(row.values)) for row in rows))
    expressions = tuple((column, value.expression) for column, value in head.values.items()
                        if isinstance(value, Sql))
    values = {"h": _record(head, skip=dict(expressions)),
              **{f"p{i}": _record(row) for i, row in enumerate(rows)}}
    statement = _once_statement(shape, tuple(key_columns), expressions)
    return session.execute(statement, {**values, **(params or {})}).scalar()


def _record(row: Row, skip=()) -> str:
    return json.dumps({column: value for column, value in row.values.items()
                       if column not in skip}, ensure_ascii=False, default=_json_value)


def _json_value(value: Any) -> Any:
    """What `json` cannot write itself: instants in ISO 8601 with their offset (read back
    to the microsecond), enumerations as their values."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"no JSON for {type(value).__name__} in a row")


@lru_cache(maxsize=64)
def _once_statement(shape, key_columns: tuple[str, ...], expressions: tuple) -> TextClause:
    """`WITH h AS (INSERT … SELECT … FROM jsonb_populate_record(…) ON CONFLICT (key) DO
    NOTHING RETURNING id), w0 AS (INSERT … SELECT … FROM h, jsonb_populate_record(…)) …
    SELECT id FROM h`: each row is selected with `h`, so written only with the head."""
    (table, columns), *others = shape
    inline = dict(expressions)
    keys = ", ".join(f'"{column}"' for column in key_columns)
    picked = ", ".join(inline.get(column, f'r."{column}"') for column in columns)
    parts = [f'h AS (INSERT INTO "{table.name}" ({_names(columns)}) SELECT {picked} '
             f'FROM jsonb_populate_record(NULL::"{table.name}", CAST(:h AS jsonb)) r '
             f'ON CONFLICT ({keys}) DO NOTHING RETURNING "id")']
    for i, (other, other_columns) in enumerate(others):
        picked = ", ".join(f'r."{column}"' for column in other_columns)
        parts.append(f'w{i} AS (INSERT INTO "{other.name}" ({_names(other_columns)}) '
                     f'SELECT {picked} FROM h, jsonb_populate_record(NULL::"{other.name}", '
                     f'CAST(:p{i} AS jsonb)) r)')
    return text(f"WITH {', '.join(parts)} SELECT id FROM h")


def _names(columns) -> str:
    return ", ".join(f'"{column}"' for column in columns)


@lru_cache(maxsize=64)
def _constant_defaults(table: Table) -> dict[str, Any]:
    return {column.key: column.default.arg for column in table.columns
            if column.default is not None and column.default.is_scalar}


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
