"""The P4Runtime controller against embedded softp4 P4Runtime servers: apply, reconcile, errors, counters,
packet-ins, and a rack of three switches programmed only by the controller that carries a write end to end.

The programs come from JETSTREAM_BUILD_DIR when it is set (e.g. what p4c wrote), else softp4 compiles the
sources now (well under a second), so the tests never run a stale build against the current entries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import finsy
import pytest
from scapy.layers.l2 import Ether

from controller import topology
from controller.entries import Match, mac_to_int, nic_config, tor_config
from controller.plan import Plan, compute
from controller.protocol import constants as c
from controller.protocol.orders import Order
from controller.protocol.stream import JetStream
from controller.protocol.tlp import TLP, TlpAddr32, mwr
from controller.runtime import ControllerError, DeviceAddress, Options, apply, counters, serve, watch
from controller.runtime.packet_in import describe_packet_in
from controller.runtime.program import load_program
from controller.runtime.reconcile import Report
from controller.runtime.session import open_session
from softp4.switch import Exact, Lpm, Switch
from softp4.switch.p4runtime import P4RuntimeServer
from testbed.accelerator import Accelerator
from testbed.fabric import Fabric

ROOT = Path(__file__).resolve().parents[2]
PAIR = ROOT / "topologies" / "pair.toml"
NIC_TX = "NicIngress.tx_path."
NIC_RX = "NicIngress.rx_path."

logging.getLogger("finsy").setLevel(logging.CRITICAL + 1)


@dataclass
class Device:
    """An embedded softp4 switch behind its own P4Runtime server."""

    name: str
    switch: Switch
    server: P4RuntimeServer

    @property
    def address(self) -> DeviceAddress:
        return DeviceAddress(self.name, f"127.0.0.1:{self.server.port}")


@dataclass
class Rack:
    topo: topology.Topology
    plan: Plan
    devices: dict[str, Device]
    options: Options

    def addresses(self, *names: str) -> list[DeviceAddress]:
        return [self.devices[n].address for n in (names or self.devices)]

    def apply(self, *names: str, force: bool = False, dry_run: bool = False) -> list[Report]:
        options = dataclasses.replace(self.options, force=force, dry_run=dry_run)
        outcomes = asyncio.run(apply(self.topo, self.plan, self.addresses(*names), options))
        errors = [o.error for o in outcomes if o.error]
        assert not errors, errors
        return [o.result for o in outcomes]


def planned(rack: Rack, name: str) -> int:
    """How many table entries the plan puts on device `name`."""
    if name == rack.topo.tor_name:
        return len(tor_config(rack.plan.tor).entries)
    return len(nic_config(rack.plan.nics[name]).entries)


async def insert_group(rack: Rack, name: str, group_id: int, ports: list[int]) -> None:
    """Another client writes a multicast group (the P4Runtime server keeps those it was given)."""
    program = load_program(rack.options.build_dir, "nic")
    async with open_session(rack.devices[name].address, program, push=False) as session:
        await session.switch.insert([finsy.P4MulticastGroupEntry(group_id, replicas=ports)])


def device_holds_the_plan(rack: Rack, name: str) -> None:
    """Every table of the device holds exactly the planned entries (keys, actions, parameters)."""
    program = "tor" if name == rack.topo.tor_name else "nic"
    config = tor_config(rack.plan.tor) if program == "tor" else nic_config(rack.plan.nics[name])
    names = load_program(rack.options.build_dir, program).names
    planned_state: dict[str, list[tuple[object, str, list[int]]]] = {}
    for entry in config.entries:
        r = names.resolve_entry(entry)
        key = tuple(Exact(m.value) if m.prefix_len is None else Lpm(m.value, m.prefix_len) for m in r.match)
        planned_state.setdefault(r.table, []).append((key, r.action, [v for _, _, v in r.params]))
    held = {t: rows for t, rows in table_state(rack.devices[name].switch).items() if rows}
    assert held == {t: sorted(rows) for t, rows in planned_state.items()}


def start_device(name: str) -> Device:
    """A NIC with its CPU port, or the ToR with the 8 priority queues its strict priority needs."""
    switch = Switch(cpu_port=c.CPU_PORT) if name != "tor" else Switch(priority_queues=8)
    server = P4RuntimeServer(switch, address="127.0.0.1:0")
    server.start()
    return Device(name, switch, server)


def make_rack(path: Path, build_dir: Path, names: tuple[str, ...] | None = None) -> Iterator[Rack]:
    topo = topology.load(path)
    plan = compute(topo)
    devices = {name: start_device(name) for name in names or (*plan.nics, topo.tor_name)}
    try:
        yield Rack(topo, plan, devices, Options(build_dir=build_dir, timeout=10.0))
    finally:
        for device in devices.values():
            device.server.stop(grace=None)


@pytest.fixture
def rack(build_dir: Path) -> Iterator[Rack]:
    yield from make_rack(PAIR, build_dir)


def table_state(sw: Switch) -> dict[str, list[tuple[object, str, list[int]]]]:
    """The entries of every table the controller may write (const tables left out)."""
    tables = [t for t in sw.objects["tables"] if not sw.table_info(t).const]
    assert NIC_TX + "window" in tables or "TorIngress.l2_forward.l2" in tables
    return {t: sorted((e.key, e.action, e.params) for e in sw.table_entries(t)) for t in tables}


# --- apply ---------------------------------------------------------------------------------------------------


def test_apply_on_empty_devices_pushes_and_installs_the_plan(rack: Rack) -> None:
    reports = {r.device.split(" ")[0]: r for r in rack.apply()}
    assert set(reports) == {"server1", "server2", "tor"}
    for name in ("server1", "server2"):
        r = reports[name]
        assert r.pushed
        assert (len(r.inserted), len(r.modified), len(r.deleted)) == (planned(rack, name), 0, 0)
        assert r.groups_inserted == [256 + (1 if name == "server1" else 2)]
        assert r.reset == []  # a pipeline just pushed: every register is zero, no order is sent
    assert (len(reports["tor"].inserted), reports["tor"].groups_inserted) == (planned(rack, "tor"), [c.TOR_FLOOD_GROUP])

    sw1 = rack.devices["server1"].switch
    tx = rack.plan.tx_window("acc1", "acc2")
    window = {e.key[1]: (e.action, e.params) for e in sw1.table_entries(NIC_TX + "window")}
    assert window[Lpm(tx.local_base, tx.prefix_len)] == (
        NIC_TX + "to_peer", [mac_to_int("02:4a:53:00:00:02"), 2, 1, tx.local_base, 0x4000, 0x4000, 0, 0]
    )
    for name in rack.devices:
        device_holds_the_plan(rack, name)
    assert sw1.mc_group_get(257) == [(c.RID_DELIVER, [1]), (c.RID_ACK, [c.NIC_UPLINK_PORT])]
    tor = rack.devices["tor"].switch
    assert sorted((e.key, e.params) for e in tor.table_entries("TorIngress.l2_forward.l2")) == [
        ((Exact(mac_to_int("02:4a:53:00:00:01")),), [1]),
        ((Exact(mac_to_int("02:4a:53:00:00:02")),), [2]),
    ]
    assert tor.mc_group_get(c.TOR_FLOOD_GROUP) == [(0, [1, 2])]


def test_apply_twice_the_second_is_a_no_op(rack: Rack) -> None:
    rack.apply()
    before = {name: table_state(d.switch) for name, d in rack.devices.items()}
    for report in rack.apply():
        assert not report.changed, report.summary()
        assert "pipeline kept; entries: 0 inserted, 0 modified, 0 deleted" in report.summary()
    assert {name: table_state(d.switch) for name, d in rack.devices.items()} == before


def test_reconcile_restores_lost_entries_fixes_changed_ones_and_deletes_extras(rack: Rack) -> None:
    rack.apply()
    sw = rack.devices["server1"].switch
    wanted = table_state(sw)
    config = nic_config(rack.plan.nics["server1"])
    # the device lost half its entries ...
    lost_tables = (NIC_TX + "pcie_port", NIC_RX + "peer", NIC_RX + "window")
    for table in lost_tables:
        for e in sw.table_entries(table):
            sw.table_delete(table, e.handle)
    # ... one was changed behind the controller's back, and it holds an entry and a group the plan does not want
    mailbox = sw.table_entries("NicIngress.ack_path.mailbox")[0]
    sw.table_modify("NicIngress.ack_path.mailbox", mailbox.handle, mailbox.action, [7, *mailbox.params[1:]])
    peer = rack.devices["server2"].switch.table_entries(NIC_RX + "peer")[0]
    sw.table_add(NIC_RX + "peer", [Exact(9), *peer.key[1:]], peer.action, peer.params)
    asyncio.run(insert_group(rack, "server1", 999, [3]))

    (report,) = rack.apply("server1")
    assert sorted(report.inserted) == sorted(e.describe() for e in config.entries if e.table in lost_tables)
    assert report.modified == [e.describe() for e in config.entries if e.table == "NicIngress.ack_path.mailbox"]
    (peer2,) = [e for e in nic_config(rack.plan.nics["server2"]).entries if e.table == NIC_RX + "peer"]
    assert report.deleted == [dataclasses.replace(peer2, match=(Match("src", 9), *peer2.match[1:])).describe()]
    assert report.groups_deleted == [999] and report.groups_inserted == []
    assert report.reset == [Order.reset_rx(0)]  # the re-created rx stream only
    assert table_state(sw) == wanted
    with pytest.raises(Exception, match="999"):
        sw.mc_group_get(999)
    assert not rack.apply("server1")[0].changed


def test_dry_run_says_what_apply_would_do_and_writes_nothing(rack: Rack) -> None:
    (empty,) = rack.apply("server1", dry_run=True)
    assert empty.dry_run and empty.pushed and len(empty.inserted) == planned(rack, "server1")
    assert empty.summary().endswith("streams reset: 0 (dry run: nothing written)")
    sw = rack.devices["server1"].switch
    assert not sw.loaded
    rack.apply("server1")
    (peer,) = sw.table_entries(NIC_RX + "peer")
    sw.table_delete(NIC_RX + "peer", peer.handle)
    (report,) = rack.apply("server1", dry_run=True)
    assert not report.pushed and len(report.inserted) == 1 and report.inserted[0].startswith(NIC_RX + "peer [")
    assert report.reset == [Order.reset_rx(0)]
    assert sw.table_entries(NIC_RX + "peer") == []
    assert len(rack.apply("server1")[0].inserted) == 1 and len(sw.table_entries(NIC_RX + "peer")) == 1


def test_streams_keep_their_sequence_numbers_unless_created(rack: Rack) -> None:
    rack.apply()
    sw = rack.devices["server2"].switch
    sw.register_write(NIC_TX + "next_seq", 0, 41)
    sw.register_write(NIC_RX + "expected", 0, 17)
    rack.apply("server2")  # a restarted controller: the streams exist, traffic keeps its numbers
    assert (sw.register_read(NIC_TX + "next_seq", 0), sw.register_read(NIC_RX + "expected", 0)) == (41, 17)
    sw.reset_state()  # a restarted switch that kept its pipeline: everything is created again
    sw.register_write(NIC_TX + "next_seq", 0, 41)
    (report,) = rack.apply("server2")
    assert not report.pushed and len(report.inserted) == planned(rack, "server2")
    assert sw.register_read(NIC_TX + "next_seq", 0) == 0


def test_streams_are_reset_by_orders_not_register_writes(rack: Rack) -> None:
    """softp4's P4Runtime server, as BMv2's, answers UNIMPLEMENTED to register writes: the controller never
    needs one."""
    rack.apply("server2")
    sw = rack.devices["server2"].switch
    sw.reset_state()  # a restarted switch that kept its pipeline, with stale numbers in its registers
    sw.register_write(NIC_TX + "next_seq", 0, 41)
    sw.register_write(NIC_RX + "expected", 0, 17)
    sw.register_write(NIC_RX + "nacked", 0, 1)
    sw.register_write("NicIngress.ack_path.acked", 0, 99)
    (report,) = rack.apply("server2")
    assert not report.pushed and len(report.inserted) == planned(rack, "server2")
    assert report.reset == [Order.reset_tx(0), Order.reset_rx(0), Order.reset_mailbox(0)]
    assert [sw.register_read(NIC_TX + "next_seq", 0), sw.register_read(NIC_RX + "expected", 0),
            sw.register_read(NIC_RX + "nacked", 0), sw.register_read("NicIngress.ack_path.acked", 0)] == [0, 0, 0, 0]
    assert sw.counter_read("NicIngress.accounting.outputs", c.OUT_CPU)[1] == 3  # one answer per order


def test_a_nic_that_does_not_answer_an_order_gets_no_entries(rack: Rack, monkeypatch: pytest.MonkeyPatch) -> None:
    from controller.runtime import orders
    from softp4.switch.p4runtime.server import P4RuntimeService

    rack.apply("server2")
    sw = rack.devices["server2"].switch
    sw.reset_state()
    monkeypatch.setattr(P4RuntimeService, "packet_out", lambda self, packet: None)  # every order is lost
    monkeypatch.setattr(orders, "ORDER_TIMEOUT", 0.3)
    outcomes = asyncio.run(apply(rack.topo, rack.plan, rack.addresses("server2"), rack.options))
    assert [str(o.error) for o in outcomes] == [
        f"{rack.devices['server2'].address}: no answer within 0.3 s to: reset tx stream 0 (from 0), "
        "reset rx stream 0 (from 0), reset mailbox slot 0 (from 0)"
    ]
    assert all(not rows for rows in table_state(sw).values())

def test_force_pushes_the_pipeline_again_and_reinstalls(rack: Rack) -> None:
    rack.apply()
    (report,) = rack.apply("server1", force=True)
    assert report.pushed and len(report.inserted) == planned(rack, "server1") and not report.deleted


def test_a_switch_restarted_without_pipeline_converges(rack: Rack, build_dir: Path) -> None:
    rack.apply()
    old = rack.devices["server1"]
    old.server.stop(grace=None)
    rack.devices["server1"] = start_device("server1")
    (report,) = rack.apply("server1")
    assert report.pushed and len(report.inserted) == planned(rack, "server1")
    assert len(rack.devices["server1"].switch.table_entries(NIC_TX + "window")) == 3  # window, ACK alias, rewind


# --- errors --------------------------------------------------------------------------------------------------


def test_a_refused_write_names_the_entry_and_the_reason(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """acc1 writes into 65 accelerators: its NIC needs 65 mailbox entries, and the table holds 64 (the plan
    refuses such a topology, `entries.check_capacity`: here it is let through to see what the device says)."""
    from controller import entries

    monkeypatch.setattr(entries, "check_capacity", lambda plan: None)
    ports = [p for p in range(1, 40) if p != c.NIC_UPLINK_PORT]
    lines = ['name = "wide"', "", "[[servers]]", 'name = "server1"', 'nic_mac = "02:4a:53:00:00:01"',
             "tor_port = 1", "  [[servers.accelerators]]", '  name = "acc1"', "  id = 1", "  pcie_port = 1",
             '  memory = "64KiB"']
    for s, ids in ((2, range(2, 35)), (3, range(35, 67))):
        lines += ["[[servers]]", f'name = "server{s}"', f'nic_mac = "02:4a:53:00:00:0{s}"', f"tor_port = {s}"]
        for i, acc in enumerate(ids):
            lines += ["  [[servers.accelerators]]", f'  name = "acc{acc}"', f"  id = {acc}",
                      f"  pcie_port = {ports[i]}", '  memory = "64KiB"']
    for acc in range(2, 67):
        lines += ["[[exports]]", f'owner = "acc{acc}"', "base = 0x1000", 'size = "4KiB"', 'peers = ["acc1"]']
    path = tmp_path / "wide.toml"
    path.write_text("\n".join(lines) + "\n")
    for rack in make_rack(path, build_dir, names=("server1",)):
        outcomes = asyncio.run(apply(rack.topo, rack.plan, rack.addresses(), rack.options))
        error = outcomes[0].error
        assert error is not None
        assert error.startswith(f"{rack.devices['server1'].address}: the device refused 1 of ")
        (full,) = [e for e in nic_config(rack.plan.nics["server1"]).entries
                   if e.table == "NicIngress.ack_path.mailbox" and dict(e.params)["stream"] == 64]
        assert error.endswith(
            f"\n  INSERT {full.describe()}: UNKNOWN: Error when adding match entry to target: "
            "table 'NicIngress.ack_path.mailbox': full (64 entries)"
        )
        assert "[peer=0x42, accel=0x1, stream_dst=0x42" in full.describe()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_device_is_an_error_and_the_others_are_still_programmed(rack: Rack) -> None:
    dead = DeviceAddress("server2", f"127.0.0.1:{_closed_port()}")
    outcomes = asyncio.run(apply(rack.topo, rack.plan, [rack.devices["server1"].address, dead], rack.options))
    assert outcomes[0].error is None and len(outcomes[0].result.inserted) == planned(rack, "server1")
    assert outcomes[1].error is not None
    assert outcomes[1].error.startswith(f"server2 ({dead.address}, device 1): cannot reach the device: ")


def test_a_device_that_never_answers_times_out(rack: Rack) -> None:
    with socket.socket() as silent:  # accepts TCP connections, never speaks HTTP/2
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        device = DeviceAddress("server1", f"127.0.0.1:{silent.getsockname()[1]}")
        options = dataclasses.replace(rack.options, timeout=0.3)
        outcomes = asyncio.run(apply(rack.topo, rack.plan, [device], options))
    assert outcomes[0].error == f"server1 ({device.address}, device 1): no answer within 0.3 s"


def test_a_wrong_program_is_refused_before_anything_is_written(rack: Rack, build_dir: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "build"
    (wrong / "nic").mkdir(parents=True)
    for suffix in (".json", ".p4info.txtpb"):
        (wrong / "nic" / f"nic{suffix}").write_bytes((build_dir / "tor" / f"tor{suffix}").read_bytes())
    options = Options(build_dir=wrong)
    with pytest.raises(ControllerError, match=r"^server1 \(nic\): NicIngress\..*: no table 'NicIngress\."):
        asyncio.run(apply(rack.topo, rack.plan, rack.addresses("server1"), options))
    with pytest.raises(ControllerError, match=r"build/tor/tor.json is missing: run `make build`"):
        asyncio.run(apply(rack.topo, rack.plan, rack.addresses("tor"), options))
    assert not rack.devices["server1"].switch.loaded


def test_an_unknown_device_name_suggests_one(rack: Rack) -> None:
    with pytest.raises(ControllerError, match=r"has no device 'server3'.*its devices are server1, server2, tor"):
        asyncio.run(apply(rack.topo, rack.plan, [DeviceAddress("server3", "127.0.0.1:1")], rack.options))
    with pytest.raises(ControllerError, match=r"did you mean 'server1'"):
        asyncio.run(apply(rack.topo, rack.plan, [DeviceAddress("servr1", "127.0.0.1:1")], rack.options))


def test_another_primary_controller_is_reported_and_readers_leave_it_primary(rack: Rack) -> None:
    rack.apply("server1")

    async def run() -> tuple[str | None, str | None]:
        program = load_program(rack.options.build_dir, "nic")
        async with open_session(rack.devices["server1"].address, program, election_id=5000) as holder:
            refused = await apply(rack.topo, rack.plan, rack.addresses("server1"),
                                  Options(build_dir=rack.options.build_dir, election_id=5))
            read = await counters(rack.topo, rack.plan, rack.addresses("server1"), rack.options)
            assert holder.switch.is_primary
            await holder.switch.insert([finsy.P4MulticastGroupEntry(77, replicas=[5])])  # still allowed to write
            return refused[0].error, read[0].error

    refused, read = asyncio.run(run())
    assert refused is not None and "another controller is primary (election id 5001)" in refused
    assert "--election-id" in refused
    assert read is None


# --- counters and packet-ins ---------------------------------------------------------------------------------


def test_counters_name_drop_reasons_streams_and_tor_classes(rack: Rack) -> None:
    rack.apply()
    sw1 = rack.devices["server1"].switch
    tx = rack.plan.tx_window("acc1", "acc2")
    frame = bytes(mwr(tx.local_base, b"\x11" * 8))
    out = sw1.process(1, frame)
    assert [port for port, _ in out] == [c.NIC_UPLINK_PORT]
    sw1.process(7, frame)  # no accelerator on port 7
    rack.devices["tor"].switch.process(1, out[0][1])
    rack.devices["tor"].switch.process(2, out[0][1])  # server1's frame on server2's port: forged
    outcomes = asyncio.run(counters(rack.topo, rack.plan, rack.addresses("server1", "tor"), rack.options))
    nic, tor = (o.result for o in outcomes)
    assert [(r.label, r.packets) for r in nic["drops"]] == [("DROP_UNKNOWN_PORT", 1)]
    assert [(r.label, r.packets) for r in nic["outputs"]] == [("OUT_UPLINK", 1)]
    assert nic["streams sent"][0].label == "acc1 -> acc2 (stream 0): frames sent"
    assert nic["streams sent"][0].packets == 1
    assert [(r.label, r.packets) for r in tor["traffic classes"]] == [
        ("TC_OTHER", 0), ("TC_JS_DATA", 1), ("TC_JS_CONTROL", 0)
    ]
    assert [(r.label, r.packets) for r in tor["ports"]] == [
        ("port 1 (server1): in", 1), ("port 1 (server1): out", 0),
        ("port 2 (server2): in", 1), ("port 2 (server2): out", 1),
    ]
    assert [(r.label, r.packets) for r in tor["drops"]] == [("forged on port 2 (server2)", 1)]
    assert [(r.label, r.packets) for r in tor["l2 entries"]] == [
        ("l2 02:4a:53:00:00:01", 0), ("l2 02:4a:53:00:00:02", 1)
    ]


def test_watch_prints_packet_ins_decoded(rack: Rack) -> None:
    rack.apply("server1", "server2")
    lines: list[str] = []
    sw2 = rack.devices["server2"].switch
    read = bytes(TLP(fmt=c.TLP_FMT_3DW_NO_DATA, tlp_type=0, length=1, requester_id=0x0100) / TlpAddr32(addr=0x10))
    stranger = bytes(
        Ether(src="02:4a:53:00:00:09", dst="02:4a:53:00:00:02")
        / JetStream(src=9, dst=2, window=1, seq=5)
        / mwr(0x4000, b"\x00" * 4)
    )

    async def run() -> list[str]:
        task = asyncio.create_task(watch(rack.topo, rack.plan, rack.addresses("server2"), rack.options,
                                         lines.append, limit=2))
        while not lines:
            await asyncio.sleep(0.01)
        sw2.receive(1, read)
        sw2.receive(c.NIC_UPLINK_PORT, stranger)
        outcomes = await asyncio.wait_for(task, 10)
        assert outcomes[0].error is None
        return lines

    assert asyncio.run(run())[1:] == [
        "server2: port 1: PUNT_NOT_MWR (a TLP from an accelerator that is not a memory write): "
        "MRd (fmt 0, type 0x0), length 1 DW, requester 0x0100",
        "server2: port 16: PUNT_UNKNOWN_PEER (DATA from a peer this NIC does not know): "
        "DATA from accelerator 9 to 2, window 1, seq 5 (Ethernet 02:4a:53:00:00:09 -> 02:4a:53:00:00:02, 42 bytes)",
    ]


def test_watch_reports_a_device_that_goes_away(rack: Rack) -> None:
    rack.apply("server2")
    lines: list[str] = []
    device = rack.devices.pop("server2")

    async def run() -> str | None:
        task = asyncio.create_task(watch(rack.topo, rack.plan, [device.address], rack.options, lines.append))
        await until(lambda: bool(lines), "watching")
        device.server.stop(grace=None)
        outcomes = await asyncio.wait_for(task, 10)
        return outcomes[0].error

    assert asyncio.run(run()) == f"{device.address}: connection lost"


def test_packet_in_descriptions_for_odd_input() -> None:
    assert describe_packet_in("n", b"\x01", {"reason": 2, "ingress_port": 3}) == (
        "n: port 3: PUNT_NOT_MWR (a TLP from an accelerator that is not a memory write): "
        "a TLP too short to decode (1 bytes: 01)"
    )
    assert describe_packet_in("n", b"\xab" * 4, {"reason": 77, "ingress_port": 0}) == (
        "n: port 0: reason 77 (unknown): 4 bytes: abababab"
    )


# --- serve: reconcile on every (re)connect ---------------------------------------------------------------------


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_serve_reconciles_a_switch_that_restarts(build_dir: Path) -> None:
    topo = topology.load(PAIR)
    plan = compute(topo)
    address = f"127.0.0.1:{_closed_port()}"
    lines: list[str] = []
    first = Switch(cpu_port=c.CPU_PORT)
    server = P4RuntimeServer(first, address=address)
    server.start()
    second = Switch(cpu_port=c.CPU_PORT)
    restarted = P4RuntimeServer(second, address=address)
    planned_entries = len(nic_config(plan.nics["server1"]).entries)

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(serve(topo, plan, [DeviceAddress("server1", address)], Options(build_dir=build_dir),
                                         lines.append, stop, retry=0.05))
        await until(lambda: any("pipeline pushed" in line for line in lines), "first reconcile")
        server.stop(grace=None)
        await until(lambda: any("connection lost; reconnecting" in line for line in lines), "connection lost")
        restarted.start()
        await until(lambda: sum("pipeline pushed" in line for line in lines) == 2, "reconcile after restart")
        second.receive(7, bytes(mwr(0x1000, b"\x00" * 4)))  # no accelerator on port 7: only a drop, no packet-in
        second.receive(1, bytes(TLP(fmt=c.TLP_FMT_3DW_NO_DATA, tlp_type=0, length=1) / TlpAddr32(addr=4)))
        await until(lambda: any("PUNT_NOT_MWR" in line for line in lines), "packet-in")
        stop.set()
        await asyncio.wait_for(task, 10)

    try:
        asyncio.run(run())
    finally:
        server.stop(grace=None)
        restarted.stop(grace=None)
    summaries = [line for line in lines if line.startswith("server1 (")]
    assert summaries[0].startswith(f"server1 ({address}, device 1): pipeline pushed; entries: {planned_entries} ins")
    assert summaries[1] == f"server1 ({address}, device 1): connection lost; reconnecting"
    assert summaries[2].startswith(f"server1 ({address}, device 1): pipeline pushed; entries: {planned_entries} ins")
    assert sum(len(second.table_entries(t)) for t in second.objects["tables"] if not second.table_info(t).const) == (
        planned_entries
    )


# --- the full proof --------------------------------------------------------------------------------------------


def test_a_rack_programmed_by_the_controller_carries_a_write_end_to_end(rack: Rack) -> None:
    rack.apply()
    fabric = Fabric()
    topo, plan = rack.topo, rack.plan
    fabric.add_switch(topo.tor_name, rack.devices[topo.tor_name].switch)
    accelerators: dict[str, Accelerator] = {}
    for server in topo.servers:
        name = f"{server.name}.nic"
        fabric.add_switch(name, rack.devices[server.name].switch)
        fabric.link((name, c.NIC_UPLINK_PORT), (topo.tor_name, server.tor_port))
        for spec in server.accelerators:
            streams = [s for s in plan.nics[server.name].tx_streams if s.src.name == spec.name]
            end = (spec.name, 0)

            def send(frame: bytes, end: tuple[str, int] = end) -> None:
                fabric.send(end, frame)

            accelerators[spec.name] = Accelerator(spec, send, streams)
            fabric.add_endpoint(spec.name, accelerators[spec.name])
            fabric.link(end, (name, spec.pcie_port))
    data = bytes(range(256)) * 16  # 16 TLPs of 256 bytes: the 16th asks for an ACK (ACK_EVERY)
    tx = plan.tx_window("acc1", "acc2")
    assert accelerators["acc1"].write("acc2", tx.local_base + 0x100, data) == 16
    fabric.run()
    acc2 = accelerators["acc2"]
    assert bytes(acc2.memory[0x4100 : 0x4100 + len(data)]) == data
    assert not any(acc2.memory[:0x4100]) and not any(acc2.memory[0x4100 + len(data) : 0xFC00])
    assert accelerators["acc1"].unacked() == 0 and not acc2.violations and not accelerators["acc1"].violations
    outcomes = asyncio.run(counters(topo, plan, rack.addresses("server2"), rack.options))
    rows = {r.label: r.packets for r in outcomes[0].result["streams received"]}
    assert rows["acc1 -> acc2 (stream 0): frames accepted"] == 16
