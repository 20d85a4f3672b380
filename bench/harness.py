"""Timing helpers and the uvicorn subprocess shared by the locate benchmark's methods."""

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data")  # logs and JSON results (git-ignored)
BATCH_REPEATS = 3
READY_SECONDS = 240  # how long uvicorn may take to answer once started

Codes = list[str | None]
Locate = Callable[[float, float], str | None]
LocateAll = Callable[[np.ndarray], Codes]


@dataclass
class Result:
    method: str
    mode: str                   # "single" or "batch"
    points: int
    seconds: float              # wall time of the timed calls
    latencies_ms: np.ndarray | None = None  # per call, single mode only
    codes: Codes = field(default_factory=list)
    baseline: bool = False
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.points / self.seconds

    def percentile(self, q: float) -> float | None:
        return None if self.latencies_ms is None else float(np.percentile(self.latencies_ms, q))


def time_single(method: str, locate: Locate, points: np.ndarray, warmup: np.ndarray, *,
                progress: Progress | None = None, **extra) -> Result:
    """Sequential calls, one point each, after an untimed warm-up."""
    for lon, lat in warmup.tolist():
        locate(lon, lat)
    task = progress.add_task(method, total=len(points)) if progress else None
    latencies = np.empty(len(points))
    codes: Codes = []
    clock = time.perf_counter
    started = clock()
    for k, (lon, lat) in enumerate(points.tolist()):
        t0 = clock()
        codes.append(locate(lon, lat))
        latencies[k] = clock() - t0
        if task is not None and k % 250 == 0:
            progress.update(task, completed=k)
    seconds = clock() - started
    if task is not None:
        progress.remove_task(task)
    return Result(method, "single", len(points), seconds, latencies * 1000, codes, **extra)


def time_batch(method: str, locate_all: LocateAll, points: np.ndarray, **extra) -> Result:
    """The median of BATCH_REPEATS calls with every point, after a small warm-up call."""
    locate_all(points[:500])
    runs, codes = [], []
    for _ in range(BATCH_REPEATS):
        started = time.perf_counter()
        codes = locate_all(points)
        runs.append(time.perf_counter() - started)
    extra.setdefault("note", f"median of {BATCH_REPEATS} calls")
    return Result(method, "batch", len(points), statistics.median(runs), None, list(codes),
                  **extra)


class Server:
    """`uvicorn APP --workers N` (default `api.main:app`, one worker, as `gridgov serve`
    runs it), access log on (to a file), in a subprocess; `env` adds settings. It signs
    tokens with this process's SECRET_KEY (the benchmarks mint theirs with it).

    Another app in another virtualenv (bench/tiles.py runs tipg so): its `python`, the
    `cwd` it runs in and the `ready_path` that answers 200 once it is up."""

    def __init__(self, database_url: str, log_name: str, *, workers: int = 1,
                 app: str = "api.main:app", env: dict[str, str] | None = None,
                 python: str = sys.executable, cwd: Path = ROOT,
                 ready_path: str = "/readyz") -> None:
        self.port = _free_port()
        self.ready_path = ready_path
        self.base = f"http://127.0.0.1:{self.port}"
        DATA.mkdir(exist_ok=True)
        self.log_path = DATA / f"uvicorn-{log_name}.log"
        env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
               **_key_environment(), **(env or {})}
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [python, "-m", "uvicorn", app, "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers)],
            cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(workers)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, workers: int) -> None:
        # 60 s was not enough on a shared machine at load 18 (the app's imports alone
        # took 46 s of wall time with 5 s of CPU).
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited; see {self.log_path}")
            # Every worker process says so once its lifespan has run.
            started = self.log_path.read_text().count("Application startup complete")
            try:
                ready = httpx.get(self.base + self.ready_path, timeout=2).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready and started >= workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not answer in {READY_SECONDS} s; see "
                           f"{self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _key_environment() -> dict[str, str]:
    """ENVIRONMENT=development when the settings' SECRET_KEY is one the API refuses to
    start with in production (the development default on a machine without `.env`): the
    server listens on 127.0.0.1 only, and the environment decides nothing else
    (core/security.py `secret_key_problem`)."""
    from core.security import secret_key_problem
    from core.settings import get_settings

    return {"ENVIRONMENT": "development"} if secret_key_problem(get_settings()) else {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOCATE_PATH = "/api/v1/areas/locate"


def http_locate(client: httpx.Client) -> Locate:
    def locate(lon: float, lat: float) -> str | None:
        r = client.get(LOCATE_PATH, params={"lon": lon, "lat": lat})
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()["grid"]["code"]

    return locate


def http_locate_many(client: httpx.Client) -> LocateAll:
    def locate_all(points: np.ndarray) -> Codes:
        r = client.post(LOCATE_PATH, json={"points": points.tolist()})
        r.raise_for_status()
        return r.json()["grids"]

    return locate_all


def http_healthz(client: httpx.Client) -> Locate:
    def healthz(lon: float, lat: float) -> None:
        client.get("/healthz").raise_for_status()

    return healthz
