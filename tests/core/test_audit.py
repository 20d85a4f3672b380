"""The audit log (core/audit.py, migration 0004): the canonical hash form, the chain the
database keeps append-only, and `verify_chain` / `gridgov audit verify` after each kind
of tampering.

Most tests work in the rolled-back `session`: `empty_log` clears the shared log inside
that transaction, and tampering disables the triggers there (as a superuser can), so
nothing outlives the test. Tests that need commits (concurrent writers, the CLI) use
`committed_log`, which puts the log and its head back as they were afterwards.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from core.audit import (
    DELETED,
    EDITED,
    GENESIS_HASH,
    INSERTED,
    AuditEvent,
    canonical_json,
    event_hash,
    record,
    verify_chain,
)
from core.db import get_engine

TRIGGERS = {
    "audit_event": ("audit_event_append_only", "audit_event_no_truncate",
                    "audit_event_extend_chain"),
    "audit_chain_head": ("audit_chain_head_guard", "audit_chain_head_no_truncate"),
}


@contextmanager
def triggers_disabled(connection) -> Iterator[None]:
    """What a superuser or the table owner can do, and what verify has to catch."""
    for table in TRIGGERS:
        connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    try:
        yield
    finally:
        for table, names in TRIGGERS.items():
            for name in names:
                connection.execute(text(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}"))


def set_head(connection, last_id: int, last_hash: str) -> None:
    connection.execute(text("UPDATE audit_chain_head SET last_id = :id, last_hash = :hash"),
                       {"id": last_id, "hash": last_hash})


@pytest.fixture
def empty_log(session: Session) -> Session:
    """The test's session, with the log emptied inside its (rolled-back) transaction."""
    with triggers_disabled(session):
        session.execute(text("DELETE FROM audit_event"))
        set_head(session, 0, GENESIS_HASH)
    return session


def burn_ids(session: Session, n: int = 2) -> None:
    """Leave a gap in the ids, as rolled-back writers do."""
    for _ in range(n):
        session.execute(text("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))"))


def write_events(session: Session, n: int, *, gap_after: int | None = None) -> list[AuditEvent]:
    events = []
    for i in range(n):
        events.append(record(session, actor="tester", action="areas.import",
                             subject_type="area", subject_id=f"43020{i}",
                             before={"name": f"区{i}"}, after={"name": f"区{i}", "n": i}))
        if gap_after is not None and i == gap_after:
            burn_ids(session)
    return events


def forge(session: Session, *, id: int, prev_hash: str, actor: str = "intruder") -> str:
    """Insert a well-formed event around the triggers; its own hash is right."""
    fields = dict(id=id, at=datetime.now(UTC), actor=actor, action="user.create",
                  subject_type="user", subject_id="x", before=None, after={"role": "admin"},
                  prev_hash=prev_hash)
    digest = event_hash(**fields)
    with triggers_disabled(session):
        session.add(AuditEvent(**fields, hash=digest))
        session.flush()
    return digest


# --- canonical form -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    # RFC 8785 §3.2.2.3 and Appendix B number examples.
    (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-1.5, "-1.5"), (1e-7, "1e-7"), (1e-6, "0.000001"),
    (1e21, "1e+21"), (1e20, "100000000000000000000"), (333333333.3333333, "333333333.3333333"),
    (4.5, "4.5"), (0.002, "0.002"), (1.2e-10, "1.2e-10"), (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (123456789012345680000.0,
                                                         "123456789012345680000"),
    (12, "12"), (True, "true"), (None, "null"),
    ("€$\u000f\nA'B\"\\\\\"/", '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'),
    ({"b": [1, {"y": 2, "x": None}], "a": "网格"}, '{"a":"网格","b":[1,{"x":null,"y":2}]}'),
    # Keys sort by UTF-16 code units: U+1F600 (surrogates D83D..) before U+FB33.
    ({"\ufb33": 1, "\U0001f600": 2, "\r": 3}, '{"\\r":3,"\U0001f600":2,"\ufb33":1}'),
])
def test_canonical_json_is_rfc_8785(value, expected):
    assert canonical_json(value) == expected


def test_the_fast_path_writes_what_the_general_one_does():
    """canonical_json hands most values to the C encoder; it must not change a byte."""
    import random
    import struct

    from core.audit import _canonical, _standard_library_agrees

    rng = random.Random(8785)
    doubles = [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(5000)]
    scaled = [rng.uniform(-1, 1) * 10 ** rng.randint(-8, 22) for _ in range(5000)]
    values = [x for x in doubles + scaled if x == x and abs(x) != float("inf")]
    values += [{"名称": "荷塘区", "geo": [113.15, 27.83], "n": 3, "ok": None, "": "空"},
               {"（全角）": 1, "a": [0.5, 1e-5, 2.0]}, AWKWARD, list(range(-3, 3))]
    fast = 0
    for value in values:
        slow: list[str] = []
        _canonical(value, slow)
        assert canonical_json(value) == "".join(slow), value
        fast += _standard_library_agrees(value)
    assert fast > 1000  # the fast path was exercised


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1: "a"}, {"a": {1, 2}}])
def test_canonical_json_refuses_what_json_cannot_hold(value):
    with pytest.raises((TypeError, ValueError)):
        canonical_json(value)


def test_event_hash_follows_the_documented_form():
    """Re-implemented here from the module docstring, as an auditor would."""
    import hashlib

    at = datetime(2026, 11, 22, 8, 30, 0, 5, tzinfo=UTC)
    expected_text = ('{"action":"auth.login","actor":"张三","after":{"ok":true},'
                     '"at":"2026-11-22T08:30:00.000005Z","before":null,"id":7,'
                     f'"prev_hash":"{GENESIS_HASH}","subject_id":"12",'
                     '"subject_type":"user"}')
    digest = event_hash(id=7, at=at, actor="张三", action="auth.login", subject_type="user",
                        subject_id="12", before=None, after={"ok": True},
                        prev_hash=GENESIS_HASH)
    assert digest == hashlib.sha256(expected_text.encode("utf-8")).hexdigest()


# --- writing --------------------------------------------------------------------------


AWKWARD = {
    "名称": "石峰区清水塘街道", "嵌套": {"层": [{"深": {"更深": ["株洲", None, True]}}]},
    "numbers": [0, -0.0, 1.0, 0.1, 1e-7, 1e16, 1.5e300, 2**62, -3.25], "empty": {},
    "escapes": "tab\there \"quoted\" \\ \u0001 \u2028 😀", "z": "last", "A": "first",
}


def test_record_round_trips_through_jsonb_to_the_same_hash(empty_log):
    session = empty_log
    event = record(session, actor="管理员", action="user.update", subject_type="user",
                   subject_id=42, before=AWKWARD, after=(1, "二"))
    session.expire_all()

    stored = session.execute(text("SELECT at, before::text AS before, after::text AS after, "
                                  "hash FROM audit_event WHERE id = :id"),
                             {"id": event.id}).one()
    assert stored.hash == event.hash
    assert stored.at == event.at  # microseconds survive timestamptz
    # Loaded back (jsonb reorders keys, rewrites numbers), it hashes the same.
    reloaded = session.get(AuditEvent, event.id)
    assert reloaded.subject_id == "42"
    assert reloaded.after == [1, "二"]
    assert json.loads(stored.before)["名称"] == "石峰区清水塘街道"
    assert event_hash(id=reloaded.id, at=reloaded.at, actor=reloaded.actor,
                      action=reloaded.action, subject_type=reloaded.subject_type,
                      subject_id=reloaded.subject_id, before=json.loads(stored.before),
                      after=json.loads(stored.after), prev_hash=reloaded.prev_hash) == event.hash
    assert verify_chain(session).ok


def test_record_links_each_event_to_the_one_before(empty_log):
    events = write_events(empty_log, 3)

    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert [e.id for e in events] == sorted(e.id for e in events)
    head = empty_log.execute(text("SELECT last_id, last_hash FROM audit_chain_head")).one()
    assert tuple(head) == (events[-1].id, events[-1].hash)


def test_record_refuses_values_json_cannot_hold(empty_log):
    with pytest.raises(ValueError, match="plain JSON"):
        record(empty_log, actor="x", action="y", subject_type="z", subject_id=1,
               after={"v": float("nan")})


# --- the database keeps the log append-only -------------------------------------------


@pytest.mark.parametrize(("statement", "message"), [
    ("UPDATE audit_event SET actor = 'someone else'", "audit_event is append-only: UPDATE"),
    ("DELETE FROM audit_event", "audit_event is append-only: DELETE"),
    ("TRUNCATE audit_event", "audit_event is append-only: TRUNCATE"),
    ("UPDATE audit_chain_head SET last_id = 0", "audit_chain_head moves only with"),
    ("DELETE FROM audit_chain_head", "audit_chain_head moves only with"),
    ("TRUNCATE audit_chain_head", "audit_chain_head moves only with"),
])
def test_the_app_cannot_change_or_remove_audit_rows(empty_log, statement, message):
    write_events(empty_log, 2)

    with pytest.raises(DBAPIError, match=message) as caught, empty_log.begin_nested():
        empty_log.execute(text(statement))
    assert caught.value.orig.sqlstate == "42501"  # insufficient_privilege
    assert verify_chain(empty_log).checked == 2


def test_replication_role_does_not_skip_the_triggers(empty_log):
    """Only disabling the triggers (owner or superuser) lets a row be changed."""
    write_events(empty_log, 1)
    empty_log.execute(text("SET LOCAL session_replication_role = replica"))

    with pytest.raises(DBAPIError, match="append-only: UPDATE"), empty_log.begin_nested():
        empty_log.execute(text("UPDATE audit_event SET actor = 'x'"))


@pytest.mark.parametrize("wrong", ["prev_hash", "id"])
def test_an_insert_must_extend_the_chain_head(empty_log, wrong):
    events = write_events(empty_log, 2)
    prev_hash = events[0].hash if wrong == "prev_hash" else events[1].hash
    new_id = events[-1].id + 1 if wrong == "prev_hash" else events[0].id - 1
    fields = dict(id=new_id, at=datetime.now(UTC), actor="raw sql", action="x",
                  subject_type="y", subject_id="z", before=None, after=None,
                  prev_hash=prev_hash)

    with pytest.raises(DBAPIError, match="does not extend the chain head"), \
            empty_log.begin_nested():
        empty_log.add(AuditEvent(**fields, hash=event_hash(**fields)))
        empty_log.flush()


def test_record_many_appends_a_linked_run_in_one_statement_per_batch(empty_log):
    from core.audit import record, record_many

    first = record(empty_log, actor="a", action="x", subject_type="t", subject_id=1)
    written = record_many(empty_log, [dict(actor="bulk", action="y", subject_type="t",
                                           subject_id=i, after={"i": i}) for i in range(2500)])
    last = record(empty_log, actor="b", action="z", subject_type="t", subject_id=2)
    report = verify_chain(empty_log)
    assert written == 2500 and report.ok and report.checked == 2502
    assert (report.head_id, report.head_hash) == (last.id, last.hash) and last.id > first.id


def test_a_multi_row_insert_with_one_broken_link_is_refused_whole(empty_log):
    events = write_events(empty_log, 1)
    at = datetime.now(UTC)
    rows, prev = [], events[0].hash
    for offset in range(1, 4):
        fields = dict(id=events[0].id + offset, at=at, actor="bulk", action="x",
                      subject_type="y", subject_id=str(offset), before=None, after=None,
                      prev_hash="f" * 64 if offset == 2 else prev)
        prev = event_hash(**fields)
        rows.append({**fields, "hash": prev})
    with pytest.raises(DBAPIError, match=f"#{events[0].id + 2} does not extend"), \
            empty_log.begin_nested():
        empty_log.execute(insert(AuditEvent), rows)
    assert verify_chain(empty_log).checked == 1


# --- verify: intact --------------------------------------------------------------------


def test_an_empty_log_verifies(empty_log):
    report = verify_chain(empty_log)

    assert report.ok and report.checked == 0 and report.head_id is None
    assert report.verdict() == "intact: the audit log is empty"


@pytest.mark.parametrize("batch", [2, 1000])
def test_a_clean_chain_verifies_streamed_in_batches(empty_log, batch):
    events = write_events(empty_log, 7, gap_after=3)
    seen = []

    report = verify_chain(empty_log, batch=batch, progress=lambda done, total:
                          seen.append((done, total)))

    assert report.ok, report
    assert (report.checked, report.head_id, report.head_hash) == (7, events[-1].id,
                                                                  events[-1].hash)
    assert seen[-1] == (7, 7)
    assert report.verdict().startswith("intact: 7 events")


def test_the_committed_log_of_the_whole_suite_verifies(session):
    """Whatever other tests and fixtures committed is a valid chain too."""
    assert verify_chain(session).ok


# --- verify: each kind of tampering ---------------------------------------------------


def test_an_edited_row_is_named(empty_log):
    events = write_events(empty_log, 5)
    with triggers_disabled(empty_log):
        empty_log.execute(text("UPDATE audit_event SET after = after || '{\"n\": 99}' "
                               "WHERE id = :id"), {"id": events[2].id})

    report = verify_chain(empty_log)

    assert (report.ok, report.kind, report.row_id, report.checked) == (False, EDITED,
                                                                       events[2].id, 3)
    assert report.verdict().startswith(f"tampered: row #{events[2].id} edited")


@pytest.mark.parametrize("column", ["at", "actor", "subject_id", "before", "prev_hash"])
def test_an_edit_to_any_hashed_column_is_caught(empty_log, column):
    events = write_events(empty_log, 3)
    change = {"at": "at + interval '1 microsecond'", "actor": "'someone else'",
              "subject_id": "subject_id || '0'", "before": "NULL",
              "prev_hash": f"'{'f' * 64}'"}[column]
    with triggers_disabled(empty_log):
        empty_log.execute(text(f"UPDATE audit_event SET {column} = {change} WHERE id = :id"),
                          {"id": events[1].id})

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (EDITED, events[1].id)


@pytest.mark.parametrize("position", ["middle", "last"])
def test_a_row_rewritten_with_a_fresh_hash_is_named(empty_log, position):
    """An editor who knows the algorithm recomputes the row's hash: the next row's link
    (or, for the last row, the chain head) still gives it away."""
    events = write_events(empty_log, 4)
    victim = events[1] if position == "middle" else events[-1]
    row = empty_log.get(AuditEvent, victim.id)
    fields = dict(id=row.id, at=row.at, actor="someone else", action=row.action,
                  subject_type=row.subject_type, subject_id=row.subject_id,
                  before=row.before, after=row.after, prev_hash=row.prev_hash)
    with triggers_disabled(empty_log):
        empty_log.execute(text("UPDATE audit_event SET actor = :actor, hash = :hash "
                               "WHERE id = :id"),
                          {"actor": "someone else", "hash": event_hash(**fields),
                           "id": victim.id})

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (EDITED, victim.id)


@pytest.mark.parametrize("position", [0, 2, 4])
def test_a_deleted_row_is_reported(empty_log, position):
    events = write_events(empty_log, 5)
    with triggers_disabled(empty_log):
        empty_log.execute(text("DELETE FROM audit_event WHERE id = :id"),
                          {"id": events[position].id})

    report = verify_chain(empty_log)

    assert not report.ok and report.kind == DELETED
    if position < 4:  # the next row no longer links
        assert report.row_id == events[position + 1].id
        before = f"#{events[position - 1].id}" if position else "the start"
        assert f"between {before} and #{events[position + 1].id}" in report.detail
    else:  # cut off the end: the chain head still names it
        assert report.row_id == events[4].id
        assert f"ends at #{events[3].id}" in report.detail


def test_rows_cut_off_the_end_with_the_head_rewound_go_unnoticed_without_an_anchor(empty_log):
    """The limit of a hash chain: keep the head hash `verify` prints somewhere else."""
    events = write_events(empty_log, 3)
    anchor = verify_chain(empty_log).head_hash
    with triggers_disabled(empty_log):
        empty_log.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[2].id})
        set_head(empty_log, events[1].id, events[1].hash)

    report = verify_chain(empty_log)

    assert report.ok and report.head_hash != anchor


def test_a_row_inserted_into_a_gap_with_a_forged_link_is_named(empty_log):
    events = write_events(empty_log, 4, gap_after=1)
    intruder = events[1].id + 1  # in the gap the rolled-back ids left
    forge(empty_log, id=intruder, prev_hash=events[1].hash)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


def test_a_row_inserted_with_a_made_up_link_is_named(empty_log):
    events = write_events(empty_log, 4, gap_after=1)
    intruder = events[1].id + 1
    forge(empty_log, id=intruder, prev_hash="a" * 64)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


def test_a_row_inserted_before_the_first_is_named(empty_log):
    burn_ids(empty_log)
    events = write_events(empty_log, 3)
    intruder = events[0].id - 1
    forge(empty_log, id=intruder, prev_hash=GENESIS_HASH)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


@pytest.mark.parametrize("link", ["valid", "made up"])
def test_a_row_appended_around_the_chain_is_named(empty_log, link):
    events = write_events(empty_log, 3)
    intruder = events[-1].id + 5
    forge(empty_log, id=intruder, prev_hash=events[-1].hash if link == "valid" else "b" * 64)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


# --- committed: concurrent writers and the command line -------------------------------


@pytest.fixture
def committed_log(engine):
    """Events committed by the test are removed afterwards, and the head put back."""
    with engine.connect() as connection:
        head = connection.execute(text("SELECT last_id, last_hash FROM audit_chain_head")).one()
    try:
        yield
    finally:
        with engine.begin() as connection, triggers_disabled(connection):
            connection.execute(text("DELETE FROM audit_event WHERE id > :id"),
                               {"id": head.last_id})
            set_head(connection, head.last_id, head.last_hash)
        with Session(engine) as check:
            assert verify_chain(check).ok


def test_concurrent_writers_keep_one_linear_chain(engine, committed_log):
    writers, per_writer = 4, 25
    start = threading.Barrier(writers)
    failures = []

    def write(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with Session(engine) as session:
                    record(session, actor=f"writer{worker}", action="test.concurrent",
                           subject_type="test", subject_id=f"{worker}-{i}")
                    session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures
    with Session(engine) as session:
        report = verify_chain(session)
        mine = session.scalars(select(AuditEvent).where(AuditEvent.action == "test.concurrent")
                               .order_by(AuditEvent.id)).all()
    assert report.ok, report
    assert len(mine) == writers * per_writer
    assert len({e.prev_hash for e in mine}) == len(mine)  # no fork
    assert {e.actor for e in mine} == {f"writer{w}" for w in range(writers)}


def test_a_writer_waits_for_the_one_holding_the_chain(engine, committed_log):
    holder_recorded, released = threading.Event(), threading.Event()
    order = []

    def holder() -> None:
        with Session(engine) as session:
            record(session, actor="holder", action="test.wait", subject_type="t", subject_id=1)
            holder_recorded.set()
            released.wait(10)
            order.append("holder commits")
            session.commit()

    thread = threading.Thread(target=holder)
    thread.start()
    holder_recorded.wait(10)
    threading.Timer(0.3, released.set).start()
    with Session(engine, expire_on_commit=False) as session:
        event = record(session, actor="waiter", action="test.wait", subject_type="t",
                       subject_id=2)
        order.append("waiter recorded")
        session.commit()
    thread.join()

    assert order == ["holder commits", "waiter recorded"]
    with Session(engine) as session:
        holder_event = session.scalars(select(AuditEvent).where(AuditEvent.actor == "holder")
                                       ).one()
    assert event.prev_hash == holder_event.hash and event.id > holder_event.id


def test_a_repeatable_read_writer_that_lost_the_race_fails_instead_of_forking(
        engine, committed_log):
    with Session(engine) as late, Session(engine) as early:
        late.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        late.execute(text("SELECT 1"))  # its snapshot is taken now
        record(early, actor="early", action="test.rr", subject_type="t", subject_id=1)
        early.commit()

        with pytest.raises(OperationalError, match="could not serialize"):
            record(late, actor="late", action="test.rr", subject_type="t", subject_id=2)
        late.rollback()


@pytest.mark.parametrize("isolation", ["READ COMMITTED", "REPEATABLE READ"])
def test_events_appended_while_verifying_are_not_tampering(engine, committed_log, isolation):
    with Session(engine) as session:
        write_events(session, 4)
        session.commit()
    appended = []

    def append_once(done: int, total: int) -> None:
        if not appended:
            with Session(engine) as other:
                appended.append(record(other, actor="late", action="test.append",
                                       subject_type="t", subject_id=1).id)
                other.commit()

    with Session(engine) as session:
        session.connection(execution_options={"isolation_level": isolation})
        report = verify_chain(session, batch=1, progress=append_once)

    assert appended and report.ok, report


@pytest.fixture
def cli(database_url):
    get_engine.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args))

    yield run
    get_engine().dispose()
    get_engine.cache_clear()


def test_cli_verify_on_a_clean_log_then_after_tampering(cli, engine, committed_log):
    with Session(engine, expire_on_commit=False) as session:
        events = write_events(session, 3)
        session.commit()

    clean = cli("audit", "verify")
    as_json = cli("audit", "verify", "--json")

    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("intact: ")
    assert f"head #{events[-1].id} {events[-1].hash}" in clean.stdout
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) | {"checked": 0} == {
        "ok": True, "checked": 0, "kind": None, "row_id": None, "detail": "",
        "head_id": events[-1].id, "head_hash": events[-1].hash}

    with engine.begin() as connection, triggers_disabled(connection):
        connection.execute(text("UPDATE audit_event SET actor = 'someone else' WHERE id = :id"),
                           {"id": events[1].id})
    tampered = cli("audit", "verify")
    tampered_json = cli("audit", "verify", "--json")

    assert tampered.exit_code == 1
    assert tampered.stdout.strip().startswith(f"tampered: row #{events[1].id} edited")
    assert tampered_json.exit_code == 1
    report = json.loads(tampered_json.stdout)
    assert (report["ok"], report["kind"], report["row_id"]) == (False, EDITED, events[1].id)
