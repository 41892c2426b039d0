"""Devices on softp4 in this process: load a program from a build directory and install a DeviceConfig.

Entries are resolved through the program's P4Info, as a P4Runtime client would: tables, match fields,
actions and parameters by name, key fields and parameters put in P4Info order (which is the BMv2 JSON's
order too). A name that does not resolve raises `InstallError` naming the entry and suggesting names.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import text_format

from controller.entries import DeviceConfig, Entry
from softp4.switch import Exact, Lpm, Switch


class InstallError(ValueError):
    pass


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


def _pick(kind: str, name: str, known: dict[str, Any], where: str) -> Any:
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise InstallError(f"{where}: no {kind} '{name}'{hint}")


class Device:
    """One softp4 switch running a compiled program, configured by name."""

    def __init__(self, name: str, artifacts: Artifacts, **switch_args: Any) -> None:
        self.name = name
        self.artifacts = artifacts
        self.switch = Switch(artifacts.json_text, **switch_args)
        info = artifacts.p4info
        self._tables = {t.preamble.name: t for t in info.tables}
        self._actions = {a.preamble.name: a for a in info.actions}

    def install(self, config: DeviceConfig) -> None:
        for entry in config.entries:
            self.add_entry(entry)
        for group in config.groups:
            nodes: dict[int, list[int]] = {}
            for port, rid in group.replicas:
                nodes.setdefault(rid, []).append(port)
            self.switch.mc_group_set(group.group_id, [(rid, sorted(ports)) for rid, ports in nodes.items()])

    def add_entry(self, entry: Entry) -> int:
        where = f"{self.name}: {entry.describe()}"
        table = _pick("table", entry.table, self._tables, where)
        action = _pick("action", entry.action, self._actions, where)
        given = {m.field: m for m in entry.match}
        key: list[Any] = []
        for mf in table.match_fields:
            match = given.pop(mf.name, None)
            if match is None:
                raise InstallError(f"{where}: match field '{mf.name}' is missing")
            if match.prefix_len is None:
                key.append(Exact(match.value))
            else:
                key.append(Lpm(match.value, match.prefix_len))
        if given:
            raise InstallError(f"{where}: table has no match field '{next(iter(given))}'")
        values = dict(entry.params)
        params: list[int] = []
        for param in action.params:
            if param.name not in values:
                raise InstallError(f"{where}: parameter '{param.name}' is missing")
            params.append(values.pop(param.name))
        if values:
            raise InstallError(f"{where}: action has no parameter '{next(iter(values))}'")
        handle: int = self.switch.table_add(entry.table, key, entry.action, params, entry.priority)
        return handle

    def counter(self, name: str, index: int) -> tuple[int, int]:
        result: tuple[int, int] = self.switch.counter_read(name, index)
        return result

    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = self.switch.process(port, frame)
        return out
