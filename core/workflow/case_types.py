"""Case types: what a platform declares for each kind of case it runs (after Open Zaak's
zaaktypen and Signals' service levels, in the terms of Chinese procedure).

A case type names its subject table (a mapped class with `id`, `state`, `version`,
`owner_unit_id`, `owner_code`, `owner_platform`), its workflow, where each subject lies (an
area code: its grid), the rule of each of its clocks (limit, unit, citation, suspension,
extension, escalation), and what the sweep does when a clock turns a colour or runs out.
Rules are data: `clock_rule` hands back a `ClockRule` read from the platform's own tables
(an incident's 小类 and urgency; an enforcement matter's provincial settings).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.errors import NotFound
from core.workflow.clocks import ClockRule
from core.workflow.kernel import Workflow


@dataclass(frozen=True)
class ClockChange:
    """A clock the sweep turned yellow or red (one row of its RETURNING)."""

    clock_id: int
    subject_id: int
    name: str
    colour: str
    due_at: datetime


@dataclass(frozen=True)
class Escalation:
    """What a case type's escalation did to one subject (for timeline, audit, notices).
    `handoff_id` None: escalated as far as it goes (no level above), nothing to record."""

    clock_id: int
    subject_id: int
    handoff_id: int | None
    from_code: str
    to_code: str
    to_unit_id: int | None


@dataclass(frozen=True)
class CaseType:
    code: str  # e.g. "incident", "enforcement.ordinary"
    subject_type: str  # the subject's name in the kernel's tables, e.g. "incident"
    platform: str
    label: str
    model: type
    workflow: Workflow
    area_code: Callable[[Any], str]  # where a subject lies: the code its scope checks
    clock_rule: Callable[[Session, Any, str], ClockRule]  # (session, subject, step) → rule
    # The sweep's hook, set-based SQL on the platform's side (core/workflow/sweep.py):
    # given the clocks that turned a colour and the red ones not yet escalated (their
    # subjects locked by the sweep), mirror the colours onto the subjects and escalate the
    # overdue ones; the kernel records what it returns. None: colours stay on the clocks.
    on_sweep: Callable[[Session, Sequence[ClockChange], Sequence[ClockChange], datetime,
                        datetime], list[Escalation]] | None = None
    warn_share: float | None = None  # None: settings.deadline_warn_share
    # Keeps the subject's own copy of its step clock (an incident's `step_due_at` and
    # colour, which its lists, tiles and KPIs read): (row, clock or None, op, now).
    mirror_step: Callable[[Any, Any, Any, datetime], None] | None = None
    # The hand-off kinds (core/workflow/handoffs.py KINDS) that need a reason: the platform's
    # hand-off route refuses one without (422 reason_required) and the pages mark the field
    # required (GET /api/v1/workflows `handoffs`).
    handoff_reasons: frozenset[str] = frozenset()


_REGISTRY: dict[str, CaseType] = {}


def register(case_type: CaseType) -> CaseType:
    """Declare a case type (idempotent for the same declaration)."""
    _REGISTRY[case_type.code] = case_type
    return case_type


def unregister(code: str) -> None:
    _REGISTRY.pop(code, None)


def _loaded() -> dict[str, CaseType]:
    """The registry, once the configured platforms have declared their case types (a CLI
    command or a task may be the first to ask)."""
    from core import platforms

    platforms.load()
    return _REGISTRY


def get(code: str) -> CaseType:
    _loaded()
    try:
        return _REGISTRY[code]
    except KeyError:
        raise NotFound(f"no case type {code!r}", code="unknown_case_type") from None


def of_subject(subject_type: str) -> CaseType:
    for case_type in _loaded().values():
        if case_type.subject_type == subject_type:
            return case_type
    raise NotFound(f"no case type for subjects of type {subject_type!r}",
                   code="unknown_case_type")


def registered() -> list[CaseType]:
    return list(_loaded().values())
