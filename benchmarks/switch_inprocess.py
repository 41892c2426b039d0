"""In-process switch throughput and latency: packets/s and p50/p99 of Switch.process().

Run: .venv/bin/python benchmarks/switch_inprocess.py [--packets N]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import pathlib
import statistics
import time

from softp4.cliargs import Parser, integer
from softp4.switch import Exact, Lpm, Switch

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "switch" / "fixtures"


def l2() -> tuple[Switch, bytes]:
    sw = Switch(FIXTURES / "l2_switch.json")
    for i in range(1000):
        sw.table_add("MyIngress.smac", [Exact(0x020000000000 + i)], "NoAction", [])
        sw.table_add("MyIngress.dmac", [Exact(0x020000000000 + i)], "MyIngress.forward", [i % 8])
    frame = bytes.fromhex("02000000000702000000000388b5") + bytes(50)
    return sw, frame


def ipv4_lpm() -> tuple[Switch, bytes]:
    sw = Switch(FIXTURES / "basic_ipv4.json")
    for i in range(1000):
        sw.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000000 + (i << 8), 24)], "MyIngress.ipv4_forward", [i, i % 8])
    for plen in (8, 16):
        sw.table_add(
            "MyIngress.ipv4_lpm",
            [Lpm(0x0A000000 & ((1 << 32) - (1 << (32 - plen))), plen)],
            "MyIngress.ipv4_forward",
            [1, 1],
        )
    frame = bytes.fromhex("00000000000100000000000908004500002100010000401165c60a0001050a000105") + bytes(13)
    return sw, frame


def measure(name: str, sw: Switch, frame: bytes, n: int) -> None:
    assert sw.process(0, frame), f"{name}: the benchmark frame must be forwarded"
    for _ in range(min(n, 2000)):
        sw.process(0, frame)
    t0 = time.perf_counter()
    for _ in range(n):
        sw.process(0, frame)
    elapsed = time.perf_counter() - t0
    lat = []
    clock = time.perf_counter_ns
    for _ in range(min(n, 20000)):
        a = clock()
        sw.process(0, frame)
        lat.append((clock() - a) / 1000)
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[int(len(lat) * 0.99) - 1]
    print(f"{name:10s} {n / elapsed:10.0f} packets/s   p50 {p50:6.1f} us   p99 {p99:6.1f} us")


def main() -> None:
    ap = Parser(prog="switch_inprocess.py", description=__doc__)
    ap.add_argument("--packets", type=integer(1, None, "packet count"), default=50000)
    args = ap.parse_args()
    print("softp4 switch, in-process Switch.process(), one frame at a time")
    measure("l2", *l2(), args.packets)
    measure("ipv4-lpm", *ipv4_lpm(), args.packets)


if __name__ == "__main__":
    main()
