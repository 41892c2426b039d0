"""Constructs of the programs people run on BMv2 (ONF fabric-tna, SONiC SAI P4, SONiC DASH) that
softp4 once rejected or compiled differently from p4c: small programs here, checked in the BMv2
JSON or P4Info where p4c's shape is the point and on the switch where the semantics are."""

from __future__ import annotations

from typing import Any

import pytest

from softp4.compiler import CompileError, compile_source
from softp4.switch import Exact, Switch

V1_MAIN = "V1Switch(P(), VC(), I(), E(), CC(), D()) main;\n"
EMPTY_CONTROLS = """
control VC(inout H h, inout M m) { apply {} }
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
"""


def _program(body: str) -> str:
    return "#include <core.p4>\n#include <v1model.p4>\n" + body + EMPTY_CONTROLS + V1_MAIN


# --------------------------------------------------------------------- default parameter values

DEFAULTS = _program("""
enum bit<16> kind_t { A = 0, B = 1 }
header h_t { bit<48> a; bit<48> b; bit<16> k; bit<8> f1; bit<8> f2; }
struct H { h_t h; }
struct M { bit<48> x; kind_t k; }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
// DASH's push_action_encap_u0: named arguments, some left out (the enum one too)
action push(inout M m, in kind_t k = kind_t.B, in bit<48> smac = 0, in bit<48> dmac = 0) {
    m.k = k;
    m.x = smac == 0 ? m.x : smac;
    m.x = m.x ^ dmac;
}
// p4c's issue1937-1-bmv2: a trailing positional argument left out
action shift(out bit<8> x, in bit<8> y = 5) { x = y >> 2; }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action set(bit<48> dmac) {
        push(m = m, dmac = dmac);
        h.h.a = m.x;
        h.h.k = (bit<16>)m.k;
    }
    table t { key = { h.h.b : exact; } actions = { set; NoAction; } default_action = NoAction(); }
    apply {
        t.apply();
        shift(h.h.f1, h.h.f1);
        shift(h.h.f2);
        s.egress_spec = 1;
    }
}
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
""")


def test_left_out_arguments_take_the_parameters_default_values() -> None:
    sw = Switch(compile_source(DEFAULTS, filename="defaults.p4").bmv2_json)
    sw.table_add("I.t", [Exact(0x0000000000BB)], "I.set", [0x0000000000DD])
    frame = bytes.fromhex("000000000000" "0000000000BB" "0000" "80" "FF")
    # a = 0 ^ dmac (smac defaulted to 0 keeps m.x), k = kind_t.B, f1 = f1 >> 2, f2 = 5 >> 2
    out = bytes.fromhex("0000000000DD" "0000000000BB" "0001" "20" "01")
    assert sw.process(0, frame) == [(1, out)]


def test_a_left_out_argument_without_default_is_still_an_error() -> None:
    src = DEFAULTS.replace("in bit<8> y = 5", "in bit<8> y")
    with pytest.raises(CompileError, match="missing argument for parameter 'y'"):
        compile_source(src, filename="nodefault.p4")


def test_default_value_of_the_wrong_type_is_an_error() -> None:
    src = DEFAULTS.replace("in kind_t k = kind_t.B", "in kind_t k = true")
    with pytest.raises(CompileError, match="default value of 'k'"):
        compile_source(src, filename="baddefault.p4")


# --------------------------------------------------------------------- lookahead into locals

LOOKAHEAD = _program("""
header pre_t { bit<8> kind; bit<8> len; }
header hs_t { bit<8> f; }
struct S { bit<8> x; hs_t[2] s; }
header h_t { bit<8> kind; bit<8> a; bit<8> b; bit<8> c; }
struct H { h_t h; }
struct M { bit<8> v; bit<8> w; }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start {
        pre_t tmp = p.lookahead<pre_t>();        // fabric-tna's check_ethernet
        transition select(tmp.kind) { 1: one; default: two; }
    }
    state one {
        S l;
        l = p.lookahead<S>();                    // p4c's issue2465-bmv2: a struct with a stack
        m.v = l.s[1].f;
        m.w = l.s[0].isValid() ? l.x : 8w0xEE;
        transition two;
    }
    state two { p.extract(h.h); transition accept; }
}
control I(inout H h, inout M m, inout standard_metadata_t s) {
    apply { h.h.b = m.v; h.h.c = m.w; s.egress_spec = 2; }
}
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
""")


def _parse_states(j: dict[str, Any]) -> dict[str, list[Any]]:
    return {st["name"]: st["parser_ops"] for st in j["parsers"][0]["parse_states"]}


def test_lookahead_into_a_local_header_and_a_local_struct() -> None:
    j = compile_source(LOOKAHEAD, filename="lookahead.p4").bmv2_json
    sw = Switch(j)
    # kind 1: the struct is read from the same bytes (x = 01, s[0].f = 02, s[1].f = 03)
    assert sw.process(0, bytes.fromhex("01020304")) == [(2, bytes.fromhex("01020301"))]
    # another kind: the struct is not read
    assert sw.process(0, bytes.fromhex("07020304")) == [(2, bytes.fromhex("07020000"))]


def test_lookahead_of_an_aggregate_reads_its_whole_width_once_as_p4c() -> None:
    j = compile_source(LOOKAHEAD, filename="lookahead.p4").bmv2_json
    ops = _parse_states(j)["one"]
    # one lookahead of 8 + 2 * 8 bits into a temporary, then each header made valid and each field set
    first = ops[0]
    assert first["op"] == "set" and first["parameters"][1] == {"type": "lookahead", "value": [0, 24]}
    kinds = [op["op"] if op["op"] != "primitive" else op["parameters"][0]["op"] for op in ops[1:6]]
    assert kinds == ["set", "add_header", "set", "add_header", "set"]


# --------------------------------------------------------------------- strings over several lines

RESTRICTED = _program("""
header h_t { bit<8> a; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control I(inout H h, inout M m, inout standard_metadata_t s) {
    @entry_restriction("
      // a comment inside the string stays in it
      a != 0;
#ifdef NEVER
      a != 1;
#endif
    ")
    @name("t") table t { key = { h.h.a : exact @name("a"); } actions = { NoAction; } }
    apply { t.apply(); }
}
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
""")


def test_annotation_string_over_several_lines_is_kept_as_p4c_writes_it() -> None:
    info = compile_source(RESTRICTED, filename="restricted.p4").p4info
    (table,) = info.tables
    assert list(table.preamble.annotations) == [
        '@entry_restriction("\n      // a comment inside the string stays in it\n      a != 0;\n\n\n\n    ")'
    ]


# --------------------------------------------------------------------- P4Info: SAI P4's platform

PLATFORM = _program("""
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control I(inout H h, inout M m, inout standard_metadata_t s) {
    direct_counter(CounterType.packets) c;
    direct_meter<bit<2>>(MeterType.bytes) mt;
    @selector_size_semantics("SUM_OF_MEMBERS") @max_member_weight(4000) @max_group_size(200) @foo
    action_selector(HashAlgorithm.identity, 1024, 16) sel;
    @max_group_size(8) @selector_size_semantics("sum_of_weights") action_profile(64) prof;
    action a() { }
    table t {
        key = { h.h.a : exact; h.h.b : selector; }
        actions = { a; }
        implementation = sel;
        meters = mt;
        counters = c;
    }
    table u { key = { h.h.a : exact; } actions = { a; } implementation = prof; }
    apply { t.apply(); u.apply(); }
}
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
""").replace(
    "V1Switch(",
    "@platform_property(multicast_group_table_size = 512, multicast_group_table_max_replicas_per_entry = 8)\n"
    "V1Switch(",
)


def test_platform_property_fills_pkg_info_platform_properties() -> None:
    info = compile_source(PLATFORM, filename="platform.p4").p4info
    props = info.pkg_info.platform_properties
    assert (props.multicast_group_table_size, props.multicast_group_table_max_replicas_per_entry) == (512, 8)
    assert props.multicast_group_table_total_replicas == 0
    assert list(info.pkg_info.annotations) == []


def test_platform_property_value_must_be_an_integer() -> None:
    src = PLATFORM.replace("multicast_group_table_size = 512", 'multicast_group_table_size = "512"')
    with pytest.raises(CompileError, match="@platform_property: the value of 'multicast_group_table_size'"):
        compile_source(src, filename="platform.p4")


def test_selector_annotations_become_action_profile_fields() -> None:
    info = compile_source(PLATFORM, filename="platform.p4").p4info
    profiles = {p.preamble.name: p for p in info.action_profiles}
    sel = profiles["I.sel"]
    assert list(sel.preamble.annotations) == ["@foo"]
    assert sel.max_group_size == 200
    assert sel.WhichOneof("selector_size_semantics") == "sum_of_members"
    assert sel.sum_of_members.max_member_weight == 4000
    # without a selector p4c ignores them (and still leaves them out of the annotations)
    prof = profiles["I.prof"]
    assert prof.max_group_size == 0 and prof.WhichOneof("selector_size_semantics") is None


def test_bad_selector_size_semantics_is_an_error() -> None:
    src = PLATFORM.replace('"SUM_OF_MEMBERS"', '"most"')
    with pytest.raises(CompileError, match="@selector_size_semantics must be"):
        compile_source(src, filename="platform.p4")


def test_direct_counter_is_listed_before_direct_meter() -> None:
    info = compile_source(PLATFORM, filename="platform.p4").p4info
    table = next(t for t in info.tables if t.preamble.name == "I.t")
    counter = info.direct_counters[0].preamble.id
    meter = info.direct_meters[0].preamble.id
    assert list(table.direct_resource_ids) == [counter, meter]


# --------------------------------------------------------------------- DASH: unused global externs

UNUSED_GLOBALS = _program("""
header h_t { bit<8> a; }
struct H { h_t h; }
struct M { }
counter(4, CounterType.packets) used_c;
counter(8, CounterType.packets) unused_c;
register<bit<16>>(2) unused_r;
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control I(inout H h, inout M m, inout standard_metadata_t s) {
    counter(2, CounterType.bytes) local_c;
    apply { used_c.count(1); local_c.count(0); }
}
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
""")


def test_unused_top_level_counters_and_registers_are_in_the_json_as_in_p4info() -> None:
    result = compile_source(UNUSED_GLOBALS, filename="globals.p4")
    j = result.bmv2_json
    # the unused ones after everything else, as p4c writes them
    assert [(c["name"], c["size"]) for c in j["counter_arrays"]] == [("I.local_c", 2), ("used_c", 4), ("unused_c", 8)]
    assert [(r["name"], r["size"], r["bitwidth"]) for r in j["register_arrays"]] == [("unused_r", 2, 16)]
    assert {c.preamble.name for c in result.p4info.counters} == {"used_c", "unused_c", "I.local_c"}
    sw = Switch(j)
    sw.counter_write("unused_c", 7, 0, 3)
    assert sw.counter_read("unused_c", 7) == (0, 3)


# --------------------------------------------------------------------- fabric-upf: a table applied twice

TWICE = _program("""
header h_t { bit<8> kind; bit<8> key; bit<8> res; bit<8> seen; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action access() { }
    action core() { }
    action mark(bit<8> v) { h.h.res = v; }
    table interfaces { key = { h.h.kind : exact; } actions = { access; core; NoAction; } }
    table sessions { key = { h.h.key : exact; } actions = { mark; NoAction; } }
    table after { key = { h.h.kind : exact; } actions = { NoAction; } }
    apply {
        switch (interfaces.apply().action_run) {
            access: { h.h.seen = 1; sessions.apply(); }
            core: { h.h.seen = 2; sessions.apply(); }
        }
        after.apply();
        s.egress_spec = 1;
    }
}
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
""")


def test_a_table_applied_twice_with_the_same_code_after_it_is_one_table() -> None:
    j = compile_source(TWICE, filename="twice.p4").bmv2_json
    names = [t["name"] for t in j["pipelines"][0]["tables"]]
    assert names.count("I.sessions") == 1
    sw = Switch(j)
    sw.table_add("I.interfaces", [Exact(1)], "I.access", [])
    sw.table_add("I.interfaces", [Exact(2)], "I.core", [])
    sw.table_add("I.sessions", [Exact(7)], "I.mark", [0x55])
    assert sw.process(0, bytes.fromhex("01070000")) == [(1, bytes.fromhex("01075501"))]
    assert sw.process(0, bytes.fromhex("02070000")) == [(1, bytes.fromhex("02075502"))]
    assert sw.process(0, bytes.fromhex("03070000")) == [(1, bytes.fromhex("03070000"))]


def test_a_table_applied_twice_with_different_code_after_it_is_refused() -> None:
    src = TWICE.replace("core: { h.h.seen = 2; sessions.apply(); }", "core: { sessions.apply(); h.h.seen = 2; }")
    with pytest.raises(CompileError, match="table 'sessions' is applied more than once with different code after it"):
        compile_source(src, filename="twice.p4")


def test_a_table_of_size_0_gets_the_default_size_as_p4c_writes_it() -> None:
    src = TWICE.replace("table after { key = { h.h.kind : exact; } actions = { NoAction; } }",
                        "table after { key = { h.h.kind : exact; } actions = { NoAction; } size = 0; }")
    assert "size = 0;" in src
    result = compile_source(src, filename="size0.p4")
    tables = {t["name"]: t for t in result.bmv2_json["pipelines"][0]["tables"]}
    assert tables["I.after"]["max_size"] == 1024
    (after,) = [t for t in result.p4info.tables if t.preamble.name == "I.after"]
    assert after.size == 1024  # so does P4Info
