"""Reconcile one device with the plan: read what it holds, delete what is not wanted, write what is missing.

The order keeps traffic safe while it runs: multicast groups are created or fixed first (entries point to
them), then unwanted table entries go, then the streams being created are reset, then entries are modified
and inserted, and unwanted groups go last. An entry that creates a stream (see `desired.STREAM_ORDERS`)
resets that stream's registers when it is inserted, or modified to another stream index; a stream that
already exists keeps its sequence numbers, so a controller restart does not disturb traffic. Right after a
pipeline push the registers are already zero, so nothing is sent. A reset is an order the NIC's pipeline
carries out (controller.protocol.orders: a packet-out, answered by a packet-in), not a P4Runtime register
write, which BMv2's server does not implement; the entries wait until every order is answered. Const
entries are never touched. A device that refuses updates raises `ControllerError` naming every refused
entry and the device's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import finsy
from finsy.proto import p4r

from controller.protocol.orders import Order
from controller.runtime.desired import Wanted, action_bytes, describe_entry, entry_key, order_of, replicas_of
from controller.runtime.errors import ControllerError
from controller.runtime.orders import carry_out
from controller.runtime.session import Session

BATCH = 500  # updates per WriteRequest


@dataclass
class Report:
    """What reconciling one device did."""

    device: str
    pushed: bool = False
    inserted: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    groups_inserted: list[int] = field(default_factory=list)
    groups_modified: list[int] = field(default_factory=list)
    groups_deleted: list[int] = field(default_factory=list)
    reset: list[Order] = field(default_factory=list)  # streams created, whose registers were reset
    dry_run: bool = False  # nothing was written: the report says what apply would do

    @property
    def changed(self) -> bool:
        return any((self.inserted, self.modified, self.deleted, self.groups_inserted, self.groups_modified,
                    self.groups_deleted, self.reset, self.pushed))

    def summary(self) -> str:
        pipeline = "pipeline pushed" if self.pushed else "pipeline kept"
        text = (
            f"{self.device}: {pipeline}; entries: {len(self.inserted)} inserted, {len(self.modified)} modified, "
            f"{len(self.deleted)} deleted; multicast groups: {len(self.groups_inserted)} inserted, "
            f"{len(self.groups_modified)} modified, {len(self.groups_deleted)} deleted; "
            f"streams reset: {len(self.reset)}"
        )
        return f"{text} (dry run: nothing written)" if self.dry_run else text


async def read_state(session: Session) -> tuple[dict[Any, Any], dict[int, Any]]:
    """The device's table entries (by key, const ones left out) and multicast groups (by id), as messages."""
    schema = session.schema
    entries: dict[Any, Any] = {}
    groups: dict[int, Any] = {}
    try:
        async for item in session.switch.read([finsy.P4TableEntry(), finsy.P4MulticastGroupEntry()]):
            message = item.encode(schema)
            if isinstance(item, finsy.P4TableEntry):
                if not item.is_const and not item.is_default_action:
                    entries[entry_key(message.table_entry)] = message.table_entry
            elif isinstance(item, finsy.P4MulticastGroupEntry):
                group = message.packet_replication_engine_entry.multicast_group_entry
                groups[group.multicast_group_id] = group
    except finsy.P4ClientError as exc:
        raise ControllerError(f"{session.device}: reading its state: {exc.code.name}: {exc.message}") from None
    return entries, groups


def _table_update(kind: int, message: Any) -> Any:
    return p4r.Update(type=kind, entity=p4r.Entity(table_entry=message))


def _group_update(kind: int, message: Any) -> Any:
    pre = p4r.PacketReplicationEngineEntry(multicast_group_entry=message)
    return p4r.Update(type=kind, entity=p4r.Entity(packet_replication_engine_entry=pre))


KIND_NAMES = {p4r.Update.INSERT: "INSERT", p4r.Update.MODIFY: "MODIFY", p4r.Update.DELETE: "DELETE"}


async def write(session: Session, updates: list[tuple[Any, str]]) -> None:
    """Write (update, description) pairs in batches; refused updates raise a ControllerError naming each."""
    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        try:
            await session.switch.write([update for update, _ in batch])
        except finsy.P4ClientError as exc:
            if not exc.details:
                message = f"{session.device}: write refused: {exc.code.name}: {exc.message}"
                raise ControllerError(message) from None
            lines = [f"{session.device}: the device refused {len(exc.details)} of {len(batch)} updates:"]
            for index, error in sorted(exc.details.items()):
                update, description = batch[index]
                lines.append(
                    f"  {KIND_NAMES.get(update.type, '?')} {description}: "
                    f"{error.canonical_code.name}: {error.message}"
                )
            raise ControllerError("\n".join(lines)) from None


def from_scratch(device: str, wanted: Wanted, *, dry_run: bool) -> Report:
    """What apply does on a device that gets the pipeline pushed (its state starts empty)."""
    report = Report(device, pushed=True, dry_run=dry_run)
    report.inserted = [item.description for item in wanted.entries.values()]
    report.groups_inserted = list(wanted.groups)
    return report  # a freshly pushed pipeline starts with every register at zero: no stream needs a reset


async def reconcile(session: Session, wanted: Wanted, *, dry_run: bool = False) -> Report:
    """Make the device hold exactly `wanted` (with `dry_run`, only say what that takes); returns the changes."""
    report = Report(str(session.device), pushed=session.pushed, dry_run=dry_run)
    schema = session.schema
    held_entries, held_groups = await read_state(session)

    group_writes: list[tuple[Any, str]] = []
    for group_id, group in wanted.groups.items():
        held = held_groups.get(group_id)
        if held is None:
            group_writes.append((_group_update(p4r.Update.INSERT, group), f"multicast group {group_id}"))
            report.groups_inserted.append(group_id)
        elif replicas_of(held) != replicas_of(group):
            group_writes.append((_group_update(p4r.Update.MODIFY, group), f"multicast group {group_id}"))
            report.groups_modified.append(group_id)
    group_deletes = [
        (_group_update(p4r.Update.DELETE, group), f"multicast group {group_id}")
        for group_id, group in held_groups.items()
        if group_id not in wanted.groups
    ]
    report.groups_deleted = [group_id for group_id in held_groups if group_id not in wanted.groups]

    deletes: list[tuple[Any, str]] = []
    for key, message in held_entries.items():
        if key not in wanted.entries:
            description = describe_entry(message, schema)
            deletes.append((_table_update(p4r.Update.DELETE, message), description))
            report.deleted.append(description)
    modifies: list[tuple[Any, str]] = []
    inserts: list[tuple[Any, str]] = []
    resets: set[Order] = set()
    for key, item in wanted.entries.items():
        held = held_entries.get(key)
        if held is None:
            inserts.append((_table_update(p4r.Update.INSERT, item.message), item.description))
            report.inserted.append(item.description)
            if item.order is not None:
                resets.add(item.order)
        elif action_bytes(held) != item.action:
            modifies.append((_table_update(p4r.Update.MODIFY, item.message), item.description))
            report.modified.append(item.description)
            if item.order is not None and _held_order(held, schema) != item.order:
                resets.add(item.order)
    report.reset = [] if session.pushed else sorted(resets)  # a fresh pipeline's registers are all zero

    if dry_run:
        return report
    await write(session, group_writes)
    await write(session, deletes)
    await carry_out(session, report.reset)
    await write(session, modifies)
    await write(session, inserts)
    await write(session, group_deletes)
    return report


def _held_order(message: Any, schema: Any) -> Order | None:
    """The order that created what a held entry names (its stream or mailbox slot), if any."""
    entry = finsy.P4TableEntry.decode_entry(message, schema)
    action = entry.action
    if isinstance(action, finsy.P4TableAction):
        full_name = schema.actions[action.name].name  # finsy decodes to the alias
        return order_of(full_name, {name: int(value) for name, value in action.args.items()})
    return None
