"""Generate `controller/protocol/constants.py` from the `#define`s of `p4src/include/defines.p4`.

The P4 programs and the Python protocol code share every number (EtherType, message types, flags,
header sizes, port numbers, drop reasons) through this generator, never by copying by hand.
Each `#define NAME VALUE` with a plain integer value (decimal or 0x hex) becomes `NAME = VALUE`;
include guards (a `#define` without a value) are skipped; any other value is an error naming the
file and line.

    python -m controller.protocol.gen_constants p4src/include/defines.p4 -o controller/protocol/constants.py
    python -m controller.protocol.gen_constants p4src/include/defines.p4 --check controller/protocol/constants.py
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Define", "DefineError", "generate", "main", "parse_defines", "render"]

_DEFINE = re.compile(r"^\s*#\s*define\s+(?P<name>[A-Za-z_]\w*)(?P<rest>.*)$")
_INTEGER = re.compile(r"^(0[xX][0-9a-fA-F]+|[0-9]+)$")


class DefineError(ValueError):
    """A `#define` the generator cannot turn into a Python constant."""


@dataclass(frozen=True)
class Define:
    name: str
    value: int
    text: str  # the value as written in the P4 source
    comment: str  # the comment block just above it, if any


def _strip_comments(line: str) -> str:
    line = re.sub(r"/\*.*?\*/", "", line)
    return line.split("//", 1)[0].strip()


def parse_defines(text: str, filename: str = "<defines>") -> list[Define]:
    """Every integer `#define` of `text`, in order; raises DefineError on anything else."""
    defines: list[Define] = []
    seen: dict[str, int] = {}
    section = ""
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        heading = re.match(r"^/\*\s*-+\s*(.*?)\s*-*\s*\*/$", stripped)
        if heading:
            section = heading.group(1)
            continue
        m = _DEFINE.match(line)
        if m is None:
            continue
        name = m.group("name")
        value_text = _strip_comments(m.group("rest"))
        if not value_text:
            continue  # include guard
        if not _INTEGER.match(value_text):
            raise DefineError(
                f"{filename}:{lineno}: #define {name} has value '{value_text}', "
                "expected a plain integer (decimal or 0x hex)"
            )
        if name in seen:
            raise DefineError(f"{filename}:{lineno}: #define {name} repeats line {seen[name]}")
        seen[name] = lineno
        defines.append(Define(name, int(value_text, 0), value_text, section))
    if not defines:
        raise DefineError(f"{filename}: no integer #define found")
    return defines


# tables of names by value, one per family of defines numbered 0..COUNT-1 (the P4 programs index counters
# with them): table name -> (the family's prefix, the define that counts it)
TABLES = {
    "DROP_REASONS": ("DROP_", "DROP_REASON_COUNT"),
    "OUT_KINDS": ("OUT_", "OUT_KIND_COUNT"),
    "TRAFFIC_CLASSES": ("TC_", "TC_COUNT"),
}


def tables(defines: list[Define]) -> dict[str, dict[int, str]]:
    """Each family of TABLES as {value: name}: its defines below the count, the count itself left out."""
    by_name = {d.name: d.value for d in defines}
    result = {}
    for table, (prefix, count_name) in TABLES.items():
        if count_name not in by_name:
            continue
        count = by_name[count_name]
        result[table] = {
            d.value: d.name for d in defines if d.name.startswith(prefix) and d.name != count_name and d.value < count
        }
        if sorted(result[table]) != list(range(count)):
            raise DefineError(f"the {prefix}* defines are not numbered 0..{count_name} - 1 exactly once each")
    return result


def render(defines: list[Define], source: str) -> str:
    """The text of constants.py for `defines` read from `source` (a repository-relative path)."""
    out = [
        f'"""Constants shared with the P4 programs: GENERATED from {source}, do not edit.',
        "",
        "Regenerate with `make constants`; tests/protocol fails when this file is stale.",
        '"""',
        "",
    ]
    section = None
    for d in defines:
        if d.comment != section:
            section = d.comment
            if section:
                out.append("")
                out.append(f"# {section}")
        out.append(f"{d.name} = {d.text.upper().replace('0X', '0x')}")
    families = tables(defines)
    if families:
        out += ["", "", "# the names of each numbered family, by value (what the counters are indexed by)"]
    for table, names in families.items():
        out.append(f"{table} = {{")
        out += [f"    {value}: {name!r}," for value, name in sorted(names.items())]
        out.append("}")
    out.append("")
    return "\n".join(out)


def generate(defines_path: Path, source_name: str | None = None) -> str:
    """Read `defines_path` and return the constants module text."""
    try:
        text = defines_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefineError(f"cannot read '{defines_path}': {exc.strerror or exc}") from None
    name = source_name if source_name is not None else defines_path.as_posix()
    return render(parse_defines(text, str(defines_path)), name)


def main(argv: list[str] | None = None) -> int:
    """Command line: write or check the constants module."""
    ap = argparse.ArgumentParser(prog="gen_constants", description=__doc__.split("\n\n")[0])
    ap.add_argument("defines", type=Path, help="the P4 defines file (p4src/include/defines.p4)")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("-o", "--output", type=Path, help="write the Python module here")
    group.add_argument("--check", type=Path, help="exit 1 if this module differs from what would be written")
    args = ap.parse_args(argv)
    try:
        text = generate(args.defines, _repo_relative(args.defines))
    except DefineError as exc:
        print(f"gen_constants: error: {exc}", file=sys.stderr)
        return 1
    if args.check is not None:
        try:
            current = args.check.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"gen_constants: error: cannot read '{args.check}': {exc.strerror or exc}", file=sys.stderr)
            return 1
        if current != text:
            print(f"gen_constants: {args.check} is stale; run `make constants`", file=sys.stderr)
            return 1
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"gen_constants: error: cannot write '{args.output}': {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _repo_relative(path: Path) -> str:
    """`path` as written in the generated header: relative to the repository when it is inside it."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if (parent / "p4src").is_dir() and (parent / "controller").is_dir():
            return resolved.relative_to(parent).as_posix()
    return path.as_posix()


if __name__ == "__main__":
    sys.exit(main())
