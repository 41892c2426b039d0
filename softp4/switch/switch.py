"""class Switch: the in-process softp4 target (v1model / simple_switch semantics) and its runtime API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from softp4.switch.errors import InvalidArgument, NoPipeline, NotFound, PermissionDenied, ResourceExhausted
from softp4.switch.loader import load_program
from softp4.switch.profiles import ActionProfile
from softp4.switch.program import Program
from softp4.switch.replication import ReplicationEngine
from softp4.switch.tables import Entry, Match, Table, TableInfo
from softp4.switch.v1model import V1ModelFlow

Trace = Callable[[str], None]


class Switch:
    """A software switch executing BMv2 JSON with simple_switch's semantics.

    Every method is thread-safe. `process()` never raises on packet content; runtime
    calls raise `SwitchError` subclasses.
    """

    def __init__(
        self,
        config: Any = None,
        *,
        device_id: int = 0,
        cpu_port: int = 0,
        priority_queues: int = 1,
        trace: Trace | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device_id = device_id
        self.clock = clock  # seconds; the last-hit times of entries of tables with support_timeout
        self.cpu_port = cpu_port
        self.priority_queues = max(1, int(priority_queues))
        self.trace: Trace | None = trace
        self._lock = threading.RLock()
        self._prog: Program | None = None
        self._rep = ReplicationEngine()
        # replaced, never changed in place, so a packet reads them without the lock or a copy
        self._ports: dict[int, Callable[[bytes], None]] = {}
        self._packet_in: tuple[Callable[[bytes], None], ...] = ()
        self._digest_cbs: tuple[Callable[[str, list[tuple[int, ...]]], None], ...] = ()
        self._error_cbs: tuple[Callable[[str], None], ...] = ()
        self.internal_errors = 0  # packets dropped because of a fault of the switch itself
        self._flow = V1ModelFlow(self._rep, self.priority_queues)
        if config is not None:
            self.load(config)

    # -- pipeline ---------------------------------------------------------------------------
    def load(self, config: Any) -> None:
        """Load BMv2 JSON (dict, JSON text, bytes or a Path); resets all state."""
        prog = load_program(config)
        for t in prog.tables.values():
            t.clock = self.clock
        with self._lock:
            self._prog = prog
            self._rep.clear()

    @property
    def loaded(self) -> bool:
        return self._prog is not None

    @property
    def program(self) -> Program:
        prog = self._prog
        if prog is None:
            raise NoPipeline("no pipeline loaded")
        return prog

    def reset_state(self) -> None:
        """Clear tables (const entries stay), counters, registers, meters, groups and sessions."""
        with self._lock:
            prog = self._prog
            if prog is None:
                return
            for t in prog.tables.values():
                if not t.const:
                    t.clear()
                else:
                    for r in t.recs.values():
                        r.nbytes = r.npackets = 0
                t.reset_default()
            for c in prog.counters.values():
                c.reset()
            for reg in prog.registers.values():
                reg.reset()
            for m in prog.meters.values():
                m.reset()
            for vs in prog.vsets.values():
                vs.values.clear()
            for prof in prog.profiles.values():
                prof.reset()
            self._rep.clear()

    # -- packets -----------------------------------------------------------------------------
    def attach_port(self, port: int, transmit: Callable[[bytes], None]) -> None:
        with self._lock:
            self._ports = {**self._ports, port: transmit}

    def detach_port(self, port: int) -> None:
        with self._lock:
            self._ports = {p: tx for p, tx in self._ports.items() if p != port}

    def on_packet_in(self, cb: Callable[[bytes], None]) -> None:
        with self._lock:
            self._packet_in = (*self._packet_in, cb)

    def on_digest(self, cb: Callable[[str, list[tuple[int, ...]]], None]) -> None:
        with self._lock:
            self._digest_cbs = (*self._digest_cbs, cb)

    def on_internal_error(self, cb: Callable[[str], None]) -> None:
        """Called (outside the lock) with one line when a packet is dropped by a fault of the switch."""
        with self._lock:
            self._error_cbs = (*self._error_cbs, cb)

    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        """Run one frame to completion; the outputs as (port, bytes) in transmit order.

        Frames for the CPU port are included; `receive()` hands those to packet-in callbacks.
        Digest callbacks are called after the packet is done, outside the switch lock.
        """
        with self._lock:
            prog = self._prog
            if prog is None:
                return []
            digests: list[tuple[str, tuple[int, ...]]] = []
            error = None
            try:
                flow = self._flow
                flow.trace = self.trace
                flow.priority_queues = self.priority_queues
                outs = flow.run(prog, int(port), bytes(frame), digests)
            except Exception as e:
                error = f"Internal error while processing packet: {type(e).__name__}: {e}; packet dropped"
                self.internal_errors += 1
                tr = self.trace
                if tr is not None:
                    tr(error)
                outs = []
            cbs = self._digest_cbs
        if error is not None:
            for ecb in self._error_cbs:
                try:
                    ecb(error)
                except Exception:
                    pass
        for name, values in digests:
            for cb in cbs:
                try:
                    cb(name, [values])
                except Exception:
                    pass
        return outs

    def receive(self, port: int, frame: bytes) -> None:
        """process() and hand each output to its port's transmit (CPU port: packet-in callbacks)."""
        outs = self.process(port, frame)
        ports = self._ports
        pins = self._packet_in
        cpu_port = self.cpu_port
        for out_port, data in outs:
            if cpu_port and out_port == cpu_port and pins:
                for cb in pins:
                    try:
                        cb(data)
                    except Exception:
                        pass
                continue
            tx = ports.get(out_port)
            if tx is not None:
                try:
                    tx(data)
                except Exception:
                    pass

    # -- tables ------------------------------------------------------------------------------------
    def _table(self, name: str) -> Table:
        t = self.program.tables.get(name)
        if t is None:
            raise NotFound(f"no table '{name}'")
        return t

    def table_add(self, table: str, key: Sequence[Match], action: str, params: Sequence[int], priority: int = 0) -> int:
        with self._lock:
            t = self._table(table)
            if t.const:
                raise PermissionDenied(f"table '{table}' has const entries and cannot be modified")
            nkey = t.normalize_key(key, priority)
            a = t.check_action(action, params)
            return t.insert(nkey, a, list(params), priority).handle

    def table_modify(self, table: str, handle: int, action: str, params: Sequence[int]) -> None:
        with self._lock:
            t = self._table(table)
            r = t.get(handle)
            if t.const:
                raise PermissionDenied(f"table '{table}' has const entries and cannot be modified")
            r.action = t.check_action(action, params)
            r.data = list(params)
            self._set_ref(t, r, None)

    # -- indirect tables (action profiles and selectors) ----------------------------------------
    def _profile(self, name: str) -> ActionProfile:
        prof = self.program.profiles.get(name)
        if prof is None:
            raise NotFound(f"no action profile '{name}'")
        assert isinstance(prof, ActionProfile)
        return prof

    def _ref(self, t: Table, member: int | None, group: int | None) -> tuple[str, int]:
        if t.profile is None:
            raise InvalidArgument(f"table '{t.name}' is not an indirect table")
        if (member is None) == (group is None):
            raise InvalidArgument(f"table '{t.name}': give exactly one of member and group")
        ref = ("member", member) if member is not None else ("group", group)
        assert ref[1] is not None
        t.profile.check_ref(ref[0], ref[1])
        return (ref[0], ref[1])

    def _set_ref(self, t: Table, r: Any, ref: tuple[str, int] | None) -> None:
        prof = t.profile
        if prof is not None and r.ref is not None:
            prof.refs[r.ref] -= 1
        r.ref = ref
        if prof is not None and ref is not None:
            prof.refs[ref] = prof.refs.get(ref, 0) + 1

    def table_add_indirect(
        self,
        table: str,
        key: Sequence[Match],
        *,
        member: int | None = None,
        group: int | None = None,
        priority: int = 0,
    ) -> int:
        """An entry of an indirect table pointing to an action profile member or a selector group."""
        with self._lock:
            t = self._table(table)
            if t.const:
                raise PermissionDenied(f"table '{table}' has const entries and cannot be modified")
            nkey = t.normalize_key(key, priority)
            ref = self._ref(t, member, group)
            if not t.actions:
                raise InvalidArgument(f"table '{table}' has no actions")
            first = next(iter(t.actions.values()))
            r = t.insert(nkey, first, [], priority)
            self._set_ref(t, r, ref)
            return r.handle

    def table_modify_indirect(
        self, table: str, handle: int, *, member: int | None = None, group: int | None = None
    ) -> None:
        with self._lock:
            t = self._table(table)
            r = t.get(handle)
            if t.const:
                raise PermissionDenied(f"table '{table}' has const entries and cannot be modified")
            self._set_ref(t, r, self._ref(t, member, group))

    def act_prof_member_add(self, profile: str, member_id: int, action: str, params: Sequence[int]) -> None:
        with self._lock:
            self._profile(profile).member_add(member_id, action, params)

    def act_prof_member_modify(self, profile: str, member_id: int, action: str, params: Sequence[int]) -> None:
        with self._lock:
            self._profile(profile).member_modify(member_id, action, params)

    def act_prof_member_delete(self, profile: str, member_id: int) -> None:
        with self._lock:
            self._profile(profile).member_delete(member_id)

    def act_prof_members(self, profile: str) -> list[tuple[int, str, list[int]]]:
        with self._lock:
            prof = self._profile(profile)
            return [(mid, a.name, list(d)) for mid, (a, d) in sorted(prof.members.items())]

    def act_prof_group_set(self, profile: str, group_id: int, member_ids: Sequence[int]) -> None:
        with self._lock:
            self._profile(profile).group_set(group_id, member_ids)

    def act_prof_group_delete(self, profile: str, group_id: int) -> None:
        with self._lock:
            self._profile(profile).group_delete(group_id)

    def act_prof_groups(self, profile: str) -> list[tuple[int, list[int]]]:
        with self._lock:
            prof = self._profile(profile)
            return [(gid, list(m)) for gid, m in sorted(prof.groups.items())]

    def table_delete(self, table: str, handle: int) -> None:
        with self._lock:
            t = self._table(table)
            r = t.get(handle)
            if t.const:
                raise PermissionDenied(f"table '{table}' has const entries and cannot be modified")
            self._set_ref(t, r, None)
            t.delete(handle)

    def table_find(self, table: str, key: Sequence[Match], priority: int = 0) -> int | None:
        with self._lock:
            t = self._table(table)
            r = t.find(t.normalize_key(key, priority), priority)
            return None if r is None else r.handle

    def table_entries(self, table: str) -> list[Entry]:
        with self._lock:
            t = self._table(table)
            out = []
            for r in sorted(t.recs.values(), key=lambda r: r.handle):
                if r.ref is None:
                    out.append(Entry(r.handle, r.key, r.action.name, list(r.data), r.priority))
                elif r.ref[0] == "member":
                    out.append(Entry(r.handle, r.key, "", [], r.priority, member=r.ref[1]))
                else:
                    out.append(Entry(r.handle, r.key, "", [], r.priority, group=r.ref[1]))
            return out

    def table_clear(self, table: str) -> None:
        with self._lock:
            t = self._table(table)
            if t.const:
                raise PermissionDenied(f"table '{table}' has const entries and cannot be modified")
            for r in t.recs.values():
                self._set_ref(t, r, None)
            t.clear()

    def table_set_default(self, table: str, action: str, params: Sequence[int]) -> None:
        with self._lock:
            t = self._table(table)
            a = t.check_action(action, params)
            if t.default_const and (t.default_action is None or a.name != t.default_action.name):
                raise PermissionDenied(f"table '{table}': the default action is const")
            if t.default_entry_const:
                raise PermissionDenied(f"table '{table}': the default entry is const")
            t.default_action = a
            t.default_data = list(params)

    def table_reset_default(self, table: str) -> None:
        with self._lock:
            t = self._table(table)
            if t.default_entry_const:
                raise PermissionDenied(f"table '{table}': the default entry is const")
            t.reset_default()

    def table_get_default(self, table: str) -> tuple[str, list[int]]:
        with self._lock:
            t = self._table(table)
            if t.default_action is None:
                return ("", [])
            return (t.default_action.name, list(t.default_data))

    def table_info(self, table: str) -> TableInfo:
        with self._lock:
            return self._table(table).info()

    def table_entry_counter(self, table: str, handle: int) -> tuple[int, int]:
        with self._lock:
            t = self._table(table)
            if not t.with_counters:
                raise InvalidArgument(f"table '{table}' has no direct counter")
            r = t.get(handle)
            return (r.nbytes, r.npackets)

    def table_entry_counter_write(self, table: str, handle: int, bytes_: int, packets: int) -> None:
        with self._lock:
            t = self._table(table)
            if not t.with_counters:
                raise InvalidArgument(f"table '{table}' has no direct counter")
            r = t.get(handle)
            r.nbytes, r.npackets = int(bytes_), int(packets)

    def table_entry_meter_set(self, table: str, handle: int, rates: list[tuple[float, int]]) -> None:
        with self._lock:
            t = self._table(table)
            r = t.get(handle)
            if r.meter is None:
                raise InvalidArgument(f"table '{table}' has no direct meter")
            r.meter.configure(self._check_rates(rates))

    def table_entry_meter_get(self, table: str, handle: int) -> list[tuple[float, int]]:
        with self._lock:
            t = self._table(table)
            r = t.get(handle)
            if r.meter is None:
                raise InvalidArgument(f"table '{table}' has no direct meter")
            return list(r.meter.rates)

    def table_entry_set_ttl(self, table: str, handle: int, ttl_ms: int) -> None:
        """Set the idle timeout of an entry of a table with support_timeout (0: never ages); restarts its idle time."""
        with self._lock:
            self._table(table).set_ttl(handle, ttl_ms)

    def table_entry_ttl(self, table: str, handle: int) -> tuple[int, int]:
        """(idle timeout in ms, ms since the entry was last hit, inserted or given its timeout)."""
        with self._lock:
            return self._table(table).ttl(handle)

    def table_expired(self, table: str) -> list[int]:
        """Handles of the entries idle for at least their timeout (none for a table without support_timeout)."""
        with self._lock:
            return self._table(table).expired()

    # -- counters, meters, registers -----------------------------------------------------------
    def _index(self, what: str, name: str, size: int, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < size:
            raise InvalidArgument(f"{what} '{name}': index {index!r} out of range 0..{size - 1}")

    def counter_read(self, name: str, index: int) -> tuple[int, int]:
        with self._lock:
            c = self.program.counters.get(name)
            if c is None or c.is_direct:
                raise NotFound(f"no indirect counter '{name}'")
            self._index("counter", name, c.size, index)
            return (c.bytes[index], c.packets[index])

    def counter_write(self, name: str, index: int, bytes_: int, packets: int) -> None:
        with self._lock:
            c = self.program.counters.get(name)
            if c is None or c.is_direct:
                raise NotFound(f"no indirect counter '{name}'")
            self._index("counter", name, c.size, index)
            c.bytes[index] = int(bytes_)
            c.packets[index] = int(packets)

    def counter_reset(self, name: str) -> None:
        with self._lock:
            c = self.program.counters.get(name)
            if c is None:
                raise NotFound(f"no counter '{name}'")
            if c.is_direct and c.binding in self.program.tables:
                for r in self.program.tables[c.binding].recs.values():
                    r.nbytes = r.npackets = 0
            c.reset()

    def _check_rates(self, rates: list[tuple[float, int]]) -> list[tuple[float, int]]:
        out = []
        for r in rates:
            if not isinstance(r, tuple | list) or len(r) != 2:
                raise InvalidArgument(f"meter rate {r!r} must be (rate, burst)")
            rate, burst = r
            if rate < 0 or burst < 0:
                raise InvalidArgument(f"meter rate {r!r} must not be negative")
            out.append((float(rate), int(burst)))
        if len(out) == 2 and out[0][0] > out[1][0]:
            raise InvalidArgument("meter committed rate exceeds peak rate")
        return out

    def meter_set(self, name: str, index: int, rates: list[tuple[float, int]]) -> None:
        with self._lock:
            m = self.program.meters.get(name)
            if m is None or m.is_direct:
                raise NotFound(f"no indirect meter '{name}'")
            self._index("meter", name, m.size, index)
            m.meter(index).configure(self._check_rates(rates))

    def meter_get(self, name: str, index: int) -> list[tuple[float, int]]:
        with self._lock:
            m = self.program.meters.get(name)
            if m is None or m.is_direct:
                raise NotFound(f"no indirect meter '{name}'")
            self._index("meter", name, m.size, index)
            cell = m.meters.get(index)
            return [] if cell is None else list(cell.rates)

    def register_read(self, name: str, index: int) -> int:
        with self._lock:
            r = self.program.registers.get(name)
            if r is None:
                raise NotFound(f"no register '{name}'")
            self._index("register", name, r.size, index)
            return r.cells[index]

    def register_write(self, name: str, index: int, value: int) -> None:
        with self._lock:
            r = self.program.registers.get(name)
            if r is None:
                raise NotFound(f"no register '{name}'")
            self._index("register", name, r.size, index)
            if not isinstance(value, int) or value < 0 or value >> r.bitwidth:
                raise InvalidArgument(f"register '{name}': value {value!r} does not fit in {r.bitwidth} bits")
            r.cells[index] = value

    def register_reset(self, name: str) -> None:
        with self._lock:
            r = self.program.registers.get(name)
            if r is None:
                raise NotFound(f"no register '{name}'")
            r.reset()

    # -- parse value sets -------------------------------------------------------------------------
    def parse_vset_add(self, name: str, value: int, mask: int | None = None) -> None:
        with self._lock:
            vs = self.program.vsets.get(name)
            if vs is None:
                raise NotFound(f"no parse value set '{name}'")
            if (value, mask) in vs.values:
                return
            if len(vs.values) >= vs.max_size:
                raise ResourceExhausted(f"parse value set '{name}' is full ({vs.max_size})")
            vs.values.append((value, mask))

    def parse_vset_delete(self, name: str, value: int, mask: int | None = None) -> None:
        with self._lock:
            vs = self.program.vsets.get(name)
            if vs is None:
                raise NotFound(f"no parse value set '{name}'")
            if (value, mask) not in vs.values:
                raise NotFound(f"parse value set '{name}' has no value {value:#x}")
            vs.values.remove((value, mask))

    def parse_vset_entries(self, name: str) -> list[tuple[int, int | None]]:
        with self._lock:
            vs = self.program.vsets.get(name)
            if vs is None:
                raise NotFound(f"no parse value set '{name}'")
            return list(vs.values)

    # -- replication engine -------------------------------------------------------------------------
    def mc_group_set(self, group_id: int, nodes: list[tuple[int, list[int]]]) -> None:
        with self._lock:
            self._rep.set_group(group_id, nodes)

    def mc_group_delete(self, group_id: int) -> None:
        with self._lock:
            self._rep.delete_group(group_id)

    def mc_group_get(self, group_id: int) -> list[tuple[int, list[int]]]:
        with self._lock:
            return self._rep.get_group(group_id)

    def clone_session_set(self, session_id: int, replicas: list[tuple[int, int]], packet_length_bytes: int = 0) -> None:
        with self._lock:
            self._rep.set_session(session_id, replicas, packet_length_bytes)

    def clone_session_delete(self, session_id: int) -> None:
        with self._lock:
            self._rep.delete_session(session_id)

    def clone_session_get(self, session_id: int) -> tuple[list[tuple[int, int]], int]:
        with self._lock:
            return self._rep.get_session(session_id)

    # -- hash parameters ----------------------------------------------------------------------------
    def set_crc_parameters(
        self,
        calculation: str,
        polynomial: int,
        initial: int,
        final_xor: int,
        reflect_data: bool,
        reflect_remainder: bool,
    ) -> None:
        """Parameters of a `crc16_custom` / `crc32_custom` calculation (BMv2's set_crc16/32_parameters)."""
        from softp4.switch.calculations import Crc

        with self._lock:
            calc = self.program.calculations.get(calculation)
            if calc is None:
                raise NotFound(f"no calculation '{calculation}'")
            widths = {"crc8_custom": 8, "crc16_custom": 16, "crc32_custom": 32, "crc64_custom": 64}
            width = widths.get(calc.algo_name)
            if width is None:
                raise InvalidArgument(f"calculation '{calculation}' uses {calc.algo_name}, not a custom CRC")
            for what, v in (("polynomial", polynomial), ("initial", initial), ("final_xor", final_xor)):
                if not isinstance(v, int) or v < 0 or v >> width:
                    raise InvalidArgument(f"calculation '{calculation}': {what} {v!r} does not fit in {width} bits")
            calc.algo = Crc(width, polynomial, initial, final_xor, bool(reflect_data), bool(reflect_remainder))

    # -- introspection --------------------------------------------------------------------------------
    @property
    def objects(self) -> dict[str, list[str]]:
        """Names of the loaded program's objects, by kind."""
        with self._lock:
            prog = self.program
            return {
                "tables": sorted(prog.tables),
                "actions": sorted(prog.actions_by_name),
                "counters": sorted(prog.counters),
                "meters": sorted(prog.meters),
                "registers": sorted(prog.registers),
                "parse_vsets": sorted(prog.vsets),
                "learn_lists": sorted(name for name, _ in prog.learn_lists.values()),
                "action_profiles": sorted(prog.profiles),
            }
