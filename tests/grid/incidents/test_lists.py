"""Lists and queues: the desk's order (by deadline), counts per state and colour for the
filters, and the queue of hand-offs waiting for my unit's signature."""

from sqlalchemy import text

from tests.grid.incidents.conftest import report, report_body


def listing(client, person, **params):
    response = client.get("/api/v1/incidents", params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_deadline_order_puts_red_then_yellow_first_soonest_due_first(client, session, people):
    township = people["township_staff"]
    page = listing(client, township, sort="deadline", limit=500)
    colour_rank = {"red": 0, "yellow": 1, "green": 2}
    ranks = [colour_rank[item["deadline"]] for item in page["items"]]
    assert ranks == sorted(ranks)
    assert page["total"] == session.scalar(text(
        "SELECT count(*) FROM incident WHERE grid_code LIKE :t || '%'"),
        {"t": township.principal.scope_code})
    # Within a colour, soonest due first (those without a running clock last).
    due = session.execute(text("SELECT id, step_due_at FROM incident WHERE id = ANY(:ids)"),
                          {"ids": [item["id"] for item in page["items"]]}).all()
    due_of = dict(due)
    for colour in colour_rank:
        dues = [due_of[item["id"]] for item in page["items"] if item["deadline"] == colour]
        timed = [d for d in dues if d is not None]
        assert timed == sorted(timed) and dues[:len(timed)] == timed, colour


def test_facets_count_the_filtered_incidents_by_state_and_colour(client, session, people):
    township = people["township_staff"]
    scope = township.principal.scope_code
    page = listing(client, township, facets="true", state="filed", limit=1)
    expected_states = dict(session.execute(text(
        "SELECT state, count(*) FROM incident WHERE grid_code LIKE :t || '%' GROUP BY state"),
        {"t": scope}).all())
    expected_colours = dict(session.execute(text(
        "SELECT deadline, count(*) FROM incident WHERE grid_code LIKE :t || '%' "
        "AND state = 'filed' GROUP BY deadline"), {"t": scope}).all())
    # Every state's count whatever the state filter; the colours of what the list shows.
    assert page["by_state"] == expected_states
    assert page["by_deadline"] == expected_colours
    assert page["total"] == expected_states.get("filed", 0)
    assert listing(client, township, limit=1)["by_state"] is None  # only when asked


def test_the_sign_queue_holds_what_waits_for_my_signature(client, people, place, minor):
    village, township = people["village_staff"], people["township_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    assert incident["id"] not in {i["id"] for i in listing(client, township, queue="sign",
                                                             limit=500)["items"]}
    up = client.post(f"/api/v1/incidents/{incident['id']}/handoffs",
                     json={"version": 1, "kind": "escalate", "reason": "需乡镇协调"},
                     headers=village.headers).json()
    waiting = {i["id"] for i in listing(client, township, queue="sign", limit=500)["items"]}
    assert incident["id"] in waiting
    assert incident["id"] not in {i["id"] for i in listing(client, village, queue="sign",
                                                             limit=500)["items"]}
    client.post(f"/api/v1/incidents/{incident['id']}/handoffs/{up['id']}/sign",
                headers=township.headers)
    assert incident["id"] not in {i["id"] for i in listing(client, township, queue="sign",
                                                             limit=500)["items"]}


def test_unknown_sort_or_queue_is_422(client, people):
    township = people["township_staff"]
    for params in ({"sort": "colour"}, {"queue": "everything"}):
        response = client.get("/api/v1/incidents", params=params, headers=township.headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
