"""PTF tests of tor.p4: L2 forwarding, flooding, and per-class counters.

Run by `make ptf` (group `tor`), against softp4 or BMv2 with the ToR program loaded.
"""

from __future__ import annotations

from jetstream_test import TorTest
from ptf.testutils import group, send_packet, simple_eth_packet, verify_no_other_packets, verify_packet, verify_packets
from scapy.layers.l2 import Ether

from controller.protocol import constants as c
from controller.protocol.stream import JetStream


@group("tor")
class ForwardsByDestinationMac(TorTest):
    def runTest(self) -> None:
        (mac_a, port_a), (mac_b, port_b) = self.plan.tor.l2[:2]
        frame = Ether(dst=mac_b, src=mac_a) / JetStream(msg_type=c.MSG_DATA, src=1, dst=2, seq=7) / (b"\x00" * 40)
        send_packet(self, port_a, bytes(frame))
        verify_packet(self, frame, port_b)
        verify_no_other_packets(self)


@group("tor")
class FloodsUnknownDestination(TorTest):
    def runTest(self) -> None:
        port_a = self.ports[0]
        frame = simple_eth_packet(eth_dst="02:99:99:99:99:99", eth_src="02:00:00:00:00:42", pktlen=64)
        send_packet(self, port_a, frame)
        verify_packets(self, frame, [p for p in self.ports if p != port_a])


@group("tor")
class CountsTrafficClasses(TorTest):
    def runTest(self) -> None:
        (mac_a, port_a), (mac_b, port_b) = self.plan.tor.l2[:2]
        data_before = self.counter("TorIngress.traffic_class.class_frames", c.TC_JS_DATA)[1]
        other_before = self.counter("TorIngress.traffic_class.class_frames", c.TC_OTHER)[1]
        js = Ether(dst=mac_b, src=mac_a) / JetStream(msg_type=c.MSG_DATA, src=1, dst=2, seq=0) / (b"\x01" * 40)
        plain = simple_eth_packet(eth_dst=mac_b, eth_src=mac_a, pktlen=64)
        send_packet(self, port_a, bytes(js))
        verify_packet(self, js, port_b)
        send_packet(self, port_a, plain)
        verify_packet(self, plain, port_b)
        self.assertEqual(self.counter("TorIngress.traffic_class.class_frames", c.TC_JS_DATA)[1], data_before + 1)
        self.assertEqual(self.counter("TorIngress.traffic_class.class_frames", c.TC_OTHER)[1], other_before + 1)
