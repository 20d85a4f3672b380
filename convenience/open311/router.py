"""Open311 GeoReport v2 at /open311/v2 (and the Service Discovery file at /open311).

Public routes (no token): GeoReport's own key, `api_key`, guards POST requests only
("Requires API Key: Yes"). The format is the resource's extension (.json / .xml).

This is the one place where an error is not problem+json: GeoReport v2 "Errors" wants an
`errors` array (403 for a missing or invalid api_key, 404 for what does not exist, 400 for
anything else) in the request's format. `Open311Route` turns every error of these routes —
domain errors, validation errors, HTTP errors — into that, before api/errors.py's handlers
would see it; unknown paths under /open311/v2 get the same body from the catch-all route.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from convenience.open311 import reading, render
from convenience.open311 import requests as service
from convenience.open311 import services as offer
from convenience.open311.keys import require_key
from core.deps import SessionDep, in_one_thread
from core.errors import DomainError, Forbidden, InvalidInput, NotFound

Format = Literal["json", "xml"]


def _format_of(request: Request) -> str:
    path = request.url.path.lower()
    return "xml" if path.endswith(".xml") else "json"


def error_response(request: Request, exc: Exception) -> Response:
    """An exception as GeoReport v2 errors: (status, [(code, description)])."""
    fmt = _format_of(request)
    if isinstance(exc, RequestValidationError):
        problems = [(400, f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}")
                    for e in exc.errors()[:10]]
        return render.errors(fmt, 400, problems)
    if isinstance(exc, DomainError):
        status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) \
            else 400
        return render.errors(fmt, status, [(status, exc.detail)])
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code if exc.status_code in (403, 404, 405) else 400
        return render.errors(fmt, status, [(status, str(exc.detail))])
    raise exc


class Open311Route(APIRoute):
    """A route whose errors leave in the specification's format (module doc)."""

    def get_route_handler(self) -> Callable:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except (RequestValidationError, DomainError, StarletteHTTPException) as exc:
                return error_response(request, exc)

        return handler


router = APIRouter(tags=["open311"], route_class=Open311Route)

_SERVICE = {"type": "object", "required": ["service_code", "service_name", "type"],
            "properties": {"service_code": {"type": "string"},
                           "service_name": {"type": "string"},
                           "description": {"type": "string"}, "metadata": {"type": "boolean"},
                           "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                           "keywords": {"type": "string"}, "group": {"type": "string"}}}
_NULLABLE_STRING = {"type": ["string", "null"]}
_REQUEST = {"type": "object", "required": ["service_request_id", "status", "service_code",
                                           "requested_datetime"],
            "properties": {"service_request_id": {"type": "string"},
                           "status": {"type": "string", "enum": ["open", "closed"]},
                           "status_notes": _NULLABLE_STRING, "service_name": _NULLABLE_STRING,
                           "service_code": {"type": "string"},
                           "description": _NULLABLE_STRING,
                           "agency_responsible": _NULLABLE_STRING,
                           "service_notice": _NULLABLE_STRING,
                           "requested_datetime": {"type": "string"},
                           "updated_datetime": _NULLABLE_STRING,
                           "expected_datetime": _NULLABLE_STRING,
                           "address": _NULLABLE_STRING, "address_id": _NULLABLE_STRING,
                           "zipcode": _NULLABLE_STRING, "lat": {"type": ["number", "null"]},
                           "long": {"type": ["number", "null"]},
                           "media_url": _NULLABLE_STRING}}
_ERRORS = {"type": "array", "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": ["integer", "string"]}, "description": {"type": "string"}}}}


def _responses(schema: dict, *, errors: tuple[int, ...] = (400,)) -> dict:
    ok = {"description": "JSON (.json) or XML (.xml)",
          "content": {"application/json": {"schema": schema}, "text/xml": {}}}
    described = {400: "invalid request (GeoReport v2 errors array)",
                 403: "missing or invalid api_key", 404: "not found"}
    return {200: ok, **{status: {"description": described[status], "content": {
        "application/json": {"schema": _ERRORS}, "text/xml": {}}} for status in errors},
        422: {"description": "not used: errors are 400 (GeoReport v2)"}}


def _array(item: dict) -> dict:
    return {"type": "array", "items": item}


@router.get("/open311/discovery.{response_format}", response_class=Response,
            responses=_responses({"type": "object"}), summary="Open311 Service Discovery")
@router.get("/open311/v2/discovery.{response_format}", response_class=Response,
            responses=_responses({"type": "object"}), summary="Open311 Service Discovery")
def discovery(response_format: Format, request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return render.render(response_format, "discovery", None, offer.discovery(base))


@router.get("/open311/v2/services.{response_format}", response_class=Response,
            responses=_responses(_array(_SERVICE)), summary="GET Service List")
def services(response_format: Format, session: SessionDep,
             jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None
             ) -> Response:
    return render.render(response_format, "services", "service",
                         offer.service_list(session))


@router.get("/open311/v2/services/{service_code}.{response_format}", response_class=Response,
            responses=_responses({"type": "object"}, errors=(400, 404)),
            summary="GET Service Definition")
def service_definition(service_code: str, response_format: Format, session: SessionDep,
                       jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None
                       ) -> Response:
    return render.render(response_format, "service_definition", None,
                         offer.service_definition(session, service_code))


def _attributes(form) -> dict[str, Any]:
    """attribute[code]=value and attribute[code][]=value (a multivaluelist)."""
    found: dict[str, Any] = {}
    for key, value in form.multi_items():
        if not key.startswith("attribute[") or not isinstance(value, str):
            continue
        inner = key[len("attribute["):]
        code, _, rest = inner.partition("]")
        if rest == "[]":
            found.setdefault(code, [])
            if isinstance(found[code], list):
                found[code].append(value)
        else:
            found[code] = value
    return found


# The POST's form fields, as the OpenAPI documents them; read by `_request_in`, not by
# FastAPI's Form parameters (sixteen of those cost ~1 ms of a POST's CPU:
# /work/notes/bench_convenience.md). Lengths beyond these are 400 (check_request has the
# finer limits).
_TEXT_FIELDS = {"api_key": 400, "jurisdiction_id": 400, "service_code": 400,
                "address_string": 400, "address_id": 400, "email": 400, "device_id": 400,
                "account_id": 400, "first_name": 400, "last_name": 400, "phone": 400,
                "description": 4000, "media_url": 2000}
_NUMBER_FIELDS = {"lat": (-90, 90), "long": (-180, 180)}
_FORM_SCHEMA = {"type": "object", "properties": {
    **{name: {"type": "string", "maxLength": most} for name, most in _TEXT_FIELDS.items()},
    **{name: {"type": "number", "minimum": low, "maximum": high}
       for name, (low, high) in _NUMBER_FIELDS.items()}},
    "additionalProperties": {"type": "string"},
    "description": "attribute[code]=value (attribute[code][]=value for a multivaluelist)"}


def _text(form, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _TEXT_FIELDS[name]:
        raise InvalidInput(f"{name}: a text of at most {_TEXT_FIELDS[name]} characters",
                           code="field_invalid")
    return value


def _number(form, name: str) -> float | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value) if isinstance(value, str) else None
    except ValueError:
        number = None
    low, high = _NUMBER_FIELDS[name]
    if number is None or not low <= number <= high:
        raise InvalidInput(f"{name}: a number from {low} to {high}", code="lat_long_range")
    return number


def _request_in(form) -> tuple[str | None, service.RequestIn]:
    """(api_key, the request's fields) from the form."""
    # jurisdiction_id is checked and unused: one jurisdiction per deployment.
    texts = {name: _text(form, name) for name in _TEXT_FIELDS}
    return texts.pop("api_key"), service.RequestIn(
        service_code=texts["service_code"], lat=_number(form, "lat"),
        long=_number(form, "long"), address_string=texts["address_string"],
        address_id=texts["address_id"], email=texts["email"], device_id=texts["device_id"],
        account_id=texts["account_id"], first_name=texts["first_name"],
        last_name=texts["last_name"], phone=texts["phone"], description=texts["description"],
        media_url=texts["media_url"], attributes=_attributes(form))


@router.post("/open311/v2/requests.{response_format}", response_class=Response,
             responses=_responses(_array({"type": "object", "properties": {
                 "service_request_id": {"type": "string"}, "token": {"type": "string"},
                 "service_notice": _NULLABLE_STRING, "account_id": _NULLABLE_STRING}}),
                 errors=(400, 403, 404)),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA}}}},
             summary="POST Service Request")
async def create_request(response_format: Format, request: Request) -> Response:
    async with request.form() as form:
        api_key, data = _request_in(form)
    require_key(api_key)  # 403 before anything is read
    settings = request.app.state.settings

    def create(session) -> dict:
        created = service.create_request(session, data=data, api_key=api_key,
                                         channel=service.CHANNEL_OPEN311, settings=settings)
        return reading.created_dict(created)

    # The checks, the store and the commit in one thread-pool hop (core/deps.py
    # in_one_thread: the hottest write; a session dependency would take three).
    body = await in_one_thread(request, create)
    return render.render(response_format, "service_requests", "request", [body])


@router.get("/open311/v2/requests.{response_format}", response_class=Response,
            responses=_responses(_array(_REQUEST)), summary="GET Service Requests")
def find_requests(
        response_format: Format, session: SessionDep,
        service_request_id: Annotated[str | None, Query(max_length=20000)] = None,
        service_code: Annotated[str | None, Query(max_length=2000)] = None,
        start_date: Annotated[str | None, Query(max_length=40)] = None,
        end_date: Annotated[str | None, Query(max_length=40)] = None,
        status: Annotated[str | None, Query(max_length=40)] = None,
        jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    start = reading.parse_datetime(start_date, name="start_date") if start_date else None
    end = reading.parse_datetime(end_date, name="end_date") if end_date else None
    rows = reading.find_requests(session, ids=reading.split_list(service_request_id),
                                 service_codes=reading.split_list(service_code),
                                 statuses=reading.split_list(status), start=start, end=end)
    return render.render(response_format, "service_requests", "request",
                         [reading.request_dict(row) for row in rows])


@router.get("/open311/v2/requests/{service_request_id}.{response_format}",
            response_class=Response, responses=_responses(_array(_REQUEST), errors=(400, 404)),
            summary="GET Service Request")
def get_request(service_request_id: str, response_format: Format, session: SessionDep,
                jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None
                ) -> Response:
    row = reading.get_request(session, service_request_id)
    return render.render(response_format, "service_requests", "request",
                         [reading.request_dict(row)])


@router.get("/open311/v2/tokens/{token}.{response_format}", response_class=Response,
            responses=_responses(_array({"type": "object", "properties": {
                "service_request_id": {"type": "string"}, "token": {"type": "string"}}}),
                errors=(400, 404)),
            summary="GET service_request_id from a token")
def token(token: str, response_format: Format, session: SessionDep,
          jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    row = reading.by_token(session, token)
    return render.render(response_format, "service_requests", "request",
                         [{"service_request_id": str(row.id), "token": row.token}])


@router.get("/open311/v2/servicerequestupdates.{response_format}", response_class=Response,
            responses=_responses(_array({"type": "object", "properties": {
                "update_id": {"type": "string"}, "service_request_id": {"type": "string"},
                "status": {"type": "string"}, "updated_datetime": {"type": "string"},
                "description": {"type": "string"}, "media_url": _NULLABLE_STRING}})),
            summary="GET Service Request Updates (FixMyStreet extension)")
def request_updates(response_format: Format, session: SessionDep,
                    start_date: Annotated[str | None, Query(max_length=40)] = None,
                    end_date: Annotated[str | None, Query(max_length=40)] = None,
                    jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None,
                    api_key: Annotated[str | None, Query(max_length=400)] = None
                    ) -> Response:
    start = reading.parse_datetime(start_date, name="start_date") if start_date else None
    end = reading.parse_datetime(end_date, name="end_date") if end_date else None
    return render.render(response_format, "service_request_updates", "request_update",
                         reading.updates(session, start=start, end=end))


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/open311/v2/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
def not_a_resource(rest: str, request: Request) -> Response:
    """Anything else under /open311/v2: 405 when the path exists for another method, else
    404, in the errors format."""
    for route in router.routes:
        if route.path == "/open311/v2/{rest:path}":
            continue
        match, _ = route.matches(request.scope)
        if match == Match.PARTIAL:
            return render.errors(_format_of(request), 405,
                                 [(405, f"{request.method} is not allowed here")])
    return render.errors(_format_of(request), 404, [(404, f"no resource {rest[:100]}")])


PUBLIC_PATHS = frozenset(route.path for route in router.routes)
