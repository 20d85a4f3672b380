"""The bodies of the 复议/诉讼 routes (enforcement/cases/appeals.py)."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from enforcement.cases.execution_models import APPEAL_OUTCOMES
from enforcement.cases.schemas import Id


class AppealIn(BaseModel):
    """行政复议 (`reconsideration`) or 行政诉讼 (`litigation`) against the case's decision,
    with the case's `version` as read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**62)
    kind: Literal["reconsideration", "litigation"]
    body: str = Field(min_length=1, max_length=200, description="复议机关 / 人民法院")
    filed_on: date
    note: str | None = Field(None, max_length=2000)


class AppealOutcomeIn(BaseModel):
    """The outcome (维持, 变更, 撤销 …), its date and the deciding document, with the
    appeal's `version` as read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**62)
    outcome: Literal[APPEAL_OUTCOMES]  # type: ignore[valid-type]
    decided_on: date
    document_title: str = Field(min_length=1, max_length=200,
                                description="e.g. 行政复议决定书, 行政判决书")
    document_number: str | None = Field(None, max_length=100)
    attachment_id: Id | None = None
    note: str | None = Field(None, max_length=2000)
