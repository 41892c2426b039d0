"""The group demo of `testbed.groupdemo` on the process testbed: real interfaces, switch processes, the controller.

`python -m testbed.groupdemo --testbed netns` (softp4 switch processes; `--target bmv2`: simple_switch_grpc)
brings the topology up as a `ProcessRack`, has the sender (or, with `--all-gather`, every sender) write into
its window to the group, waits until every member acknowledged every write (firing the ACK timers when
nothing moves for a second) or the deadline passes, prints what the NICs dropped (read over P4Runtime), and
checks every accelerator's memory as the in-process demo does (`groupdemo.verdict`).

`--tor linux-bridge` puts a plain Linux bridge where tor.p4 was. A bridge knows no group: it floods a frame
for the group MAC to every port but the one it came in on, so the NIC of every server that holds no member
receives each group write too and drops it, as from a peer it does not know (`DROP_UNKNOWN_PEER`, and a
packet-in to its controller). The demo prints how many, and the check shows their memory untouched.
`--loss PERCENT` (default 1) loses that share of the frames from each NIC to the ToR in a relay.
"""

from __future__ import annotations

import argparse
import logging
import time

from controller.plan import GroupPlan
from controller.topology import Topology
from testbed import demo, groupdemo
from testbed.processes.demo import on_rack, strays
from testbed.processes.rack import ProcessRack

DROP_UNKNOWN_PEER = "DROP_UNKNOWN_PEER"


def run(args: argparse.Namespace, topo: Topology, group: GroupPlan, writes: list[groupdemo.Write]) -> int:
    logging.getLogger("finsy").setLevel(logging.CRITICAL + 1)  # it logs what the switches lack (gNMI)
    print(groupdemo.title(topo.name, group))
    return on_rack("groupdemo", topo, args, lambda rack: _write_and_check(rack, args, group, writes), seed=args.seed)


def _write_and_check(rack: ProcessRack, args: argparse.Namespace, group: GroupPlan,
                     writes: list[groupdemo.Write]) -> int:
    started = time.monotonic()
    tlps = groupdemo.issue(rack, group, writes, rack.write)
    acked = rack.run(deadline=args.deadline)
    elapsed = time.monotonic() - started
    rack.settle()
    state = f"all acknowledged in {elapsed * 1e3:.1f} ms" if acked else f"not acknowledged after {args.deadline:g} s"
    print(f"\n{groupdemo.what_was_written(rack, group, writes, tlps)}: {state}")
    lost = sum(relay.lost for relay in rack.relays)
    rewinds = sum(rack.accelerators[sender].group_senders[group.name].rewinds for sender, _, _ in writes)
    print(f"{lost} frames lost in the relays; {rewinds} rewinds, {demo.recovery(rack)}")
    drops = rack.drops(args.build_dir)
    member_servers = {m.accelerator.server for m in group.members}
    on_members = [drops.get(server, {}) for server in member_servers]
    gaps = sum(d.get("DROP_GAP", 0) for d in on_members)
    dups = sum(d.get("DROP_DUPLICATE", 0) for d in on_members)
    flooded = {server: d.get(DROP_UNKNOWN_PEER, 0) for server, d in drops.items() if server not in member_servers}
    line = f"members' NICs dropped {gaps} frames past a gap (NACKed) and {dups} duplicates"
    if flooded:
        others = f"{len(flooded)} server{'' if len(flooded) == 1 else 's'}"
        line += (f"; the NICs of the {others} without a member dropped {sum(flooded.values())} group frames from "
                 f"an unknown peer ({'flooded by the bridge' if args.tor == 'linux-bridge' else 'none sent'})")
    print(line)
    return groupdemo.verdict(rack, group, writes, strays(rack))
