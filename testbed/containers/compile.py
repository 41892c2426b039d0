"""The compiler run in its image: `p4c-bm2-ss` in the p4c image, or softp4's compiler in the project's.

`python -m testbed.containers compile --target bmv2 -- --std p4-16 ... -o build/nic/nic.json p4src/nic.p4`
runs `docker run --rm --user UID:GID -v CWD:CWD -w CWD IMAGE p4c-bm2-ss ARGS`: the working directory is
mounted at its own path, and so is the directory of every output file named by an absolute path elsewhere,
so the compiler reads and writes the same paths as it would on the host, as the invoking user.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

from testbed.containers.engine import Docker, label_flags

COMMANDS = {"bmv2": ["p4c-bm2-ss"], "softp4": ["softp4", "compile"]}
OUTPUT_FLAGS = ("-o", "--p4runtime-files")


def command(docker: Docker, image: str, target: str, args: list[str], cwd: Path | None = None) -> list[str]:
    cwd = (cwd or Path.cwd()).resolve()
    mounts = {cwd}
    for flag, value in itertools.pairwise(args):
        if flag in OUTPUT_FLAGS and Path(value).is_absolute():
            mounts.add(Path(value).resolve().parent)
    volumes = [flag for path in sorted(mounts) for flag in ("-v", f"{path}:{path}")]
    user = f"{os.getuid()}:{os.getgid()}"
    return [docker.command, "run", "--rm", *label_flags(), "--network", "none", "--user", user, *volumes,
            "-w", str(cwd), image, *COMMANDS[target], *args]


def run(docker: Docker, image: str, target: str, args: list[str]) -> int:
    """Compile; the compiler's output is shown as it is, and its exit status returned."""
    return subprocess.run(command(docker, image, target, args), check=False, stdin=subprocess.DEVNULL).returncode
