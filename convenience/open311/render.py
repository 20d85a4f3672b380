"""GeoReport v2 bodies in XML and JSON (the format is the resource's extension: "Format
Support"). XML is schemaless, without a namespace, UTF-8 with the declaration; JSON is the
Spark-convention mapping of the same tree: a list element becomes an array, its items
objects ("JSON Support"). Errors are the spec's `errors` array ("Errors"), in either
format — not problem+json: here the specification decides.
"""

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from fastapi.responses import Response

FORMATS = ("json", "xml")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# Characters XML 1.0 cannot carry (C0 controls but tab, newline, return; lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3(moment: datetime | None) -> str | None:
    """A w3 datetime with its offset ("Date/time format": the zone must be included)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def render(fmt: str, root: str, item: str | None, body: Any, *, status: int = 200) -> Response:
    """`body` as `fmt`: a list under <root><item>…</item></root> (JSON: an array), or one
    object under <root> (item None; JSON: an object)."""
    if fmt == "xml":
        return Response(to_xml(root, item, body), status_code=status, media_type=XML_TYPE)
    return Response(json.dumps(body, ensure_ascii=False, default=_json_default),
                    status_code=status, media_type=JSON_TYPE)


def errors(fmt: str, status: int, problems: Sequence[tuple[Any, str]]) -> Response:
    """The spec's errors: [{code, description}, …] with the HTTP status (403 key, 404
    missing resource, 400 anything else)."""
    body = [{"code": code, "description": description} for code, description in problems]
    return render(fmt if fmt in FORMATS else "json", "errors", "error", body, status=status)


def to_xml(root: str, item: str | None, body: Any) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>']
    if item is None:
        parts.append(_element(root, body))
    else:
        parts.append(f"<{root}>" + "".join(_element(item, entry) for entry in body)
                     + f"</{root}>")
    return "".join(parts)


# Lists inside an element: the child name of each item ("values" → "value").
_ITEM_OF = {"attributes": "attribute", "values": "value", "endpoints": "endpoint",
            "formats": "format", "notes": "note"}


def _element(name: str, value: Any) -> str:
    if value is None:
        return f"<{name}/>"
    if isinstance(value, Mapping):
        return f"<{name}>" + "".join(_element(k, v) for k, v in value.items()) + f"</{name}>"
    if isinstance(value, list | tuple):
        child = _ITEM_OF.get(name, "item")
        return f"<{name}>" + "".join(_element(child, v) for v in value) + f"</{name}>"
    return f"<{name}>{_text(value)}</{name}>"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3(value) or ""
    return escape(_NOT_XML.sub("", str(value)))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return w3(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
