"""The in-process rack and `make run`'s demo, on the real NIC and ToR programs.

The programs come from JETSTREAM_BUILD_DIR (default `build/`) when it holds them, so the same tests run
on what real p4c wrote; otherwise softp4 compiles them.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from controller import topology
from controller.plan import MAILBOX_AREA
from controller.protocol import constants as c
from testbed import demo, scenario
from testbed.inprocess import Artifacts, InstallError
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
PAIR = ROOT / "topologies" / "pair.toml"


def rack_for(programs: tuple[Artifacts, Artifacts], path: Path = PAIR) -> Rack:
    nic, tor = programs
    return Rack.build(topology.load(path), nic=nic, tor=tor)


def test_demo_passes_and_shows_every_hop(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--build-dir", str(build_dir), "--topology", str(PAIR), "--scenario", "walk",
                      "--bytes", "1024"]) == 0
    out = capsys.readouterr().out
    assert "OK: all 1024 bytes landed" in out
    assert "LOST" in out and "NACK" in out  # the lost frame was repaired by go-back-N
    assert "server1.nic:16 -> tor:1" in out and "tor:2 -> server2.nic:16" in out
    assert "NicIngress.accounting.drops[DROP_GAP]" in out


def test_demo_without_build_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--build-dir", str(tmp_path), "--topology", str(PAIR)]) == 1
    assert "run `make build` first" in capsys.readouterr().err


def test_demo_bad_topology_is_named(tmp_path: Path, build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(PAIR.read_text().replace("tor_port = 2", "tor_port = 1"))
    assert demo.main(["--build-dir", str(build_dir), "--topology", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.toml:22: servers[1].tor_port: ToR port 1 is already cabled" in err
    assert "usage" not in err and err.count("\n") == 1


def test_writes_both_ways_under_random_loss_land_exactly(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = rack_for(programs)
    rng = random.Random(11)
    for server in ("server1", "server2"):
        rack.fabric.drop_when((f"{server}.nic", 16), lambda hop: rng.random() < 0.1)
    expected = {"acc1": bytearray(65536), "acc2": bytearray(65536)}
    for _ in range(40):
        src, dst = rng.choice([("acc1", "acc2"), ("acc2", "acc1")])
        window = rack.plan.tx_window(src, dst)
        offset = rng.randrange(0, window.size - 600)
        data = rng.randbytes(rng.randrange(1, 600))
        rack.accelerators[src].write(dst, window.local_base + offset, data)
        expected[dst][window.remote_base + offset : window.remote_base + offset + len(data)] = data
        if rng.random() < 0.3:
            rack.run()
    rack.run(max_timeouts=50)
    for name, acc in rack.accelerators.items():
        assert acc.violations == []
        assert acc.unacked() == 0
        assert acc.memory[: len(acc.memory) - MAILBOX_AREA] == expected[name][: len(acc.memory) - MAILBOX_AREA]
    drops = rack.nics["server2"].counter("NicIngress.accounting.drops", 14)[1] + rack.nics["server1"].counter(
        "NicIngress.accounting.drops", 14
    )[1]
    assert drops > 0  # loss really happened and was repaired


def test_verify_catches_wrong_and_stray_bytes(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = rack_for(programs)
    window = rack.plan.tx_window("acc1", "acc2")
    data = bytes(range(200))
    rack.accelerators["acc1"].write("acc2", window.local_base, data)
    rack.run()
    assert demo.verify(rack, "acc1", "acc2", window.remote_base, data) == []
    memory = rack.accelerators["acc2"].memory
    memory[window.remote_base + 5] ^= 0xFF
    assert any("byte 0x4005 of acc2" in p for p in demo.verify(rack, "acc1", "acc2", window.remote_base, data))
    memory[window.remote_base + 5] ^= 0xFF
    memory[0x10] = 1
    assert any("outside" in p for p in demo.verify(rack, "acc1", "acc2", window.remote_base, data))


def test_write_past_the_window_never_lands(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = rack_for(programs)
    window = rack.plan.tx_window("acc1", "acc2")
    end = window.remote_base + window.size
    # the window ends on a 4 KiB line, which no TLP may cross: the emulator issues the part inside and the
    # part past the end as two TLPs; the first lands, the second is refused
    assert rack.accelerators["acc1"].write("acc2", window.local_base + window.size - 8, bytes(range(1, 17))) == 2
    rack.fabric.run()
    target = rack.accelerators["acc2"]
    assert len(target.received) == 1
    assert bytes(target.memory[end - 8 : end + 8]) == bytes(range(1, 9)) + bytes(8)
    assert sum(target.memory) == sum(range(1, 9))
    assert rack.nics["server1"].counter("NicIngress.accounting.drops", c.DROP_NO_TX_WINDOW)[1] == 1  # past the block


def test_entry_naming_a_missing_field_is_refused(programs: tuple[Artifacts, Artifacts]) -> None:
    from controller.entries import Entry, Match

    rack = rack_for(programs)
    bad = Entry("NicIngress.tx_path.pcie_port", (Match("prot", 1),), "NicIngress.tx_path.set_source", ())
    with pytest.raises(InstallError, match=r"match field 'port' is missing"):
        rack.nics["server1"].add_entry(bad)
    worse = Entry("NicIngress.tx_path.pcie_prt", (), "NicIngress.tx_path.set_source", ())
    with pytest.raises(InstallError, match=r"did you mean 'NicIngress.tx_path.pcie_port'"):
        rack.nics["server1"].add_entry(worse)


RACK8 = ROOT / "topologies" / "rack8.toml"


def test_rack8_all_to_all_under_loss(build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = demo.main(["--build-dir", str(build_dir), "--topology", str(RACK8), "--all-to-all", "--bytes", "512",
                      "--png", str(tmp_path / "summary.png")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "8 servers with a NIC each, 8 accelerators, ToR 'tor'" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("all-to-all "))
    assert row[:4] == ["all-to-all", "112", "28.0", "KiB"]  # 56 slices of 512 bytes, two TLPs each
    assert "all-gather " not in out  # --all-to-all is that phase alone
    assert "OK: every byte of every write landed exactly once" in out


def test_all_to_all_detects_a_corrupted_byte(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = rack_for(programs, RACK8)
    rack.accelerators["acc3"].memory[0x10] = 0xEE  # a byte no write puts there
    bed = demo.InProcessBed(rack, 0.0, random.Random(1))
    phases = scenario.rack_phases(rack.plan, rack.topology, ["all-to-all"], random.Random(1), 256)
    [result] = scenario.run_phases(bed, phases, scenario.Progress(io.StringIO()))
    assert result.problems == ["acc3: byte 0x10 is 0xee, expected 0x00"]
