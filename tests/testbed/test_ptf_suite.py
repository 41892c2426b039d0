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
