"""The topology model: the shipped files load, and every kind of mistake is named with its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller import plan, topology
from controller.protocol import constants as c

ROOT = Path(__file__).resolve().parents[2]

PAIR = """
name = "t"
[[servers]]
name = "s1"
nic_mac = "02:00:00:00:00:01"
tor_port = 1
  [[servers.accelerators]]
  name = "a1"
  id = 1
  pcie_port = 1
  memory = "64KiB"
[[servers]]
name = "s2"
nic_mac = "02:00:00:00:00:02"
tor_port = 2
  [[servers.accelerators]]
  name = "a2"
  id = 2
  pcie_port = 1
  memory = 65536
[[exports]]
owner = "a2"
base = 0x1000
size = "4KiB"
peers = ["a1"]
"""


@pytest.mark.parametrize("path", sorted((ROOT / "topologies").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_topologies_load(path: Path) -> None:
    topo = topology.load(path)
    assert topo.servers
    assert plan.compute(topo).nics


def test_pair_fields() -> None:
    topo = topology.parse(PAIR)
    assert [s.name for s in topo.servers] == ["s1", "s2"]
    a2 = topo.accelerators["a2"]
    assert (a2.id, a2.pcie_port, a2.memory, a2.server) == (2, 1, 65536, "s2")
    assert topo.exports[0] == topology.Export("a2", 0x1000, 4096, ("a1",))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("tor_port = 2", "tor_port = 1"), "servers[1].tor_port: ToR port 1 is already cabled to server 's1'"),
        (('nic_mac = "02:00:00:00:00:02"', 'nic_mac = "zz"'), "servers[1].nic_mac: must be a MAC address"),
        (('nic_mac = "02:00:00:00:00:02"', 'nic_mac = "01:00:00:00:00:02"'), "is a multicast address"),
        (("id = 2", "id = 1"), "servers[1].accelerators[0].id: id 1 is already accelerator 'a1'"),
        (("id = 2", "id = 300"), "must be an integer in 1..254, got 300"),
        (("pcie_port = 1", "pcie_port = 16"), "servers[0].accelerators[0].pcie_port: port 16 is the NIC's uplink"),
        (("pcie_port = 1", "pcie_port = 255"), "accelerators[0].pcie_port: port 255 is the NIC's CPU port"),
        (('owner = "a2"', 'owner = "a3"'), "exports[0].owner: no accelerator named 'a3' (did you mean 'a2'?)"),
        (('peers = ["a1"]', 'peers = ["a2"]'), "exports[0].peers: 'a2' cannot export a window to itself"),
        (('size = "4KiB"', 'size = "1MiB"'), "exports[0].size: window [0x1000, 0x101000) is outside a2's memory"),
        (('size = "4KiB"', 'size = "4 parsecs"'), "exports[0].size: must be a size"),
        (('name = "t"', ""), "rack.toml:1: name: missing"),
        (("memory = 65536", "memory = -5"), "servers[1].accelerators[0].memory: must be positive"),
        (('name = "a2"', 'name = "s1"'), "servers[1].accelerators[0].name: the name 's1' is already used"),
        (("[[exports]]", "[[exports]]\n[exports.oops"), "not valid TOML"),
    ],
)
def test_mistakes_are_named(edit: tuple[str, str], message: str) -> None:
    text = PAIR.replace(*edit, 1)
    with pytest.raises(topology.TopologyError) as err:
        topology.parse(text, source="rack.toml")
    assert re.match(r"rack\.toml:\d+: ", str(err.value))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(topology.TopologyError, match=r"nope\.toml: cannot read"):
        topology.load(tmp_path / "nope.toml")


def test_plan_windows_are_aligned_and_mirrored() -> None:
    topo = topology.parse(PAIR.replace('size = "4KiB"', "size = 3000"))
    p = plan.compute(topo)
    tx = p.tx_window("a1", "a2")
    assert tx.local_base % 4096 == 0 and tx.local_base >= plan.BAR_BASE
    assert tx.prefix_len == 64 - 12  # 3000 bytes need a 4 KiB block
    assert (tx.size, tx.remote_base, tx.window_id, tx.dst_mac) == (3000, 0x1000, 1, "02:00:00:00:00:02")
    (rx,) = p.nics["s2"].rx_windows
    assert (rx.src.name, rx.dst.name, rx.base, rx.size, rx.window_id) == ("a1", "a2", 0x1000, 3000, 1)
    assert p.nics["s1"].rx_windows == ()
    assert p.tor.l2 == (("02:00:00:00:00:01", 1), ("02:00:00:00:00:02", 2))
    with pytest.raises(KeyError, match="no window from 'a2' into 'a1'"):
        p.tx_window("a2", "a1")


def test_plan_windows_do_not_overlap() -> None:
    text = PAIR + '[[exports]]\nowner = "a2"\nbase = 0x8000\nsize = "8KiB"\npeers = ["a1"]\n'
    p = plan.compute(topology.parse(text))
    spans = sorted((w.local_base, w.local_base + (1 << (64 - w.prefix_len))) for w in p.nics["s1"].tx_windows)
    assert len(spans) == 2
    assert spans[0][1] <= spans[1][0]
    assert all(base % (end - base) == 0 for base, end in spans)


def test_plan_streams_mailboxes_and_entries() -> None:
    from controller import entries

    text = PAIR + '[[exports]]\nowner = "a1"\nbase = 0\nsize = 256\npeers = ["a2"]\n'
    p = plan.compute(topology.parse(text))
    s12 = p.tx_stream("a1", "a2")
    s21 = p.tx_stream("a2", "a1")
    assert (s12.stream, s21.stream) == (0, 0)  # each NIC numbers its own sending streams
    assert s12.rewind_address == plan.REWIND_BASE
    assert s12.mailbox_address == 65536 - plan.MAILBOX_AREA
    (rx,) = p.nics["s2"].rx_streams
    assert (rx.src.name, rx.dst.name, rx.stream, rx.src_mac) == ("a1", "a2", 0, "02:00:00:00:00:01")
    config = entries.nic_config(p.nics["s1"])
    by_table: dict[str, list[entries.Entry]] = {}
    for e in config.entries:
        by_table.setdefault(e.table.rsplit(".", 1)[1], []).append(e)
    assert sorted(by_table) == ["mailbox", "own_mac", "pcie_port", "peer", "window"]
    tx_rows = [e for e in config.entries if e.action.endswith("to_peer")]
    (tx,) = p.nics["s1"].tx_windows
    # the window and its ACK alias: one translation, and the alias asks for an ACK at once
    assert [(e.match[1], dict(e.params)["local_base"], dict(e.params)["flags"]) for e in tx_rows] == [
        (entries.Match("addr", tx.local_base, tx.prefix_len), tx.local_base, 0),
        (entries.Match("addr", tx.local_base + plan.ACK_ALIAS, tx.prefix_len), tx.ack_base, c.FLAG_ACK_REQ),
    ]
    assert {dict(e.params)["remote_base"] for e in tx_rows} == {0x1000}
    rewind = next(e for e in config.entries if e.action.endswith("rewind_window"))
    assert rewind.match[1] == entries.Match("addr", plan.REWIND_BASE, 62)
    assert config.groups == [entries.McGroup(plan.ACK_GROUP_BASE + 1, ((1, 1), (16, 2)))]


def test_plan_refuses_a_window_over_the_mailbox() -> None:
    text = PAIR.replace('size = "4KiB"', 'size = "60KiB"')
    with pytest.raises(plan.PlanError, match=r"exports\[0\]: window .* overlaps its mailbox area"):
        plan.compute(topology.parse(text))


# --- groups ------------------------------------------------------------------------------------------------------

TRIO = PAIR + """
[[servers]]
name = "s3"
nic_mac = "02:00:00:00:00:03"
tor_port = 3
  [[servers.accelerators]]
  name = "a3"
  id = 3
  pcie_port = 1
  memory = "64KiB"
  [[servers.accelerators]]
  name = "x3"
  id = 7
  pcie_port = 2
  memory = "64KiB"
[[groups]]
name = "g"
id = 5
members = ["a1", "a2", "a3"]
size = "8KiB"
base = 0x4000
senders = ["a1", "a2"]
  [groups.bases]
  a3 = 0x8000
"""


def test_group_fields() -> None:
    (g,) = topology.parse(TRIO).groups
    assert g == topology.Group("g", 5, ("a1", "a2", "a3"), 8192, 0x4000, ("a1", "a2"), (("a3", 0x8000),))
    assert (g.base_of("a1"), g.base_of("a3")) == (0x4000, 0x8000)
    (default,) = topology.parse(TRIO.replace('senders = ["a1", "a2"]\n', "")).groups
    assert default.senders == ("a1", "a2", "a3")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('members = ["a1", "a2", "a3"]', 'members = ["a1", "a2", "a3", "x3"]'),
         "groups[0].members: 'x3' and 'a3' are both on server 's3': a group has at most one member per server"),
        (('members = ["a1", "a2", "a3"]', 'members = ["a1", "a2", "a2"]'), "groups[0].members: 'a2' is listed twice"),
        (('members = ["a1", "a2", "a3"]', 'members = ["a1", "a4"]'),
         "groups[0].members: no accelerator named 'a4'"),
        (('senders = ["a1", "a2"]', 'senders = ["x3"]'),
         "groups[0].senders: sender 'x3' shares server 's3' with member 'a3', which would never receive"),
        (('senders = ["a1", "a2"]', 'senders = ["a1", "a1"]'), "groups[0].senders: a sender is listed twice"),
        (('members = ["a1", "a2", "a3"]', 'members = ["a1"]'),
         "groups[0].senders: sender 'a1' has no member other than itself to write to"),
        (("a3 = 0x8000", "a2 = 0x8000\nx3 = 0"), "groups[0].bases.x3: 'x3' is not a member of group 'g'"),
        (("a3 = 0x8000", "a3 = 0xF000"), "groups[0].bases: group window [0xf000, 0x11000) is outside a3's memory"),
        (("base = 0x4000\nsenders", "base = 0\nsenders"),
         "groups[0].base: group window of 'a2' at 0x0 overlaps its window at 0x1000"),
        (('size = "8KiB"\nbase', 'size = "0KiB"\nbase'), "groups[0].size: must be positive"),
        (('name = "g"', 'name = "a3"'), "groups[0].name: the name 'a3' is already used by servers[2]"),
        (("id = 5", "id = 256"), "groups[0].id: must be an integer in 1..255"),
        (('base = 0x4000\nsenders', 'senders'), "groups[0].base: missing"),
    ],
)
def test_group_mistakes_are_named(edit: tuple[str, str], message: str) -> None:
    text = TRIO.replace(*edit, 1)
    with pytest.raises(topology.TopologyError) as err:
        topology.parse(text, source="rack.toml")
    assert message in str(err.value)


def test_a_second_group_is_checked_against_the_first() -> None:
    second = '[[groups]]\nname = "h"\nid = 5\nmembers = ["a1", "a2"]\nsize = 256\nbase = 0xA000\n'
    with pytest.raises(topology.TopologyError, match=r"groups\[1\]\.id: group id 5 is already group 'g'"):
        topology.parse(TRIO + second)
    overlapping = second.replace("id = 5", "id = 6").replace("0xA000", "0x5000")
    with pytest.raises(topology.TopologyError, match=r"groups\[1\]\.base: group window of 'a1' at 0x5000 overlaps "
                       r"its window of group 'g' at 0x4000"):
        topology.parse(TRIO + overlapping)
    with pytest.raises(topology.TopologyError, match=r"groups\[1\]\.name: the name 'g' is already used by groups\[0\]"):
        topology.parse(TRIO + second.replace('name = "h"', 'name = "g"'))


def test_plan_of_a_group() -> None:
    p = plan.compute(topology.parse(TRIO))
    g = p.groups["g"]
    assert (g.wire_id, g.mac, g.tor_group, g.base, g.size) == (0x8005, "03:4a:53:80:00:05", 21, 0x4000, 8192)
    assert [(m.accelerator.name, m.nic_mac, m.base) for m in g.members] == [
        ("a1", "02:00:00:00:00:01", 0x4000), ("a2", "02:00:00:00:00:02", 0x4000), ("a3", "02:00:00:00:00:03", 0x8000)
    ]
    s1 = p.group_stream("a1", "g")
    mailbox = 65536 - plan.MAILBOX_AREA
    # a1 sends one unicast stream (0, slot 0): the group stream comes after it, with a slot per member
    assert (s1.stream, s1.rewind_address, s1.prefix_len) == (1, plan.REWIND_BASE + 4, 64 - 13)
    assert s1.local_base % 8192 == 0 and s1.local_base >= p.tx_window("a1", "a2").local_base + 4096
    assert [(r.member.name, r.nic_mac, r.mailbox_address) for r in s1.receivers] == [
        ("a2", "02:00:00:00:00:02", mailbox + 8), ("a3", "02:00:00:00:00:03", mailbox + 16)
    ]
    s2 = p.group_stream("a2", "g")
    assert (s2.stream, [r.member.name for r in s2.receivers]) == (0, ["a1", "a3"])
    assert s2.receivers[0].mailbox_address == mailbox
    with pytest.raises(KeyError, match="'a3' does not send to group 'g'"):
        p.group_stream("a3", "g")
    # receiving: s2 has its unicast stream from a1 first, s3 only group streams, numbered in sender order
    assert [(rx.src.name, rx.member.name, rx.stream, rx.local_base) for rx in p.nics["s2"].group_rx] == [
        ("a1", "a2", 1, 0x4000)
    ]
    assert [(rx.src.name, rx.src_mac, rx.stream, rx.local_base) for rx in p.nics["s3"].group_rx] == [
        ("a1", "02:00:00:00:00:01", 0, 0x8000), ("a2", "02:00:00:00:00:02", 1, 0x8000)
    ]
    assert p.tor.groups == ((21, (1, 2, 3)),)
    assert p.tor.group_l2 == (("03:4a:53:80:00:05", 21),)


def test_group_entries_on_the_sender_the_members_and_the_tor() -> None:
    from controller import entries
    from controller.entries import Entry, Match
    from controller.protocol import constants as c

    p = plan.compute(topology.parse(TRIO))
    s1 = p.group_stream("a1", "g")
    mailbox = 65536 - plan.MAILBOX_AREA
    group_mac, wire = 0x03_4A_53_80_00_05, 0x8005
    rows = entries.nic_config(p.nics["s1"]).entries
    tx, ack = "NicIngress.tx_path.", "NicIngress.ack_path."
    assert Entry(tx + "window", (Match("accel", 1), Match("addr", s1.local_base, 51)), tx + "to_peer",
                 (("dst_mac", group_mac), ("dst", wire), ("window", wire), ("local_base", s1.local_base),
                  ("remote_base", 0x4000), ("size", 8192), ("stream", 1), ("flags", c.FLAG_GROUP))) in rows
    assert Entry(tx + "window", (Match("accel", 1), Match("addr", plan.REWIND_BASE + 4, 62)), tx + "rewind_window",
                 (("local_base", plan.REWIND_BASE + 4), ("stream", 1))) in rows
    group_mailboxes = [e for e in rows if e.table == ack + "mailbox" and e.match[2].value == wire]
    assert group_mailboxes == [
        Entry(ack + "mailbox", (Match("peer", peer), Match("accel", 1), Match("stream_dst", wire),
                                Match("peer_mac", mac)), ack + "to_mailbox",
              (("port", 1), ("addr", mailbox + 8 * slot), ("requester_id", plan.NIC_REQUESTER_ID), ("stream", 1),
               ("slot", slot)))
        for peer, mac, slot in ((2, 0x02_00_00_00_00_02, 1), (3, 0x02_00_00_00_00_03, 2))
    ]
    rx = "NicIngress.rx_path."
    member = entries.nic_config(p.nics["s3"]).entries
    for src, mac, stream in ((1, 0x02_00_00_00_00_01, 0), (2, 0x02_00_00_00_00_02, 1)):
        assert Entry(rx + "peer", (Match("src", src), Match("dst", wire), Match("src_mac", mac)), rx + "accept_stream",
                     (("stream", stream), ("accel", 3), ("port", 1), ("ack_group", plan.ACK_GROUP_BASE + 3),
                      ("nic_mac", 0x02_00_00_00_00_03))) in member
        assert Entry(rx + "window", (Match("src", src), Match("accel", 3), Match("window", wire)), rx + "exported",
                     (("base", 0x4000), ("size", 8192), ("local_base", 0x8000))) in member
    assert not any(e.table == rx + "peer" and e.match[0].value == 3 for e in entries.nic_config(p.nics["s1"]).entries)
    tor = entries.tor_config(p.tor)
    l2 = "TorIngress.l2_forward."
    assert Entry(l2 + "l2", (Match("dst_mac", group_mac),), l2 + "multicast", (("group", 21),)) in tor.entries
    assert entries.McGroup(21, ((1, 0), (2, 0), (3, 0))) in tor.groups


def test_plan_refuses_a_group_window_over_the_mailbox() -> None:
    text = TRIO.replace("a3 = 0x8000", "a3 = 0xE000")
    with pytest.raises(plan.PlanError, match=r"group 'g': window \[0xe000, 0x10000\) of 'a3' overlaps its mailbox"):
        plan.compute(topology.parse(text))


def test_adding_a_group_moves_no_unicast_stream() -> None:
    without = plan.compute(topology.parse(PAIR))
    with_group = plan.compute(topology.parse(TRIO))
    assert without.tx_stream("a1", "a2") == with_group.tx_stream("a1", "a2")
    assert without.nics["s2"].rx_streams == with_group.nics["s2"].rx_streams


def test_rack8_group_fits_the_nic_tables() -> None:
    from controller import entries

    p = plan.compute(topology.load(ROOT / "topologies" / "rack8.toml"))
    for nic in p.nics.values():
        config = entries.nic_config(nic)
        mailboxes = [e for e in config.entries if e.table.endswith("mailbox")]
        assert len(mailboxes) == 14  # 7 unicast streams, 7 members of the group: MAILBOX_TABLE_SIZE is 64
        assert len(nic.group_tx) == 1 and len(nic.group_rx) == 7


# --- PCIe pages ------------------------------------------------------------------------------------------------


def test_a_window_keeps_its_offset_in_the_4k_page_on_both_sides() -> None:
    from controller import entries

    text = PAIR.replace("base = 0x1000\nsize = \"4KiB\"", "base = 0x1234\nsize = \"8KiB\"")
    p = plan.compute(topology.parse(text))
    tx = p.tx_window("a1", "a2")
    assert tx.local_base % plan.PAGE_BYTES == 0x234 == tx.remote_base % plan.PAGE_BYTES
    block = 1 << (64 - tx.prefix_len)
    assert block >= tx.size + 0x234  # the block holds the whole window, from its offset
    start = plan.prefix_base(tx.local_base, tx.prefix_len)
    assert start % block == 0 and start <= tx.local_base and tx.local_base + tx.size <= start + block
    rows = [e for e in entries.nic_config(p.nics["s1"]).entries if e.action.endswith("to_peer")]
    assert [r.match[1] for r in rows] == [
        entries.Match("addr", start, tx.prefix_len),
        entries.Match("addr", start + plan.ACK_ALIAS, tx.prefix_len),
    ]
    assert [dict(r.params)["local_base"] for r in rows] == [tx.local_base, tx.ack_base]


def test_group_members_must_keep_the_window_at_the_groups_page_offset() -> None:
    text = TRIO.replace("a3 = 0x8000", "a3 = 0x8100")
    with pytest.raises(plan.PlanError, match=r"group 'g': 'a3' keeps the group window at 0x8100, at another "
                       r"offset in its 4 KiB page than the group's base 0x4000 .* low 12 bits are 0x000"):
        plan.compute(topology.parse(text))


def test_the_emulator_never_issues_a_tlp_across_a_4k_line() -> None:
    from testbed.accelerator import MAX_PAYLOAD, tlp_pieces

    assert tlp_pieces(0x0FF8, 16) == [(0, 8), (8, 8)]
    assert tlp_pieces(0x1000, 600) == [(0, MAX_PAYLOAD), (MAX_PAYLOAD, MAX_PAYLOAD), (2 * MAX_PAYLOAD, 88)]
    for address in (0, 0x0F01, 0x1FFF, 0x2F80):
        pieces = tlp_pieces(address, 5000)
        assert sum(length for _, length in pieces) == 5000
        assert all((address + o) // 4096 == (address + o + n - 1) // 4096 and n <= MAX_PAYLOAD for o, n in pieces)


def test_an_export_between_accelerators_behind_one_nic_is_refused() -> None:
    text = PAIR.replace('''  memory = "64KiB"
[[servers]]''', '''  memory = "64KiB"
  [[servers.accelerators]]
  name = "b1"
  id = 3
  pcie_port = 2
  memory = "64KiB"
[[servers]]''', 1) + '[[exports]]\nowner = "b1"\nbase = 0\nsize = "4KiB"\npeers = ["a1"]\n'
    with pytest.raises(plan.PlanError, match=r"exports\[1\]: 'a1' and 'b1' sit behind the same NIC \(server 's1'\)"):
        plan.compute(topology.parse(text))



# --- what the rest cannot carry: every mistake is one located line with its fix ----------------------------------


def _error(text: str, source: str = "rack.toml") -> str:
    with pytest.raises(topology.TopologyError) as err:
        topology.parse(text, source=source)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # unknown keys at every level, with the closest known key
        (('name = "s1"', 'nmae = "s1"'),
         "rack.toml:4: servers[0].nmae: unknown key 'nmae' (did you mean 'name'?): [servers] takes only name, "
         "nic_mac, tor_port, accelerators; rename or remove it"),
        (('name = "t"', 'name = "t"\n[tors]\nname = "x"'),
         "rack.toml:3: tors: unknown key 'tors' (did you mean 'tor'?)"),
        (("  pcie_port = 1\n  memory = 65536", "  pcie_prot = 1\n  memory = 65536"),
         "rack.toml:19: servers[1].accelerators[0].pcie_prot: unknown key 'pcie_prot' (did you mean 'pcie_port'?): "
         "[servers.accelerators] takes only"),
        (('peers = ["a1"]', 'peer = ["a1"]'),
         "rack.toml:25: exports[0].peer: unknown key 'peer' (did you mean 'peers'?)"),
        # bases and sizes are whole DWs
        (("base = 0x1000", "base = 0x1001"),
         "rack.toml:23: exports[0].base: 0x1001 is not a multiple of 4: a TLP writes whole DWs (4 bytes); use 0x1000 "
         "or 0x1004"),
        (('size = "4KiB"', "size = 4094"), "rack.toml:24: exports[0].size: 4094 bytes is not a multiple of 4"),
        (("memory = 65536", "memory = 65538"), "servers[1].accelerators[0].memory: 65538 bytes is not a multiple of 4"),
        (("memory = 65536", "memory = 1024"), "servers[1].accelerators[0].memory: 1024 bytes leaves nothing below the "
                                              "1024-byte mailbox area"),
        (("memory = 65536", "memory = 0x10000000000000000"), "is beyond 64-bit addresses"),
        (("base = 0x1000", "base = -4"), "exports[0].base: must be an address"),
        # duplicates
        (('nic_mac = "02:00:00:00:00:02"', 'nic_mac = "02:00:00:00:00:01"'),
         "rack.toml:14: servers[1].nic_mac: 02:00:00:00:00:01 is already the MAC of server 's1'"),
        (('name = "s2"', 'name = "s1"'), "rack.toml:13: servers[1].name: the name 's1' is already used by servers[0]"),
        (('name = "s2"', 'name = "tor"'), "servers[1].name: the name 'tor' is already used by tor"),
        (('peers = ["a1"]', 'peers = ["a1", "a1"]'), "exports[0].peers: 'a1' is listed twice"),
    ],
)
def test_what_the_rest_cannot_carry_is_refused_on_its_line(edit: tuple[str, str], expected: str) -> None:
    text = PAIR.replace(*edit, 1)
    assert text != PAIR
    assert expected in _error(text)


def test_a_missing_key_points_at_its_table() -> None:
    assert _error(PAIR.replace('tor_port = 2\n', "", 1)) == (
        "rack.toml:12: servers[1].tor_port: missing: add it"
    )


def test_line_numbers_survive_comments_multiline_arrays_and_strings() -> None:
    text = (
        '# a comment with [brackets] and key = value\nname = """\n[[servers]]\nnmae = 1\n"""\n'
        + PAIR.replace('name = "t"\n', "", 1).replace('peers = ["a1"]', 'peers = [\n  "a1",  # [x]\n  "a2",\n]', 1)
    )
    assert _error(text).startswith("rack.toml:29: exports[0].peers: 'a2' cannot export a window to itself")
    assert _error(text.replace("\n  memory = 65536", "\n  memroy = 65536", 1)).startswith(
        "rack.toml:24: servers[1].accelerators[0].memroy: unknown key"
    )


def test_toml_syntax_errors_carry_their_line() -> None:
    assert _error(PAIR.replace("[[exports]]", "[[exports]]\n[exports.oops", 1)).startswith(
        "rack.toml:22: not valid TOML: "
    )


def test_binary_and_non_utf8_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"name = 1\n\x7fELF\x00\x01")
    with pytest.raises(topology.TopologyError, match=r"b\.toml:2: a binary file \(a NUL byte\), not a TOML topology"):
        topology.load(binary)
    latin = tmp_path / "l.toml"
    latin.write_bytes(b'name = "t"\n# caf\xe9\n')
    with pytest.raises(topology.TopologyError, match=r"l\.toml:2: byte 0xe9 is not UTF-8"):
        topology.load(latin)


@pytest.mark.parametrize("memory", ["64GiB", "192GiB"])
def test_a_realistic_accelerator_memory_is_fine(memory: str) -> None:
    topo = topology.parse(PAIR.replace('memory = "64KiB"', f'memory = "{memory}"', 1))
    assert topo.accelerators["a1"].memory == int(memory[:-3]) << 30
    mailbox = plan.compute(topo).tx_stream("a1", "a2").mailbox_address
    assert mailbox == topo.accelerators["a1"].memory - plan.MAILBOX_AREA


# --- what the tables hold ------------------------------------------------------------------------------------------


def _server(n: int, accelerators: list[tuple[str, int]]) -> str:
    text = f'[[servers]]\nname = "s{n}"\nnic_mac = "02:00:00:00:01:{n:02x}"\ntor_port = {n}\n'
    for port, (name, acc_id) in enumerate(accelerators, start=20):
        text += f'  [[servers.accelerators]]\n  name = "{name}"\n  id = {acc_id}\n  pcie_port = {port}\n'
        text += '  memory = "64KiB"\n'
    return text


def test_the_table_sizes_are_those_of_the_programs(programs: tuple[object, object]) -> None:
    from controller import entries

    sizes = {t.preamble.name: t.size for prog in programs for t in prog.p4info.tables}  # type: ignore[attr-defined]
    assert {table: sizes[table] for table in entries.TABLE_SIZES} == {
        table: size for table, (_, size) in entries.TABLE_SIZES.items()
    }


def test_a_server_beyond_its_nic_pcie_port_table_is_refused() -> None:
    text = 'name = "big"\n' + _server(1, [(f"a{i}", i) for i in range(1, 66)])
    with pytest.raises(plan.PlanError) as err:
        plan.compute(topology.parse(text, source="big.toml"))
    assert str(err.value) == (  # on the line of the server's [[servers]]
        "big.toml:2: server 's1' (its NIC) needs 65 entries in table NicIngress.tx_path.pcie_port, which holds 64 "
        "(PCIE_PORT_TABLE_SIZE in p4src/include/sizes.p4): spread the accelerators or windows over more servers, "
        "or raise PCIE_PORT_TABLE_SIZE and rebuild"
    )
    assert plan.compute(topology.parse('name = "big"\n' + _server(1, [(f"a{i}", i) for i in range(1, 65)])))


def test_a_sender_beyond_its_mailbox_table_is_refused() -> None:
    owners = [(f"o{i}", i) for i in range(2, 67)]
    text = 'name = "fan"\n' + _server(1, [("a1", 1)]) + _server(2, owners[:33]) + _server(3, owners[33:])
    for name, _ in owners:
        text += f'[[exports]]\nowner = "{name}"\nbase = 0\nsize = 256\npeers = ["a1"]\n'
    with pytest.raises(plan.PlanError, match=r"^fan\.toml:2: server 's1' \(its NIC\) needs 65 entries in table "
                       r"NicIngress\.ack_path\.mailbox, which holds 64 \(MAILBOX_TABLE_SIZE"):
        plan.compute(topology.parse(text, source="fan.toml"))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # a window reaching into the mailbox area: on the line of its size, with the fix
        (('size = "4KiB"', 'size = "60KiB"'),
         "rack.toml:24: exports[0]: window [0x1000, 0x10000) of 'a2' overlaps its mailbox area [0xfc00, 0x10000) "
         "where the NIC writes ACKs; end the window at 0xfc00 or give 'a2' more memory"),
        # an export between accelerators of one server: on the line of its peers
        (('  memory = 65536\n[[exports]]', '  memory = 65536\n  [[servers.accelerators]]\n  name = "a3"\n  id = 3\n'
          '  pcie_port = 2\n  memory = 65536\n[[exports]]\nowner = "a3"\nbase = 0\nsize = 256\npeers = ["a2"]\n'
          '[[exports]]'),
         "rack.toml:30: exports[0]: 'a2' and 'a3' sit behind the same NIC (server 's2')"),
    ],
)
def test_what_the_plan_cannot_lay_out_is_refused_on_its_line(edit: tuple[str, str], expected: str) -> None:
    text = PAIR.replace(*edit, 1)
    assert text != PAIR
    with pytest.raises(plan.PlanError) as err:
        plan.compute(topology.parse(text, source="rack.toml"))
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("tor_port = 1", "tor_port = 255"),
         "rack.toml:6: servers[0].tor_port: ToR port 255 is the ToR's CPU port (its frames go to the controller, "
         "not to a cable); cable the server to another port"),
        (('name = "s1"', 'name = "s 1"'),
         "rack.toml:4: servers[0].name: 's 1' is not a usable name: names go on command lines"),
        (('name = "a1"', 'name = "a1=x"'), "servers[0].accelerators[0].name: 'a1=x' is not a usable name"),
        (('name = "t"\n', 'name = "t"\n[tor]\nname = "tor@1"\n'), "tor.name: 'tor@1' is not a usable name"),
    ],
)
def test_ports_and_names_the_testbed_cannot_carry(edit: tuple[str, str], expected: str) -> None:
    text = PAIR.replace(*edit, 1)
    assert text != PAIR
    assert expected in _error(text)
