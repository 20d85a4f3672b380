"""GeoReport v2 service requests: the services on offer, taking a request, reading them,
tokens, and the status that flows back from what a request became.

A request with a location is filed with the platform that takes its service code through
the kernel's intake registry (core/workflow/intake.py): for a grid 小类, an incident with
source 市民随手拍 on the grid's normal workflow. A request with only an address
(address_string / address_id) cannot be put on the map: it becomes a 12345 work order that
an operator locates and dispatches. Either way the request and its subject are linked
(core/workflow/links.py) and the subject's moves, read from the kernel's timeline, become
the request's status, status_notes and updates (FixMyStreet's servicerequestupdates).
Citations below are to the sections of GeoReport_v2.md.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from convenience.open311.models import (
    REQUEST_SUBJECT,
    RequestUpdate,
    ServiceAttribute,
    ServiceRequest,
)
from core import audit
from core.errors import InvalidInput, NotFound
from core.workflow import case_types, intake, links
from core.workflow.clocks import Subject
from core.workflow.intake import CitizenReport, OfferedService

SPEC = "http://wiki.open311.org/GeoReport_v2"
# GET Service Requests, "Response Volume": a span of 90 days or the first 1000 requests.
WINDOW = timedelta(days=90)
LIMIT = 1000
DESCRIPTION_MAX = 4000  # POST Service Request: description "limited to 4,000 characters"
CHANNEL_OPEN311, CHANNEL_PAGE = "open311", "page"


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- services --------------------------------------------------------------------------

def catalogue_services_taking_reports(session: Session) -> list[OfferedService]:
    """便民服务 catalogue items that take reports (issue 15 §8). None yet: the catalogue
    (convenience/services) has no such flag. The catalogue's owner may register an Intake
    of its own (core/workflow/intake.py) — its services then appear here by themselves —
    or fill this in."""
    return []


def offered(session: Session) -> list[OfferedService]:
    return intake.services(session) + catalogue_services_taking_reports(session)


def find_service(session: Session, code: str) -> OfferedService:
    """The service `code`; NotFound (404: "service_code … was not found")."""
    found = intake.find(session, code)
    if found is None:
        raise NotFound(f"service_code {code} was not found", code="service_unknown")
    return found[1]


def service_list(session: Session) -> list[dict]:
    """GET Service List: every service; `metadata` true (each has a definition: at least
    the attributes every service shares and its notice)."""
    return [{"service_code": s.code, "service_name": s.name, "description": s.description,
             "metadata": True, "type": "realtime", "keywords": s.keywords, "group": s.group}
            for s in offered(session)]


def attributes_of(session: Session, service: OfferedService) -> list[dict]:
    """The attributes of a service: the shared ones ('' in the table), its own, and its
    notice (e.g. a 小类's 立案条件) as an informational attribute (variable false)."""
    rows = session.scalars(select(ServiceAttribute).where(
        ServiceAttribute.service_code.in_(("", service.code)))
        .order_by(ServiceAttribute.sort_order, ServiceAttribute.id)).all()
    attributes = [{"variable": row.variable, "code": row.code, "datatype": row.datatype,
                   "required": row.required, "datatype_description": row.datatype_description,
                   "order": row.sort_order, "description": row.description,
                   "values": [{"key": v["key"], "name": v["name"]} for v in row.values]}
                  for row in rows]
    if service.notice:
        attributes.append({"variable": False, "code": "notice", "datatype": "text",
                           "required": False, "datatype_description": "",
                           "order": max([a["order"] for a in attributes], default=0) + 1,
                           "description": f"受理条件：{service.notice}", "values": []})
    return attributes


def service_definition(session: Session, code: str) -> dict:
    service = find_service(session, code)
    return {"service_code": service.code, "attributes": attributes_of(session, service)}


def discovery(base_url: str) -> dict:
    """Service Discovery: where this GeoReport v2 endpoint is, in which formats."""
    return {"changeset": "2026-12-07T00:00:00Z", "contact": "12345 政务服务便民热线",
            "key_service": "向本级政务服务管理部门申请 api_key（gridgov open311 key create）",
            "endpoints": [{"specification": SPEC, "url": f"{base_url}/open311/v2",
                           "changeset": "2026-12-07T00:00:00Z", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}


# --- POST Service Request ----------------------------------------------------------------

@dataclass
class RequestIn:
    """The POST's fields (form-encoded), as sent; checked by `check_request`."""

    service_code: str | None = None
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    photos: tuple[tuple[str, str], ...] = ()  # the 随手拍 page's own photos


def _blank(value: str | None) -> str | None:
    """"Optional Arguments": an empty parameter is one not sent."""
    return value.strip() if value is not None and value.strip() else None


def check_request(data: RequestIn) -> RequestIn:
    """The spec's rules on the fields; InvalidInput (400) naming the field."""
    data.service_code = _blank(data.service_code)
    if data.service_code is None:
        raise InvalidInput("service_code was not provided", code="service_code_missing")
    for name in ("address_string", "address_id", "email", "device_id", "account_id",
                 "first_name", "last_name", "phone", "description", "media_url"):
        setattr(data, name, _blank(getattr(data, name)))
    if (data.lat is None) != (data.long is None):
        raise InvalidInput("lat and long both need to be sent", code="lat_long_pair")
    if data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.long <= 180):
        raise InvalidInput("lat/long out of range (WGS84 degrees)", code="lat_long_range")
    if data.lat is None and data.address_string is None and data.address_id is None:
        raise InvalidInput("a location is required: lat & long, address_string or "
                           "address_id", code="location_missing")
    if data.description is not None and len(data.description) > DESCRIPTION_MAX:
        raise InvalidInput(f"description is limited to {DESCRIPTION_MAX} characters",
                           code="description_too_long")
    if data.media_url is not None and not data.media_url.lower().startswith(
            ("http://", "https://")):
        raise InvalidInput("media_url must be an http(s) URL", code="media_url_invalid")
    if data.email is not None and ("@" not in data.email or " " in data.email):
        raise InvalidInput("email is not an email address", code="email_invalid")
    for name, most in (("address_string", 400), ("address_id", 100), ("email", 254),
                       ("device_id", 100), ("account_id", 100), ("first_name", 100),
                       ("last_name", 100), ("phone", 40), ("media_url", 2000),
                       ("service_code", 32)):
        value = getattr(data, name)
        if value is not None and len(value) > most:
            raise InvalidInput(f"{name} is longer than {most} characters",
                               code="field_too_long")
    return data


def check_attributes(session: Session, service: OfferedService, sent: dict[str, Any]
                     ) -> dict[str, Any]:
    """attribute[code]=value against the service definition: required ones present, values
    of their datatype, list values among the keys; unknown codes refused."""
    defined = {a["code"]: a for a in attributes_of(session, service) if a["variable"]}
    unknown = sorted(set(sent) - set(defined))
    if unknown:
        raise InvalidInput(f"unknown attribute {', '.join(unknown)} for service "
                           f"{service.code}", code="attribute_unknown")
    checked = {}
    for code, attribute in defined.items():
        value = sent.get(code)
        values = value if isinstance(value, list) else ([value] if value not in (None, "")
                                                         else [])
        if not values:
            if attribute["required"]:
                raise InvalidInput(f"attribute[{code}] is required ({attribute['description']})",
                                   code="attribute_required")
            continue
        checked[code] = _attribute_value(attribute, values)
    return checked


def _attribute_value(attribute: dict, values: list) -> Any:
    code, kind = attribute["code"], attribute["datatype"]
    keys = {str(v["key"]) for v in attribute["values"]}
    if kind == "multivaluelist":
        if not set(map(str, values)) <= keys:
            raise InvalidInput(f"attribute[{code}]: values must be among {sorted(keys)}",
                               code="attribute_invalid")
        return [str(v) for v in values]
    if len(values) > 1:
        raise InvalidInput(f"attribute[{code}] takes one value", code="attribute_invalid")
    value = str(values[0])
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInput(f"attribute[{code}] is too long", code="attribute_invalid")
    if kind == "singlevaluelist" and value not in keys:
        raise InvalidInput(f"attribute[{code}]: value must be one of {sorted(keys)}",
                           code="attribute_invalid")
    if kind == "number":
        try:
            float(value)
        except ValueError:
            raise InvalidInput(f"attribute[{code}] must be a number",
                               code="attribute_invalid") from None
    if kind == "datetime":
        parse_datetime(value, name=f"attribute[{code}]")
    return value


def create_request(session: Session, *, data: RequestIn, api_key_id: int | None,
                   channel: str, settings: Any, now: datetime | None = None
                   ) -> ServiceRequest:
    """POST Service Request: store it, and file it where it belongs (see the module doc),
    in the caller's transaction: nothing stays if any part fails."""
    data = check_request(data)
    service = find_service(session, data.service_code)
    attributes = check_attributes(session, service, data.attributes)
    # A savepoint: a refusal after the first insert (a point outside every grid) leaves
    # nothing behind even where the caller's transaction goes on (the 随手拍 page's).
    with session.begin_nested():
        return _create(session, data, service, attributes, api_key_id=api_key_id,
                       channel=channel, settings=settings, now=now or now_utc())


def _create(session: Session, data: RequestIn, service: OfferedService, attributes: dict,
            *, api_key_id: int | None, channel: str, settings: Any, now: datetime
            ) -> ServiceRequest:
    request = ServiceRequest(
        token=secrets.token_hex(16), api_key_id=api_key_id, channel=channel,
        service_code=service.code, service_name=service.name[:100],
        description=data.description or "", lat=data.lat, long=data.long,
        address_string=data.address_string or "", address_id=data.address_id or "",
        email=data.email, device_id=data.device_id, account_id=data.account_id,
        first_name=data.first_name, last_name=data.last_name, phone=data.phone,
        media_url=data.media_url, attributes=attributes, status="open",
        requested_at=now, updated_at=now)
    # The id first, the row once it knows what it became: one INSERT, no UPDATE after.
    request.id = session.scalar(select(func.nextval("open311_request_id_seq")))
    subject = _file(session, request, data, service, settings=settings)
    request.subject_type, request.subject_id = subject.type, subject.id
    request.service_notice = _notice(subject)
    session.add(request)
    session.flush()
    links.link(session, Subject(REQUEST_SUBJECT, request.id), subject, kind="became",
               actor=f"open311:{channel}", note=request.media_url)
    audit.record(session, actor=f"open311:{channel}", action="open311.request",
                 subject_type=REQUEST_SUBJECT, subject_id=request.id,
                 after={"service_code": service.code, "api_key_id": api_key_id,
                        "subject": {"type": subject.type, "id": subject.id}})
    return request


def _file(session: Session, request: ServiceRequest, data: RequestIn,
          service: OfferedService, *, settings: Any) -> Subject:
    if request.lat is not None:
        report = CitizenReport(
            service_code=service.code,
            description=request.description or f"市民随手拍：{service.name}",
            lon=request.long, lat=request.lat, key=f"open311-{request.id}",
            address=request.address_string, source="citizen_app", photos=data.photos,
            data={"open311_request_id": request.id})
        return intake.take(session, report, settings=settings)
    # No point on the map: a 12345 work order, for an operator to locate and dispatch.
    from convenience.open311.workorders import register_from_request

    return register_from_request(session, request, settings=settings)


def _notice(subject: Subject) -> str:
    if subject.type == "work_order":
        return "已转12345热线工单，工作人员将核实地址后派单办理"
    return "已进入网格化管理平台，将按时限立案、派遣、处置"


# --- GET ---------------------------------------------------------------------------------

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
            sync(session, open_within=(low, high))
            query = query.where(ServiceRequest.status.in_(statuses))
    rows = list(session.scalars(query.order_by(ServiceRequest.requested_at.desc(),
                                               ServiceRequest.id.desc()).limit(LIMIT)))
    if not statuses or ids:
        sync(session, requests=rows)
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
    sync(session, requests=[request])
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


# --- status flowing back -----------------------------------------------------------------

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
    the last sync) into updates, status and status_notes. For `requests`, or for the open
    ones requested within `open_within`. Rows another sync holds are skipped (SKIP LOCKED):
    it is turning the same events into the same updates. Returns the updates written."""
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
    return written


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


def updates(session: Session, *, start: datetime | None, end: datetime | None,
            now: datetime | None = None) -> list[dict]:
    """FixMyStreet's servicerequestupdates: the updates within the window (the same 90-day
    and 1000-row limits as GET Service Requests), oldest first."""
    low, high = window(start, end, now=now or now_utc())
    sync(session, open_within=(low - WINDOW, high))
    rows = session.scalars(select(RequestUpdate)
                           .where(RequestUpdate.updated_at.between(low, high))
                           .order_by(RequestUpdate.updated_at, RequestUpdate.id).limit(LIMIT))
    # media_url: an update carries none (the resident's photo is the request's own).
    return [{"update_id": str(u.id), "service_request_id": str(u.request_id),
             "status": u.status, "updated_datetime": u.updated_at,
             "description": u.description, "media_url": None} for u in rows]
