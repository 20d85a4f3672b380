"""Elapsed minutes on the kernel's clocks (core/workflow: `30min`), added for 吹哨报到's
response limits: start + N minutes day or night, holidays or not; a suspension moves the
end by the time suspended; the warning at its share of the time; only where a caller opts
in (the law's periods are never in minutes). Each due moment worked out in a comment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidInput
from core.workflow import clocks
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_store import chinese_calendar_schedule
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import KNOWN_UNITS, Unit, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = chinese_calendar_schedule()
CAL = WorkingCalendar([day for days in SCHEDULE.values() for day in days], known_years=SCHEDULE)
CALL = Subject("test_call", 1)
RESPOND = ClockRule("step", parse_duration("30min", units=KNOWN_UNITS), citation="test")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_minutes_are_opt_in():
    with pytest.raises(InvalidInput) as refused:
        parse_duration("30min")  # a law's limit: never in minutes
    assert refused.value.code == "invalid_duration"
    assert parse_duration("30min", units=KNOWN_UNITS).unit is Unit.minutes
    assert parse_duration(" 2min ", units=KNOWN_UNITS).amount == 2


def test_thirty_minutes_run_at_night_and_on_holidays(session):
    # National Day (2026-10-01, a holiday), 23:50: due 30 minutes later, 10-02 00:20 — no
    # office hours, no rest-day rule; the warning at 80 %: 24 minutes, 10-02 00:14.
    clock = clocks.start(session, CALL, RESPOND, case_type="test",
                         now=at("2026-10-01 23:50"), calendar=CAL, warn_share=0.8)
    assert clock.due_at == at("2026-10-02 00:20")
    assert clock.warn_at == at("2026-10-02 00:14")
    assert clocks.colour_at(clock, at("2026-10-02 00:15")) == "yellow"
    assert clocks.colour_at(clock, at("2026-10-02 00:20")) == "red"


def test_a_suspension_moves_the_end_by_the_time_suspended(session):
    # Started 10:00, due 10:30; suspended 10:10-10:25 (15 minutes): due 10:45, warning
    # 10:24 + 15 = 10:39.
    clock = clocks.start(session, CALL, RESPOND, case_type="test", now=at("2026-12-07 10:00"),
                         calendar=CAL, warn_share=0.8)
    clocks.pause_clock(clock, now=at("2026-12-07 10:10"), calendar=CAL)
    clocks.resume_clock(clock, now=at("2026-12-07 10:25"), calendar=CAL)
    assert clock.due_at == at("2026-12-07 10:45")
    assert clock.warn_at == at("2026-12-07 10:39")
    assert clock.colour == "green"
