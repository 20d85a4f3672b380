"""Templates of 文书: one small declarative template per kind, kept as data files.

A template (a JSON file in core/documents/templates/, or a dict a platform registers) is

    {
      "kind": "penalty_decision",
      "title": "行政处罚决定书",
      "category": "罚决",                       # the 类别字 of its number (a unit may override)
      "sections": [
        {"heading": "当事人",
         "fields": [{"key": "party_name", "label": "当事人", "required": true},
                    {"key": "party_id", "label": "证件号码", "type": "id_number"}]},
        {"heading": "违法事实", "fields": [{"key": "facts", "label": "违法事实",
                                         "type": "paragraph", "required": true}]},
        {"text": "以上事实违反了{violated_basis}的规定。", "citation": "行政处罚法第四十四条"}
      ],
      "closing": "如不服本决定，可以在收到本决定书之日起六十日内…",
      "closing_citation": "行政复议法第二十条；行政诉讼法第四十六条"
    }

A section has a heading and labelled fields, or fixed legal text (with `{key}` places the
fields fill in) and its citation, or both. Field types: text (one line), paragraph, money
(fen, an integer; printed in 元), date (ISO), id_number / credit_code / phone (printed
whole on the PDF, masked in the API for viewers who may not see personal data), choice
(one of `choices`), signature (a PNG drawn on a phone, as a data: URL; printed as the
image). Platforms add their own kinds: `register_template(kind, template)`,
or `load_directory(path)` for a folder of them (in their `setup()`).
"""

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.errors import InvalidInput, NotFound
from core.idnumbers import id_number_problem, phone_problem
from core.uscc import uscc_problem

FIELD_TYPES = ("text", "paragraph", "money", "date", "id_number", "credit_code", "phone",
               "choice", "integer", "signature")
# Fields that name a person or an organisation's numbers: never on a public page, masked
# in the API for viewers without core/users/enums.py SEES_PERSONAL_DATA.
PERSONAL_TYPES = frozenset({"id_number", "phone"})
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
MAX_TEXT = {"text": 200, "paragraph": 5000, "id_number": 18, "credit_code": 18, "phone": 20,
            "choice": 100, "date": 10, "signature": 400_000}
SIGNATURE_PREFIX = "data:image/png;base64,"
DIRECTORY = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    personal: bool = False  # also hidden like an ID number (a party's name, an address)

    @property
    def masked(self) -> bool:
        return self.personal or self.type in PERSONAL_TYPES


@dataclass(frozen=True)
class Section:
    heading: str | None = None
    fields: tuple[Field, ...] = ()
    text: str | None = None  # fixed text, with {key} places
    citation: str | None = None  # the text's legal basis, printed beside it


@dataclass(frozen=True)
class Template:
    kind: str
    title: str
    category: str  # 类别字 of the number, unless the unit's rule says otherwise
    sections: tuple[Section, ...]
    closing: str | None = None
    closing_citation: str | None = None
    label: str | None = None  # the kind's name in lists; the title when None
    extra: dict = field(default_factory=dict)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for section in self.sections for f in section.fields)

    @property
    def field_map(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}


_REGISTRY: dict[str, Template] = {}


# --- building and registering -----------------------------------------------------------

def parse(data: Mapping[str, Any]) -> Template:
    """A template from its declarative form (a JSON file's object); ValueError when the
    declaration itself is wrong (a programming error of whoever wrote it)."""
    try:
        kind = data["kind"]
        sections = tuple(_section(s) for s in data["sections"])
        template = Template(kind=kind, title=data["title"], category=data["category"],
                            sections=sections, closing=data.get("closing"),
                            closing_citation=data.get("closing_citation"),
                            label=data.get("label"),
                            extra={k: v for k, v in data.items() if k not in _KNOWN})
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a document template lacks or misstates {exc}") from None
    _check(template)
    return template


_KNOWN = {"kind", "title", "category", "sections", "closing", "closing_citation", "label"}


def _section(data: Mapping[str, Any]) -> Section:
    fields = tuple(Field(key=f["key"], label=f["label"], type=f.get("type", "text"),
                         required=bool(f.get("required", False)),
                         choices=tuple(f.get("choices", ())),
                         personal=bool(f.get("personal", False)))
                   for f in data.get("fields", ()))
    return Section(heading=data.get("heading"), fields=fields, text=data.get("text"),
                   citation=data.get("citation"))


def _check(template: Template) -> None:
    if not KIND_PATTERN.match(template.kind):
        raise ValueError(f"template kind {template.kind!r}: lower-case letters, digits, _")
    keys = [f.key for f in template.fields]
    if len(keys) != len(set(keys)):
        raise ValueError(f"template {template.kind}: a field key is declared twice")
    for f in template.fields:
        if f.type not in FIELD_TYPES:
            raise ValueError(f"template {template.kind}: field {f.key} type {f.type!r}")
        if f.type == "choice" and not f.choices:
            raise ValueError(f"template {template.kind}: choice field {f.key} has no choices")
    for text in [s.text for s in template.sections] + [template.closing]:
        for name in _places(text):
            if name not in keys:
                raise ValueError(f"template {template.kind}: text names unknown field {name}")


def _places(text: str | None) -> list[str]:
    if not text:
        return []
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def register_template(kind: str, template: Template | Mapping[str, Any]) -> Template:
    """Add (or replace: idempotent for a platform's `setup()`) the template of a kind."""
    if not isinstance(template, Template):
        template = parse({"kind": kind, **template})
    if template.kind != kind:
        raise ValueError(f"template declares kind {template.kind!r}, registered as {kind!r}")
    _REGISTRY[kind] = template
    return template


def load_directory(directory: Path | str) -> list[Template]:
    """Register every *.json template of a folder (a platform's own), in name order."""
    return [register_template(t.kind, t) for t in
            (parse(json.loads(path.read_text("utf-8")))
             for path in sorted(Path(directory).glob("*.json")))]


def template_of(kind: str) -> Template:
    """The registered template of a kind; 404 document_kind_unknown otherwise."""
    _load_builtin()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise NotFound(f"no document template of kind {kind!r}",
                       code="document_kind_unknown", kind=kind) from None


def registered() -> dict[str, Template]:
    _load_builtin()
    return dict(_REGISTRY)


_BUILTIN_LOADED = False


def _load_builtin() -> None:
    global _BUILTIN_LOADED
    if not _BUILTIN_LOADED:
        _BUILTIN_LOADED = True
        for template in (parse(json.loads(p.read_text("utf-8")))
                         for p in sorted(DIRECTORY.glob("*.json"))):
            _REGISTRY.setdefault(template.kind, template)  # a platform's own wins


# --- filling in ---------------------------------------------------------------------------

def validate_fields(template: Template, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields as stored (JSON values), every one checked against the template; else
    422 with every bad field named (`errors`: [{field, reason}])."""
    declared = template.field_map
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for key in fields:
        if key not in declared:
            errors.append({"field": str(key), "reason": "unknown"})
    for key, spec in declared.items():
        value = fields.get(key)
        if value is None or value == "":
            if spec.required:
                errors.append({"field": key, "reason": "required"})
            continue
        reason, stored = _check_value(spec, value)
        if reason:
            errors.append({"field": key, "reason": reason})
        else:
            clean[key] = stored
    if errors:
        names = ", ".join(f"{e['field']} ({e['reason']})" for e in errors)
        raise InvalidInput(f"the {template.title} is not filled in correctly: {names}",
                           code="document_fields_invalid", errors=errors)
    return clean


def _check_value(spec: Field, value: Any) -> tuple[str | None, Any]:
    if spec.type in ("money", "integer"):
        if isinstance(value, bool) or not isinstance(value, int):
            return "not_an_integer", None
        if spec.type == "money" and value < 0:
            return "negative", None
        if abs(value) > 10**15:
            return "too_large", None
        return None, value
    if not isinstance(value, str):
        return "not_text", None
    if "\x00" in value:
        return "control_character", None
    if len(value) > MAX_TEXT.get(spec.type, 200):
        return "too_long", None
    if spec.type == "date":
        try:
            return None, date.fromisoformat(value).isoformat()
        except ValueError:
            return "not_a_date", None
    if spec.type == "signature":
        return _signature_problem(value), value
    if spec.type == "choice" and value not in spec.choices:
        return "not_a_choice", None
    if spec.type == "id_number" and id_number_problem(value):
        return "bad_id_number", None
    if spec.type == "credit_code" and uscc_problem(value):
        return "bad_credit_code", None
    if spec.type == "phone" and phone_problem(value):
        return "bad_phone", None
    return None, value


def _signature_problem(value: str) -> str | None:
    """A signature is a PNG image (data: URL) the PDF can print, nothing else."""
    import base64
    import binascii

    if not value.startswith(SIGNATURE_PREFIX):
        return "not_a_png"
    try:
        raw = base64.b64decode(value[len(SIGNATURE_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return "not_a_png"
    return None if raw.startswith(b"\x89PNG\r\n\x1a\n") else "not_a_png"
