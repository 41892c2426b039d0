"""`make ptf`: run the PTF suite in ptf_tests/ against a switch running each program.

For each program (nic, tor) it starts a switch with no pipeline, and runs `ptf` on the program's test
group; the tests push the pipeline and their entries over P4Runtime.

    TARGET=softp4  `softp4 switch --no-p4 --packet-in ipc://...`; PTF speaks nanomsg (`--platform nn`),
                   so no root and no interfaces are needed.
    TARGET=bmv2    `simple_switch_grpc --no-p4 -i N@IFACE ...` on veth cables named as the process testbed
                   names them (`testbed.processes.wiring`: js<pid><run>-<n>a, its peer ...b; root and
                   iproute2 needed); PTF sends and receives on the other ends (`--interface 0-N@...b`).
                   Cables left by a run killed outright are removed by the next.

One test, a module or a group: `--test nic_tests.RxGapIsNackedAndDropped` (`make ptf TEST=...`), repeatable;
the program is the one the test's module or group is for. Anything after `--` goes to ptf (`make ptf
PTF_ARGS=...`): its options as they are (e.g. `-- --test-case-timeout 30`), and its test specifiers
(`nic_tests.RxGapIsNackedAndDropped`, `^nic_tests.RxGapIsNackedAndDropped` to leave one out) to the run of
the program they are for, selections before exclusions, as PTF needs them.

Exit status: 0 if every test passed, 1 if one failed, 2 for a mistake in the arguments, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from controller.protocol import constants as c
from softp4.cliargs import closest
from testbed.containers import switches as containers
from testbed.containers.switches import ContainerSwitches
from testbed.processes.switches import (
    DEVICE_ID,
    SOFTP4_READY,
    Launcher,
    SwitchProcess,
    SwitchSpec,
    SwitchStartError,
    bmv2_binary,
    bmv2_command,
    dying_with_parent,
    free_tcp_port,
    softp4_command,
)
from testbed.processes.wiring import Wiring, WiringError, check_host, remove_stale

ROOT = Path(__file__).resolve().parents[1]
PORTS = {"nic": (1, 2, c.NIC_UPLINK_PORT), "tor": (1, 2, 3, 4)}
# tor.p4 gives the protocol's frames standard_metadata.priority 7 (PRIO_JS); simple_switch drops a packet
# whose priority is not below its number of queues per port, so the ToR runs with 8 of them
PRIORITY_QUEUES = {"nic": 1, "tor": 8}


class RunnerError(RuntimeError):
    pass


def ptf_command() -> str:
    local = Path(sys.executable).parent / "ptf"
    found = str(local) if local.exists() else shutil.which("ptf")
    if found is None:
        raise RunnerError("the `ptf` command is not installed (pip install ptf)")
    return found


@contextlib.contextmanager
def softp4_switch(program: str, workdir: Path, log: Path, launcher: Launcher | None = None
                  ) -> Iterator[tuple[str, list[str]]]:
    """A softp4 switch whose ports are one nanomsg socket; yields its gRPC address and PTF's dataplane flags."""
    url = f"ipc://{workdir}/dataplane.ipc"
    spec = SwitchSpec(program, priority_queues=PRIORITY_QUEUES[program], options=["--packet-in", url])
    if launcher is not None:
        switch = launcher.start(spec, workdir, log)
    else:
        switch = SwitchProcess(spec, softp4_command(spec, "127.0.0.1:0"), "127.0.0.1:0", log, ready=SOFTP4_READY)
    try:
        switch.wait_serving()
        port_set = ",".join(map(str, PORTS[program]))
        yield switch.grpc_addr, ["--platform", "nn", "--device-socket", f"0-{{{port_set}}}@{url}"]
    finally:
        switch.stop()


@contextlib.contextmanager
def bmv2_switch(program: str, workdir: Path, log: Path, launcher: Launcher | None = None
                ) -> Iterator[tuple[str, list[str]]]:
    """simple_switch_grpc on veth cables (`wiring.Wiring`: project-named, so the cables of a run killed
    outright are found and removed by the next); yields its gRPC address and PTF's dataplane flags."""
    binary, thrift = bmv2_binary() if launcher is None else ("", False)
    problem = check_host()
    if problem is not None:
        raise RunnerError(f"TARGET=bmv2: {problem}")
    remove_stale()
    ports = PORTS[program]
    with Wiring() as wiring:
        try:
            cables = {port: wiring.cable(f"{program}:{port} - ptf") for port in ports}
        except WiringError as exc:
            raise RunnerError(f"cabling: {exc}") from None
        spec = SwitchSpec(program, {port: cable.a for port, cable in cables.items()}, PRIORITY_QUEUES[program])
        if launcher is not None:
            switch = launcher.start(spec, workdir, log)
        else:
            grpc_addr = f"127.0.0.1:{free_tcp_port()}"
            switch = SwitchProcess(spec, bmv2_command(spec, grpc_addr, workdir, binary, thrift), grpc_addr, log)
        try:
            switch.wait_serving()
            grpc_addr = switch.grpc_addr
            interfaces: list[str] = []
            for port, cable in cables.items():
                interfaces += ["--interface", f"0-{port}@{cable.b}"]
            yield grpc_addr, interfaces
        finally:
            switch.stop()


def tests_of(program: str) -> list[str]:
    """The PTF tests of `program`'s module, as `module.Class` (ptf_tests/<program>_tests.py)."""
    module = f"{program}_tests"
    text = (ROOT / "ptf_tests" / f"{module}.py").read_text()
    return [f"{module}.{name}" for name in re.findall(r"^@group\([^)]*\)\s*\nclass (\w+)", text, re.M)]


def program_of(spec: str) -> str:
    """The program a test specifier is for: a group (`nic`), a module (`nic_tests`) or a test in it."""
    head = spec.split(".", 1)[0]
    program = head.removesuffix("_tests")
    if program not in PORTS or (head == program and "." in spec):
        raise RunnerError(f"--test {spec}: not a test of ptf_tests/ (give a group {' or '.join(sorted(PORTS))}, "
                          f"a module such as nic_tests, or one test such as nic_tests.RxGapIsNackedAndDropped)")
    if "." in spec and spec not in (known := tests_of(program)):
        close = closest(spec, known, cutoff=0.6)
        hint = f"; did you mean {close}?" if close else f"; its tests are listed in ptf_tests/{head}.py"
        raise RunnerError(f"--test {spec}: ptf_tests/{head}.py has no test '{spec.split('.', 1)[1]}'{hint}")
    return program


def split_selection(ptf_args: list[str]) -> tuple[list[str], list[str]]:
    """PTF's own arguments split into its options and the test specifiers among them (a test, module or group
    of ptf_tests/, `^` in front to exclude it), which choose the switch to start as `--test` does."""
    options: list[str] = []
    specs: list[str] = []
    for arg in ptf_args:
        head = arg.removeprefix("^").split(".", 1)[0]
        is_spec = not arg.startswith("-") and head.removesuffix("_tests") in PORTS
        (specs if is_spec else options).append(arg)
    return options, specs


def run_group(program: str, target: str, build_dir: Path, extra: list[str], specs: list[str] | None = None,
              launcher: Launcher | None = None) -> int:
    p4info = build_dir / program / f"{program}.p4info.txtpb"
    config = build_dir / program / f"{program}.json"
    for path in (p4info, config):
        if not path.is_file():
            raise RunnerError(f"{path} is missing: run `make build` first")
    logs = build_dir / "ptf"
    logs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ptf-") as tmp:
        start = softp4_switch if target == "softp4" else bmv2_switch
        with start(program, Path(tmp), logs / f"{program}-switch.log", launcher) as (grpc_addr, dataplane):
            # PTF evaluates each value as a Python literal
            params = (f"grpcaddr='{grpc_addr}';device_id={DEVICE_ID};p4info='{p4info}';config='{config}';"
                      f"cpu_port={c.CPU_PORT}")
            cmd = [ptf_command(), "--test-dir", str(ROOT / "ptf_tests"), *dataplane, "--test-params", params,
                   "--log-file", str(logs / f"{program}.log"), *extra, *(specs or [program])]
            where = f" (a container of {launcher.image})" if isinstance(launcher, ContainerSwitches) else ""
            print(f"== PTF group '{program}' on {target}{where}", flush=True)
            return subprocess.run(dying_with_parent(cmd), cwd=tmp, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.ptf_runner", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["softp4", "bmv2"], default="softp4")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--program", choices=sorted(PORTS), action="append", help="only this program's group")
    parser.add_argument("--test", action="append", metavar="SPEC",
                        help="only this test (nic_tests.RxGapIsNackedAndDropped), module or group; repeatable")
    parser.add_argument("--docker", nargs="?", const="", metavar="IMAGE",
                        help="run the switch as a container (docs/docker.md): of IMAGE, by default "
                             "p4lang/behavioral-model for bmv2 (else a local stand-in), the project's image for softp4")
    parser.add_argument("ptf_args", nargs="*", help="passed to ptf as they are (after --)")
    args = parser.parse_args(argv)
    options, specs = split_selection(args.ptf_args)
    selected: dict[str, list[str]] = {}
    excluded: dict[str, list[str]] = {}
    try:
        for spec in [*(args.test or []), *specs]:
            if spec.startswith("^"):
                excluded.setdefault(program_of(spec[1:]), []).append(spec)
            else:
                selected.setdefault(program_of(spec), []).append(spec)
    except RunnerError as exc:
        print(f"ptf runner: {exc}", file=sys.stderr)
        return 2
    status = 0
    launcher: ContainerSwitches | None = None
    try:
        if args.docker is not None:
            try:
                launcher = containers.launcher(args.target, args.docker or None)
                launcher.prepare()
            except SwitchStartError as exc:
                print(f"ptf runner: {exc}", file=sys.stderr)
                return 1
        for program in sorted(selected) if selected else args.program or sorted(PORTS):
            # PTF applies its specifiers in order: what is excluded must come after what is selected
            chosen = [*selected.get(program, [program]), *excluded.get(program, [])]
            try:
                code = run_group(program, args.target, args.build_dir.resolve(), options, chosen, launcher)
            except (RunnerError, SwitchStartError, subprocess.CalledProcessError) as exc:
                print(f"ptf runner: {program}: {exc}", file=sys.stderr)
                return 1
            status = status or (1 if code else 0)
    except KeyboardInterrupt:
        print("ptf runner: interrupted; the switch was stopped", file=sys.stderr)
        return 130
    finally:
        for error in launcher.close() if launcher is not None else []:
            print(f"ptf runner: cleanup: {error}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
