"""Overdue 差评整改 and 办不成事 escalate to the supervising office: notified, on the
timeline, once per clock; switched by data (svc_setting rows with their citations).

Monday 7 December 2026, 10:00 Shanghai; N working days end at 17:30 of the Nth working day
after the start day (no holiday in December 2026).
"""

from datetime import datetime, timedelta

from sqlalchemy import select, text

from convenience.services import desks, ratings
from convenience.services.case_types import STUCK_TYPE
from convenience.services.common import move
from convenience.services.escalations import supervising_office
from convenience.services.models import Rectification
from core.workflow import sweep
from tests.convenience.services.conftest import MONDAY, SH


def _escalations(session, subject_type: str, subject_id: int) -> list[str]:
    return list(session.scalars(text(
        "SELECT note FROM timeline_event WHERE subject_type = :t AND subject_id = :id "
        "AND action = :t || '.escalate' ORDER BY id"), {"t": subject_type, "id": subject_id}))


def _notices(session, subject_type: str, subject_id: int) -> list[dict]:
    return list(session.scalars(text(
        "SELECT payload FROM outbox_message WHERE topic = 'convenience.escalated' "
        "AND payload->>'subject_type' = :t AND (payload->>'subject_id')::bigint = :id "
        "ORDER BY id"), {"t": subject_type, "id": subject_id}))


def _office_of(session, county: str) -> tuple[int, str]:
    """By hand: the county's 行政审批服务局 (the demo city has one per county)."""
    return tuple(session.execute(text("SELECT id, name FROM unit WHERE code = :c"),
                                 {"c": f"{county}-department-government_services"}).one())


def test_an_overdue_rectification_escalates_once_per_limit(session, settings, finished):
    bad = ratings.rate(session, number=finished.number, phone="13800138000",
                       settings=settings, now=MONDAY,
                       data={"stage": "finish", "level": 1, "channel": "sms", "comment": "差"})
    row = session.scalar(select(Rectification).where(Rectification.rating_id == bad.id))
    office_id, office_name = _office_of(session, row.owner_code[:6])
    # 联系核实: 1 working day → Tuesday 8 December 17:30. Not yet at 17:29.
    sweep.sweep(session, now=datetime(2026, 12, 8, 17, 29, tzinfo=SH), settings=settings)
    assert _escalations(session, "svc_rectification", row.id) == []
    late = datetime(2026, 12, 8, 17, 31, tzinfo=SH)
    sweep.sweep(session, now=late, settings=settings)
    session.refresh(row)
    assert _escalations(session, "svc_rectification", row.id) == [
        f"差评联系核实超期（期限2026-12-08 17:30），自动报{office_name}督办"]
    assert (row.escalated_at, row.escalated_to_unit_id) == (late, office_id)
    notice = _notices(session, "svc_rectification", row.id)
    assert len(notice) == 1 and notice[0]["audience"]["unit_ids"] == [office_id]
    # Swept again: nothing new (the clock escalated once).
    sweep.sweep(session, now=late + timedelta(days=1), settings=settings)
    assert len(_escalations(session, "svc_rectification", row.id)) == 1
    # 整改: 15 working days → 8–11, 14–18, 21–25, 28 December (Monday) 17:30.
    sweep.sweep(session, now=datetime(2026, 12, 28, 17, 31, tzinfo=SH), settings=settings)
    sweep.sweep(session, now=datetime(2026, 12, 29, 9, 0, tzinfo=SH), settings=settings)
    assert _escalations(session, "svc_rectification", row.id)[1:] == [
        f"差评整改超期（期限2026-12-28 17:30），自动报{office_name}督办"]
    session.refresh(row)
    assert row.escalated_at == late  # the first one stays on the row
    assert len(_notices(session, "svc_rectification", row.id)) == 2


def _stuck(session, settings, admin, hall, kind: str):
    return desks.open_stuck(session, principal=admin, settings=settings, now=MONDAY,
                            data={"unit_id": hall.id, "applicant_name": "王五",
                                  "applicant_phone": "13500135000",
                                  "matter": "跨部门材料互认问题", "kind": kind})


def test_an_overdue_stuck_matter_escalates_and_a_closed_one_does_not(session, settings,
                                                                     places, admin):
    hall = places["hall"]
    office_id, office_name = _office_of(session, hall.seat_code[:6])
    general = _stuck(session, settings, admin, hall, "general")  # 2 working days: Wed 9 Dec 17:30
    done = _stuck(session, settings, admin, hall, "general")
    move(session, STUCK_TYPE, done, "close", principal=admin, settings=settings,
         now=MONDAY + timedelta(days=1), data={"outcome": "已协调办结"})
    complex_ = _stuck(session, settings, admin, hall, "complex")  # progress in 5: Mon 14 Dec 17:30
    sweep.sweep(session, now=datetime(2026, 12, 9, 17, 31, tzinfo=SH), settings=settings)
    assert _escalations(session, "svc_stuck_matter", general.id) == [
        f"办不成事办理超期（期限2026-12-09 17:30），自动报{office_name}督办"]
    assert _escalations(session, "svc_stuck_matter", done.id) == []
    assert _escalations(session, "svc_stuck_matter", complex_.id) == []
    sweep.sweep(session, now=datetime(2026, 12, 14, 17, 31, tzinfo=SH), settings=settings)
    assert len(_escalations(session, "svc_stuck_matter", complex_.id)) == 1
    assert len(_escalations(session, "svc_stuck_matter", general.id)) == 1
    session.refresh(general)
    assert general.escalated_to_unit_id == office_id


def test_escalation_is_switched_by_its_setting(session, settings, places, admin):
    row = session.execute(text("SELECT citation FROM svc_setting WHERE key = 'stuck.escalate'")
                          ).scalar_one()
    assert "安阳市政务服务条例第六条" in row
    session.execute(text("UPDATE svc_setting SET value = '0' WHERE key = 'stuck.escalate'"))
    matter = _stuck(session, settings, admin, places["hall"], "general")
    sweep.sweep(session, now=datetime(2026, 12, 9, 17, 31, tzinfo=SH), settings=settings)
    assert _escalations(session, "svc_stuck_matter", matter.id) == []
    # Marked handled all the same: switching it on later does not escalate the old red one.
    session.execute(text("UPDATE svc_setting SET value = '1' WHERE key = 'stuck.escalate'"))
    sweep.sweep(session, now=datetime(2026, 12, 10, 9, 0, tzinfo=SH), settings=settings)
    assert _escalations(session, "svc_stuck_matter", matter.id) == []


def test_the_office_above_the_county_office_is_not_itself(session, demo_city):
    county = session.execute(text(
        "SELECT id, seat_code FROM unit WHERE code LIKE '%-department-government_services' "
        "AND length(seat_code) = 6 ORDER BY code LIMIT 1")).one()
    above = supervising_office(session, owner_unit_id=county.id, owner_code=county.seat_code)
    assert above.code == f"{county.seat_code}-service_hall"  # not itself: the hall
