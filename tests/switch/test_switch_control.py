"""Control flow: hit/miss and action-run branches, keyless tables, valid keys, stack expressions,
log_msg, assert, direct meters, random, deparser order."""

from __future__ import annotations

import pytest
from switch_programs import OP, RD, C, F, Program, assign, egress_spec, extract, extract_stack, prim, state

from softp4.switch import ConfigError, Exact, Switch, Ternary


def two_tables(next_tables: dict[str, str | None]) -> Switch:
    """t1 on h.k (actions a1, a2, default NoAction), then maybe t2 which sets h.v = 0x22."""
    p = Program()
    p.header_type("h_t", [("k", 8), ("v", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("a1", [], [assign(F("h", "v"), C(0x11))])
    p.action("a2", [], [assign(F("h", "v"), C(0x12))])
    p.action("set22", [], [assign(F("h", "v"), OP("+", F("h", "v"), C(0x10)))])
    p.table("t1", [("h.k", F("h", "k"), "exact")], ["a1", "a2"])
    p.call("set22")
    j = p.build()
    t1 = j["pipelines"][0]["tables"][0]
    t1["next_tables"] = {k: (j["pipelines"][0]["tables"][1]["name"] if v else None) for k, v in next_tables.items()}
    sw = Switch(j)
    sw.table_add("t1", [Exact(1)], "a1", [])
    sw.table_add("t1", [Exact(2)], "a2", [])
    return sw


def v_after(sw: Switch, k: int) -> int:
    return sw.process(0, bytes([k, 0]))[0][1][1]


def test_hit_miss_branches() -> None:
    sw = two_tables({"__HIT__": "t2", "__MISS__": None})
    assert [v_after(sw, k) for k in (1, 2, 3)] == [0x21, 0x22, 0x00]


def test_action_run_branches() -> None:
    sw = two_tables({"a1": "t2", "a2": None, "NoAction": "t2"})
    assert [v_after(sw, k) for k in (1, 2, 3)] == [0x21, 0x12, 0x10]


def test_valid_match_key_and_ternary_on_valid_bit() -> None:
    p = Program()
    p.header_type("a_t", [("k", 8)])
    p.header_type("b_t", [("v", 8)])
    p.header("a", "a_t")
    p.header("b", "b_t")
    p.states = [
        state(
            "start",
            [extract("a")],
            key=[F("a", "k")],
            transitions=[
                {"type": "hexstr", "value": "0x01", "mask": None, "next_state": "pb"},
                {"type": "default", "value": None, "mask": None, "next_state": None},
            ],
        ),
        state("pb", [extract("b")]),
    ]
    p.action("port", [("p", 9)], [egress_spec(RD(0))])
    p.table("t", [("b.$valid$", F("b", "$valid$"), "exact")], ["port"])
    p.table("u", [("b.$valid$", F("b", "$valid$"), "ternary"), ("a.k", F("a", "k"), "ternary")], ["port"])
    sw = Switch(p.build())
    sw.table_add("t", [Exact(1)], "port", [5])
    sw.table_add("t", [Exact(0)], "port", [6])
    assert sw.process(0, bytes([1, 9]))[0][0] == 5
    assert sw.process(0, bytes([2, 9]))[0][0] == 6
    sw.table_add("u", [Ternary(0, 1), Ternary(0, 0)], "port", [7], priority=1)
    assert sw.process(0, bytes([2, 9]))[0][0] == 7
    assert sw.process(0, bytes([1, 9]))[0][0] == 5


def test_stack_expressions_last_index_and_size() -> None:
    p = Program()
    p.header_type("e_t", [("v", 8)])
    p.header_type("o_t", [("last", 8), ("size", 8), ("top", 8)])
    p.header("o", "o_t")
    p.stack("s", "e_t", 3)
    p.states = [state("start", [extract("o"), extract_stack("s"), extract_stack("s")])]
    stack = {"type": "header_stack", "value": "s"}
    p.action(
        "inspect",
        [],
        [
            assign(F("o", "last"), OP("last_stack_index", None, stack)),
            assign(F("o", "size"), OP("size_stack", None, stack)),
            assign(F("o", "top"), {"type": "stack_field", "value": ["s", "v"]}),
        ],
    )
    p.call("inspect")
    sw = Switch(p.build())
    assert sw.process(0, bytes([0, 0, 0, 0xA, 0xB])) == [(0, bytes([1, 2, 0xB, 0xA, 0xB]))]


def test_log_msg_goes_to_the_trace() -> None:
    p = Program()
    p.header_type("h_t", [("k", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    fmt = {"type": "string", "value": "k is {} and twice {}"}
    vec = {"type": "parameters_vector", "value": [F("h", "k"), OP("*", F("h", "k"), C(2))]}
    p.action("log", [], [prim("log_msg", fmt, vec)])
    p.call("log")
    lines: list[str] = []
    sw = Switch(p.build(), trace=lines.append)
    sw.process(0, bytes([21]))
    assert "[1.0] k is 21 and twice 42" in lines


def test_failed_assert_drops_the_packet() -> None:
    p = Program()
    p.header_type("h_t", [("k", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    # as p4c writes it: the condition converted to data with b2d
    p.action("check", [], [prim("assert", OP("b2d", None, OP("!=", F("h", "k"), C(0))))])
    p.call("check")
    sw = Switch(p.build())
    assert sw.process(0, bytes([1])) == [(0, bytes([1]))]
    assert sw.process(0, bytes([0])) == []


def test_boolean_primitive_parameter_is_refused_as_simple_switch_aborts_on_it() -> None:
    p = Program()
    p.header_type("h_t", [("k", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("check", [], [prim("assert", OP("!=", F("h", "k"), C(0)))])
    p.call("check")
    with pytest.raises(ConfigError, match="parameter 1 of primitive 'assert' is a boolean expression"):
        Switch(p.build())


def test_direct_meter_writes_color_to_result_field() -> None:
    p = Program()
    p.header_type("h_t", [("k", 8), ("color", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("fwd", [], [egress_spec(1)])
    p.table("t", [("h.k", F("h", "k"), "exact")], ["fwd"], meter="dm")
    p.j["meter_arrays"] = [
        {
            "name": "dm",
            "id": 0,
            "is_direct": True,
            "binding": "t",
            "rate_count": 2,
            "type": "packets",
            "size": 1024,
            "result_target": ["h", "color"],
        }
    ]
    sw = Switch(p.build())
    h = sw.table_add("t", [Exact(1)], "fwd", [])
    assert sw.process(0, bytes([1, 9])) == [(1, bytes([1, 0]))]
    sw.table_entry_meter_set("t", h, [(0.001, 1), (0.001, 1)])
    assert sw.table_entry_meter_get("t", h) == [(0.001, 1), (0.001, 1)]
    colors = [sw.process(0, bytes([1, 9]))[0][1][1] for _ in range(3)]
    assert colors == [0, 2, 2]


def test_random_stays_in_range() -> None:
    p = Program()
    p.header_type("h_t", [("r", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("rnd", [], [prim("modify_field_rng_uniform", F("h", "r"), C(10), C(12))])
    p.call("rnd")
    sw = Switch(p.build())
    seen = {sw.process(0, b"\x00")[0][1][0] for _ in range(200)}
    assert seen == {10, 11, 12}


def test_deparser_emits_in_its_order_not_parse_order() -> None:
    p = Program()
    p.header_type("a_t", [("v", 8)])
    p.header_type("b_t", [("v", 8)])
    p.header("a", "a_t")
    p.header("b", "b_t")
    p.states = [state("start", [extract("a"), extract("b")])]
    p.deparse = ["b", "a"]
    sw = Switch(p.build())
    assert sw.process(0, bytes([1, 2, 3])) == [(0, bytes([2, 1, 3]))]


def test_stack_index_out_of_range_in_a_control_drops_the_packet() -> None:
    p = Program()
    p.header_type("i_t", [("idx", 8)])
    p.header_type("e_t", [("v", 8)])
    p.header("i", "i_t")
    p.stack("s", "e_t", 2)
    p.states = [state("start", [extract("i"), extract_stack("s")])]
    elem = OP("dereference_header_stack", {"type": "header_stack", "value": "s"}, F("i", "idx"))
    lvalue = {"type": "expression", "value": {"op": "access_field", "left": elem, "right": 0}}
    p.action("set", [], [prim("assign", lvalue, C(0x77))])
    p.call("set")
    lines: list[str] = []
    sw = Switch(p.build(), trace=lines.append)
    assert sw.process(0, bytes([0, 1])) == [(0, bytes([0, 0x77]))]
    assert sw.process(0, bytes([5, 1])) == []
    assert any("StackOutOfBounds in a control" in line for line in lines)


def JUMP(target: int) -> dict:
    return prim("_jump", C(target))


def JUMP_IF_ZERO(cond: dict, target: int) -> dict:
    return prim("_jump_if_zero", cond, C(target))


def test_backward_jumps_run_a_loop_in_an_action() -> None:
    # for (i = 0; i < k; i = i + 1) { sum = sum + i; }  as p4c lowers a loop: jumps back to the test
    p = Program()
    p.header_type("h_t", [("k", 8), ("i", 8), ("sum", 16)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action(
        "sum_loop",
        [],
        [
            assign(F("h", "i"), C(0)),
            JUMP_IF_ZERO(OP("b2d", None, OP("<", F("h", "i"), F("h", "k"))), 5),
            assign(F("h", "sum"), OP("+", F("h", "sum"), F("h", "i"))),
            assign(F("h", "i"), OP("+", F("h", "i"), C(1))),
            JUMP(1),
        ],
    )
    p.call("sum_loop")
    lines: list[str] = []
    for trace in (None, lines.append):
        sw = Switch(p.build(), trace=trace)
        assert sw.process(0, bytes([5, 0, 0, 0])) == [(0, bytes([5, 5, 0, 10]))]
        assert sw.process(0, bytes([0, 9, 0, 0])) == [(0, bytes([0, 0, 0, 0]))]


def test_a_loop_that_never_ends_drops_the_packet_and_the_switch_goes_on() -> None:
    p = Program()
    p.header_type("h_t", [("k", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    # k == 255 falls into `1: jump 1`; any other k jumps over it
    p.action("maybe_spin", [], [JUMP_IF_ZERO(OP("b2d", None, OP("==", F("h", "k"), C(255))), 2), JUMP(1)])
    p.call("maybe_spin")
    lines: list[str] = []
    for trace in (None, lines.append):
        sw = Switch(p.build(), trace=trace)
        assert sw.process(0, bytes([255])) == []
        assert sw.process(0, bytes([7])) == [(0, bytes([7]))]
        assert sw.internal_errors == 0
    assert (
        "[1.0] action 'maybe_spin' ran more than 65536 primitives (a loop that does not end?); packet dropped"
        in lines
    )
