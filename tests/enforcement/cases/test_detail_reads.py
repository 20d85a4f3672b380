"""A case's detail reads in a fixed, small number of statements (the benchmark's p95 is
mostly round trips to a loaded database: bench/enforcement_cases.py)."""

from sqlalchemy import event

from enforcement.cases.service import case_detail
from tests.enforcement.cases.conftest import MATTER, at, move, open_clue


def statements(session, call) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_the_detail_reads_in_few_statements(session, settings, desk):
    case = open_clue(session, settings, desk, now=at("2026-09-01 10:00"))
    move(session, settings, desk, case, "file", now=at("2026-09-01 11:00"), matter_code=MATTER)
    session.flush()
    session.expire_all()
    from enforcement.cases.models import Case

    case = session.get(Case, case.id)
    seen = statements(session, lambda: case_detail(session, case, desk.people["head"],
                                                   settings=settings))
    # The calendar's freshness check (the kernel's) and the detail's one statement.
    assert len(seen) == 2, [" ".join(s.split())[:120] for s in seen]
