"""An accelerator emulator: memory, a PCIe link to its NIC, and go-back-N for the writes it issues.

It issues memory writes into its NIC's transmit windows (split at the max payload size, the last TLP of
each write through the window's ACK alias, `plan.ACK_ALIAS`, so the burst is acknowledged one round trip
after it arrived), keeps each until a cumulative ACK covers it (`controller.protocol.gobackn`), and
applies the writes that arrive on its PCIe link to its memory. Each stream has a send window of `window`
TLPs (default `gobackn.DEFAULT_WINDOW`): a write larger than what the window has room for is issued as
ACKs free it, as a DMA engine with a bounded number of outstanding writes does, so one loss re-sends at
most `window` TLPs and the emulator never puts more than `window` TLPs per stream on its PCIe link
ahead of what the far end acknowledged. ACKs and NACKs arrive as 8-byte writes into its mailbox slots; a NACK makes
it rewind the stream and re-issue. A write that would land outside its memory is refused and recorded in
`violations` (the demo and tests require it to stay empty). The memory is sparse (`testbed.memory`): only
the pages written take room, so an accelerator of 64 GiB or 192 GiB costs what is written into it.

Group writes: a stream to a group (`plan.GroupTxStream`, given with the other streams or later through
`add_stream`) has one mailbox slot per member, and its writes are kept until every member acknowledged
them (`GroupGoBackNSender`). `write(name, ...)` takes an accelerator's name or a group's.

Tags are even: a TLP's bytes 6..11 (tag, byte enables, address) sit where an Ethernet frame's source MAC
does, and a Linux bridge (a Docker network carrying a PCIe cable, docs/docker.md) drops every frame whose
source looks like a multicast address, i.e. whose first byte is odd.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from controller import topology
from controller.plan import MAILBOX_AREA, PAGE_BYTES, GroupTxStream, TxStream
from controller.protocol.gobackn import DEFAULT_WINDOW, GoBackNSender, GroupGoBackNSender, Write, decode_mailbox
from controller.protocol.tlp import TlpError, mwr_address, mwr_bytes
from testbed.memory import SparseMemory

MAX_PAYLOAD = 256  # bytes per TLP, the common PCIe Max Payload Size


def tlp_pieces(address: int, length: int) -> list[tuple[int, int]]:
    """(offset, length) of each TLP a write of `length` bytes at `address` is issued as: at most MAX_PAYLOAD
    bytes, and never across a 4 KiB line (PCIe forbids a request that crosses one)."""
    pieces = []
    offset = 0
    while offset < length:
        at = address + offset
        size = min(MAX_PAYLOAD, length - offset, PAGE_BYTES - at % PAGE_BYTES)
        pieces.append((offset, size))
        offset += size
    return pieces


class Accelerator:
    def __init__(
        self,
        spec: topology.Accelerator,
        send: Callable[[bytes], None],
        streams: Iterable[TxStream | GroupTxStream],
        requester_id: int | None = None,
        *,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        self.spec = spec
        self.window = window  # TLPs issued and unacknowledged per stream, at most
        self.memory = SparseMemory(spec.memory)
        self.send = send
        self.requester_id = spec.id << 8 if requester_id is None else requester_id
        self.senders: dict[int, GoBackNSender] = {}  # mailbox address -> stream's sender
        self.stream_of: dict[str, TxStream] = {}
        self.group_senders: dict[str, GroupGoBackNSender] = {}  # group name -> the stream's sender
        self.group_slots: dict[int, tuple[GroupGoBackNSender, int]] = {}  # mailbox address -> (sender, member id)
        self.mailbox_base = spec.memory - MAILBOX_AREA
        self.received: list[bytes] = []  # TLPs applied to memory, in arrival order
        self.violations: list[str] = []
        self.messages = 0
        self.timeouts = 0  # ACK timer expiries that re-issued writes
        # called with each frame from the NIC once it was handled (applied, acted on or refused): for
        # instruments such as `testbed.stopwatch`, which stamp when a write landed or the last ACK came
        self.observers: list[Callable[[bytes], None]] = []
        for stream in streams:
            self.add_stream(stream)

    def add_stream(self, stream: TxStream | GroupTxStream, first_seq: int = 0) -> None:
        """Send on `stream` from now on (a stream of this accelerator's NIC, with `src` this accelerator), whose
        next sequence number on the NIC is `first_seq`."""
        if stream.src.name != self.spec.name:
            raise ValueError(f"stream {stream.stream} is sent by '{stream.src.name}', not by '{self.spec.name}'")
        if isinstance(stream, GroupTxStream):
            members = [receiver.member.id for receiver in stream.receivers]
            sender = GroupGoBackNSender(
                stream.rewind_address, members, first_seq=first_seq, requester_id=self.requester_id,
                window=self.window,
            )
            self.group_senders[stream.group.name] = sender
            for receiver in stream.receivers:
                self.group_slots[receiver.mailbox_address] = (sender, receiver.member.id)
            return
        self.senders[stream.mailbox_address] = GoBackNSender(
            stream.rewind_address, first_seq=first_seq, requester_id=self.requester_id, window=self.window
        )
        self.stream_of[stream.dst.name] = stream

    def _sender_for(self, dst: str) -> GoBackNSender | GroupGoBackNSender:
        if dst in self.group_senders:
            return self.group_senders[dst]
        if dst in self.stream_of:
            return self.senders[self.stream_of[dst].mailbox_address]
        raise KeyError(f"'{self.spec.name}' has no stream to '{dst}'")

    def write(self, dst: str, local_address: int, data: bytes, *, ack: bool = True) -> int:
        """Write `data` at `local_address` of the NIC window that leads to `dst` (an accelerator or a group);
        returns the number of TLPs it takes. They are issued at once as far as the stream's send window has
        room, the rest as ACKs free it. With `ack` (the end of a burst) the last TLP goes through the
        window's ACK alias, so the whole burst is acknowledged as soon as it arrived."""
        sender = self._sender_for(dst)
        pieces = tlp_pieces(local_address, len(data))
        for count, (offset, length) in enumerate(pieces):
            piece = Write(local_address + offset, data[offset : offset + length], tag=count * 2 & 0xFF,
                          ends_burst=ack and count == len(pieces) - 1)
            for tlp in sender.post(piece):
                self.send(tlp)
        return len(pieces)

    def _all_senders(self) -> list[GoBackNSender | GroupGoBackNSender]:
        return [*self.senders.values(), *self.group_senders.values()]

    def first_difference(self, expected: SparseMemory | bytes | bytearray) -> int | None:
        """The first address below the mailbox area whose byte differs from `expected`, an image of the
        memory (the mailbox slots hold ACKs and NACKs, so they are not compared); None when all agree."""
        return self.memory.first_difference(expected, self.mailbox_base)

    def unacked(self) -> int:
        """TLPs not yet acknowledged, over every stream: in flight, or waiting for room in their window."""
        return sum(sender.unacked for sender in self._all_senders())

    def retransmissions(self) -> int:
        """Writes issued again (after a NACK or a timeout), over every stream."""
        return sum(sender.resent for sender in self._all_senders())

    def ignored_messages(self) -> int:
        """ACKs and NACKs the streams' senders ignored as stale or bogus, over every stream."""
        return sum(sender.ignored for sender in self._all_senders())

    def timeout(self) -> None:
        """An ACK timer fired: every stream with unacknowledged writes rewinds and re-issues."""
        fired = False
        for sender in self._all_senders():
            for tlp in sender.on_timeout():
                fired = True
                self.send(tlp)
        self.timeouts += fired

    def receive(self, port: int, frame: bytes) -> None:
        self._receive(frame)
        for observer in self.observers:
            observer(frame)

    def _receive(self, frame: bytes) -> None:
        try:
            address = mwr_address(frame)
        except TlpError as exc:
            self.violations.append(f"{self.spec.name}: not a memory write on PCIe: {exc}")
            return
        if address >= self.mailbox_base and (address in self.senders or address in self.group_slots):
            self.messages += 1
            try:
                _, msg = decode_mailbox(frame)
            except TlpError as exc:
                self.violations.append(f"{self.spec.name}: mailbox {address:#x}: {exc}")
                return
            if address in self.senders:
                replies = self.senders[address].on_message(msg)
            else:
                sender, member = self.group_slots[address]
                if int(msg.peer) != member:
                    self.violations.append(
                        f"{self.spec.name}: mailbox {address:#x} is member {member}'s, but the message is from "
                        f"{int(msg.peer)}"
                    )
                    return
                replies = sender.on_message(msg)
            for tlp in replies:
                self.send(tlp)
            return
        try:
            self.memory.store(mwr_bytes(frame))
        except (TlpError, IndexError) as exc:
            self.violations.append(f"{self.spec.name}: {exc}")
            return
        self.received.append(frame)
