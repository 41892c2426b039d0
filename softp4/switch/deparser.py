"""The deparser: valid headers in JSON order, then the unparsed payload.

`headers_bytes` is one generated Python function per deparser: for each header a validity test
and the header's fields packed into one integer and serialized, with no per-header call for
fixed-size headers (headers with a varbit field call their own emit function).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softp4.switch.packet import PHV, EmitFn, HeaderLayout


def _packed(h: HeaderLayout) -> str:
    """Python source of the header's bytes (fields masked to width), as packet.make_emit writes."""
    parts = []
    shift = h.nbits
    for f in h.fields:
        shift -= f.width
        term = f"(p[{f.slot}] & {(1 << f.width) - 1:#x})"
        parts.append(f"{term} << {shift}" if shift else term)
    body = " | ".join(parts) if parts else "0"
    return f"({body}).to_bytes({h.nbytes}, 'big')"


def generate_headers_bytes(name: str, headers: list[HeaderLayout]) -> Callable[[PHV], bytes]:
    """One function returning the serialized valid headers, in the order given."""
    namespace: dict[str, Any] = {}
    emitted = [h for h in headers if h.emit is not None]
    lines = ["def headers_bytes(p):", "    out = []"]
    for i, h in enumerate(emitted):
        if h.varbit is None:
            src = _packed(h)
        else:
            namespace[f"_e{i}"] = h.emit
            src = f"_e{i}(p)"
        lines.append(f"    if p[{h.base}]:")
        lines.append(f"        out.append({src})")
    lines.append("    return b''.join(out)")
    exec(compile("\n".join(lines) + "\n", f"<deparser {name}>", "exec"), namespace)
    fn: Callable[[PHV], bytes] = namespace["headers_bytes"]
    return fn


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
        self.headers_bytes: Callable[[PHV], bytes] = generate_headers_bytes(name, headers)

    def emitted_names(self, p: PHV) -> list[str]:
        return [n for (b, _), n in zip(self.pairs, self.names, strict=True) if p[b]]
