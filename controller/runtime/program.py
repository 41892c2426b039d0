"""A compiled program as `make build` leaves it: `<build>/<prog>/<prog>.json` and `<prog>.p4info.txtpb`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finsy.proto import p4i
from google.protobuf import text_format

from controller.p4names import P4Names
from controller.runtime.errors import ControllerError


@dataclass(frozen=True)
class Program:
    name: str
    json_path: Path
    p4info_path: Path
    p4info: Any  # p4i.P4Info
    names: P4Names


def load_program(build_dir: str | Path, name: str) -> Program:
    """Read one program's artifacts; a missing or unreadable file is a `ControllerError` naming it."""
    base = Path(build_dir) / name / name
    json_path, p4info_path = base.with_suffix(".json"), base.with_suffix(".p4info.txtpb")
    for path in (json_path, p4info_path):
        if not path.is_file():
            raise ControllerError(f"{path} is missing: run `make build` (or give --build-dir)")
    p4info = p4i.P4Info()
    try:
        text_format.Parse(p4info_path.read_text(), p4info)
    except (text_format.ParseError, UnicodeDecodeError) as exc:
        raise ControllerError(f"{p4info_path}: not a P4Info text file: {exc}") from None
    return Program(name, json_path, p4info_path, p4info, P4Names(p4info))
