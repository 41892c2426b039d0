"""Wire efficiency figures, checked against hand-computed frames."""

from __future__ import annotations

import pytest

from controller.protocol.efficiency import (
    efficiency_table,
    format_table,
    jetstream_header_overhead,
    jetstream_wire_bytes,
    rocev2_wire_bytes,
    sue_wire_bytes,
)


def test_header_overhead_within_budget() -> None:
    assert jetstream_header_overhead(addr64=False) - 12 == 14 + 12 + 4
    assert jetstream_header_overhead(addr64=True) == 14 + 12 + 16 + 4
    assert jetstream_header_overhead(addr64=True) - 16 <= 14 + 16 + 4


def test_wire_bytes_by_hand() -> None:
    # 20 preamble/gap + 14 Ethernet + 12 stream + 16 TLP + 256 + 4 FCS
    assert jetstream_wire_bytes(256) == 322
    assert jetstream_wire_bytes(256, addr64=False) == 318
    # 20 + 78 + 256
    assert rocev2_wire_bytes(256) == 354
    # 20 + 6 + 8 + 256 + 4
    assert sue_wire_bytes(256) == 294
    # a 4-byte write is padded to the 64-byte minimum frame
    assert jetstream_wire_bytes(4) == 20 + 64  # 14 + 12 + 16 + 4 + 4 = 50, padded to 64
    assert sue_wire_bytes(4) == 20 + 64


def test_mps_cuts_a_write_into_frames() -> None:
    assert jetstream_wire_bytes(4096, mps=256) == 16 * 322
    assert rocev2_wire_bytes(8192) == (20 + 78 + 4096) + (20 + 62 + 4096)


def test_table_rows_and_text() -> None:
    rows = efficiency_table()
    assert [r.payload for r in rows] == [64, 256, 1024, 4096]
    assert all(r.jetstream < r.rocev2 for r in rows)
    text = format_table(rows)
    assert "| 256 B | 322 B (1.258) | 322 B (1.258) | 354 B (1.383) | 294 B (1.148) |" in text


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="payload must be positive"):
        jetstream_wire_bytes(0)
