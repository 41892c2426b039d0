"""The P4-16 parser: AST shapes for each construct, type-name feedback, syntax errors."""

from __future__ import annotations

import pytest

from softp4.compiler import ast
from softp4.compiler.errors import CompileError
from softp4.compiler.parser import parse

CORE = """
extern packet_in { void extract<T>(out T hdr); T lookahead<T>(); void advance(in bit<32> n); }
extern packet_out { void emit<T>(in T hdr); }
match_kind { exact, ternary, lpm }
"""


def decls(text: str) -> list[ast.Declaration]:
    return parse(CORE + text, "t.p4").declarations[3:]


def one(text: str) -> ast.Declaration:
    (d,) = decls(text)
    return d


def expr(text: str) -> ast.Expression:
    d = one(f"const bit<32> X = {text};")
    assert isinstance(d, ast.ConstantDecl)
    return d.value


def show(e: ast.Node) -> str:
    """A compact S-expression of an expression tree."""
    if isinstance(e, ast.IntLiteral):
        return e.text
    if isinstance(e, ast.BoolLiteral):
        return str(e.value).lower()
    if isinstance(e, ast.PathExpr):
        return ("." if e.dot_prefix else "") + e.name
    if isinstance(e, ast.Member):
        return f"{show(e.expr)}.{e.member}"
    if isinstance(e, ast.Binary):
        return f"({e.op} {show(e.left)} {show(e.right)})"
    if isinstance(e, ast.Unary):
        return f"({e.op} {show(e.operand)})"
    if isinstance(e, ast.Mux):
        return f"(? {show(e.cond)} {show(e.then)} {show(e.else_)})"
    if isinstance(e, ast.Slice):
        return f"{show(e.expr)}[{show(e.hi)}:{show(e.lo)}]"
    if isinstance(e, ast.Index):
        return f"{show(e.expr)}[{show(e.index)}]"
    if isinstance(e, ast.Cast):
        return f"(cast {show(e.to)} {show(e.expr)})"
    if isinstance(e, ast.MethodCall):
        targs = "<" + ",".join(show(t) for t in e.type_args) + ">" if e.type_args else ""
        return f"{show(e.method)}{targs}(" + ", ".join(
            (f"{a.name}=" if a.name else "") + show(a.value) for a in e.args) + ")"
    if isinstance(e, ast.ListExpr):
        return "{" + ", ".join(show(x) for x in e.elements) + "}"
    if isinstance(e, ast.StructExpr):
        return "{" + ", ".join(f"{f.name}={show(f.value)}" for f in e.fields) + "}"
    if isinstance(e, ast.TypeNameExpr):
        return show(e.type_ref)
    if isinstance(e, ast.ConstructorCall):
        return f"new {show(e.type_ref)}(" + ", ".join(show(a.value) for a in e.args) + ")"
    if isinstance(e, ast.Mask):
        return f"({show(e.value)} &&& {show(e.mask)})"
    if isinstance(e, ast.Range):
        return f"({show(e.lo)} .. {show(e.hi)})"
    if isinstance(e, ast.DefaultExpr):
        return "default"
    if isinstance(e, ast.DontCareExpr):
        return "_"
    if isinstance(e, ast.BaseTypeRef):
        return e.name + (f"<{show(e.width)}>" if e.width is not None else "")
    if isinstance(e, ast.NamedTypeRef):
        return e.name
    if isinstance(e, ast.SpecializedTypeRef):
        return f"{e.base.name}<" + ",".join(show(a) for a in e.args) + ">"
    if isinstance(e, ast.StackTypeRef):
        return f"{show(e.element)}[{show(e.size)}]"
    if isinstance(e, ast.TupleTypeRef):
        return "tuple<" + ",".join(show(a) for a in e.elements) + ">"
    raise AssertionError(type(e).__name__)


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("a & b == c", "(== (& a b) c)"),  # bitwise binds tighter than comparison in P4
        ("a | b ^ c & d", "(| a (^ b (& c d)))"),
        ("a << 2 + 1", "(<< a (+ 2 1))"),
        ("a >> 2", "(>> a 2)"),
        ("a > b", "(> a b)"),
        ("a ++ b ++ c", "(++ (++ a b) c)"),
        ("a |+| b |-| c", "(|-| (|+| a b) c)"),
        ("!a && b || c", "(|| (&& (! a) b) c)"),
        ("a < b == c >= d", "(== (< a b) (>= c d))"),
        ("c ? 1 : d ? 2 : 3", "(? c 1 (? d 2 3))"),
        ("-a * ~b", "(* (- a) (~ b))"),
        ("x.y.z[3:0]", "x.y.z[3:0]"),
        ("s[2].f", "s[2].f"),
        ("(bit<8>) x + 1", "(+ (cast bit<8> x) 1)"),
        ("(bit<8>)(x + 1)", "(cast bit<8> (+ x 1))"),
        ("(int<4>) -x", "(cast int<4> (- x))"),
        ("f(1, g(2))", "f(1, g(2))"),
        ("f(a = 1, b = 2)", "f(a=1, b=2)"),
        (".g(1)", ".g(1)"),
        ("{1, {2, 3}}", "{1, {2, 3}}"),
        ("{a = 1, b = 2}", "{a=1, b=2}"),
        ("8w255 + 4s3", "(+ 8w255 4s3)"),
        ("true && false", "(&& true false)"),
    ],
)
def test_expression_precedence_and_shapes(source: str, tree: str) -> None:
    assert show(expr(source)) == tree


def test_type_names_change_how_expressions_parse() -> None:
    ds = decls("""
        enum E { A, B }
        header h_t { bit<8> f; }
        const E X = E.B;
        const bit<32> Y = h_t.minSizeInBits();
        const bool Z = (E.A == X);
    """)
    x, y, z = ds[2], ds[3], ds[4]
    assert isinstance(x, ast.ConstantDecl) and isinstance(x.value, ast.Member)
    assert isinstance(x.value.expr, ast.TypeNameExpr) and x.value.member == "B"
    assert isinstance(y, ast.ConstantDecl) and show(y.value) == "h_t.minSizeInBits()"
    assert isinstance(z, ast.ConstantDecl) and show(z.value) == "(== E.A X)"


def test_generic_method_call_versus_less_than() -> None:
    d = one("""
        parser p(packet_in pkt) {
            state start {
                bit<1> a = (bit<1>)(pkt.lookahead<bit<8>>() < 3);
                transition accept;
            }
        }
    """)
    assert isinstance(d, ast.ParserDecl)
    var = d.states[0].statements[0]
    assert isinstance(var, ast.VariableDecl) and var.init is not None
    assert show(var.init) == "(cast bit<1> (< pkt.lookahead<bit<8>>() 3))"


def test_header_struct_union_stack_typedef_newtype_enum() -> None:
    ds = decls("""
        typedef bit<48> mac_t;
        type bit<9> port_t;
        @name("eth") header ethernet_t { mac_t dst; @foo mac_t src; bit<16> etype; }
        header_union u_t { ethernet_t e1; ethernet_t e2; }
        struct s_t { ethernet_t[4] stack; tuple<bit<8>, bool> t; varbit<32> v; int x; }
        enum bit<8> Color { RED = 1, GREEN = 0x2, }
        enum Dir { IN, OUT }
        error { Oops, Again }
        match_kind { custom }
    """)
    kinds = [type(d).__name__ for d in ds]
    assert kinds == ["TypedefDecl", "NewTypeDecl", "HeaderDecl", "HeaderUnionDecl", "StructDecl", "EnumDecl",
                     "EnumDecl", "ErrorDecl", "MatchKindDecl"]
    eth = ds[2]
    assert isinstance(eth, ast.HeaderDecl)
    assert [f.name for f in eth.fields] == ["dst", "src", "etype"]
    assert eth.name_annotation == "eth"
    assert eth.fields[1].annotations[0].name == "foo"
    s = ds[4]
    assert isinstance(s, ast.StructDecl)
    assert [show(f.type_ref) for f in s.fields] == ["ethernet_t[4]", "tuple<bit<8>,bool>", "varbit<32>", "int"]
    color = ds[5]
    assert isinstance(color, ast.EnumDecl) and color.underlying is not None
    assert [(m.name, show(m.value)) for m in color.members if m.value] == [("RED", "1"), ("GREEN", "0x2")]
    assert isinstance(ds[7], ast.ErrorDecl) and [m.name for m in ds[7].members] == ["Oops", "Again"]


def test_annotations_keep_raw_body_and_parse_args() -> None:
    d = one("""
        @name("ing.t")  @brief("Hello,  world") @id(0x5) @hidden
        @pragma  my_pragma  1 2
        @structured[k = 1, j = "s"] @list_ann[1, 2]
        action a() { }
    """)
    by = {a.name: a for a in d.annotations}
    assert by["my_pragma"].pragma and by["my_pragma"].body == "1 2" and by["my_pragma"].tokens == ["1", "2"]
    assert by["name"].body == '"ing.t"' and by["name"].string_arg() == "ing.t"
    assert by["brief"].source == '@brief("Hello,  world")'
    assert by["id"].int_arg() == 5 and by["id"].body == "0x5"
    assert by["hidden"].has_body is False and by["hidden"].source == "@hidden"
    assert by["structured"].structured and by["structured"].kv is not None
    assert [(k, show(v) if not isinstance(v, ast.StringLiteral) else v.value)
            for k, v in by["structured"].kv] == [("k", "1"), ("j", "s")]
    assert by["list_ann"].args is not None and len(by["list_ann"].args) == 2


def test_annotation_body_that_is_not_an_expression_list() -> None:
    d = one('@weird(1 2 + "x") action a() { }')
    (ann,) = d.annotations
    assert ann.body == '1 2 + "x"'
    assert ann.tokens == ["1", "2", "+", '"x"']
    assert ann.args is None


def test_extern_declarations_with_generics_overloads_and_abstract() -> None:
    ds = decls("""
        extern reg<T> {
            reg(bit<32> size);
            reg(bit<32> size, T init);
            void read(out T result, in bit<32> index);
            R compute<R>(in T x);
            abstract void cb(inout T v);
        }
        extern void f<T>(in T x, @optional in bit<8> y);
        extern T g<T>();
    """)
    r = ds[0]
    assert isinstance(r, ast.ExternDecl)
    assert [tp.name for tp in r.type_params] == ["T"]
    assert len(r.constructors) == 2
    assert [m.name for m in r.methods if not m.is_constructor] == ["read", "compute", "cb"]
    compute = r.methods_named("compute")[0]
    assert [tp.name for tp in compute.type_params] == ["R"]
    assert r.methods_named("cb")[0].is_abstract
    f = ds[1]
    assert isinstance(f, ast.ExternFunctionDecl)
    assert f.params[1].optional and f.params[0].direction == "in"
    g = ds[2]
    assert isinstance(g, ast.ExternFunctionDecl) and show(g.return_type) == "T"


def test_parser_states_select_keysets_and_value_sets() -> None:
    d = one("""
        parser p(packet_in pkt, out bit<16> x) {
            value_set<bit<16>>(4) pvs;
            bit<8> tmp;
            state start {
                pkt.advance(8);
                transition select(x, tmp) {
                    (1, 2): accept;
                    (0x10 &&& 0xF0, 3 .. 7): next;
                    (_, default): reject;
                    pvs: accept;
                    default: accept;
                }
            }
            state next { transition accept; }
        }
    """)
    assert isinstance(d, ast.ParserDecl)
    assert [type(x).__name__ for x in d.locals] == ["ValueSetDecl", "VariableDecl"]
    start = d.states[0]
    assert len(start.statements) == 1
    sel = start.transition
    assert isinstance(sel, ast.SelectExpr)
    assert [show(k) for k in sel.keys] == ["x", "tmp"]
    assert [show(c.keyset) for c in sel.cases] == [
        "{1, 2}", "{(0x10 &&& 0xF0), (3 .. 7)}", "{_, default}", "pvs", "default"]
    assert [c.state.name for c in sel.cases] == ["accept", "next", "reject", "accept", "accept"]
    assert isinstance(d.states[1].transition, ast.PathExpr)


def test_control_tables_and_properties() -> None:
    d = one("""
        control c(inout bit<32> x)(bit<32> size_arg) {
            action a(bit<32> v) { x = v; }
            action b() { }
            table t {
                key = { x: exact @name("xx"); x[7:0]: ternary; }
                actions = { a; @defaultonly b(); }
                const default_action = a(5);
                size = 1024;
                implementation = prof;
                @my_prop counters = direct_counter(CounterType.packets);
                const entries = {
                    (1, 2 &&& 3): a(1);
                    priority = 3: (_, _): b();
                    const (4, default): b() @entry_ann;
                }
            }
            apply { t.apply(); }
        }
    """)
    assert isinstance(d, ast.ControlDecl)
    assert [p.name for p in d.ctor_params] == ["size_arg"]
    t = d.locals[2]
    assert isinstance(t, ast.TableDecl)
    assert [p.name for p in t.properties] == ["key", "actions", "default_action", "size", "implementation",
                                              "counters", "entries"]
    assert [(show(k.expr), k.match_kind, k.name_annotation) for k in t.key] == [
        ("x", "exact", "xx"), ("x[7:0]", "ternary", None)]
    assert [(r.name, [a.name for a in r.annotations]) for r in t.actions] == [("a", []), ("b", ["defaultonly"])]
    da = t.default_action
    assert da is not None and da.is_const and show(da.value) == "a(5)"
    assert show(t.value("size")) == "1024"  # type: ignore[arg-type]
    counters = t.get_property("counters")
    assert isinstance(counters, ast.ValueProperty) and counters.annotations[0].name == "my_prop"
    entries = t.entries
    assert entries is not None and entries.is_const
    assert [(show(e.keyset), e.action.name, e.priority is not None) for e in entries.entries] == [
        ("{1, (2 &&& 3)}", "a", False), ("{_, _}", "b", True), ("{4, default}", "b", False)]
    assert entries.entries[2].is_const and entries.entries[2].annotations[0].name == "entry_ann"


def test_statements() -> None:
    d = one("""
        control c(inout bit<8> x, inout bool b) {
            table t { actions = { } }
            apply {
                bit<8> y = 1;
                const bit<8> Z = 2;
                if (b) x = 1; else if (!b) { x = 2; } else { exit; }
                switch (t.apply().action_run) {
                    a1:
                    a2: { return; }
                    default: { }
                }
                switch (x) { 1: { } default: { } }
                { ; }
                t.apply();
            }
        }
    """)
    assert isinstance(d, ast.ControlDecl)
    st = d.body.statements
    assert [type(s).__name__ for s in st] == [
        "VariableDecl", "ConstantDecl", "IfStatement", "SwitchStatement", "SwitchStatement", "BlockStatement",
        "MethodCallStatement"]
    if_ = st[2]
    assert isinstance(if_, ast.IfStatement) and isinstance(if_.else_, ast.IfStatement)
    sw = st[3]
    assert isinstance(sw, ast.SwitchStatement)
    assert [(show(c.label), c.body is None) for c in sw.cases] == [("a1", True), ("a2", False),
                                                                  ("default", False)]


def test_instantiations_functions_packages_and_main() -> None:
    ds = decls("""
        extern Counter<T> { Counter(bit<32> n); void count(in T i); }
        parser P<H>(packet_in p, out H h);
        control C<H>(inout H h);
        package Pipe<H>(P<H> p, C<H> c);
        parser MyP(packet_in p, out bit<8> h) { state start { transition accept; } }
        control MyC(inout bit<8> h) {
            Counter<bit<8>>(32w16) cnt;
            apply { cnt.count(h); }
        }
        bit<8> add1(in bit<8> v) { return v + 1; }
        T id<T>(in T v) { return v; }
        Pipe(MyP(), MyC()) main;
    """)
    assert [type(d).__name__ for d in ds] == [
        "ExternDecl", "ParserTypeDecl", "ControlTypeDecl", "PackageTypeDecl", "ParserDecl", "ControlDecl",
        "FunctionDecl", "FunctionDecl", "Instantiation"]
    myc = ds[5]
    assert isinstance(myc, ast.ControlDecl)
    cnt = myc.locals[0]
    assert isinstance(cnt, ast.Instantiation) and show(cnt.type_ref) == "Counter<bit<8>>"
    main = ds[8]
    assert isinstance(main, ast.Instantiation) and main.name == "main"
    assert [show(a.value) for a in main.args] == ["new MyP()", "new MyC()"]


def test_line_markers_give_original_locations() -> None:
    text = '# 1 "core.p4"\nmatch_kind { exact }\n# 10 "prog.p4"\n\nheader h_t {\n  bit<8> x;\n}\n'
    prog = parse(text, "pp")
    h = prog.declarations[1]
    assert (h.loc.file, h.loc.line, h.loc.col) == ("prog.p4", 11, 8)
    assert isinstance(h, ast.HeaderDecl)
    assert (h.fields[0].loc.line, h.fields[0].loc.col) == (12, 10)


@pytest.mark.parametrize(
    ("source", "message", "line", "col"),
    [
        ("const bit<8> X = 1\nconst bit<8> Y = 2;", "expected ';' but found 'const'", 2, 1),
        ("header h { bit<8> x }", "expected ';' but found '}'", 1, 21),
        ("struct s { bit<8> x;", "expected '}' but found end of file", 1, 21),
        ("const bit<8> X = (1 + ;", "expected an expression but found ';'", 1, 23),
        ("control c() { apply { x = 1 } }", "expected ';' but found '}'", 1, 29),
        ("control c() { apply { for (;; i) {} } }",
         "expected an assignment or a call in the update of 'for' but found ')'", 1, 32),
        ("parser p() { state start { transition select(1) { 1 accept; } } }", "expected ':' but found 'accept'",
         1, 53),
        ("action a() { } table t { }", "a table must be declared inside a control", 1, 16),
        ("control c() { table t { key = { x: } } apply {} }", "expected a match kind but found '}'", 1, 36),
        ("header h { varbit x; }", "expected '<' but found 'x'", 1, 19),
    ],
)
def test_syntax_errors(source: str, message: str, line: int, col: int) -> None:
    with pytest.raises(CompileError) as info:
        parse(source, "bad.p4")
    d = info.value.diagnostics[0]
    assert d.message == message
    assert d.loc is not None and (d.loc.line, d.loc.col) == (line, col)
    assert str(info.value).startswith(f"bad.p4:{line}:{col}: error: {message}\n")


@pytest.mark.parametrize(
    "source",
    [
        "control c() { counter(8) cnt; apply { } }",
        "control c() { regs<bit<8>>(8) r; apply { } }",
        "parser p() { foo_t x; state start { transition accept; } }",
        "foo_t x;",
    ],
)
def test_declaration_with_an_undeclared_type(source: str) -> None:
    with pytest.raises(CompileError) as info:
        parse(source, "u.p4")
    assert info.value.diagnostics[0].message.startswith("unknown type '")


def test_extern_forward_declaration_declares_a_type_name() -> None:
    ds = decls("extern Thing;\nextern Thing { Thing(); void poke(); }\ncontrol c() { Thing() t; apply { t.poke(); } }")
    assert [type(d).__name__ for d in ds] == ["ExternDecl", "ControlDecl"]


def test_typedef_of_an_inline_type_declaration() -> None:
    ds = decls("typedef header h_t { bit<8> a; } alias_t;\nstruct s_t { alias_t x; h_t y; }")
    assert [(type(d).__name__, d.name) for d in ds] == [
        ("HeaderDecl", "h_t"), ("TypedefDecl", "alias_t"), ("StructDecl", "s_t")]


def test_table_with_empty_parentheses() -> None:
    d = one("control c(inout bit<8> x) { table t() { key = { x: exact; } actions = { } } apply { t.apply(); } }")
    assert isinstance(d, ast.ControlDecl) and isinstance(d.locals[0], ast.TableDecl)


def test_unstructured_annotation_with_key_value_pairs() -> None:
    d = one('@pkginfo(name="prog", version="1.0") action a() { }')
    (ann,) = d.annotations
    assert not ann.structured and ann.kv is not None
    assert [(k, v.value) for k, v in ann.kv if isinstance(v, ast.StringLiteral)] == [
        ("name", "prog"), ("version", "1.0")]


def test_a_parameter_or_local_hides_a_type_name_in_its_scope() -> None:
    ds = decls("""
        header data { bit<8> f; }
        control c(inout data data) {
            apply { data.f = 1; }
        }
        control d(inout bit<8> x) {
            apply { data y; y.f = x; }
        }
    """)
    c = ds[1]
    assert isinstance(c, ast.ControlDecl)
    (assign,) = c.body.statements
    assert isinstance(assign, ast.AssignmentStatement) and show(assign.left) == "data.f"
    d = ds[2]
    assert isinstance(d, ast.ControlDecl) and isinstance(d.body.statements[0], ast.VariableDecl)


def test_compound_assignments() -> None:
    d = one("""
        control c(inout bit<8> x, inout bit<8>[4] s) {
            apply {
                x += 1; x -= 2; x *= 3; x /= 4; x %= 5; x &= 6; x |= 7; x ^= 8;
                x <<= 1; x >>= 2; x |+|= 9; x |-|= 10;
                s[x] |= x >> 1;
                for (bit<8> i = 0; i < 4; i += 1) { }
            }
        }
    """)
    assert isinstance(d, ast.ControlDecl)
    st = d.body.statements
    ops = [s.op for s in st[:13] if isinstance(s, ast.AssignmentStatement)]
    assert ops == ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "|+|", "|-|", "|"]
    last = st[12]
    assert isinstance(last, ast.AssignmentStatement) and isinstance(last.right, ast.Binary)
    # the target is the very node the operator reads: it is evaluated once
    assert last.right.left is last.left
    assert show(last.right) == "(| s[x] (>> x 1))"
    loop = st[13]
    assert isinstance(loop, ast.ForStatement)
    (update,) = loop.update
    assert isinstance(update, ast.AssignmentStatement) and update.op == "+"
    # `x > >= y` with a space is not `>>=`
    with pytest.raises(CompileError):
        one("control c(inout bit<8> x) { apply { x > >= 1; } }")
