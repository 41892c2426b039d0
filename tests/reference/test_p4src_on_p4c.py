"""Real p4c compiles the project's programs: no error, no warning that p4src/p4c-warnings.txt does not list
with its reason, and P4Info equal to softp4's as a protobuf message (the BMv2 server binds P4Info to the
JSON by name, and the controller resolves names from it, so the two compilers must agree exactly).

Skipped where p4c-bm2-ss is not found (conftest.py: $P4C, P4REF/bin or PATH).
"""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

import pytest
from finsy.proto import p4i
from google.protobuf import text_format

from softp4.compiler import compile_file

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ("nic", "tor")
ALLOWED = ROOT / "p4src" / "p4c-warnings.txt"


def allowed_warnings() -> list[re.Pattern[str]]:
    """The patterns of p4src/p4c-warnings.txt: `<regular expression>  # reason`, one a line."""
    patterns = []
    for number, line in enumerate(ALLOWED.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pattern, _, reason = line.partition("  # ")
        assert reason.strip(), f"{ALLOWED}:{number}: every allowed warning needs a reason after '  # '"
        patterns.append(re.compile(pattern.strip()))
    return patterns


def p4c_compile(p4c: Path, program: str, out: Path) -> tuple[p4i.P4Info, list[str]]:
    """p4c's P4Info for p4src/<program>.p4 and its warning lines (an error fails the test)."""
    json_path, p4info_path = out / f"{program}.json", out / f"{program}.p4info.txtpb"
    done = subprocess.run(
        [str(p4c), "--std", "p4-16", "--arch", "v1model", "-I", str(ROOT / "p4src"), "-o", str(json_path),
         "--p4runtime-files", str(p4info_path), str(ROOT / "p4src" / f"{program}.p4")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, f"p4c-bm2-ss failed on {program}.p4:\n{done.stderr}"
    message = text_format.Parse(p4info_path.read_text(), p4i.P4Info())
    warnings = [line for line in done.stderr.splitlines() if re.search(r"\b[Ww]arning\b", line)]
    return message, warnings


@pytest.mark.parametrize("program", PROGRAMS)
def test_p4c_compiles_with_only_listed_warnings(p4c: Path, program: str, tmp_path: Path) -> None:
    _, warnings = p4c_compile(p4c, program, tmp_path)
    patterns = allowed_warnings()
    unlisted = [w for w in warnings if not any(p.search(w) for p in patterns)]
    assert unlisted == [], f"warnings not listed in {ALLOWED.relative_to(ROOT)}:\n" + "\n".join(unlisted)


@pytest.mark.parametrize("program", PROGRAMS)
def test_softp4_p4info_equals_p4cs(p4c: Path, program: str, tmp_path: Path) -> None:
    expected, _ = p4c_compile(p4c, program, tmp_path)
    actual = compile_file(ROOT / "p4src" / f"{program}.p4", include_dirs=[ROOT / "p4src"]).p4info
    if actual != expected:
        diff = difflib.unified_diff(
            text_format.MessageToString(expected).splitlines(), text_format.MessageToString(actual).splitlines(),
            "p4c", "softp4", lineterm="", n=2,
        )
        pytest.fail(f"{program}.p4: softp4's P4Info differs from p4c's:\n" + "\n".join(list(diff)[:80]))
