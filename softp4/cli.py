"""The `softp4` command: `softp4 compile | switch | stf ...`."""

from __future__ import annotations

import importlib
import sys

from softp4.cliargs import closest

COMMANDS = {
    "compile": ("softp4.compiler.cli", "compile P4-16 to BMv2 JSON and P4Info (stands in for p4c-bm2-ss)"),
    "p4c": ("softp4.compiler.cli:driver_main", "compile with the p4c driver's flags (-o is an output directory)"),
    "switch": ("softp4.switch.cli", "run BMv2 JSON with P4Runtime (stands in for simple_switch_grpc)"),
    "shims": ("softp4.shims", "write p4c-bm2-ss, p4c, simple_switch_grpc and simple_switch wrappers into DIR"),
    "stf": ("softp4.stf.cli", "run a p4c STF packet test"),
}


def usage() -> str:
    lines = ["usage: softp4 <command> [args...]", "", "commands:"]
    lines += [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        from softp4 import __version__

        print(f"softp4 {__version__}")
        return 0
    entry = COMMANDS.get(args[0])
    if entry is None:
        close = closest(args[0], COMMANDS, cutoff=0.6)
        hint = f"did you mean '{close}'? " if close else ""
        print(f"softp4: unknown command '{args[0]}' ({hint}commands: {', '.join(COMMANDS)}; see softp4 --help)",
              file=sys.stderr)
        return 2
    module_name, _, function = entry[0].partition(":")
    module = importlib.import_module(module_name)
    result: int = getattr(module, function or "main")(args[1:])
    return result


if __name__ == "__main__":
    sys.exit(main())
