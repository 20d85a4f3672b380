"""The workflow kernel: transitions declared once, checked and applied the same way for
every kind of case (incidents now; enforcement cases and service applications next).

A workflow is a table of named transitions: from which states, to which state, by which
roles. Applying one to a subject (any mapped row with `state` and `version` columns):

1. locks the row (`SELECT ... FOR UPDATE`, re-read): concurrent moves queue here;
2. checks the version the caller read: stale → 409 naming the current state;
3. checks role (403) and current state (409 naming the moves allowed now);
4. moves the state, bumps the version and writes the audit row, in the caller's
   transaction. Whatever else the move does (timeline, deadlines, outbox) the caller adds
   in the same transaction, so all of it commits or none does.

Territory is checked before: the caller loads the subject through a scoped query, so an
outside subject is 404 and never reaches the kernel.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, Forbidden, InvalidInput
from core.users.enums import Role


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    # None: back to the state the subject was in before (挂账 → 解挂 resumes where it was).
    target: str | None
    roles: frozenset[Role]
    label: str = ""  # the domain's own word, for timelines and buttons
    needs_reason: bool = False


def transition(name: str, sources: Iterable[str], target: str | None, roles: Iterable[Role],
               *, label: str = "", needs_reason: bool = False) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(roles), label, needs_reason)


@dataclass(frozen=True)
class Workflow:
    name: str  # the audit subject type, e.g. "incident"
    transitions: tuple[Transition, ...]
    by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {t.name: t for t in self.transitions})

    def get(self, name: str) -> Transition:
        try:
            return self.by_name[name]
        except KeyError:
            raise InvalidInput(f"unknown action {name!r}; the actions are "
                               f"{', '.join(self.by_name)}") from None

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
                            allowed=self.allowed(state, role))
        if state not in move.sources:
            allowed = self.allowed(state, role)
            raise Conflict(f"cannot {name} a {self.name} that is {state}; allowed now: "
                           f"{', '.join(allowed) or 'nothing'}",
                           current_state=state, allowed=allowed)
        if move.needs_reason and not (reason and reason.strip()):
            raise InvalidInput(f"{name} ({move.label}) needs a reason")
        return move


def lock(session: Session, model: type, subject_id: int) -> Any:
    """The subject re-read under a row lock: the latest committed state, ours until commit."""
    return session.execute(select(model).where(model.id == subject_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def check_version(workflow: Workflow, subject: Any, *, expected: int, role: Role) -> None:
    if subject.version != expected:
        raise Conflict(f"the {workflow.name} changed since you read it: it is now "
                       f"{subject.state} (version {subject.version})",
                       current_state=subject.state, current_version=subject.version,
                       allowed=workflow.allowed(subject.state, role))


def apply(session: Session, workflow: Workflow, subject: Any, name: str, *, actor: str,
          role: Role, expected_version: int, reason: str | None = None,
          resume_state: str | None = None) -> Transition:
    """Check and make one move on `subject` (already loaded in scope); see the module doc.

    `resume_state` is where a transition with no fixed target goes (the state before a
    suspension). Returns the transition; the subject is locked, moved and audited.
    """
    subject = lock(session, type(subject), subject.id)
    check_version(workflow, subject, expected=expected_version, role=role)
    move = workflow.check(name, state=subject.state, role=role, reason=reason)
    before = {"state": subject.state, "version": subject.version}
    subject.state = move.target or resume_state
    if subject.state is None:
        raise InvalidInput(f"{name}: nowhere to return to")
    subject.version += 1
    after = {"state": subject.state, "version": subject.version}
    if reason:
        after["reason"] = reason
    audit.record(session, actor=actor, action=f"{workflow.name}.{name}",
                 subject_type=workflow.name, subject_id=subject.id, before=before, after=after)
    return move
