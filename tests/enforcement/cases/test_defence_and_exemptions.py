"""Two rules of the law the procedure now keeps in its moves: the party's 陈述申辩 heard and
recorded after the notice (行政处罚法第四十五条), and 首违不罚 / 轻微免罚 kept to the matters
on the province's lists (第三十三条第一款, the matter's flags in the catalogue)."""

import pytest
from sqlalchemy import text

from core.errors import Conflict, DomainError
from enforcement.cases.models import Matter
from tests.enforcement.cases.conftest import MATTER, move, open_clue


def test_the_partys_defence_is_recorded_after_the_notice(session, settings, desk):
    case = open_clue(session, settings, desk)
    move(session, settings, desk, case, "file", matter_code=MATTER)
    with pytest.raises(DomainError) as early:
        move(session, settings, desk, case, "record_defence", "officer_a", reason="x")
    assert early.value.code == "move_not_allowed_now"
    move(session, settings, desk, case, "conclude", "officer_a")
    move(session, settings, desk, case, "notify", "officer_a", penalty_types=["fine"],
         fine_fen=300_000)
    with pytest.raises(DomainError) as bare:
        move(session, settings, desk, case, "record_defence", "officer_a")
    assert bare.value.code == "reason_required"
    version = case.version
    move(session, settings, desk, case, "record_defence", "officer_a",
         reason="当事人称系初次摆摊，已自行清理；经复核，事实清楚，维持拟处罚意见")
    assert (case.state, case.version) == ("notified", version + 1)
    note = session.scalar(text(
        "SELECT note FROM timeline_event WHERE subject_type = 'enforcement_case' "
        "AND subject_id = :id AND action = 'record_defence'"), {"id": case.id})
    assert "经复核" in note


def _case_on_matter(session, settings, desk, *, first_offence: bool):
    matter = session.query(Matter).filter_by(code=MATTER).one()
    matter.first_offence_exempt = first_offence
    case = open_clue(session, settings, desk)
    case.matter_id = matter.id
    session.flush()
    return case


def test_first_offence_is_declined_only_for_a_matter_on_the_list(session, settings, desk):
    case = _case_on_matter(session, settings, desk, first_offence=False)
    with pytest.raises(Conflict) as error:
        move(session, settings, desk, case, "decline", decline_reason="first_minor",
             reason="初次违法、及时改正")
    assert (error.value.code, error.value.extra["list"]) == ("matter_not_exempt", "首违不罚清单")
    assert case.state == "clue"
    # Another reason the law allows does not rest on the list.
    move(session, settings, desk, case, "decline", decline_reason="no_fault",
         reason="当事人有证据证明没有主观过错")
    assert case.state == "not_filed"
    listed = _case_on_matter(session, settings, desk, first_offence=True)
    move(session, settings, desk, listed, "decline", decline_reason="first_minor",
         reason="初次违法、及时改正")
    assert listed.state == "not_filed"
