"""An in-process fabric: switches and endpoints joined by links, frames moved in arrival order.

Every node has numbered ports; a link joins two (node, port) ends. A frame sent out of one end is queued
for the other end, and `run()` delivers queued frames one at a time, first in first out, so a chain of
hops never recurses and the order of events is the order frames were sent. A switch node is anything with
`process(port, frame) -> [(port, frame), ...]` (a softp4 `Switch`); an endpoint is anything with
`receive(port, frame)` that sends through `Fabric.send`. Observers see every hop; a link can drop frames
to inject loss (`drop_when`), or be given a `LinkFilter` (`impair`) that may also duplicate frames and hold
them back, releasing them later or once the fabric is quiet (`testbed.impair` has a seeded one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

End = tuple[str, int]


class SwitchNode(Protocol):
    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]: ...


class Endpoint(Protocol):
    def receive(self, port: int, frame: bytes) -> None: ...


@dataclass(frozen=True)
class Hop:
    """One frame crossing one link: from `src` end to `dst` end."""

    src: End
    dst: End
    frame: bytes
    dropped: bool = False


Observer = Callable[[Hop], None]
LossRule = Callable[[Hop], bool]


class LinkFilter(Protocol):
    """What a link does to the frames sent into one of its ends."""

    def admit(self, frame: bytes) -> list[bytes]:
        """The frames that go on the wire now, in order, for `frame` just sent: `[frame]` passes it, `[]` loses
        or holds it, and frames held back earlier may follow."""
        ...

    def release(self) -> list[bytes]:
        """Every frame still held back, in the order to deliver them: called when the fabric is quiet."""
        ...


class FabricError(RuntimeError):
    pass


class Fabric:
    def __init__(self, max_deliveries: int = 1_000_000) -> None:
        self.switches: dict[str, SwitchNode] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.links: dict[End, End] = {}
        self.loss: dict[End, LossRule] = {}
        self.filters: dict[End, LinkFilter] = {}
        self.observers: list[Observer] = []
        self.unlinked: list[tuple[End, bytes]] = []  # frames sent out of a port with no cable
        self.max_deliveries = max_deliveries
        self._queue: deque[Hop] = deque()

    def add_switch(self, name: str, switch: SwitchNode) -> None:
        self._new_name(name)
        self.switches[name] = switch

    def add_endpoint(self, name: str, endpoint: Endpoint) -> None:
        self._new_name(name)
        self.endpoints[name] = endpoint

    def _new_name(self, name: str) -> None:
        if name in self.switches or name in self.endpoints:
            raise FabricError(f"node name '{name}' is used twice")

    def link(self, a: End, b: End) -> None:
        for end in (a, b):
            if end[0] not in self.switches and end[0] not in self.endpoints:
                raise FabricError(f"link end {end}: no node named '{end[0]}'")
            if end in self.links:
                raise FabricError(f"link end {end} is already cabled to {self.links[end]}")
        self.links[a] = b
        self.links[b] = a

    def drop_when(self, src: End, rule: LossRule | None) -> None:
        """Frames leaving `src` for which `rule(hop)` is true are lost on the wire."""
        if rule is None:
            self.loss.pop(src, None)
        else:
            self.loss[src] = rule

    def impair(self, src: End, link_filter: LinkFilter | None) -> None:
        """Frames leaving `src` (after `drop_when`'s rule) go through `link_filter`; None removes it."""
        if src not in self.links:
            raise FabricError(f"link end {src} is not cabled")
        if link_filter is None:
            self.filters.pop(src, None)
        else:
            self.filters[src] = link_filter

    def send(self, src: End, frame: bytes) -> None:
        """Put `frame` on the wire at end `src`; it arrives at the other end during `run()`."""
        dst = self.links.get(src)
        if dst is None:
            self.unlinked.append((src, frame))
            return
        hop = Hop(src, dst, frame)
        rule = self.loss.get(src)
        if rule is not None and rule(hop):
            hop = Hop(src, dst, frame, dropped=True)
            for observer in self.observers:
                observer(hop)
            return
        link_filter = self.filters.get(src)
        if link_filter is None:
            self._queue.append(hop)
            return
        for passed in link_filter.admit(frame):
            self._queue.append(Hop(src, dst, passed))

    def run(self) -> int:
        """Deliver queued frames until the fabric is quiet, frames held back by link filters included; returns
        how many were delivered."""
        delivered = 0
        while True:
            delivered += self.step(self.max_deliveries - delivered + 1)
            if delivered > self.max_deliveries:
                raise FabricError(f"more than {self.max_deliveries} deliveries: a forwarding loop?")
            held = [(src, frame) for src, link_filter in self.filters.items() for frame in link_filter.release()]
            if not held:
                return delivered
            for src, frame in held:
                self._queue.append(Hop(src, self.links[src], frame))

    def step(self, limit: int) -> int:
        """Deliver at most `limit` queued frames (what they cause is queued behind them); frames held back by
        link filters stay held. Returns how many were delivered."""
        delivered = 0
        while self._queue and delivered < limit:
            hop = self._queue.popleft()
            delivered += 1
            for observer in self.observers:
                observer(hop)
            name, port = hop.dst
            switch = self.switches.get(name)
            if switch is not None:
                for out_port, out_frame in switch.process(port, hop.frame):
                    self.send((name, out_port), out_frame)
            else:
                self.endpoints[name].receive(port, hop.frame)
        return delivered

    @property
    def in_flight(self) -> int:
        """Frames queued for delivery (not counting those a link filter holds back)."""
        return len(self._queue)
