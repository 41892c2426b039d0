"""Devices on softp4 in this process: load a program from a build directory and install a DeviceConfig.

Entries are resolved through the program's P4Info, as a P4Runtime client would: tables, match fields,
actions and parameters by name, key fields and parameters put in P4Info order (which is the BMv2 JSON's
order too). A name that does not resolve raises `InstallError` (`controller.p4names.NameResolutionError`) naming the
entry and suggesting names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import text_format

from controller.entries import DeviceConfig, Entry
from controller.p4names import NameResolutionError, P4Names
from softp4.switch import Exact, Lpm, Switch

InstallError = NameResolutionError


@dataclass(frozen=True)
class Artifacts:
    """A compiled program: BMv2 JSON text and its P4Info message."""

    name: str
    json_text: str
    p4info: Any


def load_artifacts(build_dir: str | Path, program: str) -> Artifacts:
    """Read `<build_dir>/<program>/<program>.json` and `.p4info.txtpb` (as `make build` writes them)."""
    from finsy.proto import p4i

    base = Path(build_dir) / program / program
    json_path, p4info_path = base.with_suffix(".json"), base.with_suffix(".p4info.txtpb")
    for path in (json_path, p4info_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run `make build` first")
    p4info = p4i.P4Info()
    text_format.Parse(p4info_path.read_text(), p4info)
    return Artifacts(program, json_path.read_text(), p4info)


class Device:
    """One softp4 switch running a compiled program, configured by name."""

    def __init__(self, name: str, artifacts: Artifacts, **switch_args: Any) -> None:
        self.name = name
        self.artifacts = artifacts
        self.switch = Switch(artifacts.json_text, **switch_args)
        self.names = P4Names(artifacts.p4info)

    def install(self, config: DeviceConfig) -> None:
        for entry in config.entries:
            self.add_entry(entry)
        for group in config.groups:
            nodes: dict[int, list[int]] = {}
            for port, rid in group.replicas:
                nodes.setdefault(rid, []).append(port)
            self.switch.mc_group_set(group.group_id, [(rid, sorted(ports)) for rid, ports in nodes.items()])

    def add_entry(self, entry: Entry) -> int:
        resolved = self.names.resolve_entry(entry)
        key = [Exact(m.value) if m.prefix_len is None else Lpm(m.value, m.prefix_len) for m in resolved.match]
        params = [value for _, _, value in resolved.params]
        handle: int = self.switch.table_add(resolved.table, key, resolved.action, params, entry.priority)
        return handle

    def counter(self, name: str, index: int) -> tuple[int, int]:
        result: tuple[int, int] = self.switch.counter_read(name, index)
        return result

    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = self.switch.process(port, frame)
        return out
