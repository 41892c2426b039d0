"""nic.p4 orders: a packet-out from the controller resets a stream's registers and is answered by a packet-in.

A frame on the CPU port is the packet-out as the P4Runtime server injects it: the `packet_out` metadata
(op, stream, seq) and nothing after it. The answer on the CPU port is `packet_in` (ingress port, reason)
followed by the order's own five bytes.
"""

from __future__ import annotations

import pytest

from controller.protocol import constants as c
from controller.protocol.orders import ORDER_BYTES, Answer, Order, read_answer

from .bench import PORT_A1, RX_STREAM_FROM_B2, RXW_BASE, TX_STREAM_TO_B2, TXW_DATA, UPLINK, NicBench, data_frame, write

NEXT_SEQ = "NicIngress.tx_path.next_seq"
EXPECTED = "NicIngress.rx_path.expected"
NACKED = "NicIngress.rx_path.nacked"
ACKED = "NicIngress.ack_path.acked"


def answer_of(nic: NicBench, order: Order | bytes) -> Answer:
    """Send an order on the CPU port; the one packet-in it gives, decoded."""
    out = nic.send(c.CPU_PORT, order.to_bytes() if isinstance(order, Order) else order)
    assert [port for port, _ in out] == [c.CPU_PORT]
    frame = out[0][1]
    assert int.from_bytes(frame[0:2], "big") == c.CPU_PORT  # packet_in.ingress_port
    answer = read_answer(frame[2], frame[3:])
    assert answer is not None and len(frame) == 3 + ORDER_BYTES
    return answer


def test_tx_order_sets_the_next_sequence_number(nic: NicBench) -> None:
    nic.set_register(NEXT_SEQ, TX_STREAM_TO_B2, 41)
    order = Order.reset_tx(TX_STREAM_TO_B2, 7)
    assert answer_of(nic, order) == Answer(order, done=True)
    assert nic.register(NEXT_SEQ, TX_STREAM_TO_B2) == 7
    (frame,) = nic.from_accel(write(TXW_DATA, b"data"))
    assert frame[0] == UPLINK and int.from_bytes(frame[1][22:24], "big") == 7  # the stream header's seq
    assert nic.outputs(c.OUT_CPU) == 1 and nic.all_drops() == {}


def test_rx_order_sets_the_expected_number_and_clears_the_nack_mark(nic: NicBench) -> None:
    nic.from_network(data_frame(0, write(RXW_BASE, b"zero")))
    nic.from_network(data_frame(5, write(RXW_BASE, b"gap!")))  # NACKed once, marked
    assert (nic.register(EXPECTED, RX_STREAM_FROM_B2), nic.register(NACKED, RX_STREAM_FROM_B2)) == (1, 1)
    order = Order.reset_rx(RX_STREAM_FROM_B2)
    assert answer_of(nic, order) == Answer(order, done=True)
    assert (nic.register(EXPECTED, RX_STREAM_FROM_B2), nic.register(NACKED, RX_STREAM_FROM_B2)) == (0, 0)
    tlp = write(RXW_BASE, b"new!")
    assert nic.from_network(data_frame(0, tlp)) == [(PORT_A1, bytes(tlp))]


def test_mailbox_order_sets_the_last_acknowledged_number(nic: NicBench) -> None:
    nic.set_register(ACKED, 1, 0x7000)
    order = Order.reset_mailbox(1, 5)
    assert answer_of(nic, order) == Answer(order, done=True)
    assert nic.register(ACKED, 1) == 5


def test_an_order_touches_only_its_own_stream_and_side(nic: NicBench) -> None:
    for stream in (TX_STREAM_TO_B2, TX_STREAM_TO_B2 + 1):
        nic.set_register(NEXT_SEQ, stream, 9)
        nic.set_register(EXPECTED, stream, 9)
    answer_of(nic, Order.reset_tx(TX_STREAM_TO_B2))
    assert [nic.register(NEXT_SEQ, TX_STREAM_TO_B2), nic.register(NEXT_SEQ, TX_STREAM_TO_B2 + 1)] == [0, 9]
    assert [nic.register(EXPECTED, TX_STREAM_TO_B2), nic.register(EXPECTED, TX_STREAM_TO_B2 + 1)] == [9, 9]


@pytest.mark.parametrize("order", [Order(0, 1), Order(4, 1), Order(0xFF, 1),
                                   Order(c.ORDER_RESET_TX_STREAM, 1024), Order(c.ORDER_RESET_RX_STREAM, 0xFFFF),
                                   Order(c.ORDER_RESET_MAILBOX, 64)])
def test_a_bad_order_is_refused_counted_and_changes_nothing(nic: NicBench, order: Order) -> None:
    nic.set_register(NEXT_SEQ, 1, 3)
    nic.set_register(EXPECTED, 1, 3)
    assert answer_of(nic, order) == Answer(order, done=False)
    assert nic.all_drops() == {c.DROP_BAD_ORDER: 1}
    assert (nic.register(NEXT_SEQ, 1), nic.register(EXPECTED, 1)) == (3, 3)


def test_a_short_order_is_a_parse_error_and_no_answer(nic: NicBench) -> None:
    assert nic.send(c.CPU_PORT, Order.reset_tx(1).to_bytes()[:4]) == []
    assert nic.all_drops() == {c.DROP_PARSE: 1}


def test_an_order_from_an_accelerator_or_the_network_is_no_order(nic: NicBench) -> None:
    nic.set_register(NEXT_SEQ, 1, 3)
    order = Order.reset_tx(1).to_bytes()
    assert nic.from_accel(order) == []  # a PCIe port: a TLP too short to be a write
    assert nic.from_network(order + bytes(60)) == []  # the uplink: Ethernet for another MAC
    assert nic.register(NEXT_SEQ, 1) == 3
    assert c.DROP_BAD_ORDER not in nic.all_drops()


def test_order_bytes_round_trip_and_bounds() -> None:
    order = Order.reset_rx(0x1234, 0xBEEF)
    assert order.to_bytes() == bytes([c.ORDER_RESET_RX_STREAM, 0x12, 0x34, 0xBE, 0xEF])
    assert Order.from_bytes(order.to_bytes()) == order
    assert order.describe() == "reset rx stream 4660 (from 48879)"
    with pytest.raises(ValueError, match="stream 65536 does not fit in 16 bits"):
        Order.reset_tx(1 << 16)
    with pytest.raises(ValueError, match="an order is 5 bytes, got 4"):
        Order.from_bytes(bytes(4))
    assert read_answer(c.PUNT_UNKNOWN_PEER, order.to_bytes()) is None
    assert read_answer(c.PUNT_ORDER_DONE, b"\x01") is None
