"""A draw's set-based steps (register/draw_sets.py): the candidate listing built by the
database is draws.candidates_text of the candidates, byte for byte; the result stored in
two statements is the result drawn; an inspector gone since the commitment is refused once
for the whole draw (the pairings have no per-row foreign keys), and nothing is stored."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm.attributes import flag_modified

from core.errors import Conflict
from market_supervision.register import draw_sets, drawing, draws
from market_supervision.register.entities import month_start
from market_supervision.register.models import DrawTarget, DrawTargetInspector
from tests.market_supervision.register.conftest import add_entities


def test_the_listing_is_the_canonical_text(session, register):
    # codes of another county and lower-sorting prefixes mixed in
    add_entities(session, township=register.township, county=register.county, count=5,
                 start=9_000, risk="D")
    month = month_start(register.task.starts_on)
    rows = drawing.candidates_of(session, register.task, month)
    sql, params = drawing._candidate_sql(register.task)
    listing = draw_sets.listing(session, sql, {**params, "month": month})
    assert listing == draws.candidates_text((uscc, stratum) for _, uscc, stratum in rows)
    assert draw_sets.public_listing(listing) == draws.public_candidates_text(
        uscc for _, uscc, _ in rows)


def test_the_stored_result_is_the_drawn_result(session, register):
    draw = drawing.commit_and_draw(session, principal=register.manager,
                                   task_id=register.task.id)
    result = drawing.rerun(draw)
    stored = drawing.stored_targets(session, draw.id)
    assert [(t["ordinal"], t["uscc"], t["score"]) for t in stored] == [
        (t.ordinal, t.uscc, t.score) for t in result.targets]
    assert [tuple(i["credential_number"] for i in t["inspectors"]) for t in stored] == [
        t.inspectors for t in result.targets]
    members = {m: u for m, u in session.execute(text(
        "SELECT id, user_id FROM membership WHERE unit_id = :u"), {"u": register.office.id})}
    pairs = session.execute(select(DrawTargetInspector.membership_id,
                                   DrawTargetInspector.user_id)
                            .join(DrawTarget, DrawTarget.id == DrawTargetInspector.target_id)
                            .where(DrawTarget.draw_id == draw.id)).all()
    assert pairs and all(members.get(m) == u for m, u in pairs)
    assert drawing.verify(session, principal=None, draw_id=draw.id).matches


def test_an_inspector_gone_since_the_commitment_is_refused(session, register):
    draw = drawing.commit(session, principal=register.manager, task_id=register.task.id)
    for member in draw.rules["pool"]:
        member["membership_id"] = 987_654_321  # as if the memberships had been removed
    flag_modified(draw, "rules")
    session.flush()
    with pytest.raises(Conflict) as refused:
        drawing.perform(session, principal=register.manager, draw_id=draw.id)
    assert refused.value.code == "inspector_gone"
    assert set(refused.value.extra["credential_numbers"]) <= {
        m["key"] for m in draw.rules["pool"]}
    assert session.scalar(select(func.count()).select_from(DrawTarget)
                          .where(DrawTarget.draw_id == draw.id)) == 0
