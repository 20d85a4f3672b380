"""Named clocks of any subject (core/workflow/clocks.py) in the law's terms: a statutory
total in natural days beside a step clock in working time, each paused and extended as
the rules say; every due moment computed by hand in the comment above its assertion.

The 2026 schedule (chinese_calendar, checked in test_periods.py): 中秋 off 09-25..27,
National Day off 10-01..10-07 (Thursday to Wednesday), 调休 working days Sunday 09-20 and
Saturday 10-10; 清明 off 04-04..06; May Day off 05-01..05; Spring Festival 02-15..23.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, InvalidInput
from core.workflow import clocks
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_store import chinese_calendar_schedule
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = chinese_calendar_schedule()
CAL = WorkingCalendar([day for days in SCHEDULE.values() for day in days], known_years=SCHEDULE)
END = "23:59:59.999999"
CASE = Subject("test_case", 1)
# 行政处罚法第六十条: a decision within 90 days of 立案; +30 with the head's approval.
DECISION = ClockRule("decision", parse_duration("90cd"), citation="行政处罚法第六十条",
                     extension=parse_duration("30cd"), extension_position="head")
STEP = ClockRule("step", parse_duration("3d"), citation="test step")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def start(session, rule, when):
    return clocks.start(session, CASE, rule, case_type="test", now=when, calendar=CAL,
                        warn_share=0.8)


def test_a_90_day_total_from_a_filing_before_national_day(session):
    # Filed Tue 2026-09-29 10:00. The start day is not counted: day 1 is 09-30, day 90 is
    # 09-29 + 90 days = 2026-12-28 (Monday, a working day): due at its end.
    clock = start(session, DECISION, at("2026-09-29 10:00"))
    assert clock.due_at == at(f"2026-12-28 {END}")
    assert clock.citation == "行政处罚法第六十条" and clock.colour == "green"


def test_two_clocks_run_at_once_and_stop_apart(session):
    # The step clock: 3 working days from Mon 2026-09-28: the close of office (17:30) on
    # the 3rd working day after 09-28 → 09-29, 09-30, then after the holiday 10-01..10-07,
    # Thu 10-08.
    decision = start(session, DECISION, at("2026-09-28 09:00"))
    step = start(session, STEP, at("2026-09-28 09:00"))
    session.flush()
    assert step.due_at == at("2026-10-08 17:30")
    assert {c.name for c in clocks.clocks_of(session, CASE) if c.stopped_at is None} == \
        {"decision", "step"}
    clocks.stop(session, CASE, "step", now=at("2026-10-12 09:00"))  # after its due moment
    session.flush()
    assert step.late is True and step.stopped_at is not None
    assert clocks.running(session, CASE, "decision") is decision


def test_a_suspension_moves_a_period_by_the_days_suspended(session):
    # Filed 2026-01-05 (Mon) 10:00; 90 days: day 90 = 2026-04-05 (Sunday, and 清明 is
    # 04-04..04-06 off in 2026) → the next working day, Tue 2026-04-07.
    clock = start(session, DECISION, at("2026-01-05 10:00"))
    assert clock.due_at == at(f"2026-04-07 {END}")
    # 中止 from 2026-02-02 10:00 to 2026-02-12 10:00: 10 days suspended. The unadjusted end
    # (end of 04-05) moves 10 days to the end of 04-15 (Wednesday, a working day).
    clocks.pause(session, CASE, "decision", now=at("2026-02-02 10:00"), calendar=CAL)
    assert clock.paused_at is not None
    clocks.resume(session, CASE, "decision", now=at("2026-02-12 10:00"), calendar=CAL)
    assert clock.due_at == at(f"2026-04-15 {END}")
    assert clock.paused_seconds == 10 * 86_400 and clock.paused_at is None


def test_an_extension_moves_the_total_and_is_bounded(session):
    # 90 + 30 = 120 days from 2026-01-05: day 120 = 2026-05-05, in the May Day holiday
    # (05-01..05-05 off in 2026) → the next working day, Wed 2026-05-06.
    start(session, DECISION, at("2026-01-05 10:00"))
    clock = clocks.extend(session, CASE, DECISION, by=parse_duration("30cd"),
                          now=at("2026-03-01 09:00"), calendar=CAL, warn_share=0.8)
    assert clock.due_at == at(f"2026-05-06 {END}") and clock.extended_by == "30cd"
    with pytest.raises(InvalidInput) as refused:  # 30 days in all at most
        clocks.extend(session, CASE, DECISION, by=parse_duration("1cd"),
                      now=at("2026-03-02 09:00"), calendar=CAL, warn_share=0.8)
    assert refused.value.code == "extension_too_long"


def test_an_extension_after_a_suspension_keeps_the_days_suspended(session):
    # 2026-01-05 + 90 days, suspended 10 days (end of 04-15 as above), then +30 days:
    # the unadjusted end moves to 2026-05-15 (Friday): due at its end.
    start(session, DECISION, at("2026-01-05 10:00"))
    clocks.pause(session, CASE, "decision", now=at("2026-02-02 10:00"), calendar=CAL)
    clocks.resume(session, CASE, "decision", now=at("2026-02-12 10:00"), calendar=CAL)
    clock = clocks.extend(session, CASE, DECISION, by=parse_duration("30cd"),
                          now=at("2026-03-01 09:00"), calendar=CAL, warn_share=0.8)
    assert clock.due_at == at(f"2026-05-15 {END}")


def test_a_working_time_clock_keeps_the_office_time_left(session):
    # 3 working days from Mon 2026-03-02 09:00: due Thu 03-05 17:30. Paused Tue 03-03 at
    # 17:30 (close of office): left = all of Wed and Thu = 2 × 7 h. Resumed Mon 03-09 at
    # 08:30: 14 office hours from then end at the close of Tue 03-10.
    clock = start(session, STEP, at("2026-03-02 09:00"))
    assert clock.due_at == at("2026-03-05 17:30")
    clocks.pause(session, CASE, "step", now=at("2026-03-03 17:30"), calendar=CAL)
    assert clock.remaining_seconds == 14 * 3600
    clocks.resume(session, CASE, "step", now=at("2026-03-09 08:30"), calendar=CAL)
    assert clock.due_at == at("2026-03-10 17:30")


def test_a_rule_without_extension_refuses_one(session):
    start(session, STEP, at("2026-03-02 09:00"))
    with pytest.raises(InvalidInput) as refused:
        clocks.extend(session, CASE, STEP, by=parse_duration("1d"), now=at("2026-03-02 10:00"),
                      calendar=CAL, warn_share=0.8)
    assert refused.value.code == "extension_not_allowed"
    with pytest.raises(Conflict):
        clocks.extend(session, Subject("test_case", 2), DECISION, by=parse_duration("1cd"),
                      now=at("2026-03-02 10:00"), calendar=CAL, warn_share=0.8)


def test_the_colour_follows_the_instants():
    rule_start = at("2026-03-02 09:00")
    clock = clocks.start_detached(STEP, now=rule_start, calendar=CAL, warn_share=0.5)
    assert clocks.colour_at(clock, rule_start) == "green"
    assert clocks.colour_at(clock, clock.warn_at) == "yellow"
    assert clocks.colour_at(clock, clock.due_at + timedelta(seconds=1)) == "red"
