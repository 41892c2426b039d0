"""The project layer of the PTF suite: the topology, its address plan, and frames of the protocol.

Test parameters, besides those of `p4runtime_test`:
    topology   topology file (default: topologies/pair.toml of this repository)

`NicTest` programs the NIC of the first server exactly as the controller would (controller.entries from
the address plan) and zeroes the sequence registers of its streams, so each test starts a fresh stream.
`TorTest` programs the ToR. Frames are built with the protocol's scapy layers.
"""

from __future__ import annotations

from pathlib import Path

from p4runtime_test import P4RuntimeTest
from ptf import testutils
from scapy.layers.l2 import Ether
from scapy.packet import Packet

import controller
from controller import entries, plan, topology
from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import mwr

ROOT = Path(controller.__file__).resolve().parents[1]
REQUESTER = 0x0A00


class JetStreamTest(P4RuntimeTest):
    def setUp(self) -> None:
        P4RuntimeTest.setUp(self)
        params = testutils.test_params_get()
        self.topology = topology.load(params.get("topology", ROOT / "topologies" / "pair.toml"))
        self.plan = plan.compute(self.topology)

    def install(self, config: entries.DeviceConfig) -> None:
        for entry in config.entries:
            self.insert(entry)
        for group in config.groups:
            self.set_group(group)


class NicTest(JetStreamTest):
    """The NIC of the first server under test; its uplink and PCIe ports are PTF ports of device 0."""

    def setUp(self) -> None:
        JetStreamTest.setUp(self)
        self.server = self.topology.servers[0]
        self.nic = self.plan.nics[self.server.name]
        cells = [("NicIngress.tx_path.next_seq", stream.stream) for stream in self.nic.tx_streams]
        for rx in self.nic.rx_streams:
            cells += [("NicIngress.rx_path.expected", rx.stream), ("NicIngress.rx_path.nacked", rx.stream)]
        self.zero_registers(cells)  # first: on BMv2 it re-pushes the pipeline
        self.install(entries.nic_config(self.nic))
        self.local = self.server.accelerators[0]
        self.uplink = c.NIC_UPLINK_PORT

    def write(self, address: int, data: bytes) -> Packet:
        return mwr(address, data, requester_id=REQUESTER, tag=0x11)

    def data_frame(self, rx: plan.RxStream, seq: int, tlp: Packet, window: int = 1) -> Packet:
        """A DATA frame as the peer's NIC sends it to this NIC."""
        return (
            Ether(dst=self.nic.mac, src=rx.src_mac)
            / JetStream(msg_type=c.MSG_DATA, src=rx.src.id, dst=rx.dst.id, window=window, seq=seq)
            / tlp
        )

    def control_frame(self, rx: plan.RxStream, msg_type: int, seq: int) -> Packet:
        """The ACK or NACK this NIC sends back for stream `rx` (26 bytes: the target does not pad)."""
        return Ether(dst=rx.src_mac, src=self.nic.mac) / JetStream(
            msg_type=msg_type, src=rx.dst.id, dst=rx.src.id, window=0, seq=seq, stream_dst=rx.dst.id
        )

    def drops(self, reason: int) -> int:
        return self.counter("NicIngress.accounting.drops", reason)[1]


class TorTest(JetStreamTest):
    def setUp(self) -> None:
        JetStreamTest.setUp(self)
        self.install(entries.tor_config(self.plan.tor))
        self.ports = [server.tor_port for server in self.topology.servers]
