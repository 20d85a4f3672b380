"""The incident vocabulary: states, steps, urgencies, sources, hand-offs."""

from enum import StrEnum


class Urgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急
    critical = "critical"  # 特急


class Step(StrEnum):
    """The timed steps; each 小类 gives a limit per step and urgency."""

    filing = "filing"  # 立案: from the report
    dispatch = "dispatch"  # 派遣: from filing
    handling = "handling"  # 处理: from dispatch to the handler's feedback
    verification = "verification"  # 核查: from the feedback to the verdict


class Source(StrEnum):
    grid_worker = "grid_worker"  # 网格员上报
    patrol = "patrol"  # 巡查
    hotline = "hotline"  # 12345 热线
    citizen_app = "citizen_app"  # 市民随手拍
    inspection = "inspection"  # 执法/监管检查


class State(StrEnum):
    """After the national seven steps, plus the side states."""

    reported = "reported"  # 信息收集: awaiting filing
    filed = "filed"  # 立案: awaiting dispatch
    dispatched = "dispatched"  # 派遣: awaiting the handler's signature
    handling = "handling"  # 处理: signed, being handled
    handled = "handled"  # 反馈: handler says done, awaiting verification
    verified = "verified"  # 核查: verified, awaiting closing
    closed = "closed"  # 结案: awaiting evaluation
    evaluated = "evaluated"  # 评价: finished
    returned = "returned"  # 退回: the handler sent it back to the centre
    rework = "rework"  # 返工: verification failed, back to the handler
    suspended = "suspended"  # 挂账: the clock stops
    void = "void"  # 作废
    merged = "merged"  # 并单: folded into another incident


# Status labels, read as statuses (待受理, 已立案 …), not as the steps' names (信息收集,
# 立案 …): the workflow's labels (grid/incidents/workflow.py), shown on every page.
LABELS_ZH = {
    State.reported: "待受理", State.filed: "已立案", State.dispatched: "已派遣",
    State.handling: "处理中", State.handled: "待核查", State.verified: "已核查",
    State.closed: "已结案", State.evaluated: "已评价", State.returned: "已退回",
    State.rework: "返工中", State.suspended: "已挂账", State.void: "已作废",
    State.merged: "已并单",
}

# No more work: the clock and the queues ignore these.
FINAL = frozenset({State.closed, State.evaluated, State.void, State.merged})

# The step whose clock runs in each open state (none while suspended: the clock stops).
STEP_OF_STATE = {
    State.reported: Step.filing,
    State.filed: Step.dispatch,
    State.returned: Step.dispatch,
    State.dispatched: Step.handling,
    State.handling: Step.handling,
    State.rework: Step.handling,
    State.handled: Step.verification,
}


class DeadlineColour(StrEnum):
    green = "green"
    yellow = "yellow"  # a configurable share of the limit used
    red = "red"  # overdue


class HandoffKind(StrEnum):
    escalate = "escalate"  # 上报: one level up
    assign = "assign"  # 下派: down to a child area
    refer = "refer"  # 流转: across, to a platform or a department


class HandoffStatus(StrEnum):
    pending = "pending"  # awaiting the receiver's signature
    signed = "signed"  # 签收
    returned = "returned"  # 退回, with a reason
    expired = "expired"  # left unsigned past its limit; escalated further


class Platform(StrEnum):
    grid = "grid"  # 综治工作
    enforcement = "enforcement"  # 综合执法
    market_supervision = "market_supervision"  # 市场监管
    convenience = "convenience"  # 便民服务
