"""A seeded adversary for the in-process fabric's links: lose, duplicate and reorder frames.

    links = impair_uplinks(rack, Impairment(loss=0.05, duplicate=0.05, reorder=0.1), seed=7)
    rack.run()
    print(tally(links.values()))

An `ImpairedLink` is a `testbed.fabric.LinkFilter` for one end of a cable: every JetStream frame of the
kinds it is told to impair (DATA, ACK and NACK by default; docs/protocol.md) is, by its own seeded generator,

- lost, with probability `loss`;
- otherwise held back, with probability `reorder`, and put on the wire after 1 .. `max_delay` later frames
  on the same link (or, with probability `until_quiet`, only when the fabric is quiet: the end of a run);
- otherwise passed;
- and, if not lost, duplicated with probability `duplicate`: a copy follows 0 .. `max_delay` later frames
  (0: right behind it), or also only when the fabric is quiet.

Other frames pass untouched. The same seed gives the same run, frame for frame. `impair_uplinks` puts one
on both directions of every NIC <-> ToR cable of a rack, each with a generator of its own.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from controller.protocol import constants as c
from testbed.fabric import End
from testbed.rack import Rack

KIND_NAMES = {c.MSG_DATA: "DATA", c.MSG_ACK: "ACK", c.MSG_NACK: "NACK"}
ACTIONS = ("seen", "lost", "held", "duplicated")


def message_type(frame: bytes) -> int | None:
    """The JetStream message type of an Ethernet frame (`MSG_DATA`, ...), or None for any other frame."""
    if len(frame) < 15 or int.from_bytes(frame[12:14], "big") != c.ETHERTYPE_JS:
        return None
    return frame[14] & 0x0F


@dataclass(frozen=True)
class Impairment:
    """What a link does to the frames it carries, as probabilities per frame (see the module's docstring)."""

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    max_delay: int = 8
    until_quiet: float = 0.1
    kinds: frozenset[int] = frozenset(KIND_NAMES)

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder", "until_quiet"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Impairment.{name} is a probability in 0 .. 1, got {value}")
        if self.loss >= 1.0:
            raise ValueError("Impairment.loss of 1 would carry nothing: give a probability below 1")
        if self.max_delay < 1:
            raise ValueError(f"Impairment.max_delay counts frames and is at least 1, got {self.max_delay}")


@dataclass
class _Held:
    frame: bytes
    after: int | None  # frames still to pass before this one; None: only when the fabric is quiet


@dataclass
class ImpairedLink:
    """One end of a cable under an `Impairment`, with its own generator; `counts[(kind, action)]` says what it
    did (kind a message type, action one of `ACTIONS`)."""

    impairment: Impairment
    rng: random.Random
    counts: Counter[tuple[int, str]] = field(default_factory=Counter)
    _held: list[_Held] = field(default_factory=list)

    def admit(self, frame: bytes) -> list[bytes]:
        now: list[bytes] = []
        later: list[_Held] = []
        kind = message_type(frame)
        imp = self.impairment
        if kind is None or kind not in imp.kinds:
            now.append(frame)
        else:
            self.counts[kind, "seen"] += 1
            if self.rng.random() < imp.loss:
                self.counts[kind, "lost"] += 1
            else:
                if self.rng.random() < imp.reorder:
                    self.counts[kind, "held"] += 1
                    later.append(_Held(frame, self._delay(1)))
                else:
                    now.append(frame)
                if self.rng.random() < imp.duplicate:
                    self.counts[kind, "duplicated"] += 1
                    later.append(_Held(frame, self._delay(0)))
        if now:  # a frame passed: the frames held earlier have one fewer to wait for
            waiting = []
            for held in self._held:
                if held.after is not None:
                    held.after -= 1
                    if held.after <= 0:
                        now.append(held.frame)
                        continue
                waiting.append(held)
            self._held = waiting
        for held in later:
            if held.after == 0:
                now.append(held.frame)
            else:
                self._held.append(held)
        return now

    def release(self) -> list[bytes]:
        frames = [held.frame for held in self._held]
        self._held = []
        return frames

    @property
    def holding(self) -> int:
        return len(self._held)

    def _delay(self, least: int) -> int | None:
        if self.rng.random() < self.impairment.until_quiet:
            return None
        return self.rng.randint(least, self.impairment.max_delay)


def uplink_ends(rack: Rack) -> list[End]:
    """Both ends of every NIC <-> ToR cable of `rack`: each NIC's uplink port and the ToR port it is cabled to."""
    ends = []
    for server in rack.topology.servers:
        nic_end = (f"{server.name}.nic", c.NIC_UPLINK_PORT)
        ends += [nic_end, rack.fabric.links[nic_end]]
    return ends


def impair_uplinks(rack: Rack, impairment: Impairment, seed: int) -> dict[End, ImpairedLink]:
    """Put `impairment` on both directions of every NIC <-> ToR cable of `rack`, each direction with its own
    generator derived from `seed` and the end's name (so adding a server does not change the others' runs)."""
    links = {}
    for end in uplink_ends(rack):
        link = ImpairedLink(impairment, random.Random(f"{seed}/{end[0]}:{end[1]}"))
        rack.fabric.impair(end, link)
        links[end] = link
    return links


def tally(links: Iterable[ImpairedLink]) -> Counter[tuple[int, str]]:
    """What all `links` did together, by (message type, action)."""
    total: Counter[tuple[int, str]] = Counter()
    for link in links:
        total.update(link.counts)
    return total


def describe(total: Counter[tuple[int, str]]) -> str:
    """One line per message type: how many frames were seen, lost, held back and duplicated."""
    lines = []
    for kind, name in KIND_NAMES.items():
        numbers = ", ".join(f"{total[kind, action]} {action}" for action in ACTIONS)
        lines.append(f"{name}: {numbers}")
    return "\n".join(lines)
