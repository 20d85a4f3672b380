"""Small helpers the part's services share: the system's principal (for moves the sweep
makes), subject numbers, the unit a subject lies in, moves made through the kernel."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services.models import NUMBER_SEQUENCE
from core.errors import NotFound
from core.security import Principal
from core.settings import Settings, get_settings
from core.users.enums import Role
from core.workflow import runner
from core.workflow.case_types import CaseType
from core.workflow.kernel import Decision

# The sweep's moves (容缺 withdrawal, a form's escalation) are the system's, as an admin.
SYSTEM = Principal(0, "system", Role.admin, "")


def new_number(session: Session, prefix: str, *, now: datetime, settings: Settings) -> str:
    """BJ + the local day + 8 digits: what a resident reads out at a window."""
    serial = session.scalar(text(f"SELECT nextval('{NUMBER_SEQUENCE}')"))
    day = now.astimezone(_tz(settings)).strftime("%Y%m%d")
    return f"{prefix}{day}{serial:08d}"


def _tz(settings: Settings):
    from core.workflow.calendar_setup import zone

    return zone(settings.timezone)


def unit_row(session: Session, unit_id: int):
    row = session.execute(text(
        "SELECT id, code, name, kind, seat_code, department_code, parent_id FROM unit "
        "WHERE id = :id AND is_active"), {"id": unit_id}).one_or_none()
    if row is None:
        raise NotFound(f"no active unit {unit_id}", code="unit_not_found")
    return row


def unit_by_code(session: Session, code: str):
    return session.execute(text(
        "SELECT id, code, name, kind, seat_code, department_code, parent_id FROM unit "
        "WHERE code = :code AND is_active"), {"code": code}).one_or_none()


def move(session: Session, case_type: CaseType, subject: Any, name: str, *,
         principal: Principal, data: Mapping[str, Any] | None = None,
         expected_version: int | None = None, settings: Settings | None = None,
         facts: Mapping[str, Any] | None = None, now: datetime | None = None) -> Decision:
    """runner.run with the platform's defaults: a system move names the version it holds
    (its row is locked already by the sweep or by the caller)."""
    return runner.run(session, case_type, subject, name, principal=principal,
                      data=dict(data or {}),
                      expected_version=subject.version if expected_version is None
                      else expected_version,
                      settings=settings or get_settings(), facts=facts, now=now)


def context(session: Session, *, now: datetime, actor: str,
            settings: Settings | None = None) -> runner.Context:
    return runner.Context(session, settings or get_settings(), now, actor)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: what a public page may show of a name."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def same_phone(stored: str, given: str) -> bool:
    digits = "".join(ch for ch in given if ch.isdigit())
    return bool(digits) and digits == "".join(ch for ch in stored if ch.isdigit())
