"""Ctrl-C in the first instant of a tool, while Python is still importing its modules: one line, exit 130."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

TOOLS = {
    "demo": ([sys.executable, "-m", "testbed.demo"], "demo: interrupted"),
    "groupdemo": ([sys.executable, "-m", "testbed.groupdemo"], "groupdemo: interrupted"),
    "jetstream-ctl": (
        [str(VENV_BIN / "jetstream-ctl"), "plan", "topologies/rack8.toml"], "jetstream-ctl: interrupted"
    ),
}


# protobuf's C extension: every tool loads it early in its imports (through the controller or finsy), well
# after its first line, so once it is mapped the tool is loading modules and has not started its work yet
LOADING_MARK = "google/_upb"


def wait_loading(proc: subprocess.Popen[str]) -> None:
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + 30
    while LOADING_MARK not in maps.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the tool never loaded {LOADING_MARK} (status {proc.poll()})")
        time.sleep(0.002)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/<pid>/maps (Linux)")
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_ctrl_c_while_loading_is_one_line(tool: str) -> None:
    command, line = TOOLS[tool]
    if not Path(command[0]).exists():
        pytest.fail(f"{command[0]} is not installed: run `make venv`")
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_loading(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "Traceback" not in out + err, err
    assert err.strip().splitlines()[-1].endswith(line.split(": ", 1)[1]), err
    assert line in err, err
