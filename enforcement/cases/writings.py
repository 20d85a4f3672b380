"""文书 issued on demand during a case (issue 13 §6), not by a move: 询问通知书, 询问笔录,
责令改正通知书, 先行登记保存证据通知书, 查封（扣押）决定书, 听证笔录. Their templates are data
(enforcement/cases/templates/*.json, registered with the others by documents.py); the
officer fills the template's own fields, the case fills the party and the case.

Who issues which, and when, is a table: the investigation's papers by an officer of the
case (承办人, 检查员 or 负责人 of its unit or its dispatched team) holding a valid 执法证;
the measures that the law puts under the head's approval (先行登记保存, 行政处罚法第五十六条;
查封扣押, 行政强制法第十八条第一项) by the unit's 负责人; the 听证笔录 once the hearing was
held. Issuing locks the case row and names the version read (409 when stale), adds a
timeline event and a new version; the document is locked (numbered, PDF, hash) when the
unit has its 机关代字, as every case document.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core.documents import template_of
from core.documents.models import Document
from core.errors import Conflict, Forbidden, InvalidInput
from core.security import Principal
from core.settings import Settings
from core.units.enums import Position
from core.workflow import runner
from core.workflow.kernel import Actor
from enforcement.cases import documents
from enforcement.cases.appeals import touch
from enforcement.cases.models import Case

INVESTIGATING = frozenset({"investigating", "investigated"})
OFFICERS = frozenset({Position.handler, Position.inspector, Position.head})
HEADS = frozenset({Position.head})


@dataclass(frozen=True)
class Writing:
    states: frozenset[str]
    positions: frozenset[str]
    citation: str


WRITINGS = {
    "enf_inquiry_notice": Writing(INVESTIGATING | {"clue"}, OFFICERS, "行政处罚法第五十五条"),
    "enf_inquiry_record": Writing(INVESTIGATING | {"clue"}, OFFICERS, "行政处罚法第五十五条"),
    "enf_rectify_order": Writing(INVESTIGATING | {"clue", "notified", "decided"}, OFFICERS,
                                 "行政处罚法第二十八条第一款"),
    "enf_preserve_notice": Writing(INVESTIGATING, HEADS, "行政处罚法第五十六条"),
    "enf_seizure_decision": Writing(INVESTIGATING, HEADS, "行政强制法第十八条第一项"),
    "enf_hearing_record": Writing(frozenset({"heard"}), OFFICERS, "行政处罚法第六十四条第八项"),
}
# The fields the case fills (documents.fields_for): never taken from the request.
FROM_THE_CASE = frozenset({"party_name", "party_id_number", "party_credit_code",
                           "party_address", "case_title", "case_ref", "matter", "facts"})


class WritingIn(BaseModel):
    """A 文书 of `kind` with its own fields, and the case's `version` as read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**62)
    kind: str = Field(min_length=1, max_length=48)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=30)


def _writing(kind: str) -> Writing:
    if kind not in WRITINGS:
        raise InvalidInput(f"文书 issued on demand are: {', '.join(WRITINGS)}",
                           code="document_kind_not_on_demand", allowed=list(WRITINGS))
    return WRITINGS[kind]


def _check_actor(principal: Principal, case: Case, writing: Writing, today) -> None:
    actor = Actor.of(principal, today=today)
    units = (case.owner_unit_id,) if writing.positions == HEADS else \
        (case.owner_unit_id, case.team_id)
    if not any(actor.holds(unit, writing.positions) for unit in units):
        raise Forbidden(f"this 文书 is issued by the case unit's "
                        f"{'负责人' if writing.positions == HEADS else '执法人员'} "
                        f"({writing.citation})", code="position_required",
                        positions=sorted(writing.positions))
    if not any(unit in actor.credentialed_units for unit in units) and \
            writing.positions != HEADS:
        raise Forbidden("this 文书 needs a valid 执法证 (行政处罚法第四十二条、第五十五条)",
                        code="credential_required")


def issue(session: Session, case: Case, data: WritingIn, *, principal: Principal,
          settings: Settings, now: datetime | None = None) -> Document:
    """The 文书, issued (and locked when the unit has its 机关代字) on the case."""
    writing = _writing(data.kind)
    context = runner.Context(session, settings, now or runner.now_utc(), principal.username)
    _check_actor(principal, case, writing, context.now.astimezone(context.calendar.tz).date())
    case = runner.lock(session, Case, case.id)
    if case.version != data.version:
        raise Conflict(f"the case changed since you read it (version {case.version})",
                       code="stale_version", current_version=case.version)
    if case.state not in writing.states:
        raise Conflict(f"this 文书 is not issued in state {case.state}",
                       code="document_not_now", allowed_states=sorted(writing.states))
    document = documents.issue(context, case, data.kind, extra=_own_fields(data))
    touch(context, case, "document_issued",
          f"{document.title}{f'（{document.number}）' if document.number else ''}",
          {"kind": document.kind, "document_id": document.id})
    session.flush()
    return document


def _own_fields(data: WritingIn) -> dict[str, Any]:
    """The request's fields that the template declares beyond the case's (an unknown one:
    422 naming it, as the kernel names a bad one)."""
    declared = template_of(data.kind).field_map
    unknown = sorted(key for key in data.fields if key not in declared)
    if unknown:
        raise InvalidInput(f"{data.kind} has no fields {unknown}",
                           code="document_fields_invalid",
                           errors=[{"field": key, "reason": "unknown"} for key in unknown])
    return {key: value for key, value in data.fields.items() if key not in FROM_THE_CASE}
