"""The audit log: one append-only row per change of state, chained by SHA-256.

Writing. `record(session, ...)` adds an event in the caller's transaction (it flushes,
never commits), so the event exists exactly when the change it describes does. Writers
are serialised on the one row of `audit_chain_head` (`SELECT ... FOR UPDATE`): the event
id is drawn from the sequence while that lock is held, so id order is chain order, and a
concurrent writer waits until the holder commits or rolls back, then links to whatever
was committed. That works under any isolation level (under REPEATABLE READ a writer that
lost the race gets a serialization failure instead of forking the chain). The lock is
held until the caller's transaction ends: call `record` late in a long transaction.

Enforced by the database (migration 0004), whoever connects, unless triggers are disabled:
- UPDATE, DELETE and TRUNCATE of `audit_event` are refused (triggers `ENABLE ALWAYS`, so
  `session_replication_role = replica` does not bypass them either);
- an INSERT must extend the chain: its id above the head's, its `prev_hash` the head's
  hash; it then moves the head (trigger), which nothing else may write.

Canonical form (what `hash` is the SHA-256 of), for an auditor to re-implement:

    hash = lowercase hex SHA-256 of the UTF-8 bytes of JCS(event)

where JCS is the JSON Canonicalization Scheme, RFC 8785 (object keys sorted by their
UTF-16 code units, no whitespace, strings with only `"`, `\\` and control characters
escaped, numbers in ECMAScript form: 1.0 -> 1, 1e-7 -> 1e-7, 1e21 -> 1e+21), and
`event` is the JSON object of exactly these nine members:

    id            integer, the row id
    at            string, the UTC time with six fraction digits:  "2026-11-22T08:30:00.123456Z"
    actor         string  (a username, or "system" / "cli")
    action        string  (e.g. "areas.import", "user.create", "auth.login")
    subject_type  string
    subject_id    string
    before        the stored jsonb value, or null
    after         the stored jsonb value, or null
    prev_hash     string, the previous event's hash; 64 zeros for the first event

`before` and `after` are hashed as PostgreSQL returns them from jsonb; jsonb keeps every
string and number exactly, and JCS ignores key order and whitespace, so a verifier reading
the table gets the same bytes the writer hashed. One departure from RFC 8785, which
treats every number as an IEEE double: integers below 10**21 are written out in full
(identical for the integers a double holds exactly, |n| <= 2**53). Example, for an auditor:
`psql -At -c "SELECT ... FROM audit_event ORDER BY id"`, rebuild the object, canonicalise
it with any RFC 8785 library, compare the SHA-256 with `hash`, and `prev_hash` with the
hash of the row before.

Verifying. `verify_chain(session)` streams the rows in id order in bounded memory and
reports the first row that was edited, deleted or inserted out of order
(`gridgov audit verify`). A hash chain alone cannot tell that rows were cut off its end:
the head row can (unless it was forged too), and for a tamper-proof anchor publish the
head hash the verifier prints somewhere else (a ticket, a printed report, another system).
"""

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _quote  # RFC 8785's string escaping
from typing import Any

from sqlalchemy import CHAR, BigInteger, DateTime, Identity, Index, Text, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, copy_rows, next_ids

GENESIS_HASH = "0" * 64

# Kinds of tampering a verification names.
EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted out of order"


class AuditEvent(Base):
    """One change of state: who did what to which subject, and the subject before/after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    # `record` draws the id from the identity's sequence itself (see the module docstring).
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[str] = mapped_column(Text)
    before: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    prev_hash: Mapped[str] = mapped_column(CHAR(64))
    hash: Mapped[str] = mapped_column(CHAR(64), unique=True)


class AuditChainHead(Base):
    """The one row naming the last event of the chain; moved only by the insert trigger."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(CHAR(64))


# --- canonical form -------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS) text of a JSON value (dict, list, str, int, float, bool, None)."""
    if _standard_library_agrees(value):
        return _SORTED_COMPACT.encode(value)
    parts: list[str] = []
    _canonical(value, parts)
    return "".join(parts)


# Sorted, compact, unescaped JSON from the C encoder: RFC 8785 for most values, ~5x faster.
_SORTED_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True,
                                   separators=(",", ":"))


def _standard_library_agrees(value: Any) -> bool:
    """Whether `_SORTED_COMPACT` writes `value` exactly as RFC 8785 does: keys whose code
    point order is their UTF-16 order (no character from U+D800 up), integers below
    10**21, and floats Python and ECMAScript both write in plain decimals (not integral,
    1e-4 <= |x| < 1e16)."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) < 10**21
    if isinstance(value, float):
        return not value.is_integer() and 1e-4 <= abs(value) < 1e16
    if isinstance(value, dict):
        return all(isinstance(key, str) and (not key or max(key) < "\ud800")
                   and _standard_library_agrees(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_standard_library_agrees(item) for item in value)
    return False


def _canonical(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        # In full below 10**21, where ECMAScript writes integral doubles out in full too;
        # above, as the double it rounds to (jsonb hands floats that big back as ints).
        out.append(str(value) if abs(value) < 10**21 else _es_number(_to_float(value)))
    elif isinstance(value, float):
        out.append(_es_number(value))
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {key!r}")
            if i:
                out.append(",")
            out.append(_quote(key))
            out.append(":")
            _canonical(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canonical(item, out)
        out.append("]")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def _utf16_key(key: Any) -> bytes:
    return key.encode("utf-16-be") if isinstance(key, str) else b""


def _to_float(n: int) -> float:
    try:
        return float(n)
    except OverflowError:
        raise ValueError(f"{n} is too large for a JSON number") from None


def _es_number(x: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a JSON number")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr is the shortest decimal that round-trips, as ECMAScript requires.
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len("".join(map(str, digit_tuple))) - len(digits)
    k, n = len(digits), len(digits) + exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def utc_timestamp(at: datetime) -> str:
    """`at` in the canonical form: UTC, six fraction digits, `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(*, id: int, at: datetime, actor: str, action: str, subject_type: str,
               subject_id: str, before: Any, after: Any, prev_hash: str) -> str:
    """The SHA-256 of an event in the canonical form described in the module docstring."""
    event = {"id": id, "at": utc_timestamp(at), "actor": actor, "action": action,
             "subject_type": subject_type, "subject_id": subject_id, "before": before,
             "after": after, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


def _as_json_value(value: Any) -> Any:
    """The value as JSON will hold it (tuples to lists, ...); NaN, infinities refused."""
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit before/after must be plain JSON: {exc}") from None


# --- writing --------------------------------------------------------------------------


def record(session: Session, *, actor: str, action: str, subject_type: str,
           subject_id: str | int, before: Any = None, after: Any = None) -> AuditEvent:
    """Append an event to the audit log in the caller's transaction (flushed, not committed).

    Holds the chain lock until that transaction ends; see the module docstring.
    """
    before, after = _as_json_value(before), _as_json_value(after)
    # Lock the head, then draw the id: id order is chain order.
    prev_hash, event_id = session.execute(text(
        "SELECT last_hash, nextval(pg_get_serial_sequence('audit_event', 'id')) "
        "FROM audit_chain_head WHERE id = 1 FOR UPDATE")).one()
    at = datetime.now(UTC)  # microseconds, as timestamptz stores them
    fields = dict(id=event_id, at=at, actor=actor, action=action, subject_type=subject_type,
                  subject_id=str(subject_id), before=before, after=after, prev_hash=prev_hash)
    event = AuditEvent(**fields, hash=event_hash(**fields))
    session.add(event)
    session.flush()
    return event


def record_many(session: Session, events: list[dict[str, Any]]) -> int:
    """Append several events at once (bulk moves: the deadline sweep, the demo history).

    Each dict has `record`'s keyword arguments (and may give `at`); one head lock, one id
    draw and one COPY, in list order (which is chain order). Returns how many.
    """
    if not events:
        return 0
    prev_hash = session.execute(text(
        "SELECT last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")).scalar_one()
    ids = next_ids(session, "audit_event", len(events))
    at = datetime.now(UTC)
    rows = []
    for event_id, event in zip(ids, events, strict=True):
        fields = dict(id=event_id, at=event.get("at", at), actor=event["actor"],
                      action=event["action"], subject_type=event["subject_type"],
                      subject_id=str(event["subject_id"]),
                      before=_as_json_value(event.get("before")),
                      after=_as_json_value(event.get("after")), prev_hash=prev_hash)
        prev_hash = event_hash(**fields)
        rows.append({**fields, "hash": prev_hash})
    # One COPY: one statement, so the chain is checked and its head moved once (migration
    # 0009); row-per-statement inserts would move the head once per row.
    columns = list(rows[0])
    copy_rows(session, "audit_event", columns,
              ([_json_text(row[column]) if column in _JSONB else row[column]
                for column in columns] for row in rows))
    return len(rows)


_JSONB = {"before", "after"}


def _json_text(value: Any) -> str | None:
    """A jsonb column's value as COPY takes it (None is NULL, as `record` stores it)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


# --- verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int                 # rows read
    kind: str | None = None      # EDITED, DELETED or INSERTED
    row_id: int | None = None    # the row the finding is about (see `detail`)
    detail: str = ""
    head_id: int | None = None   # last row of the verified chain, and its hash: an anchor
    head_hash: str | None = None

    def verdict(self) -> str:
        if self.ok:
            if not self.checked:
                return "intact: the audit log is empty"
            return f"intact: {self.checked:,} events, head #{self.head_id} {self.head_hash}"
        return f"tampered: row #{self.row_id} {self.kind}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action,
            AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.before,
            AuditEvent.after, AuditEvent.prev_hash, AuditEvent.hash)


def _rows(session: Session, batch: int) -> Iterator[Any]:
    query = select(*_COLUMNS).order_by(AuditEvent.id).execution_options(yield_per=batch)
    yield from session.execute(query)


def _row_hash(row: Any) -> str:
    return event_hash(id=row.id, at=row.at, actor=row.actor, action=row.action,
                      subject_type=row.subject_type, subject_id=row.subject_id,
                      before=row.before, after=row.after, prev_hash=row.prev_hash)


def verify_chain(session: Session, *, progress: Callable[[int, int], None] | None = None,
                 batch: int = 2000) -> VerifyReport:
    """Check every row's hash and link, in id order, then the end against the chain head.

    Memory is bounded (rows are streamed `batch` at a time, two hashes are remembered).
    Run it in a REPEATABLE READ transaction for one consistent view (the CLI does); under
    READ COMMITTED, events appended while it runs are told apart from tampering too.
    """
    total = session.scalar(select(func.count()).select_from(AuditEvent)) if progress else 0
    checked = 0
    expected = GENESIS_HASH     # the hash the next row must link to
    before_expected = None      # the hash the previous row had to link to
    previous = None             # (id, hash) of the previous row

    def tampered(kind: str, row_id: int, detail: str) -> VerifyReport:
        return VerifyReport(False, checked, kind, row_id, detail,
                            previous[0] if previous else None, previous[1] if previous else None)

    rows = _rows(session, batch)
    for row in rows:
        checked += 1
        if progress and checked % batch == 0:
            progress(checked, max(total, checked))
        if _row_hash(row) != row.hash:
            return tampered(EDITED, row.id, "its stored hash does not match its contents")
        if row.prev_hash != expected:
            following = next(rows, None)
            after_what = f"#{previous[0]}" if previous else "the start"
            if following is None and row.id > _head(session).last_id:
                return tampered(INSERTED, row.id, f"it does not link to {after_what} and is "
                                "past the chain head: written around the chain")
            if following is not None and following.prev_hash == expected:
                return tampered(INSERTED, row.id, f"it does not link to {after_what}, "
                                f"and #{following.id} after it does")
            if previous is not None and row.prev_hash == before_expected:
                return tampered(INSERTED, previous[0], f"#{row.id} links to the row before it, "
                                "so it was slipped into the chain")
            if previous is not None and row.id == previous[0] + 1:
                return tampered(EDITED, previous[0], f"it was rewritten with a new hash that "
                                f"#{row.id} does not link to")
            return tampered(DELETED, row.id, f"the row(s) between {after_what} and #{row.id} "
                            "are missing: its prev_hash matches no row")
        before_expected, expected, previous = expected, row.hash, (row.id, row.hash)
    if progress:
        progress(checked, checked)
    return _check_head(session, checked, previous, tampered)


def _head(session: Session) -> Any:
    return session.execute(select(AuditChainHead.last_id, AuditChainHead.last_hash)
                           .where(AuditChainHead.id == 1)).one()


def _check_head(session: Session, checked: int, last: tuple[int, str] | None,
                tampered: Callable[[str, int, str], VerifyReport]) -> VerifyReport:
    """The last row read against the head the insert trigger keeps (read afterwards, so
    under READ COMMITTED it may be newer than the rows read, never older)."""
    head = _head(session)
    last_id, last_hash = last or (0, GENESIS_HASH)
    if last_id > head.last_id:
        first = session.scalar(select(func.min(AuditEvent.id))
                               .where(AuditEvent.id > head.last_id))
        return tampered(INSERTED, first if first is not None else last_id,
                        f"it is past the chain head (#{head.last_id}): written around the chain")
    if last_id == head.last_id and last_hash != head.last_hash:
        return tampered(EDITED, last_id, "its hash differs from the one the chain head records")
    if last_id < head.last_id:
        # Appended while we read (READ COMMITTED), or cut off the end?
        now = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == head.last_id))
        if now != head.last_hash:
            where = f"#{last_id}" if last else "the start"
            return tampered(DELETED, head.last_id, f"the chain head records #{head.last_id}, "
                            f"but the log ends at {where}: rows after it were deleted")
    return VerifyReport(True, checked, head_id=last[0] if last else None,
                        head_hash=last[1] if last else None)
