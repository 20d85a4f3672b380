"""GeoReport v2 reading: GET Service Requests (filters, the 90-day window, the 1,000-row
limit), GET Service Request, GET service_request_id from a token, and the bodies they
answer with. Each read first brings the requests' status and expected time up to date
from what they became (convenience/open311/status.py). Sections of GeoReport_v2.md.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from convenience.open311 import status
from convenience.open311.models import RequestUpdate, ServiceRequest
from core.errors import InvalidInput, NotFound

# GET Service Requests, "Response Volume": a span of 90 days or the first 1000 requests.
WINDOW = timedelta(days=90)
LIMIT = 1000


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_datetime(value: str, *, name: str) -> datetime:
    """A w3 datetime with its zone (Date/time format: timezone information must be
    included); InvalidInput (400) otherwise."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(
            "z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be a w3 datetime, e.g. 2010-01-01T00:00:00Z",
                           code="datetime_invalid") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{name} must include its timezone (Z or ±HH:MM)",
                           code="datetime_without_zone")
    return moment


def window(start: datetime | None, end: datetime | None, *, now: datetime
           ) -> tuple[datetime, datetime]:
    """GET Service Requests: start_date/end_date "may not span more than 90 days"; when not
    specified, "the range defaults to most recent 90 days"."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise InvalidInput("end_date is before start_date", code="date_range_invalid")
    if end - start > WINDOW:
        raise InvalidInput("start_date and end_date may not span more than 90 days",
                           code="date_range_too_long")
    return start, end


def split_list(value: str | None) -> list[str]:
    """"can be declared multiple times, comma delimited"."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_requests(session: Session, *, ids: Sequence[str] = (),
                  service_codes: Sequence[str] = (), statuses: Sequence[str] = (),
                  start: datetime | None = None, end: datetime | None = None,
                  now: datetime | None = None) -> list[ServiceRequest]:
    """GET Service Requests. `service_request_id` "overrides all other arguments"; the
    rest within the window; at most 1000, newest first."""
    if ids:
        numbers = [_request_id(value) for value in ids[:LIMIT]]
        query = select(ServiceRequest).where(ServiceRequest.id.in_(numbers))
    else:
        bad = sorted(set(statuses) - {"open", "closed"})
        if bad:
            raise InvalidInput(f"status must be open or closed, not {', '.join(bad)}",
                               code="status_invalid")
        low, high = window(start, end, now=now or now_utc())
        query = select(ServiceRequest).where(ServiceRequest.requested_at >= low,
                                             ServiceRequest.requested_at <= high)
        if service_codes:
            query = query.where(ServiceRequest.service_code.in_(service_codes))
        if statuses:
            status.sync(session, open_within=(low, high))
            query = query.where(ServiceRequest.status.in_(statuses))
    rows = list(session.scalars(query.order_by(ServiceRequest.requested_at.desc(),
                                               ServiceRequest.id.desc()).limit(LIMIT)))
    if not statuses or ids:
        status.sync(session, requests=rows)
    return rows


def _request_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(f"service_request_id {value!r} is not a request id",
                           code="service_request_id_invalid")
    return int(value)


def get_request(session: Session, value: str) -> ServiceRequest:
    """GET Service Request; 404 when there is none."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound(f"service_request_id {value} was not found", code="request_unknown")
    request = session.get(ServiceRequest, int(value))
    if request is None:
        raise NotFound(f"service_request_id {value} was not found", code="request_unknown")
    status.sync(session, requests=[request])
    return request


def by_token(session: Session, token: str) -> ServiceRequest:
    """GET service_request_id from a token; 404 when the token is unknown."""
    request = session.scalar(select(ServiceRequest).where(ServiceRequest.token == token))
    if request is None:
        raise NotFound(f"token {token[:40]} was not found", code="token_unknown")
    return request


def request_dict(request: ServiceRequest) -> dict:
    """A request as GET shows it: no contact details (they are the reporter's)."""
    return {"service_request_id": str(request.id), "status": request.status,
            "status_notes": request.status_notes, "service_name": request.service_name,
            "service_code": request.service_code, "description": request.description,
            "agency_responsible": request.agency_responsible,
            "service_notice": request.service_notice,
            "requested_datetime": request.requested_at,
            "updated_datetime": request.updated_at,
            "expected_datetime": request.expected_at,
            "address": request.address_string or None,
            "address_id": request.address_id or None, "zipcode": None,
            "lat": request.lat, "long": request.long, "media_url": request.media_url}


def created_dict(request: ServiceRequest) -> dict:
    """POST's answer: the id (realtime), the notice; no token when the id is given."""
    return {"service_request_id": str(request.id), "service_notice": request.service_notice,
            "account_id": None}


def updates(session: Session, *, start: datetime | None, end: datetime | None,
            now: datetime | None = None) -> list[dict]:
    """FixMyStreet's servicerequestupdates: the updates within the window (the same 90-day
    and 1000-row limits as GET Service Requests), oldest first."""
    low, high = window(start, end, now=now or now_utc())
    status.sync(session, open_within=(low - WINDOW, high))
    rows = session.scalars(select(RequestUpdate)
                           .where(RequestUpdate.updated_at.between(low, high))
                           .order_by(RequestUpdate.updated_at, RequestUpdate.id).limit(LIMIT))
    # media_url: an update carries none (the resident's photo is the request's own).
    return [{"update_id": str(u.id), "service_request_id": str(u.request_id),
             "status": u.status, "updated_datetime": u.updated_at,
             "description": u.description, "media_url": None} for u in rows]
