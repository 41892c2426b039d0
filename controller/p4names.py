"""Names to P4Info objects: tables, match fields, actions, parameters, counters, registers.

The controller never hard-codes a P4Runtime id: it loads the P4Info a program was compiled to and resolves
full names (or unique dotted suffixes, like `tx_path.window`). A name that does not resolve raises
`NameResolutionError` naming the entry and suggesting the closest name. `resolve_entry` turns a
target-neutral `controller.entries.Entry` into the ordered, id-carrying form both the P4Runtime writer and
the in-process installer need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller.entries import Entry
from softp4.cliargs import did_you_mean


class NameResolutionError(ValueError):
    pass


@dataclass(frozen=True)
class ResolvedMatch:
    field_id: int
    name: str
    bitwidth: int
    match_type: str  # "exact", "lpm", "ternary", "range", "optional"
    value: int
    prefix_len: int | None


@dataclass(frozen=True)
class ResolvedEntry:
    table_id: int
    table: str
    match: tuple[ResolvedMatch, ...]  # in P4Info order, every field present
    action_id: int
    action: str
    params: tuple[tuple[int, int, int], ...]  # (param id, bitwidth, value), in P4Info order
    priority: int


MATCH_TYPES = {2: "exact", 3: "lpm", 4: "ternary", 5: "range", 6: "optional"}  # P4Info MatchField.MatchType


class P4Names:
    """An index of one P4Info by full name and by unique dotted suffix."""

    def __init__(self, p4info: Any) -> None:
        self.p4info = p4info
        self._by_kind: dict[str, dict[str, Any]] = {}
        kinds = ("tables", "actions", "counters", "direct_counters", "meters", "registers", "digests",
                 "controller_packet_metadata")
        for kind in kinds:
            objects = {obj.preamble.name: obj for obj in getattr(p4info, kind)}
            index: dict[str, Any] = dict(objects)
            suffixes: dict[str, list[str]] = {}
            for name in objects:
                parts = name.split(".")
                for i in range(1, len(parts)):
                    suffixes.setdefault(".".join(parts[i:]), []).append(name)
            for suffix, names in suffixes.items():
                if len(names) == 1 and suffix not in index:
                    index[suffix] = objects[names[0]]
            self._by_kind[kind] = index

    def get(self, kind: str, name: str, where: str = "") -> Any:
        index = self._by_kind[kind]
        found = index.get(name)
        if found is not None:
            return found
        hint = did_you_mean(name, index)
        prefix = f"{where}: " if where else ""
        raise NameResolutionError(f"{prefix}no {kind[:-1].replace('_', ' ')} '{name}'{hint}")

    def table(self, name: str, where: str = "") -> Any:
        return self.get("tables", name, where)

    def action(self, name: str, where: str = "") -> Any:
        return self.get("actions", name, where)

    def resolve_entry(self, entry: Entry) -> ResolvedEntry:
        where = entry.describe()
        table = self.table(entry.table, where)
        action = self.action(entry.action, where)
        if action.preamble.id not in {ref.id for ref in table.action_refs}:
            raise NameResolutionError(f"{where}: table '{table.preamble.name}' has no action '{entry.action}'")
        given = {m.field: m for m in entry.match}
        match: list[ResolvedMatch] = []
        for mf in table.match_fields:
            m = given.pop(mf.name, None)
            if m is None:
                raise NameResolutionError(f"{where}: match field '{mf.name}' is missing")
            kind = MATCH_TYPES.get(mf.match_type, "unspecified")
            if (kind == "lpm") != (m.prefix_len is not None):
                raise NameResolutionError(f"{where}: match field '{mf.name}' is {kind}")
            if not 0 <= m.value < 1 << mf.bitwidth:
                raise NameResolutionError(f"{where}: {m.value:#x} does not fit field '{mf.name}' of {mf.bitwidth} bits")
            match.append(ResolvedMatch(mf.id, mf.name, mf.bitwidth, kind, m.value, m.prefix_len))
        if given:
            raise NameResolutionError(f"{where}: table has no match field '{next(iter(given))}'")
        values = dict(entry.params)
        params: list[tuple[int, int, int]] = []
        for param in action.params:
            if param.name not in values:
                raise NameResolutionError(f"{where}: parameter '{param.name}' is missing")
            value = values.pop(param.name)
            if not 0 <= value < 1 << param.bitwidth:
                raise NameResolutionError(
                    f"{where}: {value:#x} does not fit parameter '{param.name}' of {param.bitwidth} bits"
                )
            params.append((param.id, param.bitwidth, value))
        if values:
            raise NameResolutionError(f"{where}: action has no parameter '{next(iter(values))}'")
        return ResolvedEntry(
            table.preamble.id, table.preamble.name, tuple(match), action.preamble.id, action.preamble.name,
            tuple(params), entry.priority,
        )
