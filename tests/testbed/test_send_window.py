"""The emulator's send window on the in-process rack (real NIC and ToR programs): at most `window` TLPs per
stream are on the way and unacknowledged; the rest wait in the sender and go as ACKs free room, in order.
Without loss any window, down to 1, moves without a resend or a timer (the TLP that fills the window asks
for an ACK); with loss a go-back re-sends at most the window, so what a transfer re-issues is bounded by the
window times the rewinds, whatever its size.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from controller import topology
from controller.protocol import constants as c
from controller.protocol.gobackn import decode_mailbox
from controller.protocol.tlp import mwr_address
from testbed.accelerator import Accelerator
from testbed.inprocess import Artifacts
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
PAIR = ROOT / "topologies" / "pair.toml"  # windows of 16 KiB: 64 TLPs
RACK8 = ROOT / "topologies" / "rack8.toml"
TRANSFER = ROOT / "benchmarks" / "topologies" / "transfer.toml"  # pair.toml with a 1 MiB window
TLP = 256  # bytes per TLP (the emulator's max payload size)


class InFlight:
    """Counts, on acc1's PCIe link itself, the data TLPs it issued and the highest number its mailbox was
    ACKed with; checks after every TLP that the difference never exceeds the window."""

    def __init__(self, acc: Accelerator, window: int) -> None:
        self.window, self.sent, self.acked, self.most = window, 0, 0, 0
        rewinds = {sender.rewind_address for sender in acc.senders.values()}
        send, receive = acc.send, acc.receive

        def counting_send(tlp: bytes) -> None:
            assert mwr_address(tlp) not in rewinds, "no rewind without loss"
            self.sent += 1
            self.most = max(self.most, self.sent - self.acked)
            assert self.sent - self.acked <= window, f"{self.sent - self.acked} TLPs in flight, window {window}"
            send(tlp)

        def counting_receive(port: int, frame: bytes) -> None:  # before the sender acts on it
            if mwr_address(frame) in acc.senders:
                self.acked = max(self.acked, int(decode_mailbox(frame)[1].seq))
            receive(port, frame)

        acc.send = counting_send
        acc.receive = counting_receive  # type: ignore[method-assign]


def counter(rack: Rack, nic: str, name: str, index: int = 0) -> int:
    return int(rack.nics[nic].counter(name, index)[1])


@pytest.mark.parametrize(("window", "tlps"), [(1, 8), (4, 64), (5, 64), (17, 64), (48, 64), (64, 64)])
def test_in_flight_never_exceeds_the_window_and_no_timer_fires(
    programs: tuple[Artifacts, Artifacts], window: int, tlps: int
) -> None:
    nic, tor = programs
    rack = Rack.build(topology.load(PAIR), nic=nic, tor=tor, window=window)
    acc1, acc2 = rack.accelerators["acc1"], rack.accelerators["acc2"]
    watch = InFlight(acc1, window)
    tx = rack.plan.tx_window("acc1", "acc2")
    data = random.Random(window).randbytes(tlps * TLP)
    assert acc1.write("acc2", tx.local_base, data) == tlps
    assert watch.sent == min(window, tlps)  # the rest wait for ACKs
    rack.run(max_timeouts=0)
    assert bytes(acc2.memory[tx.remote_base : tx.remote_base + len(data)]) == data
    assert (acc1.unacked(), acc1.retransmissions(), acc1.timeouts) == (0, 0, 0)
    assert (watch.sent, watch.most) == (tlps, min(window, tlps))
    assert counter(rack, "server1", "NicIngress.tx_path.frames") == tlps  # each TLP once
    # at most an ACK per window's worth (the TLP that fills the window asks for one only when none is coming),
    # the receiver's own every ACK_EVERY frames, and the tail's: a refill of a few TLPs does not cost an ACK each
    acks = counter(rack, "server1", "NicIngress.ack_path.acks")
    assert acks <= -(-tlps // window) + tlps // c.ACK_EVERY + 1
    assert window > 1 or acks == tlps  # a window of 1: every TLP asks for its ACK

def lossy_transfer(programs: tuple[Artifacts, Artifacts], window: int, size: int) -> tuple[Accelerator, int]:
    """acc1 writes `size` random bytes to acc2 with 1% of the frames from each NIC to the ToR lost (seeded);
    returns acc1 and the frames lost, once every byte landed."""
    nic, tor = programs
    rack = Rack.build(topology.load(TRANSFER), nic=nic, tor=tor, window=window)
    rng, lost = random.Random(8), [0]

    def lose(frame: bytes) -> bool:
        if rng.random() < 0.01:
            lost[0] += 1
            return True
        return False

    for server in ("server1", "server2"):
        rack.fabric.drop_when((f"{server}.nic", c.NIC_UPLINK_PORT), lose)
    tx = rack.plan.tx_window("acc1", "acc2")
    data = rng.randbytes(size)
    rack.accelerators["acc1"].write("acc2", tx.local_base, data)
    rack.run(max_timeouts=1000)
    acc1, acc2 = rack.accelerators["acc1"], rack.accelerators["acc2"]
    assert bytes(acc2.memory[tx.remote_base : tx.remote_base + size]) == data and acc1.unacked() == 0
    return acc1, lost[0]


def test_a_lossy_transfer_re_issues_at_most_a_window_per_rewind(programs: tuple[Artifacts, Artifacts]) -> None:
    """1 MiB at 1% loss: each loss costs one rewind (a NACK, or the timer for a lost tail or ACK), and a
    rewind re-sends what is kept, at most the window; without the window every loss re-sent all that
    followed it, about 20 times the transfer's own frames."""
    window, size = 64, 1 << 20
    acc1, lost = lossy_transfer(programs, window, size)
    (sender,) = acc1.senders.values()
    assert lost > 0 and sender.most_in_flight == window
    assert sender.rewinds <= lost + acc1.timeouts
    assert acc1.retransmissions() <= window * sender.rewinds
    assert acc1.retransmissions() <= window * (lost + acc1.timeouts) < size // TLP


def test_a_group_window_counts_the_slowest_member(programs: tuple[Artifacts, Artifacts]) -> None:
    """A group stream of rack8 with a window of 2: its writes go two at a time, each pair freed only when every
    member ACKed it, and nothing is re-sent or waits for the timer."""
    nic, tor = programs
    rack = Rack.build(topology.load(RACK8), nic=nic, tor=tor, window=2)
    stream = rack.plan.nics["server1"].group_tx[0]
    acc = rack.accelerators[stream.src.name]
    sender = acc.group_senders[stream.group.name]
    data = random.Random(2).randbytes(16 * TLP)
    assert acc.write(stream.group.name, stream.local_base, data) == 16 and sender.in_flight == 2
    rack.run(max_timeouts=0)
    assert (sender.unacked, sender.most_in_flight, sender.resent, acc.timeouts) == (0, 2, 0, 0)
    assert len(stream.receivers) == 7
    for receiver in stream.receivers:
        base = stream.group.member(receiver.member.name).base
        assert bytes(rack.accelerators[receiver.member.name].memory[base : base + len(data)]) == data
