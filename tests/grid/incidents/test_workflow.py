"""Every lifecycle move, allowed and refused, by role and by state.

The expectation is written out here independently of grid/incidents/workflow.py (the
national seven steps and the side states, as the issue describes them), and every
(move, state, role) combination is checked against it.
"""

import pytest

from core.errors import Conflict, Forbidden, InvalidInput
from core.users.enums import Role
from grid.incidents.enums import State
from grid.incidents.workflow import INCIDENT_WORKFLOW

CENTRE = {Role.village_staff, Role.township_staff, Role.county_dispatcher}
HANDLER = CENTRE | {Role.grid_worker, Role.enforcement_officer, Role.market_inspector,
                    Role.service_clerk}
VERIFIER = CENTRE | {Role.grid_worker}
LEADER = CENTRE | {Role.supervisor}
WORKING = {"filed", "dispatched", "handling", "rework"}

# move: (from which states, to which state (None: back where it was), who)
EXPECTED = {
    "file": ({"reported"}, "filed", CENTRE),
    "dispatch": ({"filed", "returned"}, "dispatched", CENTRE),
    "accept": ({"dispatched"}, "handling", HANDLER),
    "return": ({"dispatched"}, "returned", HANDLER),
    "handle": ({"handling", "rework"}, "handled", HANDLER),
    "verify": ({"handled"}, "verified", VERIFIER),
    "rework": ({"handled"}, "rework", VERIFIER),
    "close": ({"verified"}, "closed", CENTRE),
    "evaluate": ({"closed"}, "evaluated", LEADER),
    "suspend": (WORKING, "suspended", LEADER),
    "resume": ({"suspended"}, None, LEADER),
    "void": ({"reported", "filed", "returned"}, "void", CENTRE),
    "merge": ({"reported", "filed"}, "merged", CENTRE),
}
NEEDS_REASON = {"return", "rework", "suspend", "void"}


def test_the_workflow_declares_exactly_the_expected_moves():
    assert set(INCIDENT_WORKFLOW.by_name) == set(EXPECTED)
    for name, (sources, target, _roles) in EXPECTED.items():
        move = INCIDENT_WORKFLOW.get(name)
        assert move.sources == sources and move.target == target, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("role", list(Role))
def test_each_move_from_each_state_by_each_role(name, state, role):
    sources, _target, roles = EXPECTED[name]
    reason = "a reason" if name in NEEDS_REASON else None
    if role not in roles:
        with pytest.raises(Forbidden):
            INCIDENT_WORKFLOW.check(name, state=state, role=role, reason=reason)
    elif state not in sources:
        with pytest.raises(Conflict) as refused:
            INCIDENT_WORKFLOW.check(name, state=state, role=role, reason=reason)
        allowed = [n for n, (s, _t, r) in EXPECTED.items() if state in s and role in r]
        assert refused.value.extra == {"current_state": state, "allowed": allowed}
        assert all(n in refused.value.detail for n in allowed)
    else:
        assert INCIDENT_WORKFLOW.check(name, state=state, role=role, reason=reason).name == name


@pytest.mark.parametrize("name", sorted(NEEDS_REASON))
def test_moves_that_need_a_reason_refuse_a_blank_one(name):
    sources, _target, roles = EXPECTED[name]
    with pytest.raises(InvalidInput, match="needs a reason"):
        INCIDENT_WORKFLOW.check(name, state=sorted(sources)[0], role=sorted(roles)[0],
                                reason="  ")


def test_an_unknown_move_is_invalid_input_naming_the_moves():
    with pytest.raises(InvalidInput, match="file, dispatch"):
        INCIDENT_WORKFLOW.check("teleport", state="reported", role=Role.village_staff)
