"""Intake benchmark: reports/s through the HTTP API, against a bare INSERT ... ST_Intersects.

    .venv/bin/python bench/intake.py [--clients 1,8,32] [--reports N] [--server-workers N]
                                     [--regenerate] [--markdown] [--seed N]

Grid workers of the demo city report incidents (上报) through `POST /api/v1/incidents` on
a real `uvicorn api.main:app` in a subprocess (access log on, to a file; one worker
process as `gridgov serve` runs it, or --server-workers N), at 1, 8 and 32
concurrent clients. Each client is a thread with its own keep-alive `httpx.Client`; each
request is a real report: a worker's own token (minted with the server's secret for the
worker's account), a random point inside one of that worker's own grids, a random active
小类, a fresh Idempotency-Key. The request path is all of it: token check, locate, scope,
category and time limit, the insert (in a savepoint, for the idempotency key), the
working-calendar clock, the duplicate search, timeline, audit (hash-chained log), outbox, the
detail the route returns, the commit and the outbox kick to the broker.

Baseline, at the same concurrency and on the same points: one psycopg connection per
thread (autocommit, prepared) inserting the incident with

    INSERT INTO incident (...) SELECT ... FROM area WHERE level = 'grid'
                                            AND ST_Intersects(geom, <point>) LIMIT 1

Every report's grid (HTTP and bare) is checked against the grid the point was drawn in,
and every 201's incident against the audit log: its `incident.report` event must exist
(it is written in the request's transaction, which commits before the 201). No beat runs
here, so the events stay unsealed until the end, when the script seals them and verifies
the whole chain (`audit:` line).

Each row is printed with its reports/s as a ratio to the bare INSERT of the same
concurrency in the same run, p50/p95/p99, and the load average (/proc/loadavg) as it
began: the machine is shared. Besides, each run says where the two cores went (CPU
seconds per second of the bench process, i.e. the clients; the uvicorn process tree; the
PostgreSQL backends of the bench database; everything else on the machine, from
/proc/stat) and, sampled ten times a second from pg_stat_activity, how many backends of
the bench database were waiting for a lock and how many sat idle inside an open
transaction.

The request's session commits before the response is sent (core/deps.py, dependency
scope "function"), so a client's latency includes the COMMIT.

Data: a database of its own, `gridgov_bench_intake`, holding the demo city as
grid.demo.load_demo loads it without incident history: the areas bench/datasets.py loads
into gridgov_bench_city with the same seed, plus the grid workers and their accounts,
which the city bench database does not have. The incident table starts empty (each run
adds its reports and removes them). Created on first use, reused afterwards. The
server's broker is a Redis database of its own (REDIS_DB below). What a run adds is
removed at the end: its incidents (with their reporters and the kernel's rows about them:
clocks, timeline, hand-offs, links, attachments), its outbox messages and its broker
keys. Audit events cannot be removed (the audit log refuses DELETE, by design): each run
leaves its reports' audit events behind in this database.
"""

import argparse
import itertools
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
import shapely  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from shapely.strtree import STRtree  # noqa: E402
from sqlalchemy import create_engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.datasets import _recreate_database, database_url, libpq_url  # noqa: E402
from bench.harness import DATA, Server  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.progress import stage_bars  # noqa: E402
from core.security import Principal, create_access_token  # noqa: E402
from core.settings import get_settings  # noqa: E402
from core.users.enums import Role  # noqa: E402

INTAKE_DB = "gridgov_bench_intake"
REDIS_DB = 15            # the server's broker during the run (its new keys are removed)
WARMUP_PER_CLIENT = 3    # untimed requests per client before each timed run
REPORT_PATH = "/api/v1/incidents"
DESCRIPTIONS = ["路边垃圾堆积，影响通行", "井盖缺失，存在安全隐患", "占道经营，堵塞人行道",
                "路灯损坏，夜间照明不足", "邻里噪音纠纷，需调解", "违规张贴小广告"]

BARE_INSERT = """
    INSERT INTO incident (category_id, urgency, source, description, address, geom,
                          grid_id, grid_code, reporter_id, idempotency_key, state, version,
                          owner_code, owner_platform, reported_at, deadline,
                          ever_overdue, rework_count, return_count, escalation_count,
                          duplicate_candidates)
    SELECT %(category_id)s, 'normal', 'grid_worker', %(description)s, '', p.geom,
           a.id, a.code, %(reporter_id)s, %(key)s, 'reported', 1,
           substr(a.code, 1, 12), 'grid', now(), 'green', false, 0, 0, 0, '[]'
    FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom) AS p
    JOIN area a ON a.level = 'grid' AND ST_Intersects(a.geom, p.geom)
    LIMIT 1
    RETURNING grid_code"""

console = Console(width=None if sys.stdout.isatty() else 170)
err = Console(stderr=True)


# --- the database ----------------------------------------------------------------------

def ensure_database(*, regenerate: bool = False) -> str:
    """gridgov_bench_intake: the demo city with its grid workers and accounts, migrated to
    head; created and loaded when missing, incomplete or asked to."""
    url = database_url(INTAKE_DB)
    if not regenerate and _complete(url):
        upgrade(url)
        return url
    started = time.perf_counter()
    _recreate_database(url)
    from grid.demo import load_demo

    settings = get_settings()
    engine = create_engine(url)
    try:
        with stage_bars() as update, Session(engine) as session:
            err.print(f"loading the demo city {settings.demo_city} with its workers "
                      f"into {INTAKE_DB}")
            load_demo(session, city_code=settings.demo_city, counts=None,
                      seed=settings.demo_seed, password=settings.demo_password, stage=update)
            session.commit()
    finally:
        engine.dispose()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    err.print(f"{INTAKE_DB} ready in {time.perf_counter() - started:.0f} s")
    return url


def _complete(url: str) -> bool:
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            city, accounts = conn.execute(
                "SELECT (SELECT count(*) FROM area WHERE level = 'city'), "
                "(SELECT count(*) FROM grid_worker WHERE user_id IS NOT NULL)").fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return False
    return city == 1 and accounts > 0


# --- the reports -------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    user_id: int
    username: str
    scope_code: str
    grids: tuple[int, ...]  # indexes into Reference.codes
    headers: dict[str, str] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Job:
    account: Account
    lon: float
    lat: float
    grid_code: str
    category_code: str
    category_id: int
    description: str


@dataclass
class Reference:
    codes: list[str]
    geoms: np.ndarray
    tree: STRtree
    accounts: list[Account]
    categories: list[tuple[int, str]]  # (id, code) of every active 小类


def load_reference(url: str) -> Reference:
    secret = get_settings().secret_key
    with psycopg.connect(libpq_url(url)) as conn:
        grids = conn.execute("SELECT id, code, ST_AsBinary(geom) FROM area "
                             "WHERE level = 'grid' ORDER BY code").fetchall()
        index = {row[0]: k for k, row in enumerate(grids)}
        rows = conn.execute("""
            SELECT u.id, u.username, u.scope_code, array_agg(ga.grid_id ORDER BY ga.grid_id)
            FROM app_user u JOIN grid_worker w ON w.user_id = u.id
            JOIN grid_assignment ga ON ga.worker_id = w.id
            WHERE u.role = 'grid_worker' AND u.is_active
            GROUP BY u.id ORDER BY u.id""").fetchall()
        categories = conn.execute("""
            SELECT c.id, c.code FROM category c JOIN category m ON m.id = c.parent_id
            WHERE c.level = 'minor' AND c.active AND m.active ORDER BY c.code""").fetchall()
    accounts = []
    for user_id, username, scope_code, grid_ids in rows:
        token = create_access_token(Principal(user_id, username, Role.grid_worker, scope_code),
                                    secret=secret, minutes=120)
        accounts.append(Account(user_id, username, scope_code,
                                tuple(index[g] for g in grid_ids),
                                {"Authorization": f"Bearer {token}"}))
    geoms = shapely.from_wkb([bytes(r[2]) for r in grids])
    tree = STRtree(geoms)
    return Reference([r[1] for r in grids], geoms, tree, accounts, list(categories))


def make_jobs(ref: Reference, n: int, rng: np.random.Generator) -> list[Job]:
    """n reports: a random worker, a random point strictly inside one of their grids (in
    no other grid), a random 小类."""
    jobs = []
    for _ in range(n):
        account = ref.accounts[rng.integers(len(ref.accounts))]
        grid = account.grids[rng.integers(len(account.grids))]
        lon, lat = _point_in(ref, grid, rng)
        category_id, category_code = ref.categories[rng.integers(len(ref.categories))]
        jobs.append(Job(account, lon, lat, ref.codes[grid], category_code, category_id,
                        DESCRIPTIONS[rng.integers(len(DESCRIPTIONS))]))
    return jobs


def _point_in(ref: Reference, grid: int, rng: np.random.Generator) -> tuple[float, float]:
    geom = ref.geoms[grid]
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(1000):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not shapely.contains_xy(geom, lon, lat):
            continue
        hits = ref.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 1:
            return round(float(lon), 7), round(float(lat), 7)
    raise RuntimeError(f"no point found inside grid {ref.codes[grid]}")


# --- the server ---------------------------------------------------------------------------


# --- CPU accounting (who used the two cores) ----------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(int(stat[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, everything but idle and
    iowait) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK  # user..steal, less idle, iowait


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """utime + stime of each process still alive."""
    out = {}
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            out[pid] = (int(stat[11]) + int(stat[12])) / TICK
    return out


class CpuMeter:
    """CPU seconds used during a run by the bench process (clients), the server's process
    tree, and the PostgreSQL backends connected to the bench database."""

    def __init__(self, url: str, admin_conn: psycopg.Connection, server_pid: int | None):
        self.admin, self.server_pid = admin_conn, server_pid
        self.database = make_url(url).database
        self.sampler = Sampler(libpq_url(url), self.database)

    def _backends(self) -> list[int]:
        return [r[0] for r in self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.database,))]

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.machine0 = machine_busy_seconds()
        self.client0 = time.process_time()
        self.server0 = cpu_seconds(process_tree(self.server_pid)) if self.server_pid else {}
        self.db0 = cpu_seconds(self._backends())
        self.sampler.start()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        client = time.process_time() - self.client0
        server = sum(v - self.server0.get(pid, 0.0) for pid, v in
                     cpu_seconds(process_tree(self.server_pid)).items()) \
            if self.server_pid else 0.0
        db = sum(v - self.db0.get(pid, 0.0) for pid, v in
                 cpu_seconds(self._backends()).items())
        machine = machine_busy_seconds() - self.machine0
        self.states = self.sampler.stop()
        # Cores busy on average during the run, per part; "other": everything else on the
        # machine (other sessions' work, PostgreSQL's WAL writer and checkpointer, ...).
        return {"client": client / wall, "server": server / wall, "postgres": db / wall,
                "other": max(0.0, machine - client - server - db) / wall}


class Sampler:
    """The bench database's backends, ten times a second, from a connection to another
    database (so it is not one of them): how many wait for a lock, how many sit idle in
    an open transaction (the application is busy between two statements, or has not
    committed yet), how many run a statement. Averages over the run."""

    QUERY = """SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'),
                      count(*) FILTER (WHERE state = 'idle in transaction'),
                      count(*) FILTER (WHERE state = 'active' AND wait_event_type IS
                                       DISTINCT FROM 'Lock')
               FROM pg_stat_activity WHERE datname = %s"""

    def __init__(self, conninfo: str, database: str) -> None:
        self.conninfo = psycopg.conninfo.make_conninfo(conninfo, dbname="postgres")
        self.database = database

    def start(self) -> None:
        self.samples: list[tuple[int, int, int]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.done.wait(0.1):
                self.samples.append(conn.execute(self.QUERY, (self.database,)).fetchone())

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.thread.join()
        n = max(len(self.samples), 1)
        return {name: sum(s[k] for s in self.samples) / n
                for k, name in enumerate(("lock_wait", "idle_in_tx", "running"))}


# --- timed runs -----------------------------------------------------------------------------

@dataclass
class Run:
    method: str
    clients: int
    reports: int
    seconds: float
    latencies_ms: np.ndarray
    wrong: list[str]      # reports whose grid or status was not what was expected
    cpu: dict[str, float]
    states: dict[str, float]  # bench database backends: Sampler
    baseline: bool = False
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)  # /proc/loadavg as the run began
    # HTTP: (201s whose `incident.report` audit event exists, 201s), warm-up included
    audited: tuple[int, int] | None = None

    @property
    def per_second(self) -> float:
        return self.reports / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))


Connect = Callable[[], object]
Send = Callable[[object, Job], str | None]  # the grid code stored, or an error text


def run_concurrent(method: str, clients: int, jobs: list[Job], warmup: list[Job],
                   connect: Connect, send: Send, close: Callable[[object], None],
                   meter: CpuMeter, *, baseline: bool = False) -> Run:
    """`clients` threads, each with its own connection, take jobs from one shared counter
    until none are left; the clock runs from when all are connected and warm to when the
    last one finishes."""
    latencies = np.zeros(len(jobs))
    results: list[str | None] = [None] * len(jobs)
    counter = itertools.count()
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    failures: list[BaseException] = []
    warm = iter(warmup)
    warm_lock = threading.Lock()

    def client() -> None:
        conn = None
        try:
            conn = connect()
            for _ in range(WARMUP_PER_CLIENT):
                with warm_lock:
                    job = next(warm)
                send(conn, job)
        except BaseException as exc:  # reported after the run
            failures.append(exc)
        try:
            ready.wait()
            go.wait()
            if failures:
                return
            clock = time.perf_counter
            while (k := next(counter)) < len(jobs):
                t0 = clock()
                results[k] = send(conn, jobs[k])
                latencies[k] = clock() - t0
        except BaseException as exc:
            failures.append(exc)
        finally:
            if conn is not None:
                conns.append(conn)

    conns: list[object] = []
    threads = [threading.Thread(target=client, name=f"{method}-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    load = proc_loadavg()
    meter.start()
    go.set()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - meter.t0
    cpu = meter.stop()  # before closing: the bare connections' backends are still there
    for conn in conns:
        close(conn)
    if failures:
        raise failures[0]
    wrong = [f"job {k}: {got!r}, expected {job.grid_code}"
             for k, (job, got) in enumerate(zip(jobs, results, strict=True))
             if got != job.grid_code]
    return Run(method, clients, len(jobs), seconds, latencies * 1000, wrong, cpu,
               meter.states, baseline, load)


def proc_loadavg() -> tuple[float, float, float]:
    """The 1-, 5- and 15-minute load averages (`cat /proc/loadavg`)."""
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def http_methods(base: str, reported: list[int]) -> tuple[Connect, Send, Callable]:
    """`reported` collects the incident id of every 201 (to check each was audited)."""

    def connect() -> httpx.Client:
        return httpx.Client(base_url=base, timeout=120)

    def send(client: httpx.Client, job: Job) -> str | None:
        body = {"location": {"type": "Point", "coordinates": [job.lon, job.lat]},
                "category": job.category_code, "description": job.description,
                "accuracy_m": 8.0}
        r = client.post(REPORT_PATH, json=body, headers={
            **job.account.headers, "Idempotency-Key": str(uuid.uuid4())})
        if r.status_code != 201 or r.headers.get("Idempotent-Replayed"):
            return f"HTTP {r.status_code}: {r.text[:300]}"
        body = r.json()
        reported.append(body["id"])
        return body["grid"]["code"]

    return connect, send, lambda client: client.close()


def bare_methods(url: str) -> tuple[Connect, Send, Callable]:
    def connect() -> psycopg.Connection:
        return psycopg.connect(libpq_url(url), autocommit=True)

    def send(conn: psycopg.Connection, job: Job) -> str | None:
        row = conn.execute(BARE_INSERT, {
            "category_id": job.category_id, "description": job.description,
            "reporter_id": job.account.user_id, "key": str(uuid.uuid4()),
            "lon": job.lon, "lat": job.lat}, prepare=True).fetchone()
        return row[0] if row else None

    return connect, send, lambda conn: conn.close()


# --- leaving the database as found ---------------------------------------------------------

@dataclass
class Marks:
    incident: int
    outbox: int
    audit: int
    redis_keys: set[bytes]
    indexes: int  # on incident: each report's insert (and its update) writes every one


def marks(url: str, broker: redis.Redis) -> Marks:
    with psycopg.connect(libpq_url(url)) as conn:
        incident, outbox, audit = conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM incident), "
            "(SELECT coalesce(max(id), 0) FROM outbox_message), "
            "(SELECT count(*) FROM audit_event)").fetchone()
        indexes = conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'incident'"
                               ).fetchone()[0]
    return Marks(incident, outbox, audit, set(broker.keys("*")), indexes)


# The kernel's rows about a subject name it without a foreign key (tests/factories.py).
KERNEL_TABLES = ("case_clock", "timeline_event", "handoff", "attachment")


def clean_up(url: str, before: Marks, broker: redis.Redis) -> dict[str, int]:
    """Remove what the run added: incidents (with the kernel's rows about them; their
    reporters cascade), outbox messages, the broker's new keys. Audit events stay: the
    log refuses DELETE."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for table in KERNEL_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE subject_type = 'incident' "
                         "AND subject_id > %s", (before.incident,))
        conn.execute("DELETE FROM case_link WHERE (a_type = 'incident' AND a_id > %(id)s) "
                     "OR (b_type = 'incident' AND b_id > %(id)s)", {"id": before.incident})
        incidents = conn.execute("DELETE FROM incident WHERE id > %s",
                                 (before.incident,)).rowcount
        outbox = conn.execute("DELETE FROM outbox_message WHERE id > %s",
                              (before.outbox,)).rowcount
        audit = conn.execute("SELECT count(*) FROM audit_event").fetchone()[0] - before.audit
        for table in ("incident", "incident_reporter", "outbox_message", *KERNEL_TABLES):
            conn.execute(f"VACUUM ANALYZE {table}")
    new_keys = set(broker.keys("*")) - before.redis_keys
    if new_keys:
        broker.delete(*new_keys)
    return {"incidents": incidents, "outbox": outbox, "audit_left": audit,
            "broker_keys": len(new_keys)}


# --- the whole run ---------------------------------------------------------------------------

def run(*, clients: list[int], reports: int, server_workers: int, regenerate: bool, seed: int,
        app: str = "api.main:app") -> dict:
    url = ensure_database(regenerate=regenerate)
    ref = load_reference(url)
    rng = np.random.default_rng(seed)
    warm_n = WARMUP_PER_CLIENT * max(clients)
    redis_url = _redis_db_url(get_settings().redis_url, REDIS_DB)
    broker = redis.Redis.from_url(redis_url)
    before = marks(url, broker)
    console.rule(f"[bold]intake[/]: {len(ref.codes):,} grids, {len(ref.accounts):,} grid "
                 f"worker accounts, {len(ref.categories)} 小类 in {INTAKE_DB}; "
                 f"{reports:,} reports per run; uvicorn with {server_workers} worker(s); "
                 f"{before.indexes} indexes on incident")
    runs: list[Run] = []
    load_before = os.getloadavg()
    admin = psycopg.connect(libpq_url(url), autocommit=True)
    try:
        with Server(url, "intake", workers=server_workers, app=app,
                    env={"REDIS_URL": redis_url}) as server:
            for n in clients:
                jobs = make_jobs(ref, reports, rng)
                meter = CpuMeter(url, admin, None)
                runs.append(run_concurrent("bare INSERT, psycopg", n, jobs,
                                           make_jobs(ref, warm_n, rng), *bare_methods(url),
                                           meter, baseline=True))
                _print_run(runs[-1])
                meter = CpuMeter(url, admin, server.process.pid)
                reported: list[int] = []
                runs.append(run_concurrent("HTTP POST /incidents", n, jobs,
                                           make_jobs(ref, warm_n, rng),
                                           *http_methods(server.base, reported), meter))
                runs[-1].audited = (audited(admin, reported), len(reported))
                _print_run(runs[-1], runs[-2])
        chain = seal_and_verify(url)
    finally:
        admin.close()
        cleaned = clean_up(url, before, broker)
    load_after = os.getloadavg()
    cleaned["incident_indexes"] = before.indexes
    return _report(runs, load_before, load_after, server_workers, cleaned, ref, app, chain)


def audited(admin: psycopg.Connection, incident_ids: list[int]) -> int:
    """How many of these incidents have the audit event of their report (written in the
    request's transaction, so before its 201)."""
    return admin.execute(
        "SELECT count(DISTINCT subject_id) FROM audit_event WHERE subject_type = 'incident' "
        "AND action = 'incident.report' AND subject_id = ANY(%s)",
        ([str(i) for i in incident_ids],)).fetchone()[0]


def seal_and_verify(url: str) -> str:
    """Seal what the runs wrote (no beat runs here) and verify the whole chain."""
    from core.audit import seal_all, verify_chain
    from core.db import make_sessionmaker

    engine = create_engine(url)
    try:
        started = time.perf_counter()
        sealed = seal_all(make_sessionmaker(engine))
        sealing = time.perf_counter() - started
        with Session(engine) as session:
            verdict = verify_chain(session).verdict()
    finally:
        engine.dispose()
    err.print(f"audit: sealed {sealed:,} events in {sealing:.2f} s; {verdict}")
    return f"sealed {sealed:,} in {sealing:.2f} s; {verdict}"


def _redis_db_url(url: str, db: int) -> str:
    base, _, last = url.rpartition("/")
    return f"{base}/{db}" if last.isdigit() else f"{url.rstrip('/')}/{db}"


def _print_run(r: Run, base: Run | None = None) -> None:
    ratio = f", × bare {r.per_second / base.per_second:.3f}" if base else ""
    err.print(f"  {r.method:<22} {r.clients:>2} clients: {r.per_second:8,.1f}/s  "
              f"p50 {r.percentile(50):7.2f}  p95 {r.percentile(95):7.2f}  "
              f"p99 {r.percentile(99):7.2f} ms{ratio}  cores: "
              + " ".join(f"{k} {v:.2f}" for k, v in r.cpu.items())
              + "  backends: " + " ".join(f"{k} {v:.1f}" for k, v in r.states.items())
              + f"  load {r.load[0]:.2f}"
              + (f"  audited {r.audited[0]:,}/{r.audited[1]:,}" if r.audited else ""))


def _report(runs: list[Run], load_before, load_after, server_workers: int,
            cleaned: dict[str, int], ref: Reference, app: str, chain: str) -> dict:
    base = {r.clients: r for r in runs if r.baseline}
    table = Table(title=f"intake: reports through HTTP ({app} on uvicorn, {server_workers} "
                        f"worker(s)) "
                        f"and bare INSERT ... ST_Intersects", title_justify="left")
    for column in ("method", "clients", "reports", "reports/s", "p50 ms", "p95 ms",
                   "p99 ms", "× bare INSERT", "cores: client", "server", "postgres",
                   "other", "lock wait", "idle in tx", "load", "ok", "audited"):
        table.add_column(column, justify="left" if column == "method" else "right")
    rows = []
    for r in runs:
        row = {"method": r.method, "clients": r.clients, "reports": r.reports,
               "seconds": r.seconds, "per_second": r.per_second,
               "p50_ms": r.percentile(50), "p95_ms": r.percentile(95),
               "p99_ms": r.percentile(99), "max_ms": r.percentile(100),
               "mean_ms": float(r.latencies_ms.mean()),
               "vs_bare": r.per_second / base[r.clients].per_second,
               "cpu_cores": r.cpu, "backends": r.states, "wrong": len(r.wrong),
               "wrong_examples": r.wrong[:5], "load_average": r.load, "audited": r.audited}
        rows.append(row)
        table.add_row(r.method, str(r.clients), f"{r.reports:,}", f"{r.per_second:,.1f}",
                      f"{row['p50_ms']:.2f}", f"{row['p95_ms']:.2f}", f"{row['p99_ms']:.2f}",
                      f"{row['vs_bare']:.3f}", f"{r.cpu['client']:.2f}",
                      f"{r.cpu['server']:.2f}" if not r.baseline else "—",
                      f"{r.cpu['postgres']:.2f}", f"{r.cpu['other']:.2f}",
                      f"{r.states['lock_wait']:.1f}",
                      f"{r.states['idle_in_tx']:.1f}", f"{r.load[0]:.2f}",
                      f"{r.reports - len(r.wrong):,}/{r.reports:,}" if not r.wrong else
                      f"[red]{r.reports - len(r.wrong):,}/{r.reports:,}[/]",
                      "—" if r.audited is None else f"{r.audited[0]:,}/{r.audited[1]:,}")
    console.print(table)
    for r in runs:
        for line in r.wrong[:3]:
            console.print(f"[red]{r.method}, {r.clients} clients: {line}")
    console.print(f"1-min load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
                  f"(5-min {load_before[1]:.2f}/{load_after[1]:.2f}) on {os.cpu_count()} CPUs. "
                  f"Cleaned up: {cleaned['incidents']:,} incidents, {cleaned['outbox']:,} "
                  f"outbox messages, {cleaned['broker_keys']} broker keys; "
                  f"{cleaned['audit_left']:,} audit events stay (append-only). Audit log: "
                  f"{chain}.")
    from bench.locate import machine, server_versions

    report = {"runs": rows, "server_workers": server_workers, "app": app,
              "load_average": {"before": load_before, "after": load_after},
              "grids": len(ref.codes), "accounts": len(ref.accounts),
              "categories": len(ref.categories), "cleaned": cleaned, "audit_chain": chain,
              "machine": machine(), "versions": server_versions(database_url(INTAKE_DB)),
              "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    DATA.mkdir(exist_ok=True)
    variant = "" if app == "api.main:app" else "-" + app.replace(":", "-")
    (DATA / f"intake-w{server_workers}{variant}.json").write_text(
        json.dumps(report, indent=1, default=str))
    return report


def markdown_table(report: dict) -> str:
    load = report["load_average"]
    lines = [f"{report['app']} on uvicorn with {report['server_workers']} worker(s), "
             f"{report['cleaned']['incident_indexes']} indexes on incident, {report['when']}, load "
             f"average {load['before'][0]:.2f} before / {load['after'][0]:.2f} after",
             "",
             "| method | clients | reports/s | p50 ms | p95 ms | p99 ms | × bare INSERT "
             "| cores used: client / server / postgres / other | backends waiting on a lock "
             "| backends idle in transaction | load (1/5/15 min) at start |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in report["runs"]:
        cpu = r["cpu_cores"]
        server = "—" if r["method"].startswith("bare") else f"{cpu['server']:.2f}"
        lines.append(f"| {r['method']} | {r['clients']} | {r['per_second']:,.1f} | "
                     f"{r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['vs_bare']:.3f} | {cpu['client']:.2f} / {server} / "
                     f"{cpu['postgres']:.2f} / {cpu['other']:.2f} | "
                     f"{r['backends']['lock_wait']:.1f} | "
                     f"{r['backends']['idle_in_tx']:.1f} | "
                     + " / ".join(f"{v:.2f}" for v in r["load_average"]) + " |")
    return "\n".join(lines + ["", f"Audit log: {report['audit_chain']}."])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,8,32",
                        help="concurrent clients, comma-separated (default 1,8,32)")
    parser.add_argument("--reports", type=int, default=1000,
                        help="timed reports per run (default 1000)")
    parser.add_argument("--server-workers", type=int, default=1,
                        help="uvicorn worker processes (default 1, as `gridgov serve` and the "
                             "compose file run it; 2 is one per core of this machine)")
    parser.add_argument("--regenerate", action="store_true",
                        help="drop and rebuild gridgov_bench_intake first")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown (for bench/README.md)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--app", default="api.main:app",
                        help="the ASGI app uvicorn serves (default api.main:app); another "
                             "module:attribute to compare a variant of the app")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    if args.reports < 50 or min(clients) < 1:
        parser.error("use at least 50 reports and 1 client")
    started = time.perf_counter()
    report = run(clients=clients, reports=args.reports, server_workers=args.server_workers,
                 regenerate=args.regenerate, seed=args.seed, app=args.app)
    console.print(f"machine: {report['machine']}; {report['versions']}")
    if args.markdown:
        console.print(markdown_table(report), soft_wrap=True, markup=False, highlight=False)
    console.print(f"total {time.perf_counter() - started:.0f} s")
    unaudited = any(r["audited"] and r["audited"][0] != r["audited"][1] for r in report["runs"])
    return 1 if unaudited or any(r["wrong"] for r in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
