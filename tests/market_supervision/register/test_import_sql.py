"""The CSV fast path (core/imports.py copy_csv + register/import_sql.py): PostgreSQL parses
the roster and SQL checks it, with the verdicts and the values of the row-by-row path —
compared here on awkward files, row by row; a CSV COPY cannot take falls back."""

import csv
import io

import pytest
from sqlalchemy import text

from core.imports import copy_csv, read_columns
from market_supervision.register import import_sql, imports
from market_supervision.register.codes import issue_code
from market_supervision.register.imports import COLUMNS, ImportRejected, import_entities
from tests.market_supervision.register.test_imports import HEADER, _point

STAGED = """SELECT row, uscc, name, type, legal_representative, address, lon, lat, industry,
                   licences, legacy FROM market_entity_staging ORDER BY row"""


def _csv(rows, *, header=HEADER, delimiter=",", encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _awkward(session, register) -> list[list[str]]:
    """Rows the SQL path must take exactly as check_row would: padded cells (ideographic
    spaces, tabs), lower-case codes, licences split by ；, a flagged legacy code, a
    full-width industry digit and an underscored number (accepted by check_row alone)."""
    lon, lat = _point(session, register.township)
    code = [issue_code("company", register.county, 70_000 + i) for i in range(8)]
    broken = code[5][:17] + ("0" if code[5][17] != "0" else "1")
    return [
        [code[0], "甲商户", "公司", "", "甲路1号", lon, lat, "F52", ""],
        [f"\u3000{code[1].lower()} ", " 乙商户\t", " 个体户", "李四" * 30, "乙路2号", f" {lon}",
         lat, "h62 ", ""],
        [code[2], "丙商户", "农民专业合作社", "王五", "丙路3号", lon, lat, "A0111", "否"],
        ["", "", "", "", "", "", "", "", ""],  # a row of empty cells: no row
        [code[3], "丁商户", "企业", "", "丁路4号", lon, lat, "H６２", ""],
        [code[4], "戊商户", "公司", "", "戊路5号", f"{lon[0]}_{lon[1:]}", lat, "F", ""],
        [broken, "己商户", "公司", "", "己路6号", lon, lat, "F52", "是"],
        [code[6], "庚商户", "公司", "", "庚路7号", lon, lat, "F52", " 试点 "],
    ]


def _staged_by_sql(session, data):
    copied = copy_csv(session, data, COLUMNS, table=import_sql.RAW)
    assert copied is not None
    flagged = import_sql.check_copied(session, copied)
    return flagged, [tuple(row) for row in session.execute(text(STAGED))]


def _staged_by_python(session, data):
    table, _ = imports.read_table(data)
    clean, errors = imports.check_table(table)
    assert errors == []
    imports._stage_rows(session, clean, None)
    return sum(clean.legacy), [tuple(row) for row in session.execute(text(STAGED))]


def test_the_sql_checks_stage_what_the_row_checks_stage(session, register):
    rows = _awkward(session, register)
    for data in (_csv(rows), _csv(rows, delimiter=";"), _csv(rows, encoding="gb18030")):
        by_sql = _staged_by_sql(session, data)
        by_python = _staged_by_python(session, data)
        assert by_sql == by_python
        assert by_sql[0] == 1 and len(by_sql[1]) == 7  # the broken code, flagged
        staged = {row[0]: row for row in by_sql[1]}
        assert staged[3][1:4] == (rows[1][0].strip().upper(), "乙商户", "individual")
        assert staged[3][4] == ("李四" * 30)[:50] and staged[3][8] == "H62"
        assert staged[6][8] == "H６２"  # check_row's verdict (\d is any digit)


def _errors(session, register, data):
    with pytest.raises(ImportRejected) as rejected:
        import_entities(session, principal=register.manager, filename="名录.csv", data=data)
    return rejected.value.extra["errors"]


def test_the_sql_checks_name_the_errors_the_row_checks_name(session, register, monkeypatch):
    rows = _awkward(session, register)
    rows[0][0] = rows[0][0][:17] + ("0" if rows[0][0][17] != "0" else "1")  # bad check
    rows[1][5] = "东经113"
    rows[2][2] = "外星企业"
    rows[4][7] = "餐饮"
    rows[6][8] = ""  # no longer marked legacy
    rows.append(list(rows[7]))  # a duplicate of the last code
    data = _csv(rows)
    before = session.scalar(text("SELECT count(*) FROM market_entity"))
    by_sql = _errors(session, register, data)
    monkeypatch.setattr(imports, "copy_csv", lambda *args, **kwargs: None)
    by_python = _errors(session, register, data)
    assert by_sql == by_python
    assert [e["code"] for e in by_sql] == ["uscc_invalid", "location_invalid",
                                           "entity_type_unknown", "industry_invalid",
                                           "uscc_invalid", "uscc_duplicate"]
    assert by_sql[0]["expected_check"] and by_sql[-1]["row"] == 10
    assert session.scalar(text("SELECT count(*) FROM market_entity")) == before


def test_a_ragged_csv_goes_the_row_way(session, register):
    lon, lat = _point(session, register.township)
    rows = [[issue_code("company", register.county, 71_000 + i), f"商户{i}", "公司", "",
             f"路{i}号", lon, lat, "F52"] for i in range(3)]
    rows[1] = rows[1][:-1] + ["F52", "多余的格"]  # one cell more than the header
    data = _csv(rows, header=HEADER[:-1])
    assert copy_csv(session, data, COLUMNS, table=import_sql.RAW) is None
    result = import_entities(session, principal=register.manager, filename="名录.csv",
                             data=data)
    assert result.created == 3
    assert read_columns(data, COLUMNS).numbers == [2, 3, 4]


def test_copy_csv_numbers_rows_as_read_rows_does(session):
    data = "\n\n统一社会信用代码,名称\n1,a\n,\n2,\"b\nc\"\n3,d\n".encode()
    copied = copy_csv(session, data, COLUMNS[:2], table="copied_test")
    rows = session.execute(text("SELECT row, uscc, name FROM copied_test ORDER BY row")).all()
    assert [tuple(r) for r in rows] == [(4, "1", "a"), (6, "2", "b\nc"), (7, "3", "d")]
    assert copied.total == 3 and read_columns(data, COLUMNS[:2]).numbers == [4, 6, 7]
