"""`python -m testbed.containers.stack compose|swarm`: the compose file of a topology run as a stack, to the end.

    python -m testbed.containers.stack compose [--topology topologies/rack8.toml] [-- DEMO ARGS]
    python -m testbed.containers.stack swarm   [--topology topologies/rack8.toml] [-- DEMO ARGS]
    python -m testbed.containers.stack swarm --hosts HOSTS.toml [...]

Both write the topology's compose file (`controller.compose`) to BUILD/docker/stack/NAME.compose.yaml, find
or build the images (BMv2's and the project's, `images.Images`) and run the stack until its `demo`
service (`testbed.containers.accelerators`) exits; the run's exit status is the demo's.

- compose: `docker-compose -p PROJECT -f FILE up --exit-code-from demo`, every switch a container on
  bridge networks, one per cable;
- swarm: the same file deployed on a Docker Swarm (`docker stack deploy`), every cable an overlay network
  (`JETSTREAM_NETWORK_DRIVER=overlay`). When this host is in no swarm, a one-node swarm is made for the
  run (`docker swarm init --advertise-addr 127.0.0.1`) and left at its end; a swarm that was there is used
  as it is (the stack's services may then land on any of its nodes: docs/docker.md says what that takes);
- swarm --hosts FILE: the stack spread over the hosts of a swarm the file names (`testbed.containers.hosts`):
  each switch on its host, the demo on the first, every cable between two hosts a VXLAN device on each
  of them with a macvlan (passthru) network on it, the images loaded where they are missing.

Leaving by any path (the demo's end, a failure, Ctrl-C, SIGTERM) removes the stack: `docker-compose down`
or `docker stack rm` and waiting until its containers and networks are gone, then the cables between
hosts (their networks, then each host's devices), then the swarm made for the
run (and the docker_gwbridge network it brought, when nothing else uses it). Exit status: the demo's (0 every
byte landed, 1 not), 1 when Docker or the stack failed (one line says why), 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from controller import compose, topology
from controller.plan import PlanError
from softp4.cliargs import Parser
from testbed.containers import hosts
from testbed.containers.engine import Docker, DockerError, clean_up, usable
from testbed.containers.images import PROJECT, ROOT, ImageError, Images
from testbed.processes.demo import sigterm_as_exit

MODES = ("compose", "swarm")
GONE_TIMEOUT = 60.0  # how long a stack's containers and networks may take to go
RUN_TIMEOUT = 600.0  # the demo's own deadlines end it long before this
STACK_LABEL = "com.docker.stack.namespace"
COMPOSE_LABEL = "com.docker.compose.project"
GWBRIDGE = "docker_gwbridge"


class StackError(RuntimeError):
    """The stack could not be run; the message says what failed."""


def parser() -> Parser:
    parser = Parser(prog="python -m testbed.containers.stack", description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=MODES, help="compose: docker-compose on this host; swarm: docker stack deploy")
    parser.add_argument("--topology", type=Path, default=Path("topologies/rack8.toml"),
                        help="a topology of the repository's topologies/ (the demo reads it in the project's "
                             "image; default topologies/rack8.toml)")
    parser.add_argument("--bmv2-image", help="BMv2's image (default p4lang/behavioral-model, else a local stand-in)")
    parser.add_argument("--name", help="the project's or stack's name (default jetstream-PID)")
    parser.add_argument("--file", type=Path, help="where to write the compose file (default build/docker/stack/)")
    parser.add_argument("--hosts", type=Path, metavar="FILE",
                        help="swarm only: spread the stack over the hosts this file names, each switch placed, "
                             "every cable between hosts a VXLAN segment they make (docs/docker.md)")
    parser.epilog = "Options after -- go to the demo service (python -m testbed.containers.accelerators --help)."
    return parser


def image_path(path: Path) -> str:
    """Where the project's image holds `path` (its WORKDIR is the repository): a path in the repository."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(ROOT))
    except ValueError:
        raise StackError(f"{path}: the demo service reads the topology from the project's image, which holds "
                         "this repository only: put the file in topologies/") from None


@dataclass
class Stack:
    """One run of a topology's compose file, in `mode`, on `docker`; `close` removes all of it."""

    docker: Docker
    mode: str
    name: str
    file: Path
    env: dict[str, str]
    topo: topology.Topology
    source: tuple[str, str]  # the topology's path as given, and as the project's image holds it
    segments: hosts.Segments | None = None
    pinned: str = ""  # the project's image tagged for this run alone (others may build theirs meanwhile)
    swarm_made: bool = False
    gwbridge_before: bool = True
    _log: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def run(self) -> int:
        """Bring the stack up and wait for its demo; the demo's exit status."""
        if self.mode == "compose":
            return self._compose()
        return self._swarm()

    def _compose_command(self, *args: str) -> list[str]:
        # --log-level ERROR: not compose's own lines (networks and containers made, keys a swarm alone uses)
        return ["docker-compose", "--ansi", "never", "--log-level", "ERROR", "-p", self.name, "-f", str(self.file),
                *args]

    def _compose(self) -> int:
        try:
            done = subprocess.run(self._compose_command("up", "--no-color", "--exit-code-from", compose.DEMO),
                                  env=self.env, timeout=RUN_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise StackError("no docker-compose command (Debian: apt-get install docker-compose)") from None
        except subprocess.TimeoutExpired:
            raise StackError(f"the stack did not end within {RUN_TIMEOUT:g} s") from None
        return done.returncode

    def _swarm(self) -> int:
        state = self.docker.run(["info", "--format", "{{.Swarm.LocalNodeState}}"], timeout=30).strip()
        if self.segments is not None:
            if state != "active":
                raise StackError("--hosts: this engine is in no swarm: make one of the hosts first (docs/docker.md)")
            self._spread(self.segments)
        elif state != "active":
            self.gwbridge_before = bool(self.docker.run(["network", "ls", "-q", "--filter", f"name=^{GWBRIDGE}$"],
                                                        timeout=30).strip())
            self.docker.run(["swarm", "init", "--advertise-addr", "127.0.0.1"], timeout=60)
            self.swarm_made = True
            print("docker: made a one-node swarm for the run (docker swarm init --advertise-addr 127.0.0.1)",
                  flush=True)
        done = subprocess.run([*self.docker.argv, "stack", "deploy", "--resolve-image", "never", "-c",
                               str(self.file), self.name], env=self.env, capture_output=True, text=True,
                              timeout=120, check=False, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip() or "?").splitlines()[-1]
            raise StackError(f"docker stack deploy: {said}")
        service = f"{self.name}_{compose.DEMO}"
        task = self._wait_task(service)
        # the demo's standard error comes on the command's: both, in the order docker gives them
        logs = subprocess.run([*self.docker.argv, "service", "logs", "--raw", "--no-task-ids", service],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False,
                              stdin=subprocess.DEVNULL)
        print(logs.stdout, end="", flush=True)
        code = self.docker.run(["inspect", "--format", "{{.Status.ContainerStatus.ExitCode}}", task], timeout=30)
        return int(code.strip() or 1)

    def _spread(self, segments: hosts.Segments) -> None:
        """The images on every host, the cables between hosts made, the file written again with them."""
        segments.images([self.env["BMV2_IMAGE"]])
        external = segments.make(self.topo)
        self.file.write_text(compose.render(self.topo, *self.source, placement=segments.placement(self.topo),
                                            external=external))
        where = ", ".join(f"{h.name}: {', '.join(h.place) or 'the rest and the demo'}" for h in segments.hosts.hosts)
        print(f"stack: over {len(segments.hosts.hosts)} hosts ({where}); {len(external)} cables between hosts as "
              f"VXLAN (UDP {segments.hosts.port}, VNI {segments.hosts.vni}+N, MTU {segments.hosts.mtu}): "
              f"{', '.join(external)}", flush=True)

    def _wait_task(self, service: str) -> str:
        """The demo's task once it ended (complete, failed or refused): its id."""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            out = self.docker.run(["service", "ps", "--no-trunc", "--format", "{{.ID}} {{.CurrentState}}|{{.Error}}",
                                   service], timeout=30, check=False)
            for line in out.splitlines():
                task, _, rest = line.partition(" ")
                state, _, error = rest.partition("|")
                if state.startswith(("Complete", "Failed")):
                    return task
                if state.startswith(("Rejected", "Orphaned")):
                    raise StackError(f"{service}: {state.split()[0].lower()}: {error or '?'}")
            time.sleep(0.5)
        raise StackError(f"{service} did not end within {RUN_TIMEOUT:g} s")

    def close(self) -> list[str]:
        """Remove the stack, its containers and networks (waiting until they are gone), then the swarm made
        for the run; the errors, if any."""
        errors: list[str] = []
        label = f"{COMPOSE_LABEL if self.mode == 'compose' else STACK_LABEL}={self.name}"
        try:
            if self.mode == "compose":
                subprocess.run(self._compose_command("down", "-v", "--remove-orphans", "-t", "1"), env=self.env,
                               capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
            else:
                self.docker.run(["stack", "rm", self.name], timeout=60, check=False)
            errors += self._wait_gone(label)
            if self.segments is not None:
                errors += self.segments.close()
            if self.swarm_made:
                self.docker.run(["swarm", "leave", "--force"], timeout=60)
                if not self.gwbridge_before:
                    self.docker.run(["network", "rm", GWBRIDGE], timeout=30, check=False)
            if self.pinned:
                self.docker.run(["rmi", self.pinned], timeout=60, check=False)
        except (DockerError, OSError, subprocess.TimeoutExpired) as exc:
            errors.append(str(exc))
        return errors

    def _wait_gone(self, label: str) -> list[str]:
        deadline = time.monotonic() + GONE_TIMEOUT
        while True:
            containers = self.docker.run(["ps", "-aq", "--filter", f"label={label}"], timeout=30).split()
            networks = self.docker.run(["network", "ls", "-q", "--filter", f"label={label}"], timeout=30).split()
            if not containers and not networks:
                return []
            if time.monotonic() >= deadline:  # force what did not go by itself
                return self.docker.remove("container", containers) + self.docker.remove("network", networks)
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ours, demo_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    try:
        args = parser().parse_args(ours)
    except SystemExit as exc:
        return int(exc.code or 0)
    stack: Stack | None = None
    try:
        with sigterm_as_exit():
            stack = prepare(args, demo_args)
            return stack.run()
    except (StackError, DockerError, ImageError, hosts.HostsError) as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstack: interrupted: removing the stack", file=sys.stderr)
        return 130
    finally:
        if stack is not None:
            clean_up(stack.close)


def subnets_taken(docker: Docker, subnets: set[str]) -> str:
    """'network NAME holds SUBNET' for the first network of the engine on one of `subnets`, else ''."""
    names = docker.run(["network", "ls", "--format", "{{.Name}}"], timeout=30).split()
    if not names:
        return ""
    out = docker.run(["network", "inspect", "--format", "{{.Name}} {{range .IPAM.Config}}{{.Subnet}} {{end}}",
                      *names], timeout=30, check=False)
    for line in out.splitlines():
        name, *held = line.split()
        for subnet in held:
            if subnet in subnets:
                return f"network {name} holds {subnet}"
    return ""


def prepare(args: argparse.Namespace, demo_args: list[str]) -> Stack:
    """The compose file written and the images found: a Stack ready to run."""
    try:
        topo = topology.load(args.topology)
    except (topology.TopologyError, PlanError) as exc:
        raise StackError(str(exc)) from None
    inside = image_path(args.topology)
    if args.hosts is not None and args.mode != "swarm":
        raise StackError("--hosts: only a swarm spans hosts (give `swarm`)")
    spread = hosts.load(args.hosts, topo) if args.hosts is not None else None
    docker, problem = usable()
    if docker is None:
        raise StackError(f"docker: {problem}")
    taken = subnets_taken(docker, {cable.subnet for cable, _ in compose.cable_ends(topo).values()})
    if taken:
        raise StackError(f"{taken}: the stack needs that subnet (remove the network; a copy of a swarm network "
                         "that the engine kept after leaving its swarm goes only when the engine restarts)")
    images = Images(docker)
    bmv2 = images.resolve("bmv2", args.bmv2_image)
    name = args.name or f"jetstream-{os.getpid()}"
    project = f"{PROJECT}-{name}"
    docker.run(["tag", docker.run(["image", "inspect", "--format", "{{.Id}}", images.project()]).strip(), project])
    file = args.file or ROOT / "build" / "docker" / "stack" / f"{topo.name}.compose.yaml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(compose.render(topo, str(args.topology), inside))
    env = {**os.environ, "BMV2_IMAGE": bmv2, "PROJECT_IMAGE": project, "JETSTREAM_DEMO_ARGS": " ".join(demo_args),
           "JETSTREAM_NETWORK_DRIVER": "overlay" if args.mode == "swarm" else "bridge"}
    print(f"stack: {file} ({args.mode}: {len(topo.servers) + 1} switches of {bmv2}, the demo of {project})",
          flush=True)
    segments = hosts.Segments(spread, docker, name) if spread is not None else None
    return Stack(docker, args.mode, name, file, env, topo, (str(args.topology), inside), segments, pinned=project)


if __name__ == "__main__":
    sys.exit(main())
