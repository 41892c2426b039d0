"""The address plan and every device's entries as text, for `jetstream-ctl plan`."""

from __future__ import annotations

from controller.entries import DeviceConfig
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
    return lines
