"""双随机 draws (issue 14 §3): deterministic, committed before, re-runnable, tamper-evident;
counts per class = ratio rounded up; ≥ 2 qualified inspectors per target; no conflict."""

import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core.errors import Conflict
from market_supervision.register import drawing, draws, inspectors, plans
from market_supervision.register.models import Draw, DrawTarget, DrawTargetInspector, RatioRule
from tests.factories import unique
from tests.market_supervision.register.conftest import add_entities

RERUN = Path(__file__).parents[3] / "market_supervision" / "static" / "rerun.py"


def _draw(session, register, **options) -> Draw:
    return drawing.commit_and_draw(session, principal=register.manager,
                                   task_id=register.task.id, **options)


def _targets(session, draw_id):
    return drawing.stored_targets(session, draw_id)


def _another_task(session, register):
    plan_id = register.task.plan_id
    return plans.create_task(
        session, principal=register.manager, plan_id=plan_id, code=unique("T"), name="复抽",
        mode="undirected", area_code=register.township, ratio_scheme="general",
        starts_on=register.task.starts_on, ends_on=register.task.ends_on,
        organising_unit_id=register.office.id, implementing_unit_ids=[register.office.id],
        item_codes=[item.code for item in register.items])


# —— the pure algorithm ——

def _inputs(n=400):
    candidates = [(f"{i:018d}", "ABCD"[i % 4]) for i in range(n)]
    strata = {"A": draws.Stratum(Decimal("0.03")), "B": draws.Stratum(Decimal("0.05")),
              "C": draws.Stratum(Decimal("0.1")), "D": draws.Stratum(Decimal("0.2"), cap=7)}
    pool = [draws.Inspector(f"K{i:02d}", frozenset({"x", "y"} if i < 3 else {"x"}))
            for i in range(8)]
    return candidates, strata, pool


def test_the_same_inputs_and_seed_give_the_same_draw():
    candidates, strata, pool = _inputs()
    run = [draws.draw(candidates=candidates, strata=strata, items=["x", "y"], pool=pool,
                      seed="11" * 32, secret_seed="22" * 32) for _ in range(2)]
    assert run[0].targets == run[1].targets
    shuffled = list(reversed(candidates))  # the order given does not matter
    again = draws.draw(candidates=shuffled, strata=strata, items=["x", "y"],
                       pool=list(reversed(pool)), seed="11" * 32, secret_seed="22" * 32)
    assert again.targets == run[0].targets
    other = draws.draw(candidates=candidates, strata=strata, items=["x", "y"], pool=pool,
                       seed="12" * 32, secret_seed="22" * 32)
    assert [t.uscc for t in other.targets] != [t.uscc for t in run[0].targets]


def test_counts_per_class_are_the_ratio_rounded_up_and_capped():
    candidates, strata, pool = _inputs()
    result = draws.draw(candidates=candidates, strata=strata, items=["x"], pool=pool,
                        seed="33" * 32, secret_seed="44" * 32)
    counts = {c: sum(t.stratum == c for t in result.targets) for c in "ABCD"}
    # 100 in each class: ⌈3⌉, ⌈5⌉, ⌈10⌉, min(⌈20⌉, 7)
    assert counts == {"A": 3, "B": 5, "C": 10, "D": 7}
    assert draws.Stratum(Decimal("0.03")).count(1) == 1  # never rounded down to none
    assert draws.Stratum(Decimal("0.05")).count(21) == 2
    assert draws.Stratum(Decimal("0")).count(50) == 0


def test_teams_cover_every_item_with_two_at_least():
    candidates, strata, pool = _inputs()
    keys = {p.key: p for p in pool}
    result = draws.draw(candidates=candidates, strata=strata, items=["x", "y"], pool=pool,
                        seed="55" * 32, secret_seed="66" * 32)
    for target in result.targets:
        assert len(target.inspectors) >= 2 and len(set(target.inspectors)) == len(
            target.inspectors)
        assert set().union(*(keys[k].items for k in target.inspectors)) >= {"x", "y"}


def test_a_pool_too_small_cannot_draw():
    candidates, strata, _ = _inputs(40)
    with pytest.raises(draws.DrawImpossible):
        draws.draw(candidates=candidates, strata=strata, items=["x"],
                   pool=[draws.Inspector("K1", frozenset({"x"}))], seed="77" * 32,
                   secret_seed="88" * 32)


# —— draws as the units run them ——

def test_a_draw_counts_each_class_by_its_ratio(session, register):
    draw = _draw(session, register)
    ratios = {r.risk_class: r for r in session.scalars(
        select(RatioRule).where(RatioRule.scheme == "general"))}
    counts = dict(session.execute(text(
        "SELECT stratum, count(*) FROM market_draw_target WHERE draw_id = :d GROUP BY 1"),
        {"d": draw.id}).all())
    for risk_class, rule in ratios.items():  # 20 entities in each class
        assert counts.get(risk_class, 0) == math.ceil(Decimal(rule.ratio) * 20)
    assert draw.algorithm == draws.ALGORITHM and draw.state == "drawn"
    assert draw.candidates_count == 80


def test_every_target_has_two_qualified_inspectors_with_valid_credentials(session, register):
    draw = _draw(session, register)
    both_items = set(register.numbers[:2])
    for target in _targets(session, draw.id):
        numbers = [i["credential_number"] for i in target["inspectors"]]
        assert len(numbers) >= 2
        assert set(numbers) <= set(register.numbers), "expired or unqualified inspector drawn"
        assert set(numbers) & both_items, "no one on the team may inspect item B"


def test_no_declared_conflict_is_ever_paired(session, register):
    conflicted = register.inspectors[1]
    for entity_id in register.entity_ids:
        inspectors.declare_conflict(session, principal=register.manager,
                                    user_id=conflicted.user_id, entity_id=entity_id,
                                    reason="近亲属在该企业任职")
    draw = _draw(session, register)
    paired = session.scalars(select(DrawTargetInspector.user_id).join(
        DrawTarget, DrawTarget.id == DrawTargetInspector.target_id)
        .where(DrawTarget.draw_id == draw.id)).all()
    assert paired and conflicted.user_id not in paired
    assert drawing.verify(session, principal=None, draw_id=draw.id).matches


def test_the_same_register_gives_the_same_hash_and_a_changed_one_another(session, register):
    first = drawing.commit(session, principal=register.manager, task_id=register.task.id)
    same = drawing.commit(session, principal=register.manager,
                          task_id=_another_task(session, register).id)
    assert same.candidates_hash == first.candidates_hash
    add_entities(session, township=register.township, county=register.county, count=1,
                 start=500)
    changed = drawing.commit(session, principal=register.manager,
                             task_id=_another_task(session, register).id)
    assert changed.candidates_hash != first.candidates_hash
    assert changed.public_candidates_hash != first.public_candidates_hash


def test_the_commitment_comes_before_the_seed(session, register):
    draw = drawing.commit(session, principal=register.manager, task_id=register.task.id,
                          entropy_source="中国福利彩票双色球第2026141期开奖号码")
    assert draw.state == "committed" and draw.seed is None
    assert draw.seed_hash == draws.sha256_hex(draw.secret_seed)
    with pytest.raises(Exception, match="公开随机源"):
        drawing.perform(session, principal=register.manager, draw_id=draw.id)
    drawn = drawing.perform(session, principal=register.manager, draw_id=draw.id,
                            public_entropy="03 08 15 21 27 33 + 09")
    assert drawn.seed == draws.final_seed(draw.secret_seed, "03 08 15 21 27 33 + 09")
    assert drawing.verify(session, principal=None, draw_id=draw.id).matches
    with pytest.raises(Conflict):
        drawing.perform(session, principal=register.manager, draw_id=draw.id,
                        public_entropy="again")


def test_one_draw_per_task(session, register):
    _draw(session, register)
    with pytest.raises(Conflict):
        _draw(session, register)


def test_a_draw_is_frozen_against_later_changes_of_the_register(session, register):
    draw = _draw(session, register)
    add_entities(session, township=register.township, county=register.county, count=5,
                 start=700)
    session.execute(text("UPDATE market_entity SET risk_class = 'D' WHERE id = ANY(:ids)"),
                    {"ids": register.entity_ids})
    assert drawing.verify(session, principal=None, draw_id=draw.id).matches


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE market_draw_target SET uscc = '91350100M000100Y43' "
     "WHERE draw_id = :d AND ordinal = 1", "第 1 户"),
    ("UPDATE market_draw_target_inspector SET credential_number = 'FORGED' "
     "WHERE target_id = (SELECT id FROM market_draw_target WHERE draw_id = :d AND ordinal = 2)",
     "检查人员"),
    ("DELETE FROM market_draw_target WHERE draw_id = :d AND ordinal = 3", "户"),
    ("UPDATE market_draw SET secret_seed = repeat('0', 64) WHERE id = :d", "seed_hash"),
    ("UPDATE market_draw SET candidates = :blob WHERE id = :d", "candidates_hash"),
    ("UPDATE market_draw SET rules = jsonb_set(rules, '{strata,D,ratio}', '\"0.5\"') "
     "WHERE id = :d", "户"),
])
def test_verify_detects_tampering(session, register, tamper, expected):
    import gzip

    draw = _draw(session, register)
    assert drawing.verify(session, principal=None, draw_id=draw.id).matches
    blob = gzip.compress(drawing.candidate_text(draw).replace("\tA\n", "\tD\n", 1).encode())
    session.execute(text(tamper), {"d": draw.id, "blob": blob})
    session.expire_all()
    result = drawing.verify(session, principal=None, draw_id=draw.id)
    assert not result.matches
    assert any(expected in line for line in result.differences), result.differences


def test_a_draw_without_enough_inspectors_is_refused(session, register):
    session.execute(text("UPDATE membership SET credential_expires_on = current_date - 1 "
                         "WHERE unit_id = :u"), {"u": register.office.id})
    with pytest.raises(drawing.DrawRefused) as refused:
        _draw(session, register)
    assert refused.value.code == "draw_impossible"


# —— anyone can re-run it ——

def _rerun(tmp_path, data: bytes) -> subprocess.CompletedProcess:
    path = tmp_path / "draw.json"
    path.write_bytes(data)
    return subprocess.run([sys.executable, str(RERUN), str(path)], capture_output=True,
                          text=True, timeout=120)


def test_the_reference_script_re_runs_the_published_draw(session, register, tmp_path):
    inspectors.declare_conflict(session, principal=register.manager,
                                user_id=register.inspectors[0].user_id,
                                entity_id=register.entity_ids[0], reason="曾在该企业任职")
    draw = _draw(session, register)
    public = drawing.published_json(session, draw)
    run = _rerun(tmp_path, public)
    assert run.returncode == 0, run.stdout + run.stderr
    internal = drawing.published_json(session, draw, internal=True)
    run = _rerun(tmp_path, internal)
    assert run.returncode == 0, run.stdout + run.stderr
    forged = json.loads(public)
    forged["targets"][0]["inspectors"].reverse()
    run = _rerun(tmp_path, json.dumps(forged).encode())
    assert run.returncode == 1 and "inspectors differ" in run.stdout
    forged = json.loads(internal)
    forged["targets"] = forged["targets"][1:]
    run = _rerun(tmp_path, json.dumps(forged).encode())
    assert run.returncode == 1 and "targets differ" in run.stdout


def test_the_public_inputs_carry_no_risk_class(session, register):
    draw = _draw(session, register)
    public = json.loads(drawing.published_json(session, draw))
    assert "strata" not in public and all(isinstance(c, str) for c in public["candidates"])
    assert "stratum" not in json.dumps(public) and "risk" not in json.dumps(public)
    # and the conflicts only as tokens
    assert "declared_conflicts" not in public
