"""Constructs p4c accepts that softp4 once rejected, compiled and run on the switch.

Each test compiles a program of tests/p4programs/ (or a small source here), checks
the BMv2 JSON where p4c's shape is the point, and sends packets through the
in-process switch so the semantics are checked too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from softp4.compiler import CompileError, compile_file, compile_source
from softp4.switch import Exact, Switch

CORPUS = Path(__file__).resolve().parents[1] / "p4programs"


def _switch(name: str) -> tuple[Switch, dict[str, Any]]:
    j = compile_file(CORPUS / f"{name}.p4").bmv2_json
    return Switch(j), j


def test_apply_hit_left_of_and_and_short_circuit_right_of_or() -> None:
    sw, j = _switch("apply_in_expression")
    ingress = j["pipelines"][0]
    by_src = next(x for x in ingress["tables"] if x["name"] == "MyIngress.by_src")
    # by_src is reached only through the conditional that tests the left operand of ||
    reaching = [c for c in ingress["conditionals"] if "MyIngress.by_src" in (c["true_next"], c["false_next"])]
    assert len(reaching) == 1 and reaching[0]["false_next"] != reaching[0]["true_next"]
    assert set(by_src["next_tables"]) == {"__HIT__", "__MISS__"}
    sw.table_add("MyIngress.by_type", [Exact(0x0800)], "MyIngress.mark_type", [])
    sw.table_add("MyIngress.by_src", [Exact(1)], "MyIngress.mark_src", [])
    eth = bytes.fromhex
    assert sw.process(0, eth("AA0000000000" "000000000001" "0800")) == [(2, eth("AA0000002211" "000000000001" "0800"))]
    assert sw.process(0, eth("00BB00000000" "000000000001" "0800")) == [(1, eth("00BB00000011" "000000000033" "0800"))]
    assert sw.process(0, eth("AA0000000000" "000000000002" "0806")) == [(1, eth("AA0000000000" "000000000033" "0806"))]


def test_dont_care_out_arguments_get_temporaries() -> None:
    sw, j = _switch("dont_care_out_arg")
    pre = [h["name"] for h in j["headers"] if h["header_type"] == "pre_t"]
    assert len(pre) == 1
    start = j["parsers"][0]["parse_states"][0]
    assert start["parser_ops"][0] == {"op": "extract", "parameters": [{"type": "regular", "value": pre[0]}]}
    assert pre[0] not in j["deparsers"][0]["order"]
    frame = bytes.fromhex("FFFF" "000000000001" "000000000002" "0803" "C0FFEE")
    assert sw.process(0, frame) == [(3, bytes.fromhex("000000000001" "00000000005A" "0803" "C0FFEE"))]


def test_entry_priorities_as_p4c_writes_them() -> None:
    sw, j = _switch("entry_priorities")
    tables = {x["name"]: x for x in j["pipelines"][0]["tables"]}
    # @priority(N) is the JSON priority as written; an entry without it gets its position (1-based)
    assert [e["priority"] for e in tables["MyIngress.by_type"]["entries"]] == [3, 2, 1]
    # priority = 10, (10 + delta 10 =) 20, 5 with the smallest winning: lowest first in JSON
    assert [e["priority"] for e in tables["MyIngress.by_src"]["entries"]] == [6, 16, 1]
    frame = bytes.fromhex("000000000000" "000000000011" "1001")
    assert sw.process(0, frame) == [(3, bytes.fromhex("000000000006" "000000000011" "1001"))]


def test_constructor_parameters_as_default_action_arguments() -> None:
    result = compile_file(CORPUS / "ctor_param_default_action.p4")
    defaults = {
        t.preamble.name: [(a.param_id, a.value) for a in t.initial_default_action.arguments]
        for t in result.p4info.tables
    }
    assert defaults == {"MyIngress_0.mac_fwd": [(1, b"\x00\x07")], "MyIngress_0.tagger.tagging": [(1, b"\x17")]}
    tables = {x["name"]: x for x in result.bmv2_json["pipelines"][0]["tables"]}
    assert tables["MyIngress_0.mac_fwd"]["default_entry"]["action_data"] == ["0x0007"]
    assert tables["MyIngress_0.tagger.tagging"]["default_entry"]["action_data"] == ["0x17"]
    sw = Switch(result.bmv2_json)
    frame = bytes.fromhex("000000000001" "000000000002" "0800")
    assert sw.process(0, frame) == [(7, bytes.fromhex("000000000001" "000000000017" "0800"))]


def test_generic_functions_are_specialized_per_type() -> None:
    sw, _ = _switch("generic_function")
    frame = bytes.fromhex("000000000001" "000000000002" "8001" "90")
    assert sw.process(0, frame) == [(1, bytes.fromhex("000000000002" "000000000001" "0002" "20"))]
    # verify() on hdr.tags.last: a failed check is a parser error
    frame = bytes.fromhex("000000000001" "000000000002" "0800" "FF")
    assert sw.process(0, frame) == [(5, frame)]


def test_generic_function_body_is_checked_for_each_type() -> None:
    source = (CORPUS / "generic_function.p4").read_text().replace(
        "hdr.tags[0].v = twice<bit<8>>(hdr.tags[0].v);", "bool b = twice(true);"
    )
    with pytest.raises(CompileError) as info:
        compile_source(source, filename="generic_bool.p4")
    assert "'+' needs integer operands, not bool" in str(info.value)
