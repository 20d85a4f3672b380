#!/usr/bin/env python3
"""Re-run a 双随机 draw of gridgov from its published inputs (algorithms gridgov-draw/1
and gridgov-draw/2: the file names the one its draw used).

    python3 rerun.py draw-123.json

Standard library only. Checks the commitment (the seed against its published hash, the
candidate list against its hash), recomputes every score and every pairing, and — when the
file carries the strata (the internal inputs staff and auditors download) — the selection
itself. Prints what differs; exit status 0 when everything matches.
"""

import hashlib
import hmac
import json
import sys
from decimal import ROUND_CEILING, Decimal

ALGORITHMS = ("gridgov-draw/1", "gridgov-draw/2")


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def stream(key, uscc):
    j = 0
    while True:
        yield int.from_bytes(hmac.digest(key, f"pair|{uscc}|{j}".encode(), "sha256")[:8], "big")
        j += 1


def team(key, secret, uscc, items, pool):
    chosen, covered, numbers = [], set(), stream(key, uscc)

    def acceptable(p):
        useful = set(p["items"]) & items
        if not useful or p in chosen:
            return False
        if sha(f"{secret}|{p['key']}|{uscc}") in p["conflicts"]:
            return False
        return len(chosen) < 2 or bool(useful - covered)

    while len(chosen) < 2 or not items <= covered:
        pick = None
        for _ in range(64):
            p = pool[next(numbers) % len(pool)]
            if acceptable(p):
                pick = p
                break
        if pick is None:
            listed = [p for p in pool if acceptable(p)]
            if not listed:
                raise SystemExit(f"{uscc}: no acceptable inspector left")
            pick = listed[next(numbers) % len(listed)]
        chosen.append(pick)
        covered |= set(pick["items"]) & items
    return [p["key"] for p in chosen]


def u64(key, message):
    return int.from_bytes(hmac.digest(key, message.encode(), "sha256")[:8], "big")


def score(key, uscc):
    return hmac.digest(key, b"entity|" + uscc.encode(), "sha256").hex()


def select(algorithm, key, name, members, k):
    """One stratum's targets. /2: the first k steps of a Fisher-Yates shuffle of its codes
    in code order; /1: the k smallest (score, code)."""
    members = sorted(members)
    if algorithm == "gridgov-draw/1":
        return sorted(members, key=lambda c: (score(key, c), c))[:k]
    for i in range(k):
        j = i + u64(key, f"pick|{name}|{i}") % (len(members) - i)
        members[i], members[j] = members[j], members[i]
    return members[:k]


def main(path):
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    problems = []
    algorithm = data["algorithm"]
    assert algorithm in ALGORITHMS, f"this script runs {', '.join(ALGORITHMS)} only"
    secret, entropy = data["secret_seed"], data.get("public_entropy") or ""
    if sha(secret) != data["commitment"]["seed_hash"]:
        problems.append("the revealed secret seed does not match the published seed_hash")
    seed = sha(f"{algorithm}|{secret}|{entropy}")
    if seed != data["seed"]:
        problems.append("seed != SHA-256(algorithm|secret|entropy)")
    key = bytes.fromhex(seed)
    candidates = data["candidates"]
    codes = sorted(c["uscc"] if isinstance(c, dict) else c for c in candidates)
    if sha("".join(f"{c}\n" for c in codes)) != data["commitment"]["public_candidates_hash"]:
        problems.append("the candidate list does not match public_candidates_hash")
    pool = sorted(data["pool"], key=lambda p: p["key"])
    pool_text = "".join(f"{p['key']}\t{','.join(sorted(p['items']))}\t"
                        f"{','.join(sorted(p['conflicts']))}\n" for p in pool)
    if sha(pool_text) != data["commitment"]["pool_hash"]:
        problems.append("the inspector pool does not match pool_hash")
    known = set(codes)
    items = set(data["items"])
    targets = data["targets"]
    if "strata" in data:  # the internal file: re-run the selection too
        groups = {}
        for c in candidates:
            groups.setdefault(c["stratum"], []).append(c["uscc"])
        drawn = []
        for name, members in groups.items():
            rule = data["strata"].get(name)
            if rule is None:
                continue
            k = int((Decimal(rule["ratio"]) * len(members)).to_integral_value(ROUND_CEILING))
            k = max(0, min(k if rule["cap"] is None else min(k, rule["cap"]), len(members)))
            drawn += select(algorithm, key, name, members, k)
        drawn.sort(key=lambda c: (score(key, c), c))
        if drawn != [t["uscc"] for t in targets]:
            problems.append("the targets differ from the re-run selection")
    for t in targets:
        if t["uscc"] not in known:
            problems.append(f"target {t['uscc']} is not a candidate")
            continue
        if t["score"] != score(key, t["uscc"]):
            problems.append(f"target {t['uscc']}: score differs")
        if team(key, secret, t["uscc"], items, pool) != t["inspectors"]:
            problems.append(f"target {t['uscc']}: inspectors differ")
    ordered = [(t["score"], t["uscc"]) for t in targets]
    if ordered != sorted(ordered):
        problems.append("the targets are not in score order")
    for line in problems:
        print("DIFFERS:", line)
    print("matches" if not problems else f"{len(problems)} difference(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
