"""Where real BMv2 is: `simple_switch` and `simple_switch_CLI`, and what the build supports.

Looked for, in order: the path given (`--bmv2 PATH`: the simple_switch binary, its bin/
directory or the install prefix holding bin/), `$P4REF` (a prefix holding bin/), then `PATH`.

simple_switch_CLI is a Python script (`#!/usr/bin/env python3`) that needs the `thrift` module;
when the `python3` first on PATH lacks it (a pyenv or venv Python, say), the script is run by
the first of the system Python, this Python and the PATH ones that can start it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SWITCH = "simple_switch"
CLI = "simple_switch_CLI"


class Bmv2NotFound(Exception):
    """No usable simple_switch / simple_switch_CLI: the message says where it looked."""


@dataclass(frozen=True)
class Bmv2Tools:
    simple_switch: Path
    cli: Path

    @property
    def options(self) -> frozenset[str]:
        """The long options this simple_switch build accepts (nanomsg ones only with nanomsg)."""
        return _options(str(self.simple_switch))

    @property
    def cli_command(self) -> list[str]:
        """How to start simple_switch_CLI: the script itself, or a Python that can run it."""
        return list(_cli_command(str(self.cli)))


def _starts(command: list[str]) -> bool:
    try:
        done = subprocess.run(
            [*command, "--help"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.cache
def _cli_command(script: str) -> tuple[str, ...]:
    if _starts([script]):
        return (script,)
    pythons = ["/usr/bin/python3", sys.executable, *(shutil.which(n) or "" for n in ("python3", "python"))]
    for python in dict.fromkeys(p for p in pythons if p):
        if _starts([python, script]):
            return (python, script)
    return (script,)  # it fails to start; CliSession reports what it printed


@functools.cache
def _options(binary: str) -> frozenset[str]:
    try:
        done = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    words = (done.stdout + done.stderr).split()
    return frozenset(w.lstrip("-") for w in words if w.startswith("--"))


def _pair(bin_dir: Path) -> Bmv2Tools | None:
    switch, cli = bin_dir / SWITCH, bin_dir / CLI
    if os.access(switch, os.X_OK) and switch.is_file() and os.access(cli, os.X_OK) and cli.is_file():
        return Bmv2Tools(switch, cli)
    return None


def find_bmv2(explicit: str | Path | None = None) -> Bmv2Tools:
    """simple_switch and the simple_switch_CLI beside it; Bmv2NotFound naming what was tried."""
    if explicit is not None:
        path = Path(explicit)
        candidates = [path.parent] if path.name == SWITCH else [path, path / "bin"]
        for bin_dir in candidates:
            found = _pair(bin_dir)
            if found is not None:
                return found
        raise Bmv2NotFound(f"no executable {SWITCH} and {CLI} in '{path}' (give the binary, its bin/ or the prefix)")
    prefix = os.environ.get("P4REF")
    if prefix:
        found = _pair(Path(prefix) / "bin")
        if found is not None:
            return found
        raise Bmv2NotFound(f"P4REF={prefix}: no executable {SWITCH} and {CLI} in {Path(prefix) / 'bin'}")
    switch = shutil.which(SWITCH)
    if switch is None:
        raise Bmv2NotFound(f"{SWITCH} is not on PATH (set P4REF=<prefix with bin/> or give --bmv2 PATH)")
    found = _pair(Path(switch).resolve().parent) or _pair(Path(switch).parent)
    if found is None:
        raise Bmv2NotFound(f"{SWITCH} found at {switch} but no executable {CLI} beside it")
    return found
