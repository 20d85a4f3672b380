"""/api/v1/users: an admin manages the accounts inside their scope."""

from typing import Annotated

import redis
from fastapi import APIRouter, Depends, Query, Request

from api.errors import problem
from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.users import service
from core.users.enums import Permission
from core.users.schemas import UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Admin = Annotated[Principal, Depends(Requires(Permission.users_manage))]


@router.get("", response_model=list[UserOut])
def list_users(session: SessionDep, admin: Admin,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0,
               q: Annotated[str | None, Query(max_length=100,
                                              description="in user name or name")] = None):
    users = service.list_users(session, scope=Scope.of(admin), limit=limit, offset=offset,
                               search=q)
    return [UserOut.for_viewer(user, admin) for user in users]


@router.post("", response_model=UserOut, status_code=201)
def create_user(session: SessionDep, admin: Admin, body: UserCreate):
    user = service.create_user(session, actor=admin.username, scope=Scope.of(admin),
                               **body.model_dump())
    return UserOut.for_viewer(user, admin)


@router.get("/{user_id}", response_model=UserOut)
def get_user(session: SessionDep, admin: Admin, user_id: int):
    return UserOut.for_viewer(service.get_user(session, user_id=user_id, scope=Scope.of(admin)),
                              admin)


@router.patch("/{user_id}", response_model=UserOut)
def update_user(session: SessionDep, admin: Admin, user_id: int, body: UserUpdate):
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    user = service.update_user(session, actor=admin.username, scope=Scope.of(admin),
                               user_id=user_id, version=body.version, changes=changes)
    return UserOut.for_viewer(user, admin)


@router.post("/{user_id}/unlock")
def unlock(session: SessionDep, admin: Admin, request: Request, user_id: int):
    """Lift the login throttle of an account now: the waits its failed logins caused, from
    every address (else they end by themselves after settings.login_lockout_minutes)."""
    try:
        removed = service.unlock_login(session, throttle=request.app.state.throttle,
                                       actor=admin.username, scope=Scope.of(admin),
                                       user_id=user_id)
    except redis.RedisError:
        # Nothing to unlock while Redis is down: logins are not throttled then (fail open).
        response = problem(503, "Service unavailable", "the login throttle cannot be reached "
                           "now; logins are not throttled meanwhile", request,
                           code="throttle_unavailable")
        response.headers["Retry-After"] = "5"
        return response
    return {"user_id": user_id, "unlocked": True, "entries_removed": removed}
