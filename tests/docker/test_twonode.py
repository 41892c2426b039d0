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
