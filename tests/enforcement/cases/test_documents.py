"""The 文书 of the steps through core/documents: each move issues its document, numbered
per unit, kind and year with no gap (测综执罚决字〔2026〕第0001号 …); the decision's PDF,
read back with a PDF reader, holds the case's Chinese text; its public page confirms it
and refuses an altered hash; serving the case serves the decision."""

import hashlib
import io

from pypdf import PdfReader

from core.documents import of_subject, public_view
from enforcement.cases.service import subject_of
from tests.enforcement.cases.conftest import MATTER, move, open_clue


def test_each_step_issues_its_numbered_document(session, settings, desk):
    cases = []
    for _ in range(2):
        case = open_clue(session, settings, desk)
        move(session, settings, desk, case, "file", matter_code=MATTER)
        move(session, settings, desk, case, "conclude", "officer_a")
        move(session, settings, desk, case, "notify", "officer_a", penalty_types=["fine"],
             fine_fen=150_000)
        move(session, settings, desk, case, "decide", outcome="penalty",
             penalty_types=["fine"], fine_fen=150_000)
        cases.append(case)
    documents = [{d.kind: d for d in of_subject(session, subject_of(c))} for c in cases]
    assert set(documents[0]) == {"enf_filing", "enf_notice", "enf_decision"}
    numbers = [d["enf_decision"].number for d in documents]
    year = documents[0]["enf_decision"].year
    assert numbers == [f"测综执罚决字〔{year}〕第0001号", f"测综执罚决字〔{year}〕第0002号"]

    decision = documents[0]["enf_decision"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(decision.pdf)).pages)
    assert "行政处罚决定书" in text and "占道经营" in text and "张三" in text
    assert hashlib.sha256(decision.pdf).hexdigest() == decision.sha256

    # The public page's facts (core/documents public_view: what /verify/{token} shows).
    view = public_view(session, decision.verify_token)
    assert view.number == numbers[0] and view.status == "valid"
    assert view.matches(decision.sha256) and not view.matches("0" * 64)
    assert "张三" not in str(view.as_dict())

    move(session, settings, desk, cases[0], "serve", "officer_a", service_method="left")
    session.refresh(decision)
    assert (decision.state, decision.service_method) == ("served", "lodged")


def test_the_case_detail_lists_its_documents(session, settings, desk):
    from enforcement.cases.service import case_detail

    case = open_clue(session, settings, desk)
    move(session, settings, desk, case, "file", matter_code=MATTER)
    listed = case_detail(session, case, desk.people["head"], settings=settings)["documents"]
    assert listed[0]["title"] == "立案审批表" and listed[0]["number"].startswith("测综执立字")
    assert listed[0]["verify_url"].endswith(
        of_subject(session, subject_of(case))[0].verify_token)
