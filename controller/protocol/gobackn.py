"""Go-back-N on the sending accelerator: what it keeps, frees and re-issues.

A P4 NIC holds no replay buffer, so the accelerator (or its emulator) keeps each write until a
cumulative ACK covers it. The NIC numbers a stream's writes in the order the accelerator issues
them, so the accelerator knows each write's number by counting. Messages arrive as 8-byte mailbox
writes (`AckMsg`). On a NACK carrying `e` the accelerator writes `e` (little-endian DW) into the
stream's rewind window, which sets the NIC's next number to `e`, then re-issues every kept write
from `e` on; PCIe keeps posted writes in order, so the rewind takes effect exactly between the old
and the re-issued writes. docs/protocol.md describes the protocol.

A group stream (`GroupGoBackNSender`) goes to several members, each of which ACKs and NACKs on its own
(the message's `peer` says who). The sender keeps each member's cumulative position and frees a write
only once every member has passed it. A NACK from one member rewinds the stream for all: the NIC
re-numbers from the NACKed number, the write is replicated to every member again, and members that
already have it drop it as a duplicate (and re-ACK). Writes before the NACKed number stay kept, with
their numbers, until the members still missing them say so (their own NACK, or the timeout). When a
write is lost before the ToR, every member NACKs the same number; a NACK for a number the last rewind
already re-sent is not acted on again, so one loss costs one rewind, not one per member.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from scapy.packet import Packet

from controller.protocol import constants as c
from controller.protocol.stream import MSG_TYPES as MSG_NAMES
from controller.protocol.stream import AckMsg, seq_add, seq_diff
from controller.protocol.tlp import TlpError, mwr, mwr_address, payload_bytes

__all__ = ["GoBackNSender", "GroupGoBackNSender", "KeptWrite", "decode_mailbox", "rewind_tlp"]


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
        self.resent = 0  # writes issued again by rewinds
        self.ignored = 0  # stale or bogus messages (numbers outside what is in flight)

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
        self.resent += len(out) - 1
        return out

    def on_message(self, msg: AckMsg) -> list[bytes]:
        """Handle an ACK (free what it covers) or NACK (go back); returns the TLPs to send now.

        A message counts only when its number lies between the oldest kept write and the next number,
        both included: anything else is stale (a message overtaken by a newer one, or duplicated on the
        way) or bogus, and acting on it could move the stream backwards or free writes the receiver
        never applied. Such messages are counted in `ignored` and change nothing."""
        seq = int(msg.seq)
        oldest = self.kept[0].seq if self.kept else self.next_seq
        if seq_diff(seq, oldest) < 0 or seq_diff(seq, self.next_seq) > 0:
            self.ignored += 1
            return []
        self._free_before(seq)
        if msg.msg_type == c.MSG_NACK and self.kept:
            return self._go_back(seq)
        return []

    def on_timeout(self) -> list[bytes]:
        """No ACK for too long: re-issue everything kept, from the oldest."""
        if not self.kept:
            return []
        return self._go_back(self.kept[0].seq)


class GroupGoBackNSender:
    """One stream of one accelerator to a group: a write is kept until every member acknowledged it."""

    def __init__(
        self, rewind_address: int, members: Iterable[int], *, first_seq: int = 0, requester_id: int = 0
    ) -> None:
        self.rewind_address = rewind_address
        self.requester_id = requester_id
        self.next_seq = first_seq
        self.acked = dict.fromkeys(members, first_seq)  # member id -> the number it expects next
        if not self.acked:
            raise ValueError("a group stream needs at least one member")
        self.kept: deque[KeptWrite] = deque()
        self.rewinds = 0
        self.resent = 0  # writes issued again by rewinds
        self.ignored = 0  # messages that matched nothing (unknown member, stale or bogus numbers) ...
        self.ignored_why: deque[str] = deque(maxlen=16)  # ... and why, for the latest of them
        self._resent: tuple[int, int] | None = None  # [from, to) re-sent by the last rewind

    def issue(self, tlp: Packet | bytes) -> bytes:
        """Record a new write (numbered by the NIC as `next_seq`) and return its bytes to send."""
        raw = bytes(tlp)
        self.kept.append(KeptWrite(self.next_seq, raw))
        self.next_seq = seq_add(self.next_seq, 1)
        return raw

    @property
    def unacked(self) -> int:
        return len(self.kept)

    def behind(self) -> dict[int, int]:
        """How many kept writes each member has not acknowledged yet."""
        return {member: -seq_diff(at, self.next_seq) for member, at in self.acked.items()}

    def _in_flight(self, seq: int) -> bool:
        """`seq` is between the oldest kept write and the next number, both included."""
        oldest = self.kept[0].seq if self.kept else self.next_seq
        return seq_diff(seq, oldest) >= 0 and seq_diff(seq, self.next_seq) <= 0

    def _free(self) -> None:
        while self.kept and all(seq_diff(self.kept[0].seq, at) < 0 for at in self.acked.values()):
            self.kept.popleft()
        if not self.kept:
            self._resent = None  # nothing is being repaired any more

    def _go_back(self, seq: int) -> list[bytes]:
        self.rewinds += 1
        self._resent = (seq, self.next_seq)
        out = [rewind_tlp(self.rewind_address, seq, self.requester_id)]
        out += [w.tlp for w in self.kept if seq_diff(w.seq, seq) >= 0]
        self.resent += len(out) - 1
        return out

    def on_message(self, msg: AckMsg) -> list[bytes]:
        """Handle one member's ACK (it has everything before `seq`) or NACK (it expects `seq`)."""
        member, seq = int(msg.peer), int(msg.seq)
        if member not in self.acked:
            return self._ignore(f"message from {member}, which is not a member of this stream")
        if not self._in_flight(seq) or seq_diff(seq, self.acked[member]) < 0:
            return self._ignore(f"{MSG_NAMES.get(int(msg.msg_type), '?')} {seq} from {member}: stale or unknown number")
        self.acked[member] = seq
        self._free()
        if msg.msg_type != c.MSG_NACK or seq == self.next_seq:
            return []
        if self._resent is not None:
            start, end = self._resent
            if seq_diff(seq, start) >= 0 and seq_diff(seq, end) < 0:
                return []  # the last rewind re-sent it already
        return self._go_back(seq)

    def _ignore(self, why: str) -> list[bytes]:
        self.ignored += 1
        self.ignored_why.append(why)
        return []

    def on_timeout(self) -> list[bytes]:
        """No ACK for too long: re-issue everything kept, from the oldest, to every member."""
        if not self.kept:
            return []
        return self._go_back(self.kept[0].seq)
