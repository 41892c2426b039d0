"""Where the reference toolchain lives: p4c (`p4c-bm2-ss`, `p4c`) and BMv2 (`simple_switch`,
`simple_switch_grpc`, `simple_switch_CLI`), the tools softp4 is judged against.

`P4REF` names an install prefix holding `bin/` (the prefix p4c and behavioral-model were installed into).
When it is set, only that prefix is searched, so a run judges against the toolchain it names and never
silently against another one on PATH; when it is not set, PATH is searched.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENV = "P4REF"


def find_tool(name: str) -> str | None:
    """The path of reference tool `name`, or None when it is not there."""
    prefix = os.environ.get(ENV)
    if prefix:
        path = Path(prefix) / "bin" / name
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(name)


def where() -> str:
    """Where `find_tool` looks, for messages: `P4REF=<prefix>/bin` or `PATH`."""
    prefix = os.environ.get(ENV)
    return f"{ENV}={prefix} (its bin/)" if prefix else "PATH (P4REF is not set)"


def missing_message(name: str) -> str:
    return f"{name} is not in {where()}"
