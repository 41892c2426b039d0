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
    assert sw.process(0, eth("AA00000000000000000000010800")) == [(2, eth("AA00000022110000000000010800"))]
    assert sw.process(0, eth("00BB000000000000000000010800")) == [(1, eth("00BB000000110000000000330800"))]
    assert sw.process(0, eth("AA00000000000000000000020806")) == [(1, eth("AA00000000000000000000330806"))]


def test_dont_care_out_arguments_get_temporaries() -> None:
    sw, j = _switch("dont_care_out_arg")
    pre = [h["name"] for h in j["headers"] if h["header_type"] == "pre_t"]
    assert len(pre) == 1
    start = j["parsers"][0]["parse_states"][0]
    assert start["parser_ops"][0] == {"op": "extract", "parameters": [{"type": "regular", "value": pre[0]}]}
    assert pre[0] not in j["deparsers"][0]["order"]
    frame = bytes.fromhex("FFFF0000000000010000000000020803C0FFEE")
    assert sw.process(0, frame) == [(3, bytes.fromhex("00000000000100000000005A0803C0FFEE"))]


def test_entry_priorities_as_p4c_writes_them() -> None:
    sw, j = _switch("entry_priorities")
    tables = {x["name"]: x for x in j["pipelines"][0]["tables"]}
    # @priority(N) is the JSON priority as written; an entry without it gets its position (1-based)
    assert [e["priority"] for e in tables["MyIngress.by_type"]["entries"]] == [3, 2, 1]
    # priority = 10, (10 + delta 10 =) 20, 5 with the smallest winning: lowest first in JSON
    assert [e["priority"] for e in tables["MyIngress.by_src"]["entries"]] == [6, 16, 1]
    frame = bytes.fromhex("0000000000000000000000111001")
    assert sw.process(0, frame) == [(3, bytes.fromhex("0000000000060000000000111001"))]


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
    frame = bytes.fromhex("0000000000010000000000020800")
    assert sw.process(0, frame) == [(7, bytes.fromhex("0000000000010000000000170800"))]


def test_generic_functions_are_specialized_per_type() -> None:
    sw, _ = _switch("generic_function")
    frame = bytes.fromhex("000000000001000000000002800190")
    assert sw.process(0, frame) == [(1, bytes.fromhex("000000000002000000000001000220"))]
    # verify() on hdr.tags.last: a failed check is a parser error
    frame = bytes.fromhex("0000000000010000000000020800FF")
    assert sw.process(0, frame) == [(5, frame)]


def test_generic_function_body_is_checked_for_each_type() -> None:
    source = (
        (CORPUS / "generic_function.p4")
        .read_text()
        .replace("hdr.tags[0].v = twice<bit<8>>(hdr.tags[0].v);", "bool b = twice(true);")
    )
    with pytest.raises(CompileError) as info:
        compile_source(source, filename="generic_bool.p4")
    assert "'+' needs integer operands, not bool" in str(info.value)


LOOPS = """
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> count; bit<32> sum; }
header tag_t { bit<8> v; }
struct headers_t { h_t h; tag_t[3] tags; }
struct metadata_t { }
parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.h); transition accept; }
}
control VC(inout headers_t hdr, inout metadata_t meta) { apply { } }
control I(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action sum_to_count() {
        hdr.h.sum = 0;
        for (bit<8> i = 1; i <= hdr.h.count; i = i + 1) {
            hdr.h.sum = hdr.h.sum + (bit<32>)i;
        }
    }
    action odd_until_five() {
        for (bit<8> i = 0; i < 10; i = i + 1) {
            if (i == 5) { break; }
            if (i[0:0] == 0) { continue; }
            hdr.h.sum = hdr.h.sum + 1;
        }
    }
    action whole_range() {
        for (bit<8> i in 0 .. 255) {
            hdr.h.sum = hdr.h.sum + 1;
        }
    }
    table t {
        key = { hdr.h.count : exact; }
        actions = { sum_to_count; odd_until_five; whole_range; }
        default_action = sum_to_count;
    }
    apply {
        t.apply();
        for (tag_t x in hdr.tags) {
            hdr.h.sum = hdr.h.sum + (bit<32>)x.v;
        }
    }
}
control E(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control CC(inout headers_t hdr, inout metadata_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def _action(j: dict[str, Any], name: str) -> list[tuple[str, int | None]]:
    """An action's primitives as (op, jump target or None)."""
    prims = next(a for a in j["actions"] if a["name"] == name)["primitives"]
    out: list[tuple[str, int | None]] = []
    for p in prims:
        target = int(p["parameters"][-1]["value"], 16) if p["op"] in ("_jump", "_jump_if_zero") else None
        out.append((p["op"], target))
    return out


def test_for_loops_in_actions_are_jumps_as_p4c_writes_them() -> None:
    j = compile_source(LOOPS, filename="loops.p4").bmv2_json
    # sum = 0; i = 1; top: if !(i <= count) goto end; body; update; goto top; end
    assert _action(j, "I.sum_to_count") == [
        ("assign", None),
        ("assign", None),
        ("_jump_if_zero", 6),
        ("assign", None),
        ("assign", None),
        ("_jump", 2),
    ]
    # break jumps past the loop, continue to the update
    assert _action(j, "I.odd_until_five") == [
        ("assign", None),
        ("_jump_if_zero", 9),
        ("_jump_if_zero", 4),
        ("_jump", 9),
        ("_jump_if_zero", 6),
        ("_jump", 7),
        ("assign", None),
        ("assign", None),
        ("_jump", 1),
    ]
    # 0 .. 255 includes 255: the last value leaves the loop before the increment wraps
    assert _action(j, "I.whole_range") == [
        ("assign", None),
        ("assign", None),
        ("_jump_if_zero", 8),
        ("assign", None),
        ("_jump_if_zero", 6),
        ("_jump", 8),
        ("assign", None),
        ("_jump", 2),
    ]


def test_for_in_over_a_stack_runs_the_body_per_element_in_an_apply_block() -> None:
    j = compile_source(LOOPS, filename="loops.p4").bmv2_json
    tables = j["pipelines"][0]["tables"]
    after_t = next(x for x in tables if x["name"] == "I.t")["base_default_next"]
    run = next(x for x in tables if x["name"] == after_t)
    prims = next(a for a in j["actions"] if a["id"] == run["action_ids"][0])["primitives"]
    # x = tags[k]; sum = sum + x.v, for k = 0, 1, 2 (x is a header: assign_header)
    sources = [p["parameters"][1] for p in prims if p["op"] == "assign_header"]
    assert [s["value"] for s in sources] == ["tags[0]", "tags[1]", "tags[2]"]
    assert not any(p["op"] in ("_jump", "_jump_if_zero") for p in prims)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("if (i == 5) { break; }", "", None),
        ("hdr.h.sum = 0;\n        for", "break;\n        for", "'break' outside a 'for' loop"),
        (
            "state start { pkt.extract(hdr.h);",
            "state start { for (bit<8> k = 0; k < 2; k = k + 1) { }",
            "a 'for' loop in a parser",
        ),
        ("for (bit<8> i in 0 .. 255)", "for (bool i in 0 .. 255)", "a range loop variable must be bit<W> or int<W>"),
    ],
)
def test_for_loop_errors(old: str, new: str, message: str | None) -> None:
    source = LOOPS.replace(old, new)
    assert source != LOOPS
    if message is None:
        compile_source(source, filename="loops.p4")
        return
    with pytest.raises(CompileError) as info:
        compile_source(source, filename="loops.p4")
    assert message in str(info.value)


def test_a_table_with_initial_entries_holds_exactly_them() -> None:
    j = compile_file(CORPUS / "entry_priorities.p4").bmv2_json
    sizes = {x["name"]: x["max_size"] for x in j["pipelines"][0]["tables"]}
    assert sizes["MyIngress.by_type"] == 3
    assert sizes["MyIngress.by_src"] == 3


def test_direct_apply_and_a_control_passed_to_two_blocks() -> None:
    result = compile_file(CORPUS / "control_as_constructor_arg.p4")
    assert [c["name"] for c in result.bmv2_json["counter_arrays"]] == ["MyIngress.Chain.inc.seen"]
    assert [c.preamble.name for c in result.p4info.counters] == ["MyIngress.Chain.inc.seen"]
    sw = Switch(result.bmv2_json)
    frame = bytes.fromhex("000000000001" "000000000002" "cafe")
    assert sw.process(0, frame) == [(2, bytes.fromhex("000000000001" "000000000002" "afe9"))]
    # counted twice, at indexes (0x95fd & 3) = 1 and (0xafe9 & 3) = 1
    assert sw.counter_read("MyIngress.Chain.inc.seen", 1)[1] == 2


def test_apply_inside_a_conditional_expression_runs_only_in_its_branch() -> None:
    source = (CORPUS / "apply_in_expression.p4").read_text()
    body = """
        std.egress_spec = 1;
        hdr.eth.src[15:8] = hdr.eth.dst[47:40] == 0xAA ? (by_type.apply().hit ? 8w0x01 : 8w0x02) : 8w0x03;
    }
}

control MyEgress("""
    start = source.index("        std.egress_spec = 1;")
    end = source.index("control MyEgress(")
    sw = Switch(compile_source(source[:start] + body + source[end + len("control MyEgress(") :]).bmv2_json)
    sw.table_add("MyIngress.by_type", [Exact(0x0800)], "MyIngress.mark_type", [])
    out = sw.process(0, bytes.fromhex("AA0000000000" "000000000000" "0800"))
    assert out == [(1, bytes.fromhex("AA0000000011" "000000000100" "0800"))]
    out = sw.process(0, bytes.fromhex("AA0000000000" "000000000000" "0806"))
    assert out == [(1, bytes.fromhex("AA0000000000" "000000000200" "0806"))]
    # not 0xAA: the table is not applied (dst keeps its low byte)
    out = sw.process(0, bytes.fromhex("BB0000000000" "000000000000" "0800"))
    assert out == [(1, bytes.fromhex("BB0000000000" "000000000300" "0800"))]


def test_invalid_header_expression_makes_the_header_invalid() -> None:
    source = (CORPUS / "dont_care_out_arg.p4").read_text().replace(
        "send(_, 0x5A);", "send(_, 0x5A);\n        if (hdr.eth.ether_type == 0x0803) { hdr.eth = {#}; }"
    )
    j = compile_source(source, filename="invalid_header.p4").bmv2_json
    assert any(p["op"] == "remove_header" for a in j["actions"] for p in a["primitives"])
    sw = Switch(j)
    assert sw.process(0, bytes.fromhex("FFFF" "000000000001" "000000000002" "0803" "C0FFEE")) == [
        (3, bytes.fromhex("C0FFEE"))
    ]
    with pytest.raises(CompileError) as info:
        compile_source(source.replace("hdr.eth = {#};", "std.egress_spec = {#};"), filename="invalid_header.p4")
    assert "'{#}' is an invalid header, but bit<9> is expected" in str(info.value)


def test_two_applies_in_one_condition() -> None:
    source = (CORPUS / "apply_in_expression.p4").read_text().replace(
        "if (by_type.apply().hit && hdr.eth.dst[47:40] == 0xAA) {",
        "if (by_type.apply().hit && !by_src.apply().hit) {",
    )
    source = source.replace("if (hdr.eth.dst[39:32] == 0xBB || by_src.apply().miss) {", "if (false) {")
    sw = Switch(compile_source(source, filename="two_applies.p4").bmv2_json)
    sw.table_add("MyIngress.by_type", [Exact(0x0800)], "MyIngress.mark_type", [])
    sw.table_add("MyIngress.by_src", [Exact(1)], "MyIngress.mark_src", [])
    eth = bytes.fromhex
    # by_type hits, by_src misses: port 2; by_src hits: port 1 (both applied)
    assert sw.process(0, eth("000000000000" "000000000002" "0800")) == [(2, eth("000000000011" "000000000002" "0800"))]
    assert sw.process(0, eth("000000000000" "000000000001" "0800")) == [(1, eth("000000002211" "000000000001" "0800"))]
    # by_type misses: by_src is not applied (no 0x22 mark)
    assert sw.process(0, eth("000000000000" "000000000001" "0806")) == [(1, eth("000000000000" "000000000001" "0806"))]


def test_for_loops_run_on_the_switch() -> None:
    sw = Switch(compile_source(LOOPS, filename="loops.p4").bmv2_json)
    # default sum_to_count: 1 + .. + 5 = 15, then the apply-block loop adds the three (invalid) tags: 0
    assert sw.process(0, bytes.fromhex("05" "00000000")) == [(0, bytes.fromhex("05" "0000000f"))]
    assert sw.process(0, bytes.fromhex("00" "00000000")) == [(0, bytes.fromhex("00" "00000000"))]
    sw.table_add("I.t", [Exact(7)], "I.odd_until_five", [])
    sw.table_add("I.t", [Exact(8)], "I.whole_range", [])
    # i = 1 and 3 counted, break at 5
    assert sw.process(0, bytes.fromhex("07" "00000010")) == [(0, bytes.fromhex("07" "00000012"))]
    # 0 .. 255: 256 iterations, no wrap-around
    assert sw.process(0, bytes.fromhex("08" "00000000")) == [(0, bytes.fromhex("08" "00000100"))]
