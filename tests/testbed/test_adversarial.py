"""Go-back-N that cannot be fooled, end to end: thousands of unicast and group writes at once over a rack
whose every NIC <-> ToR cable loses, duplicates and reorders DATA, ACK and NACK frames in both directions
(`testbed.impair`), under several seeds, on the real NIC and ToR programs (JETSTREAM_BUILD_DIR, `build/` or
compiled by softp4).

While it runs, a referee sits on every accelerator's PCIe link and checks, frame by frame:

- every TLP delivered is the next write of its stream for that receiver, byte for byte and at its address
  (so nothing is applied twice, skipped, reordered, or put at another offset);
- every mailbox slot's number never goes backwards (the NIC drops stale ACKs, `DROP_STALE_ACK`);
- every sender's acknowledged position never goes backwards, agrees with what it freed, and never passes
  what the receivers applied (for a group: what every member applied).

At the end, every byte of every accelerator's memory equals the image the writes make (nothing outside
a window, nothing at a wrong offset; the mailbox area holds only the final message of each slot), no
emulator saw a violation, no switch failed, every sender holds nothing, and the NICs' sequence registers
agree with the senders. Streams start at random numbers, some just below the 16-bit wrap.

Size: JETSTREAM_ADVERSARY_SEEDS seeds (default 3) of JETSTREAM_ADVERSARY_WRITES writes (default 800) per
topology; `JETSTREAM_ADVERSARY_SEEDS=20 JETSTREAM_ADVERSARY_WRITES=5000` is a long run.
"""

from __future__ import annotations

import os
import random
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller import topology
from controller.plan import GroupTxStream, TxStream
from controller.protocol import constants as c
from controller.protocol.gobackn import GoBackNSender, GroupGoBackNSender, decode_mailbox
from controller.protocol.stream import seq_diff
from controller.protocol.tlp import mwr_address, mwr_bytes
from testbed.accelerator import Accelerator, tlp_pieces
from testbed.fabric import Hop
from testbed.impair import KIND_NAMES, Impairment, describe, impair_uplinks, message_type, tally
from testbed.inprocess import Artifacts
from testbed.memory import SparseMemory
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGIES = {"rack8": ROOT / "topologies" / "rack8.toml", "groups": Path(__file__).parent / "data" / "groups.toml"}
SEEDS = int(os.environ.get("JETSTREAM_ADVERSARY_SEEDS", "3"))
WRITES = int(os.environ.get("JETSTREAM_ADVERSARY_WRITES", "800"))
ADVERSARY = Impairment(loss=0.04, duplicate=0.04, reorder=0.08, max_delay=12, until_quiet=0.15)
LENGTHS = (1, 2, 3, 4, 5, 7, 8, 12, 64, 255, 256, 257, 600, 1024, 2048)
STARTS = (0, 1, 0x7FF0, 0xFFF0, 0xFFFE)  # where a stream's numbers start: some wrap within a few writes

StreamKey = tuple[str, str]  # (sender, destination accelerator or group)
Delivery = tuple[str, str, str | None]  # (sender, receiver, group or None for unicast)


@dataclass(frozen=True)
class Slice:
    """The part of a window (or group window) one sender writes into: offsets [lo, hi) of it, which no
    other sender touches, so the image each receiver must end with does not depend on timing."""

    src: str
    dst: str  # accelerator or group, as Accelerator.write takes it
    group: str | None
    local_base: int  # the sender's address of the window's offset 0
    lo: int
    hi: int
    receivers: tuple[tuple[str, int], ...]  # (receiver, its address of the window's offset 0)


def slices_of(rack: Rack) -> list[Slice]:
    out = []
    for nic in rack.plan.nics.values():
        for tx in nic.tx_windows:
            sharing = [t for n in rack.plan.nics.values() for t in n.tx_windows
                       if t.dst == tx.dst and t.remote_base == tx.remote_base]
            share = tx.size // len(sharing)
            i = sharing.index(tx)
            out.append(Slice(tx.src.name, tx.dst.name, None, tx.local_base, i * share, (i + 1) * share,
                             ((tx.dst.name, tx.remote_base),)))
        for gs in nic.group_tx:
            group = gs.group
            share = group.size // len(group.senders)
            i = [s.name for s in group.senders].index(gs.src.name)
            receivers = tuple((r.member.name, group.member(r.member.name).base) for r in gs.receivers)
            out.append(Slice(gs.src.name, group.name, group.name, gs.local_base, i * share, (i + 1) * share,
                             receivers))
    return out


def start_streams(rack: Rack, rng: random.Random) -> dict[StreamKey, int]:
    """Start every stream at a random number, on both NICs, in the mailbox slots and in the emulator, as the
    controller's orders would; returns each stream's first number."""
    first: dict[StreamKey, int] = {}
    streams: list[TxStream | GroupTxStream] = []
    for nic in rack.plan.nics.values():
        streams += [*nic.tx_streams, *nic.group_tx]
    for stream in streams:
        seq = rng.choice(STARTS)
        sender_nic = rack.nics[stream.src.server].switch
        sender_nic.register_write("NicIngress.tx_path.next_seq", stream.stream, seq)
        if isinstance(stream, TxStream):
            first[stream.src.name, stream.dst.name] = seq
            sender_nic.register_write("NicIngress.ack_path.acked", stream.slot, seq)
            rx = [r for r in rack.plan.nics[stream.dst.server].rx_streams
                  if r.src == stream.src and r.dst == stream.dst]
            receiving = [(stream.dst.server, r.stream) for r in rx]
        else:
            first[stream.src.name, stream.group.name] = seq
            for receiver in stream.receivers:
                sender_nic.register_write("NicIngress.ack_path.acked", receiver.slot, seq)
            receiving = [(server, r.stream) for server, n in rack.plan.nics.items() for r in n.group_rx
                         if r.src == stream.src and r.group.name == stream.group.name]
        assert receiving
        for server, index in receiving:
            rack.nics[server].switch.register_write("NicIngress.rx_path.expected", index, seq)
        rack.accelerators[stream.src.name].add_stream(stream, first_seq=seq)
    return first


class Referee:
    """Watches every accelerator's PCIe link (see the module's docstring) and keeps the expected images."""

    def __init__(self, rack: Rack, first: dict[StreamKey, int], *, monotone_mailbox: bool = True) -> None:
        self.rack = rack
        self.first = first
        self.monotone_mailbox = monotone_mailbox
        self.pending: dict[Delivery, deque[dict[int, int]]] = {}
        self.applied: Counter[Delivery] = Counter()
        self.issued: Counter[StreamKey] = Counter()
        self.images = {name: SparseMemory(len(acc.memory)) for name, acc in rack.accelerators.items()}
        self.by_requester = {acc.requester_id: name for name, acc in rack.accelerators.items()}
        self.groups_of = {
            name: [(g.member(name).base, g.member(name).base + g.size, g.name)
                   for g in rack.plan.groups.values() if any(m.accelerator.name == name for m in g.members)]
            for name in rack.accelerators
        }
        self.position: dict[tuple[str, str, int | None], int] = {}  # last acknowledged number seen
        self.slot_seq: dict[tuple[str, int], int] = {}  # last number seen in each mailbox slot
        self.slot_start: dict[tuple[str, int], int] = {}
        self.member_name = {acc.spec.id: name for name, acc in rack.accelerators.items()}
        for nic in rack.plan.nics.values():
            for tx in nic.tx_streams:
                self.slot_start[tx.src.name, tx.mailbox_address] = first[tx.src.name, tx.dst.name]
            for gs in nic.group_tx:
                for r in gs.receivers:
                    self.slot_start[gs.src.name, r.mailbox_address] = first[gs.src.name, gs.group.name]
        self.mailbox_messages = 0

    def write(self, acc: Accelerator, piece: Slice, offset: int, data: bytes, ack: bool) -> None:
        """Have `acc` write `data` at `offset` of the slice's window, and expect it at every receiver."""
        local = piece.local_base + offset
        pieces = tlp_pieces(local, len(data))
        for receiver, base in piece.receivers:
            queue = self.pending.setdefault((piece.src, receiver, piece.group), deque())
            for start, length in pieces:
                at = base + offset + start
                queue.append({at + i: b for i, b in enumerate(data[start : start + length])})
            self.images[receiver][base + offset : base + offset + len(data)] = data
        self.issued[piece.src, piece.dst] += len(pieces)
        assert acc.write(piece.dst, local, data, ack=ack) == len(pieces)

    def arrives(self, name: str, frame: bytes) -> None:
        """A TLP is about to be applied by accelerator `name`."""
        acc = self.rack.accelerators[name]
        address = mwr_address(frame)
        if address >= acc.mailbox_base:
            self._mailbox(name, address, frame)
            return
        src = self.by_requester[int.from_bytes(frame[4:6], "big")]
        group = next((g for lo, hi, g in self.groups_of[name] if lo <= address < hi), None)
        key = (src, name, group)
        queue = self.pending.get(key)
        written = mwr_bytes(frame)
        assert queue, f"{name} was given a write from {src} ({group or 'unicast'}) nobody expects: {frame.hex()}"
        expected = queue.popleft()
        if written != expected:
            pytest.fail(f"{name}: write #{self.applied[key] + 1} from {src} ({group or 'unicast'}) wrote "
                        f"{len(written)} bytes at {min(written):#x}, expected {len(expected)} at {min(expected):#x}"
                        + ("" if written.keys() != expected.keys() else " (other bytes)"))
        self.applied[key] += 1

    def _mailbox(self, name: str, address: int, frame: bytes) -> None:
        slot = (name, address)
        assert slot in self.slot_start, f"{name}: a mailbox write at {address:#x}, which is no slot of its streams"
        _, msg = decode_mailbox(frame)
        seq = int(msg.seq)
        last = self.slot_seq.get(slot, self.slot_start[slot])
        assert not self.monotone_mailbox or seq_diff(seq, last) >= 0, (
            f"{name}: mailbox slot {address:#x} went back from {last:#x} to {seq:#x}")
        self.slot_seq[slot] = seq
        self.mailbox_messages += 1

    def check_senders(self, name: str) -> None:
        """After accelerator `name` acted: no sender moved back, freed more than it was acknowledged for, or
        was acknowledged for more than its receivers applied."""
        acc = self.rack.accelerators[name]
        for dst, stream in acc.stream_of.items():
            sender = acc.senders[stream.mailbox_address]
            oldest = sender.kept[0].seq if sender.kept else sender.next_seq
            self._forward((name, dst, None), oldest, sender)
            self._covered(name, dst, oldest, sender, [(dst, None)])
        for group, gsender in acc.group_senders.items():
            for member, at in gsender.acked.items():
                self._forward((name, group, member), at, gsender)
                self._covered(name, group, at, gsender, [(self.member_name[member], group)])

    def _forward(self, key: tuple[str, str, int | None], seq: int, sender: GoBackNSender | GroupGoBackNSender) -> None:
        last = self.position.get(key, self.first[key[0], key[1]])
        assert seq_diff(seq, last) >= 0, f"{key}: the sender's acknowledged number went back from {last} to {seq}"
        self.position[key] = seq
        if sender.kept:  # the kept writes carry consecutive numbers, ending just before the next one
            assert seq_diff(sender.next_seq, sender.kept[0].seq) == len(sender.kept), key
            assert seq_diff(sender.next_seq, sender.kept[-1].seq) == 1, key

    def _covered(self, src: str, dst: str, seq: int, sender: GoBackNSender | GroupGoBackNSender,
                 receivers: list[tuple[str, str | None]]) -> None:
        acknowledged = seq_diff(seq, self.first[src, dst])
        freed = self.issued[src, dst] - sender.unacked
        assert freed <= acknowledged, f"{src} -> {dst}: freed {freed} writes, acknowledged {acknowledged}"
        for receiver, group in receivers:
            applied = self.applied[src, receiver, group]
            assert acknowledged <= applied, (
                f"{src} -> {dst}: {receiver} acknowledged {acknowledged} writes but applied {applied}")


class Watched:
    """An accelerator's end of its PCIe link with the referee in front of it."""

    def __init__(self, name: str, acc: Accelerator, referee: Referee) -> None:
        self.name, self.acc, self.referee = name, acc, referee

    def receive(self, port: int, frame: bytes) -> None:
        self.referee.arrives(self.name, frame)
        self.acc.receive(port, frame)
        self.referee.check_senders(self.name)


def stale_acks_pass(rack: Rack) -> None:
    """Switch the NICs' stale-ACK filter off: before an ACK or NACK reaches a NIC, the number its mailbox slot
    last took is set to the message's own, so every message reaches the sender, stale or not, and only the
    sender's own rules (docs/protocol.md, "What the sending accelerator sees") stand between it and harm."""
    slots: dict[tuple[int, int, int], tuple[str, int]] = {}  # (peer, sender, stream_dst) -> (server, slot)
    for server, nic in rack.plan.nics.items():
        for tx in nic.tx_streams:
            slots[tx.dst.id, tx.src.id, tx.dst.id] = (server, tx.slot)
        for gs in nic.group_tx:
            for r in gs.receivers:
                slots[r.member.id, gs.src.id, gs.group.wire_id] = (server, r.slot)

    def disarm(hop: Hop) -> None:
        name, port = hop.dst
        if port != c.NIC_UPLINK_PORT or message_type(hop.frame) not in (c.MSG_ACK, c.MSG_NACK):
            return
        js = hop.frame[14:26]
        key = (int.from_bytes(js[2:4], "big"), int.from_bytes(js[4:6], "big"), int.from_bytes(js[10:12], "big"))
        if key in slots and name == f"{slots[key][0]}.nic":
            seq = int.from_bytes(js[8:10], "big")
            rack.nics[slots[key][0]].switch.register_write("NicIngress.ack_path.acked", slots[key][1], seq)

    rack.fabric.observers.append(disarm)


def play(rack: Rack, seed: int, writes: int, *, nic_filters_stale_acks: bool = True
         ) -> tuple[Referee, Counter[tuple[int, str]]]:
    """Run `writes` random writes under the adversary; returns the referee and what the adversary did."""
    rng = random.Random(seed)
    first = start_streams(rack, rng)
    referee = Referee(rack, first, monotone_mailbox=nic_filters_stale_acks)
    if not nic_filters_stale_acks:
        stale_acks_pass(rack)
    for name, acc in rack.accelerators.items():
        rack.fabric.endpoints[name] = Watched(name, acc, referee)
    links = impair_uplinks(rack, ADVERSARY, seed)
    slices = slices_of(rack)
    for _ in range(writes):
        piece = rng.choice(slices)
        length = min(rng.choice(LENGTHS), piece.hi - piece.lo)
        offset = rng.randrange(piece.lo, piece.hi - length + 1)
        referee.write(rack.accelerators[piece.src], piece, offset, rng.randbytes(length), ack=rng.random() < 0.5)
        roll = rng.random()
        if roll < 0.3:  # let some frames move while more writes are issued
            rack.fabric.step(rng.randrange(1, 80))
        elif roll < 0.32:  # an ACK timer that fires early, with the stream's frames still in flight
            name, acc = rng.choice(list(rack.accelerators.items()))
            acc.timeout()
            referee.check_senders(name)
    rack.run(max_timeouts=400)
    return referee, tally(links.values())


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("name", list(TOPOLOGIES))
def test_every_byte_lands_once_in_order_under_loss_duplication_and_reordering(
    programs: tuple[Artifacts, Artifacts], name: str, seed: int
) -> None:
    nic, tor = programs
    rack = Rack.build(topology.load(TOPOLOGIES[name]), nic=nic, tor=tor)
    referee, done = play(rack, seed, WRITES)
    check_the_outcome(rack, referee, done)
    stale = sum(n.counter("NicIngress.accounting.drops", c.DROP_STALE_ACK)[1] for n in rack.nics.values())
    assert stale > 0  # the NICs kept stale ACKs and NACKs from the senders


@pytest.mark.parametrize("name", list(TOPOLOGIES))
def test_the_senders_alone_ignore_stale_acks_and_nacks(programs: tuple[Artifacts, Artifacts], name: str) -> None:
    """The same with the NICs' stale-ACK filter off: the senders' own rules keep every byte right."""
    nic, tor = programs
    rack = Rack.build(topology.load(TOPOLOGIES[name]), nic=nic, tor=tor)
    referee, done = play(rack, 1000, WRITES, nic_filters_stale_acks=False)
    check_the_outcome(rack, referee, done)
    ignored = sum(acc.ignored_messages() for acc in rack.accelerators.values())
    assert ignored > 0  # stale messages did reach the senders, and they ignored them


def check_the_outcome(rack: Rack, referee: Referee, done: Counter[tuple[int, str]]) -> None:

    problems = [v for acc in rack.accelerators.values() for v in acc.violations]
    problems += [f"{device.name}: {device.switch.internal_errors} internal errors"
                 for device in [*rack.nics.values(), rack.tor] if device and device.switch.internal_errors]
    assert problems == []
    for acc_name, acc in rack.accelerators.items():
        assert acc.unacked() == 0, f"{acc_name} still holds {acc.unacked()} writes"
        stray = acc.memory.first_difference(referee.images[acc_name], acc.mailbox_base)
        assert stray is None, f"{acc_name}: byte {stray:#x} is {acc.memory[stray]:#04x}, " \
                              f"expected {referee.images[acc_name][stray]:#04x}"
    assert all(not queue for queue in referee.pending.values()), "a write never arrived"
    final_state_agrees(rack, referee)
    # the adversary really did all of it, to every kind of frame, and the protocol had to repair it
    for kind, kind_name in KIND_NAMES.items():
        for action in ("lost", "held", "duplicated"):
            assert done[kind, action] > 0, f"no {kind_name} frame was {action}:\n{describe(done)}"
    drops = Counter({reason: sum(n.counter("NicIngress.accounting.drops", reason)[1] for n in rack.nics.values())
                     for reason in (c.DROP_GAP, c.DROP_DUPLICATE)})
    assert all(drops.values()), drops
    assert sum(acc.retransmissions() for acc in rack.accelerators.values()) > 0


def final_state_agrees(rack: Rack, referee: Referee) -> None:
    """Once all is acknowledged: each stream's number is the same in the sender, its NIC, every receiving
    NIC and every mailbox slot (which holds the final message and nothing else is in the mailbox area)."""
    for server, nic in rack.plan.nics.items():
        sw = rack.nics[server].switch
        for tx in nic.tx_streams:
            sender = rack.accelerators[tx.src.name].senders[tx.mailbox_address]
            (rx,) = [r for r in rack.plan.nics[tx.dst.server].rx_streams if r.src == tx.src and r.dst == tx.dst]
            assert sw.register_read("NicIngress.tx_path.next_seq", tx.stream) == sender.next_seq
            assert rack.nics[tx.dst.server].switch.register_read("NicIngress.rx_path.expected", rx.stream) \
                == sender.next_seq
            check_slot(referee, tx.src.name, tx.mailbox_address, tx.dst.name, sender.next_seq)
        for gs in nic.group_tx:
            gsender = rack.accelerators[gs.src.name].group_senders[gs.group.name]
            assert sw.register_read("NicIngress.tx_path.next_seq", gs.stream) == gsender.next_seq
            assert set(gsender.acked.values()) == {gsender.next_seq}
            for r in gs.receivers:
                check_slot(referee, gs.src.name, r.mailbox_address, gs.group.name, gsender.next_seq)
    for name, acc in rack.accelerators.items():  # the emulator takes messages, it does not store them
        assert not any(acc.memory[acc.mailbox_base : len(acc.memory)]), f"{name}: its mailbox area was written"


def check_slot(referee: Referee, name: str, address: int, dst: str, seq: int) -> None:
    """The last message `name` was given in its mailbox slot at `address` (for its stream to `dst`) carries
    `seq`; there is none when the stream carried no write. With the NICs' stale-ACK filter off a stale
    message may have come last, so then only that there was one is checked."""
    last = referee.slot_seq.get((name, address))
    assert (last is None) == (referee.issued[name, dst] == 0), f"{name}: slot {address:#x} for {dst}"
    assert last is None or not referee.monotone_mailbox or last == seq, f"{name}: slot {address:#x} ends at {last}"
