"""core/imports.py: a roster from CSV (UTF-8 or GB 18030, any separator) or xlsx, found by
Chinese or English headers; every kind of rejection named with its row and column, and
nothing written when any row is bad (the table is counted before and after); a failure
while writing leaves nothing either; progress reaches a callback and Redis; a refusal is
a 422 problem+json listing the rows (capped) and counting them all."""

import io

import openpyxl
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api import errors
from core import imports
from core.errors import InvalidInput, NotFound
from core.imports import (
    ImportColumn,
    ImportProgress,
    ImportRefused,
    Problem,
    progress_of,
    read_rows,
    run_import,
)
from core.uscc import expected_check, uscc_problem

GOOD = ("91350100M000100Y43", "91430202MA4L12346F")


def _lon(value: str) -> float:
    number = float(value)
    if not -180 <= number <= 180:
        raise ValueError("经度应在 -180 到 180 之间")
    return number


COLUMNS = (
    ImportColumn("uscc", ("统一社会信用代码", "信用代码", "USCC")),
    ImportColumn("name", ("名称", "企业名称", "Name")),
    ImportColumn("kind", ("类型", "type")),
    ImportColumn("lon", ("经度", "longitude"), required=False, parse=_lon),
    ImportColumn("fee", ("费用(元)", "fee"), required=False),
)
KINDS = {"企业", "个体工商户", "农民专业合作社"}


def _check(row, number):
    problem = uscc_problem(row["uscc"])
    if problem:
        expected = expected_check(row["uscc"])
        yield Problem("uscc", f"统一社会信用代码校验不通过（校验位应为 {expected}）",
                      "uscc_invalid")
    if row["kind"] not in KINDS:
        yield Problem("kind", f"未知的类型「{row['kind']}」", "kind_unknown")


@pytest.fixture
def probe(session):
    session.execute(text("CREATE TEMP TABLE import_probe (uscc text PRIMARY KEY, name text, "
                         "kind text, lon float8) ON COMMIT DROP"))
    return session


def _write(session, rows):
    session.execute(text("INSERT INTO import_probe (uscc, name, kind, lon) "
                         "VALUES (:uscc, :name, :kind, :lon)"), rows)
    return len(rows)


def _count(session) -> int:
    return session.scalar(text("SELECT count(*) FROM import_probe"))


def _csv(lines, encoding="utf-8-sig", separator=","):
    return "\r\n".join(separator.join(cells) for cells in lines).encode(encoding)


def _xlsx(lines) -> bytes:
    workbook = openpyxl.Workbook()
    for row in lines:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(session, data, **options):
    return run_import(session, data=data, columns=COLUMNS, validate=_check, write=_write,
                      unique=("uscc",), **options)


def _refusal(session, data, **options) -> list[dict]:
    with pytest.raises(ImportRefused) as refused:
        _import(session, data, **options)
    assert _count(session) == 0  # nothing of the file
    return refused.value.extra["errors"]


# --- what is accepted --------------------------------------------------------------------

def test_a_good_csv_is_imported_whole(probe):
    data = _csv([("统一社会信用代码", "名称", "类型", "经度"),
                 (GOOD[0], "株洲某某餐饮有限公司", "企业", "113.15"),
                 ("", "", "", ""),  # a blank line: no row
                 (GOOD[1], "张三小吃店", "个体工商户", "")])
    seen = []
    result = _import(probe, data, progress=lambda *a: seen.append(a), batch=1)
    assert (result.total, result.written) == (2, 2) and _count(probe) == 2
    assert probe.scalar(text("SELECT lon FROM import_probe WHERE uscc = :u"),
                        {"u": GOOD[0]}) == 113.15
    assert seen[0] == ("read", 0, 0) and ("write", 2, 2) in seen


def test_gb18030_tabs_english_headers_and_loose_spelling(probe):
    data = _csv([("USCC", "name", "Type", "费用（元）"), (GOOD[0], "株洲某某公司", "企业", "12")],
                encoding="gb18030", separator="\t")
    rows, names = read_rows(data, COLUMNS)
    assert rows[0].values == {"uscc": GOOD[0], "name": "株洲某某公司", "kind": "企业", "lon": None,
                              "fee": "12"}
    assert names["fee"] == "费用（元）"  # full-width brackets match 费用(元)
    assert _import(probe, data).written == 1


def test_an_xlsx_is_read_by_its_bytes_not_its_name(probe):
    data = _xlsx([("企业名称", "信用代码", "类型", "longitude"),
                  ("株洲某某公司", GOOD[0], "企业", 113.2),
                  ("某合作社", GOOD[1], "农民专业合作社", None)])
    assert _import(probe, data).written == 2


# --- every rejection, nothing written ------------------------------------------------------

def test_every_bad_row_is_named_with_its_column_and_reason(probe):
    bad_check = GOOD[0][:-1] + "4"
    data = _csv([("统一社会信用代码", "名称", "类型", "经度"),
                 (GOOD[0], "好的一行", "企业", "113"),
                 (bad_check, "校验位错", "企业", ""),
                 (GOOD[1], "", "企业", ""),
                 ("91430202MA4L12354A", "未知类型", "外星企业", "113"),
                 (GOOD[1], "重复", "企业", "200")])
    errors = _refusal(probe, data)
    by_code = {(e["row"], e["code"]): e for e in errors}
    assert by_code[(3, "uscc_invalid")]["column"] == "统一社会信用代码"
    assert "校验位应为 3" in by_code[(3, "uscc_invalid")]["reason"]
    assert by_code[(4, "required")]["column"] == "名称"
    assert by_code[(5, "kind_unknown")]["reason"] == "未知的类型「外星企业」"
    assert by_code[(6, "bad_value")]["reason"] == "经度应在 -180 到 180 之间"
    assert by_code[(6, "duplicate_in_file")]["reason"] == "与第 4 行重复"
    assert not any(e["row"] == 2 for e in errors)


def test_a_number_excel_has_rounded_is_refused_with_advice(probe):
    data = _xlsx([("统一社会信用代码", "名称", "类型"), (430202199001011234, "张三", "个体工商户")])
    [error] = _refusal(probe, data)
    assert (error["row"], error["code"]) == (2, "number_mangled_by_excel")
    assert "文本" in error["reason"]


@pytest.mark.parametrize("data, code", [
    (b"", "import_empty"),
    (b"\r\n\r\n", "import_empty"),
    (b"PK\x03\x04 not really a workbook", "import_unreadable"),
    (b"\x00\x01\x02binary", "import_unreadable"),
    ("统一社会信用代码,类型\r\nX,企业".encode(), "import_header_missing"),
    ("统一社会信用代码,USCC,名称,类型\r\n".encode(), "import_header_ambiguous"),
    ("统一社会信用代码,名称,名称,类型\r\n".encode(), "import_header_ambiguous"),
])
def test_an_unreadable_file_is_refused_whole(probe, data, code):
    with pytest.raises(InvalidInput) as refused:
        _import(probe, data)
    assert refused.value.code == code and _count(probe) == 0


def test_the_missing_header_names_what_was_expected(probe):
    with pytest.raises(InvalidInput) as refused:
        _import(probe, "统一社会信用代码,类型\r\nX,企业".encode())
    assert refused.value.extra["missing"] == ["名称"]
    assert refused.value.extra["expected"] == {"名称": ["名称", "企业名称", "Name"]}


def test_too_many_rows(probe):
    data = _csv([("统一社会信用代码", "名称", "类型")] + [(GOOD[0], "x", "企业")] * 3)
    with pytest.raises(InvalidInput) as refused:
        _import(probe, data, max_rows=2)
    assert refused.value.code == "import_too_large"


def test_a_failure_while_writing_leaves_nothing(probe):
    probe.execute(text("INSERT INTO import_probe VALUES (:u, '已有', '企业', NULL)"),
                  {"u": GOOD[1]})
    data = _csv([("统一社会信用代码", "名称", "类型"), (GOOD[0], "新", "企业"),
                 (GOOD[1], "撞", "企业")])
    with pytest.raises(IntegrityError):
        _import(probe, data, batch=1)  # the first batch was written, then rolled back
    assert probe.scalar(text("SELECT array_agg(uscc) FROM import_probe")) == [GOOD[1]]


def test_the_refusal_is_capped_but_counts_everything(probe):
    lines = [("统一社会信用代码", "名称", "类型")] + [(GOOD[0][:-1] + "0", f"n{i}", "企业")
                                              for i in range(imports.MAX_LISTED + 50)]
    with pytest.raises(ImportRefused) as refused:
        run_import(probe, data=_csv(lines), columns=COLUMNS, validate=_check, write=_write)
    extra = refused.value.extra
    assert len(extra["errors"]) == imports.MAX_LISTED and extra["truncated"] is True
    assert extra["error_count"] == extra["rejected_rows"] == imports.MAX_LISTED + 50


# --- progress and the problem a route answers ------------------------------------------------

@pytest.fixture
def redis_client(settings):
    client = redis.Redis.from_url(settings.redis_url)
    yield client
    client.close()


def test_progress_in_redis_for_a_page_to_poll(probe, redis_client):
    store = ImportProgress.start(redis_client, owner=7)
    assert progress_of(redis_client, store.import_id, owner=7)["state"] == "queued"
    data = _csv([("统一社会信用代码", "名称", "类型"), (GOOD[0], "一", "企业")])
    _import(probe, data, progress=store, import_id=store.import_id)
    done = progress_of(redis_client, store.import_id, owner=7)
    assert (done["state"], done["done"], done["total"], done["written"], done["percent"]) == (
        "done", 1, 1, 1, 100.0)
    assert redis_client.ttl(imports.key_of(store.import_id)) > 0
    with pytest.raises(NotFound):
        progress_of(redis_client, store.import_id, owner=8)  # someone else's


def test_a_failed_import_leaves_its_first_errors_in_redis(probe, redis_client):
    store = ImportProgress.start(redis_client)
    data = _csv([("统一社会信用代码", "名称", "类型"), (GOOD[0], "", "企业")])
    with pytest.raises(ImportRefused):
        _import(probe, data, progress=store)
    failed = progress_of(redis_client, store.import_id)
    assert failed["state"] == "failed" and failed["error_count"] == 1
    assert failed["errors"][0]["code"] == "required"


def test_a_route_answers_422_problem_json_listing_the_rows(probe):
    app = FastAPI()
    errors.install(app)

    @app.post("/import")
    def upload(body: dict):
        run_import(probe, data=body["csv"].encode(), columns=COLUMNS, validate=_check,
                   write=_write)

    with TestClient(app) as client:
        upload = "统一社会信用代码,名称,类型\r\n91350100M000100Y40,x,企业\r\n"
        answer = client.post("/import", json={"csv": upload})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "import_rows_invalid" and body["error_count"] == 1
    [error] = body["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, "统一社会信用代码", "uscc_invalid")
    assert "校验位应为 3" in error["reason"]
    assert _count(probe) == 0


def test_a_big_file_waits_for_its_task_on_disk(tmp_path):
    from core.imports import read_upload, remove_upload, save_upload

    save_upload(b"a,b\r\n", import_id="abc_123", media_dir=str(tmp_path))
    assert read_upload("abc_123", media_dir=str(tmp_path)) == b"a,b\r\n"
    remove_upload("abc_123", media_dir=str(tmp_path))
    with pytest.raises(NotFound):
        read_upload("abc_123", media_dir=str(tmp_path))
    with pytest.raises(InvalidInput):
        save_upload(b"x", import_id="../etc", media_dir=str(tmp_path))
