"""The process testbed: veth cables, switch processes programmed over P4Runtime, and cleanup on every path.

These need root and iproute2 (CI runs as root); elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controller import topology
from softp4.switch.ports import VethPort
from testbed import demo
from testbed.processes import switches, wiring
from testbed.processes.rack import ProcessRack, RackError

ROOT = Path(__file__).resolve().parents[2]
PAIR = ROOT / "topologies" / "pair.toml"

_why = wiring.probe()
pytestmark = [pytest.mark.skipif(_why is not None, reason=_why or ""), pytest.mark.usefixtures("nothing_left_behind")]


def test_demo_on_softp4_processes(build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--testbed", "netns", "--build-dir", str(build_dir), "--topology", str(PAIR), "--scenario", "walk",
            "--bytes", "1024", "--workdir", str(tmp_path)]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "OK: all 1024 bytes landed exactly once, in order, and nothing else was touched" in out
    # the burst's tail asked for its ACK through the ACK alias: nothing re-sent, no timer
    assert "4 memory writes, all acknowledged in " in out and "0 writes re-issued, 0 ACK timer expiries" in out
    # programmed by the controller, over P4Runtime, one line per device
    assert out.count("pipeline pushed; entries: 8 inserted, 0 modified, 0 deleted") == 2
    assert "pipeline pushed; entries: 4 inserted" in out
    # frames seen on the real cables, both directions
    assert "server1.nic:16 -> tor:1" in out and "tor:2 -> server2.nic:16" in out
    assert "server2.nic:1 -> acc2:0      MWr 256 B @0x4000 rid=0x0100 tag=0" in out
    # counters read back over P4Runtime: 4 TLPs of 256 bytes accepted in order by the receiving NIC
    accepted = next(line for line in out.splitlines() if "acc1 -> acc2 (stream 0): frames accepted" in line)
    assert accepted.split()[-4:] == ["4", "packets", "1176", "bytes"]
    assert {p.name for p in tmp_path.iterdir()} == {"tor.log", "server1.log", "server2.log"}


def test_a_switch_that_fails_to_start_leaves_nothing(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[switches.SwitchProcess] = []
    real_start = switches.start

    def start(target: str, spec: switches.SwitchSpec, workdir: Path, bmv2: tuple[str, bool] | None = None
              ) -> switches.SwitchProcess:
        if spec.name == "tor":
            spec.ports[9] = "jsnosuchif0"  # the real softp4 switch refuses an interface that does not exist
        process = real_start(target, spec, workdir, bmv2)
        started.append(process)
        return process

    monkeypatch.setattr(switches, "start", start)
    with pytest.raises(RackError) as failure:
        ProcessRack.build(topology.load(PAIR), build_dir, workdir=tmp_path)
    message = str(failure.value)
    assert message.startswith("tor: the switch exited with status")
    assert "jsnosuchif0" in message  # the log's last lines say why
    assert [p.name for p in started] == ["tor", "server1", "server2"]
    assert all(p.proc.returncode is not None for p in started)  # the NIC switches were stopped too


def test_ctrl_c_while_programming_stops_everything(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[switches.SwitchProcess] = []
    real_start = switches.start

    def start(target: str, spec: switches.SwitchSpec, workdir: Path, bmv2: tuple[str, bool] | None = None
              ) -> switches.SwitchProcess:
        process = real_start(target, spec, workdir, bmv2)
        started.append(process)
        return process

    def interrupted(self: ProcessRack, build: Path) -> None:
        assert len(wiring.ours()) == 8  # 4 cables, both ends, exist at this point
        raise KeyboardInterrupt

    monkeypatch.setattr(switches, "start", start)
    monkeypatch.setattr(ProcessRack, "_program", interrupted)
    argv = ["--testbed", "netns", "--build-dir", str(build_dir), "--topology", str(PAIR), "--scenario", "walk",
            "--workdir", str(tmp_path)]
    assert demo.main(argv) == 130
    assert "interrupted: switches stopped, cables removed" in capsys.readouterr().err
    assert len(started) == 3 and all(p.proc.returncode is not None for p in started)


def test_cables_carry_tlps_unchanged_and_pad_shorter_frames() -> None:
    with wiring.Wiring() as cables:
        cable = cables.cable("test")
        assert len(cable.a) <= 15 and wiring.NAME_RE.match(cable.a)
        received: queue.Queue[bytes] = queue.Queue()
        a, b = VethPort(0, cable.a), VethPort(0, cable.b)
        b.start(lambda port, frame: received.put(frame))
        a.open()
        try:
            tlp = bytes.fromhex("40000001 0100000f 00004000 deadbeef")  # a 16-byte MWr of one DW
            a.send(tlp)
            assert received.get(timeout=5) == tlp
            header_only = bytes.fromhex("00000001 0100000f 00004000")  # 12 bytes: the kernel wants 14
            a.send(header_only)
            assert received.get(timeout=5) == header_only + b"\x00\x00"
            assert received.empty()  # IPv6 is off: the kernel put nothing of its own on the cable
        finally:
            a.close()
            b.close()
    assert not wiring.interface_exists(cable.a) and not wiring.interface_exists(cable.b)


def test_cables_of_a_killed_run_are_removed() -> None:
    dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # no process can have this pid
    name = f"js{dead:x}g-0a"
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", f"js{dead:x}g-0b"], check=True)
    try:
        assert name in wiring.remove_stale()
        assert not wiring.interface_exists(name)
    finally:
        if wiring.interface_exists(name):
            subprocess.run(["ip", "link", "del", name], check=False)


def test_sigint_to_a_running_demo_removes_everything(build_dir: Path, tmp_path: Path) -> None:
    """Ctrl-C for real: SIGINT as soon as the demo's cables exist (the switches are still starting)."""
    argv = [sys.executable, "-m", "testbed.demo", "--testbed", "netns", "--build-dir", str(build_dir),
            "--topology", str(PAIR), "--workdir", str(tmp_path)]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not wiring.ours(proc.pid) and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "interrupted: switches stopped, cables removed" in err
    assert "Traceback" not in err
    assert wiring.ours(proc.pid) == []
    assert {p.name for p in tmp_path.iterdir()} <= {"tor.log", "server1.log", "server2.log"}
    assert writers_of(tmp_path) == []  # no switch of this run is still alive


def writers_of(directory: Path) -> list[int]:
    """Processes whose standard output is a file in `directory` (the switches write their logs there)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                target = str((proc / "fd" / "1").readlink())
            except OSError:
                continue
            if target.startswith(f"{directory}/"):
                found.append(int(proc.name))
    return found


def test_bmv2_without_simple_switch_grpc_says_so(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("P4REF", str(tmp_path / "nowhere"))
    argv = ["--target", "bmv2", "--build-dir", str(build_dir), "--topology", str(PAIR), "--workdir", str(tmp_path)]
    assert demo.main(argv) == 1
    assert capsys.readouterr().err == (
        f"demo: TARGET=bmv2: simple_switch_grpc is not in P4REF={tmp_path / 'nowhere'} (its bin/)\n"
    )


@pytest.mark.parametrize(("option", "message"), [
    (["--loss", "150"], "demo: --loss 150: give a percentage from 0 up to (not including) 100\n"),
    (["--deadline", "0"], "demo: --deadline 0: give a positive number of seconds\n"),
])
def test_bad_process_options_are_named(
    build_dir: Path, option: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--testbed", "netns", "--build-dir", str(build_dir), *option]) == 2
    assert capsys.readouterr().err == message


def test_loss_in_the_uplink_relays_is_repaired(build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                               ) -> None:
    argv = ["--testbed", "netns", "--build-dir", str(build_dir), "--topology", str(PAIR), "--scenario", "walk",
            "--bytes", "2048", "--loss", "30", "--workdir", str(tmp_path)]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "loss: 30% of the frames from each NIC to the ToR, lost in a relay on the uplink" in out
    # the relays are seeded: the first frame server1 sends towards the ToR (DATA seq 0) is lost, so the
    # receiver sees a gap, NACKs, and the sender goes back
    first_lost = next(line for line in out.splitlines() if line.endswith("LOST"))
    assert "server1.nic:16 -> tor:1" in first_lost and "DATA 1->2 win=1 seq=0 " in first_lost
    assert "DROP_GAP" in out and "JetStream NACK 2->1" in out
    assert "OK: all 2048 bytes landed exactly once" in out


STAND_IN = '''#!{python}
"""simple_switch_grpc stand-in: records its command line, drops the BMv2-only option, runs softp4."""
import sys
from pathlib import Path

from softp4.cli import main

argv = sys.argv[1:]
if argv != ["--help"]:
    with Path({log!r}).open("a") as log:
        print(" ".join(argv), file=log)
if "--notifications-addr" in argv:
    at = argv.index("--notifications-addr")
    del argv[at : at + 2]
sys.exit(main(["switch", *argv]))
'''


def test_bmv2_command_lines_with_a_stand_in(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """TARGET=bmv2 end to end, with softp4 behind a simple_switch_grpc stand-in: BMv2's option layout."""
    bin_dir, commands = tmp_path / "bin", tmp_path / "commands.txt"
    bin_dir.mkdir()
    stand_in = bin_dir / "simple_switch_grpc"
    stand_in.write_text(STAND_IN.format(python=sys.executable, log=str(commands)))
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.delenv("P4REF", raising=False)  # else only P4REF's bin/ is searched, not the stand-in's PATH
    argv = ["--target", "bmv2", "--build-dir", str(build_dir), "--topology", str(PAIR), "--scenario", "walk",
            "--bytes", "512", "--workdir", str(tmp_path / "logs")]
    assert demo.main(argv) == 0
    out = capsys.readouterr().out
    assert "one simple_switch_grpc process per P4 device" in out
    assert "OK: all 512 bytes landed exactly once" in out
    lines = commands.read_text().splitlines()
    assert len(lines) == 3
    tor = next(line.split() for line in lines if f"{tmp_path}/logs/tor-notifications.ipc" in line)
    general, target = tor[: tor.index("--")], tor[tor.index("--") + 1 :]
    assert general[:3] == ["--no-p4", "--device-id", "1"]
    assert [general[i + 1].split("@")[0] for i, a in enumerate(general) if a == "-i"] == ["1", "2"]
    assert "--thrift-port" in general  # the stand-in's --help lists it, as a BMv2 built with Thrift does
    assert target[0] == "--grpc-server-addr" and target[2:] == ["--cpu-port", "255", "--priority-queues", "8"]


def test_all_to_all_on_softp4_processes(build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--testbed", "netns", "--all-to-all", "--build-dir", str(build_dir), "--topology", str(PAIR),
            "--bytes", "1024", "--no-loss", "--workdir", str(tmp_path), "--png", str(tmp_path / "summary.png")]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "  all-to-all: 8/8 writes acknowledged, 0 frames lost" in out  # 1024 bytes each way, 256 a TLP
    row = next(line.split() for line in out.splitlines() if line.startswith("all-to-all "))
    assert row == ["all-to-all", "8", "2.0", "KiB", "2.0", "KiB", *row[6:8], "0", "0", "0", "none"]
    assert "OK: every byte of every write landed exactly once" in out
    assert "  [  1]" not in out  # no hop printed


def test_the_rack_scenario_on_softp4_processes_under_loss(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """make run's default on switch processes: the all-gather through the ToR's group, then the all-to-all,
    with 1% loss in the relays; the drops come from the devices' counters, read over P4Runtime."""
    argv = ["--testbed", "netns", "--build-dir", str(build_dir), "--topology", str(ROOT / "topologies/rack8.toml"),
            "--workdir", str(tmp_path), "--png", str(tmp_path / "summary.png")]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("all-")}
    assert rows["all-gather"][1:6] == ["64", "16.0", "KiB", "112.0", "KiB"]  # 8 x 2 KiB, to 7 members each
    assert rows["all-to-all"][1:6] == ["560", "128.0", "KiB", "128.0", "KiB"]  # 56 slices of 2340 bytes
    lost = int(rows["all-gather"][10]) + int(rows["all-to-all"][10])
    assert lost > 0 and "gap" in out  # the seeded relays lose frames, the receivers drop past the gap
    assert "OK: every byte of every write landed exactly once" in out


def test_writes_that_go_nowhere_fail_the_demo(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Switches left without a program drop everything: the demo gives up at its deadline and says why."""
    monkeypatch.setattr(ProcessRack, "_program", lambda self, build: None)
    argv = ["--testbed", "netns", "--build-dir", str(build_dir), "--topology", str(PAIR), "--scenario", "walk",
            "--bytes", "512", "--deadline", "0.5", "--workdir", str(tmp_path)]
    assert demo.main(argv) == 1
    out = capsys.readouterr().out
    assert "acc1 issued 2 memory writes, not acknowledged after 0.5 s" in out
    assert out.endswith(
        "FAILED:\n  byte 0x4000 of acc2 is 0x00, expected 0x03\n  acc1 still has 2 unacknowledged writes\n"
    )


def test_the_protocol_runs_through_a_plain_linux_bridge(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any L2 switch must do: the ToR replaced by a Linux bridge, all to all under loss."""
    argv = ["--testbed", "netns", "--tor", "linux-bridge", "--all-to-all", "--loss", "2", "--build-dir",
            str(build_dir), "--topology", str(PAIR), "--bytes", "1024", "--workdir", str(tmp_path),
            "--png", str(tmp_path / "summary.png")]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "ToR 'tor' (a Linux bridge)" in out
    assert "OK: every byte of every write landed exactly once" in out
    assert not any(line.startswith("  tor (") for line in out.splitlines())  # nothing to program there
    assert {p.name for p in tmp_path.iterdir()} - {"summary.png"} == {"server1.log", "server2.log"}


def test_a_linux_bridge_needs_the_process_testbed(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--tor", "linux-bridge", "--build-dir", str(build_dir), "--topology", str(PAIR)]) == 2
    assert capsys.readouterr().err == "demo: --tor linux-bridge needs the process testbed (--testbed netns)\n"


def test_a_demo_killed_outright_leaves_no_switch_and_the_next_run_removes_its_cables(
    build_dir: Path, tmp_path: Path
) -> None:
    """SIGKILL, where no clean-up runs: the switches die with the demo (PR_SET_PDEATHSIG), and the cables,
    named by the dead pid, are removed by the next run (`remove_stale`, called by every ProcessRack.build)."""
    argv = [sys.executable, "-m", "testbed.demo", "--testbed", "netns", "--build-dir", str(build_dir),
            "--topology", str(PAIR), "--scenario", "walk", "--workdir", str(tmp_path)]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # until all three switches serve
            logs = [tmp_path / f"{name}.log" for name in ("tor", "server1", "server2")]
            if all(log.exists() and "ready" in log.read_text() for log in logs):
                break
            time.sleep(0.05)
        cables = wiring.ours(proc.pid)
        switches_running = writers_of(tmp_path)
        assert cables and len(switches_running) == 3
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for _ in range(200):
            if not writers_of(tmp_path):
                break
            time.sleep(0.05)
        assert writers_of(tmp_path) == []
        assert wiring.ours(proc.pid) == cables  # nobody cleaned up ...
        removed = wiring.remove_stale()  # ... until the next run
        assert wiring.ours(proc.pid) == [] and set(removed) <= set(cables)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in writers_of(tmp_path):
            os.kill(pid, signal.SIGKILL)
        wiring.remove_stale()
