"""Celery tasks of the area core. Tasks take paths and codes, never ORM objects."""

from celery import Task

from core.celery_app import celery_app
from core.db import session_scope
from core.errors import DomainError
from core.settings import get_settings
from geo.importer import import_areas


@celery_app.task(name="geo.import_areas", bind=True, time_limit=3600, soft_time_limit=3500)
def import_areas_task(
    self: Task, path: str, level: str, crs: str | None = None, parent_code: str | None = None,
) -> dict:
    """Import a boundary file, reporting progress as the PROGRESS state ({done, total}).

    Idempotent by database state: a retried task finds its codes taken and is rejected
    as a whole, so a file is never half imported twice.
    """
    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    try:
        with session_scope() as session:
            report = import_areas(
                session, path=path, level=level, crs=crs, parent_code=parent_code,
                tolerance_m2=get_settings().area_tolerance_m2, progress=progress,
                actor=f"task:{self.request.id}")
    except DomainError as exc:
        # A rejected file is an answer, not a crash: report it as data the caller can show.
        return {"status": "rejected", "detail": exc.detail, **exc.extra}
    return {"status": "imported", "imported": report.imported, "level": report.level,
            "crs": report.crs}
