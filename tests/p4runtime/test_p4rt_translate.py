"""P4Info index: match, action, parameter and priority translation and validation."""

from __future__ import annotations

import grpc
import pytest
from finsy.proto import p4i, p4r

from softp4.switch import Exact, Lpm, Optional, Range, Ternary
from softp4.switch.p4runtime.errors import P4RuntimeError
from softp4.switch.p4runtime.translate import P4InfoIndex, range_is_dont_care

SMAC, DMAC, ROUTES, ACL, CONST_T = 33554433, 33554434, 33554435, 33554436, 33554437
NO_ACTION, DROP, FORWARD, SET_MCAST, TO_CPU = 16777217, 16777218, 16777219, 16777220, 16777221


@pytest.fixture
def index(p4info: p4i.P4Info) -> P4InfoIndex:
    return P4InfoIndex(p4info)


def fm_exact(fid: int, value: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, exact=p4r.FieldMatch.Exact(value=value))


def fm_lpm(fid: int, value: bytes, plen: int) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, lpm=p4r.FieldMatch.LPM(value=value, prefix_len=plen))


def fm_ternary(fid: int, value: bytes, mask: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, ternary=p4r.FieldMatch.Ternary(value=value, mask=mask))


def fm_range(fid: int, low: bytes, high: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, range=p4r.FieldMatch.Range(low=low, high=high))


def fm_optional(fid: int, value: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, optional=p4r.FieldMatch.Optional(value=value))


def error_of(call: object, *args: object) -> P4RuntimeError:
    with pytest.raises(P4RuntimeError) as info:
        call(*args)  # type: ignore[operator]
    return info.value


def test_every_match_kind_translates(index: P4InfoIndex) -> None:
    acl = index.tables[ACL]
    key = acl.key([fm_range(3, b"\x00\x01", b"\x00\x08"), fm_ternary(1, b"\x08\x00", b"\xff\x00")], "table_entry")
    assert key == [Ternary(0x0800, 0xFF00), Optional(None), Range(1, 8)]
    key = acl.key([fm_optional(2, b"\x00\x00\x00\x00\x00\x00\x00\x05")], "table_entry")
    assert key == [Ternary(0, 0), Optional(5), Range(0, 511)]
    routes = index.tables[ROUTES]
    assert routes.key([fm_lpm(1, b"\x0a\x00\x00\x00\x00\x00", 8)], "te") == [Lpm(0x0A0000000000, 8)]
    assert index.tables[DMAC].key([fm_exact(1, b"\x01")], "te") == [Exact(1)]


def test_a_range_is_a_dont_care_when_it_spans_the_whole_bytes_of_the_field(index: P4InfoIndex) -> None:
    """PI's test: low all zero bytes, high all 0xff bytes; so on a 9-bit field no range is a don't-care."""
    assert range_is_dont_care(0, 0xFF, 8) and range_is_dont_care(0, 0xFFFF, 16)
    assert not range_is_dont_care(0, 0xFE, 8) and not range_is_dont_care(1, 0xFF, 8)
    assert not range_is_dont_care(0, 0x1FF, 9)
    # a full range on the 9-bit port is an entry, the same key as the range omitted
    acl = index.tables[ACL]
    assert acl.key([fm_range(3, b"\x00", b"\x01\xff")], "te") == acl.key([], "te")


def test_defaultonly_action_in_an_entry_is_permission_denied(index: P4InfoIndex) -> None:
    error = error_of(lambda: index.table_action(index.tables[ACL], _action(NO_ACTION), "te", default=False))
    assert (error.code, error.message) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "te.action: action 'NoAction' is @defaultonly in table 'ingress.acl' and cannot be in an entry",
    )


def test_read_back_is_canonical_with_dont_cares_omitted(index: P4InfoIndex) -> None:
    acl = index.tables[ACL]
    match = acl.match([Ternary(0x0800, 0xFF00), Optional(None), Range(0, 511)])
    # the full range of the 9-bit port is no don't-care to PI: it reads back
    assert [m.SerializeToString() for m in match] == [
        fm_ternary(1, b"\x08\x00", b"\xff\x00").SerializeToString(),
        fm_range(3, b"\x00", b"\x01\xff").SerializeToString(),
    ]
    match = acl.match([Ternary(0, 0), Optional(5), Range(1, 8)])
    assert list(match) == [fm_optional(2, b"\x05"), fm_range(3, b"\x01", b"\x08")]
    assert index.tables[ROUTES].match([Lpm(0, 0)]) == []
    assert index.tables[ROUTES].match([Lpm(0x0A0000000000, 8)]) == [fm_lpm(1, b"\x0a\x00\x00\x00\x00\x00", 8)]
    assert index.tables[DMAC].match([Exact(0)]) == [fm_exact(1, b"\x00")]


@pytest.mark.parametrize(
    ("table", "matches", "message"),
    [
        (ACL, [fm_exact(7, b"\x01")], "table_entry.match[0].field_id 7: no such match field in table 'ingress.acl'"),
        (
            ACL,
            [fm_ternary(1, b"\x01", b"\x01"), fm_ternary(1, b"\x01", b"\x01")],
            "table_entry.match[1]: match field 'hdr.ethernet.etherType' given twice",
        ),
        (
            ACL,
            [fm_exact(1, b"\x01")],
            "table_entry.match[0]: match field 'hdr.ethernet.etherType' is ternary, but the match given is exact",
        ),
        (
            ACL,
            [fm_ternary(1, b"\x01", b"\x00")],
            "table_entry.match[0].ternary.mask is 0: a don't-care match on 'hdr.ethernet.etherType' must be omitted",
        ),
        (
            ACL,
            [fm_ternary(1, b"\x03", b"\x01")],
            "table_entry.match[0].ternary: value 0x03 has bits set outside mask 0x01",
        ),
        (ACL, [fm_range(3, b"\x05", b"\x04")], "table_entry.match[0].range: low 5 is greater than high 4"),
        (
            ACL,
            [fm_range(3, b"\x00", b"\x02\x00")],
            "table_entry.match[0].range.high: value 0x0200 does not fit in 9 bits",
        ),
        (
            ROUTES,
            [fm_lpm(1, b"\x0a\x00\x00\x00\x00\x01", 8)],
            "table_entry.match[0].lpm.value 0x0a0000000001: bits beyond the prefix length 8 must be zero",
        ),
        (
            ROUTES,
            [fm_lpm(1, b"\x00", 0)],
            "table_entry.match[0].lpm.prefix_len 0: a don't-care match on 'dst' must be omitted",
        ),
        (ROUTES, [fm_lpm(1, b"\x00", 49)], "table_entry.match[0].lpm.prefix_len 49: out of range 1..48 for 'dst'"),
        (
            DMAC,
            [],
            "table_entry.match: exact match field 'hdr.ethernet.dstAddr' (id 1) of table 'ingress.dmac' is missing",
        ),
        (
            DMAC,
            [fm_exact(1, b"")],
            "table_entry.match[0].exact.value: empty bytestring (a value needs at least one byte)",
        ),
    ],
)
def test_bad_matches(index: P4InfoIndex, table: int, matches: list[p4r.FieldMatch], message: str) -> None:
    error = error_of(index.tables[table].key, matches, "table_entry")
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.message == message


def test_priority_rules(index: P4InfoIndex) -> None:
    index.tables[ACL].check_priority(1, "table_entry")
    index.tables[DMAC].check_priority(0, "table_entry")
    assert "need a priority > 0" in error_of(index.tables[ACL].check_priority, 0, "table_entry").message
    assert "the priority must be 0" in error_of(index.tables[DMAC].check_priority, 3, "table_entry").message


def _action(action_id: int, *params: tuple[int, bytes]) -> p4r.TableAction:
    return p4r.TableAction(
        action=p4r.Action(action_id=action_id, params=[p4r.Action.Param(param_id=i, value=v) for i, v in params])
    )


def test_actions_params_and_scopes(index: P4InfoIndex) -> None:
    routes, acl = index.tables[ROUTES], index.tables[ACL]
    assert index.table_action(routes, _action(FORWARD, (1, b"\x00\x07")), "te", default=False) == (
        "ingress.forward",
        [7],
    )
    assert index.table_action(acl, _action(NO_ACTION), "te", default=True) == ("NoAction", [])
    cases = [
        (routes, _action(99), False, "te.action.action_id 99: no such action"),
        (
            routes,
            _action(TO_CPU),
            False,
            "te.action.action_id 16777221: action 'ingress.to_cpu' is not an action of table 'ingress.routes'",
        ),
        (
            routes,
            _action(FORWARD),
            False,
            "te.action.params: parameter 'port' (id 1) of action 'ingress.forward' is missing",
        ),
        (
            routes,
            _action(FORWARD, (2, b"\x01")),
            False,
            "te.action.params[0].param_id 2: no such parameter in action 'ingress.forward'",
        ),
        (
            routes,
            _action(FORWARD, (1, b"\x02\x00")),
            False,
            "te.action.params[0] ('port'): value 0x0200 does not fit in 9 bits",
        ),
        (
            routes,
            _action(FORWARD, (1, b"\x01"), (1, b"\x01")),
            False,
            "te.action.params[1]: parameter 'port' of action 'ingress.forward' given twice",
        ),
        (routes, p4r.TableAction(), False, "te: the action is missing"),
    ]
    for table, action, default, message in cases:
        error = error_of(lambda t=table, a=action, d=default: index.table_action(t, a, "te", default=d))
        # an action used outside its scope is PERMISSION_DENIED, as PI answers
        code = grpc.StatusCode.PERMISSION_DENIED if "@defaultonly" in message else grpc.StatusCode.INVALID_ARGUMENT
        assert (error.code, error.message) == (code, message)
    error = error_of(
        lambda: index.table_action(routes, p4r.TableAction(action_profile_member_id=3), "te", default=False)
    )
    assert (error.code, error.message) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "te.action_profile_member_id: table 'ingress.routes' is not an indirect table: give an action",
    )


def test_action_message_is_canonical(index: P4InfoIndex) -> None:
    message = index.action_message("ingress.forward", [7])
    assert message == p4r.Action(action_id=FORWARD, params=[p4r.Action.Param(param_id=1, value=b"\x07")])


def test_index_specs(index: P4InfoIndex) -> None:
    dmac = index.tables[DMAC]
    assert dmac.direct_counter_id == 318767105 and not dmac.needs_priority
    assert index.tables[CONST_T].const and index.tables[CONST_T].const_default_action_id == NO_ACTION
    assert index.registers[369098753].bitwidth == 32
    assert index.digests[385875969].widths == [48, 9]
    assert index.packet_out is not None and index.packet_out.nbytes == 2
    assert index.packet_in is not None and index.packet_in.names == ["ingress_port", "_pad"]


def test_lpm_zeros_after_the_prefix_are_counted_over_whole_bytes_as_bmv2_does(p4info: p4i.P4Info) -> None:
    info = p4i.P4Info()
    info.CopyFrom(p4info)
    routes = next(t for t in info.tables if t.preamble.id == ROUTES)
    routes.match_fields[0].bitwidth = 12  # two bytes: BMv2's server wants the last 16 - prefix bits zero
    index = P4InfoIndex(info)
    table = index.table(ROUTES, "table_entry")
    assert table.key([fm_lpm(1, b"\x0a\xb0", 12)], "table_entry") == [Lpm(0xAB0, 12)]
    with pytest.raises(P4RuntimeError, match=r"counted over whole bytes, as BMv2 does: the last 4 bits"):
        table.key([fm_lpm(1, b"\x0a\xbc", 12)], "table_entry")  # a full 12-bit prefix, low nibble set
    with pytest.raises(P4RuntimeError, match=r"the last 8 bits"):
        table.key([fm_lpm(1, b"\x00\xa0", 8)], "table_entry")  # fine over 12 bits, not over 16
