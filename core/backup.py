"""Backups: the database (pg_dump's custom format) and the media directory (photos).

A backup is one directory, `gridgov-<UTC time>`, holding `database.dump`, `media.tar`
and `manifest.json` (what was taken, sizes and SHA-256 of both files). It is written
under a `.partial` name and renamed at the end, so a directory with the final name is
always complete. The database goes first, the photos after: a photo's file is written
before its row commits and never changes, so every photo the dump names is in the tar.

`restore` checks the manifest's checksums before it touches anything, restores the dump
in one transaction into a database that is new or empty (or replaced, when asked), and
unpacks the photos into the media directory.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from core.db import libpq_url
from core.errors import Conflict, InvalidInput

PREFIX = "gridgov-"
DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar"
MANIFEST_FILE = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    database: str
    revision: str | None
    counts: dict[str, int]
    media_files: int
    files: dict[str, dict]  # name -> {"bytes": n, "sha256": hex}


@dataclass(frozen=True)
class Restored:
    database: str
    media_files: int
    counts: dict[str, int]


# What a restore is checked against (the manifest records them at backup time; a table
# the database lacks is left out: incident_photo exists until migration 0014, attachment
# from it).
COUNTED_TABLES = ("incident", "incident_photo", "attachment", "audit_event", "app_user", "area")


def backup(*, database_url: str, media_dir: str | Path, to: str | Path,
           keep: int | None = None, now: datetime | None = None) -> Path:
    """Write a complete backup under `to`; returns its directory. `keep`: how many backups
    to keep there (older complete ones are removed after this one is written)."""
    target = Path(to)
    target.mkdir(parents=True, exist_ok=True)
    name = PREFIX + (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    partial = target / f".{name}.partial"
    partial.mkdir()
    try:
        revision, counts = _dump(libpq_url(database_url), partial / DATABASE_FILE)
        media_files = _tar_media(Path(media_dir), partial / MEDIA_FILE)
        manifest = Manifest(
            format=FORMAT, created_at=datetime.now(UTC).isoformat(),
            database=make_url(database_url).database or "", revision=revision,
            counts=counts, media_files=media_files,
            files={file: _fingerprint(partial / file) for file in (DATABASE_FILE, MEDIA_FILE)})
        (partial / MANIFEST_FILE).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
        final = target / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep is not None:
        prune(target, keep=keep)
    return final


def prune(directory: Path, *, keep: int) -> list[Path]:
    """Remove all but the newest `keep` complete backups in `directory`."""
    if keep < 1:
        raise InvalidInput("keep at least one backup")
    backups = sorted(p for p in directory.iterdir() if p.is_dir() and p.name.startswith(PREFIX))
    removed = backups[:-keep]
    for old in removed:
        shutil.rmtree(old)
    return removed


def read_manifest(source: str | Path) -> Manifest:
    """The backup's manifest, after checking both files against it."""
    source = Path(source)
    try:
        manifest = Manifest(**json.loads((source / MANIFEST_FILE).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput(f"{source} is not a gridgov backup (no readable "
                           f"{MANIFEST_FILE}: {exc})") from None
    if manifest.format != FORMAT:
        raise InvalidInput(f"{source}: backup format {manifest.format}, this version "
                           f"reads {FORMAT}")
    for file, expected in manifest.files.items():
        if not (source / file).is_file() or _fingerprint(source / file) != expected:
            raise InvalidInput(f"{source / file} is missing or does not match the manifest: "
                               "the backup is damaged")
    return manifest


def restore(*, source: str | Path, database_url: str, media_dir: str | Path,
            replace: bool = False) -> Restored:
    """Restore a backup into `database_url` (created if missing; it must be empty unless
    `replace`, which drops and recreates it) and its photos into `media_dir`."""
    source = Path(source)
    manifest = read_manifest(source)
    dsn = libpq_url(database_url)
    _prepare_database(dsn, replace=replace)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={dsn}", str(source / DATABASE_FILE)], "pg_restore")
    media_files = _untar_media(source / MEDIA_FILE, Path(media_dir))
    with psycopg.connect(dsn) as connection:
        _, counts = _describe(connection)
    if counts != manifest.counts:
        raise InvalidInput(f"the restored database holds {counts}, the backup recorded "
                           f"{manifest.counts}: the backup is damaged")
    return Restored(database=make_url(database_url).database or "", media_files=media_files,
                    counts=counts)


# --- the database ----------------------------------------------------------------------

def _run(command: list[str], tool: str) -> None:
    if shutil.which(command[0]) is None:
        raise InvalidInput(f"{tool} is not installed: install the PostgreSQL client "
                           "(postgresql-client, the server's major version or newer)")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise InvalidInput(f"{tool} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")


def _dump(dsn: str, file: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump on a snapshot exported from a transaction that counts the rows on the same
    snapshot: the manifest's counts are exactly the dump's, while writes go on."""
    with psycopg.connect(dsn) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot}", f"--file={file}", f"--dbname={dsn}"], "pg_dump")
        described = _describe(connection)
        connection.rollback()
    return described


def _describe(connection: psycopg.Connection) -> tuple[str | None, dict[str, int]]:
    """The schema revision and the row counts a restore is checked against."""
    revision = connection.execute("SELECT to_regclass('alembic_version')").fetchone()[0] \
        and connection.execute("SELECT version_num FROM alembic_version").fetchone()
    counts = {}
    for table in COUNTED_TABLES:
        if connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]:
            counts[table] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return (revision[0] if revision else None), counts


def _prepare_database(dsn: str, *, replace: bool) -> None:
    url = make_url(dsn)
    name = url.database
    maintenance = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (name,)).fetchone()
        if exists and replace:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or replace:
            admin.execute(f'CREATE DATABASE "{name}"')
            return
    with psycopg.connect(dsn) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' "
            "AND c.relname <> 'spatial_ref_sys'").fetchone()[0]
    if tables:
        raise Conflict(f"database {name} is not empty ({tables} tables): restore into a new "
                       "database, or pass --replace to drop and recreate this one")


# --- the media directory ---------------------------------------------------------------

def _tar_media(media_dir: Path, archive: Path) -> int:
    """Every file under the media directory, paths relative to it (an absent directory
    makes an empty archive: a system without photos yet)."""
    count = 0
    with tarfile.open(archive, "w") as tar:
        if media_dir.is_dir():
            for path in sorted(media_dir.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(media_dir).as_posix(),
                            recursive=False)
                    count += 1
    return count


def _untar_media(archive: Path, media_dir: Path) -> int:
    media_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        # The "data" filter refuses absolute paths, `..` and links out of the directory.
        tar.extractall(media_dir, members=members, filter="data")
    return len(members)


def _fingerprint(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": os.path.getsize(path), "sha256": digest.hexdigest()}
