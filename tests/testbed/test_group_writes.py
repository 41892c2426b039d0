"""Group writes end to end: the group sender's go-back-N, and the in-process rack carrying group writes.

The rack runs the real NIC and ToR programs (JETSTREAM_BUILD_DIR, `build/` or compiled by softp4), programmed
from the address plan, so these tests check plan, entries, ToR replication, each member's checks and
re-basing, per-member ACKs and NACKs, and the emulator's group go-back-N together.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from controller import topology
from controller.plan import MAILBOX_AREA
from controller.protocol import constants as c
from controller.protocol.gobackn import GroupGoBackNSender, Write, rewind_tlp
from controller.protocol.stream import AckMsg
from testbed import groupdemo
from testbed.fabric import Hop
from testbed.inprocess import Artifacts
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
RACK8 = ROOT / "topologies" / "rack8.toml"
REWIND = 0x1000_0000_0000


def writes(n: int) -> list[Write]:
    return [Write(0x2000 + 4 * i, i.to_bytes(4, "big")) for i in range(n)]


def post(s: GroupGoBackNSender, ws: list[Write]) -> list[bytes]:
    """Post `ws`; the TLPs the sender issued for them (the default window has room for all)."""
    sent = [t for w in ws for t in s.post(w)]
    assert len(sent) == len(ws)
    return sent


def ack(member: int, seq: int) -> AckMsg:
    return AckMsg(msg_type=c.MSG_ACK, peer=member, stream_dst=0x8001, seq=seq)


def nack(member: int, seq: int) -> AckMsg:
    return AckMsg(msg_type=c.MSG_NACK, peer=member, stream_dst=0x8001, seq=seq)


# --- the group sender alone -----------------------------------------------------------------------------------


def test_a_write_is_freed_only_when_every_member_passed_it() -> None:
    s = GroupGoBackNSender(REWIND, [2, 3, 4])
    post(s, writes(6))
    assert s.on_message(ack(2, 6)) == [] and s.unacked == 6
    assert s.on_message(ack(3, 4)) == [] and s.unacked == 6
    assert s.on_message(ack(4, 2)) == []
    assert [k.seq for k in s.kept] == [2, 3, 4, 5]  # member 4 is the slowest
    assert s.behind() == {2: 0, 3: 2, 4: 4}
    assert s.on_message(ack(4, 6)) == [] and s.unacked == 2
    assert s.on_message(ack(3, 6)) == [] and s.unacked == 0


def test_one_members_nack_rewinds_for_all_from_its_number_and_keeps_older_writes() -> None:
    s = GroupGoBackNSender(REWIND, [2, 3], requester_id=0x0100)
    ws = post(s, writes(6))
    assert s.on_message(nack(3, 4)) == [rewind_tlp(REWIND, 4, 0x0100), ws[4], ws[5]]
    assert [k.seq for k in s.kept] == [0, 1, 2, 3, 4, 5]  # member 2 has acknowledged nothing yet
    assert s.next_seq == 6 and s.rewinds == 1
    # the other member NACKs the same loss: the rewind already re-sent it
    assert s.on_message(nack(2, 4)) == [] and s.rewinds == 1
    assert [k.seq for k in s.kept] == [4, 5]
    # a later gap, past what was re-sent, rewinds again
    more = post(s, writes(2))
    assert s.on_message(nack(2, 7)) == [rewind_tlp(REWIND, 7, 0x0100), more[1]]
    assert s.rewinds == 2


def test_stale_unknown_and_bogus_messages_change_nothing() -> None:
    s = GroupGoBackNSender(REWIND, [2, 3])
    post(s, writes(4))
    s.on_message(ack(2, 3))
    assert s.on_message(ack(2, 1)) == [] and s.acked[2] == 3  # an older ACK arriving late
    assert s.on_message(nack(9, 0)) == []  # not a member
    assert s.on_message(nack(3, 100)) == []  # a number never sent
    assert s.acked == {2: 3, 3: 0} and s.unacked == 4 and s.rewinds == 0
    assert s.ignored == 3
    assert list(s.ignored_why) == [
        "ACK 1 from 2: stale or unknown number",
        "message from 9, which is not a member of this stream",
        "NACK 100 from 3: stale or unknown number",
    ]


def test_timeout_reissues_from_the_oldest_kept_write_and_wraps() -> None:
    s = GroupGoBackNSender(REWIND, [5, 6], first_seq=0xFFFE)
    ws = post(s, writes(4))
    s.on_message(ack(5, 0))  # member 5 has 0xFFFE and 0xFFFF
    s.on_message(ack(6, 0xFFFF))
    assert [k.seq for k in s.kept] == [0xFFFF, 0, 1]
    assert s.on_timeout() == [rewind_tlp(REWIND, 0xFFFF), *ws[1:]]
    s.on_message(ack(5, 2))
    s.on_message(ack(6, 2))
    assert s.unacked == 0 and s.on_timeout() == []


def test_a_group_stream_needs_a_member() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        GroupGoBackNSender(REWIND, [])


# --- the rack ----------------------------------------------------------------------------------------------------

TRIO = """
name = "trio"
[[servers]]
name = "s1"
nic_mac = "02:00:00:00:00:01"
tor_port = 1
  [[servers.accelerators]]
  name = "a1"
  id = 1
  pcie_port = 1
  memory = "64KiB"
[[servers]]
name = "s2"
nic_mac = "02:00:00:00:00:02"
tor_port = 2
  [[servers.accelerators]]
  name = "a2"
  id = 2
  pcie_port = 1
  memory = "64KiB"
  [[servers.accelerators]]
  name = "x2"
  id = 9
  pcie_port = 2
  memory = "64KiB"
[[servers]]
name = "s3"
nic_mac = "02:00:00:00:00:03"
tor_port = 3
  [[servers.accelerators]]
  name = "a3"
  id = 3
  pcie_port = 1
  memory = "64KiB"
[[servers]]
name = "s4"
nic_mac = "02:00:00:00:00:04"
tor_port = 4
  [[servers.accelerators]]
  name = "a4"
  id = 4
  pcie_port = 1
  memory = "64KiB"
[[exports]]
owner = "a2"
base = 0x1000
size = "4KiB"
peers = ["a1"]
[[groups]]
name = "g"
id = 4
members = ["a1", "a2", "a3"]
senders = ["a1", "a2", "a3", "a4"]
size = "8KiB"
base = 0x4000
  [groups.bases]
  a3 = 0x8000
"""


def trio(programs: tuple[Artifacts, Artifacts]) -> Rack:
    nic, tor = programs
    rack = Rack.build(topology.parse(TRIO), nic=nic, tor=tor)
    groupdemo.join_groups(rack)
    return rack


def test_a_group_write_lands_in_every_other_member_each_at_its_own_base(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = trio(programs)
    group = rack.plan.groups["g"]
    data = bytes((7 * i + 1) & 0xFF for i in range(3000))
    stream = rack.plan.group_stream("a1", "g")
    assert rack.accelerators["a1"].write("g", stream.local_base + 0x100, data) == 12
    rack.run()
    assert bytes(rack.accelerators["a2"].memory[0x4100 : 0x4100 + 3000]) == data
    assert bytes(rack.accelerators["a3"].memory[0x8100 : 0x8100 + 3000]) == data
    assert groupdemo.verify_group_write(rack, group, "a1", 0x100, data) == []
    assert not any(rack.accelerators["x2"].memory) and not any(rack.accelerators["x2"].received)
    # each member's NIC counted the group stream on its own receiving stream (after its unicast ones)
    assert rack.nics["s2"].switch.counter_read("NicIngress.rx_path.frames", 1)[1] == 12
    assert rack.nics["s3"].switch.counter_read("NicIngress.rx_path.frames", 0)[1] == 12
    # the sender heard from both members, in their own slots
    sender = rack.accelerators["a1"].group_senders["g"]
    assert sender.acked == {2: 12, 3: 12} and sender.ignored == 0


def test_all_members_gather_at_once_under_loss(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = trio(programs)
    rng = random.Random(8)
    lost: list[Hop] = []
    for server in ("s1", "s2", "s3"):
        rack.fabric.drop_when((f"{server}.nic", c.NIC_UPLINK_PORT), lambda hop: rng.random() < 0.1)
    rack.fabric.observers.append(lambda hop: lost.append(hop) if hop.dropped else None)
    slices = {name: rng.randbytes(2048) for name in ("a1", "a2", "a3")}
    for i, (name, data) in enumerate(slices.items()):
        rack.accelerators[name].write("g", rack.plan.group_stream(name, "g").local_base + 2048 * i, data)
    rack.run(max_timeouts=100)
    assert lost  # loss really happened
    bases = {"a1": 0x4000, "a2": 0x4000, "a3": 0x8000}
    for member, base in bases.items():
        acc = rack.accelerators[member]
        expected = bytearray(len(acc.memory))
        for i, (writer, data) in enumerate(slices.items()):
            if writer != member:
                expected[base + 2048 * i : base + 2048 * (i + 1)] = data
        end = len(acc.memory) - MAILBOX_AREA
        assert acc.memory[:end] == expected[:end], member
        assert acc.unacked() == 0 and acc.violations == []
    gaps = sum(nic.counter("NicIngress.accounting.drops", c.DROP_GAP)[1] for nic in rack.nics.values())
    assert gaps > 0


def test_a_sender_outside_the_group_reaches_every_member(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = trio(programs)
    data = bytes(range(256)) * 2
    rack.accelerators["a4"].write("g", rack.plan.group_stream("a4", "g").local_base + 0x1000, data)
    rack.run()
    assert groupdemo.verify_group_write(rack, rack.plan.groups["g"], "a4", 0x1000, data) == []
    assert bytes(rack.accelerators["a1"].memory[0x5000:0x5200]) == data
    assert bytes(rack.accelerators["a3"].memory[0x9000:0x9200]) == data
    assert rack.accelerators["a4"].group_senders["g"].acked == {1: 2, 2: 2, 3: 2}
    # the ToR's group holds the members' ports only: a4's NIC is sent nothing but the ACKs
    assert rack.plan.tor.groups == ((16 + 4, (1, 2, 3)),)


def test_group_sequence_numbers_wrap_under_loss(programs: tuple[Artifacts, Artifacts]) -> None:
    nic, tor = programs
    rack = Rack.build(topology.parse(TRIO), nic=nic, tor=tor)
    start = 0xFFF0
    stream = rack.plan.group_stream("a1", "g")
    rack.nics["s1"].switch.register_write("NicIngress.tx_path.next_seq", stream.stream, start)
    for server in ("s2", "s3"):
        (rx,) = [r for r in rack.plan.nics[server].group_rx if r.src.name == "a1"]
        rack.nics[server].switch.register_write("NicIngress.rx_path.expected", rx.stream, start)
    rack.accelerators["a1"].add_stream(stream, first_seq=start)
    rng = random.Random(3)
    rack.fabric.drop_when(("s1.nic", c.NIC_UPLINK_PORT), lambda hop: rng.random() < 0.1)
    data = rng.randbytes(8192)  # 32 writes: numbers 0xfff0 .. 0xffff, then 0 .. 15
    assert rack.accelerators["a1"].write("g", stream.local_base, data) == 32
    rack.run(max_timeouts=50)
    assert groupdemo.verify_group_write(rack, rack.plan.groups["g"], "a1", 0, data) == []
    sender = rack.accelerators["a1"].group_senders["g"]
    assert sender.next_seq == 16 and sender.acked == {2: 16, 3: 16} and sender.rewinds > 0


def test_a_write_past_the_group_window_lands_nowhere(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = trio(programs)
    stream = rack.plan.group_stream("a1", "g")
    # the group window ends on a 4 KiB line: the part inside lands on every member, the rest is refused
    assert rack.accelerators["a1"].write("g", stream.local_base + 8192 - 8, bytes(range(1, 17))) == 2
    rack.fabric.run()
    assert rack.nics["s1"].counter("NicIngress.accounting.drops", c.DROP_NO_TX_WINDOW)[1] == 1  # past the block
    for name in ("a2", "a3"):
        member = rack.plan.groups["g"].member(name)
        memory = rack.accelerators[name].memory
        assert bytes(memory[member.base + 8192 - 8 : member.base + 8192 + 8]) == bytes(range(1, 9)) + bytes(8)


def test_verify_names_missing_and_stray_bytes(programs: tuple[Artifacts, Artifacts]) -> None:
    rack = trio(programs)
    group = rack.plan.groups["g"]
    data = bytes(range(64))
    rack.accelerators["a1"].write("g", rack.plan.group_stream("a1", "g").local_base, data)
    rack.run()
    assert groupdemo.verify_group_write(rack, group, "a1", 0, data) == []
    rack.accelerators["a3"].memory[0x8005] ^= 0xFF
    rack.accelerators["x2"].memory[0x10] = 1
    assert groupdemo.verify_group_write(rack, group, "a1", 0, data) == [
        "x2: byte 0x10 was written (0x01) outside the group write",
        "a3: byte 0x8005 is 0xfa, expected 0x05",
    ]


def test_groupdemo_on_rack8_repairs_loss(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = groupdemo.main(["--build-dir", str(build_dir), "--topology", str(RACK8), "--group", "allgather"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "group 'allgather' (id 1, MAC 03:4a:53:80:00:01, ToR group 17) of 8 members" in out
    assert "acc1 wrote 16384 bytes as 64 memory writes" in out
    assert "2 frames lost (1.0% loss on every NIC uplink); 1 rewinds" in out
    assert "OK: all 16384 bytes landed exactly once, in order, in each of the 7 members" in out


def test_groupdemo_all_gather_on_rack8(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = groupdemo.main(["--build-dir", str(build_dir), "--topology", str(RACK8), "--all-gather", "--loss", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all-gather: 8 senders wrote 2048 bytes each at once, 64 memory writes" in out
    assert "OK: every member holds every other sender's slice" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "allgathr"], "has no group 'allgathr' (did you mean 'allgather'?)"),
        (["--sender", "acc9"], "--sender: 'acc9' does not send to group 'allgather'"),
        (["--bytes", "0"], "--bytes must be 1 .. 16384"),
        (["--loss", "100"], "--loss must be at least 0 and below 100"),
        (["--tor", "linux-bridge"], "--tor linux-bridge needs the process testbed (--testbed netns)"),
        (["--testbed", "inprocess", "--target", "bmv2"], "--target bmv2 runs BMv2 switch processes"),
        (["--testbed", "netns", "--deadline", "0"], "--deadline 0: expected a positive number of seconds"),
    ],
)
def test_groupdemo_mistakes_are_named(
    build_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = groupdemo.main(["--build-dir", str(build_dir), "--topology", str(RACK8), *args])
    assert code in (1, 2)
    assert message in capsys.readouterr().err


def test_groupdemo_without_groups_or_build(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert groupdemo.main(["--build-dir", str(build_dir), "--topology", str(ROOT / "topologies" / "pair.toml")]) == 1
    assert "pair.toml has no [[groups]]" in capsys.readouterr().err
    assert groupdemo.main(["--build-dir", str(tmp_path), "--topology", str(RACK8)]) == 1
    assert "run `make build` first" in capsys.readouterr().err
