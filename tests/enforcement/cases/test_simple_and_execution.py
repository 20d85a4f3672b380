"""The simple procedure's ceilings (行政处罚法第五十一条, rows of enforcement_rule) at their
limits in fen; 加处罚款 (第七十二条第一项, capped by 行政强制法第四十五条); 两法衔接 on its
clocks (《行政执法机关移送涉嫌犯罪案件的规定》第五、六、八条)."""

from datetime import timedelta

import pytest

from core.errors import Conflict, InvalidInput
from enforcement.cases import service
from enforcement.cases.schemas import CaseIn
from enforcement.cases.service import amount_due, surcharge_fen
from tests.enforcement.cases.conftest import (
    CITIZEN_ID,
    MATTER,
    USCC,
    at,
    due_of,
    grid_code,
    move,
    open_clue,
)

CITIZEN = {"kind": "citizen", "name": "王五", "id_number": CITIZEN_ID}
COMPANY = {"kind": "organisation", "name": "株洲某商贸有限公司", "uscc": USCC}


def on_the_spot(session, settings, desk, party, fine, *, types=("fine",), signed=True):
    data = CaseIn(procedure="simple", unit_id=desk.unit.id, title="当场处罚：占道经营",
                  area_code=grid_code(session, desk.township), matter_code=MATTER,
                  parties=[party], penalty={"penalty_types": list(types), "fine_fen": fine,
                                            "party_signed": signed})
    case, _ = service.open_case(session, principal=desk.people["officer_a"], data=data,
                                settings=settings)
    return case


@pytest.mark.parametrize("party, limit", [(CITIZEN, 20_000), (COMPANY, 300_000)])
def test_the_simple_procedure_at_its_limits(session, settings, desk, party, limit):
    case = on_the_spot(session, settings, desk, party, limit)
    assert (case.procedure, case.state, case.fine_fen) == ("simple", "served", limit)
    assert due_of(session, case)  # 15 days to pay
    with pytest.raises(InvalidInput) as above:
        on_the_spot(session, settings, desk, party, limit + 1)
    assert above.value.code == "simple_limit_exceeded"
    assert above.value.extra["limit_fen"] == limit
    assert "第五十一条" in above.value.extra["citation"]
    assert f"{limit // 100:,} 元" in above.value.detail


def test_a_warning_on_the_spot_is_closed_at_once_and_needs_a_signature(session, settings,
                                                                      desk):
    case = on_the_spot(session, settings, desk, CITIZEN, None, types=("warning",))
    assert case.state == "closed"
    with pytest.raises(InvalidInput) as unsigned:
        on_the_spot(session, settings, desk, CITIZEN, None, types=("warning",), signed=False)
    assert unsigned.value.code == "signature_required"


def test_the_simple_limits_are_data(session, settings, desk):
    from enforcement.cases import rules

    row = rules.rule(session, "simple_citizen_max")
    rules.update_rule(session, key=row.key, value="10000", version=row.version)
    with pytest.raises(InvalidInput) as above:
        on_the_spot(session, settings, desk, CITIZEN, 10_001)
    assert above.value.extra["limit_fen"] == 10_000


def test_the_surcharge_is_3_percent_a_day_and_never_more_than_the_fine():
    fine = 100_000
    assert surcharge_fen(fine, 0, 30) == 0
    assert surcharge_fen(fine, 1, 30) == 3_000
    assert surcharge_fen(fine, 10, 30) == 30_000
    assert surcharge_fen(fine, 33, 30) == 99_000
    assert surcharge_fen(fine, 34, 30) == fine  # 102 % capped
    assert surcharge_fen(fine, 400, 30) == fine


def test_the_amount_due_counts_days_past_the_payment_day(session, settings, desk):
    from core.workflow.calendar_store import load_calendar

    case = on_the_spot(session, settings, desk, CITIZEN, 20_000)
    calendar = load_calendar(session, settings=settings)
    due = case.payment_due_at
    assert amount_due(session, case, now=due, calendar=calendar)["surcharge_fen"] == 0
    day1 = amount_due(session, case, now=due + timedelta(hours=1), calendar=calendar)
    assert (day1["days_late"], day1["surcharge_fen"], day1["total_fen"]) == (1, 600, 20_600)
    day10 = amount_due(session, case, now=due + timedelta(days=9, hours=1), calendar=calendar)
    assert (day10["days_late"], day10["surcharge_fen"]) == (10, 6_000)
    past = amount_due(session, case, now=due + timedelta(days=60), calendar=calendar)
    assert past["surcharge_fen"] == 20_000 and past["total_fen"] == 40_000
    # 催告 only once the day has passed; then the court within 3 months.
    with pytest.raises(Conflict):
        move(session, settings, desk, case, "urge", "officer_a", now=due - timedelta(hours=1))
    move(session, settings, desk, case, "urge", "officer_a", now=due + timedelta(days=1))
    assert case.state == "urged" and due_of(session, case, "court")
    move(session, settings, desk, case, "pay", "officer_a", now=due + timedelta(days=9, hours=1))
    assert case.paid_fen == 26_000  # the fine and ten days' surcharge


def test_transfer_to_the_police_on_its_clocks(session, settings, desk):
    case = open_clue(session, settings, desk, now=at("2026-09-01 10:00"))
    move(session, settings, desk, case, "file", now=at("2026-09-01 11:00"), matter_code=MATTER)
    move(session, settings, desk, case, "propose_transfer", "officer_a",
         now=at("2026-09-02 10:00"), reason="涉案金额达到刑事立案标准")
    # The head decides within 3 days (9/5, a Saturday: moved to Mon 9/7).
    assert due_of(session, case) == at("2026-09-07 00:00") + timedelta(
        hours=23, minutes=59, seconds=59, microseconds=999999)
    assert case.suspended_from == "investigating"
    move(session, settings, desk, case, "approve_transfer", now=at("2026-09-03 10:00"))
    with pytest.raises(InvalidInput) as partial:
        move(session, settings, desk, case, "hand_over", "officer_a",
             now=at("2026-09-03 15:00"), package=["transfer_letter"])
    assert partial.value.code == "transfer_package_incomplete"
    move(session, settings, desk, case, "hand_over", "officer_a", now=at("2026-09-03 15:00"),
         package=["transfer_letter", "investigation_report", "items_list", "test_report"])
    assert case.state == "transferred" and due_of(session, case)  # the police's 3 days
    move(session, settings, desk, case, "police_decline", "officer_a",
         now=at("2026-09-05 10:00"), reason="公安机关认为不构成犯罪，退回")
    assert case.state == "investigating" and case.police_answer.startswith("公安机关")
    move(session, settings, desk, case, "propose_transfer", "officer_a",
         now=at("2026-09-08 10:00"), reason="补充证据后再次提请")
    move(session, settings, desk, case, "refuse_transfer", now=at("2026-09-09 10:00"),
         reason="证据不足")
    assert case.state == "investigating"


def test_payment_deferred_on_application_moves_the_surcharge_day(session, settings, desk):
    from core.workflow.calendar_store import load_calendar

    case = on_the_spot(session, settings, desk, COMPANY, 300_000)
    first_due = case.payment_due_at
    with pytest.raises(Exception) as officer:
        move(session, settings, desk, case, "defer_payment", "officer_a", reason="经营困难",
             extend_by="30cd")
    assert officer.value.code == "position_required"
    move(session, settings, desk, case, "defer_payment", reason="经营困难，申请暂缓缴纳",
         extend_by="30cd")
    assert case.payment_due_at > first_due + timedelta(days=29)
    calendar = load_calendar(session, settings=settings)
    owed = amount_due(session, case, now=first_due + timedelta(days=5), calendar=calendar)
    assert owed["surcharge_fen"] == 0
