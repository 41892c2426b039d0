"""The switches the fuzz test storms: every corpus program that compiles, nic.p4 and tor.p4.

A `Target` is a loaded, configured `Switch` with the valid frames its program parses (the
mutation seeds and the known-good probes), the internal-error lines the switch reported
(through `on_internal_error` and, while tracing, its trace), and a snapshot of its registers so
that probes can be replayed on the same state after the storm.

Corpus programs with an STF file are configured by running that file (table entries, groups,
sessions, value sets; its packets are the valid frames, and when it expects a packet some valid
frame must be forwarded); the others run with their default actions. nic.p4 and tor.p4 get a
few entries, as a controller would install them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from controller.protocol import constants as c
from controller.protocol.stream import JetStream
from controller.protocol.tlp import mwr
from softp4.compiler import CompileError, compile_file
from softp4.stf.parser import parse_stf_file
from softp4.stf.runner import StfRunner
from softp4.stf.syntax import Expect, Packet
from softp4.switch import Exact, Lpm, Switch

from .frames import generic_frames

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "p4programs"

# the NIC and ToR configuration (the shape of docs/protocol.md's reference setup, made small)
NIC_MAC, PEER_MAC, GROUP_MAC = 0x02_00_00_00_00_0A, 0x02_00_00_00_00_0B, 0x03_00_00_00_80_01
ACCEL, PEER_ACCEL = 1, 2
PCIE_PORT = 1
TX_WINDOW, TX_REMOTE, TX_SIZE, TX_STREAM = 0x1000_0000, 0x2_0000_0000, 0x6_0000, 5
RX_WINDOW, RX_BASE, RX_SIZE, RX_STREAM = 4, 0x8000_0000, 0x1_0000, 10
ACK_GROUP, MAILBOX = 101, 0xF000_0000
TOR_PORTS = (1, 2, 3, 4)
TOR_GROUP = 0x8001


def is_internal_error(line: str) -> bool:
    return "internal error" in line.lower()


@dataclass
class Target:
    """A switch under fuzz and what the test needs to storm and probe it."""

    name: str
    switch: Switch
    config: dict[str, Any]
    valid: list[tuple[int, bytes]]  # (ingress port, frame) the program handles normally
    ports: list[int]
    forwards: bool = True  # some valid frame must come out (False: the program may drop them all)
    errors: list[str] = field(default_factory=list)  # internal-error lines (callback and trace)
    registers: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.switch.on_internal_error(self.errors.append)

    def trace(self, on: bool) -> None:
        """Turn the switch's per-packet trace on (keeping internal-error lines) or off."""
        errors = self.errors
        self.switch.trace = (lambda line: errors.append(line) if is_internal_error(line) else None) if on else None

    def snapshot_registers(self) -> None:
        sw = self.switch
        self.registers = {
            r["name"]: [sw.register_read(r["name"], i) for i in range(int(r["size"]))]
            for r in self.config.get("register_arrays", [])
        }

    def restore_registers(self) -> None:
        sw = self.switch
        for name, values in self.registers.items():
            for i, value in enumerate(values):
                sw.register_write(name, i, value)

    def probe(self) -> list[list[tuple[int, bytes]]]:
        """Every valid frame once, on the register state of the last snapshot."""
        self.restore_registers()
        return [self.switch.process(port, frame) for port, frame in self.valid]


@functools.cache
def _compiled(path: Path, include_dir: Path) -> dict[str, Any] | None:
    try:
        result = compile_file(path, include_dirs=[include_dir])
    except CompileError:
        return None
    return result.bmv2_json


def corpus_programs() -> list[Path]:
    """The corpus programs softp4 compiles (those it cannot are not the switch's concern here)."""
    return [p for p in sorted(CORPUS.glob("*.p4")) if _compiled(p, CORPUS) is not None]


def corpus_target(path: Path) -> Target:
    config = _compiled(path, CORPUS)
    assert config is not None
    sw = Switch(config)
    valid: list[tuple[int, bytes]] = []
    forwards = False
    stf = path.with_suffix(".stf")
    if stf.is_file():
        commands = parse_stf_file(stf)
        StfRunner(config, sw, filename=str(stf)).run(commands)
        valid = [(cmd.port, cmd.data) for cmd in commands if isinstance(cmd, Packet)]
        forwards = any(isinstance(cmd, Expect) and cmd.pattern for cmd in commands)
    ports = sorted({p for p, _ in valid} | {0, 1, 2})
    valid += [(ports[i % len(ports)], f) for i, f in enumerate(generic_frames())]
    return Target(path.stem, sw, config, valid, ports, forwards)


def _mac(value: int) -> str:
    return ":".join(f"{b:02x}" for b in value.to_bytes(6, "big"))


def add_entry(sw: Switch, config: dict[str, Any], table: str, keys: dict[str, Any], action: str, **params: int) -> None:
    """`table_add` with key fields and action parameters by name: the order the program gives them
    does not matter, names it does not have are left out, and one this configuration does not
    know fails the test naming it."""
    key_names = [name for name, _, _ in sw.table_info(table).keys]
    missing = [name for name in key_names if name not in keys]
    assert not missing, f"{table}: tests/fuzz/targets.py has no value for key {missing}"
    runtime = next((a["runtime_data"] for a in config["actions"] if a["name"] == action), None)
    assert runtime is not None, f"{table}: no action {action} in the program"
    param_names = [p["name"] for p in runtime]
    missing = [name for name in param_names if name not in params]
    assert not missing, f"{action}: tests/fuzz/targets.py has no value for parameter {missing}"
    sw.table_add(table, [keys[name] for name in key_names], action, [params[name] for name in param_names])


def nic_target() -> Target:
    config = _compiled(ROOT / "p4src" / "nic.p4", ROOT / "p4src")
    assert config is not None, "p4src/nic.p4 does not compile"
    sw = Switch(config, cpu_port=c.CPU_PORT)
    tx, rx, ack = "NicIngress.tx_path.", "NicIngress.rx_path.", "NicIngress.ack_path."
    add_entry(sw, config, tx + "pcie_port", {"port": Exact(PCIE_PORT)}, tx + "set_source", accel=ACCEL, nic_mac=NIC_MAC)
    add_entry(
        sw,
        config,
        tx + "window",
        {"accel": Exact(ACCEL), "addr": Lpm(TX_WINDOW, 44)},
        tx + "to_peer",
        dst_mac=PEER_MAC,
        dst=PEER_ACCEL,
        window=7,
        local_base=TX_WINDOW,
        remote_base=TX_REMOTE,
        size=TX_SIZE,
        stream=TX_STREAM,
        flags=c.FLAG_ACK_REQ,
    )
    peer = {"src": Exact(PEER_ACCEL), "dst": Exact(ACCEL), "src_mac": Exact(PEER_MAC)}
    add_entry(
        sw,
        config,
        rx + "peer",
        peer,
        rx + "accept_stream",
        stream=RX_STREAM,
        accel=ACCEL,
        port=PCIE_PORT,
        ack_group=ACK_GROUP,
        nic_mac=NIC_MAC,
    )
    window = {"src": Exact(PEER_ACCEL), "accel": Exact(ACCEL), "window": Exact(RX_WINDOW)}
    add_entry(sw, config, rx + "window", window, rx + "exported", base=RX_BASE, size=RX_SIZE, local_base=RX_BASE)
    sw.mc_group_set(ACK_GROUP, [(c.RID_DELIVER, [PCIE_PORT]), (c.RID_ACK, [c.NIC_UPLINK_PORT])])
    mailbox = {
        "peer": Exact(PEER_ACCEL),
        "accel": Exact(ACCEL),
        "stream_dst": Exact(PEER_ACCEL),
        "peer_mac": Exact(PEER_MAC),
    }
    add_entry(
        sw,
        config,
        ack + "mailbox",
        mailbox,
        ack + "to_mailbox",
        port=PCIE_PORT,
        addr=MAILBOX,
        requester_id=0x0100,
        stream=TX_STREAM,
        slot=0,
    )
    eth = Ether(dst=_mac(NIC_MAC), src=_mac(PEER_MAC))
    tlp = mwr(TX_WINDOW + 0x40, bytes(range(64)), requester_id=0x0A00, tag=0x11)
    data = eth / JetStream(src=PEER_ACCEL, dst=ACCEL, window=RX_WINDOW, seq=0) / mwr(0x100, bytes(32))
    flagged = eth / JetStream(flags=c.FLAG_ACK_REQ, src=PEER_ACCEL, dst=ACCEL, window=RX_WINDOW, seq=0) / mwr(0, b"x")
    acked = eth / JetStream(msg_type=c.MSG_ACK, src=PEER_ACCEL, dst=ACCEL, seq=3, stream_dst=PEER_ACCEL)
    nacked = eth / JetStream(msg_type=c.MSG_NACK, src=PEER_ACCEL, dst=ACCEL, seq=3, stream_dst=PEER_ACCEL)
    valid = [
        (PCIE_PORT, bytes(tlp)),
        (PCIE_PORT, bytes(mwr(TX_WINDOW, b"\x01\x02\x03", force_4dw=True))),
        (c.NIC_UPLINK_PORT, bytes(data)),
        (c.NIC_UPLINK_PORT, bytes(flagged)),
        (c.NIC_UPLINK_PORT, bytes(acked)),
        (c.NIC_UPLINK_PORT, bytes(nacked)),
        (c.NIC_UPLINK_PORT, bytes(eth / IP() / UDP())),
    ]
    return Target("nic.p4", sw, config, valid, [PCIE_PORT, 2, c.NIC_UPLINK_PORT, c.CPU_PORT])


def tor_target() -> Target:
    config = _compiled(ROOT / "p4src" / "tor.p4", ROOT / "p4src")
    assert config is not None, "p4src/tor.p4 does not compile"
    sw = Switch(config)
    l2 = "TorIngress.l2_forward."
    for mac, port in ((NIC_MAC, 1), (PEER_MAC, 2)):
        add_entry(sw, config, l2 + "l2", {"dst_mac": Exact(mac)}, l2 + "forward", port=port)
    add_entry(sw, config, l2 + "l2", {"dst_mac": Exact(GROUP_MAC)}, l2 + "multicast", group=TOR_GROUP)
    sw.mc_group_set(c.TOR_FLOOD_GROUP, [(0, list(TOR_PORTS))])
    sw.mc_group_set(TOR_GROUP, [(0, [1, 3, 4])])
    to_nic = Ether(dst=_mac(NIC_MAC), src=_mac(PEER_MAC))
    valid = [
        (2, bytes(to_nic / JetStream(src=PEER_ACCEL, dst=ACCEL, window=RX_WINDOW, seq=9) / mwr(0x100, bytes(16)))),
        (1, bytes(Ether(dst=_mac(PEER_MAC), src=_mac(NIC_MAC)) / JetStream(msg_type=c.MSG_ACK, seq=1))),
        (2, bytes(Ether(dst=_mac(GROUP_MAC), src=_mac(PEER_MAC)) / JetStream(flags=c.FLAG_GROUP) / mwr(0, bytes(8)))),
        (3, bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=_mac(PEER_MAC)) / IP() / UDP())),
        (1, bytes(to_nic / IP() / UDP() / bytes(20))),
    ]
    return Target("tor.p4", sw, config, valid, list(TOR_PORTS))
