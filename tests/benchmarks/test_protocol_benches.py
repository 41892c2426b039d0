"""benchmarks/transfer.py, collective.py and model_400g.py in tiny configurations, in process: the table rows
they print, the PNG (or the line saying matplotlib is missing), the exit status and bad input. No timing is
checked: the figures are the benchmarks' business."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
ROW = r"\| {label} \| (\d+) \| (\d+) \|( [\d.]+ \|){{6}} [\d.]+ [MG]b/s \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|"


def bench(script: str, *args: str, build_dir: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCHMARKS / script), "--build-dir", str(build_dir), "--out",
                           str(out), *args], capture_output=True, text=True, timeout=240, cwd=ROOT, check=False)


def model(*args: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCHMARKS / "model_400g.py"), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)


def plotted(out: Path, name: str, stdout: str) -> bool:
    if HAS_MATPLOTLIB:
        return (out / f"{name}.png").read_bytes().startswith(b"\x89PNG") and f"plot: {out / name}.png" in stdout
    return f"plot {name}.png: skipped, matplotlib is not installed" in stdout


def test_transfer_prints_a_row_per_size_with_nothing_re_sent(build_dir: Path, tmp_path: Path) -> None:
    done = bench("transfer.py", "--sizes", "64", "1KiB", "--runs", "2", build_dir=build_dir, out=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for label, tlps in (("64 B", "1"), ("1 KiB", "4")):
        row = re.search(ROW.format(label=label), done.stdout)
        assert row is not None, done.stdout
        assert row.group(1, 2) == (tlps, "2")
        assert row.group(4, 5, 6, 7) == ("0", "0", "0", "0")  # re-issued, timer expiries, NACKs, lost
    assert "testbed: in-process rack" in done.stdout and "load average" in done.stdout
    assert plotted(tmp_path, "transfer-inprocess", done.stdout)


def test_transfer_with_loss_counts_the_recovery(build_dir: Path, tmp_path: Path) -> None:
    done = bench("transfer.py", "--sizes", "4KiB", "--runs", "3", "--loss", "20", build_dir=build_dir, out=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    row = re.search(ROW.format(label="4 KiB"), done.stdout)
    assert row is not None, done.stdout
    resent, lost = int(row.group(4)), int(row.group(7))
    assert lost > 0 and resent > 0  # 20% of 3 x 16 frames: some are lost, and repaired
    assert "loss: 20% of the frames" in done.stdout
    assert plotted(tmp_path, "transfer-inprocess-loss20", done.stdout)


def test_collective_prints_both_patterns(build_dir: Path, tmp_path: Path) -> None:
    done = bench("collective.py", "--runs", "1", build_dir=build_dir, out=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    a2a = re.search(ROW.format(label="all-to-all"), done.stdout)
    gather = re.search(ROW.format(label="all-gather"), done.stdout)
    assert a2a is not None and gather is not None, done.stdout
    assert a2a.group(1) == "560" and gather.group(1) == "64"  # rack8: 56 writes of 10 TLPs; 8 slices of 8
    assert a2a.group(4, 5) == gather.group(4, 5) == ("0", "0")
    assert plotted(tmp_path, "collective-inprocess", done.stdout)


def test_model_prints_every_size_and_protocol(tmp_path: Path) -> None:
    done = model("--sizes", "64", "1MiB", out=tmp_path)
    assert done.returncode == 0, done.stderr
    header = next(line for line in done.stdout.splitlines() if line.startswith("| size |"))
    for name in ("JetStream (MPS 256)", "JetStream (MPS 4096)", "RoCEv2", "SUE"):
        assert f"{name} landed | {name} complete" in header
    for label in ("64 B", "1 MiB"):
        assert re.search(rf"^\| {label}( \| \d+\.\d{{3}}){{8}} \|$", done.stdout, re.MULTILINE), done.stdout
    assert plotted(tmp_path, "model-400g", done.stdout)


@pytest.mark.parametrize(("script", "args", "message"), [
    ("transfer.py", ["--sizes", "2MiB"], "at most 1 MiB"),
    ("transfer.py", ["--sizes", "lots"], "'lots' is not a size"),
    ("transfer.py", ["--target", "bmv2"], "use --testbed netns"),
    ("transfer.py", ["--loss", "100"], "--loss 100"),
    ("collective.py", ["--runs", "0"], "--runs must be at least 1"),
])
def test_bad_input_is_one_line_and_status_2(script: str, args: list[str], message: str, build_dir: Path,
                                            tmp_path: Path) -> None:
    done = bench(script, *args, build_dir=build_dir, out=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def _rackbench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rackbench", BENCHMARKS / "rackbench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rackbench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_a_re_send_with_nothing_lost_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    rb = _rackbench()
    assert rb.verdict([rb.Result("64 B", 64)]) == 0
    assert rb.verdict([rb.Result("64 B", 64, bugs=1)]) == 1
    assert "with nothing lost (a protocol bug)" in capsys.readouterr().out
    # a NACK without loss on purpose: the target lost frames itself; marked, not failed
    assert rb.verdict([rb.Result("64 B", 64, nacks=2)]) == 0
    assert "the target lost frames by itself" in capsys.readouterr().out


def test_percentiles_are_nearest_rank() -> None:
    rb = _rackbench()
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert (rb.percentile(values, 0.5), rb.percentile(values, 0.99), rb.percentile([7.0], 0.99)) == (3.0, 5.0, 7.0)
    assert [rb.parse_size(s) for s in ("64", "4K", "4KiB", "1MiB")] == [64, 4096, 4096, 1 << 20]


def test_transfer_on_the_netns_rack(build_dir: Path, tmp_path: Path) -> None:
    from testbed.processes import wiring

    why = wiring.probe()
    if why is not None:
        pytest.skip(why)
    done = bench("transfer.py", "--testbed", "netns", "--sizes", "64", "--runs", "2", build_dir=build_dir,
                 out=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    row = re.search(ROW.format(label="64 B"), done.stdout)
    assert row is not None and row.group(1, 2) == ("1", "2"), done.stdout
    assert row.group(4, 5, 6, 7) == ("0", "0", "0", "0")
    assert "netns rack, softp4 switch processes" in done.stdout


def test_frames_lost_by_a_target_are_told_apart_by_where() -> None:
    rb = _rackbench()
    before = rb.Frames(100, 100, 100, 100, 90, 90, 10, 10, 10, 10)
    # 1 TLP never reached its NIC; 3 data frames lost between NICs and 1 ACK; 2 TLPs accepted but never
    # applied; 1 mailbox write lost
    after = rb.Frames(200, 199, 200, 197, 180, 178, 20, 19, 19, 18)
    assert after.lost_since(before) == (4, 1, 3)
    assert before.lost_since(before) == (0, 0, 0)
