"""The STF runner's translation and checking, against a recording stand-in for the switch."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from softp4.stf.parser import parse_stf
from softp4.stf.program import UnknownName, resolve_suffix
from softp4.stf.runner import StfError, StfRunner, match_packet
from softp4.switch.errors import InvalidArgument
from softp4.switch.tables import Exact, Lpm, Match, Optional, Range, Ternary

PROGRAM: dict[str, Any] = {
    "header_types": [
        {"name": "ethernet_t", "fields": [["dstAddr", 48, False], ["srcAddr", 48, False], ["etherType", 16, False]]},
        {"name": "meta_t", "fields": [["f8", 8, False], ["f12", 12, False], ["port", 9, False]]},
        {"name": "options_t", "fields": [["options", "*"]], "max_length": 40},
    ],
    "headers": [
        {"name": "ethernet", "header_type": "ethernet_t"},
        {"name": "scalars", "header_type": "meta_t"},
    ],
    "actions": [
        {"id": 0, "name": "MyIngress.forward", "runtime_data": [{"name": "port", "bitwidth": 9}]},
        {"id": 1, "name": "MyIngress.set2", "runtime_data": [
            {"name": "a", "bitwidth": 8}, {"name": "b", "bitwidth": 16}]},
        {"id": 2, "name": "NoAction", "runtime_data": []},
        {"id": 3, "name": "MyEgress.forward_e", "runtime_data": []},
    ],
    "pipelines": [
        {"name": "ingress", "tables": [
            {"name": "MyIngress.dmac", "key": [
                {"name": "hdr.ethernet.dstAddr", "match_type": "exact", "target": ["ethernet", "dstAddr"]}],
             "action_ids": [0, 2]},
            {"name": "MyIngress.acl", "key": [
                {"name": "hdr.ethernet.etherType", "match_type": "ternary", "target": ["ethernet", "etherType"]},
                {"name": "meta.f12", "match_type": "lpm", "target": ["scalars", "f12"]},
                {"name": "meta.f8", "match_type": "range", "target": ["scalars", "f8"]},
                {"name": "hdr.ethernet.$valid$", "match_type": "exact", "target": ["ethernet", "$valid$"]}],
             "action_ids": [1, 2]},
        ]},
        {"name": "egress", "tables": [
            {"name": "MyEgress.dmac_e", "key": [], "action_ids": [3]},
            {"name": "MyEgress.ecmp", "type": "indirect_ws", "action_profile": "MyEgress.sel", "key": [
                {"name": "meta.f8", "match_type": "exact", "target": ["scalars", "f8"]}],
             "action_ids": [3, 2]},
            {"name": "MyEgress.hashed", "type": "indirect", "action_profile": "MyEgress.prof", "key": [
                {"name": "expr", "match_type": "lpm", "target": ["nosuchheader", "x"]}],
             "action_ids": [3]},
        ]},
    ],
    "counter_arrays": [{"name": "MyIngress.hits", "size": 4, "is_direct": False}],
    "register_arrays": [{"name": "MyIngress.reg", "size": 4, "bitwidth": 32}],
    "meter_arrays": [
        {"name": "MyIngress.m", "size": 2},
        {"name": "MyIngress.dm", "is_direct": True, "binding": "MyIngress.dmac"},
    ],
    "parse_vsets": [{"name": "MyParser.types", "compressed_bitwidth": 16}],
}


class FakeSwitch:
    """Records control calls; process() forwards by the dmac entries it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.dmac: dict[int, int] = {}
        self.counters: dict[tuple[str, int], tuple[int, int]] = {}

    def process(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        dst = int.from_bytes(frame[:6], "big")
        if dst in self.dmac:
            return [(self.dmac[dst], frame)]
        if dst == 0xFFFFFFFFFFFF:
            return [(1, frame), (2, frame + b"\x00"), (9, frame)]
        return []

    def table_add(
        self, table: str, key: Sequence[Match], action: str, params: Sequence[int], priority: int = 0
    ) -> int:
        if table == "MyIngress.dmac" and len(params) == 1 and params[0] >= 512:
            raise InvalidArgument("value 600 does not fit in 9 bits")
        self.calls.append(("add", table, tuple(key), action, tuple(params), priority))
        if table == "MyIngress.dmac" and action == "MyIngress.forward":
            assert isinstance(key[0], Exact)
            self.dmac[key[0].value] = params[0]
        return len(self.calls)

    def table_set_default(self, table: str, action: str, params: Sequence[int]) -> None:
        self.calls.append(("default", table, action, tuple(params)))

    def table_entry_counter(self, table: str, handle: int) -> tuple[int, int]:
        return (128, 2)

    def counter_read(self, name: str, index: int) -> tuple[int, int]:
        return self.counters.get((name, index), (0, 0))

    def counter_write(self, name: str, index: int, bytes_: int, packets: int) -> None:
        self.counters[(name, index)] = (bytes_, packets)

    def register_write(self, name: str, index: int, value: int) -> None:
        self.calls.append(("reg", name, index, value))

    def register_reset(self, name: str) -> None:
        self.calls.append(("reg_reset", name))

    def meter_set(self, name: str, index: int, rates: list[tuple[float, int]]) -> None:
        self.calls.append(("meter", name, index, rates))

    def mc_group_set(self, group_id: int, nodes: list[tuple[int, list[int]]]) -> None:
        self.calls.append(("mc", group_id, nodes))

    def clone_session_set(
        self, session_id: int, replicas: list[tuple[int, int]], packet_length_bytes: int = 0
    ) -> None:
        self.calls.append(("clone", session_id, replicas))

    def clone_session_delete(self, session_id: int) -> None:
        self.calls.append(("clone_del", session_id))

    def table_info(self, table: str) -> Any:
        if table != "MyEgress.hashed":
            raise InvalidArgument(f"no table {table}")
        return SimpleNamespace(keys=[("expr", "lpm", 12)])

    def table_entry_meter_set(self, table: str, handle: int, rates: list[tuple[float, int]]) -> None:
        self.calls.append(("entry_meter", table, handle, rates))

    def table_add_indirect(
        self, table: str, key: Sequence[Match], *, member: int | None = None, group: int | None = None,
        priority: int = 0,
    ) -> int:
        self.calls.append(("add_indirect", table, tuple(key), member, group, priority))
        return 0

    def act_prof_member_add(self, profile: str, member_id: int, action: str, params: Sequence[int]) -> None:
        self.calls.append(("member", profile, member_id, action, tuple(params)))

    def act_prof_group_set(self, profile: str, group_id: int, member_ids: Sequence[int]) -> None:
        self.calls.append(("group", profile, group_id, tuple(member_ids)))

    def parse_vset_add(self, name: str, value: int, mask: int | None = None) -> None:
        self.calls.append(("pvs_add", name, value, mask))

    def parse_vset_delete(self, name: str, value: int, mask: int | None = None) -> None:
        self.calls.append(("pvs_del", name, value, mask))


def run(text: str) -> tuple[FakeSwitch, Any]:
    sw = FakeSwitch()
    result = StfRunner(PROGRAM, sw, filename="t.stf").run(parse_stf(text, "t.stf"))
    return sw, result


def test_suffix_names_exact_key_and_pass() -> None:
    sw, result = run(
        """
        add dmac dstAddr:0x000000000001 forward(port:2)
        packet 0 000000000001 000000000002 0800 cafe
        expect 2 000000000001 ************ 0800
        """
    )
    assert sw.calls[0] == ("add", "MyIngress.dmac", (Exact(1),), "MyIngress.forward", (2,), 0)
    assert result.passed, result.report()


def test_ternary_lpm_range_defaults_priority_and_valid() -> None:
    sw, _ = run(
        """
        add acl 10 etherType:0x08** meta.f12:0x12/4 valid:1 set2(b:0x1234, a:7)
        add acl etherType:0x0800 f12:0x1 f8:5 ethernet.valid:0b1 NoAction()
        """
    )
    first, second = sw.calls
    assert first == (
        "add", "MyIngress.acl",
        (Ternary(0x0800, 0xFF00), Lpm(0x000, 4), Range(0, 255), Exact(1)),
        "MyIngress.set2", (7, 0x1234), 11,
    )
    assert second[2] == (Ternary(0x0800, 0xFFFF), Lpm(0x000, 4), Range(5, 5), Exact(1))
    assert second[5] == 1


def test_lpm_prefix_from_written_digits_and_host_bits_cleared() -> None:
    sw, _ = run("add acl meta.f12:0x12** NoAction()")
    assert sw.calls[0][2][1] == Lpm(0x1200 & 0xFF0, 8)


def test_setdefault_registers_meters_counters() -> None:
    sw, _ = run(
        """
        setdefault dmac forward(port:3)
        register_write reg 1 0xff
        register_reset MyIngress.reg
        meter_set_rates m 1 0.5:10 1:20
        pvs_add types 0x8100
        pvs_remove MyParser.types 0x0800&&&0xff00
        """
    )
    assert sw.calls == [
        ("default", "MyIngress.dmac", "MyIngress.forward", (3,)),
        ("reg", "MyIngress.reg", 1, 255),
        ("reg_reset", "MyIngress.reg"),
        ("meter", "MyIngress.m", 1, [(500000.0, 10), (1000000.0, 20)]),
        ("pvs_add", "MyParser.types", 0x8100, None),
        ("pvs_del", "MyParser.types", 0x0800, 0xFF00),
    ]


def test_direct_meter_by_entry_handle_and_profiles() -> None:
    sw, _ = run(
        """
        meter_set_rates dm 3 0.5:10 1:20
        member sel 1 forward_e()
        member MyEgress.sel 2 NoAction()
        group sel 7 1 2
        add ecmp f8:5 group(id:7)
        add ecmp f8:6 member(id:2)
        add ecmp f8:7 forward_e()
        """
    )
    assert sw.calls == [
        ("entry_meter", "MyIngress.dmac", 3, [(500000.0, 10), (1000000.0, 20)]),
        ("member", "MyEgress.sel", 1, "MyEgress.forward_e", ()),
        ("member", "MyEgress.sel", 2, "NoAction", ()),
        ("group", "MyEgress.sel", 7, (1, 2)),
        ("add_indirect", "MyEgress.ecmp", (Exact(5),), None, 7, 0),
        ("add_indirect", "MyEgress.ecmp", (Exact(6),), 2, None, 0),
        ("add", "MyEgress.ecmp", (Exact(7),), "MyEgress.forward_e", (), 0),
    ]
    with pytest.raises(StfError, match=r"'member\(id:N\)' takes exactly one argument, id"):
        run("add ecmp f8:5 member(x:1)")
    with pytest.raises(StfError, match=r"meter 'MyIngress\.dm' is direct: give the entry handle"):
        run("meter_array_set_rates dm 1:1")


def test_unknown_key_width_comes_from_the_switch() -> None:
    sw, _ = run("add hashed expr:2748 member(id:4)")
    # width 12 from table_info: a decimal LPM value without /len is a full-width (/12) prefix;
    # the table stays indirect
    assert sw.calls == [("add_indirect", "MyEgress.hashed", (Lpm(0xABC, 12),), 4, None, 0)]


def test_multicast_nodes_groups_and_mirroring() -> None:
    sw, _ = run(
        """
        mc_mgrp_create 1
        mc_node_create 0 3 1
        mc_node_create 5 2
        mc_node_associate 1 1
        mc_node_associate 1 0
        mc_node_update 1 4
        mirroring_add 7 3
        mirroring_add_mc 8 1
        mirroring_delete 7
        """
    )
    assert sw.calls == [
        ("mc", 1, []),
        ("mc", 1, [(5, [2])]),
        ("mc", 1, [(5, [2]), (0, [3, 1])]),
        ("mc", 1, [(5, [4]), (0, [3, 1])]),
        ("clone", 7, [(3, 0)]),
        ("clone", 8, [(4, 5), (1, 0), (3, 0)]),
        ("clone_del", 7),
    ]


def test_mismatch_gives_per_port_diff() -> None:
    _, result = run(
        """
        packet 0 ffffffffffff 000000000002 0800
        expect 1 ffffffffffff 000000000002 0801
        expect 2 ffffffffffff 000000000002 0800 $
        expect 3 00
        """
    )
    assert not result.passed
    report = result.report()
    assert "port 1: expected 1 packet(s), received 1" in report
    assert "    expected: FFFFFFFFFFFF0000000000020801" in report
    assert "    received: FFFFFFFFFFFF0000000000020800" in report
    assert "              " + " " * 27 + "^" in report
    assert "received 15 bytes, expected exactly 14 ($)" in report
    assert "expected 1 packet(s) on port 3, received 0" in report
    assert "#0 missing packet (expect at line 5)" in report
    assert "port 9" not in report  # output on a port the test never names is lost, as in BMv2


def test_unexpected_packet_on_input_port_and_any() -> None:
    _, result = run(
        """
        packet 1 ffffffffffff 000000000002 0800
        expect 2
        """
    )
    assert not result.passed
    assert "expected 0 packet(s) on port 1, received 1" in result.report()
    assert "#0 unexpected packet:" in result.report()
    assert [p.port for p in result.ports] == [1, 2]


def test_check_counter() -> None:
    _, result = run(
        """
        counter_write hits 2 3 192
        check_counter hits(2) packets == 3
        check_counter hits(2) bytes > 200
        add dmac dstAddr:1 forward(port:2) = E1
        check_counter dmac(E1) packets == 2
        """
    )
    assert result.failures == ["t.stf:4: check_counter hits(2) failed: bytes is 192, expected > 200"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("add nosuch k:1 a()", "t.stf:1: error: no table 'nosuch'"),
        ("add dmac dstAddr:1 nosuch()", "no action 'nosuch' in table 'MyIngress.dmac'"),
        ("add dmac srcAddr:1 forward(port:1)", "no key field 'srcAddr' in table 'MyIngress.dmac'"),
        ("add dmac dstAddr:1 forward()", "needs a value for parameter 'port'"),
        ("add dmac dstAddr:1 forward(port:1, x:2)", "has no parameter 'x'"),
        ("add forward dstAddr:1 forward(port:1)", "table name 'forward' is ambiguous|no table 'forward'"),
        ("register_write nope 1 1", "no register 'nope'"),
        ("check_counter dmac(ZZ)", "no entry added with id 'ZZ'"),
        ("mc_node_associate 1 4", "no multicast node with handle 4"),
    ],
)
def test_name_errors(text: str, message: str) -> None:
    with pytest.raises(StfError, match=message):
        run(text)


def test_ambiguous_suffix() -> None:
    with pytest.raises(UnknownName, match=r"table name 'c' is ambiguous: In\.a\.c, In\.b\.c"):
        resolve_suffix("table", "c", ["In.a.c", "In.b.c", "In.c2"])
    assert resolve_suffix("table", "b.c", ["In.a.c", "In.b.c"]) == "In.b.c"
    assert resolve_suffix("table", "c2", ["In.a.c", "In.c2"]) == "In.c2"
    assert resolve_suffix("table", "In.a.c", ["In.a.c", "x.In.a.c"]) == "In.a.c"


def test_switch_refusal_is_a_warning() -> None:
    _, result = run("add dmac dstAddr:1 forward(port:600)")
    assert result.warnings == [
        "t.stf:1: warning: the switch refused the command: value 600 does not fit in 9 bits"
    ]
    assert result.passed


def test_match_packet() -> None:
    assert match_packet("0A*B", False, b"\x0a\xcb\xff") == []
    assert match_packet("0A*B", True, b"\x0a\xcb\xff") == [4, 5]
    assert match_packet("0A0B", False, b"\x0a") == [2, 3]
    assert match_packet("0A0C", False, b"\x0a\x0b") == [3]


OPTIONAL_PROGRAM: dict[str, Any] = {
    "header_types": [{"name": "h_t", "fields": [["e", 8, False], ["t", 16, False]]}],
    "headers": [{"name": "h", "header_type": "h_t"}],
    "actions": [{"id": 0, "name": "ingress.a", "runtime_data": [{"name": "x", "bitwidth": 9}]}],
    "pipelines": [
        {"name": "ingress", "tables": [
            {"name": "ingress.t_optional", "key": [
                {"name": "h.h.e", "match_type": "optional", "target": ["h", "e"]},
                {"name": "h.h.t", "match_type": "optional", "target": ["h", "t"]}],
             "action_ids": [0]}]},
        {"name": "egress", "tables": []},
    ],
}


def run_optional(text: str) -> FakeSwitch:
    sw = FakeSwitch()
    StfRunner(OPTIONAL_PROGRAM, sw, filename="t.stf").run(parse_stf(text, "t.stf"))
    return sw


def test_optional_keys_value_wildcard_and_left_out() -> None:
    sw = run_optional(
        """
        add t_optional 3 h.e:0xaa h.t:0x1111 a(x:1)
        add t_optional 2 h.e:0x** h.t:0x1111 a(x:2)
        add t_optional 1 h.e:0xaa a(x:3)
        """
    )
    assert [call[2] for call in sw.calls] == [
        (Optional(0xAA), Optional(0x1111)),
        (Optional(None), Optional(0x1111)),
        (Optional(0xAA), Optional(None)),
    ]
    assert [call[5] for call in sw.calls] == [4, 3, 2]


def test_optional_key_with_some_wildcard_digits_is_an_error() -> None:
    with pytest.raises(StfError, match=r"t.stf:1: error: optional key 'h.e' value 0xa\*: write every digit or none"):
        run_optional("add t_optional 1 h.e:0xa* a(x:1)")
