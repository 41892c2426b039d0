"""Canonical bytestrings and controller-header packing."""

from __future__ import annotations

import grpc
import pytest

from softp4.switch.p4runtime.errors import P4RuntimeError
from softp4.switch.p4runtime.values import canonical, decode, pack_fields, unpack_fields


def test_canonical_is_shortest_form() -> None:
    assert canonical(0) == b"\x00"
    assert canonical(1) == b"\x01"
    assert canonical(0x100) == b"\x01\x00"
    assert canonical(0x0A000001) == b"\x0a\x00\x00\x01"


def test_decode_accepts_padding_and_checks_width() -> None:
    assert decode(b"\x00\x00\x01\x02", 9, "f") == 0x102
    assert decode(b"\x01\xff", 9, "f") == 0x1FF
    with pytest.raises(P4RuntimeError) as info:
        decode(b"\x02\x00", 9, "match[0].exact.value")
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.message == "match[0].exact.value: value 0x0200 does not fit in 9 bits"
    with pytest.raises(P4RuntimeError) as info:
        decode(b"", 9, "x")
    assert "empty bytestring" in info.value.message


def test_pack_and_unpack_fields_msb_first() -> None:
    # 9-bit port 0x1ff then 7 zero bits: 1111 1111 1000 0000
    assert pack_fields([0x1FF, 0], [9, 7]) == b"\xff\x80"
    assert pack_fields([3, 0x7F], [9, 7]) == b"\x01\xff"
    assert unpack_fields(b"\x01\xff\xaa", [9, 7]) == [3, 0x7F]
    # widths that are not a multiple of 8 are padded at the end
    assert pack_fields([1], [4]) == b"\x10"
    assert unpack_fields(b"\x10", [4]) == [1]
