"""An import's progress (core/imports.py): stages reported to callbacks (the CLI's
bars, core/progress.py) and/or to Redis under `import:{id}`, which a page polls at
GET /api/v1/imports/{id} (the router here)."""

import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import NotFound

KEY_TTL_SECONDS = 24 * 3600
STAGES = {"read": "读取", "validate": "校验", "write": "写入", "done": "完成",
          "failed": "失败"}


ProgressCallback = Callable[[str, int, int], None]  # core/progress.py StageProgress


class ImportProgress:
    """An import's progress in Redis (hash `import:{id}`: state, stage, done, total,
    error_count, owner, updated_at; kept a day), for a page to poll."""

    def __init__(self, client, import_id: str, *, owner: int | None = None) -> None:
        self.client, self.import_id, self.owner = client, import_id, owner
        self.key = key_of(import_id)

    @classmethod
    def start(cls, client, *, owner: int | None = None) -> "ImportProgress":
        progress = cls(client, new_import_id(), owner=owner)
        progress.set(state="queued", stage="read", done=0, total=0)
        return progress

    def set(self, **fields: Any) -> None:
        fields["updated_at"] = f"{time.time():.3f}"
        if self.owner is not None:
            fields["owner"] = self.owner
        mapping = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict))
                   else str(v) for k, v in fields.items()}
        pipe = self.client.pipeline()
        pipe.hset(self.key, mapping=mapping)
        pipe.expire(self.key, KEY_TTL_SECONDS)
        pipe.execute()

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.set(state="running", stage=stage, done=done, total=total)


def new_import_id() -> str:
    return secrets.token_urlsafe(12)


def key_of(import_id: str) -> str:
    return f"import:{import_id}"


def progress_of(client, import_id: str, *, owner: int | None = None) -> dict[str, Any]:
    """An import's progress as a page shows it; 404 import_not_found when unknown, expired
    or someone else's (when `owner` is given)."""
    raw = client.hgetall(key_of(import_id))
    values = {(k.decode() if isinstance(k, bytes) else k):
              (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}
    if not values or (owner is not None and values.get("owner") not in (None, str(owner))):
        raise NotFound(f"no import {import_id}", code="import_not_found")
    done, total = int(values.get("done", 0)), int(values.get("total", 0))
    stage = values.get("stage", "read")
    answer: dict[str, Any] = {
        "id": import_id, "state": values.get("state", "queued"), "stage": stage,
        "stage_label": STAGES.get(stage, stage), "done": done, "total": total,
        "percent": round(100 * done / total, 1) if total else None,
        "error_count": int(values.get("error_count", 0)),
        "written": int(values["written"]) if "written" in values else None}
    if "errors" in values:
        answer["errors"] = json.loads(values["errors"])
    return answer


def _reporter(progress: ProgressCallback | Sequence[ProgressCallback] | None
              ) -> list[ProgressCallback]:
    if progress is None:
        return []
    return [progress] if callable(progress) else list(progress)


@dataclass
class _Reporter:
    callbacks: list[ProgressCallback] = field(default_factory=list)

    def __call__(self, stage: str, done: int, total: int) -> None:
        for callback in self.callbacks:
            callback(stage, done, total)


# --- the page's poll ------------------------------------------------------------------------

def _build_router():
    """GET /api/v1/imports/{import_id}: the progress of one's own import (an admin's: any)."""
    from typing import Annotated

    from fastapi import APIRouter, Depends, Path, Request

    from core.deps import Requires
    from core.security import Principal
    from core.users.enums import Permission, Role

    router = APIRouter(prefix="/api/v1", tags=["imports"])

    @router.get("/imports/{import_id}")
    def import_progress(request: Request,
                        user: Annotated[Principal, Depends(Requires(Permission.own_account))],
                        import_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
                        ) -> dict:
        """An import's stage, done and total rows, and when it failed its first problems."""
        owner = None if user.role is Role.admin else user.user_id
        return progress_of(request.app.state.redis, import_id, owner=owner)

    return router


router = _build_router()
