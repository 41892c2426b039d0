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

`load(path)` checks everything and raises `TopologyError`, one line: `file:line: entry.key: what is wrong,
why, and the fix` (tomllib gives no positions, so `_Lines` finds each table's and key's line in the text).
Unknown keys are refused (with the closest known one), as are bases and sizes that are not whole DWs
(4 bytes: a TLP moves DWs) and memories too small for the mailbox area or beyond 64-bit addresses.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.protocol import constants as c
from softp4.cliargs import did_you_mean

MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
# names go on command lines (`--device NAME=HOST:PORT@ID`), into file names and into P4Runtime logs
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
SIZE_RE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$")
SIZE_UNITS = {None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}

ACCELERATOR_IDS = range(1, 255)
PORTS = range(0, 511)
_INDEX = re.compile(r"\[\d+\]")
DW = 4  # bytes: a TLP addresses and moves whole DWs, so every base and size is a multiple of 4
ADDRESS_SPACE = 1 << 64  # TLP addresses are 64 bits
# the keys each table may hold
TOP_KEYS = ("name", "tor", "servers", "exports", "groups")
TOR_KEYS = ("name",)
SERVER_KEYS = ("name", "nic_mac", "tor_port", "accelerators")
ACCELERATOR_KEYS = ("name", "id", "pcie_port", "memory")
EXPORT_KEYS = ("owner", "base", "size", "peers")
GROUP_KEYS = ("name", "id", "members", "size", "base", "senders", "bases")
# NIC ports that carry no accelerator (p4src/include/defines.p4)
RESERVED_NIC_PORTS = {c.NIC_UPLINK_PORT: "uplink", c.CPU_PORT: "CPU port (the controller's packet-ins and orders)"}
# ToR ports that carry no server: every switch runs with --cpu-port CPU_PORT (the testbed, the docs' commands)
RESERVED_TOR_PORTS = {c.CPU_PORT: "CPU port (its frames go to the controller, not to a cable)"}


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
    source: str = ""  # the file it was read from, for messages
    lines: _Lines | None = field(default=None, compare=False, repr=False)

    def located(self, path: str, message: str) -> str:
        """`message` prefixed with `file:line: ` of `path` (e.g. `exports[1].size`) when the file is known."""
        if not self.source or self.lines is None:
            return message
        return f"{self.source}:{self.lines.line(path)}: {message}"

    @property
    def accelerators(self) -> dict[str, Accelerator]:
        return {acc.name: acc for server in self.servers for acc in server.accelerators}

    def server_of(self, accelerator: str) -> Server:
        for server in self.servers:
            if any(acc.name == accelerator for acc in server.accelerators):
                return server
        raise KeyError(accelerator)


class _Lines:
    """The line where each table and key of a TOML text is written, by its path (`servers[1].tor_port`).

    A light scan of the text, enough for the files `parse` accepts: table headers, array-of-tables headers,
    `key = value` lines (dotted keys too), values running over several lines (arrays, multi-line strings).
    """

    _HEADER = re.compile(r"^(\[\[?)\s*([^\[\]]+?)\s*\]\]?$")
    _PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
    _KEY = re.compile(rf"^({_PART}(?:\s*\.\s*{_PART})*)\s*=(.*)$")

    def __init__(self, text: str) -> None:
        self.at: dict[str, int] = {}
        arrays: dict[str, int] = {}  # array-of-tables path -> index of its last table
        table = ""
        depth = 0  # brackets still open in a value that runs over several lines
        in_string: str | None = None  # the delimiter of a multi-line string still open
        for lineno, raw in enumerate(text.splitlines(), start=1):
            if in_string is not None or depth:
                depth, in_string = self._scan(raw, depth, in_string)
                continue
            line = raw.strip()
            header = self._HEADER.match(line.split("#", 1)[0].strip())
            if header:
                parts = self._keys(header.group(2))
                path = ""
                for part in parts[:-1]:
                    path = f"{path}.{part}" if path else part
                    if path in arrays:
                        path = f"{path}[{arrays[path]}]"
                path = f"{path}.{parts[-1]}" if path else parts[-1]
                if header.group(1) == "[[":
                    arrays[path] = arrays.get(path, -1) + 1
                    self.at.setdefault(path, lineno)
                    path = f"{path}[{arrays[path]}]"
                table = path
                self.at.setdefault(table, lineno)
                continue
            key = self._KEY.match(line)
            if key:
                name = ".".join(self._keys(key.group(1)))
                self.at.setdefault(f"{table}.{name}" if table else name, lineno)
                depth, in_string = self._scan(key.group(2), 0, None)

    @staticmethod
    def _keys(dotted: str) -> list[str]:
        return [part.strip().strip("\"'") for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]

    @staticmethod
    def _scan(value: str, depth: int, in_string: str | None) -> tuple[int, str | None]:
        """Brackets left open and the multi-line string left open after `value` (comments and strings skipped)."""
        i = 0
        while i < len(value):
            if in_string is not None:
                end = value.find(in_string, i)
                if end < 0:
                    return depth, in_string
                i, in_string = end + len(in_string), None
                continue
            ch = value[i]
            if value.startswith('"""', i) or value.startswith("'''", i):
                in_string = value[i : i + 3]
                i += 3
            elif ch in "\"'":
                end = i + 1
                while end < len(value) and value[end] != ch:
                    end += 2 if ch == '"' and value[end] == "\\" else 1
                i = end + 1
            elif ch == "#":
                break
            else:
                depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(ch, 0)
                i += 1
        return max(depth, 0), in_string

    def line(self, path: str) -> int:
        """The line of `path`, else of the nearest enclosing table that is written, else 1."""
        while path:
            if path in self.at:
                return self.at[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return 1


class _Reader:
    """Typed access to one table of the file, with errors that say where."""

    def __init__(self, source: str, lines: _Lines, where: str, table: Any, keys: tuple[str, ...]) -> None:
        self.source = source
        self.lines = lines
        self.where = where
        if not isinstance(table, dict):
            self.fail(f"must be a table, got {_kind(table)}")
        self.table: dict[str, Any] = table
        for key in table:
            if key not in keys:
                what = "[" + _INDEX.sub("", where) + "]" if where else "the top level"
                self.fail(
                    f"unknown key '{key}'{did_you_mean(key, dict.fromkeys(keys))}: {what} takes only "
                    f"{', '.join(keys)}; rename or remove it",
                    key,
                )

    def fail(self, message: str, key: str | None = None) -> TopologyError:
        at = f"{self.where}.{key}" if key and self.where else (key or self.where or "top level")
        line = self.lines.line(at if key or self.where else "")
        raise TopologyError(f"{self.source}:{line}: {at}: {message}")

    def child(self, where: str, table: Any, keys: tuple[str, ...]) -> _Reader:
        return _Reader(self.source, self.lines, where, table, keys)

    def get(self, key: str, default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                self.fail("missing: add it", key)
            return default
        return self.table[key]

    def string(self, key: str, default: Any = ...) -> str:
        value = self.get(key, default)
        if not isinstance(value, str) or not value:
            self.fail(f"must be a non-empty string, got {value!r}", key)
        return value

    def name(self, key: str = "name", default: Any = ...) -> str:
        """A device, accelerator or group name: it is typed on command lines and used in file names."""
        value = self.string(key, default)
        if not NAME_RE.match(value):
            self.fail(f"{value!r} is not a usable name: names go on command lines (--device NAME=HOST:PORT) and "
                      "into file names; use up to 64 letters, digits, '_', '-' and '.'", key)
        return value

    def integer(self, key: str, allowed: range, default: Any = ...) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            self.fail(f"must be an integer in {allowed.start}..{allowed.stop - 1}, got {value!r}", key)
        return value

    def address(self, key: str, value: Any = ...) -> int:
        """A base address: a whole number of DWs below 2^64."""
        if value is ...:
            value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < ADDRESS_SPACE:
            self.fail(f"must be an address, an integer in 0..2^64-1 such as 0x1000, got {value!r}", key)
        if value % DW:
            self.fail(f"{value:#x} is not a multiple of {DW}: a TLP writes whole DWs (4 bytes); use "
                      f"{value // DW * DW:#x} or {(value // DW + 1) * DW:#x}", key)
        return value

    def size(self, key: str) -> int:
        value = self.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and (m := SIZE_RE.match(value)):
            number = int(m.group(1)) * SIZE_UNITS[m.group(2)]
        else:
            self.fail(f"must be a size such as 4096 or \"64KiB\" (units B, KiB, MiB, GiB), got {value!r}", key)
        if number <= 0:
            self.fail(f"must be positive, got {value!r}", key)
        if number >= ADDRESS_SPACE:
            self.fail(f"{number} bytes is beyond 64-bit addresses (16 EiB); give a smaller size", key)
        if number % DW:
            self.fail(f"{number} bytes is not a multiple of {DW}: a TLP writes whole DWs (4 bytes); use "
                      f"{max(number // DW * DW, DW)} or {(number // DW + 1) * DW}", key)
        return number

    def tables(self, key: str, keys: tuple[str, ...]) -> list[_Reader]:
        value = self.get(key, [])
        if not isinstance(value, list):
            self.fail(f"must be an array of tables ([[{key}]]), got {_kind(value)}", key)
        prefix = f"{self.where}.{key}" if self.where else key
        return [self.child(f"{prefix}[{i}]", item, keys) for i, item in enumerate(value)]

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
        data = path.read_bytes()
    except OSError as exc:
        raise TopologyError(f"{path}: cannot read: {exc.strerror}") from None
    line = data.count(b"\n", 0, data.find(b"\0")) + 1
    if b"\0" in data:
        raise TopologyError(f"{path}:{line}: a binary file (a NUL byte), not a TOML topology: give a .toml file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TopologyError(f"{path}:{line}: byte {data[exc.start]:#04x} is not UTF-8: TOML files are UTF-8 text; "
                            "save it as UTF-8") from None
    return parse(text, source=str(path))


def parse(text: str, source: str = "<topology>") -> Topology:
    """Check a topology given as TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(exc))
        if found:
            raise TopologyError(f"{source}:{found.group(2)}: not valid TOML: {found.group(1)} "
                                f"(column {found.group(3)})") from None
        raise TopologyError(f"{source}:1: not valid TOML: {exc}") from None
    lines = _Lines(text)
    top = _Reader(source, lines, "", data, TOP_KEYS)
    name = top.string("name")
    tor = top.child("tor", top.get("tor", {"name": "tor"}), TOR_KEYS)
    tor_name = tor.name("name", "tor")

    servers: list[Server] = []
    seen: dict[str, str] = {}
    ids: dict[int, str] = {}
    macs: dict[str, str] = {}
    tor_ports: dict[int, str] = {}
    seen[tor_name] = "tor"
    for srv in top.tables("servers", SERVER_KEYS):
        server_name = srv.name()
        mac = srv.string("nic_mac").lower()
        if not MAC_RE.match(mac):
            srv.fail(f"must be a MAC address like 02:00:00:00:00:01 (six hex bytes), got {mac!r}", "nic_mac")
        if int(mac[:2], 16) & 1:
            srv.fail(f"{mac} is a multicast address (its first byte is odd); a NIC needs a unicast one, such as "
                     f"02{mac[2:]}", "nic_mac")
        if mac in macs:
            srv.fail(f"{mac} is already the MAC of server '{macs[mac]}': the ToR forwards by MAC; give each NIC "
                     "its own", "nic_mac")
        macs[mac] = server_name
        tor_port = srv.integer("tor_port", PORTS)
        if tor_port in RESERVED_TOR_PORTS:
            srv.fail(f"ToR port {tor_port} is the ToR's {RESERVED_TOR_PORTS[tor_port]}; cable the server to another "
                     "port", "tor_port")
        if tor_port in tor_ports:
            srv.fail(f"ToR port {tor_port} is already cabled to server '{tor_ports[tor_port]}': one cable per port; "
                     "give another port", "tor_port")
        tor_ports[tor_port] = server_name
        _unique(srv, "name", server_name, seen)
        accs: list[Accelerator] = []
        pcie_ports: set[int] = set()
        for acc in srv.tables("accelerators", ACCELERATOR_KEYS):
            acc_name = acc.name()
            _unique(acc, "name", acc_name, seen)
            acc_id = acc.integer("id", ACCELERATOR_IDS)
            if acc_id in ids:
                acc.fail(f"id {acc_id} is already accelerator '{ids[acc_id]}': ids are rack-wide (they name the "
                         "stream's ends on the wire); give another", "id")
            ids[acc_id] = acc_name
            port = acc.integer("pcie_port", PORTS)
            if port in RESERVED_NIC_PORTS:
                acc.fail(f"port {port} is the NIC's {RESERVED_NIC_PORTS[port]}, not a PCIe port; give another "
                         "port", "pcie_port")
            if port in pcie_ports:
                acc.fail(f"PCIe port {port} is used twice on server '{server_name}': one accelerator per port; "
                         "give another", "pcie_port")
            pcie_ports.add(port)
            accs.append(Accelerator(acc_name, acc_id, port, _memory(acc), server_name))
        if not accs:
            srv.fail("a server needs at least one [[servers.accelerators]] entry")
        servers.append(Server(server_name, mac, tor_port, tuple(accs)))
    if not servers:
        top.fail("a topology needs at least one [[servers]] entry")
    by_name = {acc.name: acc for server in servers for acc in server.accelerators}

    exports: list[Export] = []
    for exp in top.tables("exports", EXPORT_KEYS):
        owner = exp.string("owner")
        if owner not in by_name:
            exp.fail(f"no accelerator named '{owner}'{did_you_mean(owner, by_name)}", "owner")
        base = exp.address("base")
        size = exp.size("size")
        if base + size > by_name[owner].memory:
            exp.fail(
                f"window [{base:#x}, {base + size:#x}) is outside {owner}'s memory of {by_name[owner].memory} bytes; "
                "make it smaller or the memory larger",
                "size",
            )
        peers = exp.names("peers")
        if peers == ("*",):
            peers = tuple(n for n in by_name if n != owner)
        for peer in peers:
            if peer not in by_name:
                exp.fail(f"no accelerator named '{peer}'{did_you_mean(peer, by_name)}", "peers")
            if peer == owner:
                exp.fail(f"'{owner}' cannot export a window to itself; remove it from the peers", "peers")
        if len(set(peers)) != len(peers):
            twice = next(p for p in peers if peers.count(p) > 1)
            exp.fail(f"'{twice}' is listed twice; list each peer once", "peers")
        for other in exports:
            if other.owner == owner and base < other.base + other.size and other.base < base + size:
                exp.fail(f"window overlaps another window of '{owner}' at {other.base:#x}: a byte of memory belongs "
                         "to one window; move one of them", "base")
        exports.append(Export(owner, base, size, peers))

    groups: list[Group] = []
    group_ids: dict[int, str] = {}
    group_names: dict[str, str] = {}
    server_of = {acc.name: acc.server for acc in by_name.values()}
    for grp in top.tables("groups", GROUP_KEYS):
        group_name = grp.name()
        if group_name in seen or group_name in group_names:
            grp.fail(f"the name '{group_name}' is already used by {seen.get(group_name) or group_names[group_name]}",
                     "name")
        group_names[group_name] = grp.where
        group_id = grp.integer("id", range(1, 256))
        if group_id in group_ids:
            grp.fail(f"group id {group_id} is already group '{group_ids[group_id]}': give each group its own", "id")
        group_ids[group_id] = group_name
        members = grp.names("members")
        member_on: dict[str, str] = {}
        for member in members:
            if member not in by_name:
                grp.fail(f"no accelerator named '{member}'{did_you_mean(member, by_name)}", "members")
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
        base = grp.address("base")
        senders = grp.names("senders") if "senders" in grp.table else members
        for sender in senders:
            if sender not in by_name:
                grp.fail(f"no accelerator named '{sender}'{did_you_mean(sender, by_name)}", "senders")
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
        given_bases = grp.get("bases", {})
        bases_table = grp.child(f"{grp.where}.bases", given_bases, tuple(given_bases) if isinstance(given_bases, dict)
                                else ())
        for member in bases_table.table:
            if member not in members:
                hint = did_you_mean(member, dict.fromkeys(members))
                bases_table.fail(f"'{member}' is not a member of group '{group_name}'{hint}; a base is given only "
                                 "for a member", member)
        bases = [(member, bases_table.address(member, at)) for member, at in bases_table.table.items()]
        group = Group(group_name, group_id, tuple(members), size, base, tuple(senders), tuple(bases))
        for member in members:
            spec = by_name[member]
            at = group.base_of(member)
            where = "bases" if member in dict(bases) else "base"
            if at + size > spec.memory:
                grp.fail(f"group window [{at:#x}, {at + size:#x}) is outside {member}'s memory of {spec.memory} bytes; "
                         "make it smaller or the memory larger", where)
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

    return Topology(name, tor_name, tuple(servers), tuple(exports), tuple(groups), source, lines)


def _unique(reader: _Reader, key: str, name: str, seen: dict[str, str]) -> None:
    if name in seen:
        reader.fail(f"the name '{name}' is already used by {seen[name]}: names are rack-wide; rename one", key)
    seen[name] = reader.where


def _memory(acc: _Reader) -> int:
    """An accelerator's memory: room for the mailbox area at its top, and whole DWs."""
    from controller.plan import MAILBOX_AREA

    memory = acc.size("memory")
    if memory <= MAILBOX_AREA:
        acc.fail(f"{memory} bytes leaves nothing below the {MAILBOX_AREA}-byte mailbox area at the top of the "
                 "memory (where the NIC writes ACKs and NACKs); give at least 4KiB", "memory")
    return memory
