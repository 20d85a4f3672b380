"""The moves of a simulated incident, made as the live system makes them.

Each move is decided by the kernel's pure `decide` (core/workflow/kernel.py) with
INCIDENT_WORKFLOW — role, state, reason, guards, the effect's field changes and the clock
operations — for the member who makes it, as an `Actor` of their real account and
memberships; and applied as the runner applies it (core/workflow/runner.py apply and
run_clocks): the changes, the state and version, the step clock through
core/workflow/clocks.py with the incident's mirror (grid/incidents/case_type.py
mirror_step), the timeline and the audit. Without the notices: the past notifies nobody.

Between moves the sweep and the hand-offs are replayed (sweeps.py); a move that would
come after `now` does not happen (`Later`), so recent incidents are caught mid-way.
story.py decides which moves are made, by whom and when.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from core.workflow.clocks import pause_clock, resume_clock, start_detached, stop_clock
from core.workflow.durations import Unit
from core.workflow.kernel import Actor, ClockOp, Decision, decide
from grid.incidents.case_type import mirror_step
from grid.incidents.enums import FINAL
from grid.incidents.photos import PHOTO_KINDS as PHOTO_MOVES
from grid.incidents.workflow import INCIDENT_WORKFLOW

from .records import Clock, Incident
from .sweeps import Sweeps

# Who makes a move, found once the incident is ready for it (a sweep may have moved it to
# another centre meanwhile).
Who = Callable[[Incident], Actor]


class Later(Exception):
    """The next move would come after `now`: the incident stays where it is."""


class Rules(Sweeps):
    """Moves on simulated incidents, and the rows they leave."""

    def _ready(self, incident: Incident, at: datetime) -> datetime:
        """When a move planned for `at` happens: after what the sweep did meanwhile, and
        after the hand-off in transit is signed (or expires up the chain); `Later` when
        that is past `now`."""
        if at <= incident.last_at:  # planned before the last event: a few minutes after it
            at = incident.last_at + timedelta(seconds=self.r.randint(60, 900))
        while True:
            self._catch_up(incident, min(at, self.now))
            if at > self.now:
                raise Later
            if incident.pending is None:
                return at
            waiting = self._waiting_for(incident.pending)
            if waiting is None:
                raise Later
            at = max(at, waiting)

    def _move(self, incident: Incident, name: str, at: datetime, who: Who, *,
              reason: str | None = None, **data) -> datetime:
        """One lifecycle move, by whoever `who` names once the incident is ready for it."""
        at = self._ready(incident, at)
        actor = who(incident)
        given = {key: value for key, value in data.items() if value is not None}
        if reason is not None:
            given["reason"] = reason
        decision = decide(INCIDENT_WORKFLOW, name, facts=incident.facts(), actor=actor,
                          data=given, now=at)
        self._apply(incident, decision, at, actor, reason=reason, data=data)
        return at

    def _apply(self, incident: Incident, decision: Decision, at: datetime, actor: Actor, *,
               reason: str | None, data: dict) -> None:
        """runner.apply on the simulated row."""
        before = {"state": incident.state, "version": incident.version}
        for key, value in decision.changes.items():
            setattr(incident, key, value)
        incident.state, incident.version = decision.to_state, incident.version + 1
        self._run_clocks(incident, decision, at)
        if incident.state in FINAL and incident.finished_at is None:
            incident.finished_at = at
        name = decision.move.name
        self._event(incident, at, actor.username, name, from_state=decision.from_state,
                    to_state=decision.to_state, note=reason,
                    data={k: v for k, v in data.items() if v is not None} or None)
        after = {"state": incident.state, "version": incident.version}
        if reason:
            after["reason"] = reason
        self._audit(incident, at, actor.username, f"incident.{name}", before=before,
                    after=after)
        if name in PHOTO_MOVES:  # 处理反馈 comes with its 处理后 photo
            self.photos.append((at, incident, PHOTO_MOVES[name], actor.user_id))

    # -- the step clock (runner.run_clocks, with core/workflow/clocks.py's arithmetic)

    def _run_clocks(self, incident: Incident, decision: Decision, at: datetime) -> None:
        for op in decision.clock_ops:
            clock = incident.clock
            if op.op == "start":
                if clock is not None:
                    stop_clock(clock, now=at)
                clock = self._start_clock(incident, op.step, at)
            elif op.op == "pause":
                if clock is not None:
                    pause_clock(clock, now=at, calendar=self.calendar)
            elif op.op == "resume":
                if clock is not None:
                    left = clock.remaining_seconds
                    resume_clock(clock, now=at, calendar=self.calendar)
                    incident.base = (at, left)
            else:  # "stop", "stop_all": the step clock is the incident's only one
                if clock is not None:
                    stop_clock(clock, now=at)
                incident.clock = incident.base = None
            mirror_step(incident, clock, op, at)

    def _start_clock(self, incident: Incident, step: str, at: datetime) -> Clock:
        """clocks.start: the step's rule from the 小类, timed on the working calendar."""
        rule = self.world.rule(incident.category, incident.urgency, step)
        clock = start_detached(rule, now=at, calendar=self.calendar,
                               warn_share=self.world.warn_share, make=Clock)
        clock.incident = incident
        self.clocks.append(clock)
        incident.clock = clock
        limit = rule.limit
        incident.base = (at, limit.amount * 3600 if limit.unit is Unit.hours else None)
        return clock

    def _open_case(self, incident: Incident, step: str, at: datetime) -> None:
        """The first step's clock of a new report, as service.report starts it."""
        clock = self._start_clock(incident, step, at)
        mirror_step(incident, clock, ClockOp("start", step=step), at)

    def _escalate(self, incident: Incident, at: datetime, *, reason: str) -> None:
        """A centre hands it one level up (上报), when it gets to it."""
        self._hand_up(incident, self._ready(incident, at), reason=reason)

    def _finish(self, incident: Incident) -> None:
        """Bring it to `now`: the sweep's work meanwhile."""
        self._catch_up(incident, self.now)
