"""What happens to a simulated incident without a move, replayed as time passes: the sweep
(core/workflow/sweep.py with grid/incidents/case_type.py's hook, SWEEP_SQL) and the
hand-offs (core/workflow/handoffs.py).

- the sweep turns the running step clock yellow at its warning instant and red when due,
  and mirrors the colour onto the incident;
- a red step clock of an incident with no hand-off pending goes one level up, once per
  clock: the owner becomes the centre above and a hand-off to it awaits a signature (no
  centre above: marked escalated, it stays). With a hand-off pending it waits, and goes up
  once that one is answered;
- the receiving centre's desk signs a hand-off within its limit, or lets it expire: the
  sweep then sends it to the centre above the unit that did not sign (the city centre,
  with no one above, always signs);
- a centre may hand an incident up itself (上报), as flows' hand_off does.

Each sweep runs the moment something falls due (the live beat runs every minute), so the
colours and owners are those a sweep would have left.
"""

import random
from datetime import datetime, timedelta

from core.workflow.sweep import OVERDUE, SYSTEM, UNSIGNED
from grid.incidents.enums import FINAL, DeadlineColour, HandoffKind, HandoffStatus, Platform

from .records import Clock, Handoff, Incident
from .world import Unit, World

WHY = {"overdue": OVERDUE, "unsigned": UNSIGNED}


class Sweeps:
    """The system's side of incidents' lives between moves, and the rows it leaves."""

    def __init__(self, world: World, r: random.Random, now: datetime) -> None:
        self.world, self.r, self.now, self.calendar = world, r, now, world.calendar
        self.events: list[tuple] = []  # (at, seq, incident, actor, action, from, to, note, data)
        self.audits: list[tuple] = []  # (at, seq, incident, actor, action, before, after)
        self.handoffs: list[Handoff] = []
        self.clocks: list[Clock] = []
        self.reporters: list[tuple] = []  # (incident, user id, reported_at, via incident)
        self.links: list[tuple] = []  # (at, incident, into, actor): 并单's case_link rows
        self.photos: list[tuple] = []  # (at, incident, kind, user id): photos.py's rows
        self.seq = 0

    def _catch_up(self, incident: Incident, until: datetime) -> None:
        """Replay, up to `until`, what happens to the incident without a move."""
        while True:
            due = self._next(incident)
            if due is None or due[0] > until:
                return
            at, _, happen = due
            happen(incident, at)

    def _next(self, incident: Incident):
        """(instant, rank, what) of the next thing to happen: the sweep's work on the step
        clock before the hand-offs it expires (the order of core/workflow/sweep.py)."""
        options = []
        clock, pending = incident.clock, incident.pending
        if clock is not None and clock.paused_at is None and clock.stopped_at is None:
            if clock.colour == DeadlineColour.green:
                options.append((min(clock.warn_at or clock.due_at, clock.due_at), 0, self._turn))
            elif clock.colour == DeadlineColour.yellow:
                options.append((clock.due_at, 0, self._turn))
            elif not clock.escalated and pending is None:  # answered since it turned red
                options.append((max(clock.due_at, incident.last_at), 0, self._overdue))
        if pending is not None:
            if pending.sign_at is not None:
                options.append((pending.sign_at, 1, self._sign))
            elif self.world.centre_above(pending.to_code) is not None:
                options.append((pending.due_at, 1, self._expire))
        return min(options, key=lambda option: option[:2]) if options else None

    # -- the sweep

    def _turn(self, incident: Incident, at: datetime) -> None:
        """Yellow or red, whichever the clock is due to be (sweep._turn), mirrored."""
        clock = incident.clock
        clock.colour = DeadlineColour.red if clock.due_at <= at else DeadlineColour.yellow
        incident.deadline = clock.colour
        if clock.colour == DeadlineColour.red:
            incident.ever_overdue = True
            if incident.pending is None:
                self._overdue(incident, at)

    def _overdue(self, incident: Incident, at: datetime) -> None:
        """SWEEP_SQL's escalation: one level up with a hand-off to sign; the clock escalates
        once, with or without a centre above. (The incidents lived here are all held on
        the grid platform, the other condition of SWEEP_SQL.)"""
        incident.clock.escalated = True
        incident.deadline, incident.ever_overdue = DeadlineColour.red, True
        up = self.world.centre_above(incident.owner_code)
        if up is None:
            return
        handoff = self._open(incident, at, to=up, reason=OVERDUE, actor=SYSTEM,
                             from_platform=Platform.grid, to_platform=Platform.grid)
        incident.owner_unit_id, incident.owner_code = up.id, up.seat_code
        incident.escalation_count += 1
        incident.version += 1
        self._record_escalation(incident, at, handoff, cause="overdue")

    def _expire(self, incident: Incident, at: datetime) -> None:
        """sweep._expire_handoffs: unsigned past its limit, it goes to the centre above
        the unit that did not sign."""
        stale = incident.pending
        stale.status, stale.answered_by, stale.answered_at = HandoffStatus.expired, SYSTEM, at
        stale.answer_reason = "超时未签收"
        incident.pending = None
        up = self.world.centre_above(stale.to_code)
        handoff = self._open(incident, at, to=up, reason=UNSIGNED, actor=SYSTEM,
                             from_platform=up.platform, to_platform=up.platform,
                             from_unit_id=stale.to_unit_id, from_code=stale.to_code)
        incident.owner_unit_id, incident.owner_code = up.id, up.seat_code
        incident.owner_platform = up.platform
        incident.version += 1
        self._record_escalation(incident, at, handoff, cause="unsigned")

    def _record_escalation(self, incident: Incident, at: datetime, handoff: Handoff, *,
                           cause: str) -> None:
        """sweep._record: the timeline and the audit of an escalation."""
        self._event(incident, at, SYSTEM, "handoff.escalate", note=WHY[cause],
                    data={"handoff": handoff, "from": handoff.from_code,
                          "to": handoff.to_code, "cause": cause})
        self._audit(incident, at, SYSTEM, f"incident.escalate.{cause}",
                    before={"owner": handoff.from_code},
                    after={"owner": handoff.to_code, "unit": handoff.to_unit_id,
                           "handoff": handoff})

    # -- hand-offs (core/workflow/handoffs.py)

    def _hand_up(self, incident: Incident, at: datetime, *, reason: str) -> None:
        """上报 by the desk of the centre that holds it (handoffs.hand_off, escalate): not
        for a finished incident, one with a hand-off pending, or at the top."""
        up = self.world.centre_above(incident.owner_code)
        if incident.state in FINAL or incident.pending is not None or up is None:
            return
        actor = self.r.choice(self.world.clerks(incident.owner_unit_id))
        before = owner_of(incident)
        handoff = self._open(incident, at, to=up, reason=reason, actor=actor.username,
                             from_platform=incident.owner_platform, to_platform=up.platform)
        incident.owner_unit_id, incident.owner_code = up.id, up.seat_code
        incident.owner_platform = up.platform
        incident.escalation_count += 1
        incident.version += 1  # as open_handoff moves it
        after = owner_of(incident)
        self._event(incident, at, actor.username, f"handoff.{HandoffKind.escalate}",
                    note=reason, data={"handoff": handoff, "from": before, "to": after})
        self._audit(incident, at, actor.username, f"incident.handoff.{HandoffKind.escalate}",
                    before=before, after={**after, "handoff": handoff})

    def _open(self, incident: Incident, at: datetime, *, to: Unit, reason: str, actor: str,
              from_platform: str, to_platform: str, from_unit_id: int | None = None,
              from_code: str | None = None) -> Handoff:
        """A pending hand-off from the incident's owner (or the unit named) to `to`."""
        due = self.calendar.due(at, self.world.sign_limit)
        handoff = Handoff(
            incident, HandoffKind.escalate,
            incident.owner_unit_id if from_unit_id is None else from_unit_id,
            incident.owner_code if from_code is None else from_code, from_platform,
            to.id, to.seat_code, to_platform, reason, actor, at, due,
            self._sign_time(at, due, to))
        self.handoffs.append(handoff)
        incident.pending = handoff
        incident.last_at = max(incident.last_at, at)
        return handoff

    def _sign_time(self, at: datetime, due: datetime, to: Unit) -> datetime | None:
        """Most receivers sign within the limit; one in ten lets it expire (never a centre
        with no one above to expire to)."""
        if self.world.centre_above(to.seat_code) is not None and self.r.random() < 0.1:
            return None
        seconds = self.calendar.working_seconds(at, due)
        return self.calendar.add_working_seconds(at, self.r.uniform(0.05, 0.9) * seconds)

    def _sign(self, incident: Incident, at: datetime) -> None:
        """签收 by a desk member of the receiving unit (handoffs.answer, sign)."""
        handoff = incident.pending
        actor = self.r.choice(self.world.clerks(handoff.to_unit_id))
        handoff.status, handoff.answered_by, handoff.answered_at = (
            HandoffStatus.signed, actor.username, at)
        incident.pending = None
        incident.version += 1
        owner = owner_of(incident)
        self._event(incident, at, actor.username, "handoff.sign", data={"handoff": handoff})
        self._audit(incident, at, actor.username, "incident.handoff.sign", before=owner,
                    after={**owner, "handoff": handoff})

    def _waiting_for(self, pending: Handoff) -> datetime | None:
        """When a move held up by the hand-off in transit can happen (None: never)."""
        if pending.sign_at is not None:
            return pending.sign_at + timedelta(minutes=5)
        if self.world.centre_above(pending.to_code) is not None:
            return pending.due_at + timedelta(minutes=5)
        return None

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


def owner_of(incident: Incident) -> dict:
    """handoffs.owner_of on the simulated row."""
    return {"unit": incident.owner_unit_id, "code": incident.owner_code,
            "platform": incident.owner_platform}
