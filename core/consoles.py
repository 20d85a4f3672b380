"""A platform's desk console, declared as data (issue 12 §1: one console that each platform
configures instead of copying).

A platform part lists its consoles in `CONSOLES` (core/platforms.py gathers them); the app
serves each at `/console/{key}` (api/console.py) and the shared modules under
api/static/console/ draw it: the queues, filters, sortable columns and paging of the list
endpoint, the detail's fields, clocks, timeline, links and documents, and the moves from
the case type's workflow description (GET /api/v1/workflows/{case_type}, moves.js). What
differs between platforms is here, as data: which endpoints, which columns, which fields.

URLs are relative to /api/v1; `{id}` and `{move}` are filled in by the page.
"""

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Queue:
    """A tab of the queue: the query parameters it adds to the list endpoint, or another
    list endpoint (`url`, e.g. a 督办 list); shown to holders of `permission` if named."""

    key: str
    label: str
    params: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    permission: str | None = None


@dataclass(frozen=True)
class Column:
    """A list column. `key`: a dotted path into a row (`handler_unit.name`); `kind` how it
    is shown (text, id, state, deadline, time, fen, bool); `sort`: the list endpoint's
    `sort` value for it, "client" to sort the rows on the page (an endpoint that answers the
    whole list at once), None: not sortable."""

    key: str
    label: str
    kind: str = "text"
    sort: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # a code's words (kind "choice")


@dataclass(frozen=True)
class Filter:
    """A filter of the list: a query parameter. `kind`: state (the workflow's states),
    choice (`choices`), text, area (the user's areas, down to any level), date."""

    param: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Facet:
    """Counts the list answers with `facets=true` (`key`: e.g. by_step → {value: n}),
    drawn as buttons that set the filter `param` (its choices name the values)."""

    key: str
    param: str
    label: str


@dataclass(frozen=True)
class Field:
    """A detail field (`key` a dotted path; `kind` as a Column's), or a move's form field
    (`key` the body's name; `kind`: text, int, fen (entered in 元, sent in 分), bool, ids
    (comma-separated numbers), choice, choices (several), datetime, instalments (a line
    "date 元" each); unit, member, members:
    picked from the units of `platform` (the console's if None) inside the caller's scope
    (GET /units) and their members (GET /units/{id}/members), sent as ids)."""

    key: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()
    platform: str | None = None


@dataclass(frozen=True)
class Console:
    key: str  # /console/{key}
    case_type: str  # GET /api/v1/workflows/{case_type}
    title: str
    platform: str
    noun: str  # what one row is: 案件, 检查, 工单
    permission: str  # needed to read the list (the nav shows the console to its holders)
    list_url: str  # GET, the queue
    detail_url: str  # GET, one subject: "/x/{id}"
    move_url: str  # POST {"version": N, ...}: "/x/{id}/actions/{move}"
    queues: tuple[Queue, ...] = ()
    columns: tuple[Column, ...] = ()
    filters: tuple[Filter, ...] = ()
    detail: tuple[Field, ...] = ()
    move_fields: tuple[Field, ...] = ()  # how the workflow's move fields are entered
    clocks: tuple[tuple[str, str], ...] = ()  # the words of the subject's clocks, by name
    facets: tuple[Facet, ...] = ()  # counts per value of a filter (a paged list's)
    # Who sees the console in the navigation: these roles, or members of a unit of the
    # platform (a membership makes a dispatcher an enforcement desk, say).
    roles: frozenset[str] = frozenset()
    heading: str = "title"  # the row's field that names it in the detail's head
    actions_key: str = "actions"  # where the detail lists the moves the caller may make
    paged: bool = True  # the list answers {total, items} with limit/offset; else a list
    sort_style: str = "order"  # `sort=key&order=desc`, or "prefix": `sort=-key`
    export_url: str | None = None  # the platform's own export, if any (?format=xlsx|csv)
    extra_module: str | None = None  # a small renderer of the platform's own section
    options: dict = field(default_factory=dict)

    def url(self) -> str:
        return f"/console/{self.key}"

    def as_options(self) -> dict:
        """The console as the page's script reads it."""
        data = asdict(self)
        data["roles"] = sorted(self.roles)
        data["url"] = self.url()
        return data
