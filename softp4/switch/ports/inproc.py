"""In-process ports: Python code (a test, an emulator) or another switch on the other end.

`InProcessPorts` is a port object like the others (`start(deliver)`, `send(port, frame)`,
`close()`): `inject(port, frame)` puts a frame into the switch, and what the switch transmits
is queued per port for `recv(port)`. `Link` joins a port of one switch to a port of another;
each direction has its own queue and thread, so a forwarding loop cannot recurse and a slow
switch does not block the other.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol


class Receiver(Protocol):
    """What a link delivers to: `softp4.switch.Switch.receive` has this shape."""

    def receive(self, port: int, frame: bytes) -> None: ...


class Attachable(Receiver, Protocol):
    def attach_port(self, port: int, transmit: Callable[[bytes], None]) -> None: ...
    def detach_port(self, port: int) -> None: ...


class InProcessPorts:
    """Many switch ports driven from Python."""

    def __init__(self) -> None:
        self._deliver: Callable[[int, bytes], None] | None = None
        self._queues: dict[int, queue.Queue[bytes]] = {}
        self._lock = threading.Lock()

    def start(self, deliver: Callable[[int, bytes], None]) -> None:
        self._deliver = deliver

    def _queue(self, port: int) -> queue.Queue[bytes]:
        with self._lock:
            q = self._queues.get(port)
            if q is None:
                q = self._queues[port] = queue.Queue()
            return q

    def inject(self, port: int, frame: bytes) -> None:
        """A frame arrives at the switch on `port` (processed before this returns)."""
        if self._deliver is None:
            raise RuntimeError("InProcessPorts: start() it before injecting frames")
        self._deliver(port, bytes(frame))

    def send(self, port: int, frame: bytes) -> None:
        """The switch transmits `frame` on `port`."""
        self._queue(port).put(bytes(frame))

    def recv(self, port: int, timeout: float | None = None) -> bytes | None:
        """The next frame transmitted on `port`, or None after `timeout` seconds (0: don't wait)."""
        try:
            if timeout == 0:
                return self._queue(port).get_nowait()
            return self._queue(port).get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self, port: int) -> list[bytes]:
        """Every frame queued on `port` so far."""
        frames = []
        while (frame := self.recv(port, 0)) is not None:
            frames.append(frame)
        return frames

    def close(self) -> None:
        self._deliver = None


class _Direction:
    def __init__(self, target: Receiver, port: int, name: str) -> None:
        self.target = target
        self.port = port
        self.queue: queue.Queue[bytes | None] = queue.Queue()
        self.delivered = 0
        self.last_error: str | None = None
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while (frame := self.queue.get()) is not None:
            try:
                self.target.receive(self.port, frame)
                self.delivered += 1
            except Exception as exc:  # the link must outlive one bad delivery
                self.last_error = f"link delivery to port {self.port} failed: {exc}"

    def put(self, frame: bytes) -> None:
        self.queue.put(bytes(frame))

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=5)


class Link:
    """A cable between port `port_a` of switch `a` and port `port_b` of switch `b`."""

    def __init__(self, a: Attachable, port_a: int, b: Attachable, port_b: int) -> None:
        self.a, self.port_a, self.b, self.port_b = a, port_a, b, port_b
        self._to_b = _Direction(b, port_b, f"softp4-link-{port_a}-{port_b}")
        self._to_a = _Direction(a, port_a, f"softp4-link-{port_b}-{port_a}")
        a.attach_port(port_a, self._to_b.put)
        b.attach_port(port_b, self._to_a.put)

    def idle(self) -> bool:
        """True when no frame is waiting in either direction (a frame being delivered may remain)."""
        return self._to_a.queue.empty() and self._to_b.queue.empty()

    def close(self) -> None:
        self.a.detach_port(self.port_a)
        self.b.detach_port(self.port_b)
        self._to_a.stop()
        self._to_b.stop()
