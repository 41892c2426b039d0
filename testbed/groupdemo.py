"""A group write in the in-process rack: one member writes a buffer that the ToR replicates to every member.

    python -m testbed.groupdemo --topology topologies/rack8.toml --group allgather

It builds the rack of the topology (`testbed.rack.Rack`: every NIC and the ToR on softp4, programmed from
the address plan), gives every sender its stream to the group, and has one sender (the group's first
unless `--sender`) write a buffer into the group window, with frames lost at random on every NIC uplink
(`--loss`, 1% by default), so members NACK on their own and the sender goes back for all of them. It then
checks every member's memory byte for byte, that no byte landed anywhere else (in any accelerator), that
the sender holds no unacknowledged write and that no emulator saw a violation; exit 1 on any error.
`--all-gather` has every sender write its own slice of the window at once instead.
"""

from __future__ import annotations

import argparse
import difflib
import random
import sys
from pathlib import Path

from controller import topology
from controller.plan import GroupPlan, PlanError
from controller.protocol import constants as c
from softp4.cliargs import Parser, integer
from testbed.fabric import Hop
from testbed.inprocess import InstallError
from testbed.memory import SparseMemory
from testbed.rack import Rack


def join_groups(rack: Rack) -> None:
    """Give every accelerator its streams to the groups it sends to (racks built by testbed.rack already do;
    this is for racks assembled by hand, and safe to call twice)."""
    for nic in rack.plan.nics.values():
        for stream in nic.group_tx:
            acc = rack.accelerators[stream.src.name]
            if stream.group.name not in acc.group_senders:
                acc.add_stream(stream)


def verify_group_write(rack: Rack, group: GroupPlan, sender: str, offset: int, data: bytes) -> list[str]:
    """Everything wrong after `sender` wrote `data` at `offset` of `group`'s window: a member missing a byte,
    a byte anywhere else, an unacknowledged write, a violation seen by an emulator."""
    return verify_group_writes(rack, group, [(sender, offset, data)])


def verify_group_writes(rack: Rack, group: GroupPlan, writes: list[tuple[str, int, bytes]]) -> list[str]:
    """As `verify_group_write`, for several (sender, offset, data) writes to the group (at distinct offsets)."""
    problems = [v for acc in rack.accelerators.values() for v in acc.violations]
    members = {m.accelerator.name: m for m in group.members}
    for name, acc in rack.accelerators.items():
        expected = SparseMemory(len(acc.memory))
        wrong = False
        for sender, offset, data in writes:
            if name not in members or name == sender:
                continue
            at = members[name].base + offset
            expected[at : at + len(data)] = data
            landed = bytes(acc.memory[at : at + len(data)])
            if landed != data:
                first = next(i for i in range(len(data)) if landed[i] != data[i])
                problems.append(f"{name}: byte {at + first:#x} is {landed[first]:#04x}, expected {data[first]:#04x}")
                wrong = True
        stray = None if wrong else acc.first_difference(expected)
        if stray is not None:
            problems.append(f"{name}: byte {stray:#x} was written ({acc.memory[stray]:#04x}) outside the group write")
    for sender in dict.fromkeys(sender for sender, _, _ in writes):
        acc = rack.accelerators[sender]
        if acc.unacked():
            behind = acc.group_senders[group.name].behind()
            waiting = ", ".join(f"{member}: {n}" for member, n in sorted(behind.items()) if n)
            problems.append(f"{sender} still has {acc.unacked()} unacknowledged writes ({waiting})")
    return problems


def all_gather(rack: Rack, group: GroupPlan, loss: float, seed: int) -> int:
    """Every sender writes its own slice of the group window at once; every member gathers the others'."""
    rng = random.Random(seed)
    hops = _lossy(rack, loss, rng)
    join_groups(rack)
    share = group.size // len(group.senders) & ~3
    writes = []
    tlps = 0
    for i, src in enumerate(group.senders):
        data = rng.randbytes(share)
        tlps += rack.accelerators[src.name].write(
            group.name, rack.plan.group_stream(src.name, group.name).local_base + i * share, data
        )
        writes.append((src.name, i * share, data))
    rack.run(max_timeouts=200)
    rewinds = sum(rack.accelerators[src.name].group_senders[group.name].rewinds for src in group.senders)
    print(f"topology '{rack.topology.name}': group '{group.name}' (id {group.id}, MAC {group.mac}, "
          f"ToR group {group.tor_group}) of {len(group.members)} members")
    print(f"all-gather: {len(group.senders)} senders wrote {share} bytes each at once, {tlps} memory writes")
    print(f"{hops[0]} hops delivered, {hops[1]} frames lost ({loss:.1%} loss on every NIC uplink); "
          f"{rewinds} rewinds")
    problems = verify_group_writes(rack, group, writes)
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    print("\nOK: every member holds every other sender's slice, exactly once and in order, and nothing else "
          "was touched")
    return 0


def _lossy(rack: Rack, loss: float, rng: random.Random) -> list[int]:
    """Lose `loss` of the frames on every NIC uplink; returns [delivered, lost], counted as the rack runs."""
    hops = [0, 0]

    def count(hop: Hop) -> None:
        hops[hop.dropped] += 1

    rack.fabric.observers.append(count)
    for server in rack.topology.servers:
        rack.fabric.drop_when((f"{server.name}.nic", c.NIC_UPLINK_PORT), lambda hop: rng.random() < loss)
    return hops


def run(rack: Rack, group: GroupPlan, sender: str, nbytes: int, loss: float, seed: int) -> int:
    rng = random.Random(seed)
    hops = _lossy(rack, loss, rng)
    join_groups(rack)
    stream = rack.plan.group_stream(sender, group.name)
    data = rng.randbytes(nbytes)
    acc = rack.accelerators[sender]
    tlps = acc.write(group.name, stream.local_base, data)
    rack.run(max_timeouts=200)

    receivers = [m.accelerator.name for m in group.members if m.accelerator.name != sender]
    print(f"topology '{rack.topology.name}': group '{group.name}' (id {group.id}, MAC {group.mac}, "
          f"ToR group {group.tor_group}) of {len(group.members)} members")
    print(f"{sender} wrote {nbytes} bytes as {tlps} memory writes at {stream.local_base:#x} (its window to the "
          f"group), for {', '.join(receivers)}")
    print(f"{hops[0]} hops delivered, {hops[1]} frames lost ({loss:.1%} loss on every NIC uplink); "
          f"{acc.group_senders[group.name].rewinds} rewinds, {acc.messages} ACK/NACK messages to {sender}")
    gaps = sum(nic.counter("NicIngress.accounting.drops", c.DROP_GAP)[1] for nic in rack.nics.values())
    dups = sum(nic.counter("NicIngress.accounting.drops", c.DROP_DUPLICATE)[1] for nic in rack.nics.values())
    print(f"members dropped {gaps} frames past a gap (NACKed) and {dups} duplicates")
    problems = verify_group_write(rack, group, sender, 0, data)
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    print(f"\nOK: all {nbytes} bytes landed exactly once, in order, in each of the {len(receivers)} members, "
          "and nothing else was touched")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m testbed.groupdemo", description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--topology", default=Path("topologies/rack8.toml"), type=Path)
    parser.add_argument("--group", help="the group to write to (default: the topology's first)")
    parser.add_argument("--sender", help="the member that writes (default: the group's first sender)")
    parser.add_argument("--bytes", type=int, help="size of the buffer (default: the whole group window)")
    parser.add_argument("--all-gather", action="store_true",
                        help="every sender writes its own slice of the group window at once instead")
    parser.add_argument("--loss", type=float, default=1.0, metavar="PERCENT",
                        help="lose this share of frames on every NIC uplink (default 1)")
    parser.add_argument("--seed", type=integer(0, None, "seed"), default=3,
                        help="seed of the buffer and of the loss (default 3: two frames are lost at 1%%)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error: one line, exit 2
        return int(exc.code or 0)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("groupdemo: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if not 0.0 <= args.loss < 100.0:
        print(f"groupdemo: --loss must be at least 0 and below 100, got {args.loss}", file=sys.stderr)
        return 2
    try:
        topo = topology.load(args.topology)
        rack = Rack.build(topo, args.build_dir)
    except (topology.TopologyError, PlanError, InstallError, FileNotFoundError) as exc:
        print(f"groupdemo: {exc}", file=sys.stderr)
        return 1
    groups = rack.plan.groups
    if not groups:
        print(f"groupdemo: {args.topology} has no [[groups]]", file=sys.stderr)
        return 1
    name = args.group or next(iter(groups))
    if name not in groups:
        close = difflib.get_close_matches(name, list(groups), n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; its groups are {', '.join(groups)}"
        print(f"groupdemo: --group: {args.topology} has no group '{name}'{hint}", file=sys.stderr)
        return 1
    group = groups[name]
    if args.all_gather:
        return all_gather(rack, group, args.loss / 100.0, args.seed)
    senders = [acc.name for acc in group.senders]
    sender = args.sender or senders[0]
    if sender not in senders:
        print(f"groupdemo: --sender: '{sender}' does not send to group '{name}'; its senders are "
              f"{', '.join(senders)}", file=sys.stderr)
        return 1
    nbytes = group.size if args.bytes is None else args.bytes
    if not 0 < nbytes <= group.size:
        print(f"groupdemo: --bytes must be 1 .. {group.size} (the group window), got {nbytes}", file=sys.stderr)
        return 2
    return run(rack, group, sender, nbytes, args.loss / 100.0, args.seed)


if __name__ == "__main__":
    sys.exit(main())
