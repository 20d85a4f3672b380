"""现场笔录 signed on the officer's phone (issue 13 §9).

询问或者检查应当制作笔录 (行政处罚法第五十五条); the 现场笔录 is one of the kinds of
evidence (第四十六条第一款第八项). The phone writes the record's text, the moment and the
place (its GPS fix), takes the party's signature — or, when the party refuses, the
officer notes the refusal and a witness signs (行政处罚法第六十四条第八项 for the 听证笔录,
行政强制法第十八条第八项 for the 现场笔录 of a measure: the same practice) — and the
officer's signature, and queues the whole offline with an Idempotency-Key.

The server records it once: the record is a piece of evidence (kind inspection_record,
the key under evidence's unique index uq_enforcement_evidence_key, so two copies of one
submission meet there, and a replay answers the first), and a 文书 of kind
enf_site_record (its template: templates/enf_site_record.json) locked into a numbered PDF
with the signatures printed, when the unit has its 机关代字.
"""

from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.documents.models import Document
from core.errors import InvalidInput
from core.security import Principal
from core.settings import Settings
from core.users.models import User
from core.workflow import idempotency
from enforcement.cases import documents, evidence
from enforcement.cases.models import Case, Evidence
from enforcement.cases.schemas import EvidenceIn
from enforcement.cases.service import subject_of

KIND = "enf_site_record"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGNATURE = Field(None, max_length=400_000, description="a PNG as a data: URL")


class RecordIn(BaseModel):
    """A 现场笔录 as the phone sends it."""

    model_config = ConfigDict(extra="forbid")

    record: str = Field(min_length=1, max_length=5000, description="笔录内容")
    recorded_at: AwareDatetime = Field(description="the moment on the phone, with its offset")
    place: str = Field(min_length=1, max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    party_signature: str | None = SIGNATURE
    refused: bool = False
    refusal: str | None = Field(None, max_length=1000, description="拒签说明")
    witness_name: str | None = Field(None, max_length=100)
    witness_signature: str | None = SIGNATURE
    officer_signature: str = Field(min_length=1, max_length=400_000)


def check_signatures(data: RecordIn) -> None:
    """The party signs, or refuses: then the refusal is noted and a witness signs (the
    template's 签名 section, its citation)."""
    from core.documents.templates import _signature_problem

    bad = [name for name in ("party_signature", "witness_signature", "officer_signature")
           if getattr(data, name) and _signature_problem(getattr(data, name))]
    if bad:  # checked before anything is written: a PDF prints only a real PNG
        raise InvalidInput("a signature is a PNG image (data:image/png;base64,…): "
                           + ", ".join(bad), code="signature_invalid", fields=bad)
    if data.party_signature and data.refused:
        raise InvalidInput("a record is either signed by the party or noted as refused",
                           code="record_signed_and_refused")
    if data.party_signature:
        return
    if not data.refused:
        raise InvalidInput("the party's signature is missing: the party signs, or the "
                           "refusal is noted with a witness", code="party_signature_missing")
    missing = [name for name, value in (("refusal", data.refusal),
                                        ("witness_name", data.witness_name),
                                        ("witness_signature", data.witness_signature))
               if not (value or "").strip()]
    if missing:
        raise InvalidInput("a refusal to sign is noted and signed by a witness: "
                           + ", ".join(missing) + " missing", code="refusal_needs_witness",
                           missing=missing)


def create(session: Session, case: Case, data: RecordIn, *, principal: Principal,
           settings: Settings, idempotency_key: str | None) -> tuple[dict, bool]:
    """(the record, whether this was a replay). The replay is looked up before anything
    else: the first copy's answer stands even if the case has moved on since."""
    key = (idempotency.checked_key(idempotency_key), idempotency.fingerprint(data))
    evidence._check_member(case, principal)
    if (first := _first(session, case, key)) is not None:
        return as_dict(session, case, first), True
    check_signatures(data)
    evidence._check_open(case, principal)
    savepoint = session.begin_nested()
    piece = evidence.record(session, case, _as_evidence(data), principal=principal,
                            settings=settings, key=key)
    if piece is None:  # a concurrent copy won at the unique index: answer with its record
        savepoint.rollback()
        return as_dict(session, case, _first(session, case, key)), True
    document = _issue(session, case, piece, data, principal=principal, settings=settings)
    savepoint.commit()
    return as_dict(session, case, piece, document), False


def _first(session: Session, case: Case, key: tuple[str, str]) -> Evidence | None:
    return idempotency.replayed(session, Evidence, submitter_column="case_id",
                                submitter=case.id, key=key[0], request_hash=key[1])


def _as_evidence(data: RecordIn) -> EvidenceIn:
    when = data.recorded_at.isoformat(timespec="minutes")
    return EvidenceIn(kind="inspection_record", title=f"现场笔录 {when} {data.place}"[:200],
                      content=data.record)


def _issue(session: Session, case: Case, piece: Evidence, data: RecordIn, *,
           principal: Principal, settings: Settings) -> Document:
    from core.documents import issue, lock

    fields = documents.fields_for(session, case, KIND, extra=_fields(session, piece, data,
                                                                     principal))
    document = issue(session, subject=subject_of(case), kind=KIND, unit_id=case.owner_unit_id,
                     fields=fields, actor=principal.username)
    if documents.numbered(session, case.owner_unit_id, KIND):
        lock(session, document, principal.username, settings=settings)
    return document


def _fields(session: Session, piece: Evidence, data: RecordIn, principal: Principal
            ) -> dict[str, Any]:
    officer = session.get(User, principal.user_id)
    gps = f"{data.lon:.6f}，{data.lat:.6f}" if data.lon is not None and data.lat is not None \
        else None
    local = data.recorded_at.astimezone(SHANGHAI)  # the 文书's time is Beijing time
    return {"recorded_at": local.strftime("%Y年%m月%d日 %H:%M"),
            "place": data.place, "gps": gps, "evidence_id": piece.id,
            "officers": (officer.full_name if officer and officer.full_name
                         else principal.username),
            "record": data.record, "party_signature": data.party_signature,
            "refusal": data.refusal if data.refused else None,
            "witness_name": data.witness_name if data.refused else None,
            "witness_signature": data.witness_signature if data.refused else None,
            "officer_signature": data.officer_signature}


def document_of(session: Session, case: Case, piece: Evidence) -> Document | None:
    """The 现场笔录 document of a recorded piece (its body names the piece)."""
    return session.scalar(select(Document).where(
        Document.subject_type == subject_of(case).type, Document.subject_id == case.id,
        Document.kind == KIND, Document.body["evidence_id"].as_integer() == piece.id))


def as_dict(session: Session, case: Case, piece: Evidence,
            document: Document | None = None) -> dict:
    from core.documents import verify_url
    from enforcement.cases.service import evidence_dict

    document = document or document_of(session, case, piece)
    return {"case_id": case.id, "evidence": evidence_dict(piece),
            "document": None if document is None else {
                "id": document.id, "kind": document.kind, "title": document.title,
                "state": document.state, "number": document.number,
                "sha256": document.sha256,
                "pdf_url": f"/api/v1/documents/{document.id}/pdf" if document.number
                else None,
                "verify_url": verify_url(document.verify_token) if document.number
                else None}}
