"""controller/protocol/latency.py, the analytical 400 GbE model: its equations, checked term by term for one
64-byte write, and how each protocol responds to the parameters it should (and should not) depend on."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from controller.protocol.efficiency import frame_on_wire, jetstream_wire_bytes, sue_wire_bytes
from controller.protocol.latency import PROTOCOLS, Params, format_table, jetstream, rocev2, sue

P = Params()
DOCS = Path(__file__).resolve().parents[2] / "docs"
SIZES = (64, 256, 1024, 4096, 16384, 65536, 262144, 1 << 20)


def ser(nbytes: float, gbps: float) -> float:
    return nbytes * 8 / gbps


def test_a_64_byte_jetstream_write_adds_up_term_by_term() -> None:
    tlp = 64 + 16 + 8  # data, 4-DW header, STP token and LCRC
    eth = jetstream_wire_bytes(64)
    network = 2 * P.cable_ns + P.switch_ns
    landed = (P.pcie_one_way_ns + ser(tlp, P.pcie_gbps) + P.nic_ns + ser(eth, P.eth_gbps) + network + P.nic_ns
              + ser(tlp, P.pcie_gbps) + P.pcie_one_way_ns)
    ack = frame_on_wire(14 + 12)
    mailbox = 8 + 16 + 8
    complete = (landed - P.pcie_one_way_ns - ser(tlp, P.pcie_gbps) + ser(ack, P.eth_gbps) + network + P.nic_ns
                + ser(mailbox, P.pcie_gbps) + P.pcie_one_way_ns)
    times = jetstream(64)
    assert times.landed == pytest.approx(landed) and times.complete == pytest.approx(complete)


def test_sue_has_no_pcie_and_its_64_byte_write_lands_as_broadcom_says() -> None:
    assert sue(64, dataclasses.replace(P, pcie_one_way_ns=10_000, nic_ns=10_000)) == sue(64)
    expected = 2 * P.sue_endpoint_ns + 2 * P.cable_ns + P.switch_ns + ser(sue_wire_bytes(64), P.eth_gbps)
    assert sue(64).landed == pytest.approx(expected)
    assert sue(64).landed < 400  # "sub-400 ns XPU to XPU" with a 250 ns switch


def test_rocev2_pays_the_doorbell_and_the_payload_read_that_jetstream_does_not() -> None:
    slower = dataclasses.replace(P, pcie_one_way_ns=P.pcie_one_way_ns + 100)
    # JetStream crosses PCIe once each way to land, RoCEv2 four times (doorbell, read there and back, write)
    assert jetstream(64, slower).landed - jetstream(64).landed == pytest.approx(200)
    assert rocev2(64, slower).landed - rocev2(64).landed == pytest.approx(400)
    assert rocev2(64).complete > jetstream(64).complete


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_times_grow_with_size_and_completion_follows_landing(name: str) -> None:
    times = [PROTOCOLS[name](size) for size in SIZES]
    assert all(a.landed < b.landed for a, b in itertools.pairwise(times))
    assert all(t.complete > t.landed for t in times)


def test_large_transfers_are_paced_by_the_ethernet_link() -> None:
    # 1 MiB in TLPs of 256 B: the 400 Gb/s link, not PCIe Gen5 x16 (504 Gb/s), is the slowest stage
    eth = ser(jetstream_wire_bytes(1 << 20, mps=256), P.eth_gbps)
    assert eth < jetstream(1 << 20).landed < eth + 2_000


def test_the_model_table_in_the_docs_is_the_computed_one() -> None:
    assert format_table(SIZES) in (DOCS / "protocol.md").read_text(encoding="utf-8")
