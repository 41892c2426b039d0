"""The rack scenario of `make run` (testbed/scenario.py): phases, checks, progress line, summary, PNG."""

from __future__ import annotations

import builtins
import io
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from controller import topology
from testbed import demo, scenario
from testbed.inprocess import Artifacts
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
RACK8 = ROOT / "topologies" / "rack8.toml"


def bed_for(programs: tuple[Artifacts, Artifacts], loss: float = 0.0) -> demo.InProcessBed:
    nic, tor = programs
    return demo.InProcessBed(Rack.build(topology.load(RACK8), nic=nic, tor=tor), loss, random.Random(2))


def test_make_run_shows_the_rack(build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default: rack8, an all-gather through the group and an all-to-all, 1% loss, a summary table."""
    assert demo.main(["--build-dir", str(build_dir), "--png", str(tmp_path / "summary.png")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("topology 'rack8': 8 servers with a NIC each, 8 accelerators, ToR 'tor' (tor.p4)")
    assert "loss: 1% of the frames on every NIC uplink, at random (seed 4)" in out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("phase "))
    assert lines[head].split() == ["phase", "writes", "bytes", "landed", "time", "re-issued", "ACK", "timeouts",
                                   "lost", "drops", "by", "reason"]
    gather, a2a = (lines[head + 2].split(), lines[head + 3].split())
    assert gather[:6] == ["all-gather", "64", "16.0", "KiB", "112.0", "KiB"]
    assert a2a[:6] == ["all-to-all", "560", "128.0", "KiB", "128.0", "KiB"]
    # the default seed loses frames in both phases: re-issued writes and gap drops in each row
    assert all(int(row[8]) > 0 and int(row[10]) > 0 and "gap" in row[11:] for row in (gather, a2a))
    assert lines[-1].startswith("OK: every byte of every write landed exactly once")


def test_a_wrong_byte_fails_the_run(programs: tuple[Artifacts, Artifacts], capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    bed = bed_for(programs)
    phases = scenario.rack_phases(bed.rack.plan, bed.rack.topology, list(scenario.PHASES), random.Random(1))
    assert [p.name for p in phases] == ["all-gather", "all-to-all"]
    expected, progress = scenario.empty_images(bed), scenario.Progress(io.StringIO())
    first = scenario.run_phase(bed, phases[0], expected, progress)
    assert first.ok
    acc5 = bed.rack.accelerators["acc5"].memory
    good = acc5[0x20000]  # a byte of acc1's slice of the all-gather
    acc5[0x20000] = good ^ 0xFF
    second = scenario.run_phase(bed, phases[1], expected, progress)
    assert second.problems == [f"acc5: byte 0x20000 is {good ^ 0xFF:#04x}, expected {good:#04x}"]
    assert scenario.report([first, second], None, "t") == 1
    assert "FAILED:\n  all-to-all: acc5: byte 0x20000" in capsys.readouterr().out


def test_phases_count_what_moved_during_them(programs: tuple[Artifacts, Artifacts]) -> None:
    bed = bed_for(programs, loss=0.05)
    phases = scenario.rack_phases(bed.rack.plan, bed.rack.topology, ["all-to-all"], random.Random(1), max_slice=1024)
    [result] = scenario.run_phases(bed, phases, scenario.Progress(io.StringIO()))
    assert result.ok, result.problems
    assert (result.writes, result.written, result.landed) == (224, 56 * 1024, 56 * 1024)
    assert result.lost == bed.lost() > 0
    assert result.drops == bed.drops() and result.drops["gap"] > 0
    assert result.reissued == sum(acc.retransmissions() for acc in bed.rack.accelerators.values()) > 0


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    out = io.StringIO()
    progress = scenario.Progress(out, tty=True)
    progress.tick(lambda: "phase: 1/10")
    progress.tick(lambda: "never shown: not due yet")
    progress.end("phase: 10/10, done")
    assert out.getvalue() == "\rphase: 1/10\rphase: 10/10, done\n"


def test_progress_prints_plain_lines_elsewhere() -> None:
    out = io.StringIO()
    progress = scenario.Progress(out, tty=False)
    progress.tick(lambda: "a: 0/4")
    progress.tick(lambda: "not due")
    progress.end("a: 4/4")
    progress.tick(lambda: "b: 0/2")  # a new phase starts with a line at once
    assert out.getvalue() == "a: 0/4\na: 4/4\nb: 0/2\n"


def result(name: str, **drops: int) -> scenario.PhaseResult:
    return scenario.PhaseResult(name, 10, 2048, 4096, 0.25, 3, 1, 2, Counter(drops), [])


def test_summary_table_has_a_row_per_phase() -> None:
    table = scenario.summary_table([result("all-gather", gap=5, duplicate=2), result("all-to-all")])
    lines = table.splitlines()
    assert len(lines) == 4 and set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["all-gather", "10", "2.0", "KiB", "4.0", "KiB", "250", "ms", "3", "1", "2",
                                "duplicate", "2,", "gap", "5"]
    assert lines[3].endswith("none")


def test_the_png_is_drawn(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "run" / "summary.png"
    line = scenario.write_png([result("all-gather", gap=5), result("all-to-all")], png, "title")
    assert line == f"{png}: completion times and counters drawn"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_one_line_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    png = tmp_path / "summary.png"
    assert scenario.write_png([result("all-to-all")], png, "t") == (
        f"{png}: not drawn: matplotlib is not installed (pip install -e '.[bench]')"
    )
    assert not png.exists()


@pytest.mark.parametrize(("variables", "expected"), [
    ([], "--topology topologies/rack8.toml"),
    (["TOPOLOGY=topologies/pair.toml", "TRACE=1"], "--topology topologies/pair.toml --scenario walk"),
    (["TRACE=0"], "--topology topologies/rack8.toml"),
])
def test_make_run_passes_the_scenario(variables: list[str], expected: str) -> None:
    made = subprocess.run(["make", "-n", "--no-print-directory", "run", *variables], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    command = next(line for line in made.stdout.replace("\\\n", " ").splitlines() if "-m testbed.demo" in line)
    assert " ".join(command.split()).endswith(expected)
