"""`softp4 compile`: outputs, P4Info formats, flags, and clean errors with exit status 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from finsy.proto import p4i
from google.protobuf import json_format, text_format

from softp4.compiler.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "p4programs"
BASIC = CORPUS / "basic_forward.p4"


def test_compile_writes_json_and_all_p4info_formats(tmp_path: Path) -> None:
    out = tmp_path / "prog.json"
    txt, js, binf = tmp_path / "p.p4info.txtpb", tmp_path / "p.p4info.json", tmp_path / "p.p4info.bin"
    rc = main([str(BASIC), "-o", str(out), "--p4runtime-files", f"{txt},{js},{binf}"])
    assert rc == 0
    j = json.loads(out.read_text())
    assert j["__meta__"]["version"] == [2, 23]
    assert [t["name"] for t in j["pipelines"][0]["tables"]] == ["MyIngress.mac_fwd"]
    from_text = text_format.Parse(txt.read_text(), p4i.P4Info())
    from_json = json_format.Parse(js.read_text(), p4i.P4Info())
    from_bin = p4i.P4Info.FromString(binf.read_bytes())
    assert from_text == from_json == from_bin
    assert [t.preamble.name for t in from_text.tables] == ["MyIngress.mac_fwd"]


def test_default_output_name_and_p4c_flags(tmp_path: Path) -> None:
    src = tmp_path / "copy.p4"
    src.write_text(BASIC.read_text())
    rc = main([str(src), "--std", "p4-16", "--arch", "v1model", "--target", "bmv2"])
    assert rc == 0
    assert (tmp_path / "copy.json").is_file()


def test_include_dirs_and_defines(tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "sizes.p4").write_text("#define TABLE_SIZE 77\n")
    prog = BASIC.read_text().replace("size = 256;", "size = TABLE_SIZE;")
    prog = prog.replace(
        "#include <v1model.p4>",
        "#include <v1model.p4>\n#include <sizes.p4>\n#ifdef BIG\n#undef TABLE_SIZE\n#define TABLE_SIZE 4096\n#endif",
    )
    src = tmp_path / "p.p4"
    src.write_text(prog)
    out = tmp_path / "p.json"
    assert main([str(src), "-I", str(inc), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["pipelines"][0]["tables"][0]["max_size"] == 77
    assert main([str(src), "-I", str(inc), "-D", "BIG", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["pipelines"][0]["tables"][0]["max_size"] == 4096


def test_error_is_reported_with_location_and_caret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.p4"
    src.write_text(BASIC.read_text().replace("std.egress_spec = port;", "std.egress_spec = prot;"))
    rc = main([str(src), "-o", str(tmp_path / "bad.json")])
    err = capsys.readouterr().err
    assert rc == 1
    assert not (tmp_path / "bad.json").exists()
    first = err.splitlines()[0]
    assert first.startswith(f"{src}:35:27: error: ")
    assert ": error: " in first
    assert "prot" in first
    assert err.splitlines()[1].strip() == "std.egress_spec = prot;"
    assert err.splitlines()[2].strip() == "^"
    assert "Traceback" not in err


def test_preprocessor_error_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "inc.p4"
    src.write_text('#include "missing.p4"\n')
    assert main([str(src)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{src}:1:1: error: cannot find include file 'missing.p4'")
    assert '#include "missing.p4"' in err


def test_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.p4")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "psa"], "only v1model"),
        (["--target", "tofino"], "only bmv2"),
        (["--std", "p4-14"], "only p4-16"),
        (["--p4runtime-files", "x.yaml"], "unknown P4Info format"),
        (["-D", "1BAD"], "invalid macro name"),
    ],
)
def test_bad_usage_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(BASIC), *args]) == 2
    assert message in capsys.readouterr().err


def test_unsupported_construct_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "u.p4"
    src.write_text(
        BASIC.read_text().replace(
            "apply {\n        mac_fwd.apply();",
            "Checksum16() ck;\n    apply {\n        mac_fwd.apply();",
        )
    )
    assert main([str(src), "-o", str(tmp_path / "u.json")]) == 1
    err = capsys.readouterr().err
    assert "Checksum16" in err and "not supported" in err
    assert "Traceback" not in err


def test_softp4_command_dispatches_to_compile(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    proc = subprocess.run(
        [sys.executable, "-m", "softp4", "compile", str(BASIC), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["program"] == str(BASIC)
