"""Flags of the real tools that softp4 does not implement: refused by name, never silently ignored.

`add_refused(parser, table)` adds each flag of `table` (flag -> (nargs, why)) so that giving it is a
usage error (exit status 2) that names the flag and says why, e.g.
``softp4 switch: error: --nanolog: BMv2's nanomsg event log is not supported by softp4``.
"""

from __future__ import annotations

import argparse
from typing import Any

#: flag -> (argparse nargs: 0, 1, "?", ...; the reason given when it is refused)
RefusedTable = dict[str, tuple[str | int, str]]


class _Refused(argparse.Action):
    def __init__(self, option_strings: list[str], dest: str, why: str = "", **kwargs: Any) -> None:
        self.why = why
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        parser.error(f"{option}: {self.why}")


def add_refused(parser: argparse.ArgumentParser, table: RefusedTable) -> None:
    for flag, (nargs, why) in table.items():
        kwargs: dict[str, Any] = {} if nargs == 1 else {"nargs": nargs}
        parser.add_argument(flag, action=_Refused, why=why, dest=f"refused{flag}", **kwargs)
