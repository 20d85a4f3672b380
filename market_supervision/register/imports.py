"""Importing an entity roster (CSV or xlsx): all or nothing.

Every row is checked first — the code per GB 32100 (a failing code names the check
character it should have, and passes only when the row marks it a legacy pilot code, then
flagged), the type, the industry, the location (present, a number pair, inside a grid of
the importer's territory), duplicates in the file — and if any row is bad the import
writes nothing and answers every bad row with its reason. A clean file goes in by COPY
into a staging table, is located in one statement, and is upserted by code (a roster
refresh updates the entities it names). Progress is reported per stage
(core/progress.py's shape: stage, done, total; core/imports.py's stage names).

Reading and the refusal are core/imports.py's (format told by the bytes, headers by their
aliases, Excel-mangled numbers refused; 422 import_rows_invalid with every bad row, the
same for every roster of every platform). The checks run column by column rather than
through core/imports.py's per-row callbacks: a city's roster is 500,000 rows.

The parts: import_rows.py (columns, words, refusals, reading), import_checks.py (the
rows' rules), import_sql.py (the same rules in SQL over a COPY), import_staging.py (the
staging table); here the whole import: locating, the scope's refusals, the upsert.
"""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.imports import copy_csv
from core.progress import StageProgress
from core.scope import Scope
from core.security import Principal
from market_supervision.register import import_sql
from market_supervision.register.import_checks import Clean, check_row, check_rows, check_table
from market_supervision.register.import_rows import (
    COLUMN_OF,
    COLUMNS,
    MAX_BYTES,
    TRUE_WORDS,
    TYPE_WORDS,
    Checked,
    CleanRow,
    ImportRejected,
    RowError,
    Table,
    read_table,
)
from market_supervision.register.import_staging import (
    STAGING,
    _stage_rows,
    index_staging,
    new_staging,
)

__all__ = [
    "COLUMNS", "COLUMN_OF", "MAX_BYTES", "STAGING", "TRUE_WORDS", "TYPE_WORDS", "Checked",
    "Clean", "CleanRow", "ImportRejected", "ImportResult", "RowError", "Table",
    "check_row", "check_rows", "check_table", "import_entities", "index_staging",
    "new_staging", "read_table", "upsert",
]


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    updated: int
    flagged: int


# Driven by the grids, not by the points: each grid's polygon meets the points under it
# through the staging table's own GiST index, so PostGIS prepares each polygon once and
# tests its points against the prepared polygon (a point-by-point lookup re-reads a
# polygon per point: several times slower for 500,000 rows). Into a table of its own: an
# UPDATE of the staging rows would write every row again.
LOCATE_STAGED = """
CREATE TEMP TABLE market_entity_located ON COMMIT DROP AS
SELECT DISTINCT ON (s.row) s.row, g.code AS area_code
FROM area g JOIN market_entity_staging s ON ST_Intersects(g.geom, s.point)
WHERE g.level = 'grid' AND {scope}
ORDER BY s.row, g.code"""

# market_entity's statement triggers add the written rows to the low-zoom cells
# (migration 0024), one aggregate for the statement: an import's upsert as any write.
UPSERT = """
WITH written AS (
    INSERT INTO market_entity (uscc, name, type, legal_representative, address, location,
                               area_code, industry, licences, legacy_code, source)
    SELECT s.uscc, s.name, s.type, s.legal_representative, s.address,
           s.point, l.area_code, s.industry, s.licences, s.legacy, 'import'
    FROM market_entity_staging s JOIN market_entity_located l ON l.row = s.row
    ORDER BY s.uscc
    ON CONFLICT (uscc) DO UPDATE SET
        name = EXCLUDED.name, type = EXCLUDED.type,
        legal_representative = EXCLUDED.legal_representative, address = EXCLUDED.address,
        location = EXCLUDED.location, area_code = EXCLUDED.area_code,
        industry = EXCLUDED.industry, licences = EXCLUDED.licences,
        legacy_code = EXCLUDED.legacy_code, version = market_entity.version + 1,
        updated_at = now()
    RETURNING xmax = 0 AS created)
SELECT count(*) FILTER (WHERE created) FROM written"""


def upsert(session: Session) -> int:
    """The staged rows into market_entity (by code); the number created."""
    return session.scalar(text(UPSERT))


def import_entities(session: Session, *, principal: Principal, filename: str, data: bytes,
                    stage: StageProgress | None = None) -> ImportResult:
    """Check the whole file, then write all of it or nothing (ImportRejected names every
    bad row). The caller's transaction holds everything: a refusal rolls it back."""
    if stage is not None:
        stage("read", 0, 0)
    if len(data) > MAX_BYTES:
        raise InvalidInput("文件过大（上限 200 MB）", code="file_too_large")
    # A CSV is parsed by PostgreSQL and checked in SQL (import_sql.py); an xlsx, or a CSV
    # COPY cannot take as a table, is read and checked here, column by column.
    copied = copy_csv(session, data, COLUMNS, table=import_sql.RAW)
    if copied is not None:
        total, names = copied.total, copied.names
        flagged = import_sql.check_copied(session, copied, stage=stage)
    else:
        table, names = read_table(data)
        total = len(table.numbers)
        if total == 0:
            raise InvalidInput("文件没有数据行", code="import_empty")
        clean, errors = check_table(table, stage=stage)
        if errors:
            raise ImportRejected(errors, total=total, names=names)
        _stage_rows(session, clean, stage)
        flagged = sum(clean.legacy)
    scope = Scope.of(principal)
    session.execute(text(LOCATE_STAGED.replace(
        "{scope}", scope.code_condition("g.code"))), scope.params)
    if stage is not None:
        stage("locate", total, total)
    outside = session.execute(text(
        "SELECT s.row, s.uscc FROM market_entity_staging s WHERE NOT EXISTS "
        "(SELECT 1 FROM market_entity_located l WHERE l.row = s.row) ORDER BY s.row"
    )).all()
    if outside:
        raise ImportRejected([RowError(row, uscc, "位置不在辖区内的任何网格中",
                                       "location_outside_scope") for row, uscc in outside],
                             total=total, names=names)
    # An upsert must not take over another territory's entity (rewrite it, move it here):
    # a code registered outside the caller's territory is refused, like a point outside.
    theirs = session.execute(text(
        "SELECT s.row, s.uscc FROM market_entity_staging s JOIN market_entity e "
        "ON e.uscc = s.uscc WHERE e.area_code IS NOT NULL AND NOT ("
        + scope.code_condition("e.area_code") + ") ORDER BY s.row"), scope.params).all()
    if theirs:
        raise ImportRejected([RowError(row, uscc, "该主体已登记在辖区外，不能由本辖区导入更新",
                                       "entity_outside_scope") for row, uscc in theirs],
                             total=total, names=names)
    created = upsert(session)
    if stage is not None:
        stage("write", total, total)
    return ImportResult(rows=total, created=created, updated=total - created,
                        flagged=flagged)
