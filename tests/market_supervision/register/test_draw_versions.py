"""The draw's algorithm versions (register/draws.py): new draws run gridgov-draw/2 (each
stratum's targets by the first k steps of a seeded Fisher–Yates shuffle, only they
scored); a draw stored under gridgov-draw/1 (every candidate scored, the k smallest)
re-runs and verifies as it was made. Each is checked against an independent reading of
the specification written here with `hmac` alone; the storing refuses a target whose
entity is gone, with nothing written."""

import hashlib
import hmac
import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm.attributes import flag_modified

from core.errors import Conflict
from market_supervision.register import drawing, draws
from market_supervision.register.models import DrawTarget

RERUN = Path(__file__).parents[3] / "market_supervision" / "static" / "rerun.py"
SEED, SECRET = "5a" * 32, "c3" * 32


def _inputs(n=300):
    candidates = [(f"{i * 7919 % 1000:03d}{i:015d}", "ABC"[i % 3]) for i in range(n)]
    strata = {"A": draws.Stratum(Decimal("0.05")), "B": draws.Stratum(Decimal("0.1")),
              "C": draws.Stratum(Decimal("0.5"), cap=9)}
    pool = [draws.Inspector(f"K{i:02d}", frozenset({"x"})) for i in range(6)]
    return candidates, strata, pool


def _mac(message: str) -> bytes:
    return hmac.digest(bytes.fromhex(SEED), message.encode(), "sha256")


def _by_stratum(candidates):
    groups: dict[str, list[str]] = {}
    for uscc, stratum in candidates:
        groups.setdefault(stratum, []).append(uscc)
    return {name: sorted(codes) for name, codes in groups.items()}


def _k(rule: draws.Stratum, n: int) -> int:
    k = math.ceil(rule.ratio * n)
    return k if rule.cap is None else min(k, rule.cap)


def _ordered(codes):
    return sorted(codes, key=lambda c: (_mac(f"entity|{c}").hex(), c))


def _run(algorithm):
    candidates, strata, pool = _inputs()
    return draws.draw(candidates=candidates, strata=strata, items=["x"], pool=pool, seed=SEED,
                      secret_seed=SECRET, algorithm=algorithm)


def test_the_sampled_version_is_a_fisher_yates_prefix_per_stratum():
    candidates, strata, _ = _inputs()
    expected = []
    for name, codes in _by_stratum(candidates).items():
        k = _k(strata[name], len(codes))
        for i in range(k):
            u = int.from_bytes(_mac(f"pick|{name}|{i}")[:8], "big")
            j = i + u % (len(codes) - i)
            codes[i], codes[j] = codes[j], codes[i]
        expected += codes[:k]
    result = _run(draws.SAMPLED)
    assert [t.uscc for t in result.targets] == _ordered(expected)
    assert [t.ordinal for t in result.targets] == list(range(1, len(expected) + 1))
    assert all(t.score == _mac(f"entity|{t.uscc}").hex() for t in result.targets)
    counts = {c: sum(t.stratum == c for t in result.targets) for c in "ABC"}
    assert counts == {"A": 5, "B": 10, "C": 9}  # ⌈0.05·100⌉, ⌈0.1·100⌉, min(⌈50⌉, 9)


def test_the_first_version_still_takes_the_smallest_scores():
    candidates, strata, _ = _inputs()
    expected = []
    for name, codes in _by_stratum(candidates).items():
        expected += _ordered(codes)[:_k(strata[name], len(codes))]
    first = _run(draws.FIRST)
    assert [t.uscc for t in first.targets] == _ordered(expected)
    assert [t.uscc for t in _run(draws.SAMPLED).targets] != [t.uscc for t in first.targets]


def test_the_seed_names_the_algorithm():
    assert draws.final_seed(SECRET, "e", draws.FIRST) == hashlib.sha256(
        f"gridgov-draw/1|{SECRET}|e".encode()).hexdigest()
    assert draws.final_seed(SECRET, "e") == draws.final_seed(SECRET, "e", draws.SAMPLED)
    assert draws.final_seed(SECRET, "e", draws.FIRST) != draws.final_seed(SECRET, "e")
    with pytest.raises(ValueError):
        _run("gridgov-draw/0")


def _rerun(tmp_path, data: bytes) -> subprocess.CompletedProcess:
    path = tmp_path / "draw.json"
    path.write_bytes(data)
    return subprocess.run([sys.executable, str(RERUN), str(path)], capture_output=True,
                          text=True, timeout=120)


def test_a_draw_stored_under_the_first_version_verifies_and_re_runs(session, register,
                                                                     tmp_path):
    draw = drawing.commit(session, principal=register.manager, task_id=register.task.id)
    draw.algorithm = draws.FIRST  # as a draw committed before gridgov-draw/2
    session.flush()
    drawn = drawing.perform(session, principal=register.manager, draw_id=draw.id)
    assert drawn.seed == draws.final_seed(draw.secret_seed, None, draws.FIRST)
    listing = drawing.candidate_text(drawn)
    strata = drawing.strata_of(drawn.rules)
    expected = []
    key = bytes.fromhex(drawn.seed)
    for name, codes in _by_stratum(draws.parse_candidates(listing)).items():
        ordered = sorted(codes, key=lambda c: (
            hmac.digest(key, f"entity|{c}".encode(), "sha256"), c))
        expected += ordered[:_k(strata[name], len(codes))]
    stored = drawing.stored_targets(session, drawn.id)
    assert sorted(t["uscc"] for t in stored) == sorted(expected)
    assert drawing.verify(session, principal=None, draw_id=drawn.id).matches
    run = _rerun(tmp_path, drawing.published_json(session, drawn, internal=True))
    assert run.returncode == 0, run.stdout + run.stderr
    # the same stored draw read as the other version does not verify
    drawn.algorithm = draws.SAMPLED
    session.flush()
    assert not drawing.verify(session, principal=None, draw_id=drawn.id).matches
    forged = json.loads(drawing.published_json(session, drawn, internal=True))
    assert _rerun(tmp_path, json.dumps(forged).encode()).returncode == 1


def test_a_target_whose_entity_is_gone_is_refused_and_nothing_stored(session, register):
    draw = drawing.commit(session, principal=register.manager, task_id=register.task.id)
    # every candidate's code changed since the commitment: no drawn code is found
    session.execute(text("UPDATE market_entity SET uscc = lower(uscc) WHERE id = ANY(:ids)"),
                    {"ids": register.entity_ids})
    with pytest.raises(Conflict) as refused:
        drawing.perform(session, principal=register.manager, draw_id=draw.id)
    assert refused.value.code == "entity_gone"
    assert session.scalar(select(func.count()).select_from(DrawTarget)
                          .where(DrawTarget.draw_id == draw.id)) == 0


def test_the_frozen_pool_names_who_is_stored(session, register):
    """The pairings carry the frozen pool's membership, account, name and 执法证."""
    draw = drawing.commit(session, principal=register.manager, task_id=register.task.id)
    for member in draw.rules["pool"]:
        member["name"] = f"{member['name']}\t（当时）"  # a tab: escaped for COPY
    flag_modified(draw, "rules")
    session.flush()
    drawing.perform(session, principal=register.manager, draw_id=draw.id)
    pool = {p["key"]: p for p in draw.rules["pool"]}
    rows = session.execute(text(
        "SELECT i.credential_number, i.name, i.membership_id, i.user_id, i.ordinal "
        "FROM market_draw_target_inspector i JOIN market_draw_target t ON t.id = i.target_id "
        "WHERE t.draw_id = :d"), {"d": draw.id}).all()
    assert rows and all(
        (name, membership, user) == (pool[key]["name"], pool[key]["membership_id"],
                                     pool[key]["user_id"])
        for key, name, membership, user, _ in rows)
    assert {ordinal for *_, ordinal in rows} >= {1, 2}
