"""softp4 against p4c's own BMv2 test corpus: compile, P4Info against p4c's golden files, STF tests.

Run: .venv/bin/python benchmarks/p4c_corpus.py --p4c-testdata P4C/testdata [--jobs N] [--filter RE]
     [--report FILE] [--timeout SECONDS] [--bmv2 [PATH]]

For every DIR/p4_16_samples/*-bmv2.p4 (in a subprocess of its own with a timeout, so a hang or a
crash stops one program, not the run):
  1. compile it with softp4 (include dirs as p4c's tests have them: the program's own directory);
  2. compare its P4Info with DIR/p4_16_samples_outputs/<name>.p4info.txtpb, both parsed as
     p4.config.v1.P4Info messages, naming the first field path that differs;
  3. run DIR/p4_16_samples/<name>.stf, when there is one, through softp4's STF runner;
  4. with --bmv2, run the same STF with softp4's JSON on real simple_switch too (PATH: the
     binary, its bin/ or prefix; default $P4REF/bin, then PATH), and report how softp4's verdict
     compares with the real switch's.
Only v1model programs (those including v1model.p4, as p4c's own test suite picks them) are run;
PSA, PNA and programs with a package of their own are listed as out of scope and not counted.
Programs p4c's own BMv2 tests expect to fail (P4C_EXPECTED_FAILURES) that fail with softp4 too
agree with p4c: they count as successes and are listed apart from softp4's failures.
Prints a pass/fail table, the three percentages and the failures grouped by their first error
line (numbers and quoted names blanked) so the most common causes come first. Prints figures;
exit 0 whatever the figures (2 for a usage error), unless --check PERCENT asks for at least that much
compile + P4Info equality and STF passes (then 1 below it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from softp4.cliargs import Parser, number
from softp4.compiler.p4info.compare import first_difference

SAMPLES = "p4_16_samples"
OUTPUTS = "p4_16_samples_outputs"
GLOB = "*-bmv2.p4"

# Outcomes of one stage.
PASS = "pass"
FAIL = "FAIL"
SKIP = "-"  # not run: an earlier stage failed, or there is nothing to compare with

# The record a stage that may hang sends before it starts.
STARTED = "started"

# Lines of error text kept per failing stage (the report shows them under the program).
DETAIL_LINES = 12


# ---------------------------------------------------------------------------------------------
# P4Info comparison


# (first_difference, the comparison itself, lives in softp4.compiler.p4info.compare: the reference
# tests against real p4c use the same one)


# ---------------------------------------------------------------------------------------------
# Golden P4Info files

# Notes on goldens written by other p4c versions than the one whose P4Info schema softp4 uses
# (p4.config.v1.Table.initial_default_action, a TableActionCall message).
ID_GOLDEN = "golden has initial_default_action_id: read as initial_default_action { action_id }"
OLD_GOLDEN = "golden predates initial_default_action: that field is not compared"


_INITIAL_ID = re.compile(r"^(\s*)initial_default_action_id:\s*(\d+)\s*$", re.MULTILINE)


def golden_path(testdata: Path, name: str) -> Path | None:
    """p4c's golden P4Info of program `name`: `<name>.p4.p4info.txtpb` (or `<name>.p4info.txtpb`)."""
    for candidate in (f"{name}.p4.p4info.txtpb", f"{name}.p4info.txtpb"):
        path = testdata / OUTPUTS / candidate
        if path.is_file():
            return path
    return None


def golden_text(text: str) -> tuple[str, str]:
    """The golden text to parse and a note when it is in an older p4c's form ("" when current).

    Some p4c versions wrote `initial_default_action_id: N` (a field the P4Runtime schema never
    kept); it becomes `initial_default_action { action_id: N }`. Goldens older than the field
    have tables and no initial default action at all: the field is left out of the comparison.
    """
    if _INITIAL_ID.search(text):
        return _INITIAL_ID.sub(r"\1initial_default_action {\n\1  action_id: \2\n\1}", text), ID_GOLDEN
    if re.search(r"^tables\s*\{", text, re.MULTILINE) and "initial_default_action" not in text:
        return text, OLD_GOLDEN
    return text, ""


def comparable(expected: Any, actual: Any, note: str) -> tuple[Any, list[str]]:
    """softp4's P4Info as an older golden file can express it, and notes on what was left out.

    softp4 writes what p4c 1.2.5.16 writes (type_info only when p4c's serializer creates it,
    NoAction with its `@noWarn("unused")` only), so goldens of that p4c need no adjustment."""
    del expected  # the golden's form is known from `note` (golden_text)
    notes = [note] if note else []
    copy = type(actual)()
    copy.CopyFrom(actual)
    if note == OLD_GOLDEN:
        for table in copy.tables:
            table.ClearField("initial_default_action")
    return copy, notes


# ---------------------------------------------------------------------------------------------
# One program (runs in a subprocess of its own: `--one PROGRAM`)


def first_line(text: str) -> str:
    """The first non-blank line of an error text."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "(no message)"


def _detail(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > DETAIL_LINES:
        lines = [*lines[:DETAIL_LINES], f"... ({len(lines) - DETAIL_LINES} more line(s))"]
    return "\n".join(lines)


def run_one(
    program: Path, testdata: Path, emit: Callable[[dict[str, Any]], None], bmv2: str | None = None
) -> None:
    """Compile, compare P4Info, run the STF of one program (on simple_switch too when `bmv2` is
    given: a path, or "" to look in $P4REF/bin and PATH); `emit` gets one record per stage."""
    from google.protobuf import text_format

    from softp4.compiler import CompileError, compile_file

    name = program.stem
    started = time.perf_counter()
    try:
        result = compile_file(program, include_dirs=[program.parent])
    except CompileError as exc:
        emit({"stage": "compile", "ok": False, "error": _detail(str(exc))})
        return
    except RecursionError:
        emit({"stage": "compile", "ok": False, "error": "internal compiler error: RecursionError"})
        return
    except Exception as exc:
        emit({"stage": "compile", "ok": False, "error": f"internal compiler error: {type(exc).__name__}: {exc}"})
        return
    emit({"stage": "compile", "ok": True, "seconds": round(time.perf_counter() - started, 3)})

    golden = golden_path(testdata, name)
    if golden is None:
        emit({"stage": "p4info", "ok": None, "error": f"no golden file {name}.p4.p4info.txtpb"})
    else:
        expected = type(result.p4info)()
        try:
            text, note = golden_text(golden.read_text(encoding="utf-8"))
            text_format.Parse(text, expected)
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            emit({"stage": "p4info", "ok": None, "error": f"golden file {golden.name} does not parse: {exc}"})
        else:
            actual, notes = comparable(expected, result.p4info, note)
            diff = first_difference(expected, actual)
            record: dict[str, Any] = {"stage": "p4info", "ok": diff is None, "notes": notes}
            if diff is not None:
                record["error"] = f"P4Info differs at {diff}"
            emit(record)

    stf = program.with_suffix(".stf")
    if not stf.is_file():
        return
    emit({"stage": "stf", "ok": None, "error": STARTED})  # a timeout from here on is the STF's
    from softp4.stf.runner import StfError
    from softp4.stf.session import run_test
    from softp4.stf.syntax import StfSyntaxError

    try:
        outcome = run_test(result.bmv2_json, stf, None, str(program))
    except (StfError, StfSyntaxError) as exc:
        emit({"stage": "stf", "ok": False, "error": _detail(str(exc))})
        return
    except Exception as exc:
        emit({"stage": "stf", "ok": False, "error": f"internal error: {type(exc).__name__}: {exc}"})
        return
    if outcome.passed:
        emit({"stage": "stf", "ok": True})
    else:
        emit({"stage": "stf", "ok": False, "error": _detail(outcome.report())})
    if bmv2 is not None:
        emit({"stage": "bmv2", "ok": None, "error": STARTED})  # a timeout from here on is the real switch's
        emit(run_on_real_switch(result.bmv2_json, stf, bmv2))


def run_on_real_switch(program: dict[str, Any], stf: Path, bmv2: str) -> dict[str, Any]:
    """The `bmv2` stage record: the STF run with softp4's JSON on real simple_switch."""
    from softp4.stf.bmv2 import Bmv2Error, Bmv2NotFound, Bmv2Unsupported, find_bmv2, run_on_bmv2
    from softp4.stf.parser import parse_stf_file
    from softp4.stf.runner import StfError
    from softp4.stf.syntax import StfSyntaxError

    try:
        result = run_on_bmv2(program, parse_stf_file(stf), stf, find_bmv2(bmv2 or None))
    except (Bmv2NotFound, Bmv2Unsupported) as exc:
        return {"stage": "bmv2", "ok": None, "error": first_line(str(exc))}
    except (Bmv2Error, StfError, StfSyntaxError) as exc:
        return {"stage": "bmv2", "ok": False, "error": _detail(str(exc))}
    if result.passed:
        return {"stage": "bmv2", "ok": True}
    return {"stage": "bmv2", "ok": False, "error": _detail(result.report())}


# One program may use this much memory (the machine is shared; a runaway program must not take it).
MEMORY_LIMIT = 2 << 30


def _one_main(program: Path, testdata: Path, bmv2: str | None = None) -> int:
    def emit(record: dict[str, Any]) -> None:
        print(json.dumps(record), flush=True)

    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass  # no limit where the platform has none to give
    try:
        run_one(program, testdata, emit, bmv2)
    except MemoryError:
        print(f"out of memory ({MEMORY_LIMIT >> 30} GiB limit)", file=sys.stderr)
        return 3
    return 0


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Outcome:
    """What happened to one program."""

    name: str
    has_stf: bool
    has_golden: bool = True
    compile: str = SKIP
    p4info: str = SKIP
    stf: str = SKIP
    bmv2: str = SKIP  # the STF on real simple_switch (--bmv2): not a softp4 failure, a comparison
    errors: dict[str, str] = field(default_factory=dict)  # stage -> error text
    notes: list[str] = field(default_factory=list)  # how the golden P4Info was read
    seconds: float | None = None  # compile time, when it compiled
    p4c_fails: str | None = None  # p4c's own reason when p4c's BMv2 tests expect this program to fail

    def agrees_with_p4c(self) -> bool:
        """A program p4c fails on, and softp4 fails on too: the same verdict, not a softp4 failure."""
        return self.p4c_fails is not None and bool(self.errors.keys() & {"compile", "p4info", "stf"})

    def counts_as(self, stage: str) -> bool:
        """Whether `stage` counts as a success: it passed, or the program agrees with p4c."""
        return getattr(self, stage) == PASS or self.agrees_with_p4c()

    def failures(self) -> list[tuple[str, str]]:
        return [(stage, self.errors[stage]) for stage in ("compile", "p4info", "stf") if stage in self.errors]


def discover(testdata: Path, pattern: str | None) -> list[Path]:
    """The corpus programs, sorted by name, those matching `pattern` (re.search) only."""
    programs = sorted((testdata / SAMPLES).glob(GLOB))
    if pattern is not None:
        regex = re.compile(pattern)
        programs = [p for p in programs if regex.search(p.stem)]
    return programs


V1MODEL = "v1model"


def _includes(name: str) -> re.Pattern[str]:
    return re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"](?:[^<>"]*/)?' + re.escape(name) + r'[>"]', re.MULTILINE)


# How p4c's own test suite (backends/bmv2/CMakeLists.txt) picks the v1model BMv2 tests among
# p4_16_samples/*-bmv2.p4: the program includes v1model.p4. Those including psa.p4 or pna.p4
# are PSA and PNA tests (run on psa_switch / pna_nic, which softp4 does not model).
_ARCH_INCLUDES = [(V1MODEL, _includes("v1model.p4")), ("psa", _includes("psa.p4")), ("pna", _includes("pna.p4"))]
OUT_OF_SCOPE = {
    "psa": "includes psa.p4: a PSA program (p4c tests it on psa_switch; softp4 models simple_switch)",
    "pna": "includes pna.p4: a PNA program (p4c tests it on pna_nic; softp4 models simple_switch)",
    "none": "includes no v1model.p4: a package of its own (p4c's BMv2 tests take only v1model programs)",
}


def architecture(program: Path) -> str:
    """"v1model", "psa", "pna" (what the program includes, as p4c's test suite decides), or "none"."""
    try:
        text = program.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "none"
    for arch, pattern in _ARCH_INCLUDES:
        if pattern.search(text):
            return arch
    return "none"


# p4c's own verdict: the v1model programs p4c's BMv2 test suite expects to fail (XFAIL_TESTS in
# backends/bmv2/CMakeLists.txt of p4c 1.2.5.16, reasons as p4c gives them), and the one it runs only
# with an extern module BMv2 does not have. softp4 failing on these agrees with p4c.
P4C_EXPECTED_FAILURES = {
    "issue907-bmv2": "p4c: uses a feature the BMv2 back end does not support",
    "issue986-bmv2": "p4c: a table graph BMv2 cannot implement",
    "issue1062-bmv2": "p4c: a const entry key of type error (p4c-bm2-ss: unsupported exact key expression)",
    "issue1193-bmv2": "p4c: an undefined extern",
    "issue692-bmv2": "p4c: reads stack.next outside a parser",
    "issue1765-bmv2": "p4c: computations in the verify/update checksum controls",
    "issue1765-1-bmv2": "p4c: computations in the verify/update checksum controls",
    "issue1882-bmv2": "p4c: an unknown extern",
    "issue1882-1-bmv2": "p4c: an unknown extern",
    "issue2664-bmv2": "p4c: an unknown extern",
    "hashing-non-tuple-bmv2": "p4c: hashes a value that is not a tuple",
    "issue584-1-bmv2": "p4c: hashes a bit<> value, not a tuple",
    "extern-funcs-bmv2": "p4c: runs it only with --emit-externs and an extern module loaded into simple_switch",
}


def collect(program: Path, records: Iterable[dict[str, Any]], crash: str | None) -> Outcome:
    """Fold the records a worker printed (and how it ended) into an Outcome."""
    outcome = Outcome(program.stem, program.with_suffix(".stf").is_file())
    last = None
    for record in records:
        stage, ok = record["stage"], record["ok"]
        last = stage
        outcome.notes += record.get("notes", [])
        if stage == "compile":
            outcome.seconds = record.get("seconds")
        if ok is True:
            setattr(outcome, stage, PASS)
            outcome.errors.pop(stage, None)
        elif ok is False:
            setattr(outcome, stage, FAIL)
            outcome.errors[stage] = record["error"]
        elif stage in ("stf", "bmv2") and record["error"] == STARTED:
            setattr(outcome, stage, FAIL)
            outcome.errors[stage] = "started, never finished"
        elif stage == "bmv2":  # not runnable on simple_switch (or no simple_switch): not judged
            outcome.bmv2 = SKIP
            outcome.errors.pop(stage, None)
            outcome.errors[f"{stage} (not judged)"] = record["error"]
        else:  # nothing to compare with: neither pass nor fail of softp4
            outcome.errors[f"{stage} (not judged)"] = record["error"]
    if crash is not None:
        # the stage that was running: the one after the last that reported
        stage = {None: "compile", "compile": "p4info", "p4info": "stf", "stf": "stf", "bmv2": "bmv2"}[last]
        setattr(outcome, stage, FAIL)
        outcome.errors[stage] = crash
    return outcome


def run_program(program: Path, testdata: Path, timeout: float, bmv2: str | None = None) -> Outcome:
    """Run one program in a fresh interpreter, killed after `timeout` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(program), "--p4c-testdata", str(testdata)]
    if bmv2 is not None:
        command.append(f"--bmv2={bmv2}")
    crash: str | None = None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        out, err, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err, code = "", 0
        crash = f"timeout: no result after {timeout:g} s"
    records = []
    for line in out.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # something the program printed itself
    if crash is None and code != 0:
        tail = [line for line in err.strip().splitlines() if line.strip()]
        crash = f"worker died (exit {code}): {tail[-1] if tail else 'no message'}"
    outcome = collect(program, records, crash)
    outcome.has_golden = golden_path(testdata, program.stem) is not None
    outcome.p4c_fails = P4C_EXPECTED_FAILURES.get(program.stem)
    if not records and crash is None:
        outcome.compile = FAIL
        outcome.errors["compile"] = "worker printed no result"
    return outcome


def run_all(
    programs: Sequence[Path], testdata: Path, jobs: int, timeout: float, bmv2: str | None = None
) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda p: run_program(p, testdata, timeout, bmv2), programs))


# ---------------------------------------------------------------------------------------------
# Report

_LOCATION = re.compile(r"^\S*?:\d+(?::\d+)?:\s*")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\b(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?)\b")
_INDEX = re.compile(r"\[\d+\]")
_PORT = re.compile(r"^port \d+: expected (\d+) packet\(s\), received (\d+)$")


def cause(stage: str, text: str) -> str:
    """The group a failure belongs to: its first error line with the particulars blanked."""
    line = first_line(text)
    if stage == "stf":
        port = _PORT.match(line)
        if port is not None:
            expected, received = int(port.group(1)), int(port.group(2))
            if received < expected:
                return "stf: fewer packets than expected on a port"
            if received > expected:
                return "stf: more packets than expected on a port"
            return "stf: packet contents differ"
    if stage == "p4info":
        # "P4Info differs at tables[1].match_fields[0].name: expected ..." -> the path only
        head = line.split(": expected", 1)[0].split(": missing", 1)[0].split(": unexpected", 1)[0]
        return "p4info: " + _INDEX.sub("[]", head)
    line = _LOCATION.sub("", line)
    line = _QUOTED.sub("'…'", line)
    line = _NUMBER.sub("N", line)
    return f"{stage}: {line}"


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100.0 * part / whole:.1f}%)" if whole else f"{part}/0 (n/a)"


def _real_switch_lines(outcomes: Sequence[Outcome]) -> list[str]:
    """How softp4's STF verdicts compare with simple_switch's on the same JSON (with --bmv2)."""
    judged = [o for o in outcomes if o.has_stf and o.bmv2 != SKIP and o.stf != SKIP]
    if not judged:
        return []
    agree = [o for o in judged if o.stf == o.bmv2]
    both_pass = sum(o.stf == PASS for o in agree)
    lines = [
        f"softp4 vs simple_switch: {_percent(len(agree), len(judged))} same verdict "
        f"({both_pass} pass on both, {len(agree) - both_pass} fail on both)"
    ]
    for o in judged:
        if o.stf != o.bmv2:
            why = first_line(o.errors.get("bmv2" if o.bmv2 == FAIL else "stf", ""))
            lines.append(f"    {o.name}: softp4 {o.stf}, simple_switch {o.bmv2}: {why}")
    not_run = sum(1 for o in outcomes if o.has_stf and "bmv2 (not judged)" in o.errors)
    if not_run:
        lines.append(f"    ({not_run} STF test(s) not runnable on simple_switch: see 'not judged')")
    return lines


@dataclass(frozen=True)
class Figures:
    """The three yardstick figures, as (part, whole) pairs."""

    compiled: tuple[int, int]
    p4info_equal: tuple[int, int]  # over the programs with a golden file
    stf_pass: tuple[int, int]  # over the programs with an STF test

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Figures:
        judged = [o for o in outcomes if o.has_golden]
        with_stf = [o for o in outcomes if o.has_stf]
        return cls(
            (sum(o.counts_as("compile") for o in outcomes), len(outcomes)),
            (sum(o.counts_as("compile") and o.counts_as("p4info") for o in judged), len(judged)),
            (sum(o.counts_as("stf") for o in with_stf), len(with_stf)),
        )

    def below(self, percent: float) -> list[str]:
        """The figures under `percent`, named, for --check."""
        named = (("compile + P4Info equal", self.p4info_equal), ("STF pass", self.stf_pass))
        return [f"{name} {_percent(*pair)} is below {percent:g}%" for name, pair in named
                if pair[1] and 100.0 * pair[0] / pair[1] < percent]


def render(
    outcomes: Sequence[Outcome], testdata: Path, seconds: float, out_of_scope: Sequence[tuple[str, str]] = ()
) -> str:
    """The whole report: table, percentages, grouped failures, per-program details.

    `outcomes` are the v1model programs; `out_of_scope` names the others (PSA, PNA, own
    packages) with the reason, listed and not counted. A program p4c's own BMv2 tests expect to
    fail that softp4 fails on too counts as agreeing with p4c, and is listed apart."""
    out: list[str] = []
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.append(
        f"softp4 on p4c's BMv2 corpus: {testdata} ({len(outcomes)} v1model program(s), {when}, {seconds:.0f} s)"
    )
    if out_of_scope:
        out.append(f"out of scope: {len(out_of_scope)} program(s) that are not v1model, not counted:")
        by_reason: dict[str, list[str]] = {}
        for name, reason in out_of_scope:
            by_reason.setdefault(reason, []).append(name)
        for reason, names in sorted(by_reason.items()):
            out.append(f"  {len(names)} {reason}: {', '.join(names)}")
    out.append("")
    width = max([len(o.name) for o in outcomes] + [7])
    out.append(f"{'program':<{width}}  compile  p4info  stf   compile s")
    for o in outcomes:
        took = "" if o.seconds is None else f"{o.seconds:9.2f}"
        row = f"{o.name:<{width}}  {o.compile:<7}  {o.p4info:<6}  {o.stf if o.has_stf else '':<4}  {took}".rstrip()
        out.append(row + ("  (fails with p4c too)" if o.agrees_with_p4c() else ""))
    out.append("")
    total = len(outcomes)
    agree = [o for o in outcomes if o.agrees_with_p4c()]
    figures = Figures.of(outcomes)
    out.append(f"compile:                {_percent(*figures.compiled)}")
    out.append(f"compile + P4Info equal: {_percent(*figures.p4info_equal)}   (programs with a golden P4Info file)")
    if figures.p4info_equal[1] != total:
        missing = total - figures.p4info_equal[1]
        out.append(f"                        ({missing} program(s) without a golden file not counted)")
    out.append(f"STF pass:               {_percent(*figures.stf_pass)}")
    if agree:
        out.append(
            f"                        (each figure counts the {len(agree)} program(s) that fail with p4c too "
            "as agreeing with p4c)"
        )
    out += _real_switch_lines(outcomes)
    times = sorted((o.seconds, o.name) for o in outcomes if o.seconds is not None)
    if times:
        median = times[len(times) // 2][0]
        out.append(f"compile time:           median {median:.2f} s, longest {times[-1][0]:.2f} s ({times[-1][1]})")
    out.append("")

    groups: dict[str, list[tuple[str, str]]] = {}
    for o in outcomes:
        if o.agrees_with_p4c():
            continue
        for stage, text in o.failures():
            groups.setdefault(cause(stage, text), []).append((o.name, first_line(text)))
    out.append(f"failure causes ({sum(len(v) for v in groups.values())} failure(s) in {len(groups)} group(s)):")
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        out.append(f"{len(members):4d}  {key}")
        names = ", ".join(name for name, _ in members)
        out.append(f"      programs: {names}")
        out.append(f"      e.g. {members[0][1]}")
    if agree:
        out.append("")
        out.append("agreeing with p4c (p4c's own BMv2 tests expect these to fail; softp4 fails too):")
        for o in agree:
            stage, text = o.failures()[0]
            out.append(f"  {o.name}: {o.p4c_fails}; softp4 [{stage}]: {first_line(text)}")
    unexpected = [o for o in outcomes if o.p4c_fails is not None and not o.agrees_with_p4c()]
    if unexpected:
        out.append("")
        out.append("passing although p4c's own BMv2 tests expect them to fail:")
        out += [f"  {o.name}: {o.p4c_fails}" for o in unexpected]
    not_judged = [(o.name, k, v) for o in outcomes for k, v in o.errors.items() if "not judged" in k]
    if not_judged:
        out.append("")
        out.append("not judged (nothing to compare with):")
        out += [f"  {name}: {text}" for name, _, text in not_judged]
    noted: dict[str, list[str]] = {}
    for o in outcomes:
        for note in o.notes:
            noted.setdefault(note, []).append(o.name)
    if noted:
        out.append("")
        out.append("golden files of other p4c versions:")
        for note, programs in sorted(noted.items()):
            out.append(f"{len(programs):4d}  {note}: {', '.join(programs)}")
    out.append("")
    out.append("details of every failure:")
    for o in outcomes:
        for stage, text in o.failures():
            out.append(f"--- {o.name} [{stage}]")
            out.append(text)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="p4c_corpus.py",
        description="Measure softp4 on p4c's testdata/p4_16_samples/*-bmv2.p4 (compile, P4Info, STF).",
    )
    parser.add_argument("--p4c-testdata", type=Path, required=True, metavar="DIR", help="p4c's testdata directory")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="programs run at once")
    parser.add_argument("--filter", metavar="RE", help="only programs whose name matches this regular expression")
    parser.add_argument("--report", type=Path, metavar="FILE", help="also write the full report to FILE")
    parser.add_argument(
        "--timeout", type=float, default=120.0, metavar="S", help="seconds one program may take (default 120)"
    )
    parser.add_argument(
        "--bmv2",
        nargs="?",
        const="",
        metavar="PATH",
        help="also run each STF on real simple_switch (PATH: binary, bin/ or prefix; default $P4REF/bin, PATH)",
    )
    parser.add_argument(
        "--check", type=number(0, 100, "--check"), metavar="PERCENT",
        help="exit 1 when compile + P4Info equal or STF pass is below PERCENT (for make test-ref)",
    )
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # the per-program worker
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    testdata: Path = args.p4c_testdata
    if args.one is not None:
        return _one_main(args.one, testdata, args.bmv2)
    if not (testdata / SAMPLES).is_dir():
        parser.error(f"no {SAMPLES}/ directory in '{testdata}' (give p4c's testdata directory)")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    try:
        programs = discover(testdata, args.filter)
    except re.error as exc:
        parser.error(f"bad --filter '{args.filter}': {exc}")
    if not programs:
        parser.error(f"no {SAMPLES}/{GLOB} in '{testdata}'" + (f" matching '{args.filter}'" if args.filter else ""))
    arches = {p.stem: architecture(p) for p in programs}
    out_of_scope = [(p.stem, OUT_OF_SCOPE[arches[p.stem]]) for p in programs if arches[p.stem] != V1MODEL]
    programs = [p for p in programs if arches[p.stem] == V1MODEL]
    started = time.perf_counter()
    if args.bmv2 is not None:
        from softp4.stf.bmv2 import Bmv2NotFound, find_bmv2

        try:
            find_bmv2(args.bmv2 or None)
        except Bmv2NotFound as exc:
            parser.error(f"--bmv2: {exc}")
    outcomes = run_all(programs, testdata, args.jobs, args.timeout, args.bmv2)
    text = render(outcomes, testdata, time.perf_counter() - started, out_of_scope)
    print(text, end="")
    if args.report is not None:
        try:
            args.report.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"p4c_corpus.py: error: cannot write '{args.report}': {exc.strerror or exc}", file=sys.stderr)
            return 1
    if args.check is not None:
        short = Figures.of(outcomes).below(args.check)
        for line in short:
            print(f"p4c_corpus.py: check failed: {line}", file=sys.stderr)
        if short:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
