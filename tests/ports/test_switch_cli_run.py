"""`softp4 switch` running: nanomsg (PTF peer), pcap files, veth, startup errors, clean shutdown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ptf.dataplane import DataPlanePacketSourceNN

from softp4.switch.cli import StartupError, SwitchProcess, parse_args
from softp4.switch.ports import read_pcap, write_pcap

FIXTURE = Path(__file__).parents[1] / "stf" / "data" / "l2acl.json"
FRAME = bytes.fromhex("000000000001" "0000000000aa" "0800") + bytes(range(50))


@pytest.fixture
def prog(tmp_path: Path) -> Path:
    """The L2 fixture with its default action changed to forward(port 2)."""
    program = json.loads(FIXTURE.read_text())
    dmac = program["pipelines"][0]["tables"][0]
    dmac["default_entry"] = {"action_id": 2, "action_const": False, "action_data": ["0x2"],
                             "action_entry_const": False}
    path = tmp_path / "fwd2.json"
    path.write_text(json.dumps(program))
    return path


def start(argv: list[str]) -> tuple[SwitchProcess, list[str]]:
    lines: list[str] = []
    process = SwitchProcess(parse_args([*argv, "--grpc-server-addr", "127.0.0.1:0"]), lines.append)
    process.start()
    return process, lines


def test_nanomsg_ports_with_ptf_peer(tmp_path: Path, prog: Path) -> None:
    url = f"ipc://{tmp_path}/nn.ipc"
    process, lines = start([str(prog), "--packet-in", url, "--log-console"])
    ptf = DataPlanePacketSourceNN(0, url, 5000, 1000)
    try:
        assert process.grpc_port > 0
        ptf.port_add(0)
        ptf.port_add(2)
        ptf.send(0, FRAME)
        got = ptf.recv()
        assert got is not None and (got[1], bytes(got[2])) == (2, FRAME)
        assert lines, "--log-console printed no trace"
    finally:
        ptf.close()
        process.stop()


def test_pcap_capture_and_log_file(tmp_path: Path, prog: Path) -> None:
    url = f"ipc://{tmp_path}/cap.ipc"
    dump = tmp_path / "dump"
    dump.mkdir()
    log = tmp_path / "trace.log"
    process, lines = start([str(prog), "--packet-in", url, "--pcap", str(dump), "--log-file", str(log)])
    log = tmp_path / "trace.log.txt"  # the name simple_switch would use
    ptf = DataPlanePacketSourceNN(0, url, 5000, 1000)
    try:
        ptf.port_add(2)
        ptf.send(0, FRAME)
        got = ptf.recv()
        assert got is not None and got[1] == 2
    finally:
        ptf.close()
        process.stop()
    assert read_pcap(dump / "0_in.pcap") == [FRAME]
    assert read_pcap(dump / "2_out.pcap") == [FRAME]
    assert not (dump / "2_in.pcap").exists()
    assert lines == []  # no --log-console: nothing on the console
    trace = log.read_text()
    assert "Processing packet received on port 0" in trace
    assert "out of port 2" in trace


def test_p4runtime_server_is_served(prog: Path) -> None:
    import grpc
    from finsy.proto import p4r, p4r_grpc

    process, _ = start([str(prog), "--device-id", "7"])
    try:
        with grpc.insecure_channel(f"127.0.0.1:{process.grpc_port}") as channel:
            reply = p4r_grpc.P4RuntimeStub(channel).Capabilities(p4r.CapabilitiesRequest(), timeout=10)
        assert reply.p4runtime_api_version.startswith("1.")
    finally:
        process.stop()


def test_pcap_files(tmp_path: Path, prog: Path) -> None:
    write_pcap(tmp_path / "0_in.pcap", [FRAME, FRAME[::-1]])
    process, _ = start([str(prog), "--use-files", str(tmp_path)])
    try:
        deadline = time.monotonic() + 10
        out = tmp_path / "2_out.pcap"
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size >= 24 + 2 * (16 + 64)):
            time.sleep(0.05)
    finally:
        process.stop()
    assert read_pcap(tmp_path / "2_out.pcap") == [FRAME, FRAME[::-1]]


def test_use_files_simple_switch_form(tmp_path: Path, prog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--use-files 0 -i 0@pcap0`: files named after the interfaces, in the current directory."""
    monkeypatch.chdir(tmp_path)
    write_pcap(tmp_path / "pcap0_in.pcap", [FRAME])
    process, _ = start([str(prog), "--use-files", "0", "-i", "0@pcap0", "-i", "2@pcap2"])
    try:
        out = tmp_path / "pcap2_out.pcap"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and out.stat().st_size < 24 + 16 + len(FRAME):
            time.sleep(0.05)
    finally:
        process.stop()
    assert read_pcap(tmp_path / "pcap2_out.pcap") == [FRAME]
    assert read_pcap(tmp_path / "pcap0_out.pcap") == []


def test_corrupt_input_pcap_is_a_startup_error(tmp_path: Path, prog: Path) -> None:
    (tmp_path / "0_in.pcap").write_bytes(b"not a pcap file at all, really")
    with pytest.raises(StartupError, match=r"0_in\.pcap: not a pcap file"):
        start([str(prog), "--use-files", str(tmp_path)])


def test_startup_errors_are_clear(tmp_path: Path, prog: Path) -> None:
    with pytest.raises(StartupError, match="interface nosuchif9: no such network interface"):
        start([str(prog), "-i", "0@nosuchif9"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"pipelines": 3}')
    with pytest.raises(StartupError, match=r"bad\.json: cannot load the program: not a BMv2 program: no "
                       r"'header_types', 'headers', 'parsers', 'deparsers', 'actions' \(compile"):
        start([str(bad)])


def test_log_file_in_missing_directory(tmp_path: Path, prog: Path) -> None:
    with pytest.raises(StartupError, match=r"--log-file .*nodir/x\.log\.txt: No such file or directory"):
        start([str(prog), "--log-file", str(tmp_path / "nodir" / "x.log")])


def test_grpc_address_in_use(prog: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        args = parse_args([str(prog), "--grpc-server-addr", f"127.0.0.1:{port}"])
        with pytest.raises(StartupError) as err:
            SwitchProcess(args, print).start()
        assert str(err.value) == f"P4Runtime server: cannot listen on 127.0.0.1:{port}: address already in use"
    finally:
        busy.close()


@pytest.fixture
def veth_pair() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("veth tests need root and the 'ip' command")
    a, b = f"sp4c{os.getpid() % 100000}a", f"sp4c{os.getpid() % 100000}b"
    result = subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], capture_output=True)
    if result.returncode:
        pytest.skip(f"cannot create a veth pair: {result.stderr.decode().strip()}")
    try:
        for name in (a, b):
            Path(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6").write_text("1")
            subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield a, b
    finally:
        subprocess.run(["ip", "link", "del", a], capture_output=True)


def test_veth_reflect(tmp_path: Path, veth_pair: tuple[str, str]) -> None:
    a, b = veth_pair
    program = json.loads(FIXTURE.read_text())
    program["pipelines"][0]["tables"][0]["default_entry"]["action_id"] = 2
    program["pipelines"][0]["tables"][0]["default_entry"]["action_data"] = ["0x5"]
    path = tmp_path / "fwd5.json"
    path.write_text(json.dumps(program))
    process, _ = start([str(path), "-i", f"5@{a}"])
    peer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    peer.bind((b, 0))
    peer.settimeout(5)
    try:
        peer.send(FRAME)
        while True:
            data, addr = peer.recvfrom(65535)
            if addr[2] != socket.PACKET_OUTGOING:
                break
        assert data == FRAME  # out of port 5 = back out of the same interface
    finally:
        peer.close()
        process.stop()


def test_process_signals_clean_exit(tmp_path: Path, prog: Path) -> None:
    url = f"ipc://{tmp_path}/nn2.ipc"
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen(
            [sys.executable, "-m", "softp4", "switch", str(prog), "--packet-in", url,
             "--", "--grpc-server-addr", "127.0.0.1:0", "--device-id", "3"],
            stderr=subprocess.PIPE, text=True,
        )
        try:
            assert proc.stderr is not None
            ready = proc.stderr.readline()
            assert ready.startswith("softp4 switch: ready: device 3, nanomsg " + url), ready
            proc.send_signal(sig)
            assert proc.wait(timeout=20) == 0
            rest = proc.stderr.read()
            assert "stopping" in rest and "Traceback" not in rest
        finally:
            proc.kill()
            proc.wait()


def test_cli_startup_error_exit_status(prog: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "softp4", "switch", str(prog), "-i", "0@nosuchif9",
         "--grpc-server-addr", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "softp4 switch: error: interface nosuchif9: no such network interface"
