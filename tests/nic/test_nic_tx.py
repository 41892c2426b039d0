"""nic.p4 transmit path: a memory write from an accelerator becomes a DATA frame on the uplink."""

from __future__ import annotations

from scapy.layers.l2 import Ether
from scapy.packet import Raw

from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import TLP, TlpAddr32, TlpAddr64
from softp4.switch import Exact, Lpm

from .bench import (
    ACCEL_A1,
    ACCEL_B2,
    GROUP,
    MAC_B,
    MAC_GROUP,
    PORT_A1,
    PORT_A3,
    TX_STREAM_TO_B2,
    TX_STREAM_TO_GROUP,
    TXW_DATA,
    TXW_DATA_REMOTE,
    TXW_DATA_SIZE,
    TXW_FLAG,
    TXW_FLAG_REMOTE,
    TXW_GROUP,
    TXW_GROUP_REMOTE,
    TXW_REWIND,
    UPLINK,
    NicBench,
    expected_tx_frame,
    write,
)

SEQ = "NicIngress.tx_path.next_seq"


def test_write_goes_out_translated_with_sequence_number(nic: NicBench) -> None:
    data = bytes(range(64))
    out = nic.from_accel(write(TXW_DATA + 0x100, data))
    expected = expected_tx_frame(0, write(TXW_DATA_REMOTE + 0x100, data))
    assert out == [(UPLINK, expected)]
    # the translated address is above 4 GiB: the TLP now has a 4 DW header
    assert isinstance(Ether(out[0][1])[TLP].payload, TlpAddr64)
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 1
    assert nic.counter("NicIngress.tx_path.frames", TX_STREAM_TO_B2) == 1
    assert nic.outputs(c.OUT_UPLINK) == 1
    assert nic.all_drops() == {}


def test_tlp_fields_survive_unchanged(nic: NicBench) -> None:
    tlp = write(TXW_DATA + 0x201, b"xyz", requester_id=0xBEEF, tag=0x7F, tc=5, attr=2)
    out = nic.from_accel(tlp)
    assert len(out) == 1
    sent = Ether(out[0][1])[TLP]
    original = TLP(bytes(tlp))
    for name in ("tlp_type", "tc", "attr", "length", "requester_id", "tag", "first_be", "last_be"):
        assert getattr(sent, name) == getattr(original, name), name
    assert sent[Raw].load == bytes(tlp)[12:]


def test_sequence_numbers_increase_and_wrap(nic: NicBench) -> None:
    nic.set_register(SEQ, TX_STREAM_TO_B2, 0xFFFE)
    seqs = []
    for i in range(3):
        out = nic.from_accel(write(TXW_DATA + 4 * i, b"abcd"))
        seqs.append(Ether(out[0][1])[JetStream].seq)
    assert seqs == [0xFFFE, 0xFFFF, 0]
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 1


def test_windows_of_one_destination_share_the_stream(nic: NicBench) -> None:
    nic.from_accel(write(TXW_DATA, b"data"))
    out = nic.from_accel(write(TXW_FLAG + 8, b"flag"))
    expected = expected_tx_frame(1, write(TXW_FLAG_REMOTE + 8, b"flag"), window=8, flags=c.FLAG_ACK_REQ)
    assert out == [(UPLINK, expected)]
    # 0x4008 is below 4 GiB: 3 DW header
    assert isinstance(Ether(out[0][1])[TLP].payload, TlpAddr32)


def test_4dw_write_below_4gib_becomes_3dw(nic: NicBench) -> None:
    out = nic.from_accel(write(TXW_FLAG, b"\x01\x02\x03\x04", force_4dw=True))
    expected = expected_tx_frame(0, write(TXW_FLAG_REMOTE, b"\x01\x02\x03\x04"), window=8, flags=c.FLAG_ACK_REQ)
    assert out == [(UPLINK, expected)]


def test_group_write(nic: NicBench) -> None:
    out = nic.from_accel(write(TXW_GROUP + 0x40, b"gather!!"))
    expected = expected_tx_frame(0, write(TXW_GROUP_REMOTE + 0x40, b"gather!!"), dst_mac=MAC_GROUP, dst=GROUP,
                                 window=9, flags=c.FLAG_GROUP)
    assert out == [(UPLINK, expected)]
    assert nic.register(SEQ, TX_STREAM_TO_GROUP) == 1
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 0


def test_write_ending_exactly_at_window_end_is_sent(nic: NicBench) -> None:
    out = nic.from_accel(write(TXW_DATA + TXW_DATA_SIZE - 8, bytes(8)))
    assert [p for p, _ in out] == [UPLINK]


def test_write_across_window_end_is_rejected(nic: NicBench) -> None:
    # the window ends on a 4 KiB line, so a write across its end also crosses a page: PCIe forbids that first
    assert nic.from_accel(write(TXW_DATA + TXW_DATA_SIZE - 4, bytes(8))) == []
    assert nic.drops(c.DROP_4K_CROSS) == 1
    shorter = 0x5_F800  # a window that ends inside a page: the write crosses the window's end alone
    nic.sw.table_add("NicIngress.tx_path.window", [Exact(ACCEL_A1), Lpm(0x1030_0000, 44)], "NicIngress.tx_path.to_peer",
                     [MAC_B, ACCEL_B2, 7, 0x1030_0000, TXW_DATA_REMOTE, shorter, TX_STREAM_TO_B2, 0])
    assert nic.from_accel(write(0x1030_0000 + shorter - 4, bytes(8))) == []
    assert nic.drops(c.DROP_TX_CROSS) == 1
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 0  # no number was spent


def test_write_past_window_size_inside_the_prefix_is_rejected(nic: NicBench) -> None:
    # the /20 block is 1 MiB but the window only 0x60000 bytes
    assert nic.from_accel(write(TXW_DATA + TXW_DATA_SIZE + 0x100, b"abcd")) == []
    assert nic.drops(c.DROP_TX_CROSS) == 1


def test_write_outside_every_window_is_dropped(nic: NicBench) -> None:
    assert nic.from_accel(write(0x5000_0000, b"abcd")) == []
    assert nic.drops(c.DROP_NO_TX_WINDOW) == 1


def test_windows_belong_to_their_accelerator(nic: NicBench) -> None:
    # accelerator 3 (port 2) has no windows at all
    assert nic.from_accel(write(TXW_DATA, b"abcd"), port=PORT_A3) == []
    assert nic.drops(c.DROP_NO_TX_WINDOW) == 1


def test_unknown_pcie_port_is_dropped(nic: NicBench) -> None:
    assert nic.from_accel(write(TXW_DATA, b"abcd"), port=7) == []
    assert nic.drops(c.DROP_UNKNOWN_PORT) == 1


def test_rewind_doorbell_sets_next_sequence_number(nic: NicBench) -> None:
    out = nic.from_accel(write(TXW_REWIND, (0x1234).to_bytes(4, "little")))
    assert out == []
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 0x1234
    assert nic.counter("NicIngress.tx_path.rewinds", TX_STREAM_TO_B2) == 1
    assert nic.all_drops() == {}
    sent = nic.from_accel(write(TXW_DATA, b"abcd"))
    assert Ether(sent[0][1])[JetStream].seq == 0x1234


def test_malformed_rewinds_are_dropped(nic: NicBench) -> None:
    assert nic.from_accel(write(TXW_REWIND, b"\x05\x00")) == []  # 2 bytes: first BE 0x3
    assert nic.drops(c.DROP_REWIND) == 1
    assert nic.from_accel(write(TXW_REWIND, bytes(8))) == []  # two DWs cross the 4-byte window
    assert nic.drops(c.DROP_TX_CROSS) == 1
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 0


def test_non_memory_write_goes_to_the_controller(nic: NicBench) -> None:
    mrd = bytes.fromhex("00000001" "0a0011ff" "10000000")  # 3 DW memory read, 1 DW
    out = nic.from_accel(mrd)
    assert out == [(c.CPU_PORT, (PORT_A1).to_bytes(2, "big") + bytes([c.PUNT_NOT_MWR]) + mrd)]
    assert nic.drops(c.DROP_NOT_MWR) == 1
    assert nic.outputs(c.OUT_CPU) == 1


def test_ecrc_and_poisoned_writes_are_dropped(nic: NicBench) -> None:
    for td, ep in ((1, 0), (0, 1)):
        tlp = write(TXW_DATA, b"abcd")
        tlp.td, tlp.ep = td, ep
        assert nic.from_accel(tlp) == []
    assert nic.drops(c.DROP_TLP_ATTR) == 2


def test_length_disagreeing_with_the_packet_is_dropped(nic: NicBench) -> None:
    good = bytes(write(TXW_DATA, bytes(16)))
    assert nic.from_accel(good + b"\x00\x00\x00\x00") == []  # one DW too many
    assert nic.from_accel(good[:-4]) == []  # one DW too few
    assert nic.drops(c.DROP_LENGTH) == 2
    assert nic.register(SEQ, TX_STREAM_TO_B2) == 0


def test_truncated_tlps_are_dropped(nic: NicBench) -> None:
    good = bytes(write(TXW_DATA, b"abcd"))
    for cut in (3, 8, 10, 12):  # inside DW0-1, before the address, inside it, before the single data DW
        assert nic.from_accel(good[:cut]) == [], cut
    assert nic.drops(c.DROP_PARSE) == 4
