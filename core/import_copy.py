"""The fast path for big CSV rosters (core/imports.py): the header read as read_rows
reads it, the rows parsed by PostgreSQL's COPY into a temporary table, checked in SQL by
the caller (market_supervision/register/import_sql.py)."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.import_reading import _decode, _delimiter, _header, _is_xlsx, _positions
from core.import_types import MAX_ROWS, ImportColumn


@dataclass(frozen=True)
class CopiedCsv:
    """A CSV's data rows in a temporary table (copy_csv): `row` (the file's row number)
    and one text column per key of the caller's columns that the file has, as the file
    wrote the cells (not stripped; an empty unquoted cell is NULL)."""

    table: str
    total: int
    keys: tuple[str, ...]  # the caller's columns the file has
    names: dict[str, str]  # {key: the header as the file wrote it}


def copy_csv(session: Session, data: bytes, columns: Sequence[ImportColumn], *, table: str,
             max_rows: int = MAX_ROWS) -> CopiedCsv | None:
    """The platform's fast path for big CSV rosters: the header read here (the same
    aliases and refusals as read_rows), the data rows parsed by PostgreSQL (COPY … FORMAT
    csv) into a temporary table dropped at commit, so the caller checks them in SQL; the
    rows are numbered as read_rows numbers them, a row of empty cells skipped. None for an
    xlsx or a CSV that COPY cannot take as a table (rows of unequal length, a blank line,
    mixed line endings): read_rows or read_columns then read it. `table`: a name the
    caller owns (an identifier, never user input)."""
    if _is_xlsx(data):
        return None
    text = _decode(data)
    delimiter = _delimiter(text)
    stream = io.StringIO(text, newline="")
    try:
        header_number, header = _header(
            (number, [cell.strip() or None for cell in record])
            for number, record in enumerate(csv.reader(stream, delimiter=delimiter), start=1))
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", code="import_unreadable") from None
    positions, names = _positions(header, columns)
    key_at = {index: key for key, index in positions.items()}
    width = len(header)
    if width < 2:
        return None  # one column: COPY would take a blank line for a row
    file_columns = [key_at.get(index, f"_extra_{index}") for index in range(width)]
    body = text[stream.tell():]
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMP TABLE {table} (row int GENERATED ALWAYS AS IDENTITY "
            f"(START WITH {header_number + 1}), "
            + ", ".join(f'"{name}" text' for name in file_columns) + ") ON COMMIT DROP")
        cursor.execute(f"SAVEPOINT {table}_copy")
        quoted = ", ".join(f'"{name}"' for name in file_columns)
        try:
            with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT csv, "
                             f"DELIMITER {_sql_text(delimiter)})") as copy:
                for start in range(0, len(body), 1 << 20):
                    copy.write(body[start:start + (1 << 20)])
        except psycopg.errors.DataError:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {table}_copy")
            cursor.execute(f"DROP TABLE {table}")
            return None
        cursor.execute(f"RELEASE SAVEPOINT {table}_copy")
        # A row of empty cells is no row (read_rows skips it; its number stays taken). One
        # test per cell, joined by AND: a row's first filled cell ends it (stripping the
        # whole row joined took 1.9× as long over 500,000 rows of 7 cells).
        blank = " AND ".join(f"""btrim(coalesce("{name}", ''), {_sql_text(_SPACES)}) = ''"""
                             for name in file_columns)
        cursor.execute(f"DELETE FROM {table} WHERE {blank}")
        cursor.execute(f"SELECT count(*) FROM {table}")
        total = cursor.fetchone()[0]
    if total > max_rows:
        raise InvalidInput(f"a file may hold at most {max_rows:,} rows",
                           code="import_too_large", max_rows=max_rows)
    return CopiedCsv(table, total, tuple(positions), names)


# The characters str.strip() removes (str.isspace), for SQL's btrim(text, characters): a
# cell trimmed in SQL is the cell trimmed by read_rows.
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def sql_strip(expression: str) -> str:
    """SQL for `expression` stripped as str.strip() strips (read_rows' cells)."""
    return f"btrim({expression}, {_sql_text(_SPACES)})"


def _sql_text(value: str) -> str:
    """A constant SQL text (E'…' with each character escaped: no quoting to get wrong)."""
    return "E'" + "".join(f"\\u{ord(c):04x}" for c in value) + "'"
