"""`softp4 stf --json prog.json test.stf` end to end on the real switch (hand-written BMv2 JSON)."""

from __future__ import annotations

from pathlib import Path

import pytest

from softp4.stf.cli import main

DATA = Path(__file__).parent / "data"
L2ACL = str(DATA / "l2acl.json")


def run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    stf = tmp_path / "t.stf"
    stf.write_text(text)
    code = main(["--json", L2ACL, str(stf)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_forward_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        tmp_path,
        """
        # unicast by destination MAC
        add dmac hdr.ethernet.dstAddr:0x000000000001 forward(port:2)
        add dmac dstAddr:0x000000000002 forward(port:3)
        packet 0 000000000001 0000000000aa 0800 01020304
        expect 2 000000000001 0000000000aa 0800 01020304 $
        packet 1 000000000002 0000000000aa 0800
        expect 3 000000000002 ************ 0800
        packet 0 000000000009 0000000000aa 0800
        check_counter seen(1) packets == 2
        """,
        capsys,
    )
    assert (code, err) == (0, "")
    assert out.startswith("PASS ")
    assert "2 packet(s) checked on 4 port(s)" in out


def test_ternary_priority_higher_wins_and_lpm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        tmp_path,
        """
        add dmac dstAddr:0x000000000001 forward(port:2)
        add acl 1 etherType:0x08** srcAddr:0x0000000000**/40 set_type(t:0x1111)
        add acl 5 etherType:0x0800 set_type(t:0x5555)
        add acl 9 etherType:0x0806 set_type(t:0x9999)
        packet 0 000000000001 0000000000aa 0800
        expect 2 000000000001 0000000000aa 5555
        packet 0 000000000001 0000000000aa 0801
        expect 2 000000000001 0000000000aa 1111
        packet 0 000000000001 0000000001aa 0801
        expect 2 000000000001 0000000001aa 0801
        """,
        capsys,
    )
    assert code == 0, out


def test_multicast_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        tmp_path,
        """
        mc_mgrp_create 7
        mc_node_create 0 1 2
        mc_node_create 1 4
        mc_node_associate 7 0
        mc_node_associate 7 1
        add dmac dstAddr:0xffffffffffff multicast(grp:7)
        packet 0 ffffffffffff 0000000000aa 0800
        expect 1 ffffffffffff 0000000000aa 0800
        expect 2 ffffffffffff 0000000000aa 0800
        expect 4 ffffffffffff 0000000000aa 0800
        """,
        capsys,
    )
    assert code == 0, out


def test_register_and_setdefault(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        tmp_path,
        """
        register_write last_port 2 77
        register_reset MyIngress.last_port
        setdefault dmac forward(port:6)
        packet 0 000000000005 0000000000aa 0800
        expect 6 000000000005
        """,
        capsys,
    )
    assert code == 0, out


def test_mismatch_prints_diff_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        tmp_path,
        """
        add dmac dstAddr:0x000000000001 forward(port:2)
        packet 0 000000000001 0000000000aa 0800 0102
        expect 2 000000000001 0000000000aa 0800 0103
        expect 3 00
        check_counter seen(1) packets == 5
        """,
        capsys,
    )
    assert code == 1
    assert out.splitlines()[0].startswith("FAIL ")
    assert "port 2: expected 1 packet(s), received 1" in out
    assert "    expected: 0000000000010000000000AA08000103" in out
    assert "    received: 0000000000010000000000AA08000102" in out
    assert "port 3: expected 1 packet(s), received 0" in out
    assert "check_counter seen(1) failed: packets is 1, expected == 5" in out


def test_packets_on_an_unexpected_port_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        tmp_path,
        """
        add dmac dstAddr:0x000000000001 forward(port:0)
        packet 0 000000000001 0000000000aa 0800
        """,
        capsys,
    )
    assert code == 1
    assert "expected 0 packet(s) on port 0, received 1" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("add dmac dstAddr:1 nope()\n",
            ":1: error: no action 'nope' in table 'MyIngress.dmac' "
            "(known: MyIngress.drop, MyIngress.forward, MyIngress.multicast)",),
        ("\nadd nosuch k:1 a()\n", ":2: error: no table 'nosuch'"),
        ("packet 0 0g\n", ":1: error: packet data may hold only hex digits, found 'g'"),
        ("frobnicate\n", ":1: error: unknown command 'frobnicate'"),
    ],
)
def test_errors_are_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    code, out, err = run(tmp_path, text, capsys)
    assert code == 1
    assert out == ""
    assert err.strip().startswith(str(tmp_path / "t.stf") + message)
    assert len(err.strip().splitlines()) == 1


def test_switch_refusal_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(tmp_path, "add dmac dstAddr:1 forward(port:600)\n", capsys)
    assert code == 0
    assert ":1: warning: the switch refused the command:" in err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stf = tmp_path / "t.stf"
    stf.write_text("")
    assert main([str(stf)]) == 2
    assert "give the program" in capsys.readouterr().err
    assert main(["--json", str(tmp_path / "missing.json"), str(stf)]) == 1  # an input that is not there
    assert capsys.readouterr().err == f"softp4 stf: error: --json {tmp_path / 'missing.json'}: no such file\n"


def test_bad_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    stf = tmp_path / "t.stf"
    stf.write_text("")
    assert main(["--json", str(bad), str(stf)]) == 1
    assert "bad.json: error: not a readable JSON file" in capsys.readouterr().err


def test_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = Path(L2ACL).read_text()
    (tmp_path / "a_ok.json").write_text(program)
    (tmp_path / "a_ok.stf").write_text(
        "add dmac dstAddr:1 forward(port:2)\npacket 0 000000000001 000000000002 0800\nexpect 2 000000000001\n"
    )
    (tmp_path / "b_bad.json").write_text(program)
    (tmp_path / "b_bad.stf").write_text("packet 0 000000000001 000000000002 0800\nexpect 2 000000000001\n")
    (tmp_path / "c_alone.stf").write_text("wait\n")  # no program beside it: not a test
    (tmp_path / "c_broken.json").write_text(program)
    (tmp_path / "c_broken.stf").write_text("frobnicate\n")
    (tmp_path / "d_noprog.json").write_text("[1, 2]")
    (tmp_path / "d_noprog.stf").write_text("wait\n")
    assert main(["--suite", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert main(["--suite", str(tmp_path), "--match", "a_*.stf"]) == 0
    assert capsys.readouterr().out.splitlines() == ["PASS a_ok", "1/1 passed"]
    assert out == [
        "PASS a_ok",
        "FAIL b_bad: port 2: expected 1 packet(s), received 0",
        f"FAIL c_broken: {tmp_path / 'c_broken.stf'}:1: error: unknown command 'frobnicate'",
        f"FAIL d_noprog: {tmp_path / 'd_noprog.json'}: error: not a BMv2 JSON program (top level is not an object)",
        "1/4 passed; failed: 1 program error (compile or load), 1 packet mismatch, 1 STF error",
    ]


def test_suite_needs_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--suite", str(tmp_path)]) == 1
    assert "no *.stf with <name>.p4 or <name>.json beside it in" in capsys.readouterr().err


CORPUS = Path(__file__).parents[1] / "p4programs"


@pytest.mark.skipif(not (CORPUS / "basic_forward.p4").exists(), reason="corpus program missing")
def test_p4_program_is_compiled_and_verbose_traces(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(CORPUS / "basic_forward.p4"), str(CORPUS / "basic_forward.stf"), "-v"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert captured.out.startswith("PASS ")
    assert "basic_forward.stf:2: MyIngress.mac_fwd: 0x2 => MyIngress.forward(0x2)" in captured.err
    assert "Applying table 'MyIngress.mac_fwd'" in captured.err  # the switch's own trace


def test_compile_error_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prog = tmp_path / "bad.p4"
    prog.write_text("#include <core.p4>\ncontrol c() { apply { x = ; } }\n")
    stf = tmp_path / "bad.stf"
    stf.write_text("")
    assert main([str(prog), str(stf)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{prog}:2:" in captured.err and "error:" in captured.err
    assert "Traceback" not in captured.err
