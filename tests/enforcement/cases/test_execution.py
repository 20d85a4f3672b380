"""执行 and remedies, dates worked out by hand on the 2026 calendar:
- 暂缓/分期缴纳 (行政处罚法第六十六条第二款) as their own records, and 加处罚款 (第七十二条第一项,
  30 ‰ a day, never more than the fine: 行政强制法第四十五条) counted per instalment;
- 复议/诉讼 outcomes (行政复议法, 行政诉讼法) and the 公示 withdrawn within 3 working days
  (《市场监督管理行政处罚信息公示规定》第十一条); the 复议/诉讼纠错率 KPI;
- the 24-hour hand-over to the police (移送规定第五条) in elapsed minutes."""

from datetime import date, datetime, timedelta

import pytest

from core.errors import Conflict, Forbidden, InvalidInput
from core.scope import Scope
from core.workflow.calendar_store import load_calendar
from enforcement.cases import appeals
from enforcement.cases.payments import _cap, surcharge_on
from enforcement.cases.schemas_appeals import AppealIn, AppealOutcomeIn
from enforcement.cases.service import amount_due, case_detail
from enforcement.teams.kpis import case_kpis
from tests.enforcement.cases.conftest import MATTER, TZ, at, due_of, move, open_clue

END = timedelta(hours=23, minutes=59, seconds=59, microseconds=999999)
FINE = 1_000_000  # 1 万元


def day_end(day: str) -> datetime:
    return at(f"{day} 00:00") + END


def served(session, settings, desk, *, fine=FINE, filed="2026-10-08 10:00",
           notified="2026-10-20 10:00", decided="2026-10-30 10:00", on="2026-11-02 10:00"):
    """A fine decided and served in person (15 days to pay from service)."""
    case = open_clue(session, settings, desk, now=at(filed) - timedelta(days=1))
    move(session, settings, desk, case, "file", now=at(filed), matter_code=MATTER)
    move(session, settings, desk, case, "conclude", "officer_a", now=at(notified))
    move(session, settings, desk, case, "notify", "officer_a", now=at(notified),
         penalty_types=["fine"], fine_fen=fine)
    move(session, settings, desk, case, "decide", now=at(decided), outcome="penalty",
         penalty_types=["fine"], fine_fen=fine)
    move(session, settings, desk, case, "serve", "officer_a", now=at(on),
         service_method="direct")
    return case


SCHEDULE = [{"due_on": date(2026, 11, 20), "amount_fen": 400_000},   # Fri
            {"due_on": date(2026, 12, 19), "amount_fen": 300_000},   # Sat → Mon 12/21
            {"due_on": date(2026, 12, 31), "amount_fen": 300_000}]   # Thu


def test_instalments_on_application_and_the_surcharge_counted_per_instalment(session,
                                                                              settings, desk):
    case = served(session, settings, desk)
    # Served Mon 11/2: 15 days to pay → Tue 11/17; at most 90 days more → 2027-02-15.
    assert case.payment_due_at == day_end("2026-11-17")
    with pytest.raises(InvalidInput) as short:
        move(session, settings, desk, case, "apply_payment_plan", "officer_a",
             now=at("2026-11-05 10:00"), reason="经营困难",
             instalments=[{"due_on": date(2026, 11, 20), "amount_fen": 999_999}])
    assert short.value.code == "instalments_sum_mismatch"
    with pytest.raises(InvalidInput) as late:
        move(session, settings, desk, case, "apply_payment_plan", "officer_a",
             now=at("2026-11-05 10:00"), reason="经营困难",
             instalments=[{"due_on": date(2027, 2, 16), "amount_fen": FINE}])
    assert late.value.code == "instalments_too_late"
    assert late.value.extra["latest"] == "2027-02-15"
    move(session, settings, desk, case, "apply_payment_plan", "officer_a",
         now=at("2026-11-05 10:00"), reason="确有经济困难，申请分三期缴纳", instalments=SCHEDULE)
    with pytest.raises(Conflict) as twice:
        move(session, settings, desk, case, "apply_payment_plan", "officer_a",
             now=at("2026-11-05 11:00"), reason="再次申请", instalments=SCHEDULE)
    assert twice.value.code == "payment_plan_pending"
    plan_id = case_detail(session, case, desk.people["head"], settings=settings)[
        "payment_plans"][0]["id"]
    with pytest.raises(Forbidden) as officer:  # the head approves (第六十六条: 行政机关批准)
        move(session, settings, desk, case, "decide_payment_plan", "officer_a",
             now=at("2026-11-06 10:00"), plan_id=plan_id, granted=True)
    assert officer.value.code == "position_required"
    move(session, settings, desk, case, "decide_payment_plan", now=at("2026-11-06 10:00"),
         plan_id=plan_id, granted=True)
    assert case.payment_plan_id == plan_id
    assert case.payment_due_at == day_end("2026-11-20")  # the first instalment's day
    assert due_of(session, case) == day_end("2026-12-31")  # the payment clock: the last
    calendar = load_calendar(session, settings=settings)

    # The first, on its day: no surcharge.
    move(session, settings, desk, case, "pay_instalment", "officer_a",
         now=at("2026-11-20 15:00"))
    assert (case.state, case.paid_fen) == ("served", 400_000)
    assert case.payment_due_at == day_end("2026-12-21")  # Sat 12/19 moved to Monday
    # The second, two days late (12/22, 12/23): 300,000 × 3 % × 2.
    owed = amount_due(session, case, now=at("2026-12-23 10:00"), calendar=calendar)
    assert (owed["days_late"], owed["surcharge_fen"]) == (2, 18_000)
    assert owed["total_fen"] == 600_000 + 18_000
    move(session, settings, desk, case, "urge", "officer_a", now=at("2026-12-22 09:00"))
    assert case.state == "urged"
    move(session, settings, desk, case, "pay_instalment", "officer_a",
         now=at("2026-12-23 10:00"))
    assert (case.state, case.paid_fen) == ("urged", 718_000)
    # The last: its 1st day late and its 10th.
    day1 = amount_due(session, case, now=at("2027-01-01 10:00"), calendar=calendar)
    assert (day1["days_late"], day1["surcharge_fen"]) == (1, 9_000)
    day10 = amount_due(session, case, now=at("2027-01-10 10:00"), calendar=calendar)
    assert (day10["days_late"], day10["surcharge_fen"]) == (10, 90_000)
    move(session, settings, desk, case, "pay_instalment", "officer_a",
         now=at("2027-01-10 10:00"))
    assert (case.state, case.paid_fen) == ("paid", 718_000 + 390_000)
    plan = case_detail(session, case, desk.people["head"], settings=settings)[
        "payment_plans"][0]
    assert [i["surcharge_paid_fen"] for i in plan["instalments"]] == [0, 18_000, 90_000]


def test_the_surcharge_on_instalments_never_passes_the_fine():
    assert surcharge_on(300_000, 1, 30) == 9_000
    assert surcharge_on(300_000, 33, 30) == 297_000
    assert surcharge_on(300_000, 34, 30) == 300_000  # 102 %: the instalment's amount
    lines = [{"paid_at": None, "surcharge_fen": 80}, {"paid_at": None, "surcharge_fen": 80}]
    _cap(lines, 100)  # all together within what the fine leaves
    assert [line["surcharge_fen"] for line in lines] == [80, 20]


def test_a_refused_plan_leaves_the_payment_day(session, settings, desk):
    case = served(session, settings, desk)
    move(session, settings, desk, case, "apply_payment_plan", "officer_a",
         now=at("2026-11-05 10:00"), reason="申请暂缓",
         instalments=[{"due_on": date(2026, 12, 31), "amount_fen": FINE}])
    plan = case_detail(session, case, desk.people["head"], settings=settings)["payment_plans"][0]
    with pytest.raises(InvalidInput) as wrong:
        move(session, settings, desk, case, "decide_payment_plan", now=at("2026-11-06 10:00"),
             plan_id=plan["id"] + 1000, granted=True)
    assert wrong.value.code == "payment_plan_not_found"
    move(session, settings, desk, case, "decide_payment_plan", now=at("2026-11-06 10:00"),
         plan_id=plan["id"], granted=False, reason="不符合经济困难条件")
    assert case.payment_plan_id is None and case.payment_due_at == day_end("2026-11-17")
    with pytest.raises(Conflict) as none:
        move(session, settings, desk, case, "pay_instalment", "officer_a",
             now=at("2026-11-10 10:00"))
    assert none.value.code == "no_payment_plan"


def test_paying_all_at_once_on_a_plan_settles_every_instalment(session, settings, desk):
    case = served(session, settings, desk)
    move(session, settings, desk, case, "apply_payment_plan", "officer_a",
         now=at("2026-11-05 10:00"), reason="分期", instalments=SCHEDULE)
    plan_id = case_detail(session, case, desk.people["head"], settings=settings)[
        "payment_plans"][0]["id"]
    move(session, settings, desk, case, "decide_payment_plan", now=at("2026-11-06 10:00"),
         plan_id=plan_id, granted=True)
    move(session, settings, desk, case, "pay_instalment", "officer_a",
         now=at("2026-11-20 15:00"))
    # Three days after the second's Monday (12/22–12/24): 300,000 × 3 % × 3 on it.
    move(session, settings, desk, case, "pay", "officer_a", now=at("2026-12-24 10:00"))
    assert (case.state, case.paid_fen) == ("paid", 400_000 + 600_000 + 27_000)
    plan = case_detail(session, case, desk.people["head"], settings=settings)[
        "payment_plans"][0]
    assert all(i["paid_at"] for i in plan["instalments"])
    assert [i["surcharge_paid_fen"] for i in plan["instalments"]] == [0, 27_000, 0]


def _appeal(session, settings, desk, case, kind, filed_on, *, now):
    return appeals.file(session, case, AppealIn(version=case.version, kind=kind,
                                                body="株洲市荷塘区人民政府", filed_on=filed_on),
                        principal=desk.people["officer_a"], settings=settings, now=now)


def test_a_revoked_decision_comes_off_the_public_list_in_3_working_days(session, settings,
                                                                         desk):
    case = served(session, settings, desk, filed="2026-07-01 10:00",
                  notified="2026-07-20 10:00", decided="2026-07-30 10:00",
                  on="2026-07-31 10:00")
    move(session, settings, desk, case, "publish", "officer_a", now=at("2026-08-03 10:00"))
    # 60 days to ask for 复议 from service on Fri 7/31: Tue 9/29.
    assert due_of(session, case, "reconsideration") == day_end("2026-09-29")
    appeal = _appeal(session, settings, desk, case, "reconsideration", date(2026, 9, 29),
                     now=at("2026-09-30 10:00"))
    assert appeal.in_time
    with pytest.raises(Conflict) as pending:  # 复议期间不得起诉 (行政诉讼法第四十四条)
        _appeal(session, settings, desk, case, "litigation", date(2026, 9, 30),
                now=at("2026-09-30 11:00"))
    assert pending.value.code == "appeal_pending"
    with pytest.raises(Conflict) as stale:
        appeals.record_outcome(session, case, appeal.id, AppealOutcomeIn(
            version=appeal.version + 1, outcome="revoked", decided_on=date(2026, 11, 20),
            document_title="行政复议决定书"), principal=desk.people["officer_a"],
            settings=settings, now=at("2026-11-23 10:00"))
    assert stale.value.code == "stale_version"
    appeals.record_outcome(session, case, appeal.id, AppealOutcomeIn(
        version=appeal.version, outcome="revoked", decided_on=date(2026, 11, 20),
        document_title="行政复议决定书", document_number="荷政复决字〔2026〕第12号"),
        principal=desk.people["officer_a"], settings=settings, now=at("2026-11-23 10:00"))
    # Recorded Mon 11/23 10:00: 11/24, 11/25, Thu 11/26 at the close of office.
    assert due_of(session, case, "withdrawal") == at("2026-11-26 17:30")
    # 15 days to sue from the 复议 decision of Fri 11/20: Sat 12/5 → Mon 12/7.
    assert due_of(session, case, "litigation") == day_end("2026-12-07")
    move(session, settings, desk, case, "withdraw_publication", "officer_a",
         now=at("2026-11-24 10:00"), reason="复议决定撤销原处罚决定")
    detail = case_detail(session, case, desk.people["head"], settings=settings)
    withdrawal = next(c for c in detail["clocks"] if c["name"] == "withdrawal")
    assert withdrawal["stopped_at"] is not None and not withdrawal["late"]
    [shown] = detail["appeals"]
    assert (shown["outcome_label"], shown["corrects"]) == ("撤销", True)
    rows = case_kpis(session, scope=Scope.of(desk.people["head"]), since=at("2026-11-01 00:00"),
                     until=at("2026-12-01 00:00"), by="unit", level="township")
    ours = next(r for r in rows if r["key"] == str(desk.unit.id))
    assert ours["review_correction_rate"] == 1.0


def test_a_late_filing_is_recorded_as_late_and_an_upheld_decision_stays_public(
        session, settings, desk):
    case = served(session, settings, desk, filed="2026-07-01 10:00",
                  notified="2026-07-20 10:00", decided="2026-07-30 10:00",
                  on="2026-07-31 10:00")
    move(session, settings, desk, case, "publish", "officer_a", now=at("2026-08-03 10:00"))
    appeal = _appeal(session, settings, desk, case, "reconsideration", date(2026, 9, 30),
                     now=at("2026-10-08 10:00"))
    assert not appeal.in_time and appeal.limit_due == day_end("2026-09-29")
    with pytest.raises(InvalidInput) as before:
        appeals.record_outcome(session, case, appeal.id, AppealOutcomeIn(
            version=appeal.version, outcome="upheld", decided_on=date(2026, 9, 1),
            document_title="行政复议决定书"), principal=desk.people["officer_a"],
            settings=settings, now=at("2026-11-02 10:00"))
    assert before.value.code == "appeal_date_invalid"
    appeals.record_outcome(session, case, appeal.id, AppealOutcomeIn(
        version=appeal.version, outcome="upheld", decided_on=date(2026, 10, 30),
        document_title="行政复议决定书"), principal=desk.people["officer_a"],
        settings=settings, now=at("2026-11-02 10:00"))
    names = {c["name"] for c in case_detail(session, case, desk.people["head"],
                                            settings=settings)["clocks"]
             if c["stopped_at"] is None}
    assert "withdrawal" not in names and "litigation" in names
    rows = case_kpis(session, scope=Scope.of(desk.people["head"]), since=at("2026-10-01 00:00"),
                     until=at("2026-11-01 00:00"), by="unit", level="township")
    assert next(r for r in rows if r["key"] == str(desk.unit.id))["review_correction_rate"] == 0


def test_no_appeal_before_a_decision(session, settings, desk):
    case = open_clue(session, settings, desk, now=at("2026-09-01 10:00"))
    with pytest.raises(Conflict) as none:
        _appeal(session, settings, desk, case, "reconsideration", date(2026, 9, 2),
                now=at("2026-09-03 10:00"))
    assert none.value.code == "no_decision"


def test_the_police_hand_over_runs_24_hours_day_and_night(session, settings, desk):
    # Approved Fri 9/4 16:00: handed over by Sat 9/5 16:00 — hours, not days, no rest-day rule.
    case = open_clue(session, settings, desk, now=at("2026-09-01 10:00"))
    move(session, settings, desk, case, "file", now=at("2026-09-01 11:00"), matter_code=MATTER)
    move(session, settings, desk, case, "propose_transfer", "officer_a",
         now=at("2026-09-02 10:00"), reason="涉嫌犯罪")
    move(session, settings, desk, case, "approve_transfer", now=at("2026-09-04 16:00"))
    assert due_of(session, case) == at("2026-09-05 16:00")
    step = next(c for c in case_detail(session, case, desk.people["head"], settings=settings)[
        "clocks"] if c["name"] == "step" and c["stopped_at"] is None)
    assert step["limit"] == "1440min" and "24小时" in step["citation"]


def test_plans_and_appeals_through_http(session, settings, desk, anonymous):
    from tests.enforcement.cases.test_api import BASE, as_

    # The routes act at today's instant: the case is served four days ago.
    now = datetime.now(TZ)
    case = served(session, settings, desk, filed=_ago(now, 20), notified=_ago(now, 10),
                  decided=_ago(now, 5), on=_ago(now, 4))
    client = as_(anonymous, settings, desk, "officer_a")
    first, last = (now + timedelta(days=5)).date(), (now + timedelta(days=30)).date()
    applied = client.post(f"{BASE}/{case.id}/actions/apply_payment_plan", json={
        "version": case.version, "reason": "确有经济困难",
        "instalments": [{"due_on": first.isoformat(), "amount_fen": 600_000},
                        {"due_on": last.isoformat(), "amount_fen": 400_000}]})
    assert applied.status_code == 200, applied.text
    bad = client.post(f"{BASE}/{case.id}/actions/apply_payment_plan", json={
        "version": applied.json()["version"], "reason": "x",
        "instalments": [{"due_on": "明天", "amount_fen": 1}]})
    assert bad.status_code == 422
    detail = client.get(f"{BASE}/{case.id}").json()
    [plan] = detail["payment_plans"]
    assert plan["state"] == "applied" and [i["amount_fen"] for i in plan["instalments"]] == [
        600_000, 400_000]
    appeal = client.post(f"{BASE}/{case.id}/appeals", json={
        "version": detail["version"], "kind": "litigation", "body": "株洲市荷塘区人民法院",
        "filed_on": now.date().isoformat()})
    assert appeal.status_code == 201, appeal.text
    assert appeal.json()["in_time"] and appeal.json()["kind_label"] == "行政诉讼"
    outcome = client.post(f"{BASE}/{case.id}/appeals/{appeal.json()['id']}/outcome", json={
        "version": appeal.json()["version"], "outcome": "quashed", "decided_on":
        now.date().isoformat(), "document_title": "行政判决书"})
    assert outcome.status_code == 422  # not an outcome the law knows
    judged = client.post(f"{BASE}/{case.id}/appeals/{appeal.json()['id']}/outcome", json={
        "version": appeal.json()["version"], "outcome": "upheld",
        "decided_on": now.date().isoformat(), "document_title": "行政判决书",
        "document_number": "（2026）湘0202行初1号"})
    assert judged.status_code == 200, judged.text
    again = client.post(f"{BASE}/{case.id}/appeals/{appeal.json()['id']}/outcome", json={
        "version": judged.json()["version"], "outcome": "revoked",
        "decided_on": now.date().isoformat(), "document_title": "行政判决书"})
    assert again.status_code == 409 and again.json()["code"] == "appeal_decided"
    shown = client.get(f"{BASE}/{case.id}").json()
    assert [a["outcome_label"] for a in shown["appeals"]] == ["维持"]
    assert any(e["action"] == "appeal_decided" for e in shown["timeline"])


def _ago(now: datetime, days: int) -> str:
    return (now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M")
