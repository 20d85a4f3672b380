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

The parts: import_types.py (columns, problems, the refusal), import_reading.py (CSV,
xlsx, by rows or by columns), import_copy.py (COPY for big CSVs), import_checks.py (the
rows' problems), import_progress.py (stages, Redis, the poll's router); this module runs
the whole import and keeps the uploads of big files, and is the one to import from.
"""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.import_checks import PROGRESS_EVERY, Validate, check_rows
from core.import_copy import CopiedCsv, copy_csv, sql_strip
from core.import_progress import (
    KEY_TTL_SECONDS,
    STAGES,
    ImportProgress,
    ProgressCallback,
    _Reporter,
    _reporter,
    key_of,
    new_import_id,
    progress_of,
    router,
)
from core.import_reading import ColumnTable, normalise_header, read_columns, read_rows
from core.import_types import (
    MAX_LISTED,
    MAX_ROWS,
    ImportColumn,
    ImportRefused,
    ImportResult,
    ParsedRow,
    Problem,
    RowError,
)

__all__ = [
    "BATCH", "KEY_TTL_SECONDS", "MAX_LISTED", "MAX_ROWS", "PROGRESS_EVERY", "STAGES",
    "ColumnTable", "CopiedCsv", "ImportColumn", "ImportProgress", "ImportRefused",
    "ImportResult", "ParsedRow", "Problem", "ProgressCallback", "RowError", "Validate",
    "Write", "check_rows", "copy_csv", "key_of", "new_import_id", "normalise_header",
    "progress_of", "read_columns", "read_rows", "read_upload", "remove_upload", "router",
    "run_import", "save_upload", "sql_strip",
]

BATCH = 2_000

# --- the whole import ---------------------------------------------------------------------------

Write = Callable[[Session, list[dict[str, Any]]], int | None]


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
