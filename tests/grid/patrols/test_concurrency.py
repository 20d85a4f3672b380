"""Concurrent point batches: the newest position is never lost and no metre is counted
twice.

How it is checked:
- over HTTP (the live server, committed data, requests really concurrent): rounds of two
  batches of one patrol sent at the same instant from two threads (a barrier releases
  them), the newer fixes and the older ones, then both resent at once. After each round the
  stored points are exactly the union, the patrol's length equals pyproj's geodesic
  length of the union in time order, and `staff_position` holds the newest fix;
- forced interleavings on two database sessions, where timing cannot hide a bug: session
  A stores the newer batch and holds its transaction open; session B's older batch must
  wait for it (the patrol's row lock) and, once A commits, count A's points in its length
  and leave A's newer position alone. The same with two patrols of one worker, where only
  the position's conditional upsert (newest wins) stands between them.
"""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid.patrols import service
from grid.patrols.schemas import PatrolStartIn, PointIn
from tests.grid.patrols.conftest import fixes, forget_patrols, geodesic_length, walker_of


@pytest.fixture(scope="module")
def live_walker(engine, settings, demo_city):
    """The demo grid worker, on committed data; his patrols are removed afterwards."""
    with Session(engine) as session:
        walker = walker_of(session, settings, "demo_grid_worker")
        forget_patrols(session, walker.worker_id)
        session.commit()
    yield walker
    with Session(engine) as session:
        forget_patrols(session, walker.worker_id)
        session.commit()


def _position(engine, worker_id: int):
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, recorded_at FROM staff_position "
            "WHERE user_id = (SELECT user_id FROM grid_worker WHERE id = :w)"),
            {"w": worker_id}).one()


def _patrol(engine, patrol_id: int):
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT p.distance_m, (SELECT count(*) FROM patrol_point WHERE patrol_id = p.id) "
            "AS points FROM patrol p WHERE p.id = :id"), {"id": patrol_id}).one()


def _at(point: dict) -> datetime:
    return datetime.fromisoformat(point["recorded_at"])


def test_two_concurrent_batches_over_http(live_server, engine, live_walker):
    walker = live_walker
    client = httpx.Client(base_url=live_server.url, headers=walker.person.headers, timeout=30)
    start = datetime.now(UTC) - timedelta(hours=2)
    patrol = client.post("/api/v1/patrols", json={"client_key": str(uuid.uuid4()),
                                                  "started_at": start.isoformat()})
    assert patrol.status_code == 201, patrol.text
    patrol_id = patrol.json()["id"]
    sent: list[dict] = []
    for round_ in range(6):
        points = fixes(walker, 40, start=start + timedelta(minutes=10 * round_), every_s=5)
        newer, older = points[20:], points[:20]
        for batches in ((newer, older), (newer, older)):  # then the same two resent at once
            barrier = threading.Barrier(2)
            answers = {}

            def post(name, batch, barrier=barrier, answers=answers):
                barrier.wait()
                answers[name] = client.post(f"/api/v1/patrols/{patrol_id}/points",
                                            json={"points": batch})

            threads = [threading.Thread(target=post, args=(name, batch))
                       for name, batch in zip(("newer", "older"), batches, strict=True)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert {answer.status_code for answer in answers.values()} == {200}
        sent += points
        stored = _patrol(engine, patrol_id)
        assert stored.points == len(sent), f"round {round_}"
        assert stored.distance_m == pytest.approx(geodesic_length(sent), abs=0.01), round_
        newest = max(sent, key=_at)
        position = _position(engine, walker.worker_id)
        assert position.recorded_at == _at(newest), f"round {round_}"
        assert (position.lon, position.lat) == pytest.approx((newest["lon"], newest["lat"]))
    # Every batch's answer said how many of its points were new: the resends none.
    assert _patrol(engine, patrol_id).points == 6 * 40


def _principal(walker):
    return walker.person.principal


def _as_points(points: list[dict]) -> list[PointIn]:
    return [PointIn.model_validate(point) for point in points]


def _start(engine, walker, start: datetime) -> int:
    with Session(engine) as session:
        started = service.start_patrol(session, principal=_principal(walker), data=PatrolStartIn(
            client_key=str(uuid.uuid4()), started_at=start))
        session.commit()
    return started.patrol_id


def _in_background(engine, walker, patrol_id: int, points: list[PointIn]):
    """Send a batch on a session of its own, in a thread; returns (thread, outcome)."""
    outcome = {}

    def run():
        with Session(engine) as session:
            outcome["batch"] = service.add_points(session, principal=_principal(walker),
                                                  patrol_id=patrol_id, points=points)
            session.commit()
    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _waits_on_a_lock(engine, thread: threading.Thread) -> bool:
    """Whether the thread's transaction is blocked on a lock (it sits in pg_stat_activity);
    the bound is generous (a loaded machine is slow to get there), the wait ends when it is."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and thread.is_alive():
        with engine.connect() as connection:
            if connection.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()")):
                return True
        time.sleep(0.05)
    return False


def test_an_older_batch_waits_for_a_newer_one_and_counts_its_points(engine, live_walker):
    walker = live_walker
    start = datetime.now(UTC) - timedelta(hours=1)  # after the HTTP test's fixes
    patrol_id = _start(engine, walker, start)
    points = fixes(walker, 30, start=start + timedelta(minutes=1))
    with Session(engine) as first:
        service.add_points(first, principal=_principal(walker), patrol_id=patrol_id,
                           points=_as_points(points[15:]))
        # Still open: the older batch must wait for this transaction.
        thread, outcome = _in_background(engine, walker, patrol_id, _as_points(points[:15]))
        assert _waits_on_a_lock(engine, thread), "the second batch did not wait"
        first.commit()
    thread.join(timeout=60)
    assert outcome["batch"].accepted == 15
    stored = _patrol(engine, patrol_id)
    assert stored.points == 30
    assert stored.distance_m == pytest.approx(geodesic_length(points), abs=0.01)
    assert _position(engine, walker.worker_id).recorded_at == _at(points[-1])


def test_the_newest_position_wins_across_two_patrols(engine, live_walker):
    """Two patrols of one worker (two phones): no patrol lock is shared, the position's
    conditional upsert alone keeps the newest fix."""
    walker = live_walker
    start = datetime.now(UTC) - timedelta(minutes=50)
    one, two = _start(engine, walker, start), _start(engine, walker, start)
    newest = fixes(walker, 1, start=start + timedelta(minutes=40))
    older = fixes(walker, 1, start=start + timedelta(minutes=20), step_m=0)
    with Session(engine) as first:
        service.add_points(first, principal=_principal(walker), patrol_id=one,
                           points=_as_points(newest))
        thread, _ = _in_background(engine, walker, two, _as_points(older))
        assert _waits_on_a_lock(engine, thread), "the older fix did not wait for the row"
        first.commit()
    thread.join(timeout=60)
    position = _position(engine, walker.worker_id)
    assert position.recorded_at == _at(newest[0])
    assert position.lon == pytest.approx(newest[0]["lon"])
