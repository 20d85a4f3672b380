"""文书 for platforms: issue a draft, edit it, lock it (number, PDF, hash), serve it,
revoke it; read them; and what the public verification page may show.

    from core.documents import service as documents
    draft = documents.issue(session, subject=Subject("enforcement_case", case.id),
                            kind="penalty_decision", unit_id=unit.id, fields={...},
                            actor=user.username)
    documents.lock(session, draft, user.username)           # number, PDF, SHA-256
    documents.serve(session, draft, "direct", served_at, user.username)

Every function flushes and never commits (the edge commits), writes the audit log
(core/audit.py, actions "document.*"), and locks the document's row first, so two moves
on one document queue and the second sees the first's result (409 if that made it
impossible). A locked document's content is immutable: the service refuses, and a
trigger (migration 0015) refuses whoever connects.
"""

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from core import audit
from core.documents import fonts, numbering
from core.documents.models import SERVICE_METHODS, STATES, Document
from core.documents.render import Printable, render_pdf
from core.documents.templates import template_of, validate_fields
from core.errors import Conflict, InvalidInput, NotFound
from core.idnumbers import mask_id_number, mask_phone
from core.scope import Scope
from core.settings import Settings, get_settings
from core.units.models import Unit
from core.workflow.clocks import Subject

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A service moment may be a little ahead of the server's clock (a phone's), not more.
CLOCK_SKEW = timedelta(minutes=5)
# A 公告's deemed service day: 30 days after publication (and publication takes days).
ANNOUNCEMENT_MAX_AHEAD = timedelta(days=60)
TOKEN_BYTES = 24  # 32 URL-safe characters, 192 bits: not guessable, not enumerable
VERIFY_PATH = "/verify/{token}"


def _now() -> datetime:
    return datetime.now(UTC)


# --- writing ----------------------------------------------------------------------------

def issue(session: Session, *, subject: Subject, kind: str, unit_id: int,
          fields: dict[str, Any], actor: str) -> Document:
    """A new draft of a `kind` (a registered template) for a subject, issued by a unit,
    its fields checked against the template (422 document_fields_invalid naming every bad
    field; 404 document_kind_unknown; 404 unit_not_found). No number yet: `lock` gives it."""
    template = template_of(kind)
    body = validate_fields(template, fields)
    _unit(session, unit_id)
    document = Document(subject_type=subject.type, subject_id=subject.id, kind=kind,
                        title=template.title, unit_id=unit_id, state="draft", version=1,
                        body=body, verify_token=secrets.token_urlsafe(TOKEN_BYTES),
                        created_by=actor)
    session.add(document)
    session.flush()
    audit.record(session, actor=actor, action="document.issue", subject_type="document",
                 subject_id=document.id,
                 after={"kind": kind, "unit_id": unit_id, "subject_type": subject.type,
                        "subject_id": subject.id})
    return document


def update_draft(session: Session, document: Document | int, *, fields: dict[str, Any],
                 actor: str, version: int | None = None) -> Document:
    """Replace a draft's fields (checked as `issue` checks them); 409 document_not_draft
    once locked, 409 stale_version when `version` is not the current one."""
    document = _locked_row(session, document)
    _expect(document, version)
    _require_state(document, "draft", "edited")
    document.body = validate_fields(template_of(document.kind), fields)
    document.version += 1
    session.flush()
    audit.record(session, actor=actor, action="document.edit", subject_type="document",
                 subject_id=document.id, after={"version": document.version})
    return document


def discard(session: Session, document: Document | int, *, actor: str) -> None:
    """Delete a draft (it never had a number, so nothing is missing from the series)."""
    document = _locked_row(session, document)
    _require_state(document, "draft", "discarded")
    session.execute(delete(Document).where(Document.id == document.id))
    session.expunge(document)
    audit.record(session, actor=actor, action="document.discard", subject_type="document",
                 subject_id=document.id, before={"kind": document.kind})


def lock(session: Session, document: Document | int, actor: str, *,
         version: int | None = None, now: datetime | None = None,
         settings: Settings | None = None) -> Document:
    """定稿: the draft gets the next number of its unit, kind and year (no gap, no
    duplicate: core/documents/numbering.py), its PDF (with the QR code of its public
    page) and the PDF's SHA-256; from then on its content cannot change. 409
    document_not_draft when it is not a draft; 422 numbering_rule_missing when the unit has
    no 机关代字 for the kind."""
    settings = settings or get_settings()
    document = _locked_row(session, document)
    _expect(document, version)
    _require_state(document, "draft", "locked")
    now = now or _now()
    year = now.astimezone(SHANGHAI).year
    # The font's one-off preparation (seconds, first PDF of a process) before the number:
    # the counter's row lock is held from here to the commit.
    fonts.warm(settings)
    serial, number = numbering.take_number(session, unit_id=document.unit_id,
                                           kind=document.kind, year=year)
    pdf = render_pdf(Printable(kind=document.kind, title=document.title, body=document.body,
                               unit_name=_unit(session, document.unit_id).name,
                               number=number, dated=now,
                               verify_url=verify_url(document.verify_token, settings)),
                     settings=settings)
    # All at once: the row is never seen locked without its number, PDF and hash.
    document.year, document.serial, document.number = year, serial, number
    document.locked_at, document.locked_by = now, actor
    document.state = "locked"
    document.pdf, document.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    document.version += 1
    session.flush()
    audit.record(session, actor=actor, action="document.lock", subject_type="document",
                 subject_id=document.id,
                 after={"number": number, "sha256": document.sha256})
    return document


def serve(session: Session, document: Document | int, method: str, served_at: datetime,
          actor: str, *, note: str | None = None, version: int | None = None,
          now: datetime | None = None) -> Document:
    """送达: a locked document reached its addressee by `method` (SERVICE_METHODS) at
    `served_at` (not before it was locked, not in the future; for 公告送达 the day it is
    deemed served, publication + 30 days, may be ahead). `note`: the witnesses of a 留置,
    where a 公告 was published, the consent to 电子送达 (which the platform checks:
    行政处罚法第六十一条). 409 document_not_locked; 422 service_method_unknown,
    served_at_invalid."""
    if method not in SERVICE_METHODS:
        raise InvalidInput(f"unknown service method {method!r}", code="service_method_unknown",
                           allowed=list(SERVICE_METHODS))
    if served_at.tzinfo is None:
        raise InvalidInput("served_at needs a time zone", code="served_at_invalid")
    document = _locked_row(session, document)
    _expect(document, version)
    _require_state(document, "locked", "served")
    now = now or _now()
    # 公告送达 is deemed done 30 days after publication (民事诉讼法第九十五条, which
    # 行政处罚法第六十一条 follows): that day may still be ahead; any other service has
    # happened when it is recorded.
    latest = now + (ANNOUNCEMENT_MAX_AHEAD if method == "announcement" else CLOCK_SKEW)
    if served_at < document.locked_at or served_at > latest:
        raise InvalidInput("a document is served after it is locked and, unless by 公告, "
                           "not in the future", code="served_at_invalid",
                           locked_at=document.locked_at.isoformat())
    document.state, document.service_method = "served", method
    document.served_at, document.served_by, document.service_note = served_at, actor, note
    document.version += 1
    session.flush()
    audit.record(session, actor=actor, action="document.serve", subject_type="document",
                 subject_id=document.id,
                 after={"method": method, "served_at": served_at.isoformat()})
    return document


def revoke(session: Session, document: Document | int, *, reason: str, actor: str,
           version: int | None = None, now: datetime | None = None) -> Document:
    """撤销: a locked or served document is withdrawn (its number stays used; its public
    page says 已撤销 from now on). 422 reason_required; 409 document_not_locked."""
    if not reason or not reason.strip():
        raise InvalidInput("a revocation needs a reason", code="reason_required")
    document = _locked_row(session, document)
    _expect(document, version)
    if document.state not in ("locked", "served"):
        raise Conflict(f"a {STATES[document.state]} document cannot be revoked",
                       code="document_not_locked", state=document.state)
    document.state = "revoked"
    document.revoked_at, document.revoked_by = now or _now(), actor
    document.revoked_reason = reason.strip()
    document.version += 1
    session.flush()
    audit.record(session, actor=actor, action="document.revoke", subject_type="document",
                 subject_id=document.id, after={"reason": document.revoked_reason})
    return document


def purge(session: Session, *, subject_type: str, subject_ids, params: dict | None = None
          ) -> int:
    """Delete a platform's documents whole, locked ones too: for removing demo data only
    (`gridgov demo remove`), never a user's move. `subject_ids`: a list of ids, or SQL
    selecting them (with `params`). The immutability trigger is set aside for this one
    statement of the caller's transaction (ALTER TABLE, so only the table's owner can, and
    other writers of documents wait for the transaction); the counters of the series
    touched go back to their highest remaining serial, so a reloaded demo numbers from
    there without a gap. Returns how many went."""
    if isinstance(subject_ids, str):
        chosen, bound = subject_ids, dict(params or {})
    else:
        chosen, bound = "SELECT unnest(CAST(:purge_ids AS bigint[]))", {
            "purge_ids": [int(i) for i in subject_ids]}
    bound["purge_type"] = subject_type
    session.execute(text("ALTER TABLE document DISABLE TRIGGER document_immutable"))
    try:
        series = session.execute(text(
            f"DELETE FROM document WHERE subject_type = :purge_type AND subject_id IN ({chosen}) "
            "RETURNING unit_id, kind, year"), bound).all()
    finally:
        session.execute(text("ALTER TABLE document ENABLE ALWAYS TRIGGER document_immutable"))
    for unit_id, kind, year in {tuple(row) for row in series if row.year is not None}:
        session.execute(text("""
            UPDATE document_counter SET last_serial = coalesce(
                (SELECT max(serial) FROM document
                 WHERE unit_id = :u AND kind = :k AND year = :y), 0)
            WHERE unit_id = :u AND kind = :k AND year = :y"""),
            {"u": unit_id, "k": kind, "y": year})
    return len(series)


def _locked_row(session: Session, document: Document | int) -> Document:
    document_id = document if isinstance(document, int) else document.id
    found = session.execute(select(Document).where(Document.id == document_id)
                            .with_for_update()
                            .execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no document {document_id}", code="document_not_found")
    return found


def _expect(document: Document, version: int | None) -> None:
    if version is not None and version != document.version:
        raise Conflict(f"the document changed since you read it (version {document.version})",
                       code="stale_version", current_version=document.version,
                       current_state=document.state)


def _require_state(document: Document, state: str, verb: str) -> None:
    if document.state != state:
        code = "document_not_draft" if state == "draft" else "document_not_locked"
        raise Conflict(f"only a {STATES[state]} document can be {verb}; this one is "
                       f"{STATES[document.state]}", code=code, state=document.state)


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}", code="unit_not_found")
    return unit


# --- reading ----------------------------------------------------------------------------

def get(session: Session, document_id: int) -> Document:
    """A document by id, whoever asks (system work); 404 document_not_found."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document {document_id}", code="document_not_found")
    return document


def visible(scope: Scope, unit_ids: frozenset[int] = frozenset()):
    """SQL condition: documents of a unit seated in the scope, or of one of `unit_ids`
    (the reader's own units)."""
    from sqlalchemy import or_

    seated = select(Unit.id).where(scope.column_condition(Unit.seat_code))
    return or_(Document.unit_id.in_(seated), Document.unit_id.in_(list(unit_ids)))


def get_scoped(session: Session, document_id: int, *, scope: Scope,
               unit_ids: frozenset[int] = frozenset()) -> Document:
    """A document the reader may see (module `visible`); another's is simply not found."""
    document = session.scalar(select(Document).where(Document.id == document_id,
                                                     visible(scope, unit_ids)))
    if document is None:
        raise NotFound(f"no document {document_id}", code="document_not_found")
    return document


def of_subject(session: Session, subject: Subject) -> list[Document]:
    """A subject's documents, oldest first (for a case's detail: `documents`)."""
    return list(session.scalars(select(Document).where(
        Document.subject_type == subject.type, Document.subject_id == subject.id)
        .order_by(Document.id)))


def summaries(session: Session, subject: Subject, *, settings: Settings | None = None
              ) -> list[dict[str, Any]]:
    """A subject's documents as a case's detail lists them (`documents`): no fields, so no
    personal data; the PDF at /api/v1/documents/{id}/pdf."""
    settings = settings or get_settings()
    return [{"id": d.id, "kind": d.kind, "title": d.title, "number": d.number,
             "state": d.state, "state_label": STATES[d.state], "unit_id": d.unit_id,
             "created_at": d.created_at, "locked_at": d.locked_at,
             "service_method": d.service_method,
             "service_method_label": SERVICE_METHODS.get(d.service_method or ""),
             "served_at": d.served_at, "revoked_at": d.revoked_at, "sha256": d.sha256,
             "pdf_url": f"/api/v1/documents/{d.id}/pdf",
             "verify_url": (verify_url(d.verify_token, settings) if d.state != "draft"
                            else None)}
            for d in of_subject(session, subject)]


def pdf_of(session: Session, document: Document, *, settings: Settings | None = None
           ) -> bytes:
    """The stored PDF of a locked document (exactly the bytes its hash is of); a draft's
    preview, rendered now with "草稿" across it."""
    if document.state != "draft":
        return document.pdf
    return render_pdf(document, unit_name=_unit(session, document.unit_id).name,
                      settings=settings)


def shown_body(document: Document, *, sees_personal_data: bool) -> dict[str, Any]:
    """The fields as the API shows them: ID and phone numbers masked for viewers who may
    not see personal data (core/users/enums.py SEES_PERSONAL_DATA)."""
    if sees_personal_data:
        return dict(document.body)
    fields = template_of(document.kind).field_map
    shown = {}
    for key, value in document.body.items():
        kind = fields[key].type if key in fields else "text"
        shown[key] = (mask_id_number(value) if kind == "id_number"
                      else mask_phone(value) if kind == "phone" else value)
    return shown


def verify_url(token: str, settings: Settings | None = None) -> str:
    """The public verification page's address (the QR code's content): PUBLIC_BASE_URL
    and the path. Without PUBLIC_BASE_URL the link is relative, which a phone scanning
    the printed code cannot open: a deployment sets it (a warning says so, once)."""
    base = (settings or get_settings()).public_base_url.rstrip("/")
    if not base:
        _warn_relative_links()
    return base + VERIFY_PATH.format(token=token)


@functools.cache
def _warn_relative_links() -> None:
    log.warning("PUBLIC_BASE_URL is not set: 文书 QR codes carry a relative link")


# --- the public page -------------------------------------------------------------------

@dataclass(frozen=True)
class PublicView:
    """All the public learns of a document: no party, no field (module router)."""

    number: str
    title: str
    kind: str
    unit_name: str
    dated: str  # 成文日期, YYYY-MM-DD in Asia/Shanghai
    sha256: str
    status: str  # valid | revoked
    revoked_on: str | None

    @property
    def status_label(self) -> str:
        return "有效" if self.status == "valid" else "已撤销"

    def matches(self, sha256: str) -> bool:
        """Whether a file's SHA-256 (hex, any case) is the document's."""
        return secrets.compare_digest(sha256.strip().lower(), self.sha256)

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "kind": self.kind,
                "unit": self.unit_name, "date": self.dated, "sha256": self.sha256,
                "status": self.status, "status_label": self.status_label,
                "revoked_on": self.revoked_on}


def public_view(session: Session, token: str) -> PublicView:
    """What the verification page shows of the locked document with this token; 404
    document_not_found for an unknown token or a draft (not a document yet)."""
    row = session.execute(
        select(Document.number, Document.title, Document.kind, Document.locked_at,
               Document.sha256, Document.state, Document.revoked_at, Unit.name)
        .join(Unit, Unit.id == Document.unit_id)
        .where(Document.verify_token == token, Document.state != "draft")).one_or_none()
    if row is None:
        raise NotFound("no document has this verification code", code="document_not_found")
    return PublicView(number=row.number, title=row.title, kind=row.kind,
                      unit_name=row.name,
                      dated=row.locked_at.astimezone(SHANGHAI).date().isoformat(),
                      sha256=row.sha256,
                      status="revoked" if row.state == "revoked" else "valid",
                      revoked_on=(row.revoked_at.astimezone(SHANGHAI).date().isoformat()
                                  if row.revoked_at else None))
