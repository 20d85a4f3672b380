"""The status that flows back to GeoReport v2 requests from what they became, and when
they can be expected to be fulfilled.

No platform publishes its moves to another: a request reads the kernel's timeline of its
subject (an incident, a 12345 work order) and turns each new move into an update
(FixMyStreet's servicerequestupdates), its status and status_notes; and it reads the
subject's running clocks (core/workflow/clocks.py) for `expected_datetime` ("when the
service request can be expected to be fulfilled. This may be based on a service-specific
service level agreement", GET Service Requests): the latest due time among the subject's
running clocks — the incident's step limit of its 小类, the work order's 5 (+5) working
days. A subject whose clocks are all paused (挂账) has no expectation (null); one with no
running clock (closed, or an order still waiting for dispatch) keeps the last one known.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from convenience.open311.models import RequestUpdate, ServiceRequest
from core.errors import NotFound
from core.workflow import case_types
from core.workflow.clocks import Subject

# The expectation of a subject: the latest due time of its running, unpaused clocks.
EXPECTED_SQL = """
    SELECT count(*) AS running, max(due_at) FILTER (WHERE paused_at IS NULL) AS due
    FROM case_clock WHERE subject_type = :type AND subject_id = :id AND stopped_at IS NULL"""
_REFRESH_EXPECTED_SQL = """
    UPDATE open311_request r SET expected_at = c.due
    FROM (SELECT r2.id, max(c.due_at) FILTER (WHERE c.paused_at IS NULL) AS due
          FROM open311_request r2
          JOIN case_clock c ON c.subject_type = r2.subject_type
                           AND c.subject_id = r2.subject_id AND c.stopped_at IS NULL
          WHERE r2.id = ANY(:ids) GROUP BY r2.id) c
    WHERE r.id = c.id AND r.expected_at IS DISTINCT FROM c.due"""


def expected_of(session: Session, subject: Subject) -> datetime | None:
    """When the subject is due to be done, by its clocks (see the module doc)."""
    row = session.execute(text(EXPECTED_SQL), {"type": subject.type, "id": subject.id}).one()
    return row.due if row.running else None


_EVENTS_SQL = """
    SELECT r.id AS request_id, r.subject_type, e.id AS event_id, e.at, e.action,
           e.to_state, e.note
    FROM open311_request r
    JOIN timeline_event e ON e.subject_type = r.subject_type AND e.subject_id = r.subject_id
                         AND e.id > r.last_event_id
    WHERE r.id = ANY(:ids)
    ORDER BY r.id, e.id"""


def sync(session: Session, *, requests: Sequence[ServiceRequest] = (),
         open_within: tuple[datetime, datetime] | None = None) -> int:
    """Turn the new moves of what requests became (their subjects' timeline events since
    the last sync) into updates, status and status_notes, and refresh their expected time.
    For `requests`, or for the open ones requested within `open_within`. Rows another sync
    holds are skipped (SKIP LOCKED): it is turning the same events into the same updates.
    Returns the updates written."""
    # A closed request's subject is final: only open ones can have news.
    ids = sorted({r.id for r in requests if r.subject_id is not None and r.status == "open"})
    if open_within is not None:
        ids = sorted(set(ids) | set(session.scalars(select(ServiceRequest.id).where(
            ServiceRequest.status == "open", ServiceRequest.subject_id.is_not(None),
            ServiceRequest.requested_at.between(*open_within)))))
    if not ids:
        return 0
    locked = list(session.scalars(select(ServiceRequest.id).where(ServiceRequest.id.in_(ids))
                                  .order_by(ServiceRequest.id)
                                  .with_for_update(skip_locked=True)))
    if not locked:
        return 0
    written = 0
    rows = session.execute(text(_EVENTS_SQL), {"ids": locked}).all()
    latest: dict[int, Any] = {}
    for row in rows:
        latest[row.request_id] = row
        if row.to_state is None:
            continue
        status, description = _status_of(row)
        session.execute(insert(RequestUpdate).values(
            request_id=row.request_id, status=status, description=description,
            updated_at=row.at, source_event_id=row.event_id)
            .on_conflict_do_nothing(constraint="uq_open311_update_event"))
        session.execute(update(ServiceRequest).where(ServiceRequest.id == row.request_id)
                        .values(status=status, status_notes=description, updated_at=row.at))
        written += 1
    for request_id, row in latest.items():
        session.execute(update(ServiceRequest).where(ServiceRequest.id == request_id)
                        .values(last_event_id=row.event_id))
    # A clock may move without a new state (an extension, a pause): read them every time.
    session.execute(text(_REFRESH_EXPECTED_SQL), {"ids": locked})
    _expire_expected(session, set(locked))
    return written


def _expire_expected(session: Session, ids: set[int]) -> None:
    """The rows in hand read `expected_at` again (the UPDATE above is not the ORM's)."""
    for row in list(session.identity_map.values()):
        if isinstance(row, ServiceRequest) and row.id in ids:
            session.expire(row, ["expected_at"])


def _status_of(row) -> tuple[str, str]:
    """open/closed from the subject's state (closed: one of its workflow's final states)
    and a note in its own words: the state's label and the move's reason."""
    try:
        workflow = case_types.of_subject(row.subject_type).workflow
        final, label = row.to_state in workflow.final_states, workflow.labels.get(
            row.to_state, row.to_state)
    except NotFound:
        final, label = False, row.to_state
    status = "closed" if final else "open"
    return status, f"{label}：{row.note}" if row.note else label
