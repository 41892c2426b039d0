"""The address plan: from a topology to what every NIC and the ToR must hold.

Every exported window of a destination accelerator gets a window id (its index among the owner's exports,
starting at 1). Every accelerator allowed to write into it gets a transmit window in its own NIC's BAR
space: a naturally aligned block (a power of two, at least the window's size) so that one prefix match on
the write's address finds it. A write at `tx.local_base + offset` lands at `export.base + offset` in the
owner's memory, if `offset + length <= export.size`.

Pure computation: no P4Runtime and no switch here, so the same plan drives the in-process demo, the
P4Runtime controller and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.topology import Accelerator, Topology

BAR_BASE = 0x0000_2000_0000_0000  # where the NIC's transmit windows start in each accelerator's view


@dataclass(frozen=True)
class TxWindow:
    """One row of a sending NIC's window table."""

    src: Accelerator
    local_base: int  # naturally aligned; the prefix is `prefix_len` bits of a 64-bit address
    prefix_len: int
    size: int  # bytes that may be written, from local_base
    dst: Accelerator
    dst_mac: str
    window_id: int
    remote_base: int


@dataclass(frozen=True)
class RxWindow:
    """One row of a receiving NIC's export table: `src` may write [base, base + size) of `dst`."""

    src: Accelerator
    src_mac: str
    dst: Accelerator
    window_id: int
    base: int
    size: int


@dataclass(frozen=True)
class NicPlan:
    server: str
    mac: str
    accelerators: tuple[Accelerator, ...]
    tx_windows: tuple[TxWindow, ...]
    rx_windows: tuple[RxWindow, ...]
    peers: tuple[tuple[Accelerator, str], ...]  # (remote accelerator, its NIC MAC) that may write here


@dataclass(frozen=True)
class TorPlan:
    l2: tuple[tuple[str, int], ...]  # (MAC, port)
    flood_ports: tuple[int, ...]
    groups: tuple[tuple[int, tuple[int, ...]], ...]  # (group id, ports)


@dataclass(frozen=True)
class Plan:
    nics: dict[str, NicPlan]
    tor: TorPlan

    def tx_window(self, src: str, dst: str, window_id: int = 1) -> TxWindow:
        """The transmit window `src` uses to write into `dst`'s window `window_id`."""
        for nic in self.nics.values():
            for tx in nic.tx_windows:
                if tx.src.name == src and tx.dst.name == dst and tx.window_id == window_id:
                    return tx
        raise KeyError(f"no window from '{src}' into '{dst}' (window {window_id})")


def _aligned_block(size: int) -> int:
    return 1 << max(size - 1, 1).bit_length()


def compute(topology: Topology) -> Plan:
    accs = topology.accelerators
    mac_of = {acc.name: server.nic_mac for server in topology.servers for acc in server.accelerators}
    window_ids: dict[tuple[str, int], int] = {}
    per_owner: dict[str, int] = {}
    for export in topology.exports:
        per_owner[export.owner] = per_owner.get(export.owner, 0) + 1
        window_ids[(export.owner, export.base)] = per_owner[export.owner]

    tx: dict[str, list[TxWindow]] = {server.name: [] for server in topology.servers}
    rx: dict[str, list[RxWindow]] = {server.name: [] for server in topology.servers}
    peers: dict[str, dict[str, tuple[Accelerator, str]]] = {server.name: {} for server in topology.servers}
    next_base: dict[str, int] = {server.name: BAR_BASE for server in topology.servers}
    for export in topology.exports:
        owner = accs[export.owner]
        window_id = window_ids[(export.owner, export.base)]
        block = _aligned_block(export.size)
        for peer_name in export.peers:
            src = accs[peer_name]
            base = next_base[src.server]
            base = (base + block - 1) // block * block
            next_base[src.server] = base + block
            tx[src.server].append(
                TxWindow(
                    src=src,
                    local_base=base,
                    prefix_len=64 - (block.bit_length() - 1),
                    size=export.size,
                    dst=owner,
                    dst_mac=mac_of[owner.name],
                    window_id=window_id,
                    remote_base=export.base,
                )
            )
            rx[owner.server].append(
                RxWindow(src, mac_of[src.name], owner, window_id, export.base, export.size)
            )
            peers[owner.server][src.name] = (src, mac_of[src.name])

    nics = {
        server.name: NicPlan(
            server=server.name,
            mac=server.nic_mac,
            accelerators=server.accelerators,
            tx_windows=tuple(tx[server.name]),
            rx_windows=tuple(rx[server.name]),
            peers=tuple(peers[server.name].values()),
        )
        for server in topology.servers
    }
    port_of = {server.nic_mac: server.tor_port for server in topology.servers}
    groups = tuple(
        (group.id, tuple(sorted({port_of[mac_of[m]] for m in group.members}))) for group in topology.groups
    )
    tor = TorPlan(
        l2=tuple(sorted(port_of.items())),
        flood_ports=tuple(sorted(port_of.values())),
        groups=groups,
    )
    return Plan(nics, tor)
