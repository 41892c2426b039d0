"""Warnings in p4c's words: constants that do not fit their type, and deprecated declarations.

The expected texts are what p4c-bm2-ss 1.2.5 prints for the same statement (after its `file(line):
[--Wwarn=kind] warning: `; softp4 keeps its own `file:line:col: warning: ` prefix, see docs/softp4.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from softp4.compiler.cli import main
from softp4.compiler.driver import compile_source
from softp4.compiler.errors import CompileError

PROGRAM = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> f; int<8> s; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; } }
control VC(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    @deprecated("Use go instead.")
    action old() { }
    apply {
        STATEMENT
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply { } }
control CC(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def warnings_of(statement: str) -> list[str]:
    result = compile_source(PROGRAM.replace("STATEMENT", statement), filename="w.p4")
    return [w.splitlines()[0] for w in result.warnings]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("h.h.f = 8w300;", "w.p4:13:17: warning: 8w300: value does not fit in 8 bits"),
        ("h.h.f = 300;", "w.p4:13:17: warning: 8w300: value does not fit in 8 bits"),
        ("h.h.f = 0x100;", "w.p4:13:17: warning: 8w0x100: value does not fit in 8 bits"),
        ("h.h.f = 8w0b100000000;", "w.p4:13:17: warning: 8w0b100000000: value does not fit in 8 bits"),
        ("h.h.f = 300 + 1;", "warning: 8w301: value does not fit in 8 bits"),
        ("h.h.f = h.h.f + 0x1FF;", "warning: 8w0x1ff: value does not fit in 8 bits"),
        ("h.h.f = -1;", "w.p4:13:17: warning: -8w1: negative value with unsigned type"),
        ("h.h.s = 8s200;", "w.p4:13:17: warning: 8s200: signed value does not fit in 8 bits"),
        ("h.h.s = 200;", "w.p4:13:17: warning: 8s200: signed value does not fit in 8 bits"),
        ("h.h.f = (bit<8>)(4s9 ++ 4w1);", "warning: 4s9: signed value does not fit in 4 bits"),
        ("old();", "w.p4:13:9: warning: old: Using deprecated feature old. Use go instead."),
        ("mark_to_drop(s); resubmit({});",
         "warning: resubmit: Using deprecated feature resubmit. Please use 'resubmit_preserving_field_list' instead"),
    ],
)
def test_warnings_match_p4c(statement: str, expected: str) -> None:
    found = warnings_of(statement)
    assert len(found) == 1 and found[0].endswith(expected), found


@pytest.mark.parametrize(
    "statement",
    ["h.h.f = (bit<8>)300;", "h.h.f = (bit<8>)(-1);", "h.h.f = -8w1;", "h.h.f = 8w255;", "h.h.s = -128;",
     "mark_to_drop(s);"],
)
def test_no_warning_where_p4c_gives_none(statement: str) -> None:
    assert warnings_of(statement) == []


def test_mark_to_drop_without_argument_is_refused_as_p4c_does(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = PROGRAM.replace("STATEMENT", "mark_to_drop();")
    with pytest.raises(CompileError) as err:
        compile_source(source, filename="w.p4")
    assert err.value.diagnostics[0].format().splitlines()[0] == (
        "w.p4:13:9: error: Expected 1 argument for mark_to_drop(). Are you using an up-to-date v1model.p4?"
    )
    path = tmp_path / "w.p4"
    path.write_text(source)
    assert main([str(path), "-o", str(tmp_path / "w.json")]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line or ": error: " in line]
    assert [line.split(": ", 2)[1] for line in lines] == ["warning", "error"]  # p4c's order: the warning first
    assert "Using deprecated feature mark_to_drop. Please use mark_to_drop(standard_metadata) instead." in lines[0]
    assert not (tmp_path / "w.json").exists()
