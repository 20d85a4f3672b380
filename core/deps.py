"""Request-scoped dependencies shared by every router (FastAPI's `Annotated` style)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from core.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; services flush, this edge commits once (or rolls back)."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session

SessionDep = Annotated[Session, Depends(get_session)]
