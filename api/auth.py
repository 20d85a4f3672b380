"""/api/v1/auth: OAuth2 password login, refresh with rotation, logout, and who am I."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import text

from core.deps import Requires, SessionDep
from core.errors import Unauthorized
from core.security import Principal
from core.users import service
from core.users.enums import ROLE_PERMISSIONS, Permission
from core.users.models import User
from core.users.schemas import MeOut, RefreshIn, TokenOut, UserOut

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
Account = Annotated[Principal, Depends(Requires(Permission.own_account))]


@router.post("/token", response_model=TokenOut)
def token(session: SessionDep, request: Request,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    """Log in with user name and password (form fields, the OAuth2 password flow)."""
    return service.login(session, throttle=request.app.state.throttle,
                         settings=request.app.state.settings, username=form.username,
                         password=form.password, address=_address(request))


@router.post("/refresh", response_model=TokenOut)
def refresh(session: SessionDep, request: Request, body: RefreshIn):
    """A new token pair for a refresh token, which is spent (rotation)."""
    return service.refresh(session, settings=request.app.state.settings,
                           refresh_token=body.refresh_token)


@router.post("/logout", status_code=204)
def logout(session: SessionDep, principal: Account, body: RefreshIn) -> None:
    """Revoke the refresh token of this login."""
    service.logout(session, principal=principal, refresh_token=body.refresh_token)


@router.get("/me", response_model=MeOut)
def me(session: SessionDep, principal: Account):
    """Who the token belongs to: the account, its scope area and its permissions."""
    user = session.get(User, principal.user_id)
    if user is None or not user.is_active:
        # A token outliving its account (removed or disabled since) is worth nothing.
        raise Unauthorized("the token is invalid or has expired")
    area = session.execute(text("SELECT code, name, level FROM area WHERE code = :code"),
                           {"code": user.scope_code}).one()
    return {"user": UserOut.for_viewer(user, principal), "scope": dict(area._mapping),
            "permissions": sorted(ROLE_PERMISSIONS[principal.role])}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
