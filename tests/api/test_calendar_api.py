"""/api/v1/calendar (api/calendar.py) and `gridgov calendar` (api/cli_calendar.py).

The deadlines are worked out by hand in the comments (the 2026 facts are checked in
tests/core/workflow/test_calendar.py and test_periods.py): National Day 1–7 Oct 2026 off,
Sat 10 Oct worked (调休); 春节 15–23 Feb off, Sat 14 and Sat 28 Feb worked; office
08:30–12:00 and 14:00–17:30 in Asia/Shanghai. Natural-day (cd) and month (mo) periods end
at the end of their last day, 23:59:59.999999, moved off rest days and holidays. The API
tests run in the test's rolled-back transaction; the CLI commits, so what it loads (the
year 2035) is deleted afterwards.
"""

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app as cli_app
from core.db import get_engine
from tests.conftest import bearer

PROBLEM = "application/problem+json"
NO_2027 = "no holiday schedule for 2027: counting Monday–Friday"


def _audit_count(session, year: int) -> int:
    return session.execute(text(
        "SELECT count(*) FROM audit_event WHERE action = 'calendar.load' "
        "AND subject_id = :year"), {"year": str(year)}).scalar_one()


# --- due --------------------------------------------------------------------------------


def test_due_in_working_hours_across_national_day(client):
    # Wed 30 Sep 16:00–17:30 (1.5 h); 1–7 Oct off; Thu 8 Oct 08:30–12:00 (5 h), 14:00+3 h.
    response = client.get("/api/v1/calendar/due",
                          params={"start": "2026-09-30T16:00:00+08:00", "duration": "8h"})
    assert response.status_code == 200, response.text
    assert response.json() == {"start": "2026-09-30T16:00:00+08:00", "duration": "8h",
                               "due": "2026-10-08T17:00:00+08:00", "warnings": []}


def test_due_in_working_days_reads_a_naive_start_in_the_calendar_zone(client):
    # Working days after Wed 30 Sep: Thu 8, Fri 9, Sat 10 Oct (调休), close of office.
    body = client.get("/api/v1/calendar/due",
                      params={"start": "2026-09-30T10:00", "duration": "3d"}).json()
    assert body["start"] == "2026-09-30T10:00:00+08:00"
    assert body["due"] == "2026-10-10T17:30:00+08:00"


def test_due_answers_in_the_calendar_zone_whatever_the_offset_asked(client):
    # 02:00 UTC = 10:00 in Shanghai, as above.
    body = client.get("/api/v1/calendar/due",
                      params={"start": "2026-09-30T02:00:00Z", "duration": "3d"}).json()
    assert body["due"] == "2026-10-10T17:30:00+08:00"


def test_due_in_an_unknown_year_warns(client):
    # Thu 31 Dec 2026 + 3d, 2027 unknown: Fri 1 Jan counted, Mon 4, Tue 5 Jan.
    body = client.get("/api/v1/calendar/due",
                      params={"start": "2026-12-31T16:00:00+08:00", "duration": "3d"}).json()
    assert body["due"] == "2027-01-05T17:30:00+08:00"
    assert body["warnings"] == [NO_2027]


@pytest.mark.parametrize(("start", "duration", "due"), [
    # Wed 23 Sep + 10 natural days = Sat 3 Oct, 国庆节 (to 7 Oct) → Thu 8 Oct, end of day.
    ("2026-09-23T10:00:00+08:00", "10cd", "2026-10-08T23:59:59.999999+08:00"),
    # 行政处罚法第六十条, 90 days from 立案 on Sun 5 Jul: day 90 is Sat 3 Oct → Thu 8 Oct.
    ("2026-07-05T10:00:00+08:00", "90cd", "2026-10-08T23:59:59.999999+08:00"),
    # Thu 5 Nov + 10cd = Sun 15 Nov, an ordinary Sunday → Mon 16 Nov.
    ("2026-11-05T09:00", "10cd", "2026-11-16T23:59:59.999999+08:00"),
    # Thu 5 Feb + 10cd = Sun 15 Feb, 春节 (15–23 Feb) → Tue 24 Feb.
    ("2026-02-05T09:00", "10cd", "2026-02-24T23:59:59.999999+08:00"),
    # Tue 21 Apr + 10cd = Fri 1 May, 劳动节 (1–5 May) → Wed 6 May.
    ("2026-04-21T09:00", "10cd", "2026-05-06T23:59:59.999999+08:00"),
    # Jan 31 + 1mo: no 31 Feb, so Sat 28 Feb, a 春节调休上班 workday: it stays.
    ("2026-01-31T09:00", "1mo", "2026-02-28T23:59:59.999999+08:00"),
])
def test_due_in_natural_days_and_months(client, start, duration, due):
    response = client.get("/api/v1/calendar/due", params={"start": start, "duration": duration})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["duration"], body["due"], body["warnings"]) == (duration, due, [])


def test_due_of_a_period_into_an_unknown_year_warns(client):
    # Aug 31 2026 + 6mo = Sun 28 Feb 2027 (no 31st); 2027 counted Monday–Friday: Mon 1 Mar.
    body = client.get("/api/v1/calendar/due",
                      params={"start": "2026-08-31T09:00", "duration": "6mo"}).json()
    assert body["due"] == "2027-03-01T23:59:59.999999+08:00"
    assert body["warnings"] == [NO_2027]


@pytest.mark.parametrize("params", [
    {"start": "2026-09-30T16:00:00+08:00", "duration": "8x"},
    {"start": "2026-09-30T16:00:00+08:00", "duration": "0h"},
    {"start": "tomorrow", "duration": "8h"},
    {"duration": "8h"},
])
def test_bad_due_input_is_a_422_problem(client, params):
    response = client.get("/api/v1/calendar/due", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 422


@pytest.mark.parametrize("duration", ["0cd", "5x", "999999mo", "10000cd", "1.5mo", "mo"])
def test_a_bad_duration_is_a_422_problem_with_a_stable_code(client, duration):
    response = client.get("/api/v1/calendar/due",
                          params={"start": "2026-09-30T16:00:00+08:00", "duration": duration})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "invalid_duration" and body["status"] == 422
    assert repr(duration) in body["detail"] and "90cd" in body["detail"]


def test_a_due_moment_past_the_year_9999_is_a_422_problem(client):
    response = client.get("/api/v1/calendar/due",
                          params={"start": "9999-12-30T10:00:00+08:00", "duration": "5cd"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "due_out_of_range"


# --- a year -------------------------------------------------------------------------------


def test_a_known_year(client):
    body = client.get("/api/v1/calendar/2026").json()
    assert body["known"] and body["source"] == "chinese-calendar" and body["warnings"] == []
    assert {"date": "2026-10-10", "workday": True, "name": "国庆节调休上班"} in body["days"]


def test_an_unknown_year_is_known_false_with_the_warning(client):
    body = client.get("/api/v1/calendar/2027").json()
    assert body == {"year": 2027, "known": False, "source": None, "loaded_at": None,
                    "days": [], "warnings": [NO_2027]}


def test_loading_a_year_changes_the_deadline(client, session):
    days = [{"date": "2027-01-01", "workday": False, "name": "元旦"},
            {"date": "2027-02-06", "workday": True, "name": "春节调休上班"}]
    response = client.put("/api/v1/calendar/2027", json={"days": days})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["known"] and body["source"] == "api" and body["days"] == days
    assert _audit_count(session, 2027) == 1
    # 1 Jan now off: Mon 4, Tue 5, Wed 6 Jan; no warning any more.
    due = client.get("/api/v1/calendar/due",
                     params={"start": "2026-12-31T16:00:00+08:00", "duration": "3d"}).json()
    assert due["due"] == "2027-01-06T17:30:00+08:00"
    assert due["warnings"] == []
    assert client.get("/api/v1/calendar/2027").json()["days"] == days


@pytest.mark.parametrize(("body", "detail"), [
    ({"days": [{"date": "2027-10-01", "workday": False, "name": "国庆节"},
               {"date": "2028-01-01", "workday": False, "name": "元旦"}]}, "not in 2027"),
    ({"days": [{"date": "2027-10-01", "workday": False, "name": "国庆节"},
               {"date": "2027-10-01", "workday": False, "name": "国庆节"}]}, "listed twice"),
    ({"days": [{"date": "2027-10-01", "workday": False, "name": "节" * 60}]}, "longer than"),
    ({"days": []}, "no days"),
    ({"days": [{"date": "2027-13-01", "workday": False}]}, "date"),
    ({"days": [{"date": "2027-10-01", "workday": "perhaps"}]}, "workday"),
    ({"days": "2027-10-01"}, "days"),
])
def test_an_invalid_year_is_a_422_problem_and_writes_nothing(client, session, body, detail):
    rows = session.execute(text("SELECT count(*) FROM calendar_day")).scalar_one()
    response = client.put("/api/v1/calendar/2027", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert detail in response.json()["detail"]
    assert client.get("/api/v1/calendar/2027").json()["known"] is False
    assert session.execute(text("SELECT count(*) FROM calendar_day")).scalar_one() == rows
    assert _audit_count(session, 2027) == 0


@pytest.mark.parametrize("year", ["1999", "2101", "next"])
def test_a_year_out_of_range_is_a_422_problem(client, year):
    response = client.put(f"/api/v1/calendar/{year}", json={"days": [
        {"date": "2027-01-01", "workday": False}]})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert client.get(f"/api/v1/calendar/{year}").status_code == 422


def test_only_an_admin_loads_a_year(anonymous, settings, demo_city):
    response = anonymous.put("/api/v1/calendar/2027", headers=bearer(
        settings, role="county_dispatcher", username="dispatcher"),
        json={"days": [{"date": "2027-01-01", "workday": False}]})
    assert response.status_code == 403
    assert anonymous.get("/api/v1/calendar/2027", headers=bearer(
        settings, role="grid_worker", username="worker")).status_code == 200


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli(database_url, engine):
    """Run the CLI in-process against the test database; the year 2035 it may load is
    removed afterwards (its audit rows stay: the log is append-only)."""
    get_engine.cache_clear()
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli_app, [str(arg) for arg in args])

    try:
        yield run
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM calendar_day WHERE day BETWEEN "
                                    "'2035-01-01' AND '2035-12-31'"))
            connection.execute(text("DELETE FROM calendar_year WHERE year = 2035"))


def test_cli_due_prints_the_iso_time(cli):
    # As the API: Wed 30 Sep 16:00 + 8 working hours = Thu 8 Oct 17:00.
    result = cli("calendar", "due", "2026-09-30T16:00:00+08:00", "8h")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-10-08T17:00:00+08:00\n"
    # A naive start is in the calendar's zone.
    assert cli("calendar", "due", "2026-09-30T10:00", "3d").stdout == (
        "2026-10-10T17:30:00+08:00\n")


def test_cli_due_warns_on_stderr_for_an_unknown_year(cli):
    result = cli("calendar", "due", "2026-12-31T16:00", "3d")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2027-01-05T17:30:00+08:00\n"
    assert NO_2027 in " ".join(result.stderr.split())


def test_cli_due_in_natural_days_and_months(cli):
    # Wed 23 Sep + 10cd = Sat 3 Oct, 国庆节 → Thu 8 Oct, the end of the day.
    result = cli("calendar", "due", "2026-09-23T10:00", "10cd")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-10-08T23:59:59.999999+08:00\n"
    # Aug 31 2025 + 6mo = Sat 28 Feb 2026 (no 31st), a 调休 workday: stays.
    assert cli("calendar", "due", "2025-08-31T09:00+08:00", "6mo").stdout == (
        "2026-02-28T23:59:59.999999+08:00\n")


@pytest.mark.parametrize("args", [("yesterday", "8h"), ("2026-09-30T16:00", "8 hours"),
                                  ("2026-09-30T16:00", "0cd"), ("2026-09-30T16:00", "999999mo"),
                                  ("9999-12-30T10:00", "5cd")])
def test_cli_due_refuses_bad_input_with_exit_2(cli, args):
    result = cli("calendar", "due", *args)
    assert result.exit_code == 2
    assert "error:" in result.stderr and result.stdout == ""


def test_cli_load_a_csv_then_show_and_count_on_it(cli, tmp_path):
    path = tmp_path / "2035.csv"
    path.write_text("date,workday,name\n2035-01-01,false,元旦\n2035-01-02,false,元旦\n"
                    "2035-01-06,true,元旦调休上班\n", encoding="utf-8")

    result = cli("calendar", "load", path, "--year", "2035")

    assert result.exit_code == 0, result.output
    assert "2 holiday(s), 1 adjusted workday(s)" in " ".join(result.stderr.split())
    shown = cli("calendar", "show", "2035")
    assert shown.exit_code == 0
    assert "2035-01-06 Sat  workday  元旦调休上班" in shown.stdout
    assert json.loads(cli("calendar", "show", "2035", "--json").stdout)["source"] == "file"
    # Mon 1 and Tue 2 Jan 2035 off, Sat 6 worked: after Sun 31 Dec 2034 come Wed 3,
    # Thu 4, Fri 5, Sat 6 Jan.
    assert cli("calendar", "due", "2034-12-31T10:00", "4d").stdout == (
        "2035-01-06T17:30:00+08:00\n")


def test_cli_load_json(cli, tmp_path):
    path = tmp_path / "2035.json"
    path.write_text(json.dumps([{"date": "2035-10-01", "workday": False, "name": "国庆节"}]),
                    encoding="utf-8")
    assert cli("calendar", "load", path, "--year", "2035").exit_code == 0
    assert json.loads(cli("calendar", "show", "2035", "--json").stdout)["days"] == [
        {"date": "2035-10-01", "workday": False, "name": "国庆节"}]


@pytest.mark.parametrize(("content", "message"), [
    ("2035-01-01,false,元旦\n2036-01-01,false,元旦\n", "not in 2035"),
    ("2035-01-01,false\n2035-01-02\n", "expected date,workday,name"),
    ("[{\"date\": \"2035-01-01\"", "not JSON"),
])
def test_cli_load_of_a_bad_file_exits_2_and_writes_nothing(cli, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = cli("calendar", "load", path, "--year", "2035")
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert json.loads(cli("calendar", "show", "2035", "--json").stdout)["known"] is False


def test_cli_show_an_unknown_year_warns(cli):
    result = cli("calendar", "show", "2035")
    assert result.exit_code == 0
    assert "no holiday schedule for 2035" in " ".join(result.stderr.split())
    assert cli("calendar", "show", "1800").exit_code == 2


def test_cli_seed_refreshes_the_years_chinese_calendar_knows(cli):
    result = cli("calendar", "seed")
    assert result.exit_code == 0, result.output
    assert "from chinese-calendar: 2004–2026" in " ".join(result.stderr.split())
    assert "国庆节" in cli("calendar", "show", "2026").stdout
