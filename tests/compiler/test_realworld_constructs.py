"""Constructs of the programs people run on BMv2 (ONF fabric-tna, SONiC SAI P4, SONiC DASH) that
softp4 once rejected or compiled differently from p4c: small programs here, checked in the BMv2
JSON or P4Info where p4c's shape is the point and on the switch where the semantics are."""

from __future__ import annotations

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
