"""PTF tests of nic.p4: transmit translation, window protection, in-order receive, NACK and ACK, peer
binding to its NIC MAC and the receive filter on the destination MAC.

Run by `make ptf` (group `nic`), against softp4 or BMv2 with the NIC program loaded.
"""

from __future__ import annotations

from jetstream_test import NicTest
from ptf.testutils import group, send_packet, verify_no_other_packets, verify_packet
from scapy.layers.l2 import Ether

from controller.protocol import constants as c
from controller.protocol.stream import JetStream


@group("nic")
class TxTranslatesAndNumbers(NicTest):
    """A write into a transmit window leaves on the uplink translated, framed and numbered 0, 1, 2."""

    def runTest(self) -> None:
        (tx,) = [w for w in self.nic.tx_windows if w.src == self.local]
        for seq, offset in enumerate((0, 0x40, 0x1F0)):
            data = bytes((seq + i) & 0xFF for i in range(16))
            send_packet(self, self.local.pcie_port, bytes(self.write(tx.local_base + offset, data)))
            expected = (
                Ether(dst=tx.dst_mac, src=self.nic.mac)
                / JetStream(msg_type=c.MSG_DATA, src=tx.src.id, dst=tx.dst.id, window=tx.window_id, seq=seq)
                / self.write(tx.remote_base + offset, data)
            )
            verify_packet(self, expected, self.uplink)
        verify_no_other_packets(self)


@group("nic")
class TxAckAliasAsksForAnAck(NicTest):
    """The last write of a burst, through the window's ACK alias, goes out with the same translation and
    number as through the window itself, and FLAG_ACK_REQ set."""

    def runTest(self) -> None:
        (tx,) = [w for w in self.nic.tx_windows if w.src == self.local]
        for seq, (base, flags) in enumerate(((tx.local_base, 0), (tx.ack_base, c.FLAG_ACK_REQ))):
            send_packet(self, self.local.pcie_port, bytes(self.write(base + 0x80, b"tail")))
            expected = (
                Ether(dst=tx.dst_mac, src=self.nic.mac)
                / JetStream(msg_type=c.MSG_DATA, flags=flags, src=tx.src.id, dst=tx.dst.id, window=tx.window_id,
                            seq=seq)
                / self.write(tx.remote_base + 0x80, b"tail")
            )
            verify_packet(self, expected, self.uplink)
        verify_no_other_packets(self)


@group("nic")
class TxRefusesWriteAcrossWindowEnd(NicTest):
    """The window ends on a 4 KiB line: a write across its end crosses a page, which PCIe forbids first."""

    def runTest(self) -> None:
        (tx,) = [w for w in self.nic.tx_windows if w.src == self.local]
        before = self.drops(c.DROP_4K_CROSS)
        send_packet(self, self.local.pcie_port, bytes(self.write(tx.local_base + tx.size - 4, bytes(8))))
        verify_no_other_packets(self)
        self.assertEqual(self.drops(c.DROP_4K_CROSS), before + 1)


@group("nic")
class RxDeliversInOrder(NicTest):
    """Frames 0..4 of a known peer are delivered, unchanged TLPs, on the accelerator's PCIe port."""

    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        tlps = [self.write(win.base + 0x20 * i, bytes([i]) * 8) for i in range(5)]
        for seq, tlp in enumerate(tlps):
            send_packet(self, self.uplink, bytes(self.data_frame(rx, seq, tlp, win.window_id)))
        for tlp in tlps:  # in the order they were sent
            verify_packet(self, tlp, self.local.pcie_port)
        verify_no_other_packets(self)


@group("nic")
class RxGapIsNackedAndDropped(NicTest):
    """After frame 0, frame 2 is dropped and a NACK carrying 1 goes back; frame 1 then 2 are delivered."""

    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        tlps = [self.write(win.base + 4 * i, bytes([0xA0 + i]) * 4) for i in range(3)]
        send_packet(self, self.uplink, bytes(self.data_frame(rx, 0, tlps[0], win.window_id)))
        verify_packet(self, tlps[0], self.local.pcie_port)
        before = self.drops(c.DROP_GAP)
        send_packet(self, self.uplink, bytes(self.data_frame(rx, 2, tlps[2], win.window_id)))
        verify_packet(self, self.control_frame(rx, c.MSG_NACK, 1), self.uplink)
        verify_no_other_packets(self)
        self.assertEqual(self.drops(c.DROP_GAP), before + 1)
        for seq in (1, 2):
            send_packet(self, self.uplink, bytes(self.data_frame(rx, seq, tlps[seq], win.window_id)))
            verify_packet(self, tlps[seq], self.local.pcie_port)
        verify_no_other_packets(self)


@group("nic")
class RxDuplicateIsDroppedAndReAcked(NicTest):
    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        tlp = self.write(win.base, b"once")
        send_packet(self, self.uplink, bytes(self.data_frame(rx, 0, tlp, win.window_id)))
        verify_packet(self, tlp, self.local.pcie_port)
        before = self.drops(c.DROP_DUPLICATE)
        send_packet(self, self.uplink, bytes(self.data_frame(rx, 0, tlp, win.window_id)))
        verify_packet(self, self.control_frame(rx, c.MSG_ACK, 1), self.uplink)
        verify_no_other_packets(self)
        self.assertEqual(self.drops(c.DROP_DUPLICATE), before + 1)


@group("nic")
class RxRefusesWriteOutsideWindow(NicTest):
    """A write just before the window, and one across its end (and so across a 4 KiB line), never land."""

    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        before = (self.drops(c.DROP_RX_BOUNDS), self.drops(c.DROP_4K_CROSS))
        for tlp in (self.write(win.base - 4, bytes(4)), self.write(win.base + win.size - 4, bytes(8))):
            send_packet(self, self.uplink, bytes(self.data_frame(rx, 0, tlp, win.window_id)))
        verify_no_other_packets(self)
        self.assertEqual((self.drops(c.DROP_RX_BOUNDS), self.drops(c.DROP_4K_CROSS)), (before[0] + 1, before[1] + 1))


@group("nic")
class RxRefusesUnknownPeer(NicTest):
    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        stranger = Ether(dst=self.nic.mac, src="02:00:00:00:00:99") / JetStream(
            msg_type=c.MSG_DATA, src=99, dst=rx.dst.id, window=win.window_id, seq=0
        ) / self.write(win.base, b"evil")
        before = self.drops(c.DROP_UNKNOWN_PEER)
        send_packet(self, self.uplink, bytes(stranger))
        verify_no_other_packets(self)
        self.assertEqual(self.drops(c.DROP_UNKNOWN_PEER), before + 1)
        # the controller hears of it: a packet-in carrying the ingress port and the reason
        packet_in = self.packet_in()
        assert packet_in is not None, "no packet-in for a frame from an unknown peer"
        punted = {"ingress_port": self.uplink, "reason": c.PUNT_UNKNOWN_PEER}
        self.assertEqual(self.packet_in_metadata(packet_in), punted)
        self.assertEqual(bytes(packet_in.payload), bytes(stranger))


@group("nic")
class RxRefusesPeerFromForgedMac(NicTest):
    """A frame naming the known peer accelerator, but from a MAC other than its NIC's, is an unknown peer."""

    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        forged = Ether(dst=self.nic.mac, src="02:00:00:00:00:99") / JetStream(
            msg_type=c.MSG_DATA, src=rx.src.id, dst=rx.dst.id, window=win.window_id, seq=0
        ) / self.write(win.base, b"evil")
        before = self.drops(c.DROP_UNKNOWN_PEER)
        send_packet(self, self.uplink, bytes(forged))
        verify_no_other_packets(self)
        self.assertEqual(self.drops(c.DROP_UNKNOWN_PEER), before + 1)
        packet_in = self.packet_in()
        assert packet_in is not None, "no packet-in for a frame from a forged source MAC"
        punted = {"ingress_port": self.uplink, "reason": c.PUNT_UNKNOWN_PEER}
        self.assertEqual(self.packet_in_metadata(packet_in), punted)
        self.assertEqual(bytes(packet_in.payload), bytes(forged))
        # the forgery consumed nothing: the genuine frame 0 from the peer's NIC is delivered
        tlp = self.write(win.base, b"good")
        send_packet(self, self.uplink, bytes(self.data_frame(rx, 0, tlp, win.window_id)))
        verify_packet(self, tlp, self.local.pcie_port)
        verify_no_other_packets(self)


@group("nic")
class RxDropsFrameForAnotherNic(NicTest):
    """A unicast frame for another NIC's MAC (as a flooding switch delivers it) is dropped, never punted."""

    def runTest(self) -> None:
        (rx,) = self.nic.rx_streams
        (win,) = self.nic.rx_windows
        other = next(s.nic_mac for s in self.topology.servers if s.nic_mac != self.nic.mac)
        frame = self.data_frame(rx, 0, self.write(win.base, b"lost"), win.window_id)
        frame[Ether].dst = other
        stranger = Ether(dst=other, src="02:00:00:00:00:99") / JetStream(
            msg_type=c.MSG_DATA, src=99, dst=rx.dst.id, window=win.window_id, seq=0
        ) / self.write(win.base, b"junk")
        before = self.drops(c.DROP_NOT_MY_MAC)
        peer_before = self.drops(c.DROP_UNKNOWN_PEER)
        for f in (frame, stranger):
            send_packet(self, self.uplink, bytes(f))
        verify_no_other_packets(self)
        self.assertEqual(self.drops(c.DROP_NOT_MY_MAC), before + 2)
        self.assertEqual(self.drops(c.DROP_UNKNOWN_PEER), peer_before)
        self.assertIsNone(self.packet_in(timeout=0.5), "a frame for another NIC reached the controller")
