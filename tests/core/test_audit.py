"""The audit log (core/audit.py, migrations 0004 and 0011): the canonical hash forms,
writers that never wait for one another, the sealer, the rules the database keeps, and
`verify_chain` / `gridgov audit verify` after each kind of tampering.

Most tests work in the rolled-back `session`: `empty_log` clears the shared log inside
that transaction, and tampering disables the triggers there (as a superuser can), so
nothing outlives the test. Tests that need commits (concurrent writers, the command line)
use `committed_log`, which puts the log and its head back as they were afterwards.
"""

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli import app
from core.audit import (
    DELETED,
    EDITED,
    GENESIS_HASH,
    INSERTED,
    AuditEvent,
    content_hash,
    legacy_hash,
    link_hash,
    record,
    record_many,
    seal,
    seal_all,
    verify_chain,
)
from core.db import get_engine

TRIGGERS = {
    "audit_event": ("audit_event_no_delete", "audit_event_seal_only",
                    "audit_event_extend_chain", "audit_event_insert_unsealed",
                    "audit_event_no_truncate"),
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


def set_head(connection, last_id: int, last_seq: int, last_hash: str) -> None:
    connection.execute(text("UPDATE audit_chain_head SET last_id = :id, last_seq = :seq, "
                            "last_hash = :hash"), {"id": last_id, "seq": last_seq,
                                                   "hash": last_hash})


def head(connection) -> tuple[int, int, str]:
    return tuple(connection.execute(text(
        "SELECT last_id, last_seq, last_hash FROM audit_chain_head")).one())


@pytest.fixture
def empty_log(session: Session) -> Session:
    """The test's session, with the log emptied inside its (rolled-back) transaction."""
    with triggers_disabled(session):
        session.execute(text("DELETE FROM audit_event"))
        set_head(session, 0, 0, GENESIS_HASH)
    return session


def write_events(session: Session, n: int) -> list[AuditEvent]:
    return [record(session, actor="tester", action="areas.import", subject_type="area",
                   subject_id=f"43020{i}", before={"name": f"区{i}"},
                   after={"name": f"区{i}", "n": i}) for i in range(n)]


def sealed_events(session: Session, n: int) -> list[AuditEvent]:
    """n events, sealed, reloaded with their place in the chain, in seq order."""
    ids = [e.id for e in write_events(session, n)]
    seal(session)
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids))
                           .order_by(AuditEvent.seq)).all()


def new_id(session: Session) -> int:
    return session.scalar(text("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))"))


def forge(session: Session, *, seq: int, prev_hash: str, actor: str = "intruder") -> int:
    """Insert a well-formed sealed event around the triggers; its own hashes are right."""
    fields = dict(id=new_id(session), at=datetime.now(UTC), actor=actor, action="user.create",
                  subject_type="user", subject_id="x", before=None, after={"role": "admin"})
    digest = content_hash(**fields)
    with triggers_disabled(session):
        session.add(AuditEvent(**fields, content_hash=digest, seq=seq, prev_hash=prev_hash,
                               hash=link_hash(prev_hash, digest)))
        session.flush()
    return fields["id"]


def make_room(connection, at_seq: int) -> None:
    """Move every row from `at_seq` on one place down the chain (two steps: seq is unique)."""
    with triggers_disabled(connection):
        connection.execute(text("UPDATE audit_event SET seq = -(seq + 1) WHERE seq >= :s"),
                           {"s": at_seq})
        connection.execute(text("UPDATE audit_event SET seq = -seq WHERE seq < 0"))


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
    from core.canonical_json import canonical_json

    assert canonical_json(value) == expected


AWKWARD = {
    "名称": "石峰区清水塘街道", "嵌套": {"层": [{"深": {"更深": ["株洲", None, True]}}]},
    "numbers": [0, -0.0, 1.0, 0.1, 1e-7, 1e16, 1.5e300, 2**62, -3.25], "empty": {},
    "escapes": "tab\there \"quoted\" \\ \u0001 \u2028 😀", "z": "last", "A": "first",
}


def test_the_fast_path_writes_what_the_general_one_does():
    """canonical_json hands most values to the C encoder; it must not change a byte."""
    import random
    import struct

    from core.canonical_json import _canonical, _standard_library_agrees, canonical_json

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
    from core.canonical_json import canonical_json

    with pytest.raises((TypeError, ValueError)):
        canonical_json(value)


def test_the_hashes_follow_the_documented_form(session):
    """Re-implemented here from the module docstring, as an auditor would, in Python and
    in SQL."""
    at = datetime(2026, 11, 22, 8, 30, 0, 5, tzinfo=UTC)
    contents = ('{"action":"auth.login","actor":"张三","after":{"ok":true},'
                '"at":"2026-11-22T08:30:00.000005Z","before":null,"id":7,'
                '"subject_id":"12","subject_type":"user"}')
    digest = content_hash(id=7, at=at, actor="张三", action="auth.login", subject_type="user",
                          subject_id="12", before=None, after={"ok": True})
    assert digest == hashlib.sha256(contents.encode("utf-8")).hexdigest()
    assert link_hash(GENESIS_HASH, digest) == hashlib.sha256(
        (GENESIS_HASH + digest).encode()).hexdigest()
    assert session.scalar(text("SELECT encode(sha256(convert_to(:p || :c, 'UTF8')), 'hex')"),
                          {"p": GENESIS_HASH, "c": digest}) == link_hash(GENESIS_HASH, digest)
    # The form of events written before migration 0011: one hash with prev_hash inside.
    legacy = contents[:-1].replace('"subject_id"', f'"prev_hash":"{GENESIS_HASH}",'
                                                   '"subject_id"') + "}"
    assert legacy_hash(id=7, at=at, actor="张三", action="auth.login", subject_type="user",
                       subject_id="12", before=None, after={"ok": True},
                       prev_hash=GENESIS_HASH) == hashlib.sha256(legacy.encode()).hexdigest()


# --- writing and sealing ----------------------------------------------------------------


def test_record_round_trips_through_jsonb_to_the_same_hash(empty_log):
    session = empty_log
    event = record(session, actor="管理员", action="user.update", subject_type="user",
                   subject_id=42, before=AWKWARD, after=(1, "二"))
    session.expire_all()

    stored = session.execute(text("SELECT at, before::text AS before, after::text AS after, "
                                  "content_hash, seq, hash FROM audit_event WHERE id = :id"),
                             {"id": event.id}).one()
    assert (stored.content_hash, stored.seq, stored.hash) == (event.content_hash, None, None)
    assert stored.at == event.at  # microseconds survive timestamptz
    reloaded = session.get(AuditEvent, event.id)
    assert reloaded.subject_id == "42" and reloaded.after == [1, "二"]
    assert json.loads(stored.before)["名称"] == "石峰区清水塘街道"
    # Loaded back (jsonb reorders keys, rewrites numbers), it hashes the same.
    assert content_hash(id=reloaded.id, at=reloaded.at, actor=reloaded.actor,
                        action=reloaded.action, subject_type=reloaded.subject_type,
                        subject_id=reloaded.subject_id, before=json.loads(stored.before),
                        after=json.loads(stored.after)) == event.content_hash
    assert verify_chain(session).unsealed == 1
    assert seal(session) == 1 and verify_chain(session).checked == 1


def test_sealing_links_each_event_to_the_one_before_in_id_order(empty_log):
    events = sealed_events(empty_log, 3)

    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert all(e.hash == link_hash(e.prev_hash, e.content_hash) for e in events)
    assert head(empty_log) == (events[-1].id, 3, events[-1].hash)
    assert seal(empty_log) == 0  # nothing left: the head stays
    assert head(empty_log) == (events[-1].id, 3, events[-1].hash)


def test_seal_takes_at_most_max_rows(empty_log):
    write_events(empty_log, 5)

    assert [seal(empty_log, max_rows=2) for _ in range(4)] == [2, 2, 1, 0]
    assert verify_chain(empty_log).checked == 5


def test_record_refuses_values_json_cannot_hold(empty_log):
    with pytest.raises(ValueError, match="plain JSON"):
        record(empty_log, actor="x", action="y", subject_type="z", subject_id=1,
               after={"v": float("nan")})


def test_record_many_appends_unsealed_rows_sealed_in_list_order(empty_log):
    first = record(empty_log, actor="a", action="x", subject_type="t", subject_id=1)
    written = record_many(empty_log, [dict(actor="bulk", action="y", subject_type="t",
                                           subject_id=i, after={"i": i}) for i in range(2500)])
    last = record(empty_log, actor="b", action="z", subject_type="t", subject_id=2)
    assert written == 2500 and verify_chain(empty_log).unsealed == 2502

    seal(empty_log)
    report = verify_chain(empty_log)
    bulk = empty_log.execute(text("SELECT subject_id FROM audit_event WHERE actor = 'bulk' "
                                  "ORDER BY seq")).scalars().all()
    assert report.ok and report.checked == 2502 and report.unsealed == 0
    assert bulk == [str(i) for i in range(2500)]
    assert (report.head_id, report.head_seq) == (last.id, 2502) and last.id > first.id


def test_a_log_written_before_migration_0011_verifies_and_goes_on(empty_log):
    """Old rows keep their hashes (contents and link in one); new rows chain after them."""
    prev, at = GENESIS_HASH, datetime.now(UTC)
    with triggers_disabled(empty_log):
        for seq in (1, 2, 3):
            fields = dict(id=new_id(empty_log), at=at, actor="old", action="x",
                          subject_type="t", subject_id=str(seq), before=None, after={"n": seq})
            digest = legacy_hash(**fields, prev_hash=prev)
            empty_log.add(AuditEvent(**fields, seq=seq, prev_hash=prev, hash=digest))
            empty_log.flush()
            prev, last_id = digest, fields["id"]
        set_head(empty_log, last_id, 3, prev)
    new = sealed_events(empty_log, 2)

    assert new[0].prev_hash == prev and verify_chain(empty_log).checked == 5
    with triggers_disabled(empty_log):
        empty_log.execute(text("UPDATE audit_event SET actor = 'new' WHERE seq = 2"))
    report = verify_chain(empty_log)
    assert (report.kind, report.checked) == (EDITED, 2)


# --- writers do not wait: committed, concurrent ----------------------------------------


@pytest.fixture
def committed_log(engine):
    """Starts with everything committed sealed; events committed by the test are removed
    afterwards, and the head put back."""
    seal_all(sessionmaker(engine))
    with engine.connect() as connection:
        before = head(connection)
        last_id = connection.scalar(text("SELECT coalesce(max(id), 0) FROM audit_event"))
    try:
        yield
    finally:
        with engine.begin() as connection, triggers_disabled(connection):
            connection.execute(text("DELETE FROM audit_event WHERE id > :id"), {"id": last_id})
            set_head(connection, *before)
        with Session(engine) as check:
            assert verify_chain(check).ok


def test_a_writer_does_not_wait_for_another_open_transaction(engine, committed_log):
    """The second writer commits while the first still holds its event uncommitted (under
    the head lock of old it would have waited: lock_timeout makes that an error, not a
    hang). Committed out of id order, they are sealed in the order they became visible."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as holder, factory() as writer:
        first = record(holder, actor="holder", action="test.wait", subject_type="t",
                       subject_id=1)
        writer.execute(text("SET LOCAL lock_timeout = '5s'"))
        second = record(writer, actor="writer", action="test.wait", subject_type="t",
                        subject_id=2)
        writer.commit()
        assert seal_all(factory) == 1  # the writer's: the holder's is not committed yet
        holder.commit()
        assert seal_all(factory) == 1

    with factory() as session:
        seqs = dict(session.execute(select(AuditEvent.id, AuditEvent.seq)
                                    .where(AuditEvent.action == "test.wait")).all())
        assert first.id < second.id and seqs[second.id] + 1 == seqs[first.id]
        assert verify_chain(session).ok


def test_a_repeatable_read_writer_is_not_refused(engine, committed_log):
    """Under the head lock of old, a REPEATABLE READ writer that lost the race failed."""
    with Session(engine) as late, Session(engine) as early:
        late.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        late.execute(text("SELECT 1"))  # its snapshot is taken now
        record(early, actor="early", action="test.rr", subject_type="t", subject_id=1)
        early.commit()
        record(late, actor="late", action="test.rr", subject_type="t", subject_id=2)
        late.commit()
    seal_all(sessionmaker(engine))
    with Session(engine) as session:
        assert verify_chain(session).ok


WRITERS, PER_WRITER = 16, 12


def _concurrent_writers(engine) -> None:
    """16 threads each commit PER_WRITER audited writes (and one bulk append), while two
    sealers seal whatever is committed (the beat's, and someone's `gridgov audit seal`)."""
    factory = sessionmaker(engine)
    start, done, failures = threading.Barrier(WRITERS + 2), threading.Event(), []

    def write(worker: int) -> None:
        try:
            start.wait()
            for i in range(PER_WRITER):
                with factory.begin() as session:
                    record(session, actor=f"writer{worker}", action="test.concurrent",
                           subject_type="test", subject_id=f"{worker}-{i}")
            with factory.begin() as session:
                record_many(session, [dict(actor=f"writer{worker}", action="test.concurrent",
                                           subject_type="test", subject_id=f"{worker}-bulk{k}")
                                      for k in range(3)])
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def sealer() -> None:
        try:
            start.wait()
            while not done.is_set():
                seal_all(factory)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in [*threads, *sealers]:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    done.set()
    for thread in sealers:
        thread.join(timeout=300)
    seal_all(factory)
    assert not failures, failures


def test_concurrent_writers_then_verify_names_an_edited_a_deleted_and_an_inserted_row(
        engine, committed_log, cli):
    _concurrent_writers(engine)
    with Session(engine) as session:
        report = verify_chain(session)
        mine = session.scalars(select(AuditEvent).where(AuditEvent.action == "test.concurrent")
                               .order_by(AuditEvent.seq)).all()
    assert report.ok, report
    assert len(mine) == WRITERS * (PER_WRITER + 3) and report.unsealed == 0
    assert [e.seq for e in mine] == list(range(mine[0].seq, mine[0].seq + len(mine)))
    assert len({e.prev_hash for e in mine}) == len(mine)  # no fork
    assert {e.actor for e in mine} == {f"writer{w}" for w in range(WRITERS)}
    assert cli("audit", "verify").exit_code == 0

    # Edited: a row in the middle gets another actor; then it is put back.
    victim = mine[len(mine) // 2]
    with engine.begin() as connection, triggers_disabled(connection):
        connection.execute(text("UPDATE audit_event SET actor = 'someone else' WHERE id = :id"),
                           {"id": victim.id})
    edited = cli("audit", "verify", "--json")
    with engine.begin() as connection, triggers_disabled(connection):
        connection.execute(text("UPDATE audit_event SET actor = :actor WHERE id = :id"),
                           {"actor": victim.actor, "id": victim.id})
    assert edited.exit_code == 1
    assert (json.loads(edited.stdout)["kind"], json.loads(edited.stdout)["row_id"]) == (
        EDITED, victim.id)
    assert cli("audit", "verify").exit_code == 0

    # Deleted: the next row no longer links; then the row is put back as it was.
    gone, after_it = mine[10], mine[11]
    with engine.begin() as connection, triggers_disabled(connection):
        saved = connection.execute(text("SELECT * FROM audit_event WHERE id = :id"),
                                   {"id": gone.id}).mappings().one()
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone.id})
    deleted = cli("audit", "verify")
    with engine.begin() as connection, triggers_disabled(connection):
        connection.execute(insert(AuditEvent), [dict(saved)])
    assert deleted.exit_code == 1
    assert deleted.stdout.startswith(f"tampered: row #{after_it.id} {DELETED}: ")
    assert f"between #{mine[9].id} and #{after_it.id}" in deleted.stdout
    assert cli("audit", "verify").exit_code == 0

    # Inserted: a forged event slipped in after the 20th, linking to it.
    with Session(engine) as session:
        make_room(session, mine[20].seq + 1)
        intruder = forge(session, seq=mine[20].seq + 1, prev_hash=mine[20].hash)
        session.commit()
    inserted = cli("audit", "verify")
    assert inserted.exit_code == 1
    assert inserted.stdout.startswith(f"tampered: row #{intruder} {INSERTED}: ")


@pytest.mark.parametrize("isolation", ["READ COMMITTED", "REPEATABLE READ"])
def test_events_sealed_while_verifying_are_not_tampering(engine, committed_log, isolation):
    factory = sessionmaker(engine)
    with factory.begin() as session:
        write_events(session, 4)
    seal_all(factory)
    sealed = []

    def seal_more(done: int, total: int) -> None:
        if not sealed:
            with factory.begin() as other:
                record(other, actor="late", action="test.append", subject_type="t",
                       subject_id=1)
            sealed.append(seal_all(factory))

    with Session(engine) as session:
        session.connection(execution_options={"isolation_level": isolation})
        report = verify_chain(session, batch=1, progress=seal_more)

    assert sealed == [1] and report.ok, report


# --- the database keeps the log append-only -------------------------------------------


@pytest.mark.parametrize(("statement", "message"), [
    ("UPDATE audit_event SET actor = 'someone else'", "audit_event is append-only: UPDATE"),
    ("DELETE FROM audit_event", "audit_event is append-only: DELETE"),
    ("TRUNCATE audit_event", "audit_event is append-only: TRUNCATE"),
    ("UPDATE audit_chain_head SET last_seq = 0", "audit_chain_head moves only with"),
    ("DELETE FROM audit_chain_head", "audit_chain_head moves only with"),
    ("TRUNCATE audit_chain_head", "audit_chain_head moves only with"),
    # Sealing is the one UPDATE allowed, and only of an unsealed row, done right.
    ("UPDATE audit_event SET seq = seq + 100", "audit_event is append-only: UPDATE"),
    ("UPDATE audit_event SET actor = 'x', seq = 3, prev_hash = CAST(:head AS text), "
     "hash = encode(sha256(convert_to(CAST(:head AS text) || content_hash, 'UTF8')), 'hex') "
     "WHERE seq IS NULL", "audit_event is append-only: UPDATE"),
    ("UPDATE audit_event SET seq = 3, prev_hash = CAST(:head AS text), hash = repeat('f', 64) "
     "WHERE seq IS NULL", "audit_event is append-only: UPDATE"),
    ("UPDATE audit_event SET seq = 4, prev_hash = CAST(:head AS text), "
     "hash = encode(sha256(convert_to(CAST(:head AS text) || content_hash, 'UTF8')), 'hex') "
     "WHERE seq IS NULL", "does not extend the chain head"),
    ("UPDATE audit_event SET seq = 3, prev_hash = repeat('a', 64), "
     "hash = encode(sha256(convert_to(repeat('a', 64) || content_hash, 'UTF8')), 'hex') "
     "WHERE seq IS NULL", "does not extend the chain head"),
    # An insert must come unsealed, with its content_hash.
    ("INSERT INTO audit_event (actor, action, subject_type, subject_id, content_hash, seq, "
     "prev_hash, hash) VALUES ('a', 'b', 'c', 'd', repeat('c', 64), 3, CAST(:head AS text), "
     "repeat('e', 64))", "must be inserted unsealed"),
    ("INSERT INTO audit_event (actor, action, subject_type, subject_id) "
     "VALUES ('a', 'b', 'c', 'd')", "must be inserted unsealed"),
])
def test_the_app_cannot_change_or_remove_audit_rows(empty_log, statement, message):
    sealed_events(empty_log, 2)
    record(empty_log, actor="waiting", action="x", subject_type="t", subject_id=1)

    with pytest.raises(DBAPIError, match=message) as caught, empty_log.begin_nested():
        empty_log.execute(text(statement), {"head": head(empty_log)[2]})
    assert caught.value.orig.sqlstate == "42501"  # insufficient_privilege
    report = verify_chain(empty_log)
    assert (report.ok, report.checked, report.unsealed) == (True, 2, 1)


def test_a_correct_sealing_by_hand_is_accepted_and_moves_the_head(empty_log):
    """The rules are the chain's, not the sealer's: any role may seal, only correctly."""
    sealed_events(empty_log, 2)
    waiting = record(empty_log, actor="waiting", action="x", subject_type="t", subject_id=1)
    last_hash = head(empty_log)[2]

    empty_log.execute(text(
        "UPDATE audit_event SET seq = 3, prev_hash = CAST(:head AS text), "
        "hash = encode(sha256(convert_to(CAST(:head AS text) || content_hash, 'UTF8')), "
        "'hex') WHERE id = :id"), {"head": last_hash, "id": waiting.id})

    assert head(empty_log) == (waiting.id, 3, link_hash(last_hash, waiting.content_hash))
    assert verify_chain(empty_log).checked == 3


def test_replication_role_does_not_skip_the_triggers(empty_log):
    """Only disabling the triggers (owner or superuser) lets a row be changed."""
    sealed_events(empty_log, 1)
    empty_log.execute(text("SET LOCAL session_replication_role = replica"))

    with pytest.raises(DBAPIError, match="append-only: UPDATE"), empty_log.begin_nested():
        empty_log.execute(text("UPDATE audit_event SET actor = 'x'"))


# --- verify: intact --------------------------------------------------------------------


def test_an_empty_log_verifies(empty_log):
    report = verify_chain(empty_log)

    assert report.ok and report.checked == 0 and report.head_id is None
    assert report.verdict() == "intact: no sealed event"


@pytest.mark.parametrize("batch", [2, 1000])
def test_a_clean_chain_verifies_streamed_in_batches(empty_log, batch):
    events = sealed_events(empty_log, 7)
    record(empty_log, actor="late", action="x", subject_type="t", subject_id=1)
    seen = []

    report = verify_chain(empty_log, batch=batch, progress=lambda done, total:
                          seen.append((done, total)))

    assert report.ok, report
    assert (report.checked, report.head_id, report.head_seq, report.head_hash,
            report.unsealed) == (7, events[-1].id, 7, events[-1].hash, 1)
    assert seen[-1] == (7, 7)
    assert report.verdict() == (f"intact: 7 events, head #{events[-1].id} (seq 7) "
                                f"{events[-1].hash}; 1 not sealed yet")


def test_the_committed_log_of_the_whole_suite_verifies(session):
    """Whatever other tests and fixtures committed is a valid chain too."""
    assert verify_chain(session).ok


# --- verify: each kind of tampering ---------------------------------------------------


def tamper(session: Session, statement: str, **params) -> None:
    with triggers_disabled(session):
        session.execute(text(statement), params)


def test_an_edited_row_is_named(empty_log):
    events = sealed_events(empty_log, 5)
    tamper(empty_log, "UPDATE audit_event SET after = after || '{\"n\": 99}' WHERE id = :id",
           id=events[2].id)

    report = verify_chain(empty_log)

    assert (report.ok, report.kind, report.row_id, report.checked) == (False, EDITED,
                                                                       events[2].id, 3)
    assert report.verdict().startswith(f"tampered: row #{events[2].id} edited")


@pytest.mark.parametrize("column", ["id", "at", "actor", "subject_id", "before",
                                    "content_hash", "prev_hash", "hash"])
def test_an_edit_to_any_hashed_column_is_caught(empty_log, column):
    events = sealed_events(empty_log, 3)
    change = {"id": "id + 1000000", "at": "at + interval '1 microsecond'",
              "actor": "'someone else'", "subject_id": "subject_id || '0'", "before": "NULL",
              "content_hash": f"'{'f' * 64}'", "prev_hash": f"'{'f' * 64}'",
              "hash": f"'{'f' * 64}'"}[column]
    tamper(empty_log, f"UPDATE audit_event SET {column} = {change} WHERE seq = 2")

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (EDITED, events[1].id + (1000000 if column == "id"
                                                                    else 0))


def test_an_edit_with_a_recomputed_content_hash_is_caught_by_the_link(empty_log):
    events = sealed_events(empty_log, 3)
    row = events[1]
    digest = content_hash(id=row.id, at=row.at, actor="someone else", action=row.action,
                          subject_type=row.subject_type, subject_id=row.subject_id,
                          before=row.before, after=row.after)
    tamper(empty_log, "UPDATE audit_event SET actor = 'someone else', content_hash = :c "
                      "WHERE id = :id", c=digest, id=row.id)

    assert (verify_chain(empty_log).kind, verify_chain(empty_log).row_id) == (EDITED, row.id)


@pytest.mark.parametrize("position", ["middle", "last"])
def test_a_row_rewritten_with_fresh_hashes_is_named(empty_log, position):
    """An editor who knows the algorithm recomputes both hashes: the next row's link (or,
    for the last row, the chain head) still gives it away."""
    events = sealed_events(empty_log, 4)
    row = events[1] if position == "middle" else events[-1]
    digest = content_hash(id=row.id, at=row.at, actor="someone else", action=row.action,
                          subject_type=row.subject_type, subject_id=row.subject_id,
                          before=row.before, after=row.after)
    tamper(empty_log, "UPDATE audit_event SET actor = 'someone else', content_hash = :c, "
                      "hash = :h WHERE id = :id", c=digest, h=link_hash(row.prev_hash, digest),
           id=row.id)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (EDITED, row.id)


def test_a_renumbered_row_is_named(empty_log):
    events = sealed_events(empty_log, 3)
    tamper(empty_log, "UPDATE audit_event SET seq = 9 WHERE id = :id", id=events[-1].id)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (EDITED, events[-1].id)
    assert "its seq was changed" in report.detail


def test_an_edited_unsealed_row_is_named(empty_log):
    sealed_events(empty_log, 2)
    waiting = write_events(empty_log, 2)
    tamper(empty_log, "UPDATE audit_event SET subject_id = 'other' WHERE id = :id",
           id=waiting[1].id)

    report = verify_chain(empty_log)

    assert (report.ok, report.kind, report.row_id, report.checked) == (False, EDITED,
                                                                       waiting[1].id, 2)
    assert "not sealed yet" in report.detail


@pytest.mark.parametrize("position", [0, 2, 4])
def test_a_deleted_row_is_reported(empty_log, position):
    events = sealed_events(empty_log, 5)
    tamper(empty_log, "DELETE FROM audit_event WHERE id = :id", id=events[position].id)

    report = verify_chain(empty_log)

    assert not report.ok and report.kind == DELETED
    if position < 4:  # the next row no longer links
        assert report.row_id == events[position + 1].id
        before = f"#{events[position - 1].id}" if position else "the start"
        assert f"between {before} and #{events[position + 1].id}" in report.detail
        assert f"(seq {position + 1} to {position + 1})" in report.detail
    else:  # cut off the end: the chain head still names it
        assert report.row_id == events[4].id
        assert f"ends at #{events[3].id}" in report.detail


def test_rows_cut_off_the_end_with_the_head_rewound_go_unnoticed_without_an_anchor(empty_log):
    """The limit of a hash chain: keep the head hash `verify` prints somewhere else."""
    events = sealed_events(empty_log, 3)
    anchor = verify_chain(empty_log).head_hash
    with triggers_disabled(empty_log):
        empty_log.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[2].id})
        set_head(empty_log, events[1].id, 2, events[1].hash)

    report = verify_chain(empty_log)

    assert report.ok and report.head_hash != anchor


@pytest.mark.parametrize("link", ["valid", "made up"])
def test_a_row_slipped_into_the_chain_is_named(empty_log, link):
    events = sealed_events(empty_log, 4)
    make_room(empty_log, 3)
    intruder = forge(empty_log, seq=3, prev_hash=events[1].hash if link == "valid"
                     else "a" * 64)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


def test_a_row_inserted_before_the_first_is_named(empty_log):
    sealed_events(empty_log, 3)
    make_room(empty_log, 1)
    intruder = forge(empty_log, seq=1, prev_hash=GENESIS_HASH)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


@pytest.mark.parametrize("link", ["valid", "made up"])
def test_a_row_appended_around_the_chain_is_named(empty_log, link):
    events = sealed_events(empty_log, 3)
    intruder = forge(empty_log, seq=4, prev_hash=events[-1].hash if link == "valid"
                     else "b" * 64)

    report = verify_chain(empty_log)

    assert (report.kind, report.row_id) == (INSERTED, intruder)


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli(database_url):
    get_engine.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args))

    yield run
    get_engine().dispose()
    get_engine.cache_clear()


def test_cli_seal_then_verify_on_a_clean_log_then_after_tampering(cli, engine, committed_log):
    with Session(engine, expire_on_commit=False) as session:
        events = write_events(session, 3)
        session.commit()

    unsealed = cli("audit", "verify", "--no-seal", "--json")
    sealed = cli("audit", "seal")
    clean = cli("audit", "verify")
    as_json = cli("audit", "verify", "--json")

    assert unsealed.exit_code == 0 and json.loads(unsealed.stdout)["unsealed"] == 3
    assert sealed.exit_code == 0 and "sealed 3 event(s)" in sealed.output
    with Session(engine) as session:
        last = session.get(AuditEvent, events[-1].id)
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("intact: ")
    assert f"head #{last.id} (seq {last.seq}) {last.hash}" in clean.stdout
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) | {"checked": 0} == {
        "ok": True, "checked": 0, "kind": None, "row_id": None, "detail": "",
        "head_id": last.id, "head_seq": last.seq, "head_hash": last.hash, "unsealed": 0}

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


def test_the_beat_task_seals_what_is_committed(engine, committed_log, cli):
    from core.audit_tasks import seal_audit_log

    with Session(engine) as session:
        write_events(session, 2)
        session.commit()

    assert seal_audit_log() == 2  # run here, as the worker would (`cli`: on this database)
    with Session(engine) as session:
        assert verify_chain(session).unsealed == 0
