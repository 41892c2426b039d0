"""softp4 and BMv2 side by side over veth: packets/s and per-packet latency (p50, p99) of each.

Needs root (it creates two veth pairs and opens packet sockets). For every workload of
benchmarks/switch_workloads.py (L2, IPv4 LPM, nic.p4's transmit, receive and ACK paths, tor.p4),
for every JSON (softp4's and p4c-bm2-ss's), it runs, one after the other and for several rounds,
each target on the same two veth pairs: `softp4 switch`, BMv2 as built (`simple_switch_grpc` of
--bmv2, default $P4REF) and BMv2 built for speed (--bmv2-fast, default $P4REF_FAST). Each switch
starts empty (`--no-p4`); the controller's own P4Runtime code (finsy) pushes the program and writes
the workload's entries and multicast groups, as `jetstream-ctl apply` would. Then, from AF_PACKET
sockets in this process on the host ends of the pairs:

  * one frame must come out exactly as the program must make it;
  * latency: one frame in flight at a time, send to receive, --latency-samples frames (after a warm-up);
  * throughput: --packets frames with at most --window in flight (sent as soon as one comes out), so
    that no frame is lost in a socket buffer and the NIC's receive path sees its sequence numbers in
    order; packets/s is frames received over the time from the first send to the last arrival.

It prints a line per run and, at the end, per workload and JSON the median over the rounds of each
target and the ratios softp4 / BMv2-for-speed (packets/s: higher is better for softp4; p50: lower is).
The interfaces are removed afterwards, also on errors and Ctrl-C.

    sudo .venv/bin/python benchmarks/switch_veth.py [--rounds 3] [--packets 20000] [--window 32]
        [--latency-samples 2000] [--entries 1000] [--only NAME ...] [--targets softp4 bmv2 bmv2-fast]
        [--json softp4 p4c] [--bmv2 PREFIX] [--bmv2-fast PREFIX] [--p4c P4C-BM2-SS]
        [--topology topologies/pair.toml] [--pin] [--profile N] [--fuzz N]

--profile N runs the softp4 switch under cProfile (all its threads) and prints its N costliest
functions; the figures of such a run are slower than the real ones. --fuzz N then sends N seeded
random and mutated frames into the switch (stateless workloads only), paced so that it processes
every one, and checks that it still runs and forwards the benchmark frame exactly.

Prints figures; asserts nothing (it stops with a message if a frame is not forwarded right).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switch_inprocess import measure as measure_in_process
from switch_inprocess import switch_for
from switch_workloads import MAX_ENTRIES, TAG_MOD, TOPOLOGY, WORKLOAD_NAMES, Workload, workloads

from softp4.cliargs import Parser, integer

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
RECEIVE_BUFFER = 64 * 1024 * 1024
ETH_HEADER, MAX_FRAME = 14, 1514  # what a packet socket sends on a 1500-byte-MTU veth
FUZZ_SYNC = 200  # fuzz frames between two benchmark frames that must come out
IDLE_SECONDS = 0.5  # no frame out for this long: the frames in flight are lost
TARGETS = ("softp4", "bmv2", "bmv2-fast")
JSONS = ("softp4", "p4c")


class BenchError(Exception):
    """The benchmark cannot run or the switch did not forward as it must; the message says why."""


# --------------------------------------------------------------------------------------------
# veth pairs


@dataclass(frozen=True)
class Pair:
    switch_end: str
    host_end: str


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def _disable_ipv6(ifname: str) -> None:
    """No router solicitations or MLD reports on the benchmark's links."""
    path = Path("/proc/sys/net/ipv6/conf") / ifname / "disable_ipv6"
    if path.exists():
        path.write_text("1")


@contextmanager
def veth_pairs(count: int) -> Iterator[list[Pair]]:
    """`count` veth pairs with names unique to this process, up and quiet; removed on exit."""
    tag = f"sp4b{os.getpid() % 100000}"
    pairs = [Pair(f"{tag}s{i}", f"{tag}h{i}") for i in range(count)]
    created: list[Pair] = []
    try:
        for pair in pairs:
            if Path("/sys/class/net", pair.switch_end).exists():
                _ip("link", "del", pair.switch_end)
            _ip("link", "add", pair.switch_end, "type", "veth", "peer", "name", pair.host_end)
            created.append(pair)
            for end in (pair.switch_end, pair.host_end):
                _disable_ipv6(end)
                _ip("link", "set", end, "up")
        yield pairs
    finally:
        for pair in created:
            subprocess.run(["ip", "link", "del", pair.switch_end], capture_output=True)


# --------------------------------------------------------------------------------------------
# the programs, as each compiler writes them


def build_programs(names: dict[str, Path], jsons: list[str], p4c: str | None, out: Path) -> dict[str, Path]:
    """Each program compiled by softp4 and/or p4c-bm2-ss into `out/<json>/<program>/<program>.json`
    and `.p4info.txtpb` (the layout of `make build`); the build directory of each JSON."""
    from google.protobuf import text_format

    from softp4.compiler import compile_file

    dirs = {}
    for which in jsons:
        build = out / which
        for program, source_dir in names.items():
            target = build / program
            target.mkdir(parents=True, exist_ok=True)
            source = source_dir / f"{program}.p4"
            json_path, p4info_path = target / f"{program}.json", target / f"{program}.p4info.txtpb"
            if which == "softp4":
                result = compile_file(source, include_dirs=[source_dir])
                json_path.write_text(json.dumps(result.bmv2_json))
                p4info_path.write_text(text_format.MessageToString(result.p4info))
            else:
                assert p4c is not None
                cmd = [p4c, "-I", str(source_dir), "--p4runtime-files", str(p4info_path), "-o", str(json_path),
                       str(source)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    raise BenchError(f"{' '.join(cmd)}: {done.stderr.strip()}")
        dirs[which] = build
    return dirs


# --------------------------------------------------------------------------------------------
# the switches


@dataclass(frozen=True)
class Target:
    name: str  # softp4, bmv2, bmv2-fast
    binary: str | None = None  # simple_switch_grpc of a BMv2 target

    def describe(self) -> str:
        if self.binary is None:
            return f"{self.name}: softp4 switch, pure Python ({sys.implementation.name} {sys.version.split()[0]})"
        return f"{self.name}: {self.binary}"


PROFILED_SWITCH = "--profiled-switch"


@contextmanager
def running_switch(
    target: Target, workload: Workload, pairs: list[Pair], workdir: Path, profile: Path | None, cpu: int | None
) -> Iterator[Any]:
    """The target's switch with the workload's in and out ports on pairs[0] and pairs[1], serving
    P4Runtime; stopped at the end. `profile`: softp4 runs under cProfile and writes its stats there."""
    from testbed.processes import switches

    spec = switches.SwitchSpec(
        workload.name, {workload.in_port: pairs[0].switch_end, workload.out_port: pairs[1].switch_end},
        workload.priority_queues,
    )
    try:
        if target.binary is None:
            command = switches.softp4_command(spec, "127.0.0.1:0")
            if profile is not None:  # [python, -m, softp4, switch, args...]
                command = [sys.executable, str(Path(__file__).resolve()), PROFILED_SWITCH, str(profile), *command[4:]]
            log = workdir / f"{workload.name}-{target.name}.log"
            switch = switches.SwitchProcess(spec, command, "127.0.0.1:0", log, ready=switches.SOFTP4_READY)
        else:
            binary = target.binary
            switch = switches.start("bmv2", spec, workdir, (binary, switches.takes_thrift_port(binary)))
    except switches.SwitchStartError as exc:
        raise BenchError(str(exc)) from None
    try:
        if cpu is not None:
            os.sched_setaffinity(switch.proc.pid, {cpu})
        try:
            switch.wait_serving()
        except switches.SwitchStartError as exc:
            raise BenchError(str(exc)) from None
        yield switch
    finally:
        switch.stop(timeout=10)


def program_switch(address: str, build_dir: Path, workload: Workload) -> None:
    """Push the program and write the workload's entries and groups, through the controller's reconcile."""
    from controller.runtime import ControllerError, DeviceAddress
    from controller.runtime.desired import wanted
    from controller.runtime.program import load_program
    from controller.runtime.reconcile import reconcile
    from controller.runtime.session import open_session

    program = load_program(build_dir, workload.program)

    async def work() -> None:
        async with open_session(DeviceAddress(workload.name, address), program, timeout=30) as session:
            await reconcile(session, wanted(workload.config, program.names, session.schema))

    logging.getLogger("finsy").setLevel(logging.ERROR)  # "gNMI is not implemented" and the like
    try:
        asyncio.run(work())
    except ControllerError as exc:
        raise BenchError(f"{workload.name}: programming the switch: {exc}") from None


def profiled_switch(stats_file: str, argv: list[str]) -> int:
    """Run `softp4 switch argv` with a cProfile profiler in every thread; merged stats to `stats_file`."""
    import cProfile
    import pstats
    import threading
    from types import FrameType

    from softp4.switch import cli

    profiles: list[cProfile.Profile] = []

    def start(frame: FrameType, event: str, arg: Any) -> None:  # the first event of a new thread
        profiler = cProfile.Profile()
        profiles.append(profiler)
        profiler.enable()

    threading.setprofile(start)
    status = cli.main(argv)
    threading.setprofile(None)
    stats: pstats.Stats | None = None
    for profiler in profiles:
        if stats is None:
            stats = pstats.Stats(profiler)
        else:
            stats.add(profiler)
    if stats is not None:
        stats.dump_stats(stats_file)
    return status


# calls in which the switch's threads wait for work rather than do it
IDLE_CALLS = ("select.select", "select.poll", "_queue.SimpleQueue", "_thread.lock", "grpc/_server.py", "threading.py")


def print_profile(stats_file: Path, top: int, frames: int) -> None:
    """The `top` functions by own time, waiting calls left out; times per received frame."""
    import pstats

    stats: dict[Any, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.items():
        where = f"{path}:{line}({name})" if line else name
        short = where.replace(str(Path(__file__).resolve().parent.parent) + "/", "")
        short = short.split("site-packages/")[-1]
        if not any(idle in where for idle in IDLE_CALLS):
            rows.append((own, cumulative, calls, short))
    rows.sort(reverse=True)
    busy = sum(own for own, *_ in rows)
    print(f"  switch process under cProfile: {busy:.2f} s busy for about {frames} frames; top {top} by own time")
    print(f"  {'own us/frame':>12s} {'cum us/frame':>12s} {'calls':>8s}  function")
    per = 1e6 / frames if frames else 0.0
    for own, cumulative, calls, short in rows[:top]:
        print(f"  {own * per:12.2f} {cumulative * per:12.2f} {calls:8d}  {short}")


# --------------------------------------------------------------------------------------------
# packet sockets and measurements


def packet_socket(ifname: str, receive: bool) -> socket.socket:
    """A packet socket on `ifname`; one that does not `receive` is bound to no protocol, so it queues nothing."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL) if receive else 0)
    if receive:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    sock.bind((ifname, ETH_P_ALL if receive else 0))
    return sock


class Sender:
    """Frames of one workload in sending order, to one switch: frame n is the n-th sent since it was programmed."""

    def __init__(self, workload: Workload, tx: socket.socket, rx: socket.socket) -> None:
        self.workload = workload
        self.tx = tx
        self.rx = rx
        self.next = 0

    def take(self, count: int) -> list[tuple[int, bytes]]:
        """The next `count` frames, numbered; they must then be sent in this order."""
        frames = [(n, self.workload.frame(n)) for n in range(self.next, self.next + count)]
        self.next += count
        return frames

    def receive(self, want: int, timeout: float) -> bytes | None:
        """The frame tagged `want` (mod 2^16) from the out port, or None after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        tag, rx = self.workload.tag, self.rx
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([rx], [], [], left)[0]:
                return None
            frame, address = rx.recvfrom(65536)
            if address[2] != PACKET_OUTGOING and tag(frame) == want % TAG_MOD:
                return frame


def drain(sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        while True:
            sock.recv(65536)
    except BlockingIOError:
        pass
    finally:
        sock.setblocking(True)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def check_forwarding(sender: Sender) -> None:
    """One frame in, and on the out port exactly the frame the program must make of it."""
    workload = sender.workload
    ((n, frame),) = sender.take(1)
    sender.tx.send(frame)
    got = sender.receive(n, 5.0)
    if got is None:
        raise BenchError(f"{workload.name}: the switch did not forward the benchmark frame to port {workload.out_port}")
    want = workload.expect(n)
    if got[: len(want)] != want:
        raise BenchError(f"{workload.name}: port {workload.out_port} received {got.hex()}\n  expected {want.hex()}")


def latency(sender: Sender, samples: int) -> tuple[list[float], int]:
    """Round trips in microseconds, one frame in flight at a time; and how many were lost."""
    clock = time.perf_counter_ns
    send = sender.tx.send
    times: list[float] = []
    lost = 0
    for n, frame in sender.take(samples):
        t0 = clock()
        send(frame)
        if sender.receive(n, IDLE_SECONDS) is None:
            lost += 1
            continue
        times.append((clock() - t0) / 1000)
    times.sort()
    return times, lost


def throughput(sender: Sender, packets: int, window: int) -> tuple[int, float]:
    """`packets` frames, at most `window` in flight; (frames received, seconds from first send to last arrival)."""
    frames = [frame for _, frame in sender.take(packets)]
    tx, rx, tag = sender.tx, sender.rx, sender.workload.tag
    drain(rx)
    send, recvfrom = tx.send, rx.recvfrom
    rx.setblocking(False)
    sent = received = lost = 0
    t_start = last = time.perf_counter()
    try:
        while received + lost < packets:
            while sent < packets and sent - received - lost < window:
                send(frames[sent])
                sent += 1
            if not select.select([rx], [], [], IDLE_SECONDS)[0]:
                lost = sent - received  # what was in flight did not come out
                if sent == packets:
                    break
                continue
            try:
                while True:
                    frame, address = recvfrom(65536)
                    if address[2] != PACKET_OUTGOING and tag(frame) is not None:
                        received += 1
            except BlockingIOError:
                last = time.perf_counter()
    finally:
        rx.setblocking(True)
    return received, last - t_start


def fuzz_frame(rng: random.Random, valid: bytes) -> bytes:
    """Random bytes, or the valid frame with bits flipped, cut, extended or VLAN-tagged (14..1514 bytes)."""
    if rng.random() < 1 / 3:
        return rng.randbytes(rng.randint(ETH_HEADER, MAX_FRAME))
    data = bytearray(valid)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(4)
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(min(len(data), 64))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[rng.randint(ETH_HEADER, len(data)) :]
        elif kind == 2:
            data += rng.randbytes(rng.randint(1, 400))
        else:  # one or two 802.1Q / 802.1ad tags after the MAC addresses
            for _ in range(rng.randint(1, 2)):
                data[12:12] = rng.choice((b"\x81\x00", b"\x88\xa8")) + rng.randbytes(2)
    return bytes(data[:MAX_FRAME])


def fuzz(sender: Sender, frames: int) -> str:
    """`frames` seeded fuzz frames into the in port; every FUZZ_SYNC frames a benchmark frame must come
    out before more are sent, so the switch processes every fuzz frame (none is lost in a full socket
    buffer). A one-line report."""
    workload = sender.workload
    rng = random.Random(f"switch_veth:{workload.name}")
    seeds = [workload.frame(n) for n in range(16)]
    refused = 0
    t0 = time.perf_counter()
    for n in range(frames):
        try:
            sender.tx.send(fuzz_frame(rng, rng.choice(seeds)))
        except OSError:
            refused += 1
        if n % FUZZ_SYNC == FUZZ_SYNC - 1 or n == frames - 1:
            ((sync, frame),) = sender.take(1)
            sender.tx.send(frame)
            if sender.receive(sync, 5.0) is None:
                raise BenchError(f"{workload.name}: the switch stopped forwarding after {n + 1} fuzz frames")
    seconds = time.perf_counter() - t0
    return f"{frames} random and mutated frames at {frames / seconds:,.0f}/s ({refused} refused by the kernel)"


# --------------------------------------------------------------------------------------------
# one run and the report


@dataclass
class Result:
    rate: float  # packets/s
    received: int
    p50: float  # us
    p99: float
    lost: int  # latency frames that did not come out
    cpu: float  # CPU time of the switch process (every thread, user + system) per frame of the throughput run, us


@dataclass
class Figures:
    """The results of one (workload, JSON, target) over the rounds."""

    results: list[Result] = field(default_factory=list)

    def median(self, what: str) -> float:
        return statistics.median(getattr(r, what) for r in self.results)


def run_once(
    target: Target, workload: Workload, build_dir: Path, pairs: list[Pair], args: argparse.Namespace, workdir: Path
) -> Result:
    profile = workdir / f"{workload.name}.prof" if args.profile and target.binary is None else None
    cpu = 1 if args.pin else None
    with running_switch(target, workload, pairs, workdir, profile, cpu) as switch:
        program_switch(switch.grpc_addr, build_dir, workload)
        tx = packet_socket(pairs[0].host_end, receive=False)
        rx = packet_socket(pairs[1].host_end, receive=True)
        try:
            sender = Sender(workload, tx, rx)
            check_forwarding(sender)
            latency(sender, min(500, args.latency_samples))  # warm-up
            times, lost = latency(sender, args.latency_samples)
            cpu_before = process_cpu_seconds(switch.proc.pid)
            received, seconds = throughput(sender, args.packets, args.window)
            cpu = (process_cpu_seconds(switch.proc.pid) - cpu_before) * 1e6 / max(1, received)
            if received < args.packets * 0.99:
                print(f"  note: {workload.name} on {target.name}: {args.packets - received} of {args.packets} "
                      "frames of the throughput run did not come out", flush=True)
            if args.fuzz and workload.stateless:
                report = fuzz(sender, args.fuzz)
                if switch.proc.poll() is not None:
                    raise BenchError(f"{workload.name}: the switch died during the fuzz frames")
                check_forwarding(sender)
                print(f"  fuzz: {report}; the switch still runs and forwards the benchmark frame exactly")
            frames_sent = sender.next
        finally:
            tx.close()
            rx.close()
    if profile is not None:
        print_profile(profile, args.profile, frames_sent)
    if not times:
        raise BenchError(f"{workload.name} on {target.name}: no latency sample came back")
    return Result(received / seconds if seconds > 0 else 0.0, received, statistics.median(times),
                  percentile(times, 0.99), lost, cpu)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid`, all its threads (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_summary(figures: dict[tuple[str, str, str], Figures], targets: list[Target], jsons: list[str],
                  names: list[str], in_process: dict[tuple[str, str], str]) -> None:
    print()
    print("Medians over the rounds: packets/s, latency p50 and p99 (us), switch CPU per frame (us, user + system,")
    print("every thread); ratios softp4 / bmv2-fast (packets/s: above 1 softp4 is faster; p50 and CPU: below 1)")
    names_t = [t.name for t in targets]
    head = f"{'workload':9s} {'JSON':6s} " + " ".join(f"{t:>30s}" for t in names_t)
    both = "bmv2-fast" in names_t and "softp4" in names_t
    print(head + ("  rate x  p50 x  CPU x" if both else ""))
    print(f"{'':16s}" + f"{'k pkt/s   p50   p99   CPU':>31s}" * len(names_t))
    for name in names:
        for which in jsons:
            cells = []
            for t in names_t:
                fig = figures.get((name, which, t))
                if fig is None or not fig.results:
                    cells.append(f"{'-':>30s}")
                    continue
                cell = (f"{fig.median('rate') / 1000:7.1f} {fig.median('p50'):5.0f} {fig.median('p99'):5.0f} "
                        f"{fig.median('cpu'):5.1f}")
                cells.append(f"{cell:>30s}")
            line = f"{name:9s} {which:6s} " + " ".join(cells)
            sp, bf = figures.get((name, which, "softp4")), figures.get((name, which, "bmv2-fast"))
            if both and sp and bf and sp.results and bf.results:
                line += (f"  {sp.median('rate') / bf.median('rate'):6.2f} {sp.median('p50') / bf.median('p50'):6.2f}"
                         f" {sp.median('cpu') / bf.median('cpu'):6.2f}")
            print(line)
    if in_process:
        print()
        print("softp4's pipeline alone (Switch.process() in this process, same JSON, entries and frames):")
        for (name, which), line in in_process.items():
            print(f"{name:9s} {which:6s} {line}")


def _bmv2_binary(prefix: str | None, option: str) -> str | None:
    if not prefix:
        return None
    path = Path(prefix) / "bin" / "simple_switch_grpc"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise BenchError(f"{option} {prefix}: no {path}")
    return str(path)


def _p4c(arg: str | None) -> str | None:
    if arg:
        return arg
    from softp4 import reference

    return os.environ.get("P4C") or reference.find_tool("p4c-bm2-ss")


def parse_args() -> argparse.Namespace:
    ap = Parser(prog="switch_veth.py", description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=integer(1, None, "round count"), default=3,
                    help="rounds of every target; medians printed (default 3)")
    ap.add_argument("--packets", type=integer(1, None, "packet count"), default=20_000,
                    help="frames of the throughput run (default 20000)")
    ap.add_argument("--window", type=integer(1, None, "window"), default=32,
                    help="frames in flight in the throughput run (default 32)")
    ap.add_argument("--latency-samples", type=integer(1, None, "sample count"), default=2_000,
                    help="one-at-a-time frames (default 2000)")
    ap.add_argument("--entries", type=integer(1, None, "entry count"), default=1_000,
                    help="entries of the l2 and ipv4-lpm tables (default 1000)")
    ap.add_argument("--only", nargs="+", choices=WORKLOAD_NAMES, metavar="NAME", help="run these workloads only")
    ap.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS), help="switches to run")
    ap.add_argument("--json", nargs="+", choices=JSONS, default=list(JSONS), help="whose BMv2 JSON to run")
    ap.add_argument("--bmv2", default=os.environ.get("P4REF"), metavar="PREFIX",
                    help="BMv2 as built: PREFIX/bin/simple_switch_grpc (default $P4REF)")
    ap.add_argument("--bmv2-fast", default=os.environ.get("P4REF_FAST"), metavar="PREFIX",
                    help="BMv2 built for speed (default $P4REF_FAST)")
    ap.add_argument("--p4c", help="p4c-bm2-ss for the p4c JSON (default $P4C, else $P4REF/bin or PATH)")
    ap.add_argument("--topology", type=Path, default=TOPOLOGY, help="address plan of nic and tor")
    ap.add_argument("--profile", type=integer(0, None, "function count"), default=0, metavar="N",
                    help="run softp4 under cProfile (slower) and print its top N functions")
    ap.add_argument("--fuzz", type=integer(0, None, "frame count"), default=0, metavar="N",
                    help="then send N random and mutated frames and check the switch still forwards")
    ap.add_argument("--no-in-process", action="store_true", help="skip the in-process reference figures")
    ap.add_argument("--pin", action="store_true", help="run the switch on CPU 1 and this process on CPU 0")
    args = ap.parse_args()
    if args.fuzz < 0:
        ap.error("--fuzz must not be negative")
    if min(args.packets, args.latency_samples, args.rounds, args.window) < 1:
        ap.error("--packets, --latency-samples, --rounds and --window must be at least 1")
    if not 1 <= args.entries <= MAX_ENTRIES:
        ap.error(f"--entries must be 1..{MAX_ENTRIES} (the programs' table sizes)")
    return args


def targets_of(args: argparse.Namespace) -> list[Target]:
    found = []
    for name in args.targets:
        if name == "softp4":
            found.append(Target(name))
            continue
        option = "--bmv2" if name == "bmv2" else "--bmv2-fast"
        binary = _bmv2_binary(args.bmv2 if name == "bmv2" else args.bmv2_fast, option)
        if binary is None:
            env = "P4REF" if name == "bmv2" else "P4REF_FAST"
            print(f"switch_veth.py: {name} skipped: give {option} PREFIX or set {env}")
            continue
        found.append(Target(name, binary))
    return found


def run(args: argparse.Namespace, tmp: Path) -> None:
    targets = targets_of(args)
    jsons = list(args.json)
    p4c = _p4c(args.p4c) if "p4c" in jsons else None
    if "p4c" in jsons and p4c is None:
        print("switch_veth.py: p4c's JSON skipped: no p4c-bm2-ss (give --p4c, or set P4C or P4REF)")
        jsons.remove("p4c")
    chosen = [w for w in workloads(args.entries, args.topology) if not args.only or w.name in args.only]
    builds = build_programs({w.program: w.source_dir for w in chosen}, jsons, p4c, tmp / "build")
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for t in targets:
        print(f"  {t.describe()}")
    print(f"  JSON: {', '.join(jsons)}" + (f" (p4c: {p4c})" if p4c else ""))
    print(f"  {args.rounds} rounds; throughput {args.packets} frames, {args.window} in flight; "
          f"latency {args.latency_samples} frames one at a time; {args.entries} entries in l2/ipv4-lpm; "
          f"nic/tor with the plan of {args.topology.name}")
    figures: dict[tuple[str, str, str], Figures] = {}
    in_process: dict[tuple[str, str], str] = {}
    with veth_pairs(2) as pairs:
        for workload in chosen:
            for which in jsons:
                if not args.no_in_process:
                    from testbed.inprocess import load_artifacts

                    art = load_artifacts(builds[which], workload.program)
                    sw = switch_for(workload, art.json_text, art.p4info)
                    in_process[(workload.name, which)] = measure_in_process(workload, sw, 10_000)
                for rnd in range(args.rounds):
                    for target in targets:
                        result = run_once(target, workload, builds[which], pairs, args, tmp)
                        figures.setdefault((workload.name, which, target.name), Figures()).results.append(result)
                        print(f"{workload.name:9s} {which:6s} {target.name:10s} round {rnd + 1}: "
                              f"{result.rate:9,.0f} packets/s ({result.received}/{args.packets}), "
                              f"p50 {result.p50:6.1f} us, p99 {result.p99:7.1f} us, "
                              f"switch CPU {result.cpu:5.1f} us/frame", flush=True)
    print_summary(figures, targets, jsons, [w.name for w in chosen], in_process)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


def _stop_on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    # skipped, not failed, so that `make bench` runs the other benchmarks without root
    if os.geteuid() != 0:
        print("switch_veth.py: skipped: needs root (veth pairs and packet sockets)")
        return
    if shutil.which("ip") is None:
        print("switch_veth.py: skipped: needs the `ip` command (iproute2)")
        return
    if args.pin:
        if len(os.sched_getaffinity(0)) < 2:
            raise SystemExit("switch_veth.py: --pin needs two CPUs")
        os.sched_setaffinity(0, {0})
    signal.signal(signal.SIGTERM, _stop_on_signal)  # clean up the interfaces on SIGTERM too
    try:
        with tempfile.TemporaryDirectory(prefix="softp4-veth-bench-") as tmp:
            run(args, Path(tmp))
    except BenchError as exc:
        raise SystemExit(f"switch_veth.py: {exc}") from None
    except KeyboardInterrupt:
        print("switch_veth.py: interrupted; the veth pairs are removed", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == PROFILED_SWITCH:
        sys.exit(profiled_switch(sys.argv[2], sys.argv[3:]))
    main()
