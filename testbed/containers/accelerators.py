"""`python -m testbed.containers.accelerators`: the accelerators and the demo of a compose stack (docs/docker.md).

The `demo` service of a compose file (`jetstream-ctl compose`) runs this in the project's image, attached
to the controller's network and to every PCIe cable's network. It finds the interface of each PCIe cable
by that cable's subnet (`controller.compose.pcie_cables`: the route in /proc/net/route), waits until every
switch service serves P4Runtime at SERVICE:9559, and then does what the process testbed does with switches
it started itself (`testbed.processes.rack.ProcessRack.attach`): the controller pushes the programs and
every entry, an emulator (`testbed.accelerator`) sits on each PCIe interface on a packet socket, and the
rack scenario (`testbed.scenario`: the all-gather, the all-to-all) runs and is checked byte for byte. No
frame is lost on purpose here (the lossy relays of `--loss` live on the process testbed's uplinks).

Exit status: 0 every byte landed where it must, 1 it did not or the rack could not be reached (one line
says why), 2 usage, 130 Ctrl-C or SIGTERM (`docker-compose stop`).
"""

from __future__ import annotations

import argparse
import logging
import random
import socket
import sys
import time
from pathlib import Path

from controller import compose, topology
from controller.plan import PlanError
from controller.runtime import DeviceAddress
from softp4.cliargs import Parser, integer, number
from testbed import scenario
from testbed.processes import switches
from testbed.processes.demo import ProcessBed, sigterm_as_exit
from testbed.processes.rack import ProcessRack, RackError

ROUTES = Path("/proc/net/route")
IPV6_MULTICAST = b"\x33\x33"  # an Ethernet destination of 33:33:*: IPv6 multicast (MLD reports, solicitations)
ETHERTYPE_IPV6 = b"\x86\xdd"


def host_chatter(frame: bytes) -> bool:
    """An IPv6 multicast frame of the host's own kernel: a Docker network is a Linux bridge (or an overlay's)
    whose interface and veth ends on the host's side have IPv6 on, and they send MLD reports onto every
    cable. No TLP starts with these bytes (0x33 is a message request, which no NIC sends), so the
    emulators skip them."""
    return frame[:2] == IPV6_MULTICAST and frame[12:14] == ETHERTYPE_IPV6


def parser() -> Parser:
    parser = Parser(prog="python -m testbed.containers.accelerators", description=__doc__.splitlines()[0])
    parser.add_argument("--topology", type=Path, required=True, help="the topology the compose file was made from")
    parser.add_argument("--build-dir", type=Path, default=Path("build"),
                        help="the programs (default build: the image's, compiled by softp4)")
    parser.add_argument("--target", choices=switches.TARGETS, default="bmv2", help="what the switches run (bmv2)")
    parser.add_argument("--phase", choices=scenario.PHASES, action="append", help="run only this phase (repeatable)")
    parser.add_argument("--bytes", type=integer(1, 1 << 30), metavar="N", help="at most this many bytes per slice")
    parser.add_argument("--seed", type=int, default=4, help="seed of the data (default 4)")
    parser.add_argument("--deadline", type=number(0.1, 3600), default=20.0, metavar="SECONDS",
                        help="give up waiting for ACKs after this long, per phase (default 20)")
    parser.add_argument("--wait", type=number(0.1, 3600), default=60.0, metavar="SECONDS",
                        help="how long the interfaces and the switches may take to appear (default 60)")
    return parser


def interface_of(route: str, table: str) -> str | None:
    """The interface whose connected route's destination is `route` (as /proc/net/route writes it)."""
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 1 and fields[1] == route:
            return fields[0]
    return None


def find_interfaces(topo: topology.Topology, wait: float) -> dict[str, str]:
    """Every accelerator's PCIe interface here; RackError naming the cables whose network is not attached."""
    cables = compose.pcie_cables(topo)
    deadline = time.monotonic() + wait
    while True:
        table = ROUTES.read_text()
        found = {name: interface_of(cable.route, table) for name, cable in cables.items()}
        missing = [cables[name].network for name, ifname in found.items() if ifname is None]
        if not missing:
            return {name: ifname for name, ifname in found.items() if ifname is not None}
        if time.monotonic() >= deadline:
            raise RackError(f"no interface on the network of {', '.join(missing)} after {wait:g} s: is this "
                            "container attached to every PCIe cable's network?")
        time.sleep(0.2)


def wait_serving(devices: list[DeviceAddress], wait: float) -> None:
    """Return once every switch accepts a TCP connection on its P4Runtime port; RackError after `wait` s."""
    deadline = time.monotonic() + wait
    for device in devices:
        host, _, port = device.address.rpartition(":")
        while True:
            try:
                with socket.create_connection((host, int(port)), timeout=1.0):
                    break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise RackError(f"{device.name}: P4Runtime at {device.address} does not answer after {wait:g} s "
                                    f"({exc.strerror or exc})") from None
                time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.getLogger("finsy").setLevel(logging.CRITICAL + 1)  # what the switches lack (gNMI), every connection
    try:
        with sigterm_as_exit():
            return run(args)
    except RackError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    try:
        topo = topology.load(args.topology)
    except (topology.TopologyError, PlanError) as exc:
        raise RackError(str(exc)) from None
    started = time.monotonic()
    devices = [DeviceAddress(name, f"{host}:{compose.GRPC_PORT}", switches.DEVICE_ID)
               for name, host in compose.device_hosts(topo).items()]
    pcie = find_interfaces(topo, args.wait)
    print("accelerators on their PCIe cables: " + ", ".join(f"{name} on {ifname}" for name, ifname in pcie.items()))
    wait_serving(devices, args.wait)
    with ProcessRack.attach(topo, args.build_dir, devices, pcie, target=args.target,
                            workdir=Path("/tmp/jetstream"), ignore=host_chatter) as rack:
        print("controller (P4Runtime):\n  " + "\n  ".join(rack.applied))
        print(f"set-up: {time.monotonic() - started:.1f} s (switches serving, programming)", flush=True)
        phases = scenario.rack_phases(rack.plan, topo, args.phase or list(scenario.PHASES),
                                      random.Random(args.seed), args.bytes)
        results = scenario.run_phases(ProcessBed(rack, args.build_dir, args.deadline), phases)
        if rack.ignored:
            print(f"(skipped {rack.ignored} IPv6 multicast frames of the host's kernel on the PCIe cables)")
        return scenario.report(results, None, f"{topo.name} as a compose stack")


if __name__ == "__main__":
    sys.exit(main())
