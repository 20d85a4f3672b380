"""The limits of the inspection procedure, as data with their citations (the
`market_inspection_rule` table, seeded by migration 0022, edited by an admin).

Clock rules are built from them: `publish` (公示 within 20 working days of the
inspection), `withdraw` (撤回 within 3 working days of the overturn) and `rectify` (the
deadline of a 责令限期改正, in natural days, set per order up to `rectify_days_max`).
"""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, NotFound
from core.workflow.clocks import ClockRule
from core.workflow.durations import Unit, parse_duration
from market_supervision.inspections.models import InspectionRule

# name → (value, label, citation): the seed (migration 0022 writes the same rows).
SEED = {
    "publish": ("20d", "检查结果公示时限",
                "企业信息公示暂行条例第六条：前款规定的企业信息应当自产生之日起20个工作日内予以公示；"
                "食品生产经营监督检查管理办法第三十九条：检查结果信息形成后20个工作日内向社会公开"),
    "withdraw": ("3d", "撤销后撤回公示时限",
                 "市场监督管理行政处罚信息公示规定第十一条：被依法变更、撤销、确认违法或者确认无效的，"
                 "应当在三个工作日内撤回公示信息并说明理由（检查结果公示参照执行）"),
    "min_inspectors": ("2", "检查人员最少人数",
                       "食品生产经营监督检查管理办法第二十三条：由2名以上（含2名）监督检查人员参加；"
                       "行政处罚法第四十二条：执法人员不得少于两人"),
    "rectify_days_max": ("90", "责令限期改正最长期限（自然日）",
                         "食品生产经营监督检查管理办法第三十三条：需要限期整改的，书面提出整改要求和时限"
                         "（期限上限为本地规定）"),
}
DURATIONS = {"publish", "withdraw"}  # working days: 工作日
NUMBERS = {"min_inspectors": (2, 9), "rectify_days_max": (1, 365)}


def value_of(session: Session, name: str) -> str:
    row = session.get(InspectionRule, name)
    return row.value if row is not None else SEED[name][0]


def number(session: Session, name: str) -> int:
    return int(value_of(session, name))


def citation_of(session: Session, name: str) -> str:
    row = session.get(InspectionRule, name)
    return row.citation if row is not None else SEED[name][2]


def clock_rule(session: Session, name: str) -> ClockRule:
    """`publish` or `withdraw`: working days from the rule's row."""
    return ClockRule(name, parse_duration(value_of(session, name), units=(Unit.days,)),
                     citation=citation_of(session, name), suspendable=False)


def rectify_rule(session: Session, days: int) -> ClockRule:
    """A 责令限期改正's deadline: `days` natural days after the inspection's day (the day
    itself not counted; a last day that is a rest day moves to the next working day)."""
    return ClockRule("rectify", parse_duration(f"{days}cd"),
                     citation=citation_of(session, "rectify_days_max"), suspendable=False)


def all_rules(session: Session) -> list[dict]:
    rows = {row.name: row for row in session.scalars(select(InspectionRule))}
    return [_rule_dict(name, rows.get(name)) for name in SEED]


def _rule_dict(name: str, row: InspectionRule | None) -> dict:
    value, label, citation = SEED[name]
    if row is not None:
        value, label, citation = row.value, row.label, row.citation
    return {"name": name, "value": value, "label": label, "citation": citation,
            "updated_by": row.updated_by if row else None,
            "updated_at": row.updated_at if row else None}


def update(session: Session, *, name: str, value: str, citation: str | None,
           actor: str) -> dict:
    """An admin's edit of one rule (checked: a working-day duration, or a number in its
    range); audited."""
    if name not in SEED:
        raise NotFound(f"no inspection rule {name!r}; the rules are {', '.join(SEED)}",
                       code="rule_unknown")
    _check(name, value)
    row = session.get(InspectionRule, name, with_for_update=True)
    if row is None:
        row = InspectionRule(name=name, value=SEED[name][0], label=SEED[name][1],
                             citation=SEED[name][2])
        session.add(row)
    before = {"value": row.value, "citation": row.citation}
    row.value, row.updated_by, row.updated_at = value.strip(), actor, datetime.now(UTC)
    if citation is not None and citation.strip():
        row.citation = citation.strip()
    session.flush()
    audit.record(session, actor=actor, action="market_inspection_rule.update",
                 subject_type="market_inspection_rule", subject_id=name, before=before,
                 after={"name": name, "value": row.value, "citation": row.citation})
    return _rule_dict(name, row)


def _check(name: str, value: str) -> None:
    if name in DURATIONS:
        parse_duration(value, units=(Unit.days,))
        return
    low, high = NUMBERS[name]
    if not (value.strip().isdigit() and low <= int(value) <= high):
        raise InvalidInput(f"{name} is a whole number from {low} to {high}",
                           code="rule_value_invalid", low=low, high=high)
