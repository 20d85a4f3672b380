"""What the document routes read and answer."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.documents.models import SERVICE_METHODS, STATES


class DocumentOut(BaseModel):
    id: int
    subject_type: str
    subject_id: int
    kind: str
    title: str
    unit_id: int
    state: str = Field(description=" | ".join(STATES))
    state_label: str
    version: int
    number: str | None
    year: int | None
    serial: int | None
    body: dict[str, Any] = Field(description="the template's fields; ID and phone numbers "
                                             "masked for viewers without personal data")
    sha256: str | None
    verify_url: str | None = Field(description="the public page (locked documents)")
    created_by: str
    created_at: datetime
    locked_by: str | None
    locked_at: datetime | None
    service_method: str | None = Field(description=" | ".join(SERVICE_METHODS))
    service_method_label: str | None
    served_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, document, *, body: dict[str, Any], verify_url: str | None) -> "DocumentOut":
        return cls(
            id=document.id, subject_type=document.subject_type,
            subject_id=document.subject_id, kind=document.kind, title=document.title,
            unit_id=document.unit_id, state=document.state,
            state_label=STATES[document.state], version=document.version,
            number=document.number, year=document.year, serial=document.serial, body=body,
            sha256=document.sha256,
            verify_url=verify_url if document.state != "draft" else None,
            created_by=document.created_by, created_at=document.created_at,
            locked_by=document.locked_by, locked_at=document.locked_at,
            service_method=document.service_method,
            service_method_label=SERVICE_METHODS.get(document.service_method or ""),
            served_at=document.served_at, revoked_at=document.revoked_at,
            revoked_reason=document.revoked_reason)


class VerificationOut(BaseModel):
    """What anyone may learn of a document from its QR code: no party, no field."""

    number: str
    title: str
    kind: str
    unit: str
    date: str = Field(description="成文日期 (YYYY-MM-DD, Asia/Shanghai)")
    sha256: str
    status: str = Field(description="valid | revoked")
    status_label: str
    revoked_on: str | None
    matches: bool | None = Field(None, description="whether the sha256 asked about is this "
                                                   "document's (only when one was given)")


class FieldOut(BaseModel):
    key: str
    label: str
    type: str
    required: bool
    choices: list[str]


class KindOut(BaseModel):
    kind: str
    title: str
    label: str
    category: str
    fields: list[FieldOut]


class NumberingIn(BaseModel):
    agency: str = Field(min_length=1, max_length=32, description="机关代字, e.g. 株荷综执")
    category: str | None = Field(None, min_length=1, max_length=16,
                                 description="类别字 (e.g. 罚决); default: the template's")
    pattern: str = Field("{agency}{category}字〔{year}〕第{serial}号", min_length=9,
                         max_length=100)
    digits: int = Field(4, ge=1, le=9)


class NumberingOut(BaseModel):
    unit_id: int
    kind: str
    agency: str
    category: str | None
    pattern: str
    digits: int
    example: str
