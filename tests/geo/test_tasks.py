"""The area import as a Celery task, run by a real worker process on the Redis broker."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.tasks import import_areas_task

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def queue(database_url):
    """A worker process of its own, on a queue of its own, against the test database."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "core.celery_app", "worker", "--pool=solo",
         "--queues", name, "--loglevel=warning", "--without-gossip", "--without-mingle"],
        env={**os.environ, "DATABASE_URL": database_url},
    )
    yield name
    worker.terminate()
    worker.wait(timeout=30)


def _square(x: float, y: float, size: float) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def _write(path, features) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "name": name},
         "geometry": {"type": "Polygon", "coordinates": rings}}
        for code, name, rings in features]}))
    return str(path)


def _codes(engine, prefix: str) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(
            text("SELECT code FROM area WHERE code LIKE :p || '%' ORDER BY code"),
            {"p": prefix}).scalars())


def test_worker_imports_a_file_and_rejects_a_bad_one(queue, engine, tmp_path):
    city = _write(tmp_path / "city.geojson", [("970100", "测试市", _square(90, 40, 1))])
    counties = _write(tmp_path / "counties.geojson", [
        ("970101", "甲区", _square(90, 40, 0.5)),
        ("970102", "乙区", _square(90.5, 40, 0.5)),
    ])
    outside = _write(tmp_path / "outside.geojson", [
        ("970103", "丙区", _square(90, 40.5, 0.5)),
        ("970104", "丁区", _square(92, 40, 0.5)),  # a whole degree east of the city
    ])
    try:
        first = import_areas_task.apply_async(args=[city, "city"], queue=queue).get(timeout=120)
        assert first == {"status": "imported", "imported": 1, "level": "city",
                         "crs": "EPSG:4326"}
        second = import_areas_task.apply_async(args=[counties, "county"], queue=queue)
        assert second.get(timeout=60)["imported"] == 2
        rejected = import_areas_task.apply_async(args=[outside, "county"], queue=queue)
        outcome = rejected.get(timeout=60)
        assert outcome["status"] == "rejected"
        assert "970104" in outcome["detail"] and "outside its parent" in outcome["detail"]
        # Committed by the worker for the good files, nothing at all of the bad one.
        assert _codes(engine, "9701") == ["970100", "970101", "970102"]
    finally:
        with Session(engine) as session:
            session.execute(text("DELETE FROM area WHERE level = 'county' AND code LIKE '9701%'"))
            session.execute(text("DELETE FROM area WHERE code = '970100'"))
            session.commit()


def test_import_reports_progress_in_chunks(session, tmp_path):
    """The progress callback the task forwards to Celery sees every chunk, ending at total."""
    import shapely

    from geo.store import NewArea, insert_areas

    seen: list[tuple[int, int]] = []
    areas = [NewArea(f"9602{n:02d}", f"区{n}", "county", None,
                     shapely.box(80 + n, 30, 80.5 + n, 30.5)) for n in range(1, 8)]
    insert_areas(session, areas, progress=lambda done, total: seen.append((done, total)),
                 chunk=3)
    assert seen == [(3, 7), (6, 7), (7, 7)]
