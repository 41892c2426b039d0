"""When simple_switch has finished with the packets sent so far, read from its log file.

simple_switch (`--log-file F --log-flush`, trace level) logs every packet it takes in
(`Processing packet received on port N`, also for resubmitted and recirculated packets) and
the end of every packet instance (`Transmitting packet ...`, `Dropping packet at the end of
...`, or its hand-over to multicast, resubmit, recirculation). The switch is settled when it
has taken in every packet sent (plus one per resubmit and recirculation seen), no instance it
started is unfinished, and the log has been quiet for a moment; or, should an instance end in
a way not recognised here (or the build has no logging macros), when the log has been quiet
for longer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

_LINE = re.compile(r"\[(\d+\.\d+)\] \[cxt \d+\] (.*)")
_TAKEN = "Processing packet received on port"
_AGAIN = ("Resubmitting packet", "Recirculating packet")
_ENDS = (
    "Transmitting packet of size",
    "Dropping packet at the end of",
    "Multicast requested for packet",
    *_AGAIN,
)

QUIET = 0.15  # seconds of silence that end a settle once every instance is accounted for (replicas and
# the egress of a packet logged as finished in ingress may still be on their way on a loaded machine)
SILENCE = 1.0  # seconds of silence that end it anyway


class SettleTimeout(Exception):
    """The switch did not take in or finish the packets within the time allowed."""


class LogWatcher:
    """Follows simple_switch's log file; `settle(sent)` returns once the packets are done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self.taken = 0
        self.again = 0
        self.live: set[str] = set()
        self.lines = 0
        self._last_growth = time.monotonic()

    def _file(self) -> Path | None:
        # BMv2's logger may append ".txt" to the name it is given (older spdlog)
        for candidate in (self.path, self.path.with_name(self.path.name + ".txt")):
            if candidate.is_file():
                return candidate
        return None

    def poll(self) -> None:
        found = self._file()
        if found is None:
            return
        with found.open("rb") as stream:
            stream.seek(self._offset)
            data = stream.read()
        if not data:
            return
        self._offset += len(data)
        self._last_growth = time.monotonic()
        chunk = self._partial + data
        *lines, self._partial = chunk.split(b"\n")
        for raw in lines:
            self._line(raw.decode("utf-8", "replace"))

    def _line(self, line: str) -> None:
        self.lines += 1
        m = _LINE.search(line)
        if m is None:
            return
        instance, message = m.groups()
        if message.startswith(_TAKEN):
            self.taken += 1
        if message.startswith(_ENDS):
            self.live.discard(instance)
            if message.startswith(_AGAIN):
                self.again += 1
        else:
            self.live.add(instance)

    def settle(self, sent: int, alive: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until the switch has processed `sent` packets (see the module docstring)."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            quiet = time.monotonic() - self._last_growth
            if self.taken >= sent + self.again and not self.live and quiet >= QUIET:
                return
            if quiet >= SILENCE and (self.taken >= sent + self.again or self.lines == 0 or self.taken == 0):
                return  # an instance ended unrecognised, or this build logs nothing per packet
            if not alive():
                raise SettleTimeout("simple_switch exited while processing packets")
            if time.monotonic() > deadline:
                raise SettleTimeout(
                    f"simple_switch took in {self.taken - self.again} of {sent} packet(s) within {timeout:g} s"
                )
            time.sleep(0.01)
