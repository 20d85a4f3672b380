"""`gridgov backup` and `gridgov restore` (core/backup.py): a restored copy holds every
incident, photo (the file's bytes too) and audit row, and its audit chain verifies."""

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session, sessionmaker

from core.db import session_scope

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COLOURS = [(200, 30, 30), (30, 160, 60), (20, 60, 200), (240, 200, 0)]


def _cli(*args: str, database_url: str, media_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_DIR": str(media_dir)}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _other_database(database_url: str, suffix: str) -> str:
    url = make_url(database_url)
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


def _drop(database_url: str) -> None:
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def backed_up(database_url, engine, settings, demo_city, tmp_path_factory):
    """Three committed reports with four photos in a media directory of the test's own,
    then a backup of the test database: (backup directory, media directory, photo ids)."""
    from grid.incidents import service
    from grid.incidents.schemas import ReportIn
    from tests.grid.incidents.conftest import person_of, place_in_village, png_base64

    media = tmp_path_factory.mktemp("media")
    own = settings.model_copy(update={"media_dir": str(media)})
    with Session(engine) as session:
        village = session.scalar(text("SELECT scope_code FROM app_user "
                                      "WHERE username = 'demo_village_staff'"))
        place = place_in_village(session, settings, village)
        worker = person_of(session, settings, place.worker.principal.username).principal
    for photos in ([COLOURS[0]], [COLOURS[1], COLOURS[2]], [COLOURS[3]]):
        with session_scope(sessionmaker(bind=engine)) as session:
            service.report(session, principal=worker, settings=own,
                           idempotency_key=f"backup-{uuid.uuid4()}", data=ReportIn(
                               location={"type": "Point", "coordinates": [place.lon, place.lat]},
                               category=session.scalar(text(
                                   "SELECT code FROM category WHERE level = 'minor' AND active "
                                   "ORDER BY code LIMIT 1")),
                               description="备份测试",
                               photos=[{"content_type": "image/png", "data": png_base64(c)}
                                       for c in photos]))
    with engine.connect() as connection:
        photo_ids = list(connection.scalars(text(
            "SELECT id FROM attachment ORDER BY id DESC LIMIT 4")))
    done = _cli("backup", "--to", str(tmp_path_factory.mktemp("backups")),
                database_url=database_url, media_dir=media)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1]), media, photo_ids


# What is compared of each row: all of it, but for an audit event its place in the chain,
# which a sealer may give it after the backup (core/audit.py).
ROW = {"incident": "to_jsonb(t)", "attachment": "to_jsonb(t)",
       "audit_event": "to_jsonb(t) - 'seq' - 'prev_hash' - 'hash'"}


def _fingerprints(database_url: str, upto: dict[str, int] | None = None) -> dict:
    """Per table, the highest id, the row count and a digest of every row up to `upto`."""
    url = make_url(database_url).set(drivername="postgresql")
    found = {}
    with psycopg.connect(url.render_as_string(hide_password=False)) as db:
        for table, row in ROW.items():
            top = (upto or {}).get(table) or db.execute(
                f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            count, digest = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(({row})::text, '|' "
                f"ORDER BY t.id), '')) FROM {table} t WHERE t.id <= %s", (top,)).fetchone()
            found[table] = {"max": top, "count": count, "md5": digest}
    return found


def test_a_restored_backup_holds_every_incident_attachment_and_audit_row(
        backed_up, database_url, engine):
    source, media, photo_ids = backed_up
    restored_url = _other_database(database_url, "restored")
    restored_media = source.parent / "restored-media"
    _drop(restored_url)
    try:
        done = _cli("restore", str(source), "--database-url", restored_url,
                    "--media-dir", str(restored_media), database_url=database_url,
                    media_dir=media)
        assert done.returncode == 0, done.stderr
        restored = _fingerprints(restored_url)
        # Rows written after the backup (none are expected) are left out of the comparison.
        original = _fingerprints(database_url, {t: f["max"] for t, f in restored.items()})
        assert restored == original
        assert min(restored[t]["count"] for t in restored) > 0
        with engine.connect() as connection:
            photos = connection.execute(text(
                "SELECT id, path, sha256 FROM attachment WHERE id = ANY(:ids)"),
                {"ids": photo_ids}).all()
        assert len(photos) == 4
        for photo in photos:
            assert photo.id <= restored["attachment"]["max"]
            copy = (restored_media / photo.path).read_bytes()
            assert copy == (media / photo.path).read_bytes()
            assert hashlib.sha256(copy).hexdigest() == photo.sha256
        verify = _cli("audit", "verify", database_url=restored_url, media_dir=restored_media)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "intact" in verify.stdout + verify.stderr
    finally:
        _drop(restored_url)


def test_a_damaged_backup_is_refused_before_anything_is_written(backed_up, database_url,
                                                                tmp_path):
    source, media, _ = backed_up
    damaged = tmp_path / source.name
    damaged.mkdir()
    for file in source.iterdir():
        (damaged / file.name).write_bytes(file.read_bytes())
    archive = bytearray((damaged / "media.tar").read_bytes())
    archive[len(archive) // 3] ^= 0xFF
    (damaged / "media.tar").write_bytes(bytes(archive))
    target = _other_database(database_url, "damaged")
    _drop(target)
    done = _cli("restore", str(damaged), "--database-url", target,
                "--media-dir", str(tmp_path / "media"), database_url=database_url,
                media_dir=media)
    assert done.returncode == 2 and "damaged" in done.stderr, done.stderr
    assert not (tmp_path / "media").exists()
    with psycopg.connect(make_url(database_url).set(drivername="postgresql", database="postgres")
                         .render_as_string(hide_password=False)) as db:
        assert db.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                          (make_url(target).database,)).fetchone()[0] == 0


def test_a_restore_over_a_database_in_use_is_refused(backed_up, database_url, tmp_path):
    source, media, _ = backed_up
    before = _fingerprints(database_url)
    done = _cli("restore", str(source), "--media-dir", str(tmp_path / "media"),
                database_url=database_url, media_dir=media)
    assert done.returncode == 2 and "not empty" in done.stderr, done.stderr
    assert _fingerprints(database_url, {t: f["max"] for t, f in before.items()}) == before
