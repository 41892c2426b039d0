"""StreamChannel: arbitration, packet-out, packet-in, digest acks.

Each stream has a queue of outgoing messages; a reader thread handles the
client's messages while the gRPC handler thread yields from the queue.
Packet-out: the `@controller_header("packet_out")` metadata, in P4Info order
with missing fields zero, is packed in front of the payload and the frame
enters the switch on the CPU port.  Packet-in: the first ceil(bits / 8) bytes
of a frame the switch sends to the CPU port are split into the
`@controller_header("packet_in")` metadata.  Packet-ins and digests go to the
primary client only.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import grpc
from finsy.proto import p4r

from softp4.switch.p4runtime.arbitration import Client
from softp4.switch.p4runtime.errors import P4RuntimeError, grpc_code_number, invalid
from softp4.switch.p4runtime.translate import ControllerHeader
from softp4.switch.p4runtime.values import canonical, decode, pack_fields, unpack_fields

LOG = logging.getLogger("softp4.p4runtime")

if TYPE_CHECKING:
    from softp4.switch.p4runtime.server import P4RuntimeService

_END = object()
MAX_QUEUED = 10_000  # messages waiting for one client before packet-ins and digests are dropped


def packet_out_frame(header: ControllerHeader | None, packet: p4r.PacketOut) -> bytes:
    """The frame that enters the CPU port for a PacketOut."""
    if header is None:
        if packet.metadata:
            raise invalid('packet.metadata: the P4Info has no @controller_header("packet_out")')
        return packet.payload
    values = [0] * len(header.ids)
    positions = {mid: i for i, mid in enumerate(header.ids)}
    seen: set[int] = set()
    for i, meta in enumerate(packet.metadata):
        pos = positions.get(meta.metadata_id)
        if pos is None:
            raise invalid(f"packet.metadata[{i}].metadata_id {meta.metadata_id}: no such field in packet_out")
        if meta.metadata_id in seen:
            raise invalid(f"packet.metadata[{i}]: field '{header.names[pos]}' given twice")
        seen.add(meta.metadata_id)
        values[pos] = decode(meta.value, header.widths[pos], f"packet.metadata[{i}] ('{header.names[pos]}')")
    return pack_fields(values, header.widths) + packet.payload


def packet_in_message(header: ControllerHeader | None, frame: bytes) -> p4r.StreamMessageResponse | None:
    """The PacketIn for a frame sent to the CPU port (None if too short for the header)."""
    if header is None:
        return p4r.StreamMessageResponse(packet=p4r.PacketIn(payload=frame))
    if len(frame) < header.nbytes:
        return None
    values = unpack_fields(frame, header.widths)
    return p4r.StreamMessageResponse(
        packet=p4r.PacketIn(
            payload=frame[header.nbytes :],
            metadata=[
                p4r.PacketMetadata(metadata_id=mid, value=canonical(v))
                for mid, v in zip(header.ids, values, strict=True)
            ],
        )
    )


def stream_error(error: P4RuntimeError, request: p4r.StreamMessageRequest) -> p4r.StreamMessageResponse:
    """A StreamError reporting a failed packet-out or digest ack."""
    message = p4r.StreamError(canonical_code=grpc_code_number(error.code), message=error.message)
    which = request.WhichOneof("update")
    if which == "packet":
        message.packet_out.packet_out.CopyFrom(request.packet)
    elif which == "digest_ack":
        message.digest_list_ack.digest_list_ack.CopyFrom(request.digest_ack)
    return p4r.StreamMessageResponse(error=message)


class StreamSession:
    """One StreamChannel call."""

    def __init__(self, service: P4RuntimeService, context: grpc.ServicerContext) -> None:
        self.service = service
        self.context = context
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.client = Client(send=self._send)
        self.dropped = 0

    def _send(self, message: p4r.StreamMessageResponse) -> None:
        """Queue a message; packet-ins and digests are dropped while a slow client has a full queue."""
        if self.queue.qsize() >= MAX_QUEUED and not message.HasField("arbitration"):
            self.dropped += 1
            return
        self.queue.put(message)

    def run(self, requests: Iterator[p4r.StreamMessageRequest]) -> Iterator[p4r.StreamMessageResponse]:
        self.context.add_callback(lambda: self.queue.put(_END))
        reader = threading.Thread(target=self._read, args=(requests,), name="p4runtime-stream", daemon=True)
        reader.start()
        try:
            while True:
                item = self.queue.get()
                if item is _END:
                    return
                if isinstance(item, P4RuntimeError):
                    self.context.abort(item.code, item.message)
                yield item
        finally:
            self.service.arbitration.remove(self.client)

    def _read(self, requests: Iterator[p4r.StreamMessageRequest]) -> None:
        try:
            for request in requests:
                try:
                    self._handle(request)
                except P4RuntimeError as error:
                    if request.WhichOneof("update") == "arbitration":
                        self.queue.put(error)
                        return
                    self.queue.put(stream_error(error, request))
        except grpc.RpcError:
            pass
        except Exception as exc:  # never let a bad message kill the server
            LOG.exception("P4Runtime: internal error")
            self.queue.put(P4RuntimeError(grpc.StatusCode.INTERNAL, f"stream: {type(exc).__name__}: {exc}"))
            return
        self.queue.put(_END)

    def _handle(self, request: p4r.StreamMessageRequest) -> None:
        which = request.WhichOneof("update")
        service = self.service
        if which == "arbitration":
            service.check_device(request.arbitration.device_id, "arbitration")
            service.arbitration.update(self.client, request.arbitration)
        elif which == "packet":
            if not service.arbitration.client_is_primary(self.client):
                raise P4RuntimeError(
                    grpc.StatusCode.PERMISSION_DENIED, "packet: only the primary client may send packets"
                )
            service.packet_out(request.packet)
        elif which == "digest_ack":
            if not service.arbitration.client_is_primary(self.client):
                raise P4RuntimeError(grpc.StatusCode.PERMISSION_DENIED, "digest_ack: only the primary client may ack")
            service.digest_ack(request.digest_ack)
        elif which == "other":
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "other: no extension messages are supported")
        else:
            raise invalid("stream message has no update")
