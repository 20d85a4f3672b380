"""Evidence (行政处罚法第四十六条, eight kinds): a file through core/attachments (type and
size checked, SHA-256, GPS, time and device kept) or a text (a 笔录), recorded once and
never changed (the migration's trigger refuses an UPDATE); a referred incident's photos
are carried over as 视听资料 with where they came from."""

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.attachments import service as attachments
from core.attachments.service import PDF, PHOTOS
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.security import Principal
from core.settings import Settings
from core.workflow import idempotency, timeline
from core.workflow.clocks import Subject
from enforcement.cases.models import Case, Evidence
from enforcement.cases.schemas import EvidenceIn
from enforcement.cases.service import now_utc, subject_of
from enforcement.cases.workflow import FINAL

ACCEPT = (*PHOTOS, PDF)


def add(session: Session, case: Case, data: EvidenceIn, *, principal: Principal,
        settings: Settings, idempotency_key: str | None = None) -> tuple[Evidence, bool]:
    """Record one piece of evidence on an open case (a member of its unit); with an
    Idempotency-Key (the field app's queue), a replay returns the first piece and records
    nothing: (the piece, whether it was a replay)."""
    if idempotency_key is None:
        _check_open(case, principal)
        return record(session, case, data, principal=principal, settings=settings), False
    _check_member(case, principal)
    key = (idempotency.checked_key(idempotency_key), idempotency.fingerprint(data))
    # The replay before the state: the first copy's answer stands even if the case has
    # been closed since (the phone only lost the response).
    if (first := _first(session, case, key)) is not None:
        return first, True
    _check_open(case, principal)
    savepoint = session.begin_nested()
    row = record(session, case, data, principal=principal, settings=settings, key=key)
    if row is None:  # a concurrent copy won at the unique index: undo ours, answer its
        savepoint.rollback()
        return _first(session, case, key), True
    savepoint.commit()
    return row, False


def _check_open(case: Case, principal: Principal) -> None:
    if case.state in FINAL:
        raise Conflict(f"case {case.id} is {case.state}: its file is closed",
                       code="case_final", current_state=case.state)
    _check_member(case, principal)


def _check_member(case: Case, principal: Principal) -> None:
    if case.owner_unit_id not in principal.unit_ids:
        raise Forbidden("evidence is recorded by the case unit's officers",
                        code="not_your_case")


def _first(session: Session, case: Case, key: tuple[str, str]) -> Evidence | None:
    return idempotency.replayed(session, Evidence, submitter_column="case_id",
                                submitter=case.id, key=key[0], request_hash=key[1])


def record(session: Session, case: Case, data: EvidenceIn, *, principal: Principal,
           settings: Settings, key: tuple[str, str] | None = None) -> Evidence | None:
    """Record it, the case's unit and state checked by the caller (`add`, or the opening
    of a case that brings its evidence along: service.open_case). With a `key` (the
    Idempotency-Key and the request's fingerprint) None when that key is recorded already
    (the unique index uq_enforcement_evidence_key: two copies meet there)."""
    if data.file is None and not data.content.strip():
        raise InvalidInput("evidence is a file or a text: give file or content",
                           code="evidence_empty")
    attachment_id, digest = None, hashlib.sha256(data.content.encode()).hexdigest()
    if data.file is not None:
        stored = attachments.attach(session, subject_of(case), [data.file], kind="evidence",
                                    uploaded_by=principal.user_id, settings=settings,
                                    accept=ACCEPT, noun="evidence")
        found = stored[0] if stored else _same_file(session, case, data)
        attachment_id, digest = found.id, found.sha256
    row = Evidence(case_id=case.id, kind=data.kind, title=data.title, content=data.content,
                   attachment_id=attachment_id, sha256=digest, recorded_by=principal.username,
                   recorded_at=now_utc())
    if key is None:
        session.add(row)
        session.flush()
    else:
        row.idempotency_key, row.request_hash = key
        if not idempotency.insert_once(session, row,
                                       key_columns=("case_id", "idempotency_key")):
            return None
    timeline.add(session, subject_of(case), actor=principal.username, action="evidence",
                 note=data.title, data={"evidence": row.id, "kind": data.kind,
                                        "sha256": digest})
    return row


def _same_file(session: Session, case: Case, data: EvidenceIn):
    """The attachment the case has already with these bytes (sent twice)."""
    digest = hashlib.sha256(attachments.decode(data.file.data)).hexdigest()
    return next(a for a in attachments.of_subject(session, subject_of(case))
                if a.sha256 == digest)


def carry_over(session: Session, case: Case, source: Subject, *, actor: str) -> int:
    """A referred subject's photos become the case's evidence (视听资料), naming where
    they came from; idempotent by SHA-256."""
    attachments.copy_to(session, source, subject_of(case))
    have = set(session.scalars(select(Evidence.attachment_id).where(
        Evidence.case_id == case.id, Evidence.attachment_id.is_not(None))))
    added = 0
    for attachment in attachments.of_subject(session, subject_of(case)):
        if attachment.id in have:
            continue
        session.add(Evidence(case_id=case.id, kind="audiovisual",
                             title=f"转办照片（{source.type} #{source.id}）",
                             attachment_id=attachment.id, sha256=attachment.sha256,
                             from_subject_type=source.type, from_subject_id=source.id,
                             recorded_by=actor, recorded_at=now_utc()))
        added += 1
    session.flush()
    return added


def file_of(session: Session, case: Case, evidence_id: int, *, thumbnail: bool,
            media_dir: str) -> tuple:
    """The file of evidence `evidence_id` of `case` and its media type; 404 for another
    case's evidence and for a text with no file."""
    row = session.get(Evidence, evidence_id)
    if row is None or row.case_id != case.id or row.attachment_id is None:
        raise NotFound(f"no evidence file {evidence_id} in case {case.id}",
                       code="evidence_not_found")
    attachment = attachments.get(session, subject_of(case), row.attachment_id, noun="evidence")
    return attachments.file_of(attachment, thumbnail=thumbnail, media_dir=media_dir)
