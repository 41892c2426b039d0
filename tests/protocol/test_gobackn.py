"""The accelerator's side of go-back-N, without a NIC."""

from __future__ import annotations

import pytest

from controller.protocol import constants as c
from controller.protocol.gobackn import GoBackNSender, decode_mailbox, rewind_tlp
from controller.protocol.stream import AckMsg
from controller.protocol.tlp import TlpError, mwr

REWIND = 0x1FFF_F000


def writes(n: int) -> list[bytes]:
    return [bytes(mwr(0x1000 + 4 * i, i.to_bytes(4, "big"))) for i in range(n)]


def test_ack_frees_what_it_covers() -> None:
    s = GoBackNSender(REWIND)
    for w in writes(5):
        s.issue(w)
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=3)) == []
    assert [k.seq for k in s.kept] == [3, 4]


def test_nack_rewinds_and_reissues_in_order() -> None:
    s = GoBackNSender(REWIND, first_seq=0xFFFE)
    ws = writes(4)
    for w in ws:
        s.issue(w)
    out = s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=0xFFFF))
    assert out == [rewind_tlp(REWIND, 0xFFFF), *ws[1:]]
    assert [k.seq for k in s.kept] == [0xFFFF, 0, 1]
    assert s.next_seq == 2


def test_timeout_reissues_everything_kept() -> None:
    s = GoBackNSender(REWIND)
    ws = writes(2)
    for w in ws:
        s.issue(w)
    assert s.on_timeout() == [rewind_tlp(REWIND, 0), *ws]
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
    for w in writes(6):
        s.issue(w)
    s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=4))
    assert s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=2)) == []
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=3)) == []
    assert ([k.seq for k in s.kept], s.next_seq, s.rewinds, s.ignored) == ([4, 5], 6, 0, 2)


def test_a_number_past_what_was_sent_is_ignored() -> None:
    s = GoBackNSender(REWIND, first_seq=0xFFF0)
    for w in writes(3):
        s.issue(w)
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


@pytest.mark.parametrize("seed", range(3))
def test_go_back_n_survives_loss_duplication_and_reordering_both_ways(seed: int) -> None:
    """Thousands of writes through a channel that loses, duplicates and reorders data frames and ACK/NACK
    messages: every write is applied exactly once and in order, and the sender never frees a write the
    receiver has not applied."""
    import random

    rng = random.Random(seed)
    WINDOW = 64  # writes a sender keeps in flight (go-back-N needs fewer than 2^15)
    sender, receiver = GoBackNSender(REWIND, first_seq=0), ModelReceiver()
    payloads = [bytes(mwr(0x1000, i.to_bytes(4, "big"))) for i in range(2000)]
    data: list[tuple[int, bytes, bool]] = []  # (seq, tlp, ack requested) on the wire
    back: list[AckMsg] = []
    nic_next = 0  # the sending NIC's next_seq register
    issued = 0

    def send(tlps: list[bytes]) -> None:
        nonlocal nic_next
        for tlp in tlps:
            if tlp[8:12] == REWIND.to_bytes(4, "big"):  # the rewind doorbell (3 DW header): the NIC's next_seq
                nic_next = int.from_bytes(tlp[12:16], "little")
                continue
            last = tlp == payloads[min(issued, len(payloads)) - 1]
            data.append((nic_next, tlp, last))
            nic_next = (nic_next + 1) % (1 << c.JS_SEQ_BITS)

    def shuffle_some(queue: list) -> None:  # type: ignore[type-arg]
        if len(queue) > 1 and rng.random() < 0.1:  # now and then two frames overtake each other
            i, j = rng.randrange(len(queue)), rng.randrange(len(queue))
            queue[i], queue[j] = queue[j], queue[i]

    steps = 0
    while (issued < len(payloads) or sender.unacked) and steps < 100_000:
        steps += 1
        if issued < len(payloads) and sender.unacked < WINDOW and rng.random() < 0.5:
            burst = payloads[issued : issued + rng.randrange(1, 9)]
            issued += len(burst)
            send([sender.issue(w) for w in burst])
        shuffle_some(data)
        shuffle_some(back)
        if data:
            seq, tlp, ack_req = data.pop(0)
            if rng.random() < 0.05:
                pass  # lost
            else:
                if rng.random() < 0.05:
                    data.insert(rng.randrange(len(data) + 1), (seq, tlp, ack_req))  # duplicated
                replies = receiver.receive(seq, tlp, ack_req)
                back += [m for m in replies if rng.random() >= 0.05]
        if back:
            msg = back.pop(0)
            if rng.random() < 0.05:
                back.insert(rng.randrange(len(back) + 1), msg)
            before = len(receiver.applied)
            send(sender.on_message(msg))
            freed_through = issued - sender.unacked  # writes the sender no longer keeps
            assert freed_through <= before, "the sender freed a write the receiver had not applied"
        elif not data:
            send(sender.on_timeout())
    assert receiver.applied == payloads
    assert sender.unacked == 0

