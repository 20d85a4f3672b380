"""How an audit hash chain serialises writers: three designs against a bare INSERT.

    .venv/bin/python bench/audit_designs.py [--clients 32] [--seconds 10] [--work-ms 5]

The lab behind migration 0011 (core/audit.py). N threads, one psycopg connection each,
run the same transaction again and again:

    BEGIN; INSERT a row of work; <the design's audit step>; <work-ms of the application
    doing something else, as a report's request does after its audit call>; COMMIT

- bare: no audit step (the baseline);
- head lock (0009): `SELECT ... FROM head FOR UPDATE`, then the linked INSERT, and a
  statement trigger that checks the link and moves the head: the lock is held from the
  audit step to the COMMIT, application work included;
- linked at commit: the event is inserted unsealed, and a DEFERRABLE INITIALLY DEFERRED
  constraint trigger locks the head and seals it at COMMIT: the lock is held only from
  the trigger to the end of the COMMIT (its WAL flush included);
- unsealed + sealer (0011): the event is inserted unsealed, no lock; a sealer thread
  seals every committed row once a second, in batches.

Each design is reported as transactions/s, p50/p95/p99 latency, and its ratio to the
bare transaction's throughput in the same run; the sealer's batches too. The database
`gridgov_bench_audit_lab` is created anew on the server DATABASE_URL points at, and
dropped at the end. This measures the database side only; bench/intake.py measures the
whole report path.
"""

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

from bench.datasets import _recreate_database, database_url, libpq_url  # noqa: E402

LAB_DB = "gridgov_bench_audit_lab"
LINK = "encode(sha256(convert_to({prev} || {content}, 'UTF8')), 'hex')"

SCHEMA = f"""
CREATE TABLE work (id bigserial PRIMARY KEY, payload text, at timestamptz DEFAULT now());
CREATE TABLE head (design text PRIMARY KEY, last_seq bigint, last_hash text);
INSERT INTO head VALUES ('lock', 0, repeat('0', 64)), ('commit', 0, repeat('0', 64)),
                        ('sealer', 0, repeat('0', 64));

CREATE TABLE ev_lock (id bigserial PRIMARY KEY, content text, prev_hash text,
                      hash text UNIQUE);
CREATE FUNCTION extend_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE h head%ROWTYPE; bad bigint;
BEGIN
    SELECT * INTO h FROM head WHERE design = 'lock' FOR UPDATE;
    SELECT id INTO bad FROM added WHERE prev_hash <> h.last_hash LIMIT 1;
    IF bad IS NOT NULL THEN RAISE EXCEPTION 'broken link %', bad; END IF;
    UPDATE head SET (last_seq, last_hash) = (SELECT id, hash FROM added ORDER BY id DESC
                                              LIMIT 1) WHERE design = 'lock';
    RETURN NULL;
END $$;
CREATE TRIGGER ev_lock_extend AFTER INSERT ON ev_lock REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION extend_lock();

CREATE TABLE ev_commit (id bigserial PRIMARY KEY, content text, content_hash text,
                        seq bigint UNIQUE, prev_hash text, hash text UNIQUE);
CREATE INDEX ev_commit_unsealed ON ev_commit (id) WHERE seq IS NULL;
CREATE FUNCTION seal_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE h head%ROWTYPE; r record;
BEGIN
    -- The first firing of a transaction seals all its rows: the others find them sealed.
    IF (SELECT seq FROM ev_commit WHERE id = NEW.id) IS NOT NULL THEN RETURN NULL; END IF;
    SELECT * INTO h FROM head WHERE design = 'commit' FOR UPDATE;
    FOR r IN SELECT id, content_hash FROM ev_commit WHERE seq IS NULL ORDER BY id LOOP
        h.last_seq := h.last_seq + 1;
        UPDATE ev_commit SET seq = h.last_seq, prev_hash = h.last_hash,
               hash = {LINK.format(prev='h.last_hash', content='r.content_hash')}
        WHERE id = r.id RETURNING hash INTO h.last_hash;
    END LOOP;
    UPDATE head SET last_seq = h.last_seq, last_hash = h.last_hash WHERE design = 'commit';
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ev_commit_seal AFTER INSERT ON ev_commit
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION seal_at_commit();

CREATE TABLE ev_sealer (id bigserial PRIMARY KEY, content text, content_hash text,
                        seq bigint UNIQUE, prev_hash text, hash text UNIQUE);
CREATE INDEX ev_sealer_unsealed ON ev_sealer (id) WHERE seq IS NULL;
CREATE FUNCTION seal_batch(n integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE h head%ROWTYPE; ids bigint[] := '{{}}'; seqs bigint[] := '{{}}';
        prevs text[] := '{{}}'; hashes text[] := '{{}}'; r record;
BEGIN
    SELECT * INTO h FROM head WHERE design = 'sealer' FOR UPDATE;
    FOR r IN SELECT id, content_hash FROM ev_sealer WHERE seq IS NULL ORDER BY id LIMIT n LOOP
        h.last_seq := h.last_seq + 1;
        ids := ids || r.id; seqs := seqs || h.last_seq; prevs := prevs || h.last_hash;
        h.last_hash := {LINK.format(prev='h.last_hash', content='r.content_hash')};
        hashes := hashes || h.last_hash;
    END LOOP;
    UPDATE ev_sealer e SET seq = s.seq, prev_hash = s.prev, hash = s.hash
    FROM unnest(ids, seqs, prevs, hashes) AS s(id, seq, prev, hash) WHERE e.id = s.id;
    UPDATE head SET last_seq = h.last_seq, last_hash = h.last_hash WHERE design = 'sealer';
    RETURN cardinality(ids);
END $$;
"""

WORK = "INSERT INTO work (payload) VALUES ('report')"
CONTENT = "encode(sha256(convert_to(random()::text, 'UTF8')), 'hex')"  # the writer's hash
STEPS = {
    "bare INSERT (baseline)": [],
    "head lock to COMMIT (0009)": [
        "SELECT last_hash, nextval('ev_lock_id_seq') FROM head WHERE design = 'lock' "
        "FOR UPDATE",
        "INSERT INTO ev_lock (id, content, prev_hash, hash) VALUES (%(id)s, 'event', "
        "%(prev)s, " + LINK.format(prev="%(prev)s::text", content="%(id_text)s::text") + ")"],
    "linked at COMMIT (deferred trigger)": [
        f"INSERT INTO ev_commit (content, content_hash) VALUES ('event', {CONTENT})"],
    "unsealed + sealer (0011)": [
        f"INSERT INTO ev_sealer (content, content_hash) VALUES ('event', {CONTENT})"],
}


def transact(conn: psycopg.Connection, steps: list[str], work_s: float) -> None:
    with conn.transaction():
        conn.execute(WORK, prepare=True)
        params = None
        for step in steps:
            cursor = conn.execute(step, params, prepare=True)
            if cursor.description:  # the head lock's SELECT: its row feeds the INSERT
                prev, next_id = cursor.fetchone()
                params = {"prev": prev, "id": next_id, "id_text": str(next_id)}
        time.sleep(work_s)  # the rest of the request, under the lock if one is held


def run_design(url: str, name: str, clients: int, seconds: float, work_s: float
               ) -> dict:
    steps, latencies, stop = STEPS[name], [[] for _ in range(clients)], threading.Event()
    conns = [psycopg.connect(url, autocommit=True) for _ in range(clients)]
    ready = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        for _ in range(3):  # warm: prepared statements
            transact(conns[k], steps, 0)
        ready.wait()
        while not stop.is_set():
            t0 = time.perf_counter()
            transact(conns[k], steps, work_s)
            latencies[k].append(time.perf_counter() - t0)

    sealing = Sealer(url) if "sealer" in name else None
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    load = Path("/proc/loadavg").read_text().split()[:3]
    started = time.perf_counter()
    if sealing:
        sealing.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if sealing:
        sealing.stop()
    for conn in conns:
        conn.close()
    ms = np.array([x for per in latencies for x in per]) * 1000
    result = {"design": name, "per_second": len(ms) / elapsed,
              **{f"p{q}": float(np.percentile(ms, q)) for q in (50, 95, 99)},
              "load": " ".join(load)}
    if sealing:
        result["sealer"] = sealing.summary()
    return result


class Sealer:
    """Seals every committed row once a second, as the beat's `audit.seal` does."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.batches: list[tuple[int, float]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(1.0):
            self._seal()

    def _seal(self) -> None:
        t0 = time.perf_counter()
        n = self.conn.execute("SELECT seal_batch(100000)").fetchone()[0]
        self.batches.append((n, time.perf_counter() - t0))

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        self._seal()  # what the last second left
        self.conn.close()

    def summary(self) -> str:
        rows = sum(n for n, _ in self.batches)
        longest = max(s for _, s in self.batches) * 1000
        return (f"{len(self.batches)} batches, {rows:,} rows, longest {longest:.0f} ms "
                f"(the head is locked only that long, and only against other sealers)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--work-ms", type=float, default=5.0,
                        help="application time between the audit step and COMMIT")
    args = parser.parse_args(argv)
    url = database_url(LAB_DB)
    _recreate_database(url)
    conninfo = libpq_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(SCHEMA)
    try:
        results = [run_design(conninfo, name, args.clients, args.seconds,
                              args.work_ms / 1000) for name in STEPS]
        with psycopg.connect(conninfo) as conn:
            chained = conn.execute(
                "SELECT (SELECT count(*) FROM ev_commit WHERE seq IS NULL), "
                "(SELECT count(*) FROM ev_sealer WHERE seq IS NULL)").fetchone()
    finally:
        with psycopg.connect(libpq_url(database_url("postgres")), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{LAB_DB}" WITH (FORCE)')
    bare = results[0]["per_second"]
    print(f"{args.clients} clients, {args.seconds:.0f} s each, {args.work_ms:g} ms of "
          "application work between the audit step and COMMIT\n")
    print("| design | transactions/s | × bare | p50 ms | p95 ms | p99 ms | load at start |")
    print("|---|--:|--:|--:|--:|--:|---|")
    for r in results:
        print(f"| {r['design']} | {r['per_second']:,.0f} | {r['per_second'] / bare:.2f} | "
              f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['load']} |")
    for r in results:
        if "sealer" in r:
            print(f"\nsealer: {r['sealer']}")
    print(f"left unsealed: {chained[0]} (linked at COMMIT), {chained[1]} (sealer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
