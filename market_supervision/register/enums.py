"""The register's vocabulary, with the labels users see."""

from enum import StrEnum


class ItemLevel(StrEnum):
    general = "general"  # 一般
    key = "key"  # 重点


ITEM_LEVEL_LABELS = {ItemLevel.general: "一般", ItemLevel.key: "重点"}


class EntityType(StrEnum):
    """市场主体类型 (市场主体登记管理条例 第八条)."""

    company = "company"  # 有限责任公司/股份有限公司
    enterprise = "enterprise"  # 非公司企业法人
    partnership = "partnership"  # 合伙企业
    sole_proprietorship = "sole_proprietorship"  # 个人独资企业
    branch = "branch"  # 分支机构
    individual = "individual"  # 个体工商户
    cooperative = "cooperative"  # 农民专业合作社
    foreign = "foreign"  # 外商投资企业


ENTITY_TYPE_LABELS = {
    EntityType.company: "公司", EntityType.enterprise: "非公司企业法人",
    EntityType.partnership: "合伙企业", EntityType.sole_proprietorship: "个人独资企业",
    EntityType.branch: "分支机构", EntityType.individual: "个体工商户",
    EntityType.cooperative: "农民专业合作社", EntityType.foreign: "外商投资企业",
}


class EntityStatus(StrEnum):
    active = "active"  # 存续
    deregistered = "deregistered"  # 注销
    revoked = "revoked"  # 吊销


ENTITY_STATUS_LABELS = {EntityStatus.active: "存续", EntityStatus.deregistered: "注销",
                        EntityStatus.revoked: "吊销"}


class RiskClass(StrEnum):
    """企业信用风险分类 (A 信用风险低 … D 信用风险高): internal only."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class PlanState(StrEnum):
    draft = "draft"  # 草稿
    published = "published"  # 已公布


PLAN_STATE_LABELS = {PlanState.draft: "草稿", PlanState.published: "已公布"}


class TaskMode(StrEnum):
    directed = "directed"  # 定向: a filtered part of the register
    undirected = "undirected"  # 不定向: all of it


TASK_MODE_LABELS = {TaskMode.directed: "定向", TaskMode.undirected: "不定向"}


class TaskState(StrEnum):
    planned = "planned"  # 待抽取
    drawn = "drawn"  # 已抽取
    done = "done"  # 已完成


TASK_STATE_LABELS = {TaskState.planned: "待抽取", TaskState.drawn: "已抽取",
                     TaskState.done: "已完成"}


class TaskUnitRole(StrEnum):
    organising = "organising"  # 组织部门
    implementing = "implementing"  # 实施部门


class DrawState(StrEnum):
    committed = "committed"  # 已公布承诺
    drawn = "drawn"  # 已抽取


DRAW_STATE_LABELS = {DrawState.committed: "已公布承诺", DrawState.drawn: "已抽取"}


# GB/T 4754-2017 国民经济行业分类: the 门类 (a letter); an entity's industry is a 门类 letter
# and optionally its 大类/中类/小类 digits (H62 餐饮业, F52 零售业 …).
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业", "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育",
    "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
INDUSTRY_PATTERN = r"[A-T](\d{2}(\d{1,2})?)?"


# market_entity.last_result, the entity layer's colour (the inspections part writes it from
# the entity's last published result). NULL: never inspected.
LAST_RESULT_LABELS = {"pass": "合格", "rectified": "整改合格", "fail": "不合格", "other": "其他"}
