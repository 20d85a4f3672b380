"""A CSV roster checked in SQL (the fast path of imports.py, for a city's 500,000 rows).

core/imports.py `copy_csv` has PostgreSQL parse the file into a temporary table; here the
rows are checked there, by set-based statements, with the verdicts of `check_row`:

- the codes (GB 32100 and the organisation code inside) by numpy (codes.valid_codes) on the
  one column fetched, the only check SQL would do row by row;
- the type, name, address, industry and location in one statement, which accepts a row
  only when it is plainly valid in ASCII terms (a code of [0-9A-Z], an industry of
  [A-T0-9], a plain decimal number); whatever it does not accept is handed to `check_row`
  itself, whose verdict is final (a full-width digit, an exotic number) — so a row's fate
  and stored values are what the row-by-row path would give;
- duplicates of a code by a window over the accepted rows (the first row keeps it).

All or nothing as before: any bad row, and nothing is staged.
"""

import json

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.imports import CopiedCsv, sql_strip
from market_supervision.register.codes import valid_codes

RAW = "market_roster_raw"
CHECKED = "market_roster_checked"
# A plain decimal (of at most 40 characters, checked first: float8 takes any of them). No
# bounded repetition ({1,30}): PostgreSQL's regular expressions expand those, 10× slower.
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9][0-9]?)?$"
_INDUSTRY = r"^[A-T]([0-9][0-9]([0-9][0-9]?)?)?$"  # enums.INDUSTRY_PATTERN in ASCII digits


def _cell(copied: CopiedCsv, key: str) -> str:
    return sql_strip(f"""coalesce(r."{key}", '')""") if key in copied.keys else "''"


def code_verdicts(session: Session, copied: CopiedCsv, true_words) -> tuple[list[int], list[int]]:
    """(rows whose code is refused, rows whose failing code is accepted as a legacy pilot
    code and flagged) — check_table's rule, by numpy over the code column."""
    legacy_cell = _cell(copied, "legacy")
    rows = session.execute(text(
        f"SELECT r.row, coalesce(r.uscc, ''), lower({legacy_cell}) FROM {RAW} r "
        "ORDER BY r.row")).all()
    codes = [uscc.strip().upper() for _, uscc, _ in rows]
    ok = valid_codes(codes)
    refused, flagged = [], []
    for i in (i for i in range(len(rows)) if not ok[i]):
        if rows[i][2] in true_words and len(codes[i]) == 18:
            flagged.append(rows[i][0])
        else:
            refused.append(rows[i][0])
    return refused, flagged


CHECK = """
CREATE TEMP TABLE {checked} ON COMMIT DROP AS
SELECT s.*, coalesce(s.code_ok AND s.kind IS NOT NULL AND char_length(s.name) BETWEEN 1 AND 200
             AND char_length(s.address) BETWEEN 1 AND 300
             AND s.industry ~ %(industry)s
             -- a cast only of a plain number of a few digits (never an error)
             AND CASE WHEN char_length(s.lon_text) <= 40 AND char_length(s.lat_text) <= 40
                       AND s.lon_text ~ %(number)s AND s.lat_text ~ %(number)s
                      THEN s.lon_text::float8 BETWEEN -180 AND 180
                           AND s.lat_text::float8 BETWEEN -90 AND 90
                      ELSE false END, false) AS ok
FROM (
    SELECT r.row, upper({uscc}) AS uscc,
           -- numpy's verdict holds for the same 18 ASCII characters only
           NOT (r.row = ANY(%(refused)s)) AND octet_length(upper({uscc})) = 18
               AND char_length({uscc}) = 18 AS code_ok,
           r.row = ANY(%(flagged)s) AS legacy,
           t.kind, {name} AS name, {address} AS address, upper({industry}) AS industry,
           {lon} AS lon_text, {lat} AS lat_text,
           nullif(left({representative}, 50), '') AS legal_representative, {licences} AS licences
    FROM {raw} r LEFT JOIN unnest(%(words)s::text[], %(kinds)s::text[]) AS t(word, kind)
        ON t.word = {type}
    OFFSET 0) s"""  # a fence: each cell stripped once, not once per use (2–3× the cost)

# A licence list: the parts between ; or ；, stripped, the empty ones left out (_licences).
LICENCES = """CASE WHEN {cell} = '' THEN '[]'::jsonb ELSE coalesce((
    SELECT jsonb_agg({part} ORDER BY p.n) FROM regexp_split_to_table(replace({cell}, '；', ';'),
    ';') WITH ORDINALITY AS p(part, n) WHERE {part} <> ''), '[]'::jsonb) END"""


def check(session: Session, copied: CopiedCsv, *, type_words: dict[str, str],
          true_words) -> None:
    """The checked table: every row with its values and whether SQL accepts it."""
    refused, flagged = code_verdicts(session, copied, true_words)
    words = sorted(type_words)
    sql = CHECK.format(
        checked=CHECKED, raw=RAW, uscc=_cell(copied, "uscc"), name=_cell(copied, "name"),
        address=_cell(copied, "address"), industry=_cell(copied, "industry"),
        lon=_cell(copied, "lon"), lat=_cell(copied, "lat"), type=_cell(copied, "type"),
        representative=_cell(copied, "legal_representative"),
        licences=LICENCES.format(cell=_cell(copied, "licences"), part=sql_strip("p.part")))
    raw = session.connection().connection.driver_connection
    # Client-side binding: CREATE TABLE … AS takes no server-side parameters.
    with psycopg.ClientCursor(raw) as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CHECKED}")
        kinds = [type_words[word] for word in words]
        cursor.execute(sql, {"industry": _INDUSTRY, "number": _NUMBER, "refused": refused,
                             "flagged": flagged, "words": words, "kinds": kinds})


def not_accepted(session: Session, copied: CopiedCsv) -> list[tuple[int, dict]]:
    """The rows SQL did not accept, as (row, {field: the cell stripped}) for check_row."""
    keys = copied.keys
    rows = session.execute(text(
        f"SELECT r.row, {', '.join(f'r.{chr(34)}{key}{chr(34)}' for key in keys)} "
        f"FROM {RAW} r JOIN {CHECKED} c ON c.row = r.row WHERE NOT c.ok ORDER BY r.row")).all()
    return [(row[0], {key: (value or "").strip() for key, value in zip(keys, row[1:],
                                                                      strict=True)})
            for row in rows]


def accept(session: Session, rows: list) -> None:
    """Rows check_row accepted that SQL did not (CleanRow): their values, accepted."""
    for row in rows:
        session.execute(text(
            f"UPDATE {CHECKED} SET ok = true, uscc = :uscc, name = :name, kind = :kind, "
            "address = :address, industry = :industry, lon_text = :lon, lat_text = :lat, "
            "legal_representative = :person, licences = CAST(:licences AS jsonb), "
            "legacy = :legacy WHERE row = :row"),
            {"uscc": row.uscc, "name": row.name, "kind": row.type, "address": row.address,
             "industry": row.industry, "lon": repr(row.lon), "lat": repr(row.lat),
             "person": row.legal_representative, "licences": _json(row.licences),
             "legacy": row.legacy, "row": row.row})


def _json(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def duplicates(session: Session) -> list[tuple[int, str, int]]:
    """(row, code, the first row of that code) for every accepted row repeating a code."""
    return [tuple(r) for r in session.execute(text(
        f"SELECT row, uscc, first FROM (SELECT row, uscc, min(row) OVER (PARTITION BY uscc) "
        f"AS first FROM {CHECKED} WHERE ok) d WHERE row <> first ORDER BY row")).all()]


STAGE = """
INSERT INTO market_entity_staging (row, uscc, name, type, legal_representative, address,
                                   lon, lat, industry, licences, legacy, point)
SELECT row, uscc, name, kind, legal_representative, address, lon_text::float8,
       lat_text::float8, industry, licences, legacy,
       ST_SetSRID(ST_MakePoint(lon_text::float8, lat_text::float8), 4326)
FROM {checked} WHERE ok"""


def stage_accepted(session: Session) -> int:
    """The accepted rows into imports.py's staging table (created by the caller)."""
    return session.execute(text(STAGE.format(checked=CHECKED))).rowcount


def check_copied(session: Session, copied: CopiedCsv, *, stage=None) -> int:
    """Check the copied roster (every row; all or nothing: ImportRejected names every bad
    row) and stage the accepted rows into market_entity_staging; the number flagged."""
    from market_supervision.register import imports

    if copied.total == 0:
        from core.errors import InvalidInput

        raise InvalidInput("文件没有数据行", code="import_empty")
    check(session, copied, type_words=imports.TYPE_WORDS, true_words=imports.TRUE_WORDS)
    if stage is not None:
        stage("validate", copied.total // 2, copied.total)
    errors, accepted = [], []
    for number, raw in not_accepted(session, copied):
        verdict = imports.check_row(number, raw)
        (errors if isinstance(verdict, imports.RowError) else accepted).append(verdict)
    accept(session, accepted)
    errors += [imports.RowError(row, uscc, f"与第 {first} 行代码重复", "uscc_duplicate")
               for row, uscc, first in duplicates(session)]
    if errors:
        errors.sort(key=lambda error: error.row)
        raise imports.ImportRejected(errors, total=copied.total, names=copied.names)
    if stage is not None:
        stage("validate", copied.total, copied.total)
    imports.new_staging(session)
    stage_accepted(session)
    imports.index_staging(session)
    return session.scalar(text("SELECT count(*) FROM market_entity_staging WHERE legacy"))
