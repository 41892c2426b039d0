"""Parser semantics: select (masks, default, multi-field keys, value sets), lookahead, advance, verify,
parser errors (the packet still runs ingress), header stacks, unions and varbit fields."""

from __future__ import annotations

import pytest
from switch_programs import OP, C, F, Program, assign, extract, extract_stack, state, tr

from softp4.switch import NotFound, ResourceExhausted, Switch


def err_program(states: list[dict], types: list[tuple[str, list]], headers: list[tuple[str, str]]) -> Program:
    """Headers as given, plus an `out` header (8-bit parser_error) emitted first by ingress."""
    p = Program()
    p.header_type("out_t", [("err", 8)])
    p.header("out", "out_t")
    for name, fields in types:
        p.header_type(name, fields)
    for name, t in headers:
        p.header(name, t)
    p.states = states
    p.action(
        "report",
        [],
        [
            {"op": "add_header", "parameters": [{"type": "header", "value": "out"}]},
            assign(F("out", "err"), F("standard_metadata", "parser_error")),
        ],
    )
    p.call("report")
    return p


def test_select_exact_mask_and_default() -> None:
    types = [("a_t", [("k", 8)]), ("b_t", [("v", 8)]), ("c_t", [("v", 8)])]
    states = [
        state(
            "start",
            [extract("a")],
            key=[F("a", "k")],
            transitions=[tr("0x01", "pb"), tr("0x10", "pc", mask="0xf0"), tr(None, None)],
        ),
        state("pb", [extract("b")]),
        state("pc", [extract("c")]),
    ]
    sw = Switch(err_program(states, types, [("a", "a_t"), ("b", "b_t"), ("c", "c_t")]).build())
    # out(err) a b c, then payload
    assert sw.process(0, bytes([0x01, 0xBB, 0xCC])) == [(0, bytes([0, 0x01, 0xBB, 0xCC]))]
    assert sw.process(0, bytes([0x1F, 0xCC, 0xDD])) == [(0, bytes([0, 0x1F, 0xCC, 0xDD]))]
    # default accepts with only a parsed
    assert sw.process(0, bytes([0x20, 0xEE])) == [(0, bytes([0, 0x20, 0xEE]))]


def test_multi_field_key_pads_each_field_to_bytes() -> None:
    # 12-bit and 4-bit fields: key value 0x0aba03 means (0xaba, 0x3)
    types = [("a_t", [("x", 12), ("y", 4)]), ("b_t", [("v", 8)])]
    states = [
        state("start", [extract("a")], key=[F("a", "x"), F("a", "y")], transitions=[tr("0x0aba03", "pb")]),
        state("pb", [extract("b")]),
    ]
    sw = Switch(err_program(states, types, [("a", "a_t"), ("b", "b_t")]).build())
    assert sw.process(0, bytes([0xAB, 0xA3, 0x77])) == [(0, bytes([0, 0xAB, 0xA3, 0x77]))]


def test_packet_too_short_sets_parser_error_and_runs_ingress() -> None:
    types = [("a_t", [("k", 8)]), ("b_t", [("v", 32)])]
    states = [state("start", [extract("a"), extract("b")])]
    sw = Switch(err_program(states, types, [("a", "a_t"), ("b", "b_t")]).build())
    # a valid (extracted before the error), b invalid, rest is payload
    assert sw.process(0, bytes([7, 1, 2])) == [(0, bytes([1, 7, 1, 2]))]
    assert sw.process(0, b"") == [(0, bytes([1]))]


def test_verify_raises_the_given_error() -> None:
    types = [("a_t", [("k", 8)])]
    verify = {
        "op": "verify",
        "parameters": [OP("==", F("a", "k"), C(5)), C(6)],  # ParserInvalidArgument
    }
    states = [state("start", [extract("a"), verify])]
    sw = Switch(err_program(states, types, [("a", "a_t")]).build())
    assert sw.process(0, bytes([5])) == [(0, bytes([0, 5]))]
    assert sw.process(0, bytes([4])) == [(0, bytes([6, 4]))]


def test_lookahead_in_select_and_set_and_advance() -> None:
    types = [("a_t", [("k", 8)]), ("m_t", [("peek", 16)])]
    states = [
        state(
            "start",
            [
                {"op": "set", "parameters": [F("m", "peek"), {"type": "lookahead", "value": [8, 16]}]},
                {"op": "advance", "parameters": [C(8, 32)]},
            ],
            key=[{"type": "lookahead", "value": [0, 8]}],
            transitions=[tr("0x42", "pa")],
        ),
        state("pa", [extract("a")]),
    ]
    p = err_program(states, types, [("a", "a_t")])
    p.header("m", "m_t", metadata=True)
    p.action("copy", [], [assign(F("a", "k"), OP("&", F("m", "peek"), C(0xFF)))])
    p.call("copy")
    sw = Switch(p.build())
    # advance skipped byte 0x99; a.k = 0x42 overwritten with low byte of lookahead(8..24) = 0x43
    assert sw.process(0, bytes([0x99, 0x42, 0x43, 0x44])) == [(0, bytes([0, 0x43, 0x43, 0x44]))]
    # lookahead past the end: PacketTooShort
    assert sw.process(0, b"") == [(0, bytes([1]))]


def test_header_stack_extract_and_stack_out_of_bounds() -> None:
    types = [("e_t", [("bos", 1), ("v", 7)])]
    p = err_program([], types, [])
    p.stack("s", "e_t", 2)
    p.states = [
        state(
            "start",
            [extract_stack("s")],
            key=[{"type": "stack_field", "value": ["s", "bos"]}],
            transitions=[tr("0x00", "start"), tr(None, None)],
        )
    ]
    sw = Switch(p.build())
    assert sw.process(0, bytes([0x01, 0x82, 0xFF])) == [(0, bytes([0, 0x01, 0x82, 0xFF]))]
    # three entries without bottom of stack: the third extract is StackOutOfBounds
    assert sw.process(0, bytes([0x01, 0x02, 0x03])) == [(0, bytes([3, 0x01, 0x02, 0x03]))]


def test_stack_push_pop_and_dynamic_index() -> None:
    p = Program()
    p.header_type("e_t", [("v", 8)])
    p.header_type("i_t", [("idx", 8)])
    p.header("i", "i_t")
    p.stack("s", "e_t", 3)
    p.states = [state("start", [extract("i"), extract_stack("s"), extract_stack("s")])]
    stack = {"type": "header_stack", "value": "s"}
    p.action("push", [], [{"op": "push", "parameters": [stack, C(1)]}])
    elem = OP("dereference_header_stack", stack, F("i", "idx"))
    p.action("set_dyn", [], [assign(EXPR_LV(elem), C(0x77))])
    p.call("push")
    p.call("set_dyn")
    sw = Switch(p.build())
    # push_front(1): s[0] invalid, s[1]=0x0a, s[2]=0x0b; then s[i.idx].v = 0x77 with idx 2
    assert sw.process(0, bytes([2, 0x0A, 0x0B])) == [(0, bytes([2, 0x0A, 0x77]))]


def EXPR_LV(elem: dict) -> dict:
    return {"type": "expression", "value": OP("access_field", elem, None)["value"] | {"right": 0}}


def test_pop_front() -> None:
    p = Program()
    p.header_type("e_t", [("v", 8)])
    p.stack("s", "e_t", 3)
    p.states = [state("start", [extract_stack("s"), extract_stack("s"), extract_stack("s")])]
    p.action("pop", [], [{"op": "pop", "parameters": [{"type": "header_stack", "value": "s"}, C(2)]}])
    p.call("pop")
    sw = Switch(p.build())
    assert sw.process(0, bytes([1, 2, 3, 4])) == [(0, bytes([3, 4]))]


def test_varbit_extract_vl() -> None:
    p = err_program([], [("l_t", [("len", 8)])], [("l", "l_t")])
    p.header_type("o_t", [("kind", 8), ("data", "*")], length_exp=None, max_length=5)
    p.header("o", "o_t")
    length = OP("*", F("l", "len"), C(8, 32))
    p.states = [
        state(
            "start",
            [
                extract("l"),
                {"op": "extract_VL", "parameters": [{"type": "regular", "value": "o"}, length]},
            ],
        )
    ]
    sw = Switch(p.build())
    assert sw.process(0, bytes([2, 9, 0xAA, 0xBB, 0xCC])) == [(0, bytes([0, 2, 9, 0xAA, 0xBB, 0xCC]))]
    # 5 data bytes exceed max_length (1 + 4): HeaderTooShort
    assert sw.process(0, bytes([5, 9]) + bytes(5)) == [(0, bytes([4, 5, 9]) + bytes(5))]


def test_parse_value_set_runtime() -> None:
    types = [("a_t", [("k", 16)]), ("b_t", [("v", 8)])]
    states = [
        state(
            "start",
            [extract("a")],
            key=[F("a", "k")],
            transitions=[{"type": "parse_vset", "value": "pvs", "mask": None, "next_state": "pb"}, tr(None, None)],
        ),
        state("pb", [extract("b")]),
    ]
    p = err_program(states, types, [("a", "a_t"), ("b", "b_t")])
    p.j["parse_vsets"] = [{"name": "pvs", "id": 0, "compressed_bitwidth": 16, "max_size": 2}]
    p.action("mark", [], [assign(F("b", "v"), C(0xEE))])
    p.call("mark")
    sw = Switch(p.build())
    frame = bytes([0x12, 0x34, 0x56])
    assert sw.process(0, frame) == [(0, bytes([0, 0x12, 0x34, 0x56]))]
    sw.parse_vset_add("pvs", 0x1234)
    assert sw.parse_vset_entries("pvs") == [(0x1234, None)]
    assert sw.process(0, frame) == [(0, bytes([0, 0x12, 0x34, 0xEE]))]
    sw.parse_vset_add("pvs", 0x0F00, 0x0F00)
    with pytest.raises(ResourceExhausted):
        sw.parse_vset_add("pvs", 0x1)
    assert sw.process(0, bytes([0xAF, 0x00, 0x56])) == [(0, bytes([0, 0xAF, 0x00, 0xEE]))]
    sw.parse_vset_delete("pvs", 0x1234)
    assert sw.process(0, frame) == [(0, bytes([0, 0x12, 0x34, 0x56]))]
    with pytest.raises(NotFound):
        sw.parse_vset_delete("pvs", 0x1234)


def test_union_extract_invalidates_sibling() -> None:
    p = Program()
    p.header_type("k_t", [("k", 8)])
    p.header_type("x_t", [("x", 8)])
    p.header_type("y_t", [("y", 16)])
    p.header("k", "k_t")
    xid = p.header("u.x", "x_t")
    yid = p.header("u.y", "y_t")
    p.j["header_union_types"] = [{"name": "u_t", "id": 0, "headers": [["x", "x_t"], ["y", "y_t"]]}]
    p.j["header_unions"] = [{"name": "u", "id": 0, "union_type": "u_t", "header_ids": [xid, yid]}]
    p.states = [
        state("start", [extract("k")], key=[F("k", "k")], transitions=[tr("0x01", "px"), tr(None, "py")]),
        state("px", [extract("u.x")]),
        state("py", [extract("u.y")]),
    ]
    # setValid on u.y invalidates u.x
    p.action(
        "sety",
        [],
        [
            {"op": "add_header", "parameters": [{"type": "header", "value": "u.y"}]},
            assign(F("u.y", "y"), C(0xBEEF, 16)),
        ],
    )
    p.call("sety")
    sw = Switch(p.build())
    assert sw.process(0, bytes([1, 0x55, 0x66])) == [(0, bytes([1, 0xBE, 0xEF, 0x66]))]


def test_header_union_stack_extract_and_select() -> None:
    p = Program()
    p.header_type("k_t", [("k", 8)])
    p.header_type("a_t", [("a", 8)])
    p.header_type("b_t", [("b", 16)])
    p.header("k", "k_t")
    ids = []
    for i in range(2):
        ids.append([p.header(f"u[{i}].a", "a_t"), p.header(f"u[{i}].b", "b_t")])
    p.j["header_union_types"] = [{"name": "u_t", "id": 0, "headers": [["a", "a_t"], ["b", "b_t"]]}]
    p.j["header_unions"] = [{"name": f"u[{i}]", "id": i, "union_type": "u_t", "header_ids": ids[i]} for i in range(2)]
    p.j["header_union_stacks"] = [{"name": "u", "id": 0, "union_type": "u_t", "header_union_ids": [0, 1]}]
    p.deparse = ["k", "u[0].a", "u[0].b", "u[1].a", "u[1].b"]

    def ex(member: str) -> dict:
        return {"op": "extract", "parameters": [{"type": "union_stack", "value": ["u", member]}]}

    p.states = [
        state("start", [extract("k")], key=[F("k", "k")], transitions=[tr("0x01", "pa"), tr(None, "pb")]),
        state(
            "pa",
            [ex("a")],
            key=[{"type": "union_stack_field", "value": ["u", "a", "a"]}],
            transitions=[tr("0x00", "pb"), tr(None, None)],
        ),
        state("pb", [ex("b")]),
    ]
    p.action("mark", [], [assign(F("u[0].b", "b"), C(0x1111, 16)), assign(F("u[1].b", "b"), C(0x2222, 16))])
    p.call("mark")
    sw = Switch(p.build())
    # k=1: u[0].a = 0x00 then u[1].b; the rest is payload
    assert sw.process(0, bytes([1, 0, 0xBE, 0xEF, 9])) == [(0, bytes([1, 0, 0x22, 0x22, 9]))]
    # k=2: u[0].b only
    assert sw.process(0, bytes([2, 0xAB, 0xCD, 9])) == [(0, bytes([2, 0x11, 0x11, 9]))]
    # u[0].a = 5 stops; a third union would not fit but is not needed
    assert sw.process(0, bytes([1, 5, 7])) == [(0, bytes([1, 5, 7]))]


def test_advance_by_a_non_multiple_of_8_is_parser_invalid_argument() -> None:
    types = [("a_t", [("k", 8)])]
    states = [state("start", [extract("a"), {"op": "advance", "parameters": [F("a", "k")]}])]
    sw = Switch(err_program(states, types, [("a", "a_t")]).build())
    # advanced bytes are consumed: the deparser does not emit them again
    assert sw.process(0, bytes([16, 1, 2, 3])) == [(0, bytes([0, 16, 3]))]
    assert sw.process(0, bytes([12, 1, 2, 3])) == [(0, bytes([6, 12, 1, 2, 3]))]
    assert sw.process(0, bytes([64, 1, 2, 3])) == [(0, bytes([1, 64, 1, 2, 3]))]


def test_varbit_width_not_in_bytes_is_parser_invalid_argument() -> None:
    p = err_program([], [("l_t", [("len", 8)])], [("l", "l_t")])
    p.header_type("o_t", [("data", "*")], max_length=4)
    p.header("o", "o_t")
    p.states = [
        state(
            "start",
            [extract("l"), {"op": "extract_VL", "parameters": [{"type": "regular", "value": "o"}, F("l", "len")]}],
        )
    ]
    sw = Switch(p.build())
    assert sw.process(0, bytes([12, 1, 2])) == [(0, bytes([6, 12, 1, 2]))]
    # too few bytes is found before too many for the header
    assert sw.process(0, bytes([64, 1, 2])) == [(0, bytes([1, 64, 1, 2]))]


def test_value_set_on_two_fields_pads_compressed_members() -> None:
    types = [("a_t", [("x", 12), ("y", 4)]), ("b_t", [("v", 8)])]
    states = [
        state(
            "start",
            [extract("a")],
            key=[F("a", "x"), F("a", "y")],
            transitions=[{"type": "parse_vset", "value": "pvs", "mask": None, "next_state": "pb"}, tr(None, None)],
        ),
        state("pb", [extract("b")]),
    ]
    p = err_program(states, types, [("a", "a_t"), ("b", "b_t")])
    p.j["parse_vsets"] = [{"name": "pvs", "id": 0, "compressed_bitwidth": 16}]
    p.action("mark", [], [assign(F("b", "v"), C(0xEE))])
    p.call("mark")
    sw = Switch(p.build())
    sw.parse_vset_add("pvs", 0xABA3)  # x = 0xaba, y = 0x3, compressed
    assert sw.process(0, bytes([0xAB, 0xA3, 0x00])) == [(0, bytes([0, 0xAB, 0xA3, 0xEE]))]
    assert sw.process(0, bytes([0xAB, 0xA4, 0x00])) == [(0, bytes([0, 0xAB, 0xA4, 0x00]))]
