"""Natural-day (`cd`) and month (`mo`) periods on the working calendar
(core/workflow/durations.py, core/workflow/calendar.py).

The counting rules (民事诉讼法第八十五条, 行政诉讼法第五十一条, 民法典第二百零二条): the start
day is not counted; N months end on the same day N months later, or on that month's last
day when it has none; a last day that is a rest day or a statutory holiday moves to the
next working day, as the schedule says (a 调休 working weekend day is a working day); the
period ends at the end of its last day, 23:59:59.999999 local time.

Every due moment below is worked out by hand in the comment above it, from the 2026
schedule as chinese_calendar has it (checked first, in `test_the_2026_facts_used_here`).
"""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidInput
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_store import chinese_calendar_schedule
from core.workflow.durations import Duration, Unit, last_day, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = chinese_calendar_schedule()
CAL = WorkingCalendar([day for days in SCHEDULE.values() for day in days],
                      known_years=SCHEDULE)
PLAIN = WorkingCalendar()  # Monday to Friday, no holidays: for years nobody has scheduled
END = "23:59:59.999999"  # a period ends at the end of its last day
DAY = 86_400


def at(text: str) -> datetime:
    """Local time in Shanghai: at('2026-09-30 16:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    return at(f"{day} {END}")


def due(start: str, duration: str, calendar: WorkingCalendar = CAL, **kwargs) -> datetime:
    return calendar.due(at(start), parse_duration(duration), **kwargs)


def test_the_2026_facts_used_here():
    special = {day.day: day for day in SCHEDULE[2026]}

    def off(first: str, last: str) -> bool:
        day, stop = date.fromisoformat(first), date.fromisoformat(last)
        days = []
        while day <= stop:
            days.append(day)
            day += timedelta(days=1)
        return all(d in special and not special[d].workday for d in days)

    assert off("2026-10-01", "2026-10-07") and date(2026, 10, 8) not in special  # 国庆节
    assert special[date(2026, 9, 20)].workday and special[date(2026, 10, 10)].workday
    assert off("2026-09-25", "2026-09-27")  # 中秋节, Fri–Sun
    assert off("2026-02-15", "2026-02-23") and date(2026, 2, 24) not in special  # 春节
    assert special[date(2026, 2, 14)].workday and special[date(2026, 2, 28)].workday
    assert off("2026-05-01", "2026-05-05") and special[date(2026, 5, 9)].workday  # 劳动节
    assert [d.strftime("%a") for d in (date(2026, 9, 20), date(2026, 10, 10), date(2026, 2, 14),
                                       date(2026, 2, 28), date(2026, 11, 15))] == [
        "Sun", "Sat", "Sat", "Sat", "Sun"]
    assert 2027 not in SCHEDULE


# --- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("8h", Duration(8, Unit.hours)), ("3d", Duration(3, Unit.days)),
    ("90cd", Duration(90, Unit.natural_days)), (" 6 mo ", Duration(6, Unit.months)),
    ("9999mo", Duration(9999, Unit.months)),
])
def test_parse_every_unit(text, expected):
    assert parse_duration(text) == expected
    assert str(expected) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["0cd", "5x", "999999mo", "10000cd", "-1cd", "1.5cd", "cd",
                                  "6m", "6 months", "3 d h", "", None, 90])
def test_bad_durations_are_refused_with_a_stable_code(text):
    with pytest.raises(InvalidInput) as caught:
        parse_duration(text)
    assert caught.value.code == "invalid_duration"
    assert "90cd" in caught.value.detail  # the message shows the units


def test_a_caller_may_allow_fewer_units():
    working = (Unit.hours, Unit.days)
    assert parse_duration("3d", units=working) == Duration(3, Unit.days)
    with pytest.raises(InvalidInput, match=r"one of h \(8h\), d \(3d\):"):
        parse_duration("90cd", units=working)


def test_units_say_whether_they_are_working_time():
    assert Unit.hours.working and Unit.days.working
    assert not Unit.natural_days.working and not Unit.months.working


def test_an_extension_adds_in_one_unit_only():
    assert parse_duration("90cd") + parse_duration("30cd") == parse_duration("120cd")
    assert parse_duration("8h") + parse_duration("4h") == Duration(12, Unit.hours)
    for other in ("3mo", "30d"):
        with pytest.raises(InvalidInput, match="own unit") as caught:
            parse_duration("90cd") + parse_duration(other)
        assert caught.value.code == "duration_units_differ"


def test_last_day_on_the_plain_calendar():
    # The start day is not counted: 1 natural day after 5 Jul is 6 Jul.
    assert last_day(date(2026, 7, 5), Duration(1, Unit.natural_days)) == date(2026, 7, 6)
    # Months: the corresponding day, or the last day of a shorter month.
    assert last_day(date(2026, 1, 31), Duration(1, Unit.months)) == date(2026, 2, 28)
    assert last_day(date(2028, 1, 31), Duration(1, Unit.months)) == date(2028, 2, 29)
    assert last_day(date(2026, 3, 31), Duration(1, Unit.months)) == date(2026, 4, 30)
    assert last_day(date(2026, 11, 30), Duration(3, Unit.months)) == date(2027, 2, 28)
    assert last_day(date(2026, 12, 15), Duration(1, Unit.months)) == date(2027, 1, 15)
    assert last_day(date(2026, 1, 15), Duration(24, Unit.months)) == date(2028, 1, 15)
    with pytest.raises(ValueError, match="working time"):
        last_day(date(2026, 1, 1), Duration(3, Unit.days))


# --- natural days across the 2026 holidays -------------------------------------------------


def test_national_day_a_last_day_inside_the_holiday_moves_to_8_october():
    # Wed 23 Sep + 10cd: 24 Sep is day 1, 30 Sep day 7, Sat 3 Oct day 10, 国庆节; 4–7 Oct
    # off too, so the first working day after the holiday is Thu 8 Oct.
    assert due("2026-09-23 10:00", "10cd") == end_of("2026-10-08")
    # The raw end (before the rest-day rule) is the end of 3 Oct: what a clock stores.
    assert CAL.raw_due(at("2026-09-23 10:00"), parse_duration("10cd")) == end_of("2026-10-03")


def test_national_day_the_adjusted_saturday_is_a_last_day_like_any_workday():
    # Wed 30 Sep + 10cd = Sat 10 Oct, a 国庆节调休上班 workday: it stays. (A weekday rule
    # would have said Mon 12 Oct.)
    assert due("2026-09-30 08:00", "10cd") == end_of("2026-10-10")
    # Thu 10 Sep + 10cd = Sun 20 Sep, also worked (调休): it stays.
    assert due("2026-09-10 08:00", "10cd") == end_of("2026-09-20")


def test_a_last_day_on_an_ordinary_weekend_moves_to_monday():
    # Thu 5 Nov + 10cd = Sun 15 Nov → Mon 16 Nov; Wed 4 Nov + 10cd = Sat 14 Nov → Mon 16.
    assert due("2026-11-05 09:00", "10cd") == end_of("2026-11-16")
    assert due("2026-11-04 09:00", "10cd") == end_of("2026-11-16")
    # Fri 6 Nov + 10cd = Mon 16 Nov: a workday, stays.
    assert due("2026-11-06 09:00", "10cd") == end_of("2026-11-16")


def test_the_start_time_does_not_matter():
    # The start day is not counted, whether the clock started at 00:00 or 23:59.
    assert due("2026-11-02 00:00", "10cd") == due("2026-11-02 23:59", "10cd") == end_of(
        "2026-11-12")


def test_spring_festival():
    # Thu 5 Feb + 10cd = Sun 15 Feb, the first day of 春节 (15–23 Feb off) → Tue 24 Feb.
    assert due("2026-02-05 10:00", "10cd") == end_of("2026-02-24")
    # Wed 4 Feb + 10cd = Sat 14 Feb, 春节调休上班: a workday, stays.
    assert due("2026-02-04 10:00", "10cd") == end_of("2026-02-14")


def test_may_day():
    # Tue 21 Apr + 10cd = Fri 1 May, 劳动节 (1–5 May off) → Wed 6 May.
    assert due("2026-04-21 10:00", "10cd") == end_of("2026-05-06")
    # Fri 3 Apr + 30cd: 27 days to 30 Apr, then 1, 2, 3 May: Sun 3 May, off → Wed 6 May.
    assert due("2026-04-03 10:00", "30cd") == end_of("2026-05-06")


def test_mid_autumn_on_a_friday():
    # Tue 15 Sep + 10cd = Fri 25 Sep, 中秋节 (25–27 Sep off) → Mon 28 Sep.
    assert due("2026-09-15 10:00", "10cd") == end_of("2026-09-28")


def test_the_90_days_of_administrative_penalty_law_article_60():
    # 行政处罚法第六十条: a decision within 90 days of 立案. 立案 Sun 5 Jul: 26 days to
    # 31 Jul, 57 to 31 Aug, 87 to 30 Sep, day 90 is Sat 3 Oct (国庆节) → Thu 8 Oct.
    assert due("2026-07-05 10:00", "90cd") == end_of("2026-10-08")


# --- months ---------------------------------------------------------------------------------


def test_a_month_from_the_31st_of_january():
    # Jan 31 + 1mo: February has no 31st, so its last day, Sat 28 Feb 2026, which is a
    # 春节调休上班 workday: it stays.
    assert due("2026-01-31 09:00", "1mo") == end_of("2026-02-28")
    # 2028 is a leap year: Tue 29 Feb 2028 (no schedule: Monday–Friday).
    assert due("2028-01-31 09:00", "1mo", PLAIN) == end_of("2028-02-29")


def test_six_months_from_the_31st_of_august():
    # Aug 31 2025 + 6mo = Sat 28 Feb 2026 (no 31st), a 调休 workday: stays.
    assert due("2025-08-31 09:00", "6mo") == end_of("2026-02-28")
    # Aug 31 2026 + 6mo = Sun 28 Feb 2027; 2027 has no schedule yet, so Monday–Friday:
    # Mon 1 Mar 2027, with the warning.
    start = at("2026-08-31 09:00")
    deadline = CAL.due(start, parse_duration("6mo"))
    assert deadline == end_of("2027-03-01")
    assert CAL.warnings_for(start, deadline) == [
        "no holiday schedule for 2027: counting Monday–Friday"]


def test_months_on_the_corresponding_day():
    # Thu 15 Jan + 1mo = Sun 15 Feb, 春节 → Tue 24 Feb.
    assert due("2026-01-15 09:00", "1mo") == end_of("2026-02-24")
    # Sun 15 Mar + 1mo = Wed 15 Apr, a workday.
    assert due("2026-03-15 09:00", "1mo") == end_of("2026-04-15")
    # Wed 1 Oct 2025 + 12mo = Thu 1 Oct 2026, 国庆节 → Thu 8 Oct.
    assert due("2025-10-01 09:00", "12mo") == end_of("2026-10-08")


# --- extensions -------------------------------------------------------------------------------


def test_an_extension_moves_the_due_moment():
    # 90cd from Sun 5 Jul ends Sat 3 Oct (raw); 30 more days: 28 to 31 Oct, then 1 and 2
    # Nov: Mon 2 Nov, a workday (not 8 Oct + 30).
    start, limit, more = at("2026-07-05 10:00"), parse_duration("90cd"), parse_duration("30cd")
    assert CAL.due(start, limit, extension=more) == end_of("2026-11-02")
    assert CAL.due(start, limit, extension=more) == CAL.due(start, parse_duration("120cd"))
    assert CAL.raw_due(start, limit, extension=more) == end_of("2026-11-02")
    # 1 month more on 1mo from Jan 31: 2mo = 31 Mar.
    assert CAL.due(at("2026-01-31 09:00"), parse_duration("1mo"),
                   extension=parse_duration("1mo")) == end_of("2026-03-31")


def test_an_extension_in_another_unit_is_refused():
    with pytest.raises(InvalidInput) as caught:
        CAL.due(at("2026-07-05 10:00"), parse_duration("90cd"), extension=parse_duration("1mo"))
    assert caught.value.code == "duration_units_differ"


# --- suspensions (中止) -------------------------------------------------------------------------


def test_a_suspension_moves_the_raw_end_by_the_natural_time_suspended():
    # 90cd from 5 Jul: raw end 3 Oct (due 8 Oct). Suspended 10 Aug 10:00 → 20 Aug 10:00,
    # 10 days: raw end 13 Oct, a Tuesday and a workday: due at its end.
    start, limit = at("2026-07-05 10:00"), parse_duration("90cd")
    raw = CAL.raw_due(start, limit)
    assert CAL.resume_due(raw, 10 * DAY) == (end_of("2026-10-13"), end_of("2026-10-13"))
    pause = (at("2026-08-10 10:00"), at("2026-08-20 10:00"))
    assert CAL.due(start, limit, pauses=[pause]) == end_of("2026-10-13")


def test_the_rest_day_rule_is_applied_again_to_the_moved_raw_end():
    raw = CAL.raw_due(at("2026-07-05 10:00"), parse_duration("90cd"))  # end of Sat 3 Oct
    # 8 days: raw Sun 11 Oct, an ordinary Sunday → Mon 12 Oct; the raw end is kept as is.
    assert CAL.resume_due(raw, 8 * DAY) == (end_of("2026-10-11"), end_of("2026-10-12"))
    # 2 days: raw Mon 5 Oct, still 国庆节 → still Thu 8 Oct.
    assert CAL.resume_due(raw, 2 * DAY).due == end_of("2026-10-08")
    # Two suspensions of 4 days each, one after the other, as the 8 days at once.
    once = CAL.resume_due(raw, 4 * DAY)
    assert CAL.resume_due(once.raw_due, 4 * DAY) == CAL.resume_due(raw, 8 * DAY)


def test_a_suspension_of_hours_ends_the_period_at_the_end_of_the_next_day():
    # 10cd from Mon 2 Nov: raw end of Thu 12 Nov. Suspended 2 h: raw Fri 13 Nov 01:59:59…,
    # a workday; the period ends at the end of that day.
    raw = CAL.raw_due(at("2026-11-02 09:00"), parse_duration("10cd"))
    resumed = CAL.resume_due(raw, 2 * 3600)
    assert resumed.raw_due == at("2026-11-13 01:59:59.999999")
    assert resumed.due == end_of("2026-11-13")
    # 10cd from Tue 3 Nov: raw end of Fri 13 Nov; 2 h more fall on Sat 14 → Mon 16 Nov.
    raw = CAL.raw_due(at("2026-11-03 09:00"), parse_duration("10cd"))
    assert CAL.resume_due(raw, 2 * 3600).due == end_of("2026-11-16")


def test_which_suspensions_count():
    start, limit = at("2026-07-05 10:00"), parse_duration("90cd")  # raw 3 Oct, due 8 Oct
    # During the holiday the rule added (5 Oct → 7 Oct, 2 days): the clock still ran, the raw
    # end moves to 5 Oct, still in the holiday: 8 Oct.
    assert CAL.due(start, limit, pauses=[(at("2026-10-05 00:00"), at("2026-10-07 00:00"))]
                   ) == end_of("2026-10-08")
    # After the due moment: nothing. Before the start: counted from the start (1 day).
    assert CAL.due(start, limit, pauses=[(at("2026-10-09 10:00"), at("2026-10-20 10:00"))]
                   ) == end_of("2026-10-08")
    assert CAL.due(start, limit, pauses=[(at("2026-07-01 10:00"), at("2026-07-06 10:00"))]
                   ) == CAL.resume_due(CAL.raw_due(start, limit), DAY).due == end_of(
        "2026-10-08")
    # Overlapping suspensions count once: 10–20 Aug and 15–25 Aug are 15 days: raw 18 Oct
    # (a Sunday) → Mon 19 Oct.
    pauses = [(at("2026-08-15 10:00"), at("2026-08-25 10:00")),
              (at("2026-08-10 10:00"), at("2026-08-20 10:00"))]
    assert CAL.due(start, limit, pauses=pauses) == end_of("2026-10-19")
    with pytest.raises(ValueError, match="negative"):
        CAL.resume_due(CAL.raw_due(start, limit), -1)


# --- the warning share ---------------------------------------------------------------------------


def test_warn_at_a_share_of_the_natural_time():
    # 90cd from Sun 5 Jul 10:00 to the end of Thu 8 Oct: 95 days and 14 h = 2294 h (less
    # 1 µs). 80 % = 1835.2 h = 76 days 11 h 12 min: Sat 19 Sep 21:12.
    start, limit = at("2026-07-05 10:00"), parse_duration("90cd")
    warn = CAL.warn_at(start, limit, 0.8)
    assert abs(warn - at("2026-09-19 21:12")) <= timedelta(microseconds=1)
    assert CAL.warn_at(start, limit, 1) == CAL.due(start, limit)


def test_warn_at_moves_with_a_suspension():
    # 10cd from Mon 2 Nov 00:00 to the end of Thu 12 Nov: 11 days; half is Sat 7 Nov 12:00.
    # Suspended one day before that (3 → 4 Nov): Sun 8 Nov 12:00; the raw end moves to
    # Fri 13 Nov, the due moment with it.
    start, limit = at("2026-11-02 00:00"), parse_duration("10cd")
    assert abs(CAL.warn_at(start, limit, 0.5) - at("2026-11-07 12:00")) <= timedelta(
        microseconds=1)
    pauses = [(at("2026-11-03 00:00"), at("2026-11-04 00:00"))]
    assert abs(CAL.warn_at(start, limit, 0.5, pauses=pauses) - at("2026-11-08 12:00")) <= \
        timedelta(microseconds=1)
    assert CAL.due(start, limit, pauses=pauses) == end_of("2026-11-13")


# --- range, zones, working units unchanged -------------------------------------------------------


def test_a_due_moment_past_the_year_9999_is_invalid_input():
    for start, duration in (("9999-12-30 10:00", "5cd"), ("9999-06-01 10:00", "9999mo"),
                            ("9999-12-30 10:00", "5d")):
        with pytest.raises(InvalidInput) as caught:
            due(start, duration)
        assert caught.value.code == "due_out_of_range"
    # 9999 months from 2026 is the year 2859: counted (Monday–Friday, unscheduled).
    assert due("2026-01-15 10:00", "9999mo").year == 2859


def test_the_end_of_the_last_day_is_local_in_any_zone():
    # Berlin goes to summer time on Sun 29 Mar 2026: Fri 20 Mar + 10cd = Mon 30 Mar, ending
    # at 23:59:59.999999+02:00; a suspension of 24 h of elapsed time moves it a day.
    berlin = WorkingCalendar(timezone="Europe/Berlin", office_hours="09:00-17:00")
    start = datetime(2026, 3, 20, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    deadline = berlin.due(start, parse_duration("10cd"))
    assert deadline.isoformat() == "2026-03-30T23:59:59.999999+02:00"
    pause = (datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")),
             datetime(2026, 3, 29, 13, 0, tzinfo=ZoneInfo("Europe/Berlin")))  # 24 h elapsed
    assert berlin.due(start, parse_duration("10cd"), pauses=[pause]).isoformat() == (
        "2026-03-31T23:59:59.999999+02:00")


def test_working_units_have_no_separate_raw_end():
    start = at("2026-09-30 10:00")
    for text in ("8h", "3d"):
        assert CAL.raw_due(start, parse_duration(text)) == CAL.due(start, parse_duration(text))
    # And count as before: 3 working days after Wed 30 Sep are 8, 9 and 10 Oct (调休).
    assert CAL.due(start, parse_duration("3d")) == at("2026-10-10 17:30")


def test_every_period_ends_at_the_end_of_the_first_workday_from_its_raw_end():
    """From random starts, pauses and lengths over 2026: the due moment is the end of a
    workday, on or after the raw end's day, with only rest days between them; and `due`
    with a suspension agrees with `resume_due`."""
    rng = random.Random(20261008)
    base = at("2026-01-01 00:00")
    for _ in range(500):
        start = base + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        limit = Duration(rng.randrange(1, 60), rng.choice([Unit.natural_days, Unit.months]))
        raw, deadline = CAL.raw_due(start, limit), CAL.due(start, limit)
        assert deadline.time().isoformat() == END and CAL.is_workday(deadline.date())
        day = raw.date()
        while day < deadline.date():
            assert not CAL.is_workday(day), (start, limit)
            day += timedelta(days=1)
        begin = start + timedelta(hours=rng.randrange(0, 24 * 20))
        finish = begin + timedelta(minutes=rng.randrange(1, 60 * 24 * 30))
        if begin < deadline:
            assert CAL.due(start, limit, pauses=[(begin, finish)]) == CAL.resume_due(
                raw, (finish - begin).total_seconds()).due, (start, limit, begin, finish)
