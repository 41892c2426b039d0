"""The basic IPv4 LPM fixture (the P4 tutorials' basic.p4 shape) end to end, exact bytes."""

from __future__ import annotations

import json
import pathlib

import pytest

from softp4.switch import ConfigError, Lpm, NotFound, Switch

FIXTURES = pathlib.Path(__file__).parent / "fixtures"

ETH = bytes.fromhex("0000000000010000000000090800")
# IPv4 10.0.0.1 -> 10.0.1.5, ttl 64, UDP, checksum correct
IPV4 = bytes.fromhex("4500002100010000401165c60a0000010a000105")
UDP = bytes.fromhex("00350035000da692") + b"hello"


@pytest.fixture
def sw() -> Switch:
    return Switch(FIXTURES / "basic_ipv4.json")


def test_forward_rewrites_macs_decrements_ttl_and_updates_checksum(sw: Switch) -> None:
    sw.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000100, 24)], "MyIngress.ipv4_forward", [0x2, 2])
    out = sw.process(1, ETH + IPV4 + UDP)
    expected_ip = bytes.fromhex("45000021000100003f1166c60a0000010a000105")
    assert out == [(2, bytes.fromhex("0000000000020000000000010800") + expected_ip + UDP)]


def test_longest_prefix_wins(sw: Switch) -> None:
    sw.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000000, 8)], "MyIngress.ipv4_forward", [0x8, 8])
    sw.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000100, 24)], "MyIngress.ipv4_forward", [0x3, 3])
    sw.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000000, 16)], "MyIngress.ipv4_forward", [0x6, 6])
    assert [port for port, _ in sw.process(1, ETH + IPV4 + UDP)] == [3]


def test_miss_runs_default_drop(sw: Switch) -> None:
    assert sw.process(1, ETH + IPV4 + UDP) == []


def test_non_ip_goes_to_port_0_unchanged(sw: Switch) -> None:
    frame = bytes.fromhex("ffffffffffff0000000000090806") + bytes(28)
    assert sw.process(4, frame) == [(0, frame)]


def test_truncated_ip_still_runs_ingress_and_keeps_bytes(sw: Switch) -> None:
    frame = (ETH + IPV4)[:20]
    assert sw.process(1, frame) == [(0, frame)]


def test_unknown_table_is_not_found(sw: Switch) -> None:
    with pytest.raises(NotFound):
        sw.table_add("nope", [], "NoAction", [])


def test_bad_json_is_config_error() -> None:
    with pytest.raises(ConfigError, match="not valid JSON"):
        Switch("{")


def test_l2_learning_forwarding_and_flood_pruning() -> None:
    from softp4.switch import Exact

    sw = Switch(FIXTURES / "l2_switch.json")
    digests: list = []
    sw.on_digest(lambda name, values: digests.append((name, values)))
    sw.mc_group_set(1, [(0, [0, 1, 2, 3])])
    frame = bytes.fromhex("00000000000200000000000188b5") + b"data"
    # unknown destination: flooded to every port but the ingress one; the source is learned
    assert [port for port, _ in sw.process(1, frame)] == [0, 2, 3]
    assert digests == [("learn_t", [(0x000000000001, 1)])]
    sw.table_add("MyIngress.smac", [Exact(0x000000000001)], "NoAction", [])
    h = sw.table_add("MyIngress.dmac", [Exact(0x000000000002)], "MyIngress.forward", [2])
    assert sw.process(1, frame) == [(2, frame)]
    assert len(digests) == 1
    assert sw.table_entry_counter("MyIngress.dmac", h) == (len(frame), 1)


def test_deparser_primitives_run_before_the_headers_are_emitted() -> None:
    # p4c writes a deparser's assignments and extern calls as "primitives" of the deparser; BMv2 runs them after
    # the checksum updates and before emitting. Here: the non-IP path, with the EtherType set in the deparser.
    config = json.loads((FIXTURES / "basic_ipv4.json").read_text())
    config["deparsers"][0]["primitives"] = [
        {
            "op": "assign",
            "parameters": [
                {"type": "field", "value": ["ethernet", "etherType"]},
                {"type": "hexstr", "value": "0x88b5"},
            ],
        }
    ]
    frame = bytes.fromhex("ffffffffffff0000000000090806") + bytes(28)
    assert Switch(config).process(4, frame) == [(0, frame[:12] + bytes.fromhex("88b5") + frame[14:])]
