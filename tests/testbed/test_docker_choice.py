"""When the Docker path is taken (DOCKER=1 forces it, DOCKER=0 forbids it, TARGET=bmv2 takes it where
simple_switch_grpc is missing and docker is there), and the commands it runs: these need no daemon."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from testbed.containers import compile as compiler
from testbed.containers.engine import LABEL, Docker, label_flags

ROOT = Path(__file__).resolve().parents[2]


def demo_line(tmp_path: Path, *assignments: str, docker_on_path: bool) -> str:
    """The demo command `make -n run ...` would run, with or without a `docker` command on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "docker"
    if docker_on_path:
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
    elif fake.exists():
        fake.unlink()
    make = shutil.which("make")
    assert make is not None
    env = {**os.environ, "PATH": str(bin_dir)}
    out = subprocess.run([make, "-n", "--no-print-directory", "run", *assignments], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return " ".join(out.split("\\\n")[-2:]).replace("\n", " ") if "testbed.demo" in out else out


@pytest.fixture
def no_bmv2(tmp_path: Path) -> str:
    (tmp_path / "p4ref" / "bin").mkdir(parents=True)
    return f"P4REF={tmp_path / 'p4ref'}"


@pytest.fixture
def a_bmv2(tmp_path: Path) -> str:
    binary = tmp_path / "ref" / "bin" / "simple_switch_grpc"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return f"P4REF={tmp_path / 'ref'}"


def test_bmv2_without_simple_switch_grpc_runs_in_docker(tmp_path: Path, no_bmv2: str) -> None:
    line = demo_line(tmp_path, "TARGET=bmv2", no_bmv2, docker_on_path=True)
    assert "--docker p4lang/behavioral-model" in line and "--build-dir build-docker" in line


def test_bmv2_found_natively_runs_natively(tmp_path: Path, a_bmv2: str) -> None:
    line = demo_line(tmp_path, "TARGET=bmv2", a_bmv2, docker_on_path=True)
    assert "--docker" not in line and "--build-dir build " in line


def test_docker_1_forces_and_docker_0_forbids(tmp_path: Path, a_bmv2: str, no_bmv2: str) -> None:
    assert "--docker p4lang/behavioral-model" in demo_line(tmp_path, "TARGET=bmv2", "DOCKER=1", a_bmv2,
                                                           docker_on_path=True)
    assert "--docker" not in demo_line(tmp_path, "TARGET=bmv2", "DOCKER=0", no_bmv2, docker_on_path=True)
    assert "--docker" not in demo_line(tmp_path, "TARGET=bmv2", no_bmv2, docker_on_path=False)


def test_images_and_softp4_follow_the_variables(tmp_path: Path, no_bmv2: str) -> None:
    assert "--docker my/bmv2:1" in demo_line(tmp_path, "TARGET=bmv2", "BMV2_IMAGE=my/bmv2:1", no_bmv2,
                                             docker_on_path=True)
    assert "--docker jetstream/jetstream:dev" in demo_line(tmp_path, "TARGET=softp4", "DOCKER=1",
                                                           docker_on_path=True)
    assert "--docker" not in demo_line(tmp_path, "TARGET=softp4", docker_on_path=True)  # softp4: only when asked


def test_the_compiler_sees_the_same_paths_as_the_user(tmp_path: Path) -> None:
    out = tmp_path / "out" / "nic.json"
    cmd = compiler.command(Docker("docker"), "p4lang/p4c", "bmv2",
                           ["-o", str(out), "--p4runtime-files", "build/nic/nic.p4info.txtpb", "p4src/nic.p4"],
                           cwd=ROOT)
    image = cmd.index("p4lang/p4c")
    assert cmd[image + 1] == "p4c-bm2-ss" and cmd[image + 2:] == ["-o", str(out), "--p4runtime-files",
                                                                   "build/nic/nic.p4info.txtpb", "p4src/nic.p4"]
    mounts = [cmd[i + 1] for i, a in enumerate(cmd[:image]) if a == "-v"]
    assert sorted(mounts) == sorted([f"{ROOT}:{ROOT}", f"{out.parent}:{out.parent}"])
    assert cmd[cmd.index("-w") + 1] == str(ROOT)
    assert cmd[cmd.index("--user") + 1] == f"{os.getuid()}:{os.getgid()}"
    assert cmd[cmd.index("--network") + 1] == "none"
    assert f"{LABEL}.pid={os.getpid()}" in label_flags()
