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
"""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.imports import MAX_LISTED, ImportColumn, ImportRefused, copy_csv, read_columns
from core.progress import StageProgress
from core.scope import Scope
from core.security import Principal
from market_supervision.register import import_sql
from market_supervision.register.codes import valid_codes
from market_supervision.register.entities import check_code, code_refusal
from market_supervision.register.enums import (
    ENTITY_TYPE_LABELS,
    INDUSTRY_PATTERN,
    EntityType,
)

MAX_BYTES = 200 * 1024 * 1024

# The roster's columns and the headers each may have (core/imports.py compares them after
# NFKC and case folding).
COLUMNS = (
    ImportColumn("uscc", ("统一社会信用代码", "信用代码", "USCC")),
    ImportColumn("name", ("名称", "企业名称", "主体名称")),
    ImportColumn("type", ("类型", "主体类型")),
    ImportColumn("legal_representative", ("法定代表人", "负责人", "经营者"), required=False),
    ImportColumn("address", ("地址", "住所", "经营场所")),
    ImportColumn("lon", ("经度", "longitude"), required=False),
    ImportColumn("lat", ("纬度", "latitude"), required=False),
    ImportColumn("industry", ("行业", "行业代码")),
    ImportColumn("licences", ("许可证",), required=False),
    ImportColumn("legacy", ("历史试点代码",), required=False),
)
# Which column a row's problem is about (by the problem's code).
COLUMN_OF = {"uscc_missing": "uscc", "uscc_invalid": "uscc", "uscc_duplicate": "uscc",
             "entity_type_unknown": "type", "name_invalid": "name",
             "address_invalid": "address", "industry_invalid": "industry",
             "location_missing": "lon", "location_invalid": "lon",
             "location_outside_scope": "lon", "entity_outside_scope": "uscc"}
TYPE_WORDS = {**{label: str(kind) for kind, label in ENTITY_TYPE_LABELS.items()},
              **{str(kind): str(kind) for kind in EntityType},
              "企业": EntityType.enterprise.value, "有限责任公司": EntityType.company.value,
              "股份有限公司": EntityType.company.value, "个体户": EntityType.individual.value,
              "合作社": EntityType.cooperative.value}
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "试点"})
_INDUSTRY = __import__("re").compile(INDUSTRY_PATTERN)


@dataclass
class RowError:
    row: int  # the file's row number (the header is row 1)
    uscc: str | None
    reason: str
    code: str
    expected_check: str | None = None

    def as_dict(self, names: dict[str, str]) -> dict:
        """core/imports.py's error (row, column as the file names it, reason, code), with
        the row's code and, for a bad code, the check character it should have."""
        key = COLUMN_OF.get(self.code)
        return {"row": self.row, "column": names.get(key, key), "reason": self.reason,
                "code": self.code, "uscc": self.uscc, "expected_check": self.expected_check}


class ImportRejected(ImportRefused):
    """core/imports.py's refusal: 422 import_rows_invalid, nothing written."""

    def __init__(self, errors: list[RowError], *, total: int, names: dict[str, str]) -> None:
        InvalidInput.__init__(
            self, f"{len(errors)} 处错误（{len({e.row for e in errors})} 行），未导入任何数据"
            f"（共 {total} 行）",
            errors=[e.as_dict(names) for e in errors[:MAX_LISTED]], error_count=len(errors),
            rejected_rows=len({e.row for e in errors}), total_rows=total,
            truncated=len(errors) > MAX_LISTED, import_id=None)
        self.errors = errors


@dataclass
class CleanRow:
    row: int
    uscc: str
    name: str
    type: str
    legal_representative: str | None
    address: str
    lon: float
    lat: float
    industry: str
    licences: list[str]
    legacy: bool


@dataclass
class Checked:
    rows: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    updated: int
    flagged: int


# —— reading ——

@dataclass
class Table:
    """A roster read whole: the file's row numbers and one list of texts per field."""

    numbers: list[int]
    columns: dict[str, list[str]]

    def raw(self, index: int) -> dict:
        return {name: values[index] for name, values in self.columns.items()}


def read_table(data: bytes) -> tuple[Table, dict[str, str]]:
    """The data rows of a CSV or xlsx file (core/imports.py's column reader: no dict per
    row), column by column, and {field: the header as the file wrote it}."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("文件过大（上限 200 MB）", code="file_too_large")
    read = read_columns(data, COLUMNS, empty="")
    return Table(read.numbers, read.columns), read.names


# —— checking ——

def check_row(number: int, raw: dict) -> CleanRow | RowError:
    """One row: the first thing wrong with it, or the row as it will be stored."""
    code = check_code(raw.get("uscc", ""))
    legacy = raw.get("legacy", "").strip().lower() in TRUE_WORDS
    if not code.uscc:
        return RowError(number, None, "缺少统一社会信用代码", "uscc_missing")
    if code.problem is not None and not (legacy and len(code.uscc) == 18):
        return RowError(number, code.uscc, code_refusal(code), "uscc_invalid", code.expected)
    kind = TYPE_WORDS.get(raw.get("type", "").strip())
    if kind is None:
        return RowError(number, code.uscc, f"未知的主体类型 {raw.get('type', '')!r}",
                        "entity_type_unknown")
    name, address = raw.get("name", "").strip(), raw.get("address", "").strip()
    if not name or len(name) > 200:
        return RowError(number, code.uscc, "名称为空或超过 200 字", "name_invalid")
    if not address or len(address) > 300:
        return RowError(number, code.uscc, "地址为空或超过 300 字", "address_invalid")
    industry = raw.get("industry", "").strip().upper()
    if not _INDUSTRY.fullmatch(industry):
        return RowError(number, code.uscc, f"行业代码 {industry!r} 不是 GB/T 4754 代码",
                        "industry_invalid")
    lon_text, lat_text = raw.get("lon", "").strip(), raw.get("lat", "").strip()
    if not lon_text or not lat_text:
        return RowError(number, code.uscc, "缺少位置（经度、纬度）", "location_missing")
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return RowError(number, code.uscc, "经纬度不是数字", "location_invalid")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return RowError(number, code.uscc, "经纬度超出范围", "location_invalid")
    representative = raw.get("legal_representative", "").strip() or None
    licences = [part.strip() for part in raw.get("licences", "").replace("；", ";").split(";")
                if part.strip()]
    return CleanRow(number, code.uscc, name, kind, representative and representative[:50],
                    address, lon, lat, industry, licences, code.problem is not None)


@dataclass
class Clean:
    """The rows that passed, column by column (what the staging COPY writes)."""

    numbers: list[int]
    uscc: list[str]
    name: list[str]
    type: list[str]
    legal_representative: list[str | None]
    address: list[str]
    lon: list[float]
    lat: list[float]
    industry: list[str]
    licences: list[str]  # JSON arrays
    legacy: list[bool]

    def __len__(self) -> int:
        return len(self.numbers)


def check_table(table: Table, *, stage: StageProgress | None = None) -> tuple[Clean, list]:
    """Every row checked (check_row's rules) column by column: whole columns at once for
    the rows that are fine, check_row itself for each row that is not (its message is
    the reason). Then duplicates of a code in the file."""
    n = len(table.numbers)
    column = table.columns
    empty = [""] * n
    uscc = [v.strip().upper() for v in column["uscc"]]
    legacy = [v.strip().lower() in TRUE_WORDS for v in column.get("legacy", empty)]
    code_ok = valid_codes(uscc)
    kinds = [TYPE_WORDS.get(v.strip()) for v in column["type"]]
    names = [v.strip() for v in column["name"]]
    addresses = [v.strip() for v in column["address"]]
    industries = [v.strip().upper() for v in column["industry"]]
    industry_ok = _memo(lambda code: bool(_INDUSTRY.fullmatch(code)))
    lons, lats = _numbers(column.get("lon", empty)), _numbers(column.get("lat", empty))
    ok = [(code_ok[i] or (legacy[i] and len(uscc[i]) == 18)) and kinds[i] is not None
          and 0 < len(names[i]) <= 200 and 0 < len(addresses[i]) <= 300
          and industry_ok(industries[i]) and -180 <= lons[i] <= 180 and -90 <= lats[i] <= 90
          for i in range(n)]  # NaN (missing, not a number) fails the ranges
    if stage is not None:
        stage("validate", n // 2, n)
    errors: list[RowError] = []
    for i in (i for i in range(n) if not ok[i]):
        verdict = check_row(table.numbers[i], table.raw(i))
        if isinstance(verdict, RowError):
            errors.append(verdict)
        else:  # the row's own rule has the last word
            ok[i], lons[i], lats[i] = True, verdict.lon, verdict.lat
    first_row_of: dict[str, int] = {}
    kept: list[int] = []
    for i in range(n):
        if not ok[i]:
            continue
        first = first_row_of.setdefault(uscc[i], table.numbers[i])
        if first != table.numbers[i]:
            errors.append(RowError(table.numbers[i], uscc[i], f"与第 {first} 行代码重复",
                                   "uscc_duplicate"))
        else:
            kept.append(i)
    errors.sort(key=lambda error: error.row)
    representatives = column.get("legal_representative", empty)
    licences = column.get("licences", empty)
    clean = Clean(
        numbers=[table.numbers[i] for i in kept], uscc=[uscc[i] for i in kept],
        name=[names[i] for i in kept], type=[kinds[i] for i in kept],
        legal_representative=[representatives[i].strip()[:50] or None for i in kept],
        address=[addresses[i] for i in kept], lon=[lons[i] for i in kept],
        lat=[lats[i] for i in kept], industry=[industries[i] for i in kept],
        licences=[_licences(licences[i]) for i in kept],
        legacy=[legacy[i] and not code_ok[i] for i in kept])
    if stage is not None:
        stage("validate", n, n)
    return clean, errors


def _memo(check):
    seen: dict = {}

    def cached(value):
        if value not in seen:
            seen[value] = check(value)
        return seen[value]
    return cached


def _numbers(texts: list[str]) -> list[float]:
    """Floats; NaN for a missing or malformed value (check_row names which)."""
    try:
        return np.asarray(texts, dtype=np.float64).tolist()
    except ValueError:
        def one(text: str) -> float:
            try:
                return float(text)
            except ValueError:
                return math.nan
        return [one(text) for text in texts]


def _licences(text: str) -> str:
    if not text:
        return "[]"
    return json.dumps([part.strip() for part in text.replace("；", ";").split(";")
                       if part.strip()], ensure_ascii=False)


def check_rows(rows: Iterator[tuple[int, dict]]) -> Checked:
    """Row by row (small files, tests): the same verdicts as check_table."""
    checked = Checked()
    first_row_of: dict[str, int] = {}
    for number, raw in rows:
        result = check_row(number, raw)
        if isinstance(result, RowError):
            checked.errors.append(result)
        elif result.uscc in first_row_of:
            checked.errors.append(RowError(number, result.uscc,
                                           f"与第 {first_row_of[result.uscc]} 行代码重复",
                                           "uscc_duplicate"))
        else:
            first_row_of[result.uscc] = number
            checked.rows.append(result)
    return checked




# —— writing ——

STAGING = """CREATE TEMP TABLE market_entity_staging (
    row int, uscc text COLLATE "C", name text, type text, legal_representative text,
    address text, lon float8, lat float8, industry text, licences jsonb, legacy bool,
    point geometry(Point, 4326)) ON COMMIT DROP"""

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

UPSERT = """
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
RETURNING (xmax = 0)"""


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
    created = sum(1 for (new,) in session.execute(text(UPSERT)) if new)
    if stage is not None:
        stage("write", total, total)
    return ImportResult(rows=total, created=created, updated=total - created,
                        flagged=flagged)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value in COPY's text format (backslash, tab and line breaks escaped)."""
    return value.translate(_COPY_ESCAPES)


def new_staging(session: Session) -> None:
    # ON COMMIT DROP ends it with the transaction; a second import in one transaction (a
    # test's) starts afresh.
    session.execute(text("DROP TABLE IF EXISTS market_entity_staging, market_entity_located"))
    session.execute(text(STAGING))


def index_staging(session: Session) -> None:
    session.execute(text("CREATE INDEX ON market_entity_staging USING gist (point)"))
    session.execute(text("ANALYZE market_entity_staging"))


def _stage_rows(session: Session, clean: Clean, stage: StageProgress | None) -> None:
    new_staging(session)
    raw = session.connection().connection.driver_connection
    rows = zip(clean.numbers, clean.uscc, clean.name, clean.type, clean.legal_representative,
               clean.address, clean.lon, clean.lat, clean.industry, clean.licences,
               clean.legacy, strict=True)
    # COPY's text format written in chunks: a row at a time through the driver's adapters
    # costs several times more for half a million rows.
    with raw.cursor() as cursor, cursor.copy(
            "COPY market_entity_staging (row, uscc, name, type, legal_representative, address, "
            "lon, lat, industry, licences, legacy, point) FROM STDIN") as copy:
        chunk: list[str] = []
        for done, (number, uscc, name, kind, person, address, lon, lat, industry, licences,
                   legacy) in enumerate(rows, start=1):
            chunk.append("\t".join((
                str(number), _copy_text(uscc), _copy_text(name), kind,
                "\\N" if person is None else _copy_text(person), _copy_text(address),
                repr(lon), repr(lat), industry, _copy_text(licences), "t" if legacy else "f",
                f"SRID=4326;POINT({lon!r} {lat!r})")))
            if done % 50_000 == 0:
                copy.write("\n".join(chunk) + "\n")
                chunk.clear()
                if stage is not None:
                    stage("write", done, len(clean))
        if chunk:
            copy.write("\n".join(chunk) + "\n")
    index_staging(session)
    if stage is not None:
        stage("write", len(clean), len(clean))
