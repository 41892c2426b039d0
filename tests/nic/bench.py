"""Test bench for nic.p4 and tor.p4 on the softp4 switch, in-process.

The programs come from the build directory named by JETSTREAM_BUILD_DIR (default `build/`) when it
holds `<prog>/<prog>.json` (so the same tests run on what real p4c wrote), else softp4 compiles them.
`NicBench` installs the reference configuration used by the tests (two NICs' worth of entries on the
NIC under test) and reads its counters and registers by the names in docs/protocol.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from scapy.layers.l2 import Ether
from scapy.packet import Packet

from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import mwr

ROOT = Path(__file__).resolve().parents[2]
BUILD_ENV = "JETSTREAM_BUILD_DIR"

# --- the reference configuration ---------------------------------------------------------------
MAC_A = 0x02_00_00_00_00_0A  # the NIC under test
MAC_B = 0x02_00_00_00_00_0B  # its peer NIC
MAC_C = 0x02_00_00_00_00_0C  # the NIC of accelerator 4
MAC_GROUP = 0x03_00_00_00_80_01  # multicast bit set
ACCEL_A1, ACCEL_A3, ACCEL_B2, ACCEL_C4 = 1, 3, 2, 4
GROUP = 0x8001
PORT_A1, PORT_A3 = 1, 2
PCIE_PORTS = (PORT_A1, PORT_A3)
UPLINK = c.NIC_UPLINK_PORT

# transmit windows of accelerator 1 (local BAR space)
TXW_DATA = 0x1000_0000  # 1 MiB block (/44), size 0x60000 -> accel 2 window 7 at 0x2_0000_0000 (crosses to 4 DW)
TXW_DATA_SIZE = 0x6_0000
TXW_DATA_REMOTE = 0x2_0000_0000
TXW_FLAG = 0x1010_0000  # 1 MiB block (/44), size 0x1000 -> accel 2 window 8 at 0x4000, ACK requested
TXW_FLAG_SIZE = 0x1000
TXW_FLAG_REMOTE = 0x4000
TXW_GROUP = 0x1020_0000  # 1 MiB block (/44), size 0x10000 -> group window 9 at 0x10000
TXW_GROUP_SIZE = 0x1_0000
TXW_GROUP_REMOTE = 0x1_0000
TXW_REWIND = 0x1FFF_F000  # one DW: rewinds stream 5
TX_STREAM_TO_B2 = 5
TX_STREAM_TO_GROUP = 6

# receive side: accelerator 2 (behind MAC_B) may write into accelerator 1
RX_STREAM_FROM_B2 = 10
RX_STREAM_GROUP = 11
RX_STREAM_FROM_C4 = 12
RXW_ID = 4
RXW_BASE = 0x8000_0000
RXW_SIZE = 0x1_0000
RXW_GROUP_ID = 9
RXW_GROUP_BASE = 0x1_0000
RXW_GROUP_LOCAL = 0x3_0000_0000
RXW_C4_ID = 6  # the only window exported to accelerator 4
ACK_GROUP_A1 = 101
MAILBOX_A1 = 0xF000_0000
NIC_REQUESTER = 0x0100


@cache
def program_json(name: str) -> dict[str, Any]:
    """BMv2 JSON of p4src/<name>.p4: from the build directory if present, else compiled by softp4."""
    explicit = os.environ.get(BUILD_ENV)
    build = Path(explicit or "build")
    if not build.is_absolute():
        build = ROOT / build
    built = build / name / f"{name}.json"
    # a build directory named explicitly is used as it is (e.g. what real p4c wrote); the default one
    # only while it is newer than every P4 source, so that tests never run a stale program
    if built.is_file() and (explicit or built.stat().st_mtime >= _newest_p4_source()):
        data: dict[str, Any] = json.loads(built.read_text(encoding="utf-8"))
        return data
    from softp4.compiler import compile_file  # an error here is a failure of the compiler, never a skip

    result = compile_file(ROOT / "p4src" / f"{name}.p4", include_dirs=[ROOT / "p4src"])
    return result.bmv2_json


def _newest_p4_source() -> float:
    return max(p.stat().st_mtime for p in (ROOT / "p4src").rglob("*.p4"))


def new_switch(name: str) -> Any:
    """A softp4 Switch running p4src/<name>.p4."""
    from softp4.switch import Switch

    config = program_json(name)
    # the ToR gives the protocol's frames priority PRIO_JS, which needs PRIO_JS + 1 queues per port (as
    # `simple_switch --priority-queues 8`); a target with fewer drops them
    queues = c.PRIO_JS + 1 if name == "tor" else 1
    sw = Switch(config, cpu_port=c.CPU_PORT, priority_queues=queues)
    errors: list[str] = []
    sw.trace = lambda line: errors.append(line) if line.startswith("Internal error") else None
    _INTERNAL_ERRORS[id(sw)] = errors
    return sw


_INTERNAL_ERRORS: dict[int, list[str]] = {}


def internal_errors(sw: Any) -> list[str]:
    """Trace lines of packets on which `sw` failed internally (the switch drops those silently)."""
    return _INTERNAL_ERRORS.setdefault(id(sw), [])


def bind_tor(sw: Any, l2: tuple[tuple[int, int], ...]) -> None:
    """Program a ToR as the controller does: each NIC MAC forwarded to its port and bound to it."""
    from softp4.switch import Exact

    for mac, port in l2:
        sw.table_add("TorIngress.l2_forward.l2", [Exact(mac)], "TorIngress.l2_forward.forward", [port])
        sw.table_add("TorIngress.port_security.binding", [Exact(port), Exact(mac)],
                     "TorIngress.port_security.bound", [])


def mac_str(mac: int) -> str:
    return ":".join(f"{b:02x}" for b in mac.to_bytes(6, "big"))


def data_frame(seq: int, tlp: Packet, *, src: int = ACCEL_B2, dst: int = ACCEL_A1, window: int = RXW_ID,
               flags: int = 0, src_mac: int = MAC_B, dst_mac: int = MAC_A) -> bytes:
    """A DATA frame as the peer NIC would send it."""
    return bytes(
        Ether(dst=mac_str(dst_mac), src=mac_str(src_mac))
        / JetStream(flags=flags, src=src, dst=dst, window=window, seq=seq)
        / tlp
    )


def control_frame(msg_type: int, seq: int, *, src: int, dst: int, stream_dst: int, src_mac: int,
                  dst_mac: int) -> bytes:
    """An ACK or NACK frame (26 bytes, unpadded)."""
    return bytes(
        Ether(dst=mac_str(dst_mac), src=mac_str(src_mac))
        / JetStream(msg_type=msg_type, src=src, dst=dst, window=0, seq=seq, stream_dst=stream_dst)
    )


@dataclass
class NicBench:
    """The NIC under test (NIC A) with the reference configuration installed."""

    sw: Any

    # --- configuration ------------------------------------------------------------------------
    def install(self) -> None:
        from softp4.switch import Exact, Lpm

        sw = self.sw
        t = "NicIngress.tx_path."
        for port, accel in ((PORT_A1, ACCEL_A1), (PORT_A3, ACCEL_A3)):
            sw.table_add(t + "pcie_port", [Exact(port)], t + "set_source", [accel, MAC_A])
        windows = [
            (TXW_DATA, 44, MAC_B, ACCEL_B2, 7, TXW_DATA_REMOTE, TXW_DATA_SIZE, TX_STREAM_TO_B2, 0),
            (TXW_FLAG, 44, MAC_B, ACCEL_B2, 8, TXW_FLAG_REMOTE, TXW_FLAG_SIZE, TX_STREAM_TO_B2, c.FLAG_ACK_REQ),
            (TXW_GROUP, 44, MAC_GROUP, GROUP, 9, TXW_GROUP_REMOTE, TXW_GROUP_SIZE, TX_STREAM_TO_GROUP,
             c.FLAG_GROUP),
        ]
        for base, plen, dmac, dst, win, remote, size, stream, flags in windows:
            sw.table_add(t + "window", [Exact(ACCEL_A1), Lpm(base, plen)], t + "to_peer",
                         [dmac, dst, win, base, remote, size, stream, flags])
        sw.table_add(t + "window", [Exact(ACCEL_A1), Lpm(TXW_REWIND, 62)], t + "rewind_window",
                     [TXW_REWIND, TX_STREAM_TO_B2])

        sw.table_add("NicIngress.station.own_mac", [Exact(MAC_A)], "NicIngress.station.for_us", [])
        r = "NicIngress.rx_path."
        for src, dst, src_mac, stream in ((ACCEL_B2, ACCEL_A1, MAC_B, RX_STREAM_FROM_B2),
                                          (ACCEL_B2, GROUP, MAC_B, RX_STREAM_GROUP),
                                          (ACCEL_C4, ACCEL_A1, MAC_C, RX_STREAM_FROM_C4)):
            sw.table_add(r + "peer", [Exact(src), Exact(dst), Exact(src_mac)], r + "accept_stream",
                         [stream, ACCEL_A1, PORT_A1, ACK_GROUP_A1, MAC_A])
        sw.table_add(r + "window", [Exact(ACCEL_B2), Exact(ACCEL_A1), Exact(RXW_ID)], r + "exported",
                     [RXW_BASE, RXW_SIZE, RXW_BASE])
        sw.table_add(r + "window", [Exact(ACCEL_B2), Exact(ACCEL_A1), Exact(RXW_GROUP_ID)], r + "exported",
                     [RXW_GROUP_BASE, RXW_SIZE, RXW_GROUP_LOCAL])
        sw.table_add(r + "window", [Exact(ACCEL_C4), Exact(ACCEL_A1), Exact(RXW_C4_ID)], r + "exported",
                     [0x9000_0000, 0x100, 0x9000_0000])
        sw.mc_group_set(ACK_GROUP_A1, [(c.RID_DELIVER, [PORT_A1]), (c.RID_ACK, [UPLINK])])

        a = "NicIngress.ack_path."
        for stream_dst, slot, stream in ((ACCEL_B2, 0, TX_STREAM_TO_B2), (GROUP, 1, TX_STREAM_TO_GROUP)):
            sw.table_add(a + "mailbox", [Exact(ACCEL_B2), Exact(ACCEL_A1), Exact(stream_dst), Exact(MAC_B)],
                         a + "to_mailbox", [PORT_A1, MAILBOX_A1 + 8 * slot, NIC_REQUESTER, stream, slot])

    # --- packets --------------------------------------------------------------------------------
    def send(self, port: int, frame: bytes | Packet) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = self.sw.process(port, bytes(frame))
        return out

    def from_accel(self, tlp: Packet | bytes, port: int = PORT_A1) -> list[tuple[int, bytes]]:
        return self.send(port, bytes(tlp))

    def from_network(self, frame: bytes | Packet) -> list[tuple[int, bytes]]:
        return self.send(UPLINK, frame)

    # --- state ------------------------------------------------------------------------------------
    def drops(self, reason: int) -> int:
        return int(self.sw.counter_read("NicIngress.accounting.drops", reason)[1])

    def all_drops(self) -> dict[int, int]:
        return {r: n for r in range(c.DROP_REASON_COUNT) if (n := self.drops(r))}

    def outputs(self, kind: int) -> int:
        return int(self.sw.counter_read("NicIngress.accounting.outputs", kind)[1])

    def counter(self, name: str, index: int) -> int:
        return int(self.sw.counter_read(name, index)[1])

    def register(self, name: str, index: int) -> int:
        return int(self.sw.register_read(name, index))

    def set_register(self, name: str, index: int, value: int) -> None:
        self.sw.register_write(name, index, value)


def expected_tx_frame(seq: int, tlp: Packet, *, dst_mac: int = MAC_B, dst: int = ACCEL_B2, window: int = 7,
                      flags: int = 0) -> bytes:
    """The DATA frame NIC A must send for `tlp` (already translated)."""
    return bytes(
        Ether(dst=mac_str(dst_mac), src=mac_str(MAC_A))
        / JetStream(flags=flags, src=ACCEL_A1, dst=dst, window=window, seq=seq)
        / tlp
    )


def pcie_outputs(out: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """The outputs that went to a PCIe port."""
    return [(p, f) for p, f in out if p not in (UPLINK, c.CPU_PORT)]


def write(address: int, data: bytes, **kw: Any) -> Packet:
    """Shorthand for a memory-write TLP with a recognisable requester and tag."""
    kw.setdefault("requester_id", 0x0A00)
    kw.setdefault("tag", 0x11)
    return mwr(address, data, **kw)
