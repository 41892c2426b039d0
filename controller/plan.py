"""The address plan: from a topology to what every NIC and the ToR must hold.

Windows. Every exported window of a destination accelerator gets a window id (its index among the owner's
exports, from 1). Every accelerator allowed to write into it gets a transmit window in its own NIC's BAR
space, inside a naturally aligned block (a power of two) so that one prefix match on the write's address
finds it. A write at `tx.local_base + offset` lands at `export.base + offset` in the owner's memory, if
`offset + length <= export.size`. The window starts at the same offset in its 4 KiB page as the export
(`local_base % 4096 == export.base % 4096`), so the translation never moves a write across a page line:
a write PCIe allows (no request crosses 4 KiB) stays allowed where it lands. For the same reason every
member of a group keeps the group window at the group base's offset in the page.

The ACK alias. Every transmit window appears a second time, `ACK_ALIAS` higher in the sender's BAR space
(`ack_base`): the same window, stream and translation, but the NIC marks what is written there
`FLAG_ACK_REQ`, so the receiver acknowledges it at once. An accelerator writes the last TLP of a burst
through the alias, and its writes are acknowledged one round trip after that TLP arrived, with no timer
(docs/protocol.md, "Acknowledging the tail of a burst"). Transmit windows of one server must therefore end
below `BAR_BASE + ACK_ALIAS`.

Streams. A stream is (source accelerator, destination accelerator). Each NIC numbers the streams it sends
(index of its `next_seq` register) and, separately, the streams it receives (index of its `expected`
register), from 0 in topology order.

Go-back-N plumbing. Each sending stream has a rewind doorbell (one DW at `REWIND_BASE + 4 * tx stream`
in the sender's BAR space) and a mailbox slot (8 bytes at `mailbox + 8 * tx stream` in the sender's own
memory) where its NIC writes the stream's ACKs and NACKs. Each accelerator has an ACK multicast group on
its NIC (deliver the write on PCIe, send the ACK on the uplink), numbered `ACK_GROUP_BASE + accelerator id`.

Groups. Topology group n is, on the wire, destination `GROUP_DST_BASE + n` (in the stream header's `dst`
and, in its ACKs, `stream_dst`; accelerator ids stay below it) sent to the group MAC `group_mac(n)`
(multicast bit set), which the ToR maps to its multicast group `TOR_GROUP_BASE + n` of the members' ports.
Every member exports the group window to every sender other than itself under one window id,
`GROUP_DST_BASE + n` as well (unicast window ids count from 1 per owner, so they never meet it); the
senders write to `group.base`, and each member's NIC re-bases to that member's own base. Each sender has
one sending stream to the group (one `next_seq`, one rewind doorbell) and one mailbox slot per member it
writes to: the mailbox rows of the stream (peer = member, stream_dst = the group's wire id, peer_mac =
the member's NIC) each point at the member's own slot, so a member's ACKs and NACKs never overwrite
another's and the accelerator knows which member said what (the message carries `peer` too). Each member
numbers the stream from each sender as one more receiving stream. Group streams and slots are numbered
after every unicast one, so adding a group moves no unicast stream.

Pure computation: no P4Runtime and no switch here, so the same plan drives the in-process demo, the
P4Runtime controller and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from controller.topology import Accelerator, Group, Topology

BAR_BASE = 0x0000_2000_0000_0000  # where transmit windows start in each accelerator's view of its NIC
ACK_ALIAS = 0x0000_1000_0000_0000  # a transmit window's ACK alias is this much above it (16 TiB of windows)
REWIND_BASE = 0x0000_1000_0000_0000  # rewind doorbells, one DW per sending stream
PAGE_BYTES = 4096  # PCIe: no request crosses a 4 KiB boundary
MAILBOX_BYTES = 8
MAILBOX_AREA = 1024  # at the top of each accelerator's memory: 128 mailbox slots
ACK_GROUP_BASE = 256  # NIC multicast group of accelerator n: ACK_GROUP_BASE + n
NIC_REQUESTER_ID = 0x0100  # the requester id the NIC uses for the mailbox writes it makes
STREAM_COUNT = 128
TOR_GROUP_BASE = 16  # ToR multicast group of topology group n (TOR_FLOOD_GROUP stays below)
GROUP_DST_BASE = 0x8000  # topology group n is destination (and window id) GROUP_DST_BASE + n on the wire
GROUP_MAC_BASE = 0x03_4A_53_80_00_00  # group n's MAC: GROUP_MAC_BASE + n (multicast bit set, locally administered)


def group_mac(group_id: int) -> str:
    """The multicast MAC a group write of topology group `group_id` is sent to."""
    value = f"{GROUP_MAC_BASE + group_id:012x}"
    return ":".join(value[i : i + 2] for i in range(0, 12, 2))


class PlanError(ValueError):
    """A topology that is valid on its own but cannot be laid out (too many streams, overlaps).

    `where` is the path of the topology entry at fault (`exports[1].size`, `servers[0]`); `compute` puts
    that entry's `file:line: ` in front of the message when the topology was read from a file.
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class TxWindow:
    """A row of the sending NIC's window table: `src` writes here to reach `dst`'s window."""

    src: Accelerator
    local_base: int  # naturally aligned; the prefix is `prefix_len` bits of a 64-bit address
    prefix_len: int
    size: int  # bytes that may be written, from local_base
    dst: Accelerator
    dst_mac: str
    window_id: int
    remote_base: int
    stream: int  # sender-side stream index

    @property
    def ack_base(self) -> int:
        """The window's ACK alias: a write here is acknowledged at once (`FLAG_ACK_REQ`)."""
        return self.local_base + ACK_ALIAS


@dataclass(frozen=True)
class TxStream:
    """A sending stream and its go-back-N plumbing on the sender's NIC."""

    src: Accelerator
    dst: Accelerator
    stream: int
    rewind_address: int  # in src's BAR space
    mailbox_address: int  # in src's memory
    dst_mac: str  # the NIC of dst: its ACKs and NACKs come from this MAC only

    @property
    def slot(self) -> int:
        """The stream's mailbox slot on its NIC (index of `ack_path.acked`): unicast stream n has slot n."""
        return self.stream


@dataclass(frozen=True)
class RxStream:
    """A row of the receiving NIC's peer table: `src` may send to local accelerator `dst`."""

    src: Accelerator
    src_mac: str
    dst: Accelerator
    stream: int  # receiver-side stream index


@dataclass(frozen=True)
class RxWindow:
    """A row of the receiving NIC's export table: `src` may write [base, base + size) of `dst`."""

    src: Accelerator
    dst: Accelerator
    window_id: int
    base: int
    size: int


@dataclass(frozen=True)
class GroupMember:
    """A member of a group and where it keeps the group window."""

    accelerator: Accelerator
    nic_mac: str
    base: int  # in the member's memory


@dataclass(frozen=True)
class GroupPlan:
    """A group write as the wire and the ToR see it."""

    name: str
    id: int  # as in the topology
    wire_id: int  # GROUP_DST_BASE + id: the frames' dst, the ACKs' stream_dst, the members' window id
    mac: str  # group_mac(id)
    tor_group: int  # TOR_GROUP_BASE + id
    base: int  # the address senders write to (remote_base); members re-base
    size: int
    members: tuple[GroupMember, ...]
    senders: tuple[Accelerator, ...]

    def member(self, name: str) -> GroupMember:
        for member in self.members:
            if member.accelerator.name == name:
                return member
        raise KeyError(f"'{name}' is not a member of group '{self.name}'")


@dataclass(frozen=True)
class GroupReceiver:
    """One member a group stream goes to, and the sender's mailbox slot for that member's ACKs and NACKs."""

    member: Accelerator
    nic_mac: str
    mailbox_address: int  # in the sender's memory
    slot: int  # the slot's number on the sender's NIC (index of its `acked` register)


@dataclass(frozen=True)
class GroupTxStream:
    """A sender's stream to a group, on the sender's NIC: its transmit window, doorbell and mailbox slots."""

    src: Accelerator
    group: GroupPlan
    stream: int  # sender-side stream index
    local_base: int  # the transmit window in src's BAR space, naturally aligned
    prefix_len: int
    rewind_address: int  # in src's BAR space
    receivers: tuple[GroupReceiver, ...]  # every member but src

    @property
    def ack_base(self) -> int:
        """The window's ACK alias: a write here is acknowledged at once by every member."""
        return self.local_base + ACK_ALIAS


@dataclass(frozen=True)
class GroupRxStream:
    """A member's receiving stream from one sender of the group: peer and window rows on the member's NIC."""

    src: Accelerator
    src_mac: str
    member: Accelerator
    group: GroupPlan
    stream: int  # receiver-side stream index
    local_base: int  # where the member keeps the group window


@dataclass(frozen=True)
class NicPlan:
    server: str
    mac: str
    accelerators: tuple[Accelerator, ...]
    tx_windows: tuple[TxWindow, ...]
    tx_streams: tuple[TxStream, ...]
    rx_streams: tuple[RxStream, ...]
    rx_windows: tuple[RxWindow, ...]
    group_tx: tuple[GroupTxStream, ...] = ()
    group_rx: tuple[GroupRxStream, ...] = ()

    def ack_group(self, accelerator: Accelerator) -> int:
        return ACK_GROUP_BASE + accelerator.id


@dataclass(frozen=True)
class TorPlan:
    l2: tuple[tuple[str, int], ...]  # (MAC, port)
    flood_ports: tuple[int, ...]
    groups: tuple[tuple[int, tuple[int, ...]], ...]  # (group id, ports)
    group_l2: tuple[tuple[str, int], ...] = ()  # (group MAC, multicast group id)


@dataclass(frozen=True)
class Plan:
    nics: dict[str, NicPlan]
    tor: TorPlan
    groups: dict[str, GroupPlan] = field(default_factory=dict)  # by name

    def group_stream(self, src: str, group: str) -> GroupTxStream:
        """The stream (and transmit window) `src` writes to `group` through."""
        for nic in self.nics.values():
            for stream in nic.group_tx:
                if stream.src.name == src and stream.group.name == group:
                    return stream
        raise KeyError(f"'{src}' does not send to group '{group}'")

    def tx_window(self, src: str, dst: str, window_id: int = 1, *, remote_base: int | None = None) -> TxWindow:
        """The transmit window `src` uses to write into `dst`'s window `window_id` (or, when `remote_base` is
        given, into the window of `dst` that starts there)."""
        for nic in self.nics.values():
            for tx in nic.tx_windows:
                if tx.src.name != src or tx.dst.name != dst:
                    continue
                if tx.window_id == window_id if remote_base is None else tx.remote_base == remote_base:
                    return tx
        which = f"window {window_id}" if remote_base is None else f"the window at {remote_base:#x}"
        raise KeyError(f"no window from '{src}' into '{dst}' ({which})")

    def tx_stream(self, src: str, dst: str) -> TxStream:
        for nic in self.nics.values():
            for stream in nic.tx_streams:
                if stream.src.name == src and stream.dst.name == dst:
                    return stream
        raise KeyError(f"no stream from '{src}' to '{dst}'")


def _aligned_block(size: int) -> int:
    return 1 << max(size - 1, 1).bit_length()


def prefix_base(address: int, prefix_len: int) -> int:
    """The aligned block a prefix of `prefix_len` bits names around `address` (a window's local base may sit
    at an offset in its block: its offset in the 4 KiB page)."""
    return address & ~((1 << (64 - prefix_len)) - 1)


def _place(next_base: dict[str, int], server: str, size: int, page_offset: int) -> tuple[int, int]:
    """(local base, prefix length) of a new transmit window of `size` bytes in `server`'s BAR space,
    starting at `page_offset` in its 4 KiB page."""
    block = _aligned_block(size + page_offset)
    base = (next_base[server] + block - 1) // block * block
    next_base[server] = base + block
    return base + page_offset, 64 - (block.bit_length() - 1)


def mailbox_base(accelerator: Accelerator) -> int:
    return accelerator.memory - MAILBOX_AREA


_FEWER = "give it fewer peers, or spread its accelerators over more servers"


def compute(topology: Topology) -> Plan:
    """The address plan of `topology`; PlanError, located in its file, when it cannot be laid out."""
    try:
        return _compute(topology)
    except PlanError as exc:
        raise PlanError(topology.located(exc.where, str(exc)), exc.where) from None


def _compute(topology: Topology) -> Plan:
    server_path = {server.name: f"servers[{i}]" for i, server in enumerate(topology.servers)}
    group_path = {group.name: f"groups[{i}]" for i, group in enumerate(topology.groups)}
    accs = topology.accelerators
    mac_of = {acc.name: server.nic_mac for server in topology.servers for acc in server.accelerators}
    servers = [server.name for server in topology.servers]

    window_ids: dict[int, int] = {}
    per_owner: dict[str, int] = {}
    for i, export in enumerate(topology.exports):
        owner = accs[export.owner]
        if export.base + export.size > mailbox_base(owner):
            raise PlanError(
                f"exports[{i}]: window [{export.base:#x}, {export.base + export.size:#x}) of '{owner.name}' "
                f"overlaps its mailbox area [{mailbox_base(owner):#x}, {owner.memory:#x}) where the NIC writes "
                f"ACKs; end the window at {mailbox_base(owner):#x} or give '{owner.name}' more memory",
                f"exports[{i}].size",
            )
        per_owner[export.owner] = per_owner.get(export.owner, 0) + 1
        window_ids[i] = per_owner[export.owner]

    tx_streams: dict[str, dict[tuple[str, str], TxStream]] = {s: {} for s in servers}
    rx_streams: dict[str, dict[tuple[str, str], RxStream]] = {s: {} for s in servers}
    tx_windows: dict[str, list[TxWindow]] = {s: [] for s in servers}
    rx_windows: dict[str, list[RxWindow]] = {s: [] for s in servers}
    next_base = dict.fromkeys(servers, BAR_BASE)

    for i, export in enumerate(topology.exports):
        owner = accs[export.owner]
        for peer_name in export.peers:
            src = accs[peer_name]
            if src.server == owner.server:
                raise PlanError(
                    f"exports[{i}]: '{src.name}' and '{owner.name}' sit behind the same NIC (server "
                    f"'{owner.server}'): the NIC sends every write to the ToR, which never sends a frame back "
                    "out of the port it came in on, so the write could not arrive; put them on different "
                    "servers or leave the export out",
                    f"exports[{i}].peers",
                )
            pair = (src.name, owner.name)
            tx = tx_streams[src.server]
            if pair not in tx:
                index = len(tx)
                if index >= min(STREAM_COUNT, MAILBOX_AREA // MAILBOX_BYTES):
                    raise PlanError(f"server '{src.server}' would send more than {STREAM_COUNT} streams: {_FEWER}",
                                    server_path[src.server])
                tx[pair] = TxStream(
                    src,
                    owner,
                    index,
                    REWIND_BASE + 4 * index,
                    mailbox_base(src) + MAILBOX_BYTES * index,
                    dst_mac=mac_of[owner.name],
                )
            rx = rx_streams[owner.server]
            if pair not in rx:
                if len(rx) >= STREAM_COUNT:
                    raise PlanError(f"server '{owner.server}' would receive more than {STREAM_COUNT} streams: "
                                    f"{_FEWER}", server_path[owner.server])
                rx[pair] = RxStream(src, mac_of[src.name], owner, len(rx))
            base, prefix_len = _place(next_base, src.server, export.size, export.base % PAGE_BYTES)
            tx_windows[src.server].append(
                TxWindow(
                    src=src,
                    local_base=base,
                    prefix_len=prefix_len,
                    size=export.size,
                    dst=owner,
                    dst_mac=mac_of[owner.name],
                    window_id=window_ids[i],
                    remote_base=export.base,
                    stream=tx[pair].stream,
                )
            )
            rx_windows[owner.server].append(RxWindow(src, owner, window_ids[i], export.base, export.size))

    groups = {group.name: _group_plan(group, topology) for group in topology.groups}
    group_tx: dict[str, list[GroupTxStream]] = {s: [] for s in servers}
    group_rx: dict[str, list[GroupRxStream]] = {s: [] for s in servers}
    slots = {s: len(tx_streams[s]) for s in servers}  # unicast stream n has slot n
    rx_count = {s: len(rx_streams[s]) for s in servers}
    for group in groups.values():
        for member in group.members:
            if member.base % PAGE_BYTES != group.base % PAGE_BYTES:
                raise PlanError(
                    f"group '{group.name}': '{member.accelerator.name}' keeps the group window at "
                    f"{member.base:#x}, at another offset in its 4 KiB page than the group's base {group.base:#x} "
                    "(a write that fits one page would cross into the next where it lands); give it a base "
                    f"whose low 12 bits are {group.base % PAGE_BYTES:#05x}",
                    f"{group_path[group.name]}.bases.{member.accelerator.name}",
                )
        for src in group.senders:
            server = src.server
            index = len(tx_streams[server]) + len(group_tx[server])
            if index >= STREAM_COUNT:
                raise PlanError(f"server '{server}' would send more than {STREAM_COUNT} streams: {_FEWER}",
                                server_path[server])
            receivers = []
            for member in group.members:
                if member.accelerator.name == src.name:
                    continue
                if slots[server] >= MAILBOX_AREA // MAILBOX_BYTES:
                    raise PlanError(
                        f"server '{server}' would need more than {MAILBOX_AREA // MAILBOX_BYTES} mailbox slots "
                        f"(group '{group.name}'): {_FEWER}",
                        server_path[server],
                    )
                receivers.append(
                    GroupReceiver(member.accelerator, member.nic_mac, mailbox_base(src) + MAILBOX_BYTES * slots[server],
                                  slots[server])
                )
                slots[server] += 1
                member_server = member.accelerator.server
                if rx_count[member_server] >= STREAM_COUNT:
                    raise PlanError(f"server '{member_server}' would receive more than {STREAM_COUNT} streams: "
                                    f"{_FEWER}", server_path[member_server])
                member_rx = GroupRxStream(
                    src, mac_of[src.name], member.accelerator, group, rx_count[member_server], member.base
                )
                group_rx[member_server].append(member_rx)
                rx_count[member_server] += 1
            base, prefix_len = _place(next_base, server, group.size, group.base % PAGE_BYTES)
            group_tx[server].append(
                GroupTxStream(src, group, index, base, prefix_len, REWIND_BASE + 4 * index, tuple(receivers))
            )
        for member in group.members:
            if member.base + group.size > mailbox_base(member.accelerator):
                raise PlanError(
                    f"group '{group.name}': window [{member.base:#x}, {member.base + group.size:#x}) of "
                    f"'{member.accelerator.name}' overlaps its mailbox area "
                    f"[{mailbox_base(member.accelerator):#x}, {member.accelerator.memory:#x}) where the NIC writes "
                    f"ACKs; make the group smaller or give '{member.accelerator.name}' more memory",
                    f"{group_path[group.name]}.size",
                )

    for server_name, end in next_base.items():
        if end > BAR_BASE + ACK_ALIAS:
            raise PlanError(
                f"server '{server_name}': its transmit windows need {end - BAR_BASE:#x} bytes of BAR space, "
                f"more than the {ACK_ALIAS:#x} below their ACK aliases: make its windows smaller or fewer",
                server_path[server_name],
            )

    nics = {
        server.name: NicPlan(
            server=server.name,
            mac=server.nic_mac,
            accelerators=server.accelerators,
            tx_windows=tuple(tx_windows[server.name]),
            tx_streams=tuple(tx_streams[server.name].values()),
            rx_streams=tuple(rx_streams[server.name].values()),
            rx_windows=tuple(rx_windows[server.name]),
            group_tx=tuple(group_tx[server.name]),
            group_rx=tuple(group_rx[server.name]),
        )
        for server in topology.servers
    }
    port_of = {server.nic_mac: server.tor_port for server in topology.servers}
    tor_groups = tuple(
        (TOR_GROUP_BASE + group.id, tuple(sorted({port_of[mac_of[m]] for m in group.members})))
        for group in topology.groups
    )
    tor = TorPlan(
        l2=tuple(sorted(port_of.items())),
        flood_ports=tuple(sorted(port_of.values())),
        groups=tor_groups,
        group_l2=tuple((group.mac, group.tor_group) for group in groups.values()),
    )
    the_plan = Plan(nics, tor, groups)
    from controller.entries import check_capacity  # entries is built on this module

    check_capacity(the_plan)
    return the_plan


def _group_plan(group: Group, topology: Topology) -> GroupPlan:
    accs = topology.accelerators
    members = tuple(
        GroupMember(accs[name], topology.server_of(name).nic_mac, group.base_of(name)) for name in group.members
    )
    return GroupPlan(
        name=group.name,
        id=group.id,
        wire_id=GROUP_DST_BASE + group.id,
        mac=group_mac(group.id),
        tor_group=TOR_GROUP_BASE + group.id,
        base=group.base,
        size=group.size,
        members=members,
        senders=tuple(accs[name] for name in group.senders),
    )
