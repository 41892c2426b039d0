"""`python -m testbed.containers.twonode`: which frames a cable between two Docker hosts carries, measured here.

A second Docker engine runs on this machine in a network namespace of its own (`dockerd --data-root
--exec-root` under `nsenter --net`), reached over a veth pair that stands for the hosts' underlay, and the
two engines form a swarm. Then raw frames, the kinds the rack's cables carry, go from a container on one
engine to a container on the other, three of each, over three kinds of cable:

    overlay            Docker's VXLAN overlay network (attachable, internal), as the stack uses on a swarm
    overlay+flood      the same with a flood entry (00:00:00:00:00:00 -> the peer) on the sender's VXLAN device
    macvlan-passthru   a macvlan network (passthru) on a VXLAN device per cable that the hosts make themselves

The frames are sent and counted by this module itself, run in each container's network namespace with
`nsenter` (the containers only sleep, in the base image). A table says how many of each crossed; the
receiving interface is promiscuous, as a switch's port is. Everything made is removed at the end (also on
failure or Ctrl-C): containers, networks, the swarm (it must not be in one before), the second engine, its
namespace and directories, the veth pair and VXLAN devices. Exit status: 0 measured, 1 it could not be,
2 usage, 130 interrupted. docs/docker.md shows the table and what follows from it.

`--rack [--place SWITCH]... [-- DEMO ARGS]`: rack8's stack over the two engines instead
(`python -m testbed.containers.stack swarm --hosts`, a hosts file written for them): SWITCH (default
server2) on the second engine, the rest and the demo on this one, the cables between them VXLAN devices
the two make (UDP 4790, MTU 1450 on the veth's 1500); its exit status is the stack's.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from softp4.cliargs import Parser
from testbed.containers.engine import Docker, DockerError, clean_up, undo_all, usable
from testbed.containers.images import ImageError, Images
from testbed.processes.demo import sigterm_as_exit

NETNS = "jetstream-node2"
UNDERLAY = ("jetstream-u1", "jetstream-u2")  # the veth pair: this host's end, the second engine's
ADDRESSES = ("10.99.0.1", "10.99.0.2")
NODE2 = Path("/run/jetstream-node2")  # the second engine's exec root (its socket beside it)
NODE2_DATA = Path("/var/lib/jetstream-node2")
SOCKET = Path("/run/jetstream-node2.sock")
VXLAN_DEVICE, VXLAN_ID, VXLAN_PORT = "jetstream-vx1", 101, 4790  # the hosts' own cable (4789 is Docker's)
SUBNET = "10.78.{n}.0/29"  # the probe networks' subnets: one each, as a swarm network goes in its own time
COPIES = 3
SIOCGIFHWADDR = 0x8927
KINDS = ("overlay", "overlay+flood", "macvlan-passthru")


def frames(sender_mac: str, receiver_mac: str) -> dict[str, bytes]:
    """The frames sent, by what they are (MACs as 12 hex digits)."""
    return {
        "EtherType 0x88b5 to the receiver's MAC": bytes.fromhex(receiver_mac + sender_mac + "88b5") + bytes(64),
        "JetStream to a NIC MAC": bytes.fromhex("024a53000002" + sender_mac + "88b5") + bytes(64),
        "JetStream to a group MAC": bytes.fromhex("034a53000001" + sender_mac + "88b5") + bytes(64),
        "a TLP (memory write, even tag)": bytes.fromhex("400000100100020f00001000") + bytes(64),
    }


def _interface(route: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == route:
                return fields[0]
        time.sleep(0.1)
    raise SystemExit(f"no interface with the route {route}")


def _mac(ifname: str) -> str:
    """The interface's MAC (12 hex digits), asked of this network namespace (/sys shows the mounter's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, struct.pack("256s", ifname.encode()[:15]))
    return request[18:24].hex()


def subnet(kind: str) -> tuple[str, str]:
    """The subnet of the probe network of `kind`, and its route as /proc/net/route writes it."""
    n = 9 + KINDS.index(kind)
    return SUBNET.format(n=n), f"00{n:02X}4E0A"


def probe(argv: list[str]) -> int:
    """In a container's namespace: `ROUTE mac`, `ROUTE send RECEIVER_MAC` or `ROUTE receive SENDER_MAC SECONDS`."""
    ifname = _interface(argv.pop(0))
    if argv[0] == "mac":
        print(_mac(ifname))
        return 0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
    s.bind((ifname, 0))
    if argv[0] == "send":
        for _ in range(COPIES):
            for frame in frames(_mac(ifname), argv[1]).values():
                s.send(frame)
            time.sleep(0.1)
        return 0
    subprocess.run(["ip", "link", "set", ifname, "promisc", "on"], check=True)
    wanted = frames(argv[1], _mac(ifname))
    seen = dict.fromkeys(wanted, 0)
    print("ready", flush=True)
    s.settimeout(float(argv[2]))
    with contextlib.suppress(socket.timeout):
        while True:
            got = s.recv(65536)
            for name, frame in wanted.items():
                seen[name] += got[: len(frame)] == frame
    print("\n".join(f"{count} {name}" for name, count in seen.items()))
    return 0


def _run(command: list[str], check: bool = True, timeout: float = 60) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        lines = [line for line in (done.stderr.strip() or done.stdout.strip()).splitlines()
                 if line and "--help' for more" not in line]
        said = lines[-1] if lines else f"status {done.returncode}"
        raise DockerError(f"`{' '.join(command[:4])}`: {said}")
    return done.stdout


class TwoNodes:
    """This host's engine and a second one in a network namespace, a swarm of the two; `close` undoes all."""

    def __init__(self, docker: Docker) -> None:
        self.one = docker
        self.undo: list[Callable[[], object]] = []
        self.daemon: subprocess.Popen[bytes] | None = None

    def node2(self, args: list[str], timeout: float = 120) -> str:
        return _run([self.one.command, "-H", f"unix://{SOCKET}", *args], timeout=timeout)

    def up(self, image: str) -> None:
        if self.one.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).strip() != "inactive":
            raise DockerError("this engine is in a swarm already: leave it first (docker swarm leave)")
        _run(["ip", "netns", "add", NETNS])
        self.undo.append(lambda: _run(["ip", "netns", "del", NETNS], check=False))
        _run(["ip", "link", "add", UNDERLAY[0], "type", "veth", "peer", "name", UNDERLAY[1]])
        self.undo.append(lambda: _run(["ip", "link", "del", UNDERLAY[0]], check=False))
        _run(["ip", "link", "set", UNDERLAY[1], "netns", NETNS])
        _run(["ip", "addr", "add", f"{ADDRESSES[0]}/24", "dev", UNDERLAY[0]])
        _run(["ip", "link", "set", UNDERLAY[0], "up"])
        self.in_node2(["ip", "addr", "add", f"{ADDRESSES[1]}/24", "dev", UNDERLAY[1]])
        self.in_node2(["ip", "link", "set", UNDERLAY[1], "up"])
        self.in_node2(["ip", "link", "set", "lo", "up"])
        NODE2.mkdir(parents=True, exist_ok=True)
        self.undo.append(lambda: shutil.rmtree(NODE2_DATA, ignore_errors=True))
        self.undo.append(lambda: shutil.rmtree(NODE2, ignore_errors=True))
        dockerd = shutil.which("dockerd") or "dockerd"
        # nsenter --net, not `ip netns exec`: that one mounts a /sys of its own, hiding the cgroups
        self.daemon = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{NETNS}", dockerd, "--data-root", str(NODE2_DATA), "--exec-root",
             str(NODE2), "-H", f"unix://{SOCKET}", "--pidfile", f"{NODE2}.pid", "--iptables=false",
             "--bridge=none", "--cgroup-parent=jetstream-node2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
        self.undo.append(self._stop_daemon)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.node2(["info", "--format", "{{.ServerVersion}}"], timeout=10)
                break
            except DockerError:
                if time.monotonic() > deadline or self.daemon.poll() is not None:
                    raise DockerError("the second engine did not answer within 60 s") from None
                time.sleep(0.5)
        save = subprocess.Popen([self.one.command, "save", image], stdout=subprocess.PIPE)
        loaded = subprocess.run([self.one.command, "-H", f"unix://{SOCKET}", "load"], stdin=save.stdout,
                                capture_output=True, timeout=300, check=False)
        save.wait()
        if loaded.returncode != 0:
            raise DockerError(f"docker load on the second engine: {loaded.stderr.decode().strip()}")
        self.one.run(["swarm", "init", "--advertise-addr", ADDRESSES[0], "--listen-addr", f"{ADDRESSES[0]}:2377"])
        self.undo.append(lambda: self.one.run(["network", "rm", "docker_gwbridge"], check=False))  # after leaving
        self.undo.append(lambda: self.one.run(["swarm", "leave", "--force"], check=False))
        token = self.one.run(["swarm", "join-token", "-q", "worker"]).strip()
        self.node2(["swarm", "join", "--token", token, "--advertise-addr", ADDRESSES[1], f"{ADDRESSES[0]}:2377"])
        self.undo.append(lambda: self.node2(["swarm", "leave", "--force"]))
        deadline = time.monotonic() + 60
        while self.one.run(["node", "ls", "--format", "{{.Status}}"]).split().count("Ready") < 2:
            if time.monotonic() > deadline:
                raise DockerError("the second engine did not become a ready node of the swarm within 60 s")
            time.sleep(0.5)

    def in_node2(self, command: list[str]) -> str:
        return _run(["nsenter", f"--net=/run/netns/{NETNS}", *command])

    def _stop_daemon(self) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()

    def close(self) -> list[str]:
        return undo_all(self.undo)


@contextlib.contextmanager
def _cable(nodes: TwoNodes, kind: str, image: str) -> Iterator[tuple[int, int, str]]:
    """A network of `kind` between the engines, a sleeping container on each: their pids, the network's id."""
    made: list[Callable[[], object]] = []
    network = f"jetstream-probe-{KINDS.index(kind)}"
    cidr = subnet(kind)[0]
    try:
        if kind.startswith("overlay"):
            nodes.one.run(["network", "create", "-d", "overlay", "--attachable", "--internal", "--subnet", cidr,
                           network])
            made.append(lambda: nodes.one.run(["network", "rm", network], check=False))
        else:
            ends = ((ADDRESSES[0], ADDRESSES[1], UNDERLAY[0], _run), (ADDRESSES[1], ADDRESSES[0], UNDERLAY[1],
                                                                      nodes.in_node2))
            for address, peer, underlay, run in ends:
                run(["ip", "link", "add", VXLAN_DEVICE, "type", "vxlan", "id", str(VXLAN_ID), "remote", peer,
                     "local", address, "dstport", str(VXLAN_PORT), "dev", underlay])
                run(["ip", "link", "set", VXLAN_DEVICE, "up"])
            made.append(lambda: _run(["ip", "link", "del", VXLAN_DEVICE], check=False))
            for engine in (nodes.one.run, nodes.node2):
                engine(["network", "create", "-d", "macvlan", "-o", f"parent={VXLAN_DEVICE}", "-o",
                        "macvlan_mode=passthru", "--internal", "--subnet", cidr, network])
            made.append(lambda: nodes.node2(["network", "rm", network]))
            made.append(lambda: nodes.one.run(["network", "rm", network], check=False))
        pids = []
        for engine, name, host in ((nodes.one.run, "jetstream-sender", 2), (nodes.node2, "jetstream-receiver", 3)):
            # macvlan: addresses of their own, since Docker derives the MAC from the address and each engine
            # would give .2; not on the overlay, where a worker's attachment with a fixed address times out
            fixed = ["--ip", cidr.replace(".0/29", f".{host}")] if kind == "macvlan-passthru" else []
            engine(["run", "-d", "--rm", "--name", name, "--network", network, *fixed, image, "sleep", "300"])
            made.append(functools.partial(engine, ["rm", "-f", name]))
            pids.append(int(engine(["inspect", "--format", "{{.State.Pid}}", name]).strip()))
        yield pids[0], pids[1], nodes.one.run(["network", "inspect", "--format", "{{.Id}}", network]).strip()
    finally:
        for step in reversed(made):
            with contextlib.suppress(DockerError, OSError, subprocess.SubprocessError):
                step()


def _in(pid: int, kind: str, *args: str) -> list[str]:
    return ["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-m", "testbed.containers.twonode", "--probe",
            subnet(kind)[1], *args]


def measure(nodes: TwoNodes, kind: str, image: str) -> dict[str, int]:
    """How many of each frame crossed a cable of `kind`."""
    with _cable(nodes, kind, image) as (sender, receiver, network):
        if kind == "overlay+flood":  # the overlay's namespace on the sender's host: 1- and the id's first 10
            _run(["nsenter", f"--net=/run/docker/netns/1-{network[:10]}", "bridge", "fdb", "append",
                  "00:00:00:00:00:00", "dev", "vxlan0", "dst", ADDRESSES[1]])
        sender_mac = _run(_in(sender, kind, "mac")).strip()
        receiver_mac = _run(_in(receiver, kind, "mac")).strip()
        listen = subprocess.Popen(_in(receiver, kind, "receive", sender_mac, "3"), stdout=subprocess.PIPE, text=True)
        assert listen.stdout is not None
        listen.stdout.readline()  # ready
        _run(_in(sender, kind, "send", receiver_mac))
        out, _ = listen.communicate(timeout=60)
    counts = {}
    for line in out.splitlines():
        count, _, name = line.partition(" ")
        counts[name] = int(count)
    return counts


def hosts_file(place: list[str]) -> str:
    """The hosts file (testbed.containers.hosts) of the two engines, `place` on the second."""
    return "\n".join([
        "# this machine's engine and the second one (python -m testbed.containers.twonode --rack)",
        "port = 4790  # Docker's overlay holds 4789",
        "vni = 7800   # cable N: VNI 7800 + N, device jsvx78NN on each engine",
        "mtu = 1450   # the veth underlay's 1500 less VXLAN's 50",
        "",
        "[[host]]",
        'name = "one"',
        f'address = "{ADDRESSES[0]}"',
        f'device = "{UNDERLAY[0]}"',
        "",
        "[[host]]",
        'name = "two"',
        f'address = "{ADDRESSES[1]}"',
        f'device = "{UNDERLAY[1]}"',
        f'docker = "unix://{SOCKET}"',
        f'run = ["nsenter", "--net=/run/netns/{NETNS}"]',
        f"place = [{', '.join(repr(name).replace(chr(39), chr(34)) for name in place)}]",
        "",
    ])


def rack(nodes: TwoNodes, docker: Docker, place: list[str], demo_args: list[str]) -> int:
    """rack8's stack over the two engines: the stack's exit status."""
    from testbed.containers import stack  # the stack's module imports much this one's probe needs not

    images = Images(docker)
    nodes.up(images.resolve("bmv2"))
    file = NODE2.parent / "jetstream-node2.hosts.toml"
    file.write_text(hosts_file(place))
    nodes.undo.append(file.unlink)
    topo = stack.ROOT / "topologies" / "rack8.toml"
    return stack.main(["swarm", "--hosts", str(file), "--topology", str(topo), *(["--", *demo_args] if demo_args
                                                                                 else [])])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--probe"]:
        return probe(argv[1:])
    ours, demo_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = Parser(prog="python -m testbed.containers.twonode", description=__doc__.splitlines()[0])
    parser.add_argument("--cable", choices=KINDS, action="append", help="measure only this kind (repeatable)")
    parser.add_argument("--rack", action="store_true", help="run rack8's stack over the two engines instead")
    parser.add_argument("--place", action="append", metavar="SWITCH",
                        help="with --rack: a switch on the second engine (repeatable; default server2)")
    try:
        args = parser.parse_args(ours)
    except SystemExit as exc:
        return int(exc.code or 0)
    docker, problem = usable()
    if docker is None:
        print(f"twonode: {problem}", file=sys.stderr)
        return 1
    nodes = TwoNodes(docker)
    try:
        with sigterm_as_exit():
            if args.rack:
                return rack(nodes, docker, args.place or ["server2"], demo_args)
            image = Images(docker).resolve("base")
            nodes.up(image)
            results = {kind: measure(nodes, kind, image) for kind in args.cable or KINDS}
    except (DockerError, ImageError, subprocess.SubprocessError) as exc:
        print(f"twonode: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ntwonode: interrupted: removing the second engine", file=sys.stderr)
        return 130
    finally:
        clean_up(nodes.close)
    print(table(results))
    return 0


def table(results: dict[str, dict[str, int]]) -> str:
    names = list(next(iter(results.values())))
    head = ["frame", *results]
    rows = [head, *([name, *(f"{counts[name]}/{COPIES}" for counts in results.values())] for name in names)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
