"""Scapy layers of the protocol: exact bytes, and dissection back to the same fields."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from controller.protocol import constants as c
from controller.protocol.stream import AckMsg, JetStream, seq_add, seq_diff
from controller.protocol.tlp import (
    TLP,
    TlpAddr32,
    TlpAddr64,
    TlpError,
    apply_mwr,
    mwr,
    mwr_address,
    mwr_bytes,
    payload_bytes,
)

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def test_mwr_3dw_exact_bytes() -> None:
    tlp = mwr(0x1000, bytes(range(8)), requester_id=0x0100, tag=5, tc=2, attr=1)
    assert bytes(tlp).hex() == (
        "40"  # Fmt 010 (3 DW with data), Type 00000
        "20"  # T9 0, TC 2, T8/Attr2/LN/TH 0
        "1002"  # TD 0, EP 0, Attr 01, AT 00, Length 2
        "0100" "05" "ff"  # requester, tag, last BE F, first BE F
        "00001000"  # address 0x1000, PH 0
        "0001020304050607"
    )


def test_mwr_4dw_above_4gib_and_forced() -> None:
    tlp = mwr(0x1_2345_6780, b"\xaa\xbb\xcc\xdd")
    raw = bytes(tlp)
    assert raw.hex() == "60000001" "0000000f" "00000001" "23456780" "aabbccdd"
    assert isinstance(TLP(raw).payload, TlpAddr64)
    assert bytes(mwr(0x10, b"abcd", force_4dw=True))[:1] == b"\x60"


def test_byte_enables_of_unaligned_writes() -> None:
    one = TLP(bytes(mwr(0x1001, b"xy")))
    assert (one.first_be, one.last_be, one.length) == (0b0110, 0, 1)
    two = TLP(bytes(mwr(0x1003, b"abcd")))
    assert (two.first_be, two.last_be, two.length) == (0b1000, 0b0111, 2)
    assert mwr_bytes(two) == {0x1003: 97, 0x1004: 98, 0x1005: 99, 0x1006: 100}


def test_length_zero_means_1024_dws() -> None:
    tlp = mwr(0x2000, bytes(4096))
    raw = bytes(tlp)
    assert raw[2] & 0x3 == 0 and raw[3] == 0
    assert len(payload_bytes(raw)) == 4096
    with pytest.raises(TlpError, match="1025 DWs"):
        mwr(0x2001, bytes(4096))


def test_apply_mwr_to_memory() -> None:
    mem = bytearray(16)
    assert apply_mwr(mem, mwr(0x102, b"\x01\x02\x03"), base=0x100) == 3
    assert mem[:6] == b"\x00\x00\x01\x02\x03\x00"
    with pytest.raises(TlpError, match="outside memory"):
        apply_mwr(mem, mwr(0x10E, b"abcd"), base=0x100)


def test_tlp_helpers_reject_bad_tlps() -> None:
    with pytest.raises(TlpError, match="not a memory write"):
        mwr_bytes(bytes.fromhex("00000001000000ff00001000"))  # a memory read
    with pytest.raises(TlpError, match="Length says 2 DWs but 4 bytes"):
        mwr_bytes(bytes(mwr(0x10, b"abcdefgh"))[:-4])
    with pytest.raises(TlpError, match="at least one byte"):
        mwr(0, b"")


def test_data_frame_exact_bytes_and_dissection() -> None:
    frame = (
        Ether(dst=MAC_B, src=MAC_A)
        / JetStream(flags="ACK_REQ", src=1, dst=2, window=3, seq=0xFFFF)
        / mwr(0x8000, b"\x11\x22\x33\x44")
    )
    raw = bytes(frame)
    assert raw.hex() == (
        "02000000000b" "02000000000a" "88b5"
        "11" "01" "0001" "0002" "0003" "ffff" "0000"
        "40000001" "0000000f" "00008000" "11223344"  # one DW: last BE 0
    )
    assert len(raw) == c.ETH_HDR_BYTES + c.JS_HDR_BYTES + c.TLP_HDR_3DW_BYTES + 4
    back = Ether(raw)
    js = back[JetStream]
    assert (js.version, js.msg_type, int(js.flags), js.src, js.dst, js.window, js.seq) == (
        1, c.MSG_DATA, c.FLAG_ACK_REQ, 1, 2, 3, 0xFFFF)
    assert back[TlpAddr32].addr << 2 == 0x8000
    assert back[Raw].load == b"\x11\x22\x33\x44"


def test_padded_short_frame_dissects_without_the_padding() -> None:
    raw = bytes(Ether(dst=MAC_B, src=MAC_A) / JetStream() / mwr(0x40, b"abcd")) + bytes(18)
    assert len(raw) == 60
    back = Ether(raw)
    assert back[Raw].load == b"abcd"
    assert mwr_address(back) == 0x40


def test_bytes_and_dissected_packets_read_alike() -> None:
    """TLP bytes are read without scapy: what follows the Length DWs is padding, as when dissected."""
    for address, data, four in [(0x40, b"abcd", False), (0x1003, b"xyz" * 50, False), (1 << 40, b"q", True)]:
        raw = bytes(mwr(address, data, force_4dw=four))
        padded = raw + bytes(20)
        for given in (raw, padded, TLP(padded), Ether(dst=MAC_B, src=MAC_A) / JetStream() / TLP(raw)):
            assert mwr_address(given) == address & ~3
            assert mwr_bytes(given) == {address + i: b for i, b in enumerate(data)}
            assert payload_bytes(given) == raw[len(raw) - len(payload_bytes(raw)) :]
    with pytest.raises(TlpError, match="Length says 2 DWs but 4 bytes of data follow"):
        mwr_bytes(bytes(mwr(0x10, b"abcdefgh"))[:-4])


def test_ack_frame_and_mailbox_message() -> None:
    ack = Ether(dst=MAC_A, src=MAC_B) / JetStream(msg_type=c.MSG_NACK, src=2, dst=1, seq=7, stream_dst=2)
    assert bytes(ack)[14:].hex() == "13" "00" "0002" "0001" "0000" "0007" "0002"
    assert Ether(bytes(ack) + bytes(34))[JetStream].seq == 7
    msg = AckMsg(msg_type=c.MSG_ACK, peer=2, stream_dst=0x8001, seq=0x1234)
    assert bytes(msg).hex() == "12" "00" "0002" "8001" "1234"


def test_sequence_arithmetic_wraps() -> None:
    assert seq_add(0xFFFF, 1) == 0
    assert seq_diff(0, 0xFFFF) == 1
    assert seq_diff(0xFFFF, 0) == -1
    assert seq_diff(0x7FFF, 0) == 0x7FFF
    assert seq_diff(0x8000, 0) == -0x8000
