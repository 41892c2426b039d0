"""What a device must hold, as P4Runtime messages keyed for comparison with what it does hold.

Entries of `controller.entries` are resolved through the program's P4Info (`controller.p4names`: a wrong
name fails here, before anything is written, with "did you mean") and encoded by finsy into canonical
P4Runtime messages. What the device returns on a read is decoded and encoded again the same way, so both
sides compare byte for byte: a table entry is identified by (table, match, priority) and differs when its
action differs; a multicast group by its id, and differs when its replicas (in any order) differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import finsy
from finsy.proto import p4r

from controller.entries import NIC_ACK, NIC_RX, NIC_TX, DeviceConfig, Entry, McGroup
from controller.p4names import NameResolutionError, P4Names
from controller.protocol.orders import Order
from controller.runtime.errors import ControllerError

EntryKey = tuple[int, tuple[bytes, ...], int]

# The order that resets a stream's registers when the controller creates the stream (controller.protocol.
# orders): keyed by the action whose entry creates the stream on that side (one entry per stream, or per
# mailbox slot), made from the entry's parameters.
STREAM_ORDERS: dict[str, Callable[[dict[str, int]], Order]] = {
    NIC_TX + "rewind_window": lambda params: Order.reset_tx(params["stream"]),
    NIC_RX + "accept_stream": lambda params: Order.reset_rx(params["stream"]),
    NIC_ACK + "to_mailbox": lambda params: Order.reset_mailbox(params["slot"]),
}


def order_of(action: str, params: dict[str, int]) -> Order | None:
    """The order an entry of `action` with `params` needs when it is created (None: it creates no stream)."""
    make = STREAM_ORDERS.get(action)
    return make(params) if make is not None else None


@dataclass(frozen=True)
class WantedEntry:
    key: EntryKey
    message: Any  # p4r.TableEntry
    action: bytes  # canonical form of the action, for comparison
    description: str
    order: Order | None  # resets the stream's registers when this entry creates the stream


@dataclass
class Wanted:
    """The whole desired state of one device."""

    entries: dict[EntryKey, WantedEntry] = field(default_factory=dict)
    groups: dict[int, Any] = field(default_factory=dict)  # group id -> p4r.MulticastGroupEntry


def entry_key(message: Any) -> EntryKey:
    """(table id, match fields, priority) of a p4r.TableEntry, in canonical bytes."""
    fields = sorted(message.match, key=lambda m: m.field_id)
    return (message.table_id, tuple(m.SerializeToString(deterministic=True) for m in fields), message.priority)


def action_bytes(message: Any) -> bytes:
    """The canonical bytes of a p4r.TableEntry's action (parameters in id order)."""
    action = p4r.TableAction()
    action.CopyFrom(message.action)
    if action.HasField("action"):
        params = sorted(action.action.params, key=lambda p: p.param_id)
        del action.action.params[:]
        action.action.params.extend(params)
    return bytes(action.SerializeToString(deterministic=True))


def replicas_of(group: Any) -> tuple[tuple[int, int], ...]:
    """A p4r.MulticastGroupEntry's replicas as sorted (port, instance) pairs."""
    pairs = []
    for replica in group.replicas:
        port = int.from_bytes(replica.port, "big") if replica.HasField("port") else replica.egress_port
        pairs.append((port, replica.instance))
    return tuple(sorted(pairs))


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


def describe_entry(message: Any, schema: Any) -> str:
    """A p4r.TableEntry read from a device, in the form `controller.entries.Entry.describe` uses."""
    table = schema.tables[message.table_id]
    keys = []
    for m in sorted(message.match, key=lambda m: m.field_id):
        name = table.match_fields[m.field_id].name
        kind = m.WhichOneof("field_match_type")
        if kind == "lpm":
            keys.append(f"{name}={_int(m.lpm.value):#x}/{m.lpm.prefix_len}")
        elif kind == "ternary":
            keys.append(f"{name}={_int(m.ternary.value):#x}&&&{_int(m.ternary.mask):#x}")
        elif kind == "range":
            keys.append(f"{name}={_int(m.range.low):#x}..{_int(m.range.high):#x}")
        else:
            keys.append(f"{name}={_int(getattr(m, kind or 'exact').value):#x}")
    prio = f" priority {message.priority}" if message.priority else ""
    if message.action.HasField("action"):
        action = schema.actions[message.action.action.action_id]
        args = ", ".join(
            f"{action.params[p.param_id].name}={_int(p.value):#x}"
            for p in sorted(message.action.action.params, key=lambda p: p.param_id)
        )
        target = f"{action.name}({args})"
    else:
        target = f"({message.action.WhichOneof('type') or 'no action'})"
    return f"{table.name} [{', '.join(keys)}]{prio} -> {target}"


def table_entry(entry: Entry, names: P4Names, schema: Any) -> WantedEntry:
    """Resolve and encode one entry; a name or value the program does not have is a ControllerError."""
    where = entry.describe()
    try:
        resolved = names.resolve_entry(entry)
    except NameResolutionError as exc:
        raise ControllerError(str(exc)) from None
    match = {m.name: (m.value if m.prefix_len is None else (m.value, m.prefix_len)) for m in resolved.match}
    params = dict(entry.params)
    finsy_entry = finsy.P4TableEntry(
        resolved.table,
        match=finsy.P4TableMatch(match),
        action=finsy.P4TableAction(resolved.action, **params),
        priority=resolved.priority,
    )
    try:
        message = finsy_entry.encode_entry(schema)
    except (ValueError, KeyError) as exc:
        raise ControllerError(f"{where}: {exc}") from None
    return WantedEntry(entry_key(message), message, action_bytes(message), where, order_of(resolved.action, params))


def group_message(group: McGroup, schema: Any) -> Any:
    """A p4r.MulticastGroupEntry, replicas in the form the device's P4Runtime version wants."""
    entity = finsy.P4MulticastGroupEntry(group.group_id, replicas=list(group.replicas)).encode(schema)
    return entity.packet_replication_engine_entry.multicast_group_entry


def wanted(config: DeviceConfig, names: P4Names, schema: Any) -> Wanted:
    """The desired state of a device from its `DeviceConfig`; duplicates in the plan are a ControllerError."""
    result = Wanted()
    for entry in config.entries:
        item = table_entry(entry, names, schema)
        if item.key in result.entries:
            raise ControllerError(f"{item.description}: the plan holds two entries with this key")
        result.entries[item.key] = item
    for group in config.groups:
        if group.group_id in result.groups:
            raise ControllerError(f"multicast group {group.group_id}: the plan holds it twice")
        result.groups[group.group_id] = group_message(group, schema)
    return result
