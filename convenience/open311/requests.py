"""GeoReport v2 POST Service Request: taking a request and filing it where it belongs.

A request with a location about a platform's service (a grid 小类) is filed with that
platform through the kernel's intake registry (core/workflow/intake.py): an incident with
source 市民随手拍 on the grid's normal workflow. A request with only an address
(address_string / address_id), or about a catalogue item that takes reports, becomes a
12345 work order that an operator locates (if need be) and dispatches. Either way the
request and its subject are linked (core/workflow/links.py); what the subject does flows
back (convenience/open311/status.py). The POST answers once the request (and the 随手拍
page's photos) is checked and stored; the filing runs right after, in the background
(convenience/open311/filing.py), and carries the photos to what the request becomes.
The services are convenience/open311/services.py, the reading
convenience/open311/reading.py. Citations are to sections of GeoReport_v2.md.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from convenience.open311 import facts, filing, photos
from convenience.open311.keys import check_key
from convenience.open311.models import REQUEST_SUBJECT, ServiceRequest
from convenience.open311.reading import now_utc, parse_datetime
from convenience.open311.services import attributes_from, is_catalogue_service, resolve_service
from core import audit
from core.errors import InvalidInput
from core.workflow import intake, rows
from core.workflow.clocks import Subject
from core.workflow.intake import CitizenReport, OfferedService
from core.workflow.rows import Row

DESCRIPTION_MAX = 4000  # POST Service Request: description "limited to 4,000 characters"
CHANNEL_OPEN311, CHANNEL_PAGE = "open311", "page"
ACCEPTED_NOTE = "已受理，正在分派"  # status_notes until it is filed


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
    # The 随手拍 page's own photos: objects with `content_type` and base64 `data`.
    photos: tuple[Any, ...] = ()


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
                       ("service_code", 60)):  # a 实施编码 is up to 60
        value = getattr(data, name)
        if value is not None and len(value) > most:
            raise InvalidInput(f"{name} is longer than {most} characters",
                               code="field_too_long")
    return data


def check_attributes(attributes: list[dict], service: OfferedService, sent: dict[str, Any]
                     ) -> dict[str, Any]:
    """attribute[code]=value against the service definition (`attributes`, services.py
    `attributes_of`'s): required ones present, values of their datatype, list values among
    the keys; unknown codes refused."""
    defined = {a["code"]: a for a in attributes if a["variable"]}
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


def create_request(session: Session, *, data: RequestIn, api_key_id: int | None = None,
                   channel: str, settings: Any, now: datetime | None = None,
                   api_key: str | None = None) -> ServiceRequest:
    """POST Service Request: check everything that could make it invalid, store it (and
    its photos), and queue its filing (see the module doc): the request is stored
    "accepted, being filed" with an outbox message whose task files it once this
    transaction commits (convenience/open311/filing.py). Nothing can refuse it after the
    checks, so nothing is written before they have all passed. `api_key` (an app's, as
    sent: 403 unless it is a live key) names the app; else `api_key_id` (None: the 随手拍
    page). What the checks read is read in one statement (facts.py), the intake's service
    in one more, and the rows are written in a third."""
    data = check_request(data)
    checked_photos = photos.check(data.photos, settings=settings)
    known = facts.read(session, code=data.service_code, lon=data.long, lat=data.lat,
                       api_key=api_key)
    if api_key is not None:
        api_key_id = check_key(known.api_key)
    service, catalogue = resolve_service(session, data.service_code, item=known.item)
    attributes = check_attributes(attributes_from(known.attributes, service), service,
                                  data.attributes)
    filing.check_fileable(lat=None if catalogue else data.lat,
                          lon=None if catalogue else data.long, inside=known.inside,
                          jurisdiction=known.jurisdiction)
    request = _accept(session, data, service, attributes, known, api_key_id=api_key_id,
                      channel=channel, now=now or now_utc(),
                      notice=_notice_of(catalogue, data.lat))
    photos.store(session, request.id, checked_photos, settings=settings)
    return request


def _accept(session: Session, data: RequestIn, service: OfferedService, attributes: dict,
            known: facts.Facts, *, api_key_id: int | None, channel: str, now: datetime,
            notice: str) -> ServiceRequest:
    """The request stored, not yet filed (open, no subject, no expected time), with its
    audit event and the filing task's outbox message: three rows in one statement
    (core/workflow/rows.py), their ids drawn ahead (facts.py). The request returned is not
    in the session: the caller reads its fields (the answer), nothing loads it again."""
    request = ServiceRequest(
        id=known.request_id, token=secrets.token_hex(16), api_key_id=api_key_id,
        channel=channel, service_code=service.code, service_name=service.name[:100],
        description=data.description or "", lat=data.lat, long=data.long,
        address_string=data.address_string or "", address_id=data.address_id or "",
        email=data.email, device_id=data.device_id, account_id=data.account_id,
        first_name=data.first_name, last_name=data.last_name, phone=data.phone,
        media_url=data.media_url, attributes=attributes, status="open",
        status_notes=ACCEPTED_NOTE, service_notice=notice,
        requested_at=now, updated_at=now, filing="queued", queued_at=now)
    rows.write(session, [
        Row.of_object(request),
        audit.row(event_id=known.audit_id, actor=f"open311:{channel}",
                  action="open311.request", subject_type=REQUEST_SUBJECT,
                  subject_id=request.id,
                  after={"service_code": service.code, "api_key_id": api_key_id}),
        filing.enqueue_row(session, request.id)])
    return request


def file_subject(session: Session, request: ServiceRequest, service: OfferedService, *,
                 settings: Any) -> Subject:
    """What the request becomes: an incident or a 12345 work order (module doc)."""
    from convenience.open311.workorders import register_from_request

    if is_catalogue_service(session, service.code):
        # About a 政务服务事项: the 12345 centre dispatches it to the item's department.
        return register_from_request(session, request, settings=settings)
    if request.lat is not None:
        report = CitizenReport(
            service_code=service.code,
            description=request.description or f"市民随手拍：{service.name}",
            lon=request.long, lat=request.lat, key=f"open311-{request.id}",
            address=request.address_string, source="citizen_app",
            data={"open311_request_id": request.id})  # photos: filing.py carries them
        return intake.take(session, report, settings=settings)
    # No point on the map: a 12345 work order, for an operator to locate and dispatch.
    return register_from_request(session, request, settings=settings)


def _notice_of(catalogue: bool, lat: float | None) -> str:
    if catalogue or lat is None:
        return "已转12345热线工单，工作人员将核实地址后派单办理"
    return "已进入网格化管理平台，将按时限立案、派遣、处置"
