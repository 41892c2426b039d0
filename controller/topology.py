"""The topology model: servers, their NICs and accelerators, the ToR, exported windows, groups.

A topology file is TOML (read with the standard library):

    name = "pair"

    [tor]
    name = "tor"

    [[servers]]
    name = "server1"
    nic_mac = "02:4a:53:00:00:01"
    tor_port = 1                      # the ToR port the NIC's uplink is cabled to

      [[servers.accelerators]]
      name = "acc1"
      id = 1                          # rack-wide accelerator id, 1..254
      pcie_port = 1                   # the NIC port the accelerator sits on
      memory = "64KiB"

    [[exports]]                       # acc2 lets acc1 write into [0x1000, 0x1000 + 4 KiB) of its memory
    owner = "acc2"
    base = 0x1000
    size = "4KiB"
    peers = ["acc1"]                  # or ["*"] for every other accelerator

    [[groups]]                        # a group write: one write replicated to every member
    name = "allgather"
    id = 1                            # 1..255
    members = ["acc1", "acc2"]        # at most one member per server (the ToR replicates per port)
    size = "4KiB"                     # the group window: every member receives `size` bytes
    base = 0x2000                     # where a member places it in its own memory
    senders = ["acc1"]                # optional: who may write to the group (default: every member)
      [groups.bases]                  # optional: a member placing the window elsewhere than `base`
      acc2 = 0x3000

A group window is exported by every member to every sender other than itself, under one window id for
the whole group; senders write at offsets `0 .. size` of it, and each member's NIC re-bases the write to
that member's own base. A sender is not sent its own writes (the ToR never sends a frame back out of the
port it came in on), so a sender that is not a member may not share a server with a member.

`load(path)` checks everything and raises `TopologyError` naming the file, the entry and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.protocol import constants as c

MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
SIZE_RE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$")
SIZE_UNITS = {None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}

ACCELERATOR_IDS = range(1, 255)
PORTS = range(0, 511)
# NIC ports that carry no accelerator (p4src/include/defines.p4)
RESERVED_NIC_PORTS = {c.NIC_UPLINK_PORT: "uplink", c.CPU_PORT: "CPU port (the controller's packet-ins and orders)"}


class TopologyError(ValueError):
    """A topology file that cannot be used; the message names file, entry and key."""


@dataclass(frozen=True)
class Accelerator:
    name: str
    id: int
    pcie_port: int
    memory: int
    server: str


@dataclass(frozen=True)
class Server:
    name: str
    nic_mac: str
    tor_port: int
    accelerators: tuple[Accelerator, ...]


@dataclass(frozen=True)
class Export:
    owner: str
    base: int
    size: int
    peers: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    name: str
    id: int
    members: tuple[str, ...]
    size: int
    base: int
    senders: tuple[str, ...]
    bases: tuple[tuple[str, int], ...] = ()  # (member, base) where a member's base is not `base`

    def base_of(self, member: str) -> int:
        """Where `member` places the group window in its memory."""
        return dict(self.bases).get(member, self.base)


@dataclass(frozen=True)
class Topology:
    name: str
    tor_name: str
    servers: tuple[Server, ...]
    exports: tuple[Export, ...]
    groups: tuple[Group, ...]

    @property
    def accelerators(self) -> dict[str, Accelerator]:
        return {acc.name: acc for server in self.servers for acc in server.accelerators}

    def server_of(self, accelerator: str) -> Server:
        for server in self.servers:
            if any(acc.name == accelerator for acc in server.accelerators):
                return server
        raise KeyError(accelerator)


class _Reader:
    """Typed access to one table of the file, with errors that say where."""

    def __init__(self, source: str, where: str, table: Any) -> None:
        self.source = source
        self.where = where
        if not isinstance(table, dict):
            self.fail(f"must be a table, got {_kind(table)}")
        self.table: dict[str, Any] = table

    def fail(self, message: str, key: str | None = None) -> TopologyError:
        at = f"{self.where}.{key}" if key and self.where else (key or self.where or "top level")
        raise TopologyError(f"{self.source}: {at}: {message}")

    def get(self, key: str, default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                self.fail("missing", key)
            return default
        return self.table[key]

    def string(self, key: str, default: Any = ...) -> str:
        value = self.get(key, default)
        if not isinstance(value, str) or not value:
            self.fail(f"must be a non-empty string, got {value!r}", key)
        return value

    def integer(self, key: str, allowed: range, default: Any = ...) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            self.fail(f"must be an integer in {allowed.start}..{allowed.stop - 1}, got {value!r}", key)
        return value

    def size(self, key: str) -> int:
        value = self.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and (m := SIZE_RE.match(value)):
            number = int(m.group(1)) * SIZE_UNITS[m.group(2)]
        else:
            self.fail(f"must be a size such as 4096 or \"64KiB\", got {value!r}", key)
        if number <= 0:
            self.fail(f"must be positive, got {value!r}", key)
        return number

    def tables(self, key: str) -> list[_Reader]:
        value = self.get(key, [])
        if not isinstance(value, list):
            self.fail(f"must be an array of tables ([[{key}]]), got {_kind(value)}", key)
        prefix = f"{self.where}.{key}" if self.where else key
        return [_Reader(self.source, f"{prefix}[{i}]", item) for i, item in enumerate(value)]

    def names(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
            self.fail(f"must be a non-empty list of names, got {value!r}", key)
        return tuple(value)


def _kind(value: Any) -> str:
    return type(value).__name__


def load(path: str | Path) -> Topology:
    """Read and check a topology file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise TopologyError(f"{path}: cannot read: {exc.strerror}") from None
    return parse(text, source=str(path))


def parse(text: str, source: str = "<topology>") -> Topology:
    """Check a topology given as TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TopologyError(f"{source}: not valid TOML: {exc}") from None
    top = _Reader(source, "", data)
    name = top.string("name")
    tor = _Reader(source, "tor", top.get("tor", {"name": "tor"}))
    tor_name = tor.string("name", "tor")

    servers: list[Server] = []
    seen: dict[str, str] = {}
    ids: dict[int, str] = {}
    macs: dict[str, str] = {}
    tor_ports: dict[int, str] = {}
    for srv in top.tables("servers"):
        server_name = srv.string("name")
        mac = srv.string("nic_mac").lower()
        if not MAC_RE.match(mac):
            srv.fail(f"must be a MAC address like 02:00:00:00:00:01, got {mac!r}", "nic_mac")
        if int(mac[:2], 16) & 1:
            srv.fail(f"{mac} is a multicast address; a NIC needs a unicast one", "nic_mac")
        if mac in macs:
            srv.fail(f"{mac} is already the MAC of server '{macs[mac]}'", "nic_mac")
        macs[mac] = server_name
        tor_port = srv.integer("tor_port", PORTS)
        if tor_port in tor_ports:
            srv.fail(f"ToR port {tor_port} is already cabled to server '{tor_ports[tor_port]}'", "tor_port")
        tor_ports[tor_port] = server_name
        _unique(srv, "name", server_name, seen)
        accs: list[Accelerator] = []
        pcie_ports: set[int] = set()
        for acc in srv.tables("accelerators"):
            acc_name = acc.string("name")
            _unique(acc, "name", acc_name, seen)
            acc_id = acc.integer("id", ACCELERATOR_IDS)
            if acc_id in ids:
                acc.fail(f"id {acc_id} is already accelerator '{ids[acc_id]}'", "id")
            ids[acc_id] = acc_name
            port = acc.integer("pcie_port", PORTS)
            if port in RESERVED_NIC_PORTS:
                acc.fail(f"port {port} is the NIC's {RESERVED_NIC_PORTS[port]}, not a PCIe port", "pcie_port")
            if port in pcie_ports:
                acc.fail(f"PCIe port {port} is used twice on server '{server_name}'", "pcie_port")
            pcie_ports.add(port)
            accs.append(Accelerator(acc_name, acc_id, port, acc.size("memory"), server_name))
        if not accs:
            srv.fail("a server needs at least one [[servers.accelerators]] entry")
        servers.append(Server(server_name, mac, tor_port, tuple(accs)))
    if not servers:
        top.fail("a topology needs at least one [[servers]] entry")
    by_name = {acc.name: acc for server in servers for acc in server.accelerators}

    exports: list[Export] = []
    for exp in top.tables("exports"):
        owner = exp.string("owner")
        if owner not in by_name:
            exp.fail(f"no accelerator named '{owner}'{_did_you_mean(owner, by_name)}", "owner")
        base = exp.integer("base", range(0, 1 << 64))
        size = exp.size("size")
        if base + size > by_name[owner].memory:
            exp.fail(
                f"window [{base:#x}, {base + size:#x}) is outside {owner}'s memory of {by_name[owner].memory} bytes",
                "size",
            )
        peers = exp.names("peers")
        if peers == ("*",):
            peers = tuple(n for n in by_name if n != owner)
        for peer in peers:
            if peer not in by_name:
                exp.fail(f"no accelerator named '{peer}'{_did_you_mean(peer, by_name)}", "peers")
            if peer == owner:
                exp.fail(f"'{owner}' cannot export a window to itself", "peers")
        for other in exports:
            if other.owner == owner and base < other.base + other.size and other.base < base + size:
                exp.fail(f"window overlaps another window of '{owner}' at {other.base:#x}", "base")
        exports.append(Export(owner, base, size, peers))

    groups: list[Group] = []
    group_ids: dict[int, str] = {}
    group_names: dict[str, str] = {}
    server_of = {acc.name: acc.server for acc in by_name.values()}
    for grp in top.tables("groups"):
        group_name = grp.string("name")
        if group_name in seen or group_name in group_names:
            grp.fail(f"the name '{group_name}' is already used by {seen.get(group_name) or group_names[group_name]}",
                     "name")
        group_names[group_name] = grp.where
        group_id = grp.integer("id", range(1, 256))
        if group_id in group_ids:
            grp.fail(f"group id {group_id} is already group '{group_ids[group_id]}'", "id")
        group_ids[group_id] = group_name
        members = grp.names("members")
        member_on: dict[str, str] = {}
        for member in members:
            if member not in by_name:
                grp.fail(f"no accelerator named '{member}'{_did_you_mean(member, by_name)}", "members")
            server = server_of[member]
            if server in member_on:
                twin = member_on[server]
                grp.fail(
                    f"'{member}' and '{twin}' are both on server '{server}': a group has at most one member per "
                    "server (the ToR replicates a group write once per port)" if twin != member
                    else f"'{member}' is listed twice",
                    "members",
                )
            member_on[server] = member
        size = grp.size("size")
        base = grp.integer("base", range(0, 1 << 64))
        senders = grp.names("senders") if "senders" in grp.table else members
        for sender in senders:
            if sender not in by_name:
                grp.fail(f"no accelerator named '{sender}'{_did_you_mean(sender, by_name)}", "senders")
            shared = member_on.get(server_of[sender])
            if shared is not None and shared != sender:
                grp.fail(
                    f"sender '{sender}' shares server '{server_of[sender]}' with member '{shared}', which would never "
                    "receive its writes (the ToR does not send a frame back out of the port it came in on)",
                    "senders",
                )
        if len(set(senders)) != len(senders):
            grp.fail("a sender is listed twice", "senders")
        for sender in senders:
            if not any(m != sender for m in members):
                grp.fail(f"sender '{sender}' has no member other than itself to write to", "senders")
        bases_table = _Reader(source, f"{grp.where}.bases", grp.get("bases", {}))
        bases: list[tuple[str, int]] = []
        for member in bases_table.table:
            if member not in members:
                bases_table.fail(f"'{member}' is not a member of group '{group_name}'", member)
            bases.append((member, bases_table.integer(member, range(0, 1 << 64))))
        group = Group(group_name, group_id, tuple(members), size, base, tuple(senders), tuple(bases))
        for member in members:
            spec = by_name[member]
            at = group.base_of(member)
            where = "bases" if member in dict(bases) else "base"
            if at + size > spec.memory:
                grp.fail(f"group window [{at:#x}, {at + size:#x}) is outside {member}'s memory of {spec.memory} bytes",
                         where)
            for export in exports:
                if export.owner == member and at < export.base + export.size and export.base < at + size:
                    grp.fail(f"group window of '{member}' at {at:#x} overlaps its window at {export.base:#x}", where)
            for earlier in groups:
                if member in earlier.members:
                    o = earlier.base_of(member)
                    if at < o + earlier.size and o < at + size:
                        grp.fail(f"group window of '{member}' at {at:#x} overlaps its window of group '{earlier.name}' "
                                 f"at {o:#x}", where)
        groups.append(group)

    return Topology(name, tor_name, tuple(servers), tuple(exports), tuple(groups))


def _unique(reader: _Reader, key: str, name: str, seen: dict[str, str]) -> None:
    if name in seen:
        reader.fail(f"the name '{name}' is already used by {seen[name]}", key)
    seen[name] = reader.where


def _did_you_mean(name: str, known: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""
