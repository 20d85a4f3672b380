"""The caller's in-app inbox (notifications delivered by the outbox worker)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from core.deps import Requires, SessionDep
from core.security import Principal
from core.users.enums import Permission
from core.workflow import inbox

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])
Me = Annotated[Principal, Depends(Requires(Permission.own_account))]


class NotificationOut(BaseModel):
    id: int
    topic: str
    title: str
    body: str
    subject_type: str | None
    subject_id: str | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(BaseModel):
    unread: int
    items: list[NotificationOut]


@router.get("", response_model=InboxOut)
def list_inbox(principal: Me, session: SessionDep, unread: bool = False,
               limit: Annotated[int, Query(ge=1, le=200)] = 50):
    count, items = inbox.list_inbox(session, user_id=principal.user_id, unread_only=unread,
                                    limit=limit)
    return {"unread": count, "items": [NotificationOut.model_validate(n, from_attributes=True)
                                       for n in items]}


@router.post("/{notification_id}/read", status_code=204)
def mark_read(notification_id: int, principal: Me, session: SessionDep) -> Response:
    inbox.mark_read(session, user_id=principal.user_id, notification_id=notification_id)
    return Response(status_code=204)
