"""Two-rate three-color meters (RFC 2698) with BMv2's colors: GREEN 0, YELLOW 1, RED 2."""

from __future__ import annotations

import time

GREEN = 0
YELLOW = 1
RED = 2


class Meter:
    """One meter cell. Unconfigured meters mark everything GREEN, as BMv2 does."""

    __slots__ = ("last", "rates", "tokens")

    def __init__(self) -> None:
        self.rates: list[tuple[float, int]] = []
        self.tokens: list[float] = []
        self.last = 0.0

    def configure(self, rates: list[tuple[float, int]]) -> None:
        self.rates = [(float(r), int(b)) for r, b in rates]
        self.tokens = [float(b) for _, b in self.rates]
        self.last = time.monotonic()

    def execute(self, amount: int, now: float | None = None) -> int:
        """Color of a packet of `amount` units (bytes or packets) arriving now."""
        if not self.rates:
            return GREEN
        if now is None:
            now = time.monotonic()
        elapsed = max(0.0, now - self.last)
        self.last = now
        for i, (rate, burst) in enumerate(self.rates):
            self.tokens[i] = min(float(burst), self.tokens[i] + rate * elapsed)
        # rates are [committed, peak]; test the peak bucket first
        color = GREEN
        for i in range(len(self.rates) - 1, -1, -1):
            if self.tokens[i] < amount:
                color = i + 1
                break
        if color == GREEN:
            for i in range(len(self.rates)):
                self.tokens[i] -= amount
        elif color == YELLOW and len(self.rates) > 1:
            self.tokens[1] -= amount
        return min(color, RED)


class MeterArray:
    """`meter(size, type)` or a direct meter bound to a table."""

    __slots__ = ("binding", "is_direct", "meters", "name", "packets", "rate_count", "result_target", "size")

    def __init__(
        self,
        name: str,
        size: int,
        packets: bool,
        rate_count: int = 2,
        is_direct: bool = False,
        binding: str | None = None,
    ) -> None:
        self.name = name
        self.size = size
        self.packets = packets
        self.rate_count = rate_count
        self.is_direct = is_direct
        self.binding = binding
        self.result_target: tuple[int, int] | None = None  # (slot, width) of a direct meter's result
        self.meters: dict[int, Meter] = {}  # only the configured cells: the others are GREEN

    def meter(self, index: int) -> Meter:
        m = self.meters.get(index)
        if m is None:
            m = self.meters[index] = Meter()
        return m

    def execute(self, index: int, nbytes: int) -> int:
        m = self.meters.get(index)
        if m is None:
            return GREEN
        return m.execute(1 if self.packets else nbytes)

    def reset(self) -> None:
        self.meters = {}
