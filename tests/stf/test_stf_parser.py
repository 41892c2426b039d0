"""The STF parser on many snippets: every command form, numbers, wildcards, and errors."""

from __future__ import annotations

import pytest

from softp4.stf.parser import parse_number, parse_stf
from softp4.stf.syntax import (
    ActionCall,
    Add,
    CheckCounter,
    CounterWrite,
    Expect,
    KeyMatch,
    McGroupCreate,
    McNodeAssociate,
    McNodeCreate,
    McNodeUpdate,
    MeterSetRates,
    MirroringAdd,
    MirroringAddMc,
    MirroringDelete,
    Number,
    Packet,
    ProfileGroup,
    ProfileMember,
    Query,
    RegisterReset,
    RegisterWrite,
    RemoveAll,
    SetDefault,
    StfSyntaxError,
    ValueSetChange,
    Wait,
)


def one(text: str) -> object:
    commands = parse_stf(text)
    assert len(commands) == 1
    return commands[0]


@pytest.mark.parametrize(
    ("text", "value", "mask", "bits"),
    [
        ("0", 0, None, None),
        ("1234", 1234, None, None),
        ("0x0a", 0x0A, 0xFF, 8),
        ("0XaB", 0xAB, 0xFF, 8),
        ("0x****0101", 0x0101, 0x0000FFFF, 32),
        ("0x1*", 0x10, 0xF0, 8),
        ("0b1*0", 0b100, 0b101, 3),
        ("0o7*", 0o70, 0o70, 6),
    ],
)
def test_numbers(text: str, value: int, mask: int | None, bits: int | None) -> None:
    assert parse_number(text) == Number(text, value, mask, bits)


@pytest.mark.parametrize("text", ["0x", "12*", "0o8", "abc"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(ValueError, match=text.replace("*", r"\*")):
        parse_number(text)


def test_add_exact() -> None:
    cmd = one("add tab1 dstAddr:0xa1a2a3a4a5a6 act(port:2)")
    assert cmd == Add(
        1,
        "tab1",
        None,
        (KeyMatch("dstAddr", parse_number("0xa1a2a3a4a5a6")),),
        ActionCall("act", (("port", parse_number("2")),)),
    )


def test_add_priority_ternary_valid_and_several_args() -> None:
    cmd = one("ADD test1 100 data.$valid$:0b1 data.f1:0x****0101 setb1(val:0x7f, port:2)")
    assert isinstance(cmd, Add)
    assert cmd.table == "test1"
    assert cmd.priority == 100
    assert [k.field for k in cmd.keys] == ["data.$valid$", "data.f1"]
    assert cmd.keys[1].value.mask == 0xFFFF
    assert cmd.action.name == "setb1"
    assert [(n, v.value) for n, v in cmd.action.args] == [("val", 0x7F), ("port", 2)]


def test_add_lpm_and_entry_id() -> None:
    cmd = one("add ingress.ipv4_lpm hdr.ipv4.dstAddr:0x0a000000/8 ingress.fwd(p:1) = A")
    assert isinstance(cmd, Add)
    assert cmd.table == "ingress.ipv4_lpm"
    assert cmd.keys == (KeyMatch("hdr.ipv4.dstAddr", parse_number("0x0a000000"), 8),)
    assert cmd.action == ActionCall("ingress.fwd", (("p", parse_number("1")),))
    assert cmd.entry_id == "A"


def test_add_range_extension() -> None:
    cmd = one("add t 3 dport:1000->0x7d0 a()")
    assert isinstance(cmd, Add)
    assert cmd.keys == (KeyMatch("dport", parse_number("1000"), None, parse_number("0x7d0")),)


def test_add_stack_field_and_no_args() -> None:
    cmd = one("add t hdr.vlan[1].vid:5 drop()")
    assert isinstance(cmd, Add)
    assert cmd.keys[0].field == "hdr.vlan[1].vid"
    assert cmd.action == ActionCall("drop", ())


def test_add_without_keys() -> None:
    cmd = one("add t a()")
    assert isinstance(cmd, Add) and cmd.keys == () and cmd.priority is None


def test_setdefault() -> None:
    expected = SetDefault(1, "ethertype_match", ActionCall("l2_packet"))
    assert one("setdefault ethertype_match l2_packet()") == expected
    cmd = one("setdefault t set(x:0x10,y:3)")
    assert isinstance(cmd, SetDefault)
    assert [(n, v.value) for n, v in cmd.action.args] == [("x", 16), ("y", 3)]


def test_packet_joins_words() -> None:
    expected = Packet(1, 0, bytes.fromhex("01010101030303039999 8888"))
    assert one("packet 0 01010101 03030303 9999 8888") == expected


def test_expect_pattern_wildcards_and_exact() -> None:
    assert one("expect 1 *1010101 0303 abcd") == Expect(1, 1, "*10101010303ABCD", False)
    assert one("expect 2 0102 03 $") == Expect(1, 2, "010203", True)
    assert one("expect 2 010203$") == Expect(1, 2, "010203", True)
    assert one("expect 5") == Expect(1, 5, None, False)


def test_comments_blank_lines_and_line_numbers() -> None:
    commands = parse_stf("# header\n\n   \nwait # trailing\n  packet 3 00 # c\n")
    assert commands == [Wait(4), Packet(5, 3, b"\x00")]


def test_check_counter_forms() -> None:
    assert one("check_counter cntDum(10) packets == 2") == CheckCounter(1, "cntDum", 10, "packets", "==", 2)
    expected = CheckCounter(1, "ingress.c", 3, "bytes", ">=", 64)
    assert one("check_counter ingress.c(0x3) bytes >= 64") == expected
    assert one("check_counter cntDum($A)") == CheckCounter(1, "cntDum", "$A", "packets", "==", 0)
    for op in ("!=", "<", "<=", ">"):
        cmd = one(f"check_counter c(1) packets {op} 1")
        assert isinstance(cmd, CheckCounter) and cmd.op == op


def test_replication_and_mirroring_commands() -> None:
    text = """
    mirroring_add 5 3
    mirroring_add_mc 6 1
    mirroring_delete 5
    mc_mgrp_create 1
    mc_node_create 0 1 2 3
    mc_node_update 0 4
    mc_node_associate 1 0
    """
    assert parse_stf(text) == [
        MirroringAdd(2, 5, 3),
        MirroringAddMc(3, 6, 1),
        MirroringDelete(4, 5),
        McGroupCreate(5, 1),
        McNodeCreate(6, 0, (1, 2, 3)),
        McNodeUpdate(7, 0, (4,)),
        McNodeAssociate(8, 1, 0),
    ]


def test_register_counter_meter_commands() -> None:
    text = """
    register_write ingress.r 3 0x10
    register_reset ingress.r
    register_read ingress.r 3
    counter_write c 1 10 640
    counter_read c 1
    meter_set_rates m 0 0.5:10 1:20
    meter_array_set_rates m 2.25:5 4:8
    remove all
    pvs_add p.vs 0x8100
    pvs_remove vs 0x0800&&&0xff00
    member ingress.sel 3 set_nh(port:2)
    group sel 9 1 2 3
    """
    assert parse_stf(text) == [
        RegisterWrite(2, "ingress.r", 3, 16),
        RegisterReset(3, "ingress.r"),
        Query(4, "register_read", ("ingress.r", "3")),
        CounterWrite(5, "c", 1, 10, 640),
        Query(6, "counter_read", ("c", "1")),
        MeterSetRates(7, "m", 0, ((0.5, 10), (1.0, 20))),
        MeterSetRates(8, "m", None, ((2.25, 5), (4.0, 8))),
        RemoveAll(9),
        ValueSetChange(10, "p.vs", 0x8100, None, True),
        ValueSetChange(11, "vs", 0x0800, 0xFF00, False),
        ProfileMember(12, "ingress.sel", 3, ActionCall("set_nh", (("port", parse_number("2")),))),
        ProfileGroup(13, "sel", 9, (1, 2, 3)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus 1 2", "2: error: unknown command 'bogus'"),
        ("packet", "'packet' needs a port number"),
        ("packet x 00", "expected a port number after 'packet', found 'x'"),
        ("packet 1 0g", "packet data may hold only hex digits, found 'g'"),
        ("packet 1 012", "odd number of hex digits \\(3\\)"),
        ("packet 600 00", "port 600 is out of range"),
        ("expect 1 00$11", "found '\\$'"),
        ("expect 1 00 zz", "hex digits and '\\*', found 'z'"),
        ("add t k:1", "has no action"),
        ("add t k 1 a()", "expected ':' after key field 'k', found '1'"),
        ("add t k:1 a(x:1", "expected '\\)' to close the arguments of 'a'"),
        ("add t k:1 a(x 1)", "expected ':' after parameter 'x'"),
        ("add t k:1 a(1)", "expected a parameter name in the arguments of 'a', found '1'"),
        ("add t k:1 a() extra", "unexpected 'extra' at the end"),
        ("add t k:0x1/0x*", "prefix length of 'k' cannot have"),
        ("add t k:1 a() =", "expected an entry id after '='"),
        ("add t k:0q a()", "malformed number '0q'"),
        ("add t k:0x1g a()", "malformed number '0x1g'"),
        ("add", "expected a table name after 'add', found end of line"),
        ("setdefault t", "expected an action name"),
        ("check_counter c(1) frames == 1", "expected 'packets' or 'bytes', found 'frames'"),
        ("check_counter c(1) packets = 1", "expected a comparison"),
        ("check_counter c 1", "expected '\\(' after counter 'c'"),
        ("mc_node_create 0 1 x", "expected a number for a port, found 'x'"),
        ("mirroring_add 1", "expected a number for the mirroring port, found end of line"),
        ("meter_set_rates m 0", "expected at least one 'rate:burst'"),
        ("meter_set_rates m 0 1;2", "unexpected character ';'"),
        ("remove 3", "only 'remove all'"),
        ("@foo", "expected a command, found '@foo'"),
    ],
)
def test_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(StfSyntaxError, match=message) as info:
        parse_stf("# first line\n" + text, "prog.stf")
    assert str(info.value).startswith("prog.stf:2: error: ")
