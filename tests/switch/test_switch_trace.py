"""BMv2-like --log-console trace lines; nothing is traced when trace is None."""

from __future__ import annotations

import pathlib

from softp4.switch import Lpm, Switch

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FRAME = bytes.fromhex("00000000000100000000000908004500002100010000401165c60a0000010a000105") + b"x" * 13


def test_trace_of_a_forwarded_packet() -> None:
    lines: list[str] = []
    sw = Switch(FIXTURES / "basic_ipv4.json", trace=lines.append)
    sw.table_add("MyIngress.ipv4_lpm", [Lpm(0x0A000100, 24)], "MyIngress.ipv4_forward", [2, 2])
    sw.process(1, FRAME)
    assert lines == [
        "[1.0] Processing packet received on port 1",
        "[1.0] Parser 'parser': start",
        "[1.0] Parser 'parser' entering state 'start'",
        "[1.0] Extracting header 'ethernet'",
        "[1.0] Parser state 'start': key is 0800",
        "[1.0] Parser 'parser' entering state 'parse_ipv4'",
        "[1.0] Extracting header 'ipv4'",
        "[1.0] Parser state 'parse_ipv4' has no switch, going to default next state",
        "[1.0] Bytes parsed: 34",
        "[1.0] Parser 'parser': end",
        "[1.0] Pipeline 'ingress': start",
        '[1.0] Condition "node_2" is true',
        "[1.0] Applying table 'MyIngress.ipv4_lpm'",
        "[1.0] Looking up key: hdr.ipv4.dstAddr: a000105",
        "[1.0] Table 'MyIngress.ipv4_lpm': hit with handle 0",
        "[1.0] Dumping entry 0: hdr.ipv4.dstAddr: LPM a000100/24",
        "[1.0] Action entry is MyIngress.ipv4_forward - 2,2,",
        "[1.0] Action MyIngress.ipv4_forward",
        "[1.0] basic.p4(101) Primitive standard_metadata.egress_spec = port",
        "[1.0] Primitive assign",
        "[1.0] Primitive assign",
        "[1.0] Primitive assign",
        "[1.0] Pipeline 'ingress': end",
        "[1.0] Egress port is 2",
        "[1.0] Pipeline 'egress': start",
        "[1.0] Pipeline 'egress': end",
        "[1.0] Deparser 'deparser': start",
        "[1.0] Deparsing header 'ethernet'",
        "[1.0] Deparsing header 'ipv4'",
        "[1.0] Deparser 'deparser': end",
        "[1.0] Transmitting packet of size 47 out of port 2",
    ]


def test_trace_of_a_miss_drop_and_parser_error() -> None:
    lines: list[str] = []
    sw = Switch(FIXTURES / "basic_ipv4.json", trace=lines.append)
    sw.process(0, FRAME)
    assert "[1.0] Table 'MyIngress.ipv4_lpm': miss" in lines
    assert "[1.0] basic.p4(97) Primitive mark_to_drop(standard_metadata)" in lines
    assert lines[-1] == "[1.0] Dropping packet at the end of ingress (egress_spec is the drop port 511)"
    lines.clear()
    sw.process(0, FRAME[:20])
    assert "[2.0] Exception while parsing: PacketTooShort" in lines


def test_trace_can_be_switched_on_and_off() -> None:
    lines: list[str] = []
    sw = Switch(FIXTURES / "basic_ipv4.json")
    sw.process(0, FRAME)
    sw.trace = lines.append
    sw.process(0, FRAME)
    assert lines and all(line.startswith("[2.0]") for line in lines)
    sw.trace = None
    n = len(lines)
    sw.process(0, FRAME)
    assert len(lines) == n
