"""Nothing is left behind: a switch process dies with the process that started it, even one killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import sys, time
from pathlib import Path
from testbed.processes.switches import SwitchProcess, SwitchSpec
switch = SwitchProcess(SwitchSpec("nic"), ["sleep", "600"], "127.0.0.1:1", Path(sys.argv[1]))
print(switch.proc.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie has ended: only its exit status is left for init to collect


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_switch_dies_with_its_parent_killed_outright(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path / "switch.log")], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert not _gone(child)
        for _ in range(200):  # until the wrapper that asks for the death signal has handed over to the switch
            if b"setpriv" not in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]:
                break
            time.sleep(0.05)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        for _ in range(200):  # the kernel delivers the SIGKILL as the parent's thread exits
            if _gone(child):
                break
            time.sleep(0.05)
        assert _gone(child), f"switch process {child} outlived its parent"
    finally:
        if not _gone(child):
            os.kill(child, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(proc.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_ptf_run_killed_outright_leaves_no_switch_and_no_ptf(build_dir: Path) -> None:
    runner = subprocess.Popen([sys.executable, "-m", "testbed.ptf_runner", "--build-dir", str(build_dir),
                               "--test", "nic"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    try:
        for _ in range(600):  # until the switch and ptf both run
            children = [c for c in _children(runner.pid)
                        if b"setpriv" not in Path(f"/proc/{c}/cmdline").read_bytes().split(b"\0")[0]]
            if len(children) == 2:
                break
            time.sleep(0.05)
        assert len(children) == 2, "the runner never started its switch and ptf"
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        for _ in range(200):
            if all(_gone(c) for c in children):
                break
            time.sleep(0.05)
        assert [c for c in children if not _gone(c)] == []
    finally:
        for child in children:
            if not _gone(child):
                os.kill(child, signal.SIGKILL)
        if runner.poll() is None:
            runner.kill()
            runner.wait()


@pytest.fixture
def cables_allowed() -> None:
    from testbed.processes import wiring

    why = wiring.probe()
    if why is not None:
        pytest.skip(why)


@pytest.mark.usefixtures("cables_allowed")
def test_the_ptf_runners_cables_are_project_named_and_stale_ones_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TARGET=bmv2's veth cables: named as the process testbed names them, gone afterwards, and the cables of
    a run killed outright (its pid no longer exists) removed by the next run."""
    from testbed import ptf_runner
    from testbed.processes import wiring

    dead = 0x3FFFFF + 1  # above the largest pid Linux hands out
    stale = f"js{dead:x}g-0a"
    subprocess.run(["ip", "link", "add", stale, "type", "veth", "peer", "name", f"js{dead:x}g-0b"], check=True)
    seen: dict[str, object] = {}

    class Switch:
        def __init__(self, spec: object, command: list[str], grpc_addr: str, log: Path) -> None:
            seen["ports"] = dict(spec.ports)  # type: ignore[attr-defined]
            self.grpc_addr = grpc_addr

        def wait_serving(self) -> None:
            seen["stale gone"] = not wiring.interface_exists(stale)
            seen["ours"] = wiring.ours()

        def stop(self) -> None:
            pass

    monkeypatch.setattr(ptf_runner, "bmv2_binary", lambda: ("simple_switch_grpc", False))
    monkeypatch.setattr(ptf_runner, "SwitchProcess", Switch)
    try:
        with ptf_runner.bmv2_switch("nic", tmp_path, tmp_path / "switch.log") as (_, flags):
            ports: dict[int, str] = seen["ports"]  # type: ignore[assignment]
            assert sorted(ports) == sorted(ptf_runner.PORTS["nic"])
            assert all(wiring.NAME_RE.match(name) for name in ports.values())
            peers = [flag.split("@")[1] for flag in flags if "@" in flag]
            assert peers == [name[:-1] + "b" for name in ports.values()]
            assert seen["stale gone"] is True
            assert len(seen["ours"]) == 2 * len(ports)  # type: ignore[arg-type]
        assert wiring.ours() == []
    finally:
        if wiring.interface_exists(stale):
            subprocess.run(["ip", "link", "del", stale], check=False)
