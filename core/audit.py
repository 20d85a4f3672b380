"""The audit log: one append-only row per change of state, chained by SHA-256.

Writing. `record(session, ...)` adds an event in the caller's transaction (it flushes,
never commits), so the event exists exactly when the change it describes does. It takes
no lock: the event is written *unsealed*, with the SHA-256 of its contents
(`content_hash`) and no place in the chain yet (`seq`, `prev_hash`, `hash` NULL).
`record_many` does the same for a list, in one COPY.

Sealing. `seal` (the beat's `audit.seal` every 2 s, `gridgov audit seal`, and `gridgov
audit verify` before it verifies) calls the database's `audit_seal(n)`: it locks the
chain head, takes up to n committed unsealed events in id order, and gives each the next
`seq`, the hash of the event before it and its own `hash`. Chain order is therefore the
order in which events became visible to the sealer (an event committed after a later id
is sealed after it), not id order. Only the sealers queue on the head, for the length of
a batch (3,000 events: ~0.1 s); writers never do. (Transparency logs such as Trillian seal
batches the same way. Linking at COMMIT time instead, with a deferred trigger, still
serialised every commit: bench/README.md, intake.)

Enforced by the database (migrations 0004, 0011), whoever connects, unless triggers are
disabled (triggers `ENABLE ALWAYS`, so `session_replication_role = replica` does not
bypass them either):
- DELETE and TRUNCATE of `audit_event` are refused;
- an INSERT must be unsealed and carry a `content_hash`;
- the only UPDATE allowed is sealing an unsealed row: contents and `content_hash` kept,
  `hash` as below, and the rows a statement seals must continue the head in `seq` order
  (dense: 1, 2, 3, ...); the head moves with them and in no other way.
Between its commit and its sealing (seconds) an event is protected by those triggers
only; once sealed, also by the chain: a superuser who edits, deletes or inserts a sealed
row around the triggers is caught by `verify_chain`.

Canonical form, for an auditor to re-implement:

    content_hash = lowercase hex SHA-256 of the UTF-8 bytes of JCS(content)
    hash         = lowercase hex SHA-256 of the 128 ASCII characters prev_hash || content_hash
                   (in SQL: encode(sha256(convert_to(prev_hash || content_hash, 'UTF8')), 'hex'))
    prev_hash    = the hash of the event with seq - 1; 64 zeros for seq 1

where JCS is the JSON Canonicalization Scheme, RFC 8785 (object keys sorted by their
UTF-16 code units, no whitespace, strings with only `"`, `\\` and control characters
escaped, numbers in ECMAScript form: 1.0 -> 1, 1e-7 -> 1e-7, 1e21 -> 1e+21), and
`content` is the JSON object of exactly these eight members:

    id            integer, the row id
    at            string, the UTC time with six fraction digits:  "2026-11-22T08:30:00.123456Z"
    actor         string  (a username, or "system" / "cli")
    action        string  (e.g. "areas.import", "user.create", "auth.login")
    subject_type  string
    subject_id    string
    before        the stored jsonb value, or null
    after         the stored jsonb value, or null

`before` and `after` are hashed as PostgreSQL returns them from jsonb; jsonb keeps every
string and number exactly, and JCS ignores key order and whitespace, so a verifier reading
the table gets the same bytes the writer hashed. One departure from RFC 8785, which
treats every number as an IEEE double: integers below 10**21 are written out in full
(identical for the integers a double holds exactly, |n| <= 2**53).

Events written before migration 0011 (`content_hash` NULL; their `seq` is their id order)
keep the earlier form: `hash` = SHA-256 of JCS of the eight members above plus a ninth,
`prev_hash`. Example, for an auditor: `psql -At -c "SELECT ... FROM audit_event WHERE seq
IS NOT NULL ORDER BY seq"`, rebuild each object, canonicalise it with any RFC 8785
library, compare its SHA-256 with `content_hash`, `hash` as above, and `prev_hash` with the
hash of the row before.

Verifying. `verify_chain(session)` streams the sealed rows in seq order in bounded memory
and reports the first row that was edited, deleted or inserted out of order (`gridgov
audit verify`), then checks the contents of the rows not sealed yet. A hash chain alone
cannot tell that rows were cut off its end: the head row can (unless it was forged too),
and for a tamper-proof anchor publish the head hash the verifier prints somewhere else (a
ticket, a printed report, another system).
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from core.canonical_json import canonical_json
from core.db import Base, copy_rows, next_ids, session_scope
from core.workflow.rows import Row

GENESIS_HASH = "0" * 64
SEAL_BATCH = 10_000  # events per sealing transaction

# Kinds of tampering a verification names.
EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted out of order"


class AuditEvent(Base):
    """One change of state: who did what to which subject, and the subject before/after."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject_id"),
        Index("ix_audit_event_unsealed", "id", postgresql_where=text("seq IS NULL")),
        CheckConstraint("(seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)",
                        name="sealed_whole"),
    )

    # `record` draws the id first: it is part of the hashed contents.
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[str] = mapped_column(Text)
    before: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    content_hash: Mapped[str | None] = mapped_column(CHAR(64))  # NULL: the pre-0011 form
    # The place in the chain, given by the sealer (NULL until then).
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(CHAR(64))
    hash: Mapped[str | None] = mapped_column(CHAR(64), unique=True)


class AuditChainHead(Base):
    """The one row naming the last sealed event; moved only by the sealing trigger."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(CHAR(64))


# --- the hashes -----------------------------------------------------------------------


def utc_timestamp(at: datetime) -> str:
    """`at` in the canonical form: UTC, six fraction digits, `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


def content_hash(*, id: int, at: datetime, actor: str, action: str, subject_type: str,
                 subject_id: str, before: Any, after: Any) -> str:
    """The SHA-256 of an event's contents in the canonical form (module docstring)."""
    return _digest({"id": id, "at": utc_timestamp(at), "actor": actor, "action": action,
                    "subject_type": subject_type, "subject_id": subject_id,
                    "before": before, "after": after})


def link_hash(prev_hash: str, content: str) -> str:
    """A sealed event's `hash`: its place after `prev_hash`, over its `content_hash`."""
    return hashlib.sha256((prev_hash + content).encode("ascii")).hexdigest()


def legacy_hash(*, id: int, at: datetime, actor: str, action: str, subject_type: str,
                subject_id: str, before: Any, after: Any, prev_hash: str) -> str:
    """The `hash` of an event written before migration 0011: contents and link in one."""
    return _digest({"id": id, "at": utc_timestamp(at), "actor": actor, "action": action,
                    "subject_type": subject_type, "subject_id": subject_id,
                    "before": before, "after": after, "prev_hash": prev_hash})


def _as_json_value(value: Any) -> Any:
    """The value as JSON will hold it (tuples to lists, ...); NaN, infinities refused."""
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit before/after must be plain JSON: {exc}") from None


# --- writing and sealing --------------------------------------------------------------


def record(session: Session, *, actor: str, action: str, subject_type: str,
           subject_id: str | int, before: Any = None, after: Any = None) -> AuditEvent:
    """Append an event to the audit log in the caller's transaction (flushed, not
    committed), unsealed: no lock, no wait for other writers (module docstring)."""
    before, after = _as_json_value(before), _as_json_value(after)
    event_id = session.scalar(text(
        "SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))"))
    at = datetime.now(UTC)  # microseconds, as timestamptz stores them
    fields = dict(id=event_id, at=at, actor=actor, action=action, subject_type=subject_type,
                  subject_id=str(subject_id), before=before, after=after)
    event = AuditEvent(**fields, content_hash=content_hash(**fields))
    session.add(event)
    session.flush()
    return event


# An event's id drawn ahead, as a column of the caller's own statement (a report draws it
# in the statement that places it, and writes the event with `row`): the id is hashed.
NEXT_ID_SQL = "nextval(pg_get_serial_sequence('audit_event', 'id'))"


def row(*, event_id: int, actor: str, action: str, subject_type: str,
        subject_id: str | int, before: Any = None, after: Any = None) -> Row:
    """`record` as a row for `rows.write` (core/workflow/rows.py), with an id drawn
    ahead (`NEXT_ID_SQL`): unsealed, hashed the same way."""
    fields = dict(id=event_id, at=datetime.now(UTC), actor=actor, action=action,
                  subject_type=subject_type, subject_id=str(subject_id),
                  before=_as_json_value(before), after=_as_json_value(after))
    return Row(AuditEvent.__table__, {**fields, "content_hash": content_hash(**fields)})


_COPIED = ("id", "at", "actor", "action", "subject_type", "subject_id", "before", "after",
           "content_hash")


def record_many(session: Session, events: list[dict[str, Any]]) -> int:
    """Append several events at once (bulk moves: the deadline sweep, the demo history).

    Each dict has `record`'s keyword arguments (and may give `at`); one id draw and one
    COPY, unsealed like `record`'s, sealed in list order (ids ascend). Returns how many.
    """
    if not events:
        return 0
    ids = next_ids(session, "audit_event", len(events))
    at = datetime.now(UTC)
    rows = []
    for event_id, event in zip(ids, events, strict=True):
        fields = dict(id=event_id, at=event.get("at", at), actor=event["actor"],
                      action=event["action"], subject_type=event["subject_type"],
                      subject_id=str(event["subject_id"]),
                      before=_as_json_value(event.get("before")),
                      after=_as_json_value(event.get("after")))
        digest = content_hash(**fields)
        for column in ("before", "after"):  # as COPY takes jsonb
            fields[column] = _json_text(fields[column])
        rows.append([*fields.values(), digest])
    copy_rows(session, "audit_event", _COPIED, rows)
    return len(rows)


def _json_text(value: Any) -> str | None:
    """A jsonb column's value as COPY takes it (None is NULL, as `record` stores it)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def seal(session: Session, *, max_rows: int = SEAL_BATCH) -> int:
    """Seal up to `max_rows` committed (and this transaction's own) unsealed events, in
    id order, in the caller's transaction; returns how many. Waits only for another
    sealer."""
    return session.scalar(text("SELECT audit_seal(:n)"), {"n": max_rows})


def seal_all(factory: sessionmaker[Session] | None = None) -> int:
    """Seal everything committed so far, a batch per transaction (what the beat runs)."""
    total = 0
    while True:
        with session_scope(factory) as session:
            sealed = seal(session)
        total += sealed
        if sealed < SEAL_BATCH:
            return total


# --- verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int                 # sealed rows read
    kind: str | None = None      # EDITED, DELETED or INSERTED
    row_id: int | None = None    # the row the finding is about (see `detail`)
    detail: str = ""
    head_id: int | None = None   # last row of the verified chain, and its hash: an anchor
    head_seq: int | None = None
    head_hash: str | None = None
    unsealed: int = 0            # rows not sealed yet (their contents checked)

    def verdict(self) -> str:
        if not self.ok:
            return f"tampered: row #{self.row_id} {self.kind}: {self.detail}"
        waiting = f"; {self.unsealed:,} not sealed yet" if self.unsealed else ""
        if not self.checked:
            return "intact: no sealed event" + waiting
        return (f"intact: {self.checked:,} events, head #{self.head_id} (seq "
                f"{self.head_seq}) {self.head_hash}{waiting}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_CONTENT = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action,
            AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.before,
            AuditEvent.after, AuditEvent.content_hash)
_CHAIN = (AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)


def _sealed_rows(session: Session, batch: int) -> Iterator[Any]:
    query = (select(*_CONTENT, *_CHAIN).where(AuditEvent.seq.is_not(None))
             .order_by(AuditEvent.seq).execution_options(yield_per=batch))
    yield from session.execute(query)


def _contents_ok(row: Any) -> bool:
    return content_hash(id=row.id, at=row.at, actor=row.actor, action=row.action,
                        subject_type=row.subject_type, subject_id=row.subject_id,
                        before=row.before, after=row.after) == row.content_hash


def _sealed_row_ok(row: Any) -> bool:
    """Its contents and its own link (not yet whether it links to the row before)."""
    if row.content_hash is None:  # written before migration 0011
        return row.hash == legacy_hash(
            id=row.id, at=row.at, actor=row.actor, action=row.action,
            subject_type=row.subject_type, subject_id=row.subject_id, before=row.before,
            after=row.after, prev_hash=row.prev_hash)
    return (_contents_ok(row) and row.prev_hash is not None
            and row.hash == link_hash(row.prev_hash, row.content_hash))


def verify_chain(session: Session, *, progress: Callable[[int, int], None] | None = None,
                 batch: int = 2000) -> VerifyReport:
    """Check every sealed row's hashes and link in seq order, the end against the chain
    head, then the contents of the unsealed rows.

    Memory is bounded (rows are streamed `batch` at a time, two hashes are remembered).
    Run it in a REPEATABLE READ transaction for one consistent view (the CLI does); under
    READ COMMITTED, events sealed while it runs are told apart from tampering too.
    """
    total = session.scalar(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.seq.is_not(None))) if progress else 0
    checked = 0
    expected = GENESIS_HASH     # the hash the next row must link to
    before_expected = None      # the hash the previous row had to link to
    previous = None             # (id, seq, hash) of the previous row

    def tampered(kind: str, row_id: int, detail: str) -> VerifyReport:
        return VerifyReport(False, checked, kind, row_id, detail, *(previous or (None,) * 3))

    rows = _sealed_rows(session, batch)
    for row in rows:
        checked += 1
        if progress and checked % batch == 0:
            progress(checked, max(total, checked))
        if not _sealed_row_ok(row):
            return tampered(EDITED, row.id, "its stored hash does not match its contents")
        if row.prev_hash != expected or row.seq != (previous[1] if previous else 0) + 1:
            return _misplaced(session, row, next(rows, None), previous, expected,
                              before_expected, tampered)
        before_expected, expected, previous = expected, row.hash, (row.id, row.seq, row.hash)
    if progress:
        progress(checked, checked)
    report = _check_head(session, checked, previous, tampered)
    return report if not report.ok else _check_unsealed(session, report, batch)


def _misplaced(session: Session, row: Any, following: Any, previous: tuple | None,
               expected: str, before_expected: str | None, tampered) -> VerifyReport:
    """A row that does not continue the chain: which row was edited, deleted or slipped in."""
    after_what = f"#{previous[0]}" if previous else "the start"
    next_seq = (previous[1] if previous else 0) + 1
    if row.prev_hash == expected:  # linked right, numbered wrong (seq is not hashed)
        return tampered(EDITED, row.id, f"its seq was changed: it is {row.seq} after "
                        f"{after_what}, where {next_seq} belongs")
    if following is None and row.seq > _head(session).last_seq:
        return tampered(INSERTED, row.id, f"it does not link to {after_what} and is "
                        "past the chain head: written around the chain")
    if following is not None and following.prev_hash == expected:
        return tampered(INSERTED, row.id, f"it does not link to {after_what}, "
                        f"and #{following.id} after it does")
    if previous is not None and row.prev_hash == before_expected:
        return tampered(INSERTED, previous[0], f"#{row.id} links to the row before it, "
                        "so it was slipped into the chain")
    if previous is not None and row.seq == next_seq:
        return tampered(EDITED, previous[0], f"it was rewritten with a new hash that "
                        f"#{row.id} does not link to")
    return tampered(DELETED, row.id, f"the row(s) between {after_what} and #{row.id} "
                    f"(seq {next_seq} to {row.seq - 1}) are missing: its prev_hash "
                    "matches no row")


def _head(session: Session) -> Any:
    return session.execute(select(AuditChainHead.last_id, AuditChainHead.last_seq,
                                  AuditChainHead.last_hash)
                           .where(AuditChainHead.id == 1)).one()


def _check_head(session: Session, checked: int, last: tuple[int, int, str] | None,
                tampered: Callable[[str, int, str], VerifyReport]) -> VerifyReport:
    """The last row read against the head the sealing trigger keeps (read afterwards, so
    under READ COMMITTED it may be newer than the rows read, never older)."""
    head = _head(session)
    last_id, last_seq, last_hash = last or (0, 0, GENESIS_HASH)
    if last_seq > head.last_seq:
        first = session.scalar(select(AuditEvent.id).where(AuditEvent.seq > head.last_seq)
                               .order_by(AuditEvent.seq).limit(1))
        return tampered(INSERTED, first if first is not None else last_id,
                        f"it is past the chain head (seq {head.last_seq}): written around "
                        "the chain")
    if last_seq == head.last_seq and last_hash != head.last_hash:
        return tampered(EDITED, last_id, "its hash differs from the one the chain head records")
    if last_seq < head.last_seq:
        # Sealed while we read (READ COMMITTED), or cut off the end?
        now = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == head.last_seq))
        if now != head.last_hash:
            where = f"#{last_id}" if last else "the start"
            return tampered(DELETED, head.last_id, f"the chain head records #{head.last_id} "
                            f"(seq {head.last_seq}), but the log ends at {where}: rows after "
                            "it were deleted")
    head_id, head_seq, head_hash = last or (None, None, None)
    return VerifyReport(True, checked, head_id=head_id, head_seq=head_seq, head_hash=head_hash)


def _check_unsealed(session: Session, report: VerifyReport, batch: int) -> VerifyReport:
    """Rows not sealed yet: their contents must match the content_hash written with them."""
    query = (select(*_CONTENT).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)
             .execution_options(yield_per=batch))
    unsealed = 0
    for row in session.execute(query):
        unsealed += 1
        if row.content_hash is None or not _contents_ok(row):
            return VerifyReport(False, report.checked, EDITED, row.id, "not sealed yet, and "
                                "its contents do not match the content_hash written with them",
                                report.head_id, report.head_seq, report.head_hash, unsealed)
    return VerifyReport(True, report.checked, head_id=report.head_id,
                        head_seq=report.head_seq, head_hash=report.head_hash, unsealed=unsealed)
