"""/api/v1/auth: OAuth2 password login, refresh with rotation, logout, and who am I.

Two ways to hold the refresh token:
- Pages (session.js) ask for it as a cookie (request header `X-Refresh-Cookie: 1`): it is
  set HttpOnly (out of reach of any script on the page), SameSite=Strict, Secure over
  TLS, for the auth path only, and the JSON answer holds only the short-lived access
  token. A refresh with that header and the cookie rotates the cookie.
- Other clients (scripts, apps) get and send it in JSON, as before.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import text

from core.deps import Requires, SessionDep
from core.errors import Unauthorized
from core.ratelimit import Limits, RateLimiter
from core.security import Principal
from core.throttle import LoginThrottle, client_address, from_trusted_proxy
from core.users import tokens
from core.users.cache import AccountCache, AccountSync
from core.users.enums import ROLE_PERMISSIONS, Permission
from core.users.models import User
from core.users.schemas import MeOut, RefreshIn, TokenOut, UserOut

PREFIX = "/api/v1/auth"
router = APIRouter(prefix=PREFIX, tags=["auth"])
Account = Annotated[Principal, Depends(Requires(Permission.own_account))]
REFRESH_COOKIE = "gridgov_refresh"
COOKIE_MODE_HEADER = "x-refresh-cookie"


def install_accounts(app: FastAPI) -> None:
    """The account cache every request reads (and its Redis listener, started with the
    app), the login throttle and the per-user rate limits."""
    settings = app.state.settings
    app.state.accounts = AccountCache(app.state.read_pool,
                                      ttl=settings.account_cache_seconds,
                                      unsynced_ttl=settings.account_cache_unsynced_seconds)
    app.state.account_sync = AccountSync(app.state.accounts, settings.redis_url)
    app.state.throttle = LoginThrottle.of(app.state.redis, settings)
    app.state.rate_limiter = RateLimiter(app.state.redis, Limits.of(settings))


@router.post("/token", response_model=TokenOut, response_model_exclude_none=True)
def token(session: SessionDep, request: Request, response: Response,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    """Log in with user name and password (form fields, the OAuth2 password flow). With
    `X-Refresh-Cookie: 1` the refresh token comes as an HttpOnly cookie, not in the body."""
    pair = tokens.login(session, throttle=request.app.state.throttle,
                        settings=request.app.state.settings, username=form.username,
                        password=form.password, address=client_ip(request))
    return _answer(request, response, pair)


@router.post("/refresh", response_model=TokenOut, response_model_exclude_none=True)
def refresh(session: SessionDep, request: Request, response: Response,
            body: Annotated[RefreshIn | None, Body()] = None):
    """A new token pair for a refresh token, which is spent (rotation): the token in the
    body, or (with `X-Refresh-Cookie: 1`) the cookie. With that header the new refresh
    token is set as the cookie (a token from the body moves into it)."""
    presented = body.refresh_token if body else _cookie_token(request)
    if not presented:
        raise Unauthorized(tokens.BAD_REFRESH)
    pair = tokens.refresh(session, settings=request.app.state.settings,
                          refresh_token=presented)
    return _answer(request, response, pair)


@router.post("/logout", status_code=204)
def logout(session: SessionDep, principal: Account, request: Request, response: Response,
           body: Annotated[RefreshIn | None, Body()] = None) -> None:
    """End every login of this account: all its access and refresh tokens are refused
    from now on, on every device. A refresh token in the body must be the caller's."""
    tokens.logout(session, principal=principal,
                  refresh_token=body.refresh_token if body else None)
    response.delete_cookie(REFRESH_COOKIE, path=PREFIX, secure=is_tls(request),
                           httponly=True, samesite="strict")


@router.get("/me", response_model=MeOut)
def me(session: SessionDep, principal: Account):
    """Who the token belongs to: the account, its scope area and its permissions."""
    user = session.get(User, principal.user_id)
    if user is None or not user.is_active:
        # A token outliving its account (removed or disabled since) is worth nothing.
        raise Unauthorized("the token is invalid or has expired")
    area = session.execute(text("SELECT code, name, level FROM area WHERE code = :code"),
                           {"code": user.scope_code}).one()
    today = datetime.now(UTC).date()
    return {"user": UserOut.for_viewer(user, principal), "scope": dict(area._mapping),
            "permissions": sorted(ROLE_PERMISSIONS[principal.role]),
            "memberships": [{"unit_id": m.unit_id, "position": m.position,
                             "platform": m.platform, "department": m.department,
                             "credential_valid": m.credential_valid_on(today)}
                            for m in principal.memberships]}


# --- the refresh cookie ------------------------------------------------------------------

def _cookie_mode(request: Request) -> bool:
    # A custom header: a cross-site form or image cannot send it (CSRF), whatever the cookie.
    return request.headers.get(COOKIE_MODE_HEADER) == "1"


def _cookie_token(request: Request) -> str | None:
    return request.cookies.get(REFRESH_COOKIE) if _cookie_mode(request) else None


def _answer(request: Request, response: Response, pair: tokens.TokenPair) -> dict:
    body = {"access_token": pair.access_token, "token_type": pair.token_type,
            "expires_in": pair.expires_in, "refresh_token": pair.refresh_token}
    if _cookie_mode(request):
        days = request.app.state.settings.refresh_token_days
        response.set_cookie(REFRESH_COOKIE, pair.refresh_token, max_age=days * 86400,
                            path=PREFIX, secure=is_tls(request), httponly=True,
                            samesite="strict")
        body["refresh_token"] = None  # never where a script can read it
    response.headers["Cache-Control"] = "no-store"
    return body


# --- where the request comes from ---------------------------------------------------------

def client_ip(request: Request) -> str:
    """The client's address; X-Forwarded-For believed only from settings.trusted_proxies."""
    peer = request.client.host if request.client else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
    return client_address(peer, forwarded, request.app.state.settings.trusted_networks)


def is_tls(request: Request) -> bool:
    """Whether the browser reached us over TLS (directly, or through a trusted proxy that
    says so in X-Forwarded-Proto)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else None
    if not from_trusted_proxy(peer, request.app.state.settings.trusted_networks):
        return False
    proto = request.headers.get("x-forwarded-proto", "")
    return proto.split(",")[0].strip().lower() == "https"
