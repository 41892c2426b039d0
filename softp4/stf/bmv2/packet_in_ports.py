"""simple_switch's nanomsg packet port (`--packet-in ipc://...`), for tests pcap files cannot run.

With `--packet-in` every port is carried over one nanomsg PAIR socket that the switch binds and
the test dials (the protocol of softp4.switch.ports.nanomsg, which PTF speaks too): a packet
goes in on any port at once, whatever the other ports do, and what the switch transmits comes
back with its port. Used when `file_ports.unsyncable` finds a test the pcap-file reader cannot
synchronise and the simple_switch build has nanomsg.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pynng

from softp4.stf.bmv2.file_ports import PortError
from softp4.switch.ports.nanomsg import HEADER, MSG_PACKET_IN, MSG_PACKET_OUT, pack_packet

DRAIN = 0.1  # seconds without a message that end the collection of outputs


class PacketInPorts:
    """The same interface as FilePorts, over one nanomsg socket at DIRECTORY/packets.ipc."""

    def __init__(self, directory: Path, ports: Sequence[int], inputs: Sequence[int]) -> None:
        self.url = f"ipc://{directory / 'packets.ipc'}"
        self.ports = set(ports)
        self._sock: pynng.Pair0 | None = None
        self._frames: dict[int, list[bytes]] = {port: [] for port in self.ports}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def prepare(self) -> None:
        pass  # the switch creates the socket

    def switch_args(self) -> list[str]:
        return ["--packet-in", self.url]

    def open_inputs(self, alive: Callable[[], bool], timeout: float) -> None:
        """Dial the switch's socket once it is bound."""
        deadline = time.monotonic() + timeout
        sock = pynng.Pair0(recv_timeout=int(DRAIN * 1000), send_timeout=5000)
        while True:
            try:
                sock.dial(self.url, block=True)
                break
            except pynng.NNGException:
                if not alive():
                    sock.close()
                    raise PortError(f"simple_switch exited before binding {self.url}") from None
                if time.monotonic() > deadline:
                    sock.close()
                    raise PortError(f"simple_switch did not bind {self.url} within {timeout:g} s") from None
                time.sleep(0.02)
        self._sock = sock
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                message = self._sock.recv()
            except pynng.Timeout:
                continue
            except pynng.NNGException:
                return  # closed
            if len(message) < HEADER.size:
                continue
            kind, port, length = HEADER.unpack_from(message)
            if kind == MSG_PACKET_OUT and port in self._frames:
                self._frames[port].append(bytes(message[HEADER.size : HEADER.size + length]))

    def send(self, port: int, frame: bytes, last: bool) -> None:
        assert self._sock is not None
        self._sock.send(pack_packet(MSG_PACKET_IN, port, frame))

    def close(self) -> None:
        if self._thread is not None:
            time.sleep(DRAIN)  # what the switch sent last is on its way
            self._stop.set()
            self._thread.join(timeout=2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def received(self, port: int) -> list[bytes]:
        return list(self._frames.get(port, []))
