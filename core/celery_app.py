"""The Celery app: Redis as broker and result backend, tasks named explicitly.

The kernel's own work (outbox, the one sweep of every clock, the audit sealer) is
scheduled here; each installed platform adds its task modules and beat entries
(core/platforms.py).
"""

from celery import Celery
from celery.signals import worker_init

from core import platforms
from core.settings import get_settings


def create_celery() -> Celery:
    settings = get_settings()
    app = Celery("gridgov", broker=settings.redis_url, backend=settings.redis_url)
    installed = platforms.load()
    app.conf.update(
        include=["geo.tasks", "core.workflow.tasks", "core.audit_tasks", "core.attachments.tasks",
                 *(module for platform in installed for module in platform.task_modules)],
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
            "sweep-clocks": {"task": "clocks.sweep",
                             "schedule": settings.sweep_interval_seconds},
            # The audit sealer (core/audit_tasks.py): stale runs expire rather than pile up.
            "seal-audit": {"task": "audit.seal", "schedule": 2.0, "options": {"expires": 10}},
            **{name: entry for platform in installed
               for name, entry in platform.beat(settings).items()},
        },
    )
    return app


celery_app = create_celery()


@worker_init.connect
def _refuse_an_unsafe_secret(**_kwargs) -> None:
    # A worker signs nothing, but one deployment shares one .env: a default or short
    # SECRET_KEY there means the API's tokens can be forged (core/security.py).
    from core.security import UnsafeSecretKey, require_safe_secret

    try:
        require_safe_secret(get_settings(), who="the worker")
    except UnsafeSecretKey as exc:
        # Celery logs and swallows a signal handler's exception: SystemExit stops the start.
        raise SystemExit(f"error: {exc}") from None


@worker_init.connect
def _mask_personal_data_in_logs(**_kwargs) -> None:
    # The worker's logs are kept like the API's: no secret, no personal data (core/redact.py).
    from core.redact import install_log_redaction

    install_log_redaction()
