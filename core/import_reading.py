"""Reading an import's file (core/imports.py): CSV or xlsx, told by the bytes; the
header found by aliases; rows as dicts (read_rows) or whole columns (read_columns)."""

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.errors import InvalidInput
from core.import_types import MAX_ROWS, ImportColumn, ParsedRow

_EXCEL_EXACT_DIGITS = 15  # an Excel number keeps 15 significant digits


def normalise_header(text: Any) -> str:
    """How headers and aliases are compared (module docstring)."""
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return "".join(c for c in text if not c.isspace() and c != "*")


def read_rows(data: bytes, columns: Sequence[ImportColumn], *, max_rows: int = MAX_ROWS,
              sheet: str | None = None) -> tuple[list[ParsedRow], dict[str, str]]:
    """The file's data rows as dicts of text by the columns' keys (every key; None for an
    empty cell or a column the file lacks; the file's other columns left out), and {key:
    the header as the file wrote it}. 422 import_empty,
    import_unreadable, import_header_missing, import_header_ambiguous, import_too_large."""
    table = _xlsx_table(data, sheet) if _is_xlsx(data) else _csv_table(data)
    header_number, header = _header(table)
    positions, names = _positions(header, columns)
    rows = []
    for number, cells in table:
        if all(cell is None for cell in cells):
            continue  # a blank line is no row, but keeps its number
        if len(rows) >= max_rows:
            raise InvalidInput(f"a file may hold at most {max_rows:,} rows",
                               code="import_too_large", max_rows=max_rows)
        values = {column.key: None for column in columns}  # every key, None if absent
        values.update({key: (cells[index] if index < len(cells) else None)
                       for key, index in positions.items()})
        rows.append(ParsedRow(number, values))
    return rows, names


@dataclass
class ColumnTable:
    """A file read by column (read_columns): the data rows' numbers and, per key of the
    caller's columns, one list of cells (stripped text, `empty` for an empty cell or a
    column the file lacks)."""

    numbers: list[int]
    columns: dict[str, list[Any]]
    names: dict[str, str]  # {key: the header as the file wrote it}


def read_columns(data: bytes, columns: Sequence[ImportColumn], *, max_rows: int = MAX_ROWS,
                 sheet: str | None = None, empty: Any = None) -> ColumnTable:
    """read_rows' answer column by column, for rosters of hundreds of thousands of rows:
    the same headers, numbers, stripping and refusals, without a dict per row. A CSV is
    parsed by the C reader in one pass and each wanted column taken whole (the per-row
    dicts of read_rows cost 5–10× the parsing); an xlsx goes through read_rows."""
    if _is_xlsx(data):
        rows, names = read_rows(data, columns, max_rows=max_rows, sheet=sheet)
        return ColumnTable([row.number for row in rows],
                           {c.key: [empty if row.values[c.key] is None else row.values[c.key]
                                    for row in rows] for c in columns}, names)
    records = _csv_records(data)
    start = next((i for i, record in enumerate(records) if "".join(record).strip()), None)
    if start is None:
        raise InvalidInput("the file has no header row", code="import_empty")
    positions, names = _positions([cell.strip() or None for cell in records[start]], columns)
    body = records[start + 1:]
    first = start + 2  # the row number of body[0] (numbers start at 1)
    blank = [i for i, record in enumerate(body) if not "".join(record).strip()]
    if blank:  # a blank line is no row, but keeps its number
        skip = set(blank)
        numbers = [first + i for i in range(len(body)) if i not in skip]
        body = [record for i, record in enumerate(body) if i not in skip]
    else:
        numbers = list(range(first, first + len(body)))
    if len(body) > max_rows:
        raise InvalidInput(f"a file may hold at most {max_rows:,} rows",
                           code="import_too_large", max_rows=max_rows)
    width = min(map(len, body), default=0)
    found = {}
    for key, index in positions.items():
        cells = ([record[index] for record in body] if index < width else
                 [record[index] if index < len(record) else "" for record in body])
        found[key] = [cell or empty for cell in map(str.strip, cells)]
    absent = [empty] * len(body)
    return ColumnTable(numbers, {c.key: found.get(c.key, absent) for c in columns}, names)


def _csv_records(data: bytes) -> list[list[str]]:
    text = _decode(data)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", code="import_unreadable") from None


def _delimiter(text: str) -> str:
    sample = text[:4096].split("\n", 1)[0]
    return max((",", "\t", ";"), key=sample.count) if sample else ","


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _xlsx_table(data: bytes, sheet: str | None) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise InvalidInput(f"the file is not a readable xlsx workbook: {exc}",
                           code="import_unreadable") from None
    return _xlsx_rows(workbook, worksheet)


def _xlsx_rows(workbook, worksheet) -> Iterator[tuple[int, list]]:
    try:
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, [_xlsx_text(value) for value in row]
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return (value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0)
                else value.isoformat(sep=" ", timespec="minutes"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 10 ** _EXCEL_EXACT_DIGITS:
            return _Mangled(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return _Mangled(value) if abs(value) >= 10 ** _EXCEL_EXACT_DIGITS else str(value)
    text = str(value).strip()
    return text or None


class _Mangled(str):
    """A number too long for Excel to have kept exactly (an ID number typed as a number)."""

    def __new__(cls, value):
        return super().__new__(cls, str(int(value)))


def _csv_table(data: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [(cell.strip() or None) for cell in row]
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", code="import_unreadable") from None


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data:
        raise InvalidInput("the file is neither a CSV nor an xlsx workbook",
                           code="import_unreadable")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the CSV is neither UTF-8 nor GB 18030 text", code="import_unreadable")


def _header(table: Iterator[tuple[int, list]]) -> tuple[int, list]:
    for number, cells in table:
        if any(cell is not None for cell in cells):
            return number, cells
    raise InvalidInput("the file has no header row", code="import_empty")


def _positions(header: list, columns: Sequence[ImportColumn]
               ) -> tuple[dict[str, int], dict[str, str]]:
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        if cell is not None:
            found.setdefault(normalise_header(cell), []).append(index)
    positions, names, missing, ambiguous = {}, {}, [], []
    for column in columns:
        # Two columns of the file answering to one of ours (the same header twice, or two
        # of its aliases) is refused rather than guessed.
        matches = sorted({index for alias in map(normalise_header, (column.key, *column.aliases))
                          for index in found.get(alias, ())})
        if len(matches) > 1:
            ambiguous.append(column.label)
        elif matches:
            positions[column.key], names[column.key] = matches[0], str(header[matches[0]])
        elif column.required:
            missing.append(column.label)
    if missing:
        raise InvalidInput(f"the file lacks the column(s) {', '.join(missing)}",
                           code="import_header_missing", missing=missing,
                           expected={c.label: list(c.aliases) or [c.key] for c in columns
                                     if c.label in missing})
    if ambiguous:
        raise InvalidInput(f"more than one column of the file could be {', '.join(ambiguous)}",
                           code="import_header_ambiguous", columns=ambiguous)
    return positions, names
