"""Filing an accepted GeoReport v2 request (or 随手拍 report), right after the POST has
answered; and filings that got lost, sent again.

POST Service Request stores the request once every check that could refuse it has passed
(service, attributes, contact, photos, and here: the point lies in a grid with its centre,
or a jurisdiction is loaded for a 12345 order) and, in the same transaction, an outbox
message (core/workflow/outbox.py) for the task `open311.file`. The spec allows the answer
before the work: the service_request_id is the request's own id, known at once, and GET
shows it "已受理，正在分派" until it is filed (GeoReport_v2.md, POST Service Request:
"service_notice … information about the action expected to fulfill the request").

A request's `filing` is queued → filed, or refused (a domain refusal after the checks:
logged, and left for a person). Exactly once: the task locks the request row and files
only a queued one; the incident's idempotency key (open311-<id>) backs that up.

A task can still be lost: its retries exhausted (the database down for hours), its worker
killed mid-run (acks_late redelivers most, not all). `requeue_stuck` (the beat's, every
minute) sends again every filing queued for longer than the rule `filing_stuck_minutes`
(workorder_rule: data an admin edits), that time doubling with each re-queue of the same
request (a request that keeps failing is not sent every minute for ever). It skips rows a
filing holds (SKIP LOCKED); a task that comes back late finds the request filed and does
nothing.
"""

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from convenience.open311 import photos, status
from convenience.open311.models import REQUEST_SUBJECT, ServiceRequest
from core import audit
from core.errors import InvalidInput
from core.workflow import links, outbox
from core.workflow.clocks import Subject
from core.workflow.rows import Row

log = logging.getLogger(__name__)
FILE_TASK = "open311.file"

# The rule's row (workorder_rule; seeded by migration 0029 from this default).
STUCK_RULE = "filing_stuck_minutes"
STUCK_DEFAULT = ("10", "市民诉求受理后未分派的重新分派时限（分钟）",
                 "技术限值：受理后即入队分派（GeoReport v2 POST Service Request 先答复后办理，"
                 "service_notice）；超过此时限仍未分派的，视为分派任务丢失，重新入队，"
                 "每次重新入队后时限加倍；同一诉求只立案一次")
# The waits double at most this many times (10 min → 640 min): still tried several
# times a day.
MAX_DOUBLINGS = 6
REQUEUE_BATCH = 500

# The grid under the point whose village has an active centre: what the grid's report
# path (grid/incidents/service.py, _place) needs; a column of the POST's facts (facts.py).
INSIDE_SQL = """
    SELECT EXISTS (
        SELECT 1 FROM area g
        JOIN unit c ON c.kind = 'centre' AND c.is_active AND c.seat_code = substr(g.code, 1, 12)
        WHERE g.level = 'grid'
          AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(CAST(:lon AS float8),
                                                            CAST(:lat AS float8)), 4326)))"""
CITY_SQL = "SELECT EXISTS (SELECT 1 FROM area WHERE level = 'city')"

# Queued filings whose wait (the rule's minutes, doubled per re-queue) has passed, sent
# again: claimed without waiting for a filing in progress, stamped, counted.
_REQUEUE_SQL = text("""
    WITH due AS (
        SELECT id FROM open311_request
        WHERE filing = 'queued' AND queued_at < :now - make_interval(mins => :minutes)
          AND queued_at < :now - make_interval(
                mins => :minutes * (1 << least(requeues, :doublings)))
        ORDER BY queued_at, id LIMIT :batch
        FOR UPDATE SKIP LOCKED)
    UPDATE open311_request r SET queued_at = :now, requeues = r.requeues + 1
    FROM due WHERE r.id = due.id
    RETURNING r.id, r.requeues""")


def check_fileable(*, lat: float | None, lon: float | None, inside: bool,
                   jurisdiction: bool) -> None:
    """Refuse now what the filing would refuse later: a point outside every grid with a
    centre (`inside`, INSIDE_SQL's: an incident), or no jurisdiction to take a 12345 order
    (lat None: the work-order path; `jurisdiction`, CITY_SQL's)."""
    if lat is not None:
        if not inside:
            raise InvalidInput(f"({lon}, {lat}) lies outside every grid of the jurisdiction",
                               code="point_outside_grids", lon=lon, lat=lat)
    elif not jurisdiction:
        raise InvalidInput("no jurisdiction is loaded to take the request",
                           code="jurisdiction_missing")


def enqueue(session: Session, request_id: int) -> None:
    """The filing task, sent once the caller's transaction commits (and only if it does)."""
    outbox.enqueue_task(session, name=FILE_TASK, args=[request_id])


def enqueue_row(session: Session, request_id: int) -> Row:
    """`enqueue` as a row for `rows.write` (the POST writes it with the request)."""
    return outbox.task_row(session, name=FILE_TASK, args=[request_id])


def file_pending(session: Session, request_id: int, *, settings: Any) -> bool:
    """File the queued request `request_id` in the caller's transaction; False when it is
    gone, filed or refused already (a repeated or late task: the row lock makes the second
    one wait and then see the first one's work)."""
    from convenience.open311.services import find_service

    request = session.scalar(select(ServiceRequest).where(ServiceRequest.id == request_id)
                             .with_for_update())
    if request is None or request.filing != "queued" or request.subject_id is not None:
        return False
    file_accepted(session, request, find_service(session, request.service_code),
                  settings=settings)
    return True


def file_accepted(session: Session, request: ServiceRequest, service: Any, *,
                  settings: Any) -> Subject:
    """File it (an incident or a 12345 order) with its photos, link the two, and from now
    on let the subject's moves flow back (convenience/open311/status.py)."""
    from convenience.open311.requests import file_subject

    subject = file_subject(session, request, service, settings=settings)
    request.subject_type, request.subject_id = subject.type, subject.id
    request.filing = "filed"
    request.status_notes = None  # the subject's own moves say what happens next
    request.expected_at = status.expected_of(session, subject)
    session.flush()
    carried = photos.carry(session, request.id, subject)
    links.link(session, Subject(REQUEST_SUBJECT, request.id), subject, kind="became",
               actor=f"open311:{request.channel}", note=request.media_url)
    audit.record(session, actor=f"open311:{request.channel}", action="open311.filed",
                 subject_type=REQUEST_SUBJECT, subject_id=request.id,
                 after={"subject": {"type": subject.type, "id": subject.id},
                        "photos": [p.id for p in carried]})
    return subject


def refuse(session: Session, request_id: int, *, reason: str) -> bool:
    """A filing the domain refused (it cannot follow the POST's checks, but if it does):
    marked so that no job sends it again; it waits for a person. False if not queued."""
    refused = session.execute(
        update(ServiceRequest).where(ServiceRequest.id == request_id,
                                     ServiceRequest.filing == "queued")
        .values(filing="refused").returning(ServiceRequest.channel)).first()
    if refused is None:
        return False
    audit.record(session, actor=f"open311:{refused.channel}", action="open311.filing_refused",
                 subject_type=REQUEST_SUBJECT, subject_id=request_id,
                 after={"reason": reason[:500]})
    return True


def stuck_minutes(session: Session) -> int:
    """The rule `filing_stuck_minutes` (at least 1)."""
    from convenience.open311.workorder_flow import rule

    return max(1, int(rule(session, STUCK_RULE).value))


def requeue_stuck(session: Session, *, now: datetime | None = None,
                  batch: int = REQUEUE_BATCH) -> list[int]:
    """Send again, in the caller's transaction, the filings stuck past their wait (module
    doc); returns their ids, and logs them."""
    from convenience.open311.reading import now_utc

    minutes = stuck_minutes(session)
    rows = session.execute(_REQUEUE_SQL, {"now": now or now_utc(), "minutes": minutes,
                                          "doublings": MAX_DOUBLINGS, "batch": batch}).all()
    for row in rows:
        enqueue(session, row.id)
    if rows:
        audit.record_many(session, [
            {"actor": "open311:requeue", "action": "open311.requeued",
             "subject_type": REQUEST_SUBJECT, "subject_id": row.id,
             "after": {"requeues": row.requeues, "stuck_minutes": minutes}} for row in rows])
        log.warning("open311: re-queued %d filing(s) queued for over %d min (doubling per "
                    "re-queue): %s", len(rows), minutes, [row.id for row in rows])
    return [row.id for row in rows]


def pending_ids(session: Session) -> list[int]:
    """Requests queued for filing, oldest first."""
    return list(session.scalars(select(ServiceRequest.id).where(
        ServiceRequest.filing == "queued").order_by(ServiceRequest.id)))
