"""STF tests, compiled from P4, of simple_switch behaviours the p4c corpus depends on:
optional `_` in const entries, and drops of packets whose priority has no queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from softp4.stf.parser import parse_stf
from softp4.stf.session import compile_p4, run_commands, run_test

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["optional_dont_care", "priority_drop"])
def test_passes(name: str) -> None:
    result = run_test(compile_p4(DATA / f"{name}.p4"), DATA / f"{name}.stf")
    assert result.passed, result.report()


def test_optional_dont_care_never_falls_to_the_default_action() -> None:
    program = compile_p4(DATA / "optional_dont_care.p4")
    # the default action would send it to port 9: a `_` matching only 0 would show here
    result = run_commands(program, parse_stf("packet 0 55 1234 00\nexpect 9 55 1234 09 $\n", "t.stf"), Path("t.stf"))
    assert not result.passed
    assert [(p.port, [r.hex() for r in p.received]) for p in result.ports] == [(0, []), (9, [])]


def test_priority_drop_is_in_the_trace() -> None:
    program = compile_p4(DATA / "priority_drop.p4")
    lines: list[str] = []
    run_commands(program, parse_stf("packet 0 05 01\n", "t.stf"), Path("t.stf"), log=lines.append)
    assert "[1.0] Priority 5 out of range (1 queue(s) per port, see --priority-queues), dropping packet" in lines
