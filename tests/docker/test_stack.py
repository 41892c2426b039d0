"""The compose stack of a topology run to its end: rack8 with docker-compose and on a one-node Docker Swarm,
its demo service holding the accelerators; a failing demo and a Ctrl-C remove the stack (and the swarm
made for the run) like a passing one. conftest.py gets the daemon and the images, or skips the tests that
need them with the reason; the first ones here need no Docker."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docker_setup import ROOT, Setup

from controller import compose, topology
from controller.plan import compute
from testbed.accelerator import Accelerator
from testbed.containers import accelerators, stack
from testbed.containers.engine import Docker
from testbed.containers.images import PROJECT

RACK8 = ROOT / "topologies" / "rack8.toml"
ROUTES = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0000140A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth3\t00024D0A\t00000000\t0001\t0\t0\t0\tF8FFFFFF\t0\t0\t0
"""
OK = "OK: every byte of every write landed exactly once, in order, where it should, and nowhere else"


def test_a_pcie_cable_is_found_by_its_subnets_route() -> None:
    pair = topology.load(ROOT / "topologies" / "pair.toml")
    assert compose.pcie_cables(pair)["acc1"].route == "00024D0A"  # 10.77.2.0/29, server1's PCIe cable
    assert accelerators.interface_of("00024D0A", ROUTES) == "eth3"
    assert accelerators.interface_of("00044D0A", ROUTES) is None


def test_the_hosts_ipv6_multicast_is_skipped_and_every_tlp_crosses_a_bridge() -> None:
    mld = bytes.fromhex("333300000016" "0242cc511462" "86dd") + bytes(40)
    assert accelerators.host_chatter(mld)
    rack8 = topology.load(RACK8)
    plan = compute(rack8)
    sent: list[bytes] = []
    streams = [s for s in plan.nics["server1"].tx_streams if s.dst.name == "acc2"]
    acc = Accelerator(rack8.servers[0].accelerators[0], sent.append, streams)
    assert acc.write("acc2", plan.tx_window("acc1", "acc2").local_base, bytes(range(256)) * 8) == 8
    # a Linux bridge drops a frame whose source address (a TLP's bytes 6..11: the tag first) is multicast
    assert [frame[6] % 2 for frame in sent] == [0] * 8
    assert len({frame[6] for frame in sent}) == 8  # still a tag of its own for every TLP of the write
    assert not any(accelerators.host_chatter(frame) for frame in sent)


def test_a_topology_outside_the_repository_is_refused_in_one_line(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_bytes(RACK8.read_bytes())
    assert stack.main(["compose", "--topology", str(mine)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reads the topology from the project's image" in err
    assert stack.main(["kubernetes"]) == 2
    assert "invalid choice: 'kubernetes'" in capsys.readouterr().err


def _left(docker: Docker, label: str) -> list[str]:
    """The containers and networks of a stack or compose project still there."""
    return [*docker.run(["ps", "-aq", "--filter", f"label={label}"]).split(),
            *docker.run(["network", "ls", "-q", "--filter", f"label={label}"]).split()]


def _swarm_state(docker: Docker) -> str:
    return docker.run(["info", "--format", "{{.Swarm.LocalNodeState}}"]).strip()


def _networks(docker: Docker) -> set[str]:
    return set(docker.run(["network", "ls", "--format", "{{.Name}}"]).split())


def test_rack8_compose_stack_runs_the_demo(setup: Setup, capfd: pytest.CaptureFixture[str]) -> None:
    status = stack.main(["compose", "--topology", str(RACK8), "--name", "jetstream-test-compose"])
    out, err = capfd.readouterr()
    assert status == 0, out + err
    assert "accelerators on their PCIe cables: acc1 on eth" in out
    assert out.count("pipeline pushed") == 9  # the ToR and eight NICs, programmed by service name
    assert "all-to-all: 560/560 writes acknowledged" in out and OK in out
    assert _left(setup.docker, f"{stack.COMPOSE_LABEL}=jetstream-test-compose") == []
    assert not setup.docker.image_exists(f"{PROJECT}-jetstream-test-compose")  # the run's tag is gone


def test_rack8_on_a_one_node_swarm(setup: Setup, capfd: pytest.CaptureFixture[str]) -> None:
    if _swarm_state(setup.docker) == "active":
        pytest.skip("this host is in a swarm already: the test makes and leaves its own")
    before = _networks(setup.docker)
    status = stack.main(["swarm", "--topology", str(RACK8), "--name", "jetstream-test-swarm"])
    out, err = capfd.readouterr()
    assert status == 0, out + err
    assert "made a one-node swarm for the run" in out
    assert out.count("pipeline pushed") == 9 and OK in out
    assert _left(setup.docker, f"{stack.STACK_LABEL}=jetstream-test-swarm") == []
    assert _swarm_state(setup.docker) == "inactive"
    assert _networks(setup.docker) == before  # no overlay, ingress or docker_gwbridge left


def test_a_failing_demo_is_the_stacks_status_and_removes_it(setup: Setup,
                                                             capfd: pytest.CaptureFixture[str]) -> None:
    status = stack.main(["compose", "--topology", str(RACK8), "--name", "jetstream-test-fail", "--",
                         "--bytes", "0"])  # the demo service refuses it (exit 2) after the switches came up
    out, err = capfd.readouterr()
    assert status == 2, out + err
    assert "--bytes: " in out + err
    assert _left(setup.docker, f"{stack.COMPOSE_LABEL}=jetstream-test-fail") == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works again after the cleanup


def test_ctrl_c_removes_the_stack_and_the_swarm(setup: Setup) -> None:
    if _swarm_state(setup.docker) == "active":
        pytest.skip("this host is in a swarm already: the test makes and leaves its own")
    before = _networks(setup.docker)
    label = f"{stack.STACK_LABEL}=jetstream-test-ctrl-c"
    proc = subprocess.Popen([sys.executable, "-m", "testbed.containers.stack", "swarm", "--topology", str(RACK8),
                             "--name", "jetstream-test-ctrl-c"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        while not setup.docker.run(["ps", "-q", "--filter", f"label={label}"]).split() and proc.poll() is None:
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "stack: interrupted: removing the stack" in err and "Traceback" not in err
    assert _left(setup.docker, label) == []
    assert _swarm_state(setup.docker) == "inactive"
    assert _networks(setup.docker) == before


def test_a_network_on_the_stacks_subnets_is_named_in_one_line(setup: Setup,
                                                              capfd: pytest.CaptureFixture[str]) -> None:
    """Found before anything is made: else a switch's task is refused ("Pool overlaps") and the demo only
    sees a switch that never answers."""
    subnet = compose.pcie_cables(topology.load(RACK8))["acc8"].subnet
    name = "jetstream-test-taken"
    setup.docker.run(["network", "create", "--internal", "--subnet", subnet, "--label", "org.jetstream-p4=1", name])
    try:
        status = stack.main(["compose", "--topology", str(RACK8), "--name", "jetstream-test-taken"])
    finally:
        setup.docker.run(["network", "rm", name])
    out, err = capfd.readouterr()
    assert status == 1, out + err
    assert err == (f"stack: network {name} holds {subnet}: the stack needs that subnet (remove the network; a "
                   "copy of a swarm network that the engine kept after leaving its swarm goes only when the "
                   "engine restarts)\n")
