"""What a cable between two Docker engines carries (`python -m testbed.containers.twonode`, a second engine
in a network namespace of this machine), as docs/docker.md says: Docker's overlay only frames to a
container's own MAC, so no JetStream frame and no TLP; with a flood entry, or on a macvlan (passthru)
network over a VXLAN device of the hosts' own, every one of them. And nothing of it is left."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest
from docker_setup import Setup

from testbed.containers import twonode

TO_CONTAINER, TO_NIC, TO_GROUP, TLP = twonode.frames("0242aabbccdd", "0242aabbccee")  # the rows, by name


def test_what_crosses_between_two_engines(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    if setup.docker.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).strip() != "inactive":
        pytest.skip("this engine is in a swarm: the measurement makes one of its own")
    networks = set(setup.docker.run(["network", "ls", "--format", "{{.Name}}"]).split())
    status = twonode.main([])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    cells = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]
    assert cells[0] == ["frame", *twonode.KINDS]
    rows = {row[0]: row[1:] for row in cells[2:]}
    assert rows == {
        TO_CONTAINER: ["3/3", "3/3", "3/3"],
        TO_NIC: ["0/3", "3/3", "3/3"],
        TO_GROUP: ["0/3", "3/3", "3/3"],
        TLP: ["0/3", "3/3", "3/3"],
    }
    assert setup.docker.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).strip() == "inactive"
    assert set(setup.docker.run(["network", "ls", "--format", "{{.Name}}"]).split()) == networks
    assert twonode.NETNS not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert twonode.UNDERLAY[0] not in links and twonode.VXLAN_DEVICE not in links
    assert not twonode.NODE2.exists() and not twonode.NODE2_DATA.exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works again after the cleanup


def test_rack8_over_two_engines_with_server2_on_the_second(setup: Setup, capfd: pytest.CaptureFixture[str]) -> None:
    """server2's NIC on the second engine: its uplink and its PCIe cable (to the demo's emulator of acc2, on
    this engine) are VXLAN segments the two make, every other cable an overlay of one engine; the demo checks
    every byte, and nothing of it is left: no device, network, container, swarm or second engine."""
    if setup.docker.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).strip() != "inactive":
        pytest.skip("this engine is in a swarm: the run makes one of its own")
    networks = set(setup.docker.run(["network", "ls", "--format", "{{.Name}}"]).split())
    taken = [name for name in networks if "10.77." in setup.docker.run(
        ["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", name], check=False)]
    if taken:  # e.g. a swarm network's copy that the engine kept after leaving its swarm (moby#42136)
        pytest.skip(f"this engine's networks {', '.join(sorted(taken))} hold the stack's subnets 10.77.N.0/29")
    status = twonode.main(["--rack", "--", "--seed", "7"])
    out, err = capfd.readouterr()
    assert status == 0, out + err
    assert "2 cables between hosts as VXLAN (UDP 4790, VNI 7800+N, MTU 1450): uplink-server2, pcie-acc2" in out
    assert out.count("pipeline pushed") == 9
    assert "all-to-all: 560/560 writes acknowledged" in out
    assert "OK: every byte of every write landed exactly once" in out and "warning" not in err
    assert setup.docker.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).strip() == "inactive"
    assert set(setup.docker.run(["network", "ls", "--format", "{{.Name}}"]).split()) == networks
    assert not [line for line in subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
                .splitlines() if "jsvx" in line or twonode.UNDERLAY[0] in line]
    assert not twonode.NODE2.exists() and not twonode.SOCKET.exists()
