"""The workflow descriptions the pages are drawn from (issue 12 §1): GET /api/v1/workflows
and /api/v1/workflows/{code}, from the kernel's registered case types."""

from core.workflow import case_types
from grid.incidents.enums import FINAL, LABELS_ZH, State
from grid.incidents.workflow import INCIDENT_WORKFLOW


def test_every_registered_case_type_is_described(client):
    response = client.get("/api/v1/workflows")
    assert response.status_code == 200
    assert [one["code"] for one in response.json()] == sorted(
        case_type.code for case_type in case_types.registered())


def test_the_incident_workflow_as_the_pages_read_it(client):
    body = client.get("/api/v1/workflows/incident").json()
    assert (body["platform"], body["subject_type"]) == ("grid", "incident")
    states = {state["name"]: state for state in body["states"]}
    # Statuses read as statuses, from the workflow's own labels.
    assert {name: state["label"] for name, state in states.items()} == {
        str(state): label for state, label in LABELS_ZH.items()}
    assert states["reported"]["label"] == "待受理" and states["handled"]["label"] == "待核查"
    assert {name for name, state in states.items() if state["final"]} == set(map(str, FINAL))
    assert body["final_states"] == sorted(map(str, FINAL))
    assert body["paused_states"] == [State.suspended] and states["suspended"]["paused"]
    assert states["dispatched"]["step"] == "handling" and states["closed"]["step"] is None
    moves = {move["name"]: move for move in body["moves"]}
    assert list(moves) == [t.name for t in INCIDENT_WORKFLOW.transitions]
    assert moves["return"]["needs_reason"] and not moves["accept"]["needs_reason"]
    assert moves["dispatch"]["label"] == "派遣" and moves["dispatch"]["sources"] == [
        "filed", "returned"]
    assert [f["name"] for f in moves["dispatch"]["fields"]] == ["handler_unit_id",
                                                                "handler_user_id"]
    assert moves["dispatch"]["fields"][0]["label"] == "处置单位"
    assert moves["resume"]["target"] is None  # back where it was
    roles = {role["name"]: role["label"] for role in moves["evaluate"]["roles"]}
    assert roles["supervisor"] == "督查领导" and "grid_worker" not in roles


def test_an_unknown_case_type_is_a_404_with_its_code(client):
    response = client.get("/api/v1/workflows/nothing.here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_case_type"


def test_a_bad_name_is_a_422(client):
    assert client.get("/api/v1/workflows/Bad%20Name").status_code == 422


def test_anonymous_callers_get_401(anonymous):
    assert anonymous.get("/api/v1/workflows/incident").status_code == 401
