"""The in-process fabric: delivery order, links, loss injection, loop protection."""

from __future__ import annotations

import pytest

from testbed.fabric import Fabric, FabricError, Hop


class Reflector:
    """A switch stand-in: sends every frame out of port (in_port + 1) % ports, tagged with its name."""

    def __init__(self, tag: bytes, ports: int = 2) -> None:
        self.tag = tag
        self.ports = ports

    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        return [((port + 1) % self.ports, frame + self.tag)]


class Sink:
    def __init__(self) -> None:
        self.got: list[tuple[int, bytes]] = []

    def receive(self, port: int, frame: bytes) -> None:
        self.got.append((port, frame))


def chain() -> tuple[Fabric, Sink, Sink]:
    fabric = Fabric()
    left, right = Sink(), Sink()
    fabric.add_endpoint("left", left)
    fabric.add_endpoint("right", right)
    fabric.add_switch("s1", Reflector(b"1"))
    fabric.add_switch("s2", Reflector(b"2"))
    fabric.link(("left", 0), ("s1", 0))
    fabric.link(("s1", 1), ("s2", 0))
    fabric.link(("s2", 1), ("right", 0))
    return fabric, left, right


def test_frames_cross_every_hop_in_order() -> None:
    fabric, left, right = chain()
    hops: list[Hop] = []
    fabric.observers.append(hops.append)
    fabric.send(("left", 0), b"a")
    fabric.send(("left", 0), b"b")
    assert fabric.run() == 6
    assert right.got == [(0, b"a12"), (0, b"b12")]
    assert left.got == []
    assert [h.dst for h in hops[:3]] == [("s1", 0), ("s1", 0), ("s2", 0)]


def test_loss_rule_drops_and_reports() -> None:
    fabric, _, right = chain()
    hops: list[Hop] = []
    fabric.observers.append(hops.append)
    fabric.drop_when(("s1", 1), lambda hop: hop.frame.startswith(b"x"))
    for frame in (b"x", b"y", b"x"):
        fabric.send(("left", 0), frame)
    fabric.run()
    assert right.got == [(0, b"y12")]
    assert sum(h.dropped for h in hops) == 2
    fabric.drop_when(("s1", 1), None)
    fabric.send(("left", 0), b"x")
    fabric.run()
    assert right.got[-1] == (0, b"x12")


def test_unlinked_port_keeps_the_frame() -> None:
    fabric = Fabric()
    fabric.add_switch("s", Reflector(b"s", ports=3))
    fabric.add_endpoint("e", Sink())
    fabric.link(("e", 0), ("s", 0))
    fabric.send(("e", 0), b"q")
    fabric.run()
    assert fabric.unlinked == [(("s", 1), b"qs")]


def test_cabling_mistakes() -> None:
    fabric, _, _ = chain()
    with pytest.raises(FabricError, match=r"already cabled"):
        fabric.link(("s1", 0), ("s2", 5))
    with pytest.raises(FabricError, match=r"no node named 'nope'"):
        fabric.link(("nope", 0), ("s2", 5))
    with pytest.raises(FabricError, match=r"used twice"):
        fabric.add_switch("s1", Reflector(b""))


def test_forwarding_loop_is_stopped() -> None:
    fabric = Fabric(max_deliveries=100)
    fabric.add_switch("a", Reflector(b""))
    fabric.add_switch("b", Reflector(b""))
    fabric.link(("a", 1), ("b", 0))
    fabric.link(("b", 1), ("a", 0))
    fabric.add_endpoint("e", Sink())
    fabric.send(("a", 1), b"loop")
    with pytest.raises(FabricError, match="forwarding loop"):
        fabric.run()
