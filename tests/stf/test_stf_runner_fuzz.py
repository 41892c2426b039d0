"""Random STF commands against the real switch: the runner reports errors and warnings, never crashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from softp4.stf.parser import parse_stf
from softp4.stf.runner import StfError, StfRunner
from softp4.stf.syntax import StfSyntaxError
from softp4.switch.switch import Switch

PROGRAM: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "l2acl.json").read_text())

NUMBERS = st.sampled_from(["0", "1", "7", "511", "512", "65535", "0x1", "0xffffffffffff", "0x1ffffffffffff",
                           "0x08**", "0b1*", "0o17", "99999999999999999999"])
NAMES = st.sampled_from(["dmac", "acl", "MyIngress.dmac", "nosuch", "forward", "seen", "last_port"])
LINES = st.one_of(
    st.builds(lambda t, n, a, p: f"add {t} dstAddr:{n} {a}(port:{p})", NAMES, NUMBERS,
              st.sampled_from(["forward", "drop", "set_type", "nope"]), NUMBERS),
    st.builds(lambda p, n, m: f"add acl {p} etherType:{n} srcAddr:{m}/{p} set_type(t:{n})", NUMBERS, NUMBERS, NUMBERS),
    st.builds(lambda t, p: f"setdefault {t} forward(port:{p})", NAMES, NUMBERS),
    st.builds(lambda p, d: f"packet {p} {d}", st.sampled_from(["0", "1", "2", "511"]),
              st.binary(max_size=40).map(bytes.hex)),
    st.builds(lambda p, d: f"expect {p} {d}", st.sampled_from(["0", "1", "2"]),
              st.sampled_from(["", "00", "****", "000000000001$", "ff"])),
    st.builds(lambda n, i, v: f"register_write {n} {i} {v}", NAMES, NUMBERS, NUMBERS),
    st.builds(lambda n, i: f"check_counter {n}({i}) packets >= 0", NAMES, NUMBERS),
    st.builds(lambda s, p: f"mirroring_add {s} {p}", NUMBERS, st.sampled_from(["0", "1", "511"])),
    st.builds(lambda g: f"mc_mgrp_create {g}", NUMBERS),
    st.builds(lambda r, p: f"mc_node_create {r} {p}", NUMBERS, st.sampled_from(["1", "2 3", ""])),
    st.builds(lambda g, h: f"mc_node_associate {g} {h}", NUMBERS, st.sampled_from(["0", "1", "5"])),
    st.builds(lambda n, i: f"meter_set_rates {n} {i} 0.5:10 1:20", NAMES, NUMBERS),
    st.just("wait"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_random_commands(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        commands = parse_stf(text, "fuzz.stf")
    except StfSyntaxError:
        return
    runner = StfRunner(PROGRAM, Switch(PROGRAM), filename="fuzz.stf")
    try:
        result = runner.run(commands)
    except StfError as exc:
        assert str(exc).startswith("fuzz.stf:")
        return
    assert isinstance(result.report(), str)
    assert all(w.startswith("fuzz.stf:") for w in result.warnings)
