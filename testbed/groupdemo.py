"""A group write: one member writes a buffer that the ToR replicates to every member.

    python -m testbed.groupdemo --topology topologies/rack8.toml --group allgather
    python -m testbed.groupdemo --testbed netns --tor linux-bridge --all-gather

It builds the rack of the topology (`testbed.rack.Rack`: every NIC and the ToR on softp4, programmed from
the address plan), gives every sender its stream to the group, and has one sender (the group's first
unless `--sender`) write a buffer into the group window, with frames lost at random on every NIC uplink
(`--loss`, 1% by default), so members NACK on their own and the sender goes back for all of them. It then
checks every member's memory byte for byte, that no byte landed anywhere else (in any accelerator), that
the sender holds no unacknowledged write and that no emulator saw a violation; exit 1 on any error.
`--all-gather` has every sender write its own slice of the window at once instead.

`--testbed netns` (always with `--target bmv2`) runs the same on the process testbed
(`testbed.processes.groupdemo`): switch processes on veth cables, programmed by the controller, with the
ToR as tor.p4 or, with `--tor linux-bridge`, a plain Linux bridge, which floods each group write to every
port instead of replicating it to the members.
"""

from __future__ import annotations

if __name__ == "__main__":  # first: a Ctrl-C while the modules below load is one line too, not a traceback
    from softp4.cliargs import interrupt_ends_loading

    interrupt_ends_loading("groupdemo")

import argparse
import random
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from controller import topology
from controller.plan import GroupPlan, Plan, PlanError, compute
from controller.protocol import constants as c
from softp4.cliargs import Parser, closest, integer
from testbed.accelerator import Accelerator
from testbed.fabric import Hop
from testbed.inprocess import InstallError
from testbed.memory import SparseMemory
from testbed.rack import Rack

Write = tuple[str, int, bytes]  # (sender, offset in the group window, data)


class GroupRack(Protocol):
    """What the group demo needs of a rack, in process (`Rack`) or as processes (`ProcessRack`)."""

    @property
    def plan(self) -> Plan: ...

    @property
    def accelerators(self) -> Mapping[str, Accelerator]: ...


def join_groups(rack: GroupRack) -> None:
    """Give every accelerator its streams to the groups it sends to (racks built by testbed.rack already do;
    this is for racks assembled by hand, and safe to call twice)."""
    for nic in rack.plan.nics.values():
        for stream in nic.group_tx:
            acc = rack.accelerators[stream.src.name]
            if stream.group.name not in acc.group_senders:
                acc.add_stream(stream)


def verify_group_write(rack: GroupRack, group: GroupPlan, sender: str, offset: int, data: bytes) -> list[str]:
    """Everything wrong after `sender` wrote `data` at `offset` of `group`'s window: a member missing a byte,
    a byte anywhere else, an unacknowledged write, a violation seen by an emulator."""
    return verify_group_writes(rack, group, [(sender, offset, data)])


def verify_group_writes(rack: GroupRack, group: GroupPlan, writes: list[Write]) -> list[str]:
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


def plan_writes(group: GroupPlan, sender: str | None, nbytes: int, rng: random.Random) -> list[Write]:
    """What the demo writes: `nbytes` from offset 0 by `sender`, or (sender None: all-gather) a slice of the
    group window by every sender at once."""
    if sender is not None:
        return [(sender, 0, rng.randbytes(nbytes))]
    share = group.size // len(group.senders) & ~3
    return [(src.name, i * share, rng.randbytes(share)) for i, src in enumerate(group.senders)]


WriteFn = Callable[[str, str, int, bytes], int]  # (sender, destination, local address, data) -> TLPs issued


def issue(rack: GroupRack, group: GroupPlan, writes: list[Write], write: WriteFn | None = None) -> int:
    """Have every sender issue its write into its window to the group, through `write` (default: straight
    to the emulator; the process rack passes its own, which takes its lock); returns the TLPs issued."""
    tlps = 0
    for sender, offset, data in writes:
        local = rack.plan.group_stream(sender, group.name).local_base + offset
        if write is None:
            tlps += rack.accelerators[sender].write(group.name, local, data)
        else:
            tlps += write(sender, group.name, local, data)
    return tlps


def title(topology_name: str, group: GroupPlan) -> str:
    return (f"topology '{topology_name}': group '{group.name}' (id {group.id}, MAC {group.mac}, "
            f"ToR group {group.tor_group}) of {len(group.members)} members")


def what_was_written(rack: GroupRack, group: GroupPlan, writes: list[Write], tlps: int) -> str:
    if len(writes) > 1:
        return (f"all-gather: {len(writes)} senders wrote {len(writes[0][2])} bytes each at once, "
                f"{tlps} memory writes")
    sender, _, data = writes[0]
    receivers = [m.accelerator.name for m in group.members if m.accelerator.name != sender]
    return (f"{sender} wrote {len(data)} bytes as {tlps} memory writes at "
            f"{rack.plan.group_stream(sender, group.name).local_base:#x} (its window to the group), for "
            f"{', '.join(receivers)}")


def verdict(rack: GroupRack, group: GroupPlan, writes: list[Write], extra: list[str] | None = None) -> int:
    """Check every memory (`verify_group_writes`), print the outcome; 0 when all is well, else 1."""
    problems = verify_group_writes(rack, group, writes) + (extra or [])
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    if len(writes) > 1:
        print("\nOK: every member holds every other sender's slice, exactly once and in order, and nothing else "
              "was touched")
    else:
        sender, _, data = writes[0]
        members = sum(m.accelerator.name != sender for m in group.members)
        print(f"\nOK: all {len(data)} bytes landed exactly once, in order, in each of the {members} members, "
              "and nothing else was touched")
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


def run(rack: Rack, group: GroupPlan, writes: list[Write], loss: float, rng: random.Random) -> int:
    """The demo in this process: issue `writes` under `loss` on every NIC uplink, run, print, check."""
    hops = _lossy(rack, loss, rng)
    join_groups(rack)
    tlps = issue(rack, group, writes)
    rack.run(max_timeouts=200)
    senders = [rack.accelerators[sender] for sender, _, _ in writes]
    rewinds = sum(acc.group_senders[group.name].rewinds for acc in senders)
    print(title(rack.topology.name, group))
    print(what_was_written(rack, group, writes, tlps))
    lost = f"{hops[0]} hops delivered, {hops[1]} frames lost ({loss:.1%} loss on every NIC uplink); {rewinds} rewinds"
    if len(writes) == 1:
        lost += f", {senders[0].messages} ACK/NACK messages to {writes[0][0]}"
    print(lost)
    if len(writes) == 1:
        gaps = sum(nic.counter("NicIngress.accounting.drops", c.DROP_GAP)[1] for nic in rack.nics.values())
        dups = sum(nic.counter("NicIngress.accounting.drops", c.DROP_DUPLICATE)[1] for nic in rack.nics.values())
        print(f"members dropped {gaps} frames past a gap (NACKed) and {dups} duplicates")
    return verdict(rack, group, writes)


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
    processes = parser.add_argument_group("process testbed (--testbed netns, and always with --target bmv2)")
    processes.add_argument("--target", choices=["softp4", "bmv2"], default="softp4")
    processes.add_argument(
        "--testbed", choices=["inprocess", "netns"],
        help="inprocess: every switch in this process (default for softp4); netns: one switch process per "
             "device on veth cables, programmed by the controller over P4Runtime (root; default for bmv2)",
    )
    processes.add_argument(
        "--tor", choices=["p4", "linux-bridge"], default="p4",
        help="netns: the ToR is tor.p4 (default) or a plain Linux bridge, which floods a group write to every "
             "port (non-members' NICs drop it) instead of replicating it to the members",
    )
    processes.add_argument("--deadline", type=float, default=20.0, metavar="SECONDS",
                           help="netns: give up waiting for ACKs after this long (default 20)")
    processes.add_argument("--workdir", type=Path, help="netns: where switch logs go (default BUILD_DIR/netns)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error: one line, exit 2
        return int(exc.code or 0)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("groupdemo: interrupted", file=sys.stderr)
        return 130


def _usage(args: argparse.Namespace, testbed: str) -> str | None:
    """What is wrong with the options (exit 2), or None."""
    if not 0.0 <= args.loss < 100.0:
        return f"--loss must be at least 0 and below 100, got {args.loss}"
    if testbed == "inprocess" and args.tor != "p4":
        return f"--tor {args.tor} needs the process testbed (--testbed netns)"
    if testbed == "inprocess" and args.target == "bmv2":
        return "--target bmv2 runs BMv2 switch processes: use --testbed netns"
    if not args.deadline > 0:
        return f"--deadline {args.deadline:g}: expected a positive number of seconds"
    return None


def _run(args: argparse.Namespace) -> int:
    testbed = args.testbed or ("netns" if args.target == "bmv2" else "inprocess")
    mistake = _usage(args, testbed)
    if mistake is not None:
        print(f"groupdemo: {mistake}", file=sys.stderr)
        return 2
    try:
        topo = topology.load(args.topology)
        the_plan = compute(topo)
    except (topology.TopologyError, PlanError) as exc:
        print(f"groupdemo: {exc}", file=sys.stderr)
        return 1
    chosen = _choose(args, the_plan)
    if isinstance(chosen, int):
        return chosen
    group, sender, nbytes = chosen
    rng = random.Random(args.seed)
    writes = plan_writes(group, sender, nbytes, rng)
    missing = [path for prog in ("nic", "tor") for path in (args.build_dir / prog / f"{prog}.json",
               args.build_dir / prog / f"{prog}.p4info.txtpb") if not path.is_file()]
    if missing:
        print(f"groupdemo: {missing[0]} is missing: run `make build` first", file=sys.stderr)
        return 1
    if testbed == "netns":
        from testbed.processes import groupdemo as process_groupdemo

        return process_groupdemo.run(args, topo, group, writes)
    try:
        rack = Rack.build(topo, args.build_dir)
    except (InstallError, FileNotFoundError) as exc:
        print(f"groupdemo: {exc}", file=sys.stderr)
        return 1
    return run(rack, group, writes, args.loss / 100.0, rng)


def _choose(args: argparse.Namespace, the_plan: Plan) -> tuple[GroupPlan, str | None, int] | int:
    """The group, the sender (None: all-gather) and the bytes to write; or the exit status of a mistake."""
    groups = the_plan.groups
    if not groups:
        print(f"groupdemo: {args.topology} has no [[groups]]", file=sys.stderr)
        return 1
    name = args.group or next(iter(groups))
    if name not in groups:
        close = closest(name, groups)
        hint = f" (did you mean '{close}'?)" if close else f"; its groups are {', '.join(groups)}"
        print(f"groupdemo: --group: {args.topology} has no group '{name}'{hint}", file=sys.stderr)
        return 1
    group = groups[name]
    if args.all_gather:
        return group, None, 0
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
    return group, sender, nbytes


if __name__ == "__main__":
    from softp4.cliargs import interrupts_raise

    interrupts_raise()
    sys.exit(main())
