"""p4c-compatible external names on parsed programs of our own."""

from __future__ import annotations

import pytest

from softp4.compiler import ast, names
from softp4.compiler.errors import CompileError
from softp4.compiler.parser import parse

PROGRAM = """
enum CounterType { packets, bytes }
extern counter { counter(bit<32> size, CounterType type); }
header h_t { bit<8> a; bit<16> b; }
struct hs { h_t h; h_t[2] st; }
struct m_t { bit<8> x; @name("renamed") bit<8> y; @name(".glob_field") bit<8> z; }
action top() {}
control inner(inout hs hdr) {
    action add() {}
    table t {
        key = {
            hdr.h.a : exact;
            hdr.h.isValid() : exact;
            hdr.st[1].b[7:0] : ternary;
            hdr.h.b & 0xF0F : ternary;
            hdr.h.b & 8w0b101 : ternary;
            hdr.h.a & 16 : ternary;
        }
        actions = { add; top; }
    }
    apply { t.apply(); }
}
control Ing(inout hs hdr, inout m_t m) {
    inner() c;
    @name("c2x") inner() c2;
    @name(".abs") inner() c3;
    @name(".glob") table t2 { key = { m.x : exact @name("mx"); m.y : exact; m.z : exact; } actions = { top; } }
    @name("dotted.name") action a() {}
    counter(8, CounterType.packets) cnt;
    apply { c.apply(hdr); c2.apply(hdr); c3.apply(hdr); t2.apply(); a(); }
}
parser P(packet_in p, out hs hdr) {
    value_set<bit<8>>(4) vs;
    state start { transition accept; }
}
package Pkg(P p, Ing i);
Ing() ig;
Pkg(P(), ig) main;
"""


@pytest.fixture(scope="module")
def program() -> ast.Program:
    return parse(PROGRAM, "names.p4")


def _local(block: names.Block, kind: type, name: str) -> ast.Declaration:
    for decl in block.decl.locals:
        if isinstance(decl, kind) and decl.name == name:
            return decl
    raise AssertionError(f"no {kind.__name__} {name}")


def test_blocks_follow_main_then_nesting(program: ast.Program) -> None:
    got = [(b.decl.name, b.prefix, b.depth) for b in names.blocks(program)]
    assert got == [
        ("P", "P", 0),
        ("Ing", "Ing", 0),
        ("inner", "Ing.c", 1),
        ("inner", "Ing.c2x", 1),
        ("inner", "abs", 1),
    ]


def test_local_names(program: ast.Program) -> None:
    parser_block, ing, c, c2, c3 = names.blocks(program)
    assert names.local_name(ing.prefix, _local(ing, ast.TableDecl, "t2")) == "glob"
    assert names.local_name(ing.prefix, _local(ing, ast.ActionDecl, "a")) == "Ing.dotted.name"
    assert names.local_name(ing.prefix, _local(ing, ast.Instantiation, "cnt")) == "Ing.cnt"
    assert names.local_name(parser_block.prefix, _local(parser_block, ast.ValueSetDecl, "vs")) == "P.vs"
    for block, prefix in ((c, "Ing.c"), (c2, "Ing.c2x"), (c3, "abs")):
        assert names.local_name(block.prefix, _local(block, ast.TableDecl, "t")) == f"{prefix}.t"
        assert names.local_name(block.prefix, _local(block, ast.ActionDecl, "add")) == f"{prefix}.add"


def test_top_level_actions_keep_their_name(program: ast.Program) -> None:
    top = next(d for d in program.declarations if isinstance(d, ast.ActionDecl))
    assert names.action_name("Ing.c", top, top_level=True) == "top"
    assert names.top_level_name(top) == "top"


def test_key_names(program: ast.Program) -> None:
    c = names.blocks(program)[2]
    t = _local(c, ast.TableDecl, "t")
    assert isinstance(t, ast.TableDecl)
    assert [names.key_name(k) for k in t.key] == [
        "hdr.h.a",
        "hdr.h.$valid$",
        "hdr.st[1].b[7:0]",
        "hdr.h.b & 0xf0f",
        "hdr.h.b & 0b101",
        "hdr.h.a & 16",
    ]


def test_key_names_use_annotations_but_no_prefix(program: ast.Program) -> None:
    ing = names.blocks(program)[1]
    t2 = _local(ing, ast.TableDecl, "t2")
    assert isinstance(t2, ast.TableDecl)
    # m.y and m.z need the field declarations, which name resolution links; by hand here
    m_t = next(d for d in program.declarations if isinstance(d, ast.StructDecl) and d.name == "m_t")
    for key in t2.key[1:]:
        assert isinstance(key.expr, ast.Member)
        key.expr.decl = m_t.field_named(key.expr.member)
    assert [names.key_name(k) for k in t2.key] == ["mx", "m.renamed", "glob_field"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("x", "P.x"), (".x", "x"), ("a.b", "P.a.b"), (".a.b", "a.b")],
)
def test_qualify(name: str, expected: str) -> None:
    assert names.qualify("P", name) == expected
    assert names.qualify("", name) == names.absolute(name)


def test_complex_key_needs_a_name() -> None:
    prog = parse(
        """
        header h_t { bit<8> a; }
        control C(inout h_t h) {
            table t { key = { h.a + 1 : exact; } actions = {} }
            apply { t.apply(); }
        }
        package Pkg(C c);
        Pkg(C()) main;
        """,
        "k.p4",
    )
    (block,) = names.blocks(prog)
    t = _local(block, ast.TableDecl, "t")
    assert isinstance(t, ast.TableDecl)
    with pytest.raises(CompileError, match="complex key expression requires a @name") as info:
        names.key_name(t.key[0])
    assert str(info.value).startswith("k.p4:4:")


def test_in_place_property_instance_name() -> None:
    prog = parse(
        """
        extern action_profile { action_profile(bit<32> size); }
        control C() {
            table t { actions = {} @name("ap") implementation = action_profile(32w128); }
            table u { actions = {} implementation = action_profile(32w128); }
            apply { t.apply(); u.apply(); }
        }
        package Pkg(C c);
        Pkg(C()) main;
        """,
        "p.p4",
    )
    (block,) = names.blocks(prog)
    t = _local(block, ast.TableDecl, "t")
    u = _local(block, ast.TableDecl, "u")
    assert isinstance(t, ast.TableDecl) and isinstance(u, ast.TableDecl)
    prop = t.get_property("implementation")
    assert prop is not None
    assert names.property_instance_name(t, prop) == "ap"
    uprop = u.get_property("implementation")
    assert uprop is not None
    with pytest.raises(CompileError, match="needs a @name"):
        names.property_instance_name(u, uprop)


def test_missing_main_and_bad_name_annotation() -> None:
    with pytest.raises(CompileError, match="no 'main'"):
        names.blocks(parse("control C() { apply {} }", "m.p4"))
    prog = parse("control C() { @name(5) action a() {} apply { a(); } }", "n.p4")
    control = prog.declarations[0]
    assert isinstance(control, ast.ControlDecl)
    with pytest.raises(CompileError, match="one string argument"):
        names.declared_name(control.locals[0])


def test_named_main_arguments_follow_parameter_order() -> None:
    prog = parse(
        """
        control A() { apply {} }
        control B() { apply {} }
        package Pkg(A first, B second);
        Pkg(second = B(), first = A()) main;
        """,
        "o.p4",
    )
    assert [b.prefix for b in names.blocks(prog)] == ["A", "B"]


def test_direct_application_of_a_control_type_is_a_block_named_after_the_type() -> None:
    prog = parse(
        """
        control Inner() { table t { actions = {} } apply { t.apply(); } }
        control Outer() { table u { actions = {} } apply { Inner.apply(); u.apply(); } }
        package Pkg(Outer o);
        Pkg(Outer()) main;
        """,
        "d.p4",
    )
    outer, inner = names.blocks(prog)
    assert (outer.prefix, inner.prefix, inner.instance, inner.parent) == ("Outer", "Outer.Inner", None, outer)


def test_main_argument_with_constant_constructor_arguments_is_specialized() -> None:
    prog = parse(
        """
        control A()(bit<8> n) { apply {} }
        control B() { apply {} }
        package Pkg(A first, B second);
        Pkg(A(8w3), B()) main;
        """,
        "s.p4",
    )
    assert [b.prefix for b in names.blocks(prog)] == ["A_0", "B"]
