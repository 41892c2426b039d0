"""The type checker: types of expressions, implicit casts, folding, name resolution, calls."""

from __future__ import annotations

import pytest

from softp4.compiler import ast
from softp4.compiler import types as T
from softp4.compiler.errors import CompileError
from softp4.compiler.parser import parse
from softp4.compiler.preprocess import preprocess_source
from softp4.compiler.typecheck import CheckedProgram, check_program

PRELUDE = """#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dst; bit<48> src; bit<16> etype; }
header vlan_t { bit<3> pcp; bit<1> cfi; bit<12> vid; bit<16> etype; }
header_union u_t { ethernet_t e; vlan_t v; }
struct headers { ethernet_t eth; vlan_t[2] vlans; u_t u; }
enum bit<8> Color { RED = 1, GREEN = 2 }
enum Dir { IN, OUT }
struct metadata { bit<8> a; bit<16> b; int<8> s; bool f; Color c; Dir d; bit<32> w; }
"""

SKELETON = """
parser P(packet_in pkt, out headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.eth); transition accept; }
}
control VC(inout headers hdr, inout metadata meta) { apply { } }
control E(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) { apply { } }
control CC(inout headers hdr, inout metadata meta) { apply { } }
control D(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.eth); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def check(text: str) -> tuple[ast.Program, CheckedProgram]:
    pp = preprocess_source(PRELUDE + text, "t.p4")
    prog = parse(pp, "t.p4")
    return prog, check_program(prog)


def ingress(body: str, locals_: str = "") -> tuple[ast.ControlDecl, CheckedProgram]:
    prog, checked = check(
        "control I(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) {\n"
        f"{locals_}\napply {{\n{body}\n}}\n}}\n" + SKELETON)
    ctl = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "I")
    return ctl, checked


def stmts(body: str, locals_: str = "") -> list[ast.Node]:
    return ingress(body, locals_)[0].body.statements


def rhs(stmt: ast.Node) -> ast.Expression:
    assert isinstance(stmt, ast.AssignmentStatement)
    return stmt.right


def error_of(body: str, locals_: str = "") -> str:
    with pytest.raises(CompileError) as info:
        ingress(body, locals_)
    return info.value.diagnostics[0].message


def test_every_expression_gets_a_type() -> None:
    ctl, _ = ingress("""
        meta.a = meta.a + 1;
        meta.b = meta.a ++ 8w0 >> 2;
        meta.f = hdr.eth.isValid() && meta.a[3:0] == 4w2;
        meta.c = Color.GREEN;
        meta.w = meta.f ? 32w1 : 2;
    """)
    for node in ast.walk(ctl):
        if isinstance(node, ast.Expression):
            assert node.type is not None, f"{type(node).__name__} at {node.loc} has no type"


@pytest.mark.parametrize(
    ("source", "type_"),
    [
        ("meta.a + 1", "bit<8>"),
        ("meta.a ++ meta.b", "bit<24>"),
        ("meta.s ++ meta.a", "int<16>"),
        ("meta.b[11:4]", "bit<8>"),
        ("meta.a << 3", "bit<8>"),
        ("meta.a |+| 200", "bit<8>"),
        ("meta.s |-| 100", "int<8>"),
        ("(int<8>)meta.a", "int<8>"),
        ("(bit<16>)meta.a", "bit<16>"),
        ("(bit<8>)meta.c", "bit<8>"),
        ("~meta.a", "bit<8>"),
        ("-meta.s", "int<8>"),
        ("meta.a == 3", "bool"),
        ("meta.f ? meta.a : 7", "bit<8>"),
        ("hdr.vlans[1].vid", "bit<12>"),
        ("hdr.vlans.size", "bit<32>"),
        ("hdr.u.v.pcp", "bit<3>"),
        ("hdr.eth.isValid()", "bool"),
        ("hdr.u.isValid()", "bool"),
        ("(bool)1w1", "bool"),
        ("(bit<1>)meta.f", "bit<1>"),
    ],
)
def test_expression_types(source: str, type_: str) -> None:
    ctl, _ = ingress("", f"action probe() {{ if (({source}) == ({source})) {{ }} }}")
    action = ctl.locals[0]
    assert isinstance(action, ast.ActionDecl)
    if_ = action.body.statements[0]
    assert isinstance(if_, ast.IfStatement) and isinstance(if_.cond, ast.Binary)
    assert str(if_.cond.left.type) == type_


def test_int_literals_take_the_type_of_their_context() -> None:
    st = stmts("""
        meta.a = 5;
        meta.b = meta.b + 1;
        meta.a = meta.f ? 1 : 2;
        meta.w = (2 + 3) * 4;
    """)
    lit = rhs(st[0])
    assert isinstance(lit, ast.IntLiteral) and lit.type == T.BitsType(8) and lit.const_value == 5
    add = rhs(st[1])
    assert isinstance(add, ast.Binary) and add.right.type == T.BitsType(16)
    mux = rhs(st[2])
    assert isinstance(mux, ast.Mux) and mux.then.type == T.BitsType(8) and mux.else_.type == T.BitsType(8)
    folded = rhs(st[3])
    assert folded.type == T.BitsType(32) and folded.const_value == 20
    assert isinstance(folded, ast.Binary) and folded.left.type == T.BitsType(32)


def test_constant_folding() -> None:
    prog, _ = check("""
        const bit<8> A = 250;
        const bit<8> B = A + 10;
        const int<8> C = -128 - 1;
        const bit<16> D = 8w0xAB ++ 8w0xCD;
        const bit<4> E = D[7:4];
        const bit<8> F = 8w200 |+| 8w100;
        const int<8> G = -8s100 |-| 8s100;
        const bool H = A > B && !(A == 0);
        const bit<32> I = 1 << 10;
        const Color J = Color.GREEN;
        const bit<8> K = (bit<8>)Color.GREEN;
        const error L = error.NoMatch;
        const bit<8> M = (bit<8>)(16w0x1234);
        const bit<16> N = (bit<16>)(-8s1 ++ 8w0);
    """)
    consts = {d.name: d.value.const_value for d in prog.declarations if isinstance(d, ast.ConstantDecl)}
    assert consts["B"] == 4  # 260 wraps to 4
    assert consts["C"] == 127  # -129 wraps in int<8>
    assert consts["D"] == 0xABCD
    assert consts["E"] == 0xC
    assert consts["F"] == 255 and consts["G"] == -128
    assert consts["H"] is True
    assert consts["I"] == 1024
    assert isinstance(consts["J"], T.EnumValue) and consts["J"].member == "GREEN" and consts["J"].value == 2
    assert consts["K"] == 2
    assert consts["L"] == T.ErrorValue("NoMatch")
    assert consts["M"] == 0x34
    assert consts["N"] == 0xFF00


def test_widths_and_sizes_from_constants() -> None:
    prog, _ = check("""
        const bit<32> W = 12;
        const int N = 3;
        header h_t { bit<W> f; bit<(W + 4)> g; }
        struct s_t { h_t[N * 2] hs; }
    """)
    h = next(d for d in prog.declarations if isinstance(d, ast.HeaderDecl) and d.name == "h_t")
    assert [f.type_ref.resolved for f in h.fields] == [T.BitsType(12), T.BitsType(16)]
    s = next(d for d in prog.declarations if isinstance(d, ast.StructDecl) and d.name == "s_t")
    st = s.fields[0].type_ref.resolved
    assert isinstance(st, T.StackType) and st.size == 6


def test_names_resolve_to_declarations() -> None:
    ctl, _ = ingress("meta.a = x; a1(meta.a);",
                     "bit<8> x = 1; action a1(in bit<8> v) { meta.a = v; }")
    assign, call = ctl.body.statements
    var = ctl.locals[0]
    action = ctl.locals[1]
    right = rhs(assign)
    assert isinstance(right, ast.PathExpr) and right.decl is var
    assert isinstance(call, ast.MethodCallStatement) and call.call.callee is action
    left = assign.left  # type: ignore[attr-defined]
    assert isinstance(left, ast.Member) and isinstance(left.decl, ast.StructField) and left.decl.name == "a"
    base = left.expr
    assert isinstance(base, ast.PathExpr) and isinstance(base.decl, ast.Param) and base.decl.name == "meta"


def test_extern_methods_generics_and_callees() -> None:
    ctl, checked = ingress("""
        r.read(meta.w, 1);
        hash(meta.b, HashAlgorithm.crc16, 16w0, {hdr.eth.dst, meta.a}, 32w1024);
        random(meta.a, 0, 255);
        c.count(3);
        mark_to_drop(sm);
    """, """
        register<bit<32>>(16) r;
        counter(32w8, CounterType.packets) c;
    """)
    read, hash_, random_, count, drop = (s.call for s in ctl.body.statements)  # type: ignore[attr-defined]
    assert isinstance(read.callee, ast.MethodDecl) and read.callee.name == "read"
    assert read.args[1].value.type == T.BitsType(32)
    r = ctl.locals[0]
    assert isinstance(r, ast.Instantiation)
    rt = read.method.expr.type
    assert isinstance(rt, T.ExternType) and rt.decl.name == "register" and rt.type_args == (T.BitsType(32),)
    assert isinstance(hash_.callee, ast.ExternFunctionDecl) and hash_.callee.name == "hash"
    o, t, d, m = hash_.inferred_type_args
    assert (o, t, m) == (T.BitsType(16), T.BitsType(16), T.BitsType(32))
    assert d == T.TupleType((T.BitsType(48), T.BitsType(8)))
    assert [p.name for p in hash_.param_decls] == ["result", "algo", "base", "data", "max"]
    assert random_.inferred_type_args == [T.BitsType(8)]
    assert random_.args[2].value.type == T.BitsType(8)
    assert isinstance(count.callee, ast.MethodDecl)
    assert isinstance(drop.callee, ast.ExternFunctionDecl) and len(drop.callee.params) == 1
    assert checked.main is not None and checked.main.name == "main"
    assert "lpm" in checked.match_kinds and "range" in checked.match_kinds
    assert checked.errors[:3] == ["NoError", "PacketTooShort", "NoMatch"]


def test_tables_apply_results_and_switch() -> None:
    ctl, _ = ingress("""
        if (t.apply().hit) { meta.a = 1; }
        switch (t.apply().action_run) {
            set_a: { }
            default: { }
        }
    """, """
        action set_a(bit<8> v) { meta.a = v; }
        table t {
            key = { hdr.eth.etype: exact; meta.a: ternary @name("a"); }
            actions = { set_a; NoAction; }
            default_action = set_a(7);
            const entries = {
                (0x800, 1 &&& 0xF): set_a(2);
                (_, _): NoAction();
            }
            size = 64;
        }
    """)
    table = ctl.locals[1]
    assert isinstance(table, ast.TableDecl)
    da = table.default_action
    assert da is not None and isinstance(da.value, ast.MethodCall)
    assert da.value.callee is ctl.locals[0] and da.value.args[0].value.type == T.BitsType(8)
    entries = table.entries
    assert entries is not None
    first = entries.entries[0].keyset
    assert isinstance(first, ast.ListExpr)
    assert first.elements[0].type == T.BitsType(16)
    mask = first.elements[1]
    assert isinstance(mask, ast.Mask) and mask.value.type == T.BitsType(8) and mask.mask.type == T.BitsType(8)
    if_ = ctl.body.statements[0]
    assert isinstance(if_, ast.IfStatement) and if_.cond.type == T.BOOL
    sw = ctl.body.statements[1]
    assert isinstance(sw, ast.SwitchStatement) and isinstance(sw.expr.type, T.ActionEnumType)
    label = sw.cases[0].label
    assert isinstance(label, ast.PathExpr) and label.decl is ctl.locals[0]


def test_parser_select_value_sets_and_stacks() -> None:
    prog, _ = check("""
        parser P2(packet_in pkt, out headers hdr, inout metadata meta, inout standard_metadata_t sm) {
            value_set<bit<16>>(4) pvs;
            state start {
                pkt.extract(hdr.eth);
                transition select(hdr.eth.etype) {
                    0x8100 &&& 0xEFFF: vlan;
                    0x0800 .. 0x0900: accept;
                    pvs: accept;
                    default: accept;
                }
            }
            state vlan {
                pkt.extract(hdr.vlans.next);
                meta.b = pkt.lookahead<bit<16>>();
                transition select(hdr.vlans.last.etype) { 0x8100: vlan; default: accept; }
            }
        }
    """)
    p = next(d for d in prog.declarations if isinstance(d, ast.ParserDecl) and d.name == "P2")
    sel = p.states[0].transition
    assert isinstance(sel, ast.SelectExpr)
    assert sel.keys[0].type == T.BitsType(16)
    mask = sel.cases[0].keyset
    assert isinstance(mask, ast.Mask) and mask.value.type == T.BitsType(16)
    assert sel.cases[0].state.decl is p.states[1]
    vs = sel.cases[2].keyset
    assert isinstance(vs, ast.PathExpr) and isinstance(vs.decl, ast.ValueSetDecl)
    extract = p.states[1].statements[0]
    assert isinstance(extract, ast.MethodCallStatement)
    assert extract.call.inferred_type_args is not None
    assert str(extract.call.inferred_type_args[0]) == "vlan_t"
    look = p.states[1].statements[1]
    assert isinstance(look, ast.AssignmentStatement) and look.right.type == T.BitsType(16)


def test_struct_initializers_and_lists() -> None:
    prog, _ = check("""
        struct pair_t { bit<8> a; bool b; }
        control C2(inout headers hdr) {
            apply {
                pair_t s = {a = 1, b = true};
                hdr.eth = {1, 2, 0x800};
            }
        }
    """)
    c = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "C2")
    var, assign = c.body.statements
    assert isinstance(var, ast.VariableDecl) and var.init is not None
    assert str(var.init.type) == "pair_t"
    assert isinstance(var.init, ast.StructExpr) and var.init.fields[0].value.type == T.BitsType(8)
    right = rhs(assign)
    assert isinstance(right, ast.ListExpr) and str(right.type) == "ethernet_t"
    assert [e.type for e in right.elements] == [T.BitsType(48), T.BitsType(48), T.BitsType(16)]


@pytest.mark.parametrize(
    ("body", "locals_", "message"),
    [
        ("meta.a = meta.b;", "", "assignment: cannot use a value of type bit<16> where bit<8> is expected"),
        ("meta.a = meta.a + meta.b;", "", "operands of '+' have different types: bit<8> and bit<16>"),
        ("meta.b = meta.a ++ 1;", "", "operand of '++' needs a width"),
        ("meta.a = meta.a[8:0];", "", "slice [8:0] is out of range for bit<8>"),
        ("meta.a = meta.a << meta.s;", "", "the shift amount must be unsigned, not int<8>"),
        ("meta.c = 1;", "", "cannot use a value of type int where Color is expected"),
        ("meta.d = Dir.UP;", "", "enum Dir has no member 'UP'"),
        ("hdr.eth.foo = 1;", "", "no field 'foo' in header ethernet_t"),
        ("meta.a = nope;", "", "'nope' is not declared"),
        ("hdr.vlans[5].vid = 1;", "", "index 5 is out of range for a stack of size 2"),
        ("meta.isValid();", "", "isValid() applies to headers and header unions only"),
        ("hdr.u.setValid();", "", "setValid() applies to headers only"),
        ("c.count();", "counter(32w8, CounterType.packets) c;",
         "wrong number of arguments for method 'count' of counter: 0 given, 1 expected"),
        ("a1(1, 2);", "action a1(in bit<8> v) { }", "too many arguments for action a1: 2 given, at most 1"),
        ("K = 1;", "const bit<8> K = 3;", "cannot assign to constant 'K'"),
        ("meta.f = meta.a;", "", "cannot use a value of type bit<8> where bool is expected"),
        ("if (meta.a == meta.b) { }", "", "operands of '==' have different types: bit<8> and bit<16>"),
        ("meta.a = (bit<8>)meta.s[7:0] + (bit<8>)(int<16>)meta.a;", "",
         "cannot cast bit<8> to int<16> in one step"),
        ("t.apply();", "table t { key = { meta.a: exact; } actions = { NoAction; } size = meta.a; }",
         "table size must be a compile-time integer constant"),
        ("", "action a(in bit<8> x, bit<8> y, out bit<8> z) { }",
         "parameter 'z' with a direction follows a directionless parameter in action a"),
    ],
)
def test_type_errors(body: str, locals_: str, message: str) -> None:
    assert message in error_of(body, locals_)


def test_several_errors_are_reported_together() -> None:
    with pytest.raises(CompileError) as info:
        ingress("meta.a = meta.b;\nmeta.zz = 1;\nmeta.a = q;")
    msgs = [d.message for d in info.value.diagnostics]
    assert len(msgs) == 3
    assert "'q' is not declared" in msgs[2]
    lines = [d.loc.line for d in info.value.diagnostics]  # type: ignore[union-attr]
    assert lines == sorted(lines) and len(set(lines)) == 3


def test_unsupported_constructs_say_so() -> None:
    with pytest.raises(CompileError) as info:
        check("struct S<T> { T f; }")
    assert info.value.diagnostics[0].message == "generic S<...> is not supported by softp4"


def test_a_large_program_checks_quickly_enough_to_be_linear() -> None:
    # 300 actions and tables: the checker must not be quadratic in declarations (no timing asserted).
    locals_ = "\n".join(
        f"action a{i}(bit<8> v) {{ meta.a = v + {i % 200}; }}\n"
        f"table t{i} {{ key = {{ meta.b: exact; }} actions = {{ a{i}; }} default_action = a{i}(1); }}"
        for i in range(300))
    body = "\n".join(f"t{i}.apply();" for i in range(300))
    ctl, _ = ingress(body, locals_)
    assert len(ctl.locals) == 600


def test_uses_of_a_declaration_whose_type_failed_are_not_reported_again() -> None:
    with pytest.raises(CompileError) as info:
        check("""
            struct s_t { nope_t a; bit<8> b; }
            control C2(inout s_t s, inout oops_t o) {
                apply {
                    s.a = 1;
                    s.b = 2;
                    o.x = 3;
                    s.c = 4;
                }
            }
        """)
    msgs = [d.message for d in info.value.diagnostics]
    assert msgs == ["unknown type 'nope_t'", "unknown type 'oops_t'", "no field 'c' in struct s_t"]


def test_table_size_from_a_constructor_parameter() -> None:
    prog, _ = check("""
        control C2(inout metadata meta)(bit<32> n) {
            table t { key = { meta.a: exact; } actions = { NoAction; } size = n; }
            apply { t.apply(); }
        }
    """)
    assert any(isinstance(d, ast.ControlDecl) and d.name == "C2" for d in prog.declarations)


def test_a_local_of_an_undeclared_type() -> None:
    assert error_of("bad_t v;") == "unknown type 'bad_t'"


def test_a_variable_is_not_in_scope_in_its_own_initializer() -> None:
    assert "'y' is not declared" in error_of("bit<8> y = y + 1;")


def test_direct_application_of_a_control_type() -> None:
    prog, _ = check("""
        control Sub(inout bit<8> x) { apply { x = x + 1; } }
        control C2(inout metadata meta) { apply { Sub.apply(meta.a); } }
    """)
    c2 = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "C2")
    sub = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "Sub")
    call = c2.body.statements[0]
    assert isinstance(call, ast.MethodCallStatement) and call.call.callee is sub
    assert call.call.param_decls == sub.params


def test_a_local_may_shadow_a_parameter_but_not_another_local() -> None:
    ctl, _ = ingress("meta.a = 1;", "bit<8> sm = 0;")
    assert isinstance(ctl.locals[0], ast.VariableDecl)
    assert "'x' is already declared" in error_of("", "bit<8> x = 0; bit<16> x = 1;")


def test_new_types_typedef_chains_struct_in_header_and_struct_value_sets() -> None:
    prog, _ = check("""
        typedef bit<8> C0_t;
        type bit<8> C1_t;
        @p4runtime_translation("example.com/C2", 12)
        type C0_t C02_t;
        type C1_t C11_t;
        typedef C11_t C110_t;
        typedef Color Color0_t;
        struct inner_t { bit<7> x; bit<9> y; }
        header custom_t { C0_t e0; C1_t e1; C02_t e02; C110_t e110; inner_t n; Color0_t s0; }
        struct vs_t { C0_t e0; bit<8> e; }
        struct hs_t { custom_t c; }
        parser P2(packet_in pkt, out hs_t hdr, inout metadata meta, inout standard_metadata_t sm) {
            value_set<vs_t>(4) vs;
            state start {
                pkt.extract(hdr.c);
                transition select(hdr.c.e0, hdr.c.n.x ++ 1w0) { vs: accept; default: reject; }
            }
        }
        control C2(inout hs_t hdr) {
            action set(C02_t v, C110_t w, Color0_t s) { hdr.c.e02 = v; hdr.c.e110 = w; hdr.c.s0 = s; }
            table t {
                key = { hdr.c.e02: exact; hdr.c.e110: exact; hdr.c.s0: exact; hdr.c.n.y: exact; }
                actions = { set; }
            }
            apply { t.apply(); }
        }
    """)
    custom = next(d for d in prog.declarations if isinstance(d, ast.HeaderDecl) and d.name == "custom_t")
    types = {f.name: f.type_ref.resolved for f in custom.fields}
    assert types["e0"] == T.BitsType(8)
    e02 = types["e02"]
    assert isinstance(e02, T.NewType) and e02.name == "C02_t" and e02.base == T.BitsType(8)
    e110 = types["e110"]
    assert isinstance(e110, T.NewType) and e110.name == "C11_t" and isinstance(e110.base, T.NewType)
    assert T.underlying_bits(e110) == T.BitsType(8)
    assert isinstance(types["s0"], T.EnumType) and types["s0"].name == "Color"
    inner = types["n"]
    assert inner is not None and T.width_of(inner) == 16


def test_constructors_and_match_kinds_are_recorded() -> None:
    ctl, _ = ingress("t.apply();", """
        counter(32w8, CounterType.packets) c;
        table t {
            key = { meta.a: exact; }
            actions = { NoAction; }
            implementation = action_profile(32w64);
        }
    """)
    c = ctl.locals[0]
    assert isinstance(c, ast.Instantiation) and isinstance(c.constructor, ast.MethodDecl)
    assert c.constructor.is_constructor and c.constructor.name == "counter"
    assert c.param_decls is not None and [p.name for p in c.param_decls] == ["size", "type"]
    assert isinstance(c.instance_type, T.ExternType) and c.instance_type.decl.name == "counter"
    t = ctl.locals[1]
    assert isinstance(t, ast.TableDecl)
    impl = t.value("implementation")
    assert isinstance(impl, ast.ConstructorCall) and impl.constructor is not None
    assert impl.constructor.name == "action_profile"
    (key,) = t.key
    assert isinstance(key.match_kind_decl, ast.DeclId) and key.match_kind_decl.name == "exact"


def test_integer_literals_convert_to_new_types_of_bits() -> None:
    prog, _ = check("""
        type bit<16> etype_t;
        header h_t { etype_t t; }
        struct hs_t { h_t h; }
        parser P2(packet_in pkt, out hs_t hdr, inout metadata meta, inout standard_metadata_t sm) {
            state start {
                pkt.extract(hdr.h);
                transition select(hdr.h.t) { 0x800: accept; default: reject; }
            }
        }
    """)
    p = next(d for d in prog.declarations if isinstance(d, ast.ParserDecl) and d.name == "P2")
    sel = p.states[0].transition
    assert isinstance(sel, ast.SelectExpr)
    assert sel.cases[0].keyset.type == T.BitsType(16) and sel.cases[0].keyset.const_value == 0x800


@pytest.mark.parametrize(
    ("source", "type_", "value"),
    [
        ("Color.GREEN + 1", "bit<8>", 3),
        ("8w1 ++ Color.RED", "bit<16>", 0x101),
        ("Color.GREEN << 2", "bit<8>", 8),
        ("~Color.RED", "bit<8>", 0xFE),
        ("Color.GREEN == 2", "bool", True),
        ("Color.GREEN == Color.RED", "bool", False),
        ("Color.GREEN[1:0]", "bit<2>", 2),
    ],
)
def test_serializable_enums_convert_implicitly_to_their_underlying_type(
        source: str, type_: str, value: object) -> None:
    prog, _ = check(f"const bool PROBE = ({source}) == ({source});\n")
    probe = next(d for d in prog.declarations if isinstance(d, ast.ConstantDecl) and d.name == "PROBE")
    assert isinstance(probe.value, ast.Binary)
    left = probe.value.left
    assert str(left.type) == type_
    assert left.const_value == value


def test_serializable_enum_assigns_to_its_underlying_type_only() -> None:
    ctl, _ = ingress("meta.a = Color.GREEN; meta.a = meta.c;")
    assert isinstance(ctl.body.statements[0], ast.AssignmentStatement)
    assert "cannot use a value of type Color where bit<16> is expected" in error_of("meta.b = meta.c;")
    assert "cannot use a value of type bit<8> where Color is expected" in error_of("meta.c = meta.a;")


def test_actions_with_directional_parameters_in_tables() -> None:
    ctl, _ = ingress("t.apply();", """
        action fwd(inout standard_metadata_t m, bit<9> port) { m.egress_spec = port; }
        table t {
            key = { meta.a: exact; }
            actions = { fwd(sm); }
            default_action = fwd(sm, 1);
            const entries = { 1: fwd(sm, 2); 2: fwd(3); }
        }
    """)
    table = ctl.locals[1]
    assert isinstance(table, ast.TableDecl)
    listed = table.actions[0].expr
    assert isinstance(listed, ast.MethodCall) and [p.name for p in listed.param_decls or []] == ["m"]
    entries = table.entries
    assert entries is not None
    full, data_only = (e.action.expr for e in entries.entries)
    assert isinstance(full, ast.MethodCall) and [p.name for p in full.param_decls or []] == ["m", "port"]
    assert isinstance(data_only, ast.MethodCall) and [p.name for p in data_only.param_decls or []] == ["port"]
    assert data_only.args[0].value.type == T.BitsType(9)
    assert "needs arguments for its directional parameters (m)" in error_of("t.apply();", """
        action fwd(inout standard_metadata_t m, bit<9> port) { m.egress_spec = port; }
        table t { key = { meta.a: exact; } actions = { fwd; } }
    """)


def test_equality_of_varbits_headers_and_stacks() -> None:
    prog, _ = check("""
        header V { bit<8> s; varbit<32> v; }
        struct vs_t { V h; V[2] a; }
        control C2(inout vs_t hdr, out bool r) {
            apply {
                V[2] tmp;
                tmp[0] = hdr.h;
                r = hdr.h.v == hdr.a[0].v && hdr.h == hdr.a[0] && tmp == hdr.a;
            }
        }
    """)
    c2 = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "C2")
    assign = c2.body.statements[2]
    assert isinstance(assign, ast.AssignmentStatement) and assign.right.type == T.BOOL


def test_serializable_enum_keys_accept_values_of_the_underlying_type() -> None:
    ctl, _ = ingress("t.apply();", """
        action a() { }
        table t {
            key = { meta.c: ternary; }
            actions = { a; }
            const entries = {
                Color.RED: a();
                ((bit<8>)Color.GREEN) &&& 0xF0: a();
            }
        }
    """)
    table = ctl.locals[1]
    assert isinstance(table, ast.TableDecl) and table.entries is not None
    mask = table.entries.entries[1].keyset
    assert isinstance(mask, ast.Mask) and mask.mask.type == T.BitsType(8) and mask.mask.const_value == 0xF0


def test_long_else_if_chains_and_operator_chains() -> None:
    chain = "if (x == 0) { x = 1; }" + "".join(f" else if (x == {i}) {{ x = {i + 1}; }}" for i in range(1, 2000))
    prog = parse("control c(inout bit<16> x) { apply { " + chain + " } }", "chain.p4")
    check_program(prog)
    total = parse("const bit<32> X = " + " + ".join(["1"] * 3000) + ";", "sum.p4")
    check_program(total)
    const = total.declarations[0]
    assert isinstance(const, ast.ConstantDecl) and const.value.const_value == 3000


def test_header_size_methods() -> None:
    prog, _ = check("""
        header hv_t { bit<8> a; bit<4> b; bit<4> c; varbit<32> v; }
        const int A = hv_t.minSizeInBits();
        const int B = hv_t.minSizeInBytes();
        const int C = hv_t.maxSizeInBits();
        const int D = hv_t.maxSizeInBytes();
        const int E = ethernet_t.minSizeInBytes();
    """)
    consts = {d.name: d.value.const_value for d in prog.declarations if isinstance(d, ast.ConstantDecl)}
    assert (consts["A"], consts["B"], consts["C"], consts["D"], consts["E"]) == (16, 2, 48, 6, 14)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("parser P2(packet_in p) { state start { transition accept; } state start { transition accept; } }",
         "state 'start' is declared twice in parser P2"),
        ("parser P2(packet_in p) { state accept { transition reject; } state start { transition accept; } }",
         "state 'accept' is predefined"),
        ("control C2(inout bit<8> x) { table t { key = { x: exact; } } apply { t.apply(); } }",
         "table t has no 'actions' property"),
        ("control C2(inout bit<8> x) { action a() {} table t { actions = { a; } const entries = { 1: a(); } }"
         " apply { t.apply(); } }", "table t has entries but no key"),
        ("control C2(inout bit<8> x) { action a() {} table t { actions = { a; a; } } apply { t.apply(); } }",
         "action 'a' is listed twice in table t"),
        ("control C2(inout bit<8> x) { action a() {} table t { actions = { a; } size = 1; size = 2; }"
         " apply { t.apply(); } }", "table t has two 'size' properties"),
        ("control C2(inout bit<8> x) { action a() {} action b() {} table t { key = { x: exact; }"
         " actions = { a; } const entries = { 1: b(); } } apply { t.apply(); } }",
         "action 'b' is not in the actions of table t"),
        ("control C2(inout bit<8> x) { action a() {} table t { actions = { a; } }"
         " apply { switch (t.apply().action_run) { a: {} a: {} } } }", "duplicate switch label 'a'"),
        ("control C2(inout bit<8> x) { apply { switch (x) { default: {} 1: {} } } }",
         "'default' must be the last switch label"),
        ("control C2(inout bit<8> x, in bit<8> y) { apply { switch (x) { y: {} } } }",
         "a switch label must be a compile-time constant"),
        ("bit<8> f(in bit<8> x) { return x == 1; }", "return value: cannot use a value of type bool"),
        ("void f(in bit<8> x) { return x; }", "a void function cannot return a value"),
        ("bit<8> f(in bit<8> x) { return; }", "this function must return a value of type bit<8>"),
        ("control C2(inout headers h) { apply { h.vlans.next.vid = 1; } }", "'next' can only be used in a parser"),
        ("control C2(inout bit<8> x) { apply { x = (bit<8>)(1 << x); } }",
         "shifting an integer without width by a non-constant amount"),
        ("const int N = 3 |+| 4;", "'|+|' needs operands with a width"),
        ("const bit<8> X = 8w1 << -1;", "the shift amount must not be negative"),
        ("const bit<8> X = ~3;", "operand of '~' needs a width"),
        ("const bool B = !8w1;", "operand of '!' must be bool, not bit<8>"),
        ("const int<8> X = 8s4 / 8s2;", "'/' is not defined on signed int<8>"),
        ("const bit<8> X = true ? 8w1 : true;", "the branches of '?:' have different types: bit<8> and bool"),
        ("control C2(inout bit<8> x) { apply { x = x[3:5]; } }", "invalid slice [3:5]"),
        ("const bit<8> X = 8w1 ++ true;", "operands of '++' must be bit<W> or int<W>, not bool"),
        ("header h2_t { bit<8> a; }\nheader_union u2_t { h2_t a; bit<8> b; }",
         "field 'b' of header_union u2_t must be a header, not bit<8>"),
        ("header h2_t { varbit<8> a; varbit<8> b; }", "header h2_t has more than one varbit field"),
        ("enum bit<8> E2 { A = 1, B }", "member 'B' of serializable enum E2 needs a value"),
        ("enum E2 { A = 1 }", "enum E2 has no underlying type; its members take no values"),
        ("struct s2_t { bit<8> a; }\nconst s2_t S = {a = 1, b = 2};",
         "cannot use a value of type {a: int, b: int} where s2_t is expected"),
        ("error { NoError }", "error member 'NoError' is declared twice"),
        ("match_kind { exact }", "match_kind 'exact' is declared twice"),
        ("control C2(inout bit<8> x) { apply { x = x.y; } }", "a value of type bit<8> has no member 'y'"),
        ("control C2(inout bit<8> x) { apply { x(); } }", "'x' is not a function or action"),
        ("control C2(inout bit<8> x) { apply { accept = 1; } }", "state 'accept' can only be used in a transition"),
        ("control C2(inout bit<8> x) { apply { x = ethernet_t; } }", "cannot use a value of type type ethernet_t"),
        ("control C2(inout bit<8> x) { register<bit<8>>(4) r; apply { r.read(x); } }",
         "wrong number of arguments for method 'read' of register"),
        ("control C2(inout bit<8> x) { apply { mark_to_drop(x); } }",
         "cannot use a value of type bit<8> where standard_metadata_t is expected"),
        ("control C2(inout bit<8> x) { apply { random(x, lo = 0, hi = 1); } }",
         "arguments must be all named or all positional"),
        ("control C2(inout bit<8> x) { apply { random(result = x, lo = 0, hi = 1, hi = 2); } }",
         "wrong number of arguments for 'random'"),
        ("parser P2(packet_in p, out ethernet_t e) { state start { p.extract(e); p.extract(e, 8); transition s2; }"
         " }", "no state 's2' in this parser"),
        ("control C2(inout bit<8> x) { apply { verify(x == 1, error.NoMatch); } }",
         "verify() can only be called in a parser"),
        ("control C2(inout bit<8> x) { V1Switch(1) v; apply { } }",
         "package V1Switch can only be instantiated at the top level"),
        ("V1Switch(1) v;", "V1Switch: missing argument for parameter 'vr'"),
    ],
)
def test_more_errors(source: str, message: str) -> None:
    with pytest.raises(CompileError) as info:
        check(source)
    msgs = [d.message for d in info.value.diagnostics]
    assert any(message in m for m in msgs), msgs


def test_list_initializers_for_headers_stacks_and_tuples() -> None:
    prog, _ = check("""
        header p_t { bit<8> a; bit<16> b; }
        control C2(out bit<8> r) {
            apply {
                p_t[2] s = { {1, 2}, {3, 4} };
                tuple<bit<8>, bool> t = {5, true};
                r = s[1].a + t[0];
            }
        }
    """)
    c2 = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "C2")
    stack, tup, _ = c2.body.statements
    assert isinstance(stack, ast.VariableDecl) and isinstance(stack.init, ast.ListExpr)
    assert isinstance(stack.init.type, T.StackType) and str(stack.init.elements[1].type) == "p_t"
    inner = stack.init.elements[1]
    assert isinstance(inner, ast.ListExpr) and [e.type for e in inner.elements] == [T.BitsType(8), T.BitsType(16)]
    assert isinstance(tup, ast.VariableDecl) and tup.init is not None
    assert tup.init.type == T.TupleType((T.BitsType(8), T.BOOL))


def test_generic_parameters_prefer_typed_arguments_over_integer_literals() -> None:
    prog, _ = check("""
        T pick<T>(in T a, in T b) { return a; }
        control C2(inout bit<8> x) { apply { x = pick(1, x); } }
    """)
    c2 = next(d for d in prog.declarations if isinstance(d, ast.ControlDecl) and d.name == "C2")
    assign = c2.body.statements[0]
    assert isinstance(assign, ast.AssignmentStatement) and isinstance(assign.right, ast.MethodCall)
    call = assign.right
    assert call.inferred_type_args == [T.BitsType(8)]
    assert call.args[0].value.type == T.BitsType(8) and call.type == T.BitsType(8)
