"""The PTF suite (ptf_tests/) passes against softp4 switches, through the same runner as `make ptf`."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed import ptf_runner


@pytest.mark.parametrize("program", ["nic", "tor"])
def test_ptf_group_passes_on_softp4(program: str, build_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = ptf_runner.run_group(program, "softp4", build_dir, [])
    out, err = capfd.readouterr()
    assert code == 0, out + err
    assert "FAILED" not in err
    assert f"{program}_tests." in err  # tests of the group really ran


def test_missing_build_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ptf_runner.RunnerError, match=r"run `make build` first"):
        ptf_runner.run_group("nic", "softp4", tmp_path, [])


def test_one_test_runs_alone(build_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = ptf_runner.main(["--build-dir", str(build_dir), "--test", "nic_tests.RxGapIsNackedAndDropped"])
    out, err = capfd.readouterr()
    assert code == 0, out + err
    assert "nic_tests.RxGapIsNackedAndDropped ... ok" in err
    assert "Ran 1 test" in err and "PTF group 'tor'" not in out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nic_tests.RxGapIsNackedAndDroped", "ptf_tests/nic_tests.py has no test 'RxGapIsNackedAndDroped'; did you "
                                             "mean nic_tests.RxGapIsNackedAndDropped?"),
        ("switch_tests.X", "--test switch_tests.X: not a test of ptf_tests/"),
        ("nic.RxGapIsNackedAndDropped", "--test nic.RxGapIsNackedAndDropped: not a test of ptf_tests/"),
    ],
)
def test_a_wrong_test_name_is_one_line_and_exit_2(spec: str, message: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert ptf_runner.main(["--test", spec]) == 2
    out, err = capfd.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err


def test_every_test_is_found_by_name() -> None:
    assert "nic_tests.RxGapIsNackedAndDropped" in ptf_runner.tests_of("nic")
    assert ptf_runner.program_of("tor_tests") == "tor" and ptf_runner.program_of("nic") == "nic"
    assert len(ptf_runner.tests_of("nic")) + len(ptf_runner.tests_of("tor")) >= 10


def listed(argv: list[str], build_dir: Path, capfd: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    """The tests PTF would run for `argv` (PTF's own --list-test-names), and the runner's stdout."""
    assert ptf_runner.main(["--build-dir", str(build_dir), *argv, "--list-test-names"]) == 0
    out, err = capfd.readouterr()
    return [line for line in (out + err).splitlines() if line.startswith(("nic_tests.", "tor_tests."))], out


def test_ptf_specifiers_in_ptf_args_choose_the_switch(build_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    names, out = listed(["--", "nic_tests.RxGapIsNackedAndDropped"], build_dir, capfd)
    assert names == ["nic_tests.RxGapIsNackedAndDropped"]
    assert "PTF group 'tor'" not in out  # only the NIC's switch was started


def test_exclusions_come_after_selections(build_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    everything = ptf_runner.tests_of("nic")
    names, _ = listed(["--test", "nic", "--", "^nic_tests.RxGapIsNackedAndDropped"], build_dir, capfd)
    assert names == [name for name in everything if name != "nic_tests.RxGapIsNackedAndDropped"]
    names, _ = listed(["--", "^tor_tests.FloodsUnknownDestination"], build_dir, capfd)
    assert names == [*everything, *(n for n in ptf_runner.tests_of("tor") if n != "tor_tests.FloodsUnknownDestination")]


def test_ptf_args_are_split_into_options_and_specifiers() -> None:
    assert ptf_runner.split_selection(["--test-case-timeout", "30", "nic_tests.X", "^tor", "--log-dir", "/tmp/x"]) == (
        ["--test-case-timeout", "30", "--log-dir", "/tmp/x"], ["nic_tests.X", "^tor"]
    )
