"""P4Info of whole programs of our own, through the real front end (preprocess, parse, check)."""

from __future__ import annotations

import pytest
from finsy.proto import p4i

from softp4.compiler.driver import TARGET_DEFINES
from softp4.compiler.errors import CompileError
from softp4.compiler.p4info import p4info_from_program
from softp4.compiler.parser import parse
from softp4.compiler.preprocess import preprocess_source
from softp4.compiler.typecheck import check_program


def p4info_of(src: str) -> p4i.P4Info:
    text = preprocess_source(src, "prog.p4", [], dict(TARGET_DEFINES))
    return p4info_from_program(check_program(parse(text, "prog.p4")))


def jenkins(name: str) -> int:
    m32 = 2**32
    h = 0
    for ch in name.encode():
        h = (h + ch) % m32
        h = (h + h * 1024) % m32
        h ^= h // 64
    h = (h + h * 8) % m32
    h ^= h // 2048
    return (h + h * 32768) % m32


def rid(prefix: int, name: str) -> int:
    return prefix * 2**24 + jenkins(name) % 2**24


SKELETON = """
#include <core.p4>
#include <v1model.p4>
header eth_t { bit<48> dst; bit<48> src; bit<16> type; }
struct headers { eth_t eth; }
struct meta_t { bit<8> color; bit<16> nh; }
parser Prs(packet_in pkt, out headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.eth); transition accept; }
}
control Vrf(inout headers hdr, inout meta_t meta) { apply { } }
control Egr(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control Cmp(inout headers hdr, inout meta_t meta) { apply { } }
control Dep(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.eth); } }
"""

MAIN = "V1Switch(Prs(), Vrf(), Ing(), Egr(), Cmp(), Dep()) main;\n"


def program(ingress: str, prelude: str = "") -> str:
    return SKELETON + prelude + ingress + MAIN


ROUTER = program(
    """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action drop() { mark_to_drop(sm); }
    action forward(bit<48> dmac, bit<9> port) { hdr.eth.dst = dmac; sm.egress_spec = port; }
    table routes {
        key = { meta.nh : lpm; }
        actions = { forward; drop; NoAction; }
        size = 4096;
        default_action = drop();
    }
    apply { routes.apply(); }
}
"""
)


def test_router() -> None:
    info = p4info_of(ROUTER)
    (table,) = info.tables
    assert (table.preamble.id, table.preamble.name, table.preamble.alias) == (
        rid(0x02, "Ing.routes"),
        "Ing.routes",
        "routes",
    )
    assert [(f.id, f.name, f.bitwidth, f.match_type) for f in table.match_fields] == [
        (1, "meta.nh", 16, p4i.MatchField.LPM)
    ]
    assert [r.id for r in table.action_refs] == [
        rid(0x01, "Ing.forward"),
        rid(0x01, "Ing.drop"),
        rid(0x01, "NoAction"),
    ]
    assert table.initial_default_action.action_id == rid(0x01, "Ing.drop")
    assert table.const_default_action_id == 0 and table.size == 4096
    # top-level actions the control uses come first, then its own in declaration order
    assert [a.preamble.name for a in info.actions] == ["NoAction", "Ing.drop", "Ing.forward"]
    assert [(p.id, p.name, p.bitwidth) for p in info.actions[2].params] == [(1, "dmac", 48), (2, "port", 9)]
    assert list(info.actions[0].preamble.annotations) == ['@noWarn("unused")']


FEATURES = program(
    """
control Filter(inout headers hdr, inout standard_metadata_t sm) {
    action deny() { sm.egress_spec = 511; }
    table acl {
        key = { hdr.eth.type : ternary; hdr.eth.isValid() : exact; hdr.eth.src[7:0] : exact; }
        actions = { deny; global_drop; }
        size = 64;
    }
    apply { acl.apply(); }
}
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    counter(128, CounterType.packets_and_bytes) port_cnt;
    meter(64, MeterType.bytes) port_meter;
    register<bit<32>>(256) seen;
    direct_counter(CounterType.packets) fwd_hits;
    Filter() f;
    @name("f_two") Filter() f2;
    Filter() never;
    action fwd(bit<9> port, Prio p) { sm.egress_spec = port; port_cnt.count(0); }
    action learn() { digest<learn_t>(1, { hdr.eth.src, sm.ingress_port }); }
    action unused_action() { }
    table fwd_tbl {
        key = { hdr.eth.dst : exact @name("dmac"); meta.nh : lpm; }
        actions = { fwd; learn; @defaultonly NoAction; }
        const default_action = fwd(3, Prio.HIGH);
        counters = fwd_hits;
        size = 2048;
    }
    table lb {
        key = { meta.color : selector; meta.nh : exact; }
        actions = { fwd; }
        @name("lb_sel") implementation = action_selector(HashAlgorithm.crc16, 32w512, 32w14);
    }
    table never_applied { actions = { unused_action; } }
    @brief("constant table") table consts {
        key = { hdr.eth.type : exact; }
        actions = { fwd; global_drop; }
        const entries = { 0x800 : fwd(1, Prio.LOW); }
    }
    apply { f.apply(hdr, sm); f2.apply(hdr, sm); fwd_tbl.apply(); lb.apply(); consts.apply(); global_drop(); }
}
""",
    prelude="""
struct learn_t { bit<48> mac; bit<9> port; }
enum bit<8> Prio { LOW = 1, HIGH = 7 }
action global_drop() { }
""",
)


@pytest.fixture(scope="module")
def features() -> p4i.P4Info:
    return p4info_of(FEATURES)


def test_tables_in_order_with_inlined_controls(features: p4i.P4Info) -> None:
    assert [t.preamble.name for t in features.tables] == [
        "Ing.f.acl",
        "Ing.f_two.acl",
        "Ing.fwd_tbl",
        "Ing.lb",
        "Ing.consts",
    ]
    # both acl tables share the last component: their aliases need two
    assert [t.preamble.alias for t in features.tables[:2]] == ["f.acl", "f_two.acl"]


def test_key_names_and_widths(features: p4i.P4Info) -> None:
    acl = features.tables[0]
    assert [(f.name, f.bitwidth, f.match_type) for f in acl.match_fields] == [
        ("hdr.eth.type", 16, p4i.MatchField.TERNARY),
        ("hdr.eth.$valid$", 1, p4i.MatchField.EXACT),
        ("hdr.eth.src[7:0]", 8, p4i.MatchField.EXACT),
    ]
    fwd = features.tables[2]
    assert [f.name for f in fwd.match_fields] == ["dmac", "meta.nh"]
    lb = features.tables[3]
    assert [(f.id, f.name) for f in lb.match_fields] == [(2, "meta.nh")]


def test_actions_order_and_scope(features: p4i.P4Info) -> None:
    assert [a.preamble.name for a in features.actions] == [
        "global_drop",
        "NoAction",
        "Ing.f.deny",
        "Ing.f_two.deny",
        "Ing.fwd",
        "Ing.learn",
    ]
    fwd = features.tables[2]
    assert [(r.scope, list(r.annotations)) for r in fwd.action_refs] == [
        (p4i.ActionRef.TABLE_AND_DEFAULT, []),
        (p4i.ActionRef.TABLE_AND_DEFAULT, []),
        (p4i.ActionRef.DEFAULT_ONLY, ["@defaultonly"]),
    ]
    assert fwd.const_default_action_id == rid(0x01, "Ing.fwd")
    args = [(a.param_id, a.value) for a in fwd.initial_default_action.arguments]
    assert args == [(1, b"\x00\x03"), (2, b"\x07")]
    # a serializable-enum parameter: its width, no type name, described in type_info
    assert [(p.name, p.bitwidth, p.type_name.name) for p in features.actions[4].params] == [
        ("port", 9, ""),
        ("p", 8, ""),
    ]
    prio = features.type_info.serializable_enums["Prio"]
    assert [(x.name, x.value) for x in prio.members] == [("LOW", b"\x01"), ("HIGH", b"\x07")]


def test_tables_without_default_action_get_noaction(features: p4i.P4Info) -> None:
    acl, lb, consts = features.tables[0], features.tables[3], features.tables[4]
    noaction = rid(0x01, "NoAction")
    for table in (acl, lb, consts):
        last = table.action_refs[-1]
        assert (last.id, last.scope, list(last.annotations)) == (noaction, p4i.ActionRef.DEFAULT_ONLY, ["@defaultonly"])
        assert table.initial_default_action.action_id == noaction and table.const_default_action_id == 0
    assert consts.is_const_table and consts.has_initial_entries
    assert consts.preamble.doc.brief == "constant table" and list(consts.preamble.annotations) == []


def test_externs(features: p4i.P4Info) -> None:
    (cnt,) = features.counters
    assert (cnt.preamble.id, cnt.preamble.name, cnt.spec.unit, cnt.size) == (
        rid(0x12, "Ing.port_cnt"),
        "Ing.port_cnt",
        p4i.CounterSpec.BOTH,
        128,
    )
    (meter,) = features.meters
    assert (meter.preamble.name, meter.spec.unit, meter.size) == ("Ing.port_meter", p4i.MeterSpec.BYTES, 64)
    (reg,) = features.registers
    assert (reg.preamble.name, reg.type_spec.bitstring.bit.bitwidth, reg.size) == ("Ing.seen", 32, 256)
    (dc,) = features.direct_counters
    assert (dc.preamble.id, dc.spec.unit, dc.direct_table_id) == (
        rid(0x13, "Ing.fwd_hits"),
        p4i.CounterSpec.PACKETS,
        rid(0x02, "Ing.fwd_tbl"),
    )
    assert list(features.tables[2].direct_resource_ids) == [rid(0x13, "Ing.fwd_hits")]
    (prof,) = features.action_profiles
    assert (prof.preamble.id, prof.preamble.name, prof.with_selector, prof.size) == (
        rid(0x11, "lb_sel"),
        "lb_sel",
        True,
        512,
    )
    assert list(prof.table_ids) == [rid(0x02, "Ing.lb")]
    assert features.tables[3].implementation_id == rid(0x11, "lb_sel")


def test_digest(features: p4i.P4Info) -> None:
    (dig,) = features.digests
    assert (dig.preamble.id, dig.preamble.name, dig.type_spec.struct.name) == (
        rid(0x17, "learn_t"),
        "learn_t",
        "learn_t",
    )
    members = features.type_info.structs["learn_t"].members
    assert [(x.name, x.type_spec.bitstring.bit.bitwidth) for x in members] == [("mac", 48), ("port", 9)]


PACKET_IO = """
#include <core.p4>
#include <v1model.p4>
@controller_header("packet_in")
header cpu_in_t { bit<9> ingress_port; @id(5) bit<7> pad; }
@controller_header("packet_out")
header cpu_out_t { bit<9> egress_port; bit<7> pad; }
header eth_t { bit<48> dst; bit<48> src; bit<16> type; }
struct headers { cpu_out_t cpu; eth_t eth; }
struct vs_t { bit<16> type; @match(ternary) bit<8> x; }
struct meta_t { }
parser Prs(packet_in pkt, out headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    value_set<bit<16>>(4) ether_vs;
    value_set<vs_t>(8) pair_vs;
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.type) { ether_vs: accept; default: next; }
    }
    state next { transition select(hdr.eth.type, hdr.eth.dst[7:0]) { pair_vs: accept; default: accept; } }
}
control Vrf(inout headers hdr, inout meta_t meta) { apply { } }
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control Egr(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control Cmp(inout headers hdr, inout meta_t meta) { apply { } }
control Dep(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.eth); } }
@pkginfo(name="demo", version="1.2") V1Switch(Prs(), Vrf(), Ing(), Egr(), Cmp(), Dep()) main;
"""


def test_packet_io_value_sets_and_pkg_info() -> None:
    info = p4info_of(PACKET_IO)
    pin, pout = info.controller_packet_metadata
    assert (pin.preamble.id, pin.preamble.name, pin.preamble.alias) == (
        rid(0x04, "cpu_in_t"),
        "packet_in",
        "packet_in",
    )
    assert [(x.id, x.name, x.bitwidth) for x in pin.metadata] == [(1, "ingress_port", 9), (5, "pad", 7)]
    assert pout.preamble.id == rid(0x04, "cpu_out_t")
    assert list(pout.preamble.annotations) == ['@controller_header("packet_out")']
    single, pair = info.value_sets
    assert (single.preamble.name, single.size) == ("Prs.ether_vs", 4)
    assert [(x.id, x.name, x.bitwidth, x.match_type) for x in single.match] == [(1, "", 16, p4i.MatchField.EXACT)]
    assert (pair.preamble.id, pair.size) == (rid(0x03, "Prs.pair_vs"), 8)
    assert [(x.id, x.name, x.bitwidth, x.match_type) for x in pair.match] == [
        (1, "type", 16, p4i.MatchField.EXACT),
        (2, "x", 8, p4i.MatchField.TERNARY),
    ]
    assert list(pair.match[1].annotations) == []
    assert (info.pkg_info.arch, info.pkg_info.name, info.pkg_info.version) == ("v1model", "demo", "1.2")


def test_ids_from_annotations_and_absolute_names() -> None:
    info = p4info_of(
        program(
            """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    @id(0x10) action a(@id(4) bit<8> x, bit<8> y) { meta.color = x + y; }
    @name(".top_t") @id(7) table t { key = { meta.nh : exact; } actions = { a; } }
    apply { t.apply(); }
}
"""
        )
    )
    (table,) = info.tables
    assert (table.preamble.id, table.preamble.name, table.preamble.alias) == (0x02000007, "top_t", "top_t")
    noaction, action = info.actions
    assert noaction.preamble.name == "NoAction"
    assert action.preamble.id == 0x01000010
    assert [(p.id, p.name) for p in action.params] == [(4, "x"), (2, "y")]


@pytest.mark.parametrize(
    ("ingress", "message"),
    [
        (
            "table t { key = { meta.nh + 1 : exact; } actions = { NoAction; } }",
            "complex key expression requires a @name",
        ),
        (
            "table t { actions = { NoAction; } implementation = action_profile(32w16); }",
            "needs a @name",
        ),
        ("@id(1) table t { actions = { NoAction; } } @id(1) table u { actions = { NoAction; } }", "multiple"),
    ],
)
def test_programs_p4info_cannot_describe(ingress: str, message: str) -> None:
    applies = "t.apply(); u.apply();" if "table u" in ingress else "t.apply();"
    src = program(
        "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {\n"
        f"    {ingress}\n    apply {{ {applies} }}\n}}\n"
    )
    with pytest.raises(CompileError, match=message):
        p4info_of(src)


def test_annotations_print_as_p4c_writes_them() -> None:
    from softp4.compiler import ast
    from softp4.compiler.p4info.from_program import annotation_text, convert_annotations

    prog = parse(
        'control C() { @my_note(1, 2) @flag @empty() @brief("a \\"b\\"") @s[k=1, j="x"] @l[1, true] '
        '@noWarn("unused") @weird(a + b) action a() {} apply { a(); } }',
        "a.p4",
    )
    control = prog.declarations[0]
    assert isinstance(control, ast.ControlDecl)
    anns = control.locals[0].annotations
    # unknown annotations keep their tokens, separated by spaces (p4c's ToP4)
    assert [annotation_text(a) for a in anns] == [
        "@my_note(1 , 2)",
        "@flag",
        "@empty",
        '@brief("a \\"b\\"")',
        '@s[k=1, j="x"]',
        "@l[1, true]",
        '@noWarn("unused")',
        "@weird(a + b)",
    ]
    converted = convert_annotations(anns)
    assert converted[3].args == ('a "b"',)
    assert (converted[4].structured, converted[4].kv) == (True, (("k", 1), ("j", "x")))
    assert converted[5].args == (1, True)


def test_new_types_digest_errors_and_enums_in_type_info() -> None:
    info = p4info_of(
        program(
            """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action report(port_t p) {
        digest<report_t>(1, { sm.ingress_port, sm.parser_error, Kind.B, (wrapped_t)(inner_t)32w5 });
    }
    table t { key = { meta.nh : exact; } actions = { report; } }
    apply { t.apply(); }
}
""",
            prelude="""
type bit<32> inner_t;
type inner_t wrapped_t;
@p4runtime_translation("example.org/port", 16) type bit<9> port_t;
enum Kind { A, B }
struct report_t { bit<9> port; error err; Kind kind; wrapped_t w; }
""",
        )
    )
    _noaction, action = info.actions
    assert [(p.name, p.bitwidth, p.type_name.name) for p in action.params] == [("p", 16, "port_t")]
    ti = info.type_info
    assert [m.type_spec.WhichOneof("type_spec") for m in ti.structs["report_t"].members] == [
        "bitstring",
        "error",
        "enum",
        "new_type",
    ]
    # a new type of a new type is described by the innermost type; the inner one is not listed
    assert set(ti.new_types) == {"port_t", "wrapped_t"}
    assert ti.new_types["wrapped_t"].original_type.bitstring.bit.bitwidth == 32
    assert (ti.new_types["port_t"].translated_type.uri, ti.new_types["port_t"].translated_type.sdn_bitwidth) == (
        "example.org/port",
        16,
    )
    assert list(ti.error.members)[:3] == ["NoError", "PacketTooShort", "NoMatch"]
    assert [m.name for m in ti.enums["Kind"].members] == ["A", "B"]


def test_directly_applied_control_is_inlined_after_the_locals() -> None:
    info = p4info_of(
        program(
            """
control Inner(inout meta_t meta) {
    counter(8, CounterType.bytes) hits;
    action mark(bit<8> c) { meta.color = c; }
    table colors { key = { meta.nh : exact; } actions = { mark; } default_action = mark(0); }
    apply { colors.apply(); }
}
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action mark(bit<16> n) { meta.nh = n; }
    table first { actions = { mark; } default_action = mark(1); }
    apply { Inner.apply(meta); first.apply(); }
}
"""
        )
    )
    assert [t.preamble.name for t in info.tables] == ["Ing.first", "Ing.Inner.colors"]
    assert [(a.preamble.name, a.preamble.alias) for a in info.actions] == [
        ("Ing.mark", "Ing.mark"),
        ("Ing.Inner.mark", "Inner.mark"),
    ]
    assert [(c.preamble.name, c.spec.unit) for c in info.counters] == [("Ing.Inner.hits", p4i.CounterSpec.BYTES)]


def test_converted_program_style_absolute_names() -> None:
    """Programs translated from P4-14 name everything absolutely, NoAction copies included."""
    info = p4info_of(
        """
#include <core.p4>
#include <v1model.p4>
header data_t { bit<32> f1; bit<8> b1; }
struct metadata { }
struct headers { @name(".data") data_t data; }
parser ParserImpl(packet_in packet, out headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    @name(".start") state start { packet.extract(hdr.data); transition accept; }
}
control ingress(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    @name(".NoAction") action NoAction_0() { }
    @name(".NoAction") action NoAction_1() { }
    @name(".cnt") direct_counter(CounterType.packets) cnt;
    @name(".setb1") action setb1(bit<8> val) { hdr.data.b1 = val; }
    @name(".test1") table test1 {
        actions = { setb1; @defaultonly NoAction_0; }
        key = { hdr.data.f1: exact; }
        counters = cnt;
        default_action = NoAction_0();
    }
    @name(".test2") table test2 {
        actions = { setb1; @defaultonly NoAction_1; }
        key = { hdr.data.f1: exact @name("data.f1"); }
        default_action = NoAction_1();
    }
    apply { test1.apply(); test2.apply(); }
}
control egress(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) { apply { } }
control DeparserImpl(packet_out packet, in headers hdr) { apply { packet.emit(hdr.data); } }
control verifyChecksum(inout headers hdr, inout metadata meta) { apply { } }
control computeChecksum(inout headers hdr, inout metadata meta) { apply { } }
V1Switch(ParserImpl(), verifyChecksum(), ingress(), egress(), computeChecksum(), DeparserImpl()) main;
"""
    )
    assert [t.preamble.name for t in info.tables] == ["test1", "test2"]
    # the struct field's absolute @name replaces the path before it in a derived key name
    assert [t.match_fields[0].name for t in info.tables] == ["data.f1", "data.f1"]
    assert [a.preamble.name for a in info.actions] == ["NoAction", "setb1"]
    assert [r.id for r in info.tables[1].action_refs] == [rid(0x01, "setb1"), rid(0x01, "NoAction")]
    (dc,) = info.direct_counters
    assert (dc.preamble.name, dc.direct_table_id) == ("cnt", rid(0x02, "test1"))


@pytest.mark.parametrize(
    ("ingress", "written"),
    [
        # nothing p4c's serializer looks at a type for: no type_info at all
        ("control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }", False),
        (
            "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {"
            " action a() { meta.nh = 1; } apply { a(); } }",
            False,
        ),
        # an extern function call in a control, a table, an action parameter, an extern instance
        (
            "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {"
            " apply { mark_to_drop(sm); } }",
            True,
        ),
        (
            "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {"
            " table t { key = { } actions = { NoAction; } } apply { t.apply(); } }",
            True,
        ),
        # an action only called directly has no parameters left (p4c's testdata issue323.p4)
        (
            "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {"
            " action a(bit<8> x) { meta.color = x; } apply { a(1); } }",
            False,
        ),
        (
            "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {"
            " counter(4, CounterType.packets) c; apply { } }",
            True,
        ),
    ],
)
def test_type_info_only_when_p4c_writes_it(ingress: str, written: bool) -> None:
    info = p4info_of(program(ingress))
    assert info.HasField("type_info") is written
    assert info.type_info.ByteSize() == 0


def test_dead_code_uses_nothing() -> None:
    info = p4info_of(
        program(
            """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action live() { meta.nh = 1; }
    action dead_branch(bit<8> x) { meta.color = x; }
    action after_exit() { meta.nh = 2; }
    table t { key = { hdr.eth.dst : exact; } actions = { NoAction; } }
    apply {
        if (false) { dead_branch(3); }
        meta.nh = true ? 16w1 : (t.apply().hit ? 16w2 : 16w3);
        live();
        if (true) { exit; } else { live(); }
        after_exit();
    }
}
"""
        )
    )
    assert [a.preamble.name for a in info.actions] == ["Ing.live"]
    assert list(info.tables) == []
    assert not info.HasField("type_info")


def test_actions_only_called_directly_lose_their_parameters() -> None:
    # p4c's front end gives each direct call a copy of the action with its parameters made
    # locals (LocalizeAllActions, RemoveActionParameters); an action a table lists keeps them
    info = p4info_of(
        program(
            """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action called(bit<8> x, bit<4> y) { meta.color = x; }
    action both(bit<8> x) { meta.color = x; }
    table t { key = { meta.nh : exact; } actions = { both; } }
    apply { called(1, 2); called(3, meta.nh[3:0]); t.apply(); both(7); }
}
"""
        )
    )
    params = {a.preamble.name: [p.name for p in a.params] for a in info.actions}
    assert params["Ing.called"] == [] and params["Ing.both"] == ["x"]


def test_empty_const_entries_make_a_const_table_without_initial_entries() -> None:
    info = p4info_of(
        program(
            """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action a() { meta.nh = 1; }
    table t { key = { meta.nh : exact; } actions = { a; } const entries = { } }
    table u { key = { meta.nh : exact; } actions = { a; } const entries = { 1 : a(); } }
    apply { t.apply(); u.apply(); }
}
"""
        )
    )
    flags = {t.preamble.name: (t.is_const_table, t.has_initial_entries) for t in info.tables}
    assert flags == {"Ing.t": (True, False), "Ing.u": (True, True)}


def test_struct_fields_of_a_controller_header_are_flattened() -> None:
    prelude = """
struct inner_t { bit<7> x; bit<9> port; }
@controller_header("packet_out")
header out_t { bit<8> kind; inner_t where; }
"""
    ingress = "control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }"
    info = p4info_of(program(ingress, prelude))
    (header,) = info.controller_packet_metadata
    fields = [(f.id, f.name, f.bitwidth) for f in header.metadata]
    assert fields == [(1, "kind", 8), (2, "where.x", 7), (3, "where.port", 9)]


def test_digest_of_a_list_is_named_per_call() -> None:
    from softp4.compiler import compile_source

    src = program(
        """
control Ing(inout headers hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        digest(1, { hdr.eth.src });
        digest(1, { hdr.eth.dst, hdr.eth.type });
    }
}
"""
    )
    info = p4info_of(src)
    assert [d.preamble.name for d in info.digests] == ["digest_0", "digest_1"]
    assert [m.bitstring.bit.bitwidth for m in info.digests[1].type_spec.tuple.members] == [48, 16]
    # the BMv2 JSON names its learn lists the same way (the P4Runtime server binds them by name)
    learn = compile_source(src, filename="prog.p4").bmv2_json["learn_lists"]
    assert [(ll["name"], len(ll["elements"])) for ll in learn] == [("digest_0", 1), ("digest_1", 2)]
