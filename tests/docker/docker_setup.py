"""What the tests of this folder need, found or made once: a daemon (started when we are root and may,
as CI does), veth cables, and the images (the public ones, else local stand-ins built once: the base from Debian's
packages, BMv2 and p4c from P4REF, the project's from its Dockerfile). Where any of it is missing, every
test here is skipped with one reason."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from testbed.containers.engine import Docker, usable
from testbed.containers.images import ImageError, Images
from testbed.processes import wiring

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setup:
    """The docker CLI with a daemon, and the images found for BMv2, p4c and the project."""

    docker: Docker
    bmv2: str
    p4c: str
    project: str


def find_setup() -> Setup | str:
    """Everything found (images pulled or built now), or why it cannot be had here."""
    problem = wiring.probe()
    if problem is not None:
        return problem
    docker, problem = usable()
    if docker is None:
        return f"Docker cannot be used here: {problem}"
    images = Images(docker)
    try:
        return Setup(docker, images.resolve("bmv2"), images.resolve("p4c"), images.resolve("project"))
    except ImageError as exc:
        return f"the images cannot be had here: {exc}"


def dead_pid() -> int:
    """A pid no process can have."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1 + os.getpid() % 7
