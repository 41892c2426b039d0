"""rack8 all-to-all and all-gather completion (p50, p99 over repeated runs), with retransmissions, ACK timer
expiries and NACKs; on the in-process rack or the netns rack (softp4 or BMv2).

    .venv/bin/python benchmarks/collective.py [--testbed inprocess|netns] [--target softp4|bmv2] [--loss PERCENT]
                                              [--runs 10] [--budget 60] [--only all-to-all|all-gather]
                                              [--topology topologies/rack8.toml] [--out build/bench]

all-to-all: every accelerator writes a distinct slice into every window exported to it, all issued at once
(rack8: 8 x 7 writes of 2,340 bytes, 560 TLPs), each write's last TLP through the ACK alias.
all-gather: every sender of the topology's first group writes its own slice of the group window through
the group (`testbed.groupdemo.all_gather`'s pattern; rack8: 8 slices of 2 KiB, 64 TLPs, each replicated by
the ToR to the 7 other members, which ACK on their own). Each run writes fresh random bytes and checks every
member's memory. Stamps (`testbed.stopwatch`) from the first TLP any sender issued: the last TLP applied
anywhere (landed) and the moment no sender holds an unacknowledged write (complete); goodput counts the
bytes delivered (all-gather: each slice once per receiving member). The exit status and the * mark are
those of benchmarks/transfer.py: a re-issue or timer expiry without loss and without a NACK fails.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path

import rackbench
from rackbench import BenchRack, percentile

from controller import topology
from controller.plan import GroupPlan, Plan
from testbed.memory import SparseMemory

PATTERNS = ("all-to-all", "all-gather")


def all_to_all(bench: BenchRack, topo: topology.Topology, plan: Plan,
               rng: random.Random) -> tuple[int, rackbench.Issue]:
    """Every exported window gets a distinct slice from each of its peers; returns (bytes per run, run)."""
    slices = []
    for export in topo.exports:
        size = export.size // len(export.peers) & ~3
        for i, peer in enumerate(export.peers):
            window = plan.tx_window(peer, export.owner, remote_base=export.base)
            slices.append((peer, export.owner, window.local_base + i * size, export.base + i * size, size))

    def issue() -> tuple[int, Callable[[], str | None]]:
        expected = {name: SparseMemory(acc.spec.memory) for name, acc in bench.accelerators.items()}
        tlps = 0
        for src, dst, local, remote, size in slices:
            data = rng.randbytes(size)
            tlps += bench.write(src, dst, local, data)
            expected[dst][remote : remote + size] = data

        def check() -> str | None:
            for name, acc in bench.accelerators.items():
                first = acc.first_difference(expected[name])
                if first is not None:
                    return f"{name}: byte {first:#x} is {acc.memory[first]:#04x}, expected {expected[name][first]:#04x}"
            return None

        return tlps, check

    return sum(s[-1] for s in slices), issue


def all_gather(bench: BenchRack, group: GroupPlan, plan: Plan, rng: random.Random) -> tuple[int, rackbench.Issue]:
    """Every sender writes its own slice of the group window at once; returns (bytes delivered per run, run)."""
    share = group.size // len(group.senders) & ~3
    members = {m.accelerator.name for m in group.members}

    def issue() -> tuple[int, Callable[[], str | None]]:
        writes = []
        tlps = 0
        for i, src in enumerate(group.senders):
            data = rng.randbytes(share)
            tlps += bench.write(src.name, group.name, plan.group_stream(src.name, group.name).local_base + i * share,
                                data)
            writes.append((src.name, i * share, data))

        def check() -> str | None:
            for member in group.members:
                memory = bench.accelerators[member.accelerator.name].memory
                for src, offset, data in writes:
                    at = member.base + offset
                    if src != member.accelerator.name and bytes(memory[at : at + len(data)]) != data:
                        return f"{member.accelerator.name}: {src}'s slice at {at:#x} differs from what was written"
            return None

        return tlps, check

    receivers = sum(len(members - {src.name}) for src in group.senders)
    return share * receivers, issue


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 parents=[rackbench.common_parser(runs=10, budget=60.0, unit="pattern")])
    ap.add_argument("--topology", type=Path, default=rackbench.REPO / "topologies" / "rack8.toml")
    ap.add_argument("--only", choices=PATTERNS, help="run one pattern (default both)")
    args = ap.parse_args(argv)
    args.command = ["benchmarks/collective.py", *(sys.argv[1:] if argv is None else argv)]
    rackbench.check_common(ap, args)
    try:
        topo = topology.load(args.topology)
    except (topology.TopologyError, OSError) as exc:
        print(f"collective.py: {exc}", file=sys.stderr)
        return 1
    return rackbench.guarded("collective.py", args, lambda: run(args, topo))


def run(args: argparse.Namespace, topo: topology.Topology) -> int:
    loss = args.loss / 100
    patterns = [args.only] if args.only else list(PATTERNS)
    if "all-gather" in patterns and not topo.groups:
        print(f"collective.py: {args.topology} has no [[groups]]: all-gather skipped")
        patterns.remove("all-gather")
    rackbench.header(f"Collectives on '{topo.name}': {len(topo.servers)} servers", args.command)
    print(f"  testbed: {rackbench.describe_testbed(args.testbed, args.target)}")
    print(f"  loss: {f'{args.loss:g}% of the frames from each NIC to the ToR' if loss else 'none injected'}")
    print(f"  send window: {args.window} TLPs unacknowledged per stream")
    rng = random.Random(args.seed)
    senders = [acc.name for server in topo.servers for acc in server.accelerators]
    results = []
    with rackbench.bench_rack(args.topology, args.build_dir, args.testbed, args.target, senders, loss=loss,
                              seed=args.seed, ack_timeout=args.ack_timeout, window=args.window) as bench:
        plan: Plan = bench.rack.plan  # type: ignore[attr-defined]
        for pattern in patterns:
            if pattern == "all-to-all":
                payload, issue = all_to_all(bench, topo, plan, rng)
            else:
                group = next(iter(plan.groups.values()))
                payload, issue = all_gather(bench, group, plan, rng)
            result = rackbench.Result(pattern, payload)
            results.append(rackbench.measure(bench, result, issue, args.runs, args.budget, loss))
            if result.failures:
                break
    print(f"  load average at end: {rackbench.load_average()}")
    print("\ntimes in ms from the first TLP issued; p99 is nearest-rank (with fewer than 100 runs, the slowest)")
    print("\n".join(rackbench.table(results, "pattern")))
    status = rackbench.verdict(results)
    done = [r for r in results if r.complete]
    name = f"collective-{args.testbed}" + (f"-{args.target}" if args.testbed == "netns" else "") + (
        f"-loss{args.loss:g}" if loss else "")
    rackbench.bars(
        args.out, name, f"{topo.name}, {rackbench.describe_testbed(args.testbed, args.target).split(' (')[0]}"
        + (f", {args.loss:g}% loss" if loss else ""), "time from the first TLP (ms)", [r.label for r in done],
        {
            "landed p50": [percentile(r.landed, 0.5) * 1e3 for r in done],
            "complete p50": [percentile(r.complete, 0.5) * 1e3 for r in done],
            "complete p99": [percentile(r.complete, 0.99) * 1e3 for r in done],
        },
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
