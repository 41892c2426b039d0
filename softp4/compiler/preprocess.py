"""The C-style preprocessor that P4 programs use.

`preprocess(path)` and `preprocess_source(text)` expand `#include`, `#define`
(object-like and function-like, with `#` and `##`), `#undef`, the conditional
directives with `defined()` and integer expressions, `#error`, `#warning`,
`#line` and `#pragma once`. Comments are removed (except inside a string
literal, which may run over several lines). The output carries line markers
`# <line> "<file>"` whenever the origin of the next line is not the line after
the previous one (a gap of fewer than 8 lines in the same file is filled with
blank lines instead, as cpp does), so the lexer can name each token's real
file and line. The first line of the output is always a marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

P4INCLUDE_DIR = Path(__file__).resolve().parent / "p4include"

MAX_INCLUDE_DEPTH = 200

# Up to this many lines left out (by #if, directives, comments over several lines) are written as
# blank lines rather than a line marker, as cpp does.
MAX_BLANK_LINES = 8


class PreprocessError(Exception):
    """A preprocessing error at a file and line."""

    def __init__(self, message: str, file: str, line: int, col: int = 1, source_line: str = "") -> None:
        super().__init__(f"{file}:{line}:{col}: error: {message}")
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line


@dataclass
class Macro:
    """A `#define`: `params` is None for object-like macros."""

    name: str
    body: list[str]
    params: list[str] | None = None
    variadic: bool = False


@dataclass
class _Cond:
    """One level of `#if` nesting."""

    active: bool  # this branch's lines are emitted
    taken: bool  # some branch of this group was already taken
    parent_active: bool
    file: str
    line: int
    seen_else: bool = False


@dataclass
class _Line:
    """A logical line: continuations spliced, comments removed."""

    text: str
    line: int  # first physical line
    span: int  # number of physical lines it covers


@dataclass
class _State:
    include_dirs: list[Path]
    macros: dict[str, Macro] = field(default_factory=dict)
    once: set[Path] = field(default_factory=set)
    out: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    last_file: str | None = None
    last_line: int = 0
    depth: int = 0

    def emit(self, text: str, file: str, line: int) -> None:
        gap = line - self.last_line - 1
        if file == self.last_file and 0 <= gap < MAX_BLANK_LINES:
            # a few lines left out become blank lines, as cpp writes them (a marker in the middle
            # of a string literal running over several lines would end up in the string)
            self.out.extend([""] * gap)
        else:
            self.out.append(f'# {line} "{_escape(file)}"')
        self.out.append(text)
        self.last_file = file
        self.last_line = line


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


# ---------------------------------------------------------------------------
# Entry points


def preprocess(
    path: str | Path,
    include_dirs: Iterable[str | Path] = (),
    defines: Mapping[str, str | None] | None = None,
) -> str:
    """Preprocess the file at `path`; returns the text with line markers."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise PreprocessError(f"cannot read '{path}': {exc.strerror or exc}", str(path), 0) from None
    return preprocess_source(text, str(path), include_dirs, defines)


def preprocess_source(
    source: str,
    filename: str = "<source>",
    include_dirs: Iterable[str | Path] = (),
    defines: Mapping[str, str | None] | None = None,
    warnings: list[str] | None = None,
) -> str:
    """Preprocess `source` as if read from `filename` (its directory is searched by `#include "x"`)."""
    state = _State(include_dirs=[Path(d) for d in include_dirs])
    for name, value in (defines or {}).items():
        if not _IDENT_RE.fullmatch(name):
            raise PreprocessError(f"invalid macro name '{name}' in -D", "<command line>", 1)
        state.macros[name] = Macro(name, _tokenize("1" if value is None else str(value)))
    _process(state, source, filename, Path(filename).resolve().parent)
    if warnings is not None:
        warnings.extend(state.warnings)
    return "\n".join(state.out) + "\n"


# ---------------------------------------------------------------------------
# Lines: splicing and comment removal


def _logical_lines(text: str, file: str) -> list[_Line]:
    """Splice backslash-newlines and replace comments by a space, keeping line origins."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    # splice continuations
    spliced: list[_Line] = []
    i = 0
    while i < len(physical):
        start = i
        parts = [physical[i]]
        while parts[-1].endswith("\\") and i + 1 < len(physical):
            parts[-1] = parts[-1][:-1]
            i += 1
            parts.append(physical[i])
        if parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1]
        spliced.append(_Line("".join(parts), start + 1, i - start + 1))
        i += 1
    # remove comments (block comments may join lines); a string literal may run over several lines
    # (p4c's lexer allows it, and cpp passes it through): comment markers inside it are its text
    result: list[_Line] = []
    in_block = False
    in_string = False
    block_start = 0
    acc: list[str] = []
    acc_line = 0
    acc_span = 0
    for ln in spliced:
        s = ln.text
        if not in_block:
            acc = []
            acc_line = ln.line
            acc_span = 0
        acc_span += ln.span
        j = 0
        n = len(s)
        piece: list[str] = []
        if in_string:
            k = _string_end(s, 0)
            in_string = k > n
            piece.append(s[:k])
            j = k
        while j < n:
            if in_block:
                end = s.find("*/", j)
                if end < 0:
                    j = n
                    break
                in_block = False
                if ln.line != block_start and not ("".join(acc) + "".join(piece)).strip():
                    # nothing before the comment: the logical line starts here
                    acc = []
                    piece = []
                    acc_line = ln.line
                    acc_span = ln.span
                piece.append(" " * (end + 2 - j))
                j = end + 2
                continue
            c = s[j]
            if c == '"':
                k = _string_end(s, j + 1)
                in_string = k > n
                piece.append(s[j:k])
                j = k
            elif c == "/" and j + 1 < n and s[j + 1] == "/":
                break
            elif c == "/" and j + 1 < n and s[j + 1] == "*":
                in_block = True
                block_start = ln.line
                close = s.find("*/", j + 2)
                if close >= 0:
                    piece.append(" " * (close + 2 - j))
                    in_block = False
                    j = close + 2
                else:
                    j += 2
            else:
                k = j
                while k < n and s[k] not in '"/':
                    k += 1
                if k == j:
                    k += 1
                piece.append(s[j:k])
                j = k
        acc.append("".join(piece))
        if not in_block:
            result.append(_Line("".join(acc), acc_line, acc_span))
    if in_block:
        raise PreprocessError("unterminated comment", file, block_start)
    return result


def _string_end(s: str, j: int) -> int:
    """Where the string literal whose text goes on at `s[j]` ends: just past its closing quote,
    or `len(s) + 1` when it goes on past the end of the line."""
    n = len(s)
    while j < n and s[j] != '"':
        j += 2 if s[j] == "\\" else 1
    return j + 1 if j < n else n + 1


# ---------------------------------------------------------------------------
# Tokens

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\f\v]+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9][A-Za-z0-9_']*(?:\.[0-9]+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"?)
  | (?P<punct>\#\#|<<=|>>=|&&&|\.\.|<<|>>|<=|>=|==|!=|&&|\|\||\+\+|--|\+\||-\||\|\+\||\|-\||.)
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[str]:
    return [m.group(0) for m in _TOKEN_RE.finditer(text)]


def _body_tokens(text: str) -> list[str]:
    """Tokens of a macro body: outer whitespace dropped, inner runs become one space."""
    return [" " if t.isspace() else t for t in _strip(_tokenize(text))]


def _is_ident(tok: str) -> bool:
    return bool(tok) and (tok[0].isalpha() or tok[0] == "_")


def _is_ws(tok: str) -> bool:
    return tok.isspace()


# ---------------------------------------------------------------------------
# Macro expansion


def _expand(
    tokens: list[str],
    macros: Mapping[str, Macro],
    disabled: frozenset[str],
    where: tuple[str, int],
) -> list[str]:
    """Expand macros in `tokens`; `disabled` holds the names being expanded (no recursion)."""
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        macro = macros.get(tok) if _is_ident(tok) and tok not in disabled else None
        if macro is None:
            if tok == "__LINE__":
                out.append(str(where[1]))
            elif tok == "__FILE__":
                out.append(f'"{_escape(where[0])}"')
            else:
                out.append(tok)
            i += 1
            continue
        if macro.params is None:
            out.extend(_expand(macro.body, macros, disabled | {tok}, where))
            i += 1
            continue
        j = i + 1
        while j < n and _is_ws(tokens[j]):
            j += 1
        if j >= n or tokens[j] != "(":
            out.append(tok)
            i += 1
            continue
        args, end = _collect_args(tokens, j, where, tok)
        body = _substitute(macro, args, macros, disabled, where)
        out.extend(_expand(body, macros, disabled | {tok}, where))
        i = end
    return out


def _collect_args(tokens: list[str], lparen: int, where: tuple[str, int], name: str) -> tuple[list[list[str]], int]:
    """Arguments of a macro call starting at `tokens[lparen] == '('`; returns (args, index after ')')."""
    args: list[list[str]] = [[]]
    depth = 0
    k = lparen + 1
    while k < len(tokens):
        t = tokens[k]
        if t in "([{" and t:
            depth += 1
        elif t in ")]}" and t:
            if depth == 0 and t == ")":
                return [_strip(a) for a in args], k + 1
            depth -= 1
        elif t == "," and depth == 0:
            args.append([])
            k += 1
            continue
        args[-1].append(t)
        k += 1
    raise PreprocessError(f"unterminated argument list invoking macro '{name}'", where[0], where[1])


def _strip(toks: list[str]) -> list[str]:
    a, b = 0, len(toks)
    while a < b and _is_ws(toks[a]):
        a += 1
    while b > a and _is_ws(toks[b - 1]):
        b -= 1
    return toks[a:b]


def _substitute(
    macro: Macro,
    args: list[list[str]],
    macros: Mapping[str, Macro],
    disabled: frozenset[str],
    where: tuple[str, int],
) -> list[str]:
    params = macro.params or []
    if len(params) == 0 and args == [[]]:
        args = []
    if macro.variadic:
        fixed = len(params) - 1
        if len(args) < fixed:
            raise PreprocessError(
                f"macro '{macro.name}' requires at least {fixed} arguments, but {len(args)} given",
                where[0],
                where[1],
            )
        rest: list[str] = []
        for idx, a in enumerate(args[fixed:]):
            if idx:
                rest.append(",")
            rest.extend(a)
        args = [*args[:fixed], rest]
    elif len(args) != len(params):
        raise PreprocessError(
            f"macro '{macro.name}' requires {len(params)} arguments, but {len(args)} given",
            where[0],
            where[1],
        )
    index = {p: k for k, p in enumerate(params)}
    body = macro.body
    result: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        tok = body[i]
        if tok == "#" and macro.params is not None:
            j = i + 1
            while j < n and _is_ws(body[j]):
                j += 1
            if j < n and body[j] in index:
                text = "".join(" " if _is_ws(t) else t for t in args[index[body[j]]])
                result.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
                i = j + 1
                continue
        nxt = i + 1
        while nxt < n and _is_ws(body[nxt]):
            nxt += 1
        prev_paste = bool(result) and _last_nonws(result) == "##"
        next_paste = nxt < n and body[nxt] == "##"
        if tok in index:
            arg = args[index[tok]]
            if prev_paste or next_paste:
                result.extend(arg)
            else:
                result.extend(_expand(arg, macros, disabled, where))
        else:
            result.append(tok)
        i += 1
    return _paste(result)


def _last_nonws(toks: list[str]) -> str:
    for t in reversed(toks):
        if not _is_ws(t):
            return t
    return ""


def _paste(toks: list[str]) -> list[str]:
    if "##" not in toks:
        return toks
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "##":
            while out and _is_ws(out[-1]):
                out.pop()
            j = i + 1
            while j < len(toks) and _is_ws(toks[j]):
                j += 1
            left = out.pop() if out else ""
            right = toks[j] if j < len(toks) else ""
            out.extend(_tokenize(left + right) or [""])
            i = j + 1
            continue
        out.append(t)
        i += 1
    return out


# ---------------------------------------------------------------------------
# #if expressions


class _ExprError(Exception):
    pass


def _eval_condition(text: str, state: _State, file: str, line: int) -> bool:
    toks = [t for t in _tokenize(text)]
    # replace defined X / defined(X) before expansion
    replaced: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "defined":
            j = i + 1
            while j < len(toks) and _is_ws(toks[j]):
                j += 1
            paren = j < len(toks) and toks[j] == "("
            if paren:
                j += 1
                while j < len(toks) and _is_ws(toks[j]):
                    j += 1
            if j >= len(toks) or not _is_ident(toks[j]):
                raise PreprocessError("'defined' without a macro name", file, line)
            name = toks[j]
            j += 1
            if paren:
                while j < len(toks) and _is_ws(toks[j]):
                    j += 1
                if j >= len(toks) or toks[j] != ")":
                    raise PreprocessError("missing ')' after 'defined'", file, line)
                j += 1
            replaced.append("1" if name in state.macros else "0")
            i = j
            continue
        replaced.append(t)
        i += 1
    expanded = _expand(replaced, state.macros, frozenset(), (file, line))
    items = [t for t in expanded if not _is_ws(t)]
    if not items:
        raise PreprocessError("#if with no expression", file, line)
    try:
        parser = _CondParser(items)
        value = parser.parse()
    except _ExprError as exc:
        raise PreprocessError(f"invalid #if expression: {exc}", file, line) from None
    return value != 0


_BINARY_PREC = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}


class _CondParser:
    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        self.pos = 0

    def peek(self) -> str:
        return self.toks[self.pos] if self.pos < len(self.toks) else ""

    def take(self) -> str:
        t = self.peek()
        if not t:
            raise _ExprError("unexpected end of expression")
        self.pos += 1
        return t

    def parse(self) -> int:
        v = self.ternary()
        if self.pos != len(self.toks):
            raise _ExprError(f"unexpected '{self.peek()}'")
        return v

    def ternary(self) -> int:
        cond = self.binary(1)
        if self.peek() == "?":
            self.take()
            a = self.ternary()
            if self.take() != ":":
                raise _ExprError("expected ':'")
            b = self.ternary()
            return a if cond else b
        return cond

    def binary(self, min_prec: int) -> int:
        left = self.unary()
        while True:
            op = self.peek()
            prec = _BINARY_PREC.get(op)
            if prec is None or prec < min_prec:
                return left
            self.take()
            right = self.binary(prec + 1)
            left = self.apply(op, left, right)

    @staticmethod
    def apply(op: str, a: int, b: int) -> int:
        if op in ("/", "%") and b == 0:
            raise _ExprError("division by zero")
        return {
            "||": lambda: int(bool(a) or bool(b)),
            "&&": lambda: int(bool(a) and bool(b)),
            "|": lambda: a | b,
            "^": lambda: a ^ b,
            "&": lambda: a & b,
            "==": lambda: int(a == b),
            "!=": lambda: int(a != b),
            "<": lambda: int(a < b),
            ">": lambda: int(a > b),
            "<=": lambda: int(a <= b),
            ">=": lambda: int(a >= b),
            "<<": lambda: a << b if b >= 0 else 0,
            ">>": lambda: a >> b if b >= 0 else 0,
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: int(a / b),
            "%": lambda: a - b * int(a / b),
        }[op]()

    def unary(self) -> int:
        t = self.take()
        if t == "(":
            v = self.ternary()
            if self.take() != ")":
                raise _ExprError("expected ')'")
            return v
        if t == "!":
            return int(not self.unary())
        if t == "~":
            return ~self.unary()
        if t == "-":
            return -self.unary()
        if t == "+":
            return self.unary()
        if _is_ident(t):
            if t in ("true",):
                return 1
            return 0
        if t[0].isdigit():
            return _parse_int(t)
        if t.startswith("'"):
            raise _ExprError("character constants are not supported")
        raise _ExprError(f"unexpected '{t}'")


def _parse_int(tok: str) -> int:
    t = tok.rstrip("uUlL")
    try:
        if t.lower().startswith("0x"):
            return int(t[2:].replace("_", ""), 16)
        if t.lower().startswith("0b"):
            return int(t[2:].replace("_", ""), 2)
        if len(t) > 1 and t.startswith("0") and t.isdigit():
            return int(t, 8)
        return int(t.replace("_", ""), 10)
    except ValueError:
        raise _ExprError(f"invalid integer '{tok}'") from None


# ---------------------------------------------------------------------------
# Directives

_DIRECTIVE_RE = re.compile(r"^\s*#\s*([A-Za-z_]\w*|[0-9]+)?(.*)$", re.DOTALL)


def _find_include(name: str, angled: bool, current_dir: Path, include_dirs: Sequence[Path]) -> Path | None:
    candidates: list[Path] = []
    if not angled:
        candidates.append(current_dir)
    candidates.extend(include_dirs)
    candidates.append(P4INCLUDE_DIR)
    for d in candidates:
        p = d / name
        if p.is_file():
            return p
    return None


def _process(state: _State, text: str, file: str, current_dir: Path) -> None:
    lines = _logical_lines(text, file)
    conds: list[_Cond] = []
    display_file = file
    line_offset = 0  # adjusts line numbers after #line
    pending: list[str] = []  # tokens of a macro call continued onto following lines
    pending_line = 0

    def active() -> bool:
        return not conds or conds[-1].active

    idx = 0
    while idx < len(lines):
        ln = lines[idx]
        idx += 1
        lineno = ln.line + line_offset
        m = _DIRECTIVE_RE.match(ln.text) if ln.text.lstrip().startswith("#") else None
        if m is None:
            if not active():
                continue
            toks = _tokenize(ln.text)
            if pending:
                toks = [*pending, " ", *toks]
                pending = []
                lineno = pending_line
            if _unfinished_call(toks, state.macros):
                pending = toks
                pending_line = lineno
                continue
            expanded = _expand(toks, state.macros, frozenset(), (display_file, lineno))
            state.emit("".join(expanded), display_file, lineno)
            continue
        name = m.group(1) or ""
        rest = m.group(2).strip()
        where = (display_file, lineno)
        if name in ("if", "ifdef", "ifndef"):
            parent = active()
            if not parent:
                value = False
            elif name == "if":
                value = _eval_condition(rest, state, *where)
            else:
                ident = _single_ident(rest, name, where)
                value = (ident in state.macros) == (name == "ifdef")
            conds.append(_Cond(active=parent and value, taken=value, parent_active=parent, file=where[0], line=lineno))
            continue
        if name in ("elif", "else", "endif"):
            if not conds:
                raise PreprocessError(f"#{name} without #if", *where)
            top = conds[-1]
            if name == "endif":
                conds.pop()
                continue
            if top.seen_else:
                raise PreprocessError(f"#{name} after #else", *where)
            if name == "else":
                top.seen_else = True
                top.active = top.parent_active and not top.taken
                top.taken = True
            else:
                if top.parent_active and not top.taken:
                    value = _eval_condition(rest, state, *where)
                    top.active = value
                    top.taken = value
                else:
                    top.active = False
            continue
        if not active():
            continue
        if name == "define":
            _define(state, rest, where)
        elif name == "undef":
            state.macros.pop(_single_ident(rest, name, where), None)
        elif name == "include":
            _include(state, rest, where, current_dir)
            # resynchronise the line marker
            state.last_file = None
        elif name == "error":
            raise PreprocessError(f"#error {rest}".rstrip(), *where)
        elif name == "warning":
            state.warnings.append(f"{where[0]}:{where[1]}:1: warning: #warning {rest}".rstrip())
        elif name == "pragma":
            if rest == "once":
                state.once.add(Path(file).resolve())
            # other pragmas are ignored
        elif name == "line" or name.isdigit():
            spec = rest if name == "line" else f"{name} {rest}"
            parts = _tokenize(spec)
            parts = [p for p in _expand(parts, state.macros, frozenset(), where) if not _is_ws(p)]
            if not parts or not parts[0].isdigit():
                raise PreprocessError("#line requires a line number", *where)
            new_line = int(parts[0])
            line_offset = new_line - (ln.line + ln.span)
            if len(parts) > 1 and parts[1].startswith('"'):
                display_file = parts[1][1:-1].replace('\\"', '"').replace("\\\\", "\\")
            state.last_file = None
        elif name == "":
            continue  # null directive
        else:
            raise PreprocessError(f"invalid preprocessing directive '#{name}'", *where)
    if pending:
        raise PreprocessError("unterminated macro call", display_file, pending_line)
    if conds:
        c = conds[-1]
        raise PreprocessError("unterminated #if (missing #endif)", c.file, c.line)


def _unfinished_call(toks: list[str], macros: Mapping[str, Macro]) -> bool:
    """True if the line ends inside the argument list of a function-like macro call."""
    i = len(toks) - 1
    depth = 0
    # walk backwards to find an unmatched '(' preceded by a function-like macro name
    while i >= 0:
        t = toks[i]
        if t == ")":
            depth += 1
        elif t == "(":
            if depth == 0:
                j = i - 1
                while j >= 0 and _is_ws(toks[j]):
                    j -= 1
                if j >= 0 and toks[j] in macros and macros[toks[j]].params is not None:
                    return True
            else:
                depth -= 1
        i -= 1
    return False


def _single_ident(rest: str, directive: str, where: tuple[str, int]) -> str:
    m = _IDENT_RE.match(rest)
    if m is None:
        raise PreprocessError(f"#{directive} requires a macro name", *where)
    return m.group(0)


def _define(state: _State, rest: str, where: tuple[str, int]) -> None:
    m = _IDENT_RE.match(rest)
    if m is None:
        raise PreprocessError("#define requires a macro name", *where)
    name = m.group(0)
    after = rest[m.end() :]
    if after.startswith("("):
        close = after.find(")")
        if close < 0:
            raise PreprocessError(f"missing ')' in parameter list of macro '{name}'", *where)
        raw = [p.strip() for p in after[1:close].split(",")]
        if raw == [""]:
            raw = []
        variadic = False
        params: list[str] = []
        for k, p in enumerate(raw):
            if p == "..." and k == len(raw) - 1:
                variadic = True
                params.append("__VA_ARGS__")
            elif _IDENT_RE.fullmatch(p):
                params.append(p)
            else:
                raise PreprocessError(f"invalid parameter '{p}' in macro '{name}'", *where)
        body = _body_tokens(after[close + 1 :])
        state.macros[name] = Macro(name, body, params, variadic)
    else:
        state.macros[name] = Macro(name, _body_tokens(after))


def _include(state: _State, rest: str, where: tuple[str, int], current_dir: Path) -> None:
    spec = rest
    if not spec.startswith(('"', "<")):
        spec = "".join(_expand(_tokenize(spec), state.macros, frozenset(), where)).strip()
    if spec.startswith('"'):
        end = spec.find('"', 1)
        angled = False
    elif spec.startswith("<"):
        end = spec.find(">", 1)
        angled = True
    else:
        raise PreprocessError('#include expects "FILE" or <FILE>', *where)
    if end < 0:
        raise PreprocessError("missing terminating character in #include", *where)
    name = spec[1:end]
    path = _find_include(name, angled, current_dir, state.include_dirs)
    if path is None:
        raise PreprocessError(f"cannot find include file '{name}'", *where)
    resolved = path.resolve()
    if resolved in state.once:
        return
    if state.depth >= MAX_INCLUDE_DEPTH:
        raise PreprocessError(f"#include nested too deeply (including '{name}')", *where)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise PreprocessError(f"cannot read include file '{name}': {exc.strerror or exc}", *where) from None
    state.depth += 1
    try:
        _process(state, text, str(path), resolved.parent)
    finally:
        state.depth -= 1
