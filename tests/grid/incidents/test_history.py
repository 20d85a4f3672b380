"""The demo history (grid/incidents/history/): the size asked, every state, timelines that
replay through the workflow, made by members of real units, the calendar's deadlines, one
step clock row per step with the incident's mirror, the sweep's colours and escalations,
an intact audit chain, the same history for the same seed, and reports where the people
are.

One moderate history is generated for the module in a transaction of its own, rolled back
at the end; the tests read it through that transaction's session (`history.session`).
Tests that write more do it in a savepoint of that session.
"""

from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import platforms
from core.audit import verify_chain
from core.codes import contains
from core.units.enums import DESK_POSITIONS
from core.users.enums import Role
from core.workflow.calendar_store import load_calendar
from core.workflow.sweep import sweep
from grid.categories.models import Category
from grid.categories.service import time_limit
from grid.incidents.case_type import rule_of
from grid.incidents.enums import FINAL, STEP_OF_STATE, State
from grid.incidents.history import HistoryCounts, generate_history
from grid.incidents.service import now_utc
from grid.incidents.workflow import INCIDENT_WORKFLOW
from grid.permissions import HAND_OFF

CITY = "430200"
DAYS, PER_DAY, SEED = 8, 120, 11  # 960 incidents: enough for every state to show up
MOVES = {t.name for t in INCIDENT_WORKFLOW.transitions}
# What each timeline entry does to the version, as the live code does it: a move, a
# hand-off (core/workflow/handoffs.py), a signature and a sweep's escalation bump it;
# links and merges into it do not.
NO_BUMP = {"link.merged", "merged_in"}
DESK = tuple(str(p) for p in DESK_POSITIONS)


@dataclass(frozen=True)
class History:
    session: Session
    counts: HistoryCounts
    now: datetime
    after_id: int  # the history's incidents have ids above this

    def scalar(self, sql: str, **params):
        return self.session.scalar(text(sql), {"after": self.after_id, **params})

    def rows(self, sql: str, **params):
        return self.session.execute(text(sql), {"after": self.after_id, **params}).all()


@contextmanager
def savepoint(session: Session):
    """Writes undone at the end, in the module's transaction."""
    nested = session.begin_nested()
    try:
        yield
    finally:
        nested.rollback()


def _load_small_city():
    """`gridgov demo load` of a small second city with 2 days × 15 incidents of history,
    the grid's demo only (each other platform's demo has its own tests), committed as the
    CLI commits, on an engine of its own that is disposed of after."""
    from typer.testing import CliRunner

    from api.cli import app
    from core.db import get_engine

    get_engine.cache_clear()
    try:
        return CliRunner().invoke(app, [
            "demo", "load", "--city", "441900", "--townships", "3", "--villages", "6",
            "--grids", "9", "--workers", "6", "--history-days", "2", "--per-day", "15",
            "--platform", "grid"])
    finally:
        get_engine().dispose()
        get_engine.cache_clear()


def test_demo_load_on_the_command_line_makes_a_history(database_url, engine, demo_city):
    """`gridgov demo load --history-days N --per-day M` on a small second city, committed
    as the CLI does, then removed. First in the module: it commits, which must not wait for
    the module's transaction below."""
    from core.platforms import remove_demos

    try:
        result = _load_small_city()
        assert result.exit_code == 0, result.output
        assert "30 incidents over 2 days" in " ".join(result.output.split())
        with engine.connect() as connection:
            assert connection.scalar(text(
                "SELECT count(*) FROM incident WHERE grid_code LIKE '4419%'")) == 30
            assert connection.scalar(text(
                "SELECT count(*) FROM timeline_event e JOIN incident i ON i.id = e.subject_id "
                "WHERE e.subject_type = 'incident' AND i.grid_code LIKE '4419%' "
                "AND e.action = 'report'")) == 30
        with Session(engine) as session:
            assert verify_chain(session).ok
    finally:
        with Session(engine) as session:
            remove_demos(session, city_code="441900")
            session.commit()


def test_a_failed_load_on_the_command_line_leaves_nothing(database_url, engine, demo_city,
                                                           monkeypatch):
    """One transaction: a load that fails at its last audit event, after the areas,
    accounts, units, history and its audit rows are written, leaves none of them behind."""
    import grid.demo

    def record_but_not_the_load(session, **event):
        if event["action"] == "demo.load":
            raise RuntimeError("the load fails at its last step")
        return record(session, **event)

    record = grid.demo.record
    monkeypatch.setattr(grid.demo, "record", record_but_not_the_load)
    tables = ("area", "grid_worker", "app_user", "unit", "membership", "incident",
              "timeline_event", "handoff", "case_clock", "audit_event")

    def counts():
        with engine.connect() as connection:
            return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}

    before = counts()
    result = _load_small_city()
    assert isinstance(result.exception, RuntimeError), result.output
    assert counts() == before


@pytest.fixture(scope="module")
def history(engine, settings, demo_city):
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    after_id = session.scalar(text(  # ids removed incidents had are not given again
        "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('incident', 'id')), 0)"))
    outbox_before = session.scalar(text("SELECT count(*) FROM outbox_message"))
    now = now_utc()
    counts = generate_history(session, city_code=CITY, days=DAYS, per_day=PER_DAY, seed=SEED,
                              now=now, settings=settings)
    assert session.scalar(text("SELECT count(*) FROM outbox_message")) == outbox_before
    try:
        yield History(session, counts, now, after_id)
    finally:
        session.close()
        transaction.rollback()
        connection.close()


def accounts_of(history: History) -> dict[str, tuple[int, Role]]:
    return {row.username: (row.id, Role(row.role)) for row in history.session.execute(text(
        "SELECT id, username, role FROM app_user WHERE scope_code LIKE '4302%'"))}


def positions_of(history: History) -> dict[str, set[tuple[int, str]]]:
    """Each account's (unit, position) memberships."""
    held = defaultdict(set)
    for row in history.rows("SELECT u.username, m.unit_id, m.position FROM membership m "
                            "JOIN app_user u ON u.id = m.user_id WHERE m.is_active"):
        held[row.username].add((row.unit_id, row.position))
    return held


def timelines(history: History) -> dict[int, list]:
    by_incident = defaultdict(list)
    for event in history.rows("""
            SELECT subject_id, id, at, actor, action, from_state, to_state, note, data
            FROM timeline_event WHERE subject_type = 'incident' AND subject_id > :after
            ORDER BY subject_id, at, id"""):
        by_incident[event.subject_id].append(event)
    return by_incident


def incidents(history: History) -> dict[int, object]:
    return {row.id: row for row in history.rows(
        "SELECT * FROM incident WHERE id > :after ORDER BY id")}


def clocks_by_incident(history: History) -> dict[int, list]:
    by_incident = defaultdict(list)
    for clock in history.rows("""
            SELECT * FROM case_clock WHERE subject_type = 'incident' AND subject_id > :after
            ORDER BY subject_id, started_at, id"""):
        by_incident[clock.subject_id].append(clock)
    return by_incident


# --- size and variety ------------------------------------------------------------------

def test_the_counts_are_what_was_asked(history):
    counts = history.counts
    assert counts.incidents == DAYS * PER_DAY
    assert history.scalar("SELECT count(*) FROM incident WHERE id > :after") == DAYS * PER_DAY
    assert sum(counts.by_state.values()) == DAYS * PER_DAY
    assert dict(history.rows("SELECT state, count(*) FROM incident WHERE id > :after "
                             "GROUP BY state")) == counts.by_state
    for table, counted in (("timeline_event", counts.events), ("handoff", counts.handoffs),
                           ("case_clock", counts.clocks)):
        assert history.scalar(f"SELECT count(*) FROM {table} WHERE subject_type = 'incident' "
                              "AND subject_id > :after") == counted, table
    assert history.scalar("SELECT count(*) FROM incident_reporter WHERE incident_id > :after"
                          ) == counts.reporters
    assert history.scalar(
        "SELECT count(*) FROM audit_event WHERE subject_type = 'incident' AND subject_id IN "
        "(SELECT id::text FROM incident WHERE id > :after)") == counts.audit_events
    # About seven moves an incident, each audited, and all of it in the window asked for.
    assert 5 * counts.incidents < counts.audit_events < 10 * counts.incidents
    assert 3 * counts.incidents < counts.clocks < 6 * counts.incidents
    first, last = history.rows("SELECT min(reported_at), max(reported_at) FROM incident "
                               "WHERE id > :after")[0]
    assert (history.now - first).days == DAYS - 1 and last < history.now
    assert history.scalar("SELECT count(*) FROM incident WHERE id > :after "
                          "AND idempotency_key IS NOT NULL") == 0


def test_every_state_shows_up(history):
    assert set(history.counts.by_state) == {str(state) for state in State}


def test_overdue_returned_reworked_escalated_and_suspended_ones_exist(history):
    row = history.rows("""
        SELECT count(*) FILTER (WHERE deadline = 'red' AND state NOT IN
                                ('closed', 'evaluated', 'void', 'merged', 'verified',
                                 'suspended')) AS red_open,
               count(*) FILTER (WHERE deadline = 'yellow') AS yellow,
               count(*) FILTER (WHERE ever_overdue) AS ever_overdue,
               count(*) FILTER (WHERE return_count > 0) AS returned,
               count(*) FILTER (WHERE rework_count > 0) AS reworked,
               count(*) FILTER (WHERE escalation_count > 0) AS escalated,
               count(*) FILTER (WHERE owner_code ~ '^[0-9]{9}$') AS township_owned,
               count(*) FILTER (WHERE verified_on_time IS false) AS verified_late,
               count(*) FILTER (WHERE state = 'suspended' AND EXISTS (
                   SELECT 1 FROM case_clock c WHERE c.subject_type = 'incident'
                   AND c.subject_id = incident.id AND c.paused_at IS NOT NULL
                   AND c.remaining_seconds IS NOT NULL)) AS suspended,
               count(*) FILTER (WHERE rating IS NOT NULL) AS rated
        FROM incident WHERE id > :after""")[0]
    assert all(value > 0 for value in row), row._asdict()
    statuses = dict(history.rows("SELECT status, count(*) FROM handoff WHERE subject_type = "
                                 "'incident' AND subject_id > :after GROUP BY status"))
    assert statuses.get("signed", 0) > 0 and statuses.get("pending", 0) > 0
    creators = dict(history.rows("SELECT created_by = 'system', count(*) FROM handoff "
                                 "WHERE subject_type = 'incident' AND subject_id > :after "
                                 "GROUP BY 1"))
    assert creators.get(True, 0) > 0 and creators.get(False, 0) > 0  # sweep's and a centre's
    # Older incidents are mostly finished, the last day's mostly still open.
    old, recent = history.rows("""
        SELECT avg((state IN ('closed', 'evaluated', 'void', 'merged'))::int)
               FILTER (WHERE reported_at < :now - interval '5 days'),
               avg((state IN ('closed', 'evaluated', 'void', 'merged'))::int)
               FILTER (WHERE reported_at > :now - interval '1 day')
        FROM incident WHERE id > :after""", now=history.now)[0]
    assert old > 0.6 and recent < 0.4


def test_units_replace_free_text(history):
    """Held by centres, dispatched to the units that cover the grid: the village's and the
    township's centres, the 综合行政执法队, the 市场监管所, the county's 大队."""
    owners = history.rows("""
        SELECT count(*) FILTER (WHERE u.id IS NULL) AS no_centre,
               count(*) FILTER (WHERE u.seat_code <> i.owner_code) AS wrong_code
        FROM incident i LEFT JOIN unit u ON u.id = i.owner_unit_id AND u.kind = 'centre'
        WHERE i.id > :after""")[0]
    assert tuple(owners) == (0, 0)
    handlers = dict(history.rows("""
        SELECT u.kind || coalesce(':' || u.department_code, ''), count(*)
        FROM incident i JOIN unit u ON u.id = i.handler_unit_id
        WHERE i.id > :after GROUP BY 1"""))
    assert {"centre:governance", "enforcement_team:chengguan", "market_office:market"} \
        <= set(handlers), handlers
    assert {"brigade:chengguan", "brigade:ecology"} & set(handlers), handlers
    outside = history.scalar("""
        SELECT count(*) FROM incident i WHERE i.id > :after AND i.handler_unit_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = i.handler_unit_id
                        AND i.grid_code LIKE ua.area_code || '%')""")
    assert outside == 0
    # The handler named is at the unit's desk, or the grid's worker at his village centre.
    strangers = history.scalar("""
        SELECT count(*) FROM incident i WHERE i.id > :after AND i.handler_user_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.unit_id = i.handler_unit_id
                        AND m.user_id = i.handler_user_id AND m.is_active
                        AND m.position = ANY(:positions))""",
                               positions=[*DESK, "grid_worker"])
    assert strangers == 0


# --- the rules hold ----------------------------------------------------------------------

def test_each_timeline_replays_through_the_workflow(history):
    """Every move is one the workflow allows the actor's role from the state it was in;
    hand-offs are escalated by the system or a centre and signed by the receiving unit's
    desk; the version counts what bumps it."""
    accounts, held = accounts_of(history), positions_of(history)
    receivers = {row.id: row.to_unit_id for row in history.rows(
        "SELECT id, to_unit_id FROM handoff WHERE subject_type = 'incident' "
        "AND subject_id > :after")}
    stored = incidents(history)
    for incident_id, events in timelines(history).items():
        incident = stored[incident_id]
        assert events[0].action == "report" and events[0].to_state == "reported"
        state, before_suspension, bumps = "reported", None, 0
        for event in events[1:]:
            bumps += event.action not in NO_BUMP
            if event.action in NO_BUMP:
                continue
            if event.action.startswith("handoff."):
                assert event.from_state is None and event.to_state is None
                if event.action == "handoff.escalate":
                    assert event.actor == "system" or accounts[event.actor][1] in HAND_OFF
                else:
                    assert event.action == "handoff.sign", event
                    unit = receivers[event.data["handoff"]]
                    assert any((unit, p) in held[event.actor] for p in DESK), event
                continue
            assert event.action in MOVES, event
            move = INCIDENT_WORKFLOW.check(event.action, state=state,
                                           role=accounts[event.actor][1], reason=event.note)
            assert event.from_state == state, (incident_id, event)
            if event.action == "suspend":
                before_suspension = state
            target = move.target or before_suspension
            assert event.to_state == target, (incident_id, event)
            state = target
        assert state == incident.state, incident_id
        assert incident.version == 1 + bumps, incident_id


def test_timestamps_never_go_backwards(history):
    stored = incidents(history)
    for incident_id, events in timelines(history).items():
        times = [event.at for event in events]
        assert times == sorted(times), incident_id
        assert times[0] == stored[incident_id].reported_at and times[-1] <= history.now
        incident = stored[incident_id]
        marks = [incident.reported_at, incident.filed_at, incident.dispatched_at,
                 incident.handled_at, incident.verified_at, incident.closed_at]
        present = [m for m in marks if m is not None]
        # Re-dispatch and rework move some marks later; never before the report.
        assert min(present) == incident.reported_at
        if incident.closed_at:
            assert incident.closed_at >= incident.verified_at >= incident.handled_at


def test_open_deadlines_are_the_calendars_and_the_colours_the_sweeps(history, settings):
    calendar = load_calendar(history.session, settings=settings)
    categories = {c.id: c for c in history.session.query(Category)}
    resumed = {row[0] for row in history.rows(
        "SELECT DISTINCT subject_id FROM timeline_event WHERE subject_type = 'incident' "
        "AND action = 'resume' AND subject_id > :after")}
    pending = {row[0] for row in history.rows(
        "SELECT subject_id FROM handoff WHERE subject_type = 'incident' "
        "AND status = 'pending' AND subject_id > :after")}
    running = {c.subject_id: c for c in history.rows(
        "SELECT * FROM case_clock WHERE subject_type = 'incident' AND subject_id > :after "
        "AND stopped_at IS NULL")}
    checked = 0
    for incident in incidents(history).values():
        if State(incident.state) not in STEP_OF_STATE:
            assert incident.step_due_at is None or incident.state == "suspended"
            continue
        assert incident.step == STEP_OF_STATE[State(incident.state)]
        if incident.deadline == "red":  # escalated once by the sweep, or awaiting a signature
            assert incident.ever_overdue
            assert running[incident.id].escalated or incident.id in pending, incident.id
        if incident.id in resumed:  # counted from the resumption, with what was left
            continue
        limit = time_limit(categories[incident.category_id], urgency=incident.urgency,
                           step=incident.step)
        assert incident.step_due_at == calendar.due(incident.step_started_at, limit)
        assert incident.step_warn_at == calendar.warn_at(
            incident.step_started_at, limit, settings.deadline_warn_share)
        expected = ("red" if history.now >= incident.step_due_at else
                    "yellow" if history.now >= incident.step_warn_at else "green")
        assert incident.deadline == expected, incident.id
        checked += 1
    assert checked > 100


def test_one_clock_row_per_step_it_ran_and_the_incident_mirrors_it(history):
    """A case_clock row for each step clock started (the report's, then each move into
    another step), one after the other; the running one is what the incident's step
    columns show, paused while suspended; a stopped one knows whether it ran out."""
    categories = {c.id: c for c in history.session.query(Category)}
    steps, paused = INCIDENT_WORKFLOW.steps, INCIDENT_WORKFLOW.paused_states
    clocks, events = clocks_by_incident(history), timelines(history)
    for incident in incidents(history).values():
        starts = 1 + sum(1 for e in events[incident.id] if e.action in MOVES
                         and e.from_state not in paused and e.to_state not in paused
                         and steps.get(e.to_state) not in (None, steps.get(e.from_state)))
        rows = clocks[incident.id]
        assert len(rows) == starts, incident.id
        assert rows[0].started_at == incident.reported_at
        for earlier, later in zip(rows, rows[1:], strict=False):
            assert earlier.stopped_at == later.started_at, incident.id
        for row in rows:
            assert (row.subject_type, row.case_type, row.name) == ("incident", "incident",
                                                                   "step")
            assert row.warn_at <= row.due_at and row.started_at < row.due_at
            if row.stopped_at is not None:
                assert row.late == (row.colour == "red" or row.stopped_at > row.due_at)
                assert row.paused_at is None and row.stopped_at <= history.now
        live = [row for row in rows if row.stopped_at is None]
        if incident.state in FINAL or incident.state == "verified":
            assert not live and incident.step is None, incident.id
            continue
        (clock,) = live
        assert (clock.paused_at is not None) == (incident.state == "suspended"), incident.id
        if incident.state == "suspended":
            assert clock.remaining_seconds is not None
        rule = rule_of(categories[incident.category_id], urgency=incident.urgency,
                       step=incident.step)
        assert (clock.limit, clock.citation) == (str(rule.limit), rule.citation)
        assert (clock.started_at, clock.warn_at, clock.due_at, clock.colour) == (
            incident.step_started_at, incident.step_warn_at, incident.step_due_at,
            incident.deadline), incident.id
        if clock.escalated:
            assert clock.colour == "red"


def test_a_sweep_now_finds_nothing_left_to_do(history, settings):
    platforms.load()  # the incident case type, whose clocks the sweep reads

    def snapshot():
        return history.rows("""
            SELECT i.id, i.deadline, i.owner_code, i.owner_unit_id, i.escalation_count,
                   i.version,
                   (SELECT count(*) FROM handoff h WHERE h.subject_type = 'incident'
                    AND h.subject_id = i.id) AS handoffs,
                   (SELECT array_agg(c.colour || c.escalated::text ORDER BY c.id)
                    FROM case_clock c WHERE c.subject_type = 'incident'
                    AND c.subject_id = i.id AND c.stopped_at IS NULL) AS clocks
            FROM incident i WHERE i.id > :after ORDER BY i.id""")

    before = snapshot()
    with savepoint(history.session):
        # (It may find work on the demo city's own history, loaded a while before now.)
        sweep(history.session, now=history.now, settings=settings)
        assert snapshot() == before


def test_the_audit_chain_verifies_and_runs_in_time_order(history):
    assert verify_chain(history.session).ok
    times = [row[0] for row in history.rows(
        "SELECT at FROM audit_event WHERE subject_type = 'incident' AND subject_id IN "
        "(SELECT id::text FROM incident WHERE id > :after) ORDER BY id")]
    assert times == sorted(times) and len(times) == history.counts.audit_events


def test_actors_are_members_of_the_units_they_act_for(history):
    """Every actor is an account (or the sweep); the centre's moves are made by a desk
    member of a centre over the grid, the handler's by the member named; the grid worker
    reports and verifies in his grids."""
    accounts, held = accounts_of(history), positions_of(history)
    centres = dict(history.rows("SELECT id, seat_code FROM unit WHERE kind = 'centre'"))
    stored = incidents(history)
    actors = set()
    for incident_id, events in timelines(history).items():
        incident = stored[incident_id]
        handler = next((username for username, (user_id, _) in accounts.items()
                        if user_id == incident.handler_user_id), None)
        last_dispatch = max((n for n, e in enumerate(events) if e.action == "dispatch"),
                            default=len(events))
        for n, event in enumerate(events):
            actors.add(event.actor)
            assert event.actor == "system" or event.actor in accounts, event
            if event.action in ("file", "dispatch", "close", "void", "merge"):
                assert any(p in DESK and unit in centres
                           and contains(centres[unit], incident.grid_code)
                           for unit, p in held[event.actor]), event
            if event.action in ("accept", "handle") and n > last_dispatch:
                assert event.actor == handler, event
    assert {"demo_village_staff", "demo_township_staff", "demo_county_dispatcher"} & actors
    # A grid worker's report is his, and he verifies in his grids.
    wrong = history.scalar("""
        SELECT count(*) FROM incident i
        JOIN timeline_event e ON e.subject_type = 'incident' AND e.subject_id = i.id
        JOIN grid_worker w ON w.id = i.responsible_worker_id JOIN app_user u ON u.id = w.user_id
        WHERE i.id > :after AND ((e.action = 'report' AND i.source = 'grid_worker')
                                 OR e.action = 'verify') AND e.actor <> u.username""")
    assert wrong == 0
    reporters = history.scalar("""
        SELECT count(*) FROM incident i WHERE i.id > :after AND NOT EXISTS (
            SELECT 1 FROM incident_reporter r WHERE r.incident_id = i.id
            AND r.user_id = i.reporter_id AND r.via_incident_id IS NULL)""")
    assert reporters == 0


def test_merged_ones_point_at_an_open_incident_of_the_same_kind(history):
    merged = history.rows("""
        SELECT m.id, m.category_id, m.merged_into_id, t.category_id AS target_category,
               t.reported_at AS target_reported, e.at AS merged_at
        FROM incident m JOIN incident t ON t.id = m.merged_into_id
        JOIN timeline_event e ON e.subject_type = 'incident' AND e.subject_id = m.id
             AND e.action = 'merge'
        WHERE m.id > :after AND m.state = 'merged'""")
    assert merged and len(merged) == history.counts.by_state["merged"]
    for row in merged:
        assert row.category_id == row.target_category and row.target_reported <= row.merged_at
        finished_before = history.scalar(
            "SELECT count(*) FROM timeline_event WHERE subject_type = 'incident' "
            "AND subject_id = :t AND at < :at "
            "AND to_state IN ('closed', 'evaluated', 'void', 'merged')",
            t=row.merged_into_id, at=row.merged_at)
        assert finished_before == 0
        assert history.scalar("SELECT count(*) FROM timeline_event WHERE subject_type = "
                              "'incident' AND subject_id = :t AND action = 'merged_in' "
                              "AND (data->>'from')::bigint = :m",
                              t=row.merged_into_id, m=row.id) == 1
        assert history.scalar("SELECT count(*) FROM case_link WHERE a_type = 'incident' "
                              "AND a_id = :m AND b_type = 'incident' AND b_id = :t "
                              "AND kind = 'merged'", t=row.merged_into_id, m=row.id) == 1


def test_reports_follow_population(history):
    """Grids are drawn by population: the more populous half of the grids gets about its
    share of the people's reports, and the busiest tenth far more than the quietest."""
    rows = history.rows("""
        SELECT a.population, count(i.id) AS reports
        FROM area a LEFT JOIN incident i ON i.grid_id = a.id AND i.id > :after
        WHERE a.level = 'grid' AND a.code LIKE '4302%' GROUP BY a.id ORDER BY a.population""")
    population = [row.population for row in rows]
    reports = [row.reports for row in rows]
    half = len(rows) // 2
    expected = sum(population[half:]) / sum(population)
    observed = sum(reports[half:]) / sum(reports)
    assert abs(observed - expected) < 0.1
    tenth = len(rows) // 10
    assert sum(reports[-tenth:]) > 3 * sum(reports[:tenth])


def test_common_categories_and_sources_dominate(history):
    codes = Counter(dict(history.rows(
        "SELECT c.code, count(*) FROM incident i JOIN category c ON c.id = i.category_id "
        "WHERE i.id > :after GROUP BY c.code")))
    assert codes.most_common(1)[0][0] in {"S0102", "S0104"}
    sources = Counter(dict(history.rows(
        "SELECT source, count(*) FROM incident WHERE id > :after GROUP BY source")))
    assert sources.most_common(1)[0][0] == "grid_worker"
    assert {"hotline", "patrol", "citizen_app"} <= set(sources)
    urgencies = Counter(dict(history.rows(
        "SELECT urgency, count(*) FROM incident WHERE id > :after GROUP BY urgency")))
    assert urgencies["normal"] > 0.8 * history.counts.incidents


def test_points_lie_in_their_grids(history):
    outside = history.scalar("SELECT count(*) FROM incident i JOIN area a ON a.id = i.grid_id "
                             "WHERE i.id > :after AND NOT ST_Intersects(a.geom, i.geom)")
    wrong_code = history.scalar("SELECT count(*) FROM incident i JOIN area a "
                                "ON a.id = i.grid_id WHERE i.id > :after "
                                "AND a.code <> i.grid_code")
    assert (outside, wrong_code) == (0, 0)


# --- determinism, size 0, loading and removing --------------------------------------------

def fingerprint(session: Session, after_id: int) -> list:
    """The history without its ids (they come from sequences): incidents in id order with
    their timelines, clocks and hand-offs, merges as positions in that order."""
    rows = session.execute(text("""
        SELECT i.id, i.reported_at, i.grid_code, i.category_id, i.urgency, i.source, i.state,
               i.version, i.owner_unit_id, i.handler_unit_id, i.handler_user_id,
               i.step_due_at, i.deadline, ST_AsText(i.geom),
               (SELECT array_agg(c.started_at || c."limit" || c.colour || c.escalated::text
                                 || coalesce(c.stopped_at::text, '') ORDER BY c.started_at)
                FROM case_clock c WHERE c.subject_type = 'incident' AND c.subject_id = i.id),
               (SELECT array_agg(h.created_at || h.to_code || h.status ORDER BY h.id)
                FROM handoff h WHERE h.subject_type = 'incident' AND h.subject_id = i.id),
               i.merged_into_id,
               array_agg(e.at || e.actor || e.action || coalesce(e.note, '') ORDER BY e.id)
        FROM incident i JOIN timeline_event e ON e.subject_type = 'incident'
             AND e.subject_id = i.id
        WHERE i.id > :after GROUP BY i.id ORDER BY i.id"""), {"after": after_id}).all()
    position = {row.id: n for n, row in enumerate(rows)}
    return [(*tuple(row)[1:-2], position.get(row.merged_into_id), row[-1]) for row in rows]


def test_the_same_seed_gives_the_same_history(history, settings):
    session = history.session
    with savepoint(session):
        shapes = []
        for seed in (5, 5, 6):
            after = session.scalar(text("SELECT pg_sequence_last_value("
                                        "pg_get_serial_sequence('incident', 'id'))"))
            generate_history(session, city_code=CITY, days=2, per_day=40, seed=seed,
                             now=history.now, settings=settings)
            shapes.append(fingerprint(session, after))
        first, second, other = shapes
        assert len(first) == 80 and first == second
        assert first != other


def test_size_zero_creates_nothing(history, settings):
    session = history.session
    tables = ("incident", "timeline_event", "handoff", "case_clock", "incident_reporter",
              "audit_event")
    before = {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    for days, per_day in ((0, 1000), (30, 0)):
        counts = generate_history(session, city_code=CITY, days=days, per_day=per_day,
                                  seed=1, now=history.now, settings=settings)
        assert counts == HistoryCounts()
    assert {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables} == before


def test_load_demo_makes_a_history_and_remove_demo_takes_it_away(history, settings):
    from geo.demo import DemoCounts
    from grid.demo import load_demo, remove_demo

    session = history.session
    city = "441900"
    in_city = "SELECT count(*) FROM incident WHERE grid_code LIKE '4419%'"
    kernel_rows = ("SELECT count(*) FROM {t} x WHERE x.subject_type = 'incident' "
                   "AND x.subject_id = ANY(:ids)")
    with savepoint(session):
        load_demo(session, city_code=city, seed=1, password=settings.demo_password,
                  counts=DemoCounts(township=3, village=6, grid=9, workers=6, population=10_000),
                  history_days=2, per_day=30, settings=settings, now=history.now)
        assert session.scalar(text(in_city)) == 60
        clocks = session.scalar(text(
            "SELECT count(*) FROM case_clock c JOIN incident i ON i.id = c.subject_id "
            "WHERE c.subject_type = 'incident' AND i.grid_code LIKE '4419%'"))
        assert clocks >= 60  # each report's clock, at least
        audited = session.scalar(text("SELECT count(*) FROM audit_event"))
        ids = session.scalars(text(in_city.replace("count(*)", "id"))).all()
        remove_demo(session, city_code=city)
        assert session.scalar(text(in_city)) == 0
        assert session.scalar(text("SELECT count(*) FROM area WHERE code LIKE '4419%'")) == 0
        for table in ("timeline_event", "handoff", "case_clock"):
            assert session.scalar(text(kernel_rows.format(t=table)), {"ids": ids}) == 0, table
        assert session.scalar(text("SELECT count(*) FROM audit_event")) == audited + 1
        # The demo city next door keeps its history.
        assert session.scalar(text("SELECT count(*) FROM incident WHERE id > :a"),
                              {"a": history.after_id}) == history.counts.incidents


def test_open_incidents_leave_no_final_state_behind(history):
    """Finished ones have no running clock; open ones are in a state with one (or paused)."""
    leftovers = history.scalar(f"""
        SELECT count(*) FROM incident WHERE id > :after AND state IN
        ({", ".join(f"'{s}'" for s in FINAL)}, 'verified') AND step IS NOT NULL""")
    assert leftovers == 0


# --- photos and names (issue 12 §9) -----------------------------------------------------

def test_reports_made_on_the_spot_and_handled_ones_carry_photos(history, settings):
    """A report by a worker, a patrol or the citizen app has its 上报照片, a hotline call
    none; every 处理反馈 its 处理后 photo, by whoever handled it; real, servable JPEGs."""
    from pathlib import Path

    from PIL import Image

    counts = history.counts
    photos = history.rows("""
        SELECT a.kind, a.subject_id, a.uploaded_by, a.path, a.thumbnail_path, a.sha256,
               a.bytes, a.content_type, i.source, i.reporter_id
        FROM attachment a JOIN incident i ON i.id = a.subject_id
        WHERE a.subject_type = 'incident' AND a.subject_id > :after""")
    assert len(photos) == counts.photos > 0
    reported = {p.subject_id for p in photos if p.kind == "report"}
    on_the_spot = {row.id for row in history.rows(
        "SELECT id FROM incident WHERE id > :after AND source <> 'hotline'")}
    assert reported == on_the_spot
    assert all(p.uploaded_by == p.reporter_id for p in photos if p.kind == "report")
    handlers = dict(history.rows(
        "SELECT e.subject_id, u.id FROM timeline_event e JOIN app_user u ON u.username = e.actor "
        "WHERE e.subject_type = 'incident' AND e.subject_id > :after AND e.action = 'handle'"))
    after = [p for p in photos if p.kind == "after"]
    assert {p.subject_id for p in after} == set(handlers)
    assert all(handlers[p.subject_id] == p.uploaded_by for p in after)
    # A handful of files serve them all, each its own thumbnail, under the media folder.
    files = {p.path for p in photos}
    assert 2 <= len(files) <= 12 and all(p.thumbnail_path == p.path for p in photos)
    for path in files:
        raw = (Path(settings.media_dir) / path).read_bytes()
        with Image.open(Path(settings.media_dir) / path) as image:
            assert image.format == "JPEG" and max(image.size) <= 320
        assert len(raw) < 20_000


def test_timeline_actors_are_named_people(history):
    """Every actor of the history's timeline is an account with a person's name (or the
    sweep, 系统), so that the pages show names, not user names."""
    from core.workflow.timeline import with_actor_names

    actors = {row.actor for row in history.rows(
        "SELECT DISTINCT actor FROM timeline_event WHERE subject_type = 'incident' "
        "AND subject_id > :after")}
    named = with_actor_names(history.session, [{"actor": actor} for actor in actors])
    nameless = [e["actor"] for e in named if not e["actor_name"]]
    assert nameless == []
    # A name, not the user name again (other tests' committed accounts may act here too,
    # with longer names than the demo's two to four characters).
    people = [(e["actor"], e["actor_name"]) for e in named if e["actor"] != "system"]
    assert people and all(name != actor and not name.isascii() for actor, name in people)
