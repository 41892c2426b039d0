"""A compose file from a topology: every switch a service of BMv2's image, every cable a Docker network,
and a `demo` service of the project's image holding the accelerators.

`jetstream-ctl compose topologies/rack8.toml > rack8.compose.yaml`, then `docker-compose -f rack8.compose.yaml
up --exit-code-from demo`: the `demo` service (`testbed.containers.accelerators`) programs the switches over
P4Runtime (at `p4runtime-SERVICE`), attaches an accelerator emulator to every PCIe cable and runs the rack
scenario, and its exit status is the run's. Unlike the process testbed, every switch has a network
namespace of its own here, and a cable is a network holding exactly the two ends it joins, so the
services may sit on different hosts (with `JETSTREAM_NETWORK_DRIVER=overlay` on a swarm). Docker names a
container's interfaces eth0, eth1, ... in an order it does not promise, so every cable network gets a
subnet of its own and each end finds its interface by that subnet's route (/proc/net/route) when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.protocol import constants as c
from controller.topology import Topology

GRPC_PORT = 9559  # inside every container; published on the host as GRPC_PORT + the service's index
DEMO = "demo"  # the service of the accelerators and the demo
P4RUNTIME = "p4runtime"  # the controller's network
SUBNET = "10.77.{n}.0/29"  # cable n's network (n from 1); the switches' addresses are never used for traffic


@dataclass(frozen=True)
class Cable:
    number: int  # from 1, in the order of `services`
    network: str
    subnet: str
    route: str  # the subnet's destination as /proc/net/route writes it (little-endian hex)
    what: str


@dataclass
class Service:
    name: str
    queues: int
    ports: dict[int, Cable]


def _cable(n: int, network: str, what: str) -> Cable:
    if n > 255:
        raise ValueError("more than 255 cables: the compose file's 10.77.N.0/29 subnets run out")
    route = "".join(f"{b:02X}" for b in reversed((10, 77, n, 0)))
    return Cable(n, network, SUBNET.format(n=n), route, what)


def services(topo: Topology) -> list[Service]:
    """The ToR first, then every NIC, each with its ports and the cable on each."""
    tor = Service(topo.tor_name, 8, {})  # tor.p4 gives the protocol's frames priority 7: 8 queues
    nics = []
    n = 0
    for server in topo.servers:
        nic = Service(server.name, 1, {})
        n += 1
        what = f"{server.name}'s NIC port {c.NIC_UPLINK_PORT} (uplink) <-> {topo.tor_name} port {server.tor_port}"
        uplink = _cable(n, f"uplink-{server.name}", what)
        nic.ports[c.NIC_UPLINK_PORT] = uplink
        tor.ports[server.tor_port] = uplink
        for acc in server.accelerators:
            n += 1
            what = f"{server.name}'s NIC port {acc.pcie_port} (PCIe) <-> accelerator {acc.name}"
            nic.ports[acc.pcie_port] = _cable(n, f"pcie-{acc.name}", what)
        nics.append(nic)
    return [tor, *nics]


def pcie_cables(topo: Topology) -> dict[str, Cable]:
    """Every accelerator's PCIe cable, by the accelerator's name."""
    nics = {service.name: service for service in services(topo)}
    return {acc.name: nics[server.name].ports[acc.pcie_port] for server in topo.servers for acc in server.accelerators}


def cable_ends(topo: Topology) -> dict[str, tuple[Cable, list[str]]]:
    """Every cable by its network: the cable and the services at its two ends (the demo at a PCIe cable's)."""
    ends: dict[str, tuple[Cable, list[str]]] = {}
    for service in services(topo):
        for cable in service.ports.values():
            ends.setdefault(cable.network, (cable, []))[1].append(_key(service.name))
    for cable in pcie_cables(topo).values():
        ends[cable.network][1].append(DEMO)
    return ends


def service_names(topo: Topology) -> dict[str, str]:
    """Every switch's device name -> its service's name."""
    return {service.name: _key(service.name) for service in services(topo)}


def device_hosts(topo: Topology) -> dict[str, str]:
    """Every switch's device name -> the host name its service answers to on the controller's network: an
    alias there alone (`p4runtime-tor`). The service's own name would resolve on any network the demo
    shares with it, a PCIe cable's too, and P4Runtime's TCP on a cable reaches the emulator as frames."""
    return {name: f"{P4RUNTIME}-{key}" for name, key in service_names(topo).items()}


def render(topo: Topology, source: str, topology_path: str | None = None, placement: dict[str, str] | None = None,
           external: dict[str, str] | None = None) -> str:
    """The compose file, as text (YAML, with the cabling in comments). `topology_path` is where the demo
    service finds the topology in the project's image (default `source`). For a swarm of several hosts:
    `placement` gives services (the demo too) a placement constraint each (`node.id == ...`), and the
    cable networks in `external` (network -> the name the hosts made it under) are used, not made."""
    placement = placement or {}
    external = external or {}
    all_services = services(topo)
    cables = {cable.network: cable for service in all_services for cable in service.ports.values()}
    lines = [
        f"# The switches of {source} ('{topo.name}') as containers of BMv2's image, cabled by Docker networks,",
        "# and the demo that drives them.",
        f"# Generated by `jetstream-ctl compose {source}`: generate it again rather than edit it.",
        "#",
        "# Run the demo: `docker-compose -f FILE up --exit-code-from demo; docker-compose -f FILE down`",
        f"# (or `make stack TOPOLOGY={source}`, which also finds or builds the images; SWARM=1: on a swarm).",
        "# The `demo` service programs every switch over P4Runtime (p4runtime-SERVICE), holds one accelerator",
        "# emulator on every PCIe cable, runs the rack scenario and exits 0 when every byte landed where it must.",
        "#",
        "# Every switch is a service running simple_switch_grpc with no program. Without the demo",
        "# (`up -d tor server1 ...`) the controller programs it over P4Runtime, published on this host:",
        "#",
        f"#   jetstream-ctl apply {source} --build-dir build \\",
    ]
    lines += [f"#       --device {s.name}=127.0.0.1:{GRPC_PORT + i}" + (" \\" if i < len(all_services) - 1 else "")
              for i, s in enumerate(all_services)]
    lines += [
        "#",
        "# Cabling: one network per cable, holding exactly the two ends it joins (a PCIe cable: the NIC's port and",
        "# the demo's emulator of its accelerator). Docker names interfaces eth0,",
        "# eth1, ... in no promised order, so each cable network has a subnet of its own and a switch finds the",
        "# interface of each of its ports by that subnet's route when it starts (`port` below); nothing is ever",
        "# sent to those addresses. BMV2_IMAGE picks the image (default p4lang/behavioral-model);",
        "# JETSTREAM_NETWORK_DRIVER=overlay puts the cables on VXLAN for a swarm, where every service is reached",
        "# by its tasks' addresses (dnsrr) and publishes its port on the host it runs on (docs/docker.md).",
        "",
        "x-cable-end: &cable-end",
        "  cap_add: [NET_ADMIN, NET_RAW]",
        "  stop_grace_period: 1s  # the switch is the container's first process: SIGTERM does not end it",
        "  sysctls:  # the kernel puts nothing of its own (router solicitations, MLD) on a cable",
        "    net.ipv6.conf.all.disable_ipv6: 1",
        "    net.ipv6.conf.default.disable_ipv6: 1",
        "  labels:",
        "    org.jetstream-p4: \"1\"",
        "",
        "x-switch: &switch",
        "  <<: *cable-end",
        "  image: ${BMV2_IMAGE:-p4lang/behavioral-model}",
        "  entrypoint: [\"sh\", \"-c\"]",
        "  deploy: {endpoint_mode: dnsrr}",
        "",
        "services:",
    ]
    for index, service in enumerate(all_services):
        lines += [f"  {_key(service.name)}:", "    <<: *switch"]
        lines += [f"    # port {port}: {cable.what}" for port, cable in sorted(service.ports.items())]
        if _key(service.name) in placement:
            lines += _deployed("endpoint_mode: dnsrr", placement[_key(service.name)], "as x-switch's, placed")
        lines += ["    networks:", f"      {P4RUNTIME}: {{aliases: [{P4RUNTIME}-{_key(service.name)}]}}"]
        lines += [f"      {cable.network}: {{}}" for _, cable in sorted(service.ports.items())]
        lines += [f"    ports: [{{target: {GRPC_PORT}, published: {GRPC_PORT + index}, mode: host}}]", "    command:",
                  "      - |"]
        lines += [f"        {line}" for line in _script(service)]
    pcie = pcie_cables(topo)
    lines += [
        f"  {DEMO}:",
        "    <<: *cable-end",
        "    image: ${PROJECT_IMAGE:-jetstream/jetstream:dev}",
        "    # the accelerators: one emulator per PCIe cable, each on the interface of its cable's subnet;",
        "    # the controller: programs every switch at its alias on p4runtime; then the writes and the check",
        "    # (the topology as the image holds it: its WORKDIR is the repository)",
        f"    command: python -m testbed.containers.accelerators --topology {topology_path or source} "
        "${JETSTREAM_DEMO_ARGS:-}",
        f"    depends_on: [{', '.join(_key(s.name) for s in all_services)}]",
        *_deployed("restart_policy: {condition: none}", placement.get(DEMO), "a swarm runs it once"),
        "    networks:",
        "      p4runtime: {}",
    ]
    lines += [f"      {cable.network}: {{}}  # {name}" for name, cable in pcie.items()]
    lines += ["", "networks:", "  p4runtime:  # the controller's: P4Runtime only",
              "    labels: {org.jetstream-p4: \"1\"}"]
    for cable in cables.values():
        if cable.network in external:
            lines += [f"  {cable.network}:  # {cable.what}: between two hosts, made by them (docs/docker.md)",
                      "    external: true", f"    name: {external[cable.network]}"]
            continue
        lines += [
            f"  {cable.network}:  # {cable.what}",
            "    driver: ${JETSTREAM_NETWORK_DRIVER:-bridge}",
            "    internal: true",
            f"    ipam: {{config: [{{subnet: {cable.subnet}}}]}}",
            "    labels: {org.jetstream-p4: \"1\"}",
        ]
    return "\n".join(lines) + "\n"


def _deployed(what: str, constraint: str | None, comment: str) -> list[str]:
    """A service's `deploy` line: `what`, and its placement constraint when it has one (a merge key does not
    merge inside `deploy`, so a placed switch says all of it again)."""
    placed = f", placement: {{constraints: [\"{constraint}\"]}}" if constraint else ""
    return [f"    deploy: {{{what}{placed}}}  # {comment}"]


def _script(service: Service) -> list[str]:
    """The service's shell command: find each port's interface by its cable's route, then run the switch."""
    lines = [
        "# port ROUTE: the interface whose connected route is ROUTE (waits up to 30 s for the network)",
        "port() { for _ in $$(seq 150); do i=$$(awk -v r=\"$$1\" '$$2 == r { print $$1 }' /proc/net/route)",
        "  [ -n \"$$i\" ] && echo \"$$i\" && return; sleep 0.2; done; echo \"no interface for $$1\" >&2; exit 1; }",
        "exec simple_switch_grpc --no-p4 --device-id 1 \\",
    ]
    lines += [f"  -i {port}@$$(port {cable.route}) \\" for port, cable in sorted(service.ports.items())]
    lines.append(f"  -- --grpc-server-addr 0.0.0.0:{GRPC_PORT} --cpu-port {c.CPU_PORT} "
                 f"--priority-queues {service.queues}")
    return lines


def _key(name: str) -> str:
    """A service name compose accepts (lower case, digits, '-', '_')."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower())
