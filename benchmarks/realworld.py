"""softp4 on the programs people run on BMv2: ONF fabric-tna (v1model), SONiC SAI P4, SONiC DASH.

Run: .venv/bin/python benchmarks/realworld.py [--fabric-tna DIR] [--sonic-pins DIR] [--dash DIR]
     [--p4ref PREFIX] [--programs NAME,...] [--work DIR] [--no-switch] [--check]

The three checkouts come from the options or from FABRIC_TNA, SONIC_PINS and DASH (a missing one
is skipped with a line saying so). Real p4c-bm2-ss and simple_switch_grpc are looked up in
PREFIX/bin (--p4ref or P4REF), then on PATH. For every program (fabric-tna in its four profiles,
SAI P4's middleblock for BMv2, DASH for BMv2, each with the flags its own build gives p4c):
  1. compile it with softp4, and with p4c-bm2-ss when found; print both compile times;
  2. compare the two P4Infos as parsed p4.config.v1.P4Info messages (the first field that differs);
  3. push softp4's outputs to a softp4 switch and, when simple_switch_grpc is found, to it too,
     and p4c's to simple_switch_grpc, over P4Runtime (SetForwardingPipelineConfig after
     `--no-p4`, gRPC on 127.0.0.1 only, no interfaces); send each the same P4Runtime writes
     (p4runtime_replay.py: a few per table, chosen from P4Info, valid and invalid ones) and read
     every table back: the switches must accept and refuse the same writes with the same codes
     and read back the same entries.
The sai-*-golden rows compile each SAI P4 instantiation as sonic-pins checks its P4Info in (no
PLATFORM_BMV2) and compare with that file (fields newer than the p4c that wrote it left out).
Prints a table of results and figures. Exit status 0 whatever the results, 2 for a usage error;
with --check, 1 when any comparison fails (a compile error on either side counts as one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for testbed.processes (run as a script from a checkout)

import grpc  # noqa: E402
from google.protobuf import text_format  # noqa: E402
from p4c_corpus import comparable, first_difference, golden_text  # noqa: E402
from p4runtime_replay import Replay, ReplayClient  # noqa: E402

COMPILE_TIMEOUT = 600.0


@dataclass(frozen=True)
class Program:
    """One program as its project builds it: checkout (an option name), source, -I and -D flags."""

    name: str
    checkout: str  # "fabric_tna", "sonic_pins" or "dash"
    source: str  # relative to the checkout
    includes: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()
    golden: str = ""  # a P4Info checked in beside it (written by the project's own p4c) to compare with


FABRIC = "p4src/v1model/fabric_v1model.p4"
SAI = "sai_p4/instantiations/google"
# fabric-tna's Makefile: the fabric-*-v1model profiles and the flags p4src/v1model/build.sh passes on
PROGRAMS = (
    Program("fabric", "fabric_tna", FABRIC, ("p4src",)),
    Program("fabric-int", "fabric_tna", FABRIC, ("p4src",), ("WITH_INT",)),
    Program("fabric-upf", "fabric_tna", FABRIC, ("p4src",), ("WITH_UPF",)),
    Program("fabric-upf-int", "fabric_tna", FABRIC, ("p4src",), ("WITH_UPF", "WITH_INT")),
    # sonic-pins builds middleblock for BMv2 with PLATFORM_BMV2 (no string-translated types)
    Program("sai-middleblock", "sonic_pins", f"{SAI}/middleblock.p4", (), ("PLATFORM_BMV2",)),
    # DASH's dash-pipeline Makefile: p4c-bm2-ss -DTARGET_BMV2_V1MODEL
    Program("dash", "dash", "dash-pipeline/bmv2/dash_pipeline.p4", (), ("TARGET_BMV2_V1MODEL",)),
    # sonic-pins checks in the P4Info of each SAI P4 instantiation (built without PLATFORM_BMV2,
    # by an older p4c): compared with softp4's, not loaded into a switch
    *(
        Program(f"sai-{inst.replace('_', '-')}-golden", "sonic_pins", f"{SAI}/{inst}.p4",
                golden=f"{SAI}/{inst}.p4info.pb.txt")
        for inst in ("middleblock", "tor", "fabric_border_router", "wbb")
    ),
)
CHECKOUTS = {"fabric_tna": "FABRIC_TNA", "sonic_pins": "SONIC_PINS", "dash": "DASH"}


@dataclass
class Compiled:
    """One compile: success, seconds, outputs, and the first error line when it failed."""

    ok: bool
    seconds: float
    json: Path
    p4info: Path
    error: str = ""


@dataclass
class Result:
    """Everything measured for one program."""

    program: Program
    skipped: str = ""
    softp4: Compiled | None = None
    p4c: Compiled | None = None
    p4info: str = ""  # "equal", the first difference, or why not compared
    loads: dict[str, str] = field(default_factory=dict)  # target -> "ok" or the error
    replay: str = ""  # "N/N same" or the first difference
    failures: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# compiling


def compile_command(tool: Sequence[str], program: Program, root: Path, out: Path) -> list[str]:
    cmd = [*tool, str(root / program.source)]
    for inc in program.includes:
        cmd += ["-I", str(root / inc)]
    cmd += [f"-D{d}" for d in program.defines]
    cmd += ["-o", str(out / "prog.json"), "--p4runtime-files", str(out / "prog.p4info.txtpb")]
    return cmd


def run_compile(tool: Sequence[str], program: Program, root: Path, out: Path) -> Compiled:
    out.mkdir(parents=True, exist_ok=True)
    cmd = compile_command(tool, program, root, out)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Compiled(False, COMPILE_TIMEOUT, out / "prog.json", out / "prog.p4info.txtpb", "timed out")
    seconds = time.perf_counter() - start
    compiled = Compiled(proc.returncode == 0, seconds, out / "prog.json", out / "prog.p4info.txtpb")
    if not compiled.ok:
        lines = [ln for ln in proc.stderr.splitlines() if "error" in ln.lower()] or proc.stderr.splitlines()
        compiled.error = (lines[0] if lines else f"exit status {proc.returncode}").strip()
    return compiled


def load_p4info(path: Path) -> Any:
    from finsy.proto import p4i

    info = p4i.P4Info()
    text_format.Parse(path.read_text(), info)
    return info


def compare_golden(result: Result, golden: Path) -> None:
    """softp4's P4Info against one an older p4c wrote (fields newer than it are left out, as in
    p4c_corpus.py)."""
    from finsy.proto import p4i

    s = result.softp4
    if s is None or not s.ok:
        result.p4info = "-"
        return
    text, note = golden_text(golden.read_text())
    expected = p4i.P4Info()
    text_format.Parse(text, expected)
    actual, _ = comparable(expected, load_p4info(s.p4info), note)
    diff = first_difference(expected, actual)
    result.p4info = "equal" if diff is None else diff
    if diff is not None:
        result.failures.append(f"P4Info against {golden.name}: {diff}")


def compare_p4info(result: Result) -> None:
    s, p = result.softp4, result.p4c
    if s is None or not s.ok:
        result.p4info = "-"
        return
    if p is None:
        result.p4info = "(no p4c)"
        return
    if not p.ok:
        result.p4info = "-"
        return
    diff = first_difference(load_p4info(p.p4info), load_p4info(s.p4info))
    result.p4info = "equal" if diff is None else diff
    if diff is not None:
        result.failures.append(f"P4Info: {diff}")


# ---------------------------------------------------------------------------------------------
# switches


def replay_on_switches(results: list[Result], bmv2: str | None, work: Path) -> None:
    """Push each program to a softp4 switch (and to simple_switch_grpc, when there is one) and replay
    the same writes on each."""
    from testbed.processes import switches

    spec = switches.SwitchSpec("realworld")
    starts: dict[str, Callable[[], switches.SwitchProcess]] = {}
    (work / "softp4").mkdir(parents=True, exist_ok=True)
    starts["softp4"] = lambda: switches.start("softp4", spec, work / "softp4")
    if bmv2 is not None:
        usage = subprocess.run([bmv2, "--help"], capture_output=True, text=True, timeout=30, check=False)
        (work / "bmv2").mkdir(parents=True, exist_ok=True)
        thrift = "--thrift-port" in usage.stdout + usage.stderr
        starts["bmv2"] = lambda: switches.start("bmv2", spec, work / "bmv2", (bmv2, thrift))
    procs: dict[str, switches.SwitchProcess] = {}

    def serving(name: str) -> str:
        """The address of a running switch `name` (started again if it died: a JSON may crash BMv2)."""
        proc = procs.get(name)
        if proc is None or proc.proc.poll() is not None:
            proc = procs[name] = starts[name]()
            proc.wait_serving()
        return proc.grpc_addr

    try:
        for result in results:
            s = result.softp4
            if result.skipped or result.program.golden or s is None or not s.ok:
                continue
            targets: list[tuple[str, str, Compiled]] = [("softp4 switch", "softp4", s)]
            if "bmv2" in starts:
                targets.append(("bmv2 <- softp4", "bmv2", s))
                if result.p4c is not None and result.p4c.ok:
                    targets.append(("bmv2 <- p4c", "bmv2", result.p4c))
            replays: dict[str, Replay] = {}
            for label, name, compiled in targets:
                try:
                    with ReplayClient(serving(name)) as client:
                        error = client.set_pipeline(load_p4info(compiled.p4info), compiled.json.read_bytes())
                        if not error:
                            # the writes come from softp4's P4Info, so every target gets the same requests
                            replays[label] = client.replay(load_p4info(s.p4info))
                except grpc.RpcError as exc:
                    error = f"the switch stopped answering ({exc.code().name}){procs[name].log_tail(2)}"
                result.loads[label] = error or "ok"
                if error:
                    result.failures.append(f"{label}: pipeline refused: {error}")
            compare_replays(result, replays)
    finally:
        for proc in procs.values():
            proc.stop()


def compare_replays(result: Result, replays: dict[str, Replay]) -> None:
    if len(replays) < 2:
        only = next(iter(replays.values()), None)
        result.replay = f"{len(only.outcomes)} sent" if only is not None else "-"
        return
    (ref_label, ref), *others = reversed(list(replays.items()))  # the oracle: BMv2 with p4c's, else softp4's
    compared = [(label, *ref.compare(other)) for label, other in others]
    same = min(n for _, n, _ in compared)
    first = next((f"{label} vs {ref_label}: {diff}" for label, _, diff in compared if diff), "")
    total = len(ref.outcomes)
    result.replay = f"{same}/{total} same" + (f"; {first}" if first else "")
    if first:
        result.failures.append(f"writes: {first}")


# ---------------------------------------------------------------------------------------------
# driver


def find_tool(name: str, p4ref: str | None) -> str | None:
    if p4ref:
        candidate = Path(p4ref) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def _seconds(c: Compiled | None) -> str:
    if c is None:
        return "-"
    return f"{c.seconds:.2f}" if c.ok else "FAIL"


def print_table(results: list[Result]) -> None:
    header = ("program", "softp4 s", "p4c s", "P4Info", "softp4 switch", "bmv2<-softp4", "bmv2<-p4c", "writes")
    rows = []
    for r in results:
        if r.skipped:
            continue
        rows.append((
            r.program.name,
            _seconds(r.softp4),
            "golden" if r.program.golden else _seconds(r.p4c),
            r.p4info if len(r.p4info) <= 12 else "DIFFERENT",
            r.loads.get("softp4 switch", "-")[:13],
            r.loads.get("bmv2 <- softp4", "-")[:13],
            r.loads.get("bmv2 <- p4c", "-")[:13],
            r.replay.split(";")[0] if r.replay else "-",
        ))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    for r in results:
        for what, c in (("softp4", r.softp4), ("p4c", r.p4c)):
            if c is not None and not c.ok:
                print(f"{r.program.name}: {what}: {c.error}")
        for failure in r.failures:
            print(f"{r.program.name}: {failure}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--fabric-tna", help="stratum/fabric-tna checkout (or FABRIC_TNA)")
    ap.add_argument("--sonic-pins", help="sonic-net/sonic-pins checkout (or SONIC_PINS)")
    ap.add_argument("--dash", help="sonic-net/DASH checkout (or DASH)")
    ap.add_argument("--p4ref", help="prefix with bin/p4c-bm2-ss and bin/simple_switch_grpc (or P4REF)")
    ap.add_argument("--programs", help="comma-separated program names (default: all): "
                    + ", ".join(p.name for p in PROGRAMS))
    ap.add_argument("--work", help="directory for outputs and switch logs (default: a temporary one)")
    ap.add_argument("--no-switch", action="store_true", help="compile and compare P4Info only")
    ap.add_argument("--check", action="store_true", help="exit 1 when any comparison fails")
    args = ap.parse_args(argv)

    wanted = [p.name for p in PROGRAMS]
    if args.programs:
        wanted = [n.strip() for n in args.programs.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in {p.name for p in PROGRAMS}]
        if unknown:
            ap.error(f"--programs: unknown program(s) {', '.join(unknown)}")
    roots: dict[str, Path | None] = {}
    for key, env in CHECKOUTS.items():
        given = getattr(args, key) or os.environ.get(env)
        roots[key] = Path(given) if given else None
    p4ref = args.p4ref or os.environ.get("P4REF")
    p4c = find_tool("p4c-bm2-ss", p4ref)
    bmv2 = find_tool("simple_switch_grpc", p4ref)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="realworld-"))
    softp4 = [sys.executable, "-m", "softp4", "compile"]
    p4c_cmd = [p4c, "--arch", "v1model"] if p4c else None
    print(f"p4c-bm2-ss: {p4c or 'not found (P4Info not compared)'}")
    print(f"simple_switch_grpc: {bmv2 or 'not found (writes go to the softp4 switch only)'}")
    print(f"outputs in {work}")

    results: list[Result] = []
    for program in PROGRAMS:
        if program.name not in wanted:
            continue
        result = Result(program)
        results.append(result)
        root = roots[program.checkout]
        if root is None:
            result.skipped = f"{CHECKOUTS[program.checkout]} not set"
        elif not (root / program.source).is_file():
            result.skipped = f"{root / program.source} not found"
        if result.skipped:
            print(f"skipping {program.name}: {result.skipped}")
            continue
        assert root is not None
        result.softp4 = run_compile(softp4, program, root, work / program.name / "softp4")
        if not result.softp4.ok:
            result.failures.append("softp4 does not compile it")
        if program.golden:
            compare_golden(result, root / program.golden)
            continue
        if p4c_cmd is not None:
            result.p4c = run_compile(p4c_cmd, program, root, work / program.name / "p4c")
            if not result.p4c.ok:
                result.failures.append("p4c does not compile it")
        compare_p4info(result)
    if not args.no_switch and any(r.softp4 and r.softp4.ok for r in results):
        replay_on_switches(results, bmv2, work)
    print()
    print_table(results)
    failed = any(r.failures for r in results)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
