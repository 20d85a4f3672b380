"""The kernel sweep (core/workflow/sweep.py) over case types declared for the test: one
read finds the due clocks of every case type, each case type's hook gets only its own
clocks, a clock of an undeclared case type is left alone, and a sweep right after finds
that nothing is due in one statement however many case types are registered (the statement
count, not a timing: bench/sweep.py measures the time)."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from core.workflow import case_types
from core.workflow.case_types import Escalation
from core.workflow.runner import now_utc
from core.workflow.sweep import sweep
from tests.plugin_platform.platform import TICKET, Ticket, TicketBase

PLAIN = replace(TICKET, code="test.sweep.plain", subject_type="test_sweep_plain")
HOOKED = "test.sweep.hooked"
EXTRA = [replace(PLAIN, code=f"test.sweep.extra{k}", subject_type=f"test_sweep_extra{k}")
         for k in range(10)]
FIND = "case_type = ANY"  # a piece of the one find's text (core/workflow/sweep.py FIND_DUE_SQL)


@pytest.fixture
def hook_calls(session) -> Iterator[list[list[int]]]:
    """Two case types over the test platform's ticket table (created in the test's
    transaction): one with no hook, one whose hook records the clocks it is given and
    escalates its red ones as far as they go (no hand-off)."""
    calls: list[list[int]] = []

    def on_sweep(session, changes, leftover, now, sign_by):
        calls.append(sorted(c.clock_id for c in (*changes, *leftover)))
        return [Escalation(c.clock_id, c.subject_id, None, "", "", None)
                for c in (*changes, *leftover) if c.colour == "red"]

    TicketBase.metadata.create_all(session.connection())
    case_types.register(PLAIN)
    case_types.register(replace(PLAIN, code=HOOKED, subject_type="test_sweep_hooked",
                                on_sweep=on_sweep))
    try:
        yield calls
    finally:
        for code in (PLAIN.code, HOOKED, *(e.code for e in EXTRA)):
            case_types.unregister(code)


def clock(session, case_type: str, *, warn, due) -> int:
    """A running step clock of a new ticket under `case_type`."""
    ticket = Ticket(owner_code="430202", grid_code="430202001001001", title="sweep",
                    opened_at=now_utc())
    session.add(ticket)
    session.flush()
    return session.scalar(text("""
        INSERT INTO case_clock (subject_type, subject_id, case_type, name, "limit",
                                started_at, warn_at, due_at)
        VALUES (:type, :subject, :case_type, 'step', '5cd', :started, :warn, :due)
        RETURNING id"""), {"type": case_type.replace(".", "_"), "subject": ticket.id,
                           "case_type": case_type, "started": due - timedelta(days=5),
                           "warn": warn, "due": due})


def clock_state(session, clock_id: int) -> tuple[str, bool]:
    return tuple(session.execute(text(
        "SELECT colour, escalated FROM case_clock WHERE id = :id"), {"id": clock_id}).one())


def statements_of(session, action) -> list[str]:
    """The SQL text of every statement `action` runs on the session's connection."""
    seen: list[str] = []

    def log(conn, cursor, statement, *args):
        seen.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", log)
    try:
        action()
    finally:
        event.remove(connection, "before_cursor_execute", log)
    return seen


def test_one_find_dispatches_each_case_types_clocks_to_its_own_hook(session, settings,
                                                                      hook_calls):
    now = now_utc()
    past, future = now - timedelta(minutes=5), now + timedelta(hours=5)
    plain_red = clock(session, PLAIN.code, warn=past, due=past)
    hooked_yellow = clock(session, HOOKED, warn=past, due=future)
    hooked_red = clock(session, HOOKED, warn=past, due=past)
    nobodys = clock(session, "test.sweep.nobody", warn=past, due=past)  # not registered

    statements = statements_of(session, lambda: sweep(session, now=now, settings=settings))
    assert sum(FIND in s for s in statements) == 1
    # The hook had its own two clocks, in one call; the plain case type's red is done once.
    assert hook_calls == [sorted([hooked_yellow, hooked_red])]
    assert clock_state(session, plain_red) == ("red", True)
    assert clock_state(session, hooked_yellow) == ("yellow", False)
    assert clock_state(session, hooked_red) == ("red", True)
    assert clock_state(session, nobodys) == ("green", False)


def test_counts_are_reported_by_case_type(session, settings, hook_calls):
    now = now_utc()
    past, future = now - timedelta(minutes=5), now + timedelta(hours=5)
    clock(session, PLAIN.code, warn=past, due=past)
    clock(session, HOOKED, warn=past, due=future)
    clock(session, HOOKED, warn=past, due=past)
    result = sweep(session, now=now, settings=settings)
    assert result.by_case_type[PLAIN.code] == {"yellow": 0, "red": 1, "escalated": 0}
    # Escalated "as far as it goes" (no hand-off): written on the clock, not counted.
    assert result.by_case_type[HOOKED] == {"yellow": 1, "red": 1, "escalated": 0}


def test_a_second_sweep_finds_nothing_due_in_one_statement(session, settings, hook_calls):
    now = now_utc()
    past = now - timedelta(minutes=5)
    for _ in range(3):
        clock(session, PLAIN.code, warn=past, due=past)
        clock(session, HOOKED, warn=past, due=past)
    sweep(session, now=now, settings=settings)
    results = []
    idle = statements_of(session, lambda: results.append(
        sweep(session, now=now, settings=settings)))
    assert results[0].by_case_type[PLAIN.code] == {"yellow": 0, "red": 0, "escalated": 0}
    assert results[0].by_case_type[HOOKED] == {"yellow": 0, "red": 0, "escalated": 0}
    assert len(hook_calls) == 1  # the hook was not called again
    assert sum(FIND in s for s in idle) == 1
    assert not any("test_ticket" in s for s in idle)  # no subject of ours locked
    # Ten more case types: not one statement more (it was a find and an expiry of hand-offs
    # per case type, each walking what the first sweep left in the sweep's index).
    for extra in EXTRA:
        case_types.register(extra)
    more = statements_of(session, lambda: sweep(session, now=now, settings=settings))
    assert len(case_types.registered()) >= len(EXTRA) + 2
    assert len(more) == len(idle)
    assert sum(FIND in s for s in more) == 1


def test_the_clocks_table_is_vacuumed_after_a_small_share_of_its_rows_change(session):
    """Migration 0032: the old versions a sweep leaves in the find's index go with the
    next autovacuum, which the default 20 % would not start for one sweep's clocks."""
    options = session.scalar(text(
        "SELECT reloptions FROM pg_class WHERE oid = 'case_clock'::regclass"))
    assert "autovacuum_vacuum_scale_factor=0.005" in options
