"""Indirect tables: action profile members and action selector groups."""

from __future__ import annotations

import pytest
from switch_programs import RD, F, Program, egress_spec, extract, state

from softp4.switch import Exact, InvalidArgument, NotFound, Switch
from softp4.switch.calculations import crc16


def selector_program() -> dict:
    p = Program()
    p.header_type("h_t", [("k", 8), ("flow", 16)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("port", [("p", 9)], [egress_spec(RD(0))])
    t = p.table("t", [("h.k", F("h", "k"), "exact")], ["port"])
    t["type"] = "indirect_ws"
    t["action_profile"] = "sel"
    j = p.build()
    j["pipelines"][0]["action_profiles"] = [
        {"name": "sel", "id": 0, "max_size": 4, "selector": {"algo": "crc16", "input": [F("h", "flow")]}}
    ]
    return j


def test_member_entries_and_group_selection() -> None:
    sw = Switch(selector_program())
    for mid, port in ((1, 11), (2, 12), (3, 13)):
        sw.act_prof_member_add("sel", mid, "port", [port])
    h = sw.table_add_indirect("t", [Exact(1)], member=2)
    assert sw.process(0, bytes([1, 0, 0]))[0][0] == 12
    sw.act_prof_group_set("sel", 10, [1, 2, 3])
    sw.table_modify_indirect("t", h, group=10)
    for flow in range(20):
        frame = bytes([1]) + flow.to_bytes(2, "big")
        want = 11 + crc16(flow.to_bytes(2, "big")) % 3
        assert sw.process(0, frame)[0][0] == want
    assert [(e.handle, e.group) for e in sw.table_entries("t")] == [(h, 10)]
    assert sw.act_prof_groups("sel") == [(10, [1, 2, 3])]
    assert sw.act_prof_members("sel") == [(1, "port", [11]), (2, "port", [12]), (3, "port", [13])]


def test_members_in_use_and_missing() -> None:
    sw = Switch(selector_program())
    sw.act_prof_member_add("sel", 1, "port", [1])
    with pytest.raises(NotFound):
        sw.table_add_indirect("t", [Exact(1)], member=9)
    h = sw.table_add_indirect("t", [Exact(1)], member=1)
    with pytest.raises(InvalidArgument, match="in use"):
        sw.act_prof_member_delete("sel", 1)
    sw.table_delete("t", h)
    sw.act_prof_member_delete("sel", 1)
    with pytest.raises(InvalidArgument, match="exactly one"):
        sw.table_add_indirect("t", [Exact(1)])
    with pytest.raises(InvalidArgument, match="not one of its actions"):
        sw.act_prof_member_add("sel", 2, "nope", [])


def test_empty_group_misses() -> None:
    sw = Switch(selector_program())
    sw.act_prof_group_set("sel", 5, [])
    sw.table_add_indirect("t", [Exact(1)], group=5)
    assert sw.process(0, bytes([1, 0, 0]))[0][0] == 0


def test_const_default_action_or_const_entries_on_an_indirect_table_are_refused_as_bmv2_does() -> None:
    from softp4.switch import ConfigError

    j = selector_program()
    t = j["pipelines"][0]["tables"][0]
    action_id = next(a["id"] for a in j["actions"] if a["name"] == "port")
    t["default_entry"] = {"action_id": action_id, "action_const": False, "action_data": ["0x01"],
                          "action_entry_const": False}
    Switch(j)  # a default entry that is not const is accepted
    t["default_entry"]["action_const"] = True
    with pytest.raises(ConfigError, match="cannot have a const default action"):
        Switch(j)
    del t["default_entry"]
    t["entries"] = [{"match_key": [{"match_type": "exact", "key": "0x01"}], "action_entry": {
        "action_id": action_id, "action_data": ["0x01"]}, "priority": 1}]
    with pytest.raises(ConfigError, match="cannot have const entries"):
        Switch(j)
