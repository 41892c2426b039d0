"""Every switch of the process testbed as a container: the seam `testbed.processes` starts switches through.

A switch container runs the command a switch process would (`simple_switch_grpc ...` from the BMv2 image,
`python -m softp4 switch ...` from the project's image) and shares the testbed's network namespace
(`--network host`): the veth cables, the lossy relays, the accelerator emulators on their packet sockets,
the taps that print every hop and the controller's P4Runtime connections to 127.0.0.1 work exactly as
with switch processes, and the switch binds the cable ends the topology gives it, by name. So the
container changes what runs the switch (the image's BMv2 and libraries, nothing installed on the host),
not the cabling. (Moving each switch's cable ends into a namespace of its own would hide them from the
taps and from 127.0.0.1, for an isolation nothing here needs; the compose file gives every switch its own
namespace, with a Docker network per cable, where switches sit on different hosts.)

    docker run --rm --name jetstream-<pid>-<n>-<device> --label org.jetstream-p4... --network host \\
        --cap-add NET_ADMIN --cap-add NET_RAW -v WORKDIR:WORKDIR IMAGE simple_switch_grpc --no-p4 ...

The `docker run` client is the switch "process" (its output is the switch's log, its exit the switch's);
stopping it removes the container (`docker rm -f`), and so does leaving the rack by any path. A testbed
killed outright leaves its containers running: the next run removes them (their labels name a pid that
is gone).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from testbed.containers.engine import Docker, DockerError, label_flags, usable
from testbed.containers.images import ImageError, Images
from testbed.processes import switches
from testbed.processes.switches import SwitchProcess, SwitchSpec, SwitchStartError

# the image's own commands, found on its PATH
BMV2_COMMAND = "simple_switch_grpc"
PYTHON_COMMAND = "python"
KINDS = {"bmv2": "bmv2", "softp4": "project"}
_racks = itertools.count()


class ContainerSwitch(SwitchProcess):
    """A switch whose process is the `docker run` client of its container; stopping removes the container."""

    def __init__(self, spec: SwitchSpec, command: list[str], grpc_addr: str, log: Path, docker: Docker,
                 container: str, ready: re.Pattern[str] | None = None) -> None:
        self.docker = docker
        self.container = container
        super().__init__(spec, command, grpc_addr, log, ready)

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(DockerError):
            self.docker.remove("container", [self.container])
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class ContainerSwitches:
    """Starts the switches of one rack as containers of `image` (`target` bmv2 or softp4)."""

    docker: Docker
    target: str
    image: str
    containers: list[str] = field(default_factory=list)
    thrift: bool = False
    prefix: str = field(default_factory=lambda: f"jetstream-{os.getpid()}-{next(_racks)}")

    def prepare(self) -> None:
        """Remove what dead runs left; learn whether the image's simple_switch_grpc takes --thrift-port."""
        self.docker.remove_stale()
        if self.target == "bmv2":
            try:
                usage = self.docker.run(["run", "--rm", "--network", "none", self.image, BMV2_COMMAND, "--help"],
                                        timeout=60, check=False)
            except DockerError as exc:
                raise SwitchStartError(f"{self.image}: {exc}") from None
            if "Usage" not in usage:
                raise SwitchStartError(f"{self.image}: `{BMV2_COMMAND} --help` printed no usage: is it BMv2's image?")
            self.thrift = "--thrift-port" in usage

    def command(self, spec: SwitchSpec, workdir: Path) -> tuple[list[str], str]:
        """The switch's own command inside the container, and the P4Runtime address it will serve."""
        if self.target == "bmv2":
            grpc_addr = f"127.0.0.1:{switches.free_tcp_port()}"
            return switches.bmv2_command(spec, grpc_addr, workdir, BMV2_COMMAND, self.thrift), grpc_addr
        return switches.softp4_command(spec, "127.0.0.1:0", python=PYTHON_COMMAND), "127.0.0.1:0"

    def start(self, spec: SwitchSpec, workdir: Path, log: Path | None = None) -> SwitchProcess:
        workdir = workdir.resolve()
        name = f"{self.prefix}-{switches.file_name(spec.name)}"
        inner, grpc_addr = self.command(spec, workdir)
        command = [self.docker.command, "run", "--rm", "--name", name, *label_flags(), "--network", "host",
                   "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW", "-v", f"{workdir}:{workdir}", "-w", str(workdir),
                   self.image, *inner]
        self.containers.append(name)
        log = log or workdir / f"{switches.file_name(spec.name)}.log"
        ready = switches.SOFTP4_READY if self.target == "softp4" else None
        return ContainerSwitch(spec, command, grpc_addr, log, self.docker, name, ready)

    def close(self) -> list[str]:
        """Remove every container of this rack still there (normally none: each switch's stop removed it)."""
        names, self.containers = self.containers, []
        try:
            present = set(self.docker.run(["ps", "-a", "--format", "{{.Names}}"], timeout=30).split())
        except DockerError as exc:
            return [str(exc)]
        return self.docker.remove("container", [name for name in names if name in present])


def launcher(target: str, image: str | None = None) -> ContainerSwitches:
    """Switch containers for `target`: BMv2's image (`image`, default p4lang/behavioral-model, else a local
    stand-in) or the project's; SwitchStartError saying why when Docker cannot be used here."""
    docker, problem = usable()
    if docker is None:
        raise SwitchStartError(f"docker: {problem}")
    try:
        resolved = Images(docker).resolve(KINDS[target], image)
    except (ImageError, DockerError) as exc:
        raise SwitchStartError(f"docker: {exc}") from None
    return ContainerSwitches(docker, target, resolved)
