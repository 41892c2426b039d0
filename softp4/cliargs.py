"""What every command line of the project shares: one-line errors, exit statuses, checked numbers.

Exit statuses, the same in every tool: 0 all went well; 1 the work failed (an input file that does not
exist or cannot be used, a program that does not compile, a switch that cannot start); 2 the command line
itself is wrong (an unknown option, a missing or malformed value, a number out of its range).

`Parser.error` (argparse's usage errors) prints one line, `PROG: error: WHAT (see PROG --help)`, with no
usage text in front; `Parser.fail` is the one line of a failed work. `integer(lo, hi)` and `number(lo, hi)`
build argparse `type=` converters that refuse what is out of range with the range in the message.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn

USAGE = 2
FAILED = 1


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line: usage mistakes exit 2, inputs that cannot be used exit 1."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def fail(self, message: str) -> NoReturn:
        self.exit(FAILED, f"{self.prog}: error: {message}\n")

    def require_file(self, path: Path | None, what: str = "") -> None:
        """Exit 1 naming `path` when it is given but is not a readable file."""
        self._require(path, what, directory=False)

    def require_dir(self, path: Path | None, what: str = "") -> None:
        """Exit 1 naming `path` when it is given but is not a directory."""
        self._require(path, what, directory=True)

    def _require(self, path: Path | None, what: str, *, directory: bool) -> None:
        if path is None:
            return
        prefix = f"{what} " if what else ""
        if directory:
            if not path.is_dir():
                self.fail(f"{prefix}{path}: {'not a directory' if path.exists() else 'no such directory'}")
            return
        if path.is_dir():
            self.fail(f"{prefix}{path}: is a directory, not a file")
        if not path.is_file():
            self.fail(f"{prefix}{path}: no such file")
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            self.fail(f"{prefix}{path}: cannot read: {exc.strerror or exc}")


def integer(lo: int, hi: int | None = None, what: str = "number") -> Callable[[str], int]:
    """A `type=` converter: an integer (decimal, or 0x.. hex) in lo..hi (hi None: no upper bound)."""

    def convert(text: str) -> int:
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole {what}") from None
        if value < lo or (hi is not None and value > hi):
            span = f"{lo}..{hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"{what} {value} is out of range ({span})")
        return value

    return convert


def number(lo: float, hi: float | None = None, what: str = "number", *, below: bool = False,
           above: bool = False) -> Callable[[str], float]:
    """A `type=` converter: a finite number from lo (above=True: greater than lo) to hi (below=True: less)."""

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a {what}") from None
        low_ok = value > lo if above else value >= lo
        high_ok = hi is None or (value < hi if below else value <= hi)
        if not math.isfinite(value) or not low_ok or not high_ok:
            left = f"above {lo:g}" if above else f"from {lo:g}"
            right = "" if hi is None else f" {'up to (not including)' if below else 'to'} {hi:g}"
            raise argparse.ArgumentTypeError(f"{what} {text}: give a number {left}{right}")
        return value

    return convert


def _end_while_loading(signum: int, frame: object) -> None:
    os.write(2, f"{_loading_tool}: interrupted\n".encode())
    os._exit(130)


_loading_tool = "interrupted"


def interrupt_ends_loading(tool: str) -> None:
    """Ctrl-C before `tool` has loaded its modules ends it at once: one line and exit 130, where Python would
    print the traceback of whichever import it was in (nothing has started yet that needs stopping). Call it
    before the heavy imports of a program's entry point, and `interrupts_raise` once they are done."""
    global _loading_tool
    _loading_tool = tool
    signal.signal(signal.SIGINT, _end_while_loading)


def interrupts_raise() -> None:
    """Ctrl-C raises KeyboardInterrupt again (Python's own handler), so the program's cleanup runs."""
    if signal.getsignal(signal.SIGINT) is _end_while_loading:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def closest(name: str, known: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The known name most like `name` (a likely typo of it), or None when none is close enough."""
    import difflib

    found = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str], cutoff: float = 0.5) -> str:
    """" (did you mean 'x'?)" after an unknown `name`, or "" when no known name is close."""
    match = closest(name, known, cutoff)
    return f" (did you mean '{match}'?)" if match else ""
