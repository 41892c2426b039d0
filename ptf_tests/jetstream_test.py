"""The project layer of the PTF suite: the topology, its address plan, and frames of the protocol.

Test parameters, besides those of `p4runtime_test`:
    topology   topology file (default: topologies/pair.toml of this repository)

`NicTest` programs the NIC of the first server exactly as the controller would (controller.entries from
the address plan) after resetting its streams by the controller's orders (controller.protocol.orders: a
packet-out each, answered by a packet-in; P4Runtime register writes would not do, BMv2 does not implement
them), so each test starts fresh streams on every target.
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
from controller.protocol.orders import Order, read_answer
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
        orders = [order for tx in self.nic.tx_streams for order in (Order.reset_tx(tx.stream),
                                                                     Order.reset_mailbox(tx.slot))]
        self.carry_out(orders + [Order.reset_rx(rx.stream) for rx in self.nic.rx_streams])
        self.install(entries.nic_config(self.nic))
        self.local = self.server.accelerators[0]
        self.uplink = c.NIC_UPLINK_PORT

    def carry_out(self, orders: list[Order], timeout: float = 5.0) -> None:
        """Send each order as a packet-out and wait for the NIC's answer to all of them; a refusal fails."""
        pending = set(orders)
        for order in orders:
            self.send_packet_out(b"", **order.metadata())
        while pending:
            packet = self.packet_in(timeout)
            if packet is None:
                missing = ", ".join(order.describe() for order in sorted(pending))
                raise AssertionError(f"no answer within {timeout:g} s to: {missing}")
            answer = read_answer(self.packet_in_metadata(packet).get("reason"), packet.payload)
            if answer is not None and answer.order in pending:
                self.assertTrue(answer.done, f"the NIC refused {answer.order.describe()}")
                pending.discard(answer.order)

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
