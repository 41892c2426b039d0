"""Diagnostics of the compiler: source locations, errors and warnings.

Every stage reports problems as `Diagnostic`s carrying a `SourceLocation`.
A diagnostic prints as a block of three lines::

    prog.p4:12:17: error: no field 'dstAdr' in header ethernet_t
            hdr.ethernet.dstAdr = 0;
                         ^

`CompileError` is the exception a stage raises; it carries one or more
diagnostics and its `str()` is their blocks joined by newlines.  Warnings are
`Diagnostic`s with severity ``"warning"``; stages collect them in a
`DiagnosticSink`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, eq=False)
class SourceLocation:
    """A point in a source file: 1-based line and column.

    `text` is the whole source line the point lies on (without its newline),
    used to print the caret line; it does not take part in comparisons.
    """

    file: str
    line: int
    col: int
    text: str | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceLocation):
            return NotImplemented
        return (self.file, self.line, self.col) == (other.file, other.line, other.col)

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.col))


#: The location of things that have none (built-in declarations).
BUILTIN = SourceLocation("<builtin>", 0, 0)


def caret_lines(loc: SourceLocation) -> list[str]:
    """The source line of `loc` and a caret under its column (empty if the line is unknown)."""
    if loc.text is None:
        return []
    text = loc.text.rstrip("\r\n")
    # Keep tabs in the prefix so the caret lines up whatever the tab width.
    prefix = "".join(ch if ch == "\t" else " " for ch in text[: max(loc.col - 1, 0)])
    return [text, prefix + "^"]


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning at one place."""

    severity: Severity
    message: str
    loc: SourceLocation | None = None

    def format(self) -> str:
        """The printed block: `file:line:col: severity: message`, source line, caret line."""
        if self.loc is None:
            return f"{self.severity}: {self.message}"
        lines = [f"{self.loc}: {self.severity}: {self.message}", *caret_lines(self.loc)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class CompileError(Exception):
    """A program the compiler rejects; `diagnostics` says where and why."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, loc: SourceLocation | None = None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic("error", diagnostics, loc)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        #: the warnings of the stages that ran before the error, formatted (printed before it, as p4c does)
        self.warnings: list[str] = []
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)

    @property
    def message(self) -> str:
        """The message of the first diagnostic, without location."""
        return self.diagnostics[0].message if self.diagnostics else ""


def error(message: str, loc: SourceLocation | None) -> CompileError:
    """A `CompileError` with a single error diagnostic (to `raise`)."""
    return CompileError([Diagnostic("error", message, loc)])


def unsupported(what: str, loc: SourceLocation | None) -> CompileError:
    """The error for a construct softp4 does not implement; names the construct."""
    return error(f"{what} is not supported by softp4", loc)


class DiagnosticSink:
    """Collects diagnostics of a stage; `check()` raises if any error was recorded.
    `max_errors` is how many errors a stage should collect before it gives up."""

    def __init__(self, max_errors: int = 20) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.max_errors = max_errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def error(self, message: str, loc: SourceLocation | None) -> None:
        self.diagnostics.append(Diagnostic("error", message, loc))

    def warning(self, message: str, loc: SourceLocation | None) -> None:
        self.diagnostics.append(Diagnostic("warning", message, loc))

    def add(self, err: CompileError) -> None:
        """Record the diagnostics of a caught `CompileError`."""
        self.diagnostics.extend(err.diagnostics)

    def check(self) -> None:
        """Raise a `CompileError` with every error so far, if there is any."""
        errs = self.errors
        if errs:
            raise CompileError(errs)


#: How deep the recursive-descent parser and the checker may recurse (Python frames).  Python
#: 3.11 runs Python-to-Python calls without growing the C stack, so this is safe far beyond the
#: default of 1,000; it lets long else-if chains and long operator chains through.
RECURSION_LIMIT = 40_000


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise the interpreter's recursion limit to `RECURSION_LIMIT` for the duration."""
    old = sys.getrecursionlimit()
    if old >= RECURSION_LIMIT:
        yield
        return
    sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
