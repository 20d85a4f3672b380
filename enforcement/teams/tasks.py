"""The teams part's work on the worker: refreshing the teams' positions from their
on-duty members' newest fixes (idempotent: a refresh writes what the rows say now)."""

from datetime import UTC, datetime

from core.celery_app import celery_app
from core.db import session_scope
from enforcement.teams.positions import REFRESH_TASK, refresh


@celery_app.task(name=REFRESH_TASK, time_limit=60, soft_time_limit=50, ignore_result=True)
def refresh_positions() -> int:
    with session_scope() as session:
        return refresh(session, now=datetime.now(UTC))
