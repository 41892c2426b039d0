"""Table entries, default entries, direct counters and direct meters over the switch API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from finsy.proto import p4r

from softp4.switch import errors as switch_errors
from softp4.switch.p4runtime.action_profiles import ActionProfiles
from softp4.switch.p4runtime.errors import (
    P4RuntimeError,
    invalid,
    not_found,
    pi_target_error,
    pi_unimplemented,
    unimplemented,
)
from softp4.switch.p4runtime.translate import P4InfoIndex, TableSpec

_INSERT, _MODIFY, _DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
_WHERE = "table_entry"
_MAX_BURST = (1 << 32) - 1  # PI keeps bursts in 32 bits


def counter_data(unit: int, bytes_: int, packets: int) -> p4r.CounterData:
    """CounterData with the fields of the counter's unit (1 bytes, 2 packets, 3 both)."""
    if unit == 1:
        return p4r.CounterData(byte_count=bytes_)
    if unit == 2:
        return p4r.CounterData(packet_count=packets)
    return p4r.CounterData(byte_count=bytes_, packet_count=packets)


def meter_rates(config: p4r.MeterConfig, where: str) -> list[tuple[float, int]]:
    """Switch meter rates [(committed rate, burst), (peak rate, burst)] of a MeterConfig."""
    for name in ("cir", "cburst", "pir", "pburst"):
        if getattr(config, name) < 0:
            raise invalid(f"{where}.{name} {getattr(config, name)}: must not be negative")
    if config.cburst > _MAX_BURST:
        raise pi_unimplemented("cburst")
    if config.pburst > _MAX_BURST:
        raise pi_unimplemented("pburst")
    if config.eburst:
        raise invalid(f"{where}.eburst: only two-rate three-color meters are supported (eburst must be 0)")
    if config.cir > config.pir:  # PI passes it on; simple_switch refuses it
        raise pi_target_error("meter_write", f"{where}: cir {config.cir} is greater than pir {config.pir}")
    return [(float(config.cir), int(config.cburst)), (float(config.pir), int(config.pburst))]


def meter_config(rates: list[tuple[float, int]]) -> p4r.MeterConfig | None:
    if not rates:
        return None
    (cir, cburst), (pir, pburst) = rates[0], rates[-1]
    return p4r.MeterConfig(cir=round(cir), cburst=int(cburst), pir=round(pir), pburst=int(pburst))


@dataclass(frozen=True, slots=True)
class EntryData:
    """The parts of a table entry that only P4Runtime sees."""

    metadata: bytes = b""
    controller_metadata: int = 0
    idle_timeout_ns: int = 0


NS_PER_MS = 1_000_000


def check_idle_timeout(table: TableSpec, te: p4r.TableEntry) -> None:
    """PI's checks of `idle_timeout_ns` in a write."""
    if te.idle_timeout_ns < 0:
        raise invalid(f"{_WHERE}.idle_timeout_ns {te.idle_timeout_ns}: must not be negative")
    if te.idle_timeout_ns > 0 and not table.idle_timeout:
        raise invalid(
            f"{_WHERE}.idle_timeout_ns: must be 0 for table '{table.name}', which does not support idle timeout"
        )


def _refuse_keyless(table: TableSpec) -> None:
    """BMv2 cannot add an entry to a table without match fields (only its default entry exists): it
    answers UNKNOWN, after checking the action."""
    if not table.ordered:
        raise P4RuntimeError(
            grpc.StatusCode.UNKNOWN,
            f"{_WHERE}: table '{table.name}' has no match fields: write its default entry "
            "(is_default_action) instead (BMv2: 'Error when adding match entry to target')",
        )


class TableEntries:
    """P4Runtime view of the tables of one pipeline."""

    def __init__(self, switch: Any, index: P4InfoIndex, profiles: ActionProfiles) -> None:
        self.sw = switch
        self.index = index
        self.profiles = profiles
        # What P4Runtime writes and the switch does not hold, per (table, handle).
        self.data: dict[tuple[str, int], EntryData] = {}
        # The message a plain read of an entry of a direct table gave, per (table, handle), with what it was
        # made of: given again (a read copies it into its reply) while the entry and its data are the same.
        self._messages: dict[tuple[str, int], tuple[tuple[Any, ...], p4r.Entity]] = {}

    def entry_timeout(self, table: str, handle: int) -> tuple[int, int] | None:
        """(idle_timeout_ns, controller_metadata) of an entry written over P4Runtime."""
        data = self.data.get((table, handle))
        return None if data is None else (data.idle_timeout_ns, data.controller_metadata)

    # -- writes -------------------------------------------------------------------------------------------
    def write(self, kind: int, te: p4r.TableEntry) -> None:
        table = self.index.table(te.table_id, _WHERE)
        if te.HasField("time_since_last_hit"):
            raise invalid(f"{_WHERE}.time_since_last_hit must not be set in a WriteRequest")
        if te.is_default_action:
            self._write_default(kind, table, te)
            return
        check_idle_timeout(table, te)
        table.check_priority(te.priority, _WHERE)
        key = table.key(te.match, _WHERE)
        if table.const:  # PI does not know the const entries; simple_switch refuses new ones
            if kind == _INSERT:
                raise pi_target_error("table_add", f"table '{table.name}' is const: its entries cannot change")
            raise not_found(f"{_WHERE}: table '{table.name}' is const: no entry written over P4Runtime")
        sw = self.sw
        if kind == _INSERT:
            try:
                self._insert(table, te, key)
            except switch_errors.ResourceExhausted as exc:  # simple_switch's TABLE_FULL
                raise pi_target_error("table_add", str(exc)) from None
            return
        # BMv2 does not find the const entries of a table for a MODIFY or a DELETE
        handle = None if table.const else sw.table_find(table.name, key, te.priority)
        if handle is None:
            raise not_found(f"{_WHERE}: no entry with this match and priority {te.priority} in table '{table.name}'")
        if kind == _MODIFY:
            rates = self._check_extras(table, te)
            if te.HasField("action") and table.profile_id:
                ref, shot = self.profiles.reference(table, te.action, f"{_WHERE}.action")
                try:
                    sw.table_modify_indirect(table.name, handle, **ref)
                except Exception:
                    if shot is not None:
                        self.profiles.release(shot)
                    raise
                self.profiles.bind(table.name, handle, shot)
            elif te.HasField("action"):
                action, params = self.index.table_action(table, te.action, f"{_WHERE}.action", default=False)
                sw.table_modify(table.name, handle, action, params)
            else:
                raise invalid(f"{_WHERE}.action is missing: MODIFY of an entry that is not the default needs one")
            self._apply_extras(table, handle, te, rates)
            self._keep(table, handle, te)
        elif kind == _DELETE:
            sw.table_delete(table.name, handle)
            self.data.pop((table.name, handle), None)
            self._messages.pop((table.name, handle), None)
            if table.profile_id:
                self.profiles.bind(table.name, handle, None)
        else:
            raise invalid(f"update.type {kind}: must be INSERT, MODIFY or DELETE")

    def _insert(self, table: TableSpec, te: p4r.TableEntry, key: list[Any]) -> None:
        """INSERT of an entry that is not the default one, its key checked."""
        sw = self.sw
        if table.profile_id:
            rates = self._check_extras(table, te)
            ref, shot = self.profiles.reference(table, te.action, f"{_WHERE}.action")
            try:
                _refuse_keyless(table)
                handle = sw.table_add_indirect(table.name, key, priority=te.priority, **ref)
            except Exception:
                if shot is not None:
                    self.profiles.release(shot)
                raise
            self.profiles.bind(table.name, handle, shot)
        else:
            action, params = self.index.table_action(table, te.action, f"{_WHERE}.action", default=False)
            rates = self._check_extras(table, te)
            _refuse_keyless(table)
            handle = sw.table_add(table.name, key, action, params, te.priority)
        self._apply_extras(table, handle, te, rates)
        self._keep(table, handle, te)

    def _check_extras(self, table: TableSpec, te: p4r.TableEntry) -> list[tuple[float, int]] | None:
        if te.HasField("counter_data") and not table.direct_counter_id:
            raise invalid(f"{_WHERE}.counter_data: table '{table.name}' has no direct counter")
        if te.HasField("meter_counter_data"):
            raise unimplemented(f"{_WHERE}.meter_counter_data: meter counters are not supported")
        if te.HasField("meter_config"):
            if not table.direct_meter_id:
                raise invalid(f"{_WHERE}.meter_config: table '{table.name}' has no direct meter")
            return meter_rates(te.meter_config, f"{_WHERE}.meter_config")
        return None

    def _apply_extras(
        self, table: TableSpec, handle: int, te: p4r.TableEntry, rates: list[tuple[float, int]] | None
    ) -> None:
        if te.HasField("counter_data"):
            self.sw.table_entry_counter_write(
                table.name, handle, te.counter_data.byte_count, te.counter_data.packet_count
            )
        if rates is not None:
            self.sw.table_entry_meter_set(table.name, handle, rates)

    def _keep(self, table: TableSpec, handle: int, te: p4r.TableEntry) -> None:
        """Store what only P4Runtime sees; on a table with idle timeouts, (re)start the entry's idle time."""
        self.data[(table.name, handle)] = EntryData(te.metadata, te.controller_metadata, te.idle_timeout_ns)
        if table.idle_timeout:
            self.sw.table_entry_set_ttl(table.name, handle, te.idle_timeout_ns // NS_PER_MS)

    def _write_default(self, kind: int, table: TableSpec, te: p4r.TableEntry) -> None:
        if kind != _MODIFY:
            raise invalid(
                f"{_WHERE}: the default entry of table '{table.name}' can only be modified "
                "(INSERT and DELETE of a default entry are invalid)"
            )
        if te.match:
            raise invalid(f"{_WHERE}.match: a default entry (is_default_action) must have no match")
        if te.priority:
            raise invalid(f"{_WHERE}.priority {te.priority}: a default entry must have priority 0")
        if table.profile_id:
            raise invalid(f"{_WHERE}: the default action of indirect table '{table.name}' cannot be set or reset")
        if table.const_default_action_id:
            raise P4RuntimeError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{_WHERE}: the default action of table '{table.name}' is const",
            )
        if te.HasField("action"):
            action, params = self.index.table_action(table, te.action, f"{_WHERE}.action", default=True)
            self.sw.table_set_default(table.name, action, params)
        else:
            self.sw.table_reset_default(table.name)

    # -- reads ----------------------------------------------------------------------------------------------
    def _tables(self, table_id: int, where: str) -> list[TableSpec]:
        if table_id == 0:
            return list(self.index.tables.values())
        return [self.index.table(table_id, where)]

    def _selected(self, table: TableSpec, te: p4r.TableEntry, where: str) -> list[Any]:
        """Switch entries of `table` selected by the read filter `te` (match given: that one entry)."""
        entries = self.sw.table_entries(table.name)
        if te.match and te.table_id:
            key = table.key(te.match, where)
            handle = self.sw.table_find(table.name, key, te.priority)
            return [e for e in entries if e.handle == handle]
        # as PI: without a match every entry of the table, whatever the filter's priority or action
        return list(entries)

    def entry_message(self, table: TableSpec, entry: Any, message: p4r.TableEntry | None = None) -> p4r.TableEntry:
        """The P4Runtime entry of a switch entry, written into `message` if given (an empty one)."""
        # built in place: a message made of nested messages given to constructors copies each of them
        if message is None:
            message = p4r.TableEntry()
        message.table_id = table.id
        message.priority = entry.priority
        table.fill_match(entry.key, message.match)
        action_set = self.profiles.action_set(table.name, entry.handle) if table.profile_id else None
        if action_set is not None:
            message.action.action_profile_action_set.CopyFrom(action_set)
        elif entry.member is not None:
            message.action.action_profile_member_id = entry.member
        elif entry.group is not None:
            message.action.action_profile_group_id = entry.group
        else:
            self.index.fill_action(entry.action, entry.params, message.action.action)
        return message

    def _elapsed_ns(self, table: TableSpec, handle: int, idle_timeout_ns: int) -> int:
        """`time_since_last_hit` as PI derives it from the remaining TTL (0 for an entry that never ages)."""
        if idle_timeout_ns == 0:
            return 0
        timeout_ms, idle_ms = self.sw.table_entry_ttl(table.name, handle)
        if timeout_ms == 0:
            return 0
        remaining_ns = (timeout_ms - idle_ms) * NS_PER_MS if timeout_ms > idle_ms else 0
        return max(0, idle_timeout_ns - remaining_ns)

    def read(self, te: p4r.TableEntry) -> Iterator[p4r.Entity]:
        """The entities of the entries a read of `te` selects."""
        want_elapsed = te.HasField("time_since_last_hit")
        if te.is_default_action and want_elapsed:
            raise invalid(f"{_WHERE}.time_since_last_hit: default entries do not age; do not set it in a read")
        if te.is_default_action:
            for table in self._tables(te.table_id, _WHERE):
                if table.profile_id:  # PI gives the default entry of an indirect table without its action
                    yield p4r.Entity(table_entry=p4r.TableEntry(table_id=table.id, is_default_action=True))
                    continue
                action, params = self.sw.table_get_default(table.name)
                if not action:
                    continue
                yield p4r.Entity(table_entry=p4r.TableEntry(
                    table_id=table.id,
                    action=p4r.TableAction(action=self.index.action_message(action, params)),
                    is_default_action=True,
                ))
            return
        want_counter = te.HasField("counter_data")
        want_meter = te.HasField("meter_config")
        tables = self._tables(te.table_id, _WHERE)
        if want_elapsed:
            for table in tables:
                if not table.idle_timeout:
                    raise invalid(
                        f"{_WHERE}.time_since_last_hit: table '{table.name}' does not support idle timeout "
                        "(a read of several tables included)"
                    )
        plain = not (want_counter or want_meter or want_elapsed)
        messages = self._messages
        for table in tables:
            for entry in self._selected(table, te, _WHERE):
                where = (table.name, entry.handle)
                made_of: tuple[Any, ...] = ()
                if plain and not table.profile_id:
                    made_of = (entry.key, entry.action, entry.params, entry.priority, self.data.get(where))
                    known = messages.get(where)
                    if known is not None and known[0] == made_of:
                        yield known[1]
                        continue
                entity = p4r.Entity()
                message = self.entry_message(table, entry, entity.table_entry)
                if want_counter and table.direct_counter_id:
                    b, p = self.sw.table_entry_counter(table.name, entry.handle)
                    message.counter_data.CopyFrom(counter_data(table.direct_counter_unit, b, p))
                if want_meter and table.direct_meter_id:
                    config = meter_config(self.sw.table_entry_meter_get(table.name, entry.handle))
                    if config is not None:
                        message.meter_config.CopyFrom(config)
                data = self.data.get(where)
                if data is not None:
                    message.metadata = data.metadata
                    message.controller_metadata = data.controller_metadata
                    message.idle_timeout_ns = data.idle_timeout_ns
                if want_elapsed:
                    elapsed = self._elapsed_ns(table, entry.handle, data.idle_timeout_ns if data else 0)
                    message.time_since_last_hit.elapsed_ns = elapsed
                if made_of:
                    messages[where] = (made_of, entity)
                yield entity

    # -- direct counters and meters ------------------------------------------------------------------------------
    def _direct_handle(self, te: p4r.TableEntry, where: str, direct: str) -> tuple[TableSpec, int]:
        table = self.index.table(te.table_id, f"{where}.table_entry")
        if direct == "counter" and not table.direct_counter_id:
            raise invalid(f"{where}.table_entry.table_id {te.table_id}: table '{table.name}' has no direct counter")
        if direct == "meter" and not table.direct_meter_id:
            raise invalid(f"{where}.table_entry.table_id {te.table_id}: table '{table.name}' has no direct meter")
        if te.is_default_action:
            raise unimplemented(f"{where}.table_entry: direct resources of default entries are not supported")
        table.check_priority(te.priority, f"{where}.table_entry")
        key = table.key(te.match, f"{where}.table_entry")
        handle = self.sw.table_find(table.name, key, te.priority)
        if handle is None:
            raise not_found(f"{where}.table_entry: no such entry in table '{table.name}'")
        return table, handle

    def write_direct_counter(self, kind: int, entry: p4r.DirectCounterEntry) -> None:
        where = "direct_counter_entry"
        if kind != _MODIFY:
            raise invalid(f"{where}: direct counter entries can only be modified")
        table, handle = self._direct_handle(entry.table_entry, where, "counter")
        self.sw.table_entry_counter_write(table.name, handle, entry.data.byte_count, entry.data.packet_count)

    def read_direct_counter(self, entry: p4r.DirectCounterEntry) -> Iterator[p4r.DirectCounterEntry]:
        where = "direct_counter_entry.table_entry"
        te = entry.table_entry
        if te.table_id == 0:
            raise pi_unimplemented("direct_counters_all_tables")
        for table in self._tables(te.table_id, where):
            if not table.direct_counter_id:
                if te.table_id:
                    raise invalid(f"{where}.table_id {te.table_id}: table '{table.name}' has no direct counter")
                continue
            for e in self._selected(table, te, where):
                b, p = self.sw.table_entry_counter(table.name, e.handle)
                yield p4r.DirectCounterEntry(
                    table_entry=p4r.TableEntry(table_id=table.id, match=table.match(e.key), priority=e.priority),
                    data=counter_data(table.direct_counter_unit, b, p),
                )

    def write_direct_meter(self, kind: int, entry: p4r.DirectMeterEntry) -> None:
        where = "direct_meter_entry"
        if kind != _MODIFY:
            raise invalid(f"{where}: direct meter entries can only be modified")
        table, handle = self._direct_handle(entry.table_entry, where, "meter")
        rates = meter_rates(entry.config, f"{where}.config") if entry.HasField("config") else []
        self.sw.table_entry_meter_set(table.name, handle, rates)

    def read_direct_meter(self, entry: p4r.DirectMeterEntry) -> Iterator[p4r.DirectMeterEntry]:
        where = "direct_meter_entry.table_entry"
        te = entry.table_entry
        if te.table_id == 0:
            raise pi_unimplemented("direct_meters_all_tables")
        for table in self._tables(te.table_id, where):
            if not table.direct_meter_id:
                if te.table_id:
                    raise invalid(f"{where}.table_id {te.table_id}: table '{table.name}' has no direct meter")
                continue
            for e in self._selected(table, te, where):
                message = p4r.DirectMeterEntry(
                    table_entry=p4r.TableEntry(table_id=table.id, match=table.match(e.key), priority=e.priority)
                )
                config = meter_config(self.sw.table_entry_meter_get(table.name, e.handle))
                if config is not None:
                    message.config.CopyFrom(config)
                yield message
