"""What the STF runner needs to know about a BMv2 JSON program: names and widths.

STF files name tables, actions, key fields, counters and registers by any suffix of their full
names (as p4c's BMv2 runner accepts); this module resolves them once, up front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class UnknownName(Exception):
    """A name in the STF file that the program does not have (or has more than once)."""


@dataclass(frozen=True)
class KeySpec:
    name: str
    match_type: str
    width: int


@dataclass(frozen=True)
class ActionSpec:
    name: str
    params: tuple[tuple[str, int], ...]  # (name, bitwidth)


@dataclass(frozen=True)
class TableSpec:
    name: str
    keys: tuple[KeySpec, ...]
    actions: tuple[ActionSpec, ...]
    profile: str | None = None  # action profile or selector of an indirect table
    match_type: str = "exact"  # the table's own JSON match_type (BMv2's CLI wants a priority for ternary, range)

    @property
    def needs_priority(self) -> bool:
        return any(k.match_type in ("ternary", "range", "optional") for k in self.keys)


def resolve_suffix(kind: str, wanted: str, names: list[str], where: str = "") -> str:
    """Exact name, else the one name ending in `.wanted`, else the one ending in `wanted`."""
    if wanted in names:
        return wanted
    for candidates in (
        [n for n in names if n.endswith("." + wanted)],
        [n for n in names if n.endswith(wanted)],
    ):
        unique = sorted(set(candidates))
        if len(unique) == 1:
            return unique[0]
        if len(unique) > 1:
            raise UnknownName(f"{kind} name '{wanted}'{where} is ambiguous: {', '.join(unique)}")
    known = ", ".join(sorted(set(names))) or "none"
    raise UnknownName(f"no {kind} '{wanted}'{where} (known: {known})")


class ProgramNames:
    """Tables (with key widths and actions), counters, registers and meters of a BMv2 JSON program."""

    def __init__(self, program: dict[str, Any]) -> None:
        widths: dict[str, dict[str, int]] = {}
        for htype in program.get("header_types", []):
            # a varbit field's width is "*" (and a key cannot be one): record it as unknown (0)
            widths[htype["name"]] = {f[0]: f[1] if isinstance(f[1], int) else 0 for f in htype.get("fields", [])}
        header_fields: dict[str, dict[str, int]] = {}
        for header in program.get("headers", []):
            header_fields[header["name"]] = widths.get(header.get("header_type", ""), {})
        actions_by_id: dict[int, ActionSpec] = {}
        for action in program.get("actions", []):
            params = tuple((p["name"], int(p["bitwidth"])) for p in action.get("runtime_data", []))
            actions_by_id[int(action["id"])] = ActionSpec(action["name"], params)
        self.tables: dict[str, TableSpec] = {}
        for pipeline in program.get("pipelines", []):
            for table in pipeline.get("tables", []):
                keys = []
                for key in table.get("key", []):
                    target = key.get("target")
                    name = key.get("name")
                    if not name:
                        name = ".".join(target) if isinstance(target, list) else str(target)
                    match_type = key.get("match_type", "exact")
                    if match_type == "valid" or (isinstance(target, list) and target[-1] == "$valid$"):
                        width = 1
                    elif isinstance(target, list) and len(target) == 2:
                        width = header_fields.get(target[0], {}).get(target[1], 0)
                    else:
                        width = 0
                    keys.append(KeySpec(name, match_type, width))
                ids = table.get("action_ids", [])
                actions = tuple(actions_by_id[i] for i in ids if i in actions_by_id)
                profile = table.get("action_profile") if table.get("type") in ("indirect", "indirect_ws") else None
                match = str(table.get("match_type", "exact"))
                self.tables[table["name"]] = TableSpec(table["name"], tuple(keys), actions, profile, match)
        self.counters: dict[str, dict[str, Any]] = {c["name"]: c for c in program.get("counter_arrays", [])}
        self.registers: dict[str, dict[str, Any]] = {r["name"]: r for r in program.get("register_arrays", [])}
        self.meters: dict[str, dict[str, Any]] = {m["name"]: m for m in program.get("meter_arrays", [])}
        self.value_sets: list[str] = [v["name"] for v in program.get("parse_vsets", [])]

    def table(self, name: str) -> TableSpec:
        return self.tables[resolve_suffix("table", name, list(self.tables))]

    def action(self, table: TableSpec, name: str) -> ActionSpec:
        by_name = {a.name: a for a in table.actions}
        return by_name[resolve_suffix("action", name, list(by_name), f" in table '{table.name}'")]

    def key_index(self, table: TableSpec, field: str) -> int:
        """The position of a key field, found the way p4c's BMv2 runner finds it."""
        names = [k.name for k in table.keys]
        m = re.match(r"(.*)\$([0-9]+)(.*)", field)
        if m:
            field = f"{m.group(1)}[{m.group(2)}]{m.group(3)}"
        candidates = [field, field + "$", field + ".$valid$"]
        if field.endswith(".valid"):
            candidates.append(field[: -len("valid")] + "$valid$")
        for candidate in candidates:
            if candidate in names:
                return names.index(candidate)
        for i, name in enumerate(names):
            if name.endswith("." + field) or name.endswith("." + field + "$"):
                return i
            if field == "valid" and name.endswith(".$valid$"):
                return i
        if len(candidates) > 3:  # `h.valid`: also as a suffix of `hdr.h.$valid$`
            for i, name in enumerate(names):
                if name.endswith("." + candidates[3]):
                    return i
        if field == "valid" and "$valid$" in names:
            return names.index("$valid$")
        raise UnknownName(
            f"no key field '{field}' in table '{table.name}' (its keys: {', '.join(names) or 'none'})"
        )

    def counter(self, name: str) -> str:
        return resolve_suffix("counter", name, list(self.counters))

    def register(self, name: str) -> str:
        return resolve_suffix("register", name, list(self.registers))

    def meter(self, name: str) -> str:
        return resolve_suffix("meter", name, list(self.meters))

    def value_set(self, name: str) -> str:
        return resolve_suffix("value set", name, self.value_sets)

    def profile(self, name: str) -> tuple[str, TableSpec]:
        """An action profile by (suffix of) name, with one table it implements (for its actions)."""
        owners = {t.profile: t for t in self.tables.values() if t.profile}
        full = resolve_suffix("action profile", name, list(owners))
        return full, owners[full]

    def direct_meter_table(self, meter: str) -> str | None:
        """The table a direct meter is bound to (None for an indirect meter)."""
        spec = self.meters.get(meter, {})
        return str(spec["binding"]) if spec.get("is_direct") and spec.get("binding") else None
