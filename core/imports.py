"""One way to import a roster or a catalogue from CSV or xlsx, all or nothing.

    COLUMNS = (ImportColumn("uscc", ("统一社会信用代码", "信用代码", "USCC"), parse=upper),
               ImportColumn("name", ("名称", "企业名称", "name")),
               ImportColumn("lon", ("经度", "longitude"), required=False, parse=number))

    def check(row, number):                      # every row, after each cell is parsed
        if (problem := uscc_problem(row["uscc"])):
            yield Problem("uscc", problem, "uscc_invalid")

    def write(session, rows):                    # a batch of good rows
        session.execute(insert(Entity), rows); return len(rows)

    result = run_import(session, data=upload, columns=COLUMNS, validate=check, write=write,
                        unique=("uscc",), progress=ImportProgress.redis(client, import_id))

Reading: the format is told by the bytes (an xlsx is a zip), not by the name; a CSV may be
UTF-8 (with or without a BOM) or GB 18030 (what Chinese Excel saves), comma-, tab- or
semicolon-separated. The header is the first non-empty row; each column is found by any of
its aliases, compared after NFKC (full-width → half-width), case folding and without
spaces or `*` (a template's required mark), so "罚款（元）" matches "罚款(元)". Cells are
text, stripped (an empty cell is None); Excel's numbers become their digits, its dates
YYYY-MM-DD, and a long number Excel has already rounded (an ID or credit code typed into a
number cell) is refused with the advice to make the column text.

Checking: every row is checked before anything is written — the columns' `parse`, the
required cells, the caller's `validate`, and `unique` keys within the file — and every
problem is kept: (row number as the spreadsheet shows it, column as the file's header
names it, reason, code). One bad row and nothing is written: `ImportRefused`, a 422
problem+json with `errors` (the first MAX_LISTED) and `error_count`.

Writing: the good rows go to the caller's `write` in batches inside a savepoint, so a
failure while writing (a key that already exists in the table) leaves nothing of the file
either. Progress (stage, done, total) goes to a callback — the CLI's bars
(core/progress.py) — and/or to Redis under `import:{id}` (ImportProgress), which a page
polls at GET /api/v1/imports/{id} and a Celery task (for big files: pass the file's path
and the id, the task calls run_import) updates the same way.
"""

import codecs
import csv
import io
import json
import secrets
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound

MAX_LISTED = 200  # problems listed in a refusal (all are counted)
MAX_ROWS = 1_000_000
BATCH = 2_000
PROGRESS_EVERY = 1_000  # rows between progress reports
KEY_TTL_SECONDS = 24 * 3600
STAGES = {"read": "读取", "validate": "校验", "write": "写入", "done": "完成",
          "failed": "失败"}
_EXCEL_EXACT_DIGITS = 15  # an Excel number keeps 15 significant digits


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


# --- progress ---------------------------------------------------------------------------------

ProgressCallback = Callable[[str, int, int], None]  # core/progress.py StageProgress


class ImportProgress:
    """An import's progress in Redis (hash `import:{id}`: state, stage, done, total,
    error_count, owner, updated_at; kept a day), for a page to poll."""

    def __init__(self, client, import_id: str, *, owner: int | None = None) -> None:
        self.client, self.import_id, self.owner = client, import_id, owner
        self.key = key_of(import_id)

    @classmethod
    def start(cls, client, *, owner: int | None = None) -> "ImportProgress":
        progress = cls(client, new_import_id(), owner=owner)
        progress.set(state="queued", stage="read", done=0, total=0)
        return progress

    def set(self, **fields: Any) -> None:
        fields["updated_at"] = f"{time.time():.3f}"
        if self.owner is not None:
            fields["owner"] = self.owner
        mapping = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict))
                   else str(v) for k, v in fields.items()}
        pipe = self.client.pipeline()
        pipe.hset(self.key, mapping=mapping)
        pipe.expire(self.key, KEY_TTL_SECONDS)
        pipe.execute()

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.set(state="running", stage=stage, done=done, total=total)


def new_import_id() -> str:
    return secrets.token_urlsafe(12)


def key_of(import_id: str) -> str:
    return f"import:{import_id}"


def progress_of(client, import_id: str, *, owner: int | None = None) -> dict[str, Any]:
    """An import's progress as a page shows it; 404 import_not_found when unknown, expired
    or someone else's (when `owner` is given)."""
    raw = client.hgetall(key_of(import_id))
    values = {(k.decode() if isinstance(k, bytes) else k):
              (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}
    if not values or (owner is not None and values.get("owner") not in (None, str(owner))):
        raise NotFound(f"no import {import_id}", code="import_not_found")
    done, total = int(values.get("done", 0)), int(values.get("total", 0))
    stage = values.get("stage", "read")
    answer: dict[str, Any] = {
        "id": import_id, "state": values.get("state", "queued"), "stage": stage,
        "stage_label": STAGES.get(stage, stage), "done": done, "total": total,
        "percent": round(100 * done / total, 1) if total else None,
        "error_count": int(values.get("error_count", 0)),
        "written": int(values["written"]) if "written" in values else None}
    if "errors" in values:
        answer["errors"] = json.loads(values["errors"])
    return answer


def _reporter(progress: ProgressCallback | Sequence[ProgressCallback] | None
              ) -> list[ProgressCallback]:
    if progress is None:
        return []
    return [progress] if callable(progress) else list(progress)


# --- reading ----------------------------------------------------------------------------------

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
        # A row of empty cells is no row (read_rows skips it; its number stays taken).
        cells = " || ".join(f'coalesce("{name}", \'\')' for name in file_columns)
        cursor.execute(f"DELETE FROM {table} WHERE btrim({cells}, {_sql_text(_SPACES)}) = ''")
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


# --- checking ----------------------------------------------------------------------------------

Validate = Callable[[dict[str, Any], int], Iterable[Problem] | None]


def check_rows(rows: Sequence[ParsedRow], columns: Sequence[ImportColumn], *,
               names: dict[str, str], validate: Validate | None = None,
               unique: Sequence[str] = (), report: Callable[[int], None] | None = None
               ) -> list[RowError]:
    """Every problem of every row (module docstring); each row's values parsed in place."""
    errors: list[RowError] = []
    seen: dict[str, dict[Any, int]] = {key: {} for key in unique}
    by_key = {c.key: c for c in columns}
    for done, row in enumerate(rows, start=1):
        cell_errors = _parse_cells(row, columns, names)
        errors.extend(cell_errors)
        if not cell_errors and validate is not None:
            for problem in validate(row.values, row.number) or ():
                column = by_key.get(problem.column) if problem.column else None
                errors.append(RowError(row.number, _name(problem.column, column, names),
                                       problem.reason, problem.code))
        for key in unique:
            value = row.values.get(key)
            if value is None:
                continue
            first = seen[key].setdefault(value, row.number)
            if first != row.number:
                errors.append(RowError(row.number, _name(key, by_key.get(key), names),
                                       f"与第 {first} 行重复", "duplicate_in_file"))
        if report is not None and done % PROGRESS_EVERY == 0:
            report(done)
    return errors


def _name(key: str | None, column: ImportColumn | None, names: dict[str, str]) -> str | None:
    if key is None:
        return None
    return names.get(key) or (column.label if column else key)


def _parse_cells(row: ParsedRow, columns: Sequence[ImportColumn], names: dict[str, str]
                 ) -> list[RowError]:
    errors = []
    for column in columns:
        value = row.values.get(column.key)
        name = _name(column.key, column, names)
        if isinstance(value, _Mangled):
            errors.append(RowError(row.number, name, "数字过长，已被 Excel 改写（精度丢失）；"
                                   "请将该列设为文本格式后重新填写", "number_mangled_by_excel"))
            continue
        if value is None:
            if column.required:
                errors.append(RowError(row.number, name, "必填项为空", "required"))
            continue
        if column.parse is not None:
            try:
                row.values[column.key] = column.parse(value)
            except (ValueError, TypeError, ArithmeticError) as exc:
                errors.append(RowError(row.number, name, str(exc) or "格式不正确",
                                       "bad_value"))
    return errors


# --- the whole import ---------------------------------------------------------------------------

Write = Callable[[Session, list[dict[str, Any]]], int | None]


@dataclass
class _Reporter:
    callbacks: list[ProgressCallback] = field(default_factory=list)

    def __call__(self, stage: str, done: int, total: int) -> None:
        for callback in self.callbacks:
            callback(stage, done, total)


def run_import(session: Session, *, data: bytes, columns: Sequence[ImportColumn],
               write: Write, validate: Validate | None = None, unique: Sequence[str] = (),
               progress: ProgressCallback | Sequence[ProgressCallback] | None = None,
               import_id: str | None = None, batch: int = BATCH,
               max_rows: int = MAX_ROWS, sheet: str | None = None) -> ImportResult:
    """Read, check every row, then write them all in batches, or nothing (module
    docstring). Raises ImportRefused (422) listing the bad rows, or the reading errors.
    Flushes, never commits (the edge does). An ImportProgress among `progress` also gets
    the final state ("done" / "failed", with the first errors)."""
    import_id = import_id or new_import_id()
    callbacks = _reporter(progress)
    report = _Reporter(callbacks)
    stores = [c for c in callbacks if isinstance(c, ImportProgress)]
    try:
        report("read", 0, 0)
        rows, names = read_rows(data, columns, max_rows=max_rows, sheet=sheet)
        total = len(rows)
        report("validate", 0, total)
        errors = check_rows(rows, columns, names=names, validate=validate, unique=unique,
                            report=lambda done: report("validate", done, total))
        if errors:
            raise ImportRefused(errors, total=total, import_id=import_id)
        report("write", 0, total)
        written = _write_all(session, rows, write, batch=batch,
                             report=lambda done: report("write", done, total))
    except InvalidInput as refusal:
        for store in stores:
            store.set(state="failed", stage="failed",
                      error_count=refusal.extra.get("error_count", 1),
                      errors=refusal.extra.get("errors", [
                          {"row": None, "column": None, "reason": refusal.detail,
                           "code": refusal.code}])[:20])
        raise
    except Exception:
        # Not the file's fault (a key already in the table, the database gone): the page
        # stops waiting; the error itself goes to the caller (and its log), not to Redis.
        for store in stores:
            store.set(state="failed", stage="failed", error_count=0, errors=[
                {"row": None, "column": None, "reason": "导入失败，未写入任何数据",
                 "code": "import_failed"}])
        raise
    for store in stores:
        store.set(state="done", stage="done", done=total, total=total, written=written)
    return ImportResult(import_id, total, written)


def _write_all(session: Session, rows: Sequence[ParsedRow], write: Write, *, batch: int,
               report: Callable[[int], None]) -> int:
    """Every row through the caller's `write`, in a savepoint: all of them or none."""
    written = 0
    with session.begin_nested():
        for start in range(0, len(rows), batch):
            chunk = [row.values for row in rows[start:start + batch]]
            count = write(session, chunk)
            written += len(chunk) if count is None else count
            report(min(start + batch, len(rows)))
        session.flush()
    return written


# --- big files: a Celery task does the work ------------------------------------------------

def save_upload(data: bytes, *, import_id: str, media_dir: str) -> str:
    """Keep an uploaded file for the task that imports it (under media_dir/imports/): a
    route saves it, starts an ImportProgress, and enqueues the platform's task with the id
    (through the outbox, after commit); the task calls `read_upload`, `run_import(...,
    progress=ImportProgress(client, import_id))`, commits, and `remove_upload`."""
    from pathlib import Path

    folder = Path(media_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{_safe_id(import_id)}.upload"
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    return str(target)


def read_upload(import_id: str, *, media_dir: str) -> bytes:
    from pathlib import Path

    try:
        return (Path(media_dir) / "imports" / f"{_safe_id(import_id)}.upload").read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no uploaded file for import {import_id}",
                       code="import_not_found") from None


def remove_upload(import_id: str, *, media_dir: str) -> None:
    from pathlib import Path

    (Path(media_dir) / "imports" / f"{_safe_id(import_id)}.upload").unlink(missing_ok=True)


def _safe_id(import_id: str) -> str:
    if not import_id or not all(c.isascii() and (c.isalnum() or c in "-_") for c in import_id):
        raise InvalidInput("an import id is letters, digits, - and _", code="import_id_invalid")
    return import_id


# --- the page's poll ------------------------------------------------------------------------

def _build_router():
    """GET /api/v1/imports/{import_id}: the progress of one's own import (an admin's: any)."""
    from typing import Annotated

    from fastapi import APIRouter, Depends, Path, Request

    from core.deps import Requires
    from core.security import Principal
    from core.users.enums import Permission, Role

    router = APIRouter(prefix="/api/v1", tags=["imports"])

    @router.get("/imports/{import_id}")
    def import_progress(request: Request,
                        user: Annotated[Principal, Depends(Requires(Permission.own_account))],
                        import_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
                        ) -> dict:
        """An import's stage, done and total rows, and when it failed its first problems."""
        owner = None if user.role is Role.admin else user.user_id
        return progress_of(request.app.state.redis, import_id, owner=owner)

    return router


router = _build_router()
