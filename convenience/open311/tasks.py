"""Open311's beat task: the status of open requests from what they became."""

from core.celery_app import celery_app
from core.db import session_scope


@celery_app.task(name="open311.sync")
def sync_open_requests() -> int:
    """Updates for the open requests of the last 180 days (twice the GET window)."""
    from convenience.open311.reading import WINDOW, now_utc
    from convenience.open311.status import sync

    now = now_utc()
    with session_scope() as session:
        return sync(session, open_within=(now - 2 * WINDOW, now))
