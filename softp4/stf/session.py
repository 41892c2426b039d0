"""One STF test from files: load or compile the program, build a switch, run the commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from softp4.stf.parser import parse_stf_file
from softp4.stf.runner import StfError, StfResult, StfRunner
from softp4.stf.syntax import Command


def load_json(path: Path) -> dict[str, Any]:
    """A BMv2 JSON program from a file; StfError naming the file if it is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StfError(f"{path}: error: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise StfError(f"{path}: error: not a BMv2 JSON program (top level is not an object)")
    return data


def compile_p4(
    path: Path,
    include_dirs: Iterable[str | Path] = (),
    defines: Mapping[str, str | None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Compile a P4-16 program with softp4's compiler; StfError with the diagnostics if it fails."""
    from softp4.compiler import CompileError, compile_file

    includes = [path.parent, *include_dirs]
    try:
        result = compile_file(path, include_dirs=includes, defines=dict(defines or {}))
    except CompileError as exc:
        raise StfError(str(exc).rstrip()) from None
    except Exception as exc:
        raise StfError(f"{path}: error: internal compiler error: {type(exc).__name__}: {exc}") from None
    if warn is not None:
        for warning in result.warnings:
            warn(warning)
    return result.bmv2_json


def run_test(
    program: dict[str, Any],
    stf: Path,
    log: Callable[[str], None] | None = None,
    where: str = "program",
) -> StfResult:
    """Run the STF file `stf` on a fresh switch loaded with `program`."""
    return run_commands(program, parse_stf_file(stf), stf, log, where)


def run_commands(
    program: dict[str, Any],
    commands: Sequence[Command],
    stf: Path,
    log: Callable[[str], None] | None = None,
    where: str = "program",
) -> StfResult:
    """Run parsed STF commands (from the file `stf`) on a fresh switch loaded with `program`."""
    from softp4.switch.errors import SwitchError
    from softp4.switch.switch import Switch

    try:
        switch = Switch(program, trace=log)
    except SwitchError as exc:
        raise StfError(f"{where}: error: the switch cannot load the program: {exc}") from None
    return StfRunner(program, switch, filename=str(stf), log=log).run(commands)


def suite_tests(directory: Path, pattern: str = "*.stf") -> list[tuple[Path, Path]]:
    """(program, stf) pairs of a directory: each `<name>.stf` matching `pattern` with `<name>.p4`
    (or `<name>.json`); p4c's corpus pairs `x-bmv2.p4` with `x-bmv2.stf` the same way."""
    pairs = []
    for stf in sorted(directory.glob(pattern)):
        for suffix in (".p4", ".json"):
            program = stf.with_suffix(suffix)
            if program.is_file():
                pairs.append((program, stf))
                break
    return pairs
