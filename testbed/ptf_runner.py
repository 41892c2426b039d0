"""`make ptf`: run the PTF suite in ptf_tests/ against a switch running each program.

For each program (nic, tor) it starts a switch with no pipeline, and runs `ptf` on the program's test
group; the tests push the pipeline and their entries over P4Runtime.

    TARGET=softp4  `softp4 switch --no-p4 --packet-in ipc://...`; PTF speaks nanomsg (`--platform nn`),
                   so no root and no interfaces are needed.
    TARGET=bmv2    `simple_switch_grpc --no-p4 -i N@swN ...` on veth pairs (root and iproute2 needed);
                   PTF sends and receives on the other ends (`--interface 0-N@ptfN`).

Exit status: 0 if every group passed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from controller.protocol import constants as c

ROOT = Path(__file__).resolve().parents[1]
PORTS = {"nic": (1, 2, c.NIC_UPLINK_PORT), "tor": (1, 2, 3, 4)}
DEVICE_ID = 1
# tor.p4 gives the protocol's frames standard_metadata.priority 7 (PRIO_JS); simple_switch drops a packet
# whose priority is not below its number of queues per port, so the ToR runs with 8 of them
PRIORITY_QUEUES = {"nic": 1, "tor": 8}


class RunnerError(RuntimeError):
    pass


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_tcp(address: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RunnerError(f"the switch exited with status {proc.returncode} before serving P4Runtime")
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.5):
            return
        time.sleep(0.2)
    raise RunnerError(f"no P4Runtime server on {address} after {timeout:.0f} s")


def ptf_command() -> str:
    local = Path(sys.executable).parent / "ptf"
    found = str(local) if local.exists() else shutil.which("ptf")
    if found is None:
        raise RunnerError("the `ptf` command is not installed (pip install ptf)")
    return found


@contextlib.contextmanager
def softp4_switch(
    ports: tuple[int, ...], queues: int, workdir: Path, grpc_addr: str, log: Path
) -> Iterator[list[str]]:
    url = f"ipc://{workdir}/dataplane.ipc"
    cmd = [sys.executable, "-m", "softp4", "switch", "--no-p4", "--packet-in", url, "--grpc-server-addr", grpc_addr,
           "--device-id", str(DEVICE_ID), "--cpu-port", str(c.CPU_PORT), "--priority-queues", str(queues)]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_tcp(grpc_addr, proc)
            port_set = ",".join(map(str, ports))
            yield ["--platform", "nn", "--device-socket", f"0-{{{port_set}}}@{url}"]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def bmv2_switch(ports: tuple[int, ...], queues: int, grpc_addr: str, log: Path) -> Iterator[list[str]]:
    binary = shutil.which("simple_switch_grpc")
    if binary is None:
        raise RunnerError("TARGET=bmv2 needs simple_switch_grpc on PATH")
    if os.geteuid() != 0 or shutil.which("ip") is None:
        raise RunnerError("TARGET=bmv2 needs root and iproute2 to create veth pairs")
    made = []
    try:
        for port in ports:
            sw, peer = f"sw{port}", f"ptf{port}"
            subprocess.run(["ip", "link", "add", sw, "type", "veth", "peer", "name", peer], check=True)
            made.append(sw)
            for name in (sw, peer):
                subprocess.run(["ip", "link", "set", name, "up"], check=True)
                subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{name}.disable_ipv6=1"], check=False)
        cmd = [binary, "--no-p4", "--device-id", str(DEVICE_ID), "--log-file", str(log.with_suffix(""))]
        for port in ports:
            cmd += ["-i", f"{port}@sw{port}"]
        # target options of simple_switch_grpc come after `--`
        cmd += ["--", "--grpc-server-addr", grpc_addr, "--cpu-port", str(c.CPU_PORT), "--priority-queues", str(queues)]
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
            try:
                wait_for_tcp(grpc_addr, proc)
                interfaces: list[str] = []
                for port in ports:
                    interfaces += ["--interface", f"0-{port}@ptf{port}"]
                yield interfaces
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    finally:
        for sw in made:
            subprocess.run(["ip", "link", "del", sw], check=False)


def run_group(program: str, target: str, build_dir: Path, extra: list[str]) -> int:
    p4info = build_dir / program / f"{program}.p4info.txtpb"
    config = build_dir / program / f"{program}.json"
    for path in (p4info, config):
        if not path.is_file():
            raise RunnerError(f"{path} is missing: run `make build` first")
    ports = PORTS[program]
    grpc_addr = f"127.0.0.1:{free_tcp_port()}"
    logs = build_dir / "ptf"
    logs.mkdir(parents=True, exist_ok=True)
    # PTF evaluates each value as a Python literal
    params = f"grpcaddr='{grpc_addr}';device_id={DEVICE_ID};p4info='{p4info}';config='{config}';cpu_port={c.CPU_PORT}"
    with tempfile.TemporaryDirectory(prefix="ptf-") as tmp:
        switch = (
            softp4_switch(ports, PRIORITY_QUEUES[program], Path(tmp), grpc_addr, logs / f"{program}-switch.log")
            if target == "softp4"
            else bmv2_switch(ports, PRIORITY_QUEUES[program], grpc_addr, logs / f"{program}-switch.log")
        )
        with switch as dataplane:
            cmd = [ptf_command(), "--test-dir", str(ROOT / "ptf_tests"), *dataplane, "--test-params", params,
                   "--log-file", str(logs / f"{program}.log"), *extra, program]
            print(f"== PTF group '{program}' on {target}", flush=True)
            return subprocess.run(cmd, cwd=tmp, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.ptf_runner", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["softp4", "bmv2"], default="softp4")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--program", choices=sorted(PORTS), action="append", help="only this program's group")
    parser.add_argument("ptf_args", nargs="*", help="passed to ptf (after --)")
    args = parser.parse_args(argv)
    status = 0
    for program in args.program or sorted(PORTS):
        try:
            code = run_group(program, args.target, args.build_dir.resolve(), args.ptf_args)
        except (RunnerError, subprocess.CalledProcessError) as exc:
            print(f"ptf runner: {program}: {exc}", file=sys.stderr)
            return 2
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main())
