"""Thousands of random writes at and around window edges: nothing crosses a window, on either side."""

from __future__ import annotations

import random

from scapy.layers.l2 import Ether

from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import TLP, mwr_bytes

from .bench import (
    ACCEL_B2,
    ACCEL_C4,
    MAC_A,
    MAC_B,
    MAC_C,
    PORT_A1,
    RX_STREAM_FROM_B2,
    RX_STREAM_FROM_C4,
    RXW_BASE,
    RXW_C4_ID,
    RXW_ID,
    RXW_SIZE,
    TX_STREAM_TO_B2,
    TXW_DATA,
    TXW_DATA_REMOTE,
    TXW_DATA_SIZE,
    TXW_FLAG,
    TXW_FLAG_REMOTE,
    TXW_FLAG_SIZE,
    UPLINK,
    NicBench,
    data_frame,
    write,
)

MAC_STRANGER = 0x02_00_00_00_00_99  # a MAC no NIC of the reference configuration has


def test_random_transmit_writes_stay_inside_their_window(nic: NicBench) -> None:
    windows = [(TXW_DATA, TXW_DATA_SIZE, TXW_DATA_REMOTE, 7), (TXW_FLAG, TXW_FLAG_SIZE, TXW_FLAG_REMOTE, 8)]
    rng = random.Random(4242)
    sent = 0
    for _ in range(1500):
        base, size, remote, window = rng.choice(windows)
        addr = max(0, base + rng.choice([-8, 0, 4, size - 256, size - 4, size, size + 8, 0x10_0000 - 4])
                   + rng.randrange(-4, 4))
        data = rng.randbytes(rng.choice([1, 3, 4, 5, 64, 255, 256, 1024, 4096 - 4]))
        aligned_end = (addr + len(data) + 3) & ~3
        whole_dws_inside = base <= (addr & ~3) and aligned_end <= base + size
        in_one_page = (addr & ~3) // 4096 == (aligned_end - 1) // 4096  # PCIe: no request crosses 4 KiB
        out = nic.from_accel(write(addr, data))
        if whole_dws_inside and in_one_page:
            assert len(out) == 1 and out[0][0] == UPLINK, hex(addr)
            frame = Ether(out[0][1])
            assert frame[JetStream].window == window
            assert frame[JetStream].seq == sent
            expected = {remote + a - base: v for a, v in mwr_bytes(write(addr, data)).items()}
            assert mwr_bytes(frame[TLP]) == expected
            sent += 1
        else:
            assert out == [], hex(addr)  # whole DWs are checked: a partial DW outside is outside
    assert sent > 100
    assert nic.register("NicIngress.tx_path.next_seq", TX_STREAM_TO_B2) == sent % (1 << c.JS_SEQ_BITS)


def test_random_writes_never_land_outside_an_exported_window(nic: NicBench) -> None:
    """Thousands of writes from known and unknown peers, at and around window edges, some from the wrong
    NIC MAC or for another NIC's MAC."""

    exported = {  # (src, window) -> (base, size, local_base)
        (ACCEL_B2, RXW_ID): (RXW_BASE, RXW_SIZE, RXW_BASE),
        (ACCEL_C4, RXW_C4_ID): (0x9000_0000, 0x100, 0x9000_0000),
    }
    streams = {ACCEL_B2: RX_STREAM_FROM_B2, ACCEL_C4: RX_STREAM_FROM_C4}
    nic_of = {ACCEL_B2: MAC_B, ACCEL_C4: MAC_C}
    expected = {ACCEL_B2: 0, ACCEL_C4: 0}
    rng = random.Random(2026)
    landed_bytes = 0
    for _ in range(2000):
        src = rng.choice([ACCEL_B2, ACCEL_C4, 9])
        window = rng.choice([RXW_ID, RXW_C4_ID, 5])
        base = rng.choice([RXW_BASE, 0x9000_0000, 0x1_0000_0000])
        addr = max(0, base + rng.choice([-8, -4, -1, 0, 1, 4, 0x80, 0xFC, 0x100, RXW_SIZE - 4, RXW_SIZE,
                                         RXW_SIZE + 4]) + rng.randrange(-8, 8))
        size = rng.choice([1, 2, 4, 7, 8, 64, 255, 256, 1024])
        src_mac = rng.choice([MAC_B, MAC_C, MAC_STRANGER])
        dst_mac = rng.choice([MAC_A, MAC_A, MAC_A, MAC_B])
        seq = expected.get(src, 0)
        out = nic.from_network(data_frame(seq, write(addr, rng.randbytes(size)), src=src, window=window,
                                          src_mac=src_mac, dst_mac=dst_mac))
        delivered = [f for p, f in out if p == PORT_A1]
        for f in delivered:
            assert (src_mac, dst_mac) == (nic_of[src], MAC_A), (hex(src_mac), hex(dst_mac))
            lo_hi = exported.get((src, window))
            assert lo_hi is not None, (src, window)
            _, wsize, local = lo_hi
            for a in mwr_bytes(f):
                assert local <= a < local + wsize, hex(a)
            landed_bytes += len(mwr_bytes(f))
        if delivered:
            expected[src] = (seq + 1) & 0xFFFF
        assert all(p in (PORT_A1, UPLINK, c.CPU_PORT) for p, _ in out)
    assert landed_bytes > 0
    for src, stream in streams.items():
        assert nic.register("NicIngress.rx_path.expected", stream) == expected[src]
