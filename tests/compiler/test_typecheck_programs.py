"""Whole v1model programs that use most of the language must check cleanly, with every
expression typed (annotation arguments aside)."""

from __future__ import annotations

import pytest

from softp4.compiler import ast
from softp4.compiler import types as T
from softp4.compiler.parser import parse
from softp4.compiler.preprocess import preprocess_source
from softp4.compiler.typecheck import check_program

FORWARDING = """\
#include <core.p4>
#include <v1model.p4>

const bit<16> TYPE_IPV4 = 0x800;
typedef bit<9>  egressSpec_t;
typedef bit<48> macAddr_t;
typedef bit<32> ip4Addr_t;
type bit<32> PortId_t2;
enum bit<8> Color { RED = 1, GREEN = 2 }
enum Dir { IN, OUT }
error { MyError }

header ethernet_t {
    macAddr_t dstAddr;
    macAddr_t srcAddr;
    bit<16>   etherType;
}

header ipv4_t {
    bit<4>    version;
    bit<4>    ihl;
    bit<8>    diffserv;
    bit<16>   totalLen;
    bit<16>   identification;
    bit<3>    flags;
    bit<13>   fragOffset;
    bit<8>    ttl;
    bit<8>    protocol;
    bit<16>   hdrChecksum;
    ip4Addr_t srcAddr;
    ip4Addr_t dstAddr;
}
header vlan_t { bit<16> tci; bit<16> etherType; }

@controller_header("packet_in")
header packet_in_t { bit<9> port; bit<7> pad; }

struct metadata { bit<32> x; bool flag; Color c; }

struct headers {
    packet_in_t  pin;
    ethernet_t   ethernet;
    vlan_t[2]    vlans;
    ipv4_t       ipv4;
}

parser MyParser(packet_in packet, out headers hdr, inout metadata meta,
                inout standard_metadata_t standard_metadata) {
    value_set<bit<16>>(4) pvs;
    state start {
        transition parse_ethernet;
    }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            TYPE_IPV4: parse_ipv4;
            0x8100 &&& 0xEFFF: parse_vlan;
            0x9000 .. 0x90FF: accept;
            pvs: accept;
            default: accept;
        }
    }
    state parse_vlan {
        packet.extract(hdr.vlans.next);
        verify(hdr.vlans.last.etherType != 0, error.MyError);
        transition select(packet.lookahead<bit<16>>(), hdr.vlans.last.etherType) {
            (0x0800, _): parse_ipv4;
            (_, 0x8100): parse_vlan;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        packet.advance(32);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers hdr, inout metadata meta) {
    apply {  }
}

control MyIngress(inout headers hdr, inout metadata meta, inout standard_metadata_t standard_metadata) {
    counter(32w1024, CounterType.packets_and_bytes) c1;
    direct_counter(CounterType.packets) dc;
    register<bit<32>>(1024) reg;
    action drop() {
        mark_to_drop(standard_metadata);
    }
    @name("ipv4_forward_renamed")
    action ipv4_forward(macAddr_t dstAddr, egressSpec_t port) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.srcAddr = hdr.ethernet.dstAddr;
        hdr.ethernet.dstAddr = dstAddr;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        meta.x = (bit<8>)port ++ 8w0 ++ hdr.ipv4.ttl[7:4] ++ 12w0;
        meta.x = meta.x |+| 5;
        meta.flag = meta.x > 3 && !(meta.x == 7) ? true : false;
        bit<32> tmp;
        reg.read(tmp, 5);
        reg.write(5, tmp + (meta.x >> 2));
        hash(meta.x, HashAlgorithm.crc32, 32w0, {hdr.ipv4.srcAddr, hdr.ipv4.dstAddr}, 32w65536);
    }
    table ipv4_lpm {
        key = {
            hdr.ipv4.dstAddr: lpm @name("dst");
            hdr.ipv4.isValid(): exact;
        }
        actions = {
            ipv4_forward;
            @defaultonly drop;
            NoAction;
        }
        size = 1024;
        default_action = drop();
        counters = dc;
    }
    table t2 {
        key = { hdr.ethernet.etherType: ternary; }
        actions = { drop; ipv4_forward; }
        const entries = {
            0x0800 &&& 0xFFFF : ipv4_forward(1, 2);
            priority = 10: _ : drop();
        }
        const default_action = drop;
    }
    apply {
        if (hdr.ipv4.isValid()) {
            ipv4_lpm.apply();
        } else if (!hdr.ethernet.isValid()) {
            exit;
        }
        switch (t2.apply().action_run) {
            drop: { c1.count(0); }
            ipv4_forward: {}
            default: { return; }
        }
        if (t2.apply().hit) { hdr.vlans.push_front(1); }
        meta.c = Color.RED;
        meta.x = (bit<32>)meta.c;
    }
}

control MyEgress(inout headers hdr, inout metadata meta, inout standard_metadata_t standard_metadata) {
    apply { }
}

control MyComputeChecksum(inout headers  hdr, inout metadata meta) {
     apply {
        update_checksum(
            hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv,
              hdr.ipv4.totalLen, hdr.ipv4.identification, hdr.ipv4.flags,
              hdr.ipv4.fragOffset, hdr.ipv4.ttl, hdr.ipv4.protocol,
              hdr.ipv4.srcAddr, hdr.ipv4.dstAddr },
            hdr.ipv4.hdrChecksum,
            HashAlgorithm.csum16);
    }
}

control MyDeparser(packet_out packet, in headers hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
    }
}

V1Switch(
MyParser(),
MyVerifyChecksum(),
MyIngress(),
MyEgress(),
MyComputeChecksum(),
MyDeparser()
) main;
"""

PARSING_AND_EXTERNS = """\
#include <core.p4>
#include <v1model.p4>
header h1_t { bit<4> version; bit<4> ihl; }
header ip_t { bit<4> version; bit<4> ihl; bit<8> tos; varbit<320> options; }
header u1_t { bit<8> a; }
header u2_t { bit<16> b; }
header_union u_t { u1_t a; u2_t b; }
struct headers { ip_t ip; h1_t h1; u_t u; h1_t[3] stack; }
struct metadata { bit<16> l4Len; bit<8> sel; int<8> s; }
typedef tuple<bit<4>, bit<4>, bit<8>> myTuple1;
const bit<8> K = 3;
const int SHIFT = 2;
enum bit<16> EtherType { IPV4 = 0x0800, ARP = 0x0806 }
bit<8> max8(in bit<8> a, in bit<8> b) { return a > b ? a : b; }
T twice<T>(in T x) { return x; }

parser parserI(packet_in pkt, out headers hdr, inout metadata meta, inout standard_metadata_t stdmeta) {
    state start {
        pkt.extract(hdr.ip, (bit<32>)(8 * (4 * (bit<9>) (pkt.lookahead<h1_t >().ihl) - 20)));
        verify(hdr.ip.version == 4w4, error.NoMatch);
        meta.l4Len = 16w20 - (bit<16>)(hdr.ip.ihl*4);
        pkt.extract(hdr.stack.next);
        pkt.extract(hdr.stack[1]);
        transition select (hdr.ip.tos, hdr.ip.ihl) {
            (6, 4w0 &&& 4w0xF): accept;
            (17 .. 20, _): s2;
            default: accept;
        }
    }
    state s2 { pkt.extract(hdr.u.a); transition select(hdr.u.a.a) { K: accept; default: reject; } }
}
control cIngress(inout headers hdr, inout metadata meta, inout standard_metadata_t stdmeta) {
    action a1(bit<8> x) { meta.sel = x |-| K; meta.s = -8s1 |+| -5; }
    action_profile(32w128) ap;
    meter(32w16, MeterType.bytes) mtr;
    direct_meter<bit<8>>(MeterType.packets) dm;
    bit<16> local = 5;
    table t {
        key = { hdr.ip.tos : exact; meta.l4Len: range; }
        actions = { a1; NoAction; }
        implementation = ap;
        default_action = NoAction();
    }
    table tm {
        key = { hdr.ip.tos : exact; }
        actions = { a1; NoAction; }
        meters = dm;
    }
    apply {
        t.apply();
        if (tm.apply().miss) { dm.read(meta.sel); }
        mtr.execute_meter(32w1, meta.sel);
        meta.sel = max8(meta.sel, 8w3);
        meta.sel = twice(meta.sel);
        meta.sel = hdr.ip.tos << SHIFT;
        meta.sel = (bit<8>) EtherType.IPV4;
        switch (meta.sel) { 1: { exit; } 2: 3: { } default: { } }
        hdr.stack.pop_front(1);
        hdr.stack[0].setValid();
        hdr.u.b.setInvalid();
        meta.l4Len = (bit<16>)hdr.stack.lastIndex;
        digest<myTuple1>(1, {hdr.h1.version, hdr.h1.ihl, 8w0});
        random(meta.sel, 8w0, 8w255);
        clone(CloneType.I2E, 32w5);
        log_msg("x={}", {meta.sel});
        bit<32> r;
        hash(r, HashAlgorithm.crc16, 32w0, {hdr.ip.tos}, 32w1024);
        local = local + 1;
    }
}
control cEgress(inout headers hdr, inout metadata meta, inout standard_metadata_t stdmeta) { apply { } }
control vc(inout headers hdr, inout metadata meta) {
    apply {
        verify_checksum(true, { hdr.ip.version, hdr.ip.ihl, hdr.ip.options }, hdr.ip.tos, HashAlgorithm.csum16);
    }
}
control uc(inout headers hdr, inout metadata meta) { apply { } }
control DeparserI(packet_out packet, in headers hdr) { apply { packet.emit(hdr); } }
V1Switch<headers, metadata>(parserI(), vc(), cIngress(), cEgress(), uc(), DeparserI()) main;
"""

CONTROL_FLOW = """\
#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dstAddr; bit<48> srcAddr; bit<16> etherType; }
header ipv4_t { bit<4> version; bit<4> ihl; bit<8> diffserv; bit<32> srcAddr; bit<32> dstAddr; }
header sw_t { bit<32> word0; }
struct fwd_meta_t { bit<32> l2ptr; bit<24> out_bd; }
enum MyE { A, B, C }
struct meta_t { fwd_meta_t fwd; bit<8> idx; MyE e; }
struct headers_t { sw_t sw; ethernet_t ethernet; ipv4_t ipv4; ipv4_t[4] stack; }
const bit<32> I2E_CLONE_SESSION_ID = 5;
typedef bit<9> port_t;
type bit<32> ip_t;
action my_drop(inout standard_metadata_t smeta) { mark_to_drop(smeta); }
bool is_ok(in bit<8> v, out bit<8> w) { w = v + 1; return v != 0; }
parser SubP(packet_in packet, out headers_t hdr) {
    state start { packet.extract(hdr.ipv4); transition accept; }
}
parser ParserImpl(packet_in packet, out headers_t hdr, inout meta_t meta, inout standard_metadata_t standard_metadata) {
    const bit<16> ETHERTYPE_IPV4 = 16w0x0800;
    SubP() sub;
    state start { transition parse_ethernet; }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        bit<16> tmp = packet.lookahead<bit<16>>();
        transition select(hdr.ethernet.etherType, packet.lookahead<bit<8>>()[3:0]) {
            (ETHERTYPE_IPV4, _): parse_ipv4;
            (0x86dd, 0 .. 3): parse_ipv4;
            (_, 4w0xF &&& 4w0xC): accept;
            (_, _): accept;
        }
    }
    state parse_ipv4 {
        sub.apply(packet, hdr);
        transition select(hdr.ipv4.version) { 4: accept; _: reject; }
    }
}
control fill(out bit<32> a, in bit<8> b0, in bit<8> b1, in bit<8> b2, in bit<8> b3) {
    apply { a = b0 ++ b1 ++ b2 ++ b3; }
}
control ingress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t standard_metadata) {
    fill() c_fill;
    const bit<32> RES = 0xe50b;
    direct_counter(CounterType.packets) dc;
    action set_l2ptr(bit<32> l2ptr) { meta.fwd.l2ptr = l2ptr; dc.count(); }
    action do_resubmit(bit<32> a) { hdr.ipv4.dstAddr = a; resubmit({}); }
    action do_clone(bit<32> l2ptr) { clone3(CloneType.I2E, I2E_CLONE_SESSION_ID, {}); meta.fwd.l2ptr = l2ptr; exit; }
    action sel(port_t p) { standard_metadata.egress_spec = p; }
    table ipv4_da_lpm {
        key = { hdr.ipv4.dstAddr: lpm; hdr.ipv4.isValid(): exact; meta.e: exact; }
        actions = { set_l2ptr; do_resubmit; do_clone; my_drop(standard_metadata); }
        default_action = my_drop(standard_metadata);
        counters = dc;
    }
    table t2 {
        key = { meta.fwd.l2ptr: exact; }
        actions = { sel; NoAction; }
        implementation = action_selector(HashAlgorithm.crc16, 32w64, 32w16);
        const entries = {
            1 : sel(3);
            (2) : NoAction();
        }
    }
    apply {
        if (standard_metadata.instance_type == 6) {
            c_fill.apply(hdr.ipv4.srcAddr, 10, 252, 129, 2);
            meta.fwd.l2ptr = RES;
        } else {
            ipv4_da_lpm.apply();
        }
        bit<8> w;
        if (is_ok(meta.idx, w) && hdr.stack[meta.idx].isValid()) { hdr.stack[meta.idx].version = 1; }
        hdr.stack.push_front(2);
        switch (meta.e) { MyE.A: MyE.B: { exit; } default: { } }
        @atomic { meta.idx = meta.idx + 1; }
        ip_t x = (ip_t)hdr.ipv4.dstAddr;
        hdr.ipv4.dstAddr = (bit<32>)x;
        meta.fwd.l2ptr = (bit<32>)(-1);
        meta.idx = 8w0 - 1;
        if (standard_metadata.parser_error == error.PacketTooShort) { return; }
        hdr.ethernet = hdr.ethernet;
        if (hdr.ethernet == hdr.ethernet) { }
        meta.fwd.out_bd = (bit<24>)(meta.fwd.l2ptr >> 8);
        meta.idx = meta.e == MyE.A ? 8w1 : 2;
        t2.apply();
        meta.fwd.l2ptr = hdr.ipv4.srcAddr & 0xFF00 | 1 << 3;
        assert(meta.idx != 0);
        log_msg("idx={}", {meta.idx});
        digest(1, meta.fwd);
    }
}
control egress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t standard_metadata) { apply { } }
control DeparserImpl(packet_out packet, in headers_t hdr) { apply { packet.emit(hdr); } }
control vc(inout headers_t hdr, inout meta_t meta) { apply { } }
control cc(inout headers_t hdr, inout meta_t meta) { apply { } }
V1Switch(ParserImpl(), vc(), ingress(), egress(), cc(), DeparserImpl()) main;
"""

GENERICS_AND_SHADOWING = """\
#include <core.p4>
#include <v1model.p4>
typedef standard_metadata_t std_meta_t;
header hdr { bit<32> a; bit<32> b; bit<32> c; }
header T { bit<32> y; }
struct H { T[2] hstack; hdr h; }
struct M { bit<32> x; }
T2 fun<T2>(in T2 x){ return x; }
void fun_caller(in bool b, in int<32> i, in hdr h, out bool br, out int<32> ir, out hdr hr){
    br = fun<bool>(b);
    ir = fun<int<32>>(i);
    hr = fun<hdr>(h);
}
A lambda<A,B>(in A x, in B y, out B z){ z = y; return x; }
parser ParserI(packet_in b, out H parsedHdr, inout M meta, inout std_meta_t std_meta) {
    state start { transition p0; }
    state p0 {
      b.extract(hdr = parsedHdr.hstack.next);
      b.extract<hdr>(parsedHdr.h);
      transition select(parsedHdr.hstack.last.y) { 0: p0; _: accept; }
    }
}
control VerifyChecksumI(inout H hdr, inout M meta) { apply { } }
control ctrl(inout M meta) { apply { } }
control IngressI(inout H hdr, inout M meta, inout std_meta_t std_meta) {
    ctrl() do_ctrl;
    action modify_data() { hdr.h.a = 32w0x1; }
    action noop() { }
    @name(".test2") table test2_0 {
        actions = { modify_data(); noop(); @defaultonly NoAction(); }
        key = { hdr.h.a: exact @name("data.f1") ; }
        default_action = NoAction();
    }
    apply {
        do_ctrl.apply(meta);
        bool br; int<32> ir;
        fun_caller(true, 5, hdr.h, br, ir, hdr.h);
        ir = lambda<int<32>, bool>(ir, br, br);
        meta.x = lambda(meta.x, true, br);
        test2_0.apply();
    }
}
control EgressI(inout H hdr, inout M meta, inout std_meta_t std_meta) { apply { } }
control ComputeChecksumI(inout H hdr, inout M meta) { apply { } }
control DeparserI(packet_out b, in H hdr) { apply { } }
V1Switch(ParserI(), VerifyChecksumI(), IngressI(), EgressI(), ComputeChecksumI(), DeparserI()) main;
"""

PROGRAMS = {"forwarding": FORWARDING, "parsing_and_externs": PARSING_AND_EXTERNS, "control_flow": CONTROL_FLOW,
            "generics_and_shadowing": GENERICS_AND_SHADOWING}


def checked(source: str, name: str) -> ast.Program:
    program = parse(preprocess_source(source, f"{name}.p4"), f"{name}.p4")
    check_program(program)
    return program


def annotation_nodes(program: ast.Program) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(program):
        if isinstance(node, ast.Annotation):
            inside.update(id(n) for n in ast.walk(node))
    return inside


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_checks_and_every_expression_is_typed(name: str) -> None:
    program = checked(PROGRAMS[name], name)
    skip = annotation_nodes(program)
    untyped = [f"{type(n).__name__} at {n.loc}" for n in ast.walk(program)
               if isinstance(n, ast.Expression) and n.type is None and id(n) not in skip]
    assert untyped == []
    names = [n for n in ast.walk(program) if isinstance(n, ast.PathExpr) and id(n) not in skip]
    unresolved = [f"{n.name} at {n.loc}" for n in names if n.decl is None and n.name not in ("accept", "reject")]
    assert unresolved == []
    calls = [n for n in ast.walk(program) if isinstance(n, ast.MethodCall) and id(n) not in skip]
    assert calls and all(c.callee is not None for c in calls)


def test_forwarding_program_details() -> None:
    program = checked(FORWARDING, "forwarding")
    ingress = next(d for d in program.declarations if isinstance(d, ast.ControlDecl) and d.name == "MyIngress")
    lpm = next(d for d in ingress.locals if isinstance(d, ast.TableDecl) and d.name == "ipv4_lpm")
    assert [(str(k.expr.type), k.match_kind) for k in lpm.key] == [("bit<32>", "lpm"), ("bool", "exact")]
    t2 = next(d for d in ingress.locals if isinstance(d, ast.TableDecl) and d.name == "t2")
    entries = t2.entries
    assert entries is not None
    first_action = entries.entries[0].action.expr
    assert isinstance(first_action, ast.MethodCall)
    assert [a.value.type for a in first_action.args] == [T.BitsType(48), T.BitsType(9)]
    assert [a.value.const_value for a in first_action.args] == [1, 2]
    reg = next(d for d in ingress.locals if isinstance(d, ast.Instantiation) and d.name == "reg")
    assert str(reg.type_ref.resolved) == "register<bit<32>>"


def test_generic_functions_and_a_parameter_hiding_a_type_name() -> None:
    program = checked(GENERICS_AND_SHADOWING, "generics")
    calls = {(n.loc.line, n.callee.name): [str(t) for t in n.inferred_type_args or []]
             for n in ast.walk(program)
             if isinstance(n, ast.MethodCall) and isinstance(n.callee, ast.FunctionDecl | ast.MethodDecl)}
    assert calls[(10, "fun")] == ["bool"]
    assert calls[(12, "fun")] == ["hdr"]
    assert calls[(38, "lambda")] == ["int<32>", "bool"]
    assert calls[(39, "lambda")] == ["bit<32>", "bool"]
    assert calls[(18, "extract")] == ["T"]
    ingress = next(d for d in program.declarations if isinstance(d, ast.ControlDecl) and d.name == "IngressI")
    action = ingress.locals[1]
    assert isinstance(action, ast.ActionDecl)
    assign = action.body.statements[0]
    assert isinstance(assign, ast.AssignmentStatement) and isinstance(assign.left, ast.Member)
    base = assign.left.expr.expr  # type: ignore[attr-defined]
    assert isinstance(base, ast.PathExpr) and isinstance(base.decl, ast.Param) and base.decl.name == "hdr"
