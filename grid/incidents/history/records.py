"""What a simulated history is made of: incidents and hand-offs as they live, in Python,
until they are written."""

from dataclasses import dataclass, field
from datetime import datetime

from core.workflow.durations import Duration
from grid.categories.models import Category
from grid.incidents.enums import DeadlineColour, HandoffStatus, State

from .world import Actor, Grid


@dataclass(eq=False, slots=True)
class Incident:
    """One incident as it lives: the columns of grid/incidents/models.py's Incident that
    clock.py and the flows read and write, and what the writer needs."""

    index: int
    reported_at: datetime
    grid: Grid
    category: Category
    urgency: str
    source: str
    ewkb: str = ""  # the point, hex EWKB from PostGIS
    id: int = 0  # assigned when written
    description: str = ""
    reporter_id: int = 0
    reporter_actor: str = ""
    state: str = State.reported
    version: int = 1
    owner_code: str = ""
    handler_unit: str | None = None
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
    step_limit: Duration | None = None
    deadline: str = DeadlineColour.green
    overdue_escalated: bool = False
    ever_overdue: bool = False
    verified_on_time: bool | None = None
    suspended_from: str | None = None
    suspended_at: datetime | None = None
    remaining_seconds: float | None = None
    warn_remaining_seconds: float | None = None
    rework_count: int = 0
    return_count: int = 0
    escalation_count: int = 0
    merged_into: "Incident | None" = None
    rating: int | None = None
    duplicates: list = field(default_factory=list)
    # Bookkeeping of the simulation.
    base: tuple | None = None  # (instant, office seconds) the running step's moves count from
    last_at: datetime | None = None
    finished_at: datetime | None = None
    pending: "Handoff | None" = None
    reporter_ids: set = field(default_factory=set)


@dataclass(eq=False, slots=True)
class Handoff:
    incident: Incident
    from_code: str
    to_code: str
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
