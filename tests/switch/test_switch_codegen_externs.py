"""Generated action code for setValid/setInvalid, counters and registers: what the primitives do.

The fused action of the untraced path writes these inline; the traced path runs the primitives'
closures. Both must leave the same packet, packet length, registers and counters.
"""

from __future__ import annotations

from typing import Any

from softp4.compiler import compile_source
from softp4.switch import Exact, Switch

PROGRAM = r"""
#include <core.p4>
#include <v1model.p4>
header eth_t { bit<48> dst; bit<48> src; bit<16> type; }
header tag_t { bit<8> a; bit<16> b; }
struct headers_t { eth_t eth; tag_t tag; }
struct meta_t { bit<32> seen; }
parser P(packet_in pk, out headers_t h, inout meta_t m, inout standard_metadata_t sm) {
    state start { pk.extract(h.eth); transition select(h.eth.type) { 0x1234: tag; default: accept; } }
    state tag { pk.extract(h.tag); transition accept; }
}
control V(inout headers_t h, inout meta_t m) { apply { } }
control I(inout headers_t h, inout meta_t m, inout standard_metadata_t sm) {
    counter(8, CounterType.packets_and_bytes) frames;
    register<bit<32>>(8) seen;
    action step(bit<3> slot) {
        seen.read(m.seen, (bit<32>)slot);
        seen.write((bit<32>)slot, m.seen + 1);
        frames.count((bit<32>)slot);
        sm.egress_spec = 1;
    }
    action push() { h.tag.setValid(); h.tag.a = 7; h.eth.type = 0x1234; }
    action pop() { h.tag.setInvalid(); h.eth.type = 0x0800; }
    table t { key = { h.eth.dst: exact; } actions = { step; NoAction; } default_action = NoAction(); }
    table shape { key = { h.eth.src: exact; } actions = { push; pop; NoAction; } default_action = NoAction(); }
    apply {
        t.apply();
        shape.apply();
        h.eth.src = (bit<48>)m.seen;
    }
}
control E(inout headers_t h, inout meta_t m, inout standard_metadata_t sm) { apply { } }
control C(inout headers_t h, inout meta_t m) { apply { } }
control D(packet_out pk, in headers_t h) { apply { pk.emit(h.eth); pk.emit(h.tag); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""


def _switch() -> Switch:
    sw = Switch(compile_source(PROGRAM).bmv2_json)
    for slot in range(3):
        sw.table_add("I.t", [Exact(0xA0 + slot)], "I.step", [slot])
    sw.table_add("I.shape", [Exact(0xB1)], "I.push", [])
    sw.table_add("I.shape", [Exact(0xB2)], "I.pop", [])
    return sw


def _frames() -> list[bytes]:
    frames = []
    for n in range(12):
        dst = (0xA0 + n % 4).to_bytes(6, "big")  # slot 3 misses t
        src = (0xB0 + n % 3).to_bytes(6, "big")  # none, push, pop
        kind = b"\x12\x34" + bytes([n, 0, n]) if n % 2 else b"\x08\x00"
        frames.append(dst + src + kind + bytes(20))
    return frames


def _run(traced: bool) -> tuple[list[Any], list[Any], list[Any]]:
    sw = _switch()
    sw.trace = (lambda line: None) if traced else None
    outs = [sw.process(0, f) for f in _frames()]
    registers = [sw.register_read("I.seen", i) for i in range(8)]
    counters = [sw.counter_read("I.frames", i) for i in range(8)]
    return outs, registers, counters


def test_generated_accesses_match_the_primitives() -> None:
    fast, traced = _run(False), _run(True)
    assert fast == traced
    _, registers, counters = fast
    assert registers[:4] == [3, 3, 3, 0]
    assert [packets for _, packets in counters[:4]] == [3, 3, 3, 0]
    assert counters[0][0] == 3 * 34  # bytes of the frames that hit slot 0


def test_push_and_pop_change_the_frame_and_its_length() -> None:
    outs, _, _ = _run(False)
    pushed = outs[1][0][1]  # src 0xB1 on a tagged frame: the tag stays, a set to 7
    assert pushed[12:15] == b"\x12\x34\x07" and len(pushed) == 37
    popped = outs[2][0][1]  # src 0xB2 on an untagged frame: nothing to pop
    assert popped[12:14] == b"\x08\x00"
    grown = outs[4][0][1]  # src 0xB1 on an untagged frame: a tag appears
    assert grown[12:17] == b"\x12\x34\x07\x00\x00" and len(grown) == 34 + 3
    shrunk = outs[5][0][1]  # src 0xB2 on a tagged frame: the tag goes
    assert shrunk[12:14] == b"\x08\x00" and len(shrunk) == 37 - 3


def test_the_fused_actions_call_no_primitive_closure() -> None:
    sw = _switch()
    for name in ("I.step", "I.push", "I.pop"):
        (action,) = sw.program.actions_by_name[name]
        assert not [n for n in action.run.__code__.co_names if n.startswith("_c")], name
