"""Each KPI against incidents counted by hand (the worked example of conftest.march):

    #   grid reported     filed        handled      verified       closed       flags
    1   a    03-02 09:00  03-02 10:00  03-05 15:00  03-06 on time  03-06 12:00  城管
    2   a    03-03 09:00  03-03 11:00  03-10 16:00  03-12 late     03-12 11:00  城管 rework overdue
    3   a    03-04 14:00  —                                                     void
    4   b    02-20 09:30  02-20 10:00  03-01 08:00  03-01 on time  03-01 11:00  城管
    5   b    03-20 07:00  03-20 10:00                                           open
    6   b    03-31 15:00  04-01 09:00
    7   a    02-01        02-01        02-05        02-06 on time  02-10        城管
    8   a    03-25 09:00  03-25 10:00  04-02                       04-03        住建
    9   a    04-01 00:00  (the period's end: excluded)
    10  b    03-01 00:00  (the period's start: included), void
    11  y    03-05 09:00  03-05 10:00  03-06 09:00  03-06 on time  03-06 15:00  城管, other county

over March 2026 in Shanghai: a and b are grids of two villages of one township.
"""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from core.errors import InvalidInput, NotFound
from core.scope import EVERYWHERE, Scope
from core.security import Principal
from core.users.enums import Role
from grid.kpis import service
from tests.grid.kpis.conftest import (
    CITY_UNIT,
    HOUSING_UNIT,
    SHANGHAI,
    SINCE,
    UNTIL,
    add_incident,
    at,
    unit_id,
)


def scope_of(code: str, role: Role = Role.county_dispatcher) -> Scope:
    return Scope.of(Principal(1, "kpi-test", role, code))


def figures(result: dict) -> dict:
    return result["figures"]


def test_every_figure_of_a_township(session, march):
    result = service.area_kpis(session, code=march.a.township, since=SINCE, until=UNTIL,
                               scope=EVERYWHERE)
    assert result["subject"]["kind"] == "area" and result["subject"]["level"] == "township"
    assert result["period"]["days"] == 31
    f = figures(result)
    assert (f["reported"], f["filed"], f["closed"]) == (7, 4, 3)  # 1 2 3 5 6 8 10; 1 2 5 8; 1 2 4
    assert f["close_rate"] == 0.75  # of 1 2 5 8, closed by now: 1 2 8
    assert f["on_time_close_rate"] == 0.6667  # of 1 2 4, never overdue: 1 4
    assert f["rework_rate"] == 0.3333  # handled 1 2 4, reworked: 2
    assert f["mean_handling_hours"] == 177.0  # (98 + 216 + 217) / 3
    assert f["valid_report_rate"] == 0.7143  # 5 of 7 filed
    assert f["on_time_verification_rate"] == 0.6667  # verified 1 2 4, on time 1 4
    assert f["counts"] == {"valid_reports": 5, "filed_closed": 3, "closed_on_time": 2,
                           "handled": 3, "reworked": 1, "verified": 3, "verified_on_time": 2}


def test_a_village_and_a_grid_count_their_subtree(session, march):
    village = figures(service.area_kpis(session, code=march.a.village, since=SINCE,
                                        until=UNTIL, scope=EVERYWHERE))
    grid = figures(service.area_kpis(session, code=march.a.code, since=SINCE, until=UNTIL,
                                     scope=EVERYWHERE))
    assert village == grid  # every incident of the village lies in grid a
    assert (village["reported"], village["filed"], village["closed"]) == (4, 3, 2)
    assert village["close_rate"] == 1.0 and village["on_time_close_rate"] == 0.5
    assert village["mean_handling_hours"] == 157.0 and village["rework_rate"] == 0.5


def test_rates_are_null_without_a_denominator(session, march):
    quiet = figures(service.area_kpis(session, code=march.a.township,
                                      since=at("06-01 00:00"), until=at("07-01 00:00"),
                                      scope=EVERYWHERE))
    assert (quiet["reported"], quiet["filed"], quiet["closed"]) == (0, 0, 0)
    for rate in ("close_rate", "on_time_close_rate", "rework_rate", "mean_handling_hours",
                 "valid_report_rate", "on_time_verification_rate"):
        assert quiet[rate] is None, rate


def test_the_breakdown_per_child_area(session, march):
    result = service.area_breakdown(session, code=march.a.township, since=SINCE, until=UNTIL,
                                    scope=EVERYWHERE)
    assert figures(result)["filed"] == 4
    children = {child["code"]: child for child in result["children"]}
    assert all(child["level"] == "village" for child in children.values())
    assert [c["code"] for c in result["children"]] == sorted(children)
    a, b = children[march.a.village]["figures"], children[march.b.village]["figures"]
    assert (a["reported"], a["filed"], a["closed"]) == (4, 3, 2)
    assert (b["reported"], b["filed"], b["closed"]) == (3, 1, 1)
    assert b["close_rate"] == 0.0 and b["on_time_close_rate"] == 1.0
    assert b["mean_handling_hours"] == 217.0 and b["valid_report_rate"] == 0.6667
    # The children add up to the whole; a village without incidents has zeros and nulls.
    for key in ("reported", "filed", "closed"):
        assert sum(c["figures"][key] for c in children.values()) == figures(result)[key]
    others = [c for code, c in children.items() if code not in (march.a.village,
                                                                 march.b.village)]
    for child in others:
        assert child["figures"]["reported"] == 0 and child["figures"]["close_rate"] is None


def test_a_grid_has_no_children(session, march):
    result = service.area_breakdown(session, code=march.a.code, since=SINCE, until=UNTIL,
                                    scope=EVERYWHERE)
    assert result["children"] == [] and figures(result)["reported"] == 4


def test_the_daily_series_counts_shanghai_days(session, march):
    subject = service.area_subject(session, code=march.a.township, scope=EVERYWHERE)
    period = service.period_of(since=SINCE, until=UNTIL)
    days = service.daily_series(session, subject=subject, period=period,
                                scope=EVERYWHERE)["days"]
    assert [d["date"] for d in days] == [date(2026, 3, 1) + timedelta(days=k)
                                         for k in range(31)]

    def on(kind: str) -> dict[int, int]:
        return {d["date"].day: d[kind] for d in days if d[kind]}
    # 5 was reported at 07:00 on 20 March in Shanghai: 19 March in UTC.
    assert on("reported") == {1: 1, 2: 1, 3: 1, 4: 1, 20: 1, 25: 1, 31: 1}
    assert on("filed") == {2: 1, 3: 1, 20: 1, 25: 1}
    assert on("closed") == {1: 1, 6: 1, 12: 1}


def test_a_unit_counts_only_the_callers_territory(session, march):
    city_unit, housing_unit = unit_id(session, CITY_UNIT), unit_id(session, HOUSING_UNIT)
    everywhere = figures(service.unit_kpis(session, unit_id=city_unit, since=SINCE,
                                                 until=UNTIL, scope=EVERYWHERE))
    assert (everywhere["reported"], everywhere["filed"], everywhere["closed"]) == (3, 3, 4)
    assert everywhere["mean_handling_hours"] == 140.0  # (98 + 216 + 217 + 29) / 4
    assert everywhere["on_time_close_rate"] == 0.75 and everywhere["rework_rate"] == 0.25
    county = figures(service.unit_kpis(session, unit_id=city_unit, since=SINCE,
                                             until=UNTIL, scope=scope_of(march.a.county)))
    assert (county["reported"], county["filed"], county["closed"]) == (2, 2, 3)  # not 11
    assert county["mean_handling_hours"] == 177.0
    housing = figures(service.unit_kpis(session, unit_id=housing_unit, since=SINCE,
                                              until=UNTIL, scope=EVERYWHERE))
    assert (housing["filed"], housing["closed"], housing["close_rate"]) == (1, 0, 1.0)
    other = figures(service.unit_kpis(session, unit_id=city_unit, since=SINCE,
                                            until=UNTIL, scope=scope_of(march.y.village,
                                                                        Role.village_staff)))
    assert (other["reported"], other["closed"]) == (1, 1)  # 11 alone


def test_a_worker_counts_his_grids_inside_the_callers_territory(session, march):
    worker = march.a.worker_id
    assert worker is not None
    result = service.worker_kpis(session, worker_id=worker, since=SINCE, until=UNTIL,
                                 scope=EVERYWHERE)
    assert result["subject"]["worker_id"] == worker and result["subject"]["staff_code"]
    mine = figures(result)
    assert (mine["reported"], mine["filed"], mine["closed"]) == (4, 3, 2)
    # Incidents of his grid that another worker answers for are not his.
    add_incident(session, march.a, reported=at("03-10 09:00"), worker_id=march.b.worker_id)
    again = figures(service.worker_kpis(session, worker_id=worker, since=SINCE, until=UNTIL,
                                        scope=scope_of(march.a.village, Role.village_staff)))
    assert again["reported"] == 4
    # A worker of another village is not in a village's territory.
    with pytest.raises(NotFound):
        service.worker_kpis(session, worker_id=worker, since=SINCE, until=UNTIL,
                            scope=scope_of(march.y.village, Role.village_staff))
    with pytest.raises(NotFound):
        service.worker_kpis(session, worker_id=10**12, since=SINCE, until=UNTIL,
                            scope=EVERYWHERE)


def test_an_area_outside_the_scope_is_not_found(session, march):
    with pytest.raises(NotFound):
        service.area_kpis(session, code=march.y.county, since=SINCE, until=UNTIL,
                          scope=scope_of(march.a.county))
    with pytest.raises(NotFound):  # above the scope is outside it too
        service.area_kpis(session, code=march.a.township, since=SINCE, until=UNTIL,
                          scope=scope_of(march.a.village, Role.village_staff))
    with pytest.raises(NotFound):
        service.area_breakdown(session, code="430299999", since=SINCE, until=UNTIL,
                               scope=EVERYWHERE)
    inside = service.area_kpis(session, code=march.a.village, since=SINCE, until=UNTIL,
                               scope=scope_of(march.a.village, Role.village_staff))
    assert figures(inside)["filed"] == 3


@pytest.mark.parametrize("since, until, message", [
    (at("03-10 00:00"), at("03-10 00:00"), "empty"),
    (at("03-10 00:00"), at("03-01 00:00"), "empty"),
    (at("01-01 00:00"), datetime(2027, 1, 3, tzinfo=SHANGHAI), "at most 366 days"),
])
def test_a_bad_period_is_invalid(session, march, since, until, message):
    with pytest.raises(InvalidInput, match=message):
        service.area_kpis(session, code=march.a.township, since=since, until=until,
                          scope=EVERYWHERE)


def test_the_default_period_is_the_last_30_days_to_the_end_of_today():
    now = datetime(2026, 3, 15, 23, 30, tzinfo=SHANGHAI)
    period = service.period_of(since=None, until=None, now=now)
    assert period.until == datetime(2026, 3, 16, tzinfo=SHANGHAI)
    assert period.since == datetime(2026, 2, 14, tzinfo=SHANGHAI)
    assert len(period.dates()) == 30
    # A time without a zone is Shanghai time; 366 days is the longest period.
    naive = service.period_of(since=datetime(2025, 3, 1), until=datetime(2026, 3, 2))
    assert naive.since == datetime(2025, 3, 1, tzinfo=SHANGHAI) and naive.days == 366


def test_one_subject_exactly(session, march):
    with pytest.raises(InvalidInput, match="exactly one"):
        service.subject_of(session, scope=EVERYWHERE)
    with pytest.raises(InvalidInput, match="exactly one"):
        service.subject_of(session, area=march.a.code, unit=unit_id(session, CITY_UNIT),
                           scope=EVERYWHERE)
    with pytest.raises(NotFound):
        service.subject_of(session, unit=10**9, scope=EVERYWHERE)


@pytest.mark.parametrize("kind, index", [("area", "ix_incident_grid_code_reported"),
                                         ("unit", "ix_incident_handler_unit_kpis")])
def test_one_index_only_scan(session, march, kind, index):
    """The figures read the incidents from one index holding every column they need."""
    session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: force the choice
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    subject = (service.area_subject(session, code=march.a.township, scope=EVERYWHERE)
               if kind == "area" else service.unit_subject(
                   session, unit_id=unit_id(session, CITY_UNIT), scope=EVERYWHERE))
    where, params = service._where(subject, service.period_of(since=SINCE, until=UNTIL),
                                   scope_of(march.a.county))
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(
        f"EXPLAIN SELECT {service.FIGURES_SQL} FROM incident WHERE {where}", params))
    assert f"Index Only Scan using {index}" in plan and plan.count("Scan") == 1, plan


def test_the_migration_matches_the_model(session):
    """What `alembic revision --autogenerate` would write for the incident table: nothing
    (migration 0008's indexes are mirrored in grid/incidents/models.py)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Base

    def ours(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table == "incident"

    context = MigrationContext.configure(session.connection(), opts={"include_object": ours})
    assert compare_metadata(context, Base.metadata) == []
