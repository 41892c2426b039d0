"""benchmarks/realworld.py and benchmarks/p4runtime_replay.py on tiny stand-in checkouts and tools.

The stand-in p4c-bm2-ss is softp4 (so P4Info is equal, except where the stand-in changes it on
purpose) and the stand-in simple_switch_grpc is a softp4 switch started with BMv2's command line:
what is checked is the script's plumbing (finding things, skipping, comparing, the table, the exit
status), and the writes and the codes the softp4 P4Runtime server answers them with.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from softp4.compiler import compile_source
from softp4.switch import Switch
from softp4.switch.p4runtime import P4RuntimeServer

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPT = BENCHMARKS / "realworld.py"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


replay = _load("p4runtime_replay")

PROGRAM = """\
#include <core.p4>
#include <v1model.p4>
#include "shared/headers.p4"
#ifdef WITH_UPF
this does not compile;
#endif
#ifdef NEED_BMV2
#ifndef PLATFORM_BMV2
#error PLATFORM_BMV2 is not defined
#endif
#endif
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.eth); transition accept; }
}
control VC(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action fwd(bit<9> port) { s.egress_spec = port; }
    action drop() { mark_to_drop(s); }
    table l2 { key = { h.eth.dst : exact; } actions = { fwd; drop; } default_action = drop(); }
    table acl { key = { h.eth.type : ternary; h.eth.src : lpm; } actions = { drop; NoAction; } }
    table fixed {
        key = { h.eth.type : exact; }
        actions = { drop; NoAction; }
        const entries = { 0x0806 : drop(); }
        const default_action = NoAction();
    }
    apply { l2.apply(); acl.apply(); fixed.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply { } }
control CC(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h.eth); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""

HEADERS = """\
header eth_t { bit<48> dst; bit<48> src; bit<16> type; }
struct H { eth_t eth; }
struct M { }
"""

# p4c-bm2-ss stand-in: softp4's compiler; for a program named middleblock its P4Info differs
FAKE_P4C = """\
#!{python}
import subprocess, sys
args = sys.argv[1:]
done = subprocess.run([sys.executable, "-m", "softp4", "compile", *args])
if done.returncode == 0 and any("middleblock" in a for a in args):
    out = args[args.index("--p4runtime-files") + 1]
    text = open(out).read().replace('alias: "l2"', 'alias: "l2_table"')
    open(out, "w").write(text)
sys.exit(done.returncode)
"""

# simple_switch_grpc stand-in: a softp4 switch on the gRPC address BMv2's command line gives
FAKE_BMV2 = """\
#!{python}
import os, sys
args = sys.argv[1:]
if "--help" in args:
    print("usage: simple_switch_grpc [options] <path to JSON config file>")
    sys.exit(0)
addr = args[args.index("--grpc-server-addr") + 1]
os.execv(sys.executable, [sys.executable, "-m", "softp4", "switch", "--no-p4", "--device-id", "1",
                          "--grpc-server-addr", addr])
"""


def _checkout(root: Path, source: str, program: str = PROGRAM) -> Path:
    (root / Path(source).parent).mkdir(parents=True)
    (root / source).write_text(program)
    return root


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    base = tmp_path_factory.mktemp("realworld")
    fabric = _checkout(base / "fabric-tna", "p4src/v1model/fabric_v1model.p4")
    (fabric / "p4src" / "shared").mkdir()
    (fabric / "p4src" / "shared" / "headers.p4").write_text(HEADERS)
    pins = _checkout(base / "sonic-pins", "sai_p4/instantiations/google/middleblock.p4",
                     PROGRAM.replace("#ifdef NEED_BMV2", "#if 1"))
    (pins / "sai_p4" / "instantiations" / "google" / "shared").mkdir()
    (pins / "sai_p4" / "instantiations" / "google" / "shared" / "headers.p4").write_text(HEADERS)
    tools = base / "p4ref"
    (tools / "bin").mkdir(parents=True)
    for name, text in (("p4c-bm2-ss", FAKE_P4C), ("simple_switch_grpc", FAKE_BMV2)):
        path = tools / "bin" / name
        path.write_text(text.format(python=sys.executable))
        path.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("FABRIC_TNA", "SONIC_PINS", "DASH", "P4REF")}
    env.update(FABRIC_TNA=str(fabric), SONIC_PINS=str(pins), P4REF=str(tools))
    return env, base


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=280, check=False, env=env
    )


def _rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("program "))
    assert lines[start].split() == ["program", "softp4", "s", "p4c", "s", "P4Info", "softp4", "switch",
                                    "bmv2<-softp4", "bmv2<-p4c", "writes"]
    out = {}
    for line in lines[start + 1:]:
        if not line or ":" in line.split()[0]:
            break
        name, *cells = line.split()
        out[name] = cells
    return out


@pytest.fixture(scope="module")
def full_run(setup: tuple[dict[str, str], Path]) -> subprocess.CompletedProcess[str]:
    env, base = setup
    return _run(env, "--programs", "fabric,fabric-upf,sai-middleblock,dash", "--work", str(base / "work"))


def test_missing_checkout_is_skipped_with_a_reason(full_run: subprocess.CompletedProcess[str]) -> None:
    assert full_run.returncode == 0, full_run.stderr
    assert "skipping dash: DASH not set" in full_run.stdout.splitlines()


def test_table_compares_p4info_loads_and_writes(full_run: subprocess.CompletedProcess[str]) -> None:
    rows = _rows(full_run.stdout)
    assert set(rows) == {"fabric", "fabric-upf", "sai-middleblock"}
    fabric = rows["fabric"]
    float(fabric[0]), float(fabric[1])  # compile times
    # the fabric row: P4Info equal, the program loads on all three, every write answered alike
    assert fabric[2:6] == ["equal", "ok", "ok", "ok"]
    same, total = fabric[6].split("/")
    assert same == total and int(total) > 10 and fabric[7] == "same"
    # a compile error on either side is shown, and nothing further is tried
    assert rows["fabric-upf"] == ["FAIL", "FAIL", "-", "-", "-", "-", "-"]
    assert "fabric-upf: softp4: " in full_run.stdout
    # PLATFORM_BMV2 was given (else #error), and the stand-in p4c's P4Info differs
    assert rows["sai-middleblock"][2] == "DIFFERENT"
    assert 'sai-middleblock: P4Info: tables[0].preamble.alias: expected "l2_table", got "l2"' in full_run.stdout


def test_check_fails_only_when_a_comparison_fails(setup: tuple[dict[str, str], Path]) -> None:
    env, base = setup
    ok = _run(env, "--check", "--no-switch", "--programs", "fabric", "--work", str(base / "w1"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = _run(env, "--check", "--no-switch", "--programs", "fabric,sai-middleblock", "--work", str(base / "w2"))
    assert bad.returncode == 1


def test_unknown_program_is_a_usage_error(setup: tuple[dict[str, str], Path]) -> None:
    done = _run(setup[0], "--programs", "fabric,nope")
    assert done.returncode == 2
    assert "unknown program(s) nope" in done.stderr


# --------------------------------------------------------------------- the writes themselves


@pytest.fixture
def server() -> Iterator[str]:
    srv = P4RuntimeServer(Switch(None, device_id=1), address="127.0.0.1:0", device_id=1)
    srv.start()
    try:
        yield f"127.0.0.1:{srv.port}"
    finally:
        srv.stop()


def test_writes_and_the_codes_a_switch_answers(server: str) -> None:
    result = compile_source(PROGRAM.replace('#include "shared/headers.p4"', HEADERS), filename="prog.p4")
    with replay.ReplayClient(server) as client:
        assert client.set_pipeline(result.p4info, json.dumps(result.bmv2_json).encode()) == ""
        got = client.replay(result.p4info)
    assert got.outcomes == [
        ("I.l2: insert A", "OK"),
        ("I.l2: insert A again", "ALREADY_EXISTS"),
        ("I.l2: modify A", "OK"),
        ("I.l2: insert B", "OK"),
        ("I.l2: insert C with a parameter too wide", "INVALID_ARGUMENT"),
        ("I.l2: insert D with the wrong priority", "INVALID_ARGUMENT"),
        ("I.l2: delete A", "OK"),
        ("I.l2: delete A again", "NOT_FOUND"),
        ("I.l2: set default", "OK"),
        ("I.acl: insert A", "OK"),
        ("I.acl: insert A again", "ALREADY_EXISTS"),
        ("I.acl: modify A", "OK"),
        ("I.acl: insert B", "OK"),
        ("I.acl: insert D with the wrong priority", "INVALID_ARGUMENT"),
        ("I.acl: delete A", "OK"),
        ("I.acl: delete A again", "NOT_FOUND"),
        ("I.acl: set default", "OK"),
        ("I.fixed: insert into a const table", "UNKNOWN"),
    ]
    # B is what is left; the const table holds its entry
    assert [len(got.reads[t]) for t in ("I.l2", "I.acl", "I.fixed")] == [1, 1, 1]
    assert "priority: 20" in got.reads["I.acl"][0]
    same, diff = got.compare(got)
    assert (same, diff) == (len(got.outcomes), "")
    other = replay.Replay(list(got.outcomes), dict(got.reads))
    other.outcomes[1] = ("I.l2: insert A again", "OK")
    assert got.compare(other) == (len(got.outcomes) - 1, "I.l2: insert A again: OK here, ALREADY_EXISTS there")


def test_canonical_values() -> None:
    assert replay.canonical(0, 9) == b"\x00"
    assert replay.canonical(0x1FF, 9) == b"\x01\xff"
    assert replay.canonical(1 << 9, 9) == b"\x02\x00"  # too wide stays too wide
