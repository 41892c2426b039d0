"""The real-BMv2 STF backend's parts that need no BMv2: finding the tools, the CLI session protocol,
STF -> simple_switch_CLI translation, when pcap-file ports can be synchronised, and settling.

(tests/reference runs the whole backend on real simple_switch where it is installed.)
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from softp4.compiler import compile_file
from softp4.stf.bmv2 import Bmv2NotFound, Bmv2Tools, Bmv2Unsupported, find_bmv2
from softp4.stf.bmv2.cli_session import CliError, CliSession, refusals
from softp4.stf.bmv2.file_ports import FilePorts, unsyncable
from softp4.stf.bmv2.packet_in_ports import PacketInPorts
from softp4.stf.bmv2.runner import BASE_PRIORITY, Bmv2Run, bmv2_priority, cli_key, keep_files
from softp4.stf.bmv2.settle import LogWatcher, SettleTimeout
from softp4.stf.cli import main
from softp4.stf.parser import parse_stf
from softp4.stf.program import KeySpec
from softp4.stf.runner import StfError
from softp4.switch.ports.nanomsg import NanomsgPorts
from softp4.switch.ports.pcap import write_pcap
from softp4.switch.tables import Exact, Optional, Ternary

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).parents[1] / "p4programs"
L2ACL = json.loads((DATA / "l2acl.json").read_text())

# A stand-in for simple_switch_CLI speaking its protocol: a cmd.Cmd loop with its prompt, its
# answers to table_add / counter_read, and "*** Unknown syntax" for what it does not know.
FAKE_CLI = """\
import cmd, sys
class Fake(cmd.Cmd):
    prompt = "RuntimeCmd: "
    handle = 0
    def do_table_add(self, line):
        if "bad" in line:
            print("Error: Table bad not found")
            return
        print("Adding entry to exact match table", line.split()[0])
        print("Entry has been added with handle", self.handle)
        self.handle += 1
    def do_counter_read(self, line):
        print(line.split()[0] + "[1]= (128 bytes, 2 packets)")
    def do_die(self, line):
        sys.exit(3)
    def do_EOF(self, line):
        return True
print("Obtaining JSON from switch...")
Fake().cmdloop()
"""


def fake_tools(tmp_path: Path) -> Bmv2Tools:
    bin_dir = tmp_path / "prefix" / "bin"
    bin_dir.mkdir(parents=True)
    switch = bin_dir / "simple_switch"
    switch.write_text("#!/bin/sh\nexit 1\n")
    cli = bin_dir / "simple_switch_CLI"
    cli.write_text(f"#!{sys.executable}\n{FAKE_CLI}")
    for path in (switch, cli):
        path.chmod(0o755)
    return Bmv2Tools(switch, cli)


# --- finding the tools --------------------------------------------------------------------------


def test_find_bmv2_by_binary_bin_prefix_and_p4ref(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = fake_tools(tmp_path)
    prefix = tmp_path / "prefix"
    assert find_bmv2(tools.simple_switch) == tools
    assert find_bmv2(prefix / "bin") == tools
    assert find_bmv2(prefix) == tools
    monkeypatch.setenv("P4REF", str(prefix))
    assert find_bmv2() == tools


def test_find_bmv2_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Bmv2NotFound, match="no executable simple_switch and simple_switch_CLI in"):
        find_bmv2(tmp_path)
    monkeypatch.setenv("P4REF", str(tmp_path))
    with pytest.raises(Bmv2NotFound, match="P4REF="):
        find_bmv2()
    monkeypatch.delenv("P4REF")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Bmv2NotFound, match="not on PATH"):
        find_bmv2()


def test_cli_script_whose_python_cannot_run_it_is_run_by_one_that_can(tmp_path: Path) -> None:
    tools = fake_tools(tmp_path)
    assert tools.cli_command == [str(tools.cli)]
    # as simple_switch_CLI under a python3 without thrift: the script fails as it is started
    broken = tmp_path / "prefix" / "bin" / "broken_CLI"
    broken.write_text(f"#!/bin/false\n{FAKE_CLI}")
    command = Bmv2Tools(tools.simple_switch, broken).cli_command
    assert len(command) == 2 and command[1] == str(broken)
    session = CliSession(command, 9090, tmp_path / "p.json", timeout=20)
    try:
        assert session.run("table_add t a 0x1 =>")[-1] == "Entry has been added with handle 0"
    finally:
        session.close()


def test_cli_target_bmv2_without_the_switch_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stf = tmp_path / "t.stf"
    stf.write_text("packet 0 00\n")
    monkeypatch.setenv("P4REF", str(tmp_path))
    assert main(["--target", "bmv2", "--json", str(DATA / "l2acl.json"), str(stf)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("softp4 stf: error: P4REF=") and err.count("\n") == 1
    assert main(["--bmv2", str(tmp_path), "--json", str(DATA / "l2acl.json"), str(stf)]) == 2


# --- the CLI session ------------------------------------------------------------------------------


def test_cli_session_returns_each_commands_output(tmp_path: Path) -> None:
    tools = fake_tools(tmp_path)
    session = CliSession(tools.cli_command, 9090, tmp_path / "p.json", timeout=20)
    try:
        first = session.run("table_add t a 0x1 =>")
        assert first == ["Adding entry to exact match table t", "Entry has been added with handle 0"]
        assert session.run("table_add t a 0x2 =>")[-1] == "Entry has been added with handle 1"
        refused = session.run("table_add bad a 0x1 =>")
        assert refusals(refused) == ["Error: Table bad not found"]
        assert refusals(session.run("no_such_command 1")) == ["*** Unknown syntax: no_such_command 1"]
        with pytest.raises(CliError, match="exited"):
            session.run("die")
    finally:
        session.close()


# --- translation into CLI commands ------------------------------------------------------------------


class RecordingCli:
    """Answers like simple_switch_CLI and records the lines sent."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def run(self, line: str) -> list[str]:
        self.lines.append(line)
        if line.startswith(("table_add", "table_indirect_add")):
            return [f"Entry has been added with handle {len(self.lines) - 1}"]
        if line.startswith("act_prof_create_member"):
            return [f"Member has been created with handle {len(self.lines) + 9}"]
        if line.startswith("counter_read"):
            return ["MyIngress.seen[1]= (70 bytes, 2 packets)"]
        return []


def translate(text: str, program: dict[str, Any] = L2ACL) -> tuple[list[str], Bmv2Run]:
    run = Bmv2Run(program, Bmv2Tools(Path("ss"), Path("cli")), "t.stf")
    cli = RecordingCli()
    for command in parse_stf(text, "t.stf"):
        run._execute(cli, command)  # type: ignore[arg-type]
    return cli.lines, run


def test_table_entries_use_full_names_and_cli_syntax() -> None:
    lines, _ = translate(
        """
        add dmac dstAddr:0x000000000001 forward(port:2)
        add acl 5 etherType:0x08** srcAddr:0x0000000000**/40 set_type(t:0x1111)
        add acl etherType:0x0806 set_type(t:0x9999)
        setdefault acl set_type(t:7)
        """
    )
    assert lines == [
        "table_add MyIngress.dmac MyIngress.forward 0x1 => 0x2",
        f"table_add MyIngress.acl MyIngress.set_type 0x800&&&0xff00 0x0/40 => 0x1111 {BASE_PRIORITY - 5}",
        f"table_add MyIngress.acl MyIngress.set_type 0x806&&&0xffff 0x0/0 => 0x9999 {BASE_PRIORITY}",
        "table_set_default MyIngress.acl MyIngress.set_type 0x7",
    ]


def test_an_action_added_to_an_indirect_table_becomes_a_member_of_its_own() -> None:
    # simple_switch refuses table_add on a table with an action profile (WRONG_TABLE_TYPE)
    program = compile_file(CORPUS / "action_profile.p4").bmv2_json
    lines, _ = translate("add by_dst dst:0x000000000002 set_port(port:2)\nadd by_src src:0xbb drop()\n", program)
    assert lines == [
        "act_prof_create_member MyIngress.nexthops MyIngress.set_port 0x2",
        "table_indirect_add MyIngress.by_dst 0x2 => 10",
        "act_prof_create_member MyIngress.nexthops MyIngress.drop",
        "table_indirect_add MyIngress.by_src 0xbb => 12",
    ]


def test_stf_priority_becomes_bmv2s_lower_wins() -> None:
    assert bmv2_priority(10, "x") < bmv2_priority(1, "x") < bmv2_priority(None, "x")
    with pytest.raises(StfError, match="priority"):
        bmv2_priority(BASE_PRIORITY + 1, "t.stf:3")


def test_cli_key_forms() -> None:
    assert cli_key(KeySpec("h.$valid$", "valid", 1), Exact(1)) == "1"
    assert cli_key(KeySpec("k", "optional", 8), Optional(None)) == "0x0&&&0x0"
    assert cli_key(KeySpec("k", "optional", 8), Optional(5)) == "0x5&&&0xff"
    assert cli_key(KeySpec("k", "ternary", 8), Ternary(5, 0xF)) == "0x5&&&0xf"


def test_register_values_go_in_decimal_and_check_counter_reads_the_counter() -> None:
    lines, run = translate(
        """
        register_write last_port 1 0xff
        check_counter seen(1) packets == 2
        check_counter seen(1) bytes == 71
        mirroring_add 5 3
        mc_node_create 1 2 3
        """
    )
    assert lines[0] == "register_write MyIngress.last_port 1 255"
    assert lines[1:3] == ["counter_read MyIngress.seen 1"] * 2
    assert lines[3:] == ["mirroring_add 5 3", "mc_node_create 1 2 3"]
    assert run.failures == ["t.stf:4: check_counter seen(1) failed: bytes is 70, expected == 71"]


# --- pcap-file ports --------------------------------------------------------------------------------


def test_unsyncable_finds_packets_held_back_by_another_open_input() -> None:
    fine = parse_stf("packet 1 00\npacket 1 00\nregister_reset r\npacket 1 00\n")
    assert unsyncable(fine) is None
    closed_before = parse_stf("packet 2 00\npacket 1 00\nregister_reset r\npacket 1 00\n")
    assert unsyncable(closed_before) is None  # port 2 is done; the last packet went to port 1
    held = parse_stf("packet 1 00\npacket 2 00\nregister_reset r\npacket 1 00\n")
    found = unsyncable(held)
    assert found is not None and found[0] == 3 and "port(s) 1" in found[1]
    later_port = parse_stf("packet 1 00\nregister_reset r\npacket 1 00\npacket 2 00\n")
    assert unsyncable(later_port) is not None  # port 2's FIFO is open (and empty) from the start
    at_end = parse_stf("packet 1 00\npacket 2 00\nexpect 1 00\nwait\n")
    assert unsyncable(at_end) is None  # nothing after the packets needs them done


def test_file_ports_layout_and_outputs(tmp_path: Path) -> None:
    ports = FilePorts(tmp_path, [3, 1, 2], [1])
    ports.prepare()
    assert ports.switch_args() == [
        "--use-files",
        "0",
        "-i",
        f"1@{tmp_path}/p1",
        "-i",
        f"2@{tmp_path}/p2",
        "-i",
        f"3@{tmp_path}/p3",
    ]
    assert (tmp_path / "p1_in.pcap").is_fifo()
    assert (tmp_path / "p2_in.pcap").stat().st_size == 24  # only the pcap header: at its end at once
    assert ports.received(2) == []
    write_pcap(tmp_path / "p2_out.pcap", [b"\x01\x02", b"\x03"])
    assert ports.received(2) == [b"\x01\x02", b"\x03"]


# --- settling -----------------------------------------------------------------------------------------


def _log(path: Path, *lines: str) -> None:
    with path.open("a") as stream:
        for line in lines:
            stream.write(f"[12:00:00.000] [bmv2] [D] [thread 7] {line}\n")


def test_settle_waits_for_every_packet_and_instance(tmp_path: Path) -> None:
    log = tmp_path / "switch.log"
    _log(log, "[0.0] [cxt 0] Processing packet received on port 1", "[0.0] [cxt 0] Parser 'parser': start")
    watcher = LogWatcher(log)

    def finish() -> None:
        time.sleep(0.2)
        _log(
            log,
            "[0.0] [cxt 0] Multicast requested for packet",
            "[0.1] [cxt 0] Replicating packet on port 2",
            "[0.1] [cxt 0] Transmitting packet of size 14 out of port 2",
            "[1.0] [cxt 0] Processing packet received on port 1",
            "[1.0] [cxt 0] Dropping packet at the end of ingress",
        )

    writer = threading.Thread(target=finish)
    writer.start()
    watcher.settle(2, lambda: True, timeout=20)
    writer.join()
    assert watcher.taken == 2 and not watcher.live


def test_settle_reports_a_switch_that_does_not_take_the_packets(tmp_path: Path) -> None:
    log = tmp_path / "switch.log"
    _log(log, "[0.0] [cxt 0] Processing packet received on port 1")
    with pytest.raises(SettleTimeout, match="exited"):
        LogWatcher(log).settle(2, lambda: False, timeout=5)
    with pytest.raises(SettleTimeout, match="took in 1 of 2"):
        LogWatcher(log).settle(2, lambda: True, timeout=0.2)


def test_packet_in_ports_speak_the_nanomsg_packet_protocol(tmp_path: Path) -> None:
    # softp4's own nanomsg port (the protocol simple_switch's --packet-in speaks) plays the switch:
    # it sends each frame back out one port up
    ports = PacketInPorts(tmp_path, [1, 2, 3], [1, 2])
    assert ports.switch_args() == ["--packet-in", f"ipc://{tmp_path}/packets.ipc"]
    switch = NanomsgPorts(ports.url)
    switch.start(lambda port, frame: switch.send(port + 1, frame))
    try:
        ports.open_inputs(lambda: True, 10)
        ports.send(1, b"\x01\x02", last=False)
        ports.send(2, b"\x03", last=True)
        ports.send(1, b"\x04", last=True)
        deadline = time.monotonic() + 10
        while len(ports.received(2)) + len(ports.received(3)) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        ports.close()
        switch.close()
    assert (ports.received(2), ports.received(3), ports.received(1)) == ([b"\x01\x02", b"\x04"], [b"\x03"], [])


def test_keep_copies_the_log_and_outputs_but_not_fifos_or_sockets(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "switch.log").write_text("log")
    (run / "p1_out.pcap").write_bytes(b"pcap")
    os.mkfifo(run / "p0_in.pcap")
    with socket.socket(socket.AF_UNIX) as sock:  # as simple_switch's notifications.ipc
        sock.bind(str(run / "notifications.ipc"))
        keep_files(run, tmp_path / "kept")
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["p1_out.pcap", "switch.log"]


def test_value_set_changes_the_cli_would_send_wrongly_are_unsupported() -> None:
    program = {**L2ACL, "parse_vsets": [
        {"name": "P.wide", "id": 0, "compressed_bitwidth": 16},
        {"name": "P.odd", "id": 1, "compressed_bitwidth": 9},
    ]}
    run = Bmv2Run(program, Bmv2Tools(Path("ss"), Path("cli")), "t.stf")
    assert run.pvs_unsendable(parse_stf("pvs_add odd 0x1ff\npvs_add wide 0x1&&&0xf\n")) is None
    reason = run.pvs_unsendable(parse_stf("packet 0 00\npvs_remove wide 0x88b5\n"))
    assert reason is not None and reason.startswith("t.stf:2: error:") and "16-bit value set 'P.wide'" in reason
    with pytest.raises(Bmv2Unsupported, match=r"t\.stf:1: error: simple_switch_CLI cannot add"):
        run.run(parse_stf("pvs_add wide 0x88b5\n"))
