"""The analytical 400 GbE model: completion time of one transfer for JetStream, RoCEv2 and Broadcom SUE.

docs/protocol.md ("The analytical 400 GbE model") gives the equations and where every default comes from;
the framing (wire bytes per frame) is `controller.protocol.efficiency`'s. Two times per transfer, in ns
from the moment the sending accelerator issues it:

  landed    the last byte is in the receiver's memory;
  complete  the sender knows it (JetStream: the ACK in its mailbox; RoCEv2: the CQE in its memory;
            SUE: the ACK at its on-die engine).

A transfer is a pipeline: every stage that serializes (a PCIe link, the Ethernet link) carries all of it,
and the slowest such stage sets the pace; the others add one unit (their last TLP or frame). Fixed latencies
(PCIe one way, NIC and switch pipelines, cables) add once. The switch cuts through, so the second Ethernet
link adds its cable, not a second serialization. Queues are empty: one transfer alone on the rack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from controller.protocol import constants as c
from controller.protocol.efficiency import (
    ROCEV2_MIDDLE_HEADERS,
    SUE_HEADERS,
    frame_on_wire,
    jetstream_wire_bytes,
    rocev2_wire_bytes,
    sue_wire_bytes,
)

__all__ = ["PROTOCOLS", "Params", "Times", "columns", "format_table", "jetstream", "rocev2", "sue"]

ROCEV2_AETH = 4  # the ACK's extended transport header
PCIE_MRD_HEADER = 16  # a 4-DW memory read request
PCIE_CPL_HEADER = 12  # a completion with data


@dataclass(frozen=True)
class Params:
    """The model's inputs; docs/protocol.md cites each default."""

    eth_gbps: float = 400.0  # 400GBASE: the MAC's data rate
    pcie_gbps: float = 32 * 16 * 128 / 130  # Gen5 x16: 32 GT/s a lane, 16 lanes, 128b/130b encoding
    pcie_framing: int = 8  # per TLP on the link: STP token 4 (carries the sequence number) + LCRC 4
    pcie_one_way_ns: float = 250.0  # a posted TLP from one PCIe end to the other, serialization aside
    nic_ns: float = 250.0  # one pass through a NIC's pipeline (JetStream's P4 NIC, an RDMA NIC)
    switch_ns: float = 250.0  # cut-through port to port (Tomahawk Ultra class)
    cable_ns: float = 10.0  # 2 m at about 5 ns/m
    sue_endpoint_ns: float = 60.0  # SUE's on-die engine, each end
    mps: int = 256  # JetStream: the accelerator's Max Payload Size (bytes per TLP, so per frame)
    rocev2_mtu: int = 4096
    rocev2_wqe: int = 64  # the work request, pushed by the accelerator through MMIO
    rocev2_cqe: int = 64  # the completion entry, written into the requester's memory


@dataclass(frozen=True)
class Times:
    landed: float  # ns
    complete: float  # ns


def _ser(nbytes: float, gbps: float) -> float:
    return nbytes * 8 / gbps


def _pcie_write(size: int, p: Params, header: int = c.TLP_HDR_4DW_BYTES, unit: int | None = None) -> tuple[int, int]:
    """(bytes of every TLP, bytes of the last TLP) on a PCIe link for `size` bytes in TLPs of `unit` bytes."""
    unit = unit or p.mps
    full, rest = divmod(size, unit)
    per = unit + header + p.pcie_framing
    last = (rest + 3) // 4 * 4 + header + p.pcie_framing if rest else per
    return full * per + (last if rest else 0), last


def _pipeline(stages: list[tuple[float, float]]) -> float:
    """Time to push a transfer through serializing stages of (total ns, last unit ns): the slowest stage
    whole, the others their last unit."""
    slowest = max(range(len(stages)), key=lambda i: stages[i][0])
    return stages[slowest][0] + sum(last for i, (_, last) in enumerate(stages) if i != slowest)


def _network_ns(p: Params) -> float:
    """One way across the rack, fixed part: cable, switch, cable."""
    return 2 * p.cable_ns + p.switch_ns


def jetstream(size: int, p: Params = Params()) -> Times:
    """The accelerator writes `size` bytes as TLPs of MPS bytes into its NIC's window, the last through the
    ACK alias; the receiving NIC writes them into memory and ACKs the tail at once."""
    pcie_total, pcie_last = _pcie_write(size, p)
    eth_total = jetstream_wire_bytes(size, mps=p.mps)
    eth_last = jetstream_wire_bytes(size % p.mps or p.mps, mps=p.mps)
    pcie = (_ser(pcie_total, p.pcie_gbps), _ser(pcie_last, p.pcie_gbps))
    stages = [pcie, (_ser(eth_total, p.eth_gbps), _ser(eth_last, p.eth_gbps)), pcie]
    fixed = p.pcie_one_way_ns + p.nic_ns + _network_ns(p) + p.nic_ns + p.pcie_one_way_ns
    landed = fixed + _pipeline(stages)
    ack_leaves = landed - p.pcie_one_way_ns - pcie[1]  # the receiving NIC sends the ACK beside the last TLP
    ack = frame_on_wire(c.ETH_HDR_BYTES + c.JS_HDR_BYTES)
    mailbox, _ = _pcie_write(8, p)
    back = (_ser(ack, p.eth_gbps) + _network_ns(p) + p.nic_ns + _ser(mailbox, p.pcie_gbps) + p.pcie_one_way_ns)
    return Times(landed, ack_leaves + back)


def rocev2(size: int, p: Params = Params()) -> Times:
    """RDMA WRITE, reliable connection, started by the accelerator: it pushes the work request to the RDMA
    NIC by MMIO (one posted write, no WQE fetch), the NIC reads the payload from the accelerator's memory
    (one read request, completions of MPS bytes), sends it in packets of the path MTU, the responder NIC
    writes it into memory and ACKs the message's last packet; the requester NIC then writes a CQE."""
    doorbell, _ = _pcie_write(p.rocev2_wqe, p)
    request = PCIE_MRD_HEADER + p.pcie_framing
    cpl_total, cpl_last = _pcie_write(size, p, header=PCIE_CPL_HEADER)
    rx_total, rx_last = _pcie_write(size, p)
    eth_total = rocev2_wire_bytes(size, mtu=p.rocev2_mtu)
    eth_last = frame_on_wire(ROCEV2_MIDDLE_HEADERS + ((size - 1) % p.rocev2_mtu + 1 + 3) // 4 * 4)
    stages = [(_ser(cpl_total, p.pcie_gbps), _ser(cpl_last, p.pcie_gbps)),
              (_ser(eth_total, p.eth_gbps), _ser(eth_last, p.eth_gbps)),
              (_ser(rx_total, p.pcie_gbps), _ser(rx_last, p.pcie_gbps))]
    start = (_ser(doorbell, p.pcie_gbps) + p.pcie_one_way_ns  # the WQE reaches the NIC
             + _ser(request, p.pcie_gbps) + 2 * p.pcie_one_way_ns)  # the read's round trip
    fixed = start + p.nic_ns + _network_ns(p) + p.nic_ns + p.pcie_one_way_ns
    landed = fixed + _pipeline(stages)
    ack_leaves = landed - p.pcie_one_way_ns - _ser(rx_last, p.pcie_gbps)
    ack = frame_on_wire(ROCEV2_MIDDLE_HEADERS + ROCEV2_AETH)
    cqe, _ = _pcie_write(p.rocev2_cqe, p)
    back = _ser(ack, p.eth_gbps) + _network_ns(p) + p.nic_ns + _ser(cqe, p.pcie_gbps) + p.pcie_one_way_ns
    return Times(landed, ack_leaves + back)


def sue(size: int, p: Params = Params()) -> Times:
    """Broadcom SUE: the engine is on the accelerator's die (no PCIe); one transaction per frame of at most
    4 KiB; the receiving engine ACKs as it accepts the last frame."""
    eth_total = sue_wire_bytes(size)
    eth_last = sue_wire_bytes((size - 1) % 4096 + 1)
    fixed = p.sue_endpoint_ns + _network_ns(p) + p.sue_endpoint_ns
    landed = fixed + _pipeline([(_ser(eth_total, p.eth_gbps), _ser(eth_last, p.eth_gbps))])
    ack = frame_on_wire(SUE_HEADERS)
    return Times(landed, landed + _ser(ack, p.eth_gbps) + _network_ns(p) + p.sue_endpoint_ns)


PROTOCOLS = {"JetStream": jetstream, "RoCEv2": rocev2, "SUE": sue}


def columns(p: Params = Params()) -> dict[str, Callable[[int], Times]]:
    """The protocols as the tables show them: JetStream at the model's MPS and at 4 KiB (jumbo frames),
    RoCEv2, SUE."""
    large = dataclasses.replace(p, mps=4096)
    return {
        f"JetStream (MPS {p.mps})": lambda size: jetstream(size, p),
        "JetStream (MPS 4096)": lambda size: jetstream(size, large),
        "RoCEv2": lambda size: rocev2(size, p),
        "SUE": lambda size: sue(size, p),
    }


def _size(size: int) -> str:
    for shift, unit in ((20, "MiB"), (10, "KiB")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def format_table(sizes: Sequence[int], p: Params = Params()) -> str:
    """Markdown: per size, landed and complete in microseconds for every column."""
    cols = columns(p)
    lines = ["| size | " + " | ".join(f"{name} landed | {name} complete" for name in cols) + " |",
             "|---" + "|---:" * (2 * len(cols)) + "|"]
    for size in sizes:
        cells = [f"{t.landed / 1e3:.3f} | {t.complete / 1e3:.3f}" for t in (fn(size) for fn in cols.values())]
        lines.append(f"| {_size(size)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
