"""Open311 `expected_datetime` from the subject's clock, and the catalogue items that take
reports (svc_item.takes_reports): listed and accepted only when an admin opened them.

The 2026 schedule as in test_workorders.py: 国庆 Oct 1–7 off, Sat Oct 10 a working day
(调休); "5d" ends at the close of office (17:30 Shanghai) of the 5th working day.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from convenience.open311 import workorders
from convenience.services import catalogue
from core.security import Principal
from core.users.enums import Role
from tests.conftest import bearer
from tests.convenience.services.conftest import item_data

BASE = "/open311/v2"
CST = ZoneInfo("Asia/Shanghai")


def _post(client, fmt: str = "json", **fields):
    return client.post(f"{BASE}/requests.{fmt}", data=fields)


def test_an_incidents_expected_datetime_is_its_clocks_due_time(anonymous, session, api_key,
                                                               place, minor, file_pending):
    response = _post(anonymous, api_key=api_key, service_code=minor, lat=place.lat,
                     long=place.lon, description="路灯不亮")
    assert response.status_code == 200, response.text
    request_id = response.json()[0]["service_request_id"]
    assert file_pending() == [int(request_id)]
    due = session.execute(text("""
        SELECT c.due_at FROM open311_request r JOIN case_clock c
          ON c.subject_type = r.subject_type AND c.subject_id = r.subject_id
         AND c.stopped_at IS NULL WHERE r.id = :id"""), {"id": int(request_id)}).scalar_one()
    expected = due.astimezone(ZoneInfo("UTC")).replace(microsecond=0).isoformat()
    expected = expected.replace("+00:00", "Z")
    got = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert got["expected_datetime"] == expected
    listed = anonymous.get(f"{BASE}/requests.json",
                           params={"service_request_id": request_id}).json()
    assert listed[0]["expected_datetime"] == expected
    xml = anonymous.get(f"{BASE}/requests/{request_id}.xml").text
    assert f"<expected_datetime>{expected}</expected_datetime>" in xml


def test_a_work_orders_expected_datetime_follows_its_dispatch_and_extension(
        anonymous, session, settings, api_key, minor, file_pending):
    response = _post(anonymous, api_key=api_key, service_code=minor,
                     address_string="建设路 12 号附近")
    request_id = response.json()[0]["service_request_id"]
    assert file_pending() == [int(request_id)]
    # Waiting for dispatch: no clock runs, nothing to expect ("May not be returned").
    got = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert got["expected_datetime"] is None
    order_id = session.execute(text("SELECT subject_id FROM open311_request WHERE id = :id"),
                               {"id": int(request_id)}).scalar_one()
    order = session.get(workorders.WorkOrder, order_id)
    unit = session.execute(text("SELECT id FROM unit WHERE is_active ORDER BY id LIMIT 1")
                           ).scalar_one()
    operator = Principal(0, "test-12345-op", Role.county_dispatcher, order.owner_code)
    # Dispatched Wed Sep 30 10:00: Oct 8 (1), 9 (2), Sat 10 调休 (3), 12 (4), 13 (5).
    workorders.act(session, order_id=order_id, name="dispatch",
                   data={"version": order.version, "handler_unit_id": unit},
                   principal=operator, settings=settings,
                   now=datetime(2026, 9, 30, 10, tzinfo=CST))
    session.flush()
    got = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert got["expected_datetime"] == "2026-10-13T09:30:00Z"  # 17:30 in Shanghai


def test_catalogue_items_are_services_only_when_they_take_reports(
        anonymous, session, settings, api_key, place, demo_city, file_pending):
    item = catalogue.create_item(session, item_data("0009000", "测试餐饮服务许可"))
    session.flush()
    code = item.impl_code

    def listed() -> list[str]:
        return [s["service_code"] for s in anonymous.get(f"{BASE}/services.json").json()]

    assert code not in listed()
    before = session.execute(text("SELECT count(*) FROM open311_request")).scalar_one()
    refused = _post(anonymous, api_key=api_key, service_code=code, lat=place.lat,
                    long=place.lon, description="窗口说材料不全但不讲缺什么")
    assert refused.status_code == 400
    assert "does not take reports" in refused.json()[0]["description"]
    assert anonymous.get(f"{BASE}/services/{code}.json").status_code == 400
    assert before == session.execute(text("SELECT count(*) FROM open311_request")).scalar_one()

    # The admin opens it (the version read), then a stale second edit is refused.
    admin = bearer(settings, role="admin")
    url = f"/api/v1/convenience/items/{item.id}/takes-reports"
    read = item.version
    opened = anonymous.put(url, json={"takes_reports": True, "version": read},
                           headers=admin)
    assert opened.status_code == 200, opened.text
    assert opened.json()["takes_reports"] is True
    stale = anonymous.put(url, json={"takes_reports": False, "version": read},
                          headers=admin)
    assert stale.status_code == 409
    services = {s["service_code"]: s for s in anonymous.get(f"{BASE}/services.json").json()}
    assert services[code]["service_name"] == "测试餐饮服务许可"
    assert services[code]["group"].startswith("政务服务事项")
    xml = anonymous.get(f"{BASE}/services.xml").text
    assert f"<service_code>{code}</service_code>" in xml

    accepted = _post(anonymous, api_key=api_key, service_code=code,
                     address_string="区政务服务中心", description="窗口说材料不全但不讲缺什么")
    assert accepted.status_code == 200, accepted.text
    request_id = int(accepted.json()[0]["service_request_id"])
    assert file_pending() == [request_id]
    order = session.execute(text("""
        SELECT w.description, w.state FROM open311_request r
        JOIN work_order w ON w.id = r.subject_id AND r.subject_type = 'work_order'
        WHERE r.id = :id"""), {"id": request_id}).one()
    assert order.state == "registered"
    assert order.description.startswith("【测试餐饮服务许可】")


def test_the_flag_is_in_the_catalogues_export_and_import(session, demo_city):
    item = catalogue.create_item(session, item_data("0009001", "测试导出标志",
                                                    takes_reports=True))
    session.flush()
    assert catalogue.item_dict(session, item)["takes_reports"] is True
    columns = catalogue.export_columns({})
    flag = next(c for c in columns if c.header == "受理反映（Open311）")
    assert flag.key({"item": item, "materials": []}) is True
