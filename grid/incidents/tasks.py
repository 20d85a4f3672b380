"""Incident work on the Celery worker. The thumbnails of photos are the attachments'
(core/attachments/tasks.py, `attachments.thumbnails`); the deadline sweep is the
kernel's (core/workflow/tasks.py).

What is left here: the photos' former task name, for a message the broker still holds
from before migration 0014 (which kept the photos' ids and renamed the outbox's pending
ones). Remove it a release after 0014.
"""

from core.attachments.tasks import make_thumbnails
from core.celery_app import celery_app

FORMER_THUMBNAIL_TASK = "incidents.thumbnails"


@celery_app.task(name=FORMER_THUMBNAIL_TASK, time_limit=120, soft_time_limit=100)
def make_thumbnails_by_former_name(photo_ids: list[int]) -> int:
    return make_thumbnails(photo_ids)
