"""Outbox delivery on the worker (named task, idempotent by database state)."""

from core.celery_app import celery_app
from core.db import session_scope
from core.settings import get_settings
from core.workflow.outbox import DELIVER_TASK, channels_named, deliver_pending


@celery_app.task(name=DELIVER_TASK, time_limit=120, soft_time_limit=100, ignore_result=True)
def deliver_outbox() -> int:
    """Deliver everything pending, a batch per transaction; returns how many were sent."""
    channels = channels_named(get_settings().notification_channel_list)
    total = 0
    while True:
        with session_scope() as session:
            delivered = deliver_pending(session, channels=channels)
        total += delivered
        if not delivered:
            return total
