"""tor.p4: L2 forwarding, flooding, group replication, counters per port and class, port security."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from controller.protocol import constants as c

from .bench import (
    MAC_A,
    MAC_B,
    MAC_C,
    MAC_GROUP,
    bind_tor,
    control_frame,
    data_frame,
    internal_errors,
    mac_str,
    write,
)

PORTS = (1, 2, 3, 4)
GROUP_ID = 0x8001


@pytest.fixture
def tor(tor_switch: Any) -> Iterator[Any]:
    from softp4.switch import Exact

    sw = tor_switch
    sw.reset_state()
    bind_tor(sw, ((MAC_A, 1), (MAC_B, 2), (MAC_C, 3)))
    sw.table_add("TorIngress.l2_forward.l2", [Exact(MAC_GROUP)], "TorIngress.l2_forward.multicast", [GROUP_ID])
    sw.mc_group_set(c.TOR_FLOOD_GROUP, [(0, list(PORTS))])
    sw.mc_group_set(GROUP_ID, [(0, [1, 3, 4])])
    internal_errors(sw).clear()
    yield sw
    assert internal_errors(sw) == [], "the switch failed internally on a packet"


def rx(sw: Any, port: int) -> int:
    return int(sw.counter_read("TorIngress.port_rx.rx", port)[1])


def tx(sw: Any, port: int) -> int:
    return int(sw.counter_read("TorEgress.port_tx.tx", port)[1])


def tc(sw: Any, klass: int) -> int:
    return int(sw.counter_read("TorIngress.traffic_class.class_frames", klass)[1])


def test_nic_frames_are_forwarded_unchanged(tor: Any) -> None:
    frame = data_frame(0, write(0x8000_0000, bytes(64)))  # to MAC_A
    assert tor.process(2, frame) == [(1, frame)]
    ack = control_frame(c.MSG_ACK, 1, src=1, dst=2, stream_dst=1, src_mac=MAC_A, dst_mac=MAC_B)
    assert tor.process(1, ack) == [(2, ack)]
    assert (rx(tor, 2), tx(tor, 1), rx(tor, 1), tx(tor, 2)) == (1, 1, 1, 1)
    assert (tc(tor, c.TC_JS_DATA), tc(tor, c.TC_JS_CONTROL), tc(tor, c.TC_OTHER)) == (1, 1, 0)


def queue(sw: Any, prio: int) -> int:
    return int(sw.counter_read("TorEgress.port_tx.queue", prio)[1])


def test_protocol_frames_get_the_strict_priority_queue(tor: Any) -> None:
    tor.process(2, data_frame(0, write(0x8000_0000, b"abcd")))
    tor.process(1, control_frame(c.MSG_NACK, 1, src=1, dst=2, stream_dst=1, src_mac=MAC_A, dst_mac=MAC_B))
    tor.process(1, bytes(Ether(dst=mac_str(MAC_B), src=mac_str(MAC_A)) / IP() / UDP()))
    assert [queue(tor, p) for p in range(8)] == [1, 0, 0, 0, 0, 0, 0, 2]
    assert c.PRIO_JS == 7 and c.PRIO_OTHER == 0


def test_other_traffic_is_switched_too(tor: Any) -> None:
    frame = bytes(Ether(dst=mac_str(MAC_B), src=mac_str(MAC_A)) / IP() / UDP())
    assert tor.process(1, frame) == [(2, frame)]
    assert tc(tor, c.TC_OTHER) == 1


def test_unknown_and_broadcast_destinations_flood_except_back(tor: Any) -> None:
    unknown = bytes(Ether(dst="02:99:00:00:00:01", src=mac_str(MAC_A)) / IP())
    assert sorted(p for p, _ in tor.process(1, unknown)) == [2, 3, 4]
    bcast = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac_str(MAC_B)) / IP())
    out = tor.process(2, bcast)
    assert sorted(p for p, _ in out) == [1, 3, 4]
    assert all(f == bcast for _, f in out)


def test_group_write_is_replicated_to_members(tor: Any) -> None:
    frame = data_frame(0, write(0x1_0000, b"allgathr"), dst=GROUP_ID, flags=c.FLAG_GROUP, dst_mac=MAC_GROUP)
    out = tor.process(2, frame)
    assert sorted(out) == [(1, frame), (3, frame), (4, frame)]
    own = data_frame(0, write(0x1_0000, b"allgathr"), dst=GROUP_ID, flags=c.FLAG_GROUP, dst_mac=MAC_GROUP,
                     src_mac=MAC_A)
    out = tor.process(1, own)  # a member sending to its own group does not get its frame back
    assert sorted(p for p, _ in out) == [3, 4]


def test_l2_direct_counter(tor: Any) -> None:
    frame = data_frame(0, write(0x8000_0000, b"abcd"))
    tor.process(2, frame)
    tor.process(2, frame)
    handle = tor.table_find("TorIngress.l2_forward.l2", [_exact(MAC_A)])
    assert handle is not None
    assert tor.table_entry_counter("TorIngress.l2_forward.l2", handle) == (2 * len(frame), 2)


def test_runt_frame_is_dropped_and_truncated_nic_frame_still_switched(tor: Any) -> None:
    assert tor.process(1, bytes(10)) == []
    frame = data_frame(0, write(0x8000_0000, b"abcd"))[:20]  # stream header cut short
    assert tor.process(2, frame) == [(1, frame)]


def forged(sw: Any, port: int) -> int:
    return int(sw.counter_read("TorIngress.port_security.forged", port)[1])


def test_protocol_frame_with_another_ports_source_mac_is_dropped(tor: Any) -> None:
    """A server on port 3 (NIC C) forging NIC B's MAC: its DATA, ACK and even truncated frames stop here."""
    frames = [
        data_frame(0, write(0x8000_0000, b"evil")),  # from MAC_B, to MAC_A
        control_frame(c.MSG_ACK, 9, src=2, dst=1, stream_dst=2, src_mac=MAC_B, dst_mac=MAC_A),
        data_frame(0, write(0x8000_0000, b"evil"), dst_mac=MAC_GROUP),  # a group write
        data_frame(0, write(0x8000_0000, b"evil"), dst_mac=0x02_99_00_00_00_01),  # would be flooded
        data_frame(0, write(0x8000_0000, b"evil"))[:18],  # stream header cut short
    ]
    for frame in frames:
        assert tor.process(3, frame) == [], frame.hex()
    assert forged(tor, 3) == len(frames)
    assert (forged(tor, 1), forged(tor, 2)) == (0, 0)
    assert [tc(tor, k) for k in (c.TC_OTHER, c.TC_JS_DATA, c.TC_JS_CONTROL)] == [0, 0, 0]
    assert (rx(tor, 3), tx(tor, 1), tx(tor, 2)) == (len(frames), 0, 0)
    # NIC C's own MAC on its own port passes
    frame = data_frame(0, write(0x8000_0000, b"fine"), src_mac=MAC_C)
    assert tor.process(3, frame) == [(1, frame)]
    assert forged(tor, 3) == len(frames)


def test_unbound_source_mac_may_not_speak_the_protocol(tor: Any) -> None:
    frame = data_frame(0, write(0x8000_0000, b"evil"), src_mac=0x02_00_00_00_00_77)
    assert tor.process(4, frame) == []
    assert forged(tor, 4) == 1


def test_port_security_leaves_other_traffic_alone(tor: Any) -> None:
    frame = bytes(Ether(dst=mac_str(MAC_A), src=mac_str(MAC_B)) / IP() / UDP())  # MAC_B, but from port 3
    assert tor.process(3, frame) == [(1, frame)]
    assert forged(tor, 3) == 0
    assert tc(tor, c.TC_OTHER) == 1


def _exact(v: int) -> Any:
    from softp4.switch import Exact

    return Exact(v)
