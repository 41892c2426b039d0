"""`softp4 compile` (a stand-in for `p4c-bm2-ss`) and `softp4 p4c` (for the `p4c` driver).

    softp4 compile prog.p4 -o prog.json --p4runtime-files prog.p4info.txtpb [-I DIR] [-D NAME[=VALUE]]
    softp4 p4c --target bmv2 --arch v1model -o build/ prog.p4 --p4runtime-files build/prog.p4info.txt

Writes the BMv2 JSON (`-o`, default `<prog>.json` next to the input) and the
P4Info files listed in `--p4runtime-files` (format chosen by extension:
`.txt`/`.txtpb` text, `.json` JSON, `.bin`/`.pb` binary).  Exit status 0 on
success; 1 with the diagnostics on stderr when the program is rejected; 2 for
bad command-line usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from softp4.cliargs import Parser
from softp4.cliflags import RefusedTable, add_refused
from softp4.compiler.errors import CompileError

P4INFO_FORMATS = {".txt": "text", ".txtpb": "text", ".json": "json", ".bin": "binary", ".pb": "binary"}


def _define(text: str) -> tuple[str, str | None]:
    name, sep, value = text.partition("=")
    if not name or not (name[0].isalpha() or name[0] == "_") or not name.replace("_", "a").isalnum():
        raise argparse.ArgumentTypeError(f"invalid macro name in -D {text!r}")
    return name, (value if sep else None)


class _Macro(argparse.Action):
    """-D and -U in command-line order, as cpp takes them."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        macros: list[tuple[str, str, str | None]] = getattr(namespace, "macros", None) or []
        if option == "-U":
            macros.append(("U", str(values), None))
        else:
            try:
                name, value = _define(str(values))
            except argparse.ArgumentTypeError as exc:
                parser.error(str(exc))
            macros.append(("D", name, value))
        namespace.macros = macros


#: p4c flags that softp4 refuses, with how many values each takes and why.
REFUSED: RefusedTable = {
    "--emit-externs": (0, "softp4 emits only v1model's externs"),
    "--pp": (1, "pretty-printing the program is not supported by softp4"),
    "--toJSON": (1, "p4c's IR dump is not supported by softp4"),
    "--fromJSON": (1, "p4c's IR dump is not supported by softp4"),
    "--top4": (1, "dumping p4c passes is not supported by softp4"),
    "--dump": (1, "dumping p4c passes is not supported by softp4"),
    "-T": (1, "p4c's source-file logging is not supported by softp4"),
    "--ndebug": (0, "softp4 always keeps assert and assume"),
    "--p4runtime-entries-file": (1, "P4Runtime entries files are not supported by softp4"),
    "--p4runtime-entries-files": (1, "P4Runtime entries files are not supported by softp4"),
    "--loopsUnroll": (0, "softp4 runs loops as BMv2 jumps; it does not unroll them"),
    "-O": (1, "optimization levels are not supported by softp4"),
    "--metrics": (1, "compilation metrics are not supported by softp4"),
    "--nocpp": (0, "softp4 always preprocesses"),
    "--disable-annotations": (1, "disabling annotations is not supported by softp4"),
    "--maxErrorCount": (1, "softp4 reports every error"),
    "--parser-inline-opt": (0, "parser inlining is not supported by softp4"),
    "--doNotEmitIncludes": (0, "not supported by softp4"),
    "--excludeFrontendPasses": (1, "p4c passes are not supported by softp4"),
    "--excludeMidendPasses": (1, "p4c passes are not supported by softp4"),
    "--listFrontendPasses": (0, "p4c passes are not supported by softp4"),
    "--listMidendPasses": (0, "p4c passes are not supported by softp4"),
    "--testJson": (0, "not supported by softp4"),
    "-M": (0, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-MD": (0, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-MF": (1, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-MG": (0, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-MP": (0, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-MT": (1, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-MQ": (1, "dependency output (-M, -MD, -MF, ...) is not supported by softp4"),
    "-v": (0, "p4c's verbose logging is not supported by softp4"),
    "--Winfo": ("?", "softp4 has no informational diagnostics"),
}

#: Further flags of the `p4c` driver that softp4 refuses.
DRIVER_REFUSED: RefusedTable = {
    "-g": (0, "debug information is not supported by softp4"),
    "-S": (0, "there is no assembler stage in softp4"),
    "-e": (0, "softp4 always preprocesses"),
    "-x": (1, "softp4 takes only P4-16 sources"),
    "--Xp4c": (1, "passing options through to p4c is not supported by softp4"),
    "-Xp4c": (1, "passing options through to p4c is not supported by softp4"),
    "-Xpreprocessor": (1, "passing options to cpp is not supported by softp4"),
    "-Xassembler": (1, "there is no assembler stage in softp4"),
    "-Xlinker": (1, "there is no linker stage in softp4"),
    "--debug": (0, "not supported by softp4"),
    "--test-only": (0, "not supported by softp4"),
    "--help-pragmas": (0, "not supported by softp4"),
    "--pragma-help": (0, "not supported by softp4"),
    "--help-targets": (0, "softp4's only target is bmv2 (v1model)"),
    "--target-help": (0, "softp4's only target is bmv2 (v1model)"),
}


def _common(p: argparse.ArgumentParser, refused: RefusedTable) -> None:
    """The flags p4c-bm2-ss and the p4c driver share."""
    p.add_argument("source", nargs="?", help="the P4-16 program")
    p.add_argument(
        "--p4runtime-files",
        metavar="FILES",
        default="",
        help="comma-separated P4Info outputs; format by extension: .txt/.txtpb, .json, .bin/.pb",
    )
    p.add_argument("--p4runtime-file", metavar="FILE", help="one P4Info output (p4c's older form)")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR", help="include directory")
    p.add_argument("-D", dest="macros", action=_Macro, metavar="NAME[=VALUE]", help="define a macro")
    p.add_argument("-U", dest="macros", action=_Macro, metavar="NAME", help="undefine a macro")
    p.add_argument("-E", dest="preprocess_only", action="store_true", help="preprocess only; print the program")
    p.add_argument("--std", default="p4-16", help="language: only p4-16 (p4_16) is supported")
    p.add_argument("--p4v", default="16", help="language version: only 16 is supported")
    p.add_argument("--arch", default="v1model", help="architecture: only v1model is supported")
    # softp4's diagnostics have no names: --Werror=name is a usage error ("ignored explicit argument")
    p.add_argument("--Werror", action="store_true", help="warnings are errors (exit status 1)")
    p.add_argument("--Wdisable", action="store_true", help="do not print warnings")
    p.add_argument("--Wwarn", action="store_true", help="warnings stay warnings (the default)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    add_refused(p, refused)


def build_arg_parser() -> argparse.ArgumentParser:
    """`softp4 compile`: p4c-bm2-ss's command line (-o is the JSON file)."""
    p = Parser(prog="softp4 compile", description="Compile a P4-16 v1model program to BMv2 JSON and P4Info.")
    _common(p, REFUSED)
    p.add_argument("-o", "--output", metavar="FILE", help="BMv2 JSON output (default: <source>.json)")
    p.add_argument(
        "--p4runtime-format",
        choices=["text", "json", "binary"],
        default="binary",
        help="format of --p4runtime-file (default binary, as p4c)",
    )
    p.add_argument("--target", default="bmv2", help="target: only bmv2 is supported")
    return p


def build_driver_parser() -> argparse.ArgumentParser:
    """`softp4 p4c`: the p4c driver's command line (-o is a directory; <prog>.json and <prog>.p4i go there)."""
    p = Parser(prog="softp4 p4c", description="Compile like p4c's driver: BMv2 JSON into an output directory.")
    _common(p, {**REFUSED, **DRIVER_REFUSED})
    p.add_argument("-o", "--output", metavar="DIR", default=".", help="output directory (default .)")
    p.add_argument("-b", "--target", default="bmv2", help="target: only bmv2 is supported")
    p.add_argument("-a", dest="arch", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument("-c", "--compile", action="store_true", help="compile (the default)")
    p.add_argument(
        "--p4runtime-format",
        choices=["text", "json", "binary"],
        default="binary",
        help="format of --p4runtime-file (default binary, as the driver)",
    )
    p.add_argument("-V", dest="version", action="store_true", help=argparse.SUPPRESS)
    return p


def _write_p4info(p4info: Any, path: Path, fmt: str) -> None:
    from softp4.compiler.p4info.serialize import p4info_binary, p4info_json, p4info_text

    if fmt == "binary":
        path.write_bytes(p4info_binary(p4info))
    elif fmt == "json":
        path.write_text(p4info_json(p4info), encoding="utf-8")
    else:
        path.write_text(p4info_text(p4info), encoding="utf-8")


def _macros(args: argparse.Namespace) -> tuple[dict[str, str | None], list[str]]:
    defines: dict[str, str | None] = {}
    undefines: list[str] = []
    for kind, name, value in getattr(args, "macros", None) or []:
        if kind == "D":
            defines[name] = value
            if name in undefines:
                undefines.remove(name)
        else:
            defines.pop(name, None)
            undefines.append(name)
    return defines, undefines


def _check_language(prog: str, args: argparse.Namespace) -> str | None:
    """A usage error for what softp4 cannot compile, or None."""
    if args.std.lower().replace("_", "-") not in ("p4-16", "p416"):
        return f"--std {args.std}: only p4-16 is supported"
    if str(args.p4v) != "16":
        return f"--p4v {args.p4v}: only 16 (P4-16) is supported"
    if args.arch != "v1model":
        return f"--arch {args.arch}: only v1model is supported"
    if args.target != "bmv2":
        return f"--target {args.target}: only bmv2 is supported"
    return None


def _p4info_outputs(args: argparse.Namespace) -> list[tuple[Path, str]] | str:
    outputs: list[tuple[Path, str]] = []
    for f in [f for f in args.p4runtime_files.split(",") if f]:
        fmt = P4INFO_FORMATS.get(Path(f).suffix.lower())
        if fmt is None:
            return f"{f}: unknown P4Info format (use .txt, .txtpb, .json, .bin or .pb)"
        outputs.append((Path(f), fmt))
    if args.p4runtime_file:  # p4c's older form: the format is --p4runtime-format's (binary by default)
        outputs.append((Path(args.p4runtime_file), args.p4runtime_format))
    return outputs


def main(argv: list[str] | None = None) -> int:
    """Run `softp4 compile` (p4c-bm2-ss's flags); returns the exit status."""
    return _run(build_arg_parser(), sys.argv[1:] if argv is None else argv, driver=False)


def driver_main(argv: list[str] | None = None) -> int:
    """Run `softp4 p4c` (the p4c driver's flags); returns the exit status."""
    return _run(build_driver_parser(), sys.argv[1:] if argv is None else argv, driver=True)


def _run(parser: argparse.ArgumentParser, argv: list[str], *, driver: bool) -> int:
    prog = parser.prog
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.version:
        from softp4 import __version__

        print(f"{prog} (softp4 {__version__}, for p4c-bm2-ss command lines)")
        return 0
    problem = _check_language(prog, args)
    if problem is None and args.source is None:
        problem = "no source file given"
    outputs = _p4info_outputs(args)
    if problem is None and isinstance(outputs, str):
        problem = outputs
    if problem is not None:
        print(f"{prog}: error: {problem}", file=sys.stderr)
        return 2
    assert not isinstance(outputs, str)
    source = Path(args.source)
    if not source.is_file():
        why = "is a directory, not a P4 source file" if source.is_dir() else "no such file"
        print(f"{prog}: error: {source}: {why}", file=sys.stderr)
        return 1
    defines, undefines = _macros(args)
    from softp4.compiler.driver import compile_file, preprocess_file

    try:
        if args.preprocess_only:
            text = preprocess_file(source, include_dirs=args.include_dirs, defines=defines, undefines=undefines)
            sys.stdout.write(text)
            return 0
        result = compile_file(source, include_dirs=args.include_dirs, defines=defines, undefines=undefines)
    except CompileError as err:
        if not (args.quiet or args.Wdisable):
            for w in err.warnings:
                print(w, file=sys.stderr)
        print(str(err), file=sys.stderr)
        return 1
    except RecursionError:
        print(f"{source}: error: program nested too deeply", file=sys.stderr)
        return 1
    except Exception as exc:  # an internal error must still not show a traceback
        print(f"{source}: error: internal compiler error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    quiet = args.quiet or args.Wdisable
    if args.Werror and result.warnings:
        for w in result.warnings:
            print(w.replace(": warning: ", ": error: ", 1), file=sys.stderr)
        return 1
    if not quiet:
        for w in result.warnings:
            print(w, file=sys.stderr)
    if driver:
        directory = Path(args.output)
        out = directory / (source.stem + ".json")
    else:
        out = Path(args.output) if args.output else source.with_suffix(".json")
    try:
        if driver:  # the p4c driver makes its output directory; p4c-bm2-ss writes only where it is told
            directory.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.bmv2_json, indent=2) + "\n", encoding="utf-8")
        if driver:  # the driver keeps the preprocessed program next to the JSON
            text = preprocess_file(source, include_dirs=args.include_dirs, defines=defines, undefines=undefines)
            (directory / (source.stem + ".p4i")).write_text(text, encoding="utf-8")
        for path, fmt in outputs:
            _write_p4info(result.p4info, path, fmt)
    except OSError as exc:  # as p4c: no directory is made for a file output
        where = exc.filename or out
        print(f"{prog}: error: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
