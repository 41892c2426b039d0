"""The P4-16 lexer: token kinds, literal values, locations and line markers."""

from __future__ import annotations

import pytest

from softp4.compiler.errors import CompileError, SourceLocation
from softp4.compiler.lexer import parse_int_literal, tokenize

LOC = SourceLocation("t.p4", 1, 1)


def kinds(text: str) -> list[str]:
    return [t.kind for t in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", (5, None, False)),
        ("8w5", (5, 8, False)),
        ("4s3", (3, 4, True)),
        ("0x1F", (31, None, False)),
        ("0X_ff_ff", (65535, None, False)),
        ("16w0x800", (2048, 16, False)),
        ("0b1010", (10, None, False)),
        ("8w0b1111_0000", (240, 8, False)),
        ("0o17", (15, None, False)),
        ("0d99", (99, None, False)),
        ("1_000", (1000, None, False)),
        ("32s0xFFFF", (65535, 32, True)),
    ],
)
def test_integer_literals(text: str, value: tuple[int, int | None, bool]) -> None:
    assert parse_int_literal(text, LOC) == value
    (tok, eof) = tokenize(text)
    assert tok.kind == "INT" and tok.value == value and tok.text == text
    assert eof.kind == "EOF"


def test_keywords_identifiers_and_contextual_keywords() -> None:
    toks = tokenize("header apply key actions state entries type priority headerX _ bit")
    assert [t.kind for t in toks] == ["header", "ID", "ID", "ID", "ID", "ID", "ID", "ID", "ID", "ID", "bit", "EOF"]
    assert [t.text for t in toks[1:9]] == ["apply", "key", "actions", "state", "entries", "type", "priority",
                                           "headerX"]


def test_punctuation_longest_match_and_split_shift() -> None:
    assert kinds("a &&& b |+| c |-| d .. e ++ f && g") == [
        "ID", "&&&", "ID", "|+|", "ID", "|-|", "ID", "..", "ID", "++", "ID", "&&", "ID", "EOF"]
    # '>>' is two '>' tokens; the parser joins adjacent ones
    toks = tokenize("bit<bit<8>> x >> 2")
    assert [t.kind for t in toks].count(">") == 4
    assert toks[5].end == toks[6].start and toks[8].end == toks[9].start


def test_strings_with_escapes() -> None:
    (tok, _) = tokenize(r'"a\"b\\c\n"')
    assert tok.kind == "STRING"
    assert tok.value == 'a"b\\c\n'
    assert tok.text == r'"a\"b\\c\n"'


def test_string_over_several_lines_and_lines_counted_after_it() -> None:
    toks = tokenize('@a("x\n  // y\n") b\n c')
    assert toks[3].kind == "STRING" and toks[3].value == "x\n  // y\n"
    assert (toks[3].loc.line, toks[3].loc.col) == (1, 4)
    assert [(t.text, t.loc.line, t.loc.col, t.loc.text) for t in toks[5:7]] == [("b", 3, 4, '") b'), ("c", 4, 2, " c")]


def test_comments_are_skipped_and_lines_counted() -> None:
    toks = tokenize("a // one\n/* two\nthree */ b\n  c")
    assert [(t.text, t.loc.line, t.loc.col) for t in toks[:3]] == [("a", 1, 1), ("b", 3, 10), ("c", 4, 3)]
    assert toks[2].loc.text == "  c"


def test_line_markers_set_file_and_line() -> None:
    text = '# 1 "main.p4"\nx\n# 40 "inc/lib.p4"\n  y\nz\n#line 7 "other.p4"\nw\n'
    toks = tokenize(text, "pp.p4")
    got = [(t.text, t.loc.file, t.loc.line, t.loc.col) for t in toks[:-1]]
    assert got == [("x", "main.p4", 1, 1), ("y", "inc/lib.p4", 40, 3), ("z", "inc/lib.p4", 41, 1),
                   ("w", "other.p4", 7, 1)]
    assert toks[1].loc.text == "  y"


def test_line_marker_without_file_keeps_file() -> None:
    toks = tokenize('# 10 "a.p4"\nx\n# 20\ny\n')
    assert [(t.loc.file, t.loc.line) for t in toks[:2]] == [("a.p4", 10), ("a.p4", 20)]


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ("x = $;", "unexpected character '$'", 1, 5),
        ('a\n  "abc', "unterminated string literal", 2, 3),
        ("/* never closed", "unterminated comment", 1, 1),
        ("const x = 0xZZ;", "malformed integer literal '0xZZ'", 1, 11),
        ("#include <core.p4>", "preprocessor directive '#include' left in the source", 1, 1),
    ],
)
def test_lexical_errors(text: str, message: str, line: int, col: int) -> None:
    with pytest.raises(CompileError) as info:
        tokenize(text, "bad.p4")
    d = info.value.diagnostics[0]
    assert message in d.message
    assert (d.loc.file, d.loc.line, d.loc.col) == ("bad.p4", line, col)  # type: ignore[union-attr]


def test_error_block_has_source_line_and_caret() -> None:
    with pytest.raises(CompileError) as info:
        tokenize("header h {\n\tbit<8> $x;\n}", "h.p4")
    assert str(info.value) == "h.p4:2:9: error: unexpected character '$'\n\tbit<8> $x;\n\t       ^"


def test_eof_token_points_past_last_token() -> None:
    toks = tokenize("a b\n\n")
    assert toks[-1].kind == "EOF"
    assert (toks[-1].loc.line, toks[-1].loc.col) == (1, 4)
