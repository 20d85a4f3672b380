"""The Celery app: Redis as broker and result backend, tasks named explicitly."""

from celery import Celery

from core.settings import get_settings


def create_celery() -> Celery:
    settings = get_settings()
    app = Celery("gridgov", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        include=["geo.tasks", "core.workflow.tasks", "grid.incidents.tasks"],
        task_track_started=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_time_limit=3600,
        task_soft_time_limit=3300,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        timezone="Asia/Shanghai",
        # Database-driven periodic work: each run reads what is due from the tables.
        beat_schedule={
            "deliver-outbox": {"task": "outbox.deliver",
                               "schedule": settings.outbox_interval_seconds},
            "sweep-deadlines": {"task": "incidents.sweep",
                                "schedule": settings.sweep_interval_seconds},
        },
    )
    return app


celery_app = create_celery()
