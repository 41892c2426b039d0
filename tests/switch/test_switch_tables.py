"""Tables: match kinds, priorities, const entries, defaults, size limits, direct counters, API errors."""

from __future__ import annotations

import pytest
from switch_programs import F, Program, assign, extract, state

from softp4.switch import (
    AlreadyExists,
    ConfigError,
    Exact,
    InvalidArgument,
    Lpm,
    NotFound,
    Optional,
    PermissionDenied,
    Range,
    ResourceExhausted,
    Switch,
    Ternary,
)


def prog(
    match: str, size: int = 16, entries: list[dict] | None = None, const_default: bool = False, counters: bool = False
) -> Program:
    """h = {k: 16 bits, tag: 8 bits}; table t on h.k sets h.tag from its parameter."""
    p = Program()
    p.header_type("h_t", [("k", 16), ("tag", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("set_tag", [("tag", 8)], [assign(F("h", "tag"), {"type": "runtime_data", "value": 0})])
    p.table(
        "t",
        [("h.k", F("h", "k"), match)],
        ["set_tag"],
        default=("set_tag", [0xEE]),
        size=size,
        entries=entries,
        const_default=const_default,
        counters=counters,
    )
    return p


def tag(sw: Switch, k: int) -> int:
    out = sw.process(0, k.to_bytes(2, "big") + b"\x00")
    return out[0][1][2]


def test_exact() -> None:
    sw = Switch(prog("exact").build())
    h = sw.table_add("t", [Exact(0x1234)], "set_tag", [7])
    assert tag(sw, 0x1234) == 7
    assert tag(sw, 0x1235) == 0xEE
    assert sw.table_find("t", [Exact(0x1234)]) == h
    sw.table_modify("t", h, "set_tag", [8])
    assert tag(sw, 0x1234) == 8
    assert [(e.key, e.action, e.params) for e in sw.table_entries("t")] == [((Exact(0x1234),), "set_tag", [8])]
    sw.table_delete("t", h)
    assert tag(sw, 0x1234) == 0xEE
    assert sw.table_find("t", [Exact(0x1234)]) is None


def test_lpm_longest_prefix_and_zero_length() -> None:
    sw = Switch(prog("lpm").build())
    sw.table_add("t", [Lpm(0, 0)], "set_tag", [1])
    sw.table_add("t", [Lpm(0x1200, 8)], "set_tag", [2])
    sw.table_add("t", [Lpm(0x1230, 12)], "set_tag", [3])
    assert tag(sw, 0x1234) == 3
    assert tag(sw, 0x1244) == 2
    assert tag(sw, 0x9999) == 1


def test_ternary_higher_priority_wins() -> None:
    sw = Switch(prog("ternary").build())
    sw.table_add("t", [Ternary(0x1200, 0xFF00)], "set_tag", [1], priority=10)
    sw.table_add("t", [Ternary(0x0034, 0x00FF)], "set_tag", [2], priority=20)
    assert tag(sw, 0x1234) == 2
    assert tag(sw, 0x1299) == 1
    assert tag(sw, 0x9934) == 2
    assert tag(sw, 0x9999) == 0xEE


def test_range_and_optional() -> None:
    sw = Switch(prog("range").build())
    sw.table_add("t", [Range(10, 20)], "set_tag", [1], priority=1)
    sw.table_add("t", [Range(15, 30)], "set_tag", [2], priority=2)
    assert [tag(sw, k) for k in (9, 10, 14, 15, 20, 30, 31)] == [0xEE, 1, 1, 2, 2, 2, 0xEE]
    sw2 = Switch(prog("optional").build())
    sw2.table_add("t", [Optional(None)], "set_tag", [1], priority=1)
    sw2.table_add("t", [Optional(5)], "set_tag", [2], priority=2)
    assert [tag(sw2, k) for k in (5, 6)] == [2, 1]


def test_priority_rules() -> None:
    sw = Switch(prog("ternary").build())
    with pytest.raises(InvalidArgument, match="priority"):
        sw.table_add("t", [Ternary(1, 0xFFFF)], "set_tag", [1])
    sw_exact = Switch(prog("exact").build())
    with pytest.raises(InvalidArgument, match="priority"):
        sw_exact.table_add("t", [Exact(1)], "set_tag", [1], priority=3)


@pytest.mark.parametrize(
    ("key", "action", "params", "match"),
    [
        ([Exact(1 << 16)], "set_tag", [1], "does not fit"),
        ([Exact(1), Exact(2)], "set_tag", [1], "key has 2 fields"),
        ([Lpm(1, 16)], "set_tag", [1], "cannot take"),
        ([Exact(1)], "nope", [1], "not one of its actions"),
        ([Exact(1)], "set_tag", [], "takes 1 parameters"),
        ([Exact(1)], "set_tag", [256], "does not fit in 8 bits"),
    ],
)
def test_invalid_arguments(key: list, action: str, params: list, match: str) -> None:
    sw = Switch(prog("exact").build())
    with pytest.raises(InvalidArgument, match=match):
        sw.table_add("t", key, action, params)


def test_lpm_host_bits_and_ternary_value_are_masked_as_bmv2_does() -> None:
    sw = Switch(prog("lpm").build())
    h = sw.table_add("t", [Lpm(0x1234, 8)], "set_tag", [1])
    assert sw.table_entries("t")[0].key == (Lpm(0x1200, 8),)
    assert sw.table_find("t", [Lpm(0x1200, 8)]) == h
    assert tag(sw, 0x12FF) == 1
    sw2 = Switch(prog("ternary").build())
    sw2.table_add("t", [Ternary(0x1234, 0xFF00)], "set_tag", [1], priority=1)
    assert sw2.table_entries("t")[0].key == (Ternary(0x1200, 0xFF00),)
    assert tag(sw2, 0x1299) == 1
    sw3 = Switch(prog("range").build())
    with pytest.raises(InvalidArgument, match="low"):
        sw3.table_add("t", [Range(5, 4)], "set_tag", [1], priority=1)


def test_duplicate_full_and_missing() -> None:
    sw = Switch(prog("exact", size=2).build())
    sw.table_add("t", [Exact(1)], "set_tag", [1])
    with pytest.raises(AlreadyExists):
        sw.table_add("t", [Exact(1)], "set_tag", [2])
    sw.table_add("t", [Exact(2)], "set_tag", [1])
    with pytest.raises(ResourceExhausted):
        sw.table_add("t", [Exact(3)], "set_tag", [1])
    with pytest.raises(NotFound):
        sw.table_delete("t", 99)
    with pytest.raises(NotFound):
        sw.table_modify("t", 99, "set_tag", [1])
    sw.table_clear("t")
    assert sw.table_entries("t") == []


def test_default_entry_set_get_reset() -> None:
    sw = Switch(prog("exact").build())
    assert sw.table_get_default("t") == ("set_tag", [0xEE])
    sw.table_set_default("t", "set_tag", [0x11])
    assert tag(sw, 5) == 0x11
    sw.table_reset_default("t")
    assert tag(sw, 5) == 0xEE


def test_const_default_action() -> None:
    sw = Switch(prog("exact", const_default=True).build())
    with pytest.raises(PermissionDenied):
        sw.table_set_default("t", "set_tag", [1])
    assert sw.table_info("t").default_const is True


def test_const_entries_are_immutable_and_first_listed_wins() -> None:
    entries = [
        {
            "match_key": [{"match_type": "ternary", "key": "0x1200", "mask": "0xff00"}],
            "action_entry": {"action_id": 1, "action_data": ["0x01"]},
            "priority": 1,
        },
        {
            "match_key": [{"match_type": "ternary", "key": "0x0034", "mask": "0x00ff"}],
            "action_entry": {"action_id": 1, "action_data": ["0x02"]},
            "priority": 2,
        },
    ]
    sw = Switch(prog("ternary", entries=entries).build())
    assert tag(sw, 0x1234) == 1  # lower JSON priority number wins
    assert tag(sw, 0x9934) == 2
    assert sw.table_info("t").const is True
    with pytest.raises(PermissionDenied):
        sw.table_add("t", [Ternary(0, 0xFFFF)], "set_tag", [1], priority=5)
    with pytest.raises(PermissionDenied):
        sw.table_delete("t", sw.table_entries("t")[0].handle)
    assert len(sw.table_entries("t")) == 2


def test_const_entry_with_bad_action_is_config_error() -> None:
    entries = [
        {"match_key": [{"match_type": "exact", "key": "0x0001"}], "action_entry": {"action_id": 7, "action_data": []}}
    ]
    with pytest.raises(ConfigError, match="table 't', entry 0: unknown action id 7"):
        Switch(prog("exact", entries=entries).build())


def test_direct_counter_bytes_and_packets() -> None:
    sw = Switch(prog("exact", counters=True).build())
    h = sw.table_add("t", [Exact(1)], "set_tag", [1])
    sw.process(0, bytes([0, 1, 0]) + bytes(10))
    sw.process(0, bytes([0, 1, 0]))
    sw.process(0, bytes([0, 2, 0]))
    assert sw.table_entry_counter("t", h) == (16, 2)
    sw.table_entry_counter_write("t", h, 0, 0)
    assert sw.table_entry_counter("t", h) == (0, 0)


def test_table_info() -> None:
    sw = Switch(prog("lpm", size=64).build())
    info = sw.table_info("t")
    assert info.keys == [("h.k", "lpm", 16)]
    assert info.size == 64
    assert "set_tag" in info.actions
    assert info.const is False


def _optional_entry(key: str, mask: str | None, tag_value: int, priority: int) -> dict:
    mk = {"match_type": "optional", "key": key}
    if mask is not None:
        mk["mask"] = mask
    return {
        "match_key": [mk],
        "action_entry": {"action_id": 1, "action_data": [f"{tag_value:#04x}"]},
        "priority": priority,
    }


def test_const_optional_entries_dont_care_is_a_wildcard() -> None:
    # p4c writes `_` in an optional const entry as key 0, mask 0; a given value with an all-ones mask
    entries = [
        _optional_entry("0x1234", "0xffff", 1, 1),
        _optional_entry("0x0000", "0x0000", 2, 2),
    ]
    sw = Switch(prog("optional", entries=entries).build())
    assert [tag(sw, k) for k in (0x1234, 0x0000, 0x4321)] == [1, 2, 2]
    assert [e.key for e in sw.table_entries("t")] == [(Optional(0x1234),), (Optional(None),)]


def test_const_optional_entry_without_mask_is_exact() -> None:
    sw = Switch(prog("optional", entries=[_optional_entry("0x0007", None, 3, 1)]).build())
    assert [tag(sw, k) for k in (7, 0)] == [3, 0xEE]


def test_const_optional_entry_with_partial_mask_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"table 't', entry 0: optional key 'h.k' has mask '0x00ff'"):
        Switch(prog("optional", entries=[_optional_entry("0x0007", "0x00ff", 3, 1)]).build())


def test_runtime_optional_entries_wildcard_and_value_in_one_key() -> None:
    p = Program()
    p.header_type("h_t", [("a", 8), ("b", 16), ("tag", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("set_tag", [("tag", 8)], [assign(F("h", "tag"), {"type": "runtime_data", "value": 0})])
    p.table(
        "t",
        [("h.a", F("h", "a"), "optional"), ("h.b", F("h", "b"), "optional")],
        ["set_tag"],
        default=("set_tag", [0xEE]),
    )
    sw = Switch(p.build())
    sw.table_add("t", [Optional(0xAA), Optional(0x1111)], "set_tag", [1], priority=4)
    sw.table_add("t", [Optional(None), Optional(0x1111)], "set_tag", [2], priority=3)
    sw.table_add("t", [Optional(0xAA), Optional(None)], "set_tag", [3], priority=2)
    sw.table_add("t", [Optional(None), Optional(None)], "set_tag", [4], priority=1)

    def tag2(a: int, b: int) -> int:
        return sw.process(0, bytes([a]) + b.to_bytes(2, "big") + b"\x00")[0][1][3]

    assert [tag2(0xAA, 0x1111), tag2(0xAB, 0x1111), tag2(0xAA, 0x1112), tag2(0xA9, 0x1110)] == [1, 2, 3, 4]
