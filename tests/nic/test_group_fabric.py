"""A group write through the ToR: replicated to every member NIC, each checks, re-bases and ACKs on its own."""

from __future__ import annotations

from collections import deque
from typing import Any

from controller.protocol import constants as c
from controller.protocol.gobackn import decode_mailbox
from controller.protocol.tlp import apply_mwr

from .bench import (
    ACCEL_A1,
    ACCEL_B2,
    GROUP,
    MAC_A,
    MAC_B,
    MAC_C,
    MAC_GROUP,
    MAILBOX_A1,
    NIC_REQUESTER,
    PORT_A1,
    TXW_GROUP,
    TXW_GROUP_REMOTE,
    TXW_GROUP_SIZE,
    UPLINK,
    NicBench,
    bind_tor,
    internal_errors,
    new_switch,
    write,
)

ACCEL_C5 = 5
TOR_GROUP = 0x8001
MEMBERS = {  # name: (accelerator, NIC MAC, ToR port, where the member keeps the gathered buffer)
    "b": (ACCEL_B2, MAC_B, 2, 0x5000_0000),
    "c": (ACCEL_C5, MAC_C, 3, 0x6_0000_0000),
}
PCIE = 1


def member_nic(accel: int, mac: int, local: int) -> Any:
    from softp4.switch import Exact

    sw = new_switch("nic")
    r = "NicIngress.rx_path."
    sw.table_add("NicIngress.station.own_mac", [Exact(mac)], "NicIngress.station.for_us", [])
    sw.table_add(r + "peer", [Exact(ACCEL_A1), Exact(GROUP), Exact(MAC_A)], r + "accept_stream",
                 [7, accel, PCIE, 300, mac])
    sw.table_add(r + "window", [Exact(ACCEL_A1), Exact(accel), Exact(9)], r + "exported",
                 [TXW_GROUP_REMOTE, TXW_GROUP_SIZE, local])
    sw.mc_group_set(300, [(c.RID_DELIVER, [PCIE]), (c.RID_ACK, [UPLINK])])
    return sw


def test_group_write_lands_in_every_member_and_each_acks(nic: NicBench) -> None:
    from softp4.switch import Exact

    a = "NicIngress.ack_path."
    nic.sw.table_add(a + "mailbox", [Exact(ACCEL_C5), Exact(ACCEL_A1), Exact(GROUP), Exact(MAC_C)], a + "to_mailbox",
                     [PORT_A1, MAILBOX_A1 + 16, NIC_REQUESTER, 6, 2])
    tor = new_switch("tor")
    bind_tor(tor, ((MAC_A, 1), (MAC_B, 2), (MAC_C, 3)))
    tor.table_add("TorIngress.l2_forward.l2", [Exact(MAC_GROUP)], "TorIngress.l2_forward.multicast", [TOR_GROUP])
    tor.mc_group_set(TOR_GROUP, [(0, [1, 2, 3])])
    nics = {name: member_nic(accel, mac, local) for name, (accel, mac, _, local) in MEMBERS.items()}
    by_port = {port: name for name, (_, _, port, _) in MEMBERS.items()}
    memory: dict[str, dict[int, int]] = {name: {} for name in MEMBERS}
    mailbox: list[tuple[int, int, int]] = []  # (slot address, acknowledging accelerator, seq)

    def run(tlp: bytes) -> None:
        queue: deque[tuple[str, int, bytes]] = deque([("a", PORT_A1, tlp)])
        while queue:
            node, port, frame = queue.popleft()
            if node == "a":
                for p, f in nic.sw.process(port, frame):
                    if p == UPLINK:
                        queue.append(("tor", 1, f))
                    else:
                        assert p == PORT_A1
                        addr, msg = decode_mailbox(f)
                        assert msg.msg_type == c.MSG_ACK and msg.stream_dst == GROUP
                        mailbox.append((addr, int(msg.peer), int(msg.seq)))
            elif node == "tor":
                for p, f in tor.process(port, frame):
                    queue.append(("a", UPLINK, f) if p == 1 else (by_port[p], UPLINK, f))
            else:
                for p, f in nics[node].process(port, frame):
                    if p == UPLINK:
                        queue.append(("tor", MEMBERS[node][2], f))
                    else:
                        assert p == PCIE
                        apply_mwr(memory[node], f)

    payload = bytes(range(256)) * 4
    for i in range(16):
        run(bytes(write(TXW_GROUP + 64 * i, payload[64 * i: 64 * (i + 1)])))
    for name, (_, _, _, local) in MEMBERS.items():
        assert memory[name] == {local + i: payload[i] for i in range(1024)}, name
    assert sorted(mailbox) == [(MAILBOX_A1 + 8, ACCEL_B2, 16), (MAILBOX_A1 + 16, ACCEL_C5, 16)]
    assert all(internal_errors(sw) == [] for sw in (tor, *nics.values()))
