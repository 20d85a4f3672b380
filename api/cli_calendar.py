"""`gridgov calendar …`: the working calendar of deadlines (core/workflow/calendar.py and
calendar_store.py): when a limit runs out, and each year's holidays and 调休."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.cli_output import err
from api.cli_output import fail as _fail
from core.db import session_scope
from core.errors import DomainError
from core.settings import get_settings

calendar_app = typer.Typer(help="The working calendar of deadlines: holidays and 调休.",
                           no_args_is_help=True)


@calendar_app.command("due")
def calendar_due(
    start: Annotated[str, typer.Argument(help="ISO 8601; no offset: the calendar's zone")],
    duration: Annotated[str, typer.Argument(
        help="8h working hours, 3d working days, 90cd natural days, 6mo months")],
) -> None:
    """Print when a time limit from START runs out (ISO 8601, with the offset).

    Natural days (cd) and months (mo) are periods: the start day is not counted, a last day
    on a rest day or holiday moves to the next working day, and the period ends at the end
    of its last day, printed as 23:59:59.999999."""
    from core.workflow.calendar_setup import parse_instant
    from core.workflow.calendar_store import load_calendar
    from core.workflow.durations import parse_duration

    try:
        limit = parse_duration(duration)
        with session_scope() as session:
            calendar = load_calendar(session, settings=get_settings())
        begin = calendar.localize(parse_instant(start))
        due = calendar.due(begin, limit)
    except DomainError as exc:
        _fail(exc)
    for warning in calendar.warnings_for(begin, due):
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    print(due.isoformat())


@calendar_app.command("load")
def calendar_load(
    file: Annotated[Path, typer.Argument(help="JSON list or CSV of date,workday,name")],
    year: Annotated[int, typer.Option(help="the year the file is the schedule of")],
) -> None:
    """Replace a year's holidays and adjusted workdays with a file's; all or nothing."""
    from core.workflow.calendar_store import load_year, read_days_file

    try:
        days = read_days_file(file)
        with session_scope() as session:
            schedule = load_year(session, year=year, days=days, source="file", actor="cli")
    except DomainError as exc:
        _fail(exc)
    holidays = sum(not day.workday for day in schedule.days)
    err.print(f"loaded {year} from {escape(str(file))}: {holidays} holiday(s), "
              f"{len(schedule.days) - holidays} adjusted workday(s)")


@calendar_app.command("show")
def calendar_show(
    year: int,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """A year's holidays and adjusted workdays, and where they came from."""
    from core.workflow.calendar import fallback_warning
    from core.workflow.calendar_store import year_schedule

    try:
        with session_scope() as session:
            schedule = year_schedule(session, year)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(schedule.as_dict(), ensure_ascii=False))
        return
    if not schedule.known:
        err.print(f"[yellow]warning:[/yellow] {fallback_warning(year)}")
        return
    print(f"{year}: from {schedule.source}, loaded {schedule.loaded_at:%Y-%m-%d %H:%M %Z}")
    for day in schedule.days:
        print(f"{day.day} {day.day:%a}  {'workday' if day.workday else 'holiday'}  {day.name}")


@calendar_app.command("seed")
def calendar_seed() -> None:
    """Store every year chinese_calendar knows (run after upgrading the package).

    Years loaded from a file or the API are kept."""
    from core.audit import record
    from core.workflow.calendar_store import seed_from_chinese_calendar

    with session_scope() as session:
        years = seed_from_chinese_calendar(session)
        record(session, actor="cli", action="calendar.seed", subject_type="calendar_year",
               subject_id="chinese-calendar", after={"years": years})
    err.print(f"seeded {len(years)} year(s) from chinese-calendar"
              + (f": {years[0]}–{years[-1]}" if years else ""))
