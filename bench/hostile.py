"""Hostile bodies against a real server: does `/healthz` still answer while they arrive?

    .venv/bin/python bench/hostile.py [--rounds 6] [--slice 1] [--healthz-clients 2]
                                      [--pause 0.1] [--no-unguarded]

Issue 11 §3 measured one 5 MB body holding a 2.5-million-item array: it was parsed and
validated on the event loop for 72 s and answered with a 575 MB list of errors, and
`/healthz` did not answer for 38 s. This script serves `uvicorn api.main:app` (one worker,
as `gridgov serve` runs it) in a subprocess and, for each hostile body, runs two phases
of the same length in the same run:

`--healthz-clients` threads, each a keep-alive `httpx.Client`, call `/healthz` one request
after another throughout; one more thread sends the hostile body, switched on and off in
alternating one-second slices (six of each by default), so that the quiet baseline and
the hostile phase share the drift of a shared machine's load:

- **paced**: one hostile body at a time, the next 0.1 s after the last was answered (each
  on a new connection, as a refused one is closed): "requests handled while a hostile
  body arrives".
- **flood**: the hostile bodies back to back, as fast as the server answers them (what
  one attacker's connection costs everyone else).

The figure is healthz answers per second in a hostile phase ÷ in the quiet phase (1.00:
unaffected), with the longest single `/healthz` wait of each phase. Hostile bodies:

| body | what the gate does (api/limits.py) |
|---|---|
| probe: 5 MB, 2.5 M items, Content-Length | 413 from the declared length, nothing read |
| 5 MB chunked (no Content-Length) | read until the 1 MiB limit, then 413 |
| 600 kB, 300 k items (under the byte limit) | over the upper bound: parsed off the loop, 413 |
| 200 kB of nested brackets (100 k deep) | parsed off the loop (RecursionError), 413 |

The same bodies go to a second server with the gate's limits raised out of reach
(`BODY_MAX_BYTES`, `JSON_MAX_VALUES`, `JSON_MAX_DEPTH` as environment settings), i.e. the
app as it was before, to show what the gate saves (`--no-unguarded` skips it). The hostile
target is `POST /api/v1/auth/refresh`, a public JSON route: no token is needed to reach
the parser, as for an attacker. Its one field is a string, so the unguarded server pays
for reading and parsing each body on the event loop but finds one validation error, not
2.5 million: the probe's 72 s (a route with a list field, and a token) was worse still.

The server needs no data: DATABASE_URL may name any database (the default settings').
"""

import argparse
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.harness import Server  # noqa: E402
from core.settings import get_settings  # noqa: E402

TARGET = "/api/v1/auth/refresh"
UNGUARDED = {"BODY_MAX_BYTES": str(10**9), "UPLOAD_BODY_MAX_BYTES": str(10**9),
             "JSON_MAX_VALUES": str(10**9), "JSON_MAX_DEPTH": str(10**6)}


@dataclass
class Phase:
    healthz: int = 0
    longest_ms: float = 0.0
    seconds: float = 0.0
    hostile: list[tuple[str, float, int]] = field(default_factory=list)  # outcome, s, bytes


def array_body(items: int) -> bytes:
    return b'{"refresh_token": [' + b"0," * (items - 1) + b"0]}"


def nested_body(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def send_raw(port: int, body: bytes, *, chunked: bool, timeout: float) -> tuple[str, int]:
    """One hostile request on a new connection: (outcome, response bytes). A server that
    refuses before reading may close while the body is still going out: "closed"."""
    head = (f"POST {TARGET} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {len(body)}\r\n")
            + "\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            if chunked:
                for at in range(0, len(body), 65536):
                    piece = body[at:at + 65536]
                    sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            else:
                sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: the answer may still be readable
        received = bytearray()
        try:
            while chunk := sock.recv(1 << 20):
                received += chunk
                if _complete(received):
                    break
        except (ConnectionResetError, TimeoutError):
            if not received:
                return "closed", 0
    status = received[9:12].decode() if received.startswith(b"HTTP/1.1 ") else "???"
    return status, len(received)


def _complete(response: bytearray) -> bool:
    head, _, rest = bytes(response).partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(rest) >= int(line.split(b":")[1])
    return False


def run_interleaved(server: Server, args, hostile: Callable[[], tuple[str, int]],
                    pause: float) -> tuple[Phase, Phase]:
    """(quiet, hostile): `/healthz` callers run throughout; the hostile sender is switched
    on and off in alternating slices (--rounds of --slice seconds each way), so that both
    phases see the same drift of a shared machine's load. A hostile slice ends once its
    last hostile request is answered; a /healthz call counts for the slice it started in."""
    quiet, loud, lock = Phase(), Phase(), threading.Lock()
    current = [quiet]
    stop, on, idle = threading.Event(), threading.Event(), threading.Event()
    switch = threading.Lock()
    idle.set()

    def healthz() -> None:
        with httpx.Client(base_url=server.base, timeout=300) as client:
            while not stop.is_set():
                phase = current[0]  # a call counts for the slice it started in
                started = time.perf_counter()
                client.get("/healthz").raise_for_status()
                waited = (time.perf_counter() - started) * 1000
                with lock:
                    phase.healthz += 1
                    phase.longest_ms = max(phase.longest_ms, waited)

    def attack() -> None:
        while not stop.is_set():
            if not on.wait(0.05):
                continue
            with switch:  # never starts a request once the controller switched off
                if not on.is_set():
                    continue
                idle.clear()
            started = time.perf_counter()
            outcome, size = hostile()
            loud.hostile.append((outcome, time.perf_counter() - started, size))
            idle.set()
            if pause:
                time.sleep(pause)

    threads = [threading.Thread(target=healthz) for _ in range(args.healthz_clients)]
    threads.append(threading.Thread(target=attack))
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the connections are open: counting starts now
    with lock:
        quiet.healthz, quiet.longest_ms = 0, 0.0
    for _ in range(args.rounds):
        started = time.perf_counter()
        time.sleep(args.slice)
        with lock:
            quiet.seconds += time.perf_counter() - started
            current[0] = loud
            started = time.perf_counter()
        on.set()
        time.sleep(args.slice)
        with switch:
            on.clear()
        idle.wait()  # the last hostile request answered: its slice ends here
        with lock:
            loud.seconds += time.perf_counter() - started
            current[0] = quiet
    stop.set()
    for thread in threads:
        thread.join()
    return quiet, loud


def bodies() -> list[tuple[str, bytes, bool]]:
    probe = array_body(2_500_000)
    return [("probe: 5 MB, 2.5 M items, Content-Length", probe, False),
            ("5 MB, 2.5 M items, chunked", probe, True),
            ("600 kB, 300 k items", array_body(300_000), False),
            ("200 kB, 100 k deep", nested_body(100_000), False)]


def measure(name: str, env: dict[str, str], args) -> list[dict]:
    rows = []
    database_url = os.environ.get("DATABASE_URL") or get_settings().database_url
    with Server(database_url, f"hostile-{name}", ready_path="/healthz",
                env={"ENVIRONMENT": "development", **env}) as server:
        for label, body, chunked in bodies():
            def hostile(body=body, chunked=chunked):
                return send_raw(server.port, body, chunked=chunked, timeout=args.timeout)
            for mode, pause in (("paced", args.pause), ("flood", 0.0)):
                quiet, loud = run_interleaved(server, args, hostile, pause)
                rows.append(_row(name, f"{label} ({mode})", quiet, loud))
                print(_line(rows[-1]), flush=True)
    return rows


def _row(server: str, label: str, quiet: Phase, loud: Phase) -> dict:
    outcomes = sorted({outcome for outcome, _, _ in loud.hostile})
    times = sorted(s for _, s, _ in loud.hostile)
    quiet_rate, loud_rate = quiet.healthz / quiet.seconds, loud.healthz / loud.seconds
    return {"server": server, "body": label,
            "quiet_per_s": quiet_rate, "hostile_per_s": loud_rate,
            "ratio": loud_rate / quiet_rate if quiet_rate else 0.0,
            "quiet_longest_ms": quiet.longest_ms, "hostile_longest_ms": loud.longest_ms,
            "sent": len(loud.hostile), "outcomes": "/".join(outcomes),
            "median_s": times[len(times) // 2] if times else None,
            "answer_bytes": max((b for _, _, b in loud.hostile), default=0)}


def _line(row: dict) -> str:
    median = f"{row['median_s']:.3f}" if row["median_s"] is not None else "-"
    return (f"| {row['server']} | {row['body']} | {row['quiet_per_s']:.0f} | "
            f"{row['hostile_per_s']:.0f} | **{row['ratio']:.2f}** | "
            f"{row['quiet_longest_ms']:.1f} | {row['hostile_longest_ms']:.1f} | "
            f"{row['sent']} × {row['outcomes']} | {median} | {row['answer_bytes']:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6,
                        help="quiet and hostile slices of each body, alternating")
    parser.add_argument("--slice", type=float, default=1.0, help="seconds of each slice")
    parser.add_argument("--healthz-clients", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a hostile request may take")
    parser.add_argument("--pause", type=float, default=0.1,
                        help="seconds between paced hostile bodies")
    parser.add_argument("--no-unguarded", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    print("| server | hostile body | healthz/s quiet | healthz/s hostile | × quiet | "
          "longest quiet ms | longest hostile ms | hostile sent × answer | "
          "hostile median s | largest answer B |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    measure("guarded", {}, args)
    if not args.no_unguarded:
        measure("unguarded", UNGUARDED, args)
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
