"""nic.p4 receive path: peer, window, bounds and order checks; delivery, ACK and NACK."""

from __future__ import annotations

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from controller.protocol import constants as c

from .bench import (
    ACCEL_A1,
    ACCEL_B2,
    ACCEL_C4,
    GROUP,
    MAC_A,
    MAC_B,
    MAC_C,
    MAC_GROUP,
    PORT_A1,
    RX_STREAM_FROM_B2,
    RX_STREAM_GROUP,
    RXW_BASE,
    RXW_GROUP_BASE,
    RXW_GROUP_ID,
    RXW_GROUP_LOCAL,
    RXW_SIZE,
    TX_STREAM_TO_B2,
    UPLINK,
    NicBench,
    control_frame,
    data_frame,
    mac_str,
    write,
)

EXPECTED = "NicIngress.rx_path.expected"


def ack(msg_type: int, seq: int, stream_dst: int = ACCEL_A1) -> bytes:
    """The ACK/NACK NIC A must send back to accelerator 2's NIC."""
    return control_frame(msg_type, seq, src=ACCEL_A1, dst=ACCEL_B2, stream_dst=stream_dst, src_mac=MAC_A,
                         dst_mac=MAC_B)


def test_next_write_is_delivered_as_the_tlp(nic: NicBench) -> None:
    tlp = write(RXW_BASE + 0x40, bytes(range(32)))
    out = nic.from_network(data_frame(0, tlp))
    assert out == [(PORT_A1, bytes(tlp))]
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 1
    assert nic.counter("NicIngress.rx_path.frames", RX_STREAM_FROM_B2) == 1
    assert nic.outputs(c.OUT_TLP) == 1
    assert nic.all_drops() == {}


def test_padding_of_a_short_frame_never_reaches_pcie(nic: NicBench) -> None:
    tlp = write(RXW_BASE + 3, b"z")
    frame = data_frame(0, tlp)
    assert len(frame) < c.ETH_MIN_FRAME_BYTES
    out = nic.from_network(frame + bytes(c.ETH_MIN_FRAME_BYTES - len(frame)))
    assert out == [(PORT_A1, bytes(tlp))]


def test_ack_every_n_frames(nic: NicBench) -> None:
    acks = []
    for seq in range(2 * c.ACK_EVERY):
        tlp = write(RXW_BASE + 4 * seq, seq.to_bytes(4, "big"))
        out = nic.from_network(data_frame(seq, tlp))
        assert (PORT_A1, bytes(tlp)) in out
        acks += [(seq, f) for p, f in out if p == UPLINK]
    assert acks == [(c.ACK_EVERY - 1, ack(c.MSG_ACK, c.ACK_EVERY)),
                    (2 * c.ACK_EVERY - 1, ack(c.MSG_ACK, 2 * c.ACK_EVERY))]
    assert nic.outputs(c.OUT_TLP_AND_ACK) == 2
    assert nic.outputs(c.OUT_TLP) == 2 * c.ACK_EVERY - 2


def test_ack_on_request(nic: NicBench) -> None:
    tlp = write(RXW_BASE, b"flag")
    out = nic.from_network(data_frame(0, tlp, flags=c.FLAG_ACK_REQ))
    assert sorted(out) == sorted([(PORT_A1, bytes(tlp)), (UPLINK, ack(c.MSG_ACK, 1))])


def test_gap_is_dropped_and_nacked_once(nic: NicBench) -> None:
    nic.from_network(data_frame(0, write(RXW_BASE, b"zero")))
    out = nic.from_network(data_frame(2, write(RXW_BASE + 8, b"two!")))
    assert out == [(UPLINK, ack(c.MSG_NACK, 1))]
    assert nic.from_network(data_frame(3, write(RXW_BASE + 12, b"3333"))) == []
    assert nic.drops(c.DROP_GAP) == 2
    assert nic.outputs(c.OUT_NACK) == 1
    assert nic.counter("NicIngress.rx_path.out_of_order", RX_STREAM_FROM_B2) == 2
    # the re-issued write is accepted; a later gap is NACKed again
    tlp = write(RXW_BASE + 4, b"one!")
    assert nic.from_network(data_frame(1, tlp)) == [(PORT_A1, bytes(tlp))]
    assert nic.from_network(data_frame(5, write(RXW_BASE, b"five"))) == [(UPLINK, ack(c.MSG_NACK, 2))]
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 2


def test_duplicate_is_dropped_and_reacked(nic: NicBench) -> None:
    tlp = write(RXW_BASE, b"once")
    nic.from_network(data_frame(0, tlp))
    out = nic.from_network(data_frame(0, tlp))
    assert out == [(UPLINK, ack(c.MSG_ACK, 1))]
    assert nic.drops(c.DROP_DUPLICATE) == 1
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 1


def test_sequence_wraps_around(nic: NicBench) -> None:
    nic.set_register(EXPECTED, RX_STREAM_FROM_B2, 0xFFFE)
    delivered = []
    for seq in (0xFFFE, 0xFFFF, 0x0000, 0x0001):
        out = nic.from_network(data_frame(seq, write(RXW_BASE, seq.to_bytes(4, "big"))))
        delivered += [p for p, _ in out if p == PORT_A1]
    assert delivered == [PORT_A1] * 4
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 2
    # across the wrap, 0xFFFF is now behind (a duplicate) and 0x7FFF ahead (a gap)
    assert nic.from_network(data_frame(0xFFFF, write(RXW_BASE, b"old!"))) == [(UPLINK, ack(c.MSG_ACK, 2))]
    assert nic.from_network(data_frame(0x7FFF, write(RXW_BASE, b"far!"))) == [(UPLINK, ack(c.MSG_NACK, 2))]
    assert nic.drops(c.DROP_DUPLICATE) == 1
    assert nic.drops(c.DROP_GAP) == 1


def test_group_write_is_rebased_into_local_memory(nic: NicBench) -> None:
    frame = data_frame(0, write(RXW_GROUP_BASE + 0x20, b"allgathr"), dst=GROUP, window=RXW_GROUP_ID,
                       flags=c.FLAG_GROUP | c.FLAG_ACK_REQ, dst_mac=MAC_GROUP)
    out = nic.from_network(frame)
    local = write(RXW_GROUP_LOCAL + 0x20, b"allgathr")  # above 4 GiB: 4 DW header
    acked = control_frame(c.MSG_ACK, 1, src=ACCEL_A1, dst=ACCEL_B2, stream_dst=GROUP, src_mac=MAC_A,
                          dst_mac=MAC_B)
    assert sorted(out) == sorted([(PORT_A1, bytes(local)), (UPLINK, acked)])
    assert nic.register(EXPECTED, RX_STREAM_GROUP) == 1
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0


def test_unknown_peer_goes_to_the_controller(nic: NicBench) -> None:
    frame = data_frame(0, write(RXW_BASE, b"evil"), src=9)
    out = nic.from_network(frame)
    assert out == [(c.CPU_PORT, UPLINK.to_bytes(2, "big") + bytes([c.PUNT_UNKNOWN_PEER]) + frame)]
    assert nic.drops(c.DROP_UNKNOWN_PEER) == 1


def test_known_peer_writing_to_another_local_accelerator_is_unknown(nic: NicBench) -> None:
    out = nic.from_network(data_frame(0, write(RXW_BASE, b"evil"), dst=3))
    assert [p for p, _ in out] == [c.CPU_PORT]
    assert nic.drops(c.DROP_UNKNOWN_PEER) == 1


def test_window_not_exported_to_that_peer(nic: NicBench) -> None:
    assert nic.from_network(data_frame(0, write(RXW_BASE, b"evil"), window=5)) == []
    # accelerator 4 is a known peer, but window 4 was exported to accelerator 2 only
    assert nic.from_network(data_frame(0, write(RXW_BASE, b"evil"), src=ACCEL_C4, src_mac=MAC_C)) == []
    assert nic.drops(c.DROP_NO_RX_WINDOW) == 2
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0


def test_writes_outside_or_across_the_window_are_dropped(nic: NicBench) -> None:
    cases = [
        write(RXW_BASE - 4, b"abcd"),  # below
        write(RXW_BASE + RXW_SIZE, b"abcd"),  # just past the end
        write(RXW_BASE + RXW_SIZE - 0x100, bytes(0x108)),  # across the end
        write(RXW_BASE - 8, bytes(0x10)),  # across the start
        write(0x1_8000_0000, b"abcd"),  # far away, 4 DW
    ]
    outs = [nic.from_network(data_frame(0, tlp)) for tlp in cases]
    assert outs == [[]] * 5
    # the window's ends are on 4 KiB lines: a write across them crosses a page too, which PCIe forbids first
    assert (nic.drops(c.DROP_RX_BOUNDS), nic.drops(c.DROP_4K_CROSS)) == (3, 2)
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0
    tlp = write(RXW_BASE + RXW_SIZE - 4096, bytes(4096))
    assert nic.from_network(data_frame(0, tlp)) == [(PORT_A1, bytes(tlp))]


def test_bad_frames_are_dropped_by_reason(nic: NicBench) -> None:
    good = data_frame(0, write(RXW_BASE, b"good"))
    version = bytearray(good)
    version[14] = 0x21  # version 2, DATA
    mtype = bytearray(good)
    mtype[14] = 0x15  # version 1, type 5
    other = bytearray(good)
    other[12:14] = b"\x08\x00"  # IPv4
    cases = {
        c.DROP_BAD_VERSION: bytes(version),
        c.DROP_BAD_TYPE: bytes(mtype),
        c.DROP_NOT_JS: bytes(other),
    }
    for reason, frame in cases.items():
        assert nic.from_network(frame) == [], reason
        assert nic.drops(reason) == 1, reason
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0


def test_truncated_frames_are_dropped(nic: NicBench) -> None:
    good = data_frame(0, write(RXW_BASE, b"good"))
    cuts = [10, 14, 20, 26, 30, 34, 38]  # inside Ethernet, stream header, TLP DW0-1, address, data
    for cut in cuts:
        assert nic.from_network(good[:cut]) == [], cut
    assert nic.drops(c.DROP_PARSE) == len(cuts)


def test_tlp_length_disagreeing_with_the_frame(nic: NicBench) -> None:
    good = data_frame(0, write(RXW_BASE, bytes(64)))
    assert nic.from_network(good + bytes(4)) == []  # trailing bytes that are not padding
    assert nic.from_network(good[:-4]) == []  # one DW short
    short = data_frame(0, write(RXW_BASE, bytes(8)))
    assert nic.from_network(short + bytes(c.ETH_MIN_FRAME_BYTES + 4 - len(short))) == []  # padded beyond 60
    assert nic.drops(c.DROP_LENGTH) == 3
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0


def test_non_memory_write_tlp_from_the_network_is_dropped(nic: NicBench) -> None:
    mrd = bytes.fromhex("00000001" "0a0011ff") + RXW_BASE.to_bytes(4, "big")  # a memory read
    raw = data_frame(0, write(RXW_BASE, b"abcd"))[: 14 + 12] + mrd
    assert nic.from_network(raw) == []
    assert nic.drops(c.DROP_NOT_MWR) == 1
    poisoned = write(RXW_BASE, b"abcd")
    poisoned.ep = 1
    assert nic.from_network(data_frame(0, poisoned)) == []
    assert nic.drops(c.DROP_TLP_ATTR) == 1


def test_peer_claimed_from_another_nics_mac_is_unknown(nic: NicBench) -> None:
    """Accelerator 2 sits behind MAC_B: the same stream header from MAC_C (accelerator 4's NIC) is forged."""
    frame = data_frame(0, write(RXW_BASE, b"evil"), src_mac=MAC_C)
    out = nic.from_network(frame)
    assert out == [(c.CPU_PORT, UPLINK.to_bytes(2, "big") + bytes([c.PUNT_UNKNOWN_PEER]) + frame)]
    assert nic.all_drops() == {c.DROP_UNKNOWN_PEER: 1}
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0
    assert nic.counter("NicIngress.rx_path.frames", RX_STREAM_FROM_B2) == 0
    # the genuine frame from MAC_B is then the next one, so the forgery consumed nothing
    tlp = write(RXW_BASE, b"good")
    assert nic.from_network(data_frame(0, tlp)) == [(PORT_A1, bytes(tlp))]


def test_unicast_for_another_nic_is_dropped_before_any_check(nic: NicBench) -> None:
    """Frames the ToR flooded to every port: dropped as not ours, never punted, whatever they hold."""
    frames = [
        data_frame(0, write(RXW_BASE, b"good"), dst_mac=MAC_B),  # a valid write, but for NIC B
        data_frame(0, write(RXW_BASE, b"evil"), src=9, dst_mac=MAC_C),  # would be an unknown peer
        control_frame(c.MSG_NACK, 0, src=ACCEL_B2, dst=ACCEL_A1, stream_dst=ACCEL_B2, src_mac=MAC_B, dst_mac=MAC_C),
        bytes(Ether(dst=mac_str(MAC_B), src=mac_str(MAC_C)) / IP() / UDP()),  # another EtherType
        data_frame(0, write(RXW_BASE, b"good"), dst_mac=MAC_A + 1)[:20],  # truncated, for someone else
    ]
    for frame in frames:
        assert nic.from_network(frame) == [], frame.hex()
    assert nic.all_drops() == {c.DROP_NOT_MY_MAC: len(frames)}
    assert nic.outputs(c.OUT_CPU) == 0
    assert nic.register(EXPECTED, RX_STREAM_FROM_B2) == 0


def test_group_and_broadcast_frames_go_on_to_the_peer_check(nic: NicBench) -> None:
    group = data_frame(0, write(RXW_GROUP_BASE, b"grp!"), src=9, dst=GROUP, window=RXW_GROUP_ID,
                       flags=c.FLAG_GROUP, dst_mac=MAC_GROUP)
    assert [p for p, _ in nic.from_network(group)] == [c.CPU_PORT]  # unknown peer, not "not my MAC"
    broadcast = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac_str(MAC_B)) / IP() / UDP())
    assert nic.from_network(broadcast) == []
    assert nic.all_drops() == {c.DROP_UNKNOWN_PEER: 1, c.DROP_NOT_JS: 1}


def test_ack_for_another_nic_does_not_reach_the_mailbox(nic: NicBench) -> None:
    acked = control_frame(c.MSG_ACK, 3, src=ACCEL_B2, dst=ACCEL_A1, stream_dst=ACCEL_B2, src_mac=MAC_B,
                          dst_mac=MAC_C)
    assert nic.from_network(acked) == []
    assert nic.all_drops() == {c.DROP_NOT_MY_MAC: 1}
    assert nic.counter("NicIngress.ack_path.acks", TX_STREAM_TO_B2) == 0
