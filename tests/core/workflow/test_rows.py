"""The kernel rows of one change in one statement (core/workflow/rows.py): what a report
writes around its incident, row for row what the ORM helpers write."""

from datetime import UTC, datetime

from sqlalchemy import event, text

from core import audit
from core.workflow import clocks, notify, outbox, rows, timeline
from core.workflow.calendar import WorkingCalendar
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import parse_duration
from core.workflow.kernel import Notice
from core.workflow.models import TimelineEvent
from core.workflow.rows import Row

SUBJECT = Subject("test_rows", 424242)
AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _statements(session) -> list[str]:
    seen: list[str] = []
    event.listen(session.connection(), "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def _rows(session, unit_id: int) -> list[Row | None]:
    clock = clocks.start_detached(ClockRule(name="step", limit=parse_duration("8h"),
                                            citation="测试 第一条"),
                                  now=AT, calendar=WorkingCalendar([]), warn_share=0.8)
    event_id = session.scalar(text(f"SELECT {audit.NEXT_ID_SQL}"))
    return [clocks.row_of(clock, SUBJECT, case_type="test_rows"),
            timeline.row(SUBJECT, actor="tester", action="report", to_state="reported",
                         data={"n": 1, "名": "二"}, at=AT),
            notify.row(session, SUBJECT, Notice("test.rows", "标题", (unit_id,)), body="正文"),
            notify.row(session, SUBJECT, Notice("test.rows", "nobody", (None,))),  # None
            audit.row(event_id=event_id, actor="tester", action="test.rows",
                      subject_type=SUBJECT.type, subject_id=SUBJECT.id,
                      after={"state": "reported", "urgency": "normal"})]


def test_the_rows_are_written_in_one_statement_as_the_helpers_write_them(session, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)
    unit_id = session.scalar(text("SELECT id FROM unit ORDER BY id LIMIT 1")) or 1
    batch = _rows(session, unit_id)
    seen = _statements(session)
    rows.write(session, batch)
    assert len(seen) == 1 and seen[0].startswith("WITH w0 AS (INSERT INTO \"case_clock\"")

    clock = session.execute(text("SELECT * FROM case_clock WHERE subject_type = :t AND "
                                 "subject_id = :i"), {"t": SUBJECT.type, "i": SUBJECT.id}).one()
    assert (clock.name, clock.limit, clock.colour, clock.citation) == ("step", "8h", "green",
                                                                       "测试 第一条")
    assert clock.due_at == batch[0].values["due_at"] and clock.stopped_at is None
    events = timeline.events_of(session, SUBJECT)
    assert events == [{"at": AT, "actor": "tester", "action": "report", "from_state": None,
                       "to_state": "reported", "note": None, "data": {"n": 1, "名": "二"}}]
    message = session.execute(text("SELECT topic, payload FROM outbox_message WHERE "
                                   "payload->>'subject_type' = :t"), {"t": SUBJECT.type}).one()
    assert message.topic == "test.rows" and message.payload["audience"]["unit_ids"] == [unit_id]
    assert message.payload["title"] == "标题" and message.payload["body"] == "正文"
    assert session.info.get("outbox_pending") is True  # delivery asked for at the commit


def test_an_audit_row_hashes_as_record_does_and_seals(session, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)
    written = _rows(session, 1)[-1]
    rows.write(session, [written])
    stored = session.execute(text("SELECT * FROM audit_event WHERE id = :id"),
                             {"id": written.values["id"]}).one()
    assert stored.seq is None and stored.content_hash == audit.content_hash(
        id=stored.id, at=stored.at, actor=stored.actor, action=stored.action,
        subject_type=stored.subject_type, subject_id=stored.subject_id,
        before=stored.before, after=stored.after)
    assert audit.verify_chain(session).ok
    audit.seal(session)
    report = audit.verify_chain(session)
    assert report.ok and report.unsealed == 0 and report.head_id == stored.id


def test_an_object_row_takes_the_columns_set_on_it():
    row = Row.of_object(TimelineEvent(subject_type="x", subject_id=1, actor="a",
                                      action="b"))
    assert row.table.name == "timeline_event"
    assert row.values == {"subject_type": "x", "subject_id": 1, "actor": "a", "action": "b"}


def test_nothing_to_write_runs_nothing(session):
    seen = _statements(session)
    rows.write(session, [None])
    assert seen == []


# --- write_once: a new subject and its kernel rows, or nothing ----------------------------

def _user_values(session, username: str) -> dict:
    """A new account as the head row (a table with a unique key: the user name), its id
    drawn ahead as a report draws its incident's."""
    return {"id": session.scalar(text("SELECT nextval(pg_get_serial_sequence('app_user', "
                                      "'id'))")),
            "username": username, "password_hash": "!", "role": "village_staff",
            "scope_code": session.scalar(text("SELECT code FROM area ORDER BY code LIMIT 1"))}


def _row_as_dict(session, table: str, row_id: int) -> dict:
    found = session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})
    return dict(found.mappings().one())


def test_write_once_writes_the_head_and_its_rows_in_one_statement(session, monkeypatch,
                                                                  demo_city):
    from core.users.models import User

    monkeypatch.setattr(outbox, "kick", lambda: None)
    unit_id = session.scalar(text("SELECT id FROM unit ORDER BY id LIMIT 1")) or 1
    batch = _rows(session, unit_id)
    values = _user_values(session, "test-rows-once")
    seen = _statements(session)
    written = rows.write_once(session, Row.new(User.__table__, values),
                              key_columns=("username",), rows=batch)
    assert written == values["id"] and len(seen) == 1
    # The head row as the ORM writes the same values (its Python-side defaults included).
    twin = User(**{**{k: v for k, v in values.items() if k != "id"},
                   "username": "test-rows-twin"})
    session.add(twin)
    session.flush()
    head, orm = (_row_as_dict(session, "app_user", i) for i in (written, twin.id))
    differ = {"id", "username", "created_at", "updated_at"}
    assert {k: v for k, v in head.items() if k not in differ} == \
        {k: v for k, v in orm.items() if k not in differ}
    assert head["is_active"] is True and head["full_name"] == ""
    # Every row selected from the head's RETURNING is written, typed as its column.
    clock = session.execute(text("SELECT * FROM case_clock WHERE subject_type = :t AND "
                                 "subject_id = :i"), {"t": SUBJECT.type, "i": SUBJECT.id}).one()
    assert (clock.limit, clock.due_at, clock.warn_at, clock.paused_at) == (
        "8h", batch[0].values["due_at"], batch[0].values["warn_at"], None)
    assert timeline.events_of(session, SUBJECT)[0]["data"] == {"n": 1, "名": "二"}
    assert session.scalar(text("SELECT payload->>'title' FROM outbox_message WHERE "
                               "payload->>'subject_type' = :t"), {"t": SUBJECT.type}) == "标题"
    event = batch[-1].values
    stored = session.execute(text("SELECT * FROM audit_event WHERE id = :id"),
                             {"id": event["id"]}).one()
    assert stored.content_hash == event["content_hash"] == audit.content_hash(
        id=stored.id, at=stored.at, actor=stored.actor, action=stored.action,
        subject_type=stored.subject_type, subject_id=stored.subject_id,
        before=stored.before, after=stored.after)
    assert stored.before is None  # NULL, not a JSON null: as `record` stores it


def test_write_once_with_a_taken_key_writes_nothing(session, monkeypatch, demo_city):
    from core.users.models import User

    monkeypatch.setattr(outbox, "kick", lambda: None)
    first = _user_values(session, "test-rows-taken")
    assert rows.write_once(session, Row.new(User.__table__, first),
                           key_columns=("username",)) == first["id"]
    batch = _rows(session, 1)
    again = _user_values(session, "test-rows-taken")
    assert rows.write_once(session, Row.new(User.__table__, again), key_columns=("username",),
                           rows=batch) is None
    assert session.scalar(text("SELECT count(*) FROM app_user WHERE id = :id"),
                          {"id": again["id"]}) == 0
    for table in ("case_clock", "timeline_event"):
        assert session.scalar(text(f"SELECT count(*) FROM {table} WHERE subject_type = :t"),
                              {"t": SUBJECT.type}) == 0
    assert session.scalar(text("SELECT count(*) FROM audit_event WHERE id = :id"),
                          {"id": batch[-1].values["id"]}) == 0


def test_write_once_refuses_a_value_too_long_as_an_insert_does(session, demo_city):
    """Its rows' values are cast to their columns' types, a string to text: the column
    still refuses what does not fit, never cuts it short."""
    import pytest
    from sqlalchemy.exc import DataError

    from core.users.models import User

    too_long = timeline.row(SUBJECT, actor="tester", action="x" * 49, at=AT)  # String(48)
    with pytest.raises(DataError), session.begin_nested():
        rows.write_once(session, Row.new(User.__table__, _user_values(session, "test-rows-long")),
                        key_columns=("username",), rows=[too_long])


def test_a_new_row_takes_the_constant_python_defaults():
    from core.users.models import User

    row = Row.new(User.__table__, {"username": "a", "is_active": False})
    assert row.values["is_active"] is False and row.values["full_name"] == ""
    assert row.values["token_epoch"] == 0 and "created_at" not in row.values
