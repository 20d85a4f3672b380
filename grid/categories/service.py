"""The category tree: reading it, resolving what an incident is reported as, editing it.

Incident reporting resolves its category with `get_minor` (only an active 小类 of an
active 大类 will do) and reads each step's limit with `time_limit`. Edits are audited
("category.create", "category.update") and version-checked; services flush, the edge
commits.
"""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from core.audit import record
from core.errors import Conflict, InvalidInput, NotFound
from core.workflow.durations import Duration, parse_duration
from grid.categories.models import MAJOR, MINOR, Category
from grid.categories.schemas import CategoryCreate, CategoryNode, CategoryUpdate
from grid.incidents.enums import Step, Urgency

URGENCIES = tuple(str(urgency) for urgency in Urgency)
STEPS = tuple(str(step) for step in Step)


# --- reading --------------------------------------------------------------------------

def category_tree(session: Session, *, include_inactive: bool = False) -> list[CategoryNode]:
    """Every 大类 with its 小类, in display order (sort, then code). Without
    `include_inactive`, inactive categories are left out, and so are the 小类 of an
    inactive 大类."""
    categories = session.scalars(select(Category).order_by(Category.sort, Category.code))
    majors, minors_of = [], defaultdict(list)
    for category in categories:
        if not (include_inactive or category.active):
            continue
        if category.parent_id is None:
            majors.append(category)
        else:
            minors_of[category.parent_id].append(category)
    return [CategoryNode.of(major, children=[CategoryNode.of(minor, parent_code=major.code)
                                             for minor in minors_of[major.id]])
            for major in majors]


def get_category(session: Session, *, code: str) -> Category:
    """A category by code, active or not; NotFound (404) if there is none."""
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound(f"no category {code}")
    return category


def category_node(category: Category) -> CategoryNode:
    """The category as the API shows it: a 大类 with all its 小类 (active or not)."""
    children = [CategoryNode.of(child, parent_code=category.code)
                for child in category.children]
    return CategoryNode.of(category, children=children)


# Built once: every report asks (building the aliased join cost ~2.5 ms a call).
_MAJOR = aliased(Category)
_ACTIVE_MINOR = (select(Category).join(_MAJOR, Category.parent_id == _MAJOR.id)
                 .where(Category.code == bindparam("code"), Category.level == MINOR,
                        Category.active, _MAJOR.active))


def get_minor(session: Session, *, code: str) -> Category:
    """The 小类 an incident is reported as: it must exist, be a 小类, and it and its 大类
    must be active. Anything else is InvalidInput (422) "unknown category"."""
    category = session.scalar(_ACTIVE_MINOR, {"code": code})
    if category is None:
        raise unknown_minor(code)
    return category


def unknown_minor(code: str) -> InvalidInput:
    return InvalidInput(f"unknown category {code!r}: not an active 小类",
                        code="unknown_category", category_code=code)


# `get_minor`'s rule as a JSON value in a caller's own statement (the report asks it in
# the statement that places the point: one statement fewer on the hottest write), with
# the 小类's code as the parameter `:category_code`; NULL when there is no such 小类.
# `minor_of` turns the value into a Category (transient: for its fields, not to edit).
ACTIVE_MINOR_JSON_SQL = f"""
    (SELECT json_build_object('id', m.id, 'code', m.code, 'name', m.name,
                              'standard', m.standard, 'time_limits', m.time_limits)
     FROM category m JOIN category p ON p.id = m.parent_id
     WHERE m.code = :category_code AND m.level = '{MINOR}' AND m.active AND p.active)"""


def minor_of(value: dict | None, *, code: str) -> Category:
    if value is None:
        raise unknown_minor(code)
    return Category(**value, level=MINOR, active=True)


def time_limit(category: Category, *, urgency: Urgency | str, step: Step | str) -> Duration:
    """The limit of one step at one urgency, in working hours or working days."""
    if not category.time_limits:
        raise InvalidInput(f"category {category.code} is a 大类: only a 小类 has time limits")
    try:
        text = category.time_limits[str(Urgency(urgency))][str(Step(step))]
    except ValueError:
        raise InvalidInput(f"no urgency {urgency!r} or no step {step!r}: urgencies are "
                           f"{', '.join(URGENCIES)}; steps {', '.join(STEPS)}") from None
    except KeyError:
        raise InvalidInput(f"category {category.code} has no limit for {urgency} "
                           f"{step}") from None
    return parse_duration(text)


def check_time_limits(value: Any) -> dict[str, dict[str, str]]:
    """`value` as stored: exactly every urgency, each with exactly every step, each a
    duration such as "8h" or "3d" (written back in its plain form); else InvalidInput."""
    _check_keys(value, URGENCIES, "time_limits", "urgencies")
    limits: dict[str, dict[str, str]] = {}
    for urgency in URGENCIES:
        _check_keys(value[urgency], STEPS, f"time_limits.{urgency}", "steps")
        limits[urgency] = {}
        for step in STEPS:
            text = value[urgency][step]
            where = f"time_limits.{urgency}.{step}"
            if not isinstance(text, str):
                raise InvalidInput(f"{where}: a duration is text like 8h or 3d, not {text!r}",
                                   code="category_limits_invalid")
            try:
                limits[urgency][step] = str(parse_duration(text))
            except InvalidInput as exc:
                raise InvalidInput(f"{where}: {exc.detail}",
                                   code="category_limits_invalid") from None
    return limits


def _check_keys(value: Any, expected: tuple[str, ...], where: str, what: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where}: an object with the {what} {', '.join(expected)}",
                           code="category_limits_invalid")
    missing = [key for key in expected if key not in value]
    unknown = sorted(str(key) for key in value if key not in expected)
    if missing or unknown:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else [])
        raise InvalidInput(f"{where}: needs exactly the {what} {', '.join(expected)} "
                           f"({'; '.join(problems)})", code="category_limits_invalid")


# --- editing --------------------------------------------------------------------------

def create_category(session: Session, *, data: CategoryCreate | Mapping[str, Any],
                    actor: str) -> Category:
    """A new 大类 (no parent_code) or 小类 (under an existing 大类, with time limits)."""
    data = _validated(CategoryCreate, data)
    if data.parent_code is None:
        if len(data.code) != 3:
            raise InvalidInput(f"a 大类 code is a capital letter and 2 digits, not {data.code}; "
                               "for a 小类 give its parent_code", code="category_code_invalid")
        if data.time_limits is not None:
            raise InvalidInput("a 大类 has no time limits: its 小类 have",
                               code="category_major_limits")
        parent, level, limits = None, MAJOR, None
        standard = data.standard or ""
    else:
        parent = session.scalar(select(Category).where(Category.code == data.parent_code))
        if parent is None or parent.level != MAJOR:
            raise InvalidInput(f"no 大类 {data.parent_code}: a 小类 hangs under a 大类",
                               code="category_parent_unknown")
        if len(data.code) != 5 or not data.code.startswith(parent.code):
            raise InvalidInput(f"a 小类 code is its 大类's code and 2 digits "
                               f"({parent.code}01 ...), not {data.code}",
                               code="category_code_invalid")
        if data.time_limits is None:
            raise InvalidInput("a 小类 needs time_limits: {urgency: {step: limit}}",
                               code="category_limits_required")
        level, limits = MINOR, check_time_limits(data.time_limits)
        standard = parent.standard if data.standard is None else data.standard
    if session.scalar(select(Category.id).where(Category.code == data.code)) is not None:
        raise Conflict(f"the category code {data.code} is taken", code="category_code_taken")
    _check_name_free(session, parent_id=parent.id if parent else None, name=data.name)
    category = Category(code=data.code, name=data.name, parent=parent, level=level,
                        standard=standard, filing_condition=data.filing_condition,
                        closing_condition=data.closing_condition, time_limits=limits,
                        active=data.active, sort=data.sort)
    session.add(category)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same code or name
        raise Conflict(f"the category {data.code} or its name is taken",
                       code="category_code_taken") from exc
    record(session, actor=actor, action="category.create", subject_type="category",
           subject_id=category.code, after=category.audit_view())
    return category


def update_category(session: Session, *, code: str,
                    data: CategoryUpdate | Mapping[str, Any], version: int,
                    actor: str) -> Category:
    """Apply changes read at `version`. A stale version is Conflict (409) naming the
    current one, and nothing is written. The code and the parent never change."""
    category = get_category(session, code=code)
    if category.version != version:
        raise Conflict(f"category {code} was changed meanwhile (version {category.version}, "
                       f"not {version}): reload and try again",
                       current_version=category.version, code="category_stale")
    if isinstance(data, CategoryUpdate):
        changes = data.changes()
    else:
        changes = _validated(CategoryUpdate, {**data, "version": version}).changes()
    if "time_limits" in changes:
        if not category.is_minor:
            raise InvalidInput(f"category {code} is a 大类: only a 小类 has time limits",
                               code="category_major_limits")
        changes["time_limits"] = check_time_limits(changes["time_limits"])
    if "name" in changes and changes["name"] != category.name:
        _check_name_free(session, parent_id=category.parent_id, name=changes["name"])
    changes = {field: value for field, value in changes.items()
               if getattr(category, field) != value}
    if not changes:
        return category
    before = category.audit_view()
    for field, value in changes.items():
        setattr(category, field, value)
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(f"category {code} was changed meanwhile: reload and try again",
                       code="category_stale") from exc
    except IntegrityError as exc:
        raise Conflict(f"the name {category.name} is taken in its class",
                       code="category_name_taken") from exc
    record(session, actor=actor, action="category.update", subject_type="category",
           subject_id=category.code, before=before, after=category.audit_view())
    return category


def _check_name_free(session: Session, *, parent_id: int | None, name: str) -> None:
    """Two 小类 of one 大类 may not share a name. 大类 may: the standard has 市容环境 both
    as a component and as an event class."""
    if parent_id is None:
        return
    taken = session.scalar(select(Category.code).where(Category.parent_id == parent_id,
                                                       Category.name == name))
    if taken is not None:
        raise Conflict(f"the name {name} is taken in its class (by {taken})",
                       code="category_name_taken")


def _validated(schema: type, data: Any) -> Any:
    if isinstance(data, schema):
        return data
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
                            for error in exc.errors())
        raise InvalidInput(details) from None
