"""The 双随机 draw itself: pure, deterministic, versioned — anyone can re-run it.

国发〔2019〕5号 asks that targets and inspectors both be drawn at random and the result be
published. To make "random" checkable, a draw is a function of published inputs only:

    draw(candidates, strata rules, task items, inspector pool, seed) → targets and pairings

ALGORITHM "gridgov-draw/1" (this text is the specification; `rerun.py`, served on every
public draw page, is the reference implementation, in 60 lines of standard-library Python):

1. The seed. At commitment the system picks a secret 32-byte value S (64 hex digits) and
   publishes SHA-256(S) (`seed_hash`), the candidate list's hash and the pool's hash, and
   optionally names a public source of entropy whose value is not yet known (a lottery
   draw, a stock index close). At the draw S is revealed with the entropy's value E, and

       seed = SHA-256("gridgov-draw/1|" ‖ S ‖ "|" ‖ E)   (E = "" when none; hex digest)

   so neither S (fixed before E was known) nor E (public) alone decides the result.
2. Scores. With K = the 32 bytes of the seed, every candidate gets
   score(uscc) = HMAC-SHA256(K, "entity|" ‖ uscc), as 64 hex digits.
3. Targets. Candidates are grouped by stratum (the credit-risk class of the month). A
   stratum of n candidates with ratio r and cap c gives k = min(⌈r·n⌉, c) targets (no cap:
   k = ⌈r·n⌉, computed in exact decimals); its k candidates with the smallest (score,
   uscc) are drawn. All targets, ordered by (score, uscc), are numbered 1, 2, ….
4. Inspectors. The pool (sorted by 执法证 number) lists each inspector's items. For a
   target, an inspector is *acceptable* when (a) not already on its team, (b) without a
   declared conflict with the entity — the pool lists each conflict as the token
   SHA-256(S ‖ "|" ‖ key ‖ "|" ‖ uscc), so the public re-run honours conflicts without
   the list saying who is related to whom — (c) qualified for at least one of the task's items,
   and (d) when the team has two or more members, qualified for an item the team does not
   cover yet. The team fills up while it has fewer than two members or leaves a task item
   uncovered. Each pick: u_j = the first 8 bytes, big-endian, of
   HMAC-SHA256(K, "pair|" ‖ uscc ‖ "|" ‖ j) for j = 0, 1, 2, … (one j per attempt, never
   reused for the target); index = u_j mod len(pool); the pool's inspector at that index is
   taken if acceptable. After 64 rejected attempts in a row the acceptable inspectors are
   listed in pool order and the next u_j mod their count picks one. No acceptable
   inspector left while the team is short: the draw cannot be made (a data problem the
   unit must fix: more qualified inspectors, fewer conflicts).

Changing any of this means a new ALGORITHM name; old draws keep re-running under theirs.
"""

import hashlib
import heapq
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from itertools import repeat

ALGORITHM = "gridgov-draw/1"
REJECTIONS_BEFORE_LISTING = 64
MIN_TEAM = 2  # 行政处罚法第四十二条; 国发〔2019〕5号: 随机选派执法检查人员


class DrawImpossible(Exception):
    """The pool cannot give a target its team (who is short is named)."""

    def __init__(self, uscc: str, reason: str) -> None:
        super().__init__(f"{uscc}: {reason}")
        self.uscc = uscc
        self.reason = reason


# A candidate: (uscc, stratum). Plain tuples: a city's register is 500,000 of them.
Candidate = tuple[str, str]


@dataclass(frozen=True)
class Stratum:
    ratio: Decimal
    cap: int | None = None

    def count(self, size: int) -> int:
        """⌈ratio · size⌉, capped: 国发〔2019〕5号 — a share, never rounded down to none."""
        wanted = int((self.ratio * size).to_integral_value(rounding=ROUND_CEILING))
        return wanted if self.cap is None else min(wanted, self.cap)


@dataclass(frozen=True)
class Inspector:
    key: str  # the 执法证 number: public, unique
    items: frozenset[str]  # item codes the inspector may inspect
    conflicts: frozenset[str] = frozenset()  # conflict tokens (see `conflict_token`)


@dataclass(frozen=True)
class Target:
    ordinal: int
    uscc: str
    stratum: str
    score: str
    inspectors: tuple[str, ...]  # 执法证 numbers, in the order picked


@dataclass
class Result:
    seed: str
    targets: list[Target] = field(default_factory=list)


# —— hashes of the published inputs ——

def sha256_hex(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def seed_hash(secret_seed: str) -> str:
    return sha256_hex(secret_seed)


def final_seed(secret_seed: str, public_entropy: str | None) -> str:
    return sha256_hex(f"{ALGORITHM}|{secret_seed}|{public_entropy or ''}")


def conflict_token(secret_seed: str, key: str, uscc: str) -> str:
    return sha256_hex(f"{secret_seed}|{key}|{uscc}")


def candidates_text(candidates: Iterable[Candidate]) -> str:
    """The canonical list: one `uscc<TAB>stratum` line each, sorted by code (internal)."""
    return "".join(f"{uscc}\t{stratum}\n" for uscc, stratum in sorted(candidates))


def public_candidates_text(usccs: Iterable[str]) -> str:
    """The public list: one code a line, sorted (no strata: risk classes are internal)."""
    return "".join(f"{uscc}\n" for uscc in sorted(usccs))


def parse_candidates(text: str) -> list[Candidate]:
    return [tuple(line.split("\t", 1)) for line in text.splitlines() if line]


def pool_text(pool: Sequence[Inspector]) -> str:
    """The canonical pool: `key<TAB>items,…<TAB>conflict usccs,…` lines sorted by key."""
    return "".join(f"{i.key}\t{','.join(sorted(i.items))}\t{','.join(sorted(i.conflicts))}\n"
                   for i in sorted(pool, key=lambda i: i.key))


# —— the draw ——

class Mac:
    """HMAC-SHA256 under one key (RFC 2104), its two padded key blocks hashed once: the same
    output as `hmac.digest(key, message, "sha256")`, four times faster over a register."""

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")  # a 32-byte seed is shorter than SHA-256's block
        self.key = key
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __call__(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def each(self, prefix: bytes, texts: Iterable[str]) -> list[bytes]:
        """HMAC(prefix ‖ text) for every text: the prefix hashed once, no call per text."""
        start = self._inner.copy()
        start.update(prefix)
        inner_copy, outer_copy = start.copy, self._outer.copy
        digests = []
        for text in texts:
            inner = inner_copy()
            inner.update(text.encode())
            outer = outer_copy()
            outer.update(inner.digest())
            digests.append(outer.digest())
        return digests


def score(key: bytes, uscc: str) -> str:
    return hmac.digest(key, b"entity|" + uscc.encode(), "sha256").hex()


def draw(*, candidates: Iterable[Candidate], strata: dict[str, Stratum],
         items: Iterable[str], pool: Sequence[Inspector], seed: str,
         secret_seed: str) -> Result:
    """The whole draw, from the inputs alone (steps 2–4 of the module's text)."""
    mac = Mac(bytes.fromhex(seed))
    drawn = _draw_targets(mac, candidates, strata)
    ordered_pool = sorted(pool, key=lambda i: i.key)
    task_items = frozenset(items)
    useful = [inspector.items & task_items for inspector in ordered_pool]
    result = Result(seed=seed)
    for ordinal, (digest, uscc, stratum) in enumerate(drawn, start=1):
        team = pick_team(mac, uscc, task_items, ordered_pool, secret_seed, useful)
        result.targets.append(Target(ordinal, uscc, stratum, digest.hex(), team))
    return result


def _draw_targets(mac: Mac, candidates: Iterable[Candidate],
                  strata: dict[str, Stratum]) -> list[tuple[bytes, str, str]]:
    """(score digest, uscc, stratum) of the drawn, in (score, uscc) order. The digests
    compare as their hex does, so bytes are sorted, and only the k smallest of each
    stratum are kept (a heap), never the whole register sorted."""
    by_stratum: dict[str, list[str]] = {}
    for uscc, stratum in candidates:
        by_stratum.setdefault(stratum, []).append(uscc)
    drawn: list[tuple[bytes, str, str]] = []
    for name, members in by_stratum.items():
        rule = strata.get(name)
        if rule is None:
            continue  # a class the rules do not draw from
        wanted = rule.count(len(members))
        if wanted <= 0:
            continue
        scored = list(zip(mac.each(b"entity|", members), members, repeat(name)))
        drawn.extend(heapq.nsmallest(wanted, scored) if wanted < len(scored) else scored)
    drawn.sort()
    return drawn


def _stream(mac: Mac, uscc: str):
    """u_0, u_1, …: the first 8 bytes of HMAC(seed, "pair|" ‖ uscc ‖ "|" ‖ j), big-endian."""
    j = 0
    prefix = f"pair|{uscc}|".encode()
    while True:
        yield int.from_bytes(mac(prefix + str(j).encode())[:8], "big")
        j += 1


def pick_team(mac: Mac, uscc: str, task_items: frozenset[str],
              pool: Sequence[Inspector], secret_seed: str,
              useful: Sequence[frozenset[str]] | None = None) -> tuple[str, ...]:
    """Step 4 for one target; `pool` sorted by key (`useful`: each one's items of the task,
    computed once per draw by the caller)."""
    useful = useful if useful is not None else [i.items & task_items for i in pool]
    team: list[int] = []  # indexes into the pool
    covered: set[str] = set()
    numbers = _stream(mac, uscc)
    size = len(pool)

    def acceptable(index: int) -> bool:
        items = useful[index]
        if not items or index in team:
            return False
        inspector = pool[index]
        if inspector.conflicts and conflict_token(secret_seed, inspector.key,
                                                  uscc) in inspector.conflicts:
            return False
        return len(team) < MIN_TEAM or not items <= covered

    while len(team) < MIN_TEAM or not task_items <= covered:
        chosen = None
        for _ in range(REJECTIONS_BEFORE_LISTING if size else 0):
            index = next(numbers) % size
            if acceptable(index):
                chosen = index
                break
        if chosen is None:
            listed = [index for index in range(size) if acceptable(index)]
            if not listed:
                missing = sorted(task_items - covered)
                raise DrawImpossible(uscc, (
                    f"只有 {len(team)} 名合格且无回避情形的检查人员" if len(team) < MIN_TEAM
                    else f"没有可检查事项 {', '.join(missing)} 的检查人员"))
            chosen = listed[next(numbers) % len(listed)]
        team.append(chosen)
        covered |= useful[chosen]
    return tuple(pool[index].key for index in team)
