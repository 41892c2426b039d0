"""The preprocessor: includes, macros, conditionals, line markers and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from softp4.compiler.preprocess import PreprocessError, preprocess, preprocess_source


def lines_of(text: str) -> list[str]:
    """The output lines that are not line markers, stripped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("# ")]


def test_object_like_macro_and_marker() -> None:
    out = preprocess_source("#define W 16\nbit<W> x;\n", "p.p4")
    assert out.splitlines()[0] == '# 2 "p.p4"'
    assert lines_of(out) == ["bit<16> x;"]


def test_function_like_macro_with_nested_arguments() -> None:
    out = preprocess_source("#define ADD(a, b) ((a) + (b))\nx = ADD(f(1, 2), 3);\n")
    assert lines_of(out) == ["x = ((f(1, 2)) + (3));"]


def test_macro_call_spanning_lines_keeps_first_line() -> None:
    out = preprocess_source("#define ADD(a, b) a+b\nx = ADD(1,\n 2);\ny;\n", "m.p4")
    assert out.splitlines() == ['# 2 "m.p4"', "x = 1+2;", "", "y;"]


def test_stringify_and_paste() -> None:
    out = preprocess_source('#define S(x) #x\n#define C(a, b) a ## b\nS(hi "there") C(foo, _bar)\n')
    assert lines_of(out) == ['"hi \\"there\\"" foo_bar']


def test_recursive_macro_is_not_expanded_again() -> None:
    out = preprocess_source("#define X X + 1\nX\n")
    assert lines_of(out) == ["X + 1"]


def test_macro_not_expanded_in_strings() -> None:
    out = preprocess_source('#define A 5\nlog_msg("A is {}", A);\n')
    assert lines_of(out) == ['log_msg("A is {}", 5);']


def test_undef() -> None:
    out = preprocess_source("#define A 1\n#undef A\nA\n")
    assert lines_of(out) == ["A"]


@pytest.mark.parametrize(
    ("cond", "taken"),
    [
        ("defined(A)", True),
        ("defined B", False),
        ("!defined(B) && A == 3", True),
        ("A * 2 + 1 > 6", True),
        ("(A << 4) == 0x30", True),
        ("A > 3 ? 1 : 0", False),
        ("UNKNOWN", False),
        ("A % 2 && A / 3 == 1", True),
    ],
)
def test_if_expressions(cond: str, taken: bool) -> None:
    out = preprocess_source(f"#define A 3\n#if {cond}\nyes\n#else\nno\n#endif\n")
    assert lines_of(out) == (["yes"] if taken else ["no"])


def test_elif_chain_and_nesting() -> None:
    src = (
        "#define V 2\n#if V == 1\none\n#elif V == 2\n#ifdef NOPE\nnope\n#else\ntwo\n#endif\n"
        "#elif V == 2\nagain\n#else\nother\n#endif\n"
    )
    assert lines_of(preprocess_source(src)) == ["two"]


def test_skipped_block_may_hold_bad_directives() -> None:
    out = preprocess_source("#if 0\n#error not me\n#bogus\n#endif\nok\n")
    assert lines_of(out) == ["ok"]


def test_defines_from_command_line() -> None:
    out = preprocess_source("#ifdef WITH_X\nX = SIZE;\n#endif\n", defines={"WITH_X": None, "SIZE": "1024"})
    assert lines_of(out) == ["X = 1024;"]


def test_comments_removed_and_lines_kept() -> None:
    src = "a; // one\n/* two\n   three */ b;\nc /* x */ d;\n"
    out = preprocess_source(src, "c.p4")
    assert out.splitlines() == ['# 1 "c.p4"', "a; ", "", "            b;", "c         d;"]


def test_comment_markers_inside_strings_are_kept() -> None:
    out = preprocess_source('x = "a // b /* c */";\n')
    assert lines_of(out) == ['x = "a // b /* c */";']


def test_line_continuation_in_define() -> None:
    out = preprocess_source("#define LONG(a) \\\n  (a + \\\n   1)\nLONG(2)\n")
    assert lines_of(out) == ["(2 + 1)"]


def test_include_quoted_searches_including_directory_first(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "h.p4").write_text("from_sub;\n")
    (tmp_path / "inc" / "h.p4").write_text("from_inc;\n")
    (tmp_path / "sub" / "main.p4").write_text('#include "h.p4"\nafter;\n')
    out = preprocess(tmp_path / "sub" / "main.p4", include_dirs=[tmp_path / "inc"])
    assert lines_of(out) == ["from_sub;", "after;"]
    marks = [ln for ln in out.splitlines() if ln.startswith("# ")]
    assert marks == [f'# 1 "{tmp_path / "sub" / "h.p4"}"', f'# 2 "{tmp_path / "sub" / "main.p4"}"']


def test_include_angled_uses_include_dirs_then_softp4(tmp_path: Path) -> None:
    (tmp_path / "h.p4").write_text("local;\n")
    (tmp_path / "main.p4").write_text("#include <h.p4>\n")
    with pytest.raises(PreprocessError, match=r"cannot find include file 'h\.p4'"):
        preprocess(tmp_path / "main.p4")
    assert lines_of(preprocess(tmp_path / "main.p4", include_dirs=[tmp_path])) == ["local;"]


def test_core_and_v1model_are_found() -> None:
    out = preprocess_source("#include <core.p4>\n#include <v1model.p4>\n")
    assert "extern packet_in {" in out
    assert "package V1Switch<H, M>(Parser<H, M> p," in out
    assert "const bit<32> __v1model_version = 20180101;" in out


def test_v1model_version_20200408_selects_typed_indices() -> None:
    out = preprocess_source("#include <core.p4>\n#define V1MODEL_VERSION 20200408\n#include <v1model.p4>\n")
    assert "typedef bit<9> PortId_t;" in out
    assert "extern register<T, I> {" in out
    assert "extern register<T> {" not in out


def test_include_guard_and_pragma_once(tmp_path: Path) -> None:
    (tmp_path / "g.p4").write_text("#ifndef G\n#define G\nguarded;\n#endif\n")
    (tmp_path / "o.p4").write_text("#pragma once\nonce;\n")
    (tmp_path / "m.p4").write_text('#include "g.p4"\n#include "g.p4"\n#include "o.p4"\n#include "o.p4"\n')
    assert lines_of(preprocess(tmp_path / "m.p4")) == ["guarded;", "once;"]


def test_line_directive() -> None:
    out = preprocess_source('#line 100 "other.p4"\nx;\ny;\n', "a.p4")
    assert out.splitlines() == ['# 100 "other.p4"', "x;", "y;"]


@pytest.mark.parametrize(
    ("src", "message", "line"),
    [
        ("a;\n#if 1\nb;\n", "unterminated #if (missing #endif)", 2),
        ("#endif\n", "#endif without #if", 1),
        ("x;\n#else\n", "#else without #if", 2),
        ("#if 1\n#else\n#else\n#endif\n", "#else after #else", 3),
        ('#include "nowhere.p4"\n', "cannot find include file 'nowhere.p4'", 1),
        ("\n\n#error stop here\n", "#error stop here", 3),
        ("#frobnicate\n", "invalid preprocessing directive '#frobnicate'", 1),
        ("#define F(a) a\nF(1, 2)\n", "macro 'F' requires 1 arguments, but 2 given", 2),
        ("#if (1\n#endif\n", "invalid #if expression: unexpected end of expression", 1),
        ("#if 1 / 0\n#endif\n", "invalid #if expression: division by zero", 1),
        ("#define\n", "#define requires a macro name", 1),
        ("x /* open\n", "unterminated comment", 1),
        ("#define F(a) a\nF(1,\n", "unterminated macro call", 2),
    ],
)
def test_errors_name_file_and_line(src: str, message: str, line: int) -> None:
    with pytest.raises(PreprocessError) as info:
        preprocess_source(src, "bad.p4")
    assert info.value.message == message
    assert (info.value.file, info.value.line) == ("bad.p4", line)
    assert str(info.value).startswith(f"bad.p4:{line}:1: error: ")


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "inc.p4").write_text("ok;\n#error inner\n")
    (tmp_path / "m.p4").write_text('#include "inc.p4"\n')
    with pytest.raises(PreprocessError) as info:
        preprocess(tmp_path / "m.p4")
    assert (info.value.file, info.value.line) == (str(tmp_path / "inc.p4"), 2)


def test_missing_file() -> None:
    with pytest.raises(PreprocessError, match="cannot read"):
        preprocess("/nonexistent/prog.p4")


def test_warning_directive_is_collected() -> None:
    warnings: list[str] = []
    preprocess_source("#warning careful\n", "w.p4", warnings=warnings)
    assert warnings == ["w.p4:1:1: warning: #warning careful"]


def test_short_gap_is_blank_lines_long_gap_a_marker() -> None:
    src = "a;\n#if 0\n" + "x;\n" * 5 + "#endif\nb;\n#if 0\n" + "x;\n" * 8 + "#endif\nc;\n"
    out = preprocess_source(src, "g.p4").splitlines()
    # 7 lines left out before b (blank lines, as cpp writes them), 10 before c (a marker)
    assert out == ['# 1 "g.p4"', "a;", *[""] * 7, "b;", '# 20 "g.p4"', "c;"]


def test_string_over_several_lines_keeps_its_comments() -> None:
    src = '@restrict("\n  // not a comment\n  x /* nor this */ != 0;\n")\ntable t;  // a comment\n'
    out = preprocess_source(src, "s.p4").splitlines()
    assert out == ['# 1 "s.p4"', '@restrict("', "  // not a comment", "  x /* nor this */ != 0;", '")', "table t;  "]


def test_directive_inside_string_over_several_lines_leaves_blank_lines() -> None:
    src = '@restrict("\n  a;\n#ifdef NOPE\n  b;\n#endif\n  c;\n")\n'
    out = preprocess_source(src, "s.p4").splitlines()
    assert out == ['# 1 "s.p4"', '@restrict("', "  a;", "", "", "", "  c;", '")']
