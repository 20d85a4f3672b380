"""The procedure's limits and thresholds, read from `enforcement_rule` (seeded with their
citations by migration 0016, editable by admins): the clocks' rules, the simple
procedure's ceilings, the hearing threshold, the surcharge rate, the least number of
officers."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.workflow.clocks import ClockRule
from core.workflow.durations import KNOWN_UNITS, parse_duration
from enforcement.cases.models import Rule


@dataclass(frozen=True)
class Limit:
    key: str
    label: str
    value: str
    citation: str


def all_rules(session: Session) -> list[Rule]:
    return list(session.scalars(select(Rule).order_by(Rule.key)))


def rule(session: Session, key: str) -> Rule:
    row = session.get(Rule, key)
    if row is None:
        raise NotFound(f"no enforcement rule {key!r}", code="enforcement_rule_missing")
    return row


def clock_rule(session: Session, key: str, *, name: str = "step") -> ClockRule:
    """The kernel's rule for the clock `name`, from the row `key` (limit, extension, who
    approves it, citation)."""
    row = rule(session, key)
    return clock_rule_of(row, name=name)


def clock_rule_of(row: Rule, *, name: str = "step") -> ClockRule:
    """Rows may hold elapsed minutes too (`1440min`: 移送规定第五条's "24小时" counts
    hours, day and night, not office time or days)."""
    return ClockRule(name=name, limit=parse_duration(row.value, units=KNOWN_UNITS),
                     citation=row.citation,
                     rule_text=row.label,
                     extension=parse_duration(row.extension) if row.extension else None,
                     extension_position=row.extension_position)


def amount_fen(session: Session, key: str) -> Limit:
    row = rule(session, key)
    return Limit(row.key, row.label, row.value, row.citation)


def fen_value(session: Session, key: str) -> int:
    return int(rule(session, key).value)


# 行政处罚法第四十二条: 执法人员不得少于两人 (the row `officers_min`, migration 0031).
OFFICERS_MIN = "officers_min"


def officers_min(session: Session) -> Limit:
    """The least number of officers on a case, with its citation."""
    return amount_fen(session, OFFICERS_MIN)


def update_rule(session: Session, *, key: str, value: str, version: int,
                citation: str | None = None) -> Rule:
    """An admin's edit of one rule, naming the version read (a stale edit is 409 through
    the mapper's version counter, turned into a problem by the edge)."""
    row = rule(session, key)
    _check_value(row.kind, value)
    if row.version != version:
        from core.errors import Conflict

        raise Conflict(f"rule {key} changed meanwhile (version {row.version})",
                       code="enforcement_rule_stale", current_version=row.version)
    row.value = value
    if citation is not None:
        row.citation = citation
    session.flush()
    return row


def _check_value(kind: str, value: str) -> None:
    if kind == "duration":
        parse_duration(value, units=KNOWN_UNITS)
    elif kind in ("amount_fen", "per_mille", "count") and (not value.isdigit()
                                                           or len(value) > 15):
        raise InvalidInput(f"{kind} is a whole number: {value!r}", code="invalid_rule_value")
    if kind == "count" and int(value) < 1:
        raise InvalidInput("a count is 1 or more", code="invalid_rule_value")


def yuan(fen: int) -> str:
    """200 元, 3,000 元, 12.50 元: an amount in fen as a person reads it."""
    whole, cents = divmod(fen, 100)
    return f"{whole:,}{f'.{cents:02d}' if cents else ''} 元"
