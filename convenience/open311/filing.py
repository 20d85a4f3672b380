"""Filing an accepted GeoReport v2 request, right after the POST has answered.

POST Service Request stores the request once every check that could refuse it has passed
(service, attributes, contact, and here: the point lies in a grid with its centre, or a
jurisdiction is loaded for a 12345 order) and, in the same transaction, an outbox message
(core/workflow/outbox.py) for the task `open311.file`. The spec allows the answer before
the work: the service_request_id is the request's own id, known at once, and GET shows it
"已受理，正在分派" until it is filed (GeoReport_v2.md, POST Service Request: "service_notice
… information about the action expected to fulfill the request").

Exactly once: the task locks the request row and files only a request not yet linked to
a subject; the incident's idempotency key (open311-<id>) backs that up. A failure of the
database or the broker makes the task retry with backoff; a refusal cannot follow the
checks (they are the filing's own conditions), and would be logged, not retried.
"""

import logging
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from convenience.open311 import status
from convenience.open311.models import REQUEST_SUBJECT, ServiceRequest
from core import audit
from core.errors import InvalidInput
from core.workflow import links, outbox
from core.workflow.clocks import Subject

log = logging.getLogger(__name__)
FILE_TASK = "open311.file"

# The grid under the point whose village has an active centre: what the grid's report
# path (grid/incidents/service.py, _place) needs, in one statement.
_INSIDE_SQL = text("""
    SELECT EXISTS (
        SELECT 1 FROM area g
        JOIN unit c ON c.kind = 'centre' AND c.is_active AND c.seat_code = substr(g.code, 1, 12)
        WHERE g.level = 'grid'
          AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)))""")
_CITY_SQL = text("SELECT EXISTS (SELECT 1 FROM area WHERE level = 'city')")


def check_fileable(session: Session, *, lat: float | None, lon: float | None) -> None:
    """Refuse now what the filing would refuse later: a point outside every grid (an
    incident), or no jurisdiction to take a 12345 order (lat None: the work-order path)."""
    if lat is not None:
        if not session.scalar(_INSIDE_SQL, {"lon": lon, "lat": lat}):
            raise InvalidInput(f"({lon}, {lat}) lies outside every grid of the jurisdiction",
                               code="point_outside_grids", lon=lon, lat=lat)
    elif not session.scalar(_CITY_SQL):
        raise InvalidInput("no jurisdiction is loaded to take the request",
                           code="jurisdiction_missing")


def enqueue(session: Session, request_id: int) -> None:
    """The filing task, sent once the caller's transaction commits (and only if it does)."""
    outbox.enqueue_task(session, name=FILE_TASK, args=[request_id])


def file_pending(session: Session, request_id: int, *, settings: Any) -> bool:
    """File the accepted request `request_id` in the caller's transaction; False when it
    is gone or already filed (a repeated task: the row lock makes the second one wait and
    then see the first one's subject)."""
    from convenience.open311.requests import RequestIn
    from convenience.open311.services import find_service

    request = session.scalar(select(ServiceRequest).where(ServiceRequest.id == request_id)
                             .with_for_update())
    if request is None or request.subject_id is not None:
        return False
    service = find_service(session, request.service_code)
    file_accepted(session, request, RequestIn(), service, settings=settings)
    return True


def file_accepted(session: Session, request: ServiceRequest, data: Any, service: Any, *,
                  settings: Any) -> Subject:
    """File it (an incident or a 12345 order), link the two, and from now on let the
    subject's moves flow back (convenience/open311/status.py)."""
    from convenience.open311.requests import file_subject

    subject = file_subject(session, request, data, service, settings=settings)
    request.subject_type, request.subject_id = subject.type, subject.id
    request.status_notes = None  # the subject's own moves say what happens next
    request.expected_at = status.expected_of(session, subject)
    session.flush()
    links.link(session, Subject(REQUEST_SUBJECT, request.id), subject, kind="became",
               actor=f"open311:{request.channel}", note=request.media_url)
    audit.record(session, actor=f"open311:{request.channel}", action="open311.filed",
                 subject_type=REQUEST_SUBJECT, subject_id=request.id,
                 after={"subject": {"type": subject.type, "id": subject.id}})
    return subject


def pending_ids(session: Session) -> list[int]:
    """Accepted requests not yet filed, oldest first."""
    return list(session.scalars(select(ServiceRequest.id).where(
        ServiceRequest.subject_id.is_(None)).order_by(ServiceRequest.id)))
