"""A stack over several hosts of a swarm: the hosts file, and the cables between hosts, made by the hosts.

Docker's overlay carries no JetStream frame between hosts (only frames to a container's own MAC:
docs/docker.md, `python -m testbed.containers.twonode`). So a cable whose two ends are placed on two
hosts is made by those hosts: on each, a VXLAN device of the cable's own VNI whose one remote is the other
host (so it floods every frame there), and on it a Docker `macvlan` network in `passthru` mode, which
hands its one container every frame whatever its destination MAC. The swarm sees them as one network
per cable: a `--config-only` network on each of the two hosts (its parent the device there, an address
range of its own so the two ends never get the same address) and a swarm-scoped `--config-from` network
made on the manager, which the compose file names as external. Cables whose ends share a host stay
overlay networks of the stack. Every switch is placed (`node.id == ...`) on its host, the demo on the
first; `close` removes all of it, the swarm network first, then each host's network and device.

The hosts file (TOML; `docker` and `run` say how to reach a host, default this one):

    port = 4790                      # the VXLAN devices' UDP port (Docker's overlay holds 4789)
    vni = 7700                       # cable N's VNI is vni + N (N as the compose file numbers cables)
    mtu = 1450                       # the devices' and networks' MTU: the underlay's less VXLAN's 50

    [[host]]
    name = "a"                       # the first host: the demo and every switch not placed elsewhere
    address = "192.0.2.1"            # its underlay address: the VXLAN endpoints
    device = "eth0"                  # its underlay interface (optional)

    [[host]]
    name = "b"
    address = "192.0.2.2"
    docker = "ssh://root@b"          # its engine (docker -H)
    run = ["ssh", "root@b"]          # how `ip` runs there
    place = ["server2"]              # the switches on it
"""

from __future__ import annotations

import functools
import subprocess
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path

from controller import compose
from controller.topology import Topology
from testbed.containers.engine import Docker, DockerError, undo_all

LABEL = "org.jetstream-p4.segment"
DEVICE = "jsvx{vni}"  # a cable's VXLAN device on a host
NETWORK = "{stack}-{network}"  # the swarm network of a cable between hosts; its per-host config: ...-config
KEYS = {"port", "vni", "mtu", "host"}
HOST_KEYS = {"name", "address", "device", "docker", "run", "place"}


class HostsError(ValueError):
    """A hosts file that cannot be used; the message names the file and what is wrong."""


@dataclass
class Host:
    name: str
    address: str
    device: str = ""
    docker: Docker = field(default_factory=Docker)
    run: list[str] = field(default_factory=list)
    place: list[str] = field(default_factory=list)

    def ip(self, args: list[str], check: bool = True) -> None:
        """`ip ARGS` on this host."""
        done = subprocess.run([*self.run, "ip", *args], capture_output=True, text=True, timeout=60, check=False,
                              stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            said = (done.stderr.strip() or f"status {done.returncode}").splitlines()[-1]
            raise DockerError(f"{self.name}: `ip {' '.join(args[:4])}`: {said}")


@dataclass
class Hosts:
    hosts: list[Host]
    port: int = 4790
    vni: int = 7700
    mtu: int = 1450

    def host_of(self, service: str) -> Host:
        """The host a service (a switch's, or the demo) is placed on."""
        return next((h for h in self.hosts[1:] if service in h.place), self.hosts[0])


def _typed(path: Path, where: str, key: str, value: object, kind: type) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        what = "a number" if kind is int else "a string"
        raise HostsError(f"{path}: {where}{key}: {value!r} is not {what}")


def load(path: Path, topo: Topology) -> Hosts:
    """The hosts file at `path`, checked against the topology it places; HostsError in one line."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise HostsError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise HostsError(f"{path}: {exc}") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise HostsError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    for key in ("port", "vni", "mtu"):
        if key in data:
            _typed(path, "", key, data[key], int)
    hosts: list[Host] = []
    switches = compose.service_names(topo)  # a switch's name -> its service's
    placed: dict[str, str] = {}
    entries = data.get("host", [])
    if not isinstance(entries, list) or len(entries) < 2:
        raise HostsError(f"{path}: give two or more [[host]] tables (the first holds the demo)")
    for i, entry in enumerate(entries):
        where = f"host {i + 1}: "
        unknown = sorted(set(entry) - HOST_KEYS)
        if unknown:
            raise HostsError(f"{path}: {where}unknown key {unknown[0]!r} (known: {', '.join(sorted(HOST_KEYS))})")
        for key in ("name", "address"):
            if key not in entry:
                raise HostsError(f"{path}: {where}{key} is missing")
        for key in ("name", "address", "device", "docker"):
            if key in entry:
                _typed(path, where, key, entry[key], str)
        for key in ("run", "place"):
            if key in entry and not (isinstance(entry[key], list) and all(isinstance(x, str) for x in entry[key])):
                raise HostsError(f"{path}: {where}{key}: {entry[key]!r} is not a list of strings")
        for name in entry.get("place", []):
            if i == 0:
                raise HostsError(f"{path}: {where}the first host holds every switch not placed elsewhere: "
                                 "give it no place")
            if name not in switches:
                raise HostsError(f"{path}: {where}place: {name!r} is no switch of {topo.name} "
                                 f"({', '.join(sorted(switches))})")
            if name in placed:
                raise HostsError(f"{path}: {where}place: {name!r} is on host {placed[name]!r} already")
            placed[name] = entry["name"]
        hosts.append(Host(entry["name"], entry["address"], entry.get("device", ""),
                          Docker(host=entry.get("docker", "")), list(entry.get("run", [])),
                          [switches[name] for name in entry.get("place", [])]))
    return Hosts(hosts, data.get("port", 4790), data.get("vni", 7700), data.get("mtu", 1450))


def _listed(docker: Docker, name: str) -> bool:
    return bool(docker.run(["network", "ls", "-q", "--filter", f"name=^{name}$"], timeout=30).strip())


def _unlisted(docker: Docker, name: str) -> bool:
    return not _listed(docker, name)


def _wait(what: str, done: Callable[[], bool], wait: float = 30.0) -> None:
    deadline = time.monotonic() + wait
    while not done():
        if time.monotonic() >= deadline:
            raise DockerError(f"{what} after {wait:g} s")
        time.sleep(0.5)


def remove_network(docker: Docker, name: str) -> None:
    """Remove a host's network, again while it is in use (a swarm network's copy on the host is removed
    by the host's agent a moment after the last container left)."""
    def gone() -> bool:
        if _listed(docker, name):
            docker.run(["network", "rm", name], timeout=60, check=False)
        return not _listed(docker, name)
    _wait(f"network {name} still there", gone)


def remove_swarm_network(manager: Docker, ends: list[Host], name: str) -> None:
    """Remove a swarm network once no container on any host of it is attached, then wait until every
    host's copy is gone (removed earlier, a copy whose endpoints are still going stays behind)."""
    def idle(host: Host) -> Callable[[], bool]:
        inspect = ["network", "inspect", "--format", "{{len .Containers}}", name]
        return lambda: host.docker.run(inspect, timeout=30, check=False).strip() in ("", "0")
    for host in ends:
        _wait(f"host {host.name}: containers still on {name}", idle(host))
    manager.run(["network", "rm", name], timeout=60, check=False)
    for host in ends:
        _wait(f"host {host.name}: its copy of {name} still there", functools.partial(_unlisted, host.docker, name))


@dataclass
class Segments:
    """The cables between hosts of one stack, made on the hosts; `close` removes them."""

    hosts: Hosts
    manager: Docker
    stack: str  # the stack's name, which names the networks made for it
    undo: list[Callable[[], object]] = field(default_factory=list)

    def between_hosts(self, topo: Topology) -> dict[str, tuple[compose.Cable, Host, Host]]:
        """The cables whose two ends are placed on two hosts: the cable and its ends' hosts."""
        crossing = {}
        for network, (cable, ends) in compose.cable_ends(topo).items():
            a, b = (self.hosts.host_of(end) for end in ends)
            if a is not b:
                crossing[network] = (cable, a, b)
        return crossing

    def placement(self, topo: Topology) -> dict[str, str]:
        """Every service's placement constraint, the demo's too: the swarm node id of its host (a swarm
        puts a service with none on any node)."""
        ids = {h.name: h.docker.run(["info", "--format", "{{.Swarm.NodeID}}"], timeout=30).strip()
               for h in self.hosts.hosts}
        for name, node in ids.items():
            if not node:
                raise DockerError(f"host {name}: its engine is in no swarm (docker swarm join)")
        services = [*compose.service_names(topo).values(), compose.DEMO]
        return {service: f"node.id == {ids[self.hosts.host_of(service).name]}" for service in services}

    def make(self, topo: Topology) -> dict[str, str]:
        """Every cable between hosts made: network -> the name of its swarm network."""
        made = {}
        for network, (cable, *ends) in self.between_hosts(topo).items():
            vni = self.hosts.vni + cable.number
            device = DEVICE.format(vni=vni)
            name = NETWORK.format(stack=self.stack, network=network)
            halves = list(IPv4Network(cable.subnet).subnets(1))  # an address range per end
            for end, peer, half in ((ends[0], ends[1], halves[0]), (ends[1], ends[0], halves[1])):
                via = ["dev", end.device] if end.device else []
                end.ip(["link", "add", device, "type", "vxlan", "id", str(vni), "local", end.address, "remote",
                        peer.address, "dstport", str(self.hosts.port), *via])
                self.undo.append(functools.partial(end.ip, ["link", "del", device], check=False))
                end.ip(["link", "set", device, "mtu", str(self.hosts.mtu), "up"])
                gateway = str(next(IPv4Network(cable.subnet).hosts()))
                end.docker.run(["network", "create", "--config-only", "--subnet", cable.subnet, "--gateway", gateway,
                                "--ip-range", str(half), "-o", f"parent={device}", "-o", "macvlan_mode=passthru",
                                "-o", f"com.docker.network.driver.mtu={self.hosts.mtu}", "--label", f"{LABEL}=1",
                                f"{name}-config"], timeout=60)
                self.undo.append(functools.partial(remove_network, end.docker, f"{name}-config"))
            if self.hosts.hosts[0] not in ends:  # the manager makes the swarm network from a config of its own
                self.hosts.hosts[0].docker.run(["network", "create", "--config-only", "--subnet", cable.subnet,
                                                "-o", "parent=lo", "--label", f"{LABEL}=1", f"{name}-config"])
                self.undo.append(functools.partial(remove_network, self.manager, f"{name}-config"))
            self.manager.run(["network", "create", "-d", "macvlan", "--scope", "swarm", "--config-from",
                              f"{name}-config", name], timeout=60)
            self.undo.append(functools.partial(remove_swarm_network, self.manager, list(ends), name))
            made[network] = name
        return made

    def images(self, images: list[str]) -> None:
        """Each image onto every host that lacks it (there is no registry: `docker save | docker load`)."""
        for host in self.hosts.hosts:
            for image in images:
                if host.docker.image_exists(image):
                    continue
                save = subprocess.Popen([*self.manager.argv, "save", image], stdout=subprocess.PIPE)
                loaded = subprocess.run([*host.docker.argv, "load"], stdin=save.stdout, capture_output=True,
                                        timeout=600, check=False)
                save.wait()
                if loaded.returncode != 0 or save.returncode != 0:
                    raise DockerError(f"host {host.name}: docker load {image}: "
                                      f"{loaded.stderr.decode().strip() or 'docker save failed'}")
                print(f"stack: {image} loaded on host {host.name}", flush=True)

    def close(self) -> list[str]:
        return undo_all(self.undo)
