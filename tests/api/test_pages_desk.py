"""Desk basics (issue 12 §5): search by 编号, words, address and reporter; dates; the area
filter at any level; sort by any column, open before finished; the list exported as xlsx
and CSV, read back with a reader and compared with the database."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.factories import make_incident


@pytest.fixture
def place(session, demo_city):
    """A grid of the demo county, and its chain."""
    grid = session.scalar(text("SELECT code FROM area WHERE level = 'grid' "
                               "AND code LIKE '430202%' ORDER BY code LIMIT 1"))
    return grid


@pytest.fixture
def made(session, settings, place):
    """Three incidents: one with 井盖 at 建设路, one finished, one reported by a worker."""
    one = make_incident(session, settings, grid_code=place, state="filed",
                        description="井盖缺失，行人有危险", address="建设路12号")
    done = make_incident(session, settings, grid_code=place, state="closed",
                         description="路灯不亮", deadline="red")
    worker = session.scalar(text("SELECT username FROM app_user WHERE role = 'grid_worker' "
                                 "AND username LIKE 'demo%' LIMIT 1"))
    theirs = make_incident(session, settings, grid_code=place, state="reported",
                           description="占道经营", reporter=worker)
    return {"one": one, "done": done, "theirs": theirs, "worker": worker}


def _ids(client, **params) -> list[int]:
    response = client.get("/api/v1/incidents", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_search_by_number_words_address_and_reporter(client, made, session):
    assert _ids(client, q=str(made["one"])) == [made["one"]]
    assert _ids(client, q=f"#{made['one']}") == [made["one"]]
    assert made["one"] in _ids(client, q="井盖") and made["done"] not in _ids(client, q="井盖")
    assert made["one"] in _ids(client, q="建设路")
    assert _ids(client, q="100%_不存在") == []  # % and _ are literal
    full_name = session.scalar(text("SELECT full_name FROM app_user WHERE username = :u"),
                               {"u": made["worker"]})
    for name in {made["worker"], full_name} - {""}:
        found = _ids(client, reporter=name)
        assert made["theirs"] in found and made["one"] not in found


def test_dates_and_the_area_at_any_level(client, made, place):
    assert made["one"] in _ids(client, since="2020-01-01T00:00:00Z", q="井盖")
    assert _ids(client, until="2020-01-01T00:00:00Z", q="井盖") == []
    for length in (6, 9, 12, 15):  # county, township, village, grid
        assert made["one"] in _ids(client, area=place[:length], q="井盖")


@pytest.mark.parametrize("sort", ["id", "state", "category", "place", "due", "reported"])
def test_sort_by_any_column_both_ways(client, made, sort):
    ours = {made["one"], made["done"], made["theirs"]}
    up = [i for i in _ids(client, sort=sort, order="asc", area="430202") if i in ours]
    down = [i for i in _ids(client, sort=sort, order="desc", area="430202") if i in ours]
    assert sorted(up) == sorted(down) == sorted(ours)
    if sort == "id":
        assert up == sorted(ours) and down == sorted(ours, reverse=True)


def test_open_before_finished_in_the_desk_order(client, made):
    found = [i for i in _ids(client, sort="deadline", area="430202")
             if i in {made["one"], made["done"]}]
    assert found == [made["one"], made["done"]]  # the closed one is red, and last


def test_a_bad_sort_is_a_422(client):
    assert client.get("/api/v1/incidents", params={"sort": "nope"}).status_code == 422
    assert client.get("/api/v1/incidents", params={"order": "up"}).status_code == 422


def test_the_list_exports_as_xlsx_matching_the_database(client, made, session):
    response = client.get("/api/v1/incidents/export", params={"q": "井盖", "format": "xlsx"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("编号", "状态", "类别编码", "类别")
    exported = {row[0]: row for row in body}
    assert made["one"] in exported and made["done"] not in exported
    db = session.execute(text("SELECT i.description, i.address, c.code FROM incident i "
                              "JOIN category c ON c.id = i.category_id WHERE i.id = :id"),
                         {"id": made["one"]}).one()
    row = dict(zip(header, exported[made["one"]], strict=True))
    assert (row["状态"], row["描述"], row["地址"], row["类别编码"]) == (
        "已立案", db.description, db.address, db.code)


def test_the_list_exports_as_csv_with_the_same_rows(client, made):
    params = {"q": "井盖", "sort": "id"}
    response = client.get("/api/v1/incidents/export", params={**params, "format": "csv"})
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号"
    listed = _ids(client, **params, order="desc")
    assert [int(row[0]) for row in rows[1:]] == listed


def test_an_unknown_format_is_a_422(client):
    response = client.get("/api/v1/incidents/export", params={"format": "pdf"})
    assert response.status_code == 422


def test_any_table_a_page_shows_exports_as_xlsx_and_csv(client):
    table = {"filename": "考核指标 下级区域", "columns": ["排名", "区域", "结案率"],
             "rows": [[1, "荷塘区", 0.93], [2, "=HYPERLINK(\"x\")", None]]}
    xlsx = client.post("/api/v1/exports/table", json=table)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("排名", "区域", "结案率") and rows[1] == (1, "荷塘区", 0.93)
    formula = list(sheet.iter_rows(min_row=3, max_row=3))[0][1]
    assert formula.data_type != "f"  # written as text, never as a formula
    csv_file = client.post("/api/v1/exports/table", json={**table, "format": "csv"})
    lines = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert lines[:2] == [["排名", "区域", "结案率"], ["1", "荷塘区", "0.93"]]


@pytest.mark.parametrize("bad", [
    {"columns": ["a"], "rows": [["x", "y"]]},  # a row wider than the header
    {"columns": [], "rows": []},
    {"columns": ["a"], "rows": [], "filename": "../etc/passwd"},
    {"columns": ["a"], "rows": [], "format": "pdf"},
])
def test_a_malformed_table_is_a_422(client, bad):
    response = client.post("/api/v1/exports/table", json={"filename": "x", **bad})
    assert response.status_code == 422
