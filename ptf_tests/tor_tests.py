"""PTF tests of tor.p4: L2 forwarding, flooding, per-class counters and port security.

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


@group("tor")
class DropsProtocolFrameWithForgedSource(TorTest):
    """A server sending protocol frames under another NIC's MAC (or an unbound one) is stopped at its port."""

    def runTest(self) -> None:
        (mac_a, port_a), (mac_b, port_b) = self.plan.tor.l2[:2]
        forged = "TorIngress.port_security.forged"
        before = self.counter(forged, port_a)[1]
        frames = [
            Ether(dst="02:99:99:99:99:99", src=mac_b) / JetStream(msg_type=c.MSG_DATA, src=2, dst=1) / (b"\x00" * 40),
            Ether(dst=mac_b, src="02:00:00:00:00:99") / JetStream(msg_type=c.MSG_ACK, src=1, dst=2, seq=3),
        ]
        for frame in frames:
            send_packet(self, port_a, bytes(frame))
        verify_no_other_packets(self)
        self.assertEqual(self.counter(forged, port_a)[1], before + len(frames))
        # other traffic under the same forged source is switched as any L2 switch would
        plain = simple_eth_packet(eth_dst=mac_b, eth_src=mac_a, pktlen=64)
        plain[Ether].src = mac_b
        send_packet(self, port_a, plain)
        verify_packet(self, plain, port_b)
        # and the NIC's own MAC on its own port passes
        genuine = Ether(dst=mac_b, src=mac_a) / JetStream(msg_type=c.MSG_DATA, src=1, dst=2) / (b"\x02" * 40)
        send_packet(self, port_a, bytes(genuine))
        verify_packet(self, genuine, port_b)
        verify_no_other_packets(self)
        self.assertEqual(self.counter(forged, port_a)[1], before + len(frames))
