"""testbed.stopwatch stamps a transfer at the right events: the first TLP sent, the last TLP applied, the ACK
that left no write unacknowledged; and counts NACKs, re-issues and timer expiries. The clock is a counter,
so what is checked is the order of events, never a duration."""

from __future__ import annotations

import itertools
from pathlib import Path

from controller import topology
from controller.protocol import constants as c
from testbed.demo import lose_once
from testbed.inprocess import Artifacts
from testbed.rack import Rack
from testbed.stopwatch import Stopwatch

PAIR = Path(__file__).resolve().parents[2] / "topologies" / "pair.toml"
DATA = bytes(i & 0xFF for i in range(4 * 256))  # 4 TLPs


def rack_and_watch(programs: tuple[Artifacts, Artifacts], senders: list[str]) -> tuple[Rack, Stopwatch]:
    nic, tor = programs
    rack = Rack.build(topology.load(PAIR), nic=nic, tor=tor)
    tick = itertools.count()
    return rack, Stopwatch(rack.accelerators, senders, clock=lambda: float(next(tick)))


def test_a_transfer_is_stamped_in_event_order(programs: tuple[Artifacts, Artifacts]) -> None:
    rack, watch = rack_and_watch(programs, ["acc1"])
    window = rack.plan.tx_window("acc1", "acc2")
    watch.start()
    assert rack.accelerators["acc1"].write("acc2", window.local_base, DATA) == 4
    watch.issued()
    lap = watch.lap()
    assert lap.first_sent is not None and lap.landed is None and lap.completed is None  # nothing delivered yet
    rack.run()
    lap = watch.lap()
    assert lap.first_sent is not None and lap.last_sent is not None and lap.landed is not None
    assert lap.completed is not None
    # 4 sends stamped 0..3; then the deliveries; the ACK comes after the tail landed
    assert (lap.first_sent, lap.last_sent) == (0.0, 3.0)
    assert lap.last_sent < lap.landed < lap.completed
    assert (lap.resent, lap.timeouts, lap.nacks) == (0, 0, 0)
    assert lap.since_first(lap.completed) == lap.completed


def test_a_loss_shows_as_a_nack_and_re_issued_writes(programs: tuple[Artifacts, Artifacts]) -> None:
    rack, watch = rack_and_watch(programs, ["acc1"])
    rack.fabric.drop_when(("server1.nic", c.NIC_UPLINK_PORT), lose_once(seq=1))  # type: ignore[arg-type]
    window = rack.plan.tx_window("acc1", "acc2")
    watch.start()
    rack.accelerators["acc1"].write("acc2", window.local_base, DATA)
    watch.issued()
    rack.run()
    lap = watch.lap()
    assert (lap.resent, lap.timeouts, lap.nacks) == (3, 0, 1)  # frames 1..3 again, after one NACK
    assert lap.completed is not None
    # a new transfer starts from zero counts
    watch.start()
    assert watch.lap() == watch.lap() and watch.lap().resent == 0 and watch.lap().first_sent is None


def test_completion_waits_for_every_write_to_be_issued(programs: tuple[Artifacts, Artifacts]) -> None:
    rack, watch = rack_and_watch(programs, ["acc1", "acc2"])
    to2, to1 = rack.plan.tx_window("acc1", "acc2"), rack.plan.tx_window("acc2", "acc1")
    watch.start()
    rack.accelerators["acc1"].write("acc2", to2.local_base, DATA)
    rack.run()  # acc1's write is acknowledged while acc2 has not written yet: not complete
    assert watch.lap().completed is None
    rack.accelerators["acc2"].write("acc1", to1.local_base, DATA)
    watch.issued()
    assert watch.lap().completed is None  # acc2's writes are in flight
    rack.run()
    lap = watch.lap()
    assert lap.completed is not None and lap.landed is not None and lap.completed > lap.landed


def test_issued_after_the_last_ack_takes_the_last_message_time(programs: tuple[Artifacts, Artifacts]) -> None:
    rack, watch = rack_and_watch(programs, ["acc1"])
    window = rack.plan.tx_window("acc1", "acc2")
    watch.start()
    rack.accelerators["acc1"].write("acc2", window.local_base, DATA)
    rack.run()
    before = watch.clock()
    watch.issued()
    completed = watch.lap().completed
    assert completed is not None and completed < before  # the ACK's own stamp, not the time of issued()
