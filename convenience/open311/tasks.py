"""Open311's tasks: filing an accepted request, and (beat) the status of open requests
from what they became, and the filings that got lost, sent again."""

import logging

from convenience.open311.part import REQUEUE_TASK
from core.celery_app import celery_app
from core.db import session_scope
from core.errors import DomainError
from core.settings import get_settings

log = logging.getLogger(__name__)


@celery_app.task(name="open311.sync")
def sync_open_requests() -> int:
    """Updates for the open requests of the last 180 days (twice the GET window)."""
    from convenience.open311.reading import WINDOW, now_utc
    from convenience.open311.status import sync

    now = now_utc()
    with session_scope() as session:
        return sync(session, open_within=(now - 2 * WINDOW, now))


@celery_app.task(name="open311.file", autoretry_for=(Exception,),
                 dont_autoretry_for=(DomainError,), retry_backoff=True,
                 retry_backoff_max=300, max_retries=50, time_limit=120, soft_time_limit=100)
def file_request(request_id: int) -> bool:
    """File an accepted request (convenience/open311/filing.py): exactly once, by the row
    lock and its `filing` state; the database or the broker failing retries with backoff,
    and a task lost for good is sent again by `requeue_stuck_filings`. A domain refusal
    cannot follow the POST's checks: if one does, it is logged and the request is marked
    refused, for a person (it stays "已受理，正在分派", and is not sent again)."""
    from convenience.open311.filing import file_pending, refuse

    try:
        with session_scope() as session:
            return file_pending(session, request_id, settings=get_settings())
    except DomainError as exc:
        log.exception("open311: request %s could not be filed", request_id)
        with session_scope() as session:
            refuse(session, request_id, reason=f"{exc.code}: {exc.detail}")
        return False


@celery_app.task(name=REQUEUE_TASK, time_limit=120, soft_time_limit=100)
def requeue_stuck_filings() -> int:
    """(beat) Filings queued too long, sent again (convenience/open311/filing.py
    `requeue_stuck`); how many."""
    from convenience.open311.filing import requeue_stuck

    with session_scope() as session:
        return len(requeue_stuck(session))
