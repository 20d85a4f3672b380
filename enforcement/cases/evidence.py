"""Evidence (行政处罚法第四十六条, eight kinds): a file through core/attachments (type and
size checked, SHA-256, GPS, time and device kept) or a text (a 笔录), recorded once and
never changed (the migration's trigger refuses an UPDATE); a referred incident's photos
are carried over as 视听资料 with where they came from."""

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.attachments import service as attachments
from core.attachments.service import PDF, PHOTOS
from core.errors import Conflict, Forbidden, InvalidInput
from core.security import Principal
from core.settings import Settings
from core.workflow import timeline
from core.workflow.clocks import Subject
from enforcement.cases.models import Case, Evidence
from enforcement.cases.schemas import EvidenceIn
from enforcement.cases.service import now_utc, subject_of
from enforcement.cases.workflow import FINAL

ACCEPT = (*PHOTOS, PDF)


def add(session: Session, case: Case, data: EvidenceIn, *, principal: Principal,
        settings: Settings) -> Evidence:
    """Record one piece of evidence on an open case (a member of its unit)."""
    if case.state in FINAL:
        raise Conflict(f"case {case.id} is {case.state}: its file is closed",
                       code="case_final", current_state=case.state)
    if case.owner_unit_id not in principal.unit_ids:
        raise Forbidden("evidence is recorded by the case unit's officers",
                        code="not_your_case")
    return record(session, case, data, principal=principal, settings=settings)


def record(session: Session, case: Case, data: EvidenceIn, *, principal: Principal,
           settings: Settings) -> Evidence:
    """Record it, the case's unit and state checked by the caller (`add`, or the opening
    of a case that brings its evidence along: service.open_case)."""
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
    session.add(row)
    session.flush()
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
