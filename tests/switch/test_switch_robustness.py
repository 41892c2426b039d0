"""Robustness: no frame ever raises out of process(); bad JSON raises ConfigError naming the object."""

from __future__ import annotations

import copy
import json
import pathlib
import random

import pytest
from switch_programs import C, F, Program, assign, extract, extract_stack, state, tr

from softp4.switch import ConfigError, Exact, Lpm, Switch

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def stack_program() -> dict:
    p = Program()
    p.header_type("e_t", [("bos", 1), ("v", 7)])
    p.header_type("l_t", [("len", 8)])
    p.header("l", "l_t")
    p.header_type("o_t", [("kind", 8), ("data", "*")], max_length=9)
    p.header("o", "o_t")
    p.stack("s", "e_t", 4)
    length = {"type": "expression", "value": {"op": "*", "left": F("l", "len"), "right": C(8, 4)}}
    p.states = [
        state(
            "start",
            [extract("l"), {"op": "extract_VL", "parameters": [{"type": "regular", "value": "o"}, length]}],
            key=[{"type": "lookahead", "value": [0, 8]}],
            transitions=[tr("0x00", None), tr(None, "st")],
        ),
        state(
            "st",
            [extract_stack("s")],
            key=[{"type": "stack_field", "value": ["s", "bos"]}],
            transitions=[tr("0x00", "st"), tr(None, None)],
        ),
    ]
    p.action("a", [], [assign(F("l", "len"), C(3))])
    p.call("a")
    return p.build()


def programs() -> list[Switch]:
    basic = Switch(FIXTURES / "basic_ipv4.json")
    basic.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000000, 8)], "MyIngress.ipv4_forward", [1, 1])
    l2 = Switch(FIXTURES / "l2_switch.json")
    l2.table_add("MyIngress.dmac", [Exact(0x000000000001)], "MyIngress.forward", [2])
    return [basic, l2, Switch(stack_program())]


def frames(rng: random.Random, n: int) -> list[bytes]:
    seeds = [
        bytes.fromhex("00000000000100000000000908004500002100010000401165c60a0000010a000105") + b"x" * 13,
        bytes.fromhex("0200010100"),
    ]
    out = [b"", b"\x00", bytes(2000), bytes([0xFF]) * 64, bytes(range(256)) * 256]
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(80))))
        else:
            base = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 6)):
                if base and rng.random() < 0.6:
                    base[rng.randrange(len(base))] = rng.randrange(256)
                else:
                    base = base[: rng.randrange(len(base) + 1)]
            out.append(bytes(base))
    return out


def test_random_and_mutated_frames_never_raise() -> None:
    rng = random.Random(1234)
    sws = programs()
    fs = frames(rng, 1500)
    total = 0
    for sw in sws:
        for f in fs:
            out = sw.process(rng.randrange(8), f)
            assert isinstance(out, list)
            total += len(out)
    assert total > 0
    # the switches keep forwarding after the storm
    ok = bytes.fromhex("00000000000100000000000908004500002100010000401165c60a0000010a000105")
    assert sws[0].process(0, ok + b"x" * 13)[0][0] == 1


def test_packet_before_load_gives_no_output() -> None:
    assert Switch().process(0, b"abc") == []


def _bad(mutate: object) -> dict:
    j = json.loads((FIXTURES / "basic_ipv4.json").read_text())
    mutate(j)  # type: ignore[operator]
    return j


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda j: j["pipelines"][0]["tables"][0]["action_ids"].append(7),
            "table 'MyIngress.ipv4_lpm': unknown action id 7",
        ),
        (lambda j: j["headers"][2].update(header_type="nope"), "header 'ethernet': unknown header type 'nope'"),
        (
            lambda j: j["actions"][1]["primitives"].append({"op": "frobnicate", "parameters": []}),
            "action 'MyIngress.drop', primitive 1: primitive 'frobnicate': unsupported primitive",
        ),
        (
            lambda j: j["parsers"][0]["parse_states"][0]["transitions"][0].update(next_state="nowhere"),
            "parser 'parser', state 'start': unknown next state 'nowhere'",
        ),
        (
            lambda j: j["pipelines"][0]["conditionals"][0].update(true_next="ghost"),
            "conditional 'node_2': unknown next node 'ghost'",
        ),
        (lambda j: j["calculations"][0].update(algo="md5"), "calculation 'calc': unknown hash algorithm 'md5'"),
        (
            lambda j: j["actions"][2]["primitives"][1]["parameters"][1].update(value=["ethernet", "nope"]),
            "header 'ethernet' has no field 'nope'",
        ),
        (lambda j: j["__meta__"].update(version=[3, 0]), "unsupported BMv2 JSON version"),
        (lambda j: j.update(headers=5), "'headers' must be a list"),
        (lambda j: j["actions"].append(5), "action #3: malformed BMv2 JSON"),
        (
            lambda j: j["actions"][2]["runtime_data"].append({"name": "x", "bitwidth": "zz"}),
            "action 'MyIngress.ipv4_forward': malformed BMv2 JSON",
        ),
        (
            lambda j: j["actions"][1]["primitives"].insert(
                0, {"op": "_jump", "parameters": [{"type": "hexstr", "value": "0x9"}]}
            ),
            "action 'MyIngress.drop', primitive 0: jump target 9 is outside the action (0..2)",
        ),
        (
            lambda j: j["pipelines"][0]["tables"][0]["next_tables"].update({"NoAction": "node_2"}),
            "pipeline 'ingress': control flow loops back to 'node_2'",
        ),
    ],
)
def test_bad_json_names_the_offending_object(mutate: object, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        Switch(_bad(mutate))
    assert message in str(e.value)


def test_load_failure_keeps_previous_program() -> None:
    sw = Switch(FIXTURES / "basic_ipv4.json")
    j = _bad(lambda j: j["headers"][2].update(header_type="nope"))
    with pytest.raises(ConfigError):
        sw.load(j)
    assert sw.loaded
    assert "MyIngress.ipv4_lpm" in sw.objects["tables"]
    assert copy.deepcopy(j) == j


def test_internal_errors_are_counted_and_reported_without_a_trace() -> None:
    sw = Switch(FIXTURES / "basic_ipv4.json")
    got: list[str] = []
    sw.on_internal_error(got.append)
    assert sw.process("not a port", b"abc") == []  # type: ignore[arg-type]
    assert sw.internal_errors == 1
    assert len(got) == 1 and got[0].startswith("Internal error while processing packet: ValueError")


def test_config_from_a_path_string_and_missing_file() -> None:
    sw = Switch(str(FIXTURES / "basic_ipv4.json"))
    assert "MyIngress.ipv4_lpm" in sw.objects["tables"]
    with pytest.raises(ConfigError, match="cannot read config"):
        Switch(FIXTURES / "missing.json")


def test_packets_and_runtime_calls_from_several_threads() -> None:
    import threading

    sw = Switch(FIXTURES / "basic_ipv4.json")
    ok = bytes.fromhex("00000000000100000000000908004500002100010000401165c60a0000010a000105") + b"x" * 13
    failures: list[BaseException] = []

    def sender() -> None:
        try:
            for _ in range(400):
                sw.process(1, ok)
        except BaseException as e:
            failures.append(e)

    def writer() -> None:
        try:
            for i in range(200):
                h = sw.table_add(
                    "MyIngress.ipv4_lpm", [Lpm(0x0A000000 + (i << 8), 24)], "MyIngress.ipv4_forward", [i, 1]
                )
                if i % 2:
                    sw.table_delete("MyIngress.ipv4_lpm", h)
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=sender) for _ in range(3)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sw.internal_errors == 0
    assert len(sw.table_entries("MyIngress.ipv4_lpm")) == 100
