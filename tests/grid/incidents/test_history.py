"""The demo history (grid/incidents/history/): the size asked, every state, timelines
that replay through the workflow, the calendar's deadlines, the sweep's colours, an intact
audit chain, the same history for the same seed, and reports where the people are.

One moderate history is generated for the module in a transaction of its own, rolled back
at the end; the tests read it through that transaction's session (`history.session`).
Tests that write more do it in a savepoint of that session: a second connection writing
audit rows would wait for the chain head this transaction holds.
"""

import re
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.audit import verify_chain
from core.users.enums import HAND_OFF, Role
from core.workflow.calendar_store import load_calendar
from grid.categories.models import Category
from grid.categories.service import time_limit
from grid.incidents.enums import FINAL, STEP_OF_STATE, State
from grid.incidents.handoffs import PLATFORM_ROLES
from grid.incidents.history import HistoryCounts, generate_history
from grid.incidents.service import now_utc
from grid.incidents.sweep import sweep
from grid.incidents.workflow import INCIDENT_WORKFLOW

CITY = "430200"
DAYS, PER_DAY, SEED = 8, 120, 11  # 960 incidents: enough for every state to show up
ROLE_AT_UNIT = re.compile(r"^([a-z_]+)@(\d{6}|\d{9}|\d{12}|\d{15})$")


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


def test_demo_load_on_the_command_line_makes_a_history(database_url, engine, demo_city):
    """`gridgov demo load --history-days N --per-day M` on a small second city, committed
    as the CLI does, then removed. First in the module: it commits audit rows, which must
    not wait for the module's transaction below."""
    from typer.testing import CliRunner

    from api.cli import app
    from core.db import get_engine
    from grid.demo import remove_demo

    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, [
            "demo", "load", "--city", "441900", "--townships", "3", "--villages", "6",
            "--grids", "9", "--workers", "6", "--history-days", "2", "--per-day", "15"])
        assert result.exit_code == 0, result.output
        assert "30 incidents over 2 days" in " ".join(result.output.split())
        with engine.connect() as connection:
            assert connection.scalar(text(
                "SELECT count(*) FROM incident WHERE grid_code LIKE '4419%'")) == 30
            assert connection.scalar(text(
                "SELECT count(*) FROM incident_event e JOIN incident i ON i.id = e.incident_id "
                "WHERE i.grid_code LIKE '4419%' AND e.action = 'report'")) == 30
        with Session(engine) as session:
            assert verify_chain(session).ok
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        with Session(engine) as session:
            remove_demo(session, city_code="441900")
            session.commit()


def test_a_failed_load_on_the_command_line_leaves_nothing(database_url, engine, demo_city,
                                                           monkeypatch):
    """One transaction: a load that fails at its last audit event, after the areas,
    accounts, history and its audit rows are written, leaves none of them behind."""
    from typer.testing import CliRunner

    import grid.demo
    from api.cli import app
    from core.db import get_engine

    def record_but_not_the_load(session, **event):
        if event["action"] == "demo.load":
            raise RuntimeError("the load fails at its last step")
        return record(session, **event)

    record = grid.demo.record
    monkeypatch.setattr(grid.demo, "record", record_but_not_the_load)
    tables = ("area", "grid_worker", "app_user", "incident", "incident_event", "audit_event")

    def counts():
        with engine.connect() as connection:
            return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}

    before = counts()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, [
            "demo", "load", "--city", "441900", "--townships", "3", "--villages", "6",
            "--grids", "9", "--workers", "6", "--history-days", "2", "--per-day", "15"])
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
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


def roles_by_username(history: History) -> dict[str, Role]:
    return {row.username: Role(row.role) for row in history.session.execute(text(
        "SELECT username, role FROM app_user WHERE scope_code LIKE '4302%'"))}


def role_of(actor: str, accounts: dict[str, Role]) -> Role | None:
    """The role behind a timeline's actor: an account's, or the one named with its unit."""
    if actor in accounts:
        return accounts[actor]
    match = ROLE_AT_UNIT.match(actor)
    return Role(match[1]) if match and match[1] in Role.__members__ else None


def timelines(history: History) -> dict[int, list]:
    by_incident = defaultdict(list)
    for event in history.rows("""
            SELECT incident_id, id, at, actor, action, from_state, to_state, note, data
            FROM incident_event WHERE incident_id > :after ORDER BY incident_id, id"""):
        by_incident[event.incident_id].append(event)
    return by_incident


def incidents(history: History) -> dict[int, object]:
    return {row.id: row for row in history.rows(
        "SELECT * FROM incident WHERE id > :after ORDER BY id")}


# --- size and variety ------------------------------------------------------------------

def test_the_counts_are_what_was_asked(history):
    counts = history.counts
    assert counts.incidents == DAYS * PER_DAY
    assert history.scalar("SELECT count(*) FROM incident WHERE id > :after") == DAYS * PER_DAY
    assert sum(counts.by_state.values()) == DAYS * PER_DAY
    assert dict(history.rows("SELECT state, count(*) FROM incident WHERE id > :after "
                             "GROUP BY state")) == counts.by_state
    assert history.scalar("SELECT count(*) FROM incident_event WHERE incident_id > :after"
                          ) == counts.events
    assert history.scalar("SELECT count(*) FROM handoff WHERE incident_id > :after"
                          ) == counts.handoffs
    assert history.scalar("SELECT count(*) FROM incident_reporter WHERE incident_id > :after"
                          ) == counts.reporters
    assert history.scalar(
        "SELECT count(*) FROM audit_event WHERE subject_type = 'incident' AND subject_id IN "
        "(SELECT id::text FROM incident WHERE id > :after)") == counts.audit_events
    # About seven moves an incident, each audited, and all of it in the window asked for.
    assert 5 * counts.incidents < counts.audit_events < 10 * counts.incidents
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
               count(*) FILTER (WHERE state = 'suspended' AND remaining_seconds IS NOT NULL)
                   AS suspended,
               count(*) FILTER (WHERE rating IS NOT NULL) AS rated
        FROM incident WHERE id > :after""")[0]
    assert all(value > 0 for value in row), row._asdict()
    statuses = dict(history.rows("SELECT h.status, count(*) FROM handoff h "
                                 "WHERE h.incident_id > :after GROUP BY h.status"))
    assert statuses.get("signed", 0) > 0 and statuses.get("pending", 0) > 0
    creators = dict(history.rows("SELECT created_by = 'system', count(*) FROM handoff "
                                 "WHERE incident_id > :after GROUP BY 1"))
    assert creators.get(True, 0) > 0 and creators.get(False, 0) > 0  # sweep's and a centre's
    # Older incidents are mostly finished, the last day's mostly still open.
    old, recent = history.rows("""
        SELECT avg((state IN ('closed', 'evaluated', 'void', 'merged'))::int)
               FILTER (WHERE reported_at < :now - interval '5 days'),
               avg((state IN ('closed', 'evaluated', 'void', 'merged'))::int)
               FILTER (WHERE reported_at > :now - interval '1 day')
        FROM incident WHERE id > :after""", now=history.now)[0]
    assert old > 0.6 and recent < 0.4


# --- the rules hold ----------------------------------------------------------------------

def test_each_timeline_replays_through_the_workflow(history):
    accounts = roles_by_username(history)
    stored = incidents(history)
    for incident_id, events in timelines(history).items():
        incident = stored[incident_id]
        assert events[0].action == "report" and events[0].to_state == "reported"
        state, before_suspension, bumps = "reported", None, 0
        for event in events[1:]:
            if event.action == "merged_in":
                assert event.data["from"] in stored
                continue
            bumps += 1
            role = role_of(event.actor, accounts)
            if event.action.startswith("handoff."):
                assert event.from_state is None and event.to_state is None
                if event.action == "handoff.escalate":
                    assert event.actor == "system" or role in HAND_OFF, event
                else:
                    assert role in PLATFORM_ROLES["grid"], event
                continue
            move = INCIDENT_WORKFLOW.check(event.action, state=state, role=role,
                                           reason=event.note)
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
        "SELECT DISTINCT incident_id FROM incident_event WHERE action = 'resume' "
        "AND incident_id > :after")}
    pending = {row[0] for row in history.rows(
        "SELECT incident_id FROM handoff WHERE status = 'pending' AND incident_id > :after")}
    checked = 0
    for incident in incidents(history).values():
        if State(incident.state) not in STEP_OF_STATE:
            assert incident.step_due_at is None or incident.state == "suspended"
            continue
        assert incident.step == STEP_OF_STATE[State(incident.state)]
        if incident.deadline == "red":  # escalated once by the sweep, or awaiting a signature
            assert incident.ever_overdue
            assert incident.overdue_escalated or incident.id in pending, incident.id
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


def test_a_sweep_now_finds_nothing_left_to_do(history, settings):
    def snapshot():
        return history.rows("""
            SELECT i.id, i.deadline, i.owner_code, i.escalation_count, i.version,
                   (SELECT count(*) FROM handoff h WHERE h.incident_id = i.id) AS handoffs
            FROM incident i WHERE i.id > :after ORDER BY i.id""")

    before = snapshot()
    with savepoint(history.session):
        sweep(history.session, now=history.now, settings=settings)
        assert snapshot() == before


def test_the_audit_chain_verifies_and_runs_in_time_order(history):
    assert verify_chain(history.session).ok
    times = [row[0] for row in history.rows(
        "SELECT at FROM audit_event WHERE subject_type = 'incident' AND subject_id IN "
        "(SELECT id::text FROM incident WHERE id > :after) ORDER BY id")]
    assert times == sorted(times) and len(times) == history.counts.audit_events


def test_actors_are_demo_accounts_or_named_roles(history):
    accounts = roles_by_username(history)
    actors = {row[0] for row in history.rows(
        "SELECT DISTINCT actor FROM incident_event WHERE incident_id > :after")}
    unnamed = {a for a in actors if a != "system" and a not in accounts
               and not ROLE_AT_UNIT.match(a)}
    assert not unnamed
    assert {"demo_village_staff", "demo_township_staff", "demo_supervisor"} & actors
    # A grid worker's report is his, and he verifies in his grids.
    wrong = history.scalar("""
        SELECT count(*) FROM incident i JOIN incident_event e ON e.incident_id = i.id
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
        JOIN incident_event e ON e.incident_id = m.id AND e.action = 'merge'
        WHERE m.id > :after AND m.state = 'merged'""")
    assert merged and len(merged) == history.counts.by_state["merged"]
    for row in merged:
        assert row.category_id == row.target_category and row.target_reported <= row.merged_at
        finished_before = history.scalar(
            "SELECT count(*) FROM incident_event WHERE incident_id = :t AND at < :at "
            "AND to_state IN ('closed', 'evaluated', 'void', 'merged')",
            t=row.merged_into_id, at=row.merged_at)
        assert finished_before == 0
        assert history.scalar("SELECT count(*) FROM incident_event WHERE incident_id = :t "
                              "AND action = 'merged_in' AND (data->>'from')::bigint = :m",
                              t=row.merged_into_id, m=row.id) == 1


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
    """The history without its ids (they come from sequences): incidents in id order,
    merges as positions in that order."""
    rows = session.execute(text("""
        SELECT i.id, i.reported_at, i.grid_code, i.category_id, i.urgency, i.source, i.state,
               i.version, i.owner_code, i.step_due_at, i.deadline, ST_AsText(i.geom),
               i.merged_into_id,
               array_agg(e.at || e.actor || e.action || coalesce(e.note, '') ORDER BY e.id)
        FROM incident i JOIN incident_event e ON e.incident_id = i.id
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
            shapes.append((fingerprint(session, after), after))
        (first, _), (second, _), (other, _) = shapes
        assert len(first) == 80 and first == second
        assert first != other


def test_size_zero_creates_nothing(history, settings):
    session = history.session
    tables = ("incident", "incident_event", "handoff", "incident_reporter", "audit_event")
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
    with savepoint(session):
        load_demo(session, city_code=city, seed=1, password=settings.demo_password,
                  counts=DemoCounts(township=3, village=6, grid=9, workers=6, population=10_000),
                  history_days=2, per_day=30, settings=settings, now=history.now)
        assert session.scalar(text(in_city)) == 60
        handoffs = session.scalar(text(
            "SELECT count(*) FROM handoff h JOIN incident i ON i.id = h.incident_id "
            "WHERE i.grid_code LIKE '4419%'"))
        audited = session.scalar(text("SELECT count(*) FROM audit_event"))
        remove_demo(session, city_code=city)
        assert session.scalar(text(in_city)) == 0
        assert session.scalar(text("SELECT count(*) FROM area WHERE code LIKE '4419%'")) == 0
        assert session.scalar(text(
            "SELECT count(*) FROM incident_event e WHERE NOT EXISTS "
            "(SELECT 1 FROM incident i WHERE i.id = e.incident_id)")) == 0
        assert session.scalar(text("SELECT count(*) FROM audit_event")) == audited + 1
        assert session.scalar(text("SELECT count(*) FROM handoff WHERE incident_id NOT IN "
                                   "(SELECT id FROM incident)")) == 0 <= handoffs
        # The demo city next door keeps its history.
        assert session.scalar(text("SELECT count(*) FROM incident WHERE id > :a"),
                              {"a": history.after_id}) == history.counts.incidents


def test_open_incidents_leave_no_final_state_behind(history):
    """Finished ones have no running clock; open ones are in a state with one (or paused)."""
    leftovers = history.scalar(f"""
        SELECT count(*) FROM incident WHERE id > :after AND state IN
        ({", ".join(f"'{s}'" for s in FINAL)}, 'verified') AND step IS NOT NULL""")
    assert leftovers == 0
