"""The registered case types' workflows as data, for the pages (issue 12 §1): states with
their status labels, which are final and which pause the clocks, the step whose clock
runs in each; moves with their labels, sources and target, who may make them (roles, with
their Chinese names), whether a reason is required and which form fields they take.

The pages draw their state filters, status badges, buttons and move forms from this, so
that no fact the server knows (final states, reasons required) is copied into JavaScript,
and a platform's console is configured by its case type's code instead of being copied.
Which moves one user may make on one subject now is the subject's `allowed_actions`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from core.deps import Requires
from core.security import Principal
from core.users.enums import Permission, Role
from core.workflow import case_types, handoffs
from core.workflow.case_types import CaseType

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])
Reader = Annotated[Principal, Depends(Requires(Permission.own_account))]

ROLE_LABELS = {
    Role.grid_worker: "网格员", Role.village_staff: "村（社区）工作人员",
    Role.township_staff: "乡镇（街道）工作人员", Role.county_dispatcher: "区县指挥中心调度员",
    Role.enforcement_officer: "执法队员", Role.market_inspector: "市场监管检查员",
    Role.service_clerk: "便民服务窗口人员", Role.proxy_agent: "代办员",
    Role.supervisor: "督查领导", Role.admin: "系统管理员",
}
# The form fields moves take, in words (each platform's workflow names its own).
FIELD_LABELS = {
    "handler_unit_id": "处置单位", "handler_user_id": "承办人", "rating": "评分",
    "into": "并入事件编号", "reason": "理由", "photos": "处理后照片",
}
# How the pages enter a field (text when not named): a photo picker that sends base64
# photos as core/attachments takes them, a unit or a member picker, a number.
FIELD_KINDS = {"photos": "photos", "handler_unit_id": "unit", "handler_user_id": "member",
               "rating": "rating", "into": "int"}


class StateOut(BaseModel):
    name: str
    label: str
    final: bool
    paused: bool
    step: str | None


class RoleOut(BaseModel):
    name: str
    label: str


class FieldOut(BaseModel):
    name: str
    label: str
    kind: str  # text, photos, unit, member, rating, int (FIELD_KINDS)


class MoveOut(BaseModel):
    name: str
    label: str
    sources: list[str]
    target: str | None  # None: back to the state before (解挂 resumes where it was)
    roles: list[RoleOut]
    needs_reason: bool
    fields: list[FieldOut]


class HandoffKindOut(BaseModel):
    name: str  # escalate, assign, refer (core/workflow/handoffs.py)
    label: str
    needs_reason: bool


class WorkflowOut(BaseModel):
    code: str  # the case type's code, e.g. "incident", "enforcement.ordinary"
    label: str
    platform: str
    subject_type: str
    workflow: str
    states: list[StateOut]
    moves: list[MoveOut]
    final_states: list[str]
    paused_states: list[str]
    handoffs: list[HandoffKindOut]  # 流转 (上报, 下派, 转办) and whether each needs a reason


def describe(case_type: CaseType) -> dict:
    """One case type's workflow as the pages read it."""
    workflow = case_type.workflow
    states = list(dict.fromkeys([*workflow.labels, *(s for t in workflow.transitions
                                                     for s in t.sources)]))
    return {
        "code": case_type.code, "label": case_type.label, "platform": case_type.platform,
        "subject_type": case_type.subject_type, "workflow": workflow.name,
        "states": [{"name": s, "label": workflow.labels.get(s, s),
                    "final": s in workflow.final_states, "paused": s in workflow.paused_states,
                    "step": workflow.steps.get(s)} for s in states],
        "moves": [{"name": t.name, "label": t.label or t.name, "sources": sorted(t.sources),
                   "target": t.target, "roles": [_role(r) for r in sorted(t.roles)],
                   "needs_reason": t.needs_reason,
                   "fields": [_field(f) for f in t.fields]}
                  for t in workflow.transitions],
        "final_states": sorted(workflow.final_states),
        "paused_states": sorted(workflow.paused_states),
        "handoffs": [{"name": kind, "label": handoffs.LABELS[kind],
                      "needs_reason": kind in case_type.handoff_reasons}
                     for kind in handoffs.KINDS],
    }


def _field(name: str) -> dict:
    return {"name": name, "label": FIELD_LABELS.get(name, name),
            "kind": FIELD_KINDS.get(name, "text")}


def _role(role: Role) -> dict:
    return {"name": str(role), "label": ROLE_LABELS.get(role, str(role))}


@router.get("", response_model=list[WorkflowOut])
def list_workflows(principal: Reader):
    """Every registered case type's workflow, by code."""
    return [describe(case_type) for case_type in
            sorted(case_types.registered(), key=lambda case_type: case_type.code)]


@router.get("/{code}", response_model=WorkflowOut)
def get_workflow(principal: Reader,
                 code: Annotated[str, Path(max_length=64, pattern=r"^[a-z_][a-z0-9_.]*$")]):
    """One case type's workflow (404 `unknown_case_type` if none is registered so)."""
    return describe(case_types.get(code))
