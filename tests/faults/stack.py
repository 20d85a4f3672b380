"""A whole gridgov of the fault suite's own: a PostgreSQL cluster (initdb in a temporary
directory, on a free port), a redis-server, the API under uvicorn, a Celery worker and a
beat, each a process that a test may stop, kill or restart without touching the shared
services on 5432/6379. bench/faults.py drives the same stack to measure.

Nothing here waits for a fixed time: every wait is for a condition, with a generous
deadline (the machine may be loaded).
"""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 300.0  # seconds: far beyond what any step takes, even on a loaded 2-core machine
T = TypeVar("T")


def wait_for(predicate: Callable[[], T], *, what: str, seconds: float = DEADLINE) -> T:
    """The predicate's first truthy value; AssertionError naming `what` at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {seconds:g} s")
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the suite's own, without persistence (tests/grid/incidents/
    test_worker.py's broker too): stopping it disturbs nothing else, and a restart on the
    same port comes back empty, as after a crash."""

    def __init__(self, port: int) -> None:
        self.port, self.process = port, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"], stdout=subprocess.DEVNULL)
        wait_for(self._answers, what="redis-server to start")

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=DEADLINE)


def postgres_bindir() -> Path | None:
    """The newest installed server's binaries (Debian layout), or PG_BINDIR."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throwaway cluster: trust auth, no fsync (a crash of the OS is not the fault
    tested; a crash of PostgreSQL is, and WAL replay covers it)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir, self.port = bindir, _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="gridgov-faults-pg-"))
        self.data = self.root / "data"
        # initdb and postgres refuse to run as root: as root, run them as `postgres`.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user, self.user)

    def url(self, database: str = "gridgov") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def libpq(self, database: str = "gridgov") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bindir / args[0]), *args[1:]], check=True, user=self.user,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=DEADLINE)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        options = {"port": self.port, "listen_addresses": "'127.0.0.1'",
                   "unix_socket_directories": f"'{self.root}'", "fsync": "off",
                   "synchronous_commit": "on", "max_connections": 100,
                   "shared_buffers": "'64MB'", "log_min_messages": "fatal"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in options.items())
        self.start()

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-t", str(int(DEADLINE)), "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: clients disconnected, a clean shutdown; `immediate`: a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def accepting(self) -> bool:
        try:
            psycopg.connect(self.libpq("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class Process:
    """A child process with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.command, self.env, self.logs = name, command, env, logs
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        log = (self.logs / f"{self.name}.log").open("a")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def log(self) -> str:
        path = self.logs / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    logs: Path
    env: dict[str, str]
    api_port: int = field(default_factory=_free_port)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def process(self, name: str, command: list[str], **env: str) -> Process:
        self.processes[name] = Process(name, command, {**self.env, **env}, self.logs)
        return self.processes[name]

    def start_api(self, name: str = "api", port: int | None = None, **env: str) -> Process:
        port = port or self.api_port
        api = self.process(name, [sys.executable, "-m", "uvicorn", "api.main:app",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--log-level", "warning", "--backlog", "512"], **env).start()
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz") or not api.running,
                 what=f"{name} to answer")
        assert api.running, api.log()
        return api

    def start_worker(self, name: str = "worker") -> Process:
        return self.process(name, [sys.executable, "-m", "celery", "-A", "core.celery_app",
                                   "worker", "--pool=threads", "--concurrency=4",
                                   "--loglevel=warning", "--without-gossip",
                                   "--without-mingle", "--hostname", f"{name}@%h"]).start()

    def start_beat(self, name: str = "beat") -> Process:
        return self.process(name, [sys.executable, "-m", "celery", "-A", "core.celery_app",
                                   "beat", "--loglevel=warning",
                                   "--schedule", str(self.logs / f"{name}-schedule")]).start()

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.postgres.libpq(), autocommit=True)

    def ensure_up(self) -> None:
        """Services back up after a test that failed half-way."""
        if not self.postgres.accepting():
            self.postgres.start()
        if self.redis.process is None or self.redis.process.poll() is not None:
            self.redis.start()
        for name, start in (("api", self.start_api), ("worker", self.start_worker),
                            ("beat", self.start_beat)):
            if not self.processes[name].running:
                start()

    def shutdown(self) -> None:
        running = [p for p in self.processes.values() if p.running]
        for process in running:  # all at once, then wait for each
            process.process.terminate()
        for process in running:
            process.stop()
        if self.redis.process is not None and self.redis.process.poll() is None:
            self.redis.stop()
        self.postgres.destroy()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def build_stack(logs: Path) -> Stack:
    """The cluster with the demo city (no history), Redis, the API, a worker and a beat."""
    bindir = postgres_bindir()
    postgres = PrivatePostgres(bindir)
    postgres.init()
    with psycopg.connect(postgres.libpq("postgres"), autocommit=True) as admin:
        admin.execute("CREATE DATABASE gridgov")
    with psycopg.connect(postgres.libpq(), autocommit=True) as db:
        db.execute("CREATE EXTENSION postgis")
    redis = PrivateRedis(_free_port())
    redis.start()
    env = {**os.environ, "DATABASE_URL": postgres.url(), "REDIS_URL": redis.url,
           "ENVIRONMENT": "test", "MEDIA_DIR": str(logs / "media"),
           "OUTBOX_INTERVAL_SECONDS": "1", "SWEEP_INTERVAL_SECONDS": "5",
           # Generous: only the test that exhausts the pool on purpose should see a 503
           # "database_busy" (it starts an API of its own with a short wait).
           "DB_WAIT_SECONDS": "60", "PYTHONUNBUFFERED": "1",
           # One grid worker sends every report: limits far above what the suite sends
           # (still counted in Redis, so a Redis outage still meets them).
           "RATE_LIMIT_REPORTS_PER_MINUTE": "100000", "RATE_LIMIT_WRITES_PER_MINUTE": "100000"}
    stack = Stack(postgres, redis, logs, env)
    try:
        _load(stack)
        stack.start_api()
        stack.start_worker()
        stack.start_beat()
    except BaseException:
        stack.shutdown()
        raise
    return stack


LOAD = """
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from core.migrate import upgrade
from core.settings import get_settings
from grid.demo import load_demo
settings = get_settings()
upgrade(settings.database_url)
with Session(create_engine(settings.database_url)) as session:
    load_demo(session, city_code=settings.demo_city, counts=None, seed=settings.demo_seed,
              password=settings.demo_password, settings=settings)
    session.commit()
"""


def _load(stack: Stack) -> None:
    # In a process of its own: the settings it reads are the stack's, not the suite's.
    done = subprocess.run([sys.executable, "-c", LOAD], env=stack.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


# --- what a client does: report, retrying with the same key ---------------------------------

@dataclass
class Reporter:
    """A grid worker's client: sends reports and retries each with its key until the
    server acknowledges it, as the field app does (Retry-After honoured, capped)."""

    base_url: str
    headers: dict[str, str]
    body: dict
    statuses: list[int] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # key -> incident id
    latencies: list[float] = field(default_factory=list)  # seconds, first attempts only
    answers: list[dict] = field(default_factory=list)  # the 503s' problem bodies
    events: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, status)

    def report(self, client: httpx.Client, key: str | None = None,
               deadline: float = DEADLINE) -> int:
        key = key or f"fault-{uuid.uuid4()}"
        give_up = time.monotonic() + deadline
        first = True
        while True:
            started = time.perf_counter()
            try:
                response = client.post("/api/v1/incidents", json=self.body | {
                    "description": f"故障测试 {key}"}, headers={**self.headers,
                                                             "Idempotency-Key": key})
            except httpx.TransportError:
                self.statuses.append(0)  # no answer (the connection dropped): send again
                response = None
            if first:
                self.latencies.append(time.perf_counter() - started)
                first = False
            self.events.append((time.monotonic(), response.status_code if response else 0))
            if response is not None:
                self.statuses.append(response.status_code)
                if response.status_code == 201:
                    self.acknowledged[key] = response.json()["id"]
                    return response.json()["id"]
                if response.status_code == 503:
                    self.answers.append({**response.json(),
                                         "retry_after": response.headers.get("Retry-After")})
                else:
                    raise AssertionError(f"{response.status_code}: {response.text[:500]}")
            assert time.monotonic() < give_up, f"report {key} never acknowledged"
            time.sleep(_pause(response))


def _pause(response: httpx.Response | None) -> float:
    if response is None or not response.headers.get("Retry-After", "").isdigit():
        return 0.2
    return min(float(response.headers["Retry-After"]), 1.0)
