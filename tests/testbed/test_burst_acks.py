"""The tail of a burst is acknowledged within one round trip: its last TLP goes through the window's ACK
alias (plan.ACK_ALIAS), which the sender's NIC marks FLAG_ACK_REQ. Without loss nothing is re-sent and no
timer fires; a lost frame with a later one behind it is repaired by the NACK; only a lost tail needs the
timer. Run on the in-process rack with the real NIC and ToR programs.
"""

from __future__ import annotations

from pathlib import Path

from controller import topology
from controller.protocol import constants as c
from testbed.demo import lose_once
from testbed.inprocess import Artifacts
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
PAIR = ROOT / "topologies" / "pair.toml"
DATA = bytes(i & 0xFF for i in range(8 * 256))  # 8 TLPs of 256 bytes


def burst(programs: tuple[Artifacts, Artifacts], *, lose: int | None = None, ack: bool = True) -> Rack:
    nic, tor = programs
    rack = Rack.build(topology.load(PAIR), nic=nic, tor=tor)
    if lose is not None:
        rack.fabric.drop_when(("server1.nic", c.NIC_UPLINK_PORT), lose_once(seq=lose))  # type: ignore[arg-type]
    window = rack.plan.tx_window("acc1", "acc2")
    assert rack.accelerators["acc1"].write("acc2", window.local_base, DATA, ack=ack) == 8
    rack.run(max_timeouts=4)
    landed = rack.accelerators["acc2"].memory[window.remote_base : window.remote_base + len(DATA)]
    assert bytes(landed) == DATA and rack.accelerators["acc1"].unacked() == 0
    return rack


def counter(rack: Rack, nic: str, name: str, index: int) -> int:
    return int(rack.nics[nic].counter(name, index)[1])


def test_a_burst_without_loss_is_acknowledged_once_with_no_resend_and_no_timer(
    programs: tuple[Artifacts, Artifacts],
) -> None:
    rack = burst(programs)
    sender = rack.accelerators["acc1"]
    assert (sender.retransmissions(), sender.timeouts) == (0, 0)
    assert counter(rack, "server1", "NicIngress.tx_path.frames", 0) == 8  # each write sent once
    assert counter(rack, "server2", "NicIngress.accounting.drops", c.DROP_DUPLICATE) == 0
    assert counter(rack, "server1", "NicIngress.ack_path.acks", 0) == 1  # the tail's ACK covers all 8


def test_a_lost_frame_before_the_tail_is_repaired_by_the_nack_alone(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = burst(programs, lose=2)
    sender = rack.accelerators["acc1"]
    assert sender.timeouts == 0
    assert sender.retransmissions() == 6  # frames 2..7 again, after one rewind
    assert counter(rack, "server1", "NicIngress.ack_path.nacks", 0) == 1


def test_a_lost_tail_is_the_only_case_for_the_timer(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = burst(programs, lose=7)
    sender = rack.accelerators["acc1"]
    # nothing after the tail can show the gap, so the timer fires once and go-back-N re-sends from the
    # oldest unacknowledged write (the other 7 were never acknowledged: none asked for an ACK)
    assert sender.timeouts == 1 and sender.retransmissions() == 8
    assert counter(rack, "server2", "NicIngress.accounting.drops", c.DROP_DUPLICATE) == 7


def test_without_the_alias_the_tail_waits_for_the_timer(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = burst(programs, ack=False)
    sender = rack.accelerators["acc1"]
    assert sender.timeouts == 1  # what every burst cost before the ACK alias
    assert counter(rack, "server2", "NicIngress.accounting.drops", c.DROP_DUPLICATE) == 8
