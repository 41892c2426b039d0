"""The switch benchmarks' workloads: a program, its entries, the frames sent in and what must come out.

Shared by `switch_veth.py` (over veth, softp4 and BMv2 side by side) and `switch_inprocess.py`
(`Switch.process()` in this process). Every workload's entries are a `controller.entries.DeviceConfig`
(tables, fields, actions and parameters by their P4Info names), so the same rows are written over
P4Runtime by the controller's reconcile (finsy) or installed in process by `testbed.inprocess.Device`.

  l2        benchmarks/programs/l2_forward.p4: exact match on the destination MAC, ~1,000 entries
  ipv4-lpm  benchmarks/programs/ipv4_lpm.p4: checksum verified, LPM route, MACs and TTL rewritten
  nic-tx    p4src/nic.p4, a 256 B memory write from the accelerator's PCIe port to the uplink
  nic-rx    p4src/nic.p4, a 256 B DATA frame from the uplink delivered to the PCIe port (in order;
            every 16th is also ACKed, through the ACK multicast group)
  nic-ack   p4src/nic.p4, an ACK from the uplink written into the accelerator's mailbox
  tor       p4src/tor.p4, a DATA frame of 256 B forwarded between two NICs' ports

nic and tor run with the controller's address plan of a topology (topologies/pair.toml by default):
server 1's NIC (acc1 on PCIe port 1), and the ToR. Frame n is the n-th frame sent to a switch since
it was programmed: the NIC's receive path must see its sequence numbers in order, and an ACK's
number must not go backwards. A received frame's `tag` is n modulo 2^16.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from controller.entries import DeviceConfig, Entry, Match, nic_config, tor_config
from controller.plan import Plan, compute
from controller.protocol import constants as c
from controller.topology import load as load_topology

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
TOPOLOGY = ROOT / "topologies" / "pair.toml"
MAGIC = b"SP4B"
TAG_MOD = 1 << 16
WRITE_BYTES = 256
MAX_ENTRIES = 4000  # l2_forward.p4's dmac table holds 4096
HOST_MAC, SWITCH_MAC = 0x02_00_00_00_00_01, 0x02_00_00_00_00_02
ROUTE_PORT, ROUTE_MAC = 1, 0x02_00_00_00_01_01


@dataclass(frozen=True)
class Workload:
    name: str
    program: str  # the P4 program's name: <source dir>/<program>.p4
    source_dir: Path
    config: DeviceConfig
    in_port: int  # frames are sent into this switch port
    out_port: int  # and must come out of this one
    frame: Callable[[int], bytes]  # frame n
    expect: Callable[[int], bytes]  # what out_port must give for frame n (when nothing was lost before it)
    tag: Callable[[bytes], int | None]  # n mod 2^16 of a frame received on out_port, None if not one of ours
    priority_queues: int = 1
    # what frame n gives depends on nothing sent before (so fuzz frames in between change nothing): not on
    # the NIC, whose receive path checks sequence numbers and whose transmit path numbers what it sends
    stateless: bool = True


def _mac(value: int) -> bytes:
    return value.to_bytes(6, "big")


def _mac_int(text: str) -> int:
    return int(text.replace(":", ""), 16)


def magic_tag(frame: bytes) -> int | None:
    """The number after MAGIC in a frame, mod 2^16."""
    i = frame.find(MAGIC)
    return struct.unpack_from("!I", frame, i + 4)[0] % TAG_MOD if i >= 0 and len(frame) >= i + 8 else None


def _payload(n: int, size: int) -> bytes:
    return MAGIC + struct.pack("!I", n) + bytes(size - 8)


# --------------------------------------------------------------------------------------------
# the benchmark's own programs


def l2(entries: int) -> Workload:
    def forward(mac: int, port: int) -> Entry:
        return Entry("L2Ingress.dmac", (Match("dst_mac", mac),), "L2Ingress.forward", (("port", port),))

    rows = [forward(SWITCH_MAC, ROUTE_PORT)] + [forward(0x02_00_00_10_00_00 + i, i % 2) for i in range(entries)]

    def frame(n: int) -> bytes:
        return _mac(SWITCH_MAC) + _mac(HOST_MAC) + b"\x88\xb5" + _payload(n, 54)

    return Workload("l2", "l2_forward", PROGRAMS, DeviceConfig(rows), 0, ROUTE_PORT, frame, frame, magic_tag)


def _ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4_frame(n: int, dst_mac: int, src_mac: int, ttl: int) -> bytes:
    udp = struct.pack("!HHHH", 5000, 6000, 8 + 30, 0) + _payload(n, 30)
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, ttl, 17, 0,
                       bytes([192, 168, 0, 1]), bytes([10, 0, 1, 5]))
    head = head[:10] + struct.pack("!H", _ipv4_checksum(head)) + head[12:]
    return _mac(dst_mac) + _mac(src_mac) + b"\x08\x00" + head + udp


def ipv4_lpm(entries: int) -> Workload:
    def route(network: int, prefix: int, mac: int, port: int) -> Entry:
        return Entry("RouterIngress.routes", (Match("dst_addr", network, prefix),), "RouterIngress.route",
                     (("next_hop_mac", mac), ("port", port)))

    rows = [route(0x0A00_0100, 24, ROUTE_MAC, ROUTE_PORT)]
    for i in range(entries - 1):  # other /24s in 10.0.0.0/8, around the benchmark's 10.0.1.0/24
        rows.append(route(0x0A00_0000 + ((i if i < 1 else i + 1) << 8), 24, 0x02_00_00_20_00_00 + i, i % 2))
    # shorter prefixes covering the route: the longest must win
    rows += [route(0x0A00_0000, prefix, 0, 0) for prefix in (8, 16)]
    return Workload(
        "ipv4-lpm", "ipv4_lpm", PROGRAMS, DeviceConfig(rows), 0, ROUTE_PORT,
        lambda n: _ipv4_frame(n, SWITCH_MAC, HOST_MAC, 64),
        lambda n: _ipv4_frame(n, ROUTE_MAC, SWITCH_MAC, 63),
        magic_tag,
    )


# --------------------------------------------------------------------------------------------
# nic.p4 and tor.p4 with the controller's address plan


@dataclass(frozen=True)
class Site:
    """Server 1 (acc1) writing to server 2 (acc2) and back, as the plan lays them out."""

    plan: Plan
    nic: str  # the NIC under test: the first server's
    peer: str  # the second server
    acc: str  # the NIC's first accelerator
    peer_acc: str  # the peer's first accelerator that may write into acc

    @staticmethod
    def of(topology: Path) -> Site:
        topo = load_topology(topology)
        plan = compute(topo)
        nic = topo.servers[0].name
        acc = topo.servers[0].accelerators[0].name
        for rx in plan.nics[nic].rx_windows:
            if rx.dst.name == acc and rx.src.server != nic:
                return Site(plan, nic, rx.src.server, acc, rx.src.name)
        raise SystemExit(f"{topology}: no accelerator of another server may write into {acc}")


def _jetstream(msg_type: int, flags: int, src: int, dst: int, window: int, seq: int, stream_dst: int) -> bytes:
    return struct.pack("!BBHHHHH", (c.JS_VERSION << 4) | msg_type, flags, src, dst, window, seq % TAG_MOD,
                       stream_dst)


@cache
def _mwr_header(address: int, length: int, requester_id: int) -> bytes:
    from controller.protocol.tlp import mwr

    return bytes(mwr(address, bytes(length), requester_id=requester_id))[:-length]


def _mwr(address: int, data: bytes, requester_id: int = 0) -> bytes:
    """A memory write of whole DWs (the TLP is its header and `data`), its header built once by scapy."""
    assert address % 4 == 0 and len(data) % 4 == 0, "whole DWs only"
    return _mwr_header(address, len(data), requester_id) + data


def nic_workloads(topology: Path = TOPOLOGY) -> list[Workload]:
    site = Site.of(topology)
    plan = site.plan
    nic = plan.nics[site.nic]
    config = nic_config(nic)
    mac = _mac_int(nic.mac)
    acc = next(a for a in nic.accelerators if a.name == site.acc)
    tx = plan.tx_window(site.acc, site.peer_acc)
    stream = plan.tx_stream(site.acc, site.peer_acc)
    rx_window = next(w for w in nic.rx_windows if w.dst.name == site.acc and w.src.name == site.peer_acc)
    peer_mac = _mac_int(plan.nics[site.peer].mac)
    peer_id = rx_window.src.id
    uplink = c.NIC_UPLINK_PORT

    def tx_frame(n: int) -> bytes:
        return _mwr(tx.local_base, _payload(n, WRITE_BYTES))

    def tx_expect(n: int) -> bytes:
        head = _mac(_mac_int(tx.dst_mac)) + _mac(mac) + struct.pack("!H", c.ETHERTYPE_JS)
        js = _jetstream(c.MSG_DATA, 0, acc.id, tx.dst.id, tx.window_id, n, 0)
        return head + js + _mwr(tx.remote_base, _payload(n, WRITE_BYTES))

    def rx_frame(n: int) -> bytes:
        head = _mac(mac) + _mac(peer_mac) + struct.pack("!H", c.ETHERTYPE_JS)
        js = _jetstream(c.MSG_DATA, 0, peer_id, acc.id, rx_window.window_id, n, 0)
        return head + js + _mwr(rx_window.base, _payload(n, WRITE_BYTES))

    def rx_expect(n: int) -> bytes:
        return _mwr(rx_window.base, _payload(n, WRITE_BYTES))

    def ack_frame(n: int) -> bytes:
        head = _mac(mac) + _mac(peer_mac) + struct.pack("!H", c.ETHERTYPE_JS)
        frame = head + _jetstream(c.MSG_ACK, 0, peer_id, acc.id, 0, n, peer_id)
        return frame + bytes(max(0, c.ETH_MIN_FRAME_BYTES - len(frame)))  # as Ethernet pads it

    def ack_expect(n: int) -> bytes:
        message = struct.pack("!BBHHH", (c.JS_VERSION << 4) | c.MSG_ACK, 0, peer_id, peer_id, n % TAG_MOD)
        from controller.plan import NIC_REQUESTER_ID

        return _mwr(stream.mailbox_address, message, NIC_REQUESTER_ID)

    def ack_tag(frame: bytes) -> int | None:
        return int.from_bytes(frame[-2:], "big") if len(frame) in (20, 24) else None

    return [
        Workload("nic-tx", "nic", ROOT / "p4src", config, acc.pcie_port, uplink, tx_frame, tx_expect, magic_tag,
                 stateless=False),
        Workload("nic-rx", "nic", ROOT / "p4src", config, uplink, acc.pcie_port, rx_frame, rx_expect, magic_tag,
                 stateless=False),
        Workload("nic-ack", "nic", ROOT / "p4src", config, uplink, acc.pcie_port, ack_frame, ack_expect, ack_tag,
                 stateless=False),
    ]


def tor_workload(topology: Path = TOPOLOGY) -> Workload:
    site = Site.of(topology)
    plan = site.plan
    src, dst = plan.nics[site.nic], plan.nics[site.peer]
    ports = dict(plan.tor.l2)
    tx = plan.tx_window(site.acc, site.peer_acc)
    acc = next(a for a in src.accelerators if a.name == site.acc)

    def frame(n: int) -> bytes:
        head = _mac(_mac_int(dst.mac)) + _mac(_mac_int(src.mac)) + struct.pack("!H", c.ETHERTYPE_JS)
        js = _jetstream(c.MSG_DATA, 0, acc.id, tx.dst.id, tx.window_id, n, 0)
        return head + js + _mwr(tx.remote_base, _payload(n, WRITE_BYTES))

    # the ToR gives the protocol's frames priority PRIO_JS: PRIO_JS + 1 queues per port, as the testbed runs it
    return Workload("tor", "tor", ROOT / "p4src", tor_config(plan.tor), ports[src.mac], ports[dst.mac], frame,
                    frame, magic_tag, priority_queues=c.PRIO_JS + 1)


def workloads(entries: int, topology: Path = TOPOLOGY) -> list[Workload]:
    return [l2(entries), ipv4_lpm(entries), *nic_workloads(topology), tor_workload(topology)]


WORKLOAD_NAMES = ("l2", "ipv4-lpm", "nic-tx", "nic-rx", "nic-ack", "tor")
