"""Orders of the controller to a NIC: P4Runtime packet-outs that the NIC's own pipeline carries out.

A new stream must start from known sequence numbers, but BMv2's P4Runtime server cannot write registers
(it answers UNIMPLEMENTED). So the NIC sets its stream registers itself when the controller orders it: an
order is a packet-out whose `packet_out` metadata (`packet_out_t` in p4src/include/headers.p4) is

    op      8 bits    ORDER_RESET_TX_STREAM: next_seq[stream] = seq
                      ORDER_RESET_RX_STREAM: expected[stream] = seq, nacked[stream] = 0
                      ORDER_RESET_MAILBOX: acked[stream] = seq (`stream` is the mailbox slot)
    stream  16 bits   the stream's register index (the address plan's stream number), or the slot's
    seq     16 bits   the sequence number the stream starts from

Only the CPU port parses a `packet_out` header, and only the primary controller may send a packet-out, so
no accelerator and no frame from the network can reset a stream. The NIC answers every order with a
packet-in, reason PUNT_ORDER_DONE or PUNT_ORDER_REFUSED (an unknown op or a stream index past the
registers; counted DROP_BAD_ORDER), whose payload is the order's five bytes: the controller waits for the
answer before it installs the entries that open the stream, so no frame of the stream can meet stale
numbers (a packet-out and a Write travel on different RPCs, in no guaranteed order).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.protocol import constants as c

__all__ = ["ORDER_BYTES", "ORDER_NAMES", "Answer", "Order", "read_answer"]

ORDER_BYTES = 5  # packet_out_t: op 8, stream 16, seq 16
ORDER_NAMES = {
    c.ORDER_RESET_TX_STREAM: "reset tx stream",
    c.ORDER_RESET_RX_STREAM: "reset rx stream",
    c.ORDER_RESET_MAILBOX: "reset mailbox slot",
}
ANSWERS = {c.PUNT_ORDER_DONE: True, c.PUNT_ORDER_REFUSED: False}


@dataclass(frozen=True, order=True)
class Order:
    """One order: `op` (ORDER_*) on the registers of stream `stream`, which then start from `seq`."""

    op: int
    stream: int
    seq: int = 0

    def __post_init__(self) -> None:
        for name, value, bits in (("op", self.op, 8), ("stream", self.stream, 16), ("seq", self.seq, 16)):
            if not 0 <= value < 1 << bits:
                raise ValueError(f"order {name} {value} does not fit in {bits} bits")

    @classmethod
    def reset_tx(cls, stream: int, seq: int = 0) -> Order:
        return cls(c.ORDER_RESET_TX_STREAM, stream, seq)

    @classmethod
    def reset_rx(cls, stream: int, seq: int = 0) -> Order:
        return cls(c.ORDER_RESET_RX_STREAM, stream, seq)

    @classmethod
    def reset_mailbox(cls, slot: int, seq: int = 0) -> Order:
        return cls(c.ORDER_RESET_MAILBOX, slot, seq)

    def metadata(self) -> dict[str, int]:
        """The packet-out metadata, by the names of `packet_out_t`'s fields."""
        return {"op": self.op, "stream": self.stream, "seq": self.seq}

    def to_bytes(self) -> bytes:
        """The order as the NIC echoes it in its answer (the `packet_out_t` header, big-endian)."""
        return bytes([self.op]) + self.stream.to_bytes(2, "big") + self.seq.to_bytes(2, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Order:
        if len(data) < ORDER_BYTES:
            raise ValueError(f"an order is {ORDER_BYTES} bytes, got {len(data)}: {data.hex()}")
        return cls(data[0], int.from_bytes(data[1:3], "big"), int.from_bytes(data[3:5], "big"))

    def describe(self) -> str:
        what = ORDER_NAMES.get(self.op, f"order {self.op} on stream")
        return f"{what} {self.stream} (from {self.seq})"


@dataclass(frozen=True)
class Answer:
    """A NIC's answer to an order: the order it echoes, and whether it was carried out."""

    order: Order
    done: bool


def read_answer(reason: int | None, payload: bytes) -> Answer | None:
    """The answer a packet-in carries (its `reason` metadata and payload), or None for any other packet-in."""
    if reason not in ANSWERS:
        return None
    try:
        order = Order.from_bytes(payload)
    except ValueError:
        return None
    return Answer(order, ANSWERS[reason])
