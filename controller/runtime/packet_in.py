"""Packet-ins decoded for an operator: why the NIC punted the frame, and what the frame was.

A NIC punts only exceptions (docs/protocol.md, `packet_in_t`): DATA from a (src, dst) pair it has no peer
entry for (`PUNT_UNKNOWN_PEER`, the payload is the Ethernet frame) and a TLP from an accelerator that is
not a memory write (`PUNT_NOT_MWR`, the payload is the TLP). It also answers every order of the controller
(`PUNT_ORDER_DONE`, `PUNT_ORDER_REFUSED`, the payload is the order: controller.protocol.orders).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.protocol import constants as c
from controller.protocol.orders import read_answer
from controller.protocol.stream import MSG_TYPES

PUNT_REASONS = {
    c.PUNT_UNKNOWN_PEER: ("PUNT_UNKNOWN_PEER", "DATA from a peer this NIC does not know"),
    c.PUNT_NOT_MWR: ("PUNT_NOT_MWR", "a TLP from an accelerator that is not a memory write"),
    c.PUNT_ORDER_DONE: ("PUNT_ORDER_DONE", "an order of the controller, carried out"),
    c.PUNT_ORDER_REFUSED: ("PUNT_ORDER_REFUSED", "an order of the controller, refused"),
}


def tlp_kind(fmt: int, tlp_type: int) -> str:
    """The PCIe name of a TLP's Fmt/Type (MRd, MWr, Cpl, CfgRd0, Msg...)."""
    data = fmt & 0b010 != 0
    if tlp_type == 0b00000:
        return "MWr" if data else "MRd"
    if tlp_type == 0b00001:
        return "MRdLk"
    if tlp_type == 0b00010:
        return "IOWr" if data else "IORd"
    if tlp_type in (0b00100, 0b00101):
        return f"CfgWr{tlp_type & 1}" if data else f"CfgRd{tlp_type & 1}"
    if tlp_type in (0b01010, 0b01011):
        return ("CplD" if data else "Cpl") + ("Lk" if tlp_type & 1 else "")
    if tlp_type & 0b11000 == 0b10000:
        return "MsgD" if data else "Msg"
    return f"TLP fmt={fmt} type={tlp_type:#x}"


def _describe_tlp(tlp: bytes) -> str:
    if len(tlp) < 8:
        return f"a TLP too short to decode ({len(tlp)} bytes: {tlp.hex()})"
    fmt, tlp_type = tlp[0] >> 5, tlp[0] & 0x1F
    length = ((tlp[2] & 0x3) << 8) | tlp[3]
    requester = int.from_bytes(tlp[4:6], "big")
    return f"{tlp_kind(fmt, tlp_type)} (fmt {fmt}, type {tlp_type:#x}), length {length} DW, requester {requester:#06x}"


def _describe_frame(frame: bytes) -> str:
    if len(frame) < 14 + 12:
        return f"a frame too short to decode ({len(frame)} bytes: {frame.hex()})"
    dst_mac, src_mac = frame[0:6].hex(":"), frame[6:12].hex(":")
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype != c.ETHERTYPE_JS:
        return f"Ethernet {src_mac} -> {dst_mac}, EtherType {ethertype:#06x}"
    js = frame[14:26]
    kind = MSG_TYPES.get(js[0] & 0xF, f"type {js[0] & 0xF}")
    src, dst, window, seq = (int.from_bytes(js[i : i + 2], "big") for i in (2, 4, 6, 8))
    return (
        f"{kind} from accelerator {src} to {dst}, window {window}, seq {seq} "
        f"(Ethernet {src_mac} -> {dst_mac}, {len(frame)} bytes)"
    )


def describe_packet_in(device: str, payload: bytes, metadata: Mapping[str, Any]) -> str:
    """One line: device, ingress port, reason by name, and the decoded frame or TLP."""
    reason = metadata.get("reason")
    port = metadata.get("ingress_port")
    name, meaning = PUNT_REASONS.get(int(reason) if reason is not None else -1, (f"reason {reason}", "unknown"))
    if reason == c.PUNT_NOT_MWR:
        what = _describe_tlp(payload)
    elif reason == c.PUNT_UNKNOWN_PEER:
        what = _describe_frame(payload)
    elif (answer := read_answer(reason, payload)) is not None:
        what = answer.order.describe()
    else:
        what = f"{len(payload)} bytes: {payload[:64].hex()}"
    return f"{device}: port {port}: {name} ({meaning}): {what}"
