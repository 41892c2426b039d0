"""Counters read over P4Runtime and named for an operator.

NIC: drops by reason (`DROP_*`), outputs by kind (`OUT_*`), and per stream of the plan the frames sent,
rewinds, frames accepted, out-of-order frames, ACKs and NACKs. ToR: frames refused as forged per port,
frames per port in and out (by the server cabled there), per traffic class (`TC_*`), and per `l2` entry
(its direct counter).
"""

from __future__ import annotations

from dataclasses import dataclass

import finsy

from controller.entries import NIC_ACK, NIC_RX, NIC_TX, TOR_L2, mac_to_int
from controller.plan import NicPlan, TorPlan
from controller.protocol import constants as c
from controller.runtime.errors import ControllerError
from controller.runtime.session import Session


@dataclass(frozen=True)
class Row:
    """One counter cell: what it counts, packets and bytes."""

    label: str
    packets: int
    bytes: int


async def read_counter(session: Session, name: str) -> dict[int, tuple[int, int]]:
    """Every cell of an indirect counter: index -> (packets, bytes)."""
    cells: dict[int, tuple[int, int]] = {}
    try:
        async for item in session.switch.read(finsy.P4CounterEntry(name)):
            if item.index is not None and item.data is not None:
                cells[item.index] = (item.data.packet_count, item.data.byte_count)
    except finsy.P4ClientError as exc:
        raise ControllerError(f"{session.device}: reading counter {name}: {exc.code.name}: {exc.message}") from None
    return cells


async def nic_counters(session: Session, nic: NicPlan) -> dict[str, list[Row]]:
    """Sections of rows: drops, outputs, streams sent, streams received (non-zero drops/outputs only)."""
    drops = await read_counter(session, "NicIngress.accounting.drops")
    outputs = await read_counter(session, "NicIngress.accounting.outputs")
    sections: dict[str, list[Row]] = {
        "drops": [Row(c.DROP_REASONS.get(i, f"reason {i}"), *drops[i]) for i in sorted(drops) if drops[i][0]],
        "outputs": [Row(c.OUT_KINDS.get(i, f"kind {i}"), *outputs[i]) for i in sorted(outputs) if outputs[i][0]],
    }
    tx = {name: await read_counter(session, NIC_TX + name) for name in ("frames", "rewinds")}
    acks = {name: await read_counter(session, NIC_ACK + name) for name in ("acks", "nacks")}
    rows = []
    for stream in nic.tx_streams:
        s = stream.stream
        label = f"{stream.src.name} -> {stream.dst.name} (stream {s})"
        rows.append(Row(f"{label}: frames sent", *tx["frames"].get(s, (0, 0))))
        rows.append(Row(f"{label}: rewinds", *tx["rewinds"].get(s, (0, 0))))
        rows.append(Row(f"{label}: ACKs", *acks["acks"].get(s, (0, 0))))
        rows.append(Row(f"{label}: NACKs", *acks["nacks"].get(s, (0, 0))))
    sections["streams sent"] = rows
    rx = {name: await read_counter(session, NIC_RX + name) for name in ("frames", "out_of_order")}
    rows = []
    for rx_stream in nic.rx_streams:
        s = rx_stream.stream
        label = f"{rx_stream.src.name} -> {rx_stream.dst.name} (stream {s})"
        rows.append(Row(f"{label}: frames accepted", *rx["frames"].get(s, (0, 0))))
        rows.append(Row(f"{label}: out of order", *rx["out_of_order"].get(s, (0, 0))))
    sections["streams received"] = rows
    return sections


async def tor_counters(session: Session, tor: TorPlan, port_names: dict[int, str]) -> dict[str, list[Row]]:
    """Sections of rows: drops (frames port security refused, per port; non-zero only), ports (in and out),
    traffic classes, l2 entries."""
    forged = await read_counter(session, "TorIngress.port_security.forged")
    drop_rows = [Row(f"forged on port {port}" + (f" ({port_names[port]})" if port in port_names else ""),
                     *forged[port]) for port in sorted(forged) if forged[port][0]]
    rx = await read_counter(session, "TorIngress.port_rx.rx")
    tx = await read_counter(session, "TorEgress.port_tx.tx")
    ports = sorted({p for p, cell in rx.items() if cell[0]} | {p for p, cell in tx.items() if cell[0]}
                   | set(tor.flood_ports))
    port_rows = []
    for port in ports:
        label = f"port {port}" + (f" ({port_names[port]})" if port in port_names else "")
        port_rows.append(Row(f"{label}: in", *rx.get(port, (0, 0))))
        port_rows.append(Row(f"{label}: out", *tx.get(port, (0, 0))))
    classes = await read_counter(session, "TorIngress.traffic_class.class_frames")
    class_rows = [Row(name, *classes.get(i, (0, 0))) for i, name in sorted(c.TRAFFIC_CLASSES.items())]
    l2_rows = []
    by_mac = {mac_to_int(mac): mac for mac, _ in tor.l2}
    try:
        async for item in session.switch.read(finsy.P4DirectCounterEntry(TOR_L2 + "l2_counter")):
            entry = item.table_entry
            data = item.data
            if entry is None or entry.match is None or data is None:
                continue
            mac_value = entry.match.get("dst_mac")
            mac = by_mac.get(int(mac_value), str(mac_value)) if mac_value is not None else "?"
            l2_rows.append(Row(f"l2 {mac}", data.packet_count, data.byte_count))
    except finsy.P4ClientError as exc:
        raise ControllerError(f"{session.device}: reading l2_counter: {exc.code.name}: {exc.message}") from None
    l2_rows.sort(key=lambda r: r.label)
    return {"drops": drop_rows, "ports": port_rows, "traffic classes": class_rows, "l2 entries": l2_rows}


def format_sections(device: str, sections: dict[str, list[Row]]) -> list[str]:
    lines = [f"{device}:"]
    width = max((len(row.label) for rows in sections.values() for row in rows), default=0)
    for title, rows in sections.items():
        lines.append(f"  {title}:")
        if not rows:
            lines.append("    (none)")
        for row in rows:
            lines.append(f"    {row.label:<{width}}  {row.packets:>10} packets  {row.bytes:>12} bytes")
    return lines
