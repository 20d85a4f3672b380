"""API shapes of enforcement cases and matters."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.attachments.schemas import AttachmentIn
from geo.schemas import Lat, Lon

Fen = Annotated[int, Field(ge=0, le=10**12, description="an amount in fen (分)")]
Id = Annotated[int, Field(ge=1, le=2**62)]
PenaltyType = Literal["warning", "criticism", "fine", "confiscation", "confiscation_property",
                      "license_suspend", "license_revoke", "qualification_lower",
                      "production_suspend", "business_restrict", "closure", "employment_ban",
                      "detention"]


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: tuple[Lon, Lat]


class PartyIn(BaseModel):
    """当事人: a citizen with an ID number or an organisation with its 统一社会信用代码."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["citizen", "organisation"]
    name: str = Field(min_length=1, max_length=200)
    id_number: str | None = Field(None, max_length=18)
    uscc: str | None = Field(None, max_length=18)
    representative: str | None = Field(None, max_length=50)
    address: str = Field("", max_length=200)
    phone: str | None = Field(None, max_length=20)

    @field_validator("name")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class SimplePenaltyIn(BaseModel):
    """当场处罚 (行政处罚法第五十一条): a warning or a fine within the ceilings."""

    model_config = ConfigDict(extra="forbid")

    penalty_types: list[Literal["warning", "fine"]] = Field(min_length=1, max_length=2)
    fine_fen: Fen | None = None
    # The party signs, or the officer notes the refusal (第五十二条).
    party_signed: bool = False
    refusal_noted: str | None = Field(None, max_length=500)


class CaseIn(BaseModel):
    """线索登记 (ordinary) or 当场处罚 (simple). `unit_id` is the unit that takes it (one
    where the caller holds a position); `area_code` where it happened."""

    model_config = ConfigDict(extra="forbid")

    procedure: Literal["ordinary", "simple"] = "ordinary"
    unit_id: Id
    source: Literal["patrol", "complaint", "hotline", "grid_referral", "petition",
                    "transfer", "superior", "monitoring"] = "patrol"
    title: str = Field(min_length=1, max_length=200)
    facts: str = Field("", max_length=5000)
    area_code: str = Field(pattern=r"^\d{6}(\d{3}){0,3}$")
    location: PointIn | None = None
    address: str = Field("", max_length=200)
    matter_code: str | None = Field(None, max_length=40)
    offence_at: datetime | None = None
    officer_ids: list[Id] = Field(default_factory=list, max_length=20)
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    penalty: SimplePenaltyIn | None = None
    # Recorded with the case in the same request (the field app: a 当场处罚 decision with
    # the party's signature and the scene's photos, sent once under its Idempotency-Key).
    evidence: list["EvidenceIn"] = Field(default_factory=list, max_length=10)

    @field_validator("title")
    @classmethod
    def title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class InstalmentIn(BaseModel):
    """One instalment of a plan to defer or pay in instalments (行政处罚法第六十六条)."""

    model_config = ConfigDict(extra="forbid")

    due_on: date
    amount_fen: Fen


class ActionIn(BaseModel):
    """One move. `version` is the version the caller read (409 when it moved on); the
    other fields are what the move takes (see the workflow's `fields`)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**62)
    reason: str | None = Field(None, max_length=2000)
    officer_ids: list[Id] | None = Field(None, max_length=20)
    # 派遣: the team and its availability's `status_version` as read (0: never set).
    team_id: Id | None = None
    team_version: int | None = Field(None, ge=0, le=2**62)
    matter_code: str | None = Field(None, max_length=40)
    major: bool | None = None
    legal_review_required: bool | None = None
    decline_reason: str | None = Field(None, max_length=32)
    penalty_types: list[PenaltyType] | None = Field(None, max_length=13)
    fine_fen: Fen | None = None
    confiscation_fen: Fen | None = None
    hearing_at: datetime | None = None
    outcome: Literal["penalty", "no_penalty", "transfer"] | None = None
    service_method: Literal["direct", "left", "electronic", "post"] | None = None
    # 电子送达 (行政处罚法第六十一条第二款): the 送达地址确认书 (evidence id) and the
    # fax / e-mail / phone it names, where the document is sent.
    service_consent_id: Id | None = None
    service_address: str | None = Field(None, max_length=200)
    package: list[Literal["transfer_letter", "investigation_report", "items_list",
                          "test_report"]] | None = Field(None, max_length=4)
    police_answer: str | None = Field(None, max_length=2000)
    officer_id: Id | None = None
    recusal_id: Id | None = None
    granted: bool | None = None
    extend_by: str | None = Field(None, max_length=8, description="延长: e.g. 15d, 30cd")
    instalments: list[InstalmentIn] | None = Field(
        None, max_length=36, description="暂缓（一期）或分期缴纳的计划：每期的日期与金额（分）")
    plan_id: Id | None = None


class EvidenceIn(BaseModel):
    """证据 (行政处罚法第四十六条): a file (base64) or a text (a 笔录's content)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["documentary", "physical", "audiovisual", "electronic", "witness",
                  "statement", "expert_opinion", "inspection_record"]
    title: str = Field(min_length=1, max_length=200)
    content: str = Field("", max_length=20000)
    file: AttachmentIn | None = None


CaseIn.model_rebuild()  # its `evidence` names EvidenceIn, defined after it


class ConflictIn(BaseModel):
    """An officer declares a conflict with a party (by ID number or USCC)."""

    model_config = ConfigDict(extra="forbid")

    party_key: str = Field(min_length=15, max_length=18)
    reason: str = Field("", max_length=500)


class MatterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z\-_.]+$")
    name: str = Field(min_length=1, max_length=200)
    department_code: str = Field(min_length=1, max_length=32)
    violated_basis: str = Field("", max_length=5000)
    legal_basis: str = Field("", max_length=5000)
    penalty_types: list[PenaltyType] = Field(default_factory=list, max_length=13)
    fine_min_fen: Fen | None = None
    fine_max_fen: Fen | None = None
    first_offence_exempt: bool = False
    minor_exempt: bool = False
    devolved_to_township: bool = False
    safety_related: bool = False
    bands: list["BandIn"] = Field(default_factory=list, max_length=3)
    version: int | None = Field(None, ge=1, le=2**62,
                                description="the version read; omitted: create or replace")


class BandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["lighter", "ordinary", "heavier"]
    circumstances: str = Field("", max_length=2000)
    fine_min_fen: Fen | None = None
    fine_max_fen: Fen | None = None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=48)
    version: int = Field(ge=1, le=2**62)
    citation: str | None = Field(None, max_length=2000)


class WorkbookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: str = Field(min_length=1, description="the xlsx workbook, base64-encoded")
