"""Two NICs and the ToR, in-process: writes land exactly once and in order under loss (go-back-N)."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from scapy.layers.l2 import Ether

from controller.protocol import constants as c
from controller.protocol.gobackn import GoBackNSender, Write, decode_mailbox
from controller.protocol.stream import JetStream
from controller.protocol.tlp import apply_mwr

from .bench import (
    ACCEL_A1,
    ACCEL_B2,
    MAC_A,
    MAC_B,
    PORT_A1,
    TXW_DATA,
    TXW_DATA_REMOTE,
    TXW_DATA_SIZE,
    TXW_FLAG,
    TXW_FLAG_REMOTE,
    TXW_FLAG_SIZE,
    TXW_REWIND,
    UPLINK,
    NicBench,
    bind_tor,
    internal_errors,
    new_switch,
    write,
)

TOR_PORT_A, TOR_PORT_B = 1, 2
PORT_B2 = 1
ACK_GROUP_B2 = 201
RX_STREAM_B = 3
REQUESTER, TAG = 0x0A00, 0x11  # bench.write's


def configure_nic_b(sw: Any) -> None:
    """NIC B: accelerator 2 exports windows 7 and 8 to accelerator 1."""
    from softp4.switch import Exact

    t, r = "NicIngress.tx_path.", "NicIngress.rx_path."
    sw.table_add(t + "pcie_port", [Exact(PORT_B2)], t + "set_source", [ACCEL_B2, MAC_B])
    sw.table_add("NicIngress.station.own_mac", [Exact(MAC_B)], "NicIngress.station.for_us", [])
    sw.table_add(r + "peer", [Exact(ACCEL_A1), Exact(ACCEL_B2), Exact(MAC_A)], r + "accept_stream",
                 [RX_STREAM_B, ACCEL_B2, PORT_B2, ACK_GROUP_B2, MAC_B])
    for window, base, size in ((7, TXW_DATA_REMOTE, TXW_DATA_SIZE), (8, TXW_FLAG_REMOTE, TXW_FLAG_SIZE)):
        sw.table_add(r + "window", [Exact(ACCEL_A1), Exact(ACCEL_B2), Exact(window)], r + "exported",
                     [base, size, base])
    sw.mc_group_set(ACK_GROUP_B2, [(c.RID_DELIVER, [PORT_B2]), (c.RID_ACK, [UPLINK])])


def configure_tor(sw: Any) -> None:
    bind_tor(sw, ((MAC_A, TOR_PORT_A), (MAC_B, TOR_PORT_B)))
    sw.mc_group_set(c.TOR_FLOOD_GROUP, [(0, [TOR_PORT_A, TOR_PORT_B])])


class Pair:
    """accelerator 1 - NIC A - ToR - NIC B - accelerator 2, with a loss rule on the network links."""

    def __init__(self, nic_a: NicBench, nic_b: Any, tor: Any) -> None:
        self.nic_a, self.nic_b, self.tor = nic_a, nic_b, tor
        # a window the tests never fill: this bench NIC has no ACK alias for a window-filling TLP to go through
        self.sender = GoBackNSender(TXW_REWIND, requester_id=REQUESTER, window=64)
        self.memory_b: dict[int, int] = {}
        self.landed: list[bytes] = []  # TLPs as they reached accelerator 2, in order
        self.lose: Callable[[str, bytes], bool] = lambda where, frame: False
        self.mailbox_writes = 0

    def _run(self, start: list[tuple[str, int, bytes]]) -> None:
        queue = deque(start)
        while queue:
            node, port, frame = queue.popleft()
            if node == "a":
                outs = self.nic_a.sw.process(port, frame)
                for p, f in outs:
                    if p == UPLINK:
                        if not self.lose("a->tor", f):
                            queue.append(("tor", TOR_PORT_A, f))
                    elif p == PORT_A1:
                        self._accelerator_a(f, queue)
                    else:
                        raise AssertionError(f"NIC A sent to port {p}")
            elif node == "b":
                for p, f in self.nic_b.process(port, frame):
                    if p == UPLINK:
                        if not self.lose("b->tor", f):
                            queue.append(("tor", TOR_PORT_B, f))
                    elif p == PORT_B2:
                        self.landed.append(f)
                        apply_mwr(self.memory_b, f)
                    else:
                        raise AssertionError(f"NIC B sent to port {p}")
            else:
                for p, f in self.tor.process(port, frame):
                    queue.append(("a" if p == TOR_PORT_A else "b", UPLINK, f))

    def _accelerator_a(self, tlp: bytes, queue: deque[tuple[str, int, bytes]]) -> None:
        self.mailbox_writes += 1
        _, msg = decode_mailbox(tlp)
        for again in self.sender.on_message(msg):
            queue.append(("a", PORT_A1, again))

    def issue(self, address: int, data: bytes) -> None:
        """Accelerator 1 writes `data` at `address`, with the requester id and tag `bench.write` gives."""
        self._run([("a", PORT_A1, t) for t in self.sender.post(Write(address, data, tag=TAG))])

    def timeout(self) -> None:
        self._run([("a", PORT_A1, t) for t in self.sender.on_timeout()])


@pytest.fixture
def pair(nic: NicBench) -> Iterator[Pair]:
    nic_b = new_switch("nic")
    configure_nic_b(nic_b)
    tor = new_switch("tor")
    configure_tor(tor)
    yield Pair(nic, nic_b, tor)
    assert internal_errors(nic_b) == [] and internal_errors(tor) == [], "a switch failed internally"


def random_writes(rng: random.Random, n: int) -> list[tuple[int, bytes]]:
    """(local address, data) of `n` writes: data into window 7, every tenth a flag into window 8."""
    out = []
    for i in range(n):
        if i % 10 == 9:
            out.append((TXW_FLAG + 4 * rng.randrange(TXW_FLAG_SIZE // 4), i.to_bytes(4, "big")))
        else:
            out.append((TXW_DATA + rng.randrange(0, 0x800), rng.randbytes(rng.randrange(1, 300))))
    return out


def remote(addr: int) -> int:
    """The address NIC A translates a local address to."""
    if TXW_FLAG <= addr < TXW_FLAG + TXW_FLAG_SIZE:
        return TXW_FLAG_REMOTE + addr - TXW_FLAG
    return TXW_DATA_REMOTE + addr - TXW_DATA


def expected_landing(ws: list[tuple[int, bytes]]) -> tuple[list[bytes], dict[int, int]]:
    """The TLPs accelerator 2 must see, in order, and its memory afterwards."""
    tlps = [bytes(write(remote(a), d)) for a, d in ws]
    mem: dict[int, int] = {}
    for t in tlps:
        apply_mwr(mem, t)
    return tlps, mem


def test_writes_land_once_and_in_order_without_loss(pair: Pair) -> None:
    ws = random_writes(random.Random(1), 40)
    for a, d in ws:
        pair.issue(a, d)
    tlps, mem = expected_landing(ws)
    assert pair.landed == tlps
    assert pair.memory_b == mem
    assert pair.sender.unacked == 0  # the flag writes and every 16th frame were acknowledged
    assert pair.mailbox_writes > 0


def test_go_back_n_repairs_loss_in_order(pair: Pair) -> None:
    ws = random_writes(random.Random(7), 60)
    lost: set[int] = set()
    acks_lost: list[int] = []

    def lose(where: str, frame: bytes) -> bool:
        js = Ether(frame)[JetStream]
        # lose the first transmission of data frames 5 and 23, then one ACK
        if where == "a->tor" and js.msg_type == c.MSG_DATA and js.seq in (5, 23) and js.seq not in lost:
            lost.add(int(js.seq))
            return True
        if where == "b->tor" and js.msg_type == c.MSG_ACK and len(lost) == 2 and not acks_lost:
            acks_lost.append(int(js.seq))
            return True
        return False

    pair.lose = lose
    for a, d in ws:
        pair.issue(a, d)
    for _ in range(5):
        if pair.sender.unacked == 0:
            break
        pair.timeout()
    assert lost == {5, 23} and len(acks_lost) == 1
    assert pair.sender.unacked == 0
    tlps, mem = expected_landing(ws)
    assert pair.landed == tlps  # exactly once, in issue order
    assert pair.memory_b == mem
    assert pair.sender.rewinds >= 2
    assert pair.nic_b.counter_read("NicIngress.accounting.drops", c.DROP_GAP)[1] >= 2
