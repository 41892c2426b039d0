"""The P4-16 lexer: preprocessed source text -> a list of `Token`s.

One compiled regular expression with an alternative per token class is run
with `finditer` over the whole text: every alternative is anchored by a
distinct first character class, so there is no backtracking across tokens.
Line markers written by the preprocessor (``# 12 "file.p4"`` or
``#line 12 "file.p4"``) reset the file and line that token locations report,
so errors point into the original files.

Token kinds: ``"ID"`` (identifiers, including the contextual keywords
``apply key actions state entries type priority list``, which the parser
recognises by text), ``"INT"`` (`value` is ``(value, width, signed)``),
``"STRING"`` (`value` is the unescaped text), one kind per reserved keyword
(the keyword itself, e.g. ``"header"``), one per punctuation (its text, e.g.
``"&&&"``), and ``"EOF"``.  ``>>`` is never one token: the parser joins two
adjacent ``>`` (so ``bit<bit<8>>`` needs no special case).  Whether an
identifier names a type is decided by the parser, which knows the types
declared so far (the lexer feedback P4 needs).
"""

from __future__ import annotations

import re
from typing import Any

from softp4.compiler.errors import CompileError, SourceLocation

KEYWORDS = frozenset(
    """abstract action bit bool break const continue control default else enum error exit extern false
    for header header_union if in inout int match_kind out package parser return select string struct
    switch table this transition true tuple typedef value_set varbit void""".split()
)

#: Identifiers with a meaning only in some places; lexed as ``ID``.
CONTEXTUAL_KEYWORDS = frozenset({"apply", "key", "actions", "state", "entries", "type", "priority", "list"})

_PUNCT = [
    "|+|=", "|-|=", "<<=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",  # compound assignment
    "&&&", "|+|", "|-|", "...", "..", "<<", "<=", ">=", "==", "!=", "&&", "||", "++",
    "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "=", ";", ",", ".", ":", "?",
    "(", ")", "{", "}", "[", "]", "@",
]  # fmt: skip

_TOKEN_RE = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v\ufeff]+)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*[^*]*\*+(?:[^/*][^*]*\*+)*/)
  | (?P<ubc>/\*)
  | (?P<invalid>\{[ \t]*\#[ \t]*\})
  | (?P<hash>\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<int>[0-9][0-9a-zA-Z_]*)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>"""
    + "|".join(re.escape(p) for p in _PUNCT)
    + r""")
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_MARKER_RE = re.compile(r'#\s*(?:line\s+)?(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?[^\n]*$')

_INT_RE = re.compile(
    r"(?:(?P<width>[0-9]+)(?P<sign>[wsWS]))?"
    r"(?:0(?P<base>[xXbBoOdD])(?P<digits>[0-9a-fA-F_]+)|(?P<dec>[0-9][0-9_]*))$"
)

_BASES = {"x": 16, "b": 2, "o": 8, "d": 10}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "0": "\0", "'": "'"}


class Token:
    """One token: `kind`, `text` as written, `value` for literals, `loc`, and the
    `start`/`end` offsets in the lexed text (for raw annotation bodies)."""

    __slots__ = ("end", "kind", "loc", "start", "text", "value")

    def __init__(self, kind: str, text: str, loc: SourceLocation, start: int, end: int,
                 value: Any = None) -> None:
        self.kind = kind
        self.text = text
        self.loc = loc
        self.start = start
        self.end = end
        self.value: Any = value

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.loc})"


def parse_int_literal(text: str, loc: SourceLocation) -> tuple[int, int | None, bool]:
    """``8w5`` -> (5, 8, False); ``4s3`` -> (3, 4, True); ``0x_FF`` -> (255, None, False)."""
    m = _INT_RE.match(text)
    if m is None:
        raise CompileError(f"malformed integer literal '{text}'", loc)
    width: int | None = None
    signed = False
    if m.group("width") is not None:
        width = int(m.group("width"))
        signed = m.group("sign") in "sS"
        if width == 0 and not signed:
            pass
        elif width <= 0:
            raise CompileError(f"integer literal '{text}' has zero width", loc)
    if m.group("base") is not None:
        base = _BASES[m.group("base").lower()]
        digits = m.group("digits").replace("_", "")
        try:
            value = int(digits, base)
        except ValueError:
            raise CompileError(f"malformed integer literal '{text}'", loc) from None
    else:
        value = int(m.group("dec").replace("_", ""))
    return value, width, signed


def _unescape(body: str, loc: SourceLocation) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(text: str, file: str = "<input>") -> list[Token]:
    """Split `text` into tokens; the last is ``EOF``.  Raises `CompileError` on a
    character that starts no token, an unterminated comment or string, or a
    preprocessor directive left in the text."""
    lines = text.split("\n")
    tokens: list[Token] = []
    append = tokens.append
    phys = 0  # physical line index in `text`
    line = 1  # logical line reported
    line_start = 0
    cur_file = file
    line_text = lines[0] if lines else ""
    keywords = KEYWORDS

    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        start = m.start()
        if kind == "nl":
            phys += 1
            line += 1
            line_start = start + 1
            line_text = lines[phys] if phys < len(lines) else ""
            continue
        if kind == "ws" or kind == "lc":
            continue
        tok_text = m.group()
        if kind == "bc":
            n = tok_text.count("\n")
            if n:
                phys += n
                line += n
                line_start = start + tok_text.rfind("\n") + 1
                line_text = lines[phys]
            continue
        loc = SourceLocation(cur_file, line, start - line_start + 1, line_text)
        if kind == "id":
            append(Token(tok_text if tok_text in keywords else "ID", tok_text, loc, start, m.end()))
        elif kind == "punct":
            append(Token(tok_text, tok_text, loc, start, m.end()))
        elif kind == "invalid":  # `{#}`: the invalid header expression, three tokens
            for i, ch in enumerate(tok_text):
                if ch in "{#}":
                    at = SourceLocation(cur_file, line, start + i - line_start + 1, line_text)
                    append(Token(ch, ch, at, start + i, start + i + 1))
        elif kind == "int":
            append(Token("INT", tok_text, loc, start, m.end(), parse_int_literal(tok_text, loc)))
        elif kind == "str":
            append(Token("STRING", tok_text, loc, start, m.end(), _unescape(tok_text[1:-1], loc)))
            n = tok_text.count("\n")  # a string may run over several lines, as p4c allows
            if n:
                phys += n
                line += n
                line_start = start + tok_text.rfind("\n") + 1
                line_text = lines[phys]
        elif kind == "hash":
            if text[line_start:start].strip():
                raise CompileError("unexpected '#'", loc)
            mm = _MARKER_RE.match(tok_text)
            if mm is None:
                word = tok_text[1:].strip().split(None, 1)
                what = f"#{word[0]}" if word else "#"
                raise CompileError(f"preprocessor directive '{what}' left in the source "
                                   "(the program must be preprocessed first)", loc)
            # The marker gives the number of the next line.
            line = int(mm.group(1)) - 1
            if mm.group(2) is not None:
                cur_file = _unescape(mm.group(2), loc)
        elif kind == "ubc":
            raise CompileError("unterminated comment", loc)
        else:  # bad
            if tok_text == '"':
                raise CompileError("unterminated string literal", loc)
            raise CompileError(f"unexpected character '{tok_text}'", loc)
    if tokens:
        # Point just past the last token: the end of the text is often an empty line.
        last = tokens[-1].loc
        eof_loc = SourceLocation(last.file, last.line, last.col + len(tokens[-1].text), last.text)
    else:
        eof_loc = SourceLocation(cur_file, line, 1, line_text)
    append(Token("EOF", "end of file", eof_loc, len(text), len(text)))
    return tokens
