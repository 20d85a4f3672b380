"""Links between any two subjects (incident ↔ case ↔ inspection ↔ application ↔ work
order): one row, seen from both ends."""

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.workflow import timeline
from core.workflow.clocks import Subject
from core.workflow.models import CaseLink


def link(session: Session, a: Subject, b: Subject, *, kind: str, actor: str,
         note: str | None = None) -> None:
    """Join `a` to `b` (idempotent: the same link twice is one row); both timelines say so."""
    inserted = session.execute(insert(CaseLink).values(
        a_type=a.type, a_id=a.id, b_type=b.type, b_id=b.id, kind=kind, created_by=actor)
        .on_conflict_do_nothing(constraint="uq_case_link").returning(CaseLink.id)).first()
    if inserted is None:
        return
    timeline.add(session, a, actor=actor, action=f"link.{kind}", note=note,
                 data={"to": {"type": b.type, "id": b.id}})
    timeline.add(session, b, actor=actor, action=f"link.{kind}", note=note,
                 data={"from": {"type": a.type, "id": a.id}})


def links_of(session: Session, subject: Subject) -> list[dict]:
    """Every link of the subject, from whichever end: the other subject and the kind."""
    rows = session.scalars(select(CaseLink).where(or_(
        (CaseLink.a_type == subject.type) & (CaseLink.a_id == subject.id),
        (CaseLink.b_type == subject.type) & (CaseLink.b_id == subject.id)))
        .order_by(CaseLink.id)).all()
    return [_other_end(row, subject) for row in rows]


def linked(session: Session, subject: Subject, *, kind: str, other_type: str
           ) -> list[Subject]:
    return [Subject(link["type"], link["id"]) for link in links_of(session, subject)
            if link["kind"] == kind and link["type"] == other_type]


def _other_end(row: CaseLink, subject: Subject) -> dict:
    forward = row.a_type == subject.type and row.a_id == subject.id
    other_type, other_id = (row.b_type, row.b_id) if forward else (row.a_type, row.a_id)
    return {"type": other_type, "id": other_id, "kind": row.kind,
            "direction": "to" if forward else "from", "created_by": row.created_by,
            "created_at": row.created_at}


def report_back(session: Session, subject: Subject, *, actor: str, action: str,
                note: str | None = None, data: dict | None = None) -> list[Subject]:
    """Tell every subject linked to `subject` (a case opened from a referred incident, say)
    what became of it, on their timelines: "the case closed". No platform names another's
    tables: the link rows and the timeline are the kernel's."""
    others = [Subject(link["type"], link["id"]) for link in links_of(session, subject)]
    for other in others:
        timeline.add(session, other, actor=actor, action=action, note=note,
                     data={"from": {"type": subject.type, "id": subject.id}, **(data or {})})
    return others
