"""The accelerator's side of go-back-N, without a NIC."""

from __future__ import annotations

import pytest

from controller.plan import ACK_ALIAS
from controller.protocol import constants as c
from controller.protocol.gobackn import GoBackNSender, GroupGoBackNSender, Write, decode_mailbox, rewind_tlp
from controller.protocol.stream import AckMsg, seq_diff
from controller.protocol.tlp import TlpError, mwr, mwr_address, payload_bytes

REWIND = 0x1FFF_F000


def writes(n: int, *, last_ends_burst: bool = False) -> list[Write]:
    return [Write(0x1000 + 4 * i, i.to_bytes(4, "big"), ends_burst=last_ends_burst and i == n - 1) for i in range(n)]


def tlp(w: Write, *, alias: bool = False) -> bytes:
    """The TLP a sender with requester id 0 issues for `w`, through the ACK alias or not."""
    return bytes(mwr(w.address + (ACK_ALIAS if alias else 0), w.data, tag=w.tag))


def post_all(s: GoBackNSender | GroupGoBackNSender, ws: list[Write]) -> list[bytes]:
    return [t for w in ws for t in s.post(w)]


def test_ack_frees_what_it_covers() -> None:
    s = GoBackNSender(REWIND)
    post_all(s, writes(5))
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=3)) == []
    assert [k.seq for k in s.kept] == [3, 4]


def test_nack_rewinds_and_reissues_in_order() -> None:
    s = GoBackNSender(REWIND, first_seq=0xFFFE)
    sent = post_all(s, writes(4))
    out = s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=0xFFFF))
    assert out == [rewind_tlp(REWIND, 0xFFFF), *sent[1:]]
    assert [k.seq for k in s.kept] == [0xFFFF, 0, 1]
    assert s.next_seq == 2


def test_timeout_reissues_everything_kept() -> None:
    s = GoBackNSender(REWIND)
    ws = writes(2)
    assert post_all(s, ws) == [tlp(w) for w in ws]
    assert s.on_timeout() == [rewind_tlp(REWIND, 0), *(tlp(w) for w in ws)]
    s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=2))
    assert s.on_timeout() == []


def test_rewind_doorbell_bytes() -> None:
    assert rewind_tlp(REWIND, 0x1234).hex() == "40000001" "0000000f" "1ffff000" "34120000"


def test_decode_mailbox() -> None:
    tlp = mwr(0xF000_0008, bytes(AckMsg(msg_type=c.MSG_NACK, peer=2, stream_dst=0x8001, seq=9)))
    addr, msg = decode_mailbox(tlp)
    assert (addr, msg.msg_type, msg.peer, msg.stream_dst, msg.seq) == (0xF000_0008, c.MSG_NACK, 2, 0x8001, 9)
    with pytest.raises(TlpError, match="8 bytes"):
        decode_mailbox(mwr(0xF000_0000, bytes(4)))
    with pytest.raises(TlpError, match="type 1"):
        decode_mailbox(mwr(0xF000_0000, bytes(AckMsg(msg_type=c.MSG_DATA))))


def test_a_stale_nack_is_ignored_and_frees_nothing() -> None:
    """A NACK overtaken by a later ACK: acting on it would re-number the kept writes from an old number, and
    the receiver's duplicate ACKs would then free writes it never applied."""
    s = GoBackNSender(REWIND)
    post_all(s, writes(6))
    s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=4))
    assert s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=2)) == []
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=3)) == []
    assert ([k.seq for k in s.kept], s.next_seq, s.rewinds, s.ignored) == ([4, 5], 6, 0, 2)


def test_a_number_past_what_was_sent_is_ignored() -> None:
    s = GoBackNSender(REWIND, first_seq=0xFFF0)
    post_all(s, writes(3))
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=0xFFF4)) == []  # only 0xFFF0..0xFFF2 were sent
    assert s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=0x7000)) == []
    assert (len(s.kept), s.ignored) == (3, 2)
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=0xFFF3)) == [] and s.unacked == 0


class ModelReceiver:
    """The receiving NIC's rules (docs/protocol.md): exactly the next number is applied, a gap is NACKed once,
    a duplicate is re-ACKed, an ACK every 16 frames or on request."""

    def __init__(self) -> None:
        self.expected = 0
        self.nacked = False
        self.applied: list[bytes] = []

    def receive(self, seq: int, tlp: bytes, ack_req: bool) -> list[AckMsg]:
        ahead = (seq - self.expected) % (1 << c.JS_SEQ_BITS)
        if ahead == 0:
            self.applied.append(tlp)
            self.expected = (self.expected + 1) % (1 << c.JS_SEQ_BITS)
            self.nacked = False
            due = ack_req or self.expected % c.ACK_EVERY == 0
            return [AckMsg(msg_type=c.MSG_ACK, seq=self.expected)] if due else []
        if ahead < c.JS_SEQ_HALF:
            if self.nacked:
                return []
            self.nacked = True
            return [AckMsg(msg_type=c.MSG_NACK, seq=self.expected)]
        return [AckMsg(msg_type=c.MSG_ACK, seq=self.expected)]


class Channel:
    """A sender and a `ModelReceiver` joined by a channel that loses, duplicates and reorders data frames and
    ACK/NACK messages with the given probabilities; the sending NIC's numbering and rewind doorbell included."""

    def __init__(self, window: int, seed: int, fault: float) -> None:
        import random

        self.rng = random.Random(seed)
        self.fault = fault
        self.window = window
        self.sender, self.receiver = GoBackNSender(REWIND, window=window), ModelReceiver()
        self.data: list[tuple[int, bytes, bool]] = []  # (seq, tlp, ack requested) on the wire
        self.back: list[AckMsg] = []
        self.nic_next = 0  # the sending NIC's next_seq register
        self.posted = 0
        self.timeouts = 0

    def send(self, tlps: list[bytes]) -> None:
        for t in tlps:
            address = mwr_address(t)
            if address == REWIND:  # the rewind doorbell: the NIC's next_seq
                self.nic_next = int.from_bytes(payload_bytes(t)[:4], "little")
                continue
            self.data.append((self.nic_next, t, address >= ACK_ALIAS))  # the alias: FLAG_ACK_REQ
            self.nic_next = (self.nic_next + 1) % (1 << c.JS_SEQ_BITS)
            # what the sender has on the wire beyond what the receiver applied never exceeds the window
            ahead = seq_diff(self.nic_next, self.receiver.expected)  # below 0 after a rewind to older numbers
            assert ahead <= self.window, f"{ahead} TLPs ahead of the receiver with a window of {self.window}"

    def _shuffle_some(self, queue: list) -> None:  # type: ignore[type-arg]
        if len(queue) > 1 and self.rng.random() < 2 * self.fault:  # now and then two frames overtake each other
            i, j = self.rng.randrange(len(queue)), self.rng.randrange(len(queue))
            queue[i], queue[j] = queue[j], queue[i]

    def _faulty(self) -> bool:
        return self.fault > 0 and self.rng.random() < self.fault

    def run(self, ws: list[Write]) -> None:
        """Post `ws` in bursts of 1 to 8 (the last of each through the alias) while frames move, until the
        sender holds nothing."""
        from dataclasses import replace

        rng, steps = self.rng, 0
        while (self.posted < len(ws) or self.sender.unacked) and steps < 200_000:
            steps += 1
            if self.posted < len(ws) and rng.random() < 0.5:
                burst = ws[self.posted : self.posted + rng.randrange(1, 9)]
                self.posted += len(burst)
                burst[-1] = replace(burst[-1], ends_burst=True)
                self.send(post_all(self.sender, burst))
            self._shuffle_some(self.data)
            self._shuffle_some(self.back)
            if self.data:
                seq, t, ack_req = self.data.pop(0)
                if not self._faulty():  # else lost
                    if self._faulty():
                        self.data.insert(rng.randrange(len(self.data) + 1), (seq, t, ack_req))  # duplicated
                    self.back += [m for m in self.receiver.receive(seq, t, ack_req) if not self._faulty()]
            if self.back:
                msg = self.back.pop(0)
                if self._faulty():
                    self.back.insert(rng.randrange(len(self.back) + 1), msg)
                before = len(self.receiver.applied)
                self.send(self.sender.on_message(msg))
                freed_through = self.posted - self.sender.unacked  # writes the sender no longer keeps
                assert freed_through <= before, "the sender freed a write the receiver had not applied"
            elif not self.data and self.sender.unacked:
                self.timeouts += 1
                self.send(self.sender.on_timeout())
        assert [payload_bytes(t) for t in self.receiver.applied] == [w.data for w in ws]
        assert self.sender.unacked == 0 and self.sender.most_in_flight <= self.window


def numbered(n: int) -> list[Write]:
    return [Write(0x1000, i.to_bytes(4, "big")) for i in range(n)]


@pytest.mark.parametrize("window", [1, 5, 64])
@pytest.mark.parametrize("seed", range(3))
def test_go_back_n_survives_loss_duplication_and_reordering_both_ways(seed: int, window: int) -> None:
    """Thousands of writes through a channel that loses, duplicates and reorders data frames and ACK/NACK
    messages: every write is applied exactly once and in order, the sender never frees a write the
    receiver has not applied, and never has more than its window on the wire beyond the receiver."""
    Channel(window, seed, fault=0.05).run(numbered(2000))


@pytest.mark.parametrize("window", [1, 3, 15, 16, 17, 64, 100])
def test_without_faults_any_window_moves_without_a_timer_or_a_resend(window: int) -> None:
    """A window-limited sender asks for an ACK with the TLP that fills its window, so it moves again one round
    trip later even when the window is smaller than ACK_EVERY or out of step with it."""
    channel = Channel(window, seed=window, fault=0.0)
    channel.run(numbered(500))
    assert (channel.timeouts, channel.sender.resent, channel.sender.rewinds) == (0, 0, 0)
    assert channel.sender.most_in_flight == window  # the bursts did fill it


def test_writes_beyond_the_window_wait_and_the_one_that_fills_it_asks_for_an_ack_unless_one_is_coming() -> None:
    s = GoBackNSender(REWIND, window=4)
    ws = writes(10, last_ends_burst=True)
    assert post_all(s, ws) == [tlp(ws[0]), tlp(ws[1]), tlp(ws[2]), tlp(ws[3], alias=True)]
    assert (s.in_flight, s.unacked) == (4, 10)
    # two freed: two more go, in order; 5 fills the window, but 3's ACK is still coming
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=2)) == [tlp(ws[4]), tlp(ws[5])]
    # a NACK re-sends only the window, as issued, then what the room lets out: 7 fills it and nothing kept
    # asked for an ACK any more, so 7 asks
    assert s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=4)) == [
        rewind_tlp(REWIND, 4), tlp(ws[4]), tlp(ws[5]), tlp(ws[6]), tlp(ws[7], alias=True)]
    assert s.resent == 2
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=8)) == [tlp(ws[8]), tlp(ws[9], alias=True)]  # the burst's end
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=10)) == [] and s.unacked == 0
    assert s.most_in_flight == 4


def test_the_receivers_own_ack_every_16_counts_as_an_ack_coming() -> None:
    s = GoBackNSender(REWIND, first_seq=14, window=2)
    ws = writes(4)
    # 15 fills the window, and the receiver ACKs it by itself (16 is a multiple of ACK_EVERY): no alias
    assert post_all(s, ws) == [tlp(ws[0]), tlp(ws[1])]
    # 17 fills it again, and nothing kept will be ACKed: it asks
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=16)) == [tlp(ws[2]), tlp(ws[3], alias=True)]


def test_a_timeout_re_sends_at_most_the_window() -> None:
    s = GoBackNSender(REWIND, window=3)
    sent = post_all(s, writes(50))
    assert len(sent) == 3 and s.on_timeout() == [rewind_tlp(REWIND, 0), *sent]


def test_a_group_window_counts_the_slowest_member() -> None:
    s = GroupGoBackNSender(REWIND, [1, 2], window=4)
    ws = writes(8)
    assert len(post_all(s, ws)) == 4
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, peer=1, seq=4)) == []  # member 2 still has none
    # 4 fills the window, but 3 asked for an ACK, which member 2 has not sent yet
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, peer=2, seq=1)) == [tlp(ws[4])]
    # both passed 4: 5, 6 and 7 go, and 7 fills the window again with no ACK coming (4 is still kept)
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, peer=2, seq=4)) == [tlp(ws[5]), tlp(ws[6]), tlp(ws[7], alias=True)]
    assert (s.in_flight, s.unacked, s.behind()) == (4, 4, {1: 4, 2: 4})


@pytest.mark.parametrize("window", [0, -1, c.JS_SEQ_HALF])
def test_a_window_outside_what_go_back_n_can_number_is_refused(window: int) -> None:
    with pytest.raises(ValueError, match="send window"):
        GoBackNSender(REWIND, window=window)
    with pytest.raises(ValueError, match="send window"):
        GroupGoBackNSender(REWIND, [1], window=window)
