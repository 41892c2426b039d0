"""`softp4 switch` argument checking: bad flags give one clear line and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from softp4.switch.cli import parse_args


@pytest.fixture
def prog(tmp_path: Path) -> str:
    path = tmp_path / "prog.json"
    path.write_text("{}")
    return str(path)


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str], status: int = 2) -> str:
    with pytest.raises(SystemExit) as info:
        parse_args(argv)
    assert info.value.code == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_full_command_line(prog: str) -> None:
    args = parse_args(
        [prog, "-i", "0@veth0", "-i", "1@veth2", "--device-id", "1", "--",
         "--grpc-server-addr", "127.0.0.1:9559", "--cpu-port", "255", "--priority-queues", "8"]
    )
    assert args.interfaces == [(0, "veth0"), (1, "veth2")]
    assert (args.device_id, args.grpc_server_addr, args.cpu_port, args.priority_queues) == (
        1, "127.0.0.1:9559", 255, 8,
    )
    assert str(args.program) == prog


def test_simple_switch_flags_are_accepted(prog: str) -> None:
    args = parse_args([prog, "--thrift-port", "9090", "-L", "debug", "--log-console", "-i", "1@s1-eth1"])
    assert (args.thrift_port, args.log_level, args.log_console) == (9090, "debug", True)


def test_defaults_with_no_p4() -> None:
    args = parse_args(["--no-p4"])
    assert (args.device_id, args.grpc_server_addr, args.cpu_port, args.priority_queues) == (0, "0.0.0.0:9559", 0, 1)
    assert args.program is None and args.interfaces == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give a BMv2 JSON program, or --no-p4"),
        (["--no-p4", "-i", "veth0"], "'veth0': expected PORT@INTERFACE, e.g. 0@veth0"),
        (["--no-p4", "-i", "x@veth0"], "'x' is not a port number"),
        (["--no-p4", "-i", "600@veth0"], "port 600 is out of range (0..511)"),
        (["--no-p4", "-i", "1@"], "expected PORT@INTERFACE"),
        (["--no-p4", "-i", "1@averyveryverylongname"], "is not a valid interface name"),
        (["--no-p4", "-i", "1@a", "-i", "1@b"], "port 1 is given twice with -i"),
        (["--no-p4", "-i", "1@a", "-i", "2@a"], "interface a is given twice with -i"),
        (["--no-p4", "--device-id", "-3"], "-3 must not be negative"),
        (["--no-p4", "--device-id", "one"], "'one' is not a number"),
        (["--no-p4", "--grpc-server-addr", "9559"], "'9559': expected HOST:PORT"),
        (["--no-p4", "--grpc-server-addr", "h:70000"], "'h:70000': expected HOST:PORT"),
        (["--no-p4", "--cpu-port", "512"], "port 512 is out of range"),
        (["--no-p4", "--cpu-port", "2", "-i", "2@veth0"], "port 2 is the CPU port"),
        (["--no-p4", "--priority-queues", "9"], "9 priority queues: expected 1..8"),
        (["--no-p4", "--packet-in", "foo"], "nanomsg address 'foo': expected ipc://<path> or tcp://<host>:<port>"),
        (["--no-p4", "--grpc-server-ssl"], "--grpc-server-ssl needs --grpc-server-cert and --grpc-server-key"),
        (["--no-p4", "--bogus"], "unrecognized arguments: --bogus"),
        (["--no-p4", "-L", "loud"], "argument -L/--log-level: invalid choice: 'loud'"),
        (["--no-p4", "--thrift-port", "x"], "'x' is not a number"),
    ],
)
def test_bad_flags(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert message in error_of(argv, capsys)


def test_program_and_no_p4_conflict(prog: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "give either a program or --no-p4, not both" in error_of([prog, "--no-p4"], capsys)


def test_cert_without_ssl(prog: str, capsys: pytest.CaptureFixture[str]) -> None:
    message = error_of([prog, "--grpc-server-cert", prog], capsys)
    assert "--grpc-server-cert/--grpc-server-key need --grpc-server-ssl" in message


def test_simple_switch_flags_softp4_refuses_name_themselves(prog: str, capsys: pytest.CaptureFixture[str]) -> None:
    from softp4.switch.cli import REFUSED

    for flag, (nargs, why) in REFUSED.items():
        values = ["1"] if nargs == 1 else []
        expected = f"softp4 switch: error: {flag}: {why} (see softp4 switch --help)"
        assert error_of([prog, flag, *values], capsys) == expected
    # after `--` too, where simple_switch_grpc takes its target options
    assert "--drop-port: softp4's drop port is 511" in error_of([prog, "--", "--drop-port", "511"], capsys)


def test_log_flush_and_version_are_taken(prog: str, capsys: pytest.CaptureFixture[str]) -> None:
    from softp4 import __version__
    from softp4.switch.cli import main

    assert parse_args([prog, "--log-flush", "--log-file", "sw"]).log_flush
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-p4", "--use-files", "/nonexistent/dir"], "--use-files /nonexistent/dir: no such directory"),
        (["/nonexistent/prog.json"], "/nonexistent/prog.json: no such file"),
        (["--no-p4", "--pcap", "/nonexistent/dir"], "--pcap /nonexistent/dir: no such directory"),
    ],
)
def test_missing_inputs_exit_1(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """As simple_switch (a JSON it cannot open) and every other tool here: an input that is not there is exit 1."""
    assert error_of(argv, capsys, status=1) == f"softp4 switch: error: {message}"


def test_the_switch_process_collects_garbage_less_often() -> None:
    import gc

    from softp4.switch.cli import GC_THRESHOLD, collect_less_often

    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        collect_less_often()
        assert gc.get_threshold() == GC_THRESHOLD
        gc.set_threshold(GC_THRESHOLD[0] * 2, 1, 1)  # a higher threshold someone set stays
        collect_less_often()
        assert gc.get_threshold() == (GC_THRESHOLD[0] * 2, GC_THRESHOLD[1], GC_THRESHOLD[2])
    finally:
        gc.set_threshold(*saved)
