"""The incident lifecycle, declared once for the kernel (core/workflow/kernel.py).

信息收集 → 立案 → 派遣 → 处理 → 反馈 → 核查 → 结案 → 评价, with 退回, 返工, 挂账, 作废 and 并单.
Who may make each move is here; where (territory) is the scope's business, and the
move's side effects (clock, timeline, notifications) are grid/incidents/flows.py's.
"""

from core.users.enums import CENTRES, Role
from core.workflow.kernel import Workflow, transition
from grid.incidents.enums import State as S

# Whoever a task can be dispatched to: the centres' own units, the platforms' officers,
# and grid workers for what they can fix on the spot.
HANDLERS = CENTRES | {Role.grid_worker, Role.enforcement_officer, Role.market_inspector,
                      Role.service_clerk}
# Verification (核查) is the grid worker's, or a centre's when it sends someone.
VERIFIERS = CENTRES | {Role.grid_worker}
# The centres (受理员, 派遣员, 值班长) and the leaders who watch over them.
LEADERS = CENTRES | {Role.supervisor}

OPEN_WITH_WORK = (S.filed, S.dispatched, S.handling, S.rework)

INCIDENT_WORKFLOW = Workflow("incident", (
    transition("file", [S.reported], S.filed, CENTRES, label="立案"),
    transition("dispatch", [S.filed, S.returned], S.dispatched, CENTRES, label="派遣"),
    transition("accept", [S.dispatched], S.handling, HANDLERS, label="签收"),
    transition("return", [S.dispatched], S.returned, HANDLERS, label="退回", needs_reason=True),
    transition("handle", [S.handling, S.rework], S.handled, HANDLERS, label="处理反馈"),
    transition("verify", [S.handled], S.verified, VERIFIERS, label="核查通过"),
    transition("rework", [S.handled], S.rework, VERIFIERS, label="返工", needs_reason=True),
    transition("close", [S.verified], S.closed, CENTRES, label="结案"),
    transition("evaluate", [S.closed], S.evaluated, LEADERS, label="评价"),
    transition("suspend", OPEN_WITH_WORK, S.suspended, LEADERS, label="挂账",
               needs_reason=True),
    transition("resume", [S.suspended], None, LEADERS, label="解挂"),
    transition("void", [S.reported, S.filed, S.returned], S.void, CENTRES, label="作废",
               needs_reason=True),
    transition("merge", [S.reported, S.filed], S.merged, CENTRES, label="并单"),
))
