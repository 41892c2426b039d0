"""`softp4 stf prog.p4 prog.stf` (or `--json prog.json prog.stf`): run a p4c STF packet test.

On softp4's switch, or with `--target bmv2 [--bmv2 PATH]` on real simple_switch (the program
compiled by softp4 unless --json gives one). Exit status 0 when every port got exactly the
expected packets, 1 otherwise (with a per-port diff of expected and received packets in hex),
and 1 with `file:line: error: ...` for an STF file, program or name the runner cannot take, or a
switch that cannot run the test. Usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from softp4.cliargs import Parser
from softp4.stf.bmv2 import Bmv2Error, Bmv2NotFound, Bmv2Unsupported, find_bmv2, run_on_bmv2
from softp4.stf.parser import parse_stf_file
from softp4.stf.runner import StfError
from softp4.stf.session import compile_p4, load_json, run_commands, suite_tests
from softp4.stf.syntax import StfSyntaxError


def _define(text: str) -> tuple[str, str | None]:
    name, sep, value = text.partition("=")
    if not name.isidentifier():
        raise argparse.ArgumentTypeError(f"bad -D '{text}': expected NAME or NAME=VALUE")
    return name, value if sep else None


def build_parser() -> Parser:
    parser = Parser(
        prog="softp4 stf",
        description="Run a p4c STF packet test on the softp4 switch.",
    )
    parser.add_argument("program", nargs="?", type=Path, help="the P4-16 program (compiled first)")
    parser.add_argument("stf", nargs="?", type=Path, help="the STF test file")
    parser.add_argument("--json", type=Path, metavar="PROG.json", help="use this BMv2 JSON, not a .p4")
    parser.add_argument(
        "--suite", type=Path, metavar="DIR", help="run every <name>.stf in DIR on <name>.p4 (or .json)"
    )
    parser.add_argument(
        "--match", default="*.stf", metavar="GLOB", help="with --suite: the STF files to run (e.g. '*-bmv2.stf')"
    )
    parser.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR")
    parser.add_argument("-D", dest="defines", action="append", type=_define, default=[], metavar="NAME[=VALUE]")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each command and the switch's per-packet trace"
    )
    parser.add_argument(
        "--target",
        choices=("softp4", "bmv2"),
        default="softp4",
        help="the switch that runs the test: softp4's own (default) or real BMv2 simple_switch",
    )
    parser.add_argument(
        "--bmv2",
        metavar="PATH",
        help="with --target bmv2: simple_switch, its bin/ or install prefix (default: $P4REF/bin, then PATH)",
    )
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="with --target bmv2: keep the switch's log and pcap files in DIR"
    )
    return parser


def load_program(args: argparse.Namespace, program: Path | None = None) -> dict[str, Any]:
    """The BMv2 JSON to run: read from --json (or a .json program) or compiled from the .p4 file."""
    path = program or args.json or args.program
    if path.suffix == ".json":
        return load_json(path)
    warn = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    return compile_p4(path, args.include_dirs, dict(args.defines), warn)


def run_one(args: argparse.Namespace, program_path: Path, stf: Path) -> tuple[str, str]:
    """Run one test: (outcome, text to show); outcome is pass, packets (a mismatch), stf (the STF
    file cannot be read or names what the program lacks), compile, or internal."""

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        commands = parse_stf_file(stf)
    except StfSyntaxError as exc:
        return "stf", str(exc)
    try:
        program = load_program(args, program_path)
    except StfError as exc:
        return "compile", str(exc)
    except Exception as exc:  # a bug of ours: one line, not a traceback
        return "internal", f"{program_path}: error: internal error: {type(exc).__name__}: {exc}"
    try:
        if args.tools is not None:
            keep = args.keep / stf.stem if args.keep is not None and args.suite is not None else args.keep
            result = run_on_bmv2(program, commands, stf, args.tools, log if args.verbose else None, keep)
        else:
            result = run_commands(program, commands, stf, log if args.verbose else None, str(program_path))
    except Bmv2Unsupported as exc:
        return "unsupported", str(exc)
    except Bmv2Error as exc:
        return "switch", str(exc)
    except StfError as exc:
        return "stf", str(exc)
    except Exception as exc:
        return "internal", f"{stf}: error: internal error: {type(exc).__name__}: {exc}"
    if not args.verbose:
        for warning in result.warnings:
            print(warning, file=sys.stderr)
    if result.passed:
        received = sum(len(p.received) for p in result.ports)
        return "pass", f"PASS {stf}: {received} packet(s) checked on {len(result.ports)} port(s)"
    return "packets", f"FAIL {stf}\n{result.report()}"


def run_suite(args: argparse.Namespace) -> int:
    pairs = suite_tests(args.suite, args.match)
    if not pairs:
        print(
            f"softp4 stf: error: no {args.match} with <name>.p4 or <name>.json beside it in {args.suite}",
            file=sys.stderr,
        )
        return 1
    outcomes: dict[str, int] = {}
    for program, stf in pairs:
        outcome, text = run_one(args, program, stf)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "pass":
            print(f"PASS {stf.stem}")
        else:
            lines = text.splitlines() or [""]
            first = lines[1] if lines[0].startswith("FAIL") and len(lines) > 1 else lines[0]
            print(f"FAIL {stf.stem}: {first}")
    passed = outcomes.pop("pass", 0)
    summary = f"{passed}/{len(pairs)} passed"
    if outcomes:
        kinds = {
            "packets": "packet mismatch",
            "compile": "program error (compile or load)",
            "stf": "STF error",
            "internal": "internal",
            "unsupported": "not runnable on simple_switch",
            "switch": "simple_switch failed",
        }
        summary += "; failed: " + ", ".join(f"{n} {kinds[k]}" for k, n in sorted(outcomes.items()))
    print(summary)
    return 0 if passed == len(pairs) else 1


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except SystemExit as exc:  # a usage error (2) or an input that is not there (1), one line each
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("softp4 stf: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for path, what in ((args.program, ""), (args.stf, ""), (args.json, "--json")):
        parser.require_file(path, what)
    parser.require_dir(args.suite, "--suite")
    if args.target != "bmv2" and (args.bmv2 is not None or args.keep is not None):
        parser.error("--bmv2 and --keep go with --target bmv2")
    args.tools = None
    if args.target == "bmv2":
        try:
            args.tools = find_bmv2(args.bmv2)
        except Bmv2NotFound as exc:
            print(f"softp4 stf: error: {exc}", file=sys.stderr)
            return 1
    if args.suite is not None:
        if args.program is not None or args.stf is not None or args.json is not None:
            parser.error("--suite DIR runs every test in DIR; give no program or STF file with it")
        return run_suite(args)
    if args.stf is None:
        if args.program is not None and (args.json is not None or args.program.suffix == ".stf"):
            args.program, args.stf = None, args.program
        else:
            parser.error("give the STF test file")
    if args.json is None and args.program is None:
        parser.error("give the program: prog.p4 before the STF file, or --json prog.json")
    if args.json is not None and args.program is not None:
        parser.error("give either prog.p4 or --json prog.json, not both")
    outcome, text = run_one(args, args.json or args.program, args.stf)
    if outcome == "pass":
        print(text)
        return 0
    print(text, file=sys.stdout if text.startswith("FAIL") else sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
