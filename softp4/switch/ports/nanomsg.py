"""The nanomsg packet interface PTF's `--platform nn` speaks (BMv2's `--packet-in`).

The switch listens on a PAIR socket; the test framework dials it. Every message starts with
three little-endian 32-bit integers: type, port, and `more` (a length, a status or an info
type). Types: 0 port add, 1 port remove, 2 port status, 3 packet into the switch, 4 packet out
of the switch, 5 info request, 6 info reply. Info requests are answered "not supported",
as BMv2 does. Frames arrive on any port; ports need not be added first.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable

import pynng

MSG_PORT_ADD = 0
MSG_PORT_REMOVE = 1
MSG_PORT_SET_STATUS = 2
MSG_PACKET_IN = 3
MSG_PACKET_OUT = 4
MSG_INFO_REQ = 5
MSG_INFO_REP = 6

INFO_STATUS_SUCCESS = 0
INFO_STATUS_NOT_SUPPORTED = 1

HEADER = struct.Struct("<iii")
INFO_STATUS = struct.Struct("<i")
POLL_MS = 200


class NanomsgError(Exception):
    """A nanomsg address that cannot be used; the message names it and the reason."""


def validate_url(url: str) -> str:
    """Accept `ipc://<path>` and `tcp://<host>:<port>`, as PTF does."""
    if url.startswith("ipc://") and len(url) > len("ipc://"):
        return url
    if url.startswith("tcp://"):
        host, sep, port = url[len("tcp://") :].rpartition(":")
        if sep and host and port.isdigit() and 0 < int(port) < 65536:
            return url
    raise NanomsgError(f"nanomsg address '{url}': expected ipc://<path> or tcp://<host>:<port>")


def pack_packet(msg_type: int, port: int, frame: bytes) -> bytes:
    return HEADER.pack(msg_type, port, len(frame)) + frame


class NanomsgPorts:
    """All switch ports carried over one nanomsg PAIR socket.

    `start(deliver)` listens on `url` and calls `deliver(port, frame)` for each packet message;
    `send(port, frame)` sends a packet-out message; `close()` stops. `ports` holds the ports
    the peer has added (and not removed); `up` those whose status is up.
    """

    def __init__(self, url: str) -> None:
        self.url = validate_url(url)
        self._sock: pynng.Pair0 | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.ports: set[int] = set()
        self.up: set[int] = set()
        self.rx_frames = 0
        self.tx_frames = 0
        self.bad_messages = 0
        self.dropped = 0
        self.last_error: str | None = None

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = pynng.Pair0(recv_timeout=POLL_MS, send_timeout=1000)
            sock.listen(self.url)
        except pynng.NNGException as exc:
            raise NanomsgError(f"nanomsg address '{self.url}': cannot listen ({exc})") from exc
        self._sock = sock

    def start(self, deliver: Callable[[int, bytes], None]) -> None:
        self.open()
        sock = self._sock
        assert sock is not None

        def run() -> None:
            while not self._stop.is_set():
                try:
                    message = sock.recv()
                except pynng.Timeout:
                    continue
                except pynng.NNGException as exc:
                    if not self._stop.is_set():
                        self.last_error = f"nanomsg {self.url}: receive failed ({exc})"
                    return
                try:
                    self._handle(message, deliver)
                except Exception as exc:  # one bad message or frame must not stop the port
                    self.last_error = f"nanomsg {self.url}: {exc}"

        self._thread = threading.Thread(target=run, name="softp4-nanomsg", daemon=True)
        self._thread.start()

    def _handle(self, message: bytes, deliver: Callable[[int, bytes], None]) -> None:
        if len(message) < HEADER.size:
            self.bad_messages += 1
            return
        msg_type, port, more = HEADER.unpack_from(message, 0)
        if msg_type == MSG_PACKET_IN:
            frame = message[HEADER.size :]
            if 0 <= more < len(frame):
                frame = frame[:more]
            self.rx_frames += 1
            deliver(port, bytes(frame))
        elif msg_type == MSG_PORT_ADD:
            self.ports.add(port)
            self.up.add(port)
        elif msg_type == MSG_PORT_REMOVE:
            self.ports.discard(port)
            self.up.discard(port)
        elif msg_type == MSG_PORT_SET_STATUS:
            # PTF's status values: 0 up, 1 down
            if more == 0:
                self.up.add(port)
            else:
                self.up.discard(port)
        elif msg_type == MSG_INFO_REQ:
            reply = HEADER.pack(MSG_INFO_REP, port, more) + INFO_STATUS.pack(INFO_STATUS_NOT_SUPPORTED)
            self._send_raw(reply)
        else:
            self.bad_messages += 1

    def _send_raw(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            sock.send(data, block=False)
        except pynng.TryAgain:
            # the send queue is full, or nobody is connected: wait briefly only for a live peer
            if not sock.pipes:
                self.dropped += 1
                return
            try:
                sock.send(data)
            except pynng.NNGException as exc:
                self.dropped += 1
                self.last_error = f"nanomsg {self.url}: send failed ({exc})"
        except pynng.NNGException as exc:
            self.dropped += 1
            self.last_error = f"nanomsg {self.url}: send failed ({exc})"

    def send(self, port: int, frame: bytes) -> None:
        self.tx_frames += 1
        self._send_raw(pack_packet(MSG_PACKET_OUT, port, frame))

    def close(self) -> None:
        # stop the receive thread first (its recv() times out every POLL_MS), then close the socket: nng has
        # been seen to abort the whole process when a socket is closed under a recv() in progress
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
        self._sock = None
