"""The audit log's sealer on the Celery worker (core/audit.py): beat runs it every 2 s
(core/celery_app.py); idempotent by database state (what is sealed stays sealed, two
runs at once queue on the chain head and the second finds less to do)."""

from core.audit import seal_all
from core.celery_app import celery_app

SEAL_TASK = "audit.seal"


@celery_app.task(name=SEAL_TASK, time_limit=120, soft_time_limit=100, ignore_result=True)
def seal_audit_log() -> int:
    """Seal every committed event (a batch per transaction); returns how many."""
    return seal_all()
