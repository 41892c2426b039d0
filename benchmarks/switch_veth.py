"""`softp4 switch` over veth pairs: packets/s and per-packet latency (p50, p99), L2 and IPv4 LPM.

Needs root (it creates two veth pairs and opens packet sockets).  For each program under
benchmarks/programs/ (compiled here with softp4) it starts `softp4 switch --no-p4` on the
switch ends of the pairs, pushes the program and a fixed set of entries over P4Runtime (as a
controller would), and then, from AF_PACKET sockets in this process on the host ends:

  * checks that one frame comes out exactly as the program must rewrite it;
  * for reference, runs the same program, entries and frame through Switch.process() in this
    process (no ports, no sockets): what the pipeline alone costs;
  * latency: one frame in flight at a time, send to receive, --latency-samples frames;
  * throughput: a burst of --packets frames sent as fast as this process can, then counts what
    arrives (kernel receive timestamps) until the port stays idle; packets/s is frames received
    over the time from the first send to the last arrival, median of --repeat bursts.  Frames the switch could not keep
    up with are lost in its socket buffer, as with BMv2, and reported.

Goals (issue 3; simple_switch_grpc on 2 cores, IPv4 LPM over veth, sender on the same machine):
-O2 with logging macros about 25 k packets/s, p50 about 80 us; -O3 release about 110 k packets/s,
p50 about 66 us.  The interfaces are removed afterwards, also on errors and Ctrl-C.

    sudo .venv/bin/python benchmarks/switch_veth.py [--packets 20000] [--repeat 3] [--latency-samples 3000]
                                                    [--entries 1000] [--only l2|ipv4-lpm] [--pin] [--profile N]
                                                    [--fuzz N]

--profile N runs the switch under cProfile (all its threads) and prints its N costliest functions;
the figures of such a run are slower than the real ones.  --fuzz N then sends N seeded random and
mutated frames (bit flips, cuts, extensions, VLAN tags) into port 0 of the running switch, paced so
that it processes every one, and checks that it still runs and forwards the benchmark frame exactly.

Prints figures; asserts nothing (it stops with a message if a frame is not forwarded right).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softp4.cliargs import Parser
from testbed.processes.switches import dying_with_parent

PROGRAMS = Path(__file__).resolve().parent / "programs"
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
RECEIVE_BUFFER = 64 * 1024 * 1024
MAGIC = b"SP4B"
ETH_HEADER, MAX_FRAME = 14, 1514  # what a packet socket sends on a 1500-byte-MTU veth
FUZZ_SYNC = 200  # fuzz frames between two benchmark frames that must come out
FUZZ_SEQUENCE = 2_000_000  # sequence numbers of those benchmark frames
IDLE_SECONDS = 1.0
BATCH = 250
MAX_ENTRIES = 4000  # l2_forward.p4's dmac table holds 4096
ROUTE_PORT, ROUTE_MAC = 1, 0x02_00_00_00_01_01


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
# the switch process and its P4Runtime client


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class SwitchHandle:
    address: str  # P4Runtime HOST:PORT
    process: subprocess.Popen[bytes]
    log: Path

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"softp4 switch exited with status {self.process.returncode}: {self.log.read_text()}")


@contextmanager
def softp4_switch(
    pairs: list[Pair], log: Path, profile: Path | None = None, cpu: int | None = None
) -> Iterator[SwitchHandle]:
    """`softp4 switch --no-p4` with port i on pairs[i]; yields its P4Runtime address once ready.

    With `profile`, the switch runs under cProfile (every thread) and writes its stats there on exit;
    with `cpu`, it runs on that CPU only.
    """
    address = f"127.0.0.1:{_free_tcp_port()}"
    if profile is None:
        softp4 = shutil.which("softp4") or str(Path(sys.executable).parent / "softp4")
        cmd = [softp4, "switch"]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), PROFILED_SWITCH, str(profile)]
    cmd += ["--no-p4", "--device-id", "1", "--grpc-server-addr", address]
    for i, pair in enumerate(pairs):
        cmd += ["-i", f"{i}@{pair.switch_end}"]
    with log.open("w") as err:
        proc = subprocess.Popen(dying_with_parent(cmd), stdout=subprocess.DEVNULL, stderr=err)
    if cpu is not None:
        os.sched_setaffinity(proc.pid, {cpu})
    try:
        deadline = time.monotonic() + 30
        while "ready" not in log.read_text():
            if proc.poll() is not None:
                raise BenchError(f"softp4 switch exited: {log.read_text().strip()}")
            if time.monotonic() > deadline:
                raise BenchError("softp4 switch did not become ready in 30 s")
            time.sleep(0.05)
        yield SwitchHandle(address, proc, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


PROFILED_SWITCH = "--profiled-switch"


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
IDLE_CALLS = ("select.select", "_queue.SimpleQueue", "_thread.lock", "grpc/_server.py", "threading.py")


def print_profile(stats_file: Path, top: int) -> None:
    """The `top` functions by own time, waiting calls left out; times per received frame."""
    import pstats

    stats: dict[Any, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    frames = max((calls for (path, _, name), (calls, *_) in stats.items() if name == "receive"), default=0)
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.items():
        where = f"{path}:{line}({name})" if line else name
        short = where.replace(str(Path(__file__).resolve().parent.parent) + "/", "")
        short = short.split("site-packages/")[-1]
        if not any(idle in where for idle in IDLE_CALLS):
            rows.append((own, cumulative, calls, short))
    rows.sort(reverse=True)
    busy = sum(own for own, *_ in rows)
    print(f"  switch process under cProfile: {busy:.2f} s busy for {frames} received frames; top {top} by own time")
    print(f"  {'own us/frame':>12s} {'cum us/frame':>12s} {'calls':>8s}  function")
    for own, cumulative, calls, short in rows[:top]:
        per = 1e6 / frames if frames else 0.0
        print(f"  {own * per:12.2f} {cumulative * per:12.2f} {calls:8d}  {short}")


class P4RuntimeClient:
    """Just enough P4Runtime to become primary, push a pipeline and insert table entries."""

    def __init__(self, address: str) -> None:
        import grpc
        from finsy.proto import p4r, p4r_grpc

        self.p4r = p4r
        self.channel = grpc.insecure_channel(address)
        self.stub = p4r_grpc.P4RuntimeStub(self.channel)
        self.election = p4r.Uint128(low=1)
        self._closed = False
        hello = p4r.StreamMessageRequest(
            arbitration=p4r.MasterArbitrationUpdate(device_id=1, election_id=self.election)
        )

        def requests() -> Iterator[Any]:
            yield hello
            while not self._closed:
                time.sleep(0.1)

        self.stream = self.stub.StreamChannel(requests())
        next(self.stream)  # the arbitration reply
        self.p4info: Any = None

    def set_pipeline(self, p4info: Any, device_config: bytes) -> None:
        p4r = self.p4r
        self.p4info = p4info
        self.stub.SetForwardingPipelineConfig(
            p4r.SetForwardingPipelineConfigRequest(
                device_id=1,
                election_id=self.election,
                action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
                config=p4r.ForwardingPipelineConfig(p4info=p4info, p4_device_config=device_config),
            )
        )

    def _id(self, kind: str, name: str) -> int:
        for obj in getattr(self.p4info, kind):
            if obj.preamble.name == name:
                return int(obj.preamble.id)
        raise BenchError(f"no {kind[:-1]} named {name} in the P4Info")

    def insert(self, entries: list[Entry]) -> None:
        """INSERT every entry, in batches of BATCH updates."""
        p4r = self.p4r
        updates = []
        for e in entries:
            matches = []
            for i, key in enumerate(e.keys):
                value = key.value.to_bytes(key.width, "big")
                if key.prefix is None:
                    matches.append(p4r.FieldMatch(field_id=i + 1, exact=p4r.FieldMatch.Exact(value=value)))
                else:
                    lpm = p4r.FieldMatch.LPM(value=value, prefix_len=key.prefix)
                    matches.append(p4r.FieldMatch(field_id=i + 1, lpm=lpm))
            act = p4r.Action(
                action_id=self._id("actions", e.action),
                params=[
                    p4r.Action.Param(param_id=i + 1, value=v.to_bytes(w, "big")) for i, (v, w) in enumerate(e.params)
                ],
            )
            entry = p4r.TableEntry(
                table_id=self._id("tables", e.table), match=matches, action=p4r.TableAction(action=act)
            )
            updates.append(p4r.Update(type=p4r.Update.INSERT, entity=p4r.Entity(table_entry=entry)))
        for start in range(0, len(updates), BATCH):
            self.stub.Write(
                p4r.WriteRequest(device_id=1, election_id=self.election, updates=updates[start : start + BATCH])
            )

    def close(self) -> None:
        self._closed = True
        self.stream.cancel()
        self.channel.close()


# --------------------------------------------------------------------------------------------
# the two workloads


@dataclass(frozen=True)
class Key:
    """One key field: an exact value or an IPv4 LPM prefix, `width` bytes on the wire."""

    value: int
    width: int
    prefix: int | None = None  # LPM prefix length; None for exact


@dataclass(frozen=True)
class Entry:
    """A table entry as both the P4Runtime client and the in-process switch install it."""

    table: str
    keys: tuple[Key, ...]
    action: str
    params: tuple[tuple[int, int], ...]  # (value, width in bytes)


@dataclass
class Workload:
    name: str
    program: str
    entries: Callable[[int], list[Entry]]  # the table entries, about N of them
    frame: Callable[[int], bytes]  # the frame with sequence number n, sent on port 0
    expect: Callable[[bytes], bytes]  # what port 1 must receive for a sent frame


HOST_MAC, SWITCH_MAC = 0x02_00_00_00_00_01, 0x02_00_00_00_00_02


def _l2_entries(entries: int) -> list[Entry]:
    def forward(mac: int, port: int) -> Entry:
        return Entry("L2Ingress.dmac", (Key(mac, 6),), "L2Ingress.forward", ((port, 2),))

    return [forward(SWITCH_MAC, ROUTE_PORT)] + [forward(0x02_00_00_10_00_00 + i, i % 2) for i in range(entries)]


def _l2_frame(n: int) -> bytes:
    head = SWITCH_MAC.to_bytes(6, "big") + HOST_MAC.to_bytes(6, "big") + b"\x88\xb5"
    return head + MAGIC + struct.pack("!I", n) + bytes(46)


def _ipv4_entries(entries: int) -> list[Entry]:
    def route(network: int, prefix: int, mac: int, port: int) -> Entry:
        return Entry("RouterIngress.routes", (Key(network, 4, prefix),), "RouterIngress.route", ((mac, 6), (port, 2)))

    rows = [route(0x0A00_0100, 24, ROUTE_MAC, ROUTE_PORT)]
    for i in range(entries - 1):  # other /24s in 10.0.0.0/8, around the benchmark's 10.0.1.0/24
        rows.append(route(0x0A00_0000 + ((i if i < 1 else i + 1) << 8), 24, 0x02_00_00_20_00_00 + i, i % 2))
    # shorter prefixes covering the route: the longest must win
    rows += [route(0x0A00_0000, prefix, 0, 0) for prefix in (8, 16)]
    return rows


def _ipv4_frame(n: int) -> bytes:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    mac = ":".join(f"{b:02x}" for b in SWITCH_MAC.to_bytes(6, "big"))
    host = ":".join(f"{b:02x}" for b in HOST_MAC.to_bytes(6, "big"))
    pkt = Ether(dst=mac, src=host) / IP(src="192.168.0.1", dst="10.0.1.5", ttl=64) / UDP(sport=5000, dport=6000)
    return bytes(pkt / (MAGIC + struct.pack("!I", n) + bytes(22)))


def _ipv4_expect(frame: bytes) -> bytes:
    from scapy.layers.l2 import Ether

    pkt = Ether(frame)
    pkt.src, pkt.dst = pkt.dst, ":".join(f"{b:02x}" for b in ROUTE_MAC.to_bytes(6, "big"))
    pkt["IP"].ttl -= 1
    del pkt["IP"].chksum
    return bytes(pkt)


WORKLOADS = [
    Workload("l2", "l2_forward", _l2_entries, _l2_frame, lambda f: f),
    Workload("ipv4-lpm", "ipv4_lpm", _ipv4_entries, _ipv4_frame, _ipv4_expect),
]


# --------------------------------------------------------------------------------------------
# packet sockets and measurements


def packet_socket(ifname: str, receive_buffer: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind((ifname, 0))
    return sock


def _sequence(frame: bytes) -> int | None:
    i = frame.find(MAGIC)
    return struct.unpack_from("!I", frame, i + 4)[0] if i >= 0 and len(frame) >= i + 8 else None


def drain(sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        while True:
            sock.recv(65536)
    except BlockingIOError:
        pass
    finally:
        sock.setblocking(True)


def receive_one(sock: socket.socket, want: int, timeout: float) -> bytes | None:
    """The frame with sequence number `want`, or None after `timeout` seconds."""
    deadline = time.perf_counter() + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        frame, address = sock.recvfrom(65536)
        if address[2] != PACKET_OUTGOING and _sequence(frame) == want:
            return frame


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def latency(tx: socket.socket, rx: socket.socket, workload: Workload, samples: int) -> tuple[list[float], int]:
    """Round trips in microseconds, one frame in flight at a time; and how many were lost."""
    frames = [workload.frame(1_000_000 + n) for n in range(samples)]
    clock = time.perf_counter_ns
    times: list[float] = []
    lost = 0
    for n, frame in enumerate(frames):
        t0 = clock()
        tx.send(frame)
        if receive_one(rx, 1_000_000 + n, 0.5) is None:
            lost += 1
            continue
        times.append((clock() - t0) / 1000)
    times.sort()
    return times, lost


def burst(tx: socket.socket, rx: socket.socket, workload: Workload, packets: int) -> tuple[int, float, float]:
    """Send `packets` frames back to back; (received, seconds to the last arrival, seconds sending)."""
    frames = [workload.frame(n) for n in range(packets)]
    drain(rx)
    send = tx.send
    t_start = time.time()
    for frame in frames:
        send(frame)
    t_sent = time.time()
    received = 0
    last = t_start
    rx.settimeout(IDLE_SECONDS)
    cmsg_space = socket.CMSG_SPACE(16)
    try:
        while True:
            try:
                data, ancdata, _, address = rx.recvmsg(65536, cmsg_space)
            except TimeoutError:
                break
            if address[2] == PACKET_OUTGOING or _sequence(data) is None:
                continue
            received += 1
            for level, kind, value in ancdata:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    last = max(last, sec + nsec / 1e9)
    finally:
        rx.settimeout(None)
    return received, last - t_start, t_sent - t_start


def check_forwarding(tx: socket.socket, rx: socket.socket, workload: Workload) -> None:
    """One frame in, and on port 1 exactly the frame the program must make of it."""
    probe = workload.frame(999_999)
    tx.send(probe)
    got = receive_one(rx, 999_999, 5.0)
    if got is None:
        raise BenchError(f"{workload.name}: the switch did not forward the benchmark frame to port 1")
    want = workload.expect(probe)
    if got[: len(want)] != want:
        raise BenchError(f"{workload.name}: port 1 received {got.hex()}\n  expected {want.hex()}")


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


def fuzz(tx: socket.socket, rx: socket.socket, workload: Workload, frames: int) -> str:
    """`frames` seeded fuzz frames into port 0; every FUZZ_SYNC frames a benchmark frame must come
    out on port 1 before more are sent, so the switch processes every fuzz frame (none is lost
    in a full socket buffer). A one-line report."""
    rng = random.Random(f"switch_veth:{workload.name}")
    seeds = [workload.frame(n) for n in range(16)]
    refused = 0
    t0 = time.perf_counter()
    for n in range(frames):
        try:
            tx.send(fuzz_frame(rng, rng.choice(seeds)))
        except OSError:
            refused += 1
        if n % FUZZ_SYNC == FUZZ_SYNC - 1 or n == frames - 1:
            sync = FUZZ_SEQUENCE + n
            tx.send(workload.frame(sync))
            if receive_one(rx, sync, 5.0) is None:
                raise BenchError(f"{workload.name}: the switch stopped forwarding after {n + 1} fuzz frames")
    seconds = time.perf_counter() - t0
    return f"{frames} random and mutated frames at {frames / seconds:,.0f}/s ({refused} refused by the kernel)"


# --------------------------------------------------------------------------------------------


def compile_program(name: str) -> tuple[Any, bytes]:
    from softp4.compiler import compile_file

    result = compile_file(PROGRAMS / f"{name}.p4")
    return result.p4info, json.dumps(result.bmv2_json).encode()


def in_process(workload: Workload, config: dict[str, Any], args: argparse.Namespace) -> str:
    """The same program, entries and frames through Switch.process() in this process: a one-line report.

    The difference to the veth figures is what the ports, the sockets and the second process cost.
    """
    from softp4.switch import Exact, Lpm, Switch

    sw = Switch(config)
    for e in workload.entries(args.entries):
        keys = [Exact(k.value) if k.prefix is None else Lpm(k.value, k.prefix) for k in e.keys]
        sw.table_add(e.table, keys, e.action, [v for v, _ in e.params])
    frame = workload.frame(1)
    want = workload.expect(frame)
    outs = sw.process(0, frame)
    if len(outs) != 1 or outs[0][0] != ROUTE_PORT or outs[0][1][: len(want)] != want:
        raise BenchError(f"{workload.name}: in process, the benchmark frame gave {outs}")
    process = sw.process
    for _ in range(1000):
        process(0, frame)
    t0 = time.perf_counter()
    for _ in range(args.packets):
        process(0, frame)
    rate = args.packets / (time.perf_counter() - t0)
    clock = time.perf_counter_ns
    times = []
    for _ in range(args.latency_samples):
        a = clock()
        process(0, frame)
        times.append((clock() - a) / 1000)
    times.sort()
    return f"{rate:,.0f} packets/s, p50 {statistics.median(times):.1f} us, p99 {percentile(times, 0.99):.1f} us"


def run_workload(workload: Workload, pairs: list[Pair], args: argparse.Namespace, tmp: Path) -> None:
    import grpc

    p4info, config = compile_program(workload.program)
    reference = in_process(workload, json.loads(config), args)
    profile = tmp / f"{workload.name}.prof" if args.profile else None
    cpu = 1 if args.pin else None
    with softp4_switch(pairs, tmp / f"{workload.name}.log", profile, cpu) as switch:
        try:
            client = P4RuntimeClient(switch.address)
            try:
                client.set_pipeline(p4info, config)
                client.insert(workload.entries(args.entries))
            finally:
                client.close()
        except grpc.RpcError as exc:
            raise BenchError(f"{workload.name}: P4Runtime: {exc.code().name}: {exc.details()}") from None
        tx = packet_socket(pairs[0].host_end)
        rx = packet_socket(pairs[1].host_end, RECEIVE_BUFFER)
        try:
            check_forwarding(tx, rx, workload)
            latency(tx, rx, workload, min(500, args.latency_samples))  # warm-up
            times, lost = latency(tx, rx, workload, args.latency_samples)
            bursts = [burst(tx, rx, workload, args.packets) for _ in range(args.repeat)]
            if args.fuzz:
                fuzz_report = fuzz(tx, rx, workload, args.fuzz)
                switch.check_alive()
                check_forwarding(tx, rx, workload)
        finally:
            tx.close()
            rx.close()
    if times:
        p50, p99 = statistics.median(times), percentile(times, 0.99)
        lat = f"p50 {p50:6.1f} us   p99 {p99:7.1f} us ({len(times)} frames, {lost} lost)"
    else:
        lat = "no latency sample"
    rates = sorted(received / seconds for received, seconds, _ in bursts)
    arrived = statistics.median(received for received, _, _ in bursts)
    sent = statistics.median(args.packets / sending for _, _, sending in bursts)
    print(
        f"{workload.name:9s} {statistics.median(rates):9,.0f} packets/s (median of {len(rates)} bursts, "
        f"{rates[0]:,.0f}..{rates[-1]:,.0f}; {arrived:.0f}/{args.packets} frames arrived, sent at {sent:,.0f}/s)",
        flush=True,
    )
    print(f"{'':9s} latency {lat}", flush=True)
    print(f"{'':9s} same program in process (Switch.process): {reference}", flush=True)
    if args.fuzz:
        print(f"{'':9s} fuzz: {fuzz_report}; the switch still runs and forwards the benchmark frame exactly")
    if profile is not None:
        print_profile(profile, args.profile)


def _stop_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(f"switch_veth.py: stopped by signal {signum}")


def main() -> None:
    ap = Parser(prog="switch_veth.py", description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=20_000, help="frames in the throughput burst (default 20000)")
    ap.add_argument("--latency-samples", type=int, default=3_000, help="one-at-a-time frames (default 3000)")
    ap.add_argument("--entries", type=int, default=1_000, help="table entries installed (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="bursts; the median rate is printed (default 3)")
    ap.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="run the switch under cProfile (slower) and print its top N functions",
    )
    ap.add_argument(
        "--fuzz",
        type=int,
        default=0,
        metavar="N",
        help="then send N random and mutated frames into port 0 and check the switch still forwards",
    )
    ap.add_argument("--pin", action="store_true", help="run the switch on CPU 1 and this process on CPU 0")
    ap.add_argument("--only", choices=[w.name for w in WORKLOADS], help="run one workload")
    args = ap.parse_args()
    if args.fuzz < 0:
        ap.error("--fuzz must not be negative")
    if args.packets < 1 or args.latency_samples < 1 or args.repeat < 1:
        ap.error("--packets, --latency-samples and --repeat must be at least 1")
    if not 1 <= args.entries <= MAX_ENTRIES:
        ap.error(f"--entries must be 1..{MAX_ENTRIES} (the programs' table sizes)")
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
    print(
        f"softp4 switch over veth, {args.entries} entries, sender and receiver in this process "
        f"(packet sockets); burst of {args.packets}, {args.latency_samples} latency samples"
    )
    signal.signal(signal.SIGTERM, _stop_on_signal)  # clean up the interfaces on SIGTERM too
    try:
        with tempfile.TemporaryDirectory(prefix="softp4-veth-bench-") as tmp, veth_pairs(2) as pairs:
            for workload in WORKLOADS:
                if args.only in (None, workload.name):
                    run_workload(workload, pairs, args, Path(tmp))
    except BenchError as exc:
        raise SystemExit(f"switch_veth.py: {exc}") from None
    except KeyboardInterrupt:
        print("switch_veth.py: interrupted; the switch was stopped and the veth pairs removed", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == PROFILED_SWITCH:
        sys.exit(profiled_switch(sys.argv[2], sys.argv[3:]))
    main()
