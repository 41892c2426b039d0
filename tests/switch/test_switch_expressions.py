"""Every BMv2 expression op, compiled into closures, observed through the output bytes."""

from __future__ import annotations

import pytest
from switch_programs import OP, C, F, Program, assign, extract, state

from softp4.switch import Switch


def run_expr(expr: dict, a: int, b: int, r_width: int = 32) -> int:
    """Packet h = {a: 8 bits, b: 8 bits, r: r_width bits}; the action sets r = expr; returns r."""
    p = Program()
    p.header_type("h_t", [("a", 8), ("b", 8), ("r", r_width)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("compute", [], [assign(F("h", "r"), expr)])
    p.call("compute")
    sw = Switch(p.build())
    nbytes = 2 + r_width // 8
    out = sw.process(0, bytes([a, b]) + bytes(r_width // 8))
    assert len(out) == 1 and len(out[0][1]) == nbytes
    # the traced path runs the per-primitive closures, the fast path the generated code: same answer
    sw.trace = lambda line: None
    assert sw.process(0, bytes([a, b]) + bytes(r_width // 8)) == out
    return int.from_bytes(out[0][1][2:], "big")


A, B_ = F("h", "a"), F("h", "b")


def masked(e: dict, width: int = 32) -> dict:
    return OP("&", e, C((1 << width) - 1, width))


@pytest.mark.parametrize(
    ("expr", "a", "b", "want"),
    [
        (OP("+", A, B_), 200, 100, 300),
        (masked(OP("-", A, B_)), 1, 2, 0xFFFFFFFF),
        (OP("*", A, B_), 12, 11, 132),
        (OP("/", A, B_), 200, 7, 28),
        (OP("%", A, B_), 200, 7, 4),
        (OP("<<", A, C(4)), 0xAB, 0, 0xAB0),
        (OP(">>", A, C(4)), 0xAB, 0, 0xA),
        (OP("&", A, B_), 0xF0, 0x3C, 0x30),
        (OP("|", A, B_), 0xF0, 0x0F, 0xFF),
        (OP("^", A, B_), 0xFF, 0x0F, 0xF0),
        (masked(OP("~", None, A), 8), 0x0F, 0, 0xF0),
        (OP("b2d", None, OP("==", A, B_)), 5, 5, 1),
        (OP("b2d", None, OP("!=", A, B_)), 5, 5, 0),
        (OP("b2d", None, OP(">", A, B_)), 6, 5, 1),
        (OP("b2d", None, OP("<", A, B_)), 6, 5, 0),
        (OP("b2d", None, OP(">=", A, B_)), 5, 5, 1),
        (OP("b2d", None, OP("<=", A, B_)), 4, 5, 1),
        (OP("b2d", None, OP("and", OP("d2b", None, A), OP("d2b", None, B_))), 1, 0, 0),
        (OP("b2d", None, OP("or", OP("d2b", None, A), OP("d2b", None, B_))), 1, 0, 1),
        (OP("b2d", None, OP("not", None, OP("d2b", None, A))), 0, 0, 1),
        (OP("?", A, B_, cond=OP("==", A, C(3))), 3, 9, 3),
        (OP("?", A, B_, cond=OP("==", A, C(3))), 4, 9, 9),
        (OP("b2d", None, OP("valid", None, {"type": "header", "value": "h"})), 0, 0, 1),
        # two_comp_mod(257, 8) == 1 and two_comp_mod(-129, 8) == 127 (BMv2's own examples)
        (OP("two_comp_mod", OP("+", A, C(2)), C(8)), 255, 0, 1),
        (OP("two_comp_mod", OP("-", C(-129), A), C(8)), 0, 0, 127),
        (masked(OP("two_comp_mod", A, C(8))), 0xFF, 0, 0xFFFFFFFF),
        (OP("usat_cast", OP("+", A, B_), C(8)), 200, 100, 255),
        (OP("usat_cast", OP("-", A, B_), C(8)), 1, 100, 0),
        (masked(OP("sat_cast", OP("+", A, B_), C(8))), 100, 100, 127),
        (masked(OP("sat_cast", OP("-", C(0), OP("+", A, B_)), C(8))), 100, 100, 0xFFFFFF80),
    ],
)
def test_expression_op(expr: dict, a: int, b: int, want: int) -> None:
    assert run_expr(expr, a, b) == want


def test_assignment_truncates_to_field_width() -> None:
    assert run_expr(OP("+", A, B_), 200, 100, r_width=8) == 44


def test_signed_field_wraps_on_store() -> None:
    p = Program()
    p.header_type("h_t", [("a", 8, False), ("s", 8, True)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    # s = s - a on a signed field: -128 - 1 wraps to 127; read back as signed in a compare
    p.action("sub", [], [assign(F("h", "s"), OP("-", F("h", "s"), F("h", "a")))])
    p.call("sub")
    sw = Switch(p.build())
    assert sw.process(0, bytes([1, 0x80])) == [(0, bytes([1, 0x7F]))]
    assert sw.process(0, bytes([1, 0x00])) == [(0, bytes([1, 0xFF]))]


def test_action_parameters_and_locals() -> None:
    p = Program()
    p.header_type("h_t", [("a", 16)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("set", [("v", 16)], [assign(F("h", "a"), OP("+", {"type": "local", "value": 0}, C(1)))])
    p.table("t", [], ["set"], default=("set", [0x1233]))
    sw = Switch(p.build())
    assert sw.process(0, bytes(2)) == [(0, bytes.fromhex("1234"))]


def test_packet_controlled_left_shift_stays_cheap() -> None:
    # h.r = h.a << (h.b * 0x1000000): a shift by billions of bits would exhaust memory; the field gets 0
    big = OP("*", B_, C(0x1000000, 32))
    assert run_expr(OP("<<", A, big), 1, 0xFF) == 0
    assert run_expr(OP("<<", A, B_), 1, 4) == 16
