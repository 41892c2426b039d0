"""An in-process fabric: switches and endpoints joined by links, frames moved in arrival order.

Every node has numbered ports; a link joins two (node, port) ends. A frame sent out of one end is queued
for the other end, and `run()` delivers queued frames one at a time, first in first out, so a chain of
hops never recurses and the order of events is the order frames were sent. A switch node is anything with
`process(port, frame) -> [(port, frame), ...]` (a softp4 `Switch`); an endpoint is anything with
`receive(port, frame)` that sends through `Fabric.send`. Observers see every hop; a link can drop frames
to inject loss.
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


class FabricError(RuntimeError):
    pass


class Fabric:
    def __init__(self, max_deliveries: int = 1_000_000) -> None:
        self.switches: dict[str, SwitchNode] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.links: dict[End, End] = {}
        self.loss: dict[End, LossRule] = {}
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
        self._queue.append(hop)

    def run(self) -> int:
        """Deliver queued frames until the fabric is quiet; returns how many were delivered."""
        delivered = 0
        while self._queue:
            if delivered >= self.max_deliveries:
                raise FabricError(f"more than {self.max_deliveries} deliveries: a forwarding loop?")
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
