"""Every move of the ordinary procedure, allowed and refused by role and position, by
state, and by the guards of the law (行政处罚法): two officers with valid 执法证 (第四十二
条), 回避 (第四十三条), the notice before the decision and the decision no heavier than it
(第四十四、四十五条), 法制审核 (第五十八条), 集体讨论 (第五十七条), the limitation period
(第三十六条), the reasons to decline. Each refusal is a DomainError with a stable code, and
the case is as it was (same state, same version)."""

from datetime import timedelta

import pytest

from core.errors import Conflict, DomainError, Forbidden, InvalidInput
from core.security import Principal
from core.users.enums import Role
from enforcement.cases import evidence
from enforcement.cases.models import DeclaredConflict, Recusal
from enforcement.cases.schemas import EvidenceIn
from enforcement.cases.service import now_utc
from tests.enforcement.cases.conftest import CITIZEN_ID, MATTER, SAFETY_MATTER, move, open_clue


def refused(session, settings, desk, case, name, who="head", **fields) -> DomainError:
    state, version = case.state, case.version
    with pytest.raises(DomainError) as error:
        move(session, settings, desk, case, name, who, **fields)
    session.refresh(case)
    assert (case.state, case.version) == (state, version)
    return error.value


def investigating(session, settings, desk, **kwargs):
    case = open_clue(session, settings, desk, **kwargs)
    move(session, settings, desk, case, "file", matter_code=MATTER)
    return case


def test_the_whole_ordinary_procedure_from_lead_to_closed_file(session, settings, desk):
    case = investigating(session, settings, desk)
    assert case.state == "investigating" and case.filed_at is not None
    move(session, settings, desk, case, "conclude", "officer_a")
    move(session, settings, desk, case, "notify", "officer_a", penalty_types=["fine"],
         fine_fen=300_000)
    assert (case.state, case.notice_fine_fen, case.hearing_offered) == ("notified", 300_000,
                                                                        False)
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["fine"],
         fine_fen=200_000)
    move(session, settings, desk, case, "serve", "officer_b", service_method="direct")
    assert case.payment_due_at is not None
    move(session, settings, desk, case, "pay", "officer_b")
    move(session, settings, desk, case, "publish", "officer_b")
    move(session, settings, desk, case, "close")
    assert case.state == "closed" and case.published_at is not None


def test_roles_and_positions(session, settings, desk):
    case = open_clue(session, settings, desk)
    # 立案 is the head's: an officer is refused, a dispatcher too.
    assert refused(session, settings, desk, case, "file", "officer_a",
                   matter_code=MATTER).code == "position_required"
    assert refused(session, settings, desk, case, "file", "dispatcher",
                   matter_code=MATTER).code == "position_required"
    # A role without the move: a grid worker's principal.
    outsider = Principal(desk.ids["officer_a"], "x", Role.grid_worker, desk.township,
                         desk.people["officer_a"].memberships)
    desk.people["outsider"] = outsider
    assert refused(session, settings, desk, case, "file", "outsider",
                   matter_code=MATTER).code == "move_not_for_role"


def test_moves_out_of_their_state_are_refused_naming_what_is_allowed(session, settings, desk):
    case = open_clue(session, settings, desk)
    error = refused(session, settings, desk, case, "decide", outcome="penalty",
                    penalty_types=["fine"], fine_fen=1)
    assert isinstance(error, Conflict) and error.code == "move_not_allowed_now"
    assert "file" in error.extra["allowed"]
    assert refused(session, settings, desk, case, "fly").code == "unknown_action"
    stale = {"version": case.version - 1 if case.version > 1 else 99}
    with pytest.raises(Conflict) as error:
        from enforcement.cases import flows

        flows.act_on(session, case, name="file", fields={**stale, "matter_code": MATTER},
                     principal=desk.people["head"], settings=settings)
    assert error.value.code == "stale_version"


def test_filing_needs_a_matter_and_a_case_within_the_limitation_period(session, settings,
                                                                        desk):
    now = now_utc()
    case = open_clue(session, settings, desk, offence_at=now - timedelta(days=800))
    assert refused(session, settings, desk, case, "file").code == "matter_required"
    assert refused(session, settings, desk, case, "file",
                   matter_code=MATTER).code == "limitation_expired"
    # The same offence on a matter of life, health or financial safety: 5 years.
    move(session, settings, desk, case, "file", matter_code=SAFETY_MATTER)
    assert case.state == "investigating"


def test_declining_needs_a_reason_the_law_allows(session, settings, desk):
    case = open_clue(session, settings, desk)
    assert refused(session, settings, desk, case, "decline", reason="不想办",
                   decline_reason="lazy").code == "decline_reason_invalid"
    assert refused(session, settings, desk, case, "decline",
                   decline_reason="first_minor").code == "reason_required"
    move(session, settings, desk, case, "decline", reason="首次违法、及时改正",
         decline_reason="first_minor")
    assert case.state == "not_filed" and case.closed_at is not None


def test_two_officers_with_valid_credentials_on_investigation_steps(session, settings, desk):
    # One valid officer and one whose 执法证 expired yesterday (after he was assigned):
    # not two.
    case = investigating(session, settings, desk)
    case.officer_ids = [desk.ids["officer_a"], desk.ids["expired"]]
    session.flush()
    error = refused(session, settings, desk, case, "conclude", "officer_a")
    assert error.code == "two_officers_required"
    assert error.extra["valid_officers"] == [desk.ids["officer_a"]]
    # The expired officer cannot act himself either.
    assert refused(session, settings, desk, case, "conclude",
                   "expired").code == "credential_required"
    # Nor be assigned.
    assert refused(session, settings, desk, case, "assign_officers", "dispatcher",
                   officer_ids=[desk.ids["officer_a"], desk.ids["expired"]]
                   ).code == "credential_required"
    move(session, settings, desk, case, "assign_officers", "dispatcher",
         officer_ids=[desk.ids["officer_a"], desk.ids["officer_c"]])
    move(session, settings, desk, case, "conclude", "officer_a")
    assert case.state == "investigated"


def test_a_declared_conflict_bars_the_officer_from_the_partys_cases(session, settings, desk):
    session.add(DeclaredConflict(user_id=desk.ids["officer_c"], party_key=CITIZEN_ID,
                                 reason="当事人系其表弟"))
    session.flush()
    case = investigating(session, settings, desk)
    error = refused(session, settings, desk, case, "assign_officers", "dispatcher",
                    officer_ids=[desk.ids["officer_a"], desk.ids["officer_c"]])
    assert error.code == "officer_recused" and error.extra["officer_id"] == desk.ids["officer_c"]


def test_a_partys_recusal_request_is_decided_and_recorded(session, settings, desk):
    case = investigating(session, settings, desk, officers=("officer_a", "officer_b"))
    assert refused(session, settings, desk, case, "request_recusal", "officer_a",
                   officer_id=desk.ids["officer_b"]).code == "reason_required"
    move(session, settings, desk, case, "request_recusal", "officer_a",
         officer_id=desk.ids["officer_b"], reason="当事人称其与竞争对手有利害关系")
    request = session.query(Recusal).filter_by(case_id=case.id).one()
    assert request.decision is None
    assert refused(session, settings, desk, case, "decide_recusal", "officer_a",
                   recusal_id=request.id, granted=True).code == "position_required"
    move(session, settings, desk, case, "decide_recusal", recusal_id=request.id, granted=True)
    session.refresh(request)
    assert (request.decision, request.decided_by) == ("granted", "enf-test-head")
    assert desk.ids["officer_b"] not in case.officer_ids
    # One officer left: investigation stops until another is assigned …
    assert refused(session, settings, desk, case, "conclude",
                   "officer_a").code == "two_officers_required"
    # … and the recused officer cannot come back.
    assert refused(session, settings, desk, case, "assign_officers", "dispatcher",
                   officer_ids=[desk.ids["officer_a"], desk.ids["officer_b"]]
                   ).code == "officer_recused"
    assert refused(session, settings, desk, case, "decide_recusal", recusal_id=request.id,
                   granted=False).code == "recusal_decided"


def _notified(session, settings, desk, *, fine, types=("fine",), **case_fields):
    case = investigating(session, settings, desk)
    for key, value in case_fields.items():
        setattr(case, key, value)
    session.flush()
    move(session, settings, desk, case, "conclude", "officer_a")
    return case, lambda: move(session, settings, desk, case, "notify", "officer_a",
                              penalty_types=list(types), fine_fen=fine)


def test_the_decision_is_no_heavier_than_the_notice(session, settings, desk):
    case, notify = _notified(session, settings, desk, fine=300_000)
    notify()
    assert refused(session, settings, desk, case, "decide", outcome="penalty",
                   penalty_types=["fine"], fine_fen=300_001
                   ).code == "decision_heavier_than_notice"
    assert refused(session, settings, desk, case, "decide", outcome="penalty",
                   penalty_types=["fine", "license_revoke"], fine_fen=300_000
                   ).code == "decision_heavier_than_notice"
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["fine"],
         fine_fen=300_000)
    assert case.fine_fen == 300_000


def test_legal_review_and_collective_discussion_before_notice_and_decision(session, settings,
                                                                         desk):
    case, notify = _notified(session, settings, desk, fine=300_000,
                             legal_review_required=True, major=True)
    with pytest.raises(Conflict) as error:
        notify()
    assert error.value.code == "legal_review_required"
    move(session, settings, desk, case, "submit_review", "officer_a")
    assert refused(session, settings, desk, case, "pass_review",
                   "officer_a").code == "position_required"
    move(session, settings, desk, case, "pass_review", "legal")
    with pytest.raises(Conflict) as error:
        notify()
    assert error.value.code == "discussion_required"
    move(session, settings, desk, case, "discuss")
    notify()
    assert case.state == "notified"


def test_the_notice_must_name_the_penalty_and_stay_inside_the_matter(session, settings, desk):
    case, _ = _notified(session, settings, desk, fine=0)
    assert refused(session, settings, desk, case, "notify", "officer_a",
                   penalty_types=[]).code == "penalty_required"
    assert refused(session, settings, desk, case, "notify", "officer_a",
                   penalty_types=["fine"], fine_fen=0).code == "fine_mismatch"
    assert refused(session, settings, desk, case, "notify", "officer_a",
                   penalty_types=["fine"], fine_fen=20_000_001).code == "fine_outside_matter"


def test_a_hearing_only_when_offered_and_for_heavy_penalties_always(session, settings, desk):
    case, notify = _notified(session, settings, desk, fine=500_000)  # 5,000 元 < 1万元
    notify()
    assert not case.hearing_offered
    assert refused(session, settings, desk, case, "request_hearing",
                   "officer_a").code == "hearing_not_offered"
    other, notify_other = _notified(session, settings, desk, fine=0, types=("license_revoke",))
    notify_other()
    assert other.hearing_offered


def _consent(session, settings, desk, case, *, title="送达地址确认书",
             kind="documentary", address="zhangsan@example.cn"):
    """The party's signed 送达地址确认书, recorded as a 书证 of the case."""
    data = EvidenceIn(kind=kind, title=title,
                      content=f"本人同意以电子邮件方式接收行政执法文书，送达地址：{address}。签名：张三")
    return evidence.record(session, case, data, principal=desk.people["officer_a"],
                           settings=settings)


def _decided(session, settings, desk):
    case, notify = _notified(session, settings, desk, fine=100_000)
    notify()
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["fine"],
         fine_fen=100_000)
    return case


def test_electronic_service_needs_the_signed_confirmation_on_the_case(session, settings, desk):
    """行政处罚法第六十一条第二款: 当事人同意并签订确认书的，方可电子送达."""
    case = _decided(session, settings, desk)
    serve = {"service_method": "electronic", "service_address": "zhangsan@example.cn"}
    error = refused(session, settings, desk, case, "serve", "officer_a", **serve)
    assert error.code == "electronic_consent_required" and isinstance(error, InvalidInput)
    assert "第六十一条" in str(error)
    note = _consent(session, settings, desk, case, title="现场检查笔录")
    assert refused(session, settings, desk, case, "serve", "officer_a",
                   service_consent_id=note.id, **serve).code == "electronic_consent_invalid"
    consent = _consent(session, settings, desk, case)
    assert refused(session, settings, desk, case, "serve", "officer_a",
                   service_consent_id=consent.id, service_method="electronic",
                   service_address="lisi@example.cn"
                   ).code == "electronic_address_not_consented"
    move(session, settings, desk, case, "serve", "officer_a", service_consent_id=consent.id,
         **serve)
    assert (case.state, case.service_method, case.electronic_consent) == (
        "served", "electronic", True)
    assert refused(session, settings, desk, case, "close").code == "fine_unpaid"
    assert refused(session, settings, desk, case, "urge",
                   "officer_a").code == "payment_not_overdue"


def test_another_cases_confirmation_does_not_serve_this_one(session, settings, desk):
    other = investigating(session, settings, desk)
    foreign = _consent(session, settings, desk, other)
    case = _decided(session, settings, desk)
    error = refused(session, settings, desk, case, "serve", "officer_a",
                    service_method="electronic", service_consent_id=foreign.id,
                    service_address="zhangsan@example.cn")
    assert error.code == "electronic_consent_invalid" and isinstance(error, InvalidInput)
    assert not case.electronic_consent and case.served_at is None


def test_suspension_and_testing_pause_and_resume_where_they_were(session, settings, desk):
    case = investigating(session, settings, desk)
    assert refused(session, settings, desk, case, "suspend").code == "reason_required"
    move(session, settings, desk, case, "suspend", reason="当事人下落不明")
    assert case.state == "suspended" and case.suspended_from == "investigating"
    assert refused(session, settings, desk, case, "conclude",
                   "officer_a").code == "move_not_allowed_now"
    move(session, settings, desk, case, "resume", "officer_a")
    assert case.state == "investigating" and case.suspended_from is None
    move(session, settings, desk, case, "start_testing", "officer_a", reason="送检")
    move(session, settings, desk, case, "resume", "officer_a")
    assert case.state == "investigating"


def test_publication_is_withdrawn_after_a_revocation(session, settings, desk):
    case, notify = _notified(session, settings, desk, fine=100_000)
    notify()
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["fine"],
         fine_fen=100_000)
    move(session, settings, desk, case, "publish", "officer_a")
    move(session, settings, desk, case, "revoke", reason="复议决定撤销")
    from tests.enforcement.cases.conftest import due_of

    assert due_of(session, case, "withdrawal")
    move(session, settings, desk, case, "withdraw_publication", "officer_a", reason="决定已撤销")
    assert case.withdrawn_at is not None


def test_invalid_parties_are_refused(session, settings, desk):
    with pytest.raises(InvalidInput) as error:
        open_clue(session, settings, desk, party={"kind": "citizen", "name": "李四",
                                                  "id_number": "110105194912310021"})
    assert error.value.code == "party_id_invalid"
    with pytest.raises(InvalidInput) as error:
        open_clue(session, settings, desk, party={"kind": "organisation", "name": "某公司",
                                                  "uscc": "91350100M000100Y44"})
    assert error.value.code == "party_uscc_invalid"
    with pytest.raises(Forbidden):
        from enforcement.cases import service
        from enforcement.cases.schemas import CaseIn

        service.open_case(session, principal=Principal(1, "x", Role.enforcement_officer,
                                                       desk.township),
                          data=CaseIn(unit_id=desk.unit.id, title="t",
                                      area_code=desk.township), settings=settings)


def test_a_heard_case_is_reviewed_before_its_decision(session, settings, desk):
    """行政处罚法第五十八条第一款第二项: 经过听证程序的 → 法制审核 before the decision; the
    review returns the case to where it was (heard)."""
    case, notify = _notified(session, settings, desk, fine=2_000_000)
    notify()
    move(session, settings, desk, case, "request_hearing", "officer_a")
    move(session, settings, desk, case, "schedule_hearing", "officer_a",
         hearing_at=now_utc() + timedelta(days=30))
    move(session, settings, desk, case, "hold_hearing", "officer_a")
    assert case.legal_review_required and not case.legal_review_passed
    assert refused(session, settings, desk, case, "decide", outcome="penalty",
                   penalty_types=["fine"], fine_fen=2_000_000).code == "legal_review_required"
    move(session, settings, desk, case, "submit_review", "officer_a")
    move(session, settings, desk, case, "pass_review", "legal")
    assert case.state == "heard"
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["fine"],
         fine_fen=1_500_000)
    assert case.state == "decided"


def test_every_move_out_of_its_states_is_refused_and_every_role_but_officers_too(
        session, settings, desk):
    """From 待核查 (clue): every move whose sources do not hold it is 409
    `move_not_allowed_now` naming what is allowed; every move is 403 `move_not_for_role` for
    a role the workflow does not name (a grid worker); nothing changes either way."""
    from enforcement.cases.workflow import CASE_WORKFLOW

    case = open_clue(session, settings, desk)
    desk.people["grid_worker"] = Principal(desk.ids["head"], "gw", Role.grid_worker,
                                           desk.township, desk.people["head"].memberships)
    for move_ in CASE_WORKFLOW.transitions:
        if "clue" not in move_.sources:
            error = refused(session, settings, desk, case, move_.name, reason="x")
            assert error.code == "move_not_allowed_now", move_.name
            assert set(error.extra["allowed"]) == set(CASE_WORKFLOW.allowed("clue",
                                                                            Role.enforcement_officer))
        role_error = refused(session, settings, desk, case, move_.name, "grid_worker",
                             reason="x")
        assert role_error.code == "move_not_for_role", move_.name
