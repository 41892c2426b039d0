"""Run parsed STF commands against a softp4 Switch and check the packets that come out.

Semantics follow p4c's BMv2 runner: commands run in file order; only ports named by a
`packet` or `expect` command exist (output elsewhere is lost); per port, the number of packets
received must equal the number of expects and they are compared in order, `*` nibbles match
anything, a received packet may be longer unless the expect ends in `$`; a bare `expect <port>`
accepts any packets on that port. A higher STF priority wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from softp4.stf.entries import (
    action_data,
    check_port,
    counter_failure,
    describe_match,
    entry_key,
    match_packet,
)
from softp4.stf.program import KeySpec, ProgramNames, TableSpec, UnknownName
from softp4.stf.syntax import (
    ActionCall,
    Add,
    CheckCounter,
    Command,
    CounterWrite,
    Expect,
    KeyMatch,
    McGroupCreate,
    McNodeAssociate,
    McNodeCreate,
    McNodeUpdate,
    MeterSetRates,
    MirroringAdd,
    MirroringAddMc,
    MirroringDelete,
    Packet,
    ProfileGroup,
    ProfileMember,
    Query,
    RegisterReset,
    RegisterWrite,
    RemoveAll,
    SetDefault,
    ValueSetChange,
    Wait,
)
from softp4.switch.tables import Match

__all__ = ["PortResult", "StfError", "StfResult", "StfRunner", "SwitchLike", "describe_match", "match_packet"]


class SwitchLike(Protocol):
    """The part of softp4.switch.Switch the runner drives."""

    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]: ...
    def table_add(
        self, table: str, key: Sequence[Match], action: str, params: Sequence[int], priority: int = 0
    ) -> int: ...
    def table_set_default(self, table: str, action: str, params: Sequence[int]) -> None: ...
    def table_entry_counter(self, table: str, handle: int) -> tuple[int, int]: ...
    def counter_read(self, name: str, index: int) -> tuple[int, int]: ...
    def counter_write(self, name: str, index: int, bytes_: int, packets: int) -> None: ...
    def register_write(self, name: str, index: int, value: int) -> None: ...
    def register_reset(self, name: str) -> None: ...
    def meter_set(self, name: str, index: int, rates: list[tuple[float, int]]) -> None: ...
    def mc_group_set(self, group_id: int, nodes: list[tuple[int, list[int]]]) -> None: ...
    def clone_session_set(
        self, session_id: int, replicas: list[tuple[int, int]], packet_length_bytes: int = 0
    ) -> None: ...
    def clone_session_delete(self, session_id: int) -> None: ...
    def table_entry_meter_set(self, table: str, handle: int, rates: list[tuple[float, int]]) -> None: ...
    def table_add_indirect(
        self, table: str, key: Sequence[Match], *, member: int | None = None, group: int | None = None,
        priority: int = 0,
    ) -> int: ...
    def act_prof_member_add(self, profile: str, member_id: int, action: str, params: Sequence[int]) -> None: ...
    def act_prof_group_set(self, profile: str, group_id: int, member_ids: Sequence[int]) -> None: ...
    def parse_vset_add(self, name: str, value: int, mask: int | None = None) -> None: ...
    def parse_vset_delete(self, name: str, value: int, mask: int | None = None) -> None: ...


class StfError(Exception):
    """A command the program cannot take (unknown name, missing parameter): `file:line: error: ...`."""


@dataclass
class PortResult:
    port: int
    expected: list[Expect]
    received: list[bytes]
    any_packets: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class StfResult:
    ports: list[PortResult]
    failures: list[str]  # failed check_counter lines and the like
    warnings: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures and all(not p.problems for p in self.ports)

    def report(self) -> str:
        """A readable account of what differed, port by port."""
        lines: list[str] = []
        for port in self.ports:
            if not port.problems:
                continue
            lines.append(
                f"port {port.port}: expected {len(port.expected)} packet(s), received {len(port.received)}"
            )
            lines += [f"  {problem}" for problem in port.problems]
        lines += self.failures
        return "\n".join(lines)


class StfRunner:
    """Runs STF commands on one switch; `run(commands)` returns an StfResult."""

    def __init__(
        self,
        program: dict[str, Any],
        switch: SwitchLike,
        filename: str = "<stf>",
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.names = ProgramNames(program)
        self.switch = switch
        self._fill_unknown_widths()
        self.filename = filename
        self.log = log
        self.entry_ids: dict[str, tuple[str, int]] = {}
        self.nodes: dict[int, tuple[int, list[int]]] = {}
        self.next_node = 0
        self.groups: dict[int, list[int]] = {}
        self.warnings: list[str] = []
        self.failures: list[str] = []

    def _fill_unknown_widths(self) -> None:
        """Key widths the JSON does not make plain (expression keys) come from the switch."""
        table_info = getattr(self.switch, "table_info", None)
        if table_info is None:
            return
        for name, spec in list(self.names.tables.items()):
            if all(k.width for k in spec.keys):
                continue
            try:
                info = table_info(name)
            except Exception:  # a table the switch does not know: keep what the JSON says
                continue
            keys = tuple(
                KeySpec(k.name, k.match_type, k.width or int(info.keys[i][2]) if i < len(info.keys) else k.width)
                for i, k in enumerate(spec.keys)
            )
            self.names.tables[name] = dataclasses.replace(spec, keys=keys)

    def where(self, command: Command) -> str:
        return f"{self.filename}:{command.line}"

    def run(self, commands: Sequence[Command]) -> StfResult:
        ports: dict[int, PortResult] = {}
        for command in commands:
            if isinstance(command, Packet | Expect) and command.port not in ports:
                ports[command.port] = PortResult(command.port, [], [])
        for command in commands:
            try:
                self.execute(command, ports)
            except UnknownName as exc:
                raise StfError(f"{self.where(command)}: error: {exc}") from None
        for result in ports.values():
            self._check_port(result)
        return StfResult(sorted(ports.values(), key=lambda p: p.port), self.failures, self.warnings)

    def _check_port(self, result: PortResult) -> None:
        if not result.any_packets:
            result.problems += check_port(result.port, result.expected, result.received)

    def warn(self, command: Command, message: str) -> None:
        text = f"{self.where(command)}: warning: {message}"
        self.warnings.append(text)
        if self.log:
            self.log(text)

    def execute(self, command: Command, ports: dict[int, PortResult]) -> None:
        from softp4.switch.errors import SwitchError

        sw = self.switch
        try:
            if isinstance(command, Packet):
                if self.log:
                    self.log(f"packet {command.port} {command.data.hex().upper()}")
                for out_port, frame in sw.process(command.port, command.data):
                    result = ports.get(out_port)
                    if self.log:
                        self.log(f"  -> port {out_port}: {frame.hex().upper()}")
                    if result is not None:
                        result.received.append(bytes(frame))
            elif isinstance(command, Expect):
                if command.pattern is None:
                    ports[command.port].any_packets = True
                else:
                    ports[command.port].expected.append(command)
            elif isinstance(command, Add):
                self._add(command)
            elif isinstance(command, SetDefault):
                table = self.names.table(command.table)
                action, params = self._action(table, command.action)
                sw.table_set_default(table.name, action, params)
            elif isinstance(command, CheckCounter):
                self._check_counter(command)
            elif isinstance(command, McGroupCreate):
                self.groups[command.group] = []
                sw.mc_group_set(command.group, [])
            elif isinstance(command, McNodeCreate):
                self.nodes[self.next_node] = (command.rid, list(command.ports))
                self.next_node += 1
            elif isinstance(command, McNodeUpdate):
                if command.handle not in self.nodes:
                    raise UnknownName(f"no multicast node with handle {command.handle}")
                self.nodes[command.handle] = (self.nodes[command.handle][0], list(command.ports))
                for group, handles in self.groups.items():
                    if command.handle in handles:
                        self._set_group(group)
            elif isinstance(command, McNodeAssociate):
                if command.handle not in self.nodes:
                    raise UnknownName(f"no multicast node with handle {command.handle}")
                self.groups.setdefault(command.group, []).append(command.handle)
                self._set_group(command.group)
            elif isinstance(command, MirroringAdd):
                sw.clone_session_set(command.session, [(command.port, 0)])
            elif isinstance(command, MirroringAddMc):
                replicas = [
                    (port, rid)
                    for handle in self.groups.get(command.group, [])
                    for rid, node_ports in [self.nodes[handle]]
                    for port in sorted(node_ports)
                ]
                sw.clone_session_set(command.session, replicas)
            elif isinstance(command, MirroringDelete):
                sw.clone_session_delete(command.session)
            elif isinstance(command, RegisterWrite):
                sw.register_write(self.names.register(command.register), command.index, command.value)
            elif isinstance(command, RegisterReset):
                sw.register_reset(self.names.register(command.register))
            elif isinstance(command, CounterWrite):
                sw.counter_write(self.names.counter(command.counter), command.index, command.bytes, command.packets)
            elif isinstance(command, MeterSetRates):
                self._meter(command)
            elif isinstance(command, ProfileMember):
                profile, table = self.names.profile(command.profile)
                action, params = self._action(table, command.action)
                sw.act_prof_member_add(profile, command.member, action, params)
            elif isinstance(command, ProfileGroup):
                profile, _ = self.names.profile(command.profile)
                sw.act_prof_group_set(profile, command.group, list(command.members))
            elif isinstance(command, ValueSetChange):
                name = self.names.value_set(command.value_set)
                if command.add:
                    sw.parse_vset_add(name, command.value, command.mask)
                else:
                    sw.parse_vset_delete(name, command.value, command.mask)
            elif isinstance(command, Wait | RemoveAll | Query):
                pass  # packets run to completion; p4c's runner ignores `remove`; queries change nothing
        except SwitchError as exc:
            # p4c's runner feeds commands to the switch CLI, which reports and carries on
            self.warn(command, f"the switch refused the command: {exc}")

    def _set_group(self, group: int) -> None:
        nodes = [(rid, list(ports)) for rid, ports in (self.nodes[h] for h in self.groups[group])]
        self.switch.mc_group_set(group, nodes)

    def _action(self, table: TableSpec, call: ActionCall) -> tuple[str, list[int]]:
        return action_data(self.names, table, call)

    def _key(self, table: TableSpec, keys: Sequence[KeyMatch]) -> list[Match]:
        return entry_key(self.names, table, keys)

    def _add(self, command: Add) -> None:
        table = self.names.table(command.table)
        key = self._key(table, command.keys)
        priority = 0
        if table.needs_priority:
            # STF: higher wins, like the switch; shift by one since the switch wants > 0
            priority = (command.priority if command.priority is not None else 0) + 1
        ref = command.action.name
        params: list[int] = []
        if table.profile is not None and ref in ("member", "group") and not any(
            a.name.endswith(ref) for a in table.actions
        ):
            given = dict(command.action.args)
            if list(given) != ["id"]:
                raise UnknownName(f"'{ref}(id:N)' takes exactly one argument, id")
            ident = given["id"].value
            if ref == "member":
                handle = self.switch.table_add_indirect(table.name, key, member=ident, priority=priority)
            else:
                handle = self.switch.table_add_indirect(table.name, key, group=ident, priority=priority)
            action = f"{ref} {ident}"
        else:
            action, params = self._action(table, command.action)
            handle = self.switch.table_add(table.name, key, action, params, priority)
        if command.entry_id is not None:
            self.entry_ids[command.entry_id] = (table.name, handle)
        if self.log:
            shown = " ".join(describe_match(m) for m in key)
            args = ", ".join(hex(p) for p in params)
            where = self.where(command)
            self.log(f"{where}: {table.name}: {shown} => {action}({args}) prio {priority} (handle {handle})")

    def _check_counter(self, command: CheckCounter) -> None:
        sw = self.switch
        if isinstance(command.index, str):
            entry = self.entry_ids.get(command.index) or self.entry_ids.get(command.index.lstrip("$"))
            if entry is None:
                raise UnknownName(f"no entry added with id '{command.index}'")
            nbytes, npackets = sw.table_entry_counter(*entry)
        else:
            nbytes, npackets = sw.counter_read(self.names.counter(command.counter), command.index)
        failure = counter_failure(command, self.where(command), npackets, nbytes)
        if failure is not None:
            self.failures.append(failure)

    def _meter(self, command: MeterSetRates) -> None:
        name = self.names.meter(command.meter)
        # the BMv2 CLI gives rates per microsecond; the switch takes them per second
        rates = [(rate * 1_000_000, burst) for rate, burst in command.rates]
        bound = self.names.direct_meter_table(name)
        if bound is not None:
            # a direct meter, as in BMv2's CLI: the index is the entry handle in its table
            if command.index is None:
                raise UnknownName(f"meter '{name}' is direct: give the entry handle")
            self.switch.table_entry_meter_set(bound, command.index, rates)
        elif command.index is not None:
            self.switch.meter_set(name, command.index, rates)
        else:
            size = int(self.names.meters[name].get("size", 0))
            for index in range(size):
                self.switch.meter_set(name, index, rates)

