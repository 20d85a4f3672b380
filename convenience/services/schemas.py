"""Request bodies of the part's routes: bounded, closed (extra fields refused), so a bad
body is a 422 before any rule runs."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.attachments.schemas import AttachmentIn

BIGINT = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=BIGINT)]
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]
Days = Annotated[int, Field(ge=0, le=999)]
Phone = Annotated[str, Field(min_length=5, max_length=20, pattern=r"^[0-9+\- ]+$")]
Name = Annotated[str, Field(min_length=1, max_length=60)]
Reason = Annotated[str, Field(max_length=500)]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaterialIn(Closed):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    trust_level: Literal["A", "B", "C", "D"] = "B"
    is_primary: bool = True
    may_defer: bool = False
    copies: Annotated[int, Field(ge=1, le=99)] = 1


class ItemIn(Closed):
    item_code: Annotated[str, Field(min_length=6, max_length=40)]
    impl_code: Annotated[str, Field(min_length=6, max_length=60)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    item_type: Literal["licence", "payment", "confirmation", "adjudication", "award",
                       "other_power", "public_service"]
    department_code: Annotated[str, Field(min_length=1, max_length=32)]
    levels: Annotated[list[Literal["county", "township", "village"]],
                      Field(min_length=1, max_length=3)]
    legal_basis: Annotated[str, Field(max_length=4000)] = ""
    conditions: Annotated[str, Field(max_length=4000)] = ""
    fee_fen: Annotated[int, Field(ge=0, le=10**12)] = 0
    legal_days: Days
    promised_days: Days
    visits: Literal[0, 1] = 1
    online: bool = False
    proxy: bool = True
    notify_commit: bool = False
    commit_check_days: Annotated[int, Field(ge=1, le=999)] | None = None
    materials: Annotated[list[MaterialIn], Field(max_length=50)] = []
    # Residents may report about it through Open311 (its 实施编码 is the service_code).
    takes_reports: bool = False


class TakesReportsIn(Closed):
    takes_reports: bool
    version: Version


class ItemUpdate(ItemIn):
    version: Version


class ImportIn(Closed):
    data: Annotated[str, Field(max_length=20_000_000, description="the xlsx, base64")]


class PointIn(Closed):
    address: Annotated[str, Field(max_length=200)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    opening_hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                        Annotated[list[Annotated[str, Field(max_length=11)]],
                                  Field(max_length=4)]] = {}
    note: Annotated[str, Field(max_length=300)] = ""
    version: Version | None = None


class WindowIn(Closed):
    number: Annotated[str, Field(min_length=1, max_length=8)]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    kind: Literal["comprehensive", "department", "stuck", "enterprise"] = "comprehensive"
    department_code: Annotated[str, Field(max_length=32)] | None = None


class WindowsIn(Closed):
    windows: Annotated[list[WindowIn], Field(max_length=100)]


class PointItemsIn(Closed):
    item_ids: Annotated[list[Id], Field(max_length=5000)]


class RefuseIn(Closed):
    kind: Literal["not_accepted"]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ApplicationIn(Closed):
    item_id: Id
    intake_unit_id: Id
    channel: Literal["window", "station", "online", "proxy"]
    applicant_name: Name
    applicant_phone: Phone
    applicant_kind: Literal["person", "enterprise"] = "person"
    consent: bool = False
    consent_note: Annotated[str, Field(max_length=300)] | None = None
    # 帮代办 taken at a desk for an agent: the agent it is assigned to (his queue).
    proxy_user_id: Id | None = None
    missing: Annotated[list[Id], Field(max_length=50)] = []
    promise_text: Annotated[str, Field(max_length=2000)] | None = None
    commitment: bool = False
    visits: Annotated[int, Field(ge=0, le=20)] = 1
    refuse: RefuseIn | None = None
    materials: Annotated[list[AttachmentIn], Field(max_length=20)] = []


class ActionIn(Closed):
    version: Version
    reason: Reason | None = None
    result: Literal["approved", "refused"] | None = None
    result_note: Reason | None = None
    check_result: Reason | None = None
    measures: Reason | None = None
    department_code: Annotated[str, Field(max_length=32)] | None = None
    help_kind: Annotated[str, Field(max_length=60)] | None = None
    outcome: Reason | None = None


class MaterialsIn(Closed):
    materials: Annotated[list[AttachmentIn], Field(min_length=1, max_length=20)]


class BundleTypeIn(Closed):
    code: Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[a-z0-9_]+$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    item_ids: Annotated[list[Id], Field(min_length=2, max_length=30)]
    promised_days: Annotated[int, Field(ge=1, le=999)]
    citation: Annotated[str, Field(max_length=300)] = ""


class BundleIn(Closed):
    bundle_type: Annotated[str, Field(min_length=1, max_length=32)]
    intake_unit_id: Id
    channel: Literal["window", "station", "online", "proxy"] = "window"
    applicant_name: Name
    applicant_phone: Phone
    consent: bool = False
    consent_note: Annotated[str, Field(max_length=300)] | None = None
    proxy_user_id: Id | None = None
    missing: dict[Annotated[str, Field(max_length=20, pattern=r"^[0-9]+$")],
                  Annotated[list[Id], Field(max_length=50)]] = {}
    promise_text: Annotated[str, Field(max_length=2000)] | None = None
    materials: Annotated[list[AttachmentIn], Field(max_length=20)] = []


class RatingIn(Closed):
    number: Annotated[str, Field(min_length=4, max_length=24)]
    stage: Literal["accept", "finish"]
    level: Annotated[int, Field(ge=1, le=5)]
    channel: Literal["device", "qr", "sms", "app"] = "device"
    comment: Annotated[str, Field(max_length=500)] = ""


class PublicRatingIn(RatingIn):
    phone: Phone
    channel: Literal["qr", "sms", "app"] = "qr"


class StatusIn(Closed):
    number: Annotated[str, Field(min_length=4, max_length=24)]
    phone: Phone


class AppealIn(Closed):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    version: Version


class AppealDecisionIn(Closed):
    upheld: bool
    decision: Annotated[str, Field(min_length=1, max_length=500)]
    version: Version


class ProxyAgentIn(Closed):
    user_id: Id
    unit_id: Id
    tier: Literal["village", "township", "coordinator"]
    name: Name


class EnterpriseIn(Closed):
    unit_id: Id
    enterprise_name: Annotated[str, Field(min_length=1, max_length=120)]
    uscc: Annotated[str, Field(min_length=18, max_length=18)] | None = None
    contact_phone: Phone
    matter: Annotated[str, Field(min_length=1, max_length=500)]


class StuckIn(Closed):
    unit_id: Id
    kind: Literal["simple", "general", "complex"]
    applicant_name: Name
    applicant_phone: Phone
    matter: Annotated[str, Field(min_length=1, max_length=500)]
    application_id: Id | None = None
    outcome: Annotated[str, Field(max_length=500)] | None = None


class ReportIn(Closed):
    week: date


class FindingIn(Closed):
    finding: Literal["justified", "unjustified"]
    note: Annotated[str, Field(max_length=500)] = ""
    version: Version


class SettingIn(Closed):
    value: Annotated[str, Field(min_length=1, max_length=48)]
    version: Version
