"""The demos' arguments: a mistake is one line and exit 2, --loss is applied or refused, Ctrl-C exits 130."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed import demo, groupdemo

ROOT = Path(__file__).resolve().parents[2]
PAIR = str(ROOT / "topologies" / "pair.toml")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bytes", "-5"], "demo: --bytes -5: give a positive number of bytes"),
        (["--bytes", "0"], "demo: --bytes 0: give a positive number of bytes"),
        (["--loss", "100", "--all-to-all"], "demo: --loss 100: give a percentage from 0 up to"),
        (["--loss", "-1"], "demo: --loss -1: give a percentage"),
        (["--scenario", "walk", "--loss", "5"], "demo: --loss: the walk in this process loses one chosen frame"),
        (["--scenario", "walk", "--all-to-all"], "demo: --phase and --all-to-all are phases of the rack scenario"),
        (["--loss", "2", "--no-loss"], "demo: --loss 2 and --no-loss contradict each other"),
    ],
)
def test_demo_mistakes_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--topology", PAIR, *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(message)
    assert err.count("\n") == 1


def test_demo_loss_is_applied_in_process(build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--build-dir", str(build_dir), "--topology", PAIR, "--all-to-all", "--loss", "20",
            "--png", str(tmp_path / "summary.png")]
    assert demo.main(argv) == 0
    out = capsys.readouterr().out
    assert "loss: 20% of the frames on every NIC uplink" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("all-to-all "))
    assert int(row[10]) > 0  # frames lost
    assert row[11:] != ["none"]  # and the receivers dropped what came past a gap


@pytest.mark.parametrize("tool", [demo, groupdemo])
def test_ctrl_c_is_one_line_and_exit_130(
    tool: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tool, "topology", type("T", (), {"load": staticmethod(interrupted),
                                                         "TopologyError": ValueError}))
    assert tool.main(["--topology", PAIR]) == 130  # type: ignore[attr-defined]
    out, err = capsys.readouterr()
    assert err.endswith(": interrupted\n") and err.count("\n") == 1 and "Traceback" not in out + err
