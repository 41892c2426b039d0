"""Completion time of one transfer (p50, p99 over repeated runs), 64 B to 1 MiB, with the retransmissions,
ACK timer expiries and NACKs it took, and goodput; on the in-process rack or the netns rack (softp4 or BMv2).

    .venv/bin/python benchmarks/transfer.py [--testbed inprocess|netns] [--target softp4|bmv2] [--loss PERCENT]
                                            [--window 32] [--sizes 64 256 1KiB ...] [--runs 20]
                                            [--budget 30] [--out build/bench]

acc1 writes one buffer of each size into the 1 MiB window acc2 exports to it (benchmarks/topologies/
transfer.toml), as the emulator issues it: TLPs of 256 bytes (the common Max Payload Size), at most
--window of them unacknowledged (default 32; the rest go as ACKs free room), the last one through the
window's ACK alias, so one ACK covers the whole transfer (ACK_EVERY = 16 adds one every 16 frames, and a
TLP that fills the window asks for one when none is coming). Each run writes fresh random bytes and checks
they landed. Stamped in the emulators (`testbed.stopwatch`), from the first TLP the sender hands to its
PCIe link:

  issue     until the sender issued its last TLP, re-issued ones included (the emulator builds each TLP
            with scapy: without loss this is its pace)
  landed    until the last TLP was applied to acc2's memory (netns: by the emulator, in this process, which
            applies TLPs more slowly than the switches deliver them, so it can come after complete)
  complete  until the sender holds no unacknowledged write (the ACK that covered the last one was acted on)
  tail      complete - issue: what the protocol adds after the last TLP left the sender
  goodput   size / complete (p50)

Without loss (the default) no run may re-issue a write or fire the ACK timer: one that does with no NACK
seen (nothing was lost) is a protocol bug, and the script exits 1 after the table. If a target loses
frames by itself (a switch queue overflows) the receiver NACKs; such runs are marked and reported, not
failed. A size stops after --runs runs or when --budget seconds are spent on it (at least one run).
Prints figures and asserts nothing else; writes a PNG (transfer-<testbed>-<target>[-loss<p>].png) into --out.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path

import rackbench
from rackbench import BenchRack, percentile, size_label

TOPOLOGY = Path(__file__).resolve().parent / "topologies" / "transfer.toml"
SIZES = (64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)
SRC, DST = "acc1", "acc2"


def transfer(bench: BenchRack, size: int, rng: random.Random) -> rackbench.Issue:
    """One run: acc1 writes `size` fresh random bytes at the start of its window to acc2."""
    window = bench.rack.plan.tx_window(SRC, DST)  # type: ignore[attr-defined]

    def issue() -> tuple[int, Callable[[], str | None]]:
        data = rng.randbytes(size)
        tlps = bench.write(SRC, DST, window.local_base, data)

        def check() -> str | None:
            landed = bytes(bench.accelerators[DST].memory[window.remote_base : window.remote_base + size])
            return None if landed == data else f"the bytes in {DST}'s memory differ from those written"

        return tlps, check

    return issue


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 parents=[rackbench.common_parser(runs=20, budget=30.0, unit="size")])
    ap.add_argument("--sizes", nargs="+", type=rackbench.parse_size, default=list(SIZES), metavar="SIZE",
                    help="transfer sizes, e.g. 64 4KiB 1MiB (default 64 B to 1 MiB, x4); at most 1 MiB")
    args = ap.parse_args(argv)
    args.command = ["benchmarks/transfer.py", *(sys.argv[1:] if argv is None else argv)]
    rackbench.check_common(ap, args)
    if max(args.sizes) > 1 << 20:
        ap.error("--sizes: at most 1 MiB (the window of benchmarks/topologies/transfer.toml)")
    return rackbench.guarded("transfer.py", args, lambda: run(args))


def run(args: argparse.Namespace) -> int:
    loss = args.loss / 100
    rackbench.header("One transfer acc1 -> acc2, go-back-N with the ACK alias on the tail", args.command)
    print(f"  testbed: {rackbench.describe_testbed(args.testbed, args.target)}")
    print(f"  loss: {f'{args.loss:g}% of the frames from each NIC to the ToR' if loss else 'none injected'}"
          + (f"; ACK timer {args.ack_timeout:g} s" if args.testbed == "netns" else
             "; the ACK timer fires when the fabric is quiet with writes unacknowledged"))
    print(f"  send window: {args.window} TLPs unacknowledged per stream")
    rng = random.Random(args.seed)
    results = []
    with rackbench.bench_rack(TOPOLOGY, args.build_dir, args.testbed, args.target, [SRC], loss=loss,
                              seed=args.seed, ack_timeout=args.ack_timeout, window=args.window) as bench:
        for size in args.sizes:
            result = rackbench.Result(size_label(size), size)
            results.append(rackbench.measure(bench, result, transfer(bench, size, rng), args.runs, args.budget, loss))
            if results[-1].failures:
                break
    print(f"  load average at end: {rackbench.load_average()}")
    print("\ntimes in ms from the first TLP issued; p99 is nearest-rank (with fewer than 100 runs, the slowest)")
    print("\n".join(rackbench.table(results, "size")))
    status = rackbench.verdict(results)
    name = f"transfer-{args.testbed}" + (f"-{args.target}" if args.testbed == "netns" else "") + (
        f"-loss{args.loss:g}" if loss else "")
    done = [r for r in results if r.complete]
    xs = [float(r.payload) for r in done]
    rackbench.plot(
        args.out, name, f"one transfer, {rackbench.describe_testbed(args.testbed, args.target).split(' (')[0]}"
        + (f", {args.loss:g}% loss" if loss else ""), "transfer size", "time from the first TLP (ms)",
        {
            "complete p50": (xs, [percentile(r.complete, 0.5) * 1e3 for r in done]),
            "complete p99": (xs, [percentile(r.complete, 0.99) * 1e3 for r in done]),
            "last byte landed p50": (xs, [percentile(r.landed, 0.5) * 1e3 for r in done]),
            "tail (complete - issue) p50": (xs, [percentile(r.tail, 0.5) * 1e3 for r in done]),
        },
        xticks=[(float(r.payload), r.label.replace(" ", "")) for r in done],
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
