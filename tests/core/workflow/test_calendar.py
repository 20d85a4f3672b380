"""The working calendar (core/workflow/calendar.py) and its store (calendar_store.py,
migration 0005).

Every deadline below is worked out by hand in the comment above it, from the 2026
schedule as chinese_calendar has it (checked first, in `test_the_2026_facts_used_here`):
National Day 1–7 Oct (Thu–Wed) off, with Sun 20 Sep and Sat 10 Oct worked instead (调休);
office hours 08:30–12:00 and 14:00–17:30, i.e. 7 hours a day, in Asia/Shanghai (+08:00).
"""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, text

from core.errors import InvalidInput
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_setup import (
    OfficePeriod,
    SpecialDay,
    parse_instant,
    parse_office_hours,
)
from core.workflow.calendar_store import (
    chinese_calendar_schedule,
    load_calendar,
    load_year,
    seed_from_chinese_calendar,
    year_schedule,
)
from core.workflow.durations import parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = chinese_calendar_schedule()
CAL = WorkingCalendar([day for days in SCHEDULE.values() for day in days],
                      known_years=SCHEDULE)
NO_2027 = "no holiday schedule for 2027: counting Monday–Friday"


def at(text: str) -> datetime:
    """Local time in Shanghai: at('2026-09-30 16:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def due(start: str, duration: str, **kwargs) -> datetime:
    return CAL.due(at(start), parse_duration(duration), **kwargs)


# --- the schedule -----------------------------------------------------------------------


def test_the_2026_facts_used_here():
    import chinese_calendar

    for day in range(1, 8):
        assert not chinese_calendar.is_workday(date(2026, 10, day))
    assert [d for d, _ in chinese_calendar.constants.workdays.items()
            if d.year == 2026 and d.month in (9, 10)] == [date(2026, 9, 20), date(2026, 10, 10)]
    assert date(2026, 9, 20).strftime("%a") == "Sun" and date(2026, 10, 10).strftime("%a") == "Sat"
    assert chinese_calendar.is_workday(date(2026, 10, 8))  # Thursday, back to work
    assert max(SCHEDULE) == 2026


def test_holidays_and_adjusted_workdays_carry_chinese_names():
    assert CAL.special_days[date(2026, 10, 1)] == SpecialDay(date(2026, 10, 1), False, "国庆节")
    assert CAL.special_days[date(2026, 10, 10)] == SpecialDay(date(2026, 10, 10), True,
                                                              "国庆节调休上班")
    assert CAL.special_days[date(2026, 2, 17)].name == "春节"


def test_is_workday():
    assert not CAL.is_workday(date(2026, 10, 5))     # Monday in National Day
    assert CAL.is_workday(date(2026, 9, 20))         # Sunday worked (调休)
    assert CAL.is_workday(date(2026, 10, 10))        # Saturday worked (调休)
    assert not CAL.is_workday(date(2026, 11, 14))    # an ordinary Saturday
    assert CAL.is_workday(date(2026, 11, 16))        # an ordinary Monday
    assert CAL.is_workday(date(2027, 1, 1))          # unknown year: a Friday, so worked


# --- working hours ----------------------------------------------------------------------


def test_8h_across_national_day():
    # Wed 30 Sep 16:00–17:30 is 1.5 h; 1–7 Oct are off; Thu 8 Oct 08:30–12:00 brings it to
    # 5 h, and 3 h more after lunch: 14:00 + 3 h = 17:00.
    assert due("2026-09-30 16:00", "8h") == at("2026-10-08 17:00")


def test_8h_across_an_adjusted_sunday():
    # Sat 19 Sep is off; Sun 20 Sep is worked (调休): 3.5 + 3.5 = 7 h; Mon 21 Sep 08:30 + 1 h.
    assert due("2026-09-19 10:00", "8h") == at("2026-09-21 09:30")


def test_8h_across_a_weekend_ends_at_a_closing_not_the_next_opening():
    # Fri 13 Nov 11:00–12:00 (1 h) and 14:00–17:30 (3.5 h) = 4.5 h; Sat and Sun off;
    # Mon 16 Nov 08:30 + 3.5 h = 12:00 exactly, the start of lunch (not 14:00).
    assert due("2026-11-13 11:00", "8h") == at("2026-11-16 12:00")


def test_the_lunch_break_does_not_count():
    # 11:00–12:00 is 1 h, then 14:00 + 1 h.
    assert due("2026-11-17 11:00", "2h") == at("2026-11-17 15:00")
    # Started during lunch: counting begins at 14:00.
    assert due("2026-11-17 12:30", "2h") == at("2026-11-17 16:00")


def test_after_the_end_of_office_counting_starts_next_morning():
    # Tue 17 Nov 17:30 is closing: Wed 08:30 + 1 h.
    assert due("2026-11-17 17:30", "1h") == at("2026-11-18 09:30")
    # Tue 18:00: Wed is a whole 7 h day, then Thu 08:30 + 1 h.
    assert due("2026-11-17 18:00", "8h") == at("2026-11-19 09:30")


def test_working_seconds():
    # Mon 09:00–12:00 (3 h), 14:00–17:30 (3.5 h), Tue 08:30–10:00 (1.5 h) = 8 h.
    assert CAL.working_seconds(at("2026-11-16 09:00"), at("2026-11-17 10:00")) == 8 * 3600
    # Only Wed 30 Sep counts between it and Thu 8 Oct 08:30: 7 h.
    assert CAL.working_seconds(at("2026-09-30 08:30"), at("2026-10-08 08:30")) == 7 * 3600
    assert CAL.working_seconds(at("2026-11-17 12:10"), at("2026-11-17 13:50")) == 0
    assert CAL.working_seconds(at("2026-11-17 10:00"), at("2026-11-17 09:00")) == 0


def test_add_working_seconds():
    start = at("2026-11-14 10:00")  # a Saturday
    assert CAL.add_working_seconds(start, 0) == start  # unchanged, even outside office
    # From Saturday: Monday's opening + 90 s.
    assert CAL.add_working_seconds(start, 90) == at("2026-11-16 08:31:30")
    assert CAL.add_working_seconds(at("2026-11-16 08:30"), 0.5) == at(
        "2026-11-16 08:30:00.500000")


# --- working days -----------------------------------------------------------------------


def test_3d_across_national_day_and_its_adjusted_saturday():
    # Working days after Wed 30 Sep: Thu 8, Fri 9, Sat 10 Oct (调休); close of office.
    assert due("2026-09-30 10:00", "3d") == at("2026-10-10 17:30")


def test_1d_from_a_saturday_is_the_adjusted_sunday():
    assert due("2026-09-19 10:00", "1d") == at("2026-09-20 17:30")


def test_the_start_day_never_counts_whatever_the_time():
    # Tue 17 Nov, early or late: Wed 18, Thu 19, Fri 20.
    assert due("2026-11-17 00:00", "3d") == at("2026-11-20 17:30")
    assert due("2026-11-17 23:59", "3d") == at("2026-11-20 17:30")
    # Fri 13 Nov: Mon 16, Tue 17, Wed 18.
    assert due("2026-11-13 11:00", "3d") == at("2026-11-18 17:30")


# --- suspensions (挂账) ------------------------------------------------------------------


def test_a_suspension_stops_the_clock():
    # Unsuspended, Mon 16 Nov 09:00 + 8 h = Tue 10:00 (3 + 3.5 h Monday, 1.5 h Tuesday).
    assert due("2026-11-16 09:00", "8h") == at("2026-11-17 10:00")
    # Suspended Mon 15:00 → Wed 10:00 with 4 h used (09:00–12:00, 14:00–15:00): the 4 h
    # left run from Wed 10:00: 2 h to noon, then 14:00 + 2 h = 16:00.
    pauses = [(at("2026-11-16 15:00"), at("2026-11-18 10:00"))]
    assert due("2026-11-16 09:00", "8h", pauses=pauses) == at("2026-11-18 16:00")


def test_a_suspension_of_a_day_limit():
    # 3d from Mon 16 Nov: Thu 19 17:30. Suspended Tue 08:00 → Tue 23:00: all of Tue, Wed
    # and Thu (21 h) were left, counted again from Wed 08:30: Wed, Thu, Fri 20 Nov 17:30.
    pauses = [(at("2026-11-17 08:00"), at("2026-11-17 23:00"))]
    assert due("2026-11-16 10:00", "3d", pauses=pauses) == at("2026-11-20 17:30")


def test_suspensions_outside_office_hours_after_the_limit_or_before_the_start_change_nothing():
    limit = at("2026-11-17 10:00")
    weekend = (at("2026-11-14 09:00"), at("2026-11-15 18:00"))
    night = (at("2026-11-16 18:00"), at("2026-11-17 08:00"))
    late = (at("2026-11-17 10:00"), at("2026-11-20 10:00"))
    for pause in (weekend, night, late):
        assert due("2026-11-16 09:00", "8h", pauses=[pause]) == limit


def test_overlapping_suspensions_count_once():
    # Mon 15:00 → Wed 10:00 and Tue 09:00 → Tue 11:00 (inside the first): as the first alone.
    pauses = [(at("2026-11-17 09:00"), at("2026-11-17 11:00")),
              (at("2026-11-16 15:00"), at("2026-11-18 10:00"))]
    assert due("2026-11-16 09:00", "8h", pauses=pauses) == at("2026-11-18 16:00")


def test_a_suspension_must_not_end_before_it_begins():
    with pytest.raises(ValueError, match="ends before it begins"):
        due("2026-11-16 09:00", "8h",
            pauses=[(at("2026-11-17 09:00"), at("2026-11-16 09:00"))])


# --- the warning share ------------------------------------------------------------------


def test_warn_at_a_share_of_working_hours():
    # 80 % of 8 h is 6.4 h: Mon 09:00–12:00 (3 h), 14:00 + 3.4 h = 17:24.
    start = at("2026-11-16 09:00")
    assert CAL.warn_at(start, parse_duration("8h"), 0.8) == at("2026-11-16 17:24")
    assert CAL.warn_at(start, parse_duration("8h"), 1) == CAL.due(start, parse_duration("8h"))


def test_warn_at_a_share_of_working_days():
    # 3d from Wed 30 Sep 16:00 holds 1.5 h + 3 × 7 h = 22.5 h; 80 % = 18 h: 1.5 h on 30 Sep,
    # 7 h on 8 Oct, 7 h on 9 Oct, then Sat 10 Oct 08:30 + 2.5 h = 11:00.
    assert CAL.warn_at(at("2026-09-30 16:00"), parse_duration("3d"), 0.8) == at(
        "2026-10-10 11:00")


def test_warn_at_with_a_suspension():
    # 6.4 h: 4 h used before the Mon 15:00 suspension, 2.4 h from Wed 10:00: 2 h to noon,
    # 14:00 + 0.4 h = 14:24.
    pauses = [(at("2026-11-16 15:00"), at("2026-11-18 10:00"))]
    assert CAL.warn_at(at("2026-11-16 09:00"), parse_duration("8h"), 0.8,
                       pauses=pauses) == at("2026-11-18 14:24")


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_warn_share_must_be_a_share(share):
    with pytest.raises(ValueError, match="share"):
        CAL.warn_at(at("2026-11-16 09:00"), parse_duration("8h"), share)


# --- unknown years ----------------------------------------------------------------------


def test_an_unknown_year_counts_monday_to_friday_and_says_so():
    # Thu 31 Dec 2026 + 3 working days, 2027 unknown: Fri 1 Jan (a Friday, so worked),
    # Mon 4, Tue 5 Jan.
    start = at("2026-12-31 16:00")
    deadline = CAL.due(start, parse_duration("3d"))
    assert deadline == at("2027-01-05 17:30")
    assert CAL.warnings_for(start, deadline) == [NO_2027]
    assert CAL.warnings_for(at("2026-09-30 16:00"), due("2026-09-30 16:00", "3d")) == []
    assert CAL.warnings_for(at("2028-03-01 09:00")) == [
        "no holiday schedule for 2028: counting Monday–Friday"]


def test_a_year_added_as_data_changes_the_result():
    # With 1 Jan 2027 a holiday: Mon 4, Tue 5, Wed 6 Jan; no warning.
    special = [*CAL.special_days.values(), SpecialDay(date(2027, 1, 1), False, "元旦")]
    calendar = WorkingCalendar(special, known_years=[*CAL.known_years, 2027])
    start = at("2026-12-31 16:00")
    deadline = calendar.due(start, parse_duration("3d"))
    assert deadline == at("2027-01-06 17:30")
    assert calendar.warnings_for(start, deadline) == []


# --- zones, office hours, input -----------------------------------------------------------


def test_any_offset_in_the_calendar_zone_out():
    # 01:00 UTC is 09:00 in Shanghai: Mon 09:00 + 8 h = Tue 10:00 +08:00.
    deadline = CAL.due(datetime(2026, 11, 16, 1, 0, tzinfo=UTC), parse_duration("8h"))
    assert deadline == at("2026-11-17 10:00")
    assert deadline.utcoffset() == timedelta(hours=8)
    assert deadline.isoformat() == "2026-11-17T10:00:00+08:00"


def test_other_office_hours_and_zone():
    calendar = WorkingCalendar(timezone="Europe/Berlin", office_hours="09:00-17:00")
    berlin = ZoneInfo("Europe/Berlin")
    # Fri 13 Nov 2026 13:00: 4 h Friday, 4 h Monday 16 Nov from 09:00.
    start = datetime(2026, 11, 13, 13, 0, tzinfo=berlin)
    assert calendar.due(start, parse_duration("8h")) == datetime(2026, 11, 16, 13, 0,
                                                                 tzinfo=berlin)
    assert calendar.due(start, parse_duration("1d")) == datetime(2026, 11, 16, 17, 0,
                                                                 tzinfo=berlin)


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 11, 16, 9, 0)
    with pytest.raises(ValueError, match="naive"):
        CAL.due(naive, parse_duration("8h"))
    with pytest.raises(ValueError, match="naive"):
        CAL.working_seconds(naive, at("2026-11-17 09:00"))
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_seconds(naive, 60)
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_seconds(at("2026-11-16 09:00"), -1)
    assert CAL.localize(naive) == at("2026-11-16 09:00")


def test_parse_office_hours_and_instants():
    assert parse_office_hours(" 08:30-12:00, 14:00-17:30 ") == (
        OfficePeriod(at("2026-01-01 08:30").time(), at("2026-01-01 12:00").time()),
        OfficePeriod(at("2026-01-01 14:00").time(), at("2026-01-01 17:30").time()))
    for bad in ("", "8-12", "12:00-08:30", "08:30-12:00,11:00-17:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_office_hours(bad)
    assert parse_instant("2026-09-30T16:00:00+08:00") == at("2026-09-30 16:00")
    with pytest.raises(InvalidInput, match="ISO 8601"):
        parse_instant("tomorrow")


def test_adding_then_counting_gives_the_amount_back():
    """working_seconds(start, add_working_seconds(start, s)) == s, from random starts."""
    rng = random.Random(20261001)
    base = at("2026-01-01 00:00")
    for _ in range(2000):
        start = base + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        seconds = rng.randrange(1, 40 * 7 * 3600)
        end = CAL.add_working_seconds(start, seconds)
        assert CAL.working_seconds(start, end) == seconds, (start, seconds, end)


# --- the store (migration 0005 seeded it) ----------------------------------------------


def test_the_migration_seeded_every_year_chinese_calendar_knows(session):
    years = dict(session.execute(text(
        "SELECT year, source FROM calendar_year WHERE source = 'chinese-calendar'")).all())
    assert set(SCHEDULE) <= set(years)
    schedule = year_schedule(session, 2026)
    assert schedule.known and schedule.source == "chinese-calendar"
    assert SpecialDay(date(2026, 10, 1), False, "国庆节") in schedule.days
    assert SpecialDay(date(2026, 9, 20), True, "国庆节调休上班") in schedule.days
    assert not year_schedule(session, 2031).known


def test_the_stored_calendar_counts_as_the_package_does(session, settings):
    calendar = load_calendar(session, settings=settings)
    assert calendar.due(at("2026-09-30 16:00"), parse_duration("8h")) == at("2026-10-08 17:00")
    assert calendar.due(at("2026-09-30 10:00"), parse_duration("3d")) == at("2026-10-10 17:30")
    assert load_calendar(session, settings=settings) is calendar  # cached


def _audit_count(session, year: int) -> int:
    return session.execute(text(
        "SELECT count(*) FROM audit_event WHERE action = 'calendar.load' "
        "AND subject_id = :year"), {"year": str(year)}).scalar_one()


def test_loading_a_year_changes_deadlines_and_is_audited(session, settings):
    start = at("2026-12-31 16:00")
    before = load_calendar(session, settings=settings)
    assert before.due(start, parse_duration("3d")) == at("2027-01-05 17:30")
    assert before.warnings_for(start, at("2027-01-05 17:30")) == [NO_2027]

    load_year(session, year=2027, source="api", actor="tester", days=[
        {"date": "2027-01-01", "workday": False, "name": "元旦"}])

    after = load_calendar(session, settings=settings)
    # 1 Jan off: Mon 4, Tue 5, Wed 6 Jan.
    assert after.due(start, parse_duration("3d")) == at("2027-01-06 17:30")
    assert after.warnings_for(start, at("2027-01-06 17:30")) == []
    assert _audit_count(session, 2027) == 1

    # Replaced by as many days (same counts): Mon 4 Jan off instead: Fri 1, Tue 5, Wed 6.
    load_year(session, year=2027, source="file", actor="tester", days=[
        {"date": date(2027, 1, 4), "workday": "false", "name": "test"}])
    again = load_calendar(session, settings=settings)
    assert again is not after
    assert again.due(start, parse_duration("3d")) == at("2027-01-06 17:30")
    assert again.is_workday(date(2027, 1, 1)) and not again.is_workday(date(2027, 1, 4))
    assert _audit_count(session, 2027) == 2
    assert year_schedule(session, 2027).source == "file"


@pytest.mark.parametrize(("days", "message"), [
    ([{"date": "2028-01-01", "workday": False, "name": "元旦"}], "not in 2027"),
    ([{"date": "2027-01-01", "workday": False, "name": "a"},
      {"date": "2027-01-01", "workday": False, "name": "b"}], "listed twice"),
    ([{"date": "2027-01-01", "workday": False, "name": "长" * 51}], "longer than 50"),
    ([{"date": "2027-02-30", "workday": False, "name": ""}], "is not a date"),
    ([{"date": "2027-01-01", "workday": "maybe", "name": ""}], "not true or false"),
    ([{"date": "2027-01-01", "workday": False, "colour": "red"}], "unknown field"),
    ([], "no days"),
    ("2027-01-01", "a list of days"),
])
def test_an_invalid_year_writes_nothing(session, settings, days, message):
    rows = session.execute(text("SELECT count(*) FROM calendar_day")).scalar_one()
    with pytest.raises(InvalidInput, match=message):
        # A good day first: all or nothing.
        load_year(session, year=2027, source="api", actor="tester",
                  days=[{"date": "2027-10-01", "workday": False, "name": "国庆节"}, *days]
                  if isinstance(days, list) and days else days)
    assert not year_schedule(session, 2027).known
    assert session.execute(text("SELECT count(*) FROM calendar_day")).scalar_one() == rows
    assert _audit_count(session, 2027) == 0


def test_every_problem_is_named(session):
    with pytest.raises(InvalidInput) as caught:
        load_year(session, year=2027, source="api", actor="tester", days=[
            {"date": "2026-12-31", "workday": False},
            {"date": "2027-01-01", "workday": "?"}])
    assert len(caught.value.extra["problems"]) == 2


@pytest.mark.parametrize("year", [1999, 2101, True, "2027"])
def test_a_year_out_of_range_is_refused(session, year):
    with pytest.raises(InvalidInput, match="the year must be"):
        load_year(session, year=year, source="api", actor="tester",
                  days=[{"date": "2027-01-01", "workday": False, "name": ""}])


def test_seeding_again_keeps_a_year_loaded_on_purpose(session):
    load_year(session, year=2026, source="file", actor="tester", days=[
        {"date": "2026-10-01", "workday": False, "name": "国庆节"}])
    years = seed_from_chinese_calendar(session)
    assert 2026 not in years and 2025 in years
    assert len(year_schedule(session, 2026).days) == 1
    assert len(year_schedule(session, 2025).days) == len(SCHEDULE[2025])


def _tables_of(diff) -> set[str]:
    """The table names an autogenerate diff touches (a tuple, or a list of modify tuples)."""
    if isinstance(diff, list):
        return set().union(*map(_tables_of, diff))
    names = set()
    for part in diff[1:]:
        if isinstance(part, str):
            names.add(part)
        elif isinstance(getattr(part, "table", None), Table):
            names.add(part.table.name)
        elif isinstance(part, Table):
            names.add(part.name)
    return names


def test_alembic_sees_no_difference_for_the_calendar_tables(engine):
    """The models of calendar_store.py and migration 0005 agree (autogenerate finds nothing)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Base

    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [diff for diff in diffs if _tables_of(diff) & {"calendar_day", "calendar_year"}]
    assert not ours, ours
