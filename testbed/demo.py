"""`make run`: the rack brought up, programmed, and put to work under loss; or one write walked hop by hop.

`--scenario rack` (the default; `make run`) builds the topology's rack (topologies/rack8.toml: eight
servers, a NIC each, their accelerators, the ToR), programs every device from the controller's plan, and
runs an all-gather through the topology's first group, then an all-to-all over every exported window, with
1% of the frames lost at random on every NIC uplink (`testbed.scenario`). A progress line shows how far
each phase got; a table sums up every phase (writes, bytes, completion time, writes re-issued, ACK timer
expiries, frames lost, drops by reason from the NICs' and the ToR's drop counters), and a PNG of it goes to
BUILD_DIR/run/summary.png when matplotlib is installed. Every accelerator's memory is compared byte for
byte with what must be there; exit 1 on any difference.

`--scenario walk` (`make run TOPOLOGY=topologies/pair.toml TRACE=1`) has the first accelerator write a
buffer into the window the second one exports to it; one data frame is lost on the way (unless
`--no-loss`), so the run also shows the receiver's NACK and the sender's go-back-N. It prints every hop's
frame decoded, the counters that moved, and the bytes as they landed; exit 1 if any byte is wrong or lands
outside its window.

Both run in this process on softp4 (default) or as one switch process per device on veth cables
(`--testbed netns`, always so for `--target bmv2`: `testbed.processes.demo`).
"""

from __future__ import annotations

if __name__ == "__main__":  # first: a Ctrl-C while the modules below load is one line too, not a traceback
    from softp4.cliargs import interrupt_ends_loading

    interrupt_ends_loading("demo")

import argparse
import random
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from scapy.layers.l2 import Ether

from controller import topology
from controller.plan import PlanError
from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import TLP, TlpError, mwr_address, payload_bytes
from softp4.cliargs import Parser
from testbed import scenario
from testbed.accelerator import Accelerator
from testbed.fabric import Hop
from testbed.inprocess import InstallError
from testbed.memory import SparseMemory
from testbed.rack import Rack

SCENARIOS = ("rack", "walk")
WALK_BYTES = 2048


def describe_tlp(tlp: TLP) -> str:
    try:
        return f"MWr {len(payload_bytes(tlp))} B @{mwr_address(tlp):#x} rid={tlp.requester_id:#06x} tag={tlp.tag}"
    except TlpError as exc:
        return f"TLP ({exc})"


def describe(frame: bytes, pcie: bool) -> str:
    """One line for a frame: a raw TLP on a PCIe link, an Ethernet frame elsewhere."""
    try:
        if pcie:
            return describe_tlp(TLP(frame))
        eth = Ether(frame)
        parts = [f"{eth.src} > {eth.dst}"]
        if JetStream in eth:
            parts.append(eth[JetStream].mysummary())
        if TLP in eth:
            parts.append(describe_tlp(eth[TLP]))
        return " | ".join(parts)
    except Exception as exc:  # scapy on a malformed frame: show bytes instead of failing the demo
        return f"{len(frame)} bytes ({exc.__class__.__name__}): {frame[:32].hex()}"


class HopPrinter:
    def __init__(self, rack: Rack, verbose: bool) -> None:
        self.endpoints = set(rack.accelerators)
        self.verbose = verbose
        self.count = 0

    def __call__(self, hop: Hop) -> None:
        self.count += 1
        pcie = hop.src[0] in self.endpoints or hop.dst[0] in self.endpoints
        link = f"{hop.src[0]}:{hop.src[1]} -> {hop.dst[0]}:{hop.dst[1]}"
        mark = "  LOST" if hop.dropped else ""
        print(f"  [{self.count:3}] {link:<28} {describe(hop.frame, pcie)}{mark}")
        if self.verbose and not pcie:
            Ether(hop.frame).show()


def lose_once(seq: int) -> object:
    """A loss rule: drop the first transmission of the data frame numbered `seq`."""
    done: list[bool] = []

    def rule(hop: Hop) -> bool:
        if done:
            return False
        pkt = Ether(hop.frame)
        if JetStream in pkt and pkt[JetStream].msg_type == c.MSG_DATA and pkt[JetStream].seq == seq:
            done.append(True)
            return True
        return False

    return rule


def print_counters(rack: Rack) -> None:
    devices = [*rack.nics.values(), *([rack.tor] if rack.tor else [])]
    for device in devices:
        lines = []
        for counter in device.artifacts.p4info.counters:
            name = counter.preamble.name
            for index in range(counter.size):
                nbytes, packets = device.counter(name, index)
                if packets:
                    label = c.DROP_REASONS.get(index, str(index)) if name.endswith("accounting.drops") else str(index)
                    lines.append(f"    {name}[{label}] = {packets} packets, {nbytes} bytes")
        print(f"  {device.name}:")
        print("\n".join(lines) if lines else "    (no counter moved)")


def hexdump(data: bytes, base: int, rows: int = 4) -> str:
    shown = range(0, min(len(data), 16 * rows), 16)
    return "\n".join(f"    {base + i:#08x}  {data[i : i + 16].hex(' ')}" for i in shown)


def parser() -> Parser:
    parser = Parser(
        prog="python -m testbed.demo", description=__doc__.splitlines()[0],
        epilog="Exit status: 0 when every byte landed where it should, 1 when the work failed, 2 for a mistake "
               "in the arguments, 130 on Ctrl-C.",
    )
    parser.add_argument("--target", choices=["softp4", "bmv2"], default="softp4")
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--topology", default=Path("topologies/rack8.toml"), type=Path,
                        help="the topology file (default topologies/rack8.toml)")
    parser.add_argument(
        "--scenario", choices=SCENARIOS, default="rack",
        help="rack (default): an all-gather through the topology's first group, then an all-to-all, under loss, "
             "with a progress line and a summary table; walk: one write from the first exported window's peer "
             "to its owner, every hop printed (make run TRACE=1)",
    )
    parser.add_argument("--phase", choices=scenario.PHASES, action="append",
                        help="rack: run only this phase (repeatable; default both)")
    parser.add_argument("--all-to-all", action="store_true", help="the same as --phase all-to-all")
    parser.add_argument("--bytes", type=int, metavar="N",
                        help="walk: the buffer to write (default 2048); rack: at most this many bytes per slice "
                             "(default: each sender's share of the window)")
    parser.add_argument("--loss", type=float, metavar="PERCENT",
                        help="lose this share of the frames on every NIC uplink, at random (rack: default 1; walk "
                             "in this process: refused, it loses one chosen frame; walk on --testbed netns: "
                             "default none)")
    parser.add_argument("--no-loss", action="store_true", help="lose no frame on purpose")
    parser.add_argument("--seed", type=int, default=4,
                        help="seed of the data and of the loss (default 4: rack8 loses frames in both phases)")
    parser.add_argument("--png", type=Path, metavar="FILE",
                        help="rack: where to draw the summary (default BUILD_DIR/run/summary.png; needs matplotlib)")
    parser.add_argument("--verbose", action="store_true", help="walk: dissect every network frame in full")
    processes = parser.add_argument_group("process testbed (--testbed netns, and always with --target bmv2)")
    processes.add_argument(
        "--testbed", choices=["inprocess", "netns"],
        help="inprocess: every switch in this process (default for softp4); netns: one switch process per "
             "device on veth cables, programmed by the controller over P4Runtime (root; default for bmv2)",
    )
    processes.add_argument("--deadline", type=float, default=20.0, metavar="SECONDS",
                           help="netns: give up waiting for ACKs after this long, per phase (default 20)")
    processes.add_argument("--workdir", type=Path, help="netns: where switch logs go (default BUILD_DIR/netns)")
    processes.add_argument(
        "--docker", nargs="?", const="", metavar="IMAGE",
        help="netns: every switch a container (docs/docker.md): of IMAGE, by default p4lang/behavioral-model for "
             "bmv2 (a local stand-in where it cannot be pulled) and the project's image for softp4",
    )
    processes.add_argument(
        "--tor", choices=["p4", "linux-bridge"], default="p4",
        help="netns: the ToR is tor.p4 on a switch process (default) or a plain Linux bridge, to show that any "
             "L2 switch carries the protocol (a bridge floods group writes to every port)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # a usage error: one line, exit 2
        return int(exc.code or 0)
    try:
        problem = settle_args(args)
        if problem:
            print(f"demo: {problem}", file=sys.stderr)
            return 2
        return _run(args)
    except KeyboardInterrupt:
        if sys.stdout.isatty():
            print(flush=True)  # end the progress line, so the message stands on its own
        print("demo: interrupted", file=sys.stderr)
        return 130


def settle_args(args: argparse.Namespace) -> str | None:
    """Fill in the defaults that depend on other options; the mistake, in one line, or None."""
    args.testbed = args.testbed or ("netns" if args.target == "bmv2" or args.docker is not None else "inprocess")
    if args.docker is not None and args.testbed != "netns":
        return "--docker runs the switches as containers of the process testbed: use --testbed netns"
    if args.all_to_all:
        args.phase = [*(args.phase or []), "all-to-all"]
    if args.phase and args.scenario == "walk":
        return "--phase and --all-to-all are phases of the rack scenario, not of --scenario walk"
    args.phases = args.phase or list(scenario.PHASES)
    if args.bytes is not None and args.bytes <= 0:
        return f"--bytes {args.bytes}: give a positive number of bytes"
    if args.loss is not None and not 0 <= args.loss < 100:
        return f"--loss {args.loss:g}: give a percentage from 0 up to (not including) 100"
    if not args.deadline > 0:
        return f"--deadline {args.deadline:g}: give a positive number of seconds"
    if args.loss and args.no_loss:
        return f"--loss {args.loss:g} and --no-loss contradict each other: give one"
    if args.testbed == "inprocess":
        if args.tor != "p4":
            return f"--tor {args.tor} needs the process testbed (--testbed netns)"
        if args.target == "bmv2":
            return "--target bmv2 runs BMv2 switch processes: use --testbed netns"
        if args.loss is not None and args.scenario == "walk":
            return ("--loss: the walk in this process loses one chosen frame (--no-loss: none); random loss is "
                    "for the rack scenario")
    if args.no_loss:
        args.loss = 0.0
    elif args.loss is None:
        args.loss = 1.0 if args.scenario == "rack" else 0.0
    if args.png is None:
        args.png = args.build_dir / "run" / "summary.png"
    return None


def _run(args: argparse.Namespace) -> int:
    if args.testbed == "netns":
        from testbed.processes import demo as process_demo

        return process_demo.run(args)
    try:
        topo = topology.load(args.topology)
        rack = Rack.build(topo, args.build_dir)
    except (topology.TopologyError, PlanError, InstallError, FileNotFoundError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    if args.scenario == "rack":
        return run_rack(rack, args)
    return walk(rack, args)


def describe_rack(topo: topology.Topology, how: str, tor_kind: str = "tor.p4") -> str:
    """The scenario's first line: what was brought up and how."""
    accelerators = sum(len(server.accelerators) for server in topo.servers)
    return (f"topology '{topo.name}': {len(topo.servers)} servers with a NIC each, {accelerators} accelerators, "
            f"ToR '{topo.tor_name}' ({tor_kind}); {how}")


def run_rack(rack: Rack, args: argparse.Namespace) -> int:
    """The rack scenario in this process: every phase under loss, then the summary."""
    rng = random.Random(args.seed)
    bed = InProcessBed(rack, args.loss / 100, random.Random(args.seed + 1))
    print(describe_rack(rack.topology, "every device on softp4 in this process, programmed from the "
                                       "controller's plan"))
    print(f"loss: {args.loss:g}% of the frames on every NIC uplink, at random (seed {args.seed})")
    phases = scenario.rack_phases(rack.plan, rack.topology, args.phases, rng, args.bytes)
    results = scenario.run_phases(bed, phases)
    return scenario.report(results, args.png, f"{rack.topology.name} on softp4, in process, {args.loss:g}% loss")


class InProcessBed:
    """The in-process rack as a `scenario.Bed`: `loss` of the frames on every NIC uplink are lost at random."""

    def __init__(self, rack: Rack, loss: float, rng: random.Random) -> None:
        self.rack = rack
        self.hops = [0, 0]  # delivered, lost
        self._tick: Callable[[], None] | None = None
        for server in rack.topology.servers:
            uplink = (f"{server.name}.nic", c.NIC_UPLINK_PORT)
            rack.fabric.drop_when(uplink, (lambda hop: rng.random() < loss) if loss else None)
        rack.fabric.observers.append(self._observe)

    def _observe(self, hop: Hop) -> None:
        self.hops[hop.dropped] += 1
        if self._tick is not None:
            self._tick()

    def write(self, src: str, dst: str, local_address: int, data: bytes) -> int:
        return self.rack.accelerators[src].write(dst, local_address, data)

    def complete(self, tick: Callable[[], None]) -> bool:
        self._tick = tick
        try:
            self.rack.run(max_timeouts=200)
        finally:
            self._tick = None
        return self.unacked() == 0

    def unacked(self) -> int:
        return sum(acc.unacked() for acc in self.rack.accelerators.values())

    def lost(self) -> int:
        return self.hops[1]

    def drops(self) -> Counter[str]:
        drops: Counter[str] = Counter()
        for nic in self.rack.nics.values():
            for index, reason in scenario.DROP_REASONS.items():
                drops[reason] += nic.counter("NicIngress.accounting.drops", index)[1]
        if self.rack.tor is not None:
            for server in self.rack.topology.servers:
                drops[scenario.TOR_FORGED] += self.rack.tor.counter("TorIngress.port_security.forged",
                                                                    server.tor_port)[1]
        return +drops

    def faults(self) -> list[str]:
        return [v for acc in self.rack.accelerators.values() for v in acc.violations]


def walk(rack: Rack, args: argparse.Namespace) -> int:
    """The two-server walk: one write, every hop printed, one chosen frame lost (unless --no-loss)."""
    topo = rack.topology
    src, dst = _first_pair(rack)
    if src is None or dst is None:
        print(f"demo: {args.topology} exports no window, so nothing can be written", file=sys.stderr)
        return 1
    window = rack.plan.tx_window(src, dst)
    size = min(args.bytes or WALK_BYTES, window.size)
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    print(f"topology '{topo.name}': {len(topo.servers)} servers, ToR '{topo.tor_name}'")
    print(f"{src} writes {size} bytes at {window.local_base:#x} (its window to {dst}), landing at "
          f"{window.remote_base:#x} in {dst}'s memory\n")

    printer = HopPrinter(rack, args.verbose)
    rack.fabric.observers.append(printer)
    if not args.no_loss:
        uplink = (f"{rack.topology.server_of(src).name}.nic", c.NIC_UPLINK_PORT)
        rack.fabric.drop_when(uplink, lose_once(seq=2))  # type: ignore[arg-type]
    tlps = rack.accelerators[src].write(dst, window.local_base, data)
    rack.run()

    print(f"\n{src} issued {tlps} memory writes; {printer.count} hops in all; {recovery(rack)}\n\ncounters:")
    print_counters(rack)

    target = rack.accelerators[dst]
    landed = bytes(target.memory[window.remote_base : window.remote_base + size])
    print(f"\n{dst}'s memory at {window.remote_base:#x}:\n{hexdump(landed, window.remote_base)}")
    problems = verify(rack, src, dst, window.remote_base, data)
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"\nOK: all {size} bytes landed exactly once, in order, and nothing else was touched")
    return 0


class HasAccelerators(Protocol):
    @property
    def accelerators(self) -> Mapping[str, Accelerator]: ...


def recovery(rack: HasAccelerators) -> str:
    """What go-back-N had to do: writes re-issued (after NACKs and timeouts) and ACK timer expiries."""
    accelerators = rack.accelerators.values()
    resent = sum(acc.retransmissions() for acc in accelerators)
    timeouts = sum(acc.timeouts for acc in accelerators)
    return f"{resent} writes re-issued, {timeouts} ACK timer expiries"


def verify(rack: HasAccelerators, src: str, dst: str, remote_base: int, data: bytes) -> list[str]:
    """Everything wrong after `src` wrote `data` to `remote_base` of `dst`: wrong bytes, stray bytes, leftovers."""
    problems = [v for acc in rack.accelerators.values() for v in acc.violations]
    target = rack.accelerators[dst]
    memory = target.memory
    end = remote_base + len(data)
    landed = bytes(memory[remote_base:end])
    if landed != data:
        first = next(i for i in range(len(data)) if landed[i] != data[i])
        problems.append(f"byte {remote_base + first:#x} of {dst} is {landed[first]:#04x}, expected {data[first]:#04x}")
    untouched = SparseMemory(len(memory))  # nothing but the write's own span may differ from zero
    untouched[remote_base:end] = memory[remote_base:end]
    if target.first_difference(untouched) is not None:
        problems.append(f"{dst} has bytes written outside [{remote_base:#x}, {end:#x})")
    if rack.accelerators[src].unacked():
        problems.append(f"{src} still has {rack.accelerators[src].unacked()} unacknowledged writes")
    return problems


def _first_pair(rack: Rack) -> tuple[str | None, str | None]:
    for export in rack.topology.exports:
        return export.peers[0], export.owner
    return None, None


if __name__ == "__main__":
    from softp4.cliargs import interrupts_raise

    interrupts_raise()
    sys.exit(main())
