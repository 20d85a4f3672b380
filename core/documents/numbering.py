"""Numbers of 文书 (文号): per unit, kind and year, with no gap and no duplicate.

The number is taken when a document is locked, inside the locking transaction, from the
counter row of (unit, kind, year): `INSERT … ON CONFLICT DO UPDATE SET last_serial =
last_serial + 1 RETURNING last_serial`. The statement holds the row's lock until the
transaction ends, so concurrent locks of the same series queue behind it and each sees the
serial the previous one committed; a transaction that rolls back gives its serial back
with it. A draft has no number, so an abandoned draft leaves no gap. The unique
constraint on (unit_id, kind, year, serial) is the database's own guard behind that.

The number's text comes from the unit's rule (document_numbering): its 机关代字, the kind's
类别字 and a pattern, e.g. 株荷综执罚决字〔2026〕第0001号 (党政机关公文格式 GB/T 9704 writes
the year in 〔〕 and the serial without leading zeros; enforcement practice pads it:
the rule's `digits` says how much).
"""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core import audit
from core.documents.models import ANY_KIND, DocumentCounter, NumberingRule
from core.documents.templates import template_of
from core.errors import InvalidInput, NotFound
from core.units.models import Unit

DEFAULT_PATTERN = "{agency}{category}字〔{year}〕第{serial}号"
PLACES = ("agency", "category", "year", "serial")


def set_rule(session: Session, *, unit_id: int, agency: str, actor: str,
             kind: str = ANY_KIND, category: str | None = None,
             pattern: str = DEFAULT_PATTERN, digits: int = 4) -> NumberingRule:
    """Create or change a unit's numbering rule for a kind ('*': every kind without its
    own rule, with each template's 类别字). Audited; the counters are not touched."""
    _check_rule(agency=agency, category=category, pattern=pattern, digits=digits)
    if session.get(Unit, unit_id) is None:
        raise NotFound(f"no unit {unit_id}", code="unit_not_found")
    current = session.scalar(select(NumberingRule).where(NumberingRule.unit_id == unit_id,
                                                         NumberingRule.kind == kind)
                             .with_for_update())
    before = _rule_view(current) if current else None
    values = {"agency": agency, "category": category, "pattern": pattern, "digits": digits,
              "updated_by": actor, "updated_at": func.now()}
    # An upsert: two admins creating the same rule at once both succeed, the later wins.
    rule_id = session.scalar(
        pg_insert(NumberingRule).values(unit_id=unit_id, kind=kind, **values)
        .on_conflict_do_update(constraint="uq_document_numbering_unit_kind", set_=values)
        .returning(NumberingRule.id))
    rule = session.execute(select(NumberingRule).where(NumberingRule.id == rule_id)
                           .execution_options(populate_existing=True)).scalar_one()
    audit.record(session, actor=actor, action="documents.numbering", subject_type="unit",
                 subject_id=unit_id, before=before, after=_rule_view(rule))
    return rule


def _check_rule(*, agency: str, category: str | None, pattern: str, digits: int) -> None:
    if not agency or len(agency) > 32:
        raise InvalidInput("a 机关代字 has 1 to 32 characters", code="numbering_agency_invalid")
    if category is not None and not 0 < len(category) <= 16:
        raise InvalidInput("a 类别字 has 1 to 16 characters", code="numbering_category_invalid")
    if not 1 <= digits <= 9:
        raise InvalidInput("a serial has 1 to 9 digits", code="numbering_digits_invalid")
    try:
        pattern.format(agency="a", category="c", year=2026, serial="0001")
    except (KeyError, IndexError, ValueError):
        raise InvalidInput(f"a number's pattern may name only {{{'}, {'.join(PLACES)}}}",
                           code="numbering_pattern_invalid") from None
    if "{serial}" not in pattern or len(pattern) > 100:
        raise InvalidInput("a number's pattern must contain {serial}",
                           code="numbering_pattern_invalid")


def _rule_view(rule: NumberingRule) -> dict:
    return {"kind": rule.kind, "agency": rule.agency, "category": rule.category,
            "pattern": rule.pattern, "digits": rule.digits}


def rule_for(session: Session, *, unit_id: int, kind: str) -> NumberingRule:
    """The unit's rule for the kind, else its '*' rule; 422 numbering_rule_missing when the
    unit has neither (an admin gives the unit its 机关代字 first)."""
    rules = {rule.kind: rule for rule in session.scalars(
        select(NumberingRule).where(NumberingRule.unit_id == unit_id,
                                    NumberingRule.kind.in_((kind, ANY_KIND))))}
    rule = rules.get(kind) or rules.get(ANY_KIND)
    if rule is None:
        raise InvalidInput(f"unit {unit_id} has no numbering rule (机关代字) for {kind}",
                           code="numbering_rule_missing", unit_id=unit_id, kind=kind)
    return rule


def next_serial(session: Session, *, unit_id: int, kind: str, year: int) -> int:
    """The next serial of the series, taken in the caller's transaction (module doc)."""
    statement = pg_insert(DocumentCounter).values(
        unit_id=unit_id, kind=kind, year=year, last_serial=1)
    statement = statement.on_conflict_do_update(
        index_elements=[DocumentCounter.unit_id, DocumentCounter.kind, DocumentCounter.year],
        set_={"last_serial": DocumentCounter.last_serial + 1},
    ).returning(DocumentCounter.last_serial)
    return session.execute(statement).scalar_one()


def format_number(rule: NumberingRule, *, kind: str, year: int, serial: int) -> str:
    """The number's text: 株荷综执罚决字〔2026〕第0001号."""
    # A kind's own rule may rename its 类别字; a unit's '*' rule gives only its 机关代字.
    category = (rule.category if rule.kind == kind and rule.category
                else template_of(kind).category)
    return rule.pattern.format(agency=rule.agency, category=category, year=year,
                               serial=str(serial).zfill(rule.digits))


def take_number(session: Session, *, unit_id: int, kind: str, year: int) -> tuple[int, str]:
    """(serial, number text) for a document being locked now."""
    rule = rule_for(session, unit_id=unit_id, kind=kind)
    serial = next_serial(session, unit_id=unit_id, kind=kind, year=year)
    return serial, format_number(rule, kind=kind, year=year, serial=serial)
