"""The address plan and every device's entries as text or JSON, for `jetstream-ctl plan`.

The text ends with a summary (devices, streams, windows, entries per table against what the table holds,
multicast groups and their members); `plan_json` gives the same summary and every device's entries and
groups as one JSON-ready object.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from controller.entries import TABLE_SIZES, DeviceConfig
from controller.plan import Plan
from controller.runtime.devices import roles
from controller.topology import Topology


def size_text(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def _config_lines(config: DeviceConfig) -> list[str]:
    lines = [f"  entries ({len(config.entries)}):"]
    lines += [f"    {entry.describe()}" for entry in config.entries]
    lines.append(f"  multicast groups ({len(config.groups)}):")
    for group in config.groups:
        replicas = ", ".join(f"port {port} rid {rid}" for port, rid in group.replicas)
        lines.append(f"    group {group.group_id}: {replicas}")
    return lines


def plan_lines(topology: Topology, plan: Plan) -> list[str]:
    accs = topology.accelerators
    lines = [
        f"topology '{topology.name}': {len(topology.servers)} servers, {len(accs)} accelerators, "
        f"ToR '{topology.tor_name}'"
    ]
    configs = roles(topology, plan)
    for server in topology.servers:
        nic = plan.nics[server.name]
        lines += ["", f"{server.name}: NIC {server.nic_mac}, ToR port {server.tor_port}"]
        for acc in server.accelerators:
            lines.append(
                f"  accelerator {acc.name}: id {acc.id}, PCIe port {acc.pcie_port}, memory {size_text(acc.memory)}, "
                f"ACK group {nic.ack_group(acc)}"
            )
        for tx in nic.tx_windows:
            lines.append(
                f"  window {tx.src.name} -> {tx.dst.name}#{tx.window_id}: BAR {tx.local_base:#x}/{tx.prefix_len} "
                f"({size_text(tx.size)}) lands at {tx.remote_base:#x} of {tx.dst.name}, stream {tx.stream}"
            )
        for stream in nic.tx_streams:
            lines.append(
                f"  sends {stream.src.name} -> {stream.dst.name}: stream {stream.stream}, "
                f"rewind doorbell {stream.rewind_address:#x}, mailbox {stream.mailbox_address:#x}"
            )
        for rx in nic.rx_streams:
            lines.append(f"  receives {rx.src.name} -> {rx.dst.name}: stream {rx.stream}")
        for win in nic.rx_windows:
            lines.append(
                f"  exports {win.dst.name}#{win.window_id} to {win.src.name}: "
                f"[{win.base:#x}, {win.base + win.size:#x})"
            )
        lines += _config_lines(configs[server.name].config)
    lines += ["", f"{topology.tor_name}: ToR"]
    for mac, port in plan.tor.l2:
        lines.append(f"  {mac} on port {port}")
    for group_id, ports in plan.tor.groups:
        lines.append(f"  group write {group_id}: ports {', '.join(map(str, ports))}")
    lines += _config_lines(configs[topology.tor_name].config)
    return [*lines, "", *summary_lines(summary(topology, plan))]


def summary(topology: Topology, plan: Plan) -> dict[str, Any]:
    """What the plan comes to: counts of devices, streams and windows, and the busiest device of each table."""
    configs = roles(topology, plan)
    tables: dict[str, dict[str, Any]] = {}
    for name, role in configs.items():
        counts: dict[str, int] = {}
        for entry in role.config.entries:
            counts[entry.table] = counts.get(entry.table, 0) + 1
        for table, count in counts.items():
            row = tables.setdefault(table, {"entries": 0, "most": 0, "on": name, "holds": TABLE_SIZES[table][1]})
            row["entries"] += count
            if count > row["most"]:
                row["most"], row["on"] = count, name
    nics = plan.nics.values()
    return {
        "devices": {"nics": len(plan.nics), "tors": 1},
        "accelerators": len(topology.accelerators),
        "streams": {"unicast": sum(len(nic.tx_streams) for nic in nics),
                    "group": sum(len(nic.group_tx) for nic in nics)},
        "windows": {"exported": len(topology.exports), "transmit": sum(len(nic.tx_windows) for nic in nics)},
        "entries": sum(len(role.config.entries) for role in configs.values()),
        "tables": tables,
        "multicast_groups": sum(len(role.config.groups) for role in configs.values()),
        "group_members": sum(len(group.replicas) for role in configs.values() for group in role.config.groups),
        "groups": {group.name: [m.accelerator.name for m in group.members] for group in plan.groups.values()},
    }


def summary_lines(numbers: dict[str, Any]) -> list[str]:
    devices, streams, windows = numbers["devices"], numbers["streams"], numbers["windows"]
    lines = [
        f"summary: {devices['nics']} NICs and {devices['tors']} ToR, {numbers['accelerators']} accelerators; "
        f"{streams['unicast']} unicast and {streams['group']} group streams; {windows['exported']} exported and "
        f"{windows['transmit']} transmit windows; {numbers['entries']} entries; {numbers['multicast_groups']} "
        f"multicast groups with {numbers['group_members']} members in all",
        "  table                               entries  most on one device  holds",
    ]
    for table, row in numbers["tables"].items():
        lines.append(f"  {table:<35} {row['entries']:>7}  {row['most']:>5} ({row['on']})"
                     f"{'':<{max(0, 12 - len(row['on']))}} {row['holds']:>5}")
    for name, members in numbers["groups"].items():
        lines.append(f"  group write '{name}': {len(members)} members ({', '.join(members)})")
    return lines


def plan_json(topology: Topology, plan: Plan) -> dict[str, Any]:
    """The summary and every device's entries and multicast groups, as plain JSON-ready values."""
    return {
        "topology": topology.name,
        "summary": summary(topology, plan),
        "devices": {
            name: {"program": role.program, "entries": [asdict(entry) for entry in role.config.entries],
                   "multicast_groups": [asdict(group) for group in role.config.groups]}
            for name, role in roles(topology, plan).items()
        },
    }
