"""jetstream-ctl: the plan output, argument errors (one message, exit 1, no traceback), deployment files,
and apply/counters/watch against embedded softp4 P4Runtime servers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller import topology
from controller.cli import main
from controller.entries import nic_config, tor_config
from controller.plan import compute
from controller.protocol import constants as c
from controller.protocol.tlp import TLP, TlpAddr64
from controller.runtime import ControllerError
from controller.runtime.devices import DeviceAddress, load_deployment, parse_device
from softp4.switch import Switch
from softp4.switch.p4runtime import P4RuntimeServer

ROOT = Path(__file__).resolve().parents[2]
PAIR = ROOT / "topologies" / "pair.toml"


@pytest.fixture
def servers() -> Iterator[dict[str, tuple[Switch, P4RuntimeServer]]]:
    running = {}
    for name in ("server1", "server2", "tor"):
        switch = Switch(cpu_port=c.CPU_PORT) if name != "tor" else Switch(priority_queues=8)
        server = P4RuntimeServer(switch, address="127.0.0.1:0")
        server.start()
        running[name] = (switch, server)
    yield running
    for _, server in running.values():
        server.stop(grace=None)


def device_args(servers: dict[str, tuple[Switch, P4RuntimeServer]], *names: str) -> list[str]:
    args = []
    for name in names or tuple(servers):
        args += ["--device", f"{name}=127.0.0.1:{servers[name][1].port}"]
    return args


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's way out
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# --- plan ------------------------------------------------------------------------------------------------------


def test_plan_prints_the_address_plan_and_every_entry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", str(PAIR))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "topology 'pair': 2 servers, 2 accelerators, ToR 'tor'"
    assert "server1: NIC 02:4a:53:00:00:01, ToR port 1" in lines
    assert "  accelerator acc1: id 1, PCIe port 1, memory 64 KiB, ACK group 257" in lines
    assert "  window acc1 -> acc2#1: BAR 0x200000000000/50 (16 KiB) lands at 0x4000 of acc2, stream 0" in lines
    assert "  sends acc1 -> acc2: stream 0, rewind doorbell 0x100000000000, mailbox 0xfc00" in lines
    assert "  receives acc2 -> acc1: stream 0" in lines
    assert "  exports acc1#1 to acc2: [0x4000, 0x8000)" in lines
    plan = compute(topology.load(PAIR))
    for name in ("server1", "server2"):
        config = nic_config(plan.nics[name])
        start = lines.index(f"{name}: NIC {plan.nics[name].mac}, ToR port {1 if name == 'server1' else 2}")
        at = lines.index(f"  entries ({len(config.entries)}):", start)
        assert lines[at + 1 : at + 1 + len(config.entries)] == [f"    {e.describe()}" for e in config.entries]
        ack = 257 if name == "server1" else 258
        assert f"    group {ack}: port 1 rid 1, port 16 rid 2" in lines[start:]
    tor = tor_config(plan.tor)
    at = lines.index(f"  entries ({len(tor.entries)}):", lines.index("tor: ToR"))
    assert lines[at + 1 : at + 1 + len(tor.entries)] == [f"    {e.describe()}" for e in tor.entries]
    assert "    group 1: port 1 rid 0, port 2 rid 0" in lines[at:]
    assert lines[-1].startswith("  TorIngress.port_security.binding")


def test_plan_check_resolves_every_entry_against_a_build(
    capsys: pytest.CaptureFixture[str], build_dir: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "plan", str(PAIR), "--check", str(build_dir))
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == (
        f"every entry resolves in {build_dir}/nic/nic.p4info.txtpb, {build_dir}/tor/tor.p4info.txtpb"
    )
    wrong = tmp_path / "build"
    for prog in ("nic", "tor"):
        (wrong / prog).mkdir(parents=True)
        for suffix in (".json", ".p4info.txtpb"):
            (wrong / prog / f"{prog}{suffix}").write_bytes((build_dir / "tor" / f"tor{suffix}").read_bytes())
    code, out, err = run(capsys, "plan", str(PAIR), "--check", str(wrong))
    assert (code, out) == (1, "")
    assert err.startswith("error: server1 (nic): NicIngress.") and "no table 'NicIngress." in err


def test_python_dash_m_controller_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "controller", "plan", str(PAIR)], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("topology 'pair': 2 servers")


# --- bad arguments ---------------------------------------------------------------------------------------------


# a mistake on the command line exits 2, one line; one the work runs into (a file, a device) exits 1
WORK_FAILED = ("cannot read", "No such file", "has no device")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["deploy", str(PAIR)], "invalid choice: 'deploy'"),
        (["plan", "nowhere.toml"], "nowhere.toml: cannot read: No such file or directory"),
        (["apply", str(PAIR)], "apply: give the devices with --device NAME=HOST:PORT or --deployment FILE"),
        (["apply", str(PAIR), "--device", "server1"], "'server1': expected NAME=HOST:PORT[@DEVICE_ID]"),
        (["apply", str(PAIR), "--device", "server1=localhost"],
         "address 'localhost' is not HOST:PORT with a port from 1 to 65535"),
        (["apply", str(PAIR), "--device", "server1=localhost:70000"], "with a port from 1 to 65535"),
        (["apply", str(PAIR), "--device", "server1=localhost:9559@x"], "device id 'x' is not an integer"),
        (["apply", str(PAIR), "--device", "a b=localhost:9559"], "device name 'a b' may hold letters"),
        (["counters", str(PAIR), "-d", "server1=h:1", "--timeout", "0"], "'0': give a positive number of seconds"),
        (["counters", str(PAIR), "-d", "server1=h:1", "--timeout", "soon"], "'soon' is not a number of seconds"),
        (["apply", str(PAIR), "-d", "server1=h:1", "--election-id", "-3"], "'-3' is not an election id"),
        (["watch", str(PAIR), "-d", "server1=h:1", "--count", "0"], "'0' is not a positive integer"),
        (["serve", str(PAIR), "-d", "server1=h:1", "--retry", "-1"], "'-1': give a positive number of seconds"),
        (["apply", str(PAIR), "--deployment", "nowhere.toml"], "nowhere.toml: No such file or directory"),
        (["apply", str(PAIR), "-d", "server9=h:1"], "topology 'pair' has no device 'server9'"),
        (["apply", str(PAIR), "-d", "server1=h:1", "-d", "server1=h:2"], "--device server1: given twice"),
    ],
)
def test_bad_arguments_are_one_clear_line_and_exit_2_or_1(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1 if any(m in message for m in WORK_FAILED) else 2, "")
    assert message in err
    assert err.count("\n") == 1 and "usage:" not in err


def test_a_bad_topology_is_named_with_file_and_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(PAIR.read_text().replace("tor_port = 2", "tor_port = 1"))
    code, _, err = run(capsys, "plan", str(bad))
    assert code == 1
    assert err.startswith(f"error: {bad}:22: servers[1].tor_port: ToR port 1 is already cabled to server 'server1'")
    assert err.count("\n") == 1 and "usage" not in err and "argument TOPOLOGY" not in err


def test_a_server_named_like_the_tor_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    clash = tmp_path / "clash.toml"
    clash.write_text(PAIR.read_text().replace('name = "server2"', 'name = "tor"'))
    code, out, err = run(capsys, "plan", str(clash))
    assert (code, out) == (1, "")
    assert f"{clash}:20: servers[1].name: the name 'tor' is already used by tor" in err


def test_ctrl_c_is_one_line_and_exit_130(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from controller import cli

    def interrupted(topo: topology.Topology, plan: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "plan_lines", interrupted)
    code, out, err = run(capsys, "plan", str(PAIR))
    assert (code, out, err) == (130, "", "jetstream-ctl: interrupted\n")


def test_a_missing_build_says_what_to_do(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "apply", str(PAIR), "--build-dir", str(tmp_path), "-d", "server1=127.0.0.1:1")
    assert code == 1
    assert err == f"error: {tmp_path}/nic/nic.json is missing: run `make build` (or give --build-dir)\n"


# --- device addresses and deployment files --------------------------------------------------------------------


def test_device_addresses() -> None:
    assert parse_device("server1=127.0.0.1:9559") == DeviceAddress("server1", "127.0.0.1:9559", 1)
    assert parse_device("tor=switch.lab:50001@7") == DeviceAddress("tor", "switch.lab:50001", 7)
    assert parse_device("tor=[::1]:9559@0") == DeviceAddress("tor", "[::1]:9559", 0)
    assert str(parse_device("tor=h:1@2")) == "tor (h:1, device 2)"


def test_deployment_file(tmp_path: Path) -> None:
    path = tmp_path / "lab.toml"
    path.write_text('[devices]\nserver1 = "10.0.0.1:9559"\ntor = { address = "10.0.0.9:9559", device_id = 3 }\n')
    assert load_deployment(path) == [
        DeviceAddress("server1", "10.0.0.1:9559", 1),
        DeviceAddress("tor", "10.0.0.9:9559", 3),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[devices]\nserver1 = 5\n", "devices.server1: expected \"HOST:PORT[@DEVICE_ID]\" or a table"),
        ("[devices]\nserver1 = \"h\"\n", "devices.server1: 'server1=h': address 'h' is not HOST:PORT"),
        ("[devices]\ntor = { address = \"h:1\", id = 3 }\n", "devices.tor: unknown key 'id'"),
        ("[devices]\ntor = { device_id = 3 }\n", "devices.tor.address: expected a string HOST:PORT"),
        ("[devices]\ntor = { address = \"h:1\", device_id = \"3\" }\n", "devices.tor.device_id: expected an integer"),
        ("[switches]\n", "unknown key 'switches' (expected [devices])"),
        ("[devices\n", "not TOML"),
    ],
)
def test_deployment_file_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "lab.toml"
    path.write_text(text)
    with pytest.raises(ControllerError) as info:
        load_deployment(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


# --- against devices -------------------------------------------------------------------------------------------


def test_apply_then_apply_again_prints_what_changed(
    capsys: pytest.CaptureFixture[str],
    build_dir: Path,
    servers: dict[str, tuple[Switch, P4RuntimeServer]],
    tmp_path: Path,
) -> None:
    plan = compute(topology.load(PAIR))
    n1, nt = len(nic_config(plan.nics["server1"]).entries), len(tor_config(plan.tor).entries)
    port1, port_tor = servers["server1"][1].port, servers["tor"][1].port
    code, out, err = run(capsys, "apply", str(PAIR), "--build-dir", str(build_dir), *device_args(servers))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        f"server1 (127.0.0.1:{port1}, device 1): pipeline pushed; entries: {n1} inserted, 0 modified, 0 deleted; "
        "multicast groups: 1 inserted, 0 modified, 0 deleted; streams reset: 0"
    )
    assert lines[2] == (
        f"tor (127.0.0.1:{port_tor}, device 1): pipeline pushed; entries: {nt} inserted, 0 modified, 0 deleted; "
        "multicast groups: 1 inserted, 0 modified, 0 deleted; streams reset: 0"
    )
    # a deployment file gives the same devices; the command line overrides one of them
    deployment = tmp_path / "deploy.toml"
    deployment.write_text(
        "[devices]\n" + "".join(f'{n} = "127.0.0.1:{s.port}"\n' for n, (_, s) in servers.items() if n != "server1")
        + 'server1 = "127.0.0.1:1"\n'
    )
    code, out, err = run(capsys, "apply", str(PAIR), "--build-dir", str(build_dir), "--deployment", str(deployment),
                         "-d", f"server1=127.0.0.1:{port1}", "-v")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 3
    for line in out.splitlines():
        assert "pipeline kept; entries: 0 inserted, 0 modified, 0 deleted; multicast groups: 0 inserted" in line


def test_apply_reports_a_dead_device_and_programs_the_others(
    capsys: pytest.CaptureFixture[str], build_dir: Path, servers: dict[str, tuple[Switch, P4RuntimeServer]]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    code, out, err = run(capsys, "apply", str(PAIR), "--build-dir", str(build_dir), "--timeout", "5",
                         *device_args(servers, "server1"), "-d", f"server2=127.0.0.1:{dead}")
    assert code == 1
    assert out.startswith("server1 (") and "pipeline pushed" in out
    assert err.startswith(f"error: server2 (127.0.0.1:{dead}, device 1): cannot reach the device: ")
    assert err.count("\n") == 1


def test_counters_before_apply_says_to_apply(
    capsys: pytest.CaptureFixture[str], build_dir: Path, servers: dict[str, tuple[Switch, P4RuntimeServer]]
) -> None:
    code, _, err = run(capsys, "counters", str(PAIR), "--build-dir", str(build_dir), *device_args(servers, "tor"))
    assert code == 1
    assert "no pipeline on the device: run `jetstream-ctl apply` first" in err


def test_counters_after_apply(
    capsys: pytest.CaptureFixture[str], build_dir: Path, servers: dict[str, tuple[Switch, P4RuntimeServer]]
) -> None:
    assert run(capsys, "apply", str(PAIR), "--build-dir", str(build_dir), *device_args(servers))[0] == 0
    servers["server1"][0].process(9, b"\x40" + bytes(15))  # a TLP from a port with no accelerator
    code, out, err = run(capsys, "counters", str(PAIR), "--build-dir", str(build_dir),
                         *device_args(servers, "server1", "tor"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("server1 (127.0.0.1:") and lines[1] == "  drops:"
    assert lines[2].split() == ["DROP_UNKNOWN_PORT", "1", "packets", "16", "bytes"]
    assert "  traffic classes:" in lines
    assert any(line.split()[:3] == ["port", "2", "(server2):"] for line in lines)


def test_watch_prints_packet_ins_until_its_count(
    capsys: pytest.CaptureFixture[str], build_dir: Path, servers: dict[str, tuple[Switch, P4RuntimeServer]]
) -> None:
    assert run(capsys, "apply", str(PAIR), "--build-dir", str(build_dir), *device_args(servers, "server1"))[0] == 0
    codes: list[int] = []
    watcher = threading.Thread(target=lambda: codes.append(main(
        ["watch", str(PAIR), "--build-dir", str(build_dir), "--count", "1", *device_args(servers, "server1")]
    )), daemon=True)
    watcher.start()
    read_tlp = bytes(TLP(fmt=c.TLP_FMT_4DW_NO_DATA, tlp_type=0, length=2, requester_id=0x0100) / TlpAddr64(addr=8))
    for _ in range(200):  # until watch is connected as primary and has seen one
        servers["server1"][0].receive(1, read_tlp)
        watcher.join(timeout=0.05)
        if not watcher.is_alive():
            break
    assert codes == [0]
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[-1] == (
        "server1: port 1: PUNT_NOT_MWR (a TLP from an accelerator that is not a memory write): "
        "MRd (fmt 1, type 0x0), length 2 DW, requester 0x0100"
    )
    assert out.splitlines()[0].startswith("server1 (127.0.0.1:") and out.splitlines()[0].endswith("watching packet-ins")


def test_plan_ends_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", str(ROOT / "topologies" / "rack8.toml"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("summary: "))
    assert lines[start] == (
        "summary: 8 NICs and 1 ToR, 8 accelerators; 56 unicast and 8 group streams; 8 exported and 56 transmit "
        "windows; 561 entries; 10 multicast groups with 32 members in all"
    )
    assert "  NicIngress.ack_path.mailbox             112     14 (server1)         64" in lines[start:]
    assert lines[-1] == "  group write 'allgather': 8 members (acc1, acc2, acc3, acc4, acc5, acc6, acc7, acc8)"


def test_plan_as_json_holds_the_summary_and_every_entry(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, err = run(capsys, "plan", str(PAIR), "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    plan = compute(topology.load(PAIR))
    assert document["topology"] == "pair"
    assert document["summary"]["devices"] == {"nics": 2, "tors": 1}
    assert document["summary"]["streams"] == {"unicast": 2, "group": 0}
    first = nic_config(plan.nics["server1"]).entries[0]
    assert document["devices"]["server1"]["program"] == "nic"
    assert document["devices"]["server1"]["entries"][0] == {
        "table": first.table, "match": [{"field": m.field, "value": m.value, "prefix_len": m.prefix_len}
                                        for m in first.match],
        "action": first.action, "params": [list(p) for p in first.params], "priority": first.priority,
    }
    assert sum(len(d["entries"]) for d in document["devices"].values()) == document["summary"]["entries"] == 20
    assert document["summary"]["tables"]["TorIngress.l2_forward.l2"] == {"entries": 2, "most": 2, "on": "tor",
                                                                          "holds": 4096}
