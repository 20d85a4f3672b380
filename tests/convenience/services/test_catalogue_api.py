"""The catalogue (rules, search, export and all-or-nothing import), the service points
(nearest by KNN), the staff API and the residents' public API and pages (no login, no
personal data, the QR code that opens the guide)."""

import base64
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from convenience.services import applications, catalogue, points
from convenience.services.demo import catalogue_rows
from convenience.services.models import Item
from core.errors import InvalidInput
from tests.convenience.services.conftest import MONDAY, application_data, item_data


def test_item_rules_are_422s_with_codes(session, items):
    cases = {"promise_exceeds_law": {"promised_days": 30, "legal_days": 20},
             "item_code_invalid": {"item_code": "bad code"},
             "primary_not_deferrable": {"materials": [
                 {"name": "身份证", "trust_level": "A", "is_primary": True, "may_defer": True}]}}
    for code, change in cases.items():
        with pytest.raises(InvalidInput) as refused:
            catalogue.create_item(session, {**item_data("0009000", "坏事项"), **change})
        assert refused.value.code == code


def test_search_finds_by_name_code_and_department(session, items):
    by_name = catalogue.search(session, q="食品经营")
    assert by_name[0]["id"] == items["county"].id
    by_code = catalogue.search(session, q=items["township"].item_code)
    assert [r["id"] for r in by_code] == [items["township"].id]
    by_department = catalogue.search(session, q="卫生健康")
    assert items["commit"].id in {r["id"] for r in by_department}
    assert catalogue.search(session, q="100%_") == []  # LIKE's signs are plain text
    # The index the search reads.
    plan = session.execute(text("EXPLAIN SELECT id FROM svc_item WHERE search_text LIKE "
                                "'%食品经营许可%'")).scalars().all()
    assert any("ix_svc_item_search" in line or "Seq Scan" in line for line in plan)


def test_export_then_import_round_trip_and_a_bad_row_writes_nothing(client, session, items):
    exported = client.get("/api/v1/convenience/items/export?format=xlsx")
    assert exported.status_code == 200
    book = load_workbook(__import__("io").BytesIO(exported.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["事项编码", "实施编码", "事项名称"]
    # Rename one item in the file and import it back: updated in place.
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == items["county"].impl_code:
            row[2].value = "测试食品经营许可（新办，已改名）"
    out = __import__("io").BytesIO()
    book.save(out)
    done = client.post("/api/v1/convenience/items/import",
                       json={"data": base64.b64encode(out.getvalue()).decode()})
    assert done.status_code == 200, done.text
    assert done.json()["updated"] >= 3 and done.json()["created"] == 0
    session.refresh(items["county"])
    assert items["county"].name.endswith("已改名）")
    # A CSV with one bad row (承诺 beyond 法定) refuses the whole file.
    before = session.scalar(select(func.count()).select_from(Item))
    csv = ("事项编码,实施编码,事项名称,事项类型,实施部门,办理层级,法定时限（工作日）,"
           "承诺时限（工作日）,到现场次数,网上可办,可代办\n"
           "010300990000,11430200MB0300011E010300990000,新事项甲,行政许可,market,县级,20,5,1,是,是\n"
           "010300990001,11430200MB0300011E010300990001,新事项乙,行政许可,market,县级,5,20,1,是,是\n")
    refused = client.post("/api/v1/convenience/items/import",
                          json={"data": base64.b64encode(csv.encode()).decode()})
    assert refused.status_code == 422
    assert refused.json()["code"] == "import_rows_invalid"
    assert refused.json()["errors"][0]["row"] == 3
    assert session.scalar(select(func.count()).select_from(Item)) == before


def test_the_nearest_point_that_handles_the_item(session, items, places, point_items):
    station = session.execute(text("SELECT ST_X(location) AS lon, ST_Y(location) AS lat "
                                   "FROM unit WHERE id = :id"),
                              {"id": places["station"].id}).one()
    found = points.nearest(session, item_id=items["township"].id, lon=station.lon,
                           lat=station.lat)
    assert found[0]["unit_id"] == places["station"].id and found[0]["metres"] == 0
    assert [f["metres"] for f in found] == sorted(f["metres"] for f in found)
    # A point that does not handle the item is not offered.
    points.set_items(session, places["station"].id, [items["county"].id])
    again = points.nearest(session, item_id=items["township"].id, lon=station.lon,
                           lat=station.lat)
    assert places["station"].id not in {f["unit_id"] for f in again}


def test_opening_hours_are_checked(session, places):
    with pytest.raises(InvalidInput) as bad:
        points.upsert_point(session, places["hall"].id, address="", phone="",
                            opening_hours={"mon": ["17:30-08:30"]})
    assert bad.value.code == "opening_hours_invalid"
    shown = points.upsert_point(session, places["hall"].id, address="荷塘区新华路1号",
                                phone="0731-1", opening_hours=points.HALL_HOURS)
    assert shown["opening_hours_text"] == "周一至五 08:30-12:00、14:00-17:30；周六 09:00-12:00"


def test_public_guide_page_with_its_qr_code(anonymous, items):
    item = items["county"]
    page = anonymous.get(f"/convenience/guide/{item.impl_code}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert item.name in page.text and "<svg" in page.text
    assert "场所平面图" in page.text and "可容缺" in page.text
    # Every asset from this app: no other host named in the page.
    assert not re.search(r"(src|href)=\"https?://", page.text)
    qr = anonymous.get(f"/convenience/guide/{item.impl_code}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg")
    assert anonymous.get("/convenience/guide/NOSUCHCODE1").status_code == 404
    css = anonymous.get("/static/convenience/services/services.css")
    assert css.status_code == 200


def forget_public_lookups(client) -> None:
    """What earlier tests (the fuzzer's, in a whole run) counted from this client's address
    this minute, in this run's own Redis database (tests/conftest.py)."""
    from convenience.services.throttle import PREFIX

    redis = client.app.state.redis
    for key in redis.scan_iter(f"{PREFIX}:*"):
        redis.delete(key)


def test_public_pages_and_api_need_no_login(anonymous, session, settings, items, places,
                                            clerk, point_items):
    forget_public_lookups(anonymous)
    assert anonymous.get("/convenience/items?q=食品").status_code == 200
    assert anonymous.get("/convenience/status").status_code == 200
    found = anonymous.get("/api/v1/convenience/public/items", params={"q": "公租房"})
    assert found.status_code == 200 and found.json()[0]["id"] == items["township"].id
    application = applications.intake(session, principal=clerk, settings=settings, now=MONDAY,
                                      data=application_data(items["county"], places["centre"]))
    wrong = anonymous.post("/api/v1/convenience/public/status",
                           json={"number": application.number, "phone": "13911112222"})
    assert wrong.status_code == 404 and wrong.json()["code"] == "application_not_found"
    right = anonymous.post("/api/v1/convenience/public/status",
                           json={"number": application.number, "phone": "13800138000"})
    assert right.status_code == 200 and right.json()["applicant"] == "张*"
    assert "13800138000" not in right.text
    page = anonymous.get(f"/convenience/rate/{application.number}")
    assert page.status_code == 200 and "非常不满意" in page.text
    rated = anonymous.post("/api/v1/convenience/public/ratings", json={
        "number": application.number, "phone": "13800138000", "stage": "accept",
        "level": 5, "channel": "qr"})
    assert rated.status_code == 201
    nearest = anonymous.get("/api/v1/convenience/public/nearest", params={
        "item": items["county"].id, "lon": 113.15, "lat": 27.83})
    assert nearest.status_code == 200 and nearest.json()
    page = anonymous.get("/convenience/nearest", params={
        "item": items["county"].id, "lon": 113.15, "lat": 27.83})
    assert page.status_code == 200 and "公里" in page.text
    assert nearest.json()[0]["name"] in page.text
    staff = anonymous.get("/api/v1/convenience/items")
    assert staff.status_code == 401


def test_staff_api_intake_and_kpis(client, session, items, places):
    taken = client.post("/api/v1/convenience/applications", json={
        **application_data(items["county"], places["centre"])})
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body["state"] == "accepted" and body["clocks"][0]["citation"].startswith("测试")
    moved = client.post(f"/api/v1/convenience/applications/{body['id']}/actions/review",
                        json={"version": body["version"]})
    assert moved.status_code == 200 and moved.json()["state"] == "reviewing"
    stale = client.post(f"/api/v1/convenience/applications/{body['id']}/actions/return",
                        json={"version": body["version"], "reason": "重复申请"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    figures = client.get("/api/v1/convenience/kpis", params={"group": "department"})
    assert figures.status_code == 200
    market = next(f for f in figures.json() if f["key"] == "market")
    assert market["volume"] >= 1
    for path, magic in (("/api/v1/convenience/kpis/export?format=csv", b""),
                        ("/api/v1/convenience/kpis/weekly-ranking", b"PK"),
                        ("/api/v1/convenience/kpis/monthly-bulletin?format=xlsx", b"PK"),
                        ("/api/v1/convenience/kpis/weekly-ranking?format=pdf", b"%PDF")):
        got = client.get(path)
        assert got.status_code == 200 and got.content.startswith(magic), path
    # The old per-format paths: a permanent redirect to the one route, the query kept.
    moved = client.get("/api/v1/convenience/kpis/weekly-ranking.pdf",
                       params={"week": "2026-11-30"}, follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == ("/api/v1/convenience/kpis/weekly-ranking"
                                         "?format=pdf&week=2026-11-30")
    assert client.get("/api/v1/convenience/kpis/monthly-bulletin.xlsx").content[:2] == b"PK"
    assert client.get("/api/v1/convenience/kpis/weekly-ranking",
                      params={"format": "docx"}).status_code == 422
    from pypdf import PdfReader

    month = MONDAY.date().replace(day=1).isoformat()
    bulletin = client.get("/api/v1/convenience/kpis/monthly-bulletin",
                          params={"month": month, "format": "pdf"})
    assert bulletin.status_code == 200 and bulletin.content.startswith(b"%PDF")
    text_of = "".join(page.extract_text() for page in
                      PdfReader(__import__("io").BytesIO(bulletin.content)).pages)
    assert "月通报" in text_of and "按部门" in text_of


def test_limits_are_data_with_citations(client):
    limits = client.get("/api/v1/convenience/settings").json()
    contact = next(s for s in limits if s["key"] == "rating.contact")
    assert contact["value"] == "1d" and "第五十二条" in contact["citation"]
    changed = client.put("/api/v1/convenience/settings/rating.rectify",
                         json={"value": "10d", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.put("/api/v1/convenience/settings/rating.rectify",
                       json={"value": "12d", "version": 1})
    assert stale.status_code == 409
    bad = client.put("/api/v1/convenience/settings/rating.rectify",
                     json={"value": "soon", "version": 2})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_duration"


def test_the_demo_catalogue(session, demo_city):
    from convenience.services.demo import load_demo

    rows = catalogue_rows("430200", seed=1)
    assert 280 <= len(rows) <= 320
    assert {r["item_type"] for r in rows} == {"licence", "payment", "confirmation",
                                              "adjudication", "award", "other_power",
                                              "public_service"}
    made = load_demo(session, city_code="430200", seed=1, applications=40)
    assert session.scalar(select(func.count()).select_from(Item)) >= len(rows)
    # A recent history through the live flows: applications, their clocks and ratings.
    assert made["applications"] >= 30
    states = dict(session.execute(text(
        "SELECT state, count(*) FROM svc_application GROUP BY state")).all())
    assert states.get("done", 0) > 0
    from convenience.services import kpis
    from convenience.services.routes.kpis import _period
    from tests.convenience.services.conftest import SH

    since, until = _period(None, None, SH)
    assert kpis.figures(session, group="point", area_code="430200", since=since,
                        until=until)
    handled = session.scalar(text("SELECT count(*) FROM svc_point_item"))
    assert handled > 0
    bundles = session.scalar(text("SELECT count(*) FROM svc_bundle_type"))
    assert bundles == 4


def test_the_service_points_layer(client, session, items, places, point_items):
    found = client.get("/api/v1/layers/service_points/features",
                       params={"kind": "service_hall", "limit": 500})
    assert found.status_code == 200, found.text
    features = found.json()["features"]
    hall = next(f for f in features if f["id"] == places["hall"].id)
    assert hall["properties"]["kind"] == "service_hall" and hall["properties"]["items"] == 3
    assert {f["properties"]["kind"] for f in features} == {"service_hall"}


def test_materials_go_through_the_kernels_attachments(client, session, items, places):
    taken = client.post("/api/v1/convenience/applications", json={
        **application_data(items["county"], places["centre"]),
        "materials": [{"content_type": "application/pdf", "file_name": "身份证.pdf",
                       "data": base64.b64encode(b"%PDF-1.4\n% test\n").decode()}]})
    assert taken.status_code == 201, taken.text
    stored = session.execute(text(
        "SELECT kind, content_type FROM attachment WHERE subject_type = 'svc_application' "
        "AND subject_id = :id"), {"id": taken.json()["id"]}).all()
    assert stored == [("material", "application/pdf")]
    # A file that lies about its type: 422, and no application either.
    before = session.scalar(text("SELECT count(*) FROM svc_application"))
    lying = client.post("/api/v1/convenience/applications", json={
        **application_data(items["county"], places["centre"]),
        "materials": [{"content_type": "application/pdf",
                       "data": base64.b64encode(b"not a pdf").decode()}]})
    assert lying.status_code == 422 and lying.json()["code"] == "attachment_type_mismatch"
    assert session.scalar(text("SELECT count(*) FROM svc_application")) == before


def test_public_lookups_are_throttled_per_address(anonymous, session):
    forget_public_lookups(anonymous)
    session.execute(text("UPDATE svc_setting SET value = '1' "
                         "WHERE key = 'public.lookups_per_minute'"))
    answers = [anonymous.post("/api/v1/convenience/public/status",
                              json={"number": "BJ000000", "phone": "13800138000"}).status_code
               for _ in range(3)]
    # One lookup a minute: of three calls (in at most two minutes), two share a minute.
    assert answers[0] == 404 and 429 in answers


def test_the_demo_is_removed_with_its_kernel_rows(session, demo_city):
    from convenience.services.demo import load_demo, remove_demo

    load_demo(session, city_code="430200", seed=2, applications=10)
    assert session.scalar(text("SELECT count(*) FROM case_clock "
                               "WHERE subject_type = 'svc_application'")) > 0
    remove_demo(session, city_code="430200")
    for table in ("svc_application", "svc_proxy_agent"):
        assert session.scalar(text(f"SELECT count(*) FROM {table}")) == 0
    assert session.scalar(text("SELECT count(*) FROM case_clock "
                               "WHERE subject_type = 'svc_application'")) == 0
