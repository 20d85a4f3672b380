"""The 双随机 draw itself: pure, deterministic, versioned — anyone can re-run it.

国发〔2019〕5号 asks that targets and inspectors both be drawn at random and the result be
published. To make "random" checkable, a draw is a function of published inputs only:

    draw(candidates, strata rules, task items, inspector pool, seed) → targets and pairings

ALGORITHM "gridgov-draw/2" (this text is the specification; `rerun.py`, served on every
public draw page, is the reference implementation, in standard-library Python). Draws
made before it keep re-running under "gridgov-draw/1" (step 3′ below), the name each
draw stores.

1. The seed. At commitment the system picks a secret 32-byte value S (64 hex digits) and
   publishes SHA-256(S) (`seed_hash`), the candidate list's hash and the pool's hash, and
   optionally names a public source of entropy whose value is not yet known (a lottery
   draw, a stock index close). At the draw S is revealed with the entropy's value E, and

       seed = SHA-256(A ‖ "|" ‖ S ‖ "|" ‖ E)   (A the algorithm's name, E = "" when none;
                                               hex digest)

   so neither S (fixed before E was known) nor E (public) alone decides the result.
2. Scores. With K = the 32 bytes of the seed, a candidate's score is
   score(uscc) = HMAC-SHA256(K, "entity|" ‖ uscc), as 64 hex digits.
3. Targets. Candidates are grouped by stratum (the credit-risk class of the month), each
   stratum's n codes in code order at positions 0 … n−1. Its ratio r and cap c give
   k = min(⌈r·n⌉, c, n) targets (no cap: ⌈r·n⌉, computed in exact decimals), chosen by
   the first k steps of a Fisher–Yates shuffle: for i = 0 … k−1, u_i = the first 8
   bytes, big-endian, of HMAC-SHA256(K, "pick|" ‖ stratum ‖ "|" ‖ i), j = i + u_i mod
   (n − i), and positions i and j swap; positions 0 … k−1 are then drawn. (A uniformly
   random k-subset; u mod (n − i) favours some j by at most n / 2^64.) Only the k drawn
   are hashed, not the whole register: a step and a score per target (≈ 58,000 HMACs
   for a city's 29,000 targets, where gridgov-draw/1 scored all 500,000 candidates).
   All targets, ordered by (score, uscc), are numbered 1, 2, ….
3′. (gridgov-draw/1 only) every candidate is scored, and each stratum's k candidates
   with the smallest (score, uscc) are drawn.
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
from itertools import count, repeat

FIRST, SAMPLED = "gridgov-draw/1", "gridgov-draw/2"
ALGORITHM = SAMPLED  # what new draws use
ALGORITHMS = (FIRST, SAMPLED)  # every version a stored draw may name, still re-run
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


def final_seed(secret_seed: str, public_entropy: str | None,
               algorithm: str = ALGORITHM) -> str:
    return sha256_hex(f"{algorithm}|{secret_seed}|{public_entropy or ''}")


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


def draw(*, candidates: Iterable[Candidate] | str, strata: dict[str, Stratum],
         items: Iterable[str], pool: Sequence[Inspector], seed: str,
         secret_seed: str, algorithm: str = ALGORITHM) -> Result:
    """The whole draw, from the inputs alone (steps 2–4 of the module's text);
    `candidates` as (uscc, stratum) pairs or as the canonical listing's text."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown draw algorithm {algorithm}")
    mac = Mac(bytes.fromhex(seed))
    select = _smallest_scores if algorithm == FIRST else _sampled
    by_stratum = (group_listing(candidates, strata) if isinstance(candidates, str)
                  else group(candidates))
    drawn = select(mac, by_stratum, strata)
    ordered_pool = sorted(pool, key=lambda i: i.key)
    task_items = frozenset(items)
    useful = [inspector.items & task_items for inspector in ordered_pool]
    # Every team takes at least two picks: u_0 and u_1 of all targets in two batches.
    codes = [uscc for _, uscc, _ in drawn]
    heads = list(zip(*(_first_numbers(mac, codes, j) for j in range(MIN_TEAM)), strict=True))
    result = Result(seed=seed)
    for ordinal, (digest, uscc, stratum) in enumerate(drawn, start=1):
        team = pick_team(mac, uscc, task_items, ordered_pool, secret_seed, useful,
                         heads[ordinal - 1])
        result.targets.append(Target(ordinal, uscc, stratum, digest.hex(), team))
    return result


def group(candidates: Iterable[Candidate]) -> dict[str, list[str]]:
    """stratum → its codes (in the order given)."""
    by_stratum: dict[str, list[str]] = {}
    for uscc, stratum in candidates:
        by_stratum.setdefault(stratum, []).append(uscc)
    return by_stratum


def group_listing(text: str, names: Iterable[str]) -> dict[str, list[str]]:
    """stratum → its codes in the listing's order, for the strata `names` only (the others
    are not drawn from). A city's listing is 500,000 lines: one pass, no tuple per line
    (half the time of `group` over `parse_candidates`)."""
    by_stratum: dict[str, list[str]] = {name: [] for name in names}
    lines = text.split("\n")
    for line in lines:
        uscc, _, stratum = line.rpartition("\t")
        members = by_stratum.get(stratum)
        if members is not None:
            members.append(uscc)
    return {name: members for name, members in by_stratum.items() if members}


def _wanted(rule: Stratum, size: int) -> int:
    return max(0, min(rule.count(size), size))


def _sampled(mac: Mac, by_stratum: dict[str, list[str]],
             strata: dict[str, Stratum]) -> list[tuple[bytes, str, str]]:
    """Step 3 (gridgov-draw/2): per stratum, the first k steps of a Fisher–Yates shuffle
    of its codes in code order; (score digest, uscc, stratum) of the drawn, in (score,
    uscc) order. Only the drawn are scored."""
    drawn: list[tuple[bytes, str, str]] = []
    for name, members in by_stratum.items():
        rule = strata.get(name)
        if rule is None:
            continue  # a class the rules do not draw from
        positions = sorted(members)  # a copy: the caller's list stays as it was
        wanted = _wanted(rule, len(positions))
        steps = mac.each(f"pick|{name}|".encode(), map(str, range(wanted)))
        size = len(positions)
        for i, digest in enumerate(steps):
            j = i + int.from_bytes(digest[:8], "big") % (size - i)
            positions[i], positions[j] = positions[j], positions[i]
        chosen = positions[:wanted]
        drawn.extend(zip(mac.each(b"entity|", chosen), chosen, repeat(name)))
    drawn.sort()
    return drawn


def _smallest_scores(mac: Mac, by_stratum: dict[str, list[str]],
                     strata: dict[str, Stratum]) -> list[tuple[bytes, str, str]]:
    """Step 3′ (gridgov-draw/1): every candidate scored, the k smallest of each stratum.
    The digests compare as their hex does, so bytes are sorted, and only the k smallest
    are kept (a heap), never the whole register sorted."""
    drawn: list[tuple[bytes, str, str]] = []
    for name, members in by_stratum.items():
        rule = strata.get(name)
        if rule is None:
            continue
        wanted = _wanted(rule, len(members))
        if wanted <= 0:
            continue
        scored = list(zip(mac.each(b"entity|", members), members, repeat(name)))
        drawn.extend(heapq.nsmallest(wanted, scored) if wanted < len(scored) else scored)
    drawn.sort()
    return drawn


def _first_numbers(mac: Mac, codes: list[str], j: int) -> list[int]:
    """u_j of every code in one batch (what `_stream` yields j-th)."""
    return [int.from_bytes(digest[:8], "big")
            for digest in mac.each(b"pair|", (f"{uscc}|{j}" for uscc in codes))]


def _stream(mac: Mac, uscc: str, head: Sequence[int] = ()):
    """u_0, u_1, …: the first 8 bytes of HMAC(seed, "pair|" ‖ uscc ‖ "|" ‖ j), big-endian
    (`head`: the first ones, computed already by `_first_numbers`)."""
    yield from head
    prefix = f"pair|{uscc}|".encode()
    for j in count(len(head)):
        yield int.from_bytes(mac(prefix + str(j).encode())[:8], "big")


def pick_team(mac: Mac, uscc: str, task_items: frozenset[str],
              pool: Sequence[Inspector], secret_seed: str,
              useful: Sequence[frozenset[str]] | None = None,
              head: Sequence[int] = ()) -> tuple[str, ...]:
    """Step 4 for one target; `pool` sorted by key (`useful`: each one's items of the task,
    computed once per draw by the caller; `head`: the stream's first numbers)."""
    useful = useful if useful is not None else [i.items & task_items for i in pool]
    team: list[int] = []  # indexes into the pool
    covered: set[str] = set()
    numbers = _stream(mac, uscc, head)
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
