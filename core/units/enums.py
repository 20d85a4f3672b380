"""The vocabulary of units and memberships (DESIGN.md: Unit and membership)."""

from enum import StrEnum


class UnitKind(StrEnum):
    department = "department"  # 局/部门: a county's 城管局, 市场监管局 …
    brigade = "brigade"  # 执法大队
    squadron = "squadron"  # 执法中队
    enforcement_team = "enforcement_team"  # 乡镇（街道）综合行政执法队
    market_office = "market_office"  # 市场监管所
    service_hall = "service_hall"  # 政务服务中心 (county)
    service_centre = "service_centre"  # 便民服务中心 (township)
    service_station = "service_station"  # 便民服务站 (village)
    centre = "centre"  # 网格化管理中心 / 综治中心: the village, township, county, city centres


KIND_LABELS = {
    UnitKind.department: "部门", UnitKind.brigade: "执法大队", UnitKind.squadron: "执法中队",
    UnitKind.enforcement_team: "综合行政执法队", UnitKind.market_office: "市场监管所",
    UnitKind.service_hall: "政务服务中心", UnitKind.service_centre: "便民服务中心",
    UnitKind.service_station: "便民服务站", UnitKind.centre: "网格化管理中心",
}


class Position(StrEnum):
    """A member's position in a unit: what the workflows' moves ask for."""

    handler = "handler"  # 承办人
    reviewer = "reviewer"  # 审核人
    head = "head"  # 负责人
    legal_reviewer = "legal_reviewer"  # 法制审核员
    dispatcher = "dispatcher"  # 派遣员
    receiver = "receiver"  # 受理员
    proxy_agent = "proxy_agent"  # 代办员
    inspector = "inspector"  # 检查员
    grid_worker = "grid_worker"  # 网格员


POSITION_LABELS = {
    Position.handler: "承办人", Position.reviewer: "审核人", Position.head: "负责人",
    Position.legal_reviewer: "法制审核员", Position.dispatcher: "派遣员",
    Position.receiver: "受理员", Position.proxy_agent: "代办员",
    Position.inspector: "检查员", Position.grid_worker: "网格员",
}

# Positions whose holders act for the law and so hold an 执法证 (行政处罚法第四十二条:
# 执法人员不得少于两人，并应当主动出示执法证件).
CREDENTIAL_POSITIONS = frozenset({Position.handler, Position.inspector})

# Who works the desk of a unit: hand-offs, dispatches and notices addressed to the unit
# reach them (a unit's grid workers and proxy agents get what is addressed to them).
DESK_POSITIONS = frozenset({Position.receiver, Position.dispatcher, Position.head,
                            Position.handler, Position.reviewer})
