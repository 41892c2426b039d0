"""The JetStream stream header: 12 bytes after Ethernet, EtherType 0x88B5.

Layout (docs/protocol.md draws it), all fields big-endian::

    byte 0      version:4 | msg_type:4     JS_VERSION; MSG_DATA, MSG_ACK, MSG_NACK
    byte 1      flags                      FLAG_ACK_REQ, FLAG_GROUP
    bytes 2-3   src                        sending accelerator (ACK/NACK: the acknowledging one)
    bytes 4-5   dst                        destination accelerator or group (ACK/NACK: the stream's sender)
    bytes 6-7   window                     DATA: window id exported by the receiver
    bytes 8-9   seq                        DATA: sequence number; ACK: next expected; NACK: expected
    bytes 10-11 stream_dst                 ACK/NACK: the stream's destination as its sender names it

A DATA header is followed by the PCIe memory-write TLP (`controller.protocol.tlp.TLP`);
ACK and NACK carry nothing after the header (Ethernet may pad the frame).

`AckMsg` is the 8-byte payload of the mailbox write by which a NIC hands an ACK or NACK
to the sending accelerator.
"""

from __future__ import annotations

from scapy.fields import BitEnumField, BitField, FlagsField, ShortField
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Padding, bind_layers

from controller.protocol import constants as c
from controller.protocol.tlp import TLP

__all__ = ["MSG_TYPES", "AckMsg", "JetStream", "seq_add", "seq_diff"]

MSG_TYPES = {c.MSG_DATA: "DATA", c.MSG_ACK: "ACK", c.MSG_NACK: "NACK"}
_FLAG_NAMES = ["ACK_REQ", "GROUP", "F2", "F3", "F4", "F5", "F6", "F7"]
_SEQ_MOD = 1 << c.JS_SEQ_BITS


class JetStream(Packet):
    """The stream header of a DATA, ACK or NACK frame."""

    name = "JetStream"
    fields_desc = [
        BitField("version", c.JS_VERSION, 4),
        BitEnumField("msg_type", c.MSG_DATA, 4, MSG_TYPES),
        FlagsField("flags", 0, 8, _FLAG_NAMES),
        ShortField("src", 0),
        ShortField("dst", 0),
        ShortField("window", 0),
        ShortField("seq", 0),
        ShortField("stream_dst", 0),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        if self.version == c.JS_VERSION and self.msg_type == c.MSG_DATA:
            return TLP
        return Padding

    def mysummary(self) -> str:
        kind = MSG_TYPES.get(int(self.msg_type), str(self.msg_type))
        return f"JetStream {kind} {self.src}->{self.dst} win={self.window} seq={self.seq}"


class AckMsg(Packet):
    """Payload of the mailbox write that reports an ACK or NACK to the sending accelerator."""

    name = "JetStreamAckMsg"
    fields_desc = [
        BitField("version", c.JS_VERSION, 4),
        BitEnumField("msg_type", c.MSG_ACK, 4, MSG_TYPES),
        FlagsField("flags", 0, 8, _FLAG_NAMES),
        ShortField("peer", 0),
        ShortField("stream_dst", 0),
        ShortField("seq", 0),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        return Padding


def seq_add(seq: int, n: int) -> int:
    """`seq + n` in sequence-number arithmetic (wraps at 2**JS_SEQ_BITS)."""
    return (seq + n) % _SEQ_MOD


def seq_diff(seq: int, expected: int) -> int:
    """How far `seq` is ahead of `expected` (negative: behind), as the receiving NIC judges it."""
    d = (seq - expected) % _SEQ_MOD
    return d if d < c.JS_SEQ_HALF else d - _SEQ_MOD


bind_layers(Ether, JetStream, type=c.ETHERTYPE_JS)
