"""The v1model packet flow: end of ingress and egress in BMv2's order, replication, clones,
resubmit, recirculate, truncate, digests, priority queues, exit, the growth limit."""

from __future__ import annotations

import pytest
from switch_programs import OP, RD, C, F, Program, assign, drop, egress_spec, extract, prim, state

from softp4.switch import Exact, Switch

SM = "standard_metadata"


def prog() -> Program:
    """h = {op 8, arg 16, rid 16, itype 8, eport 16, x 8}; table `t` on h.op picks what ingress does.
    Egress records egress_rid, instance_type, egress_port and meta.x into h."""
    p = Program()
    p.header_type("h_t", [("op", 8), ("arg", 16), ("rid", 16), ("itype", 8), ("eport", 16), ("x", 8)])
    p.header("h", "h_t")
    p.header_type("meta_t", [("x", 8)])
    p.header("meta", "meta_t", metadata=True)
    p.states = [state("start", [extract("h")])]
    p.j["field_lists"] = [{"id": 1, "name": "fl", "elements": [F("meta", "x")]}]
    p.action("fwd", [("port", 9)], [egress_spec(RD(0))])
    p.action("mcast", [("grp", 16)], [assign(F(SM, "mcast_grp"), RD(0))])
    p.action("drop_", [], [drop()])
    p.action(
        "clone_i2e",
        [("session", 32)],
        [
            assign(F("meta", "x"), C(0x5A)),
            assign(F("h", "arg"), C(0xFFFF, 16)),
            prim("clone_ingress_pkt_to_egress", RD(0), C(1, 4)),
            egress_spec(1),
        ],
    )
    p.action("resub", [], [assign(F("meta", "x"), C(0x33)), prim("resubmit", C(1, 4))])
    p.action("digest", [], [assign(F("meta", "x"), C(0x77)), prim("generate_digest", C(1, 4), C(1, 4)), egress_spec(3)])
    p.action("trunc", [("n", 32)], [prim("truncate", RD(0)), egress_spec(2)])
    p.action("exit_", [], [egress_spec(6), prim("exit"), egress_spec(7)])
    p.action(
        "grow", [], [egress_spec(1)] + [prim("add_header", {"type": "header", "value": f"big{i}"}) for i in range(3)]
    )
    p.j["learn_lists"] = [{"id": 1, "name": "learn_t", "elements": [F("meta", "x"), F("h", "op")]}]
    p.table(
        "t",
        [("h.op", F("h", "op"), "exact")],
        ["fwd", "mcast", "drop_", "clone_i2e", "resub", "digest", "trunc", "exit_", "grow"],
    )
    p.action(
        "record",
        [],
        [
            assign(F("h", "rid"), F(SM, "egress_rid")),
            assign(F("h", "itype"), F(SM, "instance_type")),
            assign(F("h", "eport"), F(SM, "egress_port")),
            assign(F("h", "x"), F("meta", "x")),
        ],
    )
    p.call("record", pipeline="egress")
    for i in range(3):
        p.header_type(f"big{i}_t", [("b", 8 * 200)])
        p.header(f"big{i}", f"big{i}_t")
    return p


def frame(op: int, arg: int = 0) -> bytes:
    return bytes([op]) + arg.to_bytes(2, "big") + bytes(6) + b"payload"


def rec(data: bytes) -> tuple[int, int, int, int, int]:
    """(arg, rid, itype, eport, x) of an output frame."""
    return (
        int.from_bytes(data[1:3], "big"),
        int.from_bytes(data[3:5], "big"),
        data[5],
        int.from_bytes(data[6:8], "big"),
        data[8],
    )


def setup(sw: Switch) -> None:
    ops = {
        1: ("fwd", [4]),
        2: ("mcast", [9]),
        3: ("drop_", []),
        4: ("clone_i2e", [5]),
        5: ("resub", []),
        6: ("digest", []),
        7: ("trunc", [4]),
        8: ("exit_", []),
        9: ("grow", []),
        10: ("mcast", [77]),
    }
    for op, (a, params) in ops.items():
        sw.table_add("t", [Exact(op)], a, params)


def test_egress_spec_defaults_to_port_0_on_miss() -> None:
    sw = Switch(prog().build())
    out = sw.process(3, frame(99))
    assert [(port, rec(d)) for port, d in out] == [(0, (0, 0, 0, 0, 0))]
    assert out[0][1][9:] == b"payload"


def test_forward_and_drop() -> None:
    sw = Switch(prog().build())
    setup(sw)
    assert [port for port, _ in sw.process(0, frame(1))] == [4]
    assert sw.process(0, frame(3)) == []


def test_multicast_replication_order_and_rid() -> None:
    sw = Switch(prog().build())
    setup(sw)
    sw.mc_group_set(9, [(100, [5, 2]), (200, [1])])
    out = sw.process(0, frame(2))
    assert [(port, rec(d)[1:4]) for port, d in out] == [(2, (100, 5, 2)), (5, (100, 5, 5)), (1, (200, 5, 1))]
    assert sw.mc_group_get(9) == [(100, [5, 2]), (200, [1])]
    # unknown group: no copy at all
    assert sw.process(0, frame(10)) == []


def test_clone_i2e_original_packet_with_preserved_field_list() -> None:
    sw = Switch(prog().build())
    setup(sw)
    sw.clone_session_set(5, [(8, 0)])
    out = sw.process(0, frame(4, arg=0x1111))
    by_port = {port: rec(d) for port, d in out}
    # the original leaves on port 1 with its ingress change; the clone is the packet as received
    assert by_port[1] == (0xFFFF, 0, 0, 1, 0x5A)
    assert by_port[8] == (0x1111, 0, 1, 8, 0x5A)
    assert [port for port, _ in out] == [8, 1]
    # without a session: no clone
    sw.clone_session_delete(5)
    assert [port for port, _ in sw.process(0, frame(4))] == [1]


def test_resubmit_reruns_ingress_with_preserved_fields() -> None:
    p = prog()
    sw = Switch(p.build())
    setup(sw)
    # second pass: instance_type 6 is visible to ingress; table t matches op 5 again -> would loop,
    # so resubmitted packets are forwarded by a table on instance_type
    out = sw.process(0, frame(5))
    # BMv2 would resubmit forever here; softp4 ends the loop after MAX_PASSES without output
    assert out == []


def test_resubmit_once() -> None:
    sw = Switch(_resubmit_program().build())
    sw.table_add("t", [Exact(5)], "resub", [])
    out = sw.process(0, frame(5))
    # ingress saw instance_type 6 (it took the fwd2 branch); a unicast packet is NORMAL again in egress
    assert [(port, rec(d)[2:]) for port, d in out] == [(2, (0, 2, 0x33))]


def _resubmit_program() -> Program:
    """Ingress: if instance_type == 6 forward to 2, else apply t."""
    p = Program()
    base = prog()
    p.j = base.j
    p.states = base.states
    p.deparse = base.deparse
    p.action("fwd2", [], [egress_spec(2)])
    fwd2 = p.call("fwd2")
    p.pipes["ingress"] = [{"kind": "if", "expr": OP("==", F(SM, "instance_type"), C(6, 4)), "then": [fwd2["name"]]}]
    p.pipes["ingress"].insert(0, {"kind": "table", "j": fwd2})
    t = next(it for it in base.pipes["ingress"] if it["j"]["name"] == "t")
    p.pipes["ingress"] = [
        {"kind": "table", "j": fwd2},
        {"kind": "if", "expr": OP("!=", F(SM, "instance_type"), C(6, 4)), "then": [t["j"]["name"]]},
        t,
    ]
    # order: if (itype != 6) { t } ; fwd2 runs first and t overrides it for new packets
    p.pipes["egress"] = base.pipes["egress"]
    return p


def test_digest_callback() -> None:
    sw = Switch(prog().build())
    setup(sw)
    got: list = []
    sw.on_digest(lambda name, values: got.append((name, values)))
    out = sw.process(0, frame(6))
    assert [port for port, _ in out] == [3]
    assert got == [("learn_t", [(0x77, 6)])]


def test_truncate_applies_on_output() -> None:
    sw = Switch(prog().build())
    setup(sw)
    out = sw.process(0, frame(7))
    assert out == [(2, frame(7)[:4])]


def test_exit_ends_the_control_after_the_action() -> None:
    p = prog()
    p.action("late", [], [egress_spec(9)])
    p.call("late")
    sw = Switch(p.build())
    setup(sw)
    # as in BMv2, exit marks the packet: the action runs to its end (port 7), the next table is skipped
    assert [port for port, _ in sw.process(0, frame(8))] == [7]
    assert [port for port, _ in sw.process(0, frame(1))] == [9]


def test_growth_over_512_bytes_drops() -> None:
    sw = Switch(prog().build())
    setup(sw)
    assert sw.process(0, frame(9)) == []


def test_egress_mark_to_drop_and_e2e_clone() -> None:
    p = prog()
    p.action("e2e", [], [assign(F("meta", "x"), C(0x42)), prim("clone_egress_pkt_to_egress", C(3, 4), C(1, 4)), drop()])
    cond = OP("==", F(SM, "instance_type"), C(0, 4))
    e2e = p.call("e2e", pipeline="egress")
    p.if_(cond, [e2e], pipeline="egress")
    sw = Switch(p.build())
    setup(sw)
    sw.clone_session_set(3, [(7, 0)])
    out = sw.process(0, frame(1))
    # the original is dropped in egress; its E2E clone goes through egress on port 7 with the field list
    assert [(port, rec(d)[2:]) for port, d in out] == [(7, (2, 7, 0x42))]


def test_recirculate() -> None:
    p = prog()
    p.action("recirc", [], [assign(F("meta", "x"), C(0x21)), prim("recirculate", C(1, 4))])
    p.action("seen", [], [assign(F("h", "arg"), F(SM, "instance_type"))])
    p.if_(OP("==", F(SM, "instance_type"), C(4, 4)), [p.call("seen")])
    p.if_(OP("==", F("meta", "x"), C(0, 1)), [p.call("recirc", pipeline="egress")], pipeline="egress")
    sw = Switch(p.build())
    setup(sw)
    out = sw.process(0, frame(1))
    # the second pass sees instance_type 4 in ingress and keeps meta.x through the field list
    assert [(port, rec(d)[0], rec(d)[2:]) for port, d in out] == [(4, 4, (0, 4, 0x21))]


def test_priority_queues_serve_higher_priority_first() -> None:
    p = prog()
    p.action("prio", [], [assign(F(SM, "priority"), F("h", "x"))])
    p.call("prio")
    built = p.build()
    data = bytes([4, 0, 0]) + bytes(5) + bytes([3]) + b"payload"
    orders = []
    for queues in (1, 8):
        sw = Switch(built, priority_queues=queues)
        setup(sw)
        sw.clone_session_set(5, [(8, 0)])
        orders.append([port for port, _ in sw.process(0, data)])
    # 8 queues: the original has priority 3, the clone 0 (metadata reset), so the original goes first;
    # one queue (simple_switch's default): priority 3 has no queue and the original is dropped
    assert orders == [[8], [1, 8]]


def _prio_program(aliases: bool = True) -> dict:
    p = prog()
    p.action("prio", [], [assign(F(SM, "priority"), F("h", "x"))])
    p.call("prio")
    built = p.build()
    if not aliases:
        built["field_aliases"] = [a for a in built["field_aliases"] if a[0] != "intrinsic_metadata.priority"]
    return built


@pytest.mark.parametrize(
    ("queues", "priority", "ports"), [(1, 0, [1]), (1, 1, []), (4, 3, [1]), (4, 4, []), (8, 7, [1])]
)
def test_priority_without_a_queue_drops_as_simple_switch_does(queues: int, priority: int, ports: list[int]) -> None:
    lines: list[str] = []
    sw = Switch(_prio_program(), priority_queues=queues, trace=lines.append)
    setup(sw)
    out = sw.process(0, bytes([4, 0, 0]) + bytes(5) + bytes([priority]) + b"payload")
    assert [port for port, _ in out] == ports
    dropped = [line for line in lines if "out of range" in line]
    if ports:
        assert dropped == []
    else:
        assert dropped == [
            f"[1.0] Priority {priority} out of range ({queues} queue(s) per port, "
            "see --priority-queues), dropping packet"
        ]


def test_priority_is_read_through_the_intrinsic_metadata_alias_only() -> None:
    # without p4c's `intrinsic_metadata.priority` alias simple_switch sees priority 0: no drop
    sw = Switch(_prio_program(aliases=False))
    setup(sw)
    out = sw.process(0, bytes([4, 0, 0]) + bytes(5) + bytes([5]) + b"payload")
    assert [port for port, _ in out] == [1]


def test_clone_session_0_is_a_session() -> None:
    sw = Switch(prog().build())
    setup(sw)
    sw.table_add("t", [Exact(11)], "clone_i2e", [0])
    sw.clone_session_set(0, [(6, 3)])
    out = sw.process(0, frame(11))
    assert [(port, rec(d)[1:3]) for port, d in out] == [(6, (3, 1)), (1, (0, 0))]


def test_egress_packet_length_follows_added_and_removed_headers() -> None:
    p = Program()
    p.header_type("h_t", [("len", 32)])
    p.header_type("e_t", [("x", 32)])
    p.header("h", "h_t")
    p.header("e", "e_t")
    p.states = [state("start", [extract("h")])]
    p.action("grow", [], [prim("add_header", {"type": "header", "value": "e"})])
    p.call("grow")
    p.action("rec", [], [assign(F("h", "len"), F(SM, "packet_length"))])
    p.call("rec", pipeline="egress")
    sw = Switch(p.build())
    out = sw.process(0, bytes(4) + b"abc")
    # BMv2's length register: 7 bytes received + 4 bytes of the added header
    assert out == [(0, (11).to_bytes(4, "big") + bytes(4) + b"abc")]
