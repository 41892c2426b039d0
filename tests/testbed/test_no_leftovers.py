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
