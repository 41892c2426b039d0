"""Every program in broken/ must be rejected with a clean diagnostic.

Each file's first line is ``// error: <text>``; compiling it must raise
`CompileError` (no other exception) whose first diagnostic contains <text>,
points into the file with a line and column, and prints as
``file:line:col: error: message`` followed by the source line and a caret.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from softp4.compiler.driver import compile_source
from softp4.compiler.errors import CompileError

BROKEN = Path(__file__).parent / "broken"
PROGRAMS = sorted(BROKEN.glob("*.p4"))


def expected_message(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    m = re.match(r"//\s*error:\s*(.+)$", first)
    assert m, f"{path.name}: first line must be '// error: <message>'"
    return m.group(1).strip()


def test_there_are_enough_broken_programs() -> None:
    assert len(PROGRAMS) >= 30


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_broken_program_gives_clean_error(path: Path) -> None:
    want = expected_message(path)
    with pytest.raises(CompileError) as info:
        compile_source(path.read_text(), filename=str(path))
    err = info.value
    assert err.diagnostics, "a CompileError without diagnostics"
    first = err.diagnostics[0]
    assert first.severity == "error"
    assert want in first.message, f"expected {want!r} in {first.message!r}"
    assert first.loc is not None and first.loc.line > 0 and first.loc.col > 0
    text = str(err)
    block = text.splitlines()
    assert re.match(r"^.+:\d+:\d+: error: ", block[0]), block[0]
    if first.loc.file == str(path):
        # the printed source line is the line the location names, and the caret is under the column
        source_lines = path.read_text().splitlines()
        assert block[1] == source_lines[first.loc.line - 1]
        assert block[2].index("^") == first.loc.col - 1
