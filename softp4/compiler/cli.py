"""`softp4 compile`: a stand-in for `p4c-bm2-ss`.

    softp4 compile prog.p4 -o prog.json --p4runtime-files prog.p4info.txtpb [-I DIR] [-D NAME[=VALUE]]

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

from softp4.compiler.errors import CompileError

P4INFO_FORMATS = {".txt": "text", ".txtpb": "text", ".json": "json", ".bin": "binary", ".pb": "binary"}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit status 2 and no traceback."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        print(f"softp4 compile: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _define(text: str) -> tuple[str, str | None]:
    name, sep, value = text.partition("=")
    if not name or not (name[0].isalpha() or name[0] == "_") or not name.replace("_", "a").isalnum():
        raise argparse.ArgumentTypeError(f"invalid macro name in -D {text!r}")
    return name, (value if sep else None)


def build_arg_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="softp4 compile", description="Compile a P4-16 v1model program to BMv2 JSON and P4Info.")
    p.add_argument("source", help="the P4-16 program")
    p.add_argument("-o", "--output", metavar="FILE", help="BMv2 JSON output (default: <source>.json)")
    p.add_argument(
        "--p4runtime-files",
        metavar="FILES",
        default="",
        help="comma-separated P4Info outputs; format by extension: .txt/.txtpb, .json, .bin/.pb",
    )
    p.add_argument("--p4runtime-format", choices=["text", "json", "binary"], help="(p4c compatibility)")
    p.add_argument("--p4runtime-file", metavar="FILE", help="(p4c compatibility) one P4Info output")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR", help="include directory")
    p.add_argument("-D", dest="defines", action="append", default=[], type=_define, metavar="NAME[=VALUE]")
    p.add_argument("--std", default="p4-16", help="language: only p4-16 (p4_16) is supported")
    p.add_argument("--arch", default="v1model", help="architecture: only v1model is supported")
    p.add_argument("--target", default="bmv2", help="target: only bmv2 is supported")
    p.add_argument("-W", "--Wdisable", "--Wwarn", dest="wflags", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    return p


def _write_p4info(p4info: Any, path: Path, fmt: str) -> None:
    from softp4.compiler.p4info.serialize import p4info_binary, p4info_json, p4info_text

    if fmt == "binary":
        path.write_bytes(p4info_binary(p4info))
    elif fmt == "json":
        path.write_text(p4info_json(p4info), encoding="utf-8")
    else:
        path.write_text(p4info_text(p4info), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run `softp4 compile`; returns the exit status."""
    try:
        args = build_arg_parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.std.lower().replace("_", "-") not in ("p4-16", "p416"):
        print(f"softp4 compile: error: --std {args.std}: only p4-16 is supported", file=sys.stderr)
        return 2
    if args.arch != "v1model":
        print(f"softp4 compile: error: --arch {args.arch}: only v1model is supported", file=sys.stderr)
        return 2
    if args.target != "bmv2":
        print(f"softp4 compile: error: --target {args.target}: only bmv2 is supported", file=sys.stderr)
        return 2
    source = Path(args.source)
    outputs: list[tuple[Path, str]] = []
    files = [f for f in args.p4runtime_files.split(",") if f]
    if args.p4runtime_file:
        files.append(args.p4runtime_file)
    for f in files:
        fmt = args.p4runtime_format if args.p4runtime_file == f and args.p4runtime_format else None
        fmt = fmt or P4INFO_FORMATS.get(Path(f).suffix.lower())
        if fmt is None:
            print(
                f"softp4 compile: error: {f}: unknown P4Info format (use .txt, .txtpb, .json, .bin or .pb)",
                file=sys.stderr,
            )
            return 2
        outputs.append((Path(f), fmt))
    if not source.is_file():
        print(f"softp4 compile: error: {source}: no such file", file=sys.stderr)
        return 1
    from softp4.compiler.driver import compile_file

    try:
        result = compile_file(source, include_dirs=args.include_dirs, defines=dict(args.defines))
    except CompileError as err:
        print(str(err), file=sys.stderr)
        return 1
    except RecursionError:
        print(f"{source}: error: program nested too deeply", file=sys.stderr)
        return 1
    except Exception as exc:  # an internal error must still not show a traceback
        print(f"{source}: error: internal compiler error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        for w in result.warnings:
            print(w, file=sys.stderr)
    out = Path(args.output) if args.output else source.with_suffix(".json")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.bmv2_json, indent=2) + "\n", encoding="utf-8")
        for path, fmt in outputs:
            if result.p4info is None:
                print("softp4 compile: error: P4Info generation is not available", file=sys.stderr)
                return 1
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_p4info(result.p4info, path, fmt)
    except OSError as exc:
        print(f"softp4 compile: error: cannot write output: {exc}", file=sys.stderr)
        return 1
    return 0
