"""KPIs of the incident hub (考核指标) for an area, a handling unit or a grid worker.

Keyword-only functions on a sync session. Each figure set is one hand-written statement
of FILTER aggregates: one scan of the subject's incidents, whatever the number of figures.

Whose incidents (the subject), always inside the caller's territory as well: the scope
is `grid.incidents.service.scope_condition`, compiled into the statement (in the query,
never a filter after it):

- an area: its subtree, the incidents whose `grid_code` lies in the area's code range.
  An area outside the caller's scope is not found (404);
- a unit (处置部门/单位): `handler_unit_id`, the unit the incident was dispatched to;
- a grid worker: `responsible_worker_id`, the worker of the incident's grid. A worker
  with neither a grid nor a staff code in the caller's scope is not found (404).

For a period [since, until) (at most 366 days; the API's default is the last 30 days,
up to the end of today in Asia/Shanghai):

- reported (上报数): `reported_at` in the period;
- filed (立案数): `filed_at` in the period;
- closed (结案数): `closed_at` in the period;
- close_rate (结案率): of those filed in the period, the share closed by now
  (`closed_at` not null, whenever it was closed);
- on_time_close_rate (按期结案率): of those closed in the period, the share that was
  never overdue (`ever_overdue` false);
- rework_rate (返工率): of those handled in the period (`handled_at`), the share sent
  back at least once (`rework_count` > 0);
- mean_handling_hours (平均处置时长): the mean of `closed_at − filed_at` over those
  closed in the period, in hours;
- valid_report_rate (有效上报率): of those reported in the period, the share filed
  (`filed_at` not null: not rejected, voided or merged before filing);
- on_time_verification_rate (按时核查率): of those verified in the period
  (`verified_at`), the share verified within the step's limit (`verified_on_time`).

A rate is null when its denominator is 0. Each figure comes with its numerator and
denominator counts, so a chart can show both.

Every step of an incident follows its report (reported_at ≤ filed_at ≤ … ≤ closed_at),
so an incident with anything in the period was reported before `until`: the statements
read the subject's incidents with `grid_code` in range and `reported_at < until` through
`ix_incident_grid_code_reported`, and keep those with a step in the period. That index
(and `ix_incident_handler_unit_kpis` for a unit) holds every column the figures
read, so the scan is index-only (migration 0008). The statements are planned for their
values (custom plans): a generic plan cannot tell a township's code range from a whole
city's, and picked the territory index for a grid worker's 500 incidents (230 ms instead
of 2 ms, bench/README.md).

Besides the figures: a breakdown per child area (one scan for the area and all its
children, GROUPING SETS) and a daily series of reported, filed and closed (per calendar
day in Asia/Shanghai, days without any included as zeros; one scan, GROUPING SETS too).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.scope import Scope, prefix_range, subtree_prefix_of
from core.workflow.calendar_setup import zone
from grid.incidents.service import scope_sql

TIMEZONE = "Asia/Shanghai"
DEFAULT_DAYS = 30
MAX_DAYS = 366
# The length of a child's code, by the parent's level: the prefix of an incident's grid
# code that names the child area it lies in.
CHILD_CODE_LENGTH = {"city": 6, "county": 9, "township": 12, "village": 15}
# The scope condition comes as psycopg text (pyformat placeholders, scope_sql), as the
# statements here are written, and is run with exec_driver_sql.


# --- the period ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime
    tz: tzinfo

    @property
    def days(self) -> float:
        return round((self.until - self.since) / timedelta(days=1), 4)

    def dates(self) -> list[date]:
        """The calendar days (in the period's time zone) the period touches."""
        first = self.since.astimezone(self.tz).date()
        last = (self.until - timedelta(microseconds=1)).astimezone(self.tz).date()
        return [first + timedelta(days=k) for k in range((last - first).days + 1)]

    def out(self) -> dict:
        return {"since": self.since.astimezone(self.tz), "until": self.until.astimezone(self.tz),
                "days": self.days, "timezone": str(self.tz)}


def period_of(*, since: datetime | None, until: datetime | None, now: datetime | None = None,
              tz: str | tzinfo = TIMEZONE) -> Period:
    """[since, until), by default the last 30 days up to the end of today (in `tz`).

    A time without a zone is read in `tz`. since >= until, or more than 366 days: 422.
    """
    tz = zone(tz)
    since, until = _aware(since, tz), _aware(until, tz)
    if until is None:
        today = (now or datetime.now(tz)).astimezone(tz).date()
        until = datetime.combine(today + timedelta(days=1), time(), tz)
    if since is None:
        since = until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidInput(f"the period is empty: since ({since.isoformat()}) must come "
                           f"before until ({until.isoformat()})")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"the period is {(until - since).days} days long: at most "
                           f"{MAX_DAYS} days at a time")
    return Period(since, until, tz)


def _aware(moment: datetime | None, tz: tzinfo) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=tz)


# --- the subject ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """Whose incidents: an SQL condition on `incident` (pyformat) and what to call it."""

    kind: str  # area, unit or worker
    name: str
    condition: str
    params: dict[str, Any] = field(default_factory=dict)
    code: str | None = None  # an area's
    level: str | None = None
    unit_id: int | None = None
    worker_id: int | None = None
    staff_code: str | None = None

    def out(self) -> dict:
        return {"kind": self.kind, "name": self.name, "code": self.code, "level": self.level,
                "unit_id": self.unit_id, "worker_id": self.worker_id,
                "staff_code": self.staff_code}


def area_subject(session: Session, *, code: str, scope: Scope) -> Subject:
    """An area in the caller's scope (404 otherwise) and its subtree of incidents."""
    row = connection_for_kpis(session).exec_driver_sql(
        f"SELECT a.code, a.name, a.level FROM area a WHERE a.code = %(code)s "
        f"AND {scope.area_condition('a', pyformat=True)}", {"code": code, **scope.params}
    ).first()
    if row is None:
        raise NotFound(f"no area {code} in your territory")
    bounds = prefix_range(subtree_prefix_of(row.code))
    return Subject("area", row.name, "incident.grid_code >= %(subject_low)s "
                   "AND incident.grid_code < %(subject_high)s",
                   {"subject_low": bounds["low"], "subject_high": bounds["high"]},
                   code=row.code, level=row.level)


def unit_subject(session: Session, *, unit_id: int, scope: Scope) -> Subject:
    """The incidents dispatched to a unit (`handler_unit_id`); counted inside the scope only.
    An unknown unit is 404."""
    name = connection_for_kpis(session).exec_driver_sql(
        "SELECT name FROM unit WHERE id = %(unit)s", {"unit": unit_id}).scalar()
    if name is None:
        raise NotFound(f"no unit {unit_id}", code="unit_not_found")
    return Subject("unit", name, "incident.handler_unit_id = %(unit)s", {"unit": unit_id},
                   unit_id=unit_id)


def worker_subject(session: Session, *, worker_id: int, scope: Scope) -> Subject:
    """A grid worker whose staff code or one of whose grids lies in the scope (else 404);
    the incidents of his grids (`responsible_worker_id`), counted inside the scope only."""
    scope_where, scope_params = scope_sql(scope)
    row = connection_for_kpis(session).exec_driver_sql(f"""
        SELECT w.id, w.name, w.staff_code FROM grid_worker w
        WHERE w.id = %(worker_id)s AND (
            {scope.code_condition('w.staff_code', pyformat=True)}
            OR EXISTS (SELECT 1 FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id
                       WHERE ga.worker_id = w.id AND {scope.area_condition('a', pyformat=True)})
            OR EXISTS (SELECT 1 FROM incident WHERE incident.responsible_worker_id = w.id
                       AND {scope_where}))""",
        {"worker_id": worker_id, **scope.params, **scope_params}).first()
    if row is None:
        raise NotFound(f"no grid worker {worker_id} in your territory")
    return Subject("worker", row.name, "incident.responsible_worker_id = %(worker_id)s",
                   {"worker_id": row.id}, worker_id=row.id, staff_code=row.staff_code)


# --- the statements ------------------------------------------------------------------------

def _in_period(column: str) -> str:
    return f"incident.{column} >= %(since)s AND incident.{column} < %(until)s"


# One scan, every figure: the numerators and denominators of each rate (sums and counts
# only, so that the figures of several groups add up: see children_kpis).
FIGURES_SQL = f"""
    count(*) FILTER (WHERE {_in_period('reported_at')}) AS reported,
    count(*) FILTER (WHERE {_in_period('reported_at')}
                     AND incident.filed_at IS NOT NULL) AS valid_reports,
    count(*) FILTER (WHERE {_in_period('filed_at')}) AS filed,
    count(*) FILTER (WHERE {_in_period('filed_at')}
                     AND incident.closed_at IS NOT NULL) AS filed_closed,
    count(*) FILTER (WHERE {_in_period('closed_at')}) AS closed,
    count(*) FILTER (WHERE {_in_period('closed_at')}
                     AND NOT incident.ever_overdue) AS closed_on_time,
    sum(extract(epoch FROM incident.closed_at - incident.filed_at))
        FILTER (WHERE {_in_period('closed_at')}) AS handling_seconds,
    count(incident.closed_at - incident.filed_at)
        FILTER (WHERE {_in_period('closed_at')}) AS handling_count,
    count(*) FILTER (WHERE {_in_period('handled_at')}) AS handled,
    count(*) FILTER (WHERE {_in_period('handled_at')}
                     AND incident.rework_count > 0) AS reworked,
    count(*) FILTER (WHERE {_in_period('verified_at')}) AS verified,
    count(*) FILTER (WHERE {_in_period('verified_at')}
                     AND incident.verified_on_time) AS verified_on_time"""

# An incident with a step in the period (every step follows the report: see the module).
TOUCHES_PERIOD_SQL = """incident.reported_at < %(until)s AND (
    incident.reported_at >= %(since)s OR incident.filed_at >= %(since)s
    OR incident.handled_at >= %(since)s OR incident.verified_at >= %(since)s
    OR incident.closed_at >= %(since)s)"""


def connection_for_kpis(session: Session):
    """The session's connection, planning this transaction's statements for their values
    (psycopg prepares a statement run five times, and PostgreSQL may then keep one generic
    plan for every subject: see the module docstring). Set once per transaction."""
    connection = session.connection()
    transaction = session.get_transaction()
    if session.info.get("custom_plans") is not transaction:
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        session.info["custom_plans"] = transaction
    return connection


def child_areas(connection, *, subject: Subject, scope: Scope) -> list:
    """The direct children of an area subject inside the scope, in code order (a grid
    has none)."""
    if subject.level == "grid":
        return []
    return connection.exec_driver_sql(
        f"SELECT c.code, c.name, c.level FROM area c JOIN area p ON p.id = c.parent_id "
        f"WHERE p.code = %(code)s AND {scope.area_condition('c', pyformat=True)} "
        f"ORDER BY c.code", {"code": subject.code, **scope.params}).all()


def _where(subject: Subject, period: Period, scope: Scope) -> tuple[str, dict]:
    scope_where, scope_params = scope_sql(scope)
    where = f"({subject.condition}) AND ({scope_where}) AND {TOUCHES_PERIOD_SQL}"
    return where, {**subject.params, **scope_params, "since": period.since,
                   "until": period.until}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures_of(row) -> dict:
    """The API's figures from one row of FIGURES_SQL."""
    seconds, timed = row.handling_seconds, row.handling_count
    return {
        "reported": row.reported, "filed": row.filed, "closed": row.closed,
        "close_rate": _rate(row.filed_closed, row.filed),
        "on_time_close_rate": _rate(row.closed_on_time, row.closed),
        "rework_rate": _rate(row.reworked, row.handled),
        "mean_handling_hours": round(float(seconds) / timed / 3600, 2) if timed else None,
        "valid_report_rate": _rate(row.valid_reports, row.reported),
        "on_time_verification_rate": _rate(row.verified_on_time, row.verified),
        "counts": {"valid_reports": row.valid_reports, "filed_closed": row.filed_closed,
                   "closed_on_time": row.closed_on_time, "handled": row.handled,
                   "reworked": row.reworked, "verified": row.verified,
                   "verified_on_time": row.verified_on_time},
    }


# --- figures, breakdown, series ------------------------------------------------------------

def kpis(session: Session, *, subject: Subject, period: Period, scope: Scope) -> dict:
    """The subject's figures over the period: one statement, one scan."""
    where, params = _where(subject, period, scope)
    row = connection_for_kpis(session).exec_driver_sql(
        f"SELECT {FIGURES_SQL} FROM incident WHERE {where}", params).one()
    return {"subject": subject.out(), "period": period.out(), "figures": figures_of(row)}


def children_kpis(session: Session, *, subject: Subject, period: Period, scope: Scope
                  ) -> dict:
    """An area's figures and each child area's (in the scope), in one scan grouped by the
    child's code prefix; the area's own figures are the children's sums (GROUPING SETS
    would give both too, but cannot be aggregated in parallel: 40 % slower for a county
    and more for a city). A grid has no children."""
    if subject.kind != "area":
        raise InvalidInput("a breakdown by child area needs an area")
    length = CHILD_CODE_LENGTH.get(subject.level, 15)
    where, params = _where(subject, period, scope)
    connection = connection_for_kpis(session)
    rows = connection.exec_driver_sql(
        f"SELECT left(incident.grid_code, {int(length)}) AS child, {FIGURES_SQL} "
        f"FROM incident WHERE {where} GROUP BY 1", params).mappings().all()
    whole = _Row({key: sum(row[key] or 0 for row in rows) for key in _SUMS})
    by_child = {row["child"]: _Row(row) for row in rows}
    children = child_areas(connection, subject=subject, scope=scope)
    empty = _Row({key: 0 for key in _SUMS})
    return {"subject": subject.out(), "period": period.out(), "figures": figures_of(whole),
            "children": [{"code": c.code, "name": c.name, "level": c.level,
                          "figures": figures_of(by_child.get(c.code, empty))}
                         for c in children]}


# Every column of FIGURES_SQL: counts and one sum, so groups add up.
_SUMS = ("reported", "valid_reports", "filed", "filed_closed", "closed", "closed_on_time",
         "handling_seconds", "handling_count", "handled", "reworked", "verified",
         "verified_on_time")


class _Row:
    """A mapping read like a result row (row.reported)."""

    def __init__(self, values) -> None:
        self._values = values

    def __getattr__(self, name: str):
        return self._values[name]


def daily_series(session: Session, *, subject: Subject, period: Period, scope: Scope
                 ) -> dict:
    """Reported, filed and closed per calendar day (in the period's time zone), one scan:
    each incident's three days (null outside the period) grouped by GROUPING SETS, one set
    per instant (a LATERAL VALUES of the three took a third longer)."""
    where, params = _where(subject, period, scope)
    day = "CASE WHEN {at} >= %(since)s AND {at} < %(until)s " \
          "THEN (({at}) AT TIME ZONE %(tz)s)::date END"
    rows = connection_for_kpis(session).exec_driver_sql(f"""
        SELECT grouping(r, f, c) AS kind, coalesce(r, f, c) AS day, count(*) AS n
        FROM (SELECT {day.format(at='incident.reported_at')} AS r,
                     {day.format(at='incident.filed_at')} AS f,
                     {day.format(at='incident.closed_at')} AS c
              FROM incident WHERE {where}) AS instants
        GROUP BY GROUPING SETS ((r), (f), (c))""", {**params, "tz": str(period.tz)}).all()
    # grouping() is a bit mask of the columns left out: 0b011 is the set (r), and so on.
    kinds = {0b011: "reported", 0b101: "filed", 0b110: "closed"}
    counts = {(kinds[row.kind], row.day): row.n for row in rows if row.day is not None}
    days = [{"date": d, **{kind: counts.get((kind, d), 0) for kind in kinds.values()}}
            for d in period.dates()]
    return {"subject": subject.out(), "period": period.out(), "days": days}


# --- by subject ----------------------------------------------------------------------------

def area_kpis(session: Session, *, code: str, since: datetime | None,
              until: datetime | None, scope: Scope, tz: str | tzinfo = TIMEZONE) -> dict:
    period = period_of(since=since, until=until, tz=tz)
    return kpis(session, subject=area_subject(session, code=code, scope=scope), period=period,
                scope=scope)


def unit_kpis(session: Session, *, unit_id: int, since: datetime | None,
              until: datetime | None, scope: Scope, tz: str | tzinfo = TIMEZONE) -> dict:
    period = period_of(since=since, until=until, tz=tz)
    subject = unit_subject(session, unit_id=unit_id, scope=scope)
    return kpis(session, subject=subject, period=period, scope=scope)


def worker_kpis(session: Session, *, worker_id: int, since: datetime | None,
                until: datetime | None, scope: Scope, tz: str | tzinfo = TIMEZONE) -> dict:
    period = period_of(since=since, until=until, tz=tz)
    subject = worker_subject(session, worker_id=worker_id, scope=scope)
    return kpis(session, subject=subject, period=period, scope=scope)


def area_breakdown(session: Session, *, code: str, since: datetime | None,
                   until: datetime | None, scope: Scope, tz: str | tzinfo = TIMEZONE) -> dict:
    period = period_of(since=since, until=until, tz=tz)
    return children_kpis(session, subject=area_subject(session, code=code, scope=scope),
                         period=period, scope=scope)


def subject_of(session: Session, *, area: str | None = None, unit: int | None = None,
               worker: int | None = None, scope: Scope) -> Subject:
    """Exactly one of area, unit and worker (422 otherwise)."""
    given = [name for name, value in (("area", area), ("unit", unit),
                                       ("worker", worker)) if value is not None]
    if len(given) != 1:
        raise InvalidInput("name exactly one subject: area, unit or worker"
                           + (f" (got {', '.join(given)})" if given else ""),
                           code="kpi_subject_ambiguous")
    if area is not None:
        return area_subject(session, code=area, scope=scope)
    if unit is not None:
        return unit_subject(session, unit_id=unit, scope=scope)
    return worker_subject(session, worker_id=worker, scope=scope)
