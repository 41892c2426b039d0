"""Ordering a programmer can rely on (docs/protocol.md, "Ordering"): every write from one accelerator to
another, through any of the windows between them, is applied in the order it was issued, whatever the
network loses, duplicates or reorders. So the producer/consumer recipe holds: write the data, then the
flag (through the flag window's ACK alias), and a consumer that sees the flag sees all the data.
Run on the in-process rack with the real NIC and ToR programs, under random loss and duplication."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from controller import topology
from controller.protocol import constants as c
from controller.protocol.tlp import apply_mwr, mwr_address
from testbed.fabric import Hop
from testbed.inprocess import Artifacts
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
# acc2 exports a data window and, apart from it, a flag window to acc1: one stream carries both
TOPOLOGY = (ROOT / "topologies" / "pair.toml").read_text() + """
[[exports]]
owner = "acc2"
base = 0x9000
size = "4KiB"
peers = ["acc1"]
"""
DATA_BASE, FLAG_BASE = 0x4000, 0x9000


def lossy(rng: random.Random, rack: Rack) -> None:
    """Each uplink loses 10% of its frames and duplicates 5% (a copy sent again later)."""
    for nic in ("server1.nic", "server2.nic"):
        end = (nic, 16)

        def rule(hop: Hop, end: tuple[str, int] = end) -> bool:
            if rng.random() < 0.05:
                rack.fabric.send(end, hop.frame)  # a duplicate on the wire, behind the frames in flight
            return rng.random() < 0.10

        rack.fabric.drop_when(end, rule)


@pytest.mark.parametrize("seed", range(4))
def test_the_flag_lands_after_the_data_under_loss_and_duplication(
    programs: tuple[Artifacts, Artifacts], seed: int
) -> None:
    nic, tor = programs
    rack = Rack.build(topology.parse(TOPOLOGY), nic=nic, tor=tor)
    rng = random.Random(seed)
    lossy(rng, rack)
    producer, consumer = rack.accelerators["acc1"], rack.accelerators["acc2"]
    data_window = rack.plan.tx_window("acc1", "acc2", remote_base=DATA_BASE)
    flag_window = rack.plan.tx_window("acc1", "acc2", remote_base=FLAG_BASE)
    assert data_window.stream == flag_window.stream  # one stream between the two accelerators
    rounds = []
    for n in range(12):
        data = rng.randbytes(rng.randrange(4, 3000))
        producer.write("acc2", data_window.local_base, data, ack=False)  # the data: no ACK needed yet
        producer.write("acc2", flag_window.local_base, (n + 1).to_bytes(4, "little"))  # then the flag
        rounds.append(data)
        if rng.random() < 0.5:
            rack.run(max_timeouts=20)
    rack.run(max_timeouts=50)
    assert producer.unacked() == 0 and consumer.violations == []
    # replay what the consumer's memory went through, write by write, in the order the writes landed:
    # whenever the flag says n, the data window holds round n's data in full
    memory = bytearray(len(consumer.memory))
    flags_seen = []
    for tlp in consumer.received:
        apply_mwr(memory, tlp)
        if mwr_address(tlp) == FLAG_BASE:
            n = int.from_bytes(memory[FLAG_BASE : FLAG_BASE + 4], "little")
            flags_seen.append(n)
            expected = rounds[n - 1]
            assert bytes(memory[DATA_BASE : DATA_BASE + len(expected)]) == expected, f"flag {n} before its data"
    assert flags_seen == list(range(1, 13))  # every flag once, in order: nothing applied twice
    # the network really lost and duplicated frames, and go-back-N repaired it
    receiver = rack.nics["server2"]
    assert producer.retransmissions() > 0
    repaired = [receiver.counter("NicIngress.accounting.drops", reason)[1] for reason in (c.DROP_GAP, c.DROP_DUPLICATE)]
    assert all(repaired), repaired
