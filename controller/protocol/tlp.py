"""PCIe memory-write TLPs as scapy layers, and helpers to build them and to predict what they write.

A request TLP starts with two DWs (`TLP`)::

    DW0  Fmt:3 Type:5 | T9 TC:3 T8 Attr2 LN TH | TD EP Attr:2 AT:2 Length[9:8] | Length[7:0]
    DW1  Requester ID:16 | Tag:8 | Last DW BE:4 First DW BE:4

then the address: one DW for a 3 DW header (`TlpAddr32`: address bits 31:2, PH:2) or two for a
4 DW header (`TlpAddr64`: address bits 63:2, PH:2). A memory write (Fmt 010 or 011, Type 00000)
carries Length DWs of data (Length 0 means 1024 DWs); the First and Last DW byte enables say which
bytes of the first and last DW are written. PCIe requires the 3 DW form below 4 GiB.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from scapy.fields import BitEnumField, BitField, ByteField, XShortField
from scapy.packet import Packet, Padding, Raw, bind_layers

from controller.protocol import constants as c

__all__ = [
    "TLP",
    "TlpAddr32",
    "TlpAddr64",
    "TlpError",
    "apply_mwr",
    "mwr",
    "mwr_address",
    "mwr_bytes",
    "payload_bytes",
]

FMT_NAMES = {
    c.TLP_FMT_3DW_NO_DATA: "3DW",
    c.TLP_FMT_4DW_NO_DATA: "4DW",
    c.TLP_FMT_3DW_DATA: "3DW+data",
    c.TLP_FMT_4DW_DATA: "4DW+data",
}
_ADDR32_LIMIT = 1 << 32


class TlpError(ValueError):
    """A TLP that is not a well-formed memory write, or arguments that cannot make one."""


class TLP(Packet):
    """The first two DWs of a PCIe request TLP; Length is filled in from the payload when None."""

    name = "TLP"
    fields_desc = [
        BitEnumField("fmt", c.TLP_FMT_3DW_DATA, 3, FMT_NAMES),
        BitField("tlp_type", c.TLP_TYPE_MEM, 5),
        BitField("t9", 0, 1),
        BitField("tc", 0, 3),
        BitField("t8", 0, 1),
        BitField("attr2", 0, 1),
        BitField("ln", 0, 1),
        BitField("th", 0, 1),
        BitField("td", 0, 1),
        BitField("ep", 0, 1),
        BitField("attr", 0, 2),
        BitField("at", 0, 2),
        BitField("length", None, 10),
        XShortField("requester_id", 0),
        ByteField("tag", 0),
        BitField("last_be", 0xF, 4),
        BitField("first_be", 0xF, 4),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.length is None:
            addr_bytes = 8 if self.fmt in (c.TLP_FMT_4DW_DATA, c.TLP_FMT_4DW_NO_DATA) else 4
            data = max(0, len(pay) - addr_bytes)
            if data % 4:
                raise TlpError(f"TLP payload of {data} bytes is not a whole number of DWs")
            dws = data // 4
            if dws > 1024:
                raise TlpError(f"TLP payload of {dws} DWs exceeds 1024")
            field = dws % 1024  # 1024 DWs is written as 0
            pkt = pkt[:2] + bytes([(pkt[2] & 0xFC) | (field >> 8), field & 0xFF]) + pkt[4:]
        return pkt + pay

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        """A memory TLP ends after its address and Length DWs; what follows (Ethernet padding) is not its."""
        if self.tlp_type != c.TLP_TYPE_MEM or self.length is None:
            return s, b""
        addr_bytes = 8 if self.fmt in (c.TLP_FMT_4DW_DATA, c.TLP_FMT_4DW_NO_DATA) else 4
        data = (self.length or 1024) * 4 if self.fmt in (c.TLP_FMT_3DW_DATA, c.TLP_FMT_4DW_DATA) else 0
        end = addr_bytes + data
        return s[:end], s[end:]

    def mysummary(self) -> str:
        return f"TLP fmt={FMT_NAMES.get(int(self.fmt), self.fmt)} type={self.tlp_type} len={self.length}"


class TlpAddr32(Packet):
    """Address DW of a 3 DW header."""

    name = "TlpAddr32"
    fields_desc = [BitField("addr", 0, 30), BitField("ph", 0, 2)]

    def mysummary(self) -> str:
        return f"addr=0x{self.addr << 2:x}"


class TlpAddr64(Packet):
    """Address DWs of a 4 DW header."""

    name = "TlpAddr64"
    fields_desc = [BitField("addr", 0, 62), BitField("ph", 0, 2)]

    def mysummary(self) -> str:
        return f"addr=0x{self.addr << 2:x}"


def mwr(
    address: int,
    data: bytes,
    *,
    requester_id: int = 0,
    tag: int = 0,
    tc: int = 0,
    attr: int = 0,
    force_4dw: bool = False,
) -> Packet:
    """A memory-write TLP that writes `data` at byte `address` (any alignment, 1..4096 bytes).

    The TLP covers whole DWs; the byte enables mark the bytes outside `data` as not written.
    The 3 DW header is used below 4 GiB unless `force_4dw`.
    """
    if not data:
        raise TlpError("a memory write needs at least one byte of data")
    if address < 0 or address + len(data) > 1 << 64:
        raise TlpError(f"address 0x{address:x} + {len(data)} bytes is outside the 64-bit space")
    start = address & ~3
    end = address + len(data)
    dws = (end - start + 3) // 4
    if dws > 1024:
        raise TlpError(f"a write of {len(data)} bytes at 0x{address:x} spans {dws} DWs, more than 1024")
    lead = address - start
    trail = dws * 4 - (end - start)
    first_be = (0xF << lead) & 0xF
    last_mask = 0xF >> trail
    if dws == 1:
        first_be &= last_mask
        last_be = 0
    else:
        last_be = last_mask
    for name, value, width in (("requester_id", requester_id, 16), ("tag", tag, 8), ("tc", tc, 3),
                               ("attr", attr, 2)):
        if not 0 <= value < 1 << width:
            raise TlpError(f"{name} {value} does not fit in {width} bits")
    payload = bytes(lead) + data + bytes(trail)
    four = force_4dw or start >= _ADDR32_LIMIT
    hdr = TLP(
        fmt=c.TLP_FMT_4DW_DATA if four else c.TLP_FMT_3DW_DATA,
        tlp_type=c.TLP_TYPE_MEM,
        tc=tc,
        attr=attr,
        requester_id=requester_id,
        tag=tag,
        first_be=first_be,
        last_be=last_be,
    )
    addr_layer = TlpAddr64(addr=start >> 2) if four else TlpAddr32(addr=start >> 2)
    return hdr / addr_layer / Raw(payload)


def _parse(tlp: Packet | bytes) -> tuple[bytes, int, bytes]:
    """(header bytes, DW-aligned address, payload bytes) of a memory-write TLP. Bytes are read as they are,
    without dissecting them (what follows the Length DWs is padding, as `TLP.extract_padding` says)."""
    if isinstance(tlp, bytes | bytearray):
        raw = bytes(tlp)
        padded = True
    else:
        pkt = tlp if isinstance(tlp, TLP) else tlp.getlayer(TLP)
        if pkt is None:
            raise TlpError("no TLP in this packet")
        raw = bytes(pkt)
        pad = pkt.getlayer(Padding)
        if pad is not None:  # Ethernet padding after a dissected TLP is not part of it
            raw = raw[: len(raw) - len(bytes(pad))]
        padded = False
    if len(raw) < 8:
        raise TlpError(f"TLP of {len(raw)} bytes is shorter than its 8-byte header start")
    fmt, tlp_type = raw[0] >> 5, raw[0] & 0x1F
    if tlp_type != c.TLP_TYPE_MEM or fmt not in (c.TLP_FMT_3DW_DATA, c.TLP_FMT_4DW_DATA):
        raise TlpError(f"not a memory write: fmt={fmt} type={tlp_type}")
    hlen = c.TLP_HDR_4DW_BYTES if fmt == c.TLP_FMT_4DW_DATA else c.TLP_HDR_3DW_BYTES
    if len(raw) < hlen:
        raise TlpError(f"TLP of {len(raw)} bytes is shorter than its {hlen}-byte header")
    addr = int.from_bytes(raw[8:hlen], "big") & ~3
    length = ((raw[2] & 0x3) << 8) | raw[3]
    dws = length or 1024
    payload = raw[hlen : hlen + dws * 4] if padded else raw[hlen:]
    if len(payload) != dws * 4:
        raise TlpError(f"TLP Length says {dws} DWs but {len(payload)} bytes of data follow")
    return raw[:hlen], addr, payload


def mwr_address(tlp: Packet | bytes) -> int:
    """The DW-aligned byte address of a memory-write TLP."""
    return _parse(tlp)[1]


def payload_bytes(tlp: Packet | bytes) -> bytes:
    """The data DWs of a memory-write TLP, byte enables not applied."""
    return _parse(tlp)[2]


def mwr_bytes(tlp: Packet | bytes) -> dict[int, int]:
    """What a memory-write TLP writes: byte address -> byte value, byte enables applied."""
    header, addr, payload = _parse(tlp)
    first_be, last_be = header[7] & 0xF, header[7] >> 4
    dws = len(payload) // 4
    out: dict[int, int] = {}
    for i, value in enumerate(payload):
        dw, lane = divmod(i, 4)
        if dw == 0:
            enabled = first_be >> lane & 1
        elif dw == dws - 1:
            enabled = last_be >> lane & 1
        else:
            enabled = 1
        if enabled:
            out[addr + i] = value
    return out


def apply_mwr(memory: MutableMapping[int, int] | bytearray, tlp: Packet | bytes, base: int = 0) -> int:
    """Apply a memory write to `memory` (a bytearray starting at byte address `base`, or a dict).

    Returns the number of bytes written; raises TlpError if a byte falls outside a bytearray.
    """
    written = mwr_bytes(tlp)
    if isinstance(memory, bytearray):
        for a in written:
            if not base <= a < base + len(memory):
                raise TlpError(f"write to 0x{a:x} is outside memory [0x{base:x}, 0x{base + len(memory):x})")
        for a, v in written.items():
            memory[a - base] = v
    else:
        for a, v in written.items():
            memory[a] = v
    return len(written)


for _fmt in (c.TLP_FMT_3DW_NO_DATA, c.TLP_FMT_3DW_DATA):
    bind_layers(TLP, TlpAddr32, fmt=_fmt, tlp_type=c.TLP_TYPE_MEM)
for _fmt in (c.TLP_FMT_4DW_NO_DATA, c.TLP_FMT_4DW_DATA):
    bind_layers(TLP, TlpAddr64, fmt=_fmt, tlp_type=c.TLP_TYPE_MEM)
