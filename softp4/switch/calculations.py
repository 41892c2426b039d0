"""Hash and checksum algorithms bit-exact with BMv2, and BMv2 `calculations`.

A calculation packs its inputs bit-contiguously, most significant bit first, pads the
result to a whole byte, skips fields of invalid headers and may append the payload.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from typing import Any

from softp4.switch.errors import ConfigError
from softp4.switch.packet import PHV

HashFn = Callable[[bytes], int]


def _reflect(value: int, nbits: int) -> int:
    out = 0
    for _ in range(nbits):
        out = (out << 1) | (value & 1)
        value >>= 1
    return out


class Crc:
    """A table-driven CRC of width 8, 16, 32 or 64 with the usual five parameters."""

    def __init__(self, width: int, poly: int, init: int, xorout: int, refin: bool, refout: bool) -> None:
        self.width = width
        self.poly = poly
        self.init = init
        self.xorout = xorout
        self.refin = refin
        self.refout = refout
        self.mask = (1 << width) - 1
        top = 1 << (width - 1)
        table = []
        for byte in range(256):
            r = byte << (width - 8)
            for _ in range(8):
                r = ((r << 1) ^ poly) if r & top else (r << 1)
            table.append(r & self.mask)
        self.table = table
        self.refl8 = [_reflect(b, 8) for b in range(256)]

    def __call__(self, data: bytes) -> int:
        r = self.init
        table = self.table
        shift = self.width - 8
        mask = self.mask
        if self.refin:
            refl = self.refl8
            for b in data:
                r = (table[refl[b] ^ (r >> shift)] ^ (r << 8)) & mask
        else:
            for b in data:
                r = (table[b ^ (r >> shift)] ^ (r << 8)) & mask
        if self.refout:
            r = _reflect(r, self.width)
        return r ^ self.xorout


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


crc16 = Crc(16, 0x8005, 0x0000, 0x0000, True, True)
crc_ccitt = Crc(16, 0x1021, 0xFFFF, 0x0000, False, False)


def csum16(data: bytes) -> int:
    """The Internet checksum: ones' complement of the ones' complement sum of 16-bit words."""
    if len(data) & 1:
        data = data + b"\x00"
    s = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)) if data else 0
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _csum16_fast(data: bytes) -> int:
    if len(data) & 1:
        data = data + b"\x00"
    s = int.from_bytes(data, "big") % 0xFFFF if data else 0
    # sum of 16-bit words mod 0xffff equals the folded ones' complement sum, except that a
    # non-zero multiple of 0xffff folds to 0xffff
    if s == 0 and any(data):
        s = 0xFFFF
    return ~s & 0xFFFF


def xor16(data: bytes) -> int:
    if len(data) & 1:
        data = data + b"\x00"
    x = 0
    for i in range(0, len(data), 2):
        x ^= (data[i] << 8) | data[i + 1]
    return x


def xor32(data: bytes) -> int:
    pad = (-len(data)) % 4
    data = data + b"\x00" * pad
    x = 0
    for i in range(0, len(data), 4):
        x ^= int.from_bytes(data[i : i + 4], "big")
    return x


def identity(data: bytes) -> int:
    return int.from_bytes(data[:8], "big")


def random_hash(data: bytes) -> int:
    return random.getrandbits(32)


class RoundRobin:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, data: bytes) -> int:
        n = self.n
        self.n += 1
        return n


def make_algorithm(name: str) -> HashFn:
    """A fresh instance of a BMv2 hash algorithm (custom CRCs keep their own parameters)."""
    if name == "crc32":
        return crc32
    if name == "crc16":
        return crc16
    if name == "crcCCITT":
        return crc_ccitt
    if name in ("csum16", "cksum16"):
        return _csum16_fast
    if name == "xor16":
        return xor16
    if name == "xor32":
        return xor32
    if name == "identity":
        return identity
    if name == "random":
        return random_hash
    if name == "round_robin":
        return RoundRobin()
    if name == "crc16_custom":
        return Crc(16, 0x8005, 0x0000, 0x0000, True, True)
    if name == "crc32_custom":
        return Crc(32, 0x04C11DB7, 0xFFFFFFFF, 0xFFFFFFFF, True, True)
    if name == "crc8_custom":
        return Crc(8, 0x07, 0x00, 0x00, False, False)
    if name == "crc64_custom":
        return Crc(64, 0x1B, 0, 0, True, True)
    raise ConfigError(f"unknown hash algorithm '{name}'")


class Calculation:
    """A compiled BMv2 calculation: `input` packed into bytes, then hashed by `algo`."""

    def __init__(
        self,
        name: str,
        algo_name: str,
        algo: HashFn,
        build: Callable[[PHV], bytes],
    ) -> None:
        self.name = name
        self.algo_name = algo_name
        self.algo = algo
        self.build = build

    def compute(self, p: PHV) -> int:
        return self.algo(self.build(p))


def make_input_builder(
    items: list[tuple[str, Any]],
    payload: Callable[[PHV], bytes] | None,
) -> Callable[[PHV], bytes]:
    """Builder of a calculation's input bytes.

    `items` are ("field", (valid_slot, slot, width)), ("varbit", (valid_slot, slot, width_slot)),
    ("const", (value, width)) or
    ("header", (valid_slot, emit)); `payload` gives the bytes to append, if any.
    """

    if payload is None and all(kind in ("field", "const") for kind, _ in items):
        return _generated_builder(items)

    def build(p: PHV) -> bytes:
        acc = 0
        nbits = 0
        for kind, arg in items:
            if kind == "field":
                vslot, slot, width = arg
                if p[vslot]:
                    acc = (acc << width) | (p[slot] & ((1 << width) - 1))
                    nbits += width
            elif kind == "varbit":
                vslot, slot, lslot = arg
                if p[vslot]:
                    width = p[lslot]
                    acc = (acc << width) | (p[slot] & ((1 << width) - 1))
                    nbits += width
            elif kind == "const":
                value, width = arg
                acc = (acc << width) | (value & ((1 << width) - 1))
                nbits += width
            else:
                vslot, emit = arg
                if p[vslot]:
                    b = emit(p)
                    acc = (acc << (8 * len(b))) | int.from_bytes(b, "big")
                    nbits += 8 * len(b)
        pad = (-nbits) % 8
        out = (acc << pad).to_bytes((nbits + pad) // 8, "big")
        if payload is not None:
            out += payload(p)
        return out

    return build


def _generated_builder(items: list[tuple[str, Any]]) -> Callable[[PHV], bytes]:
    """Straight-line Python for inputs made of fields and constants only."""
    lines = ["def build(p):", "    acc = 0", "    n = 0"]
    for kind, arg in items:
        if kind == "field":
            vslot, slot, width = arg
            lines.append(f"    if p[{vslot}]:")
            lines.append(f"        acc = (acc << {width}) | (p[{slot}] & {(1 << width) - 1:#x})")
            lines.append(f"        n += {width}")
        else:
            value, width = arg
            lines.append(f"    acc = (acc << {width}) | {value & ((1 << width) - 1):#x}")
            lines.append(f"    n += {width}")
    lines.append("    pad = -n % 8")
    lines.append("    return (acc << pad).to_bytes((n + pad) >> 3, 'big')")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<calculation input>", "exec"), namespace)
    fn: Callable[[PHV], bytes] = namespace["build"]
    return fn
