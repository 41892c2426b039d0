"""An accelerator emulator: memory, a PCIe link to its NIC, and go-back-N for the writes it issues.

It issues memory writes into its NIC's transmit windows (split at the max payload size), keeps each
until a cumulative ACK covers it (`controller.protocol.gobackn`), and applies the writes that arrive on
its PCIe link to its memory. ACKs and NACKs arrive as 8-byte writes into its mailbox slots; a NACK makes
it rewind the stream and re-issue. A write that would land outside its memory is refused and recorded in
`violations` (the demo and tests require it to stay empty).
"""

from __future__ import annotations

from collections.abc import Callable

from controller import topology
from controller.plan import MAILBOX_AREA, TxStream
from controller.protocol.gobackn import GoBackNSender, decode_mailbox
from controller.protocol.tlp import TlpError, apply_mwr, mwr, mwr_address

MAX_PAYLOAD = 256  # bytes per TLP, the common PCIe Max Payload Size


class Accelerator:
    def __init__(
        self,
        spec: topology.Accelerator,
        send: Callable[[bytes], None],
        streams: list[TxStream],
        requester_id: int | None = None,
    ) -> None:
        self.spec = spec
        self.memory = bytearray(spec.memory)
        self.send = send
        self.requester_id = spec.id << 8 if requester_id is None else requester_id
        self.senders: dict[int, GoBackNSender] = {}  # mailbox address -> stream's sender
        self.stream_of: dict[str, TxStream] = {}
        for stream in streams:
            self.senders[stream.mailbox_address] = GoBackNSender(
                stream.rewind_address, requester_id=self.requester_id
            )
            self.stream_of[stream.dst.name] = stream
        self.mailbox_base = spec.memory - MAILBOX_AREA
        self.received: list[bytes] = []  # TLPs applied to memory, in arrival order
        self.violations: list[str] = []
        self.messages = 0

    def write(self, dst: str, local_address: int, data: bytes) -> int:
        """Write `data` at `local_address` of the NIC window that leads to `dst`; returns TLPs issued."""
        sender = self.senders[self.stream_of[dst].mailbox_address]
        count = 0
        for offset in range(0, len(data), MAX_PAYLOAD):
            chunk = data[offset : offset + MAX_PAYLOAD]
            tlp = mwr(local_address + offset, chunk, requester_id=self.requester_id, tag=count & 0xFF)
            self.send(sender.issue(tlp))
            count += 1
        return count

    def unacked(self) -> int:
        return sum(sender.unacked for sender in self.senders.values())

    def timeout(self) -> None:
        """An ACK timer fired: every stream with unacknowledged writes rewinds and re-issues."""
        for sender in self.senders.values():
            for tlp in sender.on_timeout():
                self.send(tlp)

    def receive(self, port: int, frame: bytes) -> None:
        try:
            address = mwr_address(frame)
        except TlpError as exc:
            self.violations.append(f"{self.spec.name}: not a memory write on PCIe: {exc}")
            return
        if address >= self.mailbox_base and address in self.senders:
            self.messages += 1
            _, msg = decode_mailbox(frame)
            for tlp in self.senders[address].on_message(msg):
                self.send(tlp)
            return
        try:
            apply_mwr(self.memory, frame)
        except TlpError as exc:
            self.violations.append(f"{self.spec.name}: {exc}")
            return
        self.received.append(frame)
