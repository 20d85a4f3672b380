"""RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: what the audit log hashes
(core/audit.py), with one departure documented there (integers below 10**21 in full)."""

import json
import math
from decimal import Decimal
from json.encoder import encode_basestring as _quote  # RFC 8785's string escaping
from typing import Any


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS) text of a JSON value (dict, list, str, int, float, bool, None)."""
    if _standard_library_agrees(value):
        return _SORTED_COMPACT.encode(value)
    parts: list[str] = []
    _canonical(value, parts)
    return "".join(parts)


# Sorted, compact, unescaped JSON from the C encoder: RFC 8785 for most values, ~5x faster.
_SORTED_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True,
                                   separators=(",", ":"))


def _standard_library_agrees(value: Any) -> bool:
    """Whether `_SORTED_COMPACT` writes `value` exactly as RFC 8785 does: keys whose code
    point order is their UTF-16 order (no character from U+D800 up), integers below
    10**21, and floats Python and ECMAScript both write in plain decimals (not integral,
    1e-4 <= |x| < 1e16)."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) < 10**21
    if isinstance(value, float):
        return not value.is_integer() and 1e-4 <= abs(value) < 1e16
    if isinstance(value, dict):
        return all(isinstance(key, str) and (not key or max(key) < "\ud800")
                   and _standard_library_agrees(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_standard_library_agrees(item) for item in value)
    return False


def _canonical(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        # In full below 10**21, where ECMAScript writes integral doubles out in full too;
        # above, as the double it rounds to (jsonb hands floats that big back as ints).
        out.append(str(value) if abs(value) < 10**21 else _es_number(_to_float(value)))
    elif isinstance(value, float):
        out.append(_es_number(value))
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {key!r}")
            if i:
                out.append(",")
            out.append(_quote(key))
            out.append(":")
            _canonical(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canonical(item, out)
        out.append("]")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def _utf16_key(key: Any) -> bytes:
    return key.encode("utf-16-be") if isinstance(key, str) else b""


def _to_float(n: int) -> float:
    try:
        return float(n)
    except OverflowError:
        raise ValueError(f"{n} is too large for a JSON number") from None


def _es_number(x: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a JSON number")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr is the shortest decimal that round-trips, as ECMAScript requires.
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len("".join(map(str, digit_tuple))) - len(digits)
    k, n = len(digits), len(digits) + exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body
