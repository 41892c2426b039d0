"""Small builders of BMv2 JSON fragments: hex strings, expression objects, wrapping."""

from __future__ import annotations

from typing import Any

J = dict[str, Any]


def hexstr(value: int, width: int | None = None) -> str:
    """`0x...` padded to whole bytes of `width` bits (p4c's form); negative values get `-`."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    digits = f"{v:x}"
    if width is not None and width > 0:
        n = 2 * ((width + 7) // 8)
        digits = digits.rjust(n, "0")
    elif len(digits) % 2:
        digits = "0" + digits
    return f"{sign}0x{digits}"


def hexval(value: int, width: int | None = None) -> J:
    return {"type": "hexstr", "value": hexstr(value, width)}


def boolval(value: bool) -> J:
    return {"type": "bool", "value": bool(value)}


def op(name: str, left: J | None, right: J | None, **extra: Any) -> J:
    """An expression object `{"type": "expression", "value": {"op", "left", "right"}}`."""
    value: J = {"op": name, "left": left, "right": right}
    value.update(extra)
    return {"type": "expression", "value": value}


def mask(width: int) -> int:
    return (1 << width) - 1


def d2b(e: J) -> J:
    if e.get("type") == "expression" and e["value"].get("op") == "b2d":
        r: J = e["value"]["right"]
        return r
    return op("d2b", None, e)


def b2d(e: J) -> J:
    if e.get("type") == "bool":
        return hexval(1 if e["value"] else 0, 1)
    if e.get("type") == "expression" and e["value"].get("op") == "d2b":
        r: J = e["value"]["right"]
        return r
    return op("b2d", None, e)


def as_param(e: J) -> J:
    """An expression as a primitive parameter: run-time data by index, expressions wrapped twice."""
    kind = e.get("type")
    if kind == "local":
        return {"type": "runtime_data", "value": e["value"]}
    if kind == "expression":
        if isinstance(e["value"], dict) and e["value"].get("type") == "expression":
            return e  # already in parameter form
        return {"type": "expression", "value": e}
    return e


def as_operand(e: J) -> J:
    """A primitive-parameter form turned back into an operand of an expression."""
    if e.get("type") == "runtime_data":
        return {"type": "local", "value": e["value"]}
    return e
