"""The link adversary (testbed.impair) and the fabric's link filters: what is lost, duplicated, held back and
released, and when; other frames untouched; the same seed, the same run."""

from __future__ import annotations

import random

import pytest

from controller.protocol import constants as c
from testbed.fabric import Fabric, FabricError
from testbed.impair import ImpairedLink, Impairment, describe, message_type, tally


def js(kind: int, n: int) -> bytes:
    """A JetStream frame of message type `kind`, told apart by `n`."""
    header = c.ETHERTYPE_JS.to_bytes(2, "big") + bytes([c.JS_VERSION << 4 | kind])
    return bytes(11) + bytes([n]) + header + bytes(45)


class Sink:
    def __init__(self) -> None:
        self.got: list[bytes] = []

    def receive(self, port: int, frame: bytes) -> None:
        self.got.append(frame)


def cable(link: ImpairedLink) -> tuple[Fabric, Sink]:
    fabric = Fabric()
    sink = Sink()
    fabric.add_endpoint("a", Sink())
    fabric.add_endpoint("b", sink)
    fabric.link(("a", 0), ("b", 0))
    fabric.impair(("a", 0), link)
    return fabric, sink


class Script(random.Random):
    """A generator that returns the numbers it is given, in turn (randint: the low end plus the next one)."""

    def __init__(self, *values: float) -> None:
        super().__init__(0)
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)

    def randint(self, a: int, b: int) -> int:
        return a + int(self.values.pop(0))


def test_message_types_are_read_from_the_stream_header() -> None:
    assert [message_type(js(kind, 0)) for kind in (c.MSG_DATA, c.MSG_ACK, c.MSG_NACK)] == [1, 2, 3]
    assert message_type(bytes(12) + b"\x08\x00" + bytes(46)) is None  # IPv4
    assert message_type(bytes(14)) is None  # too short for a stream header


def test_a_held_frame_arrives_after_the_given_number_of_later_frames() -> None:
    # frame 0: not lost (0.9), held (0.0) for 1 + 2 frames (delay roll 0.5: not until quiet), not duplicated
    rolls = [0.9, 0.0, 0.5, 2, 0.9] + [0.9, 0.9, 0.9] * 4
    fabric, sink = cable(ImpairedLink(Impairment(loss=0.1, reorder=0.1, duplicate=0.1, until_quiet=0.1),
                                      Script(*rolls)))
    for n in range(5):
        fabric.send(("a", 0), js(c.MSG_DATA, n))
    fabric.run()
    assert [f[11] for f in sink.got] == [1, 2, 3, 0, 4]


def test_loss_duplicates_and_release_when_quiet() -> None:
    link = ImpairedLink(Impairment(loss=0.5, duplicate=0.5, reorder=0.5, until_quiet=0.5),
                        Script(0.0,  # frame 0 lost
                               0.9, 0.9, 0.0, 0.9, 0,  # frame 1 passes, a copy right behind it
                               0.9, 0.0, 0.0, 0.9))  # frame 2 held until the fabric is quiet, no copy
    fabric, sink = cable(link)
    for n in range(3):
        fabric.send(("a", 0), js(c.MSG_ACK, n))
    assert link.holding == 1 and fabric.in_flight == 2
    assert fabric.step(1) == 1 and [f[11] for f in sink.got] == [1]
    assert fabric.run() == 2  # the copy, then the held frame once the cable was quiet
    assert [f[11] for f in sink.got] == [1, 1, 2]
    assert link.holding == 0
    counts = tally([link])
    assert {action: counts[c.MSG_ACK, action] for action in ("seen", "lost", "held", "duplicated")} == {
        "seen": 3, "lost": 1, "held": 1, "duplicated": 1}
    assert describe(counts).splitlines()[1] == "ACK: 3 seen, 1 lost, 1 held, 1 duplicated"


def test_only_the_kinds_named_are_impaired() -> None:
    link = ImpairedLink(Impairment(loss=0.99, kinds=frozenset({c.MSG_NACK})), random.Random(1))
    fabric, sink = cable(link)
    frames = [js(c.MSG_DATA, 1), js(c.MSG_ACK, 2), bytes(12) + b"\x08\x00" + bytes(46)]
    for frame in frames:
        fabric.send(("a", 0), frame)
    fabric.run()
    assert sink.got == frames
    fabric.send(("a", 0), js(c.MSG_NACK, 3))
    fabric.run()
    assert len(sink.got) == 3 and tally([link])[c.MSG_NACK, "lost"] == 1


def test_the_same_seed_gives_the_same_run() -> None:
    def run(seed: int) -> list[bytes]:
        fabric, sink = cable(ImpairedLink(Impairment(loss=0.2, duplicate=0.2, reorder=0.3), random.Random(seed)))
        for n in range(200):
            fabric.send(("a", 0), js(c.MSG_DATA, n % 256))
            if n % 7 == 0:
                fabric.step(3)
        fabric.run()
        return sink.got

    assert run(5) == run(5)
    assert run(5) != run(6)
    got = [f[11] for f in run(5)]
    assert len(set(got)) < 200  # some were lost
    assert len(got) > len(set(got))  # some arrived twice
    assert got != sorted(got)  # and some out of order


def test_bad_impairments_and_uncabled_ends_are_refused() -> None:
    with pytest.raises(ValueError, match=r"Impairment.loss is a probability in 0 .. 1, got 1.5"):
        Impairment(loss=1.5)
    with pytest.raises(ValueError, match=r"loss of 1 would carry nothing"):
        Impairment(loss=1.0)
    with pytest.raises(ValueError, match=r"max_delay counts frames and is at least 1"):
        Impairment(max_delay=0)
    fabric, _ = cable(ImpairedLink(Impairment(), random.Random(0)))
    with pytest.raises(FabricError, match=r"link end \('b', 7\) is not cabled"):
        fabric.impair(("b", 7), ImpairedLink(Impairment(), random.Random(0)))
    fabric.impair(("a", 0), None)
    assert fabric.filters == {}
