"""core/exports.py: an xlsx read back with openpyxl holds the rows as given (bold header,
first row frozen, widths, text never a formula); a CSV opens in Excel (UTF-8 with a BOM);
the file name survives in RFC 5987 form; an unknown format is a 422."""

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import unquote

import openpyxl
import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from api import errors
from core.errors import InvalidInput
from core.exports import (
    Column,
    check_format,
    content_disposition,
    csv_bytes,
    date_text,
    labelled,
    table_response,
    write_xlsx,
    yuan,
)

ROWS = [
    {"code": "91350100M000100Y43", "name": "株洲某某餐饮有限公司", "fine": 20000,
     "state": "closed", "opened": datetime(2026, 3, 1, 17, 30, tzinfo=UTC),
     "note": "=HYPERLINK(1)"},
    {"code": "430202199001011234", "name": "张三", "fine": None, "state": "open",
     "opened": datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "note": "-1"},
]
COLUMNS = (
    Column("统一社会信用代码", "code"),
    Column("名称", "name"),
    Column("罚款（元）", "fine", yuan, number_format="0.00"),
    Column("状态", "state", labelled({"open": "办理中", "closed": "已结案"})),
    Column("立案日期", "opened", date_text),
    Column("备注", "note"),
    Column("名称长度", lambda row: len(row["name"])),
)


def _sheet(handle):
    return openpyxl.load_workbook(handle).active


def test_the_xlsx_reads_back_as_written():
    sheet = _sheet(write_xlsx(ROWS, COLUMNS, sheet_title="执法案件"))
    assert sheet.title == "执法案件"
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["统一社会信用代码", "名称", "罚款（元）", "状态", "立案日期", "备注", "名称长度"],
        ["91350100M000100Y43", "株洲某某餐饮有限公司", 200, "已结案", "2026-03-02",
         "=HYPERLINK(1)", 10],
        ["430202199001011234", "张三", None, "办理中", "2026-03-02", "-1", 2],
    ]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet["C2"].number_format == "0.00"
    assert sheet["F2"].data_type == "s"  # text, not a formula
    # Chinese characters count double: the name column is wider than its header.
    assert sheet.column_dimensions["B"].width >= 2 * len("株洲某某餐饮有限公司")


def test_a_big_list_is_streamed_in_write_only_mode():
    rows = ({"code": f"C{i:06d}", "name": "名", "fine": i} for i in range(20_000))
    sheet = openpyxl.load_workbook(write_xlsx(rows, COLUMNS[:3]), read_only=True).active
    last = list(sheet.iter_rows(min_row=20_001, values_only=True))
    assert last == [("C019999", "名", 199.99)]


def test_the_csv_has_a_bom_and_defuses_formulas():
    data = b"".join(csv_bytes(ROWS, COLUMNS))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "统一社会信用代码"
    assert rows[1] == ["91350100M000100Y43", "株洲某某餐饮有限公司", "200.00", "已结案",
                       "2026-03-02",
                       "'=HYPERLINK(1)", "10"]
    assert rows[2][2] == "" and rows[2][5] == "'-1"


def test_the_file_name_in_rfc_5987():
    header = content_disposition("执法案件 2026.xlsx")
    assert header.startswith('attachment; filename="export.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "执法案件 2026.xlsx"
    assert content_disposition("cases.csv") == (
        "attachment; filename=\"cases.csv\"; filename*=UTF-8''cases.csv")


def test_an_unknown_format_is_refused():
    with pytest.raises(InvalidInput) as refused:
        check_format("docx")
    assert refused.value.code == "export_format_unknown"


@pytest.fixture(scope="module")
def export_client():
    app = FastAPI()
    errors.install(app)

    @app.get("/export")
    def export(format: str = Query("xlsx")):
        return table_response(iter(ROWS), COLUMNS, filename="执法案件", format=format)

    with TestClient(app) as client:
        yield client


def test_a_route_answers_with_the_file(export_client):
    xlsx = export_client.get("/export")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E6%89%A7%E6%B3%95%E6%A1%88%E4%BB%B6.xlsx" in xlsx.headers[
        "content-disposition"]
    assert _sheet(io.BytesIO(xlsx.content))["B3"].value == "张三"
    text = export_client.get("/export", params={"format": "csv"})
    assert text.headers["content-type"] == "text/csv; charset=utf-8"
    assert text.content.startswith(b"\xef\xbb\xbf")
    refused = export_client.get("/export", params={"format": "docx"})
    assert refused.status_code == 422 and refused.json()["code"] == "export_format_unknown"
    assert refused.headers["content-type"] == "application/problem+json"


def test_dates_without_time_zone():
    assert date_text(date(2026, 1, 2)) == "2026-01-02"
    assert date_text(datetime(2026, 1, 1, 16, 30, tzinfo=UTC)) == "2026-01-02"  # Shanghai


def test_a_pdf_table_reads_back_with_its_chinese_text():
    from pypdf import PdfReader

    from core.exports import pdf_bytes

    data = pdf_bytes(ROWS * 30, COLUMNS, title="执法案件周报", subtitle="2026年第10周",
                     unit_name="株洲市荷塘区综合行政执法局")
    reader = PdfReader(io.BytesIO(data))
    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    for expected in ("执法案件周报", "2026年第10周", "统一社会信用代码", "株洲某某餐饮有限公司",
                     "已结案", "200.00", "=HYPERLINK(1)"):
        assert expected in first, expected
    assert "统一社会信用代码" in last  # the header on every page
    assert f"共 {len(reader.pages)} 页" in last and "株洲市荷塘区综合行政执法局" in last


def test_a_pdf_table_too_long_to_print_is_refused(monkeypatch, export_client):
    from core.documents import tables

    monkeypatch.setattr(tables, "MAX_ROWS", 1)
    refused = export_client.get("/export", params={"format": "pdf"})
    assert refused.status_code == 422 and refused.json()["code"] == "export_too_large_for_pdf"


def test_control_characters_do_not_break_the_xlsx():
    rows = [{"code": "A\x00B\x07C", "name": "名\x1f称"}]
    sheet = _sheet(write_xlsx(rows, COLUMNS[:2]))
    assert (sheet["A2"].value, sheet["B2"].value) == ("ABC", "名称")
