"""Group writes on the process testbed: switch processes on veth cables, programmed over P4Runtime, with the ToR
as tor.p4 or as a plain Linux bridge, which floods a group MAC to every port instead of replicating to members.

`tests/testbed/data/group4.toml`: members a1, a2 (sharing server s2 with x2, no member) and a3; server s4 holds
x4, no member. The demo checks every byte of every accelerator (`groupdemo.verdict`), so a byte written
into a non-member fails it. These need root and iproute2; elsewhere they are skipped with the reason.
JETSTREAM_NETNS_TARGET=bmv2 runs them on simple_switch_grpc (found through P4REF or PATH) instead of softp4.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from testbed import groupdemo
from testbed.processes import wiring

GROUP4 = Path(__file__).parent / "data" / "group4.toml"
TARGET = os.environ.get("JETSTREAM_NETNS_TARGET", "softp4")
SWITCH = {"softp4": "softp4 switch", "bmv2": "simple_switch_grpc"}[TARGET]

_why = wiring.probe()
pytestmark = [pytest.mark.skipif(_why is not None, reason=_why or ""), pytest.mark.usefixtures("nothing_left_behind")]


def flooded(out: str) -> int:
    """How many group frames the NICs of servers without a member dropped, as the demo printed it."""
    found = re.search(r"the NICs of the 1 server without a member dropped (\d+) group frames", out)
    assert found, out
    return int(found.group(1))


def demo(build_dir: Path, tmp_path: Path, *args: str) -> list[str]:
    return ["--testbed", "netns", "--target", TARGET, "--build-dir", str(build_dir), "--topology", str(GROUP4),
            "--workdir", str(tmp_path), *args]


def test_a_group_write_through_tor_p4_reaches_the_members_only(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = groupdemo.main(demo(build_dir, tmp_path, "--loss", "0"))
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "group 'g' (id 5, MAC 03:4a:53:80:00:05, ToR group 21) of 3 members" in out
    assert f"ToR 'tor' (tor.p4); one {SWITCH} process per P4 device" in out
    assert "a1 wrote 8192 bytes as 32 memory writes at " in out and ": all acknowledged in " in out
    assert "0 writes re-issued, 0 ACK timer expiries" in out  # the tail was acknowledged through the alias
    assert flooded(out) == 0  # the ToR replicates to the members' ports only
    assert "OK: all 8192 bytes landed exactly once, in order, in each of the 2 members" in out


def test_an_all_gather_through_a_linux_bridge(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = groupdemo.main(demo(build_dir, tmp_path, "--tor", "linux-bridge", "--all-gather", "--loss", "0"))
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "ToR 'tor' (a Linux bridge)" in out
    assert "all-gather: 3 senders wrote 2728 bytes each at once, 34 memory writes" in out
    assert "0 writes re-issued, 0 ACK timer expiries" in out
    # the bridge flooded every one of the 34 group frames to s4 as well, whose NIC dropped each as from an
    # unknown peer; the check of every byte of every accelerator (x4, and x2 behind a member's NIC,
    # included) passed: nothing landed outside the members' group windows
    assert flooded(out) == 34
    assert "OK: every member holds every other sender's slice" in out
    assert {p.name for p in tmp_path.iterdir()} == {"s1.log", "s2.log", "s3.log", "s4.log"}  # no ToR process


def test_a_group_write_through_a_linux_bridge_is_repaired_under_loss(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = groupdemo.main(demo(build_dir, tmp_path, "--tor", "linux-bridge", "--loss", "5", "--seed", "2"))
    out, err = capsys.readouterr()
    assert status == 0, out + err
    lost = re.search(r"(\d+) frames lost in the relays; (\d+) rewinds", out)
    assert lost and int(lost.group(1)) > 0 and int(lost.group(2)) > 0, out
    assert flooded(out) > 0
    assert "OK: all 8192 bytes landed exactly once, in order, in each of the 2 members" in out
