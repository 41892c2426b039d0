"""The BMv2 JSON of corpus programs, checked piece by piece against what p4c emits."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from softp4.compiler import compile_file, compile_source

CORPUS = Path(__file__).resolve().parents[1] / "p4programs"

J = dict[str, Any]


@cache
def prog(name: str) -> J:
    return compile_file(CORPUS / f"{name}.p4").bmv2_json


def table(j: J, name: str) -> J:
    for p in j["pipelines"]:
        for t in p["tables"]:
            if t["name"] == name:
                return t
    raise KeyError(name)


def action(j: J, name: str) -> J:
    return next(a for a in j["actions"] if a["name"] == name)


def action_by_id(j: J, aid: int) -> J:
    return next(a for a in j["actions"] if a["id"] == aid)


def state(j: J, name: str) -> J:
    return next(s for s in j["parsers"][0]["parse_states"] if s["name"] == name)


def ops(a: J) -> list[str]:
    return [p["op"] for p in a["primitives"]]


def test_top_level_layout_and_standard_metadata() -> None:
    j = prog("basic_forward")
    assert list(j)[:3] == ["header_types", "headers", "header_stacks"]
    assert j["__meta__"]["version"] == [2, 23]
    assert j["headers"][0] == {
        "name": "scalars",
        "id": 0,
        "header_type": "scalars_0",
        "metadata": True,
        "pi_omit": True,
    }
    sm = next(t for t in j["header_types"] if t["name"] == "standard_metadata")
    names = [f[0] for f in sm["fields"]]
    assert names[:5] == ["ingress_port", "egress_spec", "egress_port", "instance_type", "packet_length"]
    assert sm["fields"][-1] == ["_padding", 3, False]
    assert sum(f[1] for f in sm["fields"]) % 8 == 0
    assert ["intrinsic_metadata.mcast_grp", ["standard_metadata", "mcast_grp"]] in j["field_aliases"]
    assert j["errors"][:3] == [["NoError", 0], ["PacketTooShort", 1], ["NoMatch", 2]]


def test_exact_table_key_actions_and_default() -> None:
    j = prog("basic_forward")
    t = table(j, "MyIngress.mac_fwd")
    assert t["key"] == [
        {"match_type": "exact", "name": "hdr.ethernet.dst", "target": ["ethernet", "dst"], "mask": None}
    ]
    assert t["match_type"] == "exact" and t["type"] == "simple" and t["max_size"] == 256
    assert t["actions"] == ["MyIngress.forward", "MyIngress.drop"]
    assert action(j, "MyIngress.forward")["runtime_data"] == [{"name": "port", "bitwidth": 9}]
    assert t["next_tables"] == {"MyIngress.forward": None, "MyIngress.drop": None}
    drop = action(j, "MyIngress.drop")
    assert t["default_entry"] == {
        "action_id": drop["id"],
        "action_const": False,
        "action_data": [],
        "action_entry_const": False,
    }
    assert drop["primitives"][0]["op"] == "mark_to_drop"
    assert drop["primitives"][0]["parameters"] == [{"type": "header", "value": "standard_metadata"}]


def test_arithmetic_is_masked_to_the_field_width() -> None:
    j = prog("lpm_ipv4")
    fwd = action(j, "MyIngress.ipv4_forward")
    ttl = fwd["primitives"][3]
    assert ttl["op"] == "assign"
    assert ttl["parameters"][0] == {"type": "field", "value": ["ipv4", "ttl"]}
    expr = ttl["parameters"][1]["value"]["value"]
    assert expr["op"] == "&"
    assert expr["right"] == {"type": "hexstr", "value": "0xff"}
    assert expr["left"]["value"]["op"] == "-"
    assert table(j, "MyIngress.ipv4_lpm")["match_type"] == "lpm"


def test_conditional_on_validity_leads_to_table() -> None:
    j = prog("lpm_ipv4")
    ingress = j["pipelines"][0]
    (cond,) = ingress["conditionals"]
    assert ingress["init_table"] == cond["name"]
    assert cond["expression"] == {
        "type": "expression",
        "value": {"op": "d2b", "left": None, "right": {"type": "field", "value": ["ipv4", "$valid$"]}},
    }
    assert cond["true_next"] == "MyIngress.ipv4_lpm"
    assert cond["false_next"] is None


def test_hit_and_miss_successors() -> None:
    j = prog("hit_miss")
    l2 = table(j, "MyIngress.l2")
    assert set(l2["next_tables"]) == {"__HIT__", "__MISS__"}
    hit = table(j, l2["next_tables"]["__HIT__"])
    miss = table(j, l2["next_tables"]["__MISS__"])
    assert hit["key"] == [] and miss["key"] == []
    assert miss["name"] == "tbl_flood"
    learn = table(j, "MyIngress.learn")
    # `if (!learn.apply().miss)`: the then-branch runs on a hit
    assert table(j, learn["next_tables"]["__HIT__"])["key"] == []
    assert learn["next_tables"]["__MISS__"] is None


def test_switch_on_action_run() -> None:
    j = prog("switch_action_run")
    t = table(j, "MyIngress.decide")
    nt = t["next_tables"]
    assert nt["MyIngress.a_punt"] == nt["MyIngress.a_mirror"]
    assert nt["MyIngress.a_fwd"] != nt["MyIngress.a_punt"]
    assert nt["MyIngress.a_drop"] not in (nt["MyIngress.a_fwd"], nt["MyIngress.a_punt"])
    for branch in nt.values():
        assert table(j, branch)["base_default_next"] == t["base_default_next"]


def test_const_entries_and_const_default() -> None:
    j = prog("const_entries")
    t = table(j, "MyIngress.by_type")
    set_port = action(j, "MyIngress.set_port")
    assert t["entries"][0]["match_key"] == [{"match_type": "exact", "key": "0x0800"}]
    assert t["entries"][0]["action_entry"] == {"action_id": set_port["id"], "action_data": ["0x0001"]}
    assert [e["priority"] for e in t["entries"]] == [1, 2, 3]
    assert t["default_entry"] == {
        "action_id": set_port["id"],
        "action_const": True,
        "action_data": ["0x0003"],
        "action_entry_const": True,
    }
    t2 = table(j, "MyIngress.by_proto")
    assert t2["match_type"] == "ternary"
    assert t2["entries"][0]["match_key"][1] == {"match_type": "ternary", "key": "0x0a000000", "mask": "0xff000000"}
    assert t2["entries"][1]["match_key"][1] == {"match_type": "ternary", "key": "0x00000000", "mask": "0x00000000"}


def test_range_and_optional_keys() -> None:
    t = table(prog("range_match"), "MyIngress.port_class")
    assert t["match_type"] == "range"
    assert [k["match_type"] for k in t["key"]] == ["range", "exact"]
    assert t["key"][0]["name"] == "dport"
    t = table(prog("optional_match"), "MyIngress.classify")
    assert t["match_type"] == "ternary"
    # p4c writes optional keys as ternary: BMv2 (and its CLI) reject an "optional" match type
    assert [k["match_type"] for k in t["key"]] == ["ternary", "ternary", "exact"]


def test_transition_key_fields_padded_to_bytes() -> None:
    s = state(prog("select_tuple_masks"), "parse_vlan")
    assert s["transition_key"] == [
        {"type": "field", "value": ["vlan", "vid"]},
        {"type": "field", "value": ["vlan", "pcp"]},
    ]
    assert s["transitions"][0] == {"type": "hexstr", "value": "0x0aba03", "mask": None, "next_state": "marked"}
    assert s["transitions"][1] == {"type": "hexstr", "value": "0x010000", "mask": "0x0f0000", "next_state": "low"}
    assert s["transitions"][2] == {"type": "hexstr", "value": "0x000007", "mask": "0x000007", "next_state": "high"}
    assert s["transitions"][3] == {"type": "default", "value": None, "mask": None, "next_state": None}


def test_select_ranges_become_masks() -> None:
    s = state(prog("select_range"), "start")
    to_len = [(t["value"], t["mask"]) for t in s["transitions"] if t["next_state"] == "length_field"]
    covered = set()
    for value, mask in to_len:
        v, m = int(value, 16), int(mask or "0xffff", 16)
        covered |= {x for x in range(0x10000) if x & m == v}
    assert covered == set(range(0x0000, 0x05DD))
    assert [(t["value"], t["mask"]) for t in s["transitions"] if t["next_state"] == "reserved"] == [
        ("0x0600", "0xff00")
    ]


def test_lookahead_in_select_and_value_sets() -> None:
    s = state(prog("lookahead_select"), "start")
    assert s["transition_key"] == [{"type": "lookahead", "value": [0, 8]}]
    j = prog("value_set")
    assert j["parse_vsets"] == [{"name": "MyParser.custom_types", "id": 0, "compressed_bitwidth": 16}]
    assert state(j, "start")["transitions"][0] == {
        "type": "parse_vset",
        "value": "MyParser.custom_types",
        "mask": None,
        "next_state": "parse_custom",
    }


def test_header_stack_extract_push_pop() -> None:
    j = prog("header_stack")
    (st,) = j["header_stacks"]
    assert st["name"] == "mpls" and st["header_type"] == "mpls_t" and len(st["header_ids"]) == 4
    names = {h["id"]: h["name"] for h in j["headers"]}
    assert [names[i] for i in st["header_ids"]] == ["mpls[0]", "mpls[1]", "mpls[2]", "mpls[3]"]
    s = state(j, "parse_mpls")
    assert s["parser_ops"][0] == {"op": "extract", "parameters": [{"type": "stack", "value": "mpls"}]}
    assert s["transition_key"] == [{"type": "stack_field", "value": ["mpls", "bos"]}]
    assert ops(action(j, "MyIngress.pop_label"))[0] == "pop"
    push = action(j, "MyIngress.push_label")
    assert push["primitives"][0]["parameters"] == [
        {"type": "header_stack", "value": "mpls"},
        {"type": "hexstr", "value": "0x00000001"},
    ]
    assert push["primitives"][1] == {**push["primitives"][1], "op": "add_header"}
    assert j["deparsers"][0]["order"] == ["ethernet", "mpls[0]", "mpls[1]", "mpls[2]", "mpls[3]"]


def test_header_union() -> None:
    j = prog("header_union")
    (u,) = j["header_unions"]
    assert u["name"] == "ip" and u["union_type"] == "ip_t"
    assert j["header_union_types"][0]["headers"] == [["v4", "ipv4_t"], ["v6", "ipv6_t"]]
    exprs = [c["expression"]["value"] for c in j["pipelines"][0]["conditionals"]]
    assert {"op": "valid_union", "left": None, "right": {"type": "header_union", "value": "ip"}} in [
        e["right"]["value"] for e in exprs if e["op"] == "not"
    ]


def test_varbit_extract() -> None:
    j = prog("varbit_options")
    ht = next(t for t in j["header_types"] if t["name"] == "ipv4_options_t")
    assert ht["fields"] == [["options", "*"]] and ht["max_length"] == 40
    op = state(j, "parse_options")["parser_ops"][0]
    assert op["op"] == "extract_VL"
    assert op["parameters"][0] == {"type": "regular", "value": "options"}
    assert op["parameters"][1]["type"] == "expression"


def test_advance_by_an_expression_goes_through_a_temporary() -> None:
    # BMv2 takes advance()'s operand as a constant, a field, or an expression it reads unwrapped
    # (which it then refuses): p4c computes a computed amount into a temporary first
    ops = state(prog("advance_skip"), "skip")["parser_ops"]
    assert [o["op"] for o in ops] == ["advance", "extract", "set", "advance", "extract"]
    assert ops[0]["parameters"] == [{"type": "hexstr", "value": "0x00000010"}]
    tmp = {"type": "field", "value": ["scalars", "tmp"]}
    assert ops[2]["parameters"][0] == tmp and ops[2]["parameters"][1]["type"] == "expression"
    assert ops[3]["parameters"] == [tmp]


def test_verify_and_program_errors() -> None:
    j = prog("verify_parser")
    assert j["errors"][-2:] == [["BadVersion", 7], ["TtlExpired", 8]]
    v = state(j, "parse_ipv4")["parser_ops"][1]
    assert v["op"] == "verify"
    assert v["parameters"][1] == {"type": "hexstr", "value": "0x00000007"}
    assert v["parameters"][0]["value"]["op"] == "=="


def test_subparser_states_inlined() -> None:
    j = prog("subparser")
    names = [s["name"] for s in j["parsers"][0]["parse_states"]]
    assert names == ["start", "vlans_start", "vlans_outer", "vlans_inner", "start_0", "parse_ip"]
    assert state(j, "start")["transitions"][0]["next_state"] == "vlans_start"
    assert state(j, "vlans_inner")["transitions"][0]["next_state"] == "start_0"


def test_parser_if_splits_state() -> None:
    j = prog("parser_if")
    s = state(j, "start")
    assert s["parser_ops"][1]["op"] == "set"
    assert [t["next_state"] for t in s["transitions"]] == ["start_true", "start_false"]
    assert state(j, "start_true")["transitions"][0]["next_state"] == "start_join"


def test_sub_control_instances_are_named_by_instance() -> None:
    j = prog("subcontrol")
    names = [t["name"] for t in j["pipelines"][0]["tables"]]
    assert "MyIngress.first.rewrite" in names and "MyIngress.second.rewrite" in names
    assert {a["name"] for a in j["actions"]} >= {"MyIngress.first.set_src", "MyIngress.second.set_src"}


def test_if_in_action_uses_jumps() -> None:
    a = action(prog("action_if"), "MyIngress.classify")
    assert ops(a) == ["_jump_if_zero", "assign", "_jump_if_zero", "assign", "_jump", "assign", "assign"]
    first = a["primitives"][0]["parameters"]
    assert first[1] == {"type": "hexstr", "value": "0x00000005"}
    assert a["primitives"][4]["parameters"] == [{"type": "hexstr", "value": "0x00000006"}]
    assert first[0]["value"]["value"]["op"] == "b2d"


def test_exit_primitive_and_return() -> None:
    j = prog("exit_return")
    exits = [a for a in j["actions"] if "exit" in ops(a)]
    assert len(exits) == 1 and ops(exits[0])[-1] == "exit"
    # the table running the exit action ends the pipeline
    t = next(t for t in j["pipelines"][0]["tables"] if t["actions"] == [exits[0]["name"]])
    assert t["base_default_next"] is None


def test_exit_inside_action_skips_the_rest() -> None:

    src = (CORPUS / "action_if.p4").read_text().replace("meta.res = 2;", "meta.res = 2;\n                exit;")
    j = compile_source(src, filename="exit_in_action.p4").bmv2_json
    a = action(j, "MyIngress.classify")
    i = ops(a).index("exit")
    assert a["primitives"][i + 1]["op"] == "_jump"
    assert a["primitives"][i + 1]["parameters"] == [{"type": "hexstr", "value": f"0x{len(a['primitives']):08x}"}]


def test_bare_action_call_gets_keyless_table_with_data() -> None:
    j = prog("default_action_args")
    t = table(j, "tbl_set_port_and_tag")
    a = action(j, "MyIngress.set_port_and_tag")
    assert t["key"] == [] and t["actions"] == ["MyIngress.set_port_and_tag"]
    assert t["default_entry"] == {
        "action_id": a["id"],
        "action_const": True,
        "action_data": ["0x0003", "0x4321"],
        "action_entry_const": True,
    }
    assert table(j, "MyIngress.first")["default_entry"]["action_data"] == ["0x0007", "0x1234"]


def test_implicit_noaction_default() -> None:
    j = prog("const_entries")
    t = table(j, "MyIngress.by_proto")  # no default_action
    assert t["actions"][-1] == "NoAction"
    assert t["default_entry"]["action_id"] == action(j, "NoAction")["id"]
    # a table with an action profile lists NoAction too, but has no default entry (as p4c writes it)
    j = prog("action_profile")
    t = table(j, "MyIngress.by_dst")
    assert t["actions"][-1] == "NoAction"
    assert "default_entry" not in t


def test_checksums_and_calculations() -> None:
    j = prog("checksum_ipv4")
    verify, update = j["checksums"]
    assert verify["verify"] is True and verify["update"] is False
    assert update["verify"] is False and update["update"] is True
    assert verify["target"] == ["ipv4", "hdr_checksum"]
    calc = next(c for c in j["calculations"] if c["name"] == verify["calculation"])
    assert calc["algo"] == "csum16"
    assert [i["value"][1] for i in calc["input"]][:3] == ["version", "ihl", "diffserv"]
    tcp = prog("checksum_tcp_payload")
    calc = tcp["calculations"][0]
    assert calc["input"][2] == {"type": "hexstr", "value": "0x00", "bitwidth": 8}
    assert calc["input"][-1] == {"type": "payload", "value": None}


def hexstr(value: int) -> dict[str, str]:
    return {"type": "hexstr", "value": f"0x{value:08x}"}


def test_clone_field_lists() -> None:
    j = prog("clone_i2e")
    # clone() without a field list gets an empty list of its own (simple_switch has no list 0)
    lists = {fl["name"]: fl for fl in j["field_lists"]}
    assert sorted(lists) == ["field_list1", "fl"]
    assert lists["field_list1"]["elements"] == [{"type": "field", "value": ["scalars", "meta.reason"]}]
    assert lists["fl"]["elements"] == []
    mirror = action(j, "MyIngress.mirror")
    clone = mirror["primitives"][-1]
    assert clone["op"] == "clone_ingress_pkt_to_egress"
    assert clone["parameters"] == [{"type": "runtime_data", "value": 0}, hexstr(lists["field_list1"]["id"])]
    plain = [p for a in j["actions"] if a["name"] != "MyIngress.mirror" for p in a["primitives"]]
    assert [p["parameters"][1] for p in plain if p["op"].startswith("clone")] == [hexstr(lists["fl"]["id"])]
    e2e = [p for a in prog("clone_e2e")["actions"] for p in a["primitives"] if p["op"].startswith("clone")]
    assert e2e[0]["op"] == "clone_egress_pkt_to_egress"
    res = [p for a in prog("resubmit_fields")["actions"] for p in a["primitives"] if p["op"] == "resubmit"]
    assert res[0]["parameters"] == [{"type": "hexstr", "value": "0x00000001"}]


def test_digest_learn_list() -> None:
    j = prog("digest_learn")
    assert j["learn_lists"] == [
        {
            "id": 1,
            "name": "learn_t",
            "elements": [
                {"type": "field", "value": ["ethernet", "src"]},
                {"type": "field", "value": ["standard_metadata", "ingress_port"]},
            ],
        }
    ]
    learn = action(j, "MyIngress.learn")
    assert learn["primitives"][0]["op"] == "generate_digest"


def test_counters_meters_registers() -> None:
    j = prog("counter_indirect")
    assert {(c["name"], c["size"], c["is_direct"]) for c in j["counter_arrays"]} == {
        ("global_count", 1024, False),
        ("MyIngress.per_class", 64, False),
    }
    count = action(j, "MyIngress.count_class")["primitives"][0]
    assert count["op"] == "count"
    assert count["parameters"][0] == {"type": "counter_array", "value": "MyIngress.per_class"}
    j = prog("direct_counter")
    assert j["counter_arrays"] == [
        {"name": "MyIngress.ipv4_counter", "id": 0, "is_direct": True, "binding": "MyIngress.ipv4_host"}
    ]
    assert table(j, "MyIngress.ipv4_host")["with_counters"] is True
    j = prog("direct_meter")
    (m,) = j["meter_arrays"]
    assert m["is_direct"] and m["binding"] == "MyIngress.limiter" and m["result_target"] == ["scalars", "meta.color"]
    assert table(j, "MyIngress.limiter")["direct_meters"] == "MyIngress.rate_limit"
    j = prog("meter_indirect")
    assert j["meter_arrays"][0]["type"] == "bytes" and j["meter_arrays"][0]["rate_count"] == 2
    j = prog("register_counter")
    assert j["register_arrays"] == [{"name": "MyIngress.packets_per_port", "id": 0, "size": 512, "bitwidth": 32}]
    assert ops(action(j, "MyIngress.bump")) == ["register_read", "assign", "register_write"]


def test_action_selector_and_profile() -> None:
    j = prog("action_selector_ecmp")
    t = table(j, "MyIngress.ecmp")
    assert t["type"] == "indirect_ws" and t["action_profile"] == "MyIngress.ecmp_selector"
    assert [k["match_type"] for k in t["key"]] == ["lpm"]
    (ap,) = j["pipelines"][0]["action_profiles"]
    assert ap["max_size"] == 64
    assert ap["selector"] == {
        "algo": "crc16",
        "input": [{"type": "field", "value": ["ipv4", "src_addr"]}, {"type": "field", "value": ["ipv4", "protocol"]}],
    }
    j = prog("action_profile")
    assert len(j["pipelines"][0]["action_profiles"]) == 1
    assert table(j, "MyIngress.by_src")["type"] == "indirect"


def test_hash_calculation() -> None:
    j = prog("hash_fields")
    algos = [c["algo"] for c in j["calculations"]]
    assert algos == ["crc16", "crc32", "csum16", "identity"]
    prims = [p for a in j["actions"] for p in a["primitives"] if p["op"] == "modify_field_with_hash_based_offset"]
    assert prims[3]["parameters"][1] == {"type": "hexstr", "value": "0x000a"}
    assert prims[3]["parameters"][3] == {"type": "hexstr", "value": "0x00000008"}


def test_enums_and_serializable_enums() -> None:
    j = prog("enum_error")
    assert {"name": "Color", "entries": [["Red", 0], ["Green", 1], ["Blue", 2]]} in j["enums"]
    t = table(j, "MyIngress.by_error")
    assert t["key"][0]["target"] == ["standard_metadata", "parser_error"]
    assert t["entries"][1]["match_key"] == [{"match_type": "exact", "key": "0x00000001"}]
    j = prog("typedef_newtype")
    t = table(j, "MyIngress.policy")
    assert t["default_entry"]["action_data"] == ["0x00"]
    assert action(j, "MyIngress.set_verdict")["runtime_data"] == [{"name": "v", "bitwidth": 8}]


def test_key_names_and_valid_key() -> None:
    t = table(prog("key_names"), "MyIngress.t")
    assert [k["name"] for k in t["key"]] == ["hdr.ipv4.$valid$", "oui_high", "type_hi", "dst"]
    assert t["key"][0]["target"] == ["ipv4", "$valid$"]
    # complex keys are computed into scalars before the table runs
    assert t["key"][1]["target"][0] == "scalars"


def test_log_msg_and_assert() -> None:
    j = prog("log_assert")
    prims = [p for a in j["actions"] for p in a["primitives"]]
    logs = {p["parameters"][0]["value"]: p for p in prims if p["op"] == "log_msg"}
    assert logs["packet from port {}"]["parameters"] == [
        {"type": "string", "value": "packet from port {}"},
        {"type": "parameters_vector", "value": [{"type": "field", "value": ["standard_metadata", "ingress_port"]}]},
    ]
    assert logs["ingress start"]["parameters"][1] == {"type": "parameters_vector", "value": []}
    assert {"assert", "assume"} <= {p["op"] for p in prims}
    # the condition as data (b2d), as p4c writes it: simple_switch aborts on a boolean parameter
    for p in prims:
        if p["op"] in ("assert", "assume"):
            (param,) = p["parameters"]
            assert param["type"] == "expression" and param["value"]["value"]["op"] == "b2d"


def test_scalars_are_padded_to_bytes() -> None:
    j = prog("ternary_acl")
    scalars = j["header_types"][0]
    assert scalars["name"] == "scalars_0"
    assert sum(f[1] for f in scalars["fields"]) % 8 == 0
    assert scalars["fields"][0] == ["meta.acl_hit", 1, False]


def test_v1model_20200408_typed_register_index() -> None:
    j = prog("v1model_2020_typed_index")
    assert j["register_arrays"] == [{"name": "MyIngress.packets_per_port", "id": 0, "size": 512, "bitwidth": 32}]
    read = action(j, "MyIngress.bump")["primitives"][0]
    assert read["parameters"][2] == {"type": "field", "value": ["standard_metadata", "ingress_port"]}


def test_dynamic_stack_index() -> None:
    j = prog("header_stack_dynamic_index")
    prims = [p for a in j["actions"] for p in a["primitives"]]
    read = next(p for p in prims if p["op"] == "assign" and p["parameters"][0]["value"] == ["idx", "x"])
    access = read["parameters"][1]["value"]["value"]
    assert access["op"] == "access_field" and access["right"] == 0
    assert access["left"]["value"] == {
        "op": "dereference_header_stack",
        "left": {"type": "header_stack", "value": "s"},
        "right": {"type": "field", "value": ["idx", "i"]},
    }
    remove = next(p for p in prims if p["op"] == "remove_header")
    assert remove["parameters"][0]["value"]["value"]["op"] == "dereference_header_stack"


def test_void_functions_are_inlined_with_copies() -> None:
    j = prog("functions_void")
    count = action(j, "MyIngress.count_src")
    kinds = ops(count)
    # two inlined calls of bump, each: copy in counter and by, early-return test, add, copy out
    assert kinds.count("_jump_if_zero") == 2
    assert kinds.count("_jump") == 2
    last = count["primitives"][-1]["parameters"][0]
    assert last == {"type": "field", "value": ["scalars", "meta.hits"]}
