"""Programs the BMv2 back end rejects: a clean CompileError naming what and where, never a crash."""

from __future__ import annotations

import pytest

from softp4.compiler import CompileError, compile_source

PRELUDE = """
#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
struct headers_t { ethernet_t ethernet; }
struct metadata_t { bit<8> x; }
parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.ethernet); transition accept; }
}
control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); } }
"""
MAIN = "V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;\n"


def ingress(body: str, locals_: str = "") -> str:
    return (
        PRELUDE
        + "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {\n"
        + locals_
        + "\n    apply {\n"
        + body
        + "\n    }\n}\n"
        + MAIN
    )


def error_of(src: str) -> CompileError:
    with pytest.raises(CompileError) as info:
        compile_source(src, filename="bad.p4")
    return info.value


def test_table_applied_twice() -> None:
    err = error_of(
        ingress(
            "        t.apply();\n        t.apply();",
            "    table t { key = { hdr.ethernet.dst : exact; } actions = { NoAction; } }",
        )
    )
    assert "table 't' is applied more than once with different code after it" in str(err)
    assert str(err).startswith("bad.p4:")


def test_table_applied_in_both_branches_is_one_node() -> None:
    # the same table followed by the same thing in both branches: one node in the graph (as p4c)
    j = compile_source(
        ingress(
            "        if (meta.x == 0) { t.apply(); } else { t.apply(); }\n        u.apply();",
            "    table t { actions = { NoAction; } }\n    table u { actions = { NoAction; } }",
        ),
        filename="ok.p4",
    ).bmv2_json
    (pipeline,) = [p for p in j["pipelines"] if p["name"] == "ingress"]
    assert sorted(tb["name"] for tb in pipeline["tables"]) == ["MyIngress.t", "MyIngress.u"]
    (cond,) = pipeline["conditionals"]
    assert cond["true_next"] == cond["false_next"] == "MyIngress.t"
    (t,) = [tb for tb in pipeline["tables"] if tb["name"] == "MyIngress.t"]
    assert t["base_default_next"] == "MyIngress.u"


def test_deprecated_checksum16_is_named() -> None:
    err = error_of(ingress("        std.egress_spec = 1;", "    Checksum16() ck;"))
    assert "the deprecated extern Checksum16 is not supported by softp4" in str(err)


def test_non_constant_entry_value() -> None:
    src = ingress(
        "        t.apply();",
        "    action a(bit<9> p) { std.egress_spec = p; }\n"
        "    table t { key = { hdr.ethernet.dst : exact; } actions = { a; }\n"
        "        const entries = { 1 : a(1); } default_action = a((bit<9>)meta.x); }",
    )
    err = error_of(src)
    assert "must be a compile-time constant" in str(err)


def test_deparser_only_emits() -> None:
    src = PRELUDE.replace(
        "control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); } }",
        'control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); log_msg("x"); } }',
    )
    src += (
        "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std)"
        " { apply { } }\n" + MAIN
    )
    err = error_of(src)
    assert "this statement in the deparser (only emit calls) is not supported by softp4" in str(err)


def test_checksum_data_must_be_fields() -> None:
    src = PRELUDE.replace(
        "control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }",
        "control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply {\n"
        "    update_checksum(true, { hdr.ethernet.dst + 1 }, hdr.ethernet.ether_type, HashAlgorithm.csum16); } }",
    )
    src += (
        "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std)"
        " { apply { } }\n" + MAIN
    )
    err = error_of(src)
    assert "checksum data" in str(err)
    assert err.diagnostics[0].loc is not None and err.diagnostics[0].loc.line > 0


def test_hash_data_must_be_a_list_or_struct() -> None:
    # p4c's BMv2 back end rejects it too ("expected a struct")
    err = error_of(ingress("        hash(meta.x, HashAlgorithm.crc16, 8w0, hdr.ethernet.ether_type, 8w255);"))
    assert "the hash data must be a list, a struct or a header, not bit<16>" in str(err)
    assert str(err).startswith("bad.p4:")
    # a header is fine
    compile_source(ingress("        hash(meta.x, HashAlgorithm.crc16, 8w0, hdr.ethernet, 8w255);"), filename="ok.p4")


def test_statement_in_checksum_control() -> None:
    src = PRELUDE.replace(
        "control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }",
        "control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { meta.x = 1; } }",
    )
    src += (
        "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std)"
        " { apply { } }\n" + MAIN
    )
    err = error_of(src)
    assert "VerifyChecksum control" in str(err)


def test_out_argument_must_be_storage() -> None:
    err = error_of(ingress("        random(meta.x[3:0], 4w0, 4w9);"))
    assert "out argument" in str(err)


def test_non_v1model_package() -> None:
    src = (
        "#include <core.p4>\n"
        "parser P(packet_in p);\n"
        "package Pkg(P p);\n"
        "parser MyP(packet_in p) { state start { transition accept; } }\n"
        "Pkg(MyP()) main;\n"
    )
    err = error_of(src)
    assert "package 'Pkg'" in str(err) and "V1Switch" in str(err)


def test_program_without_main() -> None:
    err = error_of("#include <core.p4>\n#include <v1model.p4>\n")
    assert "main" in str(err)


def test_stack_index_out_of_bounds() -> None:
    # p4c: "Array index 2 larger or equal to array size 2"; index 1 of the same stack compiles
    stack = PRELUDE.replace(
        "struct headers_t { ethernet_t ethernet; }", "struct headers_t { ethernet_t ethernet; ethernet_t[2] s; }"
    )

    def program(index: int) -> str:
        return stack + (
            "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std)"
            f" {{ apply {{ hdr.s[{index}].setValid(); meta.x = (bit<8>)hdr.s.size; }} }}\n" + MAIN
        )

    result = compile_source(program(1), filename="ok.p4")
    assert any(h["name"] == "s[1]" for h in result.bmv2_json["headers"])
    err = error_of(program(2))
    assert "index 2 is out of range for a stack of size 2" in str(err)
