"""Security headers on every response: a Content-Security-Policy the pages satisfy,
nosniff, a referrer policy, frame protection, and HSTS when the request came over TLS.

The pages load every script and style sheet from /static, and their data is rendered as
text by those scripts; what stays inline is the server's own: the one `start(options)`
call of each page, and the map and its style blocks that folium writes with ids made
anew on every render. So the policy allows no inline script or style in general (an
`<img onerror>` slipped into the DOM does not run), and each HTML response allows exactly
its own inline blocks by their SHA-256, computed here from the HTML as it leaves. One
exception: ReDoc (/redoc, api/docs.py RELAXED) writes its styles at run time and runs its
search in a worker made from a blob, so those are allowed there; its scripts are held to
the same rule.

HSTS goes out only when the request's scheme is https: uvicorn sets it from
X-Forwarded-Proto only for a proxy it trusts (`--forwarded-allow-ips`, by default
127.0.0.1), so a client cannot switch HSTS on for a plain-HTTP host by a header.
"""

import base64
import hashlib
import re
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import docs

_INLINE = re.compile(rb"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_HAS_SRC = re.compile(rb"\bsrc\s*=", re.I)
# An HTML page above this size is not buffered to hash its blocks (none comes close).
_HTML_MAX_BYTES = 2 * 1024 * 1024


def content_security_policy(*, tile_url: str | None = None, script_hashes=(),
                            style_hashes=(), relaxed=None) -> str:
    """The policy; `relaxed`: sources added to some directives for one page (api/docs.py
    RELAXED), where 'unsafe-inline' replaces the hashes (beside it they would switch it
    off)."""
    images = ["'self'", "data:", "blob:", *_origin_of(tile_url)]
    scripts, styles = ["'self'", *script_hashes], ["'self'", *style_hashes]
    directives = {
        "default-src": ["'self'"], "script-src": scripts, "style-src": styles,
        "img-src": images, "connect-src": ["'self'"], "font-src": ["'self'"],
        "worker-src": ["'self'"], "manifest-src": ["'self'"], "object-src": ["'none'"],
        "base-uri": ["'self'"], "form-action": ["'self'"], "frame-ancestors": ["'none'"],
    }
    for name, sources in (relaxed or {}).items():
        kept = [value for value in directives[name] if not value.startswith("'sha256-")]
        directives[name] = [*(kept if "'unsafe-inline'" in sources else directives[name]),
                            *sources]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin_of(tile_url: str | None) -> list[str]:
    """The basemap's origin as a CSP source ({s} subdomains as a wildcard), if any."""
    if not tile_url:
        return []
    parts = urlsplit(re.sub(r"\{[^}]*\}", "*", tile_url))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def security_headers(scope: Scope, *, hsts_max_age: int = 31_536_000,
                     csp: str | None = None) -> dict[str, str]:
    """The headers every response carries (the CSP without any page's hashes unless given)."""
    headers = {
        "Content-Security-Policy": csp or content_security_policy(
            tile_url=_settings_of(scope, "tile_url"), relaxed=docs.RELAXED.get(scope.get("path"))),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "geolocation=(self), camera=(self), microphone=()",
    }
    if scope.get("scheme") == "https":
        max_age = _settings_of(scope, "hsts_max_age_seconds") or hsts_max_age
        headers["Strict-Transport-Security"] = f"max-age={max_age}; includeSubDomains"
    return headers


def _settings_of(scope: Scope, name: str):
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return getattr(settings, name, None)


def inline_hashes(html: bytes) -> tuple[list[str], list[str]]:
    """CSP sources for the inline <script> and <style> blocks of a page: (scripts, styles)."""
    scripts, styles = [], []
    for match in _INLINE.finditer(html):
        tag, attributes, content = match.groups()
        if tag.lower() == b"script" and _HAS_SRC.search(attributes):
            continue
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        (scripts if tag.lower() == b"script" else styles).append(f"'sha256-{digest}'")
    return sorted(set(scripts)), sorted(set(styles))


class SecurityHeaders:
    """Adds security_headers() to every HTTP response; an HTML one is held until its body
    is complete, to allow its own inline blocks by hash."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    held.append(message)
                    return
                _add(headers, security_headers(scope))
            elif held:
                held.append(message)
                if message.get("more_body", False) and _held_bytes(held) <= _HTML_MAX_BYTES:
                    return
                await _send_page(scope, held, send)
                held.clear()
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_page(scope: Scope, held: list[Message], send: Send) -> None:
    start, bodies = held[0], held[1:]
    scripts, styles = inline_hashes(b"".join(m.get("body", b"") for m in bodies))
    csp = content_security_policy(tile_url=_settings_of(scope, "tile_url"),
                                  script_hashes=scripts, style_hashes=styles,
                                  relaxed=docs.RELAXED.get(scope.get("path")))
    _add(MutableHeaders(scope=start), security_headers(scope, csp=csp))
    for message in held:
        await send(message)


def _held_bytes(held: list[Message]) -> int:
    return sum(len(m.get("body", b"")) for m in held[1:])


def _add(headers: MutableHeaders, values: dict[str, str]) -> None:
    for name, value in values.items():
        if name not in headers:  # a route's own choice (none today) wins
            headers[name] = value


def install(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
