"""Switch processes: one per device of the topology, started empty (`--no-p4`), for the controller to program.

    softp4  `python -m softp4 switch --no-p4 -i N@IFACE ... --grpc-server-addr ... --device-id 1
             --cpu-port 255 --priority-queues Q`
    bmv2    `simple_switch_grpc --no-p4 --device-id 1 -i N@IFACE ... [--thrift-port P] --notifications-addr
             ipc://... -- --grpc-server-addr ... --cpu-port 255 --priority-queues Q`

BMv2 instances on one host must not share a Thrift port or a notifications socket (both default to the
same values for every instance), so each gets its own. A switch that exits before it serves P4Runtime is
reported with the last lines of its log.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from controller.protocol import constants as c
from softp4 import reference

DEVICE_ID = 1
TARGETS = ("softp4", "bmv2")
START_TIMEOUT = 30.0


class SwitchStartError(RuntimeError):
    """A switch that could not be started or did not come up; the message names it and says why."""


def free_tcp_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago (for switches that cannot pick their own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def file_name(device: str) -> str:
    """A device name (any string in a topology) made safe as a file name in the work directory."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", device)


@dataclass
class SwitchSpec:
    """What one switch process needs: its device name, its ports (switch port -> interface) and queues."""

    name: str
    ports: dict[int, str] = field(default_factory=dict)
    priority_queues: int = 1
    options: list[str] = field(default_factory=list)  # more of softp4's own options (e.g. --packet-in URL)


def softp4_command(spec: SwitchSpec, grpc_addr: str, python: str = sys.executable) -> list[str]:
    cmd = [python, "-m", "softp4", "switch", "--no-p4", "--grpc-server-addr", grpc_addr,
           "--device-id", str(DEVICE_ID), "--cpu-port", str(c.CPU_PORT),
           "--priority-queues", str(spec.priority_queues)]
    for port, ifname in sorted(spec.ports.items()):
        cmd += ["-i", f"{port}@{ifname}"]
    return cmd + spec.options


def bmv2_command(spec: SwitchSpec, grpc_addr: str, workdir: Path, binary: str, thrift: bool) -> list[str]:
    cmd = [binary, "--no-p4", "--device-id", str(DEVICE_ID)]
    for port, ifname in sorted(spec.ports.items()):
        cmd += ["-i", f"{port}@{ifname}"]
    if thrift:  # only builds with Thrift have the option; each instance needs a port of its own
        cmd += ["--thrift-port", str(free_tcp_port())]
    cmd += ["--notifications-addr", f"ipc://{workdir}/{file_name(spec.name)}-notifications.ipc"]
    # simple_switch_grpc's own options come after a bare `--`
    cmd += ["--", "--grpc-server-addr", grpc_addr, "--cpu-port", str(c.CPU_PORT),
            "--priority-queues", str(spec.priority_queues)]
    return cmd


def bmv2_binary() -> tuple[str, bool]:
    """simple_switch_grpc's path and whether it takes --thrift-port; SwitchStartError when it is missing."""
    binary = reference.find_tool("simple_switch_grpc")
    if binary is None:
        raise SwitchStartError(f"TARGET=bmv2: {reference.missing_message('simple_switch_grpc')}")
    return binary, takes_thrift_port(binary)


def takes_thrift_port(binary: str) -> bool:
    """Whether this simple_switch_grpc has --thrift-port (builds with Thrift); SwitchStartError if it cannot run."""
    try:
        usage = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SwitchStartError(f"{binary} --help: {exc}") from None
    return "--thrift-port" in usage.stdout + usage.stderr


# softp4 picks a free port itself (`--grpc-server-addr 127.0.0.1:0`) and names it in its first line, so no
# other process can take the port between choosing and binding it; BMv2 cannot, so it gets one chosen here
SOFTP4_READY = re.compile(r"^softp4 switch: ready: .*P4Runtime on (\S+:\d+)", re.MULTILINE)


def dying_with_parent(command: list[str]) -> list[str]:
    """`command` run so that Linux SIGKILLs it when the thread that started it ends, so a testbed killed
    outright (SIGKILL, where no clean-up runs) leaves no switch behind: through util-linux's `setpriv
    --pdeathsig` (prctl PR_SET_PDEATHSIG, kept across exec). Not a preexec_fn: that makes Python fork the
    whole process, gRPC's threads included, and gRPC's fork handlers then abort the child now and then
    ("epoll_wait error: Bad file descriptor"). Without setpriv the command runs as it is."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else command


class SwitchProcess:
    """A running switch: its device name, gRPC address and log; `stop()` ends it (SIGTERM, then SIGKILL).
    It dies with the process that started it (`dying_with_parent`), however that process ends.

    With `ready`, the gRPC address is the one the switch's log names in the line `ready` matches."""

    def __init__(
        self, spec: SwitchSpec, command: list[str], grpc_addr: str, log: Path, ready: re.Pattern[str] | None = None
    ) -> None:
        self.spec = spec
        self.command = command
        self.grpc_addr = grpc_addr
        self.log = log
        self.ready = ready
        with log.open("w") as out:
            try:
                self.proc = subprocess.Popen(dying_with_parent(command), stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
            except OSError as exc:
                raise SwitchStartError(f"{spec.name}: cannot run {command[0]}: {exc.strerror or exc}") from None

    @property
    def name(self) -> str:
        return self.spec.name

    def wait_serving(self, timeout: float = START_TIMEOUT) -> None:
        """Return once the P4Runtime port accepts connections; SwitchStartError if the switch died or is silent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SwitchStartError(
                    f"{self.name}: the switch exited with status {self.proc.returncode} before serving "
                    f"P4Runtime{self.log_tail()}"
                )
            if self.ready is not None:
                with contextlib.suppress(OSError):
                    found = self.ready.search(self.log.read_text(errors="replace"))
                    if found:
                        self.grpc_addr = found.group(1)
                        return
            else:
                host, port = self.grpc_addr.rsplit(":", 1)
                with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.5):
                    return
            time.sleep(0.05)
        raise SwitchStartError(f"{self.name}: no P4Runtime server on {self.grpc_addr} after {timeout:.0f} s"
                               f"{self.log_tail()}")

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return ""
        return "".join(f"\n    {line}" for line in text) if text else ""

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Launcher(Protocol):
    """Starts a rack's switches some other way than as processes here (testbed.containers: as containers)."""

    def prepare(self) -> None:
        """Called once before the first switch starts; SwitchStartError when no switch could start."""

    def start(self, spec: SwitchSpec, workdir: Path, log: Path | None = None) -> SwitchProcess:
        """Start one switch with no program (see `start`), logging to `log` (default WORKDIR/NAME.log)."""

    def close(self) -> list[str]:
        """Called once the switches are stopped: remove what is left; returns cleanup errors."""


def start(target: str, spec: SwitchSpec, workdir: Path, bmv2: tuple[str, bool] | None = None) -> SwitchProcess:
    """Start one switch with no program (it does not wait for it: see `SwitchProcess.wait_serving`)."""
    log = workdir / f"{file_name(spec.name)}.log"
    if target == "softp4":
        grpc_addr = "127.0.0.1:0"
        return SwitchProcess(spec, softp4_command(spec, grpc_addr), grpc_addr, log, ready=SOFTP4_READY)
    if target == "bmv2":
        grpc_addr = f"127.0.0.1:{free_tcp_port()}"
        binary, thrift = bmv2 or bmv2_binary()
        return SwitchProcess(spec, bmv2_command(spec, grpc_addr, workdir, binary, thrift), grpc_addr, log)
    raise SwitchStartError(f"unknown target '{target}' (expected {' or '.join(TARGETS)})")
