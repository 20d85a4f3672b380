"""Importing rosters (issue 14 §1): every bad row named with its reason, nothing written
when any row is bad; legacy pilot codes accepted and flagged; CSV and xlsx; the API."""

import csv
import io

import pytest
from sqlalchemy import func, select, text

from core.errors import InvalidInput
from market_supervision.register.codes import issue_code
from market_supervision.register.imports import ImportRejected, import_entities
from market_supervision.register.models import Entity
from tests.conftest import bearer
from tests.factories import unique

HEADER = ["统一社会信用代码", "名称", "类型", "法定代表人", "地址", "经度", "纬度", "行业",
          "历史试点代码"]


def _point(session, township):
    row = session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM area "
        "WHERE level = 'grid' AND code LIKE :t || '%' ORDER BY code LIMIT 1) s"),
        {"t": township}).one()
    return str(row[0]), str(row[1])


def _rows(session, register, n=5, start=0):
    lon, lat = _point(session, register.township)
    return [[issue_code("individual", register.county, 50_000 + start + i), f"导入商户{i}",
             "个体工商户", "张三", f"导入路{i}号", lon, lat, "F52", ""] for i in range(n)]


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Entity))


def test_a_clean_csv_is_imported(session, register):
    rows = _rows(session, register)
    result = import_entities(session, principal=register.manager, filename="名录.csv",
                             data=_csv(rows))
    assert (result.rows, result.created, result.updated, result.flagged) == (5, 5, 0, 0)
    entity = session.scalar(select(Entity).where(Entity.uscc == rows[0][0]))
    assert entity.type == "individual" and entity.area_code.startswith(register.township)
    again = import_entities(session, principal=register.manager, filename="名录.csv",
                            data=_csv(rows))  # a roster refresh updates
    assert (again.created, again.updated) == (0, 5)


def test_a_clean_xlsx_is_imported_with_progress(session, register):
    seen = []
    result = import_entities(session, principal=register.manager, filename="名录.xlsx",
                             data=_xlsx(_rows(session, register, start=100)),
                             stage=lambda stage, done, total: seen.append((stage, done, total)))
    assert result.created == 5
    assert {stage for stage, _, _ in seen} >= {"read", "validate", "locate", "write"}
    assert seen[-1][0] == "write" and seen[-1][1] == seen[-1][2]


def _bad(rows, index, column, value):
    rows[index][HEADER.index(column)] = value
    return rows


@pytest.mark.parametrize("column, value, code, words", [
    ("统一社会信用代码", "BAD", "uscc_invalid", "18"),
    ("统一社会信用代码", "CHECK", "uscc_invalid", "校验码应为"),
    ("经度", "", "location_missing", "缺少位置"),
    ("纬度", "north", "location_invalid", "数字"),
    ("类型", "外星企业", "entity_type_unknown", "外星企业"),
    ("行业", "餐饮", "industry_invalid", "GB/T 4754"),
    ("名称", "", "name_invalid", "名称"),
    ("经度", "116.39", "location_outside_scope", "辖区"),
])
def test_every_rejection_names_the_row_and_writes_nothing(session, register, column, value,
                                                          code, words):
    rows = _rows(session, register, start=200)
    if value == "CHECK":
        good = rows[2][0]
        value = good[:17] + ("0" if good[17] != "0" else "1")
    if column == "经度" and value == "116.39":
        rows[2][HEADER.index("纬度")] = "39.91"
    before = _count(session)
    for name, data in (("名录.csv", _csv(_bad(rows, 2, column, value))),
                       ("名录.xlsx", _xlsx(rows))):
        with pytest.raises(ImportRejected) as rejected:
            import_entities(session, principal=register.manager, filename=name, data=data)
        errors = rejected.value.extra["errors"]
        assert [(e["row"], e["code"]) for e in errors] == [(4, code)]  # header is row 1
        assert rejected.value.code == "import_rows_invalid"
        assert words in errors[0]["reason"]
        if value and column == "统一社会信用代码" and len(value) == 18:
            assert errors[0]["expected_check"] == rows[2][0][17] or errors[0]["expected_check"]
        assert _count(session) == before


def test_a_bad_check_character_names_the_expected_one(session, register):
    rows = _rows(session, register, start=300)
    good = rows[1][0]
    rows[1][0] = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ImportRejected) as rejected:
        import_entities(session, principal=register.manager, filename="a.csv", data=_csv(rows))
    error = rejected.value.extra["errors"][0]
    assert error["expected_check"] == good[17] and f"'{good[17]}'" in error["reason"]


def test_duplicates_in_the_file_are_named(session, register):
    rows = _rows(session, register, start=400)
    rows[4][0] = rows[1][0]
    with pytest.raises(ImportRejected) as rejected:
        import_entities(session, principal=register.manager, filename="a.csv", data=_csv(rows))
    assert rejected.value.extra["errors"] == [{"row": 6, "column": "统一社会信用代码",
                                               "uscc": rows[1][0],
                                               "reason": "与第 3 行代码重复",
                                               "code": "uscc_duplicate",
                                               "expected_check": None}]


def test_all_bad_rows_are_listed_at_once(session, register):
    rows = _rows(session, register, start=500)
    _bad(rows, 0, "类型", "?")
    _bad(rows, 3, "经度", "")
    before = _count(session)
    with pytest.raises(ImportRejected) as rejected:
        import_entities(session, principal=register.manager, filename="a.csv", data=_csv(rows))
    assert [e["row"] for e in rejected.value.extra["errors"]] == [2, 5]
    assert rejected.value.extra["error_count"] == 2
    assert _count(session) == before


def test_a_legacy_pilot_code_is_accepted_only_when_marked(session, register):
    rows = _rows(session, register, start=600)
    good = rows[0][0]
    rows[0][0] = good[:17] + ("0" if good[17] != "0" else "1")
    rows[0][HEADER.index("历史试点代码")] = "是"
    result = import_entities(session, principal=register.manager, filename="a.csv",
                             data=_csv(rows))
    assert result.flagged == 1
    assert session.scalar(select(Entity.legacy_code).where(Entity.uscc == rows[0][0])) is True


def test_files_of_another_kind_or_shape_are_refused(session, register):
    before = _count(session)
    for data, code in ((b"%PDF-1.7 \x00\x01", "import_unreadable"),
                       ("名称,地址\n甲,乙\n".encode(), "import_header_missing"),
                       (b"PK\x03\x04 not a workbook", "import_unreadable"),
                       (_csv([]), "import_empty")):
        with pytest.raises(InvalidInput) as refused:
            import_entities(session, principal=register.manager, filename="a.csv", data=data)
        assert refused.value.code == code
    assert _count(session) == before


def test_the_api_imports_and_rejects(client, session, settings, register):
    headers = {**bearer(settings, role="market_inspector", scope_code=register.county),
               "Content-Type": "text/csv"}
    rows = _rows(session, register, start=700)
    import_id = unique("import").replace("_", "-")
    answer = client.post("/api/v1/market/entities/imports",
                         params={"filename": "名录.csv", "import_id": import_id},
                         content=_csv(rows), headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 5
    # the progress a page polls (core/imports.py), kept under the page's id
    from core.imports import progress_of

    progress = progress_of(client.app.state.redis, import_id)
    assert (progress["state"], progress["done"], progress["total"]) == ("done", 5, 5)
    before = _count(session)
    rows = _rows(session, register, start=800)
    _bad(rows, 1, "经度", "")
    answer = client.post("/api/v1/market/entities/imports", params={"filename": "名录.csv"},
                         content=_csv(rows), headers=headers)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "import_rows_invalid"
    assert problem["errors"][0]["row"] == 3 and problem["errors"][0]["code"] == "location_missing"
    assert _count(session) == before


def test_the_bulk_code_check_agrees_with_core_uscc():
    """imports.py checks a roster's codes in numpy (codes.valid_codes): the same verdict as
    core/uscc.py for the standard's sample, all its single-character changes, issued codes
    and random strings."""
    import random

    from core.uscc import ALPHABET, uscc_problem
    from market_supervision.register.codes import valid_codes

    sample = "91350100M000100Y43"
    codes = [sample] + [sample[:i] + c + sample[i + 1:] for i in range(18) for c in ALPHABET
                        if c != sample[i]]
    codes += [issue_code("company", "430211", i) for i in range(500)]
    rng = random.Random(14)
    codes += ["".join(rng.choice(ALPHABET + "IOSVZ") for _ in range(18)) for _ in range(5000)]
    codes += ["", "91350100M000100Y4", "91350100M000100Y4３"]
    verdicts = valid_codes(codes)
    assert [bool(v) for v in verdicts] == [uscc_problem(c) is None for c in codes]


def test_text_with_tabs_backslashes_and_line_breaks_arrives_intact(session, register):
    rows = _rows(session, register, n=1, start=900)
    rows[0][HEADER.index("名称")] = "甲\t乙\\丙\n丁"
    rows[0][HEADER.index("法定代表人")] = ""
    import_entities(session, principal=register.manager, filename="a.csv", data=_csv(rows))
    entity = session.scalar(select(Entity).where(Entity.uscc == rows[0][0]))
    assert entity.name == "甲\t乙\\丙\n丁" and entity.legal_representative is None
