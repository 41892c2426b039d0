"""Every program of the corpus (tests/p4programs/*.p4) compiles to consistent BMv2 JSON and P4Info.

The consistency checks hold for any program: every reference in the JSON
names something that exists (actions, tables, conditionals, header
instances and their fields, arrays, calculations), `next_tables` lists the
table's actions or exactly __HIT__/__MISS__, and every table and action the
control plane sees in P4Info exists in the JSON under the same name.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from softp4.compiler import CompileResult, compile_file

CORPUS = Path(__file__).resolve().parents[1] / "p4programs"
PROGRAMS = sorted(p.stem for p in CORPUS.glob("*.p4"))


@cache
def compiled(name: str) -> CompileResult:
    return compile_file(CORPUS / f"{name}.p4")


def test_corpus_is_large_enough() -> None:
    assert len(PROGRAMS) >= 40


class _Refs:
    def __init__(self, j: dict[str, Any]) -> None:
        self.j = j
        types = {t["name"]: t for t in j["header_types"]}
        self.fields: dict[str, set[str]] = {}
        for h in j["headers"]:
            names = {f[0] for f in types[h["header_type"]]["fields"]}
            self.fields[h["name"]] = names | {"$valid$"}
        self.stacks = {s["name"]: s for s in j["header_stacks"]}
        self.unions = {u["name"] for u in j["header_unions"]}
        self.arrays = {
            "counter_array": {c["name"] for c in j["counter_arrays"]},
            "meter_array": {m["name"] for m in j["meter_arrays"]},
            "register_array": {r["name"] for r in j["register_arrays"]},
            "calculation": {c["name"] for c in j["calculations"]},
        }

    def check(self, node: Any, where: str) -> None:
        """Every field/header/array reference below `node` exists."""
        if isinstance(node, list):
            for x in node:
                self.check(x, where)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        value: Any = node.get("value")
        if kind == "field":
            inst, fname = value
            assert inst in self.fields, f"{where}: unknown instance {inst}"
            assert fname in self.fields[inst], f"{where}: unknown field {inst}.{fname}"
        elif kind == "header":
            assert value in self.fields, f"{where}: unknown header {value}"
        elif kind == "header_stack":
            assert value in self.stacks, f"{where}: unknown stack {value}"
        elif kind in self.arrays:
            assert value in self.arrays[kind], f"{where}: unknown {kind} {value}"
        for v in node.values():
            if isinstance(v, dict | list):
                self.check(v, where)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_json_is_consistent(name: str) -> None:
    result = compiled(name)
    j = json.loads(json.dumps(result.bmv2_json))
    assert j["__meta__"]["version"] == [2, 23]
    refs = _Refs(j)
    action_ids = {a["id"]: a for a in j["actions"]}
    assert len(action_ids) == len(j["actions"]), "action ids are unique"
    for a in j["actions"]:
        refs.check(a["primitives"], f"action {a['name']}")
        n = len(a["primitives"])
        for p in a["primitives"]:
            if p["op"] in ("_jump", "_jump_if_zero"):
                target = int(p["parameters"][-1]["value"], 16)
                assert 0 <= target <= n
            if p["op"] == "_jump_if_zero":
                assert p["parameters"][0]["type"] in ("expression", "field")
            for q in p["parameters"]:
                if q.get("type") == "runtime_data":
                    assert 0 <= q["value"] < len(a["runtime_data"])
    table_names: set[str] = set()
    for pipe in j["pipelines"]:
        nodes = {t["name"] for t in pipe["tables"]} | {c["name"] for c in pipe["conditionals"]}
        assert len(nodes) == len(pipe["tables"]) + len(pipe["conditionals"]), "node names are unique"
        assert pipe["init_table"] is None or pipe["init_table"] in nodes
        for t in pipe["tables"]:
            table_names.add(t["name"])
            assert [action_ids[i]["name"] for i in t["action_ids"]] == t["actions"]
            keys = set(t["next_tables"])
            assert keys == set(t["actions"]) or keys == {"__HIT__", "__MISS__"}, t["name"]
            for nxt in [*t["next_tables"].values(), t["base_default_next"]]:
                assert nxt is None or nxt in nodes
            for k in t["key"]:
                refs.check({"type": "field", "value": k["target"]}, t["name"])
            if "default_entry" in t:
                assert t["default_entry"]["action_id"] in t["action_ids"]
                act = action_ids[t["default_entry"]["action_id"]]
                assert len(t["default_entry"]["action_data"]) == len(act["runtime_data"])
            for e in t.get("entries", []):
                assert len(e["match_key"]) == len(t["key"])
                assert e["action_entry"]["action_id"] in t["action_ids"]
        for c in pipe["conditionals"]:
            refs.check(c["expression"], c["name"])
            for nxt in (c["true_next"], c["false_next"]):
                assert nxt is None or nxt in nodes
    states = {s["name"] for p in j["parsers"] for s in p["parse_states"]}
    for p in j["parsers"]:
        assert p["init_state"] in states
        for s in p["parse_states"]:
            refs.check(s["parser_ops"], s["name"])
            refs.check(s["transition_key"], s["name"])
            for tr in s["transitions"]:
                assert tr["next_state"] is None or tr["next_state"] in states
    for d in j["deparsers"]:
        for h in d["order"]:
            assert h in refs.fields
    for c in j["calculations"]:
        refs.check(c["input"], c["name"])
    calcs = {c["name"] for c in j["calculations"]}
    for c in j["checksums"]:
        assert c["calculation"] in calcs
        refs.check({"type": "field", "value": c["target"]}, c["name"])
    # the control plane's view matches the JSON
    p4info = result.p4info
    for t in p4info.tables:
        assert t.preamble.name in table_names, f"P4Info table {t.preamble.name} missing in JSON"
    json_actions = {a["name"] for a in j["actions"]}
    for a in p4info.actions:
        assert a.preamble.name in json_actions, f"P4Info action {a.preamble.name} missing in JSON"
    for c in p4info.counters:
        assert c.preamble.name in refs.arrays["counter_array"]
    for c in p4info.direct_counters:
        assert c.preamble.name in refs.arrays["counter_array"]
    for m in p4info.meters:
        assert m.preamble.name in refs.arrays["meter_array"]
    for r in p4info.registers:
        assert r.preamble.name in refs.arrays["register_array"]
    profiles = {ap["name"] for pipe in j["pipelines"] for ap in pipe["action_profiles"]}
    for ap in p4info.action_profiles:
        assert ap.preamble.name in profiles
    assert {v.preamble.name for v in p4info.value_sets} == {v["name"] for v in j["parse_vsets"]}
    assert {d.preamble.name for d in p4info.digests} == {d["name"] for d in j["learn_lists"]}
    for t in p4info.tables:
        jt = next(x for p in j["pipelines"] for x in p["tables"] if x["name"] == t.preamble.name)
        assert [mf.name for mf in t.match_fields] == [k["name"] for k in jt["key"]]
        assert {a.id for a in t.action_refs} == {
            next(x.preamble.id for x in p4info.actions if x.preamble.name == n) for n in jt["actions"]
        }
