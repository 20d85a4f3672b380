"""The inspections' vocabulary, with the labels users see (Chinese first)."""

PENDING, RECORDED, SUBMITTED = "pending", "recorded", "submitted"
RETURNED, REJECTED, APPROVED = "returned", "rejected", "approved"
PUBLISHED, OVERTURNED, WITHDRAWN = "published", "overturned", "withdrawn"

# The result states (未录入 → 待审核 → 退回 → 不通过 → 已公示), and the steps between.
LABELS = {PENDING: "未录入", RECORDED: "待确认", SUBMITTED: "待审核", RETURNED: "退回",
          REJECTED: "不通过", APPROVED: "待公示", PUBLISHED: "已公示", OVERTURNED: "待撤回",
          WITHDRAWN: "已撤回"}
STATES = tuple(LABELS)
# Recorded and confirmed by the inspectors: the inspection is done (抽查完成).
DONE = (SUBMITTED, RETURNED, APPROVED, PUBLISHED, OVERTURNED, WITHDRAWN)
# Reviewed and accepted.
ACCEPTED = (APPROVED, PUBLISHED, OVERTURNED)
# On the public pages and in the open data: published, not withdrawn (an overturned result
# stays until it is withdrawn, within the 3 working days its clock gives).
PUBLIC = (PUBLISHED, OVERTURNED)

KINDS = {"routine": "日常检查", "reinspection": "复查"}

# One line of the checklist.
RESULTS = {"pass": "合格", "fail": "不合格", "na": "不适用"}

# The result as published (after the SAMR's 抽查结果 categories): from the lines, or a
# special outcome the inspectors choose when the visit could not check the list.
OUTCOMES = {
    "no_problem": "未发现问题",
    "rectified_on_site": "发现问题已当场整改",
    "ordered": "发现问题已责令改正",
    "not_found": "通过登记的住所（经营场所）无法联系",
    "no_activity": "未发现开展本次抽查涉及的经营活动",
    "refused": "不配合检查，情节严重",
}
SPECIAL_OUTCOMES = ("not_found", "no_activity", "refused")

# The entity's `last_result` (the entity layer's colour): what its last published
# inspection says of it; a re-inspection that finds the order done makes it `rectified`.
LAST_RESULTS = {"pass": "合格", "rectified": "整改合格", "fail": "不合格", "other": "其他"}
LAST_RESULT_OF_OUTCOME = {"no_problem": "pass", "rectified_on_site": "rectified",
                          "ordered": "fail", "not_found": "fail", "refused": "fail",
                          "no_activity": "other"}

# What the re-inspection found of an order.
RECTIFICATIONS = {"done": "整改完成", "failed": "未整改"}
