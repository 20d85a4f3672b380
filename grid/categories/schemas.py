"""The category tree in and out of the API."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grid.categories.models import Category

# {urgency: {step: "8h" | "3d"}}; the service checks names and durations, so a mistake
# is reported in the domain's words (422 problem+json), not as a schema error.
TimeLimits = dict[str, dict[str, str]]


class CategoryNode(BaseModel):
    """A 大类 with its 小类 as children, or a 小类 (children empty)."""

    code: str
    name: str
    level: str = Field(description="major (大类) or minor (小类)")
    parent_code: str | None
    standard: str
    filing_condition: str = Field(description="立案条件")
    closing_condition: str = Field(description="结案条件")
    time_limits: TimeLimits | None = Field(
        description="{urgency: {step: limit}} in working hours (h) or days (d); 小类 only")
    active: bool
    sort: int
    version: int = Field(description="name it when editing; a stale one gets 409")
    children: list["CategoryNode"] = Field(default_factory=list)

    @classmethod
    def of(cls, category: Category, *, parent_code: str | None = None,
           children: list["CategoryNode"] | None = None) -> "CategoryNode":
        if parent_code is None and category.parent_id is not None:
            parent_code = category.parent.code
        return cls(code=category.code, name=category.name, level=category.level,
                   parent_code=parent_code, standard=category.standard,
                   filing_condition=category.filing_condition,
                   closing_condition=category.closing_condition,
                   time_limits=category.time_limits, active=category.active,
                   sort=category.sort, version=category.version, children=children or [])


class CategoryCreate(BaseModel):
    """A new 大类 (no parent_code) or 小类 (parent_code, time_limits required)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z][0-9]{2}([0-9]{2})?$",
                      description="大类: a capital letter and 2 digits (S01); "
                                  "小类: its 大类's code and 2 digits (S0102)")
    name: str = Field(min_length=1, max_length=50)
    parent_code: str | None = Field(None, pattern=r"^[A-Z][0-9]{2}$")
    standard: str | None = Field(None, max_length=40,
                                 description="a 小类 takes its 大类's when left out")
    filing_condition: str = Field("", max_length=2000)
    closing_condition: str = Field("", max_length=2000)
    time_limits: TimeLimits | None = None
    active: bool = True
    sort: int = Field(0, ge=0, le=100_000)


class CategoryUpdate(BaseModel):
    """Changes to a category read at `version`. The code and the parent never change:
    incidents and Open311 clients refer to the code."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the version you read; a stale one gets 409")
    name: str | None = Field(None, min_length=1, max_length=50)
    standard: str | None = Field(None, max_length=40)
    filing_condition: str | None = Field(None, max_length=2000)
    closing_condition: str | None = Field(None, max_length=2000)
    time_limits: TimeLimits | None = None
    active: bool | None = None
    sort: int | None = Field(None, ge=0, le=100_000)

    @model_validator(mode="after")
    def no_null_for_required_fields(self) -> "CategoryUpdate":
        # Absent means "leave as is"; null would mean "erase", which these cannot be.
        for name in self.model_fields_set - {"version"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version"})
