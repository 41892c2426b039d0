"""Bytes on the wire per byte of payload: JetStream against RoCEv2 and Broadcom SUE.

Every protocol is charged its whole frame on the wire: preamble and start delimiter (8 B),
inter-frame gap (12 B), headers, FCS (4 B), and Ethernet's padding up to the 64-byte minimum
frame. JetStream is also charged the PCIe TLP header it carries (12 B below 4 GiB, 16 B above;
the RDMA and SUE headers already hold their addresses). A write larger than one frame's payload
limit is cut into several frames, each charged in full.

Assumptions (docs/protocol.md discusses them):
  * JetStream: Ethernet 14 + stream header 12 + TLP header 16 (64-bit address) + data + FCS 4;
    one TLP per frame, at most Max Payload Size (MPS) bytes of data per TLP.
  * RoCEv2 RDMA WRITE: Ethernet 14 + IPv4 20 + UDP 8 + BTH 12 + RETH 16 + data + ICRC 4 + FCS 4
    (RETH only in the first packet of a multi-packet write; path MTU 4096 by default).
  * Broadcom SUE: 6 B compressed forwarding header + 8 B reliability header + data + FCS 4, no
    Ethernet MAC header; one transaction per frame (SUE can also pack several, not counted here).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.protocol import constants as c

__all__ = [
    "ETH_FCS_BYTES",
    "ETH_MIN_FRAME_WITH_FCS",
    "L1_OVERHEAD_BYTES",
    "ROCEV2_FIRST_HEADERS",
    "SUE_HEADERS",
    "EfficiencyRow",
    "efficiency_table",
    "format_table",
    "frame_on_wire",
    "jetstream_header_overhead",
    "jetstream_wire_bytes",
    "rocev2_wire_bytes",
    "sue_wire_bytes",
]

L1_OVERHEAD_BYTES = 8 + 12  # preamble + SFD, inter-frame gap
ETH_FCS_BYTES = 4
ETH_MIN_FRAME_WITH_FCS = 64
ROCEV2_FIRST_HEADERS = 14 + 20 + 8 + 12 + 16 + 4  # Eth, IPv4, UDP, BTH, RETH, ICRC
ROCEV2_MIDDLE_HEADERS = 14 + 20 + 8 + 12 + 4  # no RETH after the first packet
SUE_HEADERS = 6 + 8


def frame_on_wire(frame_without_fcs: int) -> int:
    """Wire bytes of one frame: padded to the minimum, plus FCS, preamble and gap."""
    frame = max(frame_without_fcs + ETH_FCS_BYTES, ETH_MIN_FRAME_WITH_FCS)
    return frame + L1_OVERHEAD_BYTES


def _chunks(payload: int, limit: int) -> list[int]:
    if payload <= 0:
        raise ValueError(f"payload must be positive, got {payload}")
    if limit <= 0:
        raise ValueError(f"payload limit must be positive, got {limit}")
    full, rest = divmod(payload, limit)
    return [limit] * full + ([rest] if rest else [])


def jetstream_header_overhead(addr64: bool = True) -> int:
    """Bytes a JetStream frame adds to one TLP's data, FCS included, preamble and gap not."""
    tlp = c.TLP_HDR_4DW_BYTES if addr64 else c.TLP_HDR_3DW_BYTES
    return c.ETH_HDR_BYTES + c.JS_HDR_BYTES + tlp + ETH_FCS_BYTES


def jetstream_wire_bytes(payload: int, *, mps: int = c.TLP_MAX_PAYLOAD_BYTES, addr64: bool = True) -> int:
    """Wire bytes of a `payload`-byte write sent as TLPs of at most `mps` bytes (DW-aligned)."""
    tlp_hdr = c.TLP_HDR_4DW_BYTES if addr64 else c.TLP_HDR_3DW_BYTES
    total = 0
    for chunk in _chunks(payload, min(mps, c.TLP_MAX_PAYLOAD_BYTES)):
        data = (chunk + 3) // 4 * 4
        total += frame_on_wire(c.ETH_HDR_BYTES + c.JS_HDR_BYTES + tlp_hdr + data)
    return total


def rocev2_wire_bytes(payload: int, *, mtu: int = 4096) -> int:
    """Wire bytes of an RDMA WRITE of `payload` bytes over RoCEv2 with path MTU `mtu`."""
    total = 0
    for i, chunk in enumerate(_chunks(payload, mtu)):
        headers = ROCEV2_FIRST_HEADERS if i == 0 else ROCEV2_MIDDLE_HEADERS
        data = (chunk + 3) // 4 * 4  # BTH pad count aligns the payload to 4 bytes
        total += frame_on_wire(headers + data)
    return total


def sue_wire_bytes(payload: int, *, max_payload: int = 4096) -> int:
    """Wire bytes of a SUE write of `payload` bytes, one transaction per frame."""
    return sum(frame_on_wire(SUE_HEADERS + chunk) for chunk in _chunks(payload, max_payload))


@dataclass(frozen=True)
class EfficiencyRow:
    payload: int
    jetstream: int  # 4 DW TLP header, one TLP of the whole write
    jetstream_mps256: int  # the same write cut into TLPs of at most 256 bytes
    rocev2: int
    sue: int

    def ratio(self, wire: int) -> float:
        """Wire bytes per payload byte."""
        return wire / self.payload


def efficiency_table(payloads: tuple[int, ...] = (64, 256, 1024, 4096)) -> list[EfficiencyRow]:
    """One row per write size."""
    return [
        EfficiencyRow(
            payload=p,
            jetstream=jetstream_wire_bytes(p),
            jetstream_mps256=jetstream_wire_bytes(p, mps=256),
            rocev2=rocev2_wire_bytes(p),
            sue=sue_wire_bytes(p),
        )
        for p in payloads
    ]


def format_table(rows: list[EfficiencyRow]) -> str:
    """The table as Markdown: wire bytes, and wire bytes per payload byte in parentheses."""
    lines = [
        "| write | JetStream (1 TLP) | JetStream (MPS 256) | RoCEv2 | Broadcom SUE |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        size = f"{r.payload // 1024} KiB" if r.payload >= 1024 else f"{r.payload} B"
        cells = [f"{w} B ({r.ratio(w):.3f})" for w in (r.jetstream, r.jetstream_mps256, r.rocev2, r.sue)]
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
