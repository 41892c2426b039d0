"""`softp4 stf prog.p4 prog.stf` (or `--json prog.json prog.stf`): run a p4c STF packet test.

Exit status 0 when every port got exactly the expected packets, 1 otherwise (with a per-port
diff of expected and received packets in hex), and 1 with `file:line: error: ...` for an STF
file, program or name the runner cannot take. Usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from softp4.stf.parser import parse_stf_file
from softp4.stf.runner import StfError, StfResult, StfRunner
from softp4.stf.syntax import StfSyntaxError


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: '{text}'")
    return path


def _define(text: str) -> tuple[str, str | None]:
    name, sep, value = text.partition("=")
    if not name.isidentifier():
        raise argparse.ArgumentTypeError(f"bad -D '{text}': expected NAME or NAME=VALUE")
    return name, value if sep else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softp4 stf",
        description="Run a p4c STF packet test on the softp4 switch.",
    )
    parser.add_argument("program", nargs="?", type=_existing_file, help="the P4-16 program (compiled first)")
    parser.add_argument("stf", type=_existing_file, help="the STF test file")
    parser.add_argument("--json", type=_existing_file, metavar="PROG.json", help="use this BMv2 JSON, not a .p4")
    parser.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR")
    parser.add_argument("-D", dest="defines", action="append", type=_define, default=[], metavar="NAME[=VALUE]")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each command and the switch's per-packet trace"
    )
    return parser


def load_program(args: argparse.Namespace) -> dict[str, Any]:
    """The BMv2 JSON to run: read from --json or compiled from the .p4 file."""
    if args.json is not None:
        try:
            data = json.loads(args.json.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StfError(f"{args.json}: error: not a readable JSON file ({exc})") from None
        if not isinstance(data, dict):
            raise StfError(f"{args.json}: error: not a BMv2 JSON program (top level is not an object)")
        return data
    from softp4.compiler import CompileError, compile_file

    includes = [args.program.parent, *args.include_dirs]
    try:
        result = compile_file(args.program, include_dirs=includes, defines=dict(args.defines))
    except CompileError as exc:
        raise StfError(str(exc).rstrip()) from None
    except Exception as exc:
        raise StfError(f"{args.program}: error: internal compiler error: {type(exc).__name__}: {exc}") from None
    for warning in result.warnings:
        if args.verbose:
            print(warning, file=sys.stderr)
    return result.bmv2_json


def run(args: argparse.Namespace) -> StfResult:
    from softp4.switch.errors import SwitchError
    from softp4.switch.switch import Switch

    commands = parse_stf_file(args.stf)
    program = load_program(args)

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        switch = Switch(program, trace=log if args.verbose else None)
    except SwitchError as exc:
        where = args.json or args.program
        raise StfError(f"{where}: error: the switch cannot load the program: {exc}") from None
    runner = StfRunner(program, switch, filename=str(args.stf), log=log if args.verbose else None)
    return runner.run(commands)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json is None and args.program is None:
        parser.error("give the program: prog.p4 before the STF file, or --json prog.json")
    if args.json is not None and args.program is not None:
        parser.error("give either prog.p4 or --json prog.json, not both")
    try:
        result = run(args)
    except (StfSyntaxError, StfError) as exc:
        print(exc, file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours: one line, not a traceback
        print(f"{args.stf}: error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        if not args.verbose:
            print(warning, file=sys.stderr)
    if result.passed:
        received = sum(len(p.received) for p in result.ports)
        print(f"PASS {args.stf}: {received} packet(s) checked on {len(result.ports)} port(s)")
        return 0
    print(f"FAIL {args.stf}")
    print(result.report())
    return 1


if __name__ == "__main__":
    sys.exit(main())
