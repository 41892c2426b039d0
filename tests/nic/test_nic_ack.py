"""nic.p4: ACK and NACK frames become mailbox writes on the sending accelerator's PCIe port."""

from __future__ import annotations

from controller.protocol import constants as c
from controller.protocol.gobackn import decode_mailbox
from controller.protocol.stream import AckMsg
from controller.protocol.tlp import mwr

from .bench import (
    ACCEL_A1,
    ACCEL_B2,
    GROUP,
    MAC_A,
    MAC_B,
    MAC_C,
    MAILBOX_A1,
    NIC_REQUESTER,
    PORT_A1,
    TX_STREAM_TO_B2,
    TX_STREAM_TO_GROUP,
    NicBench,
    control_frame,
)


def from_b2(msg_type: int, seq: int, stream_dst: int = ACCEL_B2, src: int = ACCEL_B2) -> bytes:
    return control_frame(msg_type, seq, src=src, dst=ACCEL_A1, stream_dst=stream_dst, src_mac=MAC_B,
                         dst_mac=MAC_A)


def mailbox_write(msg_type: int, seq: int, slot: int = 0, stream_dst: int = ACCEL_B2) -> bytes:
    msg = AckMsg(msg_type=msg_type, peer=ACCEL_B2, stream_dst=stream_dst, seq=seq)
    return bytes(mwr(MAILBOX_A1 + slot, bytes(msg), requester_id=NIC_REQUESTER))


def test_ack_becomes_a_mailbox_write(nic: NicBench) -> None:
    out = nic.from_network(from_b2(c.MSG_ACK, 0x1234))
    assert out == [(PORT_A1, mailbox_write(c.MSG_ACK, 0x1234))]
    addr, msg = decode_mailbox(out[0][1])
    assert (addr, msg.msg_type, msg.seq) == (MAILBOX_A1, c.MSG_ACK, 0x1234)
    assert nic.counter("NicIngress.ack_path.acks", TX_STREAM_TO_B2) == 1
    assert nic.outputs(c.OUT_MAILBOX) == 1


def test_nack_becomes_a_mailbox_write(nic: NicBench) -> None:
    out = nic.from_network(from_b2(c.MSG_NACK, 7))
    assert out == [(PORT_A1, mailbox_write(c.MSG_NACK, 7))]
    assert nic.counter("NicIngress.ack_path.nacks", TX_STREAM_TO_B2) == 1


def test_group_member_ack_uses_the_group_slot(nic: NicBench) -> None:
    out = nic.from_network(from_b2(c.MSG_ACK, 3, stream_dst=GROUP))
    assert out == [(PORT_A1, mailbox_write(c.MSG_ACK, 3, slot=8, stream_dst=GROUP))]
    assert nic.counter("NicIngress.ack_path.acks", TX_STREAM_TO_GROUP) == 1


def test_padded_ack_is_accepted(nic: NicBench) -> None:
    frame = from_b2(c.MSG_ACK, 1)
    out = nic.from_network(frame + bytes(c.ETH_MIN_FRAME_BYTES - len(frame)))
    assert out == [(PORT_A1, mailbox_write(c.MSG_ACK, 1))]


def test_ack_with_wrong_length_is_dropped(nic: NicBench) -> None:
    frame = from_b2(c.MSG_ACK, 1)
    assert nic.from_network(frame + b"\x00") == []
    assert nic.from_network(frame + bytes(40)) == []
    assert nic.drops(c.DROP_LENGTH) == 2


def test_ack_for_an_unknown_stream_is_dropped(nic: NicBench) -> None:
    assert nic.from_network(from_b2(c.MSG_ACK, 1, src=9)) == []
    assert nic.from_network(from_b2(c.MSG_NACK, 1, stream_dst=77)) == []
    assert nic.drops(c.DROP_ACK_UNKNOWN) == 2


def test_truncated_ack_is_dropped(nic: NicBench) -> None:
    assert nic.from_network(from_b2(c.MSG_ACK, 1)[:20]) == []
    assert nic.drops(c.DROP_PARSE) == 1


def test_ack_claimed_from_another_nics_mac_is_dropped(nic: NicBench) -> None:
    """Accelerator 2's ACKs come from MAC_B only: a forged one must not free the sender's kept writes."""
    forged = control_frame(c.MSG_ACK, 0x100, src=ACCEL_B2, dst=ACCEL_A1, stream_dst=ACCEL_B2, src_mac=MAC_C,
                           dst_mac=MAC_A)
    assert nic.from_network(forged) == []
    assert nic.all_drops() == {c.DROP_ACK_UNKNOWN: 1}
    assert nic.counter("NicIngress.ack_path.acks", TX_STREAM_TO_B2) == 0
    assert nic.outputs(c.OUT_MAILBOX) == 0


def test_the_mailbox_never_goes_backwards(nic: NicBench) -> None:
    """An ACK or NACK behind the last one delivered to the slot (overtaken, duplicated, replayed) is dropped;
    one with the same number passes (the receiver re-ACKs duplicates with the number it expects)."""
    acked = "NicIngress.ack_path.acked"
    assert nic.from_network(from_b2(c.MSG_ACK, 20)) == [(PORT_A1, mailbox_write(c.MSG_ACK, 20))]
    assert nic.from_network(from_b2(c.MSG_ACK, 16)) == []
    assert nic.from_network(from_b2(c.MSG_NACK, 19)) == []
    assert nic.from_network(from_b2(c.MSG_ACK, 20)) == [(PORT_A1, mailbox_write(c.MSG_ACK, 20))]
    assert nic.from_network(from_b2(c.MSG_NACK, 21)) == [(PORT_A1, mailbox_write(c.MSG_NACK, 21))]
    assert nic.drops(c.DROP_STALE_ACK) == 2 and nic.register(acked, 0) == 21
    # each slot keeps its own number: the group slot (1) still takes a low one
    assert nic.from_network(from_b2(c.MSG_ACK, 3, stream_dst=GROUP)) == [
        (PORT_A1, mailbox_write(c.MSG_ACK, 3, slot=8, stream_dst=GROUP))
    ]


def test_the_last_acknowledged_number_wraps_with_the_stream(nic: NicBench) -> None:
    nic.set_register("NicIngress.ack_path.acked", 0, 0xFFF0)
    assert nic.from_network(from_b2(c.MSG_ACK, 0xFFF8)) != []
    assert nic.from_network(from_b2(c.MSG_ACK, 0x0004)) != []  # past the wrap: ahead
    assert nic.from_network(from_b2(c.MSG_ACK, 0xFFFC)) == []  # before the wrap now: behind
    assert nic.drops(c.DROP_STALE_ACK) == 1
