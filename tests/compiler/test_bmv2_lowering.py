"""Lowering details of the BMv2 back end: helpers, and constructs checked on small programs."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from softp4.compiler import compile_source
from softp4.compiler.bmv2.jsonutil import as_param, b2d, d2b, hexstr, op
from softp4.compiler.bmv2.parser import range_to_masks

PRELUDE = """
#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
struct headers_t { ethernet_t ethernet; }
struct metadata_t { bit<16> x; bool flag; }
parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.ethernet); transition accept; }
}
control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); } }
"""
MAIN = "V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;\n"


def compile_ingress(body: str, locals_: str = "") -> dict[str, Any]:
    src = (
        PRELUDE
        + "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {\n"
        + locals_
        + "\n    apply {\n"
        + body
        + "\n    }\n}\n"
        + MAIN
    )
    return compile_source(src, filename="t.p4").bmv2_json


def test_hexstr_pads_to_whole_bytes() -> None:
    assert hexstr(1, 9) == "0x0001"
    assert hexstr(0xABA, 12) == "0x0aba"
    assert hexstr(5, 1) == "0x05"
    assert hexstr(-3, 8) == "-0x03"
    assert hexstr(0x123) == "0x0123"


def test_bool_data_conversions_cancel() -> None:
    field = {"type": "field", "value": ["h", "f"]}
    assert b2d(d2b(field)) == field
    assert b2d({"type": "bool", "value": True}) == {"type": "hexstr", "value": "0x01"}
    assert d2b(field) == op("d2b", None, field)


def test_as_param_is_idempotent() -> None:
    e = op("+", {"type": "field", "value": ["h", "f"]}, {"type": "hexstr", "value": "0x01"})
    once = as_param(e)
    assert once == {"type": "expression", "value": e}
    assert as_param(once) == once
    assert as_param({"type": "local", "value": 2}) == {"type": "runtime_data", "value": 2}


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_range_masks_cover_exactly_the_range(a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    pairs = range_to_masks(lo, hi, 16)
    covered = 0
    for value, mask in pairs:
        assert value & ~mask & 0xFFFF == 0
        size = (~mask & 0xFFFF) + 1
        assert lo <= value and value + size - 1 <= hi
        covered += size
    assert covered == hi - lo + 1
    assert len(pairs) <= 2 * 16


def test_nested_table_apply_is_hoisted_into_a_flag() -> None:
    j = compile_ingress(
        "        meta.x = t.apply().hit ? 16w1 : 16w2;",
        "    table t { key = { hdr.ethernet.dst : exact; } actions = { NoAction; } }",
    )
    (t,) = [x for x in j["pipelines"][0]["tables"] if x["name"] == "MyIngress.t"]
    assert set(t["next_tables"]) == {"__HIT__", "__MISS__"}
    names = {x["name"]: x for x in j["pipelines"][0]["tables"]}
    hit = names[t["next_tables"]["__HIT__"]]
    miss = names[t["next_tables"]["__MISS__"]]
    assert hit["base_default_next"] == miss["base_default_next"]
    flags = [p for a in j["actions"] for p in a["primitives"] if p["parameters"][0]["value"][1].startswith("tmp_hit")]
    assert sorted(p["parameters"][1]["value"] for p in flags) == ["0x00", "0x01"]


def test_bool_metadata_is_one_bit_and_converted() -> None:
    j = compile_ingress("        meta.flag = hdr.ethernet.isValid();\n        if (meta.flag) { std.egress_spec = 1; }")
    scalars = j["header_types"][0]["fields"]
    assert ["meta.flag", 1, False] in scalars
    assign = next(p for a in j["actions"] for p in a["primitives"] if p["parameters"][0]["value"][1] == "meta.flag")
    assert assign["parameters"][1] == {"type": "field", "value": ["ethernet", "$valid$"]}
    (cond,) = j["pipelines"][0]["conditionals"]
    assert cond["expression"]["value"] == {
        "op": "d2b",
        "left": None,
        "right": {"type": "field", "value": ["scalars", "meta.flag"]},
    }


def test_function_call_in_condition_runs_first() -> None:
    src = (
        PRELUDE
        + "bool big(in bit<16> v) { return v > 100; }\n"
        + "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {\n"
        + "    apply { if (big(hdr.ethernet.ether_type)) { std.egress_spec = 2; } }\n}\n"
        + MAIN
    )
    j = compile_source(src, filename="f.p4").bmv2_json
    pipe = j["pipelines"][0]
    (cond,) = pipe["conditionals"]
    first = next(t for t in pipe["tables"] if t["name"] == pipe["init_table"])
    assert first["key"] == [] and first["base_default_next"] == cond["name"]


def test_saturating_and_signed_ops() -> None:
    j = compile_ingress("        meta.x = meta.x |+| hdr.ethernet.ether_type;")
    assign = next(p for a in j["actions"] for p in a["primitives"] if p["op"] == "assign")
    expr = assign["parameters"][1]["value"]["value"]
    assert expr["op"] == "usat_cast"
    assert expr["right"] == {"type": "hexstr", "value": "0x00000010"}
    assert expr["left"]["value"]["op"] == "+"


def test_sub_control_scalar_arguments_are_copied_in_and_out() -> None:
    src = (
        PRELUDE
        + "control Inc(inout bit<16> v, in bit<16> by) { apply { v = v + by; } }\n"
        + "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {\n"
        + "    Inc() inc;\n"
        + "    apply { inc.apply(meta.x, hdr.ethernet.ether_type + 1); }\n}\n"
        + MAIN
    )
    j = compile_source(src, filename="c.p4").bmv2_json
    pipe = j["pipelines"][0]
    order = []
    node = pipe["init_table"]
    tables = {t["name"]: t for t in pipe["tables"]}
    while node is not None:
        t = tables[node]
        (aid,) = t["action_ids"]
        order.append(next(a for a in j["actions"] if a["id"] == aid))
        node = t["base_default_next"]
    # copy in, body, copy out
    assert len(order) == 3
    copy_in = [p["parameters"][0]["value"][1] for p in order[0]["primitives"]]
    assert copy_in == ["inc_v", "inc_by"]
    body = order[1]["primitives"][0]["parameters"][0]["value"][1]
    assert body == "inc_v"
    out = order[2]["primitives"][0]["parameters"]
    assert out == [{"type": "field", "value": ["scalars", "meta.x"]}, {"type": "field", "value": ["scalars", "inc_v"]}]


def test_selector_keys_without_an_action_selector_are_left_out() -> None:
    j = compile_ingress(
        "        t.apply();",
        "    table t { key = { hdr.ethernet.dst : exact; meta.x : selector; } actions = { NoAction; } }",
    )
    (t,) = [tb for p in j["pipelines"] for tb in p["tables"] if tb["name"] == "MyIngress.t"]
    assert t["type"] == "simple"
    assert [k["name"] for k in t["key"]] == ["hdr.ethernet.dst"]
