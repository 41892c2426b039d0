"""The pushed forwarding pipeline: P4Info, device config (raw or wrapped), cookie.

`p4_device_config` is either the BMv2 JSON itself or the legacy wrapper message
the P4 tutorials send, ``P4DeviceConfig { bool reassign = 1; Extras extras = 2;
bytes device_data = 3; }`` whose `device_data` holds the JSON.  The wrapper is
decoded here with a few lines of protobuf wire format, without its .proto.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finsy.proto import p4i

from softp4.switch.p4runtime.errors import invalid
from softp4.switch.p4runtime.translate import P4InfoIndex

_WHERE = "config.p4_device_config"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise invalid(f"{_WHERE}: truncated varint at byte {pos} of the wrapper message")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise invalid(f"{_WHERE}: varint too long at byte {pos} of the wrapper message")


def _wrapper_device_data(data: bytes) -> bytes:
    """The `device_data` field (3) of a legacy P4DeviceConfig wrapper message."""
    pos = 0
    device_data: bytes | None = None
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise invalid(f"{_WHERE}: field number 0 at byte {pos} is not valid protobuf")
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise invalid(f"{_WHERE}: field {number} runs past the end of the wrapper message")
            if number == 3:
                device_data = data[pos : pos + length]
            pos += length
        else:
            raise invalid(f"{_WHERE}: unsupported wire type {wire} of field {number} in the wrapper message")
        if pos > len(data):
            raise invalid(f"{_WHERE}: field {number} runs past the end of the wrapper message")
    if device_data is None:
        raise invalid(f"{_WHERE}: the wrapper message has no device_data (field 3)")
    return device_data


def device_json(device_config: bytes) -> bytes:
    """The BMv2 JSON text in a `p4_device_config`, raw or in the legacy wrapper."""
    stripped = device_config.lstrip(b" \t\r\n\xef\xbb\xbf")
    if not stripped:
        raise invalid(f"{_WHERE} is empty: it must hold BMv2 JSON")
    if stripped[:1] == b"{":
        return stripped
    inner = _wrapper_device_data(device_config).lstrip(b" \t\r\n\xef\xbb\xbf")
    if inner[:1] != b"{":
        raise invalid(f"{_WHERE}: device_data of the wrapper message is not BMv2 JSON")
    return inner


@dataclass(slots=True)
class Pipeline:
    """A verified pipeline: what was pushed, and its P4Info index."""

    p4info: p4i.P4Info
    device_config: bytes  # exactly as pushed
    json_text: bytes
    cookie: int | None
    index: P4InfoIndex


_KINDS = {2: "exact", 3: "lpm", 4: "ternary", 5: "range", 6: "optional"}  # p4i.MatchField.MatchType


def bind(index: P4InfoIndex, switch: Any) -> None:
    """Check that every P4Info object has a switch object of the same name and shape (PI binds by name).

    Tables must agree on their match fields (count, kinds, in order; a P4Info field no wider than the
    key) and actions.
    """
    objects: dict[str, Any] = switch.objects
    kinds = (
        ("table", [t.name for t in index.tables.values()], "tables"),
        ("action", [a.name for a in index.actions.values()], "actions"),
        ("counter", [c.name for c in index.counters.values()], "counters"),
        ("meter", [m.name for m in index.meters.values()], "meters"),
        ("register", [r.name for r in index.registers.values()], "registers"),
        ("digest", [d.name for d in index.digests.values()], "learn_lists"),
        ("action profile", [p.name for p in index.profiles.values()], "action_profiles"),
    )
    for kind, names, attribute in kinds:
        present = set(objects.get(attribute, ()))
        for name in names:
            if name not in present:
                raise invalid(f"config.p4info: {kind} '{name}' has no counterpart in the device config")
    for table in index.tables.values():
        info = switch.table_info(table.name)
        where = f"config.p4info: table '{table.name}'"
        if len(info.keys) != len(table.ordered):
            raise invalid(f"{where} has {len(table.ordered)} match fields, the device config's has {len(info.keys)}")
        for spec, (key_name, match_type, width) in zip(table.ordered, info.keys, strict=True):
            json_kind = "exact" if match_type == "valid" else match_type
            # a narrower P4Info field is a masked key (a slice such as hdr.f[15:8]) on a wider field
            # a translated type (@p4runtime_translation) has the controller's width: values must still fit
            too_wide = spec.bitwidth > width and not spec.translated
            # p4c may write a P4 optional key as "ternary" in the JSON; the switch then matches it as ternary
            info_kind = _KINDS.get(spec.kind)
            kind_ok = info_kind == json_kind or (info_kind == "optional" and json_kind == "ternary")
            if too_wide or not kind_ok:
                raise invalid(
                    f"{where}: match field '{spec.name}' is {spec.kind_name} {spec.bitwidth} bits, the device "
                    f"config's key '{key_name}' is {match_type} {width} bits"
                )
        if table.idle_timeout and not info.support_timeout:
            raise invalid(
                f"{where}: the P4Info asks for idle timeout notifications (NOTIFY_CONTROL), but the device "
                "config's table has no support_timeout"
            )
        actions = set(info.actions)
        for action_id in table.scopes:
            name = index.actions[action_id].name if action_id in index.actions else str(action_id)
            if name not in actions:
                raise invalid(f"{where}: action '{name}' is not an action of the device config's table")
