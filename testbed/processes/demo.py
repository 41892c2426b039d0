"""The demo of `testbed.demo` on the process testbed: real interfaces, switch processes, the controller.

`python -m testbed.demo --testbed netns` (softp4 switch processes) or `--target bmv2` (simple_switch_grpc)
brings the topology up as a `ProcessRack`, has the first accelerator write a buffer into the window the
second one exports to it, waits until every write is acknowledged (firing the ACK timers when nothing
moves for a second) or the deadline passes, prints the hops seen on the cables, the counters read over
P4Runtime and the bytes as they landed, and checks them exactly as the in-process demo does.

No frame is lost on purpose unless `--loss PERCENT` is given: then every uplink runs through a relay in
this process (`relay.LossyRelay`) that loses that share of the frames from the NIC to the ToR, seeded, so
the NACKs and go-back-N show up on real switches too.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from controller import topology
from controller.plan import PlanError
from controller.topology import Topology
from testbed import demo
from testbed.fabric import Hop
from testbed.memory import SparseMemory
from testbed.processes.rack import HopObserver, ProcessRack, RackError


class HopPrinter:
    """Prints each frame seen on a cable, as it is seen (several cables are watched at once, so two hops
    close in time may print in either order)."""

    def __init__(self, accelerators: set[str], verbose: bool) -> None:
        self.accelerators = accelerators
        self.verbose = verbose
        self.count = 0
        self.last = time.monotonic()

    def __call__(self, hop: Hop) -> None:
        self.count += 1
        self.last = time.monotonic()
        pcie = hop.src[0] in self.accelerators or hop.dst[0] in self.accelerators
        link = f"{hop.src[0]}:{hop.src[1]} -> {hop.dst[0]}:{hop.dst[1]}"
        mark = "  LOST" if hop.dropped else ""
        print(f"  [{self.count:3}] {link:<28} {demo.describe(hop.frame, pcie)}{mark}", flush=True)
        if self.verbose and not pcie:
            from scapy.layers.l2 import Ether

            Ether(hop.frame).show()

    def wait_quiet(self, quiet: float = 0.3, limit: float = 3.0) -> None:
        """Let the last frames in flight (ACKs) be printed before the summary."""
        end = time.monotonic() + limit
        while time.monotonic() < end and time.monotonic() - self.last < quiet:
            time.sleep(0.05)


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C, so every switch is stopped and every cable deleted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def brought_up(topo: Topology, args: argparse.Namespace, prefix: str = "", *, on_hop: HopObserver | None = None,
               seed: int = 1) -> Iterator[ProcessRack]:
    """The process rack of `topo` as the demos' options say (`--target`, `--tor`, `--loss`, `--workdir`,
    `--build-dir`), with SIGTERM and SIGHUP unwinding like Ctrl-C; it prints (after `prefix`) what runs
    where, then the controller's report and the loss. Raises RackError when it cannot be brought up."""
    workdir = Path(args.workdir) if args.workdir else args.build_dir / "netns"
    switch_kind = "simple_switch_grpc" if args.target == "bmv2" else "softp4 switch"
    tor_kind = "a Linux bridge" if args.tor == "linux-bridge" else "tor.p4"
    print(f"{prefix}{len(topo.servers)} servers, ToR '{topo.tor_name}' ({tor_kind}); one {switch_kind} process "
          f"per P4 device on veth cables (logs in {workdir})")
    with sigterm_as_exit(), ProcessRack.build(
        topo, args.build_dir, target=args.target, workdir=workdir, on_hop=on_hop, loss=args.loss / 100, seed=seed,
        tor=args.tor,
    ) as rack:
        print("controller (P4Runtime):\n  " + "\n  ".join(rack.applied))
        if args.loss:
            print(f"loss: {args.loss:g}% of the frames from each NIC to the ToR, lost in a relay on the uplink")
        yield rack


def on_rack(tool: str, topo: Topology, args: argparse.Namespace, work: Callable[[ProcessRack], int],
            prefix: str = "", *, on_hop: HopObserver | None = None, seed: int = 1) -> int:
    """`work` on the rack `brought_up` gives, its exit status; 1 when the rack cannot be brought up (said in
    one line, after `tool`), 130 on Ctrl-C, with everything stopped and removed."""
    try:
        with brought_up(topo, args, prefix, on_hop=on_hop, seed=seed) as rack:
            return work(rack)
    except RackError as exc:
        print(f"{tool}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: switches stopped, cables removed", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.loss <= 100:
        print(f"demo: --loss {args.loss:g}: expected a percentage from 0 to 100", file=sys.stderr)
        return 2
    if not args.deadline > 0:
        print(f"demo: --deadline {args.deadline:g}: expected a positive number of seconds", file=sys.stderr)
        return 2
    try:
        topo = topology.load(args.topology)
    except (topology.TopologyError, PlanError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    for prog in ("nic", "tor"):
        missing = [p for p in (args.build_dir / prog / f"{prog}.json", args.build_dir / prog / f"{prog}.p4info.txtpb")
                   if not p.is_file()]
        if missing:
            print(f"demo: {missing[0]} is missing: run `make build` first", file=sys.stderr)
            return 1
    if not topo.exports:
        print(f"demo: {args.topology} exports no window, so nothing can be written", file=sys.stderr)
        return 1
    # finsy logs what the switches lack (gNMI) at every connection: the controller's CLI keeps it quiet too
    logging.getLogger("finsy").setLevel(logging.INFO if args.verbose else logging.CRITICAL + 1)
    export = topo.exports[0]
    src, dst = export.peers[0], export.owner
    printer = HopPrinter({a.name for s in topo.servers for a in s.accelerators}, args.verbose)
    observer = None if args.all_to_all else printer  # all to all: too many frames to print

    def work(rack: ProcessRack) -> int:
        return all_to_all(rack, args) if args.all_to_all else _write_and_check(rack, args, src, dst, printer)

    return on_rack("demo", topo, args, work, f"topology '{topo.name}': ", on_hop=observer)


def _write_and_check(rack: ProcessRack, args: argparse.Namespace, src: str, dst: str, printer: HopPrinter) -> int:
    window = rack.plan.tx_window(src, dst)
    size = min(args.bytes, window.size)
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    print(f"\n{src} writes {size} bytes at {window.local_base:#x} (its window to {dst}), landing at "
          f"{window.remote_base:#x} in {dst}'s memory\n")
    started = time.monotonic()
    tlps = rack.write(src, dst, window.local_base, data)
    acked = rack.run(deadline=args.deadline)
    elapsed = time.monotonic() - started
    rack.settle()
    printer.wait_quiet()
    state = f"all acknowledged in {elapsed * 1e3:.1f} ms" if acked else f"not acknowledged after {args.deadline:g} s"
    lost = sum(relay.lost for relay in rack.relays)
    print(f"\n{src} issued {tlps} memory writes, {state}; {printer.count} frames seen on the cables "
          f"({lost} lost); {demo.recovery(rack)}\n\ncounters (read over P4Runtime):")
    print("\n".join(f"  {line}" for line in rack.counter_lines(args.build_dir)))
    landed = bytes(rack.accelerators[dst].memory[window.remote_base : window.remote_base + size])
    print(f"\n{dst}'s memory at {window.remote_base:#x}:\n{demo.hexdump(landed, window.remote_base)}")
    problems = demo.verify(rack, src, dst, window.remote_base, data) + strays(rack)
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"\nOK: all {size} bytes landed exactly once, in order, and nothing else was touched")
    return 0


def all_to_all(rack: ProcessRack, args: argparse.Namespace, seed: int = 1) -> int:
    """Every exported window receives a distinct slice from each of its peers, all in flight together."""
    rng = random.Random(seed)
    expected = {name: SparseMemory(acc.spec.memory) for name, acc in rack.accelerators.items()}
    writes = 0
    for export in rack.topology.exports:
        slice_size = min(args.bytes, export.size // len(export.peers)) & ~3
        for i, peer in enumerate(export.peers):
            window = next(tx for nic in rack.plan.nics.values() for tx in nic.tx_windows
                          if tx.src.name == peer and tx.dst.name == export.owner and tx.remote_base == export.base)
            data = rng.randbytes(slice_size)
            writes += rack.write(peer, export.owner, window.local_base + i * slice_size, data)
            at = export.base + i * slice_size
            expected[export.owner][at : at + slice_size] = data
    started = time.monotonic()
    acked = rack.run(deadline=args.deadline)
    elapsed = time.monotonic() - started
    rack.settle()
    state = "all acknowledged" if acked else f"not all acknowledged after {args.deadline:g} s"
    lost = sum(relay.lost for relay in rack.relays)
    print(f"\n{writes} memory writes all to all into {len(rack.topology.exports)} windows, {state} in "
          f"{elapsed:.2f} s ({lost} frames lost; {demo.recovery(rack)})")
    problems = [v for acc in rack.accelerators.values() for v in acc.violations] + strays(rack)
    for name, acc in rack.accelerators.items():
        first = acc.first_difference(expected[name])
        if first is not None:
            got, want = acc.memory[first], expected[name][first]
            problems.append(f"{name}: byte {first:#x} is {got:#04x}, expected {want:#04x}")
        if acc.unacked():
            problems.append(f"{name} still has {acc.unacked()} unacknowledged writes")
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    print("\nOK: every byte of every write landed exactly once, in order, inside its window")
    return 0


def strays(rack: ProcessRack) -> list[str]:
    """What arrived on PCIe links that was not a memory write, shown as bytes (the emulators only count it)."""
    return [f"not a memory write on PCIe: {stray}" for stray in rack.strays[:10]]
