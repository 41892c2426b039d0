"""Stamps of one transfer on a rack, in process (`testbed.rack.Rack`) or as processes (`ProcessRack`).

    watch = Stopwatch(rack.accelerators, senders=["acc1"])
    watch.start()
    rack.accelerators["acc1"].write("acc2", window.local_base, data)
    watch.issued()      # every write of the transfer is out: completion may be stamped from now on
    rack.run()
    lap = watch.lap()   # lap.completed - lap.first_sent: the transfer's completion time

What is stamped, with `clock` (time.perf_counter, the monotonic clock), in the process that runs the
accelerator emulators:

* `first_sent`: the first TLP a sender handed to its PCIe link (its `send`), `last_sent` the latest
  (re-issued ones included);
* `landed`: the latest TLP applied to the memory of any accelerator (the last byte of the transfer landed);
* `completed`: the first moment after `issued` at which no sender holds an unacknowledged write: the ACK
  that covered the last one was acted on (if that happened before `issued` returned, the moment of the
  last ACK or NACK acted on). Until `issued`, a sender that has not written yet holds nothing either.

It also counts, since `start`, the NACKs that reached the senders' mailboxes, and reads the senders' own
counts of re-issued writes and ACK timer expiries. The stamps are taken inside the emulators' receive path
(`Accelerator.observers`) and send path, so on the process testbed they are the moments the frames crossed
the emulators' packet sockets, not when a waiting thread woke up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from controller.protocol import constants as c
from testbed.accelerator import Accelerator

MWR_4DW = 0x20  # in a TLP's first byte: Fmt bit 0, set for a 4-DW header


@dataclass(frozen=True)
class Lap:
    """One transfer, stamped; times in seconds of `clock`, None when it did not happen."""

    first_sent: float | None
    last_sent: float | None
    landed: float | None
    completed: float | None
    resent: int  # writes re-issued (after NACKs and timeouts), every sender together
    timeouts: int  # ACK timer expiries, every sender together
    nacks: int  # NACK messages that reached a sender's mailbox

    def since_first(self, stamp: float | None) -> float | None:
        """`stamp` measured from the first TLP sent."""
        if stamp is None or self.first_sent is None:
            return None
        return stamp - self.first_sent


class Stopwatch:
    def __init__(
        self,
        accelerators: Mapping[str, Accelerator],
        senders: Iterable[str],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """Watch `senders` (names in `accelerators`) send and every accelerator of `accelerators` receive."""
        self.clock = clock
        self.accelerators = dict(accelerators)
        self.senders = [self.accelerators[name] for name in senders]
        self._applied = {name: len(acc.received) for name, acc in self.accelerators.items()}
        self._base = (0, 0)
        self.sent = 0  # TLPs the senders handed to their PCIe links since the stopwatch was made
        self._reset()
        for sender in self.senders:
            sender.send = self._stamping(sender.send)
        for name, acc in self.accelerators.items():
            acc.observers.append(self._observer(name, acc))

    def _reset(self) -> None:
        self.first_sent: float | None = None
        self.last_sent: float | None = None
        self.landed: float | None = None
        self.completed: float | None = None
        self.nacks = 0
        self._running = False
        self._armed = False
        self._last_message: float | None = None

    def start(self) -> None:
        """Forget the last transfer; the next TLP sent is the first of a new one."""
        self._reset()
        self._base = self._counts()
        self._running = True

    def issued(self) -> None:
        """Every write of the transfer has been issued: from now on, no unacknowledged write means complete."""
        self._armed = True
        if self.completed is None and not any(s.unacked() for s in self.senders):
            self.completed = self._last_message if self._last_message is not None else self.clock()

    def _counts(self) -> tuple[int, int]:
        return (sum(s.retransmissions() for s in self.senders), sum(s.timeouts for s in self.senders))

    def lap(self) -> Lap:
        """The stamps and counts of the transfer since `start`."""
        resent, timeouts = self._counts()
        return Lap(self.first_sent, self.last_sent, self.landed, self.completed,
                   resent - self._base[0], timeouts - self._base[1], self.nacks)

    def _stamping(self, send: Callable[[bytes], None]) -> Callable[[bytes], None]:
        def stamped(tlp: bytes) -> None:
            now = self.clock()
            self.sent += 1
            if self._running:
                if self.first_sent is None:
                    self.first_sent = now
                self.last_sent = now
            send(tlp)

        return stamped

    def _observer(self, name: str, acc: Accelerator) -> Callable[[bytes], None]:
        def observe(frame: bytes) -> None:
            now = self.clock()
            applied = len(acc.received)
            if applied != self._applied[name]:
                self._applied[name] = applied
                if self._running:
                    self.landed = now
                return
            if not self._running or acc not in self.senders:
                return
            header = 16 if frame and frame[0] & MWR_4DW else 12
            self._last_message = now
            if len(frame) > header and frame[header] & 0x0F == c.MSG_NACK:
                self.nacks += 1
            if self._armed and self.completed is None and not any(s.unacked() for s in self.senders):
                self.completed = now

        return observe
