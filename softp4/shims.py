"""`softp4 shims DIR`: wrappers named like the real tools, so scripts that call them run softp4.

    softp4 shims ~/softp4-bin && export PATH=~/softp4-bin:$PATH
    p4c-bm2-ss --p4v 16 -o prog.json --p4runtime-files prog.p4info.txt prog.p4   # softp4 compile
    p4c --target bmv2 --arch v1model -o build prog.p4                             # softp4 p4c
    simple_switch_grpc --no-p4 -- --grpc-server-addr 127.0.0.1:9559                # softp4 switch

Each wrapper is a two-line shell script that runs this Python's `-m softp4 <command>`. They go in a
directory of their own (never next to the real tools) so that putting it first on PATH is a choice.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

#: wrapper name -> softp4 command
SHIMS = {
    "p4c-bm2-ss": "compile",
    "p4c": "p4c",
    "simple_switch_grpc": "switch",
    "simple_switch": "switch",
}


def write_shims(directory: Path, python: str = sys.executable) -> list[Path]:
    """Write the wrappers into `directory` (created if needed); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, command in SHIMS.items():
        path = directory / name
        path.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} -m softp4 {command} "$@"\n', encoding="utf-8")
        path.chmod(0o755)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: softp4 shims DIR\n\n" + (__doc__ or "").split("\n\n")[0], file=sys.stderr)
        return 0 if args in (["-h"], ["--help"]) else 2
    try:
        for path in write_shims(Path(args[0])):
            print(path)
    except OSError as exc:
        print(f"softp4 shims: error: {args[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
