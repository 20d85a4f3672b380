"""一件事一次办 fans out and closes only when every item is done, on its own clock; a bad
rating's contact and rectification clocks (computed by hand) and the re-rating that closes
it; appeals; enterprise forms escalating white → green → yellow → red on their clocks; the
办不成事 window's clocks.

Monday 7 December 2026, 10:00 Shanghai; N working days end at 17:30 of the Nth working
day after the start day.
"""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from convenience.services import applications, bundles, desks, ratings
from convenience.services.models import Application, Rectification
from core.errors import Conflict, NotFound
from core.workflow import clocks, sweep
from core.workflow.clocks import Subject
from tests.convenience.services.conftest import MONDAY, SH, application_data


@pytest.fixture
def newborn(session, items):
    return bundles.create_type(session, {
        "code": "test_newborn", "name": "测试新生儿出生一件事",
        "item_ids": [items["county"].id, items["township"].id], "promised_days": 8,
        "citation": "国办发〔2024〕3号"})


def _act(session, settings, principal, application, name, *, now=MONDAY, **data):
    return applications.act(session, application, name, principal=principal, settings=settings,
                            now=now, data={"version": application.version, **data})


def _finish(session, settings, admin, application, now=MONDAY):
    for name, data in (("review", {}), ("decide", {"result": "approved"}), ("finish", {})):
        _act(session, settings, admin, application, name, now=now, **data)


def test_a_bundle_fans_out_and_closes_when_all_are_done(session, settings, newborn, places,
                                                        clerk, admin):
    bundle = bundles.open_bundle(session, principal=clerk, settings=settings, now=MONDAY, data={
        "bundle_type": newborn.code, "intake_unit_id": places["centre"].id,
        "channel": "window", "applicant_name": "李四", "applicant_phone": "13700137000"})
    apps = session.scalars(select(Application).where(Application.bundle_id == bundle.id)
                           .order_by(Application.id)).all()
    assert [a.item_id for a in apps] == list(newborn.item_ids)
    assert sum(a.visits for a in apps) == 1  # one form, one trip
    # The bundle's own clock: 8 working days from Monday 10:00 end Thursday 17 December.
    clock = clocks.running(session, Subject("svc_bundle", bundle.id), "step")
    assert clock.due_at == datetime(2026, 12, 17, 17, 30, tzinfo=SH)
    # Each item on its own 承诺时限 (5 and 15 working days), handled in parallel.
    assert {a.due_at for a in apps} == {datetime(2026, 12, 14, 17, 30, tzinfo=SH),
                                        datetime(2026, 12, 28, 17, 30, tzinfo=SH)}
    _finish(session, settings, admin, apps[0])
    session.refresh(bundle)
    assert bundle.state == "handling"
    _finish(session, settings, admin, apps[1], now=MONDAY + timedelta(days=2))
    session.refresh(bundle)
    assert bundle.state == "done" and bundle.closed_at == MONDAY + timedelta(days=2)
    assert clocks.running(session, Subject("svc_bundle", bundle.id), "step") is None
    shown = bundles.bundle_dict(session, bundle)
    assert [a["state"] for a in shown["applications"]] == ["done", "done"]


@pytest.fixture
def finished(session, settings, items, places, clerk, admin):
    application = applications.intake(session, principal=clerk, settings=settings,
                                      now=MONDAY - timedelta(days=3),
                                      data=application_data(items["county"], places["centre"]))
    _finish(session, settings, admin, application, now=MONDAY - timedelta(days=3))
    return application


def test_a_bad_rating_opens_a_rectification_on_clocks_by_hand_and_a_rerating_closes_it(
        session, settings, finished, admin):
    with pytest.raises(NotFound):  # the phone proves the application is his
        ratings.rate(session, number=finished.number, phone="13911112222", settings=settings,
                     now=MONDAY, data={"stage": "finish", "level": 2, "channel": "qr"})
    bad = ratings.rate(session, number=finished.number, phone="13800138000",
                       settings=settings, now=MONDAY,
                       data={"stage": "finish", "level": 2, "channel": "sms",
                             "comment": "等了很久"})
    row = session.scalar(select(Rectification).where(Rectification.rating_id == bad.id))
    subject = Subject("svc_rectification", row.id)
    # 联系核实 within 1 working day (安阳市政务服务条例第五十二条): Tuesday 17:30.
    contact = clocks.running(session, subject, "step")
    assert contact.due_at == datetime(2026, 12, 8, 17, 30, tzinfo=SH)
    # 整改 within 15 working days (国办发〔2019〕51号): 8-11, 14-18, 21-25, 28 December.
    rectify = clocks.running(session, subject, "rectify")
    assert rectify.due_at == datetime(2026, 12, 28, 17, 30, tzinfo=SH)
    tuesday = MONDAY + timedelta(days=1)
    ratings.act(session, row, "contact", principal=admin, settings=settings, now=tuesday,
                data={"version": row.version, "reason": "电话联系申请人，核实情况属实"})
    assert row.state == "rectifying" and row.contacted_at == tuesday
    ratings.act(session, row, "rectify", principal=admin, settings=settings, now=tuesday,
                data={"version": row.version, "measures": "增设午间延时服务"})
    assert clocks.running(session, subject, "rectify") is None
    ratings.act(session, row, "call_back", principal=admin, settings=settings, now=tuesday,
                data={"version": row.version, "reason": "已回访"})
    assert row.state == "rerating"
    again = ratings.rate(session, number=finished.number, phone="13800138000",
                         settings=settings, now=tuesday,
                         data={"stage": "finish", "level": 5, "channel": "qr"})
    session.refresh(row)
    assert row.state == "closed" and again.rerates_id == bad.id
    figures = ratings.public_figures(session, area_code="", limit=500, offset=0)
    mine = next(f for f in figures if f["unit_id"] == bad.unit_id)
    assert mine["rectified"] >= 1 and mine["good"] >= 1


def test_a_rating_waits_for_its_stage(session, settings, items, places, clerk):
    application = applications.intake(session, principal=clerk, settings=settings, now=MONDAY,
                                      data=application_data(items["county"], places["centre"]))
    with pytest.raises(Conflict) as early:
        ratings.rate(session, number=application.number, phone="13800138000",
                     settings=settings, now=MONDAY,
                     data={"stage": "finish", "level": 5, "channel": "qr"})
    assert early.value.code == "stage_not_reached"
    good = ratings.rate(session, number=application.number, phone=None, trusted=True,
                        settings=settings, now=MONDAY,
                        data={"stage": "accept", "level": 4, "channel": "device"})
    assert good.unit_id == places["centre"].id  # 受理 rates the window


def test_an_upheld_appeal_closes_the_rectification(session, settings, finished, admin):
    bad = ratings.rate(session, number=finished.number, phone="13800138000",
                       settings=settings, now=MONDAY,
                       data={"stage": "finish", "level": 1, "channel": "app"})
    ratings.appeal(session, bad.id, reason="恶意差评：与办件无关", version=bad.version,
                   actor="clerk", now=MONDAY)
    with pytest.raises(Conflict):
        ratings.appeal(session, bad.id, reason="again", version=bad.version, actor="x",
                       now=MONDAY)
    ratings.decide_appeal(session, bad.id, upheld=True, decision="经核实属恶意评价",
                          version=bad.version, actor="hall", now=MONDAY, settings=settings)
    row = session.scalar(select(Rectification).where(Rectification.rating_id == bad.id))
    assert bad.appeal_state == "upheld" and row.state == "closed"


def test_enterprise_forms_escalate_on_their_clocks(session, settings, places, admin):
    hall = places["hall"]
    county = hall.seat_code[:6]
    session.execute(text("INSERT INTO department (code, name) VALUES ('discipline', '纪委监委') "
                         "ON CONFLICT (code) DO NOTHING"))
    discipline = session.execute(text("""
        INSERT INTO unit (code, name, kind, platform, department_code, seat_code)
        VALUES (:code, '测试纪委监委', 'department', 'convenience', 'discipline', :county)
        RETURNING id"""), {"code": f"{county}-department-discipline", "county": county}
    ).scalar_one()
    row = desks.open_enterprise(session, principal=admin, settings=settings, now=MONDAY, data={
        "unit_id": hall.id, "enterprise_name": "株洲测试餐饮有限公司",
        "contact_phone": "13600136000", "matter": "食品经营许可加快办理"})
    white = clocks.running(session, Subject("svc_enterprise_request", row.id), "step")
    assert white.due_at == datetime(2026, 12, 8, 17, 30, tzinfo=SH)  # 白单 1 working day
    from convenience.services.case_types import ENTERPRISE_TYPE
    from convenience.services.common import move

    move(session, ENTERPRISE_TYPE, row, "assign", principal=admin, settings=settings,
         now=MONDAY, data={"department_code": "market", "help_kind": "容缺受理"})
    green = clocks.running(session, Subject("svc_enterprise_request", row.id), "step")
    assert green.due_at == datetime(2026, 12, 14, 17, 30, tzinfo=SH)  # 绿单 5 working days
    sweep.sweep(session, now=green.due_at + timedelta(minutes=1), settings=settings)
    session.refresh(row)
    assert row.state == "yellow"  # 督办
    yellow = clocks.running(session, Subject("svc_enterprise_request", row.id), "step")
    # 黄单 3 working days from the escalation (Monday 14 December 17:31): Thursday 17th.
    assert yellow.due_at == datetime(2026, 12, 17, 17, 30, tzinfo=SH)
    sweep.sweep(session, now=yellow.due_at + timedelta(minutes=1), settings=settings)
    session.refresh(row)
    assert row.state == "red"  # 问责, the discipline office told
    notices = session.execute(text(
        "SELECT payload FROM outbox_message WHERE topic = 'convenience.enterprise.red'")
    ).scalars().all()
    assert any(discipline in n["audience"]["unit_ids"] for n in notices)
    actions = [e["action"] for e in desks.enterprise_dict(session, row)["timeline"]]
    assert actions[-2:] == ["escalate_yellow", "escalate_red"]


def test_stuck_matters_on_their_clocks(session, settings, places, admin):
    hall = places["hall"]
    base = {"unit_id": hall.id, "applicant_name": "王五", "applicant_phone": "13500135000",
            "matter": "跨部门材料互认问题"}
    simple = desks.open_stuck(session, principal=admin, settings=settings, now=MONDAY,
                              data={**base, "kind": "simple", "outcome": "当场协调办结"})
    assert simple.state == "closed"
    general = desks.open_stuck(session, principal=admin, settings=settings, now=MONDAY,
                               data={**base, "kind": "general"})
    clock = clocks.running(session, Subject("svc_stuck_matter", general.id), "step")
    assert clock.due_at == datetime(2026, 12, 9, 17, 30, tzinfo=SH)  # 2 working days
    complex_ = desks.open_stuck(session, principal=admin, settings=settings, now=MONDAY,
                                data={**base, "kind": "complex"})
    clock = clocks.running(session, Subject("svc_stuck_matter", complex_.id), "step")
    assert clock.due_at == datetime(2026, 12, 14, 17, 30, tzinfo=SH)  # progress in 5


def test_kpis_count_what_happened(session, settings, items, places, clerk, admin):
    """Two applications of one item at one window: one finished on time after one visit,
    one finished late after a second visit (补办); a good and a bad rating, the bad one
    rectified; one refusal. The figures follow."""
    from convenience.services import kpis

    item, window = items["township"], places["centre"]
    first = applications.intake(session, principal=clerk, settings=settings, now=MONDAY,
                                data=application_data(item, window))
    _finish(session, settings, admin, first, now=MONDAY + timedelta(hours=2))
    second = applications.intake(session, principal=clerk, settings=settings, now=MONDAY,
                                 data=application_data(item, window, visits=2))
    _act(session, settings, admin, second, "ask_supplement", reason="缺少收入证明")
    _act(session, settings, admin, second, "supplemented")
    late = second.due_at + timedelta(days=3)
    _act(session, settings, admin, second, "decide", now=late, result="approved")
    _act(session, settings, admin, second, "finish", now=late)
    assert second.on_time is False
    ratings.rate(session, number=first.number, phone="13800138000", settings=settings,
                 now=late, data={"stage": "finish", "level": 5, "channel": "qr"})
    bad = ratings.rate(session, number=second.number, phone="13800138000", settings=settings,
                       now=late, data={"stage": "finish", "level": 1, "channel": "qr"})
    ratings.rate(session, number=second.number, phone="13800138000", settings=settings,
                 now=late, data={"stage": "finish", "level": 4, "channel": "qr"})
    row = session.scalar(select(Rectification).where(Rectification.rating_id == bad.id))
    assert row.state == "closed"
    figures = kpis.figures(session, group="item", area_code="", since=MONDAY,
                           until=MONDAY + timedelta(days=1))
    mine = next(f for f in figures if f["key"] == str(item.id))
    assert mine["volume"] == 2 and mine["done"] == 2
    assert mine["on_time_rate"] == 0.5 and mine["one_visit_rate"] == 0.5
    assert mine["visits_per_application"] == 1.5
    assert mine["good_rate"] == 1.0  # the latest rating of each: 5 and 4
    assert mine["rectified_rate"] == 1.0 and mine["refusals"] == 1 and mine["proxy"] == 0


def test_outside_the_territory_is_not_found(session, settings, items, places, clerk):
    """A township clerk's territory is his township: another county's hall, and an
    application taken and decided there, do not exist for him (404)."""
    other_hall = session.execute(text(
        "SELECT id, seat_code FROM unit WHERE kind = 'service_hall' AND seat_code <> :county "
        "ORDER BY seat_code LIMIT 1"), {"county": places["hall"].seat_code}).one()
    data = {"unit_id": other_hall.id, "enterprise_name": "外县企业", "contact_phone": "13600136000",
            "matter": "代办"}
    with pytest.raises(NotFound):
        desks.open_enterprise(session, principal=clerk, settings=settings, now=MONDAY, data=data)
    with pytest.raises(NotFound):
        applications.intake(session, principal=clerk, settings=settings, now=MONDAY,
                            data=application_data(items["county"], other_hall))
    from tests.convenience.services.conftest import principal as principal_of

    elsewhere = applications.intake(session, principal=principal_of(session, "demo_admin"),
                                    settings=settings, now=MONDAY,
                                    data=application_data(items["county"], other_hall))
    with pytest.raises(NotFound):
        applications.load_by_number(session, elsewhere.number, clerk)
