"""The ordinary procedure before the decision, its guards and effects (pure): 立案 or
不予立案, 法制审核, 集体讨论, 事先告知, 听证. Declared as moves in enforcement/cases/workflow.py;
the facts they read beyond the case's columns are put in by enforcement/cases/flows.py.
"""

from core.errors import Conflict, InvalidInput

# 不予立案: the reasons the law allows (行政处罚法第三十三条、第三十六条; jurisdiction:
# 第二十二条).
DECLINE_REASONS = {
    "minor_corrected": "违法行为轻微并及时改正，没有造成危害后果（第三十三条第一款）",
    "first_minor": "初次违法且危害后果轻微并及时改正（第三十三条第一款）",
    "no_fault": "当事人有证据足以证明没有主观过错（第三十三条第二款）",
    "not_jurisdiction": "不属于本机关管辖（第二十二条）",
    "limitation_expired": "超过追责时效（第三十六条）",
}


def within_limitation(facts, actor, data) -> None:
    """行政处罚法第三十六条: not after the limitation period (2 years; 5 for safety)."""
    if facts.get("limitation_expired"):
        raise Conflict("the offence is beyond the limitation period (行政处罚法第三十六条): "
                       "decline it with reason limitation_expired",
                       code="limitation_expired", limit=facts.get("limitation_limit"))


def matter_named(facts, actor, data) -> None:
    if facts.get("matter_id") is None and data.get("matter_code") is None:
        raise InvalidInput("立案 needs the matter (执法事项): matter_code",
                           code="matter_required")


def decline_reason_allowed(facts, actor, data) -> None:
    code = data.get("decline_reason")
    if code not in DECLINE_REASONS:
        raise InvalidInput(f"不予立案 needs one of the reasons the law allows: "
                           f"{', '.join(DECLINE_REASONS)}", code="decline_reason_invalid",
                           allowed=list(DECLINE_REASONS))


# The reasons that rest on a province's published list (首违不罚 / 轻微免罚清单): the
# matter's flag that puts it on the list, and the list's name.
EXEMPT_LISTS = {"first_minor": ("matter_first_offence_exempt", "首违不罚清单"),
                "minor_corrected": ("matter_minor_exempt", "轻微违法免罚清单")}


def exempt_listed(facts, actor, data) -> None:
    """行政处罚法第三十三条第一款 as the provinces apply it: not punishing a first or minor
    offence is for the matters on their published lists; a case whose matter is known and
    not on the list may not be declined for that reason."""
    listed = EXEMPT_LISTS.get(data.get("decline_reason"))
    if listed is None or facts.get("matter_id") is None:
        return
    flag, name = listed
    if not facts.get(flag):
        raise Conflict(f"the case's matter is not on the {name} (行政处罚法第三十三条第一款)",
                       code="matter_not_exempt", list=name)


def reviewed_if_required(facts, actor, data) -> None:
    """行政处罚法第五十八条: 未经法制审核或者审核未通过的，不得作出决定."""
    if facts.get("legal_review_required") and not facts.get("legal_review_passed"):
        raise Conflict("法制审核 is required before this move (行政处罚法第五十八条)",
                       code="legal_review_required")


def discussed_if_major(facts, actor, data) -> None:
    """行政处罚法第五十七条第二款: 情节复杂或者重大违法行为 → 负责人集体讨论决定."""
    if facts.get("major") and not facts.get("discussed"):
        raise Conflict("a major case is decided after the heads' collective discussion "
                       "(行政处罚法第五十七条第二款)", code="discussion_required")


def fine_of(data, key="fine_fen") -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{key} is a whole number of fen, 0 or more", code="invalid_fine")
    return value


def notice_complete(facts, actor, data) -> None:
    """行政处罚法第四十四条: the notice states the proposed penalty (facts, reasons and
    basis are the case's); a fine within the matter's range."""
    types = data.get("penalty_types") or []
    fine = fine_of(data)
    if not types:
        raise InvalidInput("事先告知 needs the proposed penalty: penalty_types",
                           code="penalty_required")
    if ("fine" in types) != (fine is not None and fine > 0):
        raise InvalidInput("a proposed fine needs fine_fen > 0, and fine_fen needs the "
                           "penalty type fine", code="fine_mismatch")
    _within_matter(facts, fine)


def _within_matter(facts, fine: int | None) -> None:
    low, high = facts.get("matter_fine_min_fen"), facts.get("matter_fine_max_fen")
    if fine is None:
        return
    if (low is not None and fine < low) or (high is not None and fine > high):
        raise InvalidInput(f"the fine {fine} fen is outside the matter's range "
                           f"({low}–{high} fen)", code="fine_outside_matter",
                           fine_min_fen=low, fine_max_fen=high)


def hearing_offered(facts, actor, data) -> None:
    if not facts.get("hearing_offered"):
        raise Conflict("no hearing was offered for this case (行政处罚法第六十三条)",
                       code="hearing_not_offered")


def hearing_in_time(facts, actor, data) -> None:
    """行政处罚法第六十四条第一项: asked within 5 working days of the notice (the flows put
    the notice clock's due moment in the facts)."""
    due, now = facts.get("hearing_request_due"), facts.get("now")
    if due is not None and now is not None and now > due:
        raise Conflict(f"the hearing had to be asked for by {due.isoformat()} "
                       "(行政处罚法第六十四条第一项)", code="hearing_request_late",
                       due=due.isoformat())


def hearing_far_enough(facts, actor, data) -> None:
    """行政处罚法第六十四条第二项: the party is told at least 7 working days ahead."""
    earliest, at = facts.get("hearing_earliest"), data.get("hearing_at")
    if at is None:
        raise InvalidInput("听证通知 needs hearing_at", code="hearing_at_required")
    if earliest is not None and facts.get("hearing_day") is not None \
            and facts["hearing_day"] < earliest:
        raise InvalidInput(f"the hearing may be held on {earliest.isoformat()} at the "
                           "earliest: 7 working days after the notice (行政处罚法第六十四条"
                           "第二项)", code="hearing_too_soon", earliest=earliest.isoformat())


# --- effects ---------------------------------------------------------------------------

def filed(facts, actor, data, now):
    out = {"filed_at": now}
    if data.get("major") is not None:
        out["major"] = bool(data["major"])
    if data.get("legal_review_required") is not None:
        out["legal_review_required"] = bool(data["legal_review_required"])
    if facts.get("new_matter_id") is not None:
        out["matter_id"] = facts["new_matter_id"]
    return out


def declined(facts, actor, data, now):
    return {"decline_reason": data["decline_reason"], "closed_at": now}


def review_submitted(facts, actor, data, now):
    return {"suspended_from": facts["state"]}  # where the passed review returns to


def review_passed(facts, actor, data, now):
    return {"legal_review_passed": True, "suspended_from": None}


def review_returned(facts, actor, data, now):
    return {"legal_review_passed": False, "suspended_from": None}


def heard(facts, actor, data, now):
    """行政处罚法第五十八条第一款第二项: a case that went through a hearing is reviewed
    (法制审核) before the decision."""
    return {"legal_review_required": True, "legal_review_passed": False}


def discussed(facts, actor, data, now):
    return {"discussed": True}


def notified(facts, actor, data, now):
    return {"notified_at": now, "notice_penalty_types": list(data["penalty_types"]),
            "notice_fine_fen": fine_of(data), "hearing_offered": bool(facts.get("hearing_due"))}


def hearing_scheduled(facts, actor, data, now):
    return {"hearing_at": facts["hearing_at_parsed"]}
