"""A lossy relay: two cable ends joined in this process, losing a share of the frames one way.

Loss is injected here rather than with `tc netem` because netem sits on an interface's transmit queue,
which softp4's ports bypass (PACKET_QDISC_BYPASS), and because many kernels (containers, CI) have no
netem at all. The relay works with any target and any kernel: a frame arriving on `near` goes out of
`far` unless the seeded coin says it is lost; every frame arriving on `far` goes out of `near`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from softp4.switch.ports import VethPort


class LossyRelay:
    def __init__(
        self, near: str, far: str, loss: float, seed: int = 1, on_lost: Callable[[bytes], None] | None = None
    ) -> None:
        """`loss` is a probability (0 to 1) for frames travelling from `near` to `far`."""
        self.loss = loss
        self.on_lost = on_lost
        self.near, self.far = VethPort(0, near), VethPort(0, far)
        self.rng = random.Random(seed)  # drawn from the near port's receive thread only
        self.forwarded = 0
        self.lost = 0

    def start(self) -> None:
        self.near.open()
        self.far.open()
        self.near.start(self._outbound)
        self.far.start(lambda port, frame: self.near.send(frame))

    def _outbound(self, port: int, frame: bytes) -> None:
        if self.rng.random() < self.loss:
            self.lost += 1
            if self.on_lost is not None:
                self.on_lost(frame)
            return
        self.forwarded += 1
        self.far.send(frame)

    def close(self) -> None:
        self.near.close()
        self.far.close()
