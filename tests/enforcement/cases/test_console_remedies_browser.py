"""The enforcement console's forms after a decision, in Chromium (issue 13 §2 执行 and §9):
the officer who is also his unit's head sets a payment plan with instalments (暂缓/分期缴纳,
行政处罚法第六十六条第二款: the party's application, then the head's approval, both moves
of the shared form) and records a 行政复议 and its outcome (the two forms of records.js),
then the database holds the plan, its instalments, the appeal and its outcome.

The case is a 当场处罚 of 150 元 (decided and served on the spot), committed for the live
server and removed after, with the demo officer's memberships."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.console_platforms_support import (
    Made,
    first_grid,
    first_township,
    join,
    principal,
    unit_at,
    user_id,
)
from tests.api.test_console_platforms_browser import (
    move,
    open_console,
    open_subject,
    see_state,
    seeded,
)

__all__ = ["seeded"]  # a fixture, imported for the journey's case

TZ = ZoneInfo("Asia/Shanghai")
FINE_FEN = 15_000
CITIZEN_ID = "11010519491231002X"


def served_fine(session: Session, settings, *, username: str) -> Made:
    """A 当场处罚 of 150 元 on a citizen by the demo officer, head and 承办人 of a new team."""
    from enforcement.cases import service
    from enforcement.cases.schemas import CaseIn

    uid = user_id(session, username)
    township = first_township(session, principal(session, uid).scope_code)
    unit = unit_at(session, kind="enforcement_team", platform="enforcement",
                   department="chengguan", seat=township, name="控制台执行测试执法队")
    memberships = [join(session, unit, uid, position, credential=True)
                   for position in ("head", "handler")]
    data = CaseIn(procedure="simple", unit_id=unit.id, source="patrol",
                  title="占道经营（执行测试）", facts="在人行道上摆摊",
                  area_code=first_grid(session, township),
                  parties=[{"kind": "citizen", "name": "张三", "id_number": CITIZEN_ID}],
                  penalty={"penalty_types": ["fine"], "fine_fen": FINE_FEN,
                           "party_signed": True})
    case, _ = service.open_case(session, principal=principal(session, uid), data=data,
                                settings=settings)
    session.flush()
    return Made(case.id, case.version, "enforcement_case", "enforcement_case", case.state,
                rows=[("unit", unit.id)], memberships=memberships)


@pytest.fixture
def case(seeded, engine):
    made = seeded(served_fine, username="demo_enforcement_officer")
    yield made
    # The 文书 name the case by type and id (no foreign key for the cleanup to follow).
    with Session(engine) as session:
        session.execute(text("DELETE FROM document WHERE subject_type = 'enforcement_case' "
                             "AND subject_id = :id"), {"id": made.id})
        session.commit()


def _plan(engine, case_id: int):
    with Session(engine) as session:
        plan = session.execute(text(
            "SELECT p.id, p.state, c.payment_plan_id FROM enforcement_payment_plan p "
            "JOIN enforcement_case c ON c.id = p.case_id WHERE p.case_id = :id"),
            {"id": case_id}).one()
        instalments = session.execute(text(
            "SELECT seq, amount_fen, due_on FROM enforcement_instalment WHERE plan_id = :p "
            "ORDER BY seq"), {"p": plan.id}).all()
    return plan, [tuple(row) for row in instalments]


@pytest.mark.browser
def test_a_payment_plan_and_an_appeal_with_its_outcome_from_the_console(
        live_server, tab, settings, engine, case, artefacts):
    from playwright.sync_api import expect

    page = tab.page
    open_console(page, live_server, settings, "enforcement", "demo_enforcement_officer")
    open_subject(page, "mine", case.id)
    # Each clock with its rule and what stops it.
    expect(page.locator(".console-clocks tr[data-clock=reconsideration]")).to_contain_text(
        "申请行政复议后停止")
    today = datetime.now(TZ).date()
    first, second = today + timedelta(days=10), today + timedelta(days=40)

    def apply(form):
        form.locator("textarea[name=reason]").fill("经营困难，申请分两期缴纳")
        form.locator("textarea[name=instalments]").fill(f"{first} 100\n{second} 50")
    move(page, "apply_payment_plan", apply)
    see_state(page, case.id, case.version + 1, "served", "已送达（待履行）")
    plans = page.locator(".console-plans-section")
    expect(plans).to_contain_text("applied")
    expect(plans).to_contain_text("第 2 期")
    plan, _ = _plan(engine, case.id)

    def approve(form):
        form.locator("input[name=plan_id]").fill(str(plan.id))
        form.locator("select[name=granted]").select_option("true")
    move(page, "decide_payment_plan", approve)
    see_state(page, case.id, case.version + 2, "served", "已送达（待履行）")
    expect(page.locator(".console-plans-section")).to_contain_text("approved")

    appeal = page.locator(".console-appeal-form")
    appeal.locator("select[name=kind]").select_option("reconsideration")
    appeal.locator("input[name=body]").fill("株洲市荷塘区人民政府")
    appeal.locator("input[name=filed_on]").fill(today.isoformat())
    appeal.locator("button[type=submit]").click()
    listed = page.locator(".console-appeals li[data-appeal]")
    expect(listed).to_contain_text("行政复议 · 株洲市荷塘区人民政府")
    expect(listed).to_contain_text("待结果")

    outcome = page.locator(".console-outcome-form")
    outcome.locator("select[name=outcome]").select_option("changed")
    outcome.locator("input[name=decided_on]").fill(today.isoformat())
    outcome.locator("input[name=document_title]").fill("行政复议决定书")
    outcome.locator("input[name=document_number]").fill("株荷政复决字〔2026〕第12号")
    outcome.locator("button[type=submit]").click()
    expect(listed).to_contain_text("结果：变更")
    expect(page.locator(".console-outcome-form")).to_have_count(0)
    page.screenshot(path=str(artefacts / "console-enforcement-remedies.png"), full_page=True)

    plan, instalments = _plan(engine, case.id)
    assert (plan.state, plan.payment_plan_id) == ("approved", plan.id)
    assert instalments == [(1, 10_000, first), (2, 5_000, second)]
    with Session(engine) as session:
        appeal_row = session.execute(text(
            "SELECT kind, body, filed_on, in_time, outcome, corrects, decided_on, "
            "document_title, document_number FROM enforcement_appeal WHERE case_id = :id"),
            {"id": case.id}).one()
        version = session.scalar(text("SELECT version FROM enforcement_case WHERE id = :id"),
                                 {"id": case.id})
    assert tuple(appeal_row) == ("reconsideration", "株洲市荷塘区人民政府", today, True,
                                 "changed", True, today, "行政复议决定书",
                                 "株荷政复决字〔2026〕第12号")
    assert version == case.version + 4  # two moves, the filing, the outcome
