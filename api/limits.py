"""The gate in front of every route: hostile input gets a 4xx problem before it is parsed.

- Body size, per route: an upload (a report or photos, base64 inside JSON) may be large,
  anything else small. A declared Content-Length over the limit is refused before one
  byte is read; a body without one is read until it passes the limit, then refused.
- JSON shape: at most `json_max_values` values and `json_max_depth` levels, counted on
  the bytes without parsing (each value but the first follows a comma or opens an array
  or object; strings are blanked first when the raw count does not already pass). A
  2.5-million-item array would otherwise cost seconds of validation on the event loop
  and a 575 MB list of errors, while every other request waits; nesting 100,000 deep
  would overflow the parser's stack (a 500).
- NUL characters, which PostgreSQL text cannot hold: in the path, the query, a header,
  a JSON body (raw or `\\u0000`), a form (`%00` or raw). Refused here, in one place, for
  every route, the unauthenticated login included.
- Integers beyond 64 bits in the path or the query (ids, limit, offset): PostgreSQL's
  bigint cannot hold them. A segment or a value that reads as such an integer is refused
  whatever the route; no route takes a 20-digit number as text (area codes have 15).

Every refusal is problem+json with a stable code (api/errors.py) and nothing is written.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import INTEGER_OUT_OF_RANGE, NUL_CHARACTER, problem

# Routes whose body carries images (base64 in JSON), by method and path template; any
# other route gets the small limit. tests/api/test_hostile_input.py checks that each
# template is still a route of the app.
UPLOAD_ROUTES = frozenset({
    ("POST", "/api/v1/incidents"),
    ("POST", "/api/v1/incidents/{incident_id}/photos"),
    ("POST", "/api/v1/market/entities/imports"),  # an entity roster, CSV or xlsx
    # 便民服务: application materials (PDF, images) and the catalogue's xlsx/CSV.
    ("POST", "/api/v1/convenience/applications"),
    ("POST", "/api/v1/convenience/applications/{application_id}/materials"),
    ("POST", "/api/v1/convenience/bundles"),
    ("POST", "/api/v1/convenience/items/import"),
    ("POST", "/api/v1/convenience/public/reports"),  # 随手拍: up to 3 photos
})
_UPLOAD_PATTERNS = [(method, re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template)))
                    for method, template in UPLOAD_ROUTES]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# What pydantic reads as an integer: sign, digits with underscores, an empty fraction.
_INTEGER = re.compile(r"\s*[+-]?[0-9][0-9_]*(\.0*)?\s*")
_LEADING_INTEGER = re.compile(r"\s*[+-]?[0-9_]*")
_JSON_NUL = b"\\u0000"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Refusal(Exception):
    status: int
    title: str
    detail: str
    code: str
    extra: tuple = ()


def nul_refusal(where: str) -> Refusal:
    return Refusal(422, "Invalid input", f"the {where} holds a NUL character (\\u0000), "
                   "which no text may hold", NUL_CHARACTER, (("where", where),))


# --- the path, the query and the headers --------------------------------------------------

def check_target(scope: Scope) -> None:
    """NUL characters and over-long integers in the path, the query or a header."""
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    if "\x00" in path:
        raise nul_refusal("path")
    if b"%00" in query or b"\x00" in query:
        raise nul_refusal("query")
    if any(b"\x00" in value for _, value in scope.get("headers", ())):
        raise nul_refusal("headers")
    for segment in path.split("/"):
        # the number a segment starts with: a tile's "{y}.mvt" too
        _check_integer(_LEADING_INTEGER.match(segment).group(), "path")
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        _check_integer(value, f"query parameter {name!r}")


def _check_integer(text: str, where: str) -> None:
    if len(text) < 19 or not _INTEGER.fullmatch(text):  # 18 digits always fit
        return
    digits = text.strip().split(".")[0].replace("_", "")
    # Leading zeros dropped before int(): thousands of digits would raise (Python's
    # 4300-digit limit) and answer 500; more than 19 significant ones is beyond 64 bits.
    sign, significant = ("-" if digits.startswith("-") else ""), digits.lstrip("+-").lstrip("0")
    if len(significant) > 19 or not INT64_MIN <= int(sign + (significant or "0")) <= INT64_MAX:
        raise Refusal(422, "Invalid input", f"the {where} holds an integer beyond 64 bits",
                      INTEGER_OUT_OF_RANGE, (("where", where),))


# --- the body ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int
    max_values: int
    max_depth: int


def check_declared_length(scope: Scope, limits: BodyLimits) -> None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit() and int(value) > limits.max_bytes:
            raise too_large(limits)


def too_large(limits: BodyLimits) -> Refusal:
    return Refusal(413, "Content too large",
                   f"the request body is over {limits.max_bytes:,} bytes", "body_too_large",
                   (("max_bytes", limits.max_bytes),))


async def read_body(receive: Receive, limits: BodyLimits) -> bytes:
    """The whole body, or a refusal as soon as it passes the limit."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > limits.max_bytes:
            raise too_large(limits)
        if not message.get("more_body", False):
            break
    return bytes(body)


def media_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def check_nul(body: bytes, kind: str) -> None:
    if b"\x00" in body:
        raise nul_refusal("body")
    if kind == "application/x-www-form-urlencoded" and b"%00" in body:
        raise nul_refusal("form")
    if kind != "multipart/form-data" and _has_escaped_nul(body):
        raise nul_refusal("body")


def _has_escaped_nul(body: bytes) -> bool:
    """`\\u0000` as a JSON escape: preceded by an even run of backslashes (an odd run
    makes the first backslash a literal one, and the text `\\u0000` harmless)."""
    at = body.find(_JSON_NUL)
    while at != -1:
        run = 0
        while at - run > 0 and body[at - run - 1] == 0x5C:
            run += 1
        if run % 2 == 0:
            return True
        at = body.find(_JSON_NUL, at + 1)
    return False


def is_json(kind: str) -> bool:
    # FastAPI reads a body without a content type as JSON too.
    return kind in ("", "application/json") or kind.endswith("+json")


def check_json_shape(body: bytes, limits: BodyLimits, *, small_limit: int) -> None:
    """At most max_values values, nested at most max_depth deep; counted on the bytes, in
    C (bytes.count, re), without parsing: a few milliseconds for a megabyte."""
    if _within(body, limits):
        return  # the quickest upper bounds already pass
    if len(body) > small_limit:
        # An upload is a few long strings: this many separators is no photo.
        raise too_many_values(limits)
    bare = _STRING.sub(b'""', body)  # separators inside strings are text
    if not _within_values(bare, limits):
        raise too_many_values(limits)
    if _deeper_than(bare.translate(None, _NOT_BRACKETS), limits.max_depth):
        raise Refusal(413, "Content too large", f"the JSON body nests deeper than "
                      f"{limits.max_depth} levels", "json_too_deep",
                      (("max_depth", limits.max_depth),))


# A JSON string, escapes included; the brackets; everything else.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _within(body: bytes, limits: BodyLimits) -> bool:
    containers = body.count(b"[") + body.count(b"{")
    return containers <= limits.max_depth and _within_values(body, limits)


def _within_values(body: bytes, limits: BodyLimits) -> bool:
    """Every value but the first follows a comma or opens its array or object: commas +
    brackets + 1 bounds the count (exactly, but for empty arrays and objects)."""
    return body.count(b",") + body.count(b"[") + body.count(b"{") + 1 <= limits.max_values


def _deeper_than(brackets: bytes, most: int) -> bool:
    """Whether the brackets nest deeper than `most`: each pass removes the innermost pairs.
    Unbalanced brackets are no JSON at all: left to validation to say so."""
    for _ in range(most):
        brackets, removed = _INNERMOST.subn(b"", brackets)
        if not brackets or not removed:
            return False
    return bool(brackets)


def too_many_values(limits: BodyLimits) -> Refusal:
    return Refusal(413, "Content too large", f"the JSON body holds more than "
                   f"{limits.max_values:,} values", "json_too_many_values",
                   (("max_values", limits.max_values),))


# --- the middleware ------------------------------------------------------------------------

class RequestGate:
    """Checks every HTTP request before routing; a refused one never reaches a route."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope)
            if scope["method"] in _BODY_METHODS:
                receive = await self._checked_body(scope, receive)
        except Refusal as refusal:
            await self._refuse(scope, receive, send, refusal)
            return
        await self.app(scope, receive, send)

    async def _checked_body(self, scope: Scope, receive: Receive) -> Receive:
        settings = self.fastapi_app.state.settings
        small = settings.body_max_bytes
        limits = BodyLimits(settings.upload_body_max_bytes if self._is_upload(scope) else small,
                            settings.json_max_values, settings.json_max_depth)
        check_declared_length(scope, limits)
        body = await read_body(receive, limits)
        kind = media_type(scope)
        check_nul(body, kind)
        if is_json(kind) and body:
            check_json_shape(body, limits, small_limit=small)
        return _replay(body, receive)

    def _is_upload(self, scope: Scope) -> bool:
        return any(scope["method"] == method and pattern.fullmatch(scope["path"])
                   for method, pattern in _UPLOAD_PATTERNS)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send,
                      refusal: Refusal) -> None:
        response = problem(refusal.status, refusal.title, refusal.detail, Request(scope),
                           code=refusal.code, **dict(refusal.extra))
        if refusal.status == 413:
            # The rest of the body is not read: the connection cannot carry another request.
            response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install(app: FastAPI) -> None:
    app.add_middleware(RequestGate, fastapi_app=app)
