"""Every corpus program in tests/p4programs with a `<name>.stf` beside it passes its packet test,
and the same test with one expected nibble changed fails (so each test can fail)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from softp4.stf.parser import parse_stf_file
from softp4.stf.session import compile_p4, run_test, suite_tests
from softp4.stf.syntax import Expect

CORPUS = Path(__file__).parents[1] / "p4programs"
PAIRS = suite_tests(CORPUS) if CORPUS.is_dir() else []


@functools.cache
def compiled(program: Path) -> dict[str, Any]:
    return compile_p4(program)


def _mutate(stf: Path, out: Path) -> bool:
    """Write `stf` with the first fixed nibble of its first data expect changed; False if none."""
    commands = parse_stf_file(stf)
    expects = [c for c in commands if isinstance(c, Expect) and c.pattern and c.pattern.strip("*")]
    expect = expects[0] if expects else None
    if expect is None:
        return False
    lines = stf.read_text().splitlines()
    line = lines[expect.line - 1]
    head, _, data = line.partition("expect")
    port, _, rest = data.strip().partition(" ")
    i = next(i for i, ch in enumerate(rest) if ch not in " *")
    flipped = "0" if rest[i].upper() != "0" else "1"
    lines[expect.line - 1] = f"{head}expect {port} {rest[:i]}{flipped}{rest[i + 1:]}"
    out.write_text("\n".join(lines) + "\n")
    return True


@pytest.mark.skipif(not PAIRS, reason="no corpus programs with STF tests yet")
@pytest.mark.parametrize(("program", "stf"), PAIRS, ids=[stf.stem for _, stf in PAIRS])
def test_corpus_stf(program: Path, stf: Path, tmp_path: Path) -> None:
    json_program = compiled(program)
    result = run_test(json_program, stf)
    assert result.passed, result.report()
    assert not result.warnings
    mutated = tmp_path / stf.name
    if _mutate(stf, mutated):
        assert not run_test(json_program, mutated).passed

