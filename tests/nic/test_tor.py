"""tor.p4: L2 forwarding, flooding, group replication, counters per port and class."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from controller.protocol import constants as c

from .bench import MAC_A, MAC_B, MAC_GROUP, control_frame, data_frame, internal_errors, mac_str, write

PORTS = (1, 2, 3, 4)
GROUP_ID = 0x8001


@pytest.fixture
def tor(tor_switch: Any) -> Iterator[Any]:
    from softp4.switch import Exact

    sw = tor_switch
    sw.reset_state()
    l2 = "TorIngress.l2_forward.l2"
    sw.table_add(l2, [Exact(MAC_A)], "TorIngress.l2_forward.forward", [1])
    sw.table_add(l2, [Exact(MAC_B)], "TorIngress.l2_forward.forward", [2])
    sw.table_add(l2, [Exact(MAC_GROUP)], "TorIngress.l2_forward.multicast", [GROUP_ID])
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
    out = tor.process(1, frame)  # a member sending to its own group does not get its frame back
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


def _exact(v: int) -> Any:
    from softp4.switch import Exact

    return Exact(v)
