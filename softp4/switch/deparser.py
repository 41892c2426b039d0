"""The deparser: valid headers in JSON order, then the unparsed payload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softp4.switch.packet import PHV, EmitFn, HeaderLayout


class Deparser:
    def __init__(self, name: str, headers: list[HeaderLayout]) -> None:
        self.name = name
        self.headers = headers
        pairs: list[tuple[int, EmitFn]] = []
        for h in headers:
            if h.emit is not None:
                pairs.append((h.base, h.emit))
        self.pairs = tuple(pairs)
        self.names = [h.name for h in headers if h.emit is not None]
        self.prims: list[Callable[[PHV, Any], Any]] = []  # deparser primitives: after checksum updates, before emitting

    def headers_bytes(self, p: PHV) -> bytes:
        return b"".join([e(p) for b, e in self.pairs if p[b]])

    def emitted_names(self, p: PHV) -> list[str]:
        return [n for (b, _), n in zip(self.pairs, self.names, strict=True) if p[b]]
