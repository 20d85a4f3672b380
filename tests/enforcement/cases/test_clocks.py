"""Each statutory clock, computed by hand across the 2026 holidays (国务院办公厅's schedule:
春节 2/15–2/23 with 2/14 and 2/28 worked; 劳动节 5/1–5/5 with 5/9 worked; 中秋 9/25–9/27;
国庆 10/1–10/7 with 9/20 and 10/10 worked). Working days end at the close of office
(17:30); periods of days end at the end of their last day, moved past rest days.
Each limit is read from enforcement_rule, with its citation."""

from datetime import timedelta

import pytest

from core.errors import Conflict, InvalidInput
from enforcement.cases.service import case_detail
from tests.enforcement.cases.conftest import at, due_of, move, open_clue

END = timedelta(hours=23, minutes=59, seconds=59, microseconds=999999)


def day_end(day: str):
    return at(f"{day} 00:00") + END


def _to_notice(session, settings, desk, *, filed: str, notified: str, fine=2_000_000,
               party=None):
    case = open_clue(session, settings, desk, now=at(filed) - timedelta(days=1), party=party)
    move(session, settings, desk, case, "file", now=at(filed), matter_code="TEST-CG-0001")
    move(session, settings, desk, case, "conclude", "officer_a", now=at(notified))
    move(session, settings, desk, case, "notify", "officer_a", now=at(notified),
         penalty_types=["fine"], fine_fen=fine)
    return case


def test_verification_takes_15_working_days_across_the_spring_festival(session, settings,
                                                                        desk):
    # Thu 2/5: 2/6, 2/9–13, 2/14 (worked Saturday), 2/24–27, 2/28 (worked), 3/2–3/4.
    case = open_clue(session, settings, desk, now=at("2026-02-05 10:00"))
    assert due_of(session, case) == at("2026-03-04 17:30")
    detail = case_detail(session, case, desk.people["head"], settings=settings)
    step = next(c for c in detail["clocks"] if c["name"] == "step")
    assert step["limit"] == "15d" and "第二十三条" in step["citation"]


def test_verification_extended_by_15_working_days_with_the_heads_approval(session, settings,
                                                                           desk):
    case = open_clue(session, settings, desk, now=at("2026-02-05 10:00"))
    with pytest.raises(Exception) as refused:  # an officer is not the head
        move(session, settings, desk, case, "extend_verify", "officer_a",
             now=at("2026-03-02 09:00"), reason="需调取监控")
    assert refused.value.code == "position_required"
    move(session, settings, desk, case, "extend_verify", now=at("2026-03-02 09:00"),
         reason="需调取监控")
    # 3/5, 3/6, 3/9–13, 3/16–20, 3/23–25: 15 more working days.
    assert due_of(session, case) == at("2026-03-25 17:30")
    assert case.state == "clue" and case.step_due_at == at("2026-03-25 17:30")
    with pytest.raises(InvalidInput) as again:
        move(session, settings, desk, case, "extend_verify", now=at("2026-03-03 09:00"),
             reason="再延长")
    assert again.value.code == "extension_too_long"


def test_the_decision_within_90_natural_days_of_filing_moved_past_national_day(
        session, settings, desk):
    # Filed Fri 7/3: +90 days is Thu 10/1, a holiday through 10/7 → the end of Thu 10/8.
    case = open_clue(session, settings, desk, now=at("2026-07-02 10:00"))
    move(session, settings, desk, case, "file", now=at("2026-07-03 10:00"),
         matter_code="TEST-CG-0001")
    assert due_of(session, case, "decision") == day_end("2026-10-08")
    # +30 with the head's approval: 120 days is Sat 10/31 → Mon 11/2.
    move(session, settings, desk, case, "extend_decision", now=at("2026-09-01 10:00"),
         reason="案情复杂")
    assert due_of(session, case, "decision") == day_end("2026-11-02")
    with pytest.raises(InvalidInput) as again:
        move(session, settings, desk, case, "extend_decision", now=at("2026-09-02 10:00"),
             reason="再延长")
    assert again.value.code == "extension_too_long"


def test_a_hearing_stops_the_decision_clock(session, settings, desk):
    # Filed 7/3 (due 10/1 before the holiday rule); paused 8/3 10:00 → 8/13 10:00, ten
    # days: the period's end moves to Sun 10/11 → Mon 10/12.
    case = _to_notice(session, settings, desk, filed="2026-07-03 10:00",
                      notified="2026-07-31 10:00")
    assert case.hearing_offered  # 2万元 ≥ the citizen threshold of 1万元 (a rule row)
    move(session, settings, desk, case, "request_hearing", "officer_a",
         now=at("2026-08-03 10:00"))
    detail = case_detail(session, case, desk.people["head"], settings=settings)
    decision = next(c for c in detail["clocks"] if c["name"] == "decision")
    assert decision["paused"]
    move(session, settings, desk, case, "schedule_hearing", "officer_a",
         now=at("2026-08-03 11:00"), hearing_at=at("2026-08-12 09:00"))
    move(session, settings, desk, case, "hold_hearing", "officer_a", now=at("2026-08-13 10:00"))
    assert due_of(session, case, "decision") == day_end("2026-10-12")


def test_the_hearing_is_asked_within_5_working_days_across_may_day(session, settings, desk):
    # Notified Thu 4/30: 5/1–5/5 off; 5/6, 5/7, 5/8, 5/9 (worked Saturday), Mon 5/11.
    case = _to_notice(session, settings, desk, filed="2026-04-20 10:00",
                      notified="2026-04-30 10:00")
    assert due_of(session, case) == at("2026-05-11 17:30")
    with pytest.raises(Conflict) as late:
        move(session, settings, desk, case, "request_hearing", "officer_a",
             now=at("2026-05-12 09:00"))
    assert late.value.code == "hearing_request_late"
    move(session, settings, desk, case, "request_hearing", "officer_a",
         now=at("2026-05-11 17:00"))
    assert case.state == "hearing_requested"


def test_the_hearing_is_notified_at_least_7_working_days_ahead(session, settings, desk):
    case = _to_notice(session, settings, desk, filed="2026-09-01 10:00",
                      notified="2026-09-22 10:00")
    move(session, settings, desk, case, "request_hearing", "officer_a",
         now=at("2026-09-23 09:00"))
    # Notified Wed 9/23: 9/24, 9/28, 9/29, 9/30, 10/8, 10/9, Sat 10/10 (worked): 7 days.
    with pytest.raises(InvalidInput) as soon:
        move(session, settings, desk, case, "schedule_hearing", "officer_a",
             now=at("2026-09-23 10:00"), hearing_at=at("2026-10-09 09:00"))
    assert soon.value.code == "hearing_too_soon" and soon.value.extra["earliest"] == "2026-10-10"
    move(session, settings, desk, case, "schedule_hearing", "officer_a",
         now=at("2026-09-23 10:00"), hearing_at=at("2026-10-10 09:00"))
    assert case.state == "hearing_scheduled"


def _decided(session, settings, desk, *, decided: str, fine=20_000):
    case = _to_notice(session, settings, desk, filed="2026-09-01 10:00",
                      notified="2026-09-10 10:00", fine=fine)
    move(session, settings, desk, case, "decide", now=at(decided), outcome="penalty",
         penalty_types=["fine"], fine_fen=fine)
    return case


def test_service_within_7_working_days_across_mid_autumn_and_national_day(session, settings,
                                                                           desk):
    # Decided Wed 9/23: 9/24, 9/28, 9/29, 9/30, 10/8, 10/9, Sat 10/10 (worked).
    case = _decided(session, settings, desk, decided="2026-09-23 10:00")
    assert due_of(session, case) == at("2026-10-10 17:30")
    assert due_of(session, case, "publication")  # 公示 within 20 working days runs too


def test_service_by_public_notice_is_deemed_after_30_days(session, settings, desk):
    # Published Thu 9/3: +30 days is Sat 10/3, inside National Day → the end of Thu 10/8.
    case = _decided(session, settings, desk, decided="2026-09-02 10:00")
    move(session, settings, desk, case, "serve_by_notice", "officer_a",
         now=at("2026-09-03 10:00"))
    assert case.state == "public_notice"
    assert due_of(session, case) == day_end("2026-10-08")
    move(session, settings, desk, case, "deem_served", "officer_a", now=at("2026-10-09 09:00"))
    assert case.state == "served"
    # 15 days to pay from service: 10/24 (Sat) → Mon 10/26.
    assert due_of(session, case) == day_end("2026-10-26")
    assert case.payment_due_at == day_end("2026-10-26")


def test_the_sweep_turns_an_overdue_step_red_on_the_case_once(session, settings, desk):
    from sqlalchemy import text

    from core.workflow import sweep
    from enforcement.cases.lists import CaseFilter, list_cases

    case = open_clue(session, settings, desk, now=at("2026-02-05 10:00"))
    first = sweep.sweep(session, now=at("2026-03-05 09:00"), settings=settings)
    assert first.by_case_type["enforcement.case"]["red"] >= 1
    session.refresh(case)
    assert case.deadline == "red"
    _, red = list_cases(session, principal=desk.people["head"],
                        filters=CaseFilter(step="verify", clock="red"), limit=50, offset=0)
    assert case.id in [c.id for c in red]
    again = sweep.sweep(session, now=at("2026-03-05 09:05"), settings=settings)
    assert again.by_case_type["enforcement.case"] == {"yellow": 0, "red": 0, "escalated": 0}
    assert session.execute(text(
        "SELECT escalated FROM case_clock WHERE subject_type = 'enforcement_case' "
        "AND subject_id = :id AND name = 'step'"), {"id": case.id}).scalar_one()


def test_a_public_notice_before_the_decision_stops_the_decision_clock(session, settings, desk):
    # Filed Wed 6/3: +90 days is Tue 9/1. 公告 from 6/10 10:00 to 7/10 10:00 (30 days) moves
    # the period's end to Thu 10/1, inside National Day (10/1–10/7) → the end of Thu 10/8.
    case = open_clue(session, settings, desk, now=at("2026-06-02 10:00"))
    move(session, settings, desk, case, "file", now=at("2026-06-03 10:00"),
         matter_code="TEST-CG-0001")
    assert due_of(session, case, "decision") == day_end("2026-09-01")
    move(session, settings, desk, case, "announce", "officer_a", now=at("2026-06-10 10:00"),
         reason="当事人下落不明，公告查找")
    assert case.state == "announcing" and case.suspended_from == "investigating"
    detail = case_detail(session, case, desk.people["head"], settings=settings)
    decision = next(c for c in detail["clocks"] if c["name"] == "decision")
    assert decision["paused"]
    # The publication's own 30 days (民事诉讼法第九十五条): Fri 7/10.
    assert due_of(session, case) == day_end("2026-07-10")
    with pytest.raises(Conflict) as not_now:  # no decision while the notice runs
        move(session, settings, desk, case, "conclude", "officer_a", now=at("2026-06-11 10:00"))
    assert not_now.value.code == "move_not_allowed_now"
    move(session, settings, desk, case, "end_announcement", "officer_a",
         now=at("2026-07-10 10:00"))
    assert case.state == "investigating" and case.suspended_from is None
    assert due_of(session, case, "decision") == day_end("2026-10-08")


def test_the_notice_served_by_publication_restarts_the_hearing_request_days(session,
                                                                             settings, desk):
    # Filed Tue 9/1: +90 days is Mon 11/30. The 事先告知书 is published Mon 9/14 11:00 and the
    # publication ends Wed 10/14 11:00: 30 days more → Wed 12/30. The 5 working days to ask
    # for a hearing count from 10/14: 10/15, 10/16, 10/19, 10/20, Wed 10/21.
    case = _to_notice(session, settings, desk, filed="2026-09-01 10:00",
                      notified="2026-09-14 10:00")
    move(session, settings, desk, case, "announce", "officer_a", now=at("2026-09-14 11:00"),
         reason="事先告知书无法直接送达，公告送达")
    assert due_of(session, case) == day_end("2026-10-14")
    move(session, settings, desk, case, "end_announcement", "officer_a",
         now=at("2026-10-14 11:00"))
    assert case.state == "notified"
    assert due_of(session, case) == at("2026-10-21 17:30")
    assert due_of(session, case, "decision") == day_end("2026-12-30")
