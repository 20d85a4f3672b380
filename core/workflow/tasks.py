"""The kernel's work on the worker: outbox delivery and the one sweep of every clock
(named tasks, idempotent by database state)."""

import logging
from datetime import UTC, datetime

from core.celery_app import celery_app
from core.db import session_scope
from core.settings import get_settings
from core.workflow.outbox import DELIVER_TASK, channels_named, deliver_pending, task_started
from core.workflow.sweep import sweep

log = logging.getLogger(__name__)
SWEEP_TASK = "clocks.sweep"


@celery_app.task(name=SWEEP_TASK, time_limit=300, soft_time_limit=240)
def sweep_clocks() -> dict:
    """Yellow, red and escalation for every clock of every platform; expired hand-offs
    (the beat runs it every SWEEP_INTERVAL_SECONDS)."""
    with session_scope() as session:
        result = sweep(session, now=datetime.now(UTC), settings=get_settings())
    changed = result.as_dict()
    if result.yellow or result.red or result.escalated or result.handoffs_expired:
        # a quiet minute is not news
        log.info("clock sweep: %s", changed)
    return changed


@celery_app.task(name=DELIVER_TASK, time_limit=120, soft_time_limit=100, ignore_result=True)
def deliver_outbox() -> int:
    """Deliver everything pending, a batch per transaction; returns how many were sent."""
    task_started()  # a kick from now on queues another run (core/workflow/outbox.py)
    channels = channels_named(get_settings().notification_channel_list)
    total = 0
    while True:
        with session_scope() as session:
            delivered = deliver_pending(session, channels=channels)
        total += delivered
        if not delivered:
            return total
