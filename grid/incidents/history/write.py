"""A lived history, written in bulk: COPY for the incidents and the kernel's rows about
them (hand-offs, reporters, step clocks, links, timeline), then `audit.record_many` in
time order. No outbox rows: notifications are for what happens from now on, not for the
past."""

import json

from sqlalchemy.orm import Session

from core import audit
from core.db import copy_rows, next_ids
from core.progress import StageProgress
from grid.incidents.case_type import CASE_TYPE, SUBJECT

from .records import Clock, Handoff, Incident
from .story import Story

AUDIT_CHUNK = 5000  # audit rows per record_many, one step of the progress bar

INCIDENT_COLUMNS = (
    "id", "category_id", "urgency", "source", "description", "address", "geom", "grid_id",
    "grid_code", "responsible_worker_id", "reporter_id", "state", "version", "owner_unit_id",
    "owner_code", "owner_platform", "handler_unit_id", "handler_user_id", "reported_at",
    "filed_at", "dispatched_at", "handled_at", "verified_at", "closed_at", "step",
    "step_started_at", "step_warn_at", "step_due_at", "deadline", "ever_overdue",
    "verified_on_time", "suspended_from", "rework_count", "return_count", "escalation_count",
    "merged_into_id", "rating", "duplicate_candidates")
HANDOFF_COLUMNS = ("id", "subject_type", "subject_id", "kind", "from_unit_id", "from_code",
                   "from_platform", "to_unit_id", "to_code", "to_platform", "reason", "status",
                   "created_by", "created_at", "due_at", "answered_by", "answered_at",
                   "answer_reason")
CLOCK_COLUMNS = ("subject_type", "subject_id", "case_type", "name", '"limit"', "extended_by",
                 "citation", "started_at", "warn_at", "due_at", "raw_due_at", "colour",
                 "escalated", "paused_at", "paused_seconds", "remaining_seconds",
                 "warn_remaining_seconds", "stopped_at", "late")
LINK_COLUMNS = ("a_type", "a_id", "b_type", "b_id", "kind", "created_by", "created_at")
EVENT_COLUMNS = ("subject_type", "subject_id", "at", "actor", "action", "from_state",
                 "to_state", "note", "data")
REPORTER_COLUMNS = ("incident_id", "user_id", "reported_at", "via_incident_id")


def write(session: Session, story: Story, plans: list[Incident], *,
          progress: StageProgress | None) -> None:
    """Hand-off ids from the sequence (oldest first), the rows by COPY, then the audit
    events. (The incidents' ids were drawn before they were lived.)"""
    story.handoffs.sort(key=lambda h: (h.created_at, h.incident.index))
    for handoff, id_ in zip(story.handoffs, next_ids(session, "handoff", len(story.handoffs)),
                            strict=True):
        handoff.id = id_
    story.clocks.sort(key=lambda c: (c.started_at, c.incident.index))
    story.events.sort(key=lambda e: (e[0], e[1]))
    tables = (("incident", INCIDENT_COLUMNS, map(_incident_row, plans)),
              ("handoff", HANDOFF_COLUMNS, map(_handoff_row, story.handoffs)),
              ("incident_reporter", REPORTER_COLUMNS,
               ((i.id, user, at, via.id if via else None) for i, user, at, via in story.reporters)),
              ("case_clock", CLOCK_COLUMNS, map(_clock_row, story.clocks)),
              ("case_link", LINK_COLUMNS,
               ((SUBJECT, a.id, SUBJECT, b.id, "merged", actor, at)
                for at, a, b, actor in story.links)),
              ("timeline_event", EVENT_COLUMNS,
               ((SUBJECT, i.id, at, actor, action, old, new, note, _json(data))
                for at, _, i, actor, action, old, new, note, data in story.events)))
    for done, (table, columns, rows) in enumerate(tables, start=1):
        copy_rows(session, table, columns, rows)
        if progress:
            progress("history rows", done, len(tables))
    _write_audit(session, story, progress=progress)


def _write_audit(session: Session, story: Story, *, progress: StageProgress | None) -> None:
    """One audit event per move, in time order (the chain is then chronological too)."""
    story.audits.sort(key=lambda a: (a[0], a[1]))
    events = [dict(at=at, actor=actor, action=action, subject_type=SUBJECT,
                   subject_id=incident.id, before=_resolved(before), after=_resolved(after))
              for at, _, incident, actor, action, before, after in story.audits]
    for start in range(0, len(events), AUDIT_CHUNK):
        audit.record_many(session, events[start:start + AUDIT_CHUNK])
        if progress:
            progress("history audit", min(start + AUDIT_CHUNK, len(events)), len(events))


def _incident_row(i: Incident) -> tuple:
    return (i.id, i.category.id, i.urgency, i.source, i.description, f"{i.grid.name}附近",
            i.ewkb, i.grid.id, i.grid.code, i.grid.worker_id, i.reporter.user_id, i.state,
            i.version, i.owner_unit_id, i.owner_code, i.owner_platform, i.handler_unit_id,
            i.handler_user_id, i.reported_at, i.filed_at, i.dispatched_at, i.handled_at,
            i.verified_at, i.closed_at, i.step, i.step_started_at, i.step_warn_at,
            i.step_due_at, i.deadline, i.ever_overdue, i.verified_on_time, i.suspended_from,
            i.rework_count, i.return_count, i.escalation_count,
            i.merged_into_id, i.rating,
            json.dumps([d.id for d in i.duplicates]))


def _handoff_row(h: Handoff) -> tuple:
    return (h.id, SUBJECT, h.incident.id, h.kind, h.from_unit_id, h.from_code,
            h.from_platform, h.to_unit_id, h.to_code, h.to_platform, h.reason, h.status,
            h.created_by, h.created_at, h.due_at, h.answered_by, h.answered_at,
            h.answer_reason)


def _clock_row(c: Clock) -> tuple:
    return (SUBJECT, c.incident.id, CASE_TYPE, c.name, c.limit, c.extended_by, c.citation,
            c.started_at, c.warn_at, c.due_at, c.raw_due_at, c.colour, c.escalated,
            c.paused_at, c.paused_seconds, c.remaining_seconds, c.warn_remaining_seconds,
            c.stopped_at, c.late)


def _resolved(data: dict | None) -> dict | None:
    """The hand-off named in a timeline's or an audit's data, as its id (drawn last)."""
    if data is None or "handoff" not in data:
        return data
    return {**data, "handoff": data["handoff"].id}


def _json(data: dict | None) -> str | None:
    return None if data is None else json.dumps(_resolved(data), ensure_ascii=False)
