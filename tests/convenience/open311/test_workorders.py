"""12345 work orders: dispatch by the 派单目录, 5 + 5 working days computed by hand across
2026's Mid-autumn and National Day holidays (with the 调休 Saturday), the one objection
round decided by the centre, 督办 and 回访, the hand-off to the grid, the public status by
number and phone, and 响应率 / 解决率 / 满意率.

The 2026 schedule (国务院办公厅 2025 notice, as chinese_calendar seeds it, migration 0005):
中秋 Sep 25–27 (Fri–Sun) off; 国庆 Oct 1–7 off; Sat Oct 10 a working day (调休).
Office hours 08:30–12:00, 14:00–17:30 Asia/Shanghai; "5d" ends at the close of office of
the 5th working day after the start day (core/workflow/durations.py).
"""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from convenience.open311 import kpis, workorders
from convenience.open311.models import DispatchEntry, WorkOrder, number_of
from core.errors import Conflict, Forbidden, InvalidInput
from core.security import Principal
from core.units.models import Membership, Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from core.users.models import User
from tests.conftest import bearer

CST = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def desk(session, place):
    """Two county units that take orders (城管局, 住建局), each with a 承办人 and a 负责人,
    a 派单目录 line per unit for the county, and a county 12345 operator."""
    units, people = {}, {}
    for code, name in (("chengguan", "区城市管理局"), ("zhujian", "区住房和城乡建设局")):
        unit = Unit(code=f"test-12345-{code}", name=name, kind="department",
                    platform="convenience", seat_code=place.county)
        session.add(unit)
        session.flush()
        session.add(UnitArea(unit_id=unit.id, area_code=place.county))
        units[code] = unit
        for position in ("handler", "head"):
            user = User(username=f"t12345-{code}-{position}", password_hash="x",
                        role=Role.service_clerk, scope_code=place.county)
            session.add(user)
            session.flush()
            session.add(Membership(user_id=user.id, unit_id=unit.id, position=position))
            session.flush()
            people[(code, position)] = Principal(user.id, user.username, Role.service_clerk,
                                                 place.county, grants_of(session, user_id=user.id))
    session.add_all([DispatchEntry(matter_code="CG01", matter="占道经营", area_code=place.county,
                                   unit_id=units["chengguan"].id, incident_service_code=None,
                                   basis="城市管理职责清单"),
                     DispatchEntry(matter_code="ZJ01", matter="物业服务", area_code=place.county,
                                   unit_id=units["zhujian"].id, basis="物业管理条例")])
    operator = User(username="t12345-operator", password_hash="x",
                    role=Role.county_dispatcher, scope_code=place.county)
    session.add(operator)
    session.flush()
    return {"units": units, "people": people,
            "operator": Principal(operator.id, operator.username, Role.county_dispatcher,
                                  place.county)}


def _order(session, settings, desk, place, *, matter="CG01", when=None, **extra) -> WorkOrder:
    return workorders.register(
        session, principal_name=desk["operator"].username, owner_code=place.county,
        channel="phone", caller_phone="13812345678", caller_name="李女士",
        description="小区门口长期占道经营", matter_code=matter, settings=settings,
        now=when or at(9, 29, 9), **extra)


def _act(session, settings, order, name, who, when, **data):
    return workorders.act(session, order_id=order.id, name=name,
                          data={"version": order.version, **data}, principal=who,
                          settings=settings, now=when)


def test_five_plus_five_working_days_across_the_national_day_holiday(session, settings, desk,
                                                                      place):
    order = _order(session, settings, desk, place)
    # Dispatched Wed Sep 30 10:00 to the unit the 派单目录 names for CG01.
    _act(session, settings, order, "dispatch", desk["operator"], at(9, 30))
    assert order.handler_unit_id == order.first_unit_id == desk["units"]["chengguan"].id
    # Working days after Sep 30: Oct 8 (1), 9 (2), Sat 10 调休 (3), 12 (4), 13 (5).
    assert order.due_at == at(10, 13, 17, 30)
    handler, head = desk["people"][("chengguan", "handler")], desk["people"][("chengguan", "head")]
    # 签收 Oct 8 09:00: within the response limit (1 working day: Oct 8 17:30).
    _act(session, settings, order, "sign", handler, at(10, 8, 9))
    assert order.state == "handling" and order.signed_on_time is True
    # Only the head approves the extension (安阳市政务服务条例第五十条).
    with pytest.raises(Forbidden) as refused:
        _act(session, settings, order, "extend", handler, at(10, 12), reason="涉及多部门")
    assert refused.value.code == "extension_needs_head"
    _act(session, settings, order, "extend", head, at(10, 12), reason="涉及多部门，需现场协调")
    # +5: Oct 14 (6), 15 (7), 16 (8), 19 (9), 20 (10).
    assert order.due_at == at(10, 20, 17, 30)
    clock = session.execute(text(
        "SELECT due_at, extended_by, citation FROM case_clock WHERE subject_type = "
        "'work_order' AND subject_id = :id AND stopped_at IS NULL"), {"id": order.id}).one()
    assert clock.due_at == at(10, 20, 17, 30) and clock.extended_by == "5d"
    assert "安阳市政务服务条例第五十条" in clock.citation
    with pytest.raises(Conflict) as twice:
        _act(session, settings, order, "extend", head, at(10, 13), reason="再次延期")
    assert twice.value.code == "already_extended"
    _act(session, settings, order, "reply", handler, at(10, 19), reason="已劝离并设置隔离栏")
    _act(session, settings, order, "callback", desk["operator"], at(10, 21),
         satisfaction="satisfied", resolved=True, reason="来电人表示满意")
    assert (order.state, order.resolved, order.satisfaction) == ("closed", True, "satisfied")
    assert order.ever_overdue is False


def test_the_limits_are_data(session, settings, desk, place):
    """An admin sets the limit to 3 working days: the next dispatch counts 3."""
    rule = workorders.rule(session, "handling")
    workorders.edit_rule(session, name="handling", value="3d", version=rule.version,
                         actor="test-admin")
    order = _order(session, settings, desk, place)
    _act(session, settings, order, "dispatch", desk["operator"], at(9, 30))
    assert order.due_at == at(10, 10, 17, 30)  # Oct 8, 9, Sat 10 (调休)
    with pytest.raises(InvalidInput):
        workorders.edit_rule(session, name="handling", value="90cd",
                             version=workorders.rule(session, "handling").version,
                             actor="test-admin")


def test_one_objection_round_decided_by_the_centre(session, settings, desk, place):
    order = _order(session, settings, desk, place)
    _act(session, settings, order, "dispatch", desk["operator"], at(9, 30))
    cg = desk["people"][("chengguan", "handler")]
    zj = desk["people"][("zhujian", "handler")]
    with pytest.raises(Forbidden):  # not its order
        _act(session, settings, order, "object", zj, at(9, 30, 11), reason="不归我们")
    _act(session, settings, order, "object", cg, at(9, 30, 15), reason="属物业管理范畴")
    assert order.state == "objected" and order.objection_count == 1
    # The centre upholds it and names 住建局, which now answers for it (首接负责).
    _act(session, settings, order, "uphold", desk["operator"], at(9, 30, 16),
         reason="异议成立，改派住建局", handler_unit_id=desk["units"]["zhujian"].id)
    assert order.state == "dispatched"
    assert order.handler_unit_id == order.first_unit_id == desk["units"]["zhujian"].id
    # The named unit may not object again (潍坊条例第二十二条第二款).
    with pytest.raises(Conflict) as again:
        _act(session, settings, order, "object", zj, at(9, 30, 17), reason="也不归我们")
    assert again.value.code == "objection_round_used"

    # Another order: the objection rejected — the first unit handles it and is supervised.
    other = _order(session, settings, desk, place)
    _act(session, settings, other, "dispatch", desk["operator"], at(9, 30))
    _act(session, settings, other, "object", cg, at(9, 30, 11), reason="不属于本单位")
    _act(session, settings, other, "reject", desk["operator"], at(9, 30, 14),
         reason="经核属城管职责")
    assert (other.state, other.refused, other.handler_unit_id) == (
        "handling", True, desk["units"]["chengguan"].id)
    listed = {row["id"]: row for row in workorders.supervision_list(
        session, principal=desk["operator"], now=at(10, 1))}
    assert listed[other.id]["reasons"] == ["拒不接收（异议被驳回）"]

    # After the window (24 hours from the dispatch): no objection.
    late = _order(session, settings, desk, place)
    _act(session, settings, late, "dispatch", desk["operator"], at(9, 29, 10))
    with pytest.raises(Conflict) as window:
        _act(session, settings, late, "object", cg, at(9, 30, 10, 1), reason="迟到的异议")
    assert window.value.code == "objection_window_passed"


def test_overdue_orders_are_supervised_and_called_back(session, settings, desk, place):
    order = _order(session, settings, desk, place)
    _act(session, settings, order, "dispatch", desk["operator"], at(9, 30))
    _act(session, settings, order, "sign", desk["people"][("chengguan", "handler")],
         at(10, 9))  # after the response limit (Oct 8 17:30)
    assert order.signed_on_time is False
    with pytest.raises(Conflict) as early:
        _act(session, settings, order, "callback", desk["operator"], at(10, 12),
             satisfaction="unsatisfied", resolved=False)
    assert early.value.code == "callback_too_early"
    after_due = at(10, 14)
    listed = {row["id"]: row for row in workorders.supervision_list(
        session, principal=desk["operator"], now=after_due)}
    assert listed[order.id]["reasons"] == ["逾期未办理"]
    queue = workorders.callback_queue(session, principal=desk["operator"], now=after_due)
    assert order.id in {row["id"] for row in queue}
    _act(session, settings, order, "callback", desk["operator"], after_due,
         satisfaction="unsatisfied", resolved=False, reason="至今未处理")
    assert order.state == "closed" and order.ever_overdue is True


def test_an_order_about_a_place_becomes_a_grid_incident(session, settings, desk, place,
                                                        minor):
    order = _order(session, settings, desk, place, lon=place.lon, lat=place.lat,
                   address="建设路口")
    assert order.area_code == place.grid_code
    _act(session, settings, order, "transfer", desk["operator"], at(9, 29, 10),
         service_code=minor)
    assert order.state == "transferred"
    incident = session.execute(text(
        "SELECT i.id, i.source, i.grid_code FROM case_link l JOIN incident i ON i.id = l.b_id "
        "WHERE l.a_type = 'work_order' AND l.a_id = :id AND l.b_type = 'incident'"),
        {"id": order.id}).one()
    assert (incident.source, incident.grid_code) == ("hotline", place.grid_code)
    # The caller sees the incident's progress on the public status.
    status = workorders.public_status(session, number=number_of(order.id),
                                      phone="13812345678")
    assert status["state_label"] == "已转网格化管理平台处置"
    assert status["progress"].startswith("网格化管理平台：")
    # Linking to an incident already reported works too (another order, same place).
    second = _order(session, settings, desk, place, lon=place.lon, lat=place.lat)
    workorders.link_incident(session, order_id=second.id, incident_id=incident.id,
                             principal=desk["operator"])
    kinds = {link["kind"] for link in workorders.order_dict(
        session, second, desk["operator"])["links"]}
    assert kinds == {"related"}


def test_public_status_by_number_and_phone(session, settings, desk, place, anonymous):
    order = _order(session, settings, desk, place)
    url = "/api/v1/convenience/public/workorder-status"
    wrong = anonymous.post(url, json={"number": number_of(order.id), "phone": "13800000000"})
    assert wrong.status_code == 404 and wrong.json()["code"] == "work_order_unknown"
    right = anonymous.post(url, json={"number": number_of(order.id).lower(),
                                      "phone": "13812345678"})
    assert right.status_code == 200
    body = right.json()
    assert body["state_label"] == "已受理（待派单）"
    assert "13812345678" not in right.text and "李女士" not in right.text
    page = anonymous.get("/convenience/workorder-status")
    assert page.status_code == 200 and "工单查询" in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_the_suishoupai_page_reports_through_the_open311_path(session, anonymous, place, minor,
                                                              file_pending):
    page = anonymous.get("/convenience/suishoupai")
    assert page.status_code == 200 and "随手拍" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    response = anonymous.post("/api/v1/convenience/public/reports", json={
        "service_code": minor, "lat": place.lat, "long": place.lon,
        "description": "路灯不亮", "phone": "13700000000"})
    assert response.status_code == 201, response.text
    request_id = int(response.json()["service_request_id"])
    assert file_pending() == [request_id]  # filed in the background, like a POST
    row = session.execute(text("SELECT channel, api_key_id, subject_type FROM open311_request "
                               "WHERE id = :id"), {"id": request_id}).one()
    assert tuple(row) == ("page", None, "incident")
    # The same request through Open311's GET, without the phone.
    got = anonymous.get(f"/open311/v2/requests/{request_id}.json")
    assert got.status_code == 200 and "13700000000" not in got.text
    bad = anonymous.post("/api/v1/convenience/public/reports", json={
        "service_code": minor, "lat": 0.0, "long": 0.0})
    assert bad.status_code == 422 and "outside every grid" in bad.json()["detail"]


def test_the_three_rates_in_json_and_xlsx(session, settings, desk, place, anonymous):
    handler = desk["people"][("chengguan", "handler")]
    outcomes = [("satisfied", True, at(10, 8, 9)), ("basically_satisfied", True, at(10, 8, 9)),
                ("unsatisfied", False, at(10, 9, 9))]
    for satisfaction, resolved, signed in outcomes:
        order = _order(session, settings, desk, place)
        _act(session, settings, order, "dispatch", desk["operator"], at(9, 30))
        _act(session, settings, order, "sign", handler, signed)
        _act(session, settings, order, "reply", handler, at(10, 9, 10), reason="已处理")
        _act(session, settings, order, "callback", desk["operator"], at(10, 12),
             satisfaction=satisfaction, resolved=resolved)
    figures = kpis.rates(session, principal=desk["operator"], start=at(9, 30).date(),
                         end=at(9, 30).date())
    unit = next(u for u in figures["units"] if u["unit_id"] == desk["units"]["chengguan"].id)
    assert (unit["dispatched"], unit["responded"], unit["called_back"]) == (3, 2, 3)
    assert unit["response_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert unit["resolution_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert unit["satisfaction_rate"] == pytest.approx(2 / 3, abs=1e-4)
    # The xlsx through the route (an admin of the city).
    anonymous.headers.update(bearer(settings))
    response = anonymous.get("/api/v1/convenience/workorders/kpis.xlsx",
                             params={"start": "2026-09-30", "end": "2026-09-30"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("承办单位", "派单量", "按时签收", "响应率")
    assert rows[1][:4] == ("区城市管理局", 3, 2, "66.7%")


def test_the_demo_catalogue_dispatches_and_is_removed(session, settings, place):
    from convenience.open311.demo import load_demo, remove_demo

    city = place.grid_code[:4] + "00"
    made = load_demo(session, city_code=city, seed=1, settings=settings)
    assert made["catalogue"] > 0 and made["work_orders"] > 0
    dispatched = session.execute(text(
        "SELECT count(*) FROM work_order WHERE state = 'dispatched' AND handler_unit_id IS NOT "
        "NULL AND due_at IS NOT NULL")).scalar_one()
    assert dispatched > 0
    remove_demo(session, city_code=city)
    assert session.execute(text("SELECT count(*) FROM work_order")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM workorder_catalogue")).scalar_one() == 0


def test_the_routes_take_a_call_dispatch_it_and_refuse_a_stale_move(session, settings, desk,
                                                                   place, anonymous):
    """Through HTTP as a county 12345 operator. Two moves read at the same version: the
    second gets 409 stale_version (the kernel's runner locks the row and checks the
    version), so no concurrent move is lost."""
    anonymous.headers.update(bearer(settings, role="county_dispatcher", scope_code=place.county,
                                    username="t12345-http-operator"))
    taken = anonymous.post("/api/v1/convenience/workorders", json={
        "caller_phone": "13811112222", "description": "噪声扰民", "matter_code": "CG01"})
    assert taken.status_code == 201, taken.text
    order = taken.json()
    assert order["number"].startswith("GD") and order["state"] == "registered"
    moved = anonymous.post(f"/api/v1/convenience/workorders/{order['id']}/actions/dispatch",
                           json={"version": order["version"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["handler_unit"]["id"] == desk["units"]["chengguan"].id
    stale = anonymous.post(f"/api/v1/convenience/workorders/{order['id']}/actions/void",
                           json={"version": order["version"], "reason": "重复来电"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.headers["content-type"].startswith("application/problem+json")
    got = anonymous.get(f"/api/v1/convenience/workorders/{order['id']}").json()
    assert got["state"] == "dispatched" and got["clocks"][0]["name"] == "step"
    rules = anonymous.get("/api/v1/convenience/workorders/rules").json()
    assert {r["name"]: r["value"] for r in rules}["handling"] == "5d"


def test_the_suishoupai_endpoint_is_rate_limited_per_address(app, anonymous, place, minor):
    """The suite runs without limits (tests/conftest.py); here one report a minute."""
    from core.ratelimit import Limits, RateLimiter

    app.state.rate_limiter = RateLimiter(app.state.redis, Limits(reports=1, writes=0,
                                                                 exports=0, kpis=0))
    body = {"service_code": minor, "lat": place.lat, "long": place.lon, "description": "积水"}
    codes = [anonymous.post("/api/v1/convenience/public/reports", json=body).status_code
             for _ in range(2)]
    assert codes[0] == 201 or codes[0] == 429  # a report of this address this minute before
    assert codes[1] == 429


def test_the_catalogue_and_links_stay_in_the_callers_territory(session, settings, desk, place,
                                                               minor, anonymous):
    other_county = session.execute(text(
        "SELECT code FROM area WHERE level = 'county' AND code <> :c ORDER BY code LIMIT 1"),
        {"c": place.county}).scalar_one()
    anonymous.headers.update(bearer(settings, role="admin", scope_code=place.county,
                                    username="t12345-county-admin"))
    entry = {"matter_code": "JT01", "matter": "公交站台破损", "area_code": place.county,
             "unit_id": desk["units"]["chengguan"].id}
    assert anonymous.post("/api/v1/convenience/workorders/catalogue",
                          json=entry).status_code == 201
    outside = anonymous.post("/api/v1/convenience/workorders/catalogue",
                             json={**entry, "area_code": other_county})
    assert outside.status_code == 422 and outside.json()["code"] == "area_outside"
    # An operator of another county cannot link an order to this county's incident.
    order = _order(session, settings, desk, place, lon=place.lon, lat=place.lat)
    _act(session, settings, order, "transfer", desk["operator"], at(9, 29, 10),
         service_code=minor)
    incident_id = session.execute(text(
        "SELECT b_id FROM case_link WHERE a_type = 'work_order' AND a_id = :id"),
        {"id": order.id}).scalar_one()
    elsewhere = Principal(desk["operator"].user_id, "t12345-other", Role.county_dispatcher,
                          other_county)
    theirs = workorders.register(session, principal_name="t12345-other",
                                 owner_code=other_county, channel="phone",
                                 caller_phone="13900001111", description="别处的来电",
                                 settings=settings)
    with pytest.raises(InvalidInput) as refused:
        workorders.link_incident(session, order_id=theirs.id, incident_id=incident_id,
                                 principal=elsewhere)
    assert refused.value.code == "incident_unknown"
