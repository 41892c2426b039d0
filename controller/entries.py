"""What each device must hold, as target-neutral table entries and multicast groups.

`nic_config(plan)` and `tor_config(plan)` turn the address plan into the rows of the NIC's and the ToR's
tables, named as P4Info names them (tables, actions, `@name`d match fields, action parameters). The
P4Runtime controller writes them over gRPC; the in-process testbed writes them through softp4's API.
The table layout is described in docs/protocol.md ("Tables at a glance").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from controller.plan import NIC_REQUESTER_ID, NicPlan, Plan, PlanError, TorPlan, prefix_base
from controller.protocol import constants as c
from controller.protocol import sizes

NIC_STATION = "NicIngress.station."
NIC_TX = "NicIngress.tx_path."
NIC_RX = "NicIngress.rx_path."
NIC_ACK = "NicIngress.ack_path."
TOR_L2 = "TorIngress.l2_forward."
TOR_SECURITY = "TorIngress.port_security."
# how many entries each table holds (p4src/include/sizes.p4, through controller/protocol/sizes.py)
TABLE_SIZES = {
    NIC_STATION + "own_mac": ("OWN_MAC_TABLE_SIZE", sizes.OWN_MAC_TABLE_SIZE),
    NIC_TX + "pcie_port": ("PCIE_PORT_TABLE_SIZE", sizes.PCIE_PORT_TABLE_SIZE),
    NIC_TX + "window": ("TX_WINDOW_TABLE_SIZE", sizes.TX_WINDOW_TABLE_SIZE),
    NIC_RX + "peer": ("RX_PEER_TABLE_SIZE", sizes.RX_PEER_TABLE_SIZE),
    NIC_RX + "window": ("RX_WINDOW_TABLE_SIZE", sizes.RX_WINDOW_TABLE_SIZE),
    NIC_ACK + "mailbox": ("MAILBOX_TABLE_SIZE", sizes.MAILBOX_TABLE_SIZE),
    TOR_L2 + "l2": ("L2_TABLE_SIZE", sizes.L2_TABLE_SIZE),
    TOR_SECURITY + "binding": ("PORT_BINDING_TABLE_SIZE", sizes.PORT_BINDING_TABLE_SIZE),
}


@dataclass(frozen=True)
class Match:
    """One match field: exact `value`, or lpm `value/prefix_len`."""

    field: str
    value: int
    prefix_len: int | None = None


@dataclass(frozen=True)
class Entry:
    table: str
    match: tuple[Match, ...]
    action: str
    params: tuple[tuple[str, int], ...]
    priority: int = 0

    def describe(self) -> str:
        keys = ", ".join(
            f"{m.field}={m.value:#x}" + (f"/{m.prefix_len}" if m.prefix_len is not None else "") for m in self.match
        )
        args = ", ".join(f"{name}={value:#x}" for name, value in self.params)
        return f"{self.table} [{keys}] -> {self.action}({args})"


@dataclass(frozen=True)
class McGroup:
    group_id: int
    replicas: tuple[tuple[int, int], ...]  # (port, rid)


@dataclass
class DeviceConfig:
    entries: list[Entry] = field(default_factory=list)
    groups: list[McGroup] = field(default_factory=list)


def mac_to_int(mac: str) -> int:
    return int(mac.replace(":", ""), 16)


def nic_config(nic: NicPlan) -> DeviceConfig:
    config = DeviceConfig()
    add = config.entries.append
    mac = mac_to_int(nic.mac)
    # the NIC's receive filter: unicast frames for any other MAC are dropped before the peer check
    add(Entry(NIC_STATION + "own_mac", (Match("dst_mac", mac),), NIC_STATION + "for_us", ()))
    for acc in nic.accelerators:
        add(Entry(NIC_TX + "pcie_port", (Match("port", acc.pcie_port),), NIC_TX + "set_source",
                  (("accel", acc.id), ("nic_mac", mac))))
        config.groups.append(
            McGroup(nic.ack_group(acc), ((acc.pcie_port, c.RID_DELIVER), (c.NIC_UPLINK_PORT, c.RID_ACK)))
        )
    for tx in nic.tx_windows:
        # the window, and its ACK alias (plan.ACK_ALIAS): the same translation, acknowledged at once
        for base, flags in ((tx.local_base, 0), (tx.ack_base, c.FLAG_ACK_REQ)):
            add(Entry(
                NIC_TX + "window",
                (Match("accel", tx.src.id), Match("addr", prefix_base(base, tx.prefix_len), tx.prefix_len)),
                NIC_TX + "to_peer",
                (("dst_mac", mac_to_int(tx.dst_mac)), ("dst", tx.dst.id), ("window", tx.window_id),
                 ("local_base", base), ("remote_base", tx.remote_base), ("size", tx.size),
                 ("stream", tx.stream), ("flags", flags)),
            ))
    for stream in nic.tx_streams:
        add(Entry(
            NIC_TX + "window",
            (Match("accel", stream.src.id), Match("addr", stream.rewind_address, 62)),
            NIC_TX + "rewind_window",
            (("local_base", stream.rewind_address), ("stream", stream.stream)),
        ))
        add(Entry(
            NIC_ACK + "mailbox",
            (Match("peer", stream.dst.id), Match("accel", stream.src.id), Match("stream_dst", stream.dst.id),
             Match("peer_mac", mac_to_int(stream.dst_mac))),
            NIC_ACK + "to_mailbox",
            (("port", stream.src.pcie_port), ("addr", stream.mailbox_address),
             ("requester_id", NIC_REQUESTER_ID), ("stream", stream.stream), ("slot", stream.slot)),
        ))
    for rx in nic.rx_streams:
        add(Entry(
            NIC_RX + "peer",
            (Match("src", rx.src.id), Match("dst", rx.dst.id), Match("src_mac", mac_to_int(rx.src_mac))),
            NIC_RX + "accept_stream",
            (("stream", rx.stream), ("accel", rx.dst.id), ("port", rx.dst.pcie_port),
             ("ack_group", nic.ack_group(rx.dst)), ("nic_mac", mac)),
        ))
    for win in nic.rx_windows:
        add(Entry(
            NIC_RX + "window",
            (Match("src", win.src.id), Match("accel", win.dst.id), Match("window", win.window_id)),
            NIC_RX + "exported",
            (("base", win.base), ("size", win.size), ("local_base", win.base)),
        ))
    _group_rows(nic, config)
    return config


def _group_rows(nic: NicPlan, config: DeviceConfig) -> None:
    """A sender's window, doorbell and a mailbox row per member; a member's peer and window rows per sender."""
    add = config.entries.append
    mac = mac_to_int(nic.mac)
    for stream in nic.group_tx:
        group = stream.group
        for base, flags in ((stream.local_base, c.FLAG_GROUP), (stream.ack_base, c.FLAG_GROUP | c.FLAG_ACK_REQ)):
            add(Entry(
                NIC_TX + "window",
                (Match("accel", stream.src.id), Match("addr", prefix_base(base, stream.prefix_len), stream.prefix_len)),
                NIC_TX + "to_peer",
                (("dst_mac", mac_to_int(group.mac)), ("dst", group.wire_id), ("window", group.wire_id),
                 ("local_base", base), ("remote_base", group.base), ("size", group.size),
                 ("stream", stream.stream), ("flags", flags)),
            ))
        add(Entry(
            NIC_TX + "window",
            (Match("accel", stream.src.id), Match("addr", stream.rewind_address, 62)),
            NIC_TX + "rewind_window",
            (("local_base", stream.rewind_address), ("stream", stream.stream)),
        ))
        for receiver in stream.receivers:
            add(Entry(
                NIC_ACK + "mailbox",
                (Match("peer", receiver.member.id), Match("accel", stream.src.id), Match("stream_dst", group.wire_id),
                 Match("peer_mac", mac_to_int(receiver.nic_mac))),
                NIC_ACK + "to_mailbox",
                (("port", stream.src.pcie_port), ("addr", receiver.mailbox_address),
                 ("requester_id", NIC_REQUESTER_ID), ("stream", stream.stream), ("slot", receiver.slot)),
            ))
    for rx in nic.group_rx:
        add(Entry(
            NIC_RX + "peer",
            (Match("src", rx.src.id), Match("dst", rx.group.wire_id), Match("src_mac", mac_to_int(rx.src_mac))),
            NIC_RX + "accept_stream",
            (("stream", rx.stream), ("accel", rx.member.id), ("port", rx.member.pcie_port),
             ("ack_group", nic.ack_group(rx.member)), ("nic_mac", mac)),
        ))
        add(Entry(
            NIC_RX + "window",
            (Match("src", rx.src.id), Match("accel", rx.member.id), Match("window", rx.group.wire_id)),
            NIC_RX + "exported",
            (("base", rx.group.base), ("size", rx.group.size), ("local_base", rx.local_base)),
        ))


def check_capacity(plan: Plan) -> None:
    """Raise PlanError when a device would need more entries in a table than the table holds."""
    devices = [(f"server '{name}' (its NIC)", f"servers[{i}]", nic_config(nic))
               for i, (name, nic) in enumerate(plan.nics.items())]
    for device, where, config in [*devices, ("the ToR", "tor", tor_config(plan.tor))]:
        counts: dict[str, int] = {}
        for entry in config.entries:
            counts[entry.table] = counts.get(entry.table, 0) + 1
        for table, count in counts.items():
            name, size = TABLE_SIZES[table]
            if count > size:
                raise PlanError(
                    f"{device} needs {count} entries in table {table}, which holds {size} ({name} in "
                    f"p4src/include/sizes.p4): spread the accelerators or windows over more servers, or raise "
                    f"{name} and rebuild",
                    where,
                )


def tor_config(tor: TorPlan) -> DeviceConfig:
    config = DeviceConfig()
    for mac, port in tor.l2:
        config.entries.append(
            Entry(TOR_L2 + "l2", (Match("dst_mac", mac_to_int(mac)),), TOR_L2 + "forward", (("port", port),))
        )
    # port security: a NIC may send protocol frames only from the port it is cabled to
    for mac, port in tor.l2:
        config.entries.append(
            Entry(TOR_SECURITY + "binding", (Match("port", port), Match("src_mac", mac_to_int(mac))),
                  TOR_SECURITY + "bound", ())
        )
    # group writes: the group MAC goes to the multicast group of the members' ports
    for mac, group_id in tor.group_l2:
        config.entries.append(
            Entry(TOR_L2 + "l2", (Match("dst_mac", mac_to_int(mac)),), TOR_L2 + "multicast", (("group", group_id),))
        )
    config.groups.append(McGroup(c.TOR_FLOOD_GROUP, tuple((port, 0) for port in tor.flood_ports)))
    for group_id, ports in tor.groups:
        config.groups.append(McGroup(group_id, tuple((port, 0) for port in ports)))
    return config
