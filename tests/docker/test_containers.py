"""The rack's switches as containers: the demo and PTF on BMv2's image (p4c's programs compiled in the p4c
image) and on the project's image, and nothing left behind by a run, a Ctrl-C or a run killed outright.
conftest.py gets the daemon and the images, or skips all of this with the reason."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docker_setup import ROOT, Setup, dead_pid

from testbed import demo, ptf_runner
from testbed.containers.engine import LABEL, label_flags
from testbed.containers.images import Images
from testbed.containers.switches import ContainerSwitches
from testbed.processes import wiring

PAIR = ROOT / "topologies" / "pair.toml"
RACK8 = ROOT / "topologies" / "rack8.toml"


def test_pair_demo_on_bmv2_containers(setup: Setup, p4c_build: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--target", "bmv2", "--docker", "--build-dir", str(p4c_build), "--topology", str(PAIR),
            "--scenario", "walk", "--workdir", str(tmp_path)]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert f"one simple_switch_grpc container of {setup.bmv2} per P4 device" in out
    assert "OK: all 2048 bytes landed exactly once, in order, and nothing else was touched" in out
    assert out.count("pipeline pushed; entries: 8 inserted") == 2  # programmed over P4Runtime
    assert "server1.nic:16 -> tor:1" in out and "tor:2 -> server2.nic:16" in out  # hops on the veth cables
    assert "set-up: " in out
    assert {p.name for p in tmp_path.glob("*.log")} == {"tor.log", "server1.log", "server2.log"}


def test_rack8_all_to_all_under_loss_on_bmv2_containers(setup: Setup, p4c_build: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--target", "bmv2", "--docker", setup.bmv2, "--build-dir", str(p4c_build), "--topology", str(RACK8),
            "--all-to-all", "--loss", "1", "--workdir", str(tmp_path)]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "all-to-all: 560/560 writes acknowledged" in out
    assert "OK: every byte of every write landed exactly once, in order, where it should, and nowhere else" in out


def test_ptf_suite_on_a_bmv2_container(setup: Setup, p4c_build: Path, capfd: pytest.CaptureFixture[str]) -> None:
    status = ptf_runner.main(["--target", "bmv2", "--docker", "--build-dir", str(p4c_build)])
    out, err = capfd.readouterr()
    assert status == 0, out + err
    assert f"== PTF group 'nic' on bmv2 (a container of {setup.bmv2})" in out
    assert "nic_tests.RxGapIsNackedAndDropped ... ok" in err and "tor_tests.ForwardsByDestinationMac ... ok" in err
    assert "FAILED" not in err


def test_pair_all_to_all_on_softp4_containers(setup: Setup, build_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--docker", "--build-dir", str(build_dir), "--topology", str(PAIR), "--all-to-all", "--loss", "5",
            "--workdir", str(tmp_path)]
    status = demo.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert f"one softp4 switch container of {setup.project} per P4 device" in out
    assert "OK: every byte of every write landed exactly once, in order, where it should, and nowhere else" in out


def test_ctrl_c_removes_every_container_and_cable(setup: Setup, p4c_build: Path, tmp_path: Path) -> None:
    """A real SIGINT once the switch containers exist (they are starting, or being programmed)."""
    argv = [sys.executable, "-m", "testbed.demo", "--target", "bmv2", "--docker", "--build-dir", str(p4c_build),
            "--topology", str(RACK8), "--workdir", str(tmp_path)]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not setup.docker.ours("container", proc.pid) and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "interrupted: switches stopped, cables removed" in err and "Traceback" not in err
    assert setup.docker.ours("container", proc.pid) == []
    assert wiring.ours(proc.pid) == []


def test_containers_of_a_killed_run_are_removed_by_the_next(setup: Setup) -> None:
    dead = dead_pid()
    container = setup.docker.run(["run", "-d", *label_flags(dead), "--network", "none", setup.project,
                                  "sleep", "600"]).strip()
    try:
        assert setup.docker.ours("container", dead) == [container]
        ContainerSwitches(setup.docker, "softp4", setup.project).prepare()  # what every run does first
        assert setup.docker.ours("container", dead) == []
    finally:
        setup.docker.remove("container", [container])


def test_images_are_built_once(setup: Setup) -> None:
    """Asked again, every image is the one found before, and nothing is pulled or built."""
    said: list[str] = []
    images = Images(setup.docker, say=said.append)
    assert (images.resolve("bmv2"), images.resolve("p4c"), images.resolve("project")) == (
        setup.bmv2, setup.p4c, setup.project)
    assert said == []
    if setup.bmv2.startswith("jetstream/"):  # a stand-in: it says what it is made of
        assert setup.docker.image_label(setup.bmv2, f"{LABEL}.inputs") is not None


def test_the_process_testbed_runs_inside_the_projects_image(setup: Setup) -> None:
    """As docs/docker.md shows it: cables in the container's namespace, where /proc/sys is read-only."""
    done = subprocess.run(
        [setup.docker.command, "run", "--rm", *label_flags(), "--cap-add", "NET_ADMIN", "--sysctl",
         "net.ipv6.conf.default.disable_ipv6=1", setup.project, "python", "-m", "testbed.demo", "--testbed", "netns",
         "--topology", "topologies/pair.toml", "--scenario", "walk", "--bytes", "1024"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "one softp4 switch process per P4 device" in done.stdout
    assert "OK: all 1024 bytes landed exactly once, in order, and nothing else was touched" in done.stdout
