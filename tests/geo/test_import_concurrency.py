"""Two imports of the same codes at the same moment: one wins, the other is rejected whole.

Checked with two real connections started together, so both may pass the duplicate check
before either commits; the database's unique index then decides. Either way the loser gets
a clear rejection (never an IntegrityError, a 500) and exactly one row exists.
"""

import json
import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.importer import ImportRejected, import_areas


def _city_file(path, code: str) -> str:
    ring = [[95, 35], [95.5, 35], [95.5, 35.5], [95, 35.5], [95, 35]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": code, "name": "并发市"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return str(path)


def test_concurrent_imports_of_one_code_store_it_once(engine, tmp_path):
    path = _city_file(tmp_path / "city.geojson", "960100")
    start_together = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        with Session(engine) as session:
            start_together.wait()  # start together, so both may find the code still free
            try:
                import_areas(session, path=path, level="city")
                session.commit()
                outcomes.append("imported")
            except ImportRejected as exc:
                session.rollback()
                outcomes.append(exc.detail)

    threads = [threading.Thread(target=run) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes)[-1] == "imported"
        assert "duplicate code" in sorted(outcomes)[0]
        with Session(engine) as session:
            assert session.execute(
                text("SELECT count(*) FROM area WHERE code = '960100'")).scalar() == 1
    finally:
        with Session(engine) as session:
            session.execute(text("DELETE FROM area WHERE code = '960100'"))
            session.commit()
