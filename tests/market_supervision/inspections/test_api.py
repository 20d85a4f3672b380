"""The API: moves at POST /api/v1/market/inspections/{id}/actions/{name} with their
problem+json refusals (stable codes), the replay of an offline submission, the public
pages and open data (no login, nothing internal), the KPIs (json, xlsx), the layers and
the failures aggregate, the rules as data."""

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import text

from tests.conftest import bearer
from tests.market_supervision.inspections.helpers import move, record_body

PROBLEM = "application/problem+json"


def _as(anonymous, settings, principal):
    anonymous.headers.update(bearer(settings, user_id=principal.user_id,
                                    username=principal.username))
    return anonymous


def test_moves_over_http_with_problem_codes_and_replays(anonymous, settings, session, market,
                                                         inspection):
    client = _as(anonymous, settings, market.inspectors[0])
    url = f"/api/v1/market/inspections/{inspection.id}"
    body = {"version": inspection.version, **record_body(market, market.checks)}
    # No key: an offline submission must carry one.
    refused = client.post(f"{url}/actions/record", json=body)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "idempotency_key_missing"
    done = client.post(f"{url}/actions/record", json=body, headers={"Idempotency-Key": "a1"})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["state_label"]) == ("recorded", "待确认")
    again = client.post(f"{url}/actions/record", json=body, headers={"Idempotency-Key": "a1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["version"] == done.json()["version"]
    stale = client.post(f"{url}/actions/confirm", json={"version": 1})
    assert stale.status_code == 409 and stale.json()["code"] in ("stale_version",
                                                                 "already_confirmed")
    unknown = client.post(f"{url}/actions/fly", json={"version": done.json()["version"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_action"
    bad = client.post(f"{url}/actions/record", headers={"Idempotency-Key": "a2"}, json={
        **body, "version": done.json()["version"],
        "checks": [{"check_id": market.checks[0], "result": "maybe"}]})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    detail = client.get(url).json()
    assert [i["confirmed"] for i in detail["inspectors"]] == [True, False]
    assert len(detail["checks"]) == 4 and detail["timeline"][0]["action"] == "open"
    assert client.get("/api/v1/market/inspections/999999999").status_code == 404


def test_published_results_are_public_without_personal_data(anonymous, settings, session,
                                                            market, inspection):
    first, second = market.inspectors
    move(session, settings, inspection, "record", first,
         **record_body(market, market.checks, fail=[market.checks[1]], rectify_days=10))
    move(session, settings, inspection, "confirm", second)
    move(session, settings, inspection, "approve", market.reviewer)
    page = anonymous.get(f"/market/public/tasks/{market.task.id}")
    assert page.status_code == 200 and "暂无已公示" in page.text  # approved: not yet public
    move(session, settings, inspection, "publish", market.reviewer)
    for url in (f"/market/public/tasks/{market.task.id}",
                f"/market/public/entities/{market.entity.uscc}"):
        page = anonymous.get(url)
        assert page.status_code == 200, url
        assert "发现问题已责令改正" in page.text and "从业人员持有效健康证明" in page.text
        assert "张三" not in page.text and first.username not in page.text  # no person
        assert "风险" not in page.text and "risk" not in page.text.lower()
        assert "//cdn" not in page.text and "https://" not in page.text  # no CDN
    feed = anonymous.get("/api/v1/market/open-data/lives.zip")
    assert feed.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(feed.content))
    assert sorted(archive.namelist()) == ["businesses.csv", "inspections.csv",
                                          "violations.csv"]
    tables = {name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
              for name in archive.namelist()}
    mine = [r for r in tables["businesses.csv"] if r["business_id"] == market.entity.uscc]
    assert mine and mine[0]["phone_number"] == "" and set(mine[0]) == {
        "business_id", "name", "address", "city", "state", "postal_code", "latitude",
        "longitude", "phone_number"}
    assert [r["type"] for r in tables["inspections.csv"]
            if r["business_id"] == market.entity.uscc] == ["routine"]
    violations = [r for r in tables["violations.csv"] if r["business_id"] == market.entity.uscc]
    assert [r["description"] for r in violations] == ["从业人员持有效健康证明"]
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode()
    assert "张三" not in everything and ",C," not in everything


def test_kpis_layers_failures_and_rules(anonymous, settings, session, market, inspection):
    first, second = market.inspectors
    move(session, settings, inspection, "record", first,
         **record_body(market, market.checks, fail=[market.checks[1]], rectify_days=10))
    move(session, settings, inspection, "confirm", second)
    move(session, settings, inspection, "approve", market.reviewer)
    move(session, settings, inspection, "publish", market.reviewer)
    client = _as(anonymous, settings, market.reviewer)
    for group in ("unit", "area", "item", "inspector"):
        table = client.get("/api/v1/market/kpis", params={"group": group})
        assert table.status_code == 200, table.text
        rows = table.json()["rows"]
        assert rows, group
        row = rows[0]
        assert row["name"] and row["name"] != row["key"], row  # named, not just keyed
        assert (row["completion_rate"], row["problem_rate"]) == (1.0, 1.0)
        assert row["rectification_rate"] == 0.0 and row["on_time_publication_rate"] == 1.0
    sheet = client.get("/api/v1/market/kpis", params={"group": "unit", "format": "xlsx"})
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.active["J1"].value == "抽查完成率" and book.active["J2"].value == 1.0
    features = client.get("/api/v1/layers/market_inspections/features")
    assert features.status_code == 200, features.text
    assert inspection.id in [f["id"] for f in features.json()["features"]]
    elsewhere = client.get("/api/v1/layers/market_inspections/features",
                           params={"area": market.township[:6] + "999"})
    assert elsewhere.status_code == 200 and elsewhere.json()["features"] == []
    overdue = client.get("/api/v1/layers/market_rectifications_overdue/features")
    assert overdue.status_code == 200 and overdue.json()["features"] == []  # due in 10 days
    heat = client.get("/api/v1/market/inspections/failures", params={"cell_m": 500})
    assert heat.json()["by_industry"] == [{"industry": "H6210", "count": 1}]
    rules = {r["name"]: r for r in client.get("/api/v1/market/inspection-rules").json()}
    assert rules["publish"]["value"] == "20d" and "第六条" in rules["publish"]["citation"]
    refused = client.put("/api/v1/market/inspection-rules/publish", json={"value": "15d"})
    assert refused.status_code == 403
    admin = anonymous
    admin.headers.update(bearer(settings))
    edited = admin.put("/api/v1/market/inspection-rules/publish", json={"value": "3mo"})
    assert edited.status_code == 422 and edited.json()["code"] == "invalid_duration"


def test_territory_and_assignment_decide_who_sees_an_inspection(anonymous, settings, session,
                                                                market, inspection):
    """An inspector drawn from another office of the county sees the inspection he is paired
    for; an account of another township, not paired, finds nothing (404, not 403)."""
    from tests.factories import make_user

    other = session.execute(text("SELECT code FROM area WHERE level = 'township' "
                                 "AND code <> :t ORDER BY code LIMIT 1"),
                            {"t": market.township}).scalar_one()
    stranger = make_user(session, role="market_inspector", scope_code=other)
    client = anonymous
    client.headers.update(bearer(settings, user_id=stranger.id, username=stranger.username))
    url = f"/api/v1/market/inspections/{inspection.id}"
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/market/inspections").json()["total"] == 0
    # The paired inspector's account and office now lie in the other township only.
    session.execute(text("UPDATE app_user SET scope_code = :o WHERE id = :u"),
                    {"o": other, "u": market.inspectors[0].user_id})
    session.execute(text("UPDATE unit_area SET area_code = :o WHERE unit_id = :u"),
                    {"o": other, "u": market.office.id})
    client.headers.update(bearer(settings, user_id=market.inspectors[0].user_id,
                                 username=market.inspectors[0].username))
    assert client.get(url).status_code == 200
    mine = client.get("/api/v1/market/inspections", params={"queue": "mine"}).json()
    assert [i["id"] for i in mine["items"]] == [inspection.id]


def test_an_order_past_its_deadline_is_on_the_overdue_layer(anonymous, settings, session,
                                                            market, inspection):
    from datetime import UTC, datetime, timedelta

    first, second = market.inspectors
    move(session, settings, inspection, "record", first, **record_body(
        market, market.checks, fail=[market.checks[3]], rectify_days=10,
        inspected_at=datetime.now(UTC) - timedelta(days=40)))
    move(session, settings, inspection, "confirm", second)
    client = _as(anonymous, settings, market.reviewer)
    overdue = client.get("/api/v1/layers/market_rectifications_overdue/features").json()
    assert [f["id"] for f in overdue["features"]] == [inspection.id]
    listed = client.get("/api/v1/market/inspections", params={"overdue": "publish"}).json()
    assert [i["id"] for i in listed["items"]] == [inspection.id]  # 40 days: past 20 WD too
