"""The demo of `testbed.demo` on the process testbed: real interfaces, switch processes, the controller.

`python -m testbed.demo --testbed netns` (softp4 switch processes) or `--target bmv2` (simple_switch_grpc)
brings the topology up as a `ProcessRack`, programmed by the controller over P4Runtime, and then runs

- the rack scenario (default; `testbed.scenario`): the all-gather and the all-to-all, each waited for
  until every write is acknowledged (firing the ACK timers when nothing moves for a second) or
  `--deadline` passes, with a progress line, and the summary table; the drops by reason are the
  devices' drop counters read over P4Runtime;
- or the walk (`--scenario walk`): the first accelerator writes a buffer into the window the second one
  exports to it; it prints the hops seen on the cables, the counters read over P4Runtime and the bytes as
  they landed, and checks them exactly as the in-process demo does.

Loss (`--loss PERCENT`; the rack's default is 1, the walk's none): every uplink runs through a relay in
this process (`relay.LossyRelay`) that loses that share of the frames from the NIC to the ToR, seeded, so
the NACKs and go-back-N show up on real switches too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from controller import topology
from controller.plan import PlanError
from controller.runtime import ControllerError, Options, counters
from controller.topology import Topology
from testbed import demo, scenario
from testbed.fabric import Hop
from testbed.processes.rack import HopObserver, ProcessRack, RackError
from testbed.processes.switches import SwitchStartError

if TYPE_CHECKING:
    from testbed.containers.switches import ContainerSwitches


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
def brought_up(topo: Topology, args: argparse.Namespace, *, on_hop: HopObserver | None = None,
               seed: int = 1) -> Iterator[ProcessRack]:
    """The process rack of `topo` as the demos' options say (`--target`, `--tor`, `--loss`, `--workdir`,
    `--build-dir`, and `--docker` where the tool has it), with SIGTERM and SIGHUP unwinding like Ctrl-C; it
    prints what runs where, then the controller's report, the set-up time and the loss. Raises RackError when
    it cannot be brought up."""
    workdir = Path(args.workdir) if args.workdir else args.build_dir / "netns"
    switch_kind = "simple_switch_grpc" if args.target == "bmv2" else "softp4 switch"
    tor_kind = "a Linux bridge" if args.tor == "linux-bridge" else "tor.p4"
    started = time.monotonic()
    with sigterm_as_exit():
        launcher = containers(args)
        unit = f"container of {launcher.image}" if launcher is not None else "process"
        print(demo.describe_rack(topo, f"one {switch_kind} {unit} per P4 device on veth cables (logs in {workdir})",
                                 tor_kind))
        with ProcessRack.build(
            topo, args.build_dir, target=args.target, workdir=workdir, on_hop=on_hop, loss=args.loss / 100,
            seed=seed, tor=args.tor, launcher=launcher,
        ) as rack:
            print("controller (P4Runtime):\n  " + "\n  ".join(rack.applied))
            print(f"set-up: {time.monotonic() - started:.1f} s ({'images, ' if launcher else ''}cables, switches, "
                  "programming)")
            if args.loss:
                print(f"loss: {args.loss:g}% of the frames from each NIC to the ToR, lost in a relay on the uplink")
            yield rack


def on_rack(tool: str, topo: Topology, args: argparse.Namespace, work: Callable[[ProcessRack], int], *,
            on_hop: HopObserver | None = None, seed: int = 1) -> int:
    """`work` on the rack `brought_up` gives, its exit status; 1 when the rack cannot be brought up (said in
    one line, after `tool`), 130 on Ctrl-C, with everything stopped and removed."""
    try:
        with brought_up(topo, args, on_hop=on_hop, seed=seed) as rack:
            return work(rack)
    except RackError as exc:
        print(f"{tool}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: switches stopped, cables removed", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    """`testbed.demo` on the process testbed (its arguments, defaults settled by `demo.settle_args`)."""
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
    walk = args.scenario == "walk"
    if walk and not topo.exports:
        print(f"demo: {args.topology} exports no window, so nothing can be written", file=sys.stderr)
        return 1
    # finsy logs what the switches lack (gNMI) at every connection: the controller's CLI keeps it quiet too
    logging.getLogger("finsy").setLevel(logging.INFO if args.verbose else logging.CRITICAL + 1)
    printer = HopPrinter({a.name for s in topo.servers for a in s.accelerators}, args.verbose)
    observer = printer if walk else None  # the rack: too many frames to print

    def work(rack: ProcessRack) -> int:
        if walk:
            export = topo.exports[0]
            return _write_and_check(rack, args, export.peers[0], export.owner, printer)
        return run_rack(rack, args)

    return on_rack("demo", topo, args, work, on_hop=observer, seed=args.seed)


def run_rack(rack: ProcessRack, args: argparse.Namespace) -> int:
    """The rack scenario on switch processes: every phase, then the summary."""
    phases = scenario.rack_phases(rack.plan, rack.topology, args.phases, random.Random(args.seed), args.bytes)
    results = scenario.run_phases(ProcessBed(rack, Path(args.build_dir), args.deadline), phases)
    title = f"{rack.topology.name} on {rack.target} switch processes, {args.loss:g}% loss"
    return scenario.report(results, args.png, title)


class ProcessBed:
    """The process rack as a `scenario.Bed`: drops read over P4Runtime, losses counted by the relays."""

    def __init__(self, rack: ProcessRack, build_dir: Path, deadline: float) -> None:
        self.rack = rack
        self.build_dir = build_dir
        self.deadline = deadline

    def write(self, src: str, dst: str, local_address: int, data: bytes) -> int:
        return self.rack.write(src, dst, local_address, data)

    def complete(self, tick: Callable[[], None]) -> bool:
        """Wait for every ACK (firing the ACK timers when nothing moves), ticking from a thread meanwhile."""
        done = threading.Event()

        def ticker() -> None:
            while not done.wait(0.1):
                tick()

        thread = threading.Thread(target=ticker, name="progress", daemon=True)
        thread.start()
        try:
            acked = self.rack.run(deadline=self.deadline)
            self.rack.settle()
        finally:
            done.set()
            thread.join()
        return acked

    def unacked(self) -> int:
        return self.rack.unacked()

    def lost(self) -> int:
        return sum(relay.lost for relay in self.rack.relays)

    def drops(self) -> Counter[str]:
        """Every device's drop counters, read over P4Runtime (`jetstream-ctl counters`)."""
        options = Options(build_dir=self.build_dir)
        try:
            outcomes = asyncio.run(counters(self.rack.topology, self.rack.plan, self.rack.devices(), options))
        except ControllerError as exc:
            raise RackError(f"reading counters: {exc}") from None
        drops: Counter[str] = Counter()
        for outcome in outcomes:
            if outcome.error:
                raise RackError(f"reading counters: {outcome.error}")
            for row in outcome.result.get("drops", []):
                drops[scenario.drop_reason(row.label)] += row.packets
        return +drops

    def faults(self) -> list[str]:
        return [v for acc in self.rack.accelerators.values() for v in acc.violations] + strays(self.rack)


def containers(args: argparse.Namespace) -> ContainerSwitches | None:
    """The switch containers `--docker` asks for (their image found, pulled or built now), else None."""
    if getattr(args, "docker", None) is None:  # the group demo has no --docker
        return None
    from testbed.containers.switches import launcher

    try:
        return launcher(args.target, args.docker or None)
    except SwitchStartError as exc:
        raise RackError(str(exc)) from None


def _write_and_check(rack: ProcessRack, args: argparse.Namespace, src: str, dst: str, printer: HopPrinter) -> int:
    window = rack.plan.tx_window(src, dst)
    size = min(args.bytes or demo.WALK_BYTES, window.size)
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


def strays(rack: ProcessRack) -> list[str]:
    """What arrived on PCIe links that was not a memory write, shown as bytes (the emulators only count it)."""
    return [f"not a memory write on PCIe: {stray}" for stray in rack.strays[:10]]
