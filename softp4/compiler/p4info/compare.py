"""Compare two P4Info messages the way the yardstick does (as parsed messages) and say where they differ.

`p4info_differences(expected, actual)` lists readable differences such as
``tables[MyIngress.t].match_fields[1].name: 'hdr.a' != 'hdr.b'``; an empty
list means the messages are equal.  Objects with a preamble are matched by
name, so one missing table does not make every later table differ.

`first_difference(expected, actual)` names only the first differing field path, in field-number
order (`tables[1].match_fields[0].name: expected "hdr.ipv4.dstAddr", got "dstAddr"`): what the
p4c-corpus yardstick and the reference tests against real p4c report.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.message import Message

__all__ = ["first_difference", "p4info_differences"]


def _label(item: Any, index: int) -> str:
    preamble: Any = getattr(item, "preamble", None)
    name = preamble.name if isinstance(preamble, Message) else ""
    return str(name) if name else str(index)


def _diff(path: str, a: Any, b: Any, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, Message) and isinstance(b, Message):
        if a == b:
            return
        for field in a.DESCRIPTOR.fields:
            name = field.name
            va, vb = getattr(a, name), getattr(b, name)
            sub = f"{path}.{name}" if path else name
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                for key in sorted(set(va) | set(vb), key=str):
                    if key not in va:
                        out.append(f"{sub}[{key}]: unexpected")
                    elif key not in vb:
                        out.append(f"{sub}[{key}]: missing")
                    else:
                        _diff(f"{sub}[{key}]", va[key], vb[key], out, limit)
            elif field.is_repeated:
                _diff_list(sub, list(va), list(vb), out, limit)
            elif field.message_type is not None:
                if a.HasField(name) != b.HasField(name):
                    out.append(f"{sub}: {'missing' if a.HasField(name) else 'unexpected'}")
                else:
                    _diff(sub, va, vb, out, limit)
            elif va != vb:
                out.append(f"{sub}: {va!r} != {vb!r}")
        return
    if a != b:
        out.append(f"{path}: {a!r} != {b!r}")


def _diff_list(path: str, a: list[Any], b: list[Any], out: list[str], limit: int) -> None:
    if a and isinstance(a[0], Message) and any(getattr(x, "preamble", None) is not None for x in a):
        la = [_label(x, i) for i, x in enumerate(a)]
        lb = [_label(x, i) for i, x in enumerate(b)]
        if sorted(la) == sorted(lb) and la != lb:
            out.append(f"{path}: order {la} != {lb}")
            return
        byname = dict(zip(lb, b, strict=True))
        for label, item in zip(la, a, strict=True):
            if label not in byname:
                out.append(f"{path}[{label}]: missing")
            else:
                _diff(f"{path}[{label}]", item, byname[label], out, limit)
        out.extend(f"{path}[{label}]: unexpected" for label in lb if label not in set(la))
        return
    if len(a) != len(b):
        out.append(f"{path}: {len(a)} items != {len(b)}: {a!r} != {b!r}"[:300])
        return
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        _diff(f"{path}[{i}]", x, y, out, limit)


def p4info_differences(expected: Message, actual: Message, limit: int = 50) -> list[str]:
    """Where `actual` differs from `expected` (at most `limit` lines); [] when they are equal."""
    out: list[str] = []
    _diff("", expected, actual, out, limit)
    return out[:limit]


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """The first field path where two protobuf messages differ, with both values; None if equal.

    Fields are visited in field-number order, repeated fields element by element, so the path
    names the first place a reader of the golden file would find a difference, e.g.
    `tables[1].match_fields[0].name: expected "hdr.ipv4.dstAddr", got "dstAddr"`.
    """
    if expected == actual:
        return None
    descriptor = expected.DESCRIPTOR
    for fd in sorted(descriptor.fields, key=lambda f: f.number):
        name = f"{path}.{fd.name}" if path else fd.name
        exp_value = getattr(expected, fd.name)
        act_value = getattr(actual, fd.name)
        if _is_repeated(fd):
            exp_items, act_items = list(exp_value), list(act_value)
            if _is_map(fd):
                exp_items = sorted(exp_value.items())
                act_items = sorted(act_value.items())
            for index, (e, a) in enumerate(zip(exp_items, act_items, strict=False)):
                found = _compare_value(fd, e, a, f"{name}[{index}]")
                if found is not None:
                    return found
            if len(exp_items) != len(act_items):
                return f"{name}: expected {len(exp_items)} element(s), got {len(act_items)}"
            continue
        if fd.message_type is not None:
            exp_has, act_has = expected.HasField(fd.name), actual.HasField(fd.name)
            if exp_has != act_has:
                return f"{name}: {'missing' if exp_has else 'unexpected'}"
        found = _compare_value(fd, exp_value, act_value, name)
        if found is not None:
            return found
    return f"{path or '<message>'}: differs (unknown fields)"


def _is_repeated(fd: Any) -> bool:
    if hasattr(fd, "is_repeated"):  # protobuf >= 5.28; `label` is deprecated there
        return bool(fd.is_repeated)
    return bool(fd.label == fd.LABEL_REPEATED)


def _is_map(fd: Any) -> bool:
    mt = fd.message_type
    return mt is not None and mt.GetOptions().map_entry


def _compare_value(fd: Any, expected: Any, actual: Any, path: str) -> str | None:
    if expected == actual:
        return None
    if _is_map(fd):
        return f"{path}: expected {expected!r}, got {actual!r}"
    if fd.message_type is not None:
        return first_difference(expected, actual, path)
    return f"{path}: expected {_show(expected)}, got {_show(actual)}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)
