"""Numbers per unit, kind and year: no gap and no duplicate, even when 20 documents are
locked at once, each in its own session and transaction; a lock that rolls back gives its
number back (checked by rolling back five of 25 concurrent locks)."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from core.documents import issue, lock, numbering, set_numbering_rule
from core.documents.models import Document
from core.errors import InvalidInput
from core.workflow.clocks import Subject
from tests.core.documents.conftest import PENALTY, make_unit

RECTIFY = {"party_name": "某某餐饮店", "findings": "后厨未设防蝇设施。",
           "violated_basis": "《食品安全法》第三十三条",
           "order_basis": "《食品安全法》第一百二十六条",
           "deadline": "2026-12-20"}


def test_the_number_follows_the_units_rule(session, unit):
    document = issue(session, subject=Subject("test_case", 1), kind="penalty_decision",
                     unit_id=unit, fields=PENALTY, actor="test")
    assert document.number is None and document.serial is None  # a draft has none
    lock(session, document, "test", now=datetime(2026, 3, 1, 2, tzinfo=UTC))
    assert document.number == "株荷综执罚决字〔2026〕第0001号"
    assert (document.year, document.serial) == (2026, 1)


def test_each_kind_and_year_counts_on_its_own(session, unit):
    def locked(kind, fields, when):
        draft = issue(session, subject=Subject("test_case", 1), kind=kind, unit_id=unit,
                      fields=fields, actor="test")
        return lock(session, draft, "test", now=when).number

    spring, winter = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert locked("penalty_decision", PENALTY, spring).endswith("〔2026〕第0001号")
    assert locked("penalty_decision", PENALTY, spring).endswith("〔2026〕第0002号")
    assert locked("rectification_order", RECTIFY, spring) == "株荷综执责改字〔2026〕第0001号"
    # 16:30 UTC on 31 December is 00:30 on 1 January in Shanghai: next year's first.
    assert locked("penalty_decision", PENALTY, winter).endswith("〔2027〕第0001号")


def test_a_kinds_own_rule_overrides_the_units(session, unit):
    set_numbering_rule(session, unit_id=unit, kind="penalty_decision", agency="株荷综执",
                       category="简罚", digits=3, actor="test")
    draft = issue(session, subject=Subject("test_case", 1), kind="penalty_decision",
                  unit_id=unit, fields=PENALTY, actor="test")
    assert lock(session, draft, "test").number.endswith("简罚字〔2026〕第001号")


def test_a_unit_without_a_rule_is_refused_clearly(session, unit, demo_city):
    bare = session.scalar(text("INSERT INTO unit (code, name, kind, platform, seat_code) "
                               "VALUES ('doc-bare', '无代字单位', 'department', 'grid', '430202') "
                               "RETURNING id"))
    draft = issue(session, subject=Subject("test_case", 1), kind="penalty_decision",
                  unit_id=bare, fields=PENALTY, actor="test")
    with pytest.raises(InvalidInput) as refused:
        lock(session, draft, "test")
    assert refused.value.code == "numbering_rule_missing"


@pytest.mark.parametrize("rule, code", [
    ({"agency": ""}, "numbering_agency_invalid"),
    ({"agency": "株", "pattern": "{agency}{nope}"}, "numbering_pattern_invalid"),
    ({"agency": "株", "pattern": "{agency}{year}"}, "numbering_pattern_invalid"),
    ({"agency": "株", "digits": 0}, "numbering_digits_invalid"),
])
def test_bad_rules_are_refused(session, unit, rule, code):
    with pytest.raises(InvalidInput) as refused:
        numbering.set_rule(session, unit_id=unit, actor="test", **rule)
    assert refused.value.code == code


CONCURRENT = 20
ABANDONED = 5  # locks that roll back after taking a number


@pytest.fixture
def committed_unit(engine, demo_city):
    """A unit committed for real (the threads' sessions must see it), removed after."""
    with Session(engine) as setup:
        unit_id = make_unit(setup)
        setup.commit()
    yield unit_id
    with Session(engine) as cleanup:
        # Locked documents refuse DELETE (the immutability trigger); a test's own rows go.
        cleanup.execute(text("ALTER TABLE document DISABLE TRIGGER document_immutable"))
        cleanup.execute(text("DELETE FROM document WHERE unit_id = :u"), {"u": unit_id})
        cleanup.execute(text("ALTER TABLE document ENABLE ALWAYS TRIGGER document_immutable"))
        cleanup.execute(text("DELETE FROM unit WHERE id = :u"), {"u": unit_id})
        cleanup.commit()


def test_concurrent_locks_leave_no_gap_and_no_duplicate(database_url, committed_unit):
    # A connection for each transaction: all of them open at once.
    engine = create_engine(database_url, pool_size=CONCURRENT + ABANDONED, max_overflow=0)
    start = threading.Barrier(CONCURRENT + ABANDONED)
    failures: list[BaseException] = []

    def one(index: int) -> None:
        try:
            with Session(engine) as session:
                draft = issue(session, subject=Subject("test_case", index),
                              kind="penalty_decision", unit_id=committed_unit,
                              fields=PENALTY, actor=f"officer-{index}")
                session.flush()
                start.wait(timeout=120)  # every transaction open before any locks
                lock(session, draft, f"officer-{index}")
                if index < ABANDONED:
                    session.rollback()  # abandoned after taking a number: it goes back
                else:
                    session.commit()
        except BaseException as exc:  # noqa: BLE001 (reported below, with the thread's)
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONCURRENT + ABANDONED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    engine.dispose()
    assert not failures, failures
    with Session(engine) as check:
        rows = check.execute(select(Document.serial, Document.number).where(
            Document.unit_id == committed_unit).order_by(Document.serial)).all()
    assert [serial for serial, _ in rows] == list(range(1, CONCURRENT + 1))
    assert len({number for _, number in rows}) == CONCURRENT
    assert rows[-1].number.startswith("株荷综执罚决字〔")
    assert rows[-1].number.endswith(f"〕第{CONCURRENT:04d}号")
