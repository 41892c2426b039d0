"""Print the wire-efficiency table: bytes on the wire per byte of payload for 64 B, 256 B, 1 KiB and
4 KiB writes, JetStream against RoCEv2 and Broadcom SUE (preamble, gap, FCS and the TLP header counted).

    python benchmarks/wire_efficiency.py
"""

from __future__ import annotations

from controller.protocol.efficiency import (
    L1_OVERHEAD_BYTES,
    efficiency_table,
    format_table,
    jetstream_header_overhead,
)


def main() -> int:
    """Print the table and the per-frame overheads it rests on."""
    print("Wire bytes per write (wire bytes per payload byte):")
    print(format_table(efficiency_table()))
    print()
    print(f"JetStream overhead per frame: {jetstream_header_overhead(addr64=True)} B with a 4 DW TLP header, "
          f"{jetstream_header_overhead(addr64=False)} B with 3 DW, plus {L1_OVERHEAD_BYTES} B preamble and gap")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
