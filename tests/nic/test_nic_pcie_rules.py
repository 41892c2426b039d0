"""nic.p4 enforces PCIe's rules for memory writes (PCIe Base Spec 2.2.5 byte enables, 2.2.7 no request across
a 4 KiB boundary), on the write as the accelerator issued it and after each address translation; a write
that breaks one is counted by reason and never delivered."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import Ether

from controller.protocol import constants as c
from controller.protocol.tlp import TLP
from softp4.switch import Exact, Lpm

from .bench import (
    ACCEL_A1,
    ACCEL_B2,
    PORT_A1,
    RX_STREAM_FROM_B2,
    RXW_BASE,
    TX_STREAM_TO_B2,
    TXW_DATA,
    TXW_DATA_REMOTE,
    UPLINK,
    NicBench,
    data_frame,
    write,
)

SEQ = "NicIngress.tx_path.next_seq"
EXPECTED = "NicIngress.rx_path.expected"


def with_bes(address: int, dws: int, first: int, last: int) -> bytes:
    tlp = write(address, bytes(range(4 * dws)))
    tlp[TLP].first_be, tlp[TLP].last_be = first, last
    return bytes(tlp)


@pytest.mark.parametrize(
    ("offset", "dws", "first", "last", "legal"),
    [
        (0, 1, 0xF, 0x0, True),
        (0, 1, 0x0, 0x0, True),  # a zero-length write (a flush): nothing is written, but it is legal
        (0, 1, 0xA, 0x0, True),  # 1 DW: any pattern
        (0, 1, 0xF, 0xF, False),  # 1 DW: Last DW BE must be 0000
        (0, 2, 0x5, 0xA, True),  # 2 DW, QW-aligned: non-contiguous allowed in both
        (4, 2, 0x5, 0xF, False),  # 2 DW, not QW-aligned: contiguous only
        (4, 2, 0xC, 0x3, True),
        (0, 3, 0xE, 0x7, True),
        (0, 3, 0x7, 0xF, False),  # the first DW's bytes must run to its end
        (0, 3, 0xF, 0xE, False),  # the last DW's bytes must start at its beginning
        (0, 2, 0x0, 0xF, False),  # more than 1 DW: neither may be 0000
        (0, 4, 0xF, 0x0, False),
    ],
)
def test_byte_enables(nic: NicBench, offset: int, dws: int, first: int, last: int, legal: bool) -> None:
    out = nic.from_accel(with_bes(TXW_DATA + 0x100 + offset, dws, first, last))
    if legal:
        assert [port for port, _ in out] == [UPLINK]
        sent = Ether(out[0][1])[TLP]
        assert (sent.first_be, sent.last_be) == (first, last)  # carried unchanged
        assert nic.all_drops() == {}
    else:
        assert out == []
        assert nic.all_drops() == {c.DROP_BYTE_ENABLES: 1}
        assert nic.register(SEQ, TX_STREAM_TO_B2) == 0  # no number was spent


def test_a_write_across_4k_is_refused_one_up_to_the_line_is_not(nic: NicBench) -> None:
    assert nic.from_accel(write(TXW_DATA + 0x0FFC, bytes(8))) == []
    assert nic.all_drops() == {c.DROP_4K_CROSS: 1}
    assert [p for p, _ in nic.from_accel(write(TXW_DATA + 0x0F00, bytes(0x100)))] == [UPLINK]
    # Length 0 is 1024 DW: a whole page, page-aligned, is the largest legal write
    out = nic.from_accel(write(TXW_DATA + 0x1000, bytes(4096)))
    assert [p for p, _ in out] == [UPLINK] and Ether(out[0][1])[TLP].length == 0
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 2


def test_translation_that_would_cross_4k_is_refused(nic: NicBench) -> None:
    """A window whose remote base is not at its local base's offset in the page: a write that fits one page
    as issued would straddle two after translation. Dropped before a sequence number is spent."""
    window = "NicIngress.tx_path.window"
    nic.sw.table_add(window, [Exact(ACCEL_A1), Lpm(0x1040_0000, 44)], "NicIngress.tx_path.to_peer",
                     [0x02_00_00_00_00_0B, ACCEL_B2, 7, 0x1040_0000, TXW_DATA_REMOTE + 0x800, 0x4000,
                      TX_STREAM_TO_B2, 0])
    assert nic.from_accel(write(0x1040_0000 + 0x700, bytes(0x200))) == []
    assert nic.all_drops() == {c.DROP_4K_CROSS: 1}
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 0
    assert [p for p, _ in nic.from_accel(write(0x1040_0000 + 0x100, bytes(0x200)))] == [UPLINK]


def test_receive_side_checks_the_page_rule_as_received_and_after_re_basing(nic: NicBench) -> None:
    assert nic.from_network(data_frame(0, write(RXW_BASE + 0x0FFC, bytes(8)))) == []
    assert nic.all_drops() == {c.DROP_4K_CROSS: 1}
    # a window re-based to another offset in the page (not what the plan makes): the crossing appears there
    r = "NicIngress.rx_path."
    nic.sw.table_add(r + "window", [Exact(ACCEL_B2), Exact(ACCEL_A1), Exact(5)], r + "exported",
                     [0xA000_0000, 0x2000, 0xA000_0800])
    assert nic.from_network(data_frame(0, write(0xA000_0700, bytes(0x200)), window=5)) == []
    assert nic.drops(c.DROP_4K_CROSS) == 2
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0  # the stream did not move
    tlp = write(RXW_BASE, b"fine")
    assert nic.from_network(data_frame(0, tlp)) == [(PORT_A1, bytes(tlp))]

