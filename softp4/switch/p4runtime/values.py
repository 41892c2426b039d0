"""P4Runtime bytestrings: canonical encoding and checked decoding of integers.

A value goes on the wire as its shortest big-endian bytestring (zero is one
zero byte); on write, longer forms padded with leading zeros are accepted, an
empty string or a value wider than the field is INVALID_ARGUMENT.
"""

from __future__ import annotations

from softp4.switch.p4runtime.errors import invalid


def canonical(value: int) -> bytes:
    """The canonical (shortest) bytestring of a non-negative integer."""
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def decode(data: bytes, bitwidth: int, what: str) -> int:
    """The integer in `data`, checked to fit in `bitwidth` bits; `what` names the field in errors."""
    if not data:
        raise invalid(f"{what}: empty bytestring (a value needs at least one byte)")
    value = int.from_bytes(data, "big")
    if value >> bitwidth:
        raise invalid(f"{what}: value 0x{data.hex()} does not fit in {bitwidth} bits")
    return value


def pack_fields(values: list[int], widths: list[int]) -> bytes:
    """Fields packed MSB first, bit-contiguous, padded with zero bits to whole bytes."""
    total = 0
    bits = 0
    for value, width in zip(values, widths, strict=True):
        total = (total << width) | (value & ((1 << width) - 1))
        bits += width
    pad = -bits % 8
    return (total << pad).to_bytes((bits + pad) // 8, "big")


def unpack_fields(data: bytes, widths: list[int]) -> list[int]:
    """The fields of `pack_fields` read back from the first bytes of `data`."""
    bits = sum(widths)
    nbytes = (bits + 7) // 8
    total = int.from_bytes(data[:nbytes], "big") >> (nbytes * 8 - bits)
    values = []
    shift = bits
    for width in widths:
        shift -= width
        values.append((total >> shift) & ((1 << width) - 1))
    return values
