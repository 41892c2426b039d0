"""`make run`: one accelerator writes a buffer into another's memory through NIC, ToR and NIC.

It loads the topology, computes the address plan, programs two NICs and the ToR on softp4 (in this
process), and has the first accelerator write a buffer into the window the second one exports to it.
One data frame is lost on the way (unless `--no-loss`), so the run also shows the receiver's NACK and the
sender's go-back-N. It prints every hop's frame decoded, the counters that moved, and the bytes as they
landed; it exits 1 if any byte is wrong or lands outside its window.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from scapy.layers.l2 import Ether

from controller import topology
from controller.plan import PlanError
from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import TLP, TlpError, mwr_address, payload_bytes
from testbed.accelerator import Accelerator
from testbed.fabric import Hop
from testbed.inprocess import InstallError
from testbed.memory import SparseMemory
from testbed.rack import Rack

DROP_NAMES = {getattr(c, n): n for n in dir(c) if n.startswith("DROP_") and n not in ("DROP_PORT", "DROP_REASON_COUNT")}


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
                    label = DROP_NAMES.get(index, str(index)) if name.endswith("accounting.drops") else str(index)
                    lines.append(f"    {name}[{label}] = {packets} packets, {nbytes} bytes")
        print(f"  {device.name}:")
        print("\n".join(lines) if lines else "    (no counter moved)")


def hexdump(data: bytes, base: int, rows: int = 4) -> str:
    shown = range(0, min(len(data), 16 * rows), 16)
    return "\n".join(f"    {base + i:#08x}  {data[i : i + 16].hex(' ')}" for i in shown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["softp4", "bmv2"], default="softp4")
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--topology", default=Path("topologies/pair.toml"), type=Path)
    parser.add_argument("--bytes", type=int, default=2048, help="size of the buffer to write (default 2048)")
    parser.add_argument("--no-loss", action="store_true", help="do not lose a frame on the way")
    parser.add_argument("--verbose", action="store_true", help="dissect every network frame in full")
    parser.add_argument(
        "--all-to-all", action="store_true",
        help="every accelerator writes into every window exported to it at once (1%% loss unless --no-loss)",
    )
    processes = parser.add_argument_group("process testbed (--testbed netns, and always with --target bmv2)")
    processes.add_argument(
        "--testbed", choices=["inprocess", "netns"],
        help="inprocess: every switch in this process (default for softp4); netns: one switch process per "
             "device on veth cables, programmed by the controller over P4Runtime (root; default for bmv2)",
    )
    parser.add_argument("--loss", type=float, default=0.0, metavar="PERCENT",
                        help="lose this share of frames on every NIC uplink (netns: default none; in this process, "
                             "with --all-to-all: default 1)")
    processes.add_argument("--deadline", type=float, default=20.0, metavar="SECONDS",
                           help="netns: give up waiting for ACKs after this long (default 20)")
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
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.bytes <= 0:
        print(f"demo: --bytes {args.bytes}: give a positive number of bytes", file=sys.stderr)
        return 2
    testbed = args.testbed or ("netns" if args.target == "bmv2" or args.docker is not None else "inprocess")
    if args.docker is not None and testbed != "netns":
        print("demo: --docker runs the switches as containers of the process testbed: use --testbed netns",
              file=sys.stderr)
        return 2
    if testbed == "netns":
        from testbed.processes import demo as process_demo

        return process_demo.run(args)
    if args.tor != "p4":
        print(f"demo: --tor {args.tor} needs the process testbed (--testbed netns)", file=sys.stderr)
        return 2
    if not 0 <= args.loss < 100:
        print(f"demo: --loss {args.loss:g}: give a percentage from 0 up to (not including) 100", file=sys.stderr)
        return 2
    if args.target == "bmv2":
        print("demo: --target bmv2 runs BMv2 switch processes: use --testbed netns", file=sys.stderr)
        return 2
    if args.loss and not args.all_to_all:
        print("demo: --loss in this process applies to --all-to-all; the two-server walk loses one chosen frame "
              "(--no-loss: none)", file=sys.stderr)
        return 2
    try:
        topo = topology.load(args.topology)
        rack = Rack.build(topo, args.build_dir)
    except (topology.TopologyError, PlanError, InstallError, FileNotFoundError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1

    if args.all_to_all:
        return all_to_all(rack, args.bytes, loss=args.loss / 100 if args.loss else 0.0 if args.no_loss else 0.01)
    src, dst = _first_pair(rack)
    if src is None or dst is None:
        print(f"demo: {args.topology} exports no window, so nothing can be written", file=sys.stderr)
        return 1
    window = rack.plan.tx_window(src, dst)
    size = min(args.bytes, window.size)
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


def all_to_all(rack: Rack, nbytes: int, loss: float, seed: int = 1) -> int:
    """Every exported window receives a distinct slice from each of its peers, all in flight together."""
    rng = random.Random(seed)
    for server in rack.topology.servers:
        rack.fabric.drop_when((f"{server.name}.nic", c.NIC_UPLINK_PORT), lambda hop: rng.random() < loss)
    hops = [0, 0]  # delivered, lost

    def count(hop: Hop) -> None:
        hops[hop.dropped] += 1

    rack.fabric.observers.append(count)
    expected = {name: SparseMemory(acc.spec.memory) for name, acc in rack.accelerators.items()}
    writes = 0
    for export in rack.topology.exports:
        slice_size = min(nbytes, export.size // len(export.peers)) & ~3
        for i, peer in enumerate(export.peers):
            window = rack.plan.tx_window(peer, export.owner, remote_base=export.base)
            data = rng.randbytes(slice_size)
            writes += rack.accelerators[peer].write(export.owner, window.local_base + i * slice_size, data)
            at = export.base + i * slice_size
            expected[export.owner][at : at + slice_size] = data
    started = time.perf_counter()
    rack.run(max_timeouts=100)
    elapsed = time.perf_counter() - started
    topo = rack.topology
    print(f"topology '{topo.name}': {len(topo.servers)} servers, {len(rack.accelerators)} accelerators, "
          f"{len(topo.exports)} windows")
    print(f"{writes} memory writes all to all; {hops[0]} hops delivered, {hops[1]} frames lost "
          f"({loss:.0%} loss on every uplink), {elapsed:.2f} s in this process")
    problems = [v for acc in rack.accelerators.values() for v in acc.violations]
    for name, acc in rack.accelerators.items():
        first = acc.first_difference(expected[name])
        if first is not None:
            got, want = acc.memory[first], expected[name][first]
            problems.append(f"{name}: byte {first:#x} is {got:#04x}, expected {want:#04x}")
        if acc.unacked():
            problems.append(f"{name} still has {acc.unacked()} unacknowledged writes")
    gaps = sum(nic.counter("NicIngress.accounting.drops", c.DROP_GAP)[1] for nic in rack.nics.values())
    print(f"receivers dropped {gaps} frames past a gap and NACKed; {recovery(rack)}")
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    print("\nOK: every byte of every write landed exactly once, in order, inside its window")
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
    sys.exit(main())
