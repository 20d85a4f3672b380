"""Every error leaves as RFC 7807 problem+json; domain exceptions map to statuses here only.

Each problem carries a stable machine `code` beside its human `detail`: a domain error's
class code (core/errors.py), or the status's code below for what the framework raises.
"""

import logging

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.headers import security_headers
from core.db import DatabaseBusy
from core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from core.redact import install_log_redaction

log = logging.getLogger(__name__)

STATUS_OF = {NotFound: 404, InvalidInput: 422, Conflict: 409, Unauthorized: 401, Forbidden: 403,
             TooManyRequests: 429}
PROBLEM_JSON = "application/problem+json"
# The code of a problem that names none, by status (routing, the framework, the pages).
CODE_OF_STATUS = {400: "bad_request", 401: "not_authenticated", 403: "forbidden",
                  404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
                  409: "conflict", 413: "body_too_large", 415: "unsupported_media_type",
                  422: "invalid_input", 429: "too_many_requests", 500: "internal_error",
                  503: "service_unavailable"}
# Codes of the hostile-input classes (api/limits.py and the safety nets below).
NUL_CHARACTER = "nul_character"
INTEGER_OUT_OF_RANGE = "integer_out_of_range"
VALUE_OUT_OF_RANGE = "value_out_of_range"
VALIDATION_FAILED = "validation_failed"

# A 422 lists at most this many errors (settings.validation_errors_max), each cut short:
# a body of a million bad items must not answer with a million errors.
_LOC_PARTS = 8
_TEXT_CHARS = 200
_DETAIL_CHARS = 1000


def problem(status: int, title: str, detail: str, request: Request, *, code: str | None = None,
            **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extra,
            "code": code or CODE_OF_STATUS.get(status, f"http_{status}")}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    response = problem(_status(exc), exc.title, exc.detail, request, code=exc.code, **exc.extra)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    found = exc.errors()
    shown = [_short_error(e) for e in found[:_errors_max(request)]]
    detail = _cut("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in shown),
                  _DETAIL_CHARS)
    if len(found) > len(shown):
        detail += f" (and {len(found) - len(shown)} more errors)"
    return problem(422, "Invalid request", detail, request,
                   code=VALIDATION_FAILED, errors=shown, error_count=len(found))


def _errors_max(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return settings.validation_errors_max if settings else 20


def _short_error(error: dict) -> dict:
    loc = [part if isinstance(part, int) else _cut(str(part), 64)
           for part in list(error["loc"])[:_LOC_PARTS]]
    return {"loc": loc, "msg": _cut(str(error["msg"]), _TEXT_CHARS), "type": error["type"]}


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    response = problem(exc.status_code, "Request failed", str(exc.detail), request)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


# --- safety nets: bad values that got past validation to the database or the arithmetic ---

# SQLSTATEs that only a value can cause (class 22, "data exception"): out of range, too
# long, not a valid date, not storable text. Other database errors stay 500s (or the
# outage handling's 503s): they are ours, not the caller's.
_VALUE_SQLSTATES = {
    "22001": VALUE_OUT_OF_RANGE,    # string_data_right_truncation
    "22003": INTEGER_OUT_OF_RANGE,  # numeric_value_out_of_range ("bigint out of range")
    "22007": VALUE_OUT_OF_RANGE,    # invalid_datetime_format
    "22008": VALUE_OUT_OF_RANGE,    # datetime_field_overflow
    "22021": NUL_CHARACTER,         # character_not_in_repertoire
    "22P05": NUL_CHARACTER,         # untranslatable_character (\u0000 in jsonb)
}


def _value_code(error: BaseException) -> str | None:
    """The problem code of a database error a value caused, or None."""
    original = getattr(error, "orig", error)
    if not isinstance(original, psycopg.DataError):
        return None
    if original.sqlstate in _VALUE_SQLSTATES:
        return _VALUE_SQLSTATES[original.sqlstate]
    # psycopg refuses a NUL in text itself, before the server sees it (no SQLSTATE).
    if original.sqlstate is None and "NUL" in str(original):
        return NUL_CHARACTER
    return None


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    code = _value_code(exc)
    if code is None:
        return await unexpected_error(request, exc)
    # Validation should have stopped it: logged (without the values) to find where.
    log.warning("a value reached the database on %s: %s", request.url.path,
                type(getattr(exc, "orig", exc)).__name__)
    return problem(422, "Invalid input", "a value is out of the range the system can store",
                   request, code=code)


async def overflow_error(request: Request, exc: OverflowError) -> JSONResponse:
    log.warning("a value overflowed on %s", request.url.path, exc_info=exc)
    return problem(422, "Invalid input", "a number or a date is out of range", request,
                   code=VALUE_OUT_OF_RANGE)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Masked on its way to the log (core/redact.py): a database error's text quotes values.
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    response = problem(500, "Internal error", "the server failed; the error is logged",
                       request)
    # Starlette answers a 500 outside every middleware: the headers are added here.
    response.headers.update(security_headers(request.scope))
    return response


# --- outages: the database restarting or out of connections, the broker down -------------
#
# 503 with Retry-After, never 500: the request's transaction was rolled back or never
# began, and the request may be sent again as it was. (If the connection broke during the
# COMMIT itself, the server may have committed: a report sent again with its
# Idempotency-Key is then answered with the stored one, a move sent again gets 409.)

DATABASE_BUSY = "database_busy"
DATABASE_UNAVAILABLE = "database_unavailable"
RETRY_AFTER_BUSY = 1         # seconds: a connection frees up within a request's time
RETRY_AFTER_UNAVAILABLE = 1  # the API serves within 0.1 s of the server (bench/faults.py)
RETRY_AFTER_NOT_READY = 5    # /readyz: a load balancer's next probe
# SQLSTATEs of a server going away or not there yet: class 08 (connection exception),
# admin/crash shutdown, starting up; too many connections is "busy".
_DOWN_SQLSTATES = {"57P01", "57P02", "57P03"}
_BUSY_SQLSTATES = {"53300"}


def _outage_code(error: BaseException) -> str | None:
    """database_busy / database_unavailable for an error that says so, else None."""
    if isinstance(error, (DatabaseBusy, sqlalchemy.exc.TimeoutError, PoolTimeout)):
        return DATABASE_BUSY
    if getattr(error, "connection_invalidated", False):
        return DATABASE_UNAVAILABLE
    original = getattr(error, "orig", None) or error
    if not isinstance(original, (psycopg.OperationalError, psycopg.InterfaceError)):
        return None
    sqlstate = original.sqlstate
    if sqlstate in _BUSY_SQLSTATES:
        return DATABASE_BUSY
    # No SQLSTATE: the client library's own word (refused, closed, lost).
    if sqlstate is None or sqlstate.startswith("08") or sqlstate in _DOWN_SQLSTATES:
        return DATABASE_UNAVAILABLE
    return None


async def outage_error(request: Request, exc: Exception) -> JSONResponse:
    code = _outage_code(exc)
    if code is None:  # an operational error of ours (a deadlock, a cancelled statement)
        return await unexpected_error(request, exc)
    busy = code == DATABASE_BUSY
    log.warning("%s on %s: %s", code, request.url.path, type(getattr(exc, "orig", exc)).__name__)
    response = problem(503, "Service unavailable",
                       "the database is busy: try again in a moment" if busy
                       else "the database is not reachable right now: send the request "
                            "again shortly", request, code=code)
    response.headers["Retry-After"] = str(RETRY_AFTER_BUSY if busy else RETRY_AFTER_UNAVAILABLE)
    return response


def install(app: FastAPI) -> None:
    install_log_redaction()
    for outage in (DatabaseBusy, sqlalchemy.exc.TimeoutError, PoolTimeout,
                   sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                   psycopg.OperationalError, psycopg.InterfaceError):
        app.add_exception_handler(outage, outage_error)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DataError, database_error)
    app.add_exception_handler(psycopg.DataError, database_error)
    app.add_exception_handler(OverflowError, overflow_error)
    app.add_exception_handler(Exception, unexpected_error)
