"""The workflow kernel: moves declared once, decided by a pure function, applied the same
way for every kind of case (incidents, enforcement cases, inspections, applications).

A workflow is a table of named moves (transitions): from which states, to which state, by
which roles, with which guards (checks beyond role and state: "a reason", "a valid
执法证", "法制审核 done") and which field changes. It also says which step's clock runs in
each state and in which states the clocks are suspended.

`decide(workflow, move, facts=, actor=, data=, now=)` is pure (no database session): it
checks the move and returns a Decision — the new state, the field changes, the clock
operations. The demo-history generator runs it on simulated cases, and the runner
(core/workflow/runner.py) on real ones, which then locks the row, checks its version,
applies the decision and writes the timeline, the clocks, the audit and the notices in
the caller's transaction.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.errors import Conflict, DomainError, Forbidden, InvalidInput
from core.users.enums import Role


@dataclass(frozen=True)
class Actor:
    """Who makes a move, as the decision sees it: role, and per unit the positions held
    and whether a valid 执法证 goes with them (from the memberships)."""

    user_id: int
    username: str
    role: Role
    positions: Mapping[int, frozenset[str]] = field(default_factory=dict)  # unit → positions
    credentialed_units: frozenset[int] = frozenset()  # units where a 执法证 is valid today

    @classmethod
    def of(cls, principal, *, today: date) -> "Actor":
        positions: dict[int, set[str]] = {}
        credentialed = set()
        for m in principal.memberships:
            positions.setdefault(m.unit_id, set()).add(m.position)
            if m.credential_valid_on(today):
                credentialed.add(m.unit_id)
        return cls(principal.user_id, principal.username, principal.role,
                   {unit: frozenset(p) for unit, p in positions.items()},
                   frozenset(credentialed))

    def holds(self, unit_id: int | None, positions: Iterable[str]) -> bool:
        wanted = set(positions)
        return unit_id is not None and bool(self.positions.get(unit_id, frozenset()) & wanted)


# A guard reads the subject's facts, the actor and the move's data; it raises a domain
# error (InvalidInput, Forbidden, Conflict) to refuse the move, with a stable code.
Guard = Callable[[Mapping[str, Any], Actor, Mapping[str, Any]], None]
def about_the_actor(guard: Guard) -> Guard:
    """Marks a guard that reads only the subject and the actor, not the move's data, so the
    moves a user may make now can be listed before any form is filled (`available`)."""
    guard.about_the_actor = True
    return guard


# An effect returns the fields the move sets on the subject (pure: from facts and data).
Effect = Callable[[Mapping[str, Any], Actor, Mapping[str, Any], datetime], dict[str, Any]]


@dataclass(frozen=True)
class Notice:
    """A notification a move sends: to the desk members of units, and to named users."""

    topic: str
    title: str
    unit_ids: tuple[int, ...] = ()
    user_ids: tuple[int, ...] = ()
    positions: tuple[str, ...] | None = None  # None: the units' desk positions


# Notices read the subject's facts after the move, and the move's data.
Notify = Callable[[Mapping[str, Any], Mapping[str, Any]], list[Notice]]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    # None: back to the state the subject was in before (挂账 → 解挂 resumes where it was).
    target: str | None
    roles: frozenset[Role]
    label: str = ""  # the domain's own word, for timelines and buttons
    needs_reason: bool = False
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    notify: Notify | None = None
    fields: tuple[str, ...] = ()  # the form fields the move takes (besides version, reason)


def transition(name: str, sources: Iterable[str], target: str | None, roles: Iterable[Role],
               *, label: str = "", needs_reason: bool = False, guards: Iterable[Guard] = (),
               effect: Effect | None = None, notify: Notify | None = None,
               fields: Iterable[str] = ()) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(roles), label, needs_reason,
                      tuple(guards), effect, notify, tuple(fields))


@dataclass(frozen=True)
class ClockOp:
    """What a move does to the subject's clocks; the runner resolves each step's rule."""

    op: str  # "start" (a step's clock), "stop", "pause", "resume", "stop_all"
    name: str = "step"
    step: str | None = None  # for "start": the step whose limit applies


@dataclass(frozen=True)
class Decision:
    move: Transition
    from_state: str
    to_state: str
    changes: dict[str, Any]
    clock_ops: tuple[ClockOp, ...]


@dataclass(frozen=True)
class Workflow:
    name: str  # the audit subject type, e.g. "incident"
    transitions: tuple[Transition, ...]
    # The step whose clock runs in each state (a state not named: no step clock).
    steps: Mapping[str, str] = field(default_factory=dict)
    # States in which every suspendable clock stops (挂账, 中止), and moves that restart
    # their step's clock although the step stays (返工 and 退回 give a new limit).
    paused_states: frozenset[str] = frozenset()
    restarting_moves: frozenset[str] = frozenset()
    final_states: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)  # state → status label
    by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {t.name: t for t in self.transitions})

    def get(self, name: str) -> Transition:
        try:
            return self.by_name[name]
        except KeyError:
            raise InvalidInput(f"unknown action {name!r}; the actions are "
                               f"{', '.join(self.by_name)}", code="unknown_action") from None

    def allowed(self, state: str, role: Role | None = None) -> list[str]:
        """The moves possible from `state` (for `role`, when given), in declaration order."""
        return [t.name for t in self.transitions
                if state in t.sources and (role is None or role in t.roles)]

    def check(self, name: str, *, state: str, role: Role, reason: str | None = None
              ) -> Transition:
        """The transition, if `role` may make it from `state`; else 403, 409 or 422."""
        move = self.get(name)
        if role not in move.roles:
            raise Forbidden(f"the role {role} may not {name} ({move.label})",
                            allowed=self.allowed(state, role), code="move_not_for_role")
        if state not in move.sources:
            allowed = self.allowed(state, role)
            raise Conflict(f"cannot {name} a {self.name} that is {state}; allowed now: "
                           f"{', '.join(allowed) or 'nothing'}",
                           current_state=state, allowed=allowed, code="move_not_allowed_now")
        if move.needs_reason and not (reason and reason.strip()):
            raise InvalidInput(f"{name} ({move.label}) needs a reason", code="reason_required")
        return move

    def available(self, facts: Mapping[str, Any], actor: Actor) -> list[str]:
        """The moves `actor` may make now on a subject with these facts: role, state and
        the guards about the actor (a form's own checks come when it is sent)."""
        names = []
        for name in self.allowed(facts["state"], actor.role):
            guards = [g for g in self.by_name[name].guards
                      if getattr(g, "about_the_actor", False)]
            try:
                for guard in guards:
                    guard(facts, actor, {})
            except DomainError:
                continue
            names.append(name)
        return names

    def describe(self) -> dict[str, Any]:
        """The workflow as data, for the pages (states with labels, moves with their
        labels, sources, target, roles, reason and fields)."""
        return {"name": self.name,
                "states": [{"name": s, "label": self.labels.get(s, s),
                            "final": s in self.final_states, "step": self.steps.get(s)}
                           for s in self.labels],
                "moves": [{"name": t.name, "label": t.label, "from": sorted(t.sources),
                           "to": t.target, "roles": sorted(t.roles),
                           "needs_reason": t.needs_reason, "fields": list(t.fields)}
                          for t in self.transitions]}


def decide(workflow: Workflow, name: str, *, facts: Mapping[str, Any], actor: Actor,
           data: Mapping[str, Any], now: datetime) -> Decision:
    """Check move `name` on a subject whose fields are `facts`, and what it changes.

    Pure: role, state and reason (Workflow.check), then the move's guards, then its
    effect and the clock operations implied by the states it leaves and enters.
    `facts["resume_state"]` is where a move with no fixed target goes.
    """
    state = facts["state"]
    move = workflow.check(name, state=state, role=actor.role, reason=data.get("reason"))
    for guard in move.guards:
        guard(facts, actor, data)
    target = move.target or facts.get("resume_state")
    if target is None:
        raise InvalidInput(f"{name}: nowhere to return to", code="no_state_to_resume")
    changes = dict(move.effect(facts, actor, data, now)) if move.effect else {}
    return Decision(move, state, target, changes, _clock_ops(workflow, move, state, target))


def _clock_ops(workflow: Workflow, move: Transition, before: str, after: str
               ) -> tuple[ClockOp, ...]:
    if after in workflow.paused_states:
        return (ClockOp("pause"),)
    if before in workflow.paused_states:
        return (ClockOp("resume"),)
    step, previous = workflow.steps.get(after), workflow.steps.get(before)
    if step is not None and step == previous and move.name not in workflow.restarting_moves:
        return ()  # e.g. 派遣 → 签收: the handling clock keeps running
    if after in workflow.final_states:
        return (ClockOp("stop_all"),)
    if step is None:
        return (ClockOp("stop"),)
    return (ClockOp("start", step=step),)


# --- guards every platform uses ----------------------------------------------------------

def requires(field_name: str, message: str, code: str) -> Guard:
    """The move's data must carry `field_name`."""
    def guard(facts, actor, data) -> None:
        value = data.get(field_name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidInput(message, code=code)
    return guard


@about_the_actor
def credential_in_owner_unit(facts, actor: Actor, data) -> None:
    """行政处罚法第四十二条: 执法人员应当具有行政执法资格 — a valid 执法证 in the unit that
    holds the case."""
    if facts.get("owner_unit_id") not in actor.credentialed_units:
        raise Forbidden("this move needs a valid 执法证 (law-enforcement credential) in the "
                        "unit that holds the case", code="credential_required")
