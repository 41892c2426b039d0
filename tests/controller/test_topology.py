"""The topology model: the shipped files load, and every kind of mistake is named with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller import plan, topology

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
        (('owner = "a2"', 'owner = "a3"'), "exports[0].owner: no accelerator named 'a3' (did you mean 'a2'?)"),
        (('peers = ["a1"]', 'peers = ["a2"]'), "exports[0].peers: 'a2' cannot export a window to itself"),
        (('size = "4KiB"', 'size = "1MiB"'), "exports[0].size: window [0x1000, 0x101000) is outside a2's memory"),
        (('size = "4KiB"', 'size = "4 parsecs"'), "exports[0].size: must be a size"),
        (('name = "t"', ""), "rack.toml: name: missing"),
        (("memory = 65536", "memory = -5"), "servers[1].accelerators[0].memory: must be positive"),
        (('name = "a2"', 'name = "s1"'), "servers[1].accelerators[0].name: the name 's1' is already used"),
        (("[[exports]]", "[[exports]]\n[exports.oops"), "not valid TOML"),
    ],
)
def test_mistakes_are_named(edit: tuple[str, str], message: str) -> None:
    text = PAIR.replace(*edit, 1)
    with pytest.raises(topology.TopologyError) as err:
        topology.parse(text, source="rack.toml")
    assert str(err.value).startswith("rack.toml: ")
    assert message in str(err.value)


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
    assert len(tx_rows) == 1 and dict(tx_rows[0].params)["remote_base"] == 0x1000
    rewind = next(e for e in config.entries if e.action.endswith("rewind_window"))
    assert rewind.match[1] == entries.Match("addr", plan.REWIND_BASE, 62)
    assert config.groups == [entries.McGroup(plan.ACK_GROUP_BASE + 1, ((1, 1), (16, 2)))]


def test_plan_refuses_a_window_over_the_mailbox() -> None:
    text = PAIR.replace('size = "4KiB"', 'size = "60KiB"')
    with pytest.raises(plan.PlanError, match=r"exports\[0\]: window .* overlaps its mailbox area"):
        plan.compute(topology.parse(text))
