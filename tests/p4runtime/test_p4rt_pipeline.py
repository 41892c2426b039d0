"""p4_device_config: raw BMv2 JSON or the legacy wrapper message."""

from __future__ import annotations

import grpc
import pytest

from softp4.switch.p4runtime.errors import P4RuntimeError
from softp4.switch.p4runtime.pipeline import device_json


def _wrapper(json_text: bytes, *, reassign: bool = True, extras: bytes = b"") -> bytes:
    """P4DeviceConfig{reassign=1, extras=2, device_data=3}, encoded by hand."""

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte = n & 0x7F
            n >>= 7
            if n:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                return bytes(out)

    out = b"\x08" + (b"\x01" if reassign else b"\x00")
    if extras:
        out += b"\x12" + varint(len(extras)) + extras
    return out + b"\x1a" + varint(len(json_text)) + json_text


def test_raw_json_is_taken_as_is() -> None:
    assert device_json(b'  \n{"a": 1}') == b'{"a": 1}'


def test_wrapper_message_is_decoded() -> None:
    text = b'{"program": "x"}' * 20  # longer than 127 bytes: two-byte length varint
    assert device_json(_wrapper(text)) == text
    # extras (a map of strings) is skipped
    extras = b"\x0a\x06\x0a\x01k\x12\x01v"
    assert device_json(_wrapper(text, extras=extras)) == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "config.p4_device_config is empty: it must hold BMv2 JSON"),
        (b"\x08\x01", "config.p4_device_config: the wrapper message has no device_data (field 3)"),
        (b"\x1a\x10{}", "config.p4_device_config: field 3 runs past the end of the wrapper message"),
        (b"\x1a\x02ab", "config.p4_device_config: device_data of the wrapper message is not BMv2 JSON"),
        (b"\x0b\x00", "config.p4_device_config: unsupported wire type 3 of field 1 in the wrapper message"),
    ],
)
def test_bad_device_config(data: bytes, message: str) -> None:
    with pytest.raises(P4RuntimeError) as info:
        device_json(data)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.message == message
