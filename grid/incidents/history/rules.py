"""The rules the live system applies, replayed on a simulated incident.

- every move is checked with `INCIDENT_WORKFLOW.check` for the role that makes it (the
  centre files, dispatches and closes, the handler signs and reports back, the grid
  worker verifies, the supervisor evaluates), with the effects of grid/incidents/flows.py
  and handoffs.py (without the notifications: the past notifies nobody);
- the step clock is grid/incidents/clock.py's on the working calendar with the 小类's
  limits, and the deadline sweep (grid/incidents/sweep.py) is replayed as time passes: a
  step left overdue turns red and escalates one level up once, an unsigned hand-off
  expires and escalates further;
- a move that would come after `now` does not happen (`Later`): recent incidents are
  caught mid-way, with the colours the sweep would show now.

`Rules` keeps the timeline, hand-off and audit rows the moves leave; story.py decides
which moves are made, by whom and when.
"""

import random
from datetime import datetime, timedelta

from core.users.enums import HAND_OFF
from core.workflow.durations import Unit
from grid.incidents import clock
from grid.incidents.enums import (
    FINAL,
    STEP_OF_STATE,
    DeadlineColour,
    HandoffKind,
    HandoffStatus,
    Platform,
    State,
    Step,
)
from grid.incidents.handoffs import PLATFORM_ROLES
from grid.incidents.service import parent_code
from grid.incidents.sweep import OVERDUE, SYSTEM, UNSIGNED
from grid.incidents.workflow import INCIDENT_WORKFLOW

from .records import Handoff, Incident
from .world import Actor, World

CLOCK_STATES = frozenset(STEP_OF_STATE)
COLOUR_RANK = {DeadlineColour.green: 0, DeadlineColour.yellow: 1, DeadlineColour.red: 2}


class Later(Exception):
    """The next move would come after `now`: the incident stays where it is."""


class Rules:
    """The system's side of incidents' lives: moves, the clock, the sweep, hand-offs, and
    the rows they leave."""

    def __init__(self, world: World, r: random.Random, now: datetime) -> None:
        self.world, self.r, self.now, self.calendar = world, r, now, world.calendar
        self.events: list[tuple] = []  # (at, seq, incident, actor, action, from, to, note, data)
        self.audits: list[tuple] = []  # (at, seq, incident, actor, action, before, after)
        self.handoffs: list[Handoff] = []
        self.reporters: list[tuple] = []  # (incident, user id, reported_at, via incident)
        self.seq = 0

    # -- who holds it, and when a move can happen

    def _centre(self, incident: Incident) -> Actor:
        """The desk of the centre that holds it (村/镇/区 by the owner's level)."""
        return self.world.centre(incident.owner_code)

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
            pending = incident.pending
            if pending is None:
                return at
            at = max(at, (pending.sign_at or pending.due_at) + timedelta(minutes=5))

    # -- moves (grid/incidents/flows.py's act, on the simulated row)

    def _move(self, incident: Incident, name: str, at: datetime, who: Actor, *,
              reason: str | None = None, **data) -> datetime:
        """One lifecycle move by `who` = (role, actor, user id), checked by the workflow."""
        at = self._ready(incident, at)
        role, actor, _ = who
        move = INCIDENT_WORKFLOW.check(name, state=incident.state, role=role, reason=reason)
        before, version = incident.state, incident.version
        if name == "suspend":
            incident.suspended_from = before
        incident.state = move.target or incident.suspended_from
        incident.version += 1
        after = {"state": incident.state, "version": incident.version}
        if reason:
            after["reason"] = reason
        self._audit(incident, at, actor, f"incident.{name}",
                    before={"state": before, "version": version}, after=after)
        self._effect(incident, name, at, data)
        self._run_clock(incident, before, at)
        if incident.state in FINAL and incident.finished_at is None:
            incident.finished_at = at
        self._event(incident, at, actor, name, from_state=before, to_state=incident.state,
                    note=reason, data={k: v for k, v in data.items() if v is not None} or None)
        return at

    def _effect(self, incident: Incident, name: str, at: datetime, data: dict) -> None:
        """flows.EFFECTS, without the notifications (the past notifies nobody)."""
        if name == "file":
            incident.filed_at = at
        elif name == "dispatch":
            incident.handler_unit, incident.handler_user_id = (data["handler_unit"],
                                                               data["handler_user_id"])
            incident.dispatched_at = at
        elif name == "return":
            incident.return_count += 1
        elif name == "handle":
            incident.handled_at = at
        elif name == "verify":
            incident.verified_at = at
            incident.verified_on_time = incident.step_due_at is None or at <= incident.step_due_at
        elif name == "rework":
            incident.rework_count += 1
        elif name == "close":
            incident.closed_at = at
        elif name == "evaluate":
            incident.rating = data["rating"]
        elif name == "resume":
            incident.suspended_from = None

    # -- the clock (flows._run_clock with clock.py)

    def _run_clock(self, incident: Incident, before: str, at: datetime) -> None:
        state = incident.state
        if state == State.suspended:
            self._settle_colour(incident, at)
            self._warn(incident)
            clock.pause(incident, now=at, calendar=self.calendar)
            return
        if before == State.suspended:
            left = incident.remaining_seconds
            clock.resume(incident, now=at, calendar=self.calendar)
            incident.base = (at, left)
            return
        step = STEP_OF_STATE.get(State(state))
        if (step is not None and step == STEP_OF_STATE.get(State(before))
                and state not in (State.rework, State.returned)):
            return  # e.g. 派遣 → 签收: the handling clock keeps running
        if step is None:
            self._settle_colour(incident, at)  # the colour it keeps once the clock stops
        clock.note_lateness(incident, now=at)
        if step is None:
            clock.stop(incident)
            incident.base = None
            return
        self._start_step(incident, step, at)

    def _start_step(self, incident: Incident, step: Step, at: datetime) -> None:
        """clock.start_step, the warning instant computed when first needed (_warn): most
        steps end before anyone asks for it."""
        limit = self.world.limit(incident.category, incident.urgency, step)
        incident.step, incident.step_started_at, incident.step_limit = step, at, limit
        incident.step_due_at = self.calendar.due(at, limit)
        incident.step_warn_at = None
        incident.deadline = DeadlineColour.green
        incident.overdue_escalated = False
        incident.base = (at, limit.amount * 3600 if limit.unit is Unit.hours else None)

    def _warn(self, incident: Incident) -> None:
        if incident.step is not None and incident.step_warn_at is None:
            incident.step_warn_at = self.calendar.warn_at(
                incident.step_started_at, incident.step_limit, self.world.warn_share)

    def _settle_colour(self, incident: Incident, at: datetime) -> None:
        """The colour the sweep gave the running step by `at` (it never goes back)."""
        if incident.step_due_at is None:
            return
        if at < incident.step_due_at:
            self._warn(incident)
        colour = clock.colour_at(incident, at)
        if COLOUR_RANK[colour] > COLOUR_RANK[DeadlineColour(incident.deadline)]:
            incident.deadline = colour
        if incident.deadline == DeadlineColour.red:
            incident.ever_overdue = True

    # -- the sweep and hand-offs (sweep.py and flows.hand_off / answer_handoff)

    def _catch_up(self, incident: Incident, until: datetime) -> None:
        """Replay what happened without a move up to `until`: the receiver signing the
        hand-off in transit, the sweep expiring it, or the sweep escalating a red step
        (once per step, when no hand-off is pending)."""
        while True:
            pending, nxt = incident.pending, None
            if pending is not None:
                if pending.sign_at is not None:
                    nxt = (pending.sign_at, self._sign)
                elif parent_code(pending.to_code) is not None:
                    nxt = (pending.due_at, self._expire)
            elif (incident.state in CLOCK_STATES and not incident.overdue_escalated
                  and incident.step_due_at is not None):
                nxt = (max(incident.step_due_at, incident.last_at), self._overdue)
            if nxt is None or nxt[0] > until:
                return
            nxt[1](incident, nxt[0])

    def _overdue(self, incident: Incident, at: datetime) -> None:
        """sweep._escalate_overdue: red, and one level up with a hand-off to sign."""
        incident.deadline, incident.ever_overdue = DeadlineColour.red, True
        incident.overdue_escalated = True
        up = parent_code(incident.owner_code)
        if up is not None:
            self._system_escalation(incident, at, from_code=incident.owner_code, to_code=up,
                                    why=OVERDUE, cause="overdue")

    def _expire(self, incident: Incident, at: datetime) -> None:
        """sweep._escalate_unsigned: unsigned past its limit, it goes one level further."""
        stale = incident.pending
        stale.status, stale.answered_by, stale.answered_at = HandoffStatus.expired, SYSTEM, at
        stale.answer_reason = "超时未签收"
        incident.pending = None
        self._system_escalation(incident, at, from_code=stale.to_code,
                                to_code=parent_code(stale.to_code), why=UNSIGNED,
                                cause="unsigned")

    def _system_escalation(self, incident: Incident, at: datetime, *, from_code: str,
                           to_code: str, why: str, cause: str) -> None:
        handoff = self._open_handoff(incident, at, to_code=to_code, reason=why, actor=SYSTEM)
        self._event(incident, at, SYSTEM, "handoff.escalate", note=why,
                    data={"handoff": handoff, "from": from_code, "to": to_code, "cause": cause})
        self._audit(incident, at, SYSTEM, f"incident.escalate.{cause}",
                    before={"owner": from_code}, after={"owner": to_code, "handoff": handoff})

    def _escalate(self, incident: Incident, at: datetime, *, reason: str) -> None:
        """A centre hands it one level up (flows.hand_off, kind escalate)."""
        at = self._ready(incident, at)
        role, actor, _ = self._centre(incident)
        up = parent_code(incident.owner_code)
        if role not in HAND_OFF or incident.state in FINAL or up is None:
            return
        before = _owner(incident.owner_code)
        handoff = self._open_handoff(incident, at, to_code=up, reason=reason, actor=actor)
        self._event(incident, at, actor, f"handoff.{HandoffKind.escalate}", note=reason,
                    data={"handoff": handoff, "from": before, "to": _owner(up)})
        self._audit(incident, at, actor, f"incident.handoff.{HandoffKind.escalate}",
                    before=before, after={**_owner(up), "handoff": handoff})

    def _open_handoff(self, incident: Incident, at: datetime, *, to_code: str, reason: str,
                      actor: str) -> Handoff:
        due = self.calendar.due(at, self.world.sign_limit)
        handoff = Handoff(incident, incident.owner_code, to_code, reason, actor, at, due,
                          self._sign_time(at, due, to_code))
        self.handoffs.append(handoff)
        incident.pending, incident.owner_code = handoff, to_code
        incident.escalation_count += 1
        incident.version += 1
        incident.last_at = at
        return handoff

    def _sign_time(self, at: datetime, due: datetime, to_code: str) -> datetime | None:
        """Most receivers sign within the limit; one in ten lets it expire (never the city
        centre, which has no one above to expire to)."""
        if parent_code(to_code) is not None and self.r.random() < 0.1:
            return None
        seconds = self.calendar.working_seconds(at, due)
        return self.calendar.add_working_seconds(at, self.r.uniform(0.05, 0.9) * seconds)

    def _sign(self, incident: Incident, at: datetime) -> None:
        """签收 by the receiving centre (flows.answer_handoff, sign)."""
        handoff = incident.pending
        role, actor, _ = self.world.centre(handoff.to_code)
        if role not in PLATFORM_ROLES[Platform.grid]:
            raise AssertionError(f"{role} does not receive grid hand-offs")
        handoff.status, handoff.answered_by, handoff.answered_at = HandoffStatus.signed, actor, at
        incident.pending = None
        incident.version += 1
        owner = _owner(incident.owner_code)
        self._event(incident, at, actor, "handoff.sign", data={"handoff": handoff})
        self._audit(incident, at, actor, "incident.handoff.sign", before=owner,
                    after={**owner, "handoff": handoff})

    def _finish(self, incident: Incident) -> None:
        """Bring it to `now`: the sweep's work meanwhile, and the colour it shows now."""
        self._catch_up(incident, self.now)
        if incident.state in CLOCK_STATES:
            self._settle_colour(incident, self.now)
        self._warn(incident)

    # -- rows

    def _event(self, incident: Incident, at: datetime, actor: str, action: str, *,
               from_state: str | None = None, to_state: str | None = None,
               note: str | None = None, data: dict | None = None) -> None:
        self.seq += 1
        self.events.append((at, self.seq, incident, actor, action, from_state, to_state, note,
                            data))
        incident.last_at = max(incident.last_at, at)

    def _audit(self, incident: Incident, at: datetime, actor: str, action: str, *,
               before: dict | None = None, after: dict | None = None) -> None:
        self.seq += 1
        self.audits.append((at, self.seq, incident, actor, action, before, after))


def _owner(code: str) -> dict:
    return {"code": code, "platform": Platform.grid.value, "department": None}

