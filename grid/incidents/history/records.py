"""What a simulated history is made of: incidents, their clocks and hand-offs as they live,
in Python, until they are written."""

from dataclasses import dataclass, field
from datetime import datetime

from core.workflow.kernel import Actor
from grid.categories.models import Category
from grid.incidents.enums import DeadlineColour, HandoffStatus, Platform, State

from .world import Grid

# The incident's columns the workflow's guards and effects read (its facts), as the runner
# hands them over (core/workflow/runner.py facts_of).
FACTS = ("state", "version", "owner_unit_id", "owner_code", "owner_platform",
         "handler_unit_id", "handler_user_id", "step", "step_due_at", "suspended_from",
         "return_count", "rework_count", "escalation_count", "rating", "filed_at",
         "dispatched_at", "handled_at", "verified_at", "closed_at")


@dataclass(eq=False, slots=True)
class Clock:
    """One case_clock row (core/workflow/models.py CaseClock) in the making; timed by
    core/workflow/clocks.py, which `start_detached(..., make=Clock)` builds it for."""

    name: str
    limit: str
    citation: str
    started_at: datetime
    colour: str
    escalated: bool
    paused_seconds: float
    late: bool
    extended_by: str | None = None
    warn_at: datetime | None = None
    due_at: datetime | None = None
    raw_due_at: datetime | None = None
    paused_at: datetime | None = None
    remaining_seconds: float | None = None
    warn_remaining_seconds: float | None = None
    stopped_at: datetime | None = None
    incident: "Incident | None" = None


@dataclass(eq=False, slots=True)
class Incident:
    """One incident as it lives: the columns of grid/incidents/models.py's Incident that
    the workflow, the clock's mirror and the sweep read and write, and what the writer
    needs."""

    index: int
    reported_at: datetime
    grid: Grid
    category: Category
    urgency: str
    source: str
    ewkb: str = ""  # the point, hex EWKB from PostGIS
    id: int = 0  # drawn from the sequence before it is lived
    description: str = ""
    reporter: Actor | None = None
    state: str = State.reported
    version: int = 1
    owner_unit_id: int | None = None
    owner_code: str = ""
    owner_platform: str = Platform.grid
    handler_unit_id: int | None = None
    handler_user_id: int | None = None
    handler: Actor | None = None  # who accepts, returns and handles
    filed_at: datetime | None = None
    dispatched_at: datetime | None = None
    handled_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    step: str | None = None
    step_started_at: datetime | None = None
    step_warn_at: datetime | None = None
    step_due_at: datetime | None = None
    deadline: str = DeadlineColour.green
    ever_overdue: bool = False
    verified_on_time: bool | None = None
    suspended_from: str | None = None
    rework_count: int = 0
    return_count: int = 0
    escalation_count: int = 0
    merged_into_id: int | None = None
    rating: int | None = None
    duplicates: list = field(default_factory=list)
    # Bookkeeping of the simulation.
    clock: Clock | None = None  # the step clock running (or paused)
    base: tuple | None = None  # (instant, office seconds) the running step's moves count from
    last_at: datetime | None = None
    finished_at: datetime | None = None
    pending: "Handoff | None" = None
    reporter_ids: set = field(default_factory=set)

    def facts(self) -> dict:
        """What the pure decision reads (core/workflow/kernel.py decide)."""
        facts = {name: getattr(self, name) for name in FACTS}
        facts["resume_state"] = self.suspended_from
        return facts


@dataclass(eq=False, slots=True)
class Handoff:
    """One handoff row (core/workflow/models.py Handoff) in the making."""

    incident: Incident
    kind: str
    from_unit_id: int | None
    from_code: str
    from_platform: str
    to_unit_id: int
    to_code: str
    to_platform: str
    reason: str
    created_by: str
    created_at: datetime
    due_at: datetime
    sign_at: datetime | None  # when the receiver will sign; None: left to expire
    status: str = HandoffStatus.pending
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer_reason: str | None = None
    id: int = 0
