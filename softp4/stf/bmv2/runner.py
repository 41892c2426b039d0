"""Run an STF test on real BMv2: one simple_switch per test, programmed through simple_switch_CLI.

As p4c's BMv2 runner does (backends/bmv2/bmv2stf.py), the switch runs the program's JSON with
pcap-file ports (`--use-files 0`) and a free Thrift port on 127.0.0.1; STF commands become CLI
commands with the JSON's full table and action names, ternary keys as `value&&&mask`, LPM as
`value/len`, ranges as `low->high`, and the STF priority (higher wins) turned into BMv2's (lower
wins): BASE - priority. Unlike p4c's runner, commands and packets are synchronised (each CLI
command is answered before the next step; packets are known to be processed before a command
that follows them), and `check_counter` is checked (p4c's runner skips it). The verdict uses the
checking rules of softp4's own runner (softp4.stf.entries.check_port).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from softp4.stf.bmv2.cli_session import CliError, CliSession, refusals
from softp4.stf.bmv2.file_ports import PASSIVE, FilePorts, PortError, unsyncable
from softp4.stf.bmv2.packet_in_ports import PacketInPorts
from softp4.stf.bmv2.settle import LogWatcher, SettleTimeout
from softp4.stf.bmv2.tools import Bmv2Tools
from softp4.stf.entries import action_data, check_port, counter_failure, describe_match, entry_key
from softp4.stf.program import KeySpec, ProgramNames, TableSpec, UnknownName
from softp4.stf.runner import PortResult, StfError, StfResult
from softp4.stf.syntax import (
    Add,
    CheckCounter,
    Command,
    CounterWrite,
    Expect,
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
    RegisterReset,
    RegisterWrite,
    SetDefault,
    ValueSetChange,
)
from softp4.switch.tables import Exact, Match, Optional

# BMv2 priority of an STF entry: BASE - STF priority (BMv2: the lowest number wins; STF: the highest).
BASE_PRIORITY = 1 << 30
START_TIMEOUT = 60.0


class Ports(Protocol):
    """How packets get into and out of the switch: FilePorts or PacketInPorts."""

    def prepare(self) -> None: ...
    def switch_args(self) -> list[str]: ...
    def open_inputs(self, alive: Callable[[], bool], timeout: float) -> None: ...
    def send(self, port: int, frame: bytes, last: bool) -> None: ...
    def close(self) -> None: ...
    def received(self, port: int) -> list[bytes]: ...


class Bmv2Unsupported(StfError):
    """A test this backend cannot run on simple_switch (a limit of BMv2's tools, not a verdict)."""


class Bmv2Error(StfError):
    """simple_switch or its CLI failed (did not start, died, stopped answering)."""


def bmv2_priority(stf_priority: int | None, where: str) -> int:
    value = stf_priority or 0
    if value > BASE_PRIORITY:
        raise StfError(f"{where}: error: priority {value} is above {BASE_PRIORITY}, the highest this runner maps")
    return BASE_PRIORITY - value


def cli_key(spec: KeySpec, match: Match) -> str:
    """A key value as simple_switch_CLI parses it for that field."""
    if spec.match_type == "valid" and isinstance(match, Exact):
        return str(match.value)  # the CLI reads a valid key with int(), decimal only
    if isinstance(match, Optional):  # a JSON optional key: the CLI knows it only as ternary
        full = (1 << spec.width) - 1
        return "0x0&&&0x0" if match.value is None else f"{match.value:#x}&&&{full:#x}"
    return describe_match(match)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _running(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None


def keep_files(directory: Path, keep: Path) -> None:
    """Copy a test's files (log, output pcaps, JSON) into `keep`: not the input FIFOs (copying
    one would wait for a writer) nor the nanomsg sockets (which cannot be copied)."""

    def uncopyable(_directory: str, names: list[str]) -> list[str]:
        return [name for name in names if name.endswith(("_in.pcap", ".ipc"))]

    shutil.copytree(directory, keep, dirs_exist_ok=True, ignore=uncopyable)


def _handle(output: Sequence[str], pattern: str) -> int | None:
    for line in output:
        m = re.search(pattern + r"\s+(\d+)", line)
        if m:
            return int(m.group(1))
    return None


@dataclass
class _State:
    entry_ids: dict[str, tuple[str, int]] = field(default_factory=dict)
    members: dict[tuple[str, int], int] = field(default_factory=dict)  # (profile, STF id) -> handle
    groups: dict[tuple[str, int], tuple[int, list[int]]] = field(default_factory=dict)


class Bmv2Run:
    """One STF test on one simple_switch: `run(commands)` returns an StfResult.

    Packets go through pcap files (`--use-files 0`), or through the nanomsg packet socket
    (`--packet-in`) for a test the pcap-file reader cannot synchronise (file_ports.unsyncable)."""

    def __init__(
        self,
        program: dict[str, Any],
        tools: Bmv2Tools,
        filename: str = "<stf>",
        log: Callable[[str], None] | None = None,
        keep: Path | None = None,
    ) -> None:
        self.program = program
        self.names = ProgramNames(program)
        self.tools = tools
        self.filename = filename
        self.log = log
        self.keep = keep
        self.warnings: list[str] = []
        self.failures: list[str] = []
        self.state = _State()

    def where(self, command: Command) -> str:
        return f"{self.filename}:{command.line}"

    # --- the run --------------------------------------------------------------------------

    def pvs_unsendable(self, commands: Sequence[Command]) -> str | None:
        """Why a pvs_add/pvs_remove cannot be sent, or None. simple_switch_CLI sizes the value
        as (bitwidth + 7) / 8 bytes with Python 3's true division, so unless the width is 8k+1
        it sends one byte too many and simple_switch aborts (an assertion in ParseVSet::add)."""
        widths = {v["name"]: int(v["compressed_bitwidth"]) for v in self.program.get("parse_vsets", [])}
        for command in commands:
            if isinstance(command, ValueSetChange) and command.mask is None:
                try:
                    name = self.names.value_set(command.value_set)
                except UnknownName:
                    continue  # reported when the command runs
                if widths[name] % 8 != 1:
                    return (
                        f"{self.where(command)}: error: simple_switch_CLI cannot add to or remove from the "
                        f"{widths[name]}-bit value set '{name}': it sends (width + 7) / 8 bytes computed with "
                        "true division, one byte too many, and simple_switch aborts"
                    )
        return None

    def run(self, commands: Sequence[Command]) -> StfResult:
        unsendable = self.pvs_unsendable(commands)
        if unsendable is not None:
            raise Bmv2Unsupported(unsendable)
        blocked = unsyncable(commands)
        nanomsg = blocked is not None
        if blocked is not None and "packet-in" not in self.tools.options:
            line, reason = blocked
            raise Bmv2Unsupported(
                f"{self.filename}:{line}: error: cannot run on simple_switch's pcap-file ports, and this build has "
                f"no nanomsg (--packet-in): {reason}"
            )
        ports = sorted({c.port for c in commands if isinstance(c, Packet | Expect)})
        inputs = sorted({c.port for c in commands if isinstance(c, Packet)})
        last = {c.port: i for i, c in enumerate(commands) if isinstance(c, Packet)}
        directory = Path(tempfile.mkdtemp(prefix="softp4-bmv2-"))
        files: Ports = (PacketInPorts if nanomsg else FilePorts)(directory, ports, inputs)
        try:
            return self._run(commands, directory, files, ports, last)
        finally:
            if self.keep is None:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                keep_files(directory, self.keep)
                shutil.rmtree(directory, ignore_errors=True)

    def _run(
        self, commands: Sequence[Command], directory: Path, files: Ports, ports: list[int], last: dict[int, int]
    ) -> StfResult:
        json_path = directory / "program.json"
        json_path.write_text(json.dumps(self.program))
        files.prepare()
        switch, thrift_port = self._start(directory, json_path, files)
        watcher = LogWatcher(directory / "switch.log")

        def alive() -> bool:
            return switch.poll() is None

        cli: CliSession | None = None
        sent = 0
        pending = False
        results = {port: PortResult(port, [], []) for port in ports}
        try:
            try:
                cli = CliSession(self.tools.cli_command, thrift_port, json_path)
            except CliError as exc:
                raise Bmv2Error(f"{self.filename}: error: {exc}") from None
            for index, command in enumerate(commands):
                if isinstance(command, Packet):
                    if self.log:
                        self.log(f"packet {command.port} {command.data.hex().upper()}")
                    files.send(command.port, command.data, last=last[command.port] == index)
                    sent += 1
                    pending = True
                    continue
                if isinstance(command, Expect):
                    if command.pattern is None:
                        results[command.port].any_packets = True
                    else:
                        results[command.port].expected.append(command)
                    continue
                if isinstance(command, PASSIVE):
                    continue
                if pending:
                    watcher.settle(sent, alive)
                    pending = False
                try:
                    self._execute(cli, command)
                except UnknownName as exc:
                    raise StfError(f"{self.where(command)}: error: {exc}") from None
            files.close()
            watcher.settle(sent, alive)
        except (CliError, SettleTimeout, PortError) as exc:
            raise Bmv2Error(f"{self.filename}: error: {exc}{self._switch_tail(directory)}") from None
        finally:
            files.close()
            if cli is not None:
                cli.close()
            self._stop(switch)
        for port, result in results.items():
            result.received = files.received(port)
            if self.log:
                for frame in result.received:
                    self.log(f"  -> port {port}: {frame.hex().upper()}")
            if not result.any_packets:
                result.problems += check_port(port, result.expected, result.received)
        return StfResult(list(results.values()), self.failures, self.warnings)

    def _start(self, directory: Path, json_path: Path, files: Ports) -> tuple[subprocess.Popen[bytes], int]:
        options = self.tools.options
        for attempt in range(3):
            thrift_port = free_port()
            command = [
                str(self.tools.simple_switch),
                "--log-file",
                str(directory / "switch.log"),
                "--log-flush",
                "--thrift-port",
                str(thrift_port),
                *files.switch_args(),
            ]
            if "notifications-addr" in options:  # not the shared /tmp/bmv2-<device>-notifications.ipc
                command += ["--notifications-addr", f"ipc://{directory / 'notifications.ipc'}"]
            command.append(str(json_path))
            with (directory / "switch.out").open("wb") as out:
                switch = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=directory)
            try:
                files.open_inputs(functools.partial(_running, switch), START_TIMEOUT)
                self._wait_thrift(switch, thrift_port)
                return switch, thrift_port
            except PortError as exc:
                self._stop(switch)
                files.close()
                tail = self._switch_tail(directory)
                if attempt < 2 and ("thrift" in tail.lower() or "bind" in tail.lower()):
                    continue  # the Thrift port was taken meanwhile: another one
                raise Bmv2Error(f"{self.filename}: error: {exc}{tail}") from None
        raise Bmv2Error(f"{self.filename}: error: simple_switch could not get a Thrift port")

    @staticmethod
    def _wait_thrift(switch: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if switch.poll() is not None:
                raise PortError("simple_switch exited during start-up")
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.02)
        raise PortError(f"simple_switch's Thrift server did not answer on port {port} within {START_TIMEOUT:g} s")

    @staticmethod
    def _stop(switch: subprocess.Popen[bytes]) -> None:
        if switch.poll() is None:
            switch.terminate()
            try:
                switch.wait(timeout=5)
            except subprocess.TimeoutExpired:
                switch.kill()
                switch.wait()

    @staticmethod
    def _switch_tail(directory: Path) -> str:
        try:
            text = (directory / "switch.out").read_text(errors="replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Adding interface")]
        return f" (simple_switch: {'; '.join(lines[-3:])})" if lines else ""

    # --- one command ------------------------------------------------------------------------

    def _cli(self, cli: CliSession, command: Command, line: str) -> list[str]:
        if self.log:
            self.log(f"{self.where(command)}: {line}")
        output = cli.run(line)
        for refusal in refusals(output):
            text = f"{self.where(command)}: warning: simple_switch_CLI refused '{line}': {refusal}"
            self.warnings.append(text)
            if self.log:
                self.log(text)
        return output

    def _execute(self, cli: CliSession, command: Command) -> None:
        names = self.names
        if isinstance(command, Add):
            self._add(cli, command)
        elif isinstance(command, SetDefault):
            table = names.table(command.table)
            action, params = action_data(names, table, command.action)
            self._cli(cli, command, " ".join(["table_set_default", table.name, action, *map(hex, params)]))
        elif isinstance(command, CheckCounter):
            self._check_counter(cli, command)
        elif isinstance(command, McGroupCreate):
            self._cli(cli, command, f"mc_mgrp_create {command.group}")
        elif isinstance(command, McNodeCreate):
            self._cli(cli, command, " ".join(map(str, ["mc_node_create", command.rid, *command.ports])))
        elif isinstance(command, McNodeUpdate):
            self._cli(cli, command, " ".join(map(str, ["mc_node_update", command.handle, *command.ports])))
        elif isinstance(command, McNodeAssociate):
            self._cli(cli, command, f"mc_node_associate {command.group} {command.handle}")
        elif isinstance(command, MirroringAdd):
            self._cli(cli, command, f"mirroring_add {command.session} {command.port}")
        elif isinstance(command, MirroringAddMc):
            self._cli(cli, command, f"mirroring_add_mc {command.session} {command.group}")
        elif isinstance(command, MirroringDelete):
            self._cli(cli, command, f"mirroring_delete {command.session}")
        elif isinstance(command, RegisterWrite):
            # the CLI reads the value with int(): decimal only
            name = names.register(command.register)
            self._cli(cli, command, f"register_write {name} {command.index} {command.value}")
        elif isinstance(command, RegisterReset):
            self._cli(cli, command, f"register_reset {names.register(command.register)}")
        elif isinstance(command, CounterWrite):
            name = names.counter(command.counter)
            self._cli(cli, command, f"counter_write {name} {command.index} {command.packets} {command.bytes}")
        elif isinstance(command, MeterSetRates):
            name = names.meter(command.meter)
            rates = " ".join(f"{rate!r}:{burst}" for rate, burst in command.rates)
            if command.index is None:
                self._cli(cli, command, f"meter_array_set_rates {name} {rates}")
            else:
                self._cli(cli, command, f"meter_set_rates {name} {command.index} {rates}")
        elif isinstance(command, ProfileMember):
            self._member(cli, command)
        elif isinstance(command, ProfileGroup):
            self._group(cli, command)
        elif isinstance(command, ValueSetChange):
            name = names.value_set(command.value_set)
            if command.mask is not None:
                self.warnings.append(
                    f"{self.where(command)}: warning: simple_switch_CLI's pvs commands take no mask: not sent"
                )
                return
            verb = "pvs_add" if command.add else "pvs_remove"
            self._cli(cli, command, f"{verb} {name} {command.value:#x}")

    def _add(self, cli: CliSession, command: Add) -> None:
        names = self.names
        table = names.table(command.table)
        key = entry_key(names, table, command.keys)
        shown = [cli_key(spec, match) for spec, match in zip(table.keys, key, strict=True)]
        priority = []
        if table.match_type in ("ternary", "range"):
            priority = [str(bmv2_priority(command.priority, self.where(command)))]
        ref = command.action.name
        if self._indirect_ref(table, ref):
            ident = dict(command.action.args).get("id")
            if ident is None or len(command.action.args) != 1:
                raise UnknownName(f"'{ref}(id:N)' takes exactly one argument, id")
            assert table.profile is not None
            if ref == "member":
                handle = self.state.members.get((table.profile, ident.value))
                verb = "table_indirect_add"
            else:
                found = self.state.groups.get((table.profile, ident.value))
                handle = found[0] if found else None
                verb = "table_indirect_add_with_group"
            if handle is None:
                raise UnknownName(f"no {ref} {ident.value} in action profile '{table.profile}'")
            line = " ".join([verb, table.name, *shown, "=>", str(handle), *priority])
        elif table.profile is not None:
            # softp4's switch takes an action straight into an indirect table; simple_switch
            # refuses that (WRONG_TABLE_TYPE), so the action becomes a member of its own
            action, params = action_data(names, table, command.action)
            created = self._cli(
                cli, command, " ".join(["act_prof_create_member", table.profile, action, *map(hex, params)])
            )
            member = _handle(created, "created with handle")
            if member is None:
                return
            line = " ".join(["table_indirect_add", table.name, *shown, "=>", str(member), *priority])
        else:
            action, params = action_data(names, table, command.action)
            line = " ".join(["table_add", table.name, action, *shown, "=>", *map(hex, params), *priority])
        handle = _handle(self._cli(cli, command, line), "added with handle")
        if command.entry_id is not None and handle is not None:
            self.state.entry_ids[command.entry_id] = (table.name, handle)

    @staticmethod
    def _indirect_ref(table: TableSpec, ref: str) -> bool:
        return (
            table.profile is not None
            and ref in ("member", "group")
            and not any(a.name.endswith(ref) for a in table.actions)
        )

    def _member(self, cli: CliSession, command: ProfileMember) -> None:
        profile, table = self.names.profile(command.profile)
        action, params = action_data(self.names, table, command.action)
        output = self._cli(cli, command, " ".join(["act_prof_create_member", profile, action, *map(hex, params)]))
        handle = _handle(output, "created with handle")
        if handle is not None:
            self.state.members[(profile, command.member)] = handle

    def _group(self, cli: CliSession, command: ProfileGroup) -> None:
        profile, _ = self.names.profile(command.profile)
        existing = self.state.groups.get((profile, command.group))
        if existing is None:
            handle = _handle(self._cli(cli, command, f"act_prof_create_group {profile}"), "created with handle")
            if handle is None:
                return
            members: list[int] = []
        else:
            handle, members = existing
        for old in members:
            self._cli(cli, command, f"act_prof_remove_member_from_group {profile} {old} {handle}")
        wanted = []
        for member in command.members:
            member_handle = self.state.members.get((profile, member))
            if member_handle is None:
                raise UnknownName(f"no member {member} in action profile '{profile}'")
            self._cli(cli, command, f"act_prof_add_member_to_group {profile} {member_handle} {handle}")
            wanted.append(member_handle)
        self.state.groups[(profile, command.group)] = (handle, wanted)

    def _check_counter(self, cli: CliSession, command: CheckCounter) -> None:
        if isinstance(command.index, str):
            entry = self.state.entry_ids.get(command.index) or self.state.entry_ids.get(command.index.lstrip("$"))
            if entry is None:
                raise UnknownName(f"no entry added with id '{command.index}'")
            table, index = entry
            direct = [n for n, c in self.names.counters.items() if c.get("is_direct") and c.get("binding") == table]
            if not direct:
                raise UnknownName(f"table '{table}' has no direct counter")
            name = direct[0]
        else:
            name, index = self.names.counter(command.counter), command.index
        output = self._cli(cli, command, f"counter_read {name} {index}")
        for line in output:
            m = re.search(r"\((\d+) bytes, (\d+) packets\)", line)
            if m:
                failure = counter_failure(command, self.where(command), int(m.group(2)), int(m.group(1)))
                if failure is not None:
                    self.failures.append(failure)
                return
        self.failures.append(f"{self.where(command)}: check_counter {command.counter}({command.index}): no value read")


def run_on_bmv2(
    program: dict[str, Any],
    commands: Sequence[Command],
    stf: Path | str,
    tools: Bmv2Tools,
    log: Callable[[str], None] | None = None,
    keep: Path | None = None,
) -> StfResult:
    """Run parsed STF commands (from the file `stf`) on a fresh simple_switch loaded with `program`.

    `keep`: a directory to copy the switch's log, output pcaps and JSON into (for a look later).
    Raises Bmv2Unsupported for a test simple_switch's pcap-file ports cannot run, Bmv2Error when
    the switch or its CLI fails, StfError for a name the program lacks."""
    return Bmv2Run(program, tools, str(stf), log, keep).run(commands)
