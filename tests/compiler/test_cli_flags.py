"""The command lines of p4c-bm2-ss and the p4c driver: each flag public Makefiles pass is taken with
p4c's meaning or refused by name (exit 2), never ignored; and the `softp4 shims` wrappers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from finsy.proto import p4i
from google.protobuf import text_format

from softp4 import __version__
from softp4.cli import main as softp4_main
from softp4.compiler.cli import DRIVER_REFUSED, REFUSED, driver_main, main
from softp4.shims import SHIMS, write_shims

CORPUS = Path(__file__).resolve().parents[1] / "p4programs"
BASIC = CORPUS / "basic_forward.p4"

WARNS = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> f; }
struct hs_t { h_t h; }
struct m_t { }
parser P(packet_in pkt, out hs_t hdr, inout m_t m, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.h); transition reject; }
}
control V(inout hs_t hdr, inout m_t m) { apply { } }
control I(inout hs_t hdr, inout m_t m, inout standard_metadata_t sm) {
#ifdef FWD
    apply { sm.egress_spec = FWD; }
#else
    apply { }
#endif
}
control E(inout hs_t hdr, inout m_t m, inout standard_metadata_t sm) { apply { } }
control C(inout hs_t hdr, inout m_t m) { apply { } }
control D(packet_out pkt, in hs_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""


def test_tutorial_command_line_of_p4c_bm2_ss(tmp_path: Path) -> None:
    out, info = tmp_path / "basic.json", tmp_path / "basic.p4info.txt"
    argv = ["--p4v", "16", "--p4runtime-files", str(info), "-o", str(out), str(BASIC)]
    assert main(argv) == 0
    assert json.loads(out.read_text())["__meta__"]["version"] == [2, 23]
    assert text_format.Parse(info.read_text(), p4i.P4Info()).tables[0].preamble.name == "MyIngress.mac_fwd"


def test_p4runtime_file_is_binary_unless_a_format_is_given(tmp_path: Path) -> None:
    old = tmp_path / "old.txt"
    assert main([str(BASIC), "-o", str(tmp_path / "a.json"), "--p4runtime-file", str(old)]) == 0
    assert p4i.P4Info.FromString(old.read_bytes()).tables  # p4c's default format: binary
    assert main([str(BASIC), "-o", str(tmp_path / "a.json"), "--p4runtime-file", str(old),
                 "--p4runtime-format", "text"]) == 0  # fmt: skip
    assert text_format.Parse(old.read_text(), p4i.P4Info()).tables


def test_preprocess_only_prints_the_program(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "w.p4"
    src.write_text(WARNS)
    assert main(["-E", "-D", "FWD=3", str(src)]) == 0
    text = capsys.readouterr().out
    assert "sm.egress_spec = 3;" in text and "#ifdef" not in text
    assert not (tmp_path / "w.json").exists()
    assert main(["-E", "-D", "FWD=3", "-U", "FWD", str(src)]) == 0
    assert "sm.egress_spec" not in capsys.readouterr().out
    assert main(["-E", "-U", "__TARGET_BMV2__", str(src)]) == 0  # -U removes the target's macros too


def test_werror_and_wdisable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "w.p4"
    src.write_text(WARNS)
    assert main([str(src)]) == 0
    assert "warning: transition to reject" in capsys.readouterr().err
    assert main(["--Werror", str(src)]) == 1
    assert "error: transition to reject" in capsys.readouterr().err
    assert main(["--Wdisable", str(src)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["--Werror=unused", str(src)]) == 2
    assert "--Werror: ignored explicit argument 'unused'" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert driver_main(["-V"]) == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--p4v", "14"], "--p4v 14: only 16 (P4-16) is supported"),
        (["--std", "p4-14"], "--std p4-14: only p4-16 is supported"),
        (["--arch", "psa"], "--arch psa: only v1model is supported"),
        (["--emit-externs"], "--emit-externs: softp4 emits only v1model's externs"),
        (["--pp", "x.p4"], "--pp: pretty-printing the program is not supported by softp4"),
        (["-MD"], "-MD: dependency output"),
        (["--ndebug"], "--ndebug: softp4 always keeps assert and assume"),
    ],
)
def test_refused_flags_name_themselves(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, str(BASIC)]) == 2
    assert message in capsys.readouterr().err


def test_every_refused_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for flag, (nargs, why) in REFUSED.items():
        values = ["x"] if nargs == 1 else []
        assert main([flag, *values, str(BASIC)]) == 2, flag
        assert f"{flag}: {why}" in capsys.readouterr().err
    for flag, (nargs, why) in DRIVER_REFUSED.items():
        values = ["x"] if nargs == 1 else []
        assert driver_main([flag, *values, str(BASIC)]) == 2, flag
        assert f"{flag}: {why}" in capsys.readouterr().err


def test_p4c_driver_writes_into_the_output_directory(tmp_path: Path) -> None:
    build = tmp_path / "build"
    info = build / "basic.p4info.txt"
    argv = ["-b", "bmv2", "-a", "v1model", "--std", "p4-16", "-o", str(build), "--p4runtime-files", str(info),
            str(BASIC)]  # fmt: skip
    assert driver_main(argv) == 0
    assert json.loads((build / "basic_forward.json").read_text())["pipelines"]
    assert "MyIngress" in (build / "basic_forward.p4i").read_text()
    assert text_format.Parse(info.read_text(), p4i.P4Info()).tables
    assert driver_main(["--target", "bmv2", "--arch", "psa", str(BASIC)]) == 2
    assert driver_main(["-b", "tofino", str(BASIC)]) == 2


def test_softp4_p4c_and_shims_commands(tmp_path: Path) -> None:
    assert softp4_main(["p4c", "-o", str(tmp_path / "out"), str(BASIC)]) == 0
    assert (tmp_path / "out" / "basic_forward.json").is_file()
    shims = tmp_path / "bin"
    assert softp4_main(["shims", str(shims)]) == 0
    assert sorted(p.name for p in shims.iterdir()) == sorted(SHIMS)


def test_shims_run_softp4_under_the_real_names(tmp_path: Path) -> None:
    write_shims(tmp_path / "bin")
    out = tmp_path / "b.json"
    done = subprocess.run(
        [str(tmp_path / "bin" / "p4c-bm2-ss"), "--p4v", "16", "-o", str(out), str(BASIC)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["pipelines"]
    version = subprocess.run(
        [str(tmp_path / "bin" / "simple_switch_grpc"), "--version"], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert version.returncode == 0 and "softp4 switch" in version.stdout
