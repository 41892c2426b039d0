"""Go-back-N on the sending accelerator: what it keeps, frees and re-issues, and how many at once.

A P4 NIC holds no replay buffer, so the accelerator (or its emulator) keeps each write until a
cumulative ACK covers it. The NIC numbers a stream's writes in the order the accelerator issues
them, so the accelerator knows each write's number by counting. Messages arrive as 8-byte mailbox
writes (`AckMsg`). On a NACK carrying `e` the accelerator writes `e` (little-endian DW) into the
stream's rewind window, which sets the NIC's next number to `e`, then re-issues every kept write
from `e` on; PCIe keeps posted writes in order, so the rewind takes effect exactly between the old
and the re-issued writes. docs/protocol.md describes the protocol.

The send window. A stream has at most `window` writes issued and not yet acknowledged (`DEFAULT_WINDOW`
= 32); the accelerator's writes beyond it wait in the sender, in order, and are issued as ACKs free
room. A loss therefore re-sends at most `window` writes, and the NIC's PCIe port never holds more than
`window` TLPs per stream that it has not sent on. A write is turned into its TLP when it is issued,
because the ACK alias is part of the address: the TLP goes through the window's alias (`plan.ACK_ALIAS`
above it, the NIC marks its frame FLAG_ACK_REQ) when it ends a burst (the writer said so), or when it
fills the window and no ACK is coming for it or for a write in flight (through the alias, or because the
receiver ACKs its number by itself). The receiver ACKs every ACK_EVERY-th number by itself, but a window
smaller than ACK_EVERY, or one whose numbers do not line up with it, would otherwise wait for the timer.
So a sender that cannot issue always holds a write the receiver will ACK (by the alias or by ACK_EVERY),
and that ACK frees room: it moves again within one round trip, for any window of 1 or more. Asking only
when no ACK is coming keeps a window-limited stream from turning every small refill into an ACK of its
own. A rewind re-sends the kept writes as they were issued, with their numbers, so what asked for an ACK
still does.

A group stream (`GroupGoBackNSender`) goes to several members, each of which ACKs and NACKs on its own
(the message's `peer` says who). The sender keeps each member's cumulative position and frees a write
only once every member has passed it, so the window counts the slowest member. A NACK from one member
rewinds the stream for all: the NIC re-numbers from the NACKed number, the write is replicated to every
member again, and members that already have it drop it as a duplicate (and re-ACK). Writes before the
NACKed number stay kept, with their numbers, until the members still missing them say so (their own
NACK, or the timeout). When a write is lost before the ToR, every member NACKs the same number; a NACK
for a number the last rewind already re-sent is not acted on again, so one loss costs one rewind, not one
per member.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from scapy.packet import Packet

from controller.plan import ACK_ALIAS
from controller.protocol import constants as c
from controller.protocol.stream import MSG_TYPES as MSG_NAMES
from controller.protocol.stream import AckMsg, seq_add, seq_diff
from controller.protocol.tlp import TlpError, mwr, mwr_address, payload_bytes

__all__ = [
    "DEFAULT_WINDOW",
    "GoBackNSender",
    "GroupGoBackNSender",
    "KeptWrite",
    "Write",
    "decode_mailbox",
    "rewind_tlp",
]

# writes a stream keeps issued and unacknowledged at most: 2 x ACK_EVERY, 8 KiB of 256-byte TLPs. BMv2's egress
# queues hold 64 packets a port; with 64 in flight a loaded BMv2 NIC lost TLPs, with 32 it took them all
# (docs/benchmarks.md, "The send window")
DEFAULT_WINDOW = 32
MAX_WINDOW = c.JS_SEQ_HALF - 1  # go-back-N tells new from old numbers only within half the 16-bit space


@dataclass(frozen=True)
class Write:
    """One TLP's worth of a write, as the accelerator asks for it: the address in the transmit window (not
    its alias), the bytes, the TLP's tag, and whether it is the last of a burst (then its TLP asks for an ACK)."""

    address: int
    data: bytes
    tag: int = 0
    ends_burst: bool = False


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


class _WindowedSender:
    """What both senders share: numbering, the kept writes, the send window and the queue behind it."""

    def __init__(
        self,
        rewind_address: int,
        *,
        first_seq: int = 0,
        requester_id: int = 0,
        window: int = DEFAULT_WINDOW,
        ack_alias: int = ACK_ALIAS,
    ) -> None:
        if not 1 <= window <= MAX_WINDOW:
            raise ValueError(f"a send window of {window} writes: it must be 1 to {MAX_WINDOW}")
        self.rewind_address = rewind_address
        self.requester_id = requester_id
        self.window = window
        self.ack_alias = ack_alias
        self.next_seq = first_seq
        self.kept: deque[KeptWrite] = deque()  # issued, not yet acknowledged: at most `window`
        self.waiting: deque[Write] = deque()  # posted, not yet issued (the window was full)
        self.most_in_flight = 0  # the most writes ever kept at once
        self._asked: int | None = None  # the newest number issued that the receiver will ACK
        self.rewinds = 0
        self.resent = 0  # writes issued again by rewinds
        self.ignored = 0  # stale or bogus messages (numbers outside what is in flight)

    def post(self, write: Write) -> list[bytes]:
        """Queue `write` behind every write posted before it; returns the TLPs to send now (none while the
        window is full). Only writes that fall wholly inside one of the stream's windows get a number from
        the NIC; posting any other write here would put the count of numbers out of step with the NIC's."""
        self.waiting.append(write)
        return self._fill()

    def _fill(self) -> list[bytes]:
        """Issue waiting writes, oldest first, while the window has room."""
        out = []
        while self.waiting and len(self.kept) < self.window:
            write = self.waiting.popleft()
            fills = len(self.kept) + 1 == self.window
            acked_anyway = seq_add(self.next_seq, 1) % c.ACK_EVERY == 0  # the receiver ACKs this number by itself
            alias = write.ends_burst or (fills and not acked_anyway and not self._ack_coming())
            address = write.address + (self.ack_alias if alias else 0)
            tlp = bytes(mwr(address, write.data, requester_id=self.requester_id, tag=write.tag))
            if alias or acked_anyway:
                self._asked = self.next_seq
            self.kept.append(KeptWrite(self.next_seq, tlp))
            self.next_seq = seq_add(self.next_seq, 1)
            out.append(tlp)
        self.most_in_flight = max(self.most_in_flight, len(self.kept))
        return out

    def _ack_coming(self) -> bool:
        """A kept write asked for an ACK (through the alias, or its number is one the receiver ACKs by itself,
        every ACK_EVERY-th): that ACK frees room within a round trip, so the write filling the window need
        not ask for another. Numbers that ask come at least every ACK_EVERY, so `_asked` is never far behind
        the next number and its comparison with the oldest kept one cannot wrap."""
        return bool(self.kept) and self._asked is not None and seq_diff(self._asked, self.kept[0].seq) >= 0

    @property
    def unacked(self) -> int:
        """Writes not yet acknowledged: those in flight and those waiting for room in the window."""
        return len(self.kept) + len(self.waiting)

    @property
    def in_flight(self) -> int:
        """Writes issued and not yet acknowledged: at most `window`."""
        return len(self.kept)

    def _go_back(self, seq: int) -> list[bytes]:
        """Rewind the stream to `seq` and re-issue the kept writes from it: each sender does it its way."""
        raise NotImplementedError

    def on_timeout(self) -> list[bytes]:
        """No ACK for too long: re-issue everything kept, from the oldest."""
        if not self.kept:
            return []
        return self._go_back(self.kept[0].seq)


class GoBackNSender(_WindowedSender):
    """One stream of one accelerator: post writes, react to ACK, NACK and timeouts."""

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
        """Handle an ACK (free what it covers) or NACK (go back); returns the TLPs to send now: a rewind's,
        then waiting writes the freed room lets out.

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
        out = self._go_back(seq) if msg.msg_type == c.MSG_NACK and self.kept else []
        return out + self._fill()


class GroupGoBackNSender(_WindowedSender):
    """One stream of one accelerator to a group: a write is kept until every member acknowledged it."""

    def __init__(
        self,
        rewind_address: int,
        members: Iterable[int],
        *,
        first_seq: int = 0,
        requester_id: int = 0,
        window: int = DEFAULT_WINDOW,
        ack_alias: int = ACK_ALIAS,
    ) -> None:
        super().__init__(
            rewind_address, first_seq=first_seq, requester_id=requester_id, window=window, ack_alias=ack_alias
        )
        self.acked = dict.fromkeys(members, first_seq)  # member id -> the number it expects next
        if not self.acked:
            raise ValueError("a group stream needs at least one member")
        self.ignored_why: deque[str] = deque(maxlen=16)  # why the latest ignored messages were ignored
        self._resent: tuple[int, int] | None = None  # [from, to) re-sent by the last rewind

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
        """Handle one member's ACK (it has everything before `seq`) or NACK (it expects `seq`); returns the
        TLPs to send now: a rewind's, then waiting writes the room freed by the slowest member lets out."""
        member, seq = int(msg.peer), int(msg.seq)
        if member not in self.acked:
            return self._ignore(f"message from {member}, which is not a member of this stream")
        if not self._in_flight(seq) or seq_diff(seq, self.acked[member]) < 0:
            return self._ignore(f"{MSG_NAMES.get(int(msg.msg_type), '?')} {seq} from {member}: stale or unknown number")
        self.acked[member] = seq
        self._free()
        return self._repair(msg.msg_type == c.MSG_NACK, seq) + self._fill()

    def _repair(self, nack: bool, seq: int) -> list[bytes]:
        """A rewind to `seq` for a NACK, unless nothing is missing or the last rewind re-sent it already."""
        if not nack or seq == self.next_seq:
            return []
        if self._resent is not None:
            start, end = self._resent
            if seq_diff(seq, start) >= 0 and seq_diff(seq, end) < 0:
                return []
        return self._go_back(seq)

    def _ignore(self, why: str) -> list[bytes]:
        self.ignored += 1
        self.ignored_why.append(why)
        return []
