"""benchmarks/p4c_corpus.py on tiny synthetic p4c testdata trees: outcomes, causes, report, errors."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from google.protobuf import text_format

from softp4.compiler import compile_file

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "p4c_corpus.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("p4c_corpus", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["p4c_corpus"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


corpus = _load()

PROGRAM = """\
#include <core.p4>
#include <v1model.p4>
#include "yard-headers.p4"

parser P(packet_in pkt, out headers_t hdr, inout meta_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.eth); transition accept; }
}
control VC(inout headers_t hdr, inout meta_t meta) { apply { } }
control I(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t std) {
    action forward(bit<9> port) { std.egress_spec = port; }
    action drop() { mark_to_drop(std); }
    table fwd {
        key = { hdr.eth.dst : exact; }
        actions = { forward; drop; }
        default_action = drop();
    }
    apply { fwd.apply(); }
}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t std) { apply { } }
control CC(inout headers_t hdr, inout meta_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.eth); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""

HEADERS = """\
header eth_t { bit<48> dst; bit<48> src; bit<16> type; }
struct headers_t { eth_t eth; }
struct meta_t { }
"""

STF_PASS = """\
add fwd hdr.eth.dst:0x000000000002 forward(port:3)
packet 0 000000000002 000000000001 0800
expect 3 000000000002 000000000001 0800
"""

STF_FAIL = """\
add fwd hdr.eth.dst:0x000000000002 forward(port:3)
packet 0 000000000002 000000000001 0800
expect 4 000000000002 000000000001 0800
"""


def make_tree(root: Path) -> Path:
    """A p4c-like testdata tree: five v1model -bmv2 programs (one that p4c expects to fail), two PSA,
    one PNA and one own-package -bmv2 program, one other program, goldens, STFs."""
    samples = root / "p4_16_samples"
    outputs = root / "p4_16_samples_outputs"
    samples.mkdir(parents=True)
    outputs.mkdir()
    (samples / "yard-headers.p4").write_text(HEADERS)
    for name in ("good-bmv2", "badinfo-bmv2", "badstf-bmv2"):
        (samples / f"{name}.p4").write_text(PROGRAM)
    (samples / "good-bmv2.stf").write_text(STF_PASS)
    (samples / "badinfo-bmv2.stf").write_text(STF_PASS)
    (samples / "badstf-bmv2.stf").write_text(STF_FAIL)
    (samples / "broken-bmv2.p4").write_text("#include <core.p4>\n#include <v1model.p4>\nheader h_t { bit<8> a }\n")
    # p4c's own BMv2 tests expect issue692-bmv2 to fail: failing here too agrees with p4c
    (samples / "issue692-bmv2.p4").write_text("#include <v1model.p4>\nheader h_t { bit<8> a }\n")
    (samples / "own-package-bmv2.p4").write_text("#include <core.p4>\npackage top();\n")
    (samples / "pna-thing-bmv2.p4").write_text('#include <core.p4>\n#include "pna.p4"\n')
    (samples / "other.p4").write_text("this is not a -bmv2 program and is never looked at\n")
    (samples / "psa-drop-bmv2.p4").write_text('#include <core.p4>\n#include "bmv2/psa.p4"\n')
    (samples / "psa-other-bmv2.p4").write_text("#include <core.p4>\n  # include <psa.p4>\n")
    golden = text_format.MessageToString(compile_file(samples / "good-bmv2.p4").p4info)
    assert 'alias: "fwd"' in golden
    (outputs / "good-bmv2.p4.p4info.txtpb").write_text(golden)
    (outputs / "badstf-bmv2.p4.p4info.txtpb").write_text(golden)
    (outputs / "badinfo-bmv2.p4.p4info.txtpb").write_text(golden.replace('alias: "fwd"', 'alias: "fwd_table"'))
    return root


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    root = make_tree(tmp_path_factory.mktemp("testdata"))
    report_file = root / "report.txt"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--p4c-testdata", str(root), "--jobs", "2", "--report", str(report_file)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout, report_file, str(root)


def rows(text: str) -> dict[str, list[str]]:
    table = text.split("\n\n")[1].splitlines()
    assert table[0].split() == ["program", "compile", "p4info", "stf", "compile", "s"]
    result = {}
    for line in table[1:]:
        name, *cells = line.split()
        if cells[0] == "pass":  # the compile time, a figure that is only checked to be a number
            assert float(cells.pop()) >= 0
        result[name] = cells
    return result


def test_table_has_one_row_per_bmv2_program(report: tuple[str, Path, str]) -> None:
    assert rows(report[0]) == {
        "badinfo-bmv2": ["pass", "FAIL", "pass"],
        "badstf-bmv2": ["pass", "pass", "FAIL"],
        "broken-bmv2": ["FAIL", "-"],
        "good-bmv2": ["pass", "pass", "pass"],
        "issue692-bmv2": ["FAIL", "-", "(fails", "with", "p4c", "too)"],
    }


def test_programs_that_are_not_v1model_are_out_of_scope(report: tuple[str, Path, str]) -> None:
    head = report[0].split("\n\n")[0].splitlines()
    assert head[1:] == [
        "out of scope: 4 program(s) that are not v1model, not counted:",
        f"  1 {corpus.OUT_OF_SCOPE['none']}: own-package-bmv2",
        f"  1 {corpus.OUT_OF_SCOPE['pna']}: pna-thing-bmv2",
        f"  2 {corpus.OUT_OF_SCOPE['psa']}: psa-drop-bmv2, psa-other-bmv2",
    ]
    assert "(5 v1model program(s)," in head[0]
    rest = report[0].split("\n\n", 1)[1]
    assert "psa-" not in rest and "pna-" not in rest and "own-package" not in rest


def test_architecture(tmp_path: Path) -> None:
    program = tmp_path / "p.p4"
    program.write_text('#include <v1model.p4>\n// #include "bmv2/psa.p4" would be PSA\n')
    assert corpus.architecture(program) == "v1model"
    program.write_text('#include <core.p4>\n#include "bmv2/psa.p4"\n')
    assert corpus.architecture(program) == "psa"
    program.write_text("#include <core.p4>\n  # include <pna.p4>\n")
    assert corpus.architecture(program) == "pna"
    program.write_text('#include <core.p4>\n#include "my_v1model.p4x"\n')
    assert corpus.architecture(program) == "none"
    assert corpus.architecture(tmp_path / "missing.p4") == "none"


def test_failing_with_p4c_is_listed_apart(report: tuple[str, Path, str]) -> None:
    text = report[0]
    assert "(each figure counts the 1 program(s) that fail with p4c too as agreeing with p4c)" in text
    agree = text.split("agreeing with p4c (p4c's own BMv2 tests expect these to fail; softp4 fails too):\n")[1]
    line = agree.splitlines()[0]
    assert line.startswith(f"  issue692-bmv2: {corpus.P4C_EXPECTED_FAILURES['issue692-bmv2']}; softp4 [compile]: ")
    causes = text.split("failure causes")[1].split("\n\n")[0]
    assert "issue692" not in causes


def test_percentages(report: tuple[str, Path, str]) -> None:
    text = report[0]
    assert "compile:                4/5 (80.0%)\n" in text
    assert "compile + P4Info equal: 2/3 (66.7%)   (programs with a golden P4Info file)\n" in text
    assert "                        (2 program(s) without a golden file not counted)\n" in text
    assert "STF pass:               2/3 (66.7%)\n" in text
    assert re.search(r"^compile time: +median [0-9.]+ s, longest [0-9.]+ s \((good|badinfo|badstf)-bmv2\)$", text, re.M)


def test_failures_grouped_by_cause(report: tuple[str, Path, str]) -> None:
    text = report[0]
    causes = text.split("failure causes (3 failure(s) in 3 group(s)):\n")[1].split("\n\n")[0].splitlines()
    keys = causes[0::3]
    # the compiler's wording is its own; the group is the first error line without its location
    assert keys[0].startswith("   1  compile: error: ") and "broken-bmv2.p4" not in keys[0]
    assert keys[1:] == [
        "   1  p4info: P4Info differs at tables[].preamble.alias",
        "   1  stf: fewer packets than expected on a port",
    ]
    assert '      e.g. P4Info differs at tables[0].preamble.alias: expected "fwd_table", got "fwd"' in causes
    assert "      programs: badstf-bmv2" in causes


def test_report_file_holds_details(report: tuple[str, Path, str]) -> None:
    text, report_file, root = report
    assert report_file.read_text() == text
    details = text.split("details of every failure:\n")[1]
    assert "--- broken-bmv2 [compile]\n" + f"{root}/p4_16_samples/broken-bmv2.p4:3:" in details
    stf = details.split("--- badstf-bmv2 [stf]\n")[1].split("---")[0]
    assert "port 4: expected 1 packet(s), received 0" in stf
    assert "expected: 0000000000020000000000010800" in stf


def test_filter_and_timeout(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--p4c-testdata", str(root), "--filter", "^good", "--timeout", "0.001"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert rows(done.stdout) == {"good-bmv2": ["FAIL", "-", "-"]}
    assert "   1  compile: timeout: no result after N s\n      programs: good-bmv2" in done.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--p4c-testdata", "/nonexistent"], "no p4_16_samples/ directory in '/nonexistent'"),
        (["--p4c-testdata", ".", "--filter", "("], "bad --filter '('"),
        (["--p4c-testdata", ".", "--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_usage_errors(tmp_path: Path, argv: list[str], message: str) -> None:
    (tmp_path / "p4_16_samples").mkdir()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_no_programs_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "p4_16_samples").mkdir()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--p4c-testdata", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"no p4_16_samples/*-bmv2.p4 in '{tmp_path}'" in done.stderr


# ---- the pieces, in process


def _info(text: str) -> object:
    from finsy.proto import p4i

    return text_format.Parse(text, p4i.P4Info())


def test_first_difference_paths() -> None:
    a = _info('tables { preamble { id: 1 name: "t" } match_fields { id: 1 name: "k" bitwidth: 8 } }')
    b = _info('tables { preamble { id: 1 name: "t" } match_fields { id: 1 name: "k" bitwidth: 9 } }')
    assert corpus.first_difference(a, a) is None
    assert corpus.first_difference(a, b) == "tables[0].match_fields[0].bitwidth: expected 8, got 9"
    c = _info('tables { preamble { id: 1 name: "t" } }')
    assert corpus.first_difference(a, c) == "tables[0].match_fields: expected 1 element(s), got 0"
    d = _info('tables { preamble { id: 1 name: "t" } match_fields { id: 1 name: "k" bitwidth: 8 } size: 5 }')
    assert corpus.first_difference(a, d) == "tables[0].size: expected 0, got 5"
    e = _info('pkg_info { arch: "v1model" }')
    assert corpus.first_difference(e, _info("")) == "pkg_info: missing"
    assert corpus.first_difference(_info(""), e) == "pkg_info: unexpected"
    f = _info('tables { initial_default_action { action_id: 1 arguments { param_id: 1 value: "\\001" } } }')
    g = _info('tables { initial_default_action { action_id: 1 arguments { param_id: 1 value: "\\002" } } }')
    assert corpus.first_difference(f, g) == (
        "tables[0].initial_default_action.arguments[0].value: expected 0x01, got 0x02"
    )


def test_golden_text_forms() -> None:
    current = "tables {\n  initial_default_action {\n    action_id: 7\n  }\n}\n"
    assert corpus.golden_text(current) == (current, "")
    older = "tables {\n  initial_default_action_id: 7\n  size: 1\n}\n"
    assert corpus.golden_text(older) == (
        "tables {\n  initial_default_action {\n    action_id: 7\n  }\n  size: 1\n}\n",
        corpus.ID_GOLDEN,
    )
    oldest = "tables {\n  size: 1\n}\n"
    assert corpus.golden_text(oldest) == (oldest, corpus.OLD_GOLDEN)
    no_tables = "actions {\n  preamble {\n    id: 1\n  }\n}\n"
    assert corpus.golden_text(no_tables) == (no_tables, "")


def test_cause_blanks_particulars() -> None:
    assert corpus.cause("compile", "a/b-bmv2.p4:12:5: error: no field 'dstAdr' in header eth_t\n  x\n  ^") == (
        "compile: error: no field '…' in header eth_t"
    )
    assert corpus.cause("compile", "a.p4:3:1: error: cannot use bit<32> where bit<64> is expected") == (
        "compile: error: cannot use bit<N> where bit<N> is expected"
    )
    assert corpus.cause("stf", "port 2: expected 1 packet(s), received 1\n  packet 0 differs") == (
        "stf: packet contents differ"
    )
    assert corpus.cause("stf", "port 2: expected 0 packet(s), received 3") == (
        "stf: more packets than expected on a port"
    )
    assert corpus.cause("stf", "t.stf:4: error: no table 'x'") == "stf: error: no table '…'"
    assert corpus.cause("p4info", 'P4Info differs at actions[3].params[0].name: expected "a", got "b"') == (
        "p4info: P4Info differs at actions[].params[].name"
    )


def test_golden_path_prefers_p4c_name(tmp_path: Path) -> None:
    (tmp_path / "p4_16_samples_outputs").mkdir()
    assert corpus.golden_path(tmp_path, "x-bmv2") is None
    short = tmp_path / "p4_16_samples_outputs" / "x-bmv2.p4info.txtpb"
    short.write_text("")
    assert corpus.golden_path(tmp_path, "x-bmv2") == short
    full = tmp_path / "p4_16_samples_outputs" / "x-bmv2.p4.p4info.txtpb"
    full.write_text("")
    assert corpus.golden_path(tmp_path, "x-bmv2") == full


def test_comparable_leaves_out_what_old_goldens_lack() -> None:
    from finsy.proto import p4i

    actual = _info("tables { preamble { id: 1 } initial_default_action { action_id: 2 } } type_info { }")
    assert isinstance(actual, p4i.P4Info)
    same, notes = corpus.comparable(_info("tables { preamble { id: 1 } }"), actual, corpus.OLD_GOLDEN)
    assert same == _info("tables { preamble { id: 1 } } type_info { }")
    assert notes == [corpus.OLD_GOLDEN]
    # a golden of the p4c softp4 follows is compared as it is: a missing type_info is a difference
    kept, notes = corpus.comparable(_info("tables { preamble { id: 1 } }"), actual, "")
    assert kept == actual and kept is not actual
    assert notes == []
    assert corpus.first_difference(_info("tables { preamble { id: 1 } }"), kept) is not None


def test_collect_names_the_stage_that_was_running(tmp_path: Path) -> None:
    program = tmp_path / "x-bmv2.p4"
    (tmp_path / "x-bmv2.stf").write_text("")
    compiled = {"stage": "compile", "ok": True, "seconds": 0.5}
    compared = {"stage": "p4info", "ok": True, "notes": []}
    started = {"stage": "stf", "ok": None, "error": "started"}
    cases = [
        ([], ["FAIL", "-", "-"], "compile"),
        ([compiled], ["pass", "FAIL", "-"], "p4info"),
        ([compiled, compared], ["pass", "pass", "FAIL"], "stf"),
        ([compiled, compared, started], ["pass", "pass", "FAIL"], "stf"),
    ]
    for records, cells, stage in cases:
        outcome = corpus.collect(program, records, "worker died (exit 3): out of memory")
        assert [outcome.compile, outcome.p4info, outcome.stf] == cells
        assert outcome.errors == {stage: "worker died (exit 3): out of memory"}
        assert outcome.has_stf
    finished = corpus.collect(program, [compiled, compared, started, {"stage": "stf", "ok": True}], None)
    assert [finished.compile, finished.p4info, finished.stf, finished.errors] == ["pass", "pass", "pass", {}]
    assert finished.seconds == 0.5
    unjudged = corpus.collect(program, [compiled, {"stage": "p4info", "ok": None, "error": "no golden file"}], None)
    assert unjudged.p4info == "-"
    assert unjudged.failures() == []
    assert unjudged.errors == {"p4info (not judged)": "no golden file"}


def test_real_switch_verdicts_are_compared_not_counted_as_failures(tmp_path: Path) -> None:
    program = tmp_path / "x-bmv2.p4"
    (tmp_path / "x-bmv2.stf").write_text("")
    ran = [
        {"stage": "compile", "ok": True, "seconds": 0.5},
        {"stage": "stf", "ok": True},
        {"stage": "bmv2", "ok": None, "error": "started"},
    ]
    hung = corpus.collect(program, ran, "timeout: no result after 9 s")
    assert (hung.stf, hung.bmv2) == ("pass", "FAIL")
    assert hung.failures() == []  # the real switch's verdict is a comparison, not a softp4 failure
    differs = corpus.collect(
        program, [*ran, {"stage": "bmv2", "ok": False, "error": "port 2: expected 1 packet(s), received 0"}], None
    )
    same = corpus.collect(program.with_name("y-bmv2.p4"), [*ran, {"stage": "bmv2", "ok": True}], None)
    same.has_stf = True
    unsupported = corpus.collect(program, [*ran, {"stage": "bmv2", "ok": None, "error": "cannot run"}], None)
    assert (unsupported.bmv2, unsupported.errors) == ("-", {"bmv2 (not judged)": "cannot run"})
    text = corpus.render([differs, same, unsupported], tmp_path, 1.0)
    assert "softp4 vs simple_switch: 1/2 (50.0%) same verdict (1 pass on both, 0 fail on both)" in text
    assert "x-bmv2: softp4 pass, simple_switch FAIL: port 2: expected 1 packet(s), received 0" in text
    assert "(1 STF test(s) not runnable on simple_switch" in text
    without = corpus.render([same.__class__("z", True, stf="pass")], tmp_path, 1.0)
    assert "simple_switch" not in without
