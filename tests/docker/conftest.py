"""Fixtures of the Docker tests: a daemon, veth cables and the images (docker_setup.py), or a skip of
every test here with the one reason why not; p4src/ compiled in the p4c image; and a check that nothing
of a test is left behind."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_setup import ROOT, Setup, find_setup

from testbed.containers import compile as compiler
from testbed.containers.engine import Docker
from testbed.processes import wiring


@pytest.fixture(scope="session")
def setup() -> Setup:
    found = find_setup()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def p4c_build(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """p4src/ compiled by p4c-bm2-ss in the p4c image, as `make build DOCKER=1` does."""
    out = tmp_path_factory.mktemp("p4c-build")
    for prog in ("nic", "tor"):
        (out / prog).mkdir()
        args = ["--std", "p4-16", "--arch", "v1model", "-I", "p4src", "-o", str(out / prog / f"{prog}.json"),
                "--p4runtime-files", str(out / prog / f"{prog}.p4info.txtpb"), f"p4src/{prog}.p4"]
        done = subprocess.run(compiler.command(setup.docker, setup.p4c, "bmv2", args, cwd=ROOT), cwd=ROOT,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(autouse=True)
def nothing_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """No container, network or volume of this process, and no cable, outlives a test."""
    yield
    if "setup" in request.fixturenames:
        docker: Docker = request.getfixturevalue("setup").docker
        assert [kind for kind in ("container", "network", "volume") if docker.ours(kind)] == []
        assert wiring.ours() == []
