"""The packet header vector (PHV) layout and per-packet state.

A packet's headers and metadata live in one flat Python list `p`:

* `p[0]` is the packet's `Pkt` object (data, parse cursor, v1model registers);
* every header instance owns one validity slot followed by one slot per field;
* every header stack owns one slot holding its next index.

A fresh PHV is one slice copy of the template, and every field access compiled by the
loader is a constant index into that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PHV = list[Any]
ExtractFn = Callable[[PHV, bytes, int], None]
EmitFn = Callable[[PHV], bytes]


class ParserException(Exception):
    """Raised inside the parser; carries the P4 error name."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class PacketAbort(Exception):
    """Raised by a failed `assert`/`assume`: the packet is dropped."""


class RunawayAction(PacketAbort):
    """Raised when one action call runs too many primitives (a loop that does not end)."""


@dataclass
class FieldLayout:
    name: str
    width: int  # bits; for a varbit field, the maximum width
    signed: bool
    slot: int
    varbit: bool = False


@dataclass
class HeaderLayout:
    name: str
    id: int
    type_name: str
    metadata: bool
    base: int  # validity slot; fields follow
    fields: list[FieldLayout]
    by_name: dict[str, FieldLayout]
    nbits: int  # fixed bits (without the varbit field)
    varbit: FieldLayout | None = None
    vlen_slot: int = -1  # slot holding the current varbit width in bits
    max_length: int = 0  # bytes, for headers with a varbit field
    union: UnionLayout | None = None
    stack: StackLayout | None = None
    extract: ExtractFn | None = None
    emit: EmitFn | None = None

    @property
    def nbytes(self) -> int:
        return self.nbits // 8


@dataclass
class StackLayout:
    name: str
    id: int
    headers: list[HeaderLayout]
    next_slot: int  # slot holding the stack's next index
    union_stack: bool = False
    unions: list[UnionLayout] = field(default_factory=list)


@dataclass
class UnionLayout:
    name: str
    id: int
    headers: list[HeaderLayout]
    by_member: dict[str, HeaderLayout]
    stack: StackLayout | None = None


class Pkt:
    """Per-packet state that is not a header field: bytes, cursor and v1model registers."""

    __slots__ = (
        "clone_fl",
        "clone_session",
        "copy",
        "data",
        "digest",
        "exit",
        "id",
        "ingress_length",
        "length",
        "off",
        "recirc_fl",
        "resubmit_fl",
        "tr",
        "truncate",
    )

    def __init__(self, data: bytes, pkt_id: int, copy: int = 0) -> None:
        self.data = data
        self.off = 0
        self.ingress_length = len(data)
        self.length = len(data)  # BMv2's packet length register: add/remove_header change it
        self.id = pkt_id
        self.copy = copy
        self.clone_session = -1  # none requested (session 0 is a valid session)
        self.clone_fl = 0
        self.resubmit_fl = -1
        self.recirc_fl = -1
        self.digest = 0
        self.truncate = 0
        self.exit = False
        self.tr: Callable[[str], None] | None = None


def to_signed(value: int, width: int) -> int:
    """The two's complement value of the low `width` bits of `value`."""
    value &= (1 << width) - 1
    if width and value >> (width - 1):
        return value - (1 << width)
    return value


def make_extract(h: HeaderLayout) -> ExtractFn:
    """Generated Python that extracts the fixed-size header `h` from data at a byte offset."""
    n = h.nbytes
    lines = [
        "def extract(p, data, off):",
        f"    v = int.from_bytes(data[off:off + {n}], 'big')",
        f"    p[{h.base}] = 1",
    ]
    shift = h.nbits
    for f in h.fields:
        shift -= f.width
        mask = (1 << f.width) - 1
        expr = f"(v >> {shift}) & {mask:#x}" if shift else f"v & {mask:#x}"
        if f.width == h.nbits:
            expr = "v"
        if f.signed:
            lines.append(f"    x = {expr}")
            lines.append(f"    p[{f.slot}] = x - {1 << f.width:#x} if x >> {f.width - 1} else x")
        else:
            lines.append(f"    p[{f.slot}] = {expr}")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<extract {h.name}>", "exec"), namespace)
    fn: ExtractFn = namespace["extract"]
    return fn


def make_emit(h: HeaderLayout) -> EmitFn:
    """Generated Python that serializes the fixed-size header `h` (fields masked to width)."""
    n = h.nbytes
    parts = []
    shift = h.nbits
    for f in h.fields:
        shift -= f.width
        mask = (1 << f.width) - 1
        term = f"(p[{f.slot}] & {mask:#x})"
        parts.append(f"{term} << {shift}" if shift else term)
    body = " | ".join(parts) if parts else "0"
    src = f"def emit(p):\n    return ({body}).to_bytes({n}, 'big')\n"
    namespace: dict[str, Any] = {}
    exec(compile(src, f"<emit {h.name}>", "exec"), namespace)
    fn: EmitFn = namespace["emit"]
    return fn


def make_varbit_extract(h: HeaderLayout) -> Callable[[PHV, bytes, int, int], None]:
    """Extract for a header with a varbit field; the varbit width (bits) is given per call."""
    fixed = [f for f in h.fields if not f.varbit]
    vb = h.varbit
    assert vb is not None

    def extract(p: PHV, data: bytes, off: int, vbits: int) -> None:
        total = h.nbits + vbits
        v = int.from_bytes(data[off : off + total // 8], "big")
        shift = total
        p[h.base] = 1
        for f in h.fields:
            w = vbits if f.varbit else f.width
            shift -= w
            x = (v >> shift) & ((1 << w) - 1)
            p[f.slot] = to_signed(x, w) if f.signed else x
        p[h.vlen_slot] = vbits

    del fixed
    return extract


def make_varbit_emit(h: HeaderLayout) -> EmitFn:
    def emit(p: PHV) -> bytes:
        vbits = p[h.vlen_slot]
        acc = 0
        total = 0
        for f in h.fields:
            w = vbits if f.varbit else f.width
            acc = (acc << w) | (p[f.slot] & ((1 << w) - 1))
            total += w
        return acc.to_bytes(total // 8, "big")

    return emit
