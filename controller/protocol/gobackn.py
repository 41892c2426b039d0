"""Go-back-N on the sending accelerator: what it keeps, frees and re-issues.

A P4 NIC holds no replay buffer, so the accelerator (or its emulator) keeps each write until a
cumulative ACK covers it. The NIC numbers a stream's writes in the order the accelerator issues
them, so the accelerator knows each write's number by counting. Messages arrive as 8-byte mailbox
writes (`AckMsg`). On a NACK carrying `e` the accelerator writes `e` (little-endian DW) into the
stream's rewind window, which sets the NIC's next number to `e`, then re-issues every kept write
from `e` on; PCIe keeps posted writes in order, so the rewind takes effect exactly between the old
and the re-issued writes. docs/protocol.md describes the protocol.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from scapy.packet import Packet

from controller.protocol import constants as c
from controller.protocol.stream import AckMsg, seq_add, seq_diff
from controller.protocol.tlp import TlpError, mwr, mwr_address, payload_bytes

__all__ = ["GoBackNSender", "KeptWrite", "decode_mailbox", "rewind_tlp"]


@dataclass(frozen=True)
class KeptWrite:
    seq: int
    tlp: bytes


def rewind_tlp(address: int, next_seq: int, requester_id: int = 0) -> bytes:
    """The doorbell write that sets a stream's next sequence number to `next_seq`."""
    return bytes(mwr(address, next_seq.to_bytes(4, "little"), requester_id=requester_id))


def decode_mailbox(tlp: Packet | bytes) -> tuple[int, AckMsg]:
    """(mailbox address, message) of the 8-byte mailbox write a NIC sends for an ACK or NACK."""
    data = payload_bytes(tlp)
    if len(data) != 8:
        raise TlpError(f"a mailbox write carries 8 bytes, this one {len(data)}")
    msg = AckMsg(data)
    if msg.version != c.JS_VERSION or msg.msg_type not in (c.MSG_ACK, c.MSG_NACK):
        raise TlpError(f"mailbox message has version {msg.version} type {msg.msg_type}")
    return mwr_address(tlp), msg


class GoBackNSender:
    """One stream of one accelerator: issue writes, react to ACK, NACK and timeouts."""

    def __init__(self, rewind_address: int, *, first_seq: int = 0, requester_id: int = 0) -> None:
        self.rewind_address = rewind_address
        self.requester_id = requester_id
        self.next_seq = first_seq
        self.kept: deque[KeptWrite] = deque()
        self.rewinds = 0

    def issue(self, tlp: Packet | bytes) -> bytes:
        """Record a new write (numbered by the NIC as `next_seq`) and return its bytes to send.

        Only writes that fall wholly inside one of the stream's windows get a number from the NIC;
        issuing any other write here would put this count out of step with the NIC's.
        """
        raw = bytes(tlp)
        self.kept.append(KeptWrite(self.next_seq, raw))
        self.next_seq = seq_add(self.next_seq, 1)
        return raw

    @property
    def unacked(self) -> int:
        return len(self.kept)

    def _free_before(self, seq: int) -> None:
        while self.kept and seq_diff(self.kept[0].seq, seq) < 0:
            self.kept.popleft()

    def _go_back(self, seq: int) -> list[bytes]:
        self.rewinds += 1
        out = [rewind_tlp(self.rewind_address, seq, self.requester_id)]
        n = seq
        for w in self.kept:
            out.append(w.tlp)
            n = seq_add(n, 1)
        # the kept writes are re-numbered from `seq` by the NIC, in the same order
        self.kept = deque(KeptWrite(seq_add(seq, i), w.tlp) for i, w in enumerate(self.kept))
        self.next_seq = n
        return out

    def on_message(self, msg: AckMsg) -> list[bytes]:
        """Handle an ACK (free what it covers) or NACK (go back); returns the TLPs to send now."""
        seq = int(msg.seq)
        self._free_before(seq)
        if msg.msg_type == c.MSG_NACK and self.kept:
            return self._go_back(seq)
        return []

    def on_timeout(self) -> list[bytes]:
        """No ACK for too long: re-issue everything kept, from the oldest."""
        if not self.kept:
            return []
        return self._go_back(self.kept[0].seq)
