"""Every error leaves as RFC 7807 problem+json; domain exceptions map to statuses here only."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger(__name__)

STATUS_OF = {NotFound: 404, InvalidInput: 422, Conflict: 409, Unauthorized: 401, Forbidden: 403,
             TooManyRequests: 429}
PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, request: Request, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    response = problem(_status(exc), exc.title, exc.detail, request, **exc.extra)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(422, "Invalid request", detail, request, errors=errors)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, "Request failed", str(exc.detail), request)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return problem(500, "Internal error", "the server failed; the error is logged", request)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
