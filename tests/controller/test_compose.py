"""`jetstream-ctl compose`: a service per switch, a network per cable holding the ports it joins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller import compose, topology
from controller.cli import main

ROOT = Path(__file__).resolve().parents[2]
RACK8 = ROOT / "topologies" / "rack8.toml"


def test_rack8_cables_join_the_ports_the_topology_says(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compose", str(RACK8)]) == 0
    text = capsys.readouterr().out
    services = re.findall(r"^  (\S+):\n    <<: \*switch$", text, re.M)
    assert services == ["tor", *(f"server{i}" for i in range(1, 9))]
    networks = re.findall(r"^  (\S+):  # (.*)$", text.split("\nnetworks:\n", 1)[1], re.M)
    assert len(networks) == 17  # the controller's, eight uplinks, eight PCIe links
    topo = topology.load(RACK8)
    by_name = {s.name: s for s in compose.services(topo)}
    for server in topo.servers:
        uplink = by_name[server.name].ports[16]
        assert by_name["tor"].ports[server.tor_port] == uplink  # the same network at both ends
        assert f"uplink-{server.name}" == uplink.network
        assert f"-i {server.tor_port}@$$(port {uplink.route})" in text
    assert "--device server8=127.0.0.1:9567" in text  # the header says how to program it
    assert text.count("--priority-queues 8") == 1 and text.count("--priority-queues 1") == 8


def test_a_cable_is_found_by_its_subnets_route() -> None:
    topo = topology.load(ROOT / "topologies" / "pair.toml")
    tor, server1, _ = compose.services(topo)
    assert tor.ports[1].subnet == "10.77.1.0/29" and tor.ports[1].route == "00014D0A"  # 10.77.1.0, little-endian
    assert server1.ports[1].network == "pcie-acc1" and server1.ports[1].subnet == "10.77.2.0/29"
    assert "server1's NIC port 1 (PCIe) <-> accelerator acc1" in compose.render(topo, "pair.toml")


def test_the_demo_service_holds_every_accelerator_on_its_pcie_cable() -> None:
    topo = topology.load(RACK8)
    text = compose.render(topo, "topologies/rack8.toml")
    demo = text.split("\n  demo:\n", 1)[1].split("\n\n", 1)[0]
    attached = re.findall(r"^      (\S+): \{\}  # (\S+)$", demo, re.M)
    assert attached == [(f"pcie-acc{i}", f"acc{i}") for i in range(1, 9)]
    assert "--topology topologies/rack8.toml" in demo and "restart_policy: {condition: none}" in demo
    assert compose.pcie_cables(topo)["acc3"] == compose.services(topo)[3].ports[1]  # server3's port 1
    assert compose.device_hosts(topo)["tor"] == "p4runtime-tor"  # an alias on the controller's network alone
    tor = text.split("\n  tor:\n", 1)[1].split("\n  server1:\n", 1)[0]
    assert "      p4runtime: {aliases: [p4runtime-tor]}" in tor
