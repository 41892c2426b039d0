"""The compiler's pipeline: preprocess, parse, check, then BMv2 JSON and P4Info.

`compile_file` and `compile_source` run every stage and return a
`CompileResult`; any problem with the program raises `CompileError` whose
diagnostics name file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softp4.compiler.bmv2 import to_bmv2_json
from softp4.compiler.errors import CompileError, Diagnostic, SourceLocation
from softp4.compiler.preprocess import PreprocessError, preprocess_source

__all__ = ["TARGET_DEFINES", "CompileResult", "compile_file", "compile_source"]

#: Macros p4c-bm2-ss defines for every program (programs test them with #ifdef).
TARGET_DEFINES: dict[str, str] = {
    "__TARGET_BMV2__": "1",
    "__p4c__": "1",
    "__p4c_major__": "1",
    "__p4c_minor__": "2",
    "__p4c_patchlevel__": "5",
    "__p4c_version__": '"1.2.5"',
}


@dataclass
class CompileResult:
    """What the compiler produces for one program."""

    bmv2_json: dict[str, Any]
    p4info: Any  # finsy.proto.p4i.P4Info
    warnings: list[str] = field(default_factory=list)
    program: Any = None  # the checked softp4.compiler.ast.Program


def compile_file(
    path: str | Path,
    *,
    include_dirs: Iterable[str | Path] = (),
    defines: Mapping[str, str | None] | None = None,
    undefines: Iterable[str] = (),
) -> CompileResult:
    """Compile the P4-16 (v1model) program in `path`."""
    text = _read(path)
    return compile_source(text, filename=str(path), include_dirs=include_dirs, defines=defines, undefines=undefines)


def _read(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CompileError(f"cannot read '{path}': {exc.strerror or exc}") from None
    nul = data.find(b"\0")
    if nul >= 0:  # printing such a "line" would put raw bytes on the terminal
        line = data.count(b"\n", 0, nul) + 1
        col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise CompileError(f"{path} is not a text file (a NUL byte): give the P4-16 source",
                           SourceLocation(str(path), line, col))
    return data.decode("utf-8", errors="replace")


def _macros(defines: Mapping[str, str | None] | None, undefines: Iterable[str]) -> dict[str, str | None]:
    """p4c-bm2-ss's own macros, then -D, then -U (which also removes the target's macros, as cpp's -U)."""
    all_defines: dict[str, str | None] = dict(TARGET_DEFINES)
    all_defines.update(defines or {})
    for name in undefines:
        all_defines.pop(name, None)
    return all_defines


def preprocess_file(
    path: str | Path,
    *,
    include_dirs: Iterable[str | Path] = (),
    defines: Mapping[str, str | None] | None = None,
    undefines: Iterable[str] = (),
) -> str:
    """The preprocessed text of a program (what `-E` prints), with the macros a compile would see."""
    text = _read(path)
    try:
        return preprocess_source(text, str(path), include_dirs, _macros(defines, undefines))
    except PreprocessError as exc:
        raise _from_preprocess(exc, text, str(path)) from None


def compile_source(
    source: str,
    *,
    filename: str = "<source>",
    include_dirs: Iterable[str | Path] = (),
    defines: Mapping[str, str | None] | None = None,
    undefines: Iterable[str] = (),
) -> CompileResult:
    """Compile P4-16 source text; `filename` is used in diagnostics and for `#include "x"`."""
    all_defines = _macros(defines, undefines)
    pp_warnings: list[str] = []
    try:
        text = preprocess_source(source, filename, include_dirs, all_defines, warnings=pp_warnings)
    except PreprocessError as exc:
        raise _from_preprocess(exc, source, filename) from None
    checked, check_warnings = _front_end(text, filename)
    warnings = pp_warnings + check_warnings
    json_warnings: list[Diagnostic] = []
    try:
        bmv2_json = to_bmv2_json(checked.program, program_name=filename, warnings=json_warnings)
    except CompileError as exc:
        exc.warnings = warnings + [d.format() for d in json_warnings]
        raise
    warnings += [d.format() for d in json_warnings]
    p4info = _p4info(checked)
    return CompileResult(bmv2_json=bmv2_json, p4info=p4info, warnings=warnings, program=checked.program)


def _from_preprocess(exc: PreprocessError, source: str, filename: str) -> CompileError:
    text: str | None = exc.source_line or None
    if text is None and exc.line > 0:
        lines: list[str] | None = None
        if exc.file == filename:
            lines = source.splitlines()
        else:
            try:
                lines = Path(exc.file).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = None
        if lines is not None and exc.line <= len(lines):
            text = lines[exc.line - 1]
    loc = SourceLocation(exc.file, exc.line, exc.col, text) if exc.line > 0 else None
    return CompileError([Diagnostic("error", exc.message, loc)])


def _front_end(text: str, filename: str) -> tuple[Any, list[str]]:
    """Parse and check the preprocessed text; returns the checked program and warnings."""
    from softp4.compiler.parser import parse
    from softp4.compiler.typecheck import check_program

    program = parse(text, filename)
    checked = check_program(program)
    return checked, [d.format() for d in checked.warnings]


def _p4info(checked: Any) -> Any:
    """The P4Info message of the checked program (the P4Info back end's entry point)."""
    from softp4.compiler.p4info import p4info_from_program

    return p4info_from_program(checked)
